//! The noise functions: dropout's mask statistics, scaling, test-mode
//! identity, seeding and the backward's reuse of the forward mask; gaussian,
//! gumbel_softmax and zoneout likewise; errors on bad input.

mod common;
mod fn_check;

use kusari::array::{Array, DType};
use kusari::config::{using_config, Setting};
use kusari::functions as F;
use kusari::Variable;

fn ones(shape: &[usize], dtype: DType) -> Variable {
    Variable::new(Array::ones(shape, dtype).unwrap())
}

#[test]
fn dropout_mask_statistics_and_scaling() {
    F::set_seed(11);
    for (ratio, dtype) in [(0.5, DType::F32), (0.2, DType::F64), (0.0, DType::F32)] {
        let x = ones(&[200, 100], dtype);
        let y = F::dropout(&x, ratio)
            .unwrap()
            .array()
            .astype(DType::F64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        let scale = 1.0 / (1.0 - ratio);
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
        // 20000 Bernoulli draws: the kept fraction is within 4 sigma (< 0.015) of 1 - ratio.
        assert!(
            (kept - (1.0 - ratio)).abs() < 0.015,
            "ratio {ratio}: kept {kept}"
        );
        assert!(
            y.iter().all(|&v| v == 0.0 || (v - scale).abs() < 1e-6),
            "ratio {ratio}: values are 0 or {scale}"
        );
    }
}

#[test]
fn dropout_is_identity_in_test_mode() {
    let x = Variable::new(Array::from_vec(vec![1.0f32, -2.0, 3.0], &[3]).unwrap());
    let _g = using_config(Setting::Train, false);
    let y = F::dropout(&x, 0.9).unwrap();
    assert_eq!(y.array().to_vec::<f32>().unwrap(), vec![1.0, -2.0, 3.0]);
    let (_, mask) = F::dropout_with(&x, 0.5, None).unwrap();
    assert!(mask.is_none());
    let z = F::zoneout(&x, &ones(&[3], DType::F32), 0.5).unwrap();
    assert_eq!(z.array().to_vec::<f32>().unwrap(), vec![1.0; 3]);
}

#[test]
fn dropout_backward_uses_the_forward_mask() {
    F::set_seed(3);
    let x =
        Variable::new(Array::from_vec((0..64).map(|i| i as f64 + 1.0).collect(), &[8, 8]).unwrap());
    let (y, mask) = F::dropout_with(&x, 0.5, None).unwrap();
    let mask = mask.unwrap();
    assert_eq!(
        y.array().to_vec::<f64>().unwrap(),
        x.array().multiply(&mask).unwrap().to_vec::<f64>().unwrap()
    );
    y.sum(None, false).unwrap().backward().unwrap();
    assert_eq!(
        x.grad().unwrap().to_vec::<f64>().unwrap(),
        mask.to_vec::<f64>().unwrap()
    );
    // Gradient checks with the mask fixed (as Chainer's tests pass mask=).
    let m = mask.clone();
    let f = move |v: &[Variable]| -> kusari::Result<Vec<Variable>> {
        Ok(vec![F::dropout_with(&v[0], 0.5, Some(&m))?.0])
    };
    fn_check::gradcheck("dropout", &f, &[x.array()]);
}

#[test]
fn seeding_reproduces_masks() {
    let x = ones(&[16, 16], DType::F32);
    F::set_seed(42);
    let a = F::dropout(&x, 0.5)
        .unwrap()
        .array()
        .to_vec::<f32>()
        .unwrap();
    let b = F::dropout(&x, 0.5)
        .unwrap()
        .array()
        .to_vec::<f32>()
        .unwrap();
    F::set_seed(42);
    let c = F::dropout(&x, 0.5)
        .unwrap()
        .array()
        .to_vec::<f32>()
        .unwrap();
    assert_eq!(a, c);
    assert_ne!(a, b);
    let state = F::with_generator(|g| g.state());
    let d = F::dropout(&x, 0.5)
        .unwrap()
        .array()
        .to_vec::<f32>()
        .unwrap();
    F::with_generator(|g| g.set_state(state));
    let e = F::dropout(&x, 0.5)
        .unwrap()
        .array()
        .to_vec::<f32>()
        .unwrap();
    assert_eq!(d, e);
}

#[test]
fn gaussian_gumbel_zoneout() {
    F::set_seed(5);
    let mean = Variable::new(Array::full(&[100, 100], 2.0, DType::F64).unwrap());
    let ln_var = Variable::new(Array::full(&[100, 100], (0.25f64).ln(), DType::F64).unwrap());
    let (y, eps) = F::gaussian_with(&mean, &ln_var, None).unwrap();
    let y = y.array();
    let m = y.mean(None, false).unwrap().item::<f64>().unwrap();
    let s = y.std(None, 0, false).unwrap().item::<f64>().unwrap();
    assert!(
        (m - 2.0).abs() < 0.02 && (s - 0.5).abs() < 0.02,
        "mean {m} std {s}"
    );
    let small = |a: &Array| {
        a.slice(&[
            kusari::array::SliceArg::range(0, 3, 1),
            kusari::array::SliceArg::range(0, 3, 1),
        ])
        .unwrap()
        .ascontiguousarray()
        .unwrap()
    };
    let e3 = small(&eps);
    let f3 = move |v: &[Variable]| -> kusari::Result<Vec<Variable>> {
        Ok(vec![F::gaussian_with(&v[0], &v[1], Some(&e3))?.0])
    };
    fn_check::gradcheck(
        "gaussian",
        &f3,
        &[small(&mean.array()), small(&ln_var.array())],
    );

    let log_pi = Variable::new(
        Array::from_vec(vec![0.1f32, 0.2, 0.7, 0.3, 0.3, 0.4], &[2, 3])
            .unwrap()
            .log()
            .unwrap(),
    );
    let g = F::gumbel_softmax(&log_pi, 0.1, 1).unwrap().array();
    for v in g.sum(Some(&[1]), false).unwrap().to_vec::<f32>().unwrap() {
        assert!((v - 1.0).abs() < 1e-5);
    }
    // Sampling frequencies of the arg-max follow pi.
    let many = Variable::new(
        Array::from_vec(vec![0.1f64, 0.2, 0.7], &[1, 3])
            .unwrap()
            .log()
            .unwrap()
            .broadcast_to(&[4000, 3])
            .unwrap()
            .ascontiguousarray()
            .unwrap(),
    );
    let idx = F::gumbel_softmax(&many, 0.5, 1)
        .unwrap()
        .array()
        .argmax(Some(1))
        .unwrap()
        .to_vec::<i64>()
        .unwrap();
    let p2 = idx.iter().filter(|&&i| i == 2).count() as f64 / 4000.0;
    assert!((p2 - 0.7).abs() < 0.03, "{p2}");

    let h = ones(&[100, 100], DType::F32);
    let x = Variable::new(Array::zeros(&[100, 100], DType::F32).unwrap());
    let z = F::zoneout(&h, &x, 0.3).unwrap();
    let kept_h = z.array().mean(None, false).unwrap().item::<f32>().unwrap();
    assert!((kept_h - 0.3).abs() < 0.02, "{kept_h}");
    z.sum(None, false).unwrap().backward().unwrap();
    let gh = h.grad().unwrap();
    let gx = x.grad().unwrap();
    assert_eq!(
        gh.add(&gx).unwrap().to_vec::<f32>().unwrap(),
        vec![1.0; 10000]
    );
    assert_eq!(
        gh.to_vec::<f32>().unwrap(),
        z.array().to_vec::<f32>().unwrap()
    );
}

#[test]
fn bad_inputs_are_errors() {
    let x = ones(&[2, 2], DType::F32);
    assert!(F::dropout(&x, 1.0)
        .unwrap_err()
        .to_string()
        .contains("ratio"));
    assert!(F::dropout(&x, -0.1).is_err());
    assert!(F::dropout(&Variable::new(Array::zeros(&[2], DType::I32).unwrap()), 0.5).is_err());
    let wrong = Array::ones(&[3], DType::F32).unwrap();
    assert!(F::dropout_with(&x, 0.5, Some(&wrong))
        .unwrap_err()
        .to_string()
        .contains("mask.shape"));
    assert!(F::gaussian(&x, &ones(&[2, 3], DType::F32)).is_err());
    assert!(F::zoneout(&x, &ones(&[2, 3], DType::F32), 0.5).is_err());
    assert!(F::zoneout(&x, &x, 1.5).is_err());
}
