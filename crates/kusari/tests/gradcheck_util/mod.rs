//! Helpers of the array-function and normalization tests: gradient checks
//! with the tolerances of `functions_gradcheck.rs` (float64: Chainer's
//! defaults; float32: atol 1e-3 / rtol 1e-2), random inputs in contiguous
//! and non-contiguous layouts, and the Chainer-fixture comparison loop.
#![allow(dead_code)]

use crate::common;
use kusari::array::ops::random::Generator;
use kusari::array::{s, Array, DType};
use kusari::gradient_check::{check_backward, check_double_backward, CheckOptions};
use kusari::{Result, Variable};

/// A differentiable function of several inputs with several outputs.
pub type Func = dyn Fn(&[Variable]) -> Result<Vec<Variable>>;

/// One output of a function of one input.
pub fn f1(f: impl Fn(&Variable) -> Result<Variable> + 'static) -> Box<Func> {
    Box::new(move |v| Ok(vec![f(&v[0])?]))
}

/// One output of a function of two inputs.
pub fn f2(f: impl Fn(&Variable, &Variable) -> Result<Variable> + 'static) -> Box<Func> {
    Box::new(move |v| Ok(vec![f(&v[0], &v[1])?]))
}

/// One output of a function of three inputs.
pub fn f3(f: impl Fn(&Variable, &Variable, &Variable) -> Result<Variable> + 'static) -> Box<Func> {
    Box::new(move |v| Ok(vec![f(&v[0], &v[1], &v[2])?]))
}

fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

fn opts(dtype: DType, seed: u64, second: bool) -> CheckOptions {
    let base = if second {
        CheckOptions::double_backward()
    } else {
        CheckOptions::default()
    };
    let o = CheckOptions { seed, ..base };
    match dtype {
        DType::F32 => o.tol(1e-3, 1e-2),
        _ => o,
    }
}

/// `check_backward` and `check_double_backward` of `f` at `inputs` with
/// random output and second-order gradients.
pub fn check(name: &str, f: &Func, inputs: &[Array]) {
    let dtype = inputs[0].dtype();
    let seed = seed_of(name);
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let ys = f(&xs).unwrap_or_else(|e| panic!("{name} ({dtype}): forward failed: {e}"));
    let mut rng = Generator::new(seed);
    let gys: Vec<Array> = ys
        .iter()
        .map(|y| rng.standard_normal(&y.shape(), y.dtype()).unwrap())
        .collect();
    let ggxs: Vec<Array> = inputs
        .iter()
        .map(|x| rng.standard_normal(x.shape(), x.dtype()).unwrap())
        .collect();
    check_backward(f, inputs, Some(&gys), &opts(dtype, seed, false))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_backward: {e}"));
    check_double_backward(f, inputs, &gys, &ggxs, &opts(dtype, seed, true))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_double_backward: {e}"));
}

/// How a test input is laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Layout {
    /// Row-major contiguous.
    C,
    /// A transposed view (all axes reversed).
    T,
    /// Every other element along the first axis of a twice as long array.
    Step,
}

/// Random inputs of one dtype.
pub struct Data {
    rng: Generator,
    /// The dtype of the arrays made.
    pub dtype: DType,
}

impl Data {
    /// A generator of `dtype` arrays seeded by `name`.
    pub fn new(name: &str, dtype: DType) -> Data {
        Data {
            rng: Generator::new(seed_of(name) ^ 0x5eed),
            dtype,
        }
    }

    /// Standard-normal values of `shape` laid out as `layout`.
    pub fn normal(&mut self, shape: &[usize], layout: Layout) -> Array {
        self.dist(shape, layout, None)
    }

    /// Uniform values in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64, shape: &[usize], layout: Layout) -> Array {
        self.dist(shape, layout, Some((lo, hi)))
    }

    fn dist(&mut self, shape: &[usize], layout: Layout, range: Option<(f64, f64)>) -> Array {
        let mut raw = |s: &[usize]| match range {
            None => self.rng.standard_normal(s, self.dtype).unwrap(),
            Some((lo, hi)) => self.rng.uniform(lo, hi, s, self.dtype).unwrap(),
        };
        let a = match layout {
            Layout::C => raw(shape),
            Layout::T => {
                let rev: Vec<usize> = shape.iter().rev().copied().collect();
                raw(&rev).t()
            }
            Layout::Step => {
                let mut long = shape.to_vec();
                long[0] *= 2;
                raw(&long).slice(&s![..;2]).unwrap()
            }
        };
        assert_eq!(a.shape(), shape);
        if layout != Layout::C && a.size() > 1 {
            assert!(
                !a.is_c_contiguous(),
                "{layout:?} input must not be contiguous"
            );
        }
        a
    }
}

/// Runs every case of the fixture `area` through `func_of(name)` and
/// compares outputs and input gradients with Chainer's (`atol`, `rtol`
/// by dtype). Every case must be known to `func_of`.
pub fn compare_fixtures(
    area: &str,
    func_of: impl Fn(&str) -> Option<Box<Func>>,
    tol: impl Fn(DType) -> (f64, f64),
) {
    let fx = common::fixture(area);
    let cases = fx.as_object().expect("cases");
    assert!(!cases.is_empty());
    for (name, c) in cases {
        let f =
            func_of(name).unwrap_or_else(|| panic!("no kusari function for fixture case {name}"));
        let inputs: Vec<Array> = common::arrays(&c["inputs"])
            .into_iter()
            .map(|a| a.expect("input"))
            .collect();
        let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
        let ys = f(&xs).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outs = common::arrays(&c["outputs"]);
        assert_eq!(ys.len(), outs.len(), "{name}: number of outputs");
        let (atol, rtol) = tol(inputs[0].dtype());
        for (i, (y, e)) in ys.iter().zip(&outs).enumerate() {
            common::assert_close(
                &format!("{name} output {i}"),
                &y.array(),
                e.as_ref().unwrap(),
                atol,
                rtol,
            );
        }
        let gys: Vec<Variable> = common::arrays(&c["grad_outputs"])
            .into_iter()
            .map(|g| Variable::constant(g.expect("grad output")))
            .collect();
        let yr: Vec<&Variable> = ys.iter().collect();
        let xr: Vec<&Variable> = xs.iter().collect();
        let gr: Vec<&Variable> = gys.iter().collect();
        let gxs = kusari::grad(&yr, &xr, Some(&gr), false)
            .unwrap_or_else(|e| panic!("{name}: backward: {e}"));
        for (i, (g, e)) in gxs.iter().zip(common::arrays(&c["grads"])).enumerate() {
            match (g, e) {
                (Some(g), Some(e)) => {
                    common::assert_close(&format!("{name} grad {i}"), &g.array(), &e, atol, rtol)
                }
                (None, Some(e)) => {
                    let zero = e
                        .astype(DType::F64)
                        .unwrap()
                        .abs()
                        .unwrap()
                        .sum(None, false)
                        .unwrap()
                        .item::<f64>()
                        .unwrap();
                    assert_eq!(
                        zero, 0.0,
                        "{name} grad {i}: kusari has none, Chainer's is nonzero"
                    );
                }
                (_, None) => {}
            }
        }
    }
}
