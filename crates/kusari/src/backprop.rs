//! Reverse-mode differentiation: `Variable::backward` and [`grad`].
//!
//! Function calls are visited from the outputs toward the leaves in order of
//! decreasing rank (a heap, as in Chainer), so every call runs once, after
//! all the gradients of its outputs have been summed. Gradients being summed
//! live on the graph nodes themselves (no hash map). Backward functions run
//! under `enable_backprop = enable_double_backprop`, so without double
//! backprop no graph is built for the gradients.

use crate::array::ops::ufunc;
use crate::array::{Array, BinaryOp, Error, Result};
use crate::config::{self, Setting};
use crate::function_node::{BackwardContext, FunctionCall};
use crate::variable::{VarNode, Variable};
use smallvec::SmallVec;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::rc::Rc;

thread_local! {
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

struct Queued(u32, u64, Rc<FunctionCall>);
impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.0, self.1).cmp(&(o.0, o.1))
    }
}

/// Adds `g` to the gradient being summed at `node`.
fn accumulate(node: &Rc<VarNode>, g: Variable, touched: &mut Vec<Rc<VarNode>>) -> Result<()> {
    let mut slot = node.pending.borrow_mut();
    *slot = Some(match slot.take() {
        None => {
            touched.push(node.clone());
            g
        }
        Some(prev) => {
            if !config::enable_backprop() && prev.is_sole_handle() {
                // No graph of the gradients is wanted and nobody else holds
                // this sum: add in place instead of allocating a new one.
                let g = g.data();
                prev.update_array(|a| ufunc::binary_inplace(BinaryOp::Add, a, &*g))?;
                drop(g);
                prev
            } else {
                prev.try_add(&g)?
            }
        }
    });
    Ok(())
}

/// What to do with the gradients reaching the leaves.
enum Sink<'a> {
    /// `backward()`: add them to the leaves' `.grad`.
    Leaves { retain_grad: bool },
    /// `grad()`: collect them for these nodes, touch no `.grad`.
    Collect(&'a [Rc<VarNode>], &'a mut Vec<Option<Variable>>),
}

fn run(
    roots: &[(Rc<VarNode>, Variable)],
    enable_double_backprop: bool,
    mut sink: Sink<'_>,
) -> Result<()> {
    let generation = GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    let mut touched: Vec<Rc<VarNode>> = Vec::new();
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<Queued>, call: Rc<FunctionCall>| {
        if call.visited.get() != generation {
            call.visited.set(generation);
            seq += 1;
            heap.push(Queued(call.rank, seq, call));
        }
    };
    for (node, g) in roots {
        accumulate(node, g.clone(), &mut touched)?;
        if let Some(c) = node.creator.borrow().clone() {
            push(&mut heap, c);
        }
    }
    let _mode = config::using_config(Setting::EnableBackprop, enable_double_backprop);
    let result = (|| -> Result<()> {
        while let Some(Queued(_, _, call)) = heap.pop() {
            let mut gys: SmallVec<[Option<Variable>; 2]> = SmallVec::new();
            for out in call.outputs.iter() {
                let g = out.upgrade().and_then(|n| {
                    let g = n.pending.borrow_mut().take();
                    if let Some(g) = &g {
                        match &mut sink {
                            Sink::Leaves { retain_grad: true } => {
                                *n.grad.borrow_mut() = Some(g.clone())
                            }
                            Sink::Collect(targets, found) => {
                                if let Some(i) = targets.iter().position(|t| Rc::ptr_eq(t, &n)) {
                                    found[i] = Some(g.clone());
                                }
                            }
                            _ => {}
                        }
                    }
                    g
                });
                gys.push(g);
            }
            let Some(device_like) = gys.iter().flatten().next().map(|g| g.data().device()) else {
                continue;
            };
            let gys: SmallVec<[Variable; 2]> = gys
                .into_iter()
                .zip(&call.output_meta)
                .map(|(g, (shape, dtype))| match g {
                    Some(g) => Ok(g),
                    None => Ok(Variable::constant(Array::zeros_on(
                        shape,
                        *dtype,
                        device_like,
                    )?)),
                })
                .collect::<Result<_>>()?;
            let needs: SmallVec<[bool; 4]> =
                call.inputs.iter().map(|n| n.requires_grad.get()).collect();
            if !needs.iter().any(|&n| n) {
                continue;
            }
            let ctx = BackwardContext {
                call: &call,
                needs: &needs,
            };
            let gxs = call.func.backward(&ctx, &gys)?;
            if gxs.len() != call.inputs.len() {
                return Err(Error::Value {
                    op: "backward",
                    message: format!(
                        "{} returned {} input gradients, expected {}",
                        call.label(),
                        gxs.len(),
                        call.inputs.len()
                    ),
                });
            }
            for ((node, gx), need) in call.inputs.iter().zip(gxs).zip(&needs) {
                let Some(gx) = gx else { continue };
                if !need {
                    continue;
                }
                let mismatch = {
                    let (want, data) = (node.meta.borrow(), gx.data());
                    (want.0.as_slice() != data.shape() || want.1 != data.dtype()).then(|| {
                        (
                            (want.0.to_vec(), want.1),
                            (data.shape().to_vec(), data.dtype()),
                        )
                    })
                };
                if let Some((want, got)) = mismatch {
                    return Err(Error::Shape {
                        op: "backward",
                        message: format!(
                            "{}: gradient of shape {:?} ({}) for an input of shape {:?} ({})",
                            call.label(),
                            got.0,
                            got.1,
                            want.0,
                            want.1
                        ),
                    });
                }
                accumulate(node, gx, &mut touched)?;
                if let Some(c) = node.creator.borrow().clone() {
                    push(&mut heap, c);
                }
            }
        }
        Ok(())
    })();
    drop(_mode);
    // Hand the gradients that reached leaves (or targets) over, and clear every pending slot.
    for node in touched {
        let Some(g) = node.pending.borrow_mut().take() else {
            continue;
        };
        if result.is_err() {
            continue;
        }
        match &mut sink {
            Sink::Leaves { .. } => {
                if node.creator.borrow().is_none() && node.requires_grad.get() {
                    let mut slot = node.grad.borrow_mut();
                    *slot = Some(match slot.take() {
                        None => g,
                        Some(prev) => {
                            let _m = config::using_config(
                                Setting::EnableBackprop,
                                enable_double_backprop,
                            );
                            prev.try_add(&g)?
                        }
                    });
                }
            }
            Sink::Collect(targets, found) => {
                if let Some(i) = targets.iter().position(|t| Rc::ptr_eq(t, &node)) {
                    found[i] = Some(g);
                }
            }
        }
    }
    result
}

impl Variable {
    /// Computes gradients of this variable with respect to every leaf that
    /// requires one, adding them to the leaves' `.grad`. A size-1 variable
    /// without a gradient starts from 1. On a variable without a creator (a
    /// leaf) it does nothing, as in Chainer.
    pub fn backward(&self) -> Result<()> {
        self.backward_with(false, false, None)
    }

    /// [`Variable::backward`] with Chainer's options: keep the gradients of
    /// intermediate variables (`retain_grad`), build a graph of the gradients
    /// so they can be differentiated again (`enable_double_backprop`), and
    /// scale the starting gradient (`loss_scale`, for float16 training; the
    /// optimizer divides it out again).
    pub fn backward_with(
        &self,
        retain_grad: bool,
        enable_double_backprop: bool,
        loss_scale: Option<f64>,
    ) -> Result<()> {
        if self.creator().is_none() {
            // Nothing to propagate (and the seed must not be added to its own `.grad`).
            return Ok(());
        }
        let g = match self.grad_var() {
            Some(g) => g,
            None => {
                if self.size() != 1 {
                    return Err(Error::Value {
                        op: "backward",
                        message: format!("the gradient of a non-scalar output (shape {:?}) must be set before backward", self.shape()),
                    });
                }
                let ones = Array::ones(&self.shape(), self.dtype())?.to_device(self.device())?;
                let g = Variable::constant(ones);
                self.set_grad_var(Some(g.clone()));
                g
            }
        };
        let g = match loss_scale {
            Some(s) => Variable::constant(g.data().multiply(s)?),
            None => g,
        };
        run(
            &[(self.node().clone(), g)],
            enable_double_backprop,
            Sink::Leaves { retain_grad },
        )
    }
}

/// Gradients of `outputs` with respect to `inputs` (Chainer's `chainer.grad`),
/// without touching any `.grad`. `grad_outputs` defaults to ones for size-1
/// outputs. `None` in the result: no path from the outputs to that input.
pub fn grad(
    outputs: &[&Variable],
    inputs: &[&Variable],
    grad_outputs: Option<&[&Variable]>,
    enable_double_backprop: bool,
) -> Result<Vec<Option<Variable>>> {
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, y) in outputs.iter().enumerate() {
        let g = match grad_outputs.and_then(|g| g.get(i)) {
            Some(g) => (*g).clone(),
            None => {
                if y.size() != 1 {
                    return Err(Error::Value {
                        op: "grad",
                        message: format!(
                            "grad_outputs must be given for output {i} of shape {:?}",
                            y.shape()
                        ),
                    });
                }
                Variable::constant(Array::ones(&y.shape(), y.dtype())?.to_device(y.device())?)
            }
        };
        roots.push((y.node().clone(), g));
    }
    let targets: Vec<Rc<VarNode>> = inputs.iter().map(|v| v.node().clone()).collect();
    let mut found = vec![None; inputs.len()];
    run(
        &roots,
        enable_double_backprop,
        Sink::Collect(&targets, &mut found),
    )?;
    Ok(found)
}
