//! The graph and backward machinery across modules: gradient accumulation
//! over fan-out and shared subgraphs, constants, retained gradients, leaf
//! accumulation, unchaining, backprop modes, `grad()`, double backprop, loss
//! scaling, errors, very long chains, and the DOT output.

use kusari::array::{array, Array, DType};
use kusari::config::{self, force_backprop_mode, no_backprop_mode, using_config, Setting};
use kusari::{apply1, computational_graph, grad, BackwardContext, FunctionNode, Result, Variable};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

fn scalar(v: f64) -> Variable {
    Variable::new(array![v])
}

/// The single value of `v`'s gradient.
fn g(v: &Variable) -> f64 {
    v.grad()
        .expect("the variable should have a gradient")
        .item::<f64>()
        .unwrap()
}

fn val(v: &Variable) -> f64 {
    v.item::<f64>().unwrap()
}

fn vec_of(a: &Array) -> Vec<f64> {
    a.to_vec::<f64>().unwrap()
}

fn assert_close(a: f64, b: f64) {
    assert!(
        (a - b).abs() <= 1e-12 + 1e-12 * b.abs(),
        "{a} != {b} (difference {})",
        a - b
    );
}

/// The identity of input 0 (plus input 1 when there are two), counting how
/// many times its backward runs and recording which inputs it was told need
/// a gradient.
struct Probe {
    arity: usize,
    backward_calls: Rc<Cell<usize>>,
    needs: Rc<RefCell<Vec<bool>>>,
}

impl FunctionNode for Probe {
    fn label(&self) -> &str {
        "Probe"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![match x.len() {
            1 => x[0].clone(),
            _ => x[0].add(x[1])?,
        }])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        self.backward_calls.set(self.backward_calls.get() + 1);
        let needs: Vec<bool> = (0..self.arity).map(|i| ctx.needs_input_grad(i)).collect();
        *self.needs.borrow_mut() = needs.clone();
        Ok(needs.iter().map(|&n| n.then(|| gy[0].clone())).collect())
    }
}

type Probed = (Variable, Rc<Cell<usize>>, Rc<RefCell<Vec<bool>>>);

fn probe(inputs: &[&Variable]) -> Probed {
    let calls = Rc::new(Cell::new(0));
    let needs = Rc::new(RefCell::new(Vec::new()));
    let p = Probe {
        arity: inputs.len(),
        backward_calls: calls.clone(),
        needs: needs.clone(),
    };
    (apply1(p, inputs).unwrap(), calls, needs)
}

#[test]
fn fan_out_accumulates_gradients() {
    // y = x*x + x: x is used three times; dy/dx = 2x + 1.
    let x = scalar(3.0);
    let y = &(&x * &x) + &x;
    y.backward().unwrap();
    assert_eq!(g(&x), 7.0);

    // Elementwise: x + x + x.
    let x = Variable::new(array![1.0f32, -2.0]);
    let y = (&(&x + &x) + &x).sum(None, false).unwrap();
    y.backward().unwrap();
    assert_eq!(vec_of(&x.grad().unwrap()), vec![3.0, 3.0]);

    // An intermediate used several times: h = 2x, y = h*h*h, dy/dx = 3h^2 * 2.
    let x = scalar(1.5);
    let h = &x * 2.0;
    let y = &(&h * &h) * &h;
    y.backward().unwrap();
    assert_close(g(&x), 6.0 * 3.0f64.powi(2));
}

#[test]
fn shared_subgraph_runs_backward_once() {
    // h = probe(exp(x)); y = 2h + log(exp(h*h)) = 2h + h^2, with branches of
    // different depths meeting at h. h's backward must run once, after both
    // branches summed their gradients.
    let x = scalar(0.5);
    let (h, calls, _) = probe(&[&x.exp().unwrap()]);
    let a = &h * 2.0;
    let b = (&h * &h).exp().unwrap().log().unwrap();
    let y = &a + &b;
    y.backward().unwrap();
    assert_eq!(
        calls.get(),
        1,
        "the shared node's backward ran more than once"
    );
    let e = 0.5f64.exp();
    // dy/dx = (2 + 2h) * e^x with h = e^x.
    let want = (2.0 + 2.0 * e) * e;
    assert!((g(&x) - want).abs() < 1e-12, "{} != {want}", g(&x));

    // The same, through grad().
    calls.set(0);
    let gx = grad(&[&y], &[&x], None, false).unwrap()[0].clone().unwrap();
    assert_eq!(calls.get(), 1);
    assert!((val(&gx) - want).abs() < 1e-12);
}

#[test]
fn constants_get_no_gradient() {
    let x = scalar(2.0);
    let c = Variable::constant(array![5.0]);
    assert!(!c.requires_grad());
    let y = &x * &c;
    y.backward().unwrap();
    assert_eq!(g(&x), 5.0);
    assert!(c.grad().is_none());

    // requires_grad switched off on an ordinary variable.
    let k = scalar(7.0);
    k.set_requires_grad(false);
    let y = &(&x * &k) + &k;
    x.cleargrad();
    y.backward().unwrap();
    assert_eq!(g(&x), 7.0);
    assert!(k.grad().is_none());

    // Functions are told which inputs need a gradient.
    let (y, calls, needs) = probe(&[&x, &c]);
    x.cleargrad();
    y.backward().unwrap();
    assert_eq!(calls.get(), 1);
    assert_eq!(*needs.borrow(), vec![true, false]);
    assert_eq!(g(&x), 1.0);
    assert!(c.grad().is_none());

    // Only constants in: nothing is recorded, and the result is a constant
    // too (Chainer: an output requires a gradient iff some input does).
    let z = &c * &c;
    assert!(z.creator().is_none());
    assert!(
        !z.requires_grad(),
        "a function of constants requires a gradient"
    );
    let z = (&c * 2.0).exp().unwrap();
    assert!(z.creator().is_none());
    assert!(!z.requires_grad());
    let c2 = &c * 2.0;
    let y = &x * &c2;
    x.cleargrad();
    y.backward().unwrap();
    assert_eq!(g(&x), 10.0);
    assert!(
        c2.grad().is_none(),
        "a value computed from constants got a gradient"
    );
    // In no_backprop_mode, outputs of variables that require a gradient still
    // do (they only lack a creator).
    let _nb = kusari::config::no_backprop_mode();
    let w = &x * &c;
    assert!(w.creator().is_none());
    assert!(w.requires_grad());
    assert!(!(&c * &c).requires_grad());
}

#[test]
fn intermediate_gradients_dropped_unless_retained() {
    let x = Variable::new(array![0.5f64, -1.0]);
    let h = &x * 3.0;
    let e = h.exp().unwrap();
    let y = e.sum(None, false).unwrap();
    y.backward().unwrap();
    assert!(h.grad().is_none(), "an intermediate kept its gradient");
    assert!(e.grad().is_none(), "an intermediate kept its gradient");
    let want: Vec<f64> = [0.5f64, -1.0]
        .iter()
        .map(|v| 3.0 * (3.0 * v).exp())
        .collect();
    assert_eq!(vec_of(&x.grad().unwrap()), want);
    // The output keeps the gradient it started from, as in Chainer.
    assert_eq!(g(&y), 1.0);

    x.cleargrad();
    y.backward_with(true, false, None).unwrap();
    let eh: Vec<f64> = [0.5f64, -1.0].iter().map(|v| (3.0 * v).exp()).collect();
    assert_eq!(vec_of(&h.grad().unwrap()), eh);
    assert_eq!(vec_of(&e.grad().unwrap()), vec![1.0, 1.0]);
    assert_eq!(vec_of(&x.grad().unwrap()), want);
}

#[test]
fn leaf_gradients_accumulate_until_cleared() {
    let x = scalar(2.0);
    let y = &x * 3.0;
    y.backward().unwrap();
    assert_eq!(g(&x), 3.0);
    y.backward().unwrap();
    assert_eq!(g(&x), 6.0);
    // A second output adds to the same .grad.
    let z = &x * &x;
    z.backward().unwrap();
    assert_eq!(g(&x), 10.0);
    x.cleargrad();
    assert!(x.grad().is_none());
    y.backward().unwrap();
    assert_eq!(g(&x), 3.0);
    x.zerograd().unwrap();
    assert_eq!(g(&x), 0.0);
    y.backward().unwrap();
    assert_eq!(g(&x), 3.0);
    // Accumulated gradients keep the variable's dtype.
    let x = Variable::new(array![1.0f32, 2.0]);
    let y = (&x * 2.0).sum(None, false).unwrap();
    y.backward().unwrap();
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().dtype(), DType::F32);
    assert_eq!(vec_of(&x.grad().unwrap()), vec![4.0, 4.0]);
}

#[test]
fn backward_on_a_leaf_does_not_double_its_gradient() {
    // Chainer: backward on a variable without a creator does nothing.
    let x = scalar(2.0);
    x.backward().unwrap();
    assert!(
        x.grad().is_none(),
        "backward on a leaf set its gradient to {:?}",
        x.grad()
    );
    x.set_grad(Some(array![5.0]));
    x.backward().unwrap();
    assert_eq!(g(&x), 5.0, "backward on a leaf changed its gradient");
}

#[test]
fn unchain_cuts_the_graph() {
    let x = scalar(2.0);
    let y = &x * 3.0;
    let z = &y * &y; // 9x^2
    assert!(y.creator().is_some());
    y.unchain();
    assert!(y.creator().is_none());
    z.backward().unwrap();
    // y became a leaf: it gets dz/dy = 2y, x gets nothing.
    assert_eq!(g(&y), 12.0);
    assert!(x.grad().is_none());
    // z's own link is intact.
    assert!(z.creator().is_some());
}

#[test]
fn unchain_backward_cuts_everything_behind() {
    let x = scalar(2.0);
    let c = scalar(4.0);
    let y = &x * &c;
    let z = y.exp().unwrap();
    let w = (&z * 2.0).sum(None, false).unwrap();
    z.unchain_backward();
    assert!(z.creator().is_none());
    assert!(y.creator().is_none());
    // w's link to z stays; z is now a leaf.
    assert!(w.creator().is_some());
    w.backward().unwrap();
    assert_eq!(g(&z), 2.0);
    assert!(y.grad().is_none());
    assert!(x.grad().is_none());
    assert!(c.grad().is_none());
    // The graph no longer reaches x.
    let dot = computational_graph::build(&[&w]).to_dot();
    assert!(!dot.contains("Exp") && !dot.contains("\"Mul\""), "{dot}");
}

#[test]
fn backprop_modes() {
    let x = scalar(2.0);
    assert!(config::enable_backprop());
    {
        let _g = no_backprop_mode();
        assert!(!config::enable_backprop());
        let y = &x * 3.0;
        assert!(
            y.creator().is_none(),
            "no_backprop_mode recorded a function"
        );
        let y = (&x * &x).exp().unwrap();
        assert!(y.creator().is_none());
        // Backward of an unrecorded result reaches nothing.
        y.backward().unwrap();
        assert!(x.grad().is_none());
        {
            let _f = force_backprop_mode();
            assert!(config::enable_backprop());
            let z = &x * 3.0;
            assert!(z.creator().is_some(), "force_backprop_mode did not record");
            z.backward().unwrap();
            assert_eq!(g(&x), 3.0);
        }
        assert!(!config::enable_backprop());
        let w = &x * 3.0;
        assert!(w.creator().is_none());
    }
    assert!(config::enable_backprop());
    assert!((&x * 3.0).creator().is_some());

    {
        let _g = using_config(Setting::EnableBackprop, false);
        assert!((&x + 1.0).creator().is_none());
        let _t = using_config(Setting::Train, false);
        assert!(!config::train());
    }
    assert!(config::train());
    assert!(config::enable_backprop());
}

#[test]
fn grad_leaves_dot_grad_alone() {
    let x = Variable::new(array![3.0f32]);
    let y = Variable::new(array![4.0f32]);
    let z = x.pow(2.0) + 2.0 * &x * &y + &y;
    let gs = grad(&[&z], &[&x, &y], None, false).unwrap();
    assert_eq!(gs[0].as_ref().unwrap().item::<f32>().unwrap(), 14.0);
    assert_eq!(gs[1].as_ref().unwrap().item::<f32>().unwrap(), 7.0);
    assert!(x.grad().is_none() && y.grad().is_none() && z.grad().is_none());

    // Existing gradients are not changed either.
    x.set_grad(Some(array![100.0f32]));
    let gs = grad(&[&z], &[&x], None, false).unwrap();
    assert_eq!(gs[0].as_ref().unwrap().item::<f32>().unwrap(), 14.0);
    assert_eq!(g(&x), 100.0);

    // No path: None.
    let u = Variable::new(array![1.0f32]);
    assert!(grad(&[&z], &[&u], None, false).unwrap()[0].is_none());

    // Intermediate inputs: h = 2x, w = h*h: dw/dh = 2h = 12, dw/dx = 8x = 24.
    let x = scalar(3.0);
    let h = &x * 2.0;
    let w = &h * &h;
    let gs = grad(&[&w], &[&h, &x], None, false).unwrap();
    assert_eq!(val(gs[0].as_ref().unwrap()), 12.0);
    assert_eq!(val(gs[1].as_ref().unwrap()), 24.0);
    assert!(h.grad().is_none() && x.grad().is_none());

    // Several outputs: their gradients add.
    let a = &x * 2.0;
    let b = &x * &x;
    let gs = grad(&[&a, &b], &[&x], None, false).unwrap();
    assert_eq!(val(gs[0].as_ref().unwrap()), 8.0);

    // A non-scalar output needs grad_outputs.
    let v = Variable::new(array![1.0, 2.0]);
    let y = &v * 3.0;
    assert!(grad(&[&y], &[&v], None, false).is_err());
    let gy = Variable::new(array![1.0, -1.0]);
    let gs = grad(&[&y], &[&v], Some(&[&gy]), false).unwrap();
    assert_eq!(vec_of(&gs[0].as_ref().unwrap().array()), vec![3.0, -3.0]);
    assert!(v.grad().is_none());
}

#[test]
fn double_backprop_with_backward() {
    // d/dx x^3 = 3x^2 = 12, d2/dx2 = 6x = 12 at x = 2.
    let x = scalar(2.0);
    let y = x.pow(3.0);
    y.backward_with(false, true, None).unwrap();
    let gx = x.grad_var().unwrap();
    assert_eq!(val(&gx), 12.0);
    assert!(gx.creator().is_some(), "the gradient has no graph");
    x.cleargrad();
    gx.backward().unwrap();
    assert_eq!(g(&x), 12.0);

    // Third order: d3/dx3 = 6.
    x.cleargrad();
    let y = x.pow(3.0);
    y.backward_with(false, true, None).unwrap();
    let gx = x.grad_var().unwrap();
    x.cleargrad();
    gx.backward_with(false, true, None).unwrap();
    let ggx = x.grad_var().unwrap();
    assert_eq!(val(&ggx), 12.0);
    x.cleargrad();
    ggx.backward().unwrap();
    assert_eq!(g(&x), 6.0);

    // Without double backprop the gradient is a plain constant.
    x.cleargrad();
    x.pow(3.0).backward().unwrap();
    assert!(x.grad_var().unwrap().creator().is_none());
}

#[test]
fn double_backprop_with_grad() {
    let x = scalar(2.0);
    let y = x.pow(3.0);
    let g1 = grad(&[&y], &[&x], None, true).unwrap()[0].clone().unwrap();
    assert_eq!(val(&g1), 12.0);
    let g2 = grad(&[&g1], &[&x], None, true).unwrap()[0].clone().unwrap();
    assert_eq!(val(&g2), 12.0);
    let g3 = grad(&[&g2], &[&x], None, false).unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(val(&g3), 6.0);
    assert!(x.grad().is_none());

    // Mixed partials: z = x^2 y, dz/dx = 2xy, d/dy(dz/dx) = 2x.
    let y = scalar(5.0);
    let z = &x.pow(2.0) * &y;
    let gx = grad(&[&z], &[&x], None, true).unwrap()[0].clone().unwrap();
    assert_eq!(val(&gx), 20.0);
    let gxy = grad(&[&gx], &[&y], None, false).unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(val(&gxy), 4.0);

    // Through exp's retained output, after the output variable was dropped:
    // d/dx e^x = e^x and d2/dx2 = e^x.
    let x = scalar(0.5);
    let s = x.exp().unwrap().sum(None, false).unwrap(); // the Exp output is not kept
    let gx = grad(&[&s], &[&x], None, true).unwrap()[0].clone().unwrap();
    assert_close(val(&gx), 0.5f64.exp());
    let ggx = grad(&[&gx], &[&x], None, false).unwrap()[0]
        .clone()
        .unwrap();
    assert_close(val(&ggx), 0.5f64.exp());
}

#[test]
fn seed_example() {
    let x = Variable::new(array![3.0f32]);
    let y = Variable::new(array![4.0f32]);
    let z = x.pow(2.0) + 2.0 * &x * &y + &y;
    assert_eq!(z.item::<f32>().unwrap(), 37.0);
    z.backward().unwrap();
    assert_eq!(x.grad().unwrap().item::<f32>().unwrap(), 14.0);
    assert_eq!(y.grad().unwrap().item::<f32>().unwrap(), 7.0);
    assert_eq!(x.grad().unwrap().dtype(), DType::F32);
}

#[test]
fn loss_scale_multiplies_gradients() {
    let x = scalar(3.0);
    let y = &x * &x;
    y.backward_with(false, false, Some(4.0)).unwrap();
    assert_eq!(g(&x), 24.0);
    let w = Variable::new(array![1.0f32, 2.0]);
    let l = (&w * &w).sum(None, false).unwrap();
    l.backward_with(false, false, Some(0.5)).unwrap();
    assert_eq!(vec_of(&w.grad().unwrap()), vec![1.0, 2.0]);
}

#[test]
fn backward_of_non_scalar_without_grad_is_an_error() {
    let x = Variable::new(array![1.0, 2.0]);
    let y = &x * 2.0;
    let r = y.backward();
    assert!(
        r.is_err(),
        "backward of a non-scalar output without a gradient succeeded"
    );
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("non-scalar"), "{msg}");
    assert!(x.grad().is_none());
    // With the output's gradient set, it works.
    y.set_grad(Some(array![1.0, -1.0]));
    y.backward().unwrap();
    assert_eq!(vec_of(&x.grad().unwrap()), vec![2.0, -2.0]);
}

/// The identity whose backward returns a gradient of the wrong shape
/// (`wrong_count`: the wrong number of gradients).
struct BadBackward {
    wrong_count: bool,
}

impl FunctionNode for BadBackward {
    fn label(&self) -> &str {
        "BadBackward"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].clone()])
    }
    fn backward(
        &self,
        _ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        if self.wrong_count {
            Ok(vec![])
        } else {
            Ok(vec![Some(gy[0].sum(None, false)?)])
        }
    }
}

#[test]
fn errors_in_backward_are_results_and_leave_no_state() {
    for wrong_count in [false, true] {
        let x = Variable::new(array![1.0, 2.0]);
        // Two branches meet at x; one of them fails.
        let b = apply1(BadBackward { wrong_count }, &[&x]).unwrap();
        let y = (&b + &(&x * 2.0)).sum(None, false).unwrap();
        let r = y.backward();
        assert!(r.is_err(), "a bad backward was not reported");
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("BadBackward"), "{msg}");
        assert!(
            x.grad().is_none(),
            "a failed backward left a partial gradient"
        );
        assert!(grad(&[&y], &[&x], None, false).is_err());
        // Nothing stale is left on the nodes: a good graph over x works.
        let z = (&x * 3.0).sum(None, false).unwrap();
        z.backward().unwrap();
        assert_eq!(vec_of(&x.grad().unwrap()), vec![3.0, 3.0]);
    }
}

#[test]
fn grad_of_an_output_with_respect_to_itself() {
    let x = scalar(2.0);
    let y = &x * 3.0;
    let gs = grad(&[&y], &[&y, &x], None, false).unwrap();
    assert_eq!(val(gs[0].as_ref().unwrap()), 1.0);
    assert_eq!(val(gs[1].as_ref().unwrap()), 3.0);
    // A leaf with respect to itself.
    let gs = grad(&[&x], &[&x], None, false).unwrap();
    assert_eq!(val(gs[0].as_ref().unwrap()), 1.0);
}

#[test]
fn accumulated_double_backprop_gradient_is_differentiable() {
    // Two backward passes with double backprop add 3x^2 twice; the sum keeps
    // its graph: d/dx (6x^2) = 12x = 24 at x = 2.
    let x = scalar(2.0);
    let y = x.pow(3.0);
    y.backward_with(false, true, None).unwrap();
    y.backward_with(false, true, None).unwrap();
    let gx = x.grad_var().unwrap();
    assert_eq!(val(&gx), 24.0);
    x.cleargrad();
    gx.backward().unwrap();
    assert_eq!(g(&x), 24.0);
}

const LONG: usize = 100_000;

/// A chain of `LONG` operations from `x` (alternating AddConstant and a Mul
/// by a constant 1 that retains its inputs): y = x + LONG/2.
fn long_chain(x: &Variable) -> Variable {
    let one = Variable::constant(array![1.0]);
    let mut y = x.clone();
    for i in 0..LONG {
        y = if i % 2 == 0 { &y + 1.0 } else { &y * &one };
    }
    y
}

#[test]
fn long_chain_backward_then_drop() {
    let x = scalar(0.0);
    let y = long_chain(&x);
    assert_eq!(val(&y), (LONG / 2) as f64);
    assert_eq!(y.rank() as usize, LONG);
    y.backward().unwrap();
    assert_eq!(g(&x), 1.0);
    drop(y);
    // x is still usable after the graph is gone.
    assert_eq!(g(&x), 1.0);
}

#[test]
fn long_chain_dropped_without_backward() {
    let x = scalar(0.0);
    let y = long_chain(&x);
    drop(y);
    // And a chain whose leaf handle is gone too.
    let y = long_chain(&scalar(1.0));
    drop(y);
}

#[test]
fn long_chain_unchain_backward_and_graph() {
    let x = scalar(0.0);
    let y = long_chain(&x);
    let graph = computational_graph::build(&[&y]);
    assert_eq!(graph.functions.len(), LONG);
    // The chain's LONG + 1 variables and the constant `one`.
    assert_eq!(graph.variables.len(), LONG + 2);
    y.unchain_backward();
    assert!(y.creator().is_none());
    drop(y);
}

#[test]
fn long_chain_double_backprop_then_drop() {
    // y = x^LONG at x = 1 by repeated Mul: its gradient's graph and the sum of
    // LONG partial gradients at x are themselves LONG deep.
    let x = scalar(1.0);
    let mut y = x.clone();
    for _ in 1..LONG {
        y = &y * &x;
    }
    y.backward_with(false, true, None).unwrap();
    let gx = x.grad_var().unwrap();
    assert_eq!(val(&gx), LONG as f64);
    x.cleargrad();
    drop(y);
    gx.backward().unwrap();
    let n = LONG as f64;
    assert_eq!(g(&x), n * (n - 1.0));
    drop(gx);
    x.cleargrad();
}

#[test]
fn dot_output_has_labels_and_names() {
    let x = Variable::new(array![3.0f32]);
    let y = Variable::new(array![4.0f32]);
    x.set_name("x");
    y.set_name("y");
    let z = x.pow(2.0) + 2.0 * &x * &y + &y;
    z.set_name("z");
    let graph = computational_graph::build(&[&z]);
    // PowVarConst, MulConstant, Mul, Add, Add; x, y, z and four intermediates.
    assert_eq!(graph.functions.len(), 5);
    assert_eq!(graph.variables.len(), 7);
    assert_eq!(graph.edges.len(), 8 + 5);
    let dot = graph.to_dot();
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    for label in ["PowVarConst", "MulConstant", "\"Mul\"", "\"Add\""] {
        assert!(dot.contains(label), "{label} missing from\n{dot}");
    }
    for name in [
        "\"x: [1], float32\"",
        "\"y: [1], float32\"",
        "\"z: [1], float32\"",
    ] {
        assert!(dot.contains(name), "{name} missing from\n{dot}");
    }
    assert_eq!(dot.matches(" -> ").count(), 13);

    // x / c and c / x are different functions and say so.
    let q = &x / 2.0;
    let r = 2.0 / &x;
    let lq = q.creator().unwrap().label().to_string();
    let lr = r.creator().unwrap().label().to_string();
    assert_eq!(lr, "DivFromConstant");
    assert_eq!(lq, "DivConstant", "x / c is labelled {lq}");
}
