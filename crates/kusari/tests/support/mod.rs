//! Helpers shared by the connection and pooling tests: gradient checks in
//! both float dtypes and comparison with the Chainer fixtures.
#![allow(dead_code)]

use crate::common;
use kusari::array::ops::random::Generator;
use kusari::array::{s, Array, DType};
use kusari::gradient_check::{check_backward, check_double_backward, CheckOptions};
use kusari::{Result, Variable};
use serde_json::Value;

/// Float32 gets Chainer's usual float32 tolerances; float64 the defaults.
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

fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// `check_backward` and `check_double_backward` of `f` at `inputs` with
/// random output and second-order gradients.
pub fn check(name: &str, f: &dyn Fn(&[Variable]) -> Result<Vec<Variable>>, inputs: &[Array]) {
    check_with(name, f, inputs, true)
}

/// As [`check`], the double-backward check only when `double` is set.
pub fn check_with(
    name: &str,
    f: &dyn Fn(&[Variable]) -> Result<Vec<Variable>>,
    inputs: &[Array],
    double: bool,
) {
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
        .map(|x| {
            let dt = if x.dtype().is_float() {
                x.dtype()
            } else {
                dtype
            };
            rng.standard_normal(x.shape(), dt).unwrap()
        })
        .collect();
    check_backward(f, inputs, Some(&gys), &opts(dtype, seed, false))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_backward: {e}"));
    if double {
        check_double_backward(f, inputs, &gys, &ggxs, &opts(dtype, seed, true))
            .unwrap_or_else(|e| panic!("{name} ({dtype}): check_double_backward: {e}"));
    }
}

/// Random normal data of `shape`.
pub fn normal(rng: &mut Generator, shape: &[usize], dtype: DType) -> Array {
    rng.standard_normal(shape, dtype).unwrap()
}

/// The same values as a non-contiguous view: the even positions of a
/// twice as long last axis (the odd ones hold NaN, so reading them shows).
pub fn strided(a: &Array) -> Array {
    let mut long = a.shape().to_vec();
    let last = long.len() - 1;
    long[last] *= 2;
    let v = a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    let mut w = vec![f64::NAN; v.len() * 2];
    for (i, x) in v.iter().enumerate() {
        w[2 * i] = *x;
    }
    let big = Array::from_vec(w, &long)
        .unwrap()
        .astype(a.dtype())
        .unwrap();
    let view = match long.len() {
        1 => big.slice(&s![..;2]),
        2 => big.slice(&s![.., ..;2]),
        3 => big.slice(&s![.., .., ..;2]),
        4 => big.slice(&s![.., .., .., ..;2]),
        _ => big.slice(&s![.., .., .., .., ..;2]),
    }
    .unwrap();
    assert!(!view.is_c_contiguous());
    assert_eq!(view.shape(), a.shape());
    view
}

/// A Chainer fixture case: its inputs (integer ones kept as they are), kwargs,
/// outputs, output gradients and input gradients.
pub struct Case {
    pub inputs: Vec<Option<Array>>,
    pub kwargs: Value,
    pub outputs: Vec<Option<Array>>,
    pub grad_outputs: Vec<Option<Array>>,
    pub grads: Vec<Option<Array>>,
}

/// Case `name` of fixture `area`.
pub fn case(fx: &Value, name: &str) -> Case {
    let c = &fx[name];
    assert!(!c.is_null(), "fixture case {name} missing");
    Case {
        inputs: common::arrays(&c["inputs"]),
        kwargs: c["kwargs"].clone(),
        outputs: common::arrays(&c["outputs"]),
        grad_outputs: common::arrays(&c["grad_outputs"]),
        grads: common::arrays(&c["grads"]),
    }
}

/// Runs `f` on the case's inputs, backpropagates the recorded output
/// gradients and compares outputs and input gradients with Chainer's.
pub fn compare(name: &str, c: &Case, f: &dyn Fn(&[Variable]) -> Result<Vec<Variable>>) {
    let xs: Vec<Variable> = c
        .inputs
        .iter()
        .map(|a| {
            let a = a.clone().expect("input");
            if a.dtype().is_float() {
                Variable::new(a)
            } else {
                Variable::constant(a)
            }
        })
        .collect();
    let ys = f(&xs).unwrap_or_else(|e| panic!("{name}: {e}"));
    // Float64 agrees to rounding; float32 to a few ulps of the sums.
    let tol = |a: &Array| match a.dtype() {
        DType::F64 => (1e-10, 1e-8),
        _ => (1e-5, 1e-4),
    };
    for (i, (y, e)) in ys.iter().zip(&c.outputs).enumerate() {
        let e = e.as_ref().unwrap();
        let (a, r) = tol(e);
        common::assert_close(&format!("{name}: output {i}"), &y.array(), e, a, r);
    }
    let y_refs: Vec<&Variable> = ys.iter().collect();
    let gys: Vec<Variable> = c
        .grad_outputs
        .iter()
        .map(|g| Variable::constant(g.clone().expect("grad_output")))
        .collect();
    let gy_refs: Vec<&Variable> = gys.iter().collect();
    let x_refs: Vec<&Variable> = xs.iter().collect();
    let gxs = kusari::grad(&y_refs, &x_refs, Some(&gy_refs), false).unwrap();
    for (i, (g, e)) in gxs.iter().zip(&c.grads).enumerate() {
        if let Some(e) = e {
            let g = g
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: no gradient for input {i}"));
            let (a, r) = tol(e);
            common::assert_close(&format!("{name}: grad of input {i}"), &g.array(), e, a, r);
        }
    }
}

/// A kwarg as a list of integers (a scalar becomes `[v; n]`), or `default`.
pub fn ints(kw: &Value, key: &str, n: usize, default: usize) -> Vec<usize> {
    match &kw[key] {
        Value::Null => vec![default; n],
        Value::Number(v) => vec![v.as_u64().unwrap() as usize; n],
        Value::Array(a) => a.iter().map(|v| v.as_u64().unwrap() as usize).collect(),
        other => panic!("{key}: {other}"),
    }
}

/// A boolean kwarg or `default`.
pub fn flag(kw: &Value, key: &str, default: bool) -> bool {
    kw[key].as_bool().unwrap_or(default)
}
