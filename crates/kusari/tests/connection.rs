//! Connection functions: gradient checks (first and second order, float32
//! and float64, contiguous and strided inputs), comparison with Chainer 7.8.1
//! fixtures (`scripts/chainer_fixtures/gen_connection.py`), and errors.

mod common;
mod support;

use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::Variable;
use support::{case, check, compare, strided};

const DTYPES: [DType; 2] = [DType::F32, DType::F64];

#[test]
fn linear_gradients() {
    for dt in DTYPES {
        let mut r = Generator::new(1);
        let x = r.standard_normal(&[3, 4], dt).unwrap();
        let w = r.standard_normal(&[5, 4], dt).unwrap();
        let b = r.standard_normal(&[5], dt).unwrap();
        check(
            "linear",
            &|v| Ok(vec![F::linear(&v[0], &v[1], Some(&v[2]), 1)?]),
            &[x.clone(), w.clone(), b.clone()],
        );
        check(
            "linear no bias, strided x and transposed W",
            &|v| Ok(vec![F::linear(&v[0], &v[1], None, 1)?]),
            &[strided(&x), r.standard_normal(&[4, 5], dt).unwrap().t()],
        );
        check(
            "linear 3-D x, n_batch_axes 2",
            &|v| Ok(vec![F::linear(&v[0], &v[1], Some(&v[2]), 2)?]),
            &[r.standard_normal(&[2, 3, 4], dt).unwrap(), w, b],
        );
    }
}

#[test]
fn linear_matches_chainer() {
    let fx = common::fixture("connection");
    for name in [
        "linear",
        "linear_nobias",
        "linear_flatten",
        "linear_batch_axes2",
        "linear_batch1_f32",
    ] {
        let c = case(&fx, name);
        let nba = c.kwargs["n_batch_axes"].as_u64().unwrap_or(1) as usize;
        compare(name, &c, &|v| {
            Ok(vec![F::linear(&v[0], &v[1], v.get(2), nba)?])
        });
    }
}

#[test]
fn linear_errors() {
    let x = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let w = Variable::new(Array::zeros(&[4, 5], DType::F32).unwrap());
    let e = F::linear(&x, &w, None, 1).unwrap_err().to_string();
    assert!(
        e.contains("linear") && e.contains("[2, 3]") && e.contains("[4, 5]"),
        "{e}"
    );
    let w = Variable::new(Array::zeros(&[4, 3], DType::F32).unwrap());
    let b = Variable::new(Array::zeros(&[3], DType::F32).unwrap());
    let e = F::linear(&x, &w, Some(&b), 1).unwrap_err().to_string();
    assert!(e.contains("b.shape [3]"), "{e}");
    let w64 = Variable::new(Array::zeros(&[4, 3], DType::F64).unwrap());
    assert!(F::linear(&x, &w64, None, 1).is_err());
    assert!(F::linear(&x, &w, None, 2).is_err());
    let xi = Variable::new(Array::zeros(&[2, 3], DType::I64).unwrap());
    assert!(F::linear(&xi, &w, None, 1).is_err());
}

fn conv_args(kw: &serde_json::Value, nd: usize) -> F::ConvArgs {
    let mut a = F::ConvArgs::default()
        .stride(&support::ints(kw, "stride", nd, 1))
        .pad(&support::ints(kw, "pad", nd, 0))
        .dilate(&support::ints(kw, "dilate", nd, 1))
        .cover_all(support::flag(kw, "cover_all", false))
        .groups(kw["groups"].as_u64().unwrap_or(1) as usize);
    if !kw["outsize"].is_null() {
        a = a.outsize(&support::ints(kw, "outsize", nd, 0));
    }
    a
}

#[test]
fn convolutions_match_chainer() {
    let fx = common::fixture("connection");
    let conv = [
        "conv2d",
        "conv2d_stride_pad",
        "conv2d_cover_all",
        "conv2d_nocover_same_geom",
        "conv2d_dilate",
        "conv2d_groups",
        "conv2d_1x1",
        "conv2d_batch1_rect_stride",
        "conv2d_nobias",
        "conv1d",
        "conv3d",
    ];
    for name in conv {
        let c = case(&fx, name);
        let a = conv_args(&c.kwargs, c.inputs[0].as_ref().unwrap().ndim() - 2);
        compare(name, &c, &|v| {
            Ok(vec![F::convolution_nd(&v[0], &v[1], v.get(2), &a)?])
        });
    }
    for name in [
        "deconv2d",
        "deconv2d_stride_pad",
        "deconv2d_outsize",
        "deconv2d_groups_dilate",
        "deconv1d",
        "deconv3d",
    ] {
        let c = case(&fx, name);
        let a = conv_args(&c.kwargs, c.inputs[0].as_ref().unwrap().ndim() - 2);
        compare(name, &c, &|v| {
            Ok(vec![F::deconvolution_nd(&v[0], &v[1], v.get(2), &a)?])
        });
    }
    let c = case(&fx, "depthwise");
    let a = conv_args(&c.kwargs, 2);
    compare("depthwise", &c, &|v| {
        Ok(vec![F::depthwise_convolution_2d(
            &v[0],
            &v[1],
            v.get(2),
            &a,
        )?])
    });
}

#[test]
fn convolution_2d_gradients() {
    for dt in DTYPES {
        let mut r = Generator::new(2);
        let x = r.standard_normal(&[2, 4, 5, 4], dt).unwrap();
        let w = r.standard_normal(&[4, 2, 3, 2], dt).unwrap();
        let b = r.standard_normal(&[4], dt).unwrap();
        let a = F::ConvArgs::default()
            .stride(&[2, 1])
            .pad(&[1])
            .groups(2)
            .cover_all(true);
        check(
            "convolution_2d groups cover_all, strided x",
            &|v| Ok(vec![F::convolution_2d(&v[0], &v[1], Some(&v[2]), &a)?]),
            &[strided(&x), w.clone(), b.clone()],
        );
        let a = F::ConvArgs::default().dilate(&[2]).pad(&[2]);
        check(
            "convolution_2d dilate, batch 1",
            &|v| Ok(vec![F::convolution_2d(&v[0], &v[1], None, &a)?]),
            &[
                r.standard_normal(&[1, 2, 4, 5], dt).unwrap(),
                r.standard_normal(&[3, 2, 2, 2], dt).unwrap(),
            ],
        );
        let a = F::ConvArgs::default()
            .stride(&[2])
            .pad(&[1])
            .outsize(&[6, 4]);
        check(
            "deconvolution_2d outsize",
            &|v| Ok(vec![F::deconvolution_2d(&v[0], &v[1], Some(&v[2]), &a)?]),
            &[
                r.standard_normal(&[2, 3, 3, 2], dt).unwrap(),
                r.standard_normal(&[3, 2, 3, 3], dt).unwrap(),
                r.standard_normal(&[2], dt).unwrap(),
            ],
        );
        let a = F::ConvArgs::default().pad(&[1]);
        check(
            "convolution_nd 1-D",
            &|v| Ok(vec![F::convolution_nd(&v[0], &v[1], Some(&v[2]), &a)?]),
            &[
                r.standard_normal(&[2, 2, 5], dt).unwrap(),
                r.standard_normal(&[3, 2, 3], dt).unwrap(),
                r.standard_normal(&[3], dt).unwrap(),
            ],
        );
        let a = F::ConvArgs::default().stride(&[2]);
        check(
            "deconvolution_nd 3-D",
            &|v| Ok(vec![F::deconvolution_nd(&v[0], &v[1], None, &a)?]),
            &[
                r.standard_normal(&[1, 2, 2, 2, 3], dt).unwrap(),
                r.standard_normal(&[2, 2, 2, 1, 2], dt).unwrap(),
            ],
        );
        let a = F::ConvArgs::default().pad(&[1]);
        check(
            "depthwise_convolution_2d",
            &|v| {
                Ok(vec![F::depthwise_convolution_2d(
                    &v[0],
                    &v[1],
                    Some(&v[2]),
                    &a,
                )?])
            },
            &[
                r.standard_normal(&[2, 2, 3, 3], dt).unwrap(),
                r.standard_normal(&[2, 2, 2, 2], dt).unwrap(),
                r.standard_normal(&[4], dt).unwrap(),
            ],
        );
    }
}

#[test]
fn convolution_errors() {
    let x = Variable::new(Array::zeros(&[2, 3, 5, 5], DType::F32).unwrap());
    let w = Variable::new(Array::zeros(&[4, 2, 3, 3], DType::F32).unwrap());
    let e = F::convolution_2d(&x, &w, None, &F::ConvArgs::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("convolution_2d") && e.contains("[2, 3, 5, 5]") && e.contains("[4, 2, 3, 3]"),
        "{e}"
    );
    let w = Variable::new(Array::zeros(&[4, 3, 7, 3], DType::F32).unwrap());
    let e = F::convolution_2d(&x, &w, None, &F::ConvArgs::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not fit"), "{e}");
    let w = Variable::new(Array::zeros(&[4, 3, 3, 3], DType::F32).unwrap());
    let bad = F::ConvArgs::default().stride(&[1, 1, 1]);
    assert!(F::convolution_2d(&x, &w, None, &bad).is_err());
    let zero = F::ConvArgs::default().stride(&[0]);
    assert!(F::convolution_2d(&x, &w, None, &zero).is_err());
    let b = Variable::new(Array::zeros(&[5], DType::F32).unwrap());
    assert!(F::convolution_2d(&x, &w, Some(&b), &F::ConvArgs::default()).is_err());
    let x3 = Variable::new(Array::zeros(&[2, 3, 5], DType::F32).unwrap());
    assert!(F::convolution_2d(&x3, &w, None, &F::ConvArgs::default()).is_err());
    let wd = Variable::new(Array::zeros(&[2, 4, 3, 3], DType::F32).unwrap());
    let e = F::deconvolution_2d(&x, &wd, None, &F::ConvArgs::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.shape[1] == W.shape[0]"), "{e}");
    let wd = Variable::new(Array::zeros(&[3, 4, 3, 3], DType::F32).unwrap());
    let a = F::ConvArgs::default().outsize(&[20, 20]);
    assert!(F::deconvolution_2d(&x, &wd, None, &a).is_err());
}

#[test]
fn embed_id_and_bilinear_match_chainer() {
    let fx = common::fixture("connection");
    compare("embed_id", &case(&fx, "embed_id"), &|v| {
        Ok(vec![F::embed_id(&v[0], &v[1], None)?])
    });
    compare("embed_id_ignore", &case(&fx, "embed_id_ignore"), &|v| {
        Ok(vec![F::embed_id(&v[0], &v[1], Some(-1))?])
    });
    compare("bilinear", &case(&fx, "bilinear"), &|v| {
        Ok(vec![F::bilinear(
            &v[0],
            &v[1],
            &v[2],
            Some((&v[3], &v[4], &v[5])),
        )?])
    });
    compare("bilinear_nolinear", &case(&fx, "bilinear_nolinear"), &|v| {
        Ok(vec![F::bilinear(&v[0], &v[1], &v[2], None)?])
    });
}

#[test]
fn embed_id_gradients_and_errors() {
    for dt in DTYPES {
        let ids = Array::from_vec(vec![0i32, 2, 2, -1, 1, 0], &[2, 3]).unwrap();
        let w = Generator::new(3).standard_normal(&[4, 3], dt).unwrap();
        let ids2 = ids.clone();
        check(
            "embed_id ignore_label",
            &move |v| {
                Ok(vec![F::embed_id(
                    &Variable::constant(ids2.clone()),
                    &v[0],
                    Some(-1),
                )?])
            },
            std::slice::from_ref(&w),
        );
        let w2 = Variable::new(w);
        let e = F::embed_id(&Variable::constant(ids.clone()), &w2, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("embed_id") && e.contains("-1"), "{e}");
        let big = Array::from_vec(vec![4i32], &[1]).unwrap();
        assert!(F::embed_id(&Variable::constant(big), &w2, None).is_err());
        let fl = Array::zeros(&[2], dt).unwrap();
        assert!(F::embed_id(&Variable::constant(fl), &w2, None).is_err());
    }
}

#[test]
fn bilinear_gradients() {
    for dt in DTYPES {
        let mut r = Generator::new(4);
        let shapes: [&[usize]; 6] = [&[3, 2], &[3, 3], &[2, 3, 2], &[2, 2], &[3, 2], &[2]];
        let ins: Vec<Array> = shapes
            .iter()
            .map(|s| r.standard_normal(s, dt).unwrap())
            .collect();
        check(
            "bilinear",
            &|v| {
                Ok(vec![F::bilinear(
                    &v[0],
                    &v[1],
                    &v[2],
                    Some((&v[3], &v[4], &v[5])),
                )?])
            },
            &ins,
        );
    }
    let e1 = Variable::new(Array::zeros(&[3, 2], DType::F64).unwrap());
    let w = Variable::new(Array::zeros(&[2, 4, 2], DType::F64).unwrap());
    assert!(F::bilinear(&e1, &e1, &w, None).is_err());
}

#[test]
fn im2col_matches_chainer_and_gradients() {
    let fx = common::fixture("connection");
    for name in ["im2col", "im2col_cover_all_dilate"] {
        let c = case(&fx, name);
        let kw = &c.kwargs;
        let (k, s, p, d) = (
            support::ints(kw, "ksize", 2, 1),
            support::ints(kw, "stride", 2, 1),
            support::ints(kw, "pad", 2, 0),
            support::ints(kw, "dilate", 2, 1),
        );
        let ca = support::flag(kw, "cover_all", false);
        compare(name, &c, &|v| {
            Ok(vec![F::im2col(&v[0], &k, &s, &p, ca, &d)?])
        });
    }
    for dt in DTYPES {
        let x = Generator::new(5)
            .standard_normal(&[2, 2, 4, 3], dt)
            .unwrap();
        check(
            "im2col",
            &|v| Ok(vec![F::im2col(&v[0], &[2, 3], &[2, 1], &[1], true, &[1])?]),
            &[strided(&x)],
        );
    }
}
