//! The loss functions: Chainer 7.8.1 fixtures (forward values and input
//! gradients), gradient checks (first and second order, float32 and
//! float64, contiguous and strided inputs) and error messages.
//!
//! Tolerances: fixtures are float32 computed by Chainer in float32 while the
//! kernels accumulate in float64, so 1e-5 absolute / 1e-4 relative. Gradient
//! checks use Chainer's defaults for float64 and atol 1e-3 / rtol 1e-2 for
//! float32 (numerical differences are always taken in float64). Inputs keep
//! away from the kinks of the piecewise losses by more than the check's step.

mod common;

use common::{array, arrays, assert_close, fixture, json_f64};
use kusari::array::ops::random::Generator;
use kusari::array::{s, Array, DType};
use kusari::functions::{self as F, HingeNorm, Reduce, SoftTargetLoss, SoftmaxCrossEntropyOptions};
use kusari::gradient_check::{check_backward, check_double_backward, CheckOptions};
use kusari::{Result, Variable};
use serde_json::Value;

// ---------------------------------------------------------------- fixtures

fn reduce_of(case: &Value, default: Reduce) -> Reduce {
    case["kwargs"]["reduce"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .unwrap_or(default)
}

/// Runs the kusari function named by the fixture case on `v`.
fn run_case(name: &str, case: &Value, v: &[Variable]) -> Result<Variable> {
    let kw = &case["kwargs"];
    let f = |k: &str, d: f64| kw.get(k).map(json_f64).unwrap_or(d);
    if name.starts_with("sce") {
        let opts = SoftmaxCrossEntropyOptions {
            normalize: kw["normalize"].as_bool().unwrap_or(true),
            class_weight: common::opt_array(&kw["class_weight"]),
            ignore_label: kw["ignore_label"].as_i64().unwrap_or(-1),
            reduce: reduce_of(case, Reduce::Mean),
            soft_target_loss: match kw["soft_target_loss"].as_str() {
                Some("kl-divergence") => SoftTargetLoss::KlDivergence,
                _ => SoftTargetLoss::CrossEntropy,
            },
            ..Default::default()
        };
        return F::softmax_cross_entropy_with(&v[0], &v[1], &opts);
    }
    if name.starts_with("sigmoid_ce") {
        let normalize = kw["normalize"].as_bool().unwrap_or(true);
        return F::sigmoid_cross_entropy(&v[0], &v[1], normalize, reduce_of(case, Reduce::Mean));
    }
    if name.starts_with("huber") {
        let r = reduce_of(case, Reduce::SumAlongSecondAxis);
        return F::huber_loss(&v[0], &v[1], f("delta", 1.0), r);
    }
    if name.starts_with("hinge") {
        let norm = match kw["norm"].as_str() {
            Some("L2") => HingeNorm::L2,
            _ => HingeNorm::L1,
        };
        return F::hinge(&v[0], &v[1], norm, reduce_of(case, Reduce::Mean));
    }
    if name.starts_with("contrastive") {
        return F::contrastive(
            &v[0],
            &v[1],
            &v[2],
            f("margin", 1.0),
            reduce_of(case, Reduce::Mean),
        );
    }
    if name.starts_with("triplet") {
        return F::triplet(
            &v[0],
            &v[1],
            &v[2],
            f("margin", 0.2),
            reduce_of(case, Reduce::Mean),
        );
    }
    if name.starts_with("gaussian_kl") {
        return F::gaussian_kl_divergence(&v[0], &v[1], reduce_of(case, Reduce::Sum));
    }
    if name.starts_with("gaussian_nll") {
        return F::gaussian_nll(&v[0], &v[1], &v[2], reduce_of(case, Reduce::Sum));
    }
    if name.starts_with("bernoulli_nll") {
        return F::bernoulli_nll(&v[0], &v[1], reduce_of(case, Reduce::Sum));
    }
    if name.starts_with("ctc") {
        let (xs, t) = v.split_at(v.len() - 1);
        let xs: Vec<&Variable> = xs.iter().collect();
        return F::connectionist_temporal_classification(
            &xs,
            &t[0],
            0,
            common::opt_array(&kw["input_length"]).as_ref(),
            common::opt_array(&kw["label_length"]).as_ref(),
            reduce_of(case, Reduce::Mean),
        );
    }
    match name {
        "mean_squared_error" => F::mean_squared_error(&v[0], &v[1]),
        "mean_absolute_error" => F::mean_absolute_error(&v[0], &v[1]),
        "squared_error" => F::squared_error(&v[0], &v[1]),
        "absolute_error" => F::absolute_error(&v[0], &v[1]),
        _ => panic!("no kusari function for fixture case {name}"),
    }
}

#[test]
fn matches_chainer() {
    let fx = fixture("loss");
    let cases = fx.as_object().unwrap();
    assert!(cases.len() >= 43);
    for (name, case) in cases {
        let inputs: Vec<Array> = arrays(&case["inputs"])
            .into_iter()
            .map(Option::unwrap)
            .collect();
        let vars: Vec<Variable> = inputs
            .iter()
            .map(|a| {
                if a.dtype().is_float() {
                    Variable::new(a.clone())
                } else {
                    Variable::constant(a.clone())
                }
            })
            .collect();
        let y = run_case(name, case, &vars).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = array(&case["outputs"][0]);
        assert_close(&format!("{name} forward"), &y.array(), &want, 1e-5, 1e-4);
        y.set_grad(Some(array(&case["grad_outputs"][0])));
        y.backward()
            .unwrap_or_else(|e| panic!("{name}: backward: {e}"));
        for (i, (v, g)) in vars.iter().zip(arrays(&case["grads"])).enumerate() {
            if let Some(g) = g {
                let got = v
                    .grad()
                    .unwrap_or_else(|| panic!("{name}: no gradient for input {i}"));
                assert_close(&format!("{name} grad {i}"), &got, &g, 1e-5, 1e-4);
            }
        }
    }
}

// --------------------------------------------------------- gradient checks

const DTYPES: [DType; 2] = [DType::F32, DType::F64];

fn opts(dtype: DType, seed: u64, double: bool) -> CheckOptions {
    let base = if double {
        CheckOptions::double_backward()
    } else {
        CheckOptions::default()
    };
    let o = CheckOptions { seed, ..base };
    if dtype == DType::F32 {
        o.tol(1e-3, 1e-2)
    } else {
        o
    }
}

type Func = dyn Fn(&[Variable]) -> Result<Vec<Variable>>;

/// `check_backward` and `check_double_backward` of `f` at `inputs` (integer
/// inputs are labels: no direction, zero second-order gradients).
fn check(name: &str, f: &Func, inputs: &[Array]) {
    let dtype = inputs[0].dtype();
    let seed = name
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let ys = f(&xs).unwrap_or_else(|e| panic!("{name} ({dtype}): forward: {e}"));
    let mut rng = Generator::new(seed);
    let gys: Vec<Array> = ys
        .iter()
        .map(|y| rng.standard_normal(&y.shape(), y.dtype()).unwrap())
        .collect();
    let ggxs: Vec<Array> = inputs
        .iter()
        .map(|x| {
            if x.dtype().is_float() {
                rng.standard_normal(x.shape(), x.dtype()).unwrap()
            } else {
                Array::zeros(x.shape(), x.dtype()).unwrap()
            }
        })
        .collect();
    check_backward(f, inputs, Some(&gys), &opts(dtype, seed, false))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_backward: {e}"));
    check_double_backward(f, inputs, &gys, &ggxs, &opts(dtype, seed, true))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_double_backward: {e}"));
}

fn normal(rng: &mut Generator, shape: &[usize], dtype: DType) -> Array {
    rng.standard_normal(shape, dtype).unwrap()
}

fn uniform(rng: &mut Generator, lo: f64, hi: f64, shape: &[usize], dtype: DType) -> Array {
    rng.uniform(lo, hi, shape, dtype).unwrap()
}

/// A non-contiguous view of `shape`: every other row of a twice as long array.
fn stepped(rng: &mut Generator, shape: &[usize], dtype: DType) -> Array {
    let mut long = shape.to_vec();
    long[0] *= 2;
    let a = normal(rng, &long, dtype).slice(&s![..;2]).unwrap();
    assert!(!a.is_c_contiguous());
    a
}

/// A transposed (F-ordered) view of `shape` (2-d).
fn transposed(rng: &mut Generator, shape: &[usize], dtype: DType) -> Array {
    normal(rng, &[shape[1], shape[0]], dtype).t()
}

fn labels(v: &[i64], shape: &[usize]) -> Array {
    Array::from_vec(v.to_vec(), shape)
        .unwrap()
        .astype(DType::I32)
        .unwrap()
}

#[test]
fn softmax_cross_entropy_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(1);
        let t = labels(&[2, -1, 0, 3], &[4]);
        for (tag, x) in [
            ("c", normal(&mut rng, &[4, 5], dtype)),
            ("t", transposed(&mut rng, &[4, 5], dtype)),
            ("step", stepped(&mut rng, &[4, 5], dtype)),
        ] {
            let f = |v: &[Variable]| Ok(vec![F::softmax_cross_entropy(&v[0], &v[1])?]);
            check(&format!("sce {tag}"), &f, &[x.clone(), t.clone()]);
        }
        let x = normal(&mut rng, &[4, 5], dtype);
        let w = Array::from_vec(vec![0.5, 1.0, 2.0, 1.5, 0.2], &[5])
            .unwrap()
            .astype(dtype)
            .unwrap();
        for (normalize, reduce, cache, smooth) in [
            (true, Reduce::No, true, 0.0),
            (false, Reduce::Mean, false, 0.0),
            (true, Reduce::Mean, true, 0.1),
            (true, Reduce::No, false, 0.2),
        ] {
            let o = SoftmaxCrossEntropyOptions {
                normalize,
                reduce,
                cache_score: cache,
                class_weight: Some(w.clone()),
                label_smoothing: smooth,
                ..Default::default()
            };
            let f =
                move |v: &[Variable]| Ok(vec![F::softmax_cross_entropy_with(&v[0], &v[1], &o)?]);
            check(
                &format!("sce {normalize} {reduce:?} {cache} {smooth}"),
                &f,
                &[x.clone(), t.clone()],
            );
        }
        // Class axis in the middle: (n, c, d).
        let x3 = normal(&mut rng, &[2, 3, 4], dtype);
        let t3 = labels(&[0, 2, -1, 1, 1, 1, 0, 2], &[2, 4]);
        let f = |v: &[Variable]| Ok(vec![F::softmax_cross_entropy(&v[0], &v[1])?]);
        check("sce nd", &f, &[x3.clone(), t3.clone()]);
        let o = SoftmaxCrossEntropyOptions {
            reduce: Reduce::No,
            ..Default::default()
        };
        let f = move |v: &[Variable]| Ok(vec![F::softmax_cross_entropy_with(&v[0], &v[1], &o)?]);
        check("sce nd no", &f, &[x3, t3]);
    }
}

#[test]
fn softmax_cross_entropy_soft_target_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(3);
        // Targets that do not sum to 1 too: the gradient is the true one.
        let t = uniform(&mut rng, 0.0, 1.0, &[4, 5], dtype);
        let t3 = uniform(&mut rng, 0.0, 1.0, &[2, 3, 4], dtype);
        for (tag, x) in [
            ("c", normal(&mut rng, &[4, 5], dtype)),
            ("step", stepped(&mut rng, &[4, 5], dtype)),
        ] {
            for (loss, reduce) in [
                (SoftTargetLoss::CrossEntropy, Reduce::Mean),
                (SoftTargetLoss::KlDivergence, Reduce::No),
            ] {
                let o = SoftmaxCrossEntropyOptions {
                    soft_target_loss: loss,
                    reduce,
                    ..Default::default()
                };
                let f = move |v: &[Variable]| {
                    Ok(vec![F::softmax_cross_entropy_with(&v[0], &v[1], &o)?])
                };
                check(
                    &format!("sce soft {tag} {loss:?}"),
                    &f,
                    &[x.clone(), t.clone()],
                );
            }
        }
        let x3 = normal(&mut rng, &[2, 3, 4], dtype);
        let f = |v: &[Variable]| Ok(vec![F::softmax_cross_entropy(&v[0], &v[1])?]);
        check("sce soft nd", &f, &[x3, t3]);
    }
}

#[test]
fn softmax_cross_entropy_smoothing_value() {
    // (1 - eps) * nll + eps * mean_k(-log p_k), checked against the formula.
    let x = Array::from_vec(vec![1.0f64, 2.0, 0.5], &[1, 3]).unwrap();
    let t = labels(&[1], &[1]);
    let o = SoftmaxCrossEntropyOptions {
        label_smoothing: 0.3,
        ..Default::default()
    };
    let y = F::softmax_cross_entropy_with(&Variable::new(x), &Variable::constant(t), &o).unwrap();
    let lse = (1f64.exp() + 2f64.exp() + 0.5f64.exp()).ln();
    let want = 0.7 * (lse - 2.0) + 0.3 * (lse - 3.5 / 3.0);
    assert!((y.item::<f64>().unwrap() - want).abs() < 1e-12);
}

#[test]
fn softmax_cross_entropy_errors() {
    let x = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let bad = Variable::constant(labels(&[1, 3], &[2]));
    let e = F::softmax_cross_entropy(&x, &bad).unwrap_err().to_string();
    assert!(e.contains("t = 3") && e.contains("(= 3)"), "{e}");
    let neg = Variable::constant(labels(&[-2, 0], &[2]));
    let e = F::softmax_cross_entropy(&x, &neg).unwrap_err().to_string();
    assert!(e.contains("t = -2"), "{e}");
    let short = Variable::constant(labels(&[1], &[1]));
    let e = F::softmax_cross_entropy(&x, &short)
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.shape[0] == t.shape[0]"), "{e}");
    let float_t = Variable::constant(Array::zeros(&[2], DType::F32).unwrap());
    let e = F::softmax_cross_entropy(&x, &float_t)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("soft (float) target") && e.contains("[2]"),
        "{e}"
    );
    let soft = Variable::constant(Array::zeros(&[2, 3], DType::F32).unwrap());
    let o = SoftmaxCrossEntropyOptions {
        label_smoothing: 0.1,
        ..Default::default()
    };
    let e = F::softmax_cross_entropy_with(&x, &soft, &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("label_smoothing") && e.contains("soft"), "{e}");
    let o = SoftmaxCrossEntropyOptions {
        reduce: Reduce::Sum,
        ..Default::default()
    };
    let t = Variable::constant(labels(&[1, 0], &[2]));
    let e = F::softmax_cross_entropy_with(&x, &t, &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'mean' and 'no'") && e.contains("'sum'"), "{e}");
    let o = SoftmaxCrossEntropyOptions {
        class_weight: Some(Array::ones(&[2], DType::F32).unwrap()),
        ..Default::default()
    };
    let e = F::softmax_cross_entropy_with(&x, &t, &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("class_weight"), "{e}");
}

#[test]
fn regression_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(2);
        let a = stepped(&mut rng, &[3, 4], dtype);
        let b = transposed(&mut rng, &[3, 4], dtype);
        let pair = |g: fn(&Variable, &Variable) -> Result<Variable>| {
            move |v: &[Variable]| Ok(vec![g(&v[0], &v[1])?])
        };
        check(
            "mean_squared_error",
            &pair(F::mean_squared_error),
            &[a.clone(), b.clone()],
        );
        check(
            "squared_error",
            &pair(F::squared_error),
            &[a.clone(), b.clone()],
        );
        // |a - b| away from 0: shift b by +-0.5 relative to a.
        let sign = a.subtract(&b).unwrap().sign().unwrap();
        let b_far = a
            .subtract(&sign.multiply(0.5).unwrap())
            .unwrap()
            .subtract(&b.multiply(0.1).unwrap())
            .unwrap();
        check(
            "mean_absolute_error",
            &pair(F::mean_absolute_error),
            &[a.clone(), b_far.clone()],
        );
        check(
            "absolute_error",
            &pair(F::absolute_error),
            &[a.clone(), b_far.clone()],
        );
        // Huber: differences in (0.05, 0.4) and (0.6, 2) stay on one side of delta 0.5.
        let x = uniform(&mut rng, -1.0, 1.0, &[2, 6], dtype);
        let d = Array::from_vec(
            vec![
                0.1, -0.3, 0.8, -1.5, 0.2, 1.2, -0.7, 0.35, -0.1, 1.9, -0.25, 0.9,
            ],
            &[2, 6],
        )
        .unwrap()
        .astype(dtype)
        .unwrap();
        let t = x.subtract(&d).unwrap();
        for r in [Reduce::SumAlongSecondAxis, Reduce::No] {
            let f = move |v: &[Variable]| Ok(vec![F::huber_loss(&v[0], &v[1], 0.5, r)?]);
            check(&format!("huber {r:?}"), &f, &[x.clone(), t.clone()]);
        }
    }
}

#[test]
fn sigmoid_cross_entropy_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(3);
        let t = labels(&[0, 1, -1, 1, 1, 0, 0, -1], &[2, 4]);
        for (tag, x) in [
            ("c", normal(&mut rng, &[2, 4], dtype)),
            ("step", stepped(&mut rng, &[2, 4], dtype)),
        ] {
            for (normalize, reduce) in [
                (true, Reduce::Mean),
                (false, Reduce::Mean),
                (true, Reduce::No),
            ] {
                let f = move |v: &[Variable]| {
                    Ok(vec![F::sigmoid_cross_entropy(
                        &v[0], &v[1], normalize, reduce,
                    )?])
                };
                check(
                    &format!("sigmoid_ce {tag} {normalize} {reduce:?}"),
                    &f,
                    &[x.clone(), t.clone()],
                );
            }
        }
    }
}

#[test]
fn margin_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(4);
        // Hinge kinks at x = +-1: values in (-0.8, 0.8) or beyond 1.2 avoid them.
        let x = Array::from_vec(
            vec![0.3, -0.5, 1.5, -0.2, 0.7, -1.6, 0.1, 0.6, -0.4],
            &[3, 3],
        )
        .unwrap()
        .astype(dtype)
        .unwrap();
        let t = labels(&[0, 2, 1], &[3]);
        for norm in [HingeNorm::L1, HingeNorm::L2] {
            for r in [Reduce::Mean, Reduce::No] {
                let f = move |v: &[Variable]| Ok(vec![F::hinge(&v[0], &v[1], norm, r)?]);
                check(
                    &format!("hinge {norm:?} {r:?}"),
                    &f,
                    &[x.clone(), t.clone()],
                );
            }
        }
        let x0 = stepped(&mut rng, &[4, 3], dtype);
        let x1 = normal(&mut rng, &[4, 3], dtype);
        let y = labels(&[1, 0, 0, 1], &[4]);
        // Margin far from every distance (distances of normal 3-vectors are below 10 here).
        for (margin, r) in [
            (20.0, Reduce::Mean),
            (20.0, Reduce::No),
            (0.01, Reduce::Mean),
        ] {
            let f = move |v: &[Variable]| Ok(vec![F::contrastive(&v[0], &v[1], &v[2], margin, r)?]);
            check(
                &format!("contrastive {margin} {r:?}"),
                &f,
                &[x0.clone(), x1.clone(), y.clone()],
            );
        }
        let (a, p, n) = (
            normal(&mut rng, &[3, 2], dtype),
            normal(&mut rng, &[3, 2], dtype),
            transposed(&mut rng, &[3, 2], dtype),
        );
        for (margin, r) in [(50.0, Reduce::Mean), (50.0, Reduce::No)] {
            let f = move |v: &[Variable]| Ok(vec![F::triplet(&v[0], &v[1], &v[2], margin, r)?]);
            check(
                &format!("triplet {r:?}"),
                &f,
                &[a.clone(), p.clone(), n.clone()],
            );
        }
    }
}

#[test]
fn vae_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(5);
        let (m, lv, x) = (
            stepped(&mut rng, &[3, 2], dtype),
            normal(&mut rng, &[3, 2], dtype),
            transposed(&mut rng, &[3, 2], dtype),
        );
        let xb = uniform(&mut rng, 0.0, 1.0, &[3, 2], dtype);
        for r in [Reduce::Sum, Reduce::Mean, Reduce::No] {
            let f = move |v: &[Variable]| Ok(vec![F::gaussian_kl_divergence(&v[0], &v[1], r)?]);
            check(&format!("gaussian_kl {r:?}"), &f, &[m.clone(), lv.clone()]);
            let f = move |v: &[Variable]| Ok(vec![F::gaussian_nll(&v[0], &v[1], &v[2], r)?]);
            check(
                &format!("gaussian_nll {r:?}"),
                &f,
                &[x.clone(), m.clone(), lv.clone()],
            );
            let f = move |v: &[Variable]| Ok(vec![F::bernoulli_nll(&v[0], &v[1], r)?]);
            check(
                &format!("bernoulli_nll {r:?}"),
                &f,
                &[xb.clone(), m.clone()],
            );
        }
    }
}

#[test]
fn loss_errors() {
    let a = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let b = Variable::new(Array::zeros(&[3, 2], DType::F32).unwrap());
    let e = F::mean_squared_error(&a, &b).unwrap_err().to_string();
    assert!(
        e.contains("x0.shape == x1.shape") && e.contains("[2, 3]"),
        "{e}"
    );
    let c = Variable::new(Array::zeros(&[2, 3], DType::F64).unwrap());
    assert!(F::squared_error(&a, &c)
        .unwrap_err()
        .to_string()
        .contains("dtype"));
    let i = Variable::new(Array::zeros(&[2, 3], DType::I32).unwrap());
    assert!(F::mean_absolute_error(&i, &i)
        .unwrap_err()
        .to_string()
        .contains("kind == 'f'"));
    let e = F::huber_loss(&a, &a, 1.0, Reduce::Mean)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'sum_along_second_axis' and 'no'"), "{e}");
    let t = Variable::constant(labels(&[0, 3], &[2]));
    let e = F::hinge(&a, &t, HingeNorm::L1, Reduce::Mean)
        .unwrap_err()
        .to_string();
    assert!(e.contains("t = 3") && e.contains("(= 3)"), "{e}");
    let y = Variable::constant(labels(&[0, 1], &[2]));
    assert!(F::contrastive(&a, &a, &y, -1.0, Reduce::Mean)
        .unwrap_err()
        .to_string()
        .contains("margin"));
    assert!(F::triplet(&a, &a, &b, 1.0, Reduce::Mean)
        .unwrap_err()
        .to_string()
        .contains("anchor.shape == negative.shape"));
    assert!(
        F::gaussian_kl_divergence(&a, &a, Reduce::SumAlongSecondAxis)
            .unwrap_err()
            .to_string()
            .contains("'sum' and 'mean' and 'no'")
    );
    let tl = Variable::constant(labels(&[0, 1, 1, 0, 1, 0], &[2, 3]));
    let e = F::sigmoid_cross_entropy(&a, &tl, true, Reduce::Sum)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'mean' and 'no'"), "{e}");
    let tf = Variable::constant(Array::zeros(&[2, 3], DType::F32).unwrap());
    assert!(F::sigmoid_cross_entropy(&a, &tf, true, Reduce::Mean)
        .unwrap_err()
        .to_string()
        .contains("t.dtype"));
    assert!("bogus".parse::<Reduce>().is_err());
}

#[test]
fn ctc_gradients() {
    // First order only: Chainer's CTC gradient is not differentiable again.
    for dtype in DTYPES {
        let mut rng = Generator::new(6);
        let (steps, b, v) = (4, 2, 3);
        let mut inputs: Vec<Array> = (0..steps)
            .map(|_| normal(&mut rng, &[b, v], dtype))
            .collect();
        inputs[1] = stepped(&mut rng, &[b, v], dtype);
        inputs.push(labels(&[1, 2, 2, 0], &[2, 2]));
        let il = labels(&[4, 3], &[2]);
        let ll = labels(&[2, 1], &[2]);
        for r in [Reduce::Mean, Reduce::No] {
            let (il, ll) = (il.clone(), ll.clone());
            let f = move |v: &[Variable]| {
                let xs: Vec<&Variable> = v[..steps].iter().collect();
                Ok(vec![F::connectionist_temporal_classification(
                    &xs,
                    &v[steps],
                    0,
                    Some(&il),
                    Some(&ll),
                    r,
                )?])
            };
            let seed = 17;
            let mut g = Generator::new(seed);
            let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
            let y = f(&xs).unwrap().remove(0);
            let gy = g.standard_normal(&y.shape(), dtype).unwrap();
            check_backward(f, &inputs, Some(&[gy]), &opts(dtype, seed, false))
                .unwrap_or_else(|e| panic!("ctc {r:?} ({dtype}): {e}"));
        }
    }
}

#[test]
fn ctc_errors() {
    let x = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let xs = [&x, &x];
    let t = Variable::constant(labels(&[1, 3], &[2, 1]));
    let e = F::connectionist_temporal_classification(&xs, &t, 0, None, None, Reduce::Mean)
        .unwrap_err()
        .to_string();
    assert!(e.contains("t = 3") && e.contains("(= 3)"), "{e}");
    let t = Variable::constant(labels(&[1, 2], &[2, 1]));
    let e = F::connectionist_temporal_classification(&xs, &t, 3, None, None, Reduce::Mean)
        .unwrap_err()
        .to_string();
    assert!(e.contains("blank_symbol"), "{e}");
    let long = labels(&[3, 1], &[2]);
    let e = F::connectionist_temporal_classification(&xs, &t, 0, Some(&long), None, Reduce::Mean)
        .unwrap_err()
        .to_string();
    assert!(e.contains("input_length <= 2"), "{e}");
    assert!(
        F::connectionist_temporal_classification(&[], &t, 0, None, None, Reduce::Mean).is_err()
    );
    assert!(F::connectionist_temporal_classification(&xs, &t, 0, None, None, Reduce::Sum).is_err());
}
