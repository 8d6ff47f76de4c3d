//! The math functions: gradient checks (first and second order, float32 and
//! float64, contiguous and transposed inputs), Chainer 7.8.1 fixtures
//! (`scripts/chainer_fixtures/gen_math.py`) and errors on bad input. Inputs
//! stay inside each function's domain and away from its kinks.

mod common;
mod fn_check;

use fn_check::{gradcheck, replay, transposed, uniform, Func};
use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::{Result, Variable};

fn u(f: impl Fn(&Variable) -> Result<Variable> + 'static) -> Box<Func> {
    Box::new(move |v: &[Variable]| Ok(vec![f(&v[0])?]))
}
fn b(f: impl Fn(&Variable, &Variable) -> Result<Variable> + 'static) -> Box<Func> {
    Box::new(move |v: &[Variable]| Ok(vec![f(&v[0], &v[1])?]))
}

#[test]
fn unary_gradients() {
    let mut rng = Generator::new(2);
    let cases: Vec<(&str, Box<Func>, f64, f64)> = vec![
        ("log1p", u(F::log1p), 0.1, 2.0),
        ("log2", u(F::log2), 0.5, 2.0),
        ("log10", u(F::log10), 0.5, 2.0),
        ("expm1", u(F::expm1), -2.0, 2.0),
        ("sqrt", u(F::sqrt), 0.5, 2.0),
        ("rsqrt", u(F::rsqrt), 0.5, 2.0),
        ("square", u(F::square), -2.0, 2.0),
        ("absolute", u(F::absolute), 0.2, 2.0),
        ("sin", u(F::sin), -2.0, 2.0),
        ("cos", u(F::cos), -2.0, 2.0),
        ("tan", u(F::tan), -1.0, 1.0),
        ("arcsin", u(F::arcsin), -0.8, 0.8),
        ("arccos", u(F::arccos), -0.8, 0.8),
        ("arctan", u(F::arctan), -2.0, 2.0),
        ("sinh", u(F::sinh), -2.0, 2.0),
        ("cosh", u(F::cosh), -2.0, 2.0),
        ("erf", u(F::erf), -2.0, 2.0),
        ("lgamma", u(F::lgamma), 0.5, 4.0),
        ("identity", u(F::identity), -2.0, 2.0),
        ("clip", u(|x| F::clip(x, -1.0, 1.5)), -0.9, 1.4),
        ("max", u(|x| F::max(x, Some(&[1]), false)), -2.0, 2.0),
        ("min_keep", u(|x| F::min(x, Some(&[0]), true)), -2.0, 2.0),
        ("mean", u(|x| F::mean(x, Some(&[0]), false)), -2.0, 2.0),
        ("prod", u(|x| F::prod(x, Some(&[1]), false)), 0.5, 2.0),
        ("cumsum", u(|x| F::cumsum(x, Some(1))), -2.0, 2.0),
        ("cumsum_flat", u(|x| F::cumsum(x, None)), -2.0, 2.0),
        (
            "logsumexp",
            u(|x| F::logsumexp(x, Some(&[1]), false)),
            -2.0,
            2.0,
        ),
        (
            "logsumexp_all",
            u(|x| F::logsumexp(x, None, true)),
            -2.0,
            2.0,
        ),
        (
            "inv",
            u(|x| {
                F::inv(
                    &(x + &Variable::constant(
                        Array::eye(3, None, 0, x.dtype())
                            .unwrap()
                            .multiply(3.0)
                            .unwrap(),
                    )),
                )
            }),
            -1.0,
            1.0,
        ),
        (
            "det",
            u(|x| {
                F::det(
                    &(x + &Variable::constant(
                        Array::eye(3, None, 0, x.dtype())
                            .unwrap()
                            .multiply(3.0)
                            .unwrap(),
                    )),
                )
            }),
            -1.0,
            1.0,
        ),
    ];
    for dtype in [DType::F32, DType::F64] {
        for t in [false, true] {
            for (name, f, lo, hi) in &cases {
                let x = if t {
                    transposed(&mut rng, &[3, 3], *lo, *hi, dtype)
                } else {
                    uniform(&mut rng, &[3, 3], *lo, *hi, dtype)
                };
                let x = if *name == "absolute" {
                    // Both signs, away from 0.
                    let s = Array::from_vec(vec![1.0, -1.0, 1.0], &[3])
                        .unwrap()
                        .astype(dtype)
                        .unwrap();
                    x.multiply(&s).unwrap()
                } else {
                    x
                };
                gradcheck(&format!("{name} t={t}"), f.as_ref(), &[x]);
            }
        }
    }
}

#[test]
fn binary_gradients() {
    let mut rng = Generator::new(3);
    for dtype in [DType::F32, DType::F64] {
        let x = uniform(&mut rng, &[3, 4], -2.0, 2.0, dtype);
        // Shifted so no pair is within 0.1 of a tie.
        let y = x
            .add(
                &rng.bernoulli(0.5, &[3, 4])
                    .unwrap()
                    .astype(dtype)
                    .unwrap()
                    .multiply(1.0)
                    .unwrap()
                    .subtract(0.5)
                    .unwrap(),
            )
            .unwrap();
        gradcheck("maximum", b(F::maximum).as_ref(), &[x.clone(), y.clone()]);
        gradcheck("minimum", b(F::minimum).as_ref(), &[x.clone(), y.clone()]);
        gradcheck("arctan2", b(F::arctan2).as_ref(), &[x.clone(), y]);
        let d = uniform(&mut rng, &[3, 4], 0.7, 1.3, dtype);
        let n = uniform(&mut rng, &[3, 4], 0.1, 0.6, dtype);
        gradcheck("fmod", b(F::fmod).as_ref(), &[n, d]);
        let p = uniform(&mut rng, &[3, 4], 0.0, 1.0, dtype);
        let z = uniform(&mut rng, &[3, 4], -1.0, 1.0, dtype);
        gradcheck(
            "linear_interpolate",
            &|v: &[Variable]| Ok(vec![F::linear_interpolate(&v[0], &v[1], &v[2])?]),
            &[p, x.clone(), z],
        );
        let x3 = uniform(&mut rng, &[2, 3, 4], -1.0, 1.0, dtype);
        let w = uniform(&mut rng, &[3], -1.0, 1.0, dtype);
        let w4 = uniform(&mut rng, &[4], 0.5, 2.0, dtype);
        gradcheck(
            "bias",
            b(|a, c| F::bias(a, c, 1)).as_ref(),
            &[x3.clone(), w.clone()],
        );
        gradcheck(
            "scale",
            b(|a, c| F::scale(a, c, 1)).as_ref(),
            &[x3.clone(), w],
        );
        gradcheck(
            "average",
            b(|a, c| F::average(a, Some(2), Some(c), false)).as_ref(),
            &[x3.clone(), w4],
        );
        let a = transposed(&mut rng, &[3, 2], -1.0, 1.0, dtype);
        let c = uniform(&mut rng, &[3, 4], -1.0, 1.0, dtype);
        gradcheck(
            "matmul_with",
            b(|a, c| F::matmul_with(a, c, true, false)).as_ref(),
            &[a.clone(), c.clone()],
        );
        gradcheck(
            "matmul_tb",
            b(|a, c| F::matmul_with(a, c, true, true)).as_ref(),
            &[a, c.t()],
        );
        let bm = uniform(&mut rng, &[2, 4], -1.0, 1.0, dtype);
        gradcheck(
            "batch_matmul",
            b(|a, c| F::batch_matmul(a, c, false, false)).as_ref(),
            &[x3.clone(), bm],
        );
        let y3 = uniform(&mut rng, &[4, 3, 2], -1.0, 1.0, dtype);
        gradcheck(
            "tensordot",
            b(|a, c| F::tensordot(a, c, &[1, 2], &[1, 0])).as_ref(),
            &[x3.clone(), y3.clone()],
        );
        gradcheck(
            "einsum",
            b(|a, c| F::einsum("ijk,kjl->il", &[a, c])).as_ref(),
            &[x3.clone(), y3],
        );
        let v = uniform(&mut rng, &[5], -1.0, 1.0, dtype);
        gradcheck(
            "einsum_sum_only",
            b(|a, c| F::einsum("ijk,m->ij", &[a, c])).as_ref(),
            &[x3, v],
        );
    }
}

fn fixture_fn(name: &str, kw: &serde_json::Value) -> Box<Func> {
    let axes: Option<Vec<isize>> = kw.get("axis").and_then(|a| {
        if a.is_null() {
            None
        } else if let Some(v) = a.as_array() {
            Some(v.iter().map(|x| x.as_i64().unwrap() as isize).collect())
        } else {
            Some(vec![a.as_i64().unwrap() as isize])
        }
    });
    let keep = kw
        .get("keepdims")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let base = name
        .trim_end_matches("_float32")
        .trim_end_matches("_float64");
    macro_rules! red {
        ($f:path) => {{
            let axes = axes.clone();
            u(move |x| $f(x, axes.as_deref(), keep))
        }};
    }
    match base {
        "log1p" => u(F::log1p),
        "log2" => u(F::log2),
        "log10" => u(F::log10),
        "expm1" => u(F::expm1),
        "sqrt" => u(F::sqrt),
        "rsqrt" => u(F::rsqrt),
        "square" => u(F::square),
        "absolute" => u(F::absolute),
        "sin" => u(F::sin),
        "cos" => u(F::cos),
        "tan" => u(F::tan),
        "arcsin" => u(F::arcsin),
        "arccos" => u(F::arccos),
        "arctan" => u(F::arctan),
        "sinh" => u(F::sinh),
        "cosh" => u(F::cosh),
        "erf" => u(F::erf),
        "identity" => u(F::identity),
        "sign" => u(F::sign),
        "floor" => u(F::floor),
        "ceil" => u(F::ceil),
        "clip" => u(|x| F::clip(x, -1.0, 0.5)),
        "maximum" => b(F::maximum),
        "minimum" => b(F::minimum),
        "arctan2" => b(F::arctan2),
        "fmod" => b(F::fmod),
        "linear_interpolate" => {
            Box::new(|v: &[Variable]| Ok(vec![F::linear_interpolate(&v[0], &v[1], &v[2])?]))
        }
        "bias" => b(|x, y| F::bias(x, y, 1)),
        "scale_axis2" => b(|x, y| F::scale(x, y, 2)),
        "max" | "max_all" => red!(F::max),
        "min_keepdims" => red!(F::min),
        "mean" => red!(F::mean),
        "sum_keepdims" => red!(F::sum),
        "prod" | "prod_zero" => red!(F::prod),
        "logsumexp" | "logsumexp_all" => red!(F::logsumexp),
        "average_weights" => b(|x, w| F::average(x, Some(1), Some(w), false)),
        "average_full_weights" => b(|x, w| F::average(x, None, Some(w), false)),
        "cumsum" => u(|x| F::cumsum(x, Some(1))),
        "cumsum_none" => u(|x| F::cumsum(x, None)),
        "matmul_ta" => b(|a, c| F::matmul_with(a, c, true, false)),
        "matmul_tb" => b(|a, c| F::matmul_with(a, c, false, true)),
        "batch_matmul" => b(|a, c| F::batch_matmul(a, c, false, false)),
        "tensordot" => b(|a, c| F::tensordot(a, c, &[1, 2], &[1, 0])),
        "einsum" => b(|a, c| F::einsum("ij,jk->ik", &[a, c])),
        "einsum_batch" => b(|a, c| F::einsum("bij,bkj->bik", &[a, c])),
        "einsum_sum_only" => b(|a, c| F::einsum("ij,k->i", &[a, c])),
        "det" => u(F::det),
        "inv" => u(F::inv),
        other => panic!("no function for fixture {other}"),
    }
}

#[test]
fn chainer_fixtures() {
    let fx = common::fixture("math");
    let cases = fx.as_object().unwrap();
    assert!(cases.len() >= 60);
    for (name, case) in cases {
        replay(name, case, fixture_fn(name, &case["kwargs"]).as_ref());
    }
}

#[test]
fn lgamma_and_argmax_values() {
    let x = Variable::new(Array::from_vec(vec![0.5f64, 1.0, 5.0], &[3]).unwrap());
    let y = F::lgamma(&x).unwrap().array().to_vec::<f64>().unwrap();
    assert!(
        (y[0] - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14
            && y[1].abs() < 1e-15
            && (y[2] - 24f64.ln()).abs() < 1e-13
    );
    let a = Variable::new(Array::from_vec(vec![1.0f32, 3.0, 2.0, 5.0, 4.0, 0.0], &[2, 3]).unwrap());
    let i = F::argmax(&a, Some(1)).unwrap();
    assert_eq!(i.dtype(), DType::I32);
    assert_eq!(i.array().to_vec::<i32>().unwrap(), vec![1, 0]);
    assert_eq!(
        F::argmin(&a, None)
            .unwrap()
            .array()
            .to_vec::<i32>()
            .unwrap(),
        vec![5]
    );
    assert!(!i.requires_grad());
}

#[test]
fn bad_inputs_are_errors() {
    let i = Variable::new(Array::zeros(&[2, 3], DType::I64).unwrap());
    let x = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let y = Variable::new(Array::zeros(&[3, 2], DType::F32).unwrap());
    let d = Variable::new(Array::zeros(&[2, 3], DType::F64).unwrap());
    assert!(F::sqrt(&i).unwrap_err().to_string().contains("x.dtype"));
    assert!(F::maximum(&x, &y)
        .unwrap_err()
        .to_string()
        .contains("shape"));
    assert!(F::maximum(&x, &d)
        .unwrap_err()
        .to_string()
        .contains("dtype"));
    assert!(F::clip(&x, 1.0, 0.0).is_err());
    assert!(matches!(
        F::max(&x, Some(&[2]), false),
        Err(kusari::Error::Axis { .. })
    ));
    assert!(F::sum(&x, Some(&[0]), false).is_ok());
    assert!(F::matmul_with(&x, &x, false, false).is_err());
    assert!(F::matmul_with(&x, &x, false, true).is_ok());
    assert!(F::tensordot(&x, &x, &[0], &[1]).is_err());
    assert!(F::einsum("ij,jk", &[&x]).is_err());
    assert!(F::einsum("i...,j", &[&x, &x]).is_err());
    assert!(F::inv(&x).unwrap_err().to_string().contains("shape"));
    let s = Variable::new(Array::zeros(&[2, 2], DType::F64).unwrap());
    assert!(F::inv(&s).unwrap_err().to_string().contains("singular"));
    let w = Variable::new(Array::ones(&[2], DType::F32).unwrap());
    assert!(F::average(&x, Some(1), Some(&w), false).is_err());
    assert!(F::bias(&x, &w, 1).is_err());
}
