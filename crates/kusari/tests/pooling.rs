//! Pooling functions: gradient checks (first and second order, float32 and
//! float64, strided inputs), comparison with Chainer 7.8.1 fixtures
//! (`scripts/chainer_fixtures/gen_pooling.py`), and errors.

mod common;
mod support;

use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::Variable;
use support::{case, check, compare, ints, strided};

const DTYPES: [DType; 2] = [DType::F32, DType::F64];

/// Values 0.1 apart in random order: maxima are unique and stay put under
/// the gradient check's small perturbations.
fn distinct(seed: u64, shape: &[usize], dtype: DType) -> Array {
    let n: usize = shape.iter().product();
    let p = Generator::new(seed).permutation(n).unwrap();
    (&p.astype(DType::F64).unwrap() * 0.1)
        .astype(dtype)
        .unwrap()
        .reshape_to(shape)
        .unwrap()
}

fn stride_of(kw: &serde_json::Value, nd: usize) -> Option<Vec<usize>> {
    (!kw["stride"].is_null()).then(|| ints(kw, "stride", nd, 1))
}

#[test]
fn max_pooling_matches_chainer() {
    let fx = common::fixture("pooling");
    for name in [
        "max2d",
        "max2d_cover_all",
        "max2d_no_cover_all",
        "max2d_rect_overlap",
        "max1d",
        "max3d",
    ] {
        let c = case(&fx, name);
        let nd = c.inputs[0].as_ref().unwrap().ndim() - 2;
        let kw = &c.kwargs;
        let (k, s, p) = (
            ints(kw, "ksize", nd, 1),
            stride_of(kw, nd),
            ints(kw, "pad", nd, 0),
        );
        let ca = support::flag(kw, "cover_all", true);
        compare(name, &c, &|v| {
            Ok(vec![F::max_pooling_nd(&v[0], &k, s.as_deref(), &p, ca)?])
        });
    }
}

#[test]
fn average_pooling_matches_chainer() {
    let fx = common::fixture("pooling");
    for name in ["avg2d", "avg2d_pad_stride"] {
        let c = case(&fx, name);
        let kw = &c.kwargs;
        let (k, s, p) = (
            ints(kw, "ksize", 2, 1),
            stride_of(kw, 2),
            ints(kw, "pad", 2, 0),
        );
        compare(name, &c, &|v| {
            Ok(vec![F::average_pooling_2d(&v[0], &k, s.as_deref(), &p)?])
        });
    }
    for name in ["avg1d_pad_none", "avg3d"] {
        let c = case(&fx, name);
        let nd = c.inputs[0].as_ref().unwrap().ndim() - 2;
        let kw = &c.kwargs;
        let (k, s, p) = (
            ints(kw, "ksize", nd, 1),
            stride_of(kw, nd),
            ints(kw, "pad", nd, 0),
        );
        let pv = kw["pad_value"].as_f64();
        compare(name, &c, &|v| {
            Ok(vec![F::average_pooling_nd(
                &v[0],
                &k,
                s.as_deref(),
                &p,
                pv,
            )?])
        });
    }
}

#[test]
fn unpooling_and_upsampling_match_chainer() {
    let fx = common::fixture("pooling");
    for name in ["unpool2d", "unpool2d_overlap", "unpool2d_outsize"] {
        let c = case(&fx, name);
        let kw = &c.kwargs;
        let (k, s, p) = (
            ints(kw, "ksize", 2, 1),
            stride_of(kw, 2),
            ints(kw, "pad", 2, 0),
        );
        let o = (!kw["outsize"].is_null()).then(|| ints(kw, "outsize", 2, 0));
        let ca = support::flag(kw, "cover_all", true);
        compare(name, &c, &|v| {
            Ok(vec![F::unpooling_2d(
                &v[0],
                &k,
                s.as_deref(),
                &p,
                o.as_deref(),
                ca,
            )?])
        });
    }
    let c = case(&fx, "upsample2d");
    let idx = common::array(&c.kwargs["indexes"]);
    compare("upsample2d", &c, &|v| {
        Ok(vec![F::upsampling_2d(
            &v[0],
            &idx,
            &[2],
            None,
            &[0],
            Some(&[5, 6]),
            true,
        )?])
    });
}

/// `roi_pooling_2d` with the case's kwargs and its `rois` as a constant.
fn roi_pooling(c: &support::Case) -> impl Fn(&[Variable]) -> kusari::Result<Vec<Variable>> {
    let kw = &c.kwargs;
    let (oh, ow) = (ints(kw, "outh", 1, 0)[0], ints(kw, "outw", 1, 0)[0]);
    let scale = common::json_f64(&kw["spatial_scale"]);
    let rois = c.inputs[1].clone().unwrap();
    // In x's dtype (the gradient check evaluates in float64 too).
    move |v: &[Variable]| {
        let rois = Variable::constant(rois.astype(v[0].dtype())?);
        Ok(vec![F::roi_pooling_2d(&v[0], &rois, oh, ow, scale)?])
    }
}

#[test]
fn roi_pooling_matches_chainer() {
    let fx = common::fixture("pooling");
    for name in ["roi2d", "roi2d_scale", "roi2d_ties_f32"] {
        let c = case(&fx, name);
        compare(name, &c, &roi_pooling(&c));
    }
    // Forward only: Chainer's CPU backward drops a malformed RoI's gradient.
    let c = case(&fx, "roi2d_malformed");
    let x = Variable::new(c.inputs[0].clone().unwrap());
    let y = roi_pooling(&c)(&[x]).unwrap();
    common::assert_close(
        "roi2d_malformed",
        &y[0].array(),
        c.outputs[0].as_ref().unwrap(),
        1e-12,
        0.0,
    );
}

#[test]
fn roi_pooling_gradients() {
    let fx = common::fixture("pooling");
    for dt in DTYPES {
        // Both RoI sets: clipped and empty bins, overlapping bins, a malformed RoI.
        for name in ["roi2d", "roi2d_scale", "roi2d_malformed"] {
            let c = case(&fx, name);
            let x = distinct(5, &[2, 3, 8, 10], dt);
            let mut c2 = case(&fx, name);
            c2.inputs[1] = Some(c.inputs[1].clone().unwrap().astype(dt).unwrap());
            check(
                &format!("roi_pooling_2d {name}"),
                &roi_pooling(&c2),
                &[strided(&x)],
            );
        }
    }
}

#[test]
fn roi_pooling_errors() {
    let x = Variable::new(Array::zeros(&[2, 3, 4, 4], DType::F32).unwrap());
    let roi = |v: Vec<f32>, shape: &[usize]| Variable::constant(Array::from_vec(v, shape).unwrap());
    let e = F::roi_pooling_2d(&x, &roi(vec![2.0, 0.0, 0.0, 1.0, 1.0], &[1, 5]), 2, 2, 1.0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("roi_pooling_2d") && e.contains("0..2") && e.contains("RoI 0"),
        "{e}"
    );
    let e = F::roi_pooling_2d(&x, &roi(vec![0.0; 4], &[1, 4]), 2, 2, 1.0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("rois.shape[1] == 5") && e.contains("[1, 4]"),
        "{e}"
    );
    let r64 = Variable::constant(Array::zeros(&[1, 5], DType::F64).unwrap());
    let e = F::roi_pooling_2d(&x, &r64, 2, 2, 1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("rois.dtype == x.dtype"), "{e}");
    let e = F::roi_pooling_2d(&x, &roi(vec![0.0; 5], &[1, 5]), 0, 2, 1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("outh > 0"), "{e}");
}

#[test]
fn max_pooling_gradients() {
    for dt in DTYPES {
        let x = distinct(1, &[2, 2, 5, 4], dt);
        check(
            "max_pooling_2d cover_all stride 2 pad 1, strided",
            &|v| {
                Ok(vec![F::max_pooling_2d(
                    &v[0],
                    &[3],
                    Some(&[2]),
                    &[1],
                    true,
                )?])
            },
            &[strided(&x)],
        );
        check(
            "max_pooling_2d 2x2 no cover_all",
            &|v| Ok(vec![F::max_pooling_2d(&v[0], &[2], None, &[0], false)?]),
            std::slice::from_ref(&x),
        );
        check(
            "max_pooling_nd 1-D overlapping",
            &|v| {
                Ok(vec![F::max_pooling_nd(
                    &v[0],
                    &[3],
                    Some(&[1]),
                    &[1],
                    true,
                )?])
            },
            &[distinct(2, &[1, 2, 6], dt)],
        );
        check(
            "max_pooling_nd 3-D",
            &|v| Ok(vec![F::max_pooling_nd(&v[0], &[2], None, &[0], false)?]),
            &[distinct(3, &[1, 2, 4, 2, 4], dt)],
        );
    }
}

#[test]
fn average_unpooling_upsampling_gradients() {
    for dt in DTYPES {
        let mut r = Generator::new(4);
        let x = r.standard_normal(&[2, 2, 5, 4], dt).unwrap();
        check(
            "average_pooling_2d pad stride, strided",
            &|v| Ok(vec![F::average_pooling_2d(&v[0], &[3], Some(&[2]), &[1])?]),
            &[strided(&x)],
        );
        check(
            "average_pooling_nd pad_value None 3-D",
            &|v| {
                Ok(vec![F::average_pooling_nd(
                    &v[0],
                    &[2, 3, 2],
                    Some(&[1, 2, 1]),
                    &[1],
                    None,
                )?])
            },
            &[r.standard_normal(&[1, 2, 3, 4, 3], dt).unwrap()],
        );
        check(
            "unpooling_2d overlap",
            &|v| {
                Ok(vec![F::unpooling_2d(
                    &v[0],
                    &[3],
                    Some(&[2]),
                    &[1],
                    None,
                    false,
                )?])
            },
            &[r.standard_normal(&[2, 1, 3, 2], dt).unwrap()],
        );
        let (_, idx) = F::max_pooling_2d_with_indices(
            &Variable::new(distinct(5, &[1, 2, 5, 5], dt)),
            &[2],
            None,
            &[0],
            true,
        )
        .unwrap();
        assert_eq!(idx.shape(), &[1, 2, 3, 3]);
        assert_eq!(idx.dtype(), DType::I32);
        check(
            "upsampling_2d",
            &|v| {
                Ok(vec![F::upsampling_2d(
                    &v[0],
                    &idx,
                    &[2],
                    None,
                    &[0],
                    Some(&[5, 5]),
                    true,
                )?])
            },
            &[r.standard_normal(&[1, 2, 3, 3], dt).unwrap()],
        );
    }
}

#[test]
fn pooling_errors() {
    let x = Variable::new(Array::zeros(&[2, 3, 4, 4], DType::F32).unwrap());
    let e = F::max_pooling_2d(&x, &[5], None, &[0], false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("max_pooling_2d") && e.contains("does not fit"),
        "{e}"
    );
    assert!(F::max_pooling_2d(&x, &[0], None, &[0], true).is_err());
    assert!(F::max_pooling_2d(&x, &[2, 2, 2], None, &[0], true).is_err());
    let x3 = Variable::new(Array::zeros(&[2, 3, 4], DType::F32).unwrap());
    let e = F::max_pooling_2d(&x3, &[2], None, &[0], true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.ndim == 4"), "{e}");
    assert!(F::average_pooling_nd(&x, &[2], None, &[0], Some(1.0)).is_err());
    let xi = Variable::new(Array::zeros(&[1, 1, 4, 4], DType::I64).unwrap());
    assert!(F::max_pooling_2d(&xi, &[2], None, &[0], true).is_err());
    let idx = Array::zeros(&[2, 3, 2, 2], DType::I32).unwrap();
    let small = Variable::new(Array::zeros(&[2, 3, 2, 2], DType::F32).unwrap());
    assert!(F::upsampling_2d(&small, &idx, &[2], None, &[0], Some(&[9, 9]), true).is_err());
    let bad_idx = Array::full(&[2, 3, 2, 2], 7, DType::I32).unwrap();
    assert!(F::upsampling_2d(&small, &bad_idx, &[2], None, &[0], None, true).is_err());
}
