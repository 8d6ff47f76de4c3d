//! The normalization functions: values and gradients against Chainer 7.8.1
//! (`scripts/chainer_fixtures/gen_normalization.py`), first- and
//! second-order gradient checks (float32 and float64, contiguous and
//! non-contiguous inputs), the statistics handed to the link, and errors.

mod common;
mod gradcheck_util;

use gradcheck_util::{check, compare_fixtures, f1, f3, Data, Func, Layout};
use kusari::array::{Array, DType, Error};
use kusari::functions as F;
use kusari::{Result, Variable};

const EPS: f64 = 2e-5;

/// The kusari function each fixture case of gen_normalization.py runs.
fn fixture_func(name: &str) -> Option<Box<Func>> {
    Some(match name {
        "batch_norm_4d" | "batch_norm_2d" | "batch_norm_f32" => {
            f3(|x, g, b| F::batch_normalization(x, g, b, EPS, None))
        }
        "batch_norm_axis_0_2" => f3(|x, g, b| F::batch_normalization(x, g, b, EPS, Some(&[0, 2]))),
        "batch_norm_axis_1" => f3(|x, g, b| F::batch_normalization(x, g, b, 1e-3, Some(&[1]))),
        "fixed_batch_norm" => Box::new(|v: &[Variable]| {
            Ok(vec![F::fixed_batch_normalization(
                &v[0], &v[1], &v[2], &v[3], &v[4], EPS, None,
            )?])
        }),
        "layer_norm" => f3(|x, g, b| F::layer_normalization(x, g, b, 1e-5)),
        "group_norm" => f3(|x, g, b| F::group_normalization(x, 2, g, b, 1e-5)),
        "lrn" => f1(|x| F::local_response_normalization(x, 5, 2.0, 1e-4, 0.75)),
        "lrn_n3" => f1(|x| F::local_response_normalization(x, 3, 1.0, 0.5, 0.5)),
        "normalize" => f1(|x| F::normalize(x, 1e-5, &[1])),
        "normalize_axis_0_2" => f1(|x| F::normalize(x, 1e-5, &[0, 2])),
        _ => return None,
    })
}

#[test]
fn matches_chainer() {
    compare_fixtures("normalization", fixture_func, |d| match d {
        DType::F32 => (1e-5, 1e-4),
        _ => (1e-10, 1e-8),
    });
}

#[test]
fn gradients_of_fixture_cases() {
    let fx = common::fixture("normalization");
    for (name, c) in fx.as_object().unwrap() {
        let f = fixture_func(name).unwrap();
        for dtype in [DType::F32, DType::F64] {
            let mut d = Data::new(name, dtype);
            let inputs: Vec<Array> = common::arrays(&c["inputs"])
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let shape = a.as_ref().unwrap().shape();
                    // fixed_batch_normalization's variance must stay positive.
                    if name == "fixed_batch_norm" && i == 4 {
                        d.uniform(0.5, 2.0, shape, Layout::C)
                    } else {
                        d.normal(shape, Layout::C)
                    }
                })
                .collect();
            check(name, &*f, &inputs);
        }
    }
}

#[test]
fn gradients_of_non_contiguous_inputs() {
    type Case = (&'static str, Box<Func>, Vec<Vec<usize>>);
    let cases: Vec<Case> = vec![
        (
            "bn_4d",
            f3(|x, g, b| F::batch_normalization(x, g, b, EPS, None)),
            vec![vec![3, 2, 2, 3], vec![2], vec![2]],
        ),
        (
            "bn_2d",
            f3(|x, g, b| F::batch_normalization(x, g, b, EPS, None)),
            vec![vec![4, 3], vec![3], vec![3]],
        ),
        // Key axes 0 and 2 are not one block: the transposing path.
        (
            "bn_split_key",
            f3(|x, g, b| F::batch_normalization(x, g, b, EPS, Some(&[1, 3]))),
            vec![vec![2, 3, 2, 2], vec![2, 2], vec![2, 2]],
        ),
        (
            "layer_norm",
            f3(|x, g, b| F::layer_normalization(x, g, b, 1e-5)),
            vec![vec![3, 4], vec![4], vec![4]],
        ),
        (
            "group_norm",
            f3(|x, g, b| F::group_normalization(x, 3, g, b, 1e-5)),
            vec![vec![2, 6, 2], vec![6], vec![6]],
        ),
        (
            "lrn",
            f1(|x| F::local_response_normalization(x, 5, 2.0, 1e-1, 0.75)),
            vec![vec![2, 4, 3]],
        ),
        (
            "normalize",
            f1(|x| F::normalize(x, 1e-5, &[1])),
            vec![vec![3, 4]],
        ),
    ];
    for (name, f, shapes) in &cases {
        for (dtype, layout) in [(DType::F32, Layout::T), (DType::F64, Layout::Step)] {
            let mut d = Data::new(name, dtype);
            let inputs: Vec<Array> = shapes
                .iter()
                .map(|s| {
                    if s.len() > 1 {
                        d.normal(s, layout)
                    } else {
                        d.normal(s, Layout::C)
                    }
                })
                .collect();
            check(name, &**f, &inputs);
        }
    }
}

#[test]
fn batch_statistics_for_the_link() -> Result<()> {
    let mut d = Data::new("stats", DType::F64);
    let x = d.normal(&[4, 3, 2], Layout::T);
    let g = Variable::new(Array::ones(&[3], DType::F64)?);
    let b = Variable::new(Array::zeros(&[3], DType::F64)?);
    let (y, stats) =
        F::batch_normalization_with_stats(&Variable::new(x.clone()), &g, &b, EPS, None)?;
    assert_eq!(stats.count, 8);
    let mean = x.mean(Some(&[0, 2]), false)?;
    let var = x.var(Some(&[0, 2]), 0, false)?;
    common::assert_close("mean", &stats.mean, &mean, 1e-12, 1e-12);
    common::assert_close("var", &stats.var, &var, 1e-12, 1e-12);
    // The output has zero mean and unit variance per channel.
    let ym = y.array().mean(Some(&[0, 2]), false)?;
    common::assert_close(
        "output mean",
        &ym,
        &Array::zeros(&[3], DType::F64)?,
        1e-12,
        0.0,
    );
    Ok(())
}

#[test]
fn normalize_of_zero_rows_has_zero_gradient() -> Result<()> {
    let x = Variable::new(Array::from_vec(vec![0.0f64, 0.0, 3.0, 4.0], &[2, 2])?);
    let y = F::normalize(&x, 1e-5, &[1])?;
    F::sum(&y, None, false)?.backward()?;
    let g = x.grad().unwrap().to_vec::<f64>()?;
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
    // d(x / (|x| + eps))/dx at x = 0 is 1 / eps, as in Chainer.
    assert!(g[..2].iter().all(|v| (v - 1e5).abs() < 1e-6), "{g:?}");
    Ok(())
}

#[test]
fn errors_name_the_function() {
    let v = |shape: &[usize], dt: DType| Variable::new(Array::zeros(shape, dt).unwrap());
    let x = v(&[4, 3, 2], DType::F32);
    let g = v(&[3], DType::F32);
    let e = F::batch_normalization(&x, &v(&[2], DType::F32), &v(&[2], DType::F32), EPS, None)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Shape {
                op: "batch_normalization",
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        F::batch_normalization(&x, &g, &v(&[3], DType::F64), EPS, None),
        Err(Error::DType { .. })
    ));
    assert!(matches!(
        F::batch_normalization(&x, &g, &v(&[4], DType::F32), EPS, None),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        F::batch_normalization(&v(&[4, 3], DType::I32), &g, &g, EPS, None),
        Err(Error::DType { .. })
    ));
    assert!(matches!(
        F::batch_normalization(&x, &g, &g, EPS, Some(&[2, 0])),
        Err(Error::Value { .. })
    ));
    assert!(matches!(
        F::batch_normalization(&x, &g, &g, EPS, Some(&[0, 5])),
        Err(Error::Axis { .. })
    ));
    assert!(matches!(
        F::batch_normalization(&x, &g, &g, 0.0, None),
        Err(Error::Value { .. })
    ));
    assert!(matches!(
        F::fixed_batch_normalization(&x, &g, &g, &g, &v(&[2], DType::F32), EPS, None),
        Err(Error::Shape {
            op: "fixed_batch_normalization",
            ..
        })
    ));
    assert!(matches!(
        F::layer_normalization(&x, &g, &g, 1e-5),
        Err(Error::Shape {
            op: "layer_normalization",
            ..
        })
    ));
    assert!(matches!(
        F::group_normalization(&x, 2, &g, &g, 1e-5),
        Err(Error::Value {
            op: "group_normalization",
            ..
        })
    ));
    assert!(matches!(
        F::group_normalization(&x, 3, &v(&[2], DType::F32), &g, 1e-5),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        F::local_response_normalization(&g, 5, 2.0, 1e-4, 0.75),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        F::normalize(&x, 1e-5, &[3]),
        Err(Error::Axis { .. })
    ));
    assert!(matches!(
        F::normalize(&v(&[2], DType::I64), 1e-5, &[0]),
        Err(Error::DType { .. })
    ));
}
