//! `FunctionNode`: an operation of the graph. `apply` runs its forward on
//! arrays and, when backprop is enabled and an input requires a gradient,
//! records it: outputs point to the call that made them, the call holds its
//! inputs' graph nodes strongly and its outputs' weakly, and keeps only the
//! arrays its backward asked to retain (Chainer's aggressive buffer release).

use crate::array::layout::Shape;
use crate::array::{Array, DType, Result};
use crate::config;
use crate::variable::{VarNode, Variable};
use smallvec::SmallVec;
use std::cell::Cell;
use std::rc::{Rc, Weak};

/// A differentiable operation. `forward` computes on arrays; `backward`
/// computes input gradients with differentiable [`Variable`] operations, so
/// that gradients can themselves be differentiated (double backprop).
pub trait FunctionNode: 'static {
    /// The name shown in errors and graphs (`"Add"`, `"LinearFunction"`, ...).
    fn label(&self) -> &str;

    /// Checks the inputs before forward; errors read like Chainer's type check.
    fn check_type(&self, _inputs: &[&Array]) -> Result<()> {
        Ok(())
    }

    /// Computes the outputs.
    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>>;

    /// Indexes of inputs whose arrays backward needs (others are released).
    fn retain_inputs(&self) -> &[usize] {
        &[]
    }

    /// Indexes of outputs whose arrays backward needs.
    fn retain_outputs(&self) -> &[usize] {
        &[]
    }

    /// Gradients of the inputs (`None` for an input that gets no gradient)
    /// from the gradients of the outputs. Missing output gradients arrive as zeros.
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        grad_outputs: &[Variable],
    ) -> Result<Vec<Option<Variable>>>;
}

/// One application of a [`FunctionNode`] in the graph.
pub struct FunctionCall {
    pub(crate) func: Box<dyn FunctionNode>,
    // Inline small vectors: one allocation per call instead of six (tiny
    // models are dominated by this bookkeeping).
    pub(crate) inputs: SmallVec<[Rc<VarNode>; 2]>,
    pub(crate) outputs: SmallVec<[Weak<VarNode>; 1]>,
    pub(crate) output_meta: SmallVec<[(Shape, DType); 1]>,
    pub(crate) retained_inputs: SmallVec<[Array; 2]>,
    pub(crate) retained_outputs: SmallVec<[Array; 1]>,
    pub(crate) rank: u32,
    /// The backward pass that last queued this call (avoids a visited set).
    pub(crate) visited: Cell<u64>,
}

impl FunctionCall {
    /// The function's label.
    pub fn label(&self) -> &str {
        self.func.label()
    }
    /// The call's rank (its depth from the leaves).
    pub fn rank(&self) -> u32 {
        self.rank
    }
}

impl Drop for FunctionCall {
    fn drop(&mut self) {
        // Dropping a long chain recursively would overflow the stack; unlink it iteratively.
        let mut stack: Vec<Rc<VarNode>> = std::mem::take(&mut self.inputs).into_vec();
        while let Some(node) = stack.pop() {
            if let Ok(node) = Rc::try_unwrap(node) {
                if let Some(creator) = node.creator.borrow_mut().take() {
                    if let Ok(mut call) = Rc::try_unwrap(creator) {
                        stack.extend(std::mem::take(&mut call.inputs));
                    }
                }
            }
        }
    }
}

/// What a [`FunctionNode::backward`] can see of its call.
pub struct BackwardContext<'a> {
    pub(crate) call: &'a Rc<FunctionCall>,
    pub(crate) needs: &'a [bool],
}

impl BackwardContext<'_> {
    /// Whether input `i` wants a gradient (others may be returned as `None`).
    pub fn needs_input_grad(&self, i: usize) -> bool {
        self.needs.get(i).copied().unwrap_or(false)
    }

    /// Retained input `i` (by position in the *input* list) as a Variable
    /// connected to the original input, so its use is differentiable.
    pub fn input(&self, i: usize) -> Variable {
        let k = self
            .call
            .func
            .retain_inputs()
            .iter()
            .position(|&r| r == i)
            .unwrap_or_else(|| {
                panic!(
                    "{}: backward asked for input {i}, which retain_inputs() did not list",
                    self.call.label()
                )
            });
        Variable::from_node(
            self.call.retained_inputs[k].clone(),
            self.call.inputs[i].clone(),
        )
    }

    /// Retained output `i` as a Variable connected to this call.
    pub fn output(&self, i: usize) -> Variable {
        let k = self
            .call
            .func
            .retain_outputs()
            .iter()
            .position(|&r| r == i)
            .unwrap_or_else(|| {
                panic!(
                    "{}: backward asked for output {i}, which retain_outputs() did not list",
                    self.call.label()
                )
            });
        let data = self.call.retained_outputs[k].clone();
        match self.call.outputs[i].upgrade() {
            Some(node) => Variable::from_node(data, node),
            None => {
                // The user dropped it: a fresh node still created by this call.
                let node = VarNode::new(true, Some(self.call.clone()), self.call.rank + 1);
                Variable::from_node(data, Rc::new(node))
            }
        }
    }

    /// Shape of input `i`.
    pub fn input_shape(&self, i: usize) -> Shape {
        self.call.inputs[i].meta.borrow().0.clone()
    }

    /// Dtype of input `i`.
    pub fn input_dtype(&self, i: usize) -> DType {
        self.call.inputs[i].meta.borrow().1
    }
}

/// Runs `func` on `inputs`, recording it in the graph when backprop is
/// enabled and some input requires a gradient.
pub fn apply(func: impl FunctionNode, inputs: &[&Variable]) -> Result<Vec<Variable>> {
    let arrays: SmallVec<[Array; 2]> = inputs.iter().map(|v| v.array()).collect();
    let refs: SmallVec<[&Array; 2]> = arrays.iter().collect();
    func.check_type(&refs)?;
    let outs = func.forward(&refs)?;
    // As in Chainer, an output requires a gradient iff some input does.
    let requires_grad = inputs.iter().any(|v| v.requires_grad());
    if !(config::enable_backprop() && requires_grad) {
        let wrap = if requires_grad {
            Variable::new
        } else {
            Variable::constant
        };
        return Ok(outs.into_iter().map(wrap).collect());
    }
    let rank = inputs.iter().map(|v| v.rank()).max().unwrap_or(0);
    let retained_inputs = func
        .retain_inputs()
        .iter()
        .map(|&i| arrays[i].clone())
        .collect();
    let retained_outputs = func
        .retain_outputs()
        .iter()
        .map(|&i| outs[i].clone())
        .collect();
    let output_meta = outs
        .iter()
        .map(|o| (Shape::from_slice(o.shape()), o.dtype()))
        .collect();
    let nodes: SmallVec<[Rc<VarNode>; 1]> = outs
        .iter()
        .map(|_| Rc::new(VarNode::new(true, None, rank + 1)))
        .collect();
    let call = Rc::new(FunctionCall {
        func: Box::new(func),
        inputs: inputs.iter().map(|v| v.node().clone()).collect(),
        outputs: nodes.iter().map(Rc::downgrade).collect(),
        output_meta,
        retained_inputs,
        retained_outputs,
        rank,
        visited: Cell::new(0),
    });
    Ok(outs
        .into_iter()
        .zip(nodes)
        .map(|(a, n)| {
            *n.creator.borrow_mut() = Some(call.clone());
            Variable::from_node(a, n)
        })
        .collect())
}

/// Like [`apply`] for a function with exactly one output.
pub fn apply1(func: impl FunctionNode, inputs: &[&Variable]) -> Result<Variable> {
    Ok(apply(func, inputs)?.swap_remove(0))
}
