//! Aggressive buffer release (Chainer's): a recorded function keeps only the
//! arrays its backward needs. Arrays are copy-on-write handles over shared
//! storage, so a `probe` clone of an input array is unique exactly when
//! nothing else (in particular, no graph node) holds that storage.

use kusari::array::{Array, DType};
use kusari::config::no_backprop_mode;
use kusari::functions as F;
use kusari::{Result, Variable};

const N: usize = 100_000;

/// A large array with storage of its own, and a probe sharing it.
fn big(fill: f64) -> (Array, Array) {
    let a = Array::full(&[N], fill, DType::F32).unwrap();
    assert!(a.is_unique());
    let probe = a.clone();
    assert!(!probe.is_unique());
    (a, probe)
}

type Unary = fn(&Variable, &Variable) -> Result<Variable>;

/// Functions of `x` (and a second variable `c`) whose backward needs neither
/// `x`'s array nor an output that shares it.
fn releasing() -> Vec<(&'static str, Unary)> {
    vec![
        ("add x + c", |x, c| F::add(x, c)),
        ("add c + x", |x, c| F::add(c, x)),
        ("sub x - c", |x, c| F::sub(x, c)),
        ("sub c - x", |x, c| F::sub(c, x)),
        ("neg", |x, _| F::neg(x)),
        ("add_constant", |x, _| F::add_constant(x, 2.0)),
        ("rsub_constant", |x, _| F::rsub_constant(x, 2.0)),
        ("mul_constant", |x, _| F::mul_constant(x, 2.0)),
        ("div_constant", |x, _| F::div_constant(x, 2.0)),
        ("sum", |x, _| F::sum(x, None, false)),
        ("sum_to", |x, _| {
            F::sum_to(&F::reshape(x, &[10, N / 10])?, &[1, N / 10])
        }),
        ("broadcast_to", |x, _| F::broadcast_to(x, &[2, N])),
        ("reshape", |x, _| F::reshape(x, &[N / 10, 10])),
        ("transpose", |x, _| {
            F::transpose(&F::reshape(x, &[N / 10, 10])?, None)
        }),
        // Through the operators.
        ("operator x + c", |x, c| Ok(x + c)),
        ("operator 1 - x", |x, _| Ok(1.0 - x)),
        ("operator -x", |x, _| Ok(-x)),
        ("operator x * 3", |x, _| Ok(x * 3.0)),
    ]
}

/// Functions whose backward needs `x`'s array.
fn retaining() -> Vec<(&'static str, Unary)> {
    vec![
        ("mul x * c", |x, c| F::mul(x, c)),
        ("mul c * x", |x, c| F::mul(c, x)),
        ("div x / c", |x, c| F::div(x, c)),
        ("div c / x", |x, c| F::div(c, x)),
        ("pow x ** c", |x, c| F::pow(x, c)),
        ("pow c ** x", |x, c| F::pow(c, x)),
        ("pow_constant", |x, _| F::pow_constant(x, 2.0)),
        ("rdiv_constant", |x, _| F::rdiv_constant(x, 2.0)),
        ("log", |x, _| F::log(x)),
        ("matmul", |x, c| {
            F::matmul(
                &F::reshape(x, &[10, N / 10])?,
                &F::reshape(c, &[N / 10, 10])?,
            )
        }),
        ("operator x * c", |x, c| Ok(x * c)),
        ("operator x / c", |x, c| Ok(x / c)),
    ]
}

#[test]
fn forward_of_add_releases_its_input() {
    let (a, probe) = big(1.0);
    let c = Variable::new(Array::full(&[N], 2.0, DType::F32).unwrap());
    let x = Variable::new(a);
    let y = &x + &c;
    assert!(y.creator().is_some(), "the graph was not recorded");
    assert!(!probe.is_unique()); // x still holds it
    drop(x);
    assert!(
        probe.is_unique(),
        "Add kept its input's array although its backward does not need it"
    );
    // The graph is alive and still computes gradients.
    y.set_grad(Some(Array::ones(&[N], DType::F32).unwrap()));
    y.backward().unwrap();
    assert_eq!(c.grad().unwrap().to_vec::<f32>().unwrap(), vec![1.0; N]);
    assert!(probe.is_unique());
}

#[test]
fn forward_of_mul_retains_its_inputs_until_the_graph_goes() {
    let (a, probe) = big(1.0);
    let (b, cprobe) = big(2.0);
    let c = Variable::new(b);
    let x = Variable::new(a);
    let y = &x * &c;
    drop(x);
    assert!(
        !probe.is_unique(),
        "Mul released an input its backward needs"
    );
    // The retained array serves backward: dy/dc = x = 1.
    y.set_grad(Some(Array::ones(&[N], DType::F32).unwrap()));
    y.backward().unwrap();
    assert_eq!(c.grad().unwrap().to_vec::<f32>().unwrap(), vec![1.0; N]);
    assert!(!probe.is_unique());
    drop(y);
    assert!(probe.is_unique(), "the graph's arrays outlived it");
    drop(c);
    assert!(cprobe.is_unique());
}

#[test]
fn releasing_functions_keep_nothing_of_their_input() {
    for (name, f) in releasing() {
        let (a, probe) = big(1.5);
        let c = Variable::new(Array::full(&[N], 0.5, DType::F32).unwrap());
        let x = Variable::new(a);
        let y = f(&x, &c).unwrap();
        // A following function that keeps nothing, so an output that is a
        // view of x (reshape, transpose, broadcast_to) can be dropped too.
        let z = F::mul_constant(&y, 2.0).unwrap();
        assert!(z.creator().is_some(), "{name}: not recorded");
        drop(x);
        drop(y);
        assert!(probe.is_unique(), "{name}: the graph kept x's array");
    }
}

#[test]
fn retaining_functions_keep_their_input_while_the_graph_lives() {
    for (name, f) in retaining() {
        let (a, probe) = big(1.5);
        let c = Variable::new(Array::full(&[N], 0.5, DType::F32).unwrap());
        let x = Variable::new(a);
        let y = f(&x, &c).unwrap();
        drop(x);
        assert!(
            !probe.is_unique(),
            "{name}: released an input backward needs"
        );
        drop(y);
        assert!(probe.is_unique(), "{name}: the array outlived the graph");
    }
}

#[test]
fn exp_retains_its_output_not_its_input() {
    let (a, xprobe) = big(0.25);
    let x = Variable::new(a);
    let y = x.exp().unwrap();
    let yprobe = y.array();
    let s = y.sum(None, false).unwrap(); // keeps the Exp call alive
    drop(x);
    assert!(xprobe.is_unique(), "Exp kept its input");
    drop(y);
    assert!(
        !yprobe.is_unique(),
        "Exp released the output its backward needs"
    );
    drop(s);
    assert!(yprobe.is_unique(), "Exp's output outlived the graph");

    // Backward works from the retained output after the user dropped it.
    let x = Variable::new(Array::full(&[N], 0.25, DType::F32).unwrap());
    let s = x.exp().unwrap().sum(None, false).unwrap();
    s.backward().unwrap();
    let want = 0.25f32.exp();
    assert!(x
        .grad()
        .unwrap()
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .all(|&g| g == want));
}

#[test]
fn no_backprop_mode_retains_nothing() {
    let (a, probe) = big(1.0);
    let c = Variable::new(Array::full(&[N], 2.0, DType::F32).unwrap());
    let x = Variable::new(a);
    let _g = no_backprop_mode();
    let y = &x * &c;
    let z = (&x + 1.0).exp().unwrap();
    drop(x);
    assert!(probe.is_unique(), "no_backprop_mode kept an input");
    assert!(y.creator().is_none() && z.creator().is_none());
}

#[test]
fn unchain_backward_releases_retained_arrays() {
    let (a, probe) = big(1.0);
    let c = Variable::new(Array::full(&[N], 2.0, DType::F32).unwrap());
    let x = Variable::new(a);
    let y = &x * &c;
    let z = y.log().unwrap();
    drop(x);
    drop(y);
    assert!(!probe.is_unique());
    z.unchain_backward();
    assert!(
        probe.is_unique(),
        "unchain_backward left the graph's arrays alive"
    );
}

#[test]
fn double_backprop_with_grad_releases_everything() {
    let (a, probe) = big(1.5);
    let x = Variable::new(a);
    let y = x.pow(3.0).sum(None, false).unwrap();
    let gx = kusari::grad(&[&y], &[&x], None, true).unwrap()[0]
        .clone()
        .unwrap();
    assert!(gx.creator().is_some());
    drop(y);
    drop(x);
    assert!(!probe.is_unique(), "the gradient's graph needs x");
    drop(gx);
    assert!(
        probe.is_unique(),
        "grad() with double backprop leaked the graph"
    );
}

#[test]
fn double_backprop_with_backward_releases_after_cleargrad() {
    // x.grad holds a graph that holds x's node: cleargrad breaks that cycle.
    let (a, probe) = big(1.5);
    let x = Variable::new(a);
    let y = x.pow(3.0).sum(None, false).unwrap();
    y.backward_with(false, true, None).unwrap();
    drop(y);
    x.cleargrad();
    drop(x);
    assert!(probe.is_unique(), "the graph outlived cleargrad and drop");
}

/// Known limitation (the same as PyTorch's `backward(create_graph=True)`):
/// a leaf's `.grad` computed with double backprop holds a graph that holds
/// the leaf's own node, an `Rc` cycle, so dropping the variable without
/// `cleargrad` leaks the node, the gradient's graph and the arrays it
/// retained (here x's data). `grad(.., true)` has no such cycle.
#[test]
#[ignore = "known leak: backward_with(_, true, _) makes x -> x.grad -> graph -> x an Rc cycle"]
fn double_backprop_with_backward_releases_on_drop() {
    let (a, probe) = big(1.5);
    let x = Variable::new(a);
    let y = x.pow(3.0).sum(None, false).unwrap();
    y.backward_with(false, true, None).unwrap();
    drop(y);
    drop(x);
    assert!(probe.is_unique(), "x, its gradient and their graph leaked");
}
