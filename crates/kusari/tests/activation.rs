//! The activation functions: gradient checks (first and second order, float32
//! and float64, contiguous and transposed inputs), Chainer 7.8.1 fixtures
//! (`scripts/chainer_fixtures/gen_activation.py`; gelu and celu from PyTorch,
//! Chainer has neither) and errors on bad input. Inputs stay away from the
//! kinks (0 for the ReLUs, the clip edges) where differences are meaningless.

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

/// Values in [0.1, 2) with random signs: at least 0.1 from the kink at 0.
fn away_from_zero(rng: &mut Generator, shape: &[usize], dtype: DType, t: bool) -> Array {
    let m = if t {
        transposed(rng, shape, 0.1, 2.0, dtype)
    } else {
        uniform(rng, shape, 0.1, 2.0, dtype)
    };
    let s = rng.bernoulli(0.5, shape).unwrap().astype(dtype).unwrap();
    let s = s.multiply(2.0).unwrap().subtract(1.0).unwrap();
    m.multiply(&s).unwrap()
}

#[test]
fn gradients() {
    let mut rng = Generator::new(1);
    let cases: Vec<(&str, Box<Func>)> = vec![
        ("relu", u(F::relu)),
        ("sigmoid", u(F::sigmoid)),
        ("tanh", u(F::tanh)),
        ("softmax", u(|x| F::softmax(x, 1))),
        ("softmax_axis0", u(|x| F::softmax(x, 0))),
        ("log_softmax", u(|x| F::log_softmax(x, 1))),
        ("log_softmax_neg", u(|x| F::log_softmax(x, -2))),
        ("leaky_relu", u(|x| F::leaky_relu(x, 0.2))),
        ("elu", u(|x| F::elu(x, 1.0))),
        (
            "selu",
            u(|x| F::selu(x, 1.6732632423543772, 1.0507009873554805)),
        ),
        ("celu", u(|x| F::celu(x, 0.7))),
        ("clipped_relu", u(|x| F::clipped_relu(x, 1.0))),
        ("relu6", u(F::relu6)),
        ("crelu", u(|x| F::crelu(x, 1))),
        ("hard_sigmoid", u(F::hard_sigmoid)),
        ("softplus", u(|x| F::softplus(x, 1.0))),
        ("softplus_beta", u(|x| F::softplus(x, 2.0))),
        ("maxout", u(|x| F::maxout(x, 2, 0))),
        ("gelu", u(F::gelu)),
    ];
    for dtype in [DType::F32, DType::F64] {
        for t in [false, true] {
            for (name, f) in &cases {
                let mut x = away_from_zero(&mut rng, &[4, 3], dtype, t);
                if *name == "clipped_relu" || *name == "hard_sigmoid" {
                    // Keep away from the upper kinks too (1 and +-2.5).
                    x = x.multiply(0.45).unwrap();
                }
                if *name == "maxout" {
                    // Distinct values per pool so the max is unique.
                    x = Array::arange_dtype(0.0, 12.0, 1.0, dtype)
                        .unwrap()
                        .reshape_to(&[4, 3])
                        .unwrap()
                        .multiply(0.3)
                        .unwrap()
                        .subtract(&x.multiply(0.01).unwrap())
                        .unwrap();
                }
                gradcheck(&format!("{name} t={t}"), f.as_ref(), &[x]);
            }
            let x = away_from_zero(&mut rng, &[2, 3, 2], dtype, t);
            let w = uniform(&mut rng, &[3], -1.0, 1.0, dtype);
            gradcheck("prelu", b(F::prelu).as_ref(), &[x.clone(), w.clone()]);
            gradcheck("swish", b(F::swish).as_ref(), &[x, w]);
        }
    }
}

fn fixture_fn(name: &str, kwargs: &serde_json::Value) -> Box<Func> {
    let f64k = |k: &str, d: f64| kwargs.get(k).and_then(|v| v.as_f64()).unwrap_or(d);
    let axis = kwargs.get("axis").and_then(|v| v.as_i64()).unwrap_or(1) as isize;
    let base = name.split(['_']).collect::<Vec<_>>();
    let base = if name.starts_with("log_softmax") {
        "log_softmax"
    } else if name.starts_with("leaky_relu") {
        "leaky_relu"
    } else if name.starts_with("clipped_relu") {
        "clipped_relu"
    } else if name.starts_with("hard_sigmoid") {
        "hard_sigmoid"
    } else {
        base[0]
    };
    match base {
        "relu" => u(F::relu),
        "sigmoid" => u(F::sigmoid),
        "tanh" => u(F::tanh),
        "softmax" => u(move |x| F::softmax(x, axis)),
        "log_softmax" => u(move |x| F::log_softmax(x, axis)),
        "leaky_relu" => {
            let s = f64k("slope", 0.2);
            u(move |x| F::leaky_relu(x, s))
        }
        "elu" => {
            let a = f64k("alpha", 1.0);
            u(move |x| F::elu(x, a))
        }
        "selu" => u(|x| F::selu(x, 1.6732632423543772, 1.0507009873554805)),
        "celu" => {
            let a = f64k("alpha", 1.0);
            u(move |x| F::celu(x, a))
        }
        "clipped_relu" => {
            let z = f64k("z", 20.0);
            u(move |x| F::clipped_relu(x, z))
        }
        "relu6" => u(F::relu6),
        "crelu" => u(move |x| F::crelu(x, axis)),
        "prelu" => b(F::prelu),
        "hard_sigmoid" => u(F::hard_sigmoid),
        "softplus" => {
            let beta = f64k("beta", 1.0);
            u(move |x| F::softplus(x, beta))
        }
        "swish" => b(F::swish),
        "maxout" => {
            let p = kwargs["pool_size"].as_u64().unwrap() as usize;
            u(move |x| F::maxout(x, p, axis))
        }
        "gelu" => u(F::gelu),
        other => panic!("no function for fixture {other}"),
    }
}

#[test]
fn chainer_fixtures() {
    let fx = common::fixture("activation");
    let cases = fx.as_object().unwrap();
    assert!(cases.len() >= 30);
    for (name, case) in cases {
        replay(name, case, fixture_fn(name, &case["kwargs"]).as_ref());
    }
}

#[test]
fn softmax_rows_sum_to_one_and_log_softmax_is_stable() {
    let x = Variable::new(
        Array::from_vec(vec![1000.0f32, 0.0, -1000.0, 1.0, 2.0, 3.0], &[2, 3]).unwrap(),
    );
    let y = F::log_softmax(&x, 1)
        .unwrap()
        .array()
        .to_vec::<f32>()
        .unwrap();
    assert!(y.iter().all(|v| v.is_finite()));
    assert_eq!(y[0], 0.0);
    let s = F::softmax(&x, 1)
        .unwrap()
        .array()
        .sum(Some(&[1]), false)
        .unwrap();
    for v in s.to_vec::<f32>().unwrap() {
        assert!((v - 1.0).abs() < 1e-6);
    }
}

#[test]
fn bad_inputs_are_errors() {
    let i = Variable::new(Array::zeros(&[2, 3], DType::I32).unwrap());
    let x = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    for r in [
        F::relu(&i),
        F::sigmoid(&i),
        F::tanh(&i),
        F::softmax(&i, 1),
        F::elu(&i, 1.0),
        F::gelu(&i),
    ] {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("dtype"), "{e}");
    }
    assert!(F::softmax(&x, 2)
        .unwrap_err()
        .to_string()
        .contains("axis 2"));
    assert!(F::log_softmax(&x, -3).is_err());
    assert!(F::maxout(&x, 2, 1)
        .unwrap_err()
        .to_string()
        .contains("pool_size"));
    assert!(F::maxout(&x, 0, 1).is_err());
    assert!(F::crelu(&x, 2).is_err());
    let w = Variable::new(Array::zeros(&[2], DType::F32).unwrap());
    assert!(F::prelu(&x, &w)
        .unwrap_err()
        .to_string()
        .contains("W.shape"));
    assert!(F::swish(&x, &w).is_err());
    assert!(F::clipped_relu(&x, -1.0).is_err());
    assert!(F::softplus(&x, 0.0).is_err());
    assert!(F::celu(&x, 0.0).is_err());
}

#[test]
fn relu_backward_of_backward_uses_the_forward_mask() {
    let x = Variable::new(Array::from_vec(vec![-1.0f64, 2.0, -3.0, 4.0], &[4]).unwrap());
    let y = F::relu(&x).unwrap();
    let s = y.sum(None, false).unwrap();
    let gx = kusari::grad(&[&s], &[&x], None, true).unwrap();
    let gx = gx[0].clone().unwrap();
    assert_eq!(
        gx.array().to_vec::<f64>().unwrap(),
        vec![0.0, 1.0, 0.0, 1.0]
    );
}
