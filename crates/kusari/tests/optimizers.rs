//! Optimizers and optimizer hooks against Chainer 7.8.1 (fixtures from
//! `scripts/chainer_fixtures/gen_optimizers.py`), plus the properties the
//! fixtures cannot show: in-place updates, state save/restore, frozen and
//! lazy parameters, hyperparameter access.

mod common;

use common::{array, assert_close, fixture};
use kusari::array::{Array, DType};
use kusari::optimizer_hooks::*;
use kusari::optimizers::*;
use kusari::serializers::{LoadOptions, StateDict};
use kusari::{Link, Parameter};
use serde_json::Value;

struct Model {
    w: Parameter,
    b: Parameter,
}

impl Link for Model {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("W", &self.w);
        f("b", &self.b);
    }
}

fn optimizer(name: &str, kwargs: &Value) -> Box<dyn Optimizer> {
    let mut opt: Box<dyn Optimizer> = match name {
        "SGD" => Box::new(SGD::new()),
        "MomentumSGD" => Box::new(MomentumSGD::new()),
        "CorrectedMomentumSGD" => Box::new(CorrectedMomentumSGD::new()),
        "NesterovAG" => Box::new(NesterovAG::new()),
        "AdaGrad" => Box::new(AdaGrad::new()),
        "AdaDelta" => Box::new(AdaDelta::new()),
        "RMSprop" => Box::new(RMSprop::new()),
        "RMSpropGraves" => Box::new(RMSpropGraves::new()),
        "Adam" => Box::new(Adam::new()),
        "AdamW" => Box::new(Adam::adamw(0.0)),
        "AMSGrad" => Box::new(Adam::amsgrad()),
        "AdaBound" => Box::new(Adam::adabound()),
        "AMSBound" => Box::new(Adam::amsbound()),
        "SMORMS3" => Box::new(SMORMS3::new()),
        "MSVAG" => Box::new(MSVAG::new()),
        other => panic!("unknown optimizer {other}"),
    };
    for (k, v) in kwargs.as_object().unwrap() {
        let v = match v {
            Value::Bool(b) => *b as u8 as f64,
            v => v.as_f64().unwrap(),
        };
        opt.set_hyperparam(k, v).unwrap();
        assert_eq!(opt.hyperparam(k), Some(v), "{name}.{k}");
    }
    opt
}

fn hook(name: &str) -> Box<dyn OptimizerHook> {
    match name {
        "WeightDecay" => Box::new(WeightDecay::new(0.1)),
        "Lasso" => Box::new(Lasso::new(0.05)),
        "GradientClipping" => Box::new(GradientClipping::new(0.5)),
        "GradientHardClipping" => Box::new(GradientHardClipping::new(-0.3, 0.2)),
        // The fixture's deterministic noise_func.
        "GradientNoise" => Box::new(GradientNoise::with_noise(
            0.3,
            Box::new(|shape, dtype, eta, t| {
                let size: usize = shape.iter().product();
                let v: Vec<f64> = (0..size)
                    .map(|i| eta * 0.01 * (i as f64 - 1.0) / (1.0 + t as f64))
                    .collect();
                Array::from_vec(v, shape)?.astype(dtype)
            }),
        )),
        "GradientLARS" => Box::new(GradientLARS::new(0.01, 0.02, 1e-9)),
        other => panic!("unknown hook {other}"),
    }
}

fn with_timing(h: Box<dyn OptimizerHook>, name: &str, post: bool) -> Box<dyn OptimizerHook> {
    if !post {
        return h;
    }
    // Rebuild with the post timing (the builders consume the hook).
    match name {
        "WeightDecay" => Box::new(WeightDecay::new(0.1).with_timing(Timing::Post)),
        "Lasso" => Box::new(Lasso::new(0.05).with_timing(Timing::Post)),
        "GradientClipping" => Box::new(GradientClipping::new(0.5).with_timing(Timing::Post)),
        "GradientHardClipping" => {
            Box::new(GradientHardClipping::new(-0.3, 0.2).with_timing(Timing::Post))
        }
        "GradientNoise" => Box::new(GradientNoise::new(0.3, 0).with_timing(Timing::Post)),
        "GradientLARS" => Box::new(GradientLARS::new(0.01, 0.02, 1e-9).with_timing(Timing::Post)),
        _ => h,
    }
}

#[test]
fn every_optimizer_and_hook_matches_chainer_step_by_step() {
    let fx = fixture("optimizers");
    let cases = fx.as_object().unwrap();
    assert!(cases.len() >= 40);
    for (case, c) in cases {
        let model = Model {
            w: Parameter::new("W", array(&c["init"]["W"])),
            b: Parameter::new("b", array(&c["init"]["b"])),
        };
        let (a, ab, cw, cb) = (
            array(&c["a"]),
            array(&c["ab"]),
            array(&c["c"]),
            array(&c["cb"]),
        );
        let mut opt = optimizer(c["optimizer"].as_str().unwrap(), &c["kwargs"]);
        opt.setup(&model).unwrap();
        let post = c["timing"] == "post";
        for h in c["hooks"].as_array().unwrap() {
            let name = h.as_str().unwrap();
            opt.add_hook(with_timing(hook(name), name, post)).unwrap();
        }
        for (i, step) in c["steps"].as_array().unwrap().iter().enumerate() {
            model.cleargrads();
            let gw = a
                .multiply(&model.w.array().unwrap().subtract(&cw).unwrap())
                .unwrap();
            let gb = ab
                .multiply(&model.b.array().unwrap().subtract(&cb).unwrap())
                .unwrap();
            model.w.set_grad(Some(gw)).unwrap();
            model.b.set_grad(Some(gb)).unwrap();
            opt.update().unwrap();
            for (name, p) in [("W", &model.w), ("b", &model.b)] {
                let what = format!("{case}: {name} after step {}", i + 1);
                assert_close(&what, &p.array().unwrap(), &array(&step[name]), 1e-6, 1e-5);
            }
        }
        let saved = StateDict::save(&*opt).unwrap();
        let expected = c["state"].as_object().unwrap();
        assert_eq!(
            saved.keys().collect::<Vec<_>>(),
            expected.keys().map(String::as_str).collect::<Vec<_>>(),
            "{case}: state keys"
        );
        for (k, v) in expected {
            assert_close(
                &format!("{case}: state {k}"),
                saved.get(k).unwrap(),
                &array(v),
                1e-6,
                1e-5,
            );
        }
    }
}

fn model(n: usize, pattern: impl Fn(usize) -> f32) -> Model {
    let w: Vec<f32> = (0..n).map(&pattern).collect();
    Model {
        w: Parameter::new("W", Array::from_vec(w, &[n]).unwrap()),
        b: Parameter::new("b", Array::full(&[3], 0.5, DType::F32).unwrap()),
    }
}

fn set_grads(m: &Model) {
    for p in [&m.w, &m.b] {
        let g = p.array().unwrap().multiply(2.0).unwrap().add(0.25).unwrap();
        p.set_grad(Some(g)).unwrap();
    }
}

#[test]
fn updates_run_in_place_and_large_parameters_match_small_ones() {
    // 200 003 elements take the parallel chunked path; the pattern repeats
    // every 7, so each element must equal its twin in a 7-element run.
    let big = model(200_003, |i| (i % 7) as f32 - 3.0);
    let small = model(7, |i| i as f32 - 3.0);
    for make in [
        || -> Box<dyn Optimizer> { Box::new(Adam::amsbound()) },
        || -> Box<dyn Optimizer> { Box::new(Adam::new()) },
        || -> Box<dyn Optimizer> { Box::new(MomentumSGD::new()) },
        || -> Box<dyn Optimizer> { Box::new(SMORMS3::new()) },
        || -> Box<dyn Optimizer> { Box::new(MSVAG::new()) },
    ] {
        let (mut ob, mut os) = (make(), make());
        ob.setup(&big).unwrap();
        os.setup(&small).unwrap();
        let ptr = big
            .w
            .var()
            .unwrap()
            .data()
            .as_slice::<f32>()
            .unwrap()
            .as_ptr();
        for _ in 0..3 {
            set_grads(&big);
            set_grads(&small);
            ob.update().unwrap();
            os.update().unwrap();
            assert_eq!(
                big.w
                    .var()
                    .unwrap()
                    .data()
                    .as_slice::<f32>()
                    .unwrap()
                    .as_ptr(),
                ptr
            );
        }
        let b = big.w.array().unwrap().to_vec::<f32>().unwrap();
        let s = small.w.array().unwrap().to_vec::<f32>().unwrap();
        for (i, v) in b.iter().enumerate() {
            assert_eq!(v.to_bits(), s[i % 7].to_bits(), "element {i}");
        }
    }
}

#[test]
fn float64_and_float16_parameters_are_updated() {
    for dtype in [DType::F64, DType::F16] {
        let m = Model {
            w: Parameter::new("W", Array::full(&[4], 1.0, dtype).unwrap()),
            b: Parameter::new("b", Array::full(&[2], -1.0, dtype).unwrap()),
        };
        let mut opt = Adam::with_rule(AdamRule {
            alpha: 0.1,
            ..AdamRule::default()
        });
        opt.setup(&m).unwrap();
        set_grads(&m);
        opt.update().unwrap();
        let w = m.w.array().unwrap();
        assert_eq!(w.dtype(), dtype);
        // The first Adam step moves by alpha in the gradient's direction.
        assert!((w.astype(DType::F64).unwrap().get::<f64>(&[0]).unwrap() - 0.9).abs() < 1e-3);
        assert_eq!(opt.state("/W").unwrap()[0].1.dtype(), dtype);
    }
    let ints = Model {
        w: Parameter::new("W", Array::zeros(&[2], DType::I32).unwrap()),
        b: Parameter::new("b", Array::zeros(&[2], DType::F32).unwrap()),
    };
    let mut opt = SGD::new();
    opt.setup(&ints).unwrap();
    ints.w
        .set_grad(Some(Array::ones(&[2], DType::I32).unwrap()))
        .unwrap();
    let e = opt.update().unwrap_err().to_string();
    assert!(
        e.contains("parameter /W is int32: only floating-point"),
        "{e}"
    );
}

#[test]
fn state_saves_with_chainers_keys_and_training_resumes_identically() {
    let a = model(5, |i| i as f32 * 0.3 - 0.6);
    let mut oa = Adam::amsgrad();
    oa.setup(&a).unwrap();
    let before = StateDict::save(&oa).unwrap();
    // Before the first update only the counters exist (Chainer writes no state yet).
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        ["W/t", "b/t", "epoch", "t"]
    );
    for _ in 0..3 {
        set_grads(&a);
        oa.update().unwrap();
    }
    oa.new_epoch();
    let saved_model = StateDict::save(&a).unwrap();
    let saved = StateDict::save(&oa).unwrap();
    assert_eq!(
        saved.keys().collect::<Vec<_>>(),
        ["W/m", "W/t", "W/v", "W/vhat", "b/m", "b/t", "b/v", "b/vhat", "epoch", "t"]
    );
    assert_eq!(saved.get("t").unwrap().dtype(), DType::I64);

    let b = model(5, |_| 0.0);
    saved_model.load_into(&b, &LoadOptions::default()).unwrap();
    let mut ob = Adam::amsgrad();
    ob.setup(&b).unwrap();
    saved.load_into(&ob, &LoadOptions::default()).unwrap();
    assert_eq!((ob.t(), ob.epoch()), (3, 1));
    for _ in 0..2 {
        set_grads(&a);
        set_grads(&b);
        oa.update().unwrap();
        ob.update().unwrap();
    }
    assert_eq!(
        a.w.array().unwrap().to_vec::<f32>().unwrap(),
        b.w.array().unwrap().to_vec::<f32>().unwrap()
    );

    // A wrong state shape is refused before anything changes.
    let mut bad = saved.clone();
    bad.insert("W/m", Array::zeros(&[4], DType::F32).unwrap());
    let e = bad
        .load_into(&ob, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("W/m"), "{e}");
    assert_eq!(ob.t(), 5);
}

#[test]
fn frozen_and_lazy_parameters_are_skipped() {
    let lazy = Parameter::lazy("W", DType::F32, Box::new(|s, d| Array::full(s, 1.0, d)));
    let m = Model {
        w: lazy.clone(),
        b: Parameter::new("b", Array::full(&[3], 1.0, DType::F32).unwrap()),
    };
    let mut opt = MomentumSGD::new();
    opt.setup(&m).unwrap();
    m.b.set_update_enabled(false);
    m.b.set_grad(Some(Array::ones(&[3], DType::F32).unwrap()))
        .unwrap();
    opt.update().unwrap();
    assert_eq!(m.b.array().unwrap().to_vec::<f32>().unwrap(), vec![1.0; 3]);
    assert!(opt.state("/b").is_none() && opt.state("/W").is_none());
    // The lazy parameter gets its data later and is then updated.
    lazy.initialize(&[2]).unwrap();
    lazy.set_grad(Some(Array::ones(&[2], DType::F32).unwrap()))
        .unwrap();
    opt.update().unwrap();
    assert_eq!(
        lazy.array().unwrap().to_vec::<f32>().unwrap(),
        vec![0.99; 2]
    );
    let saved = StateDict::save(&opt).unwrap();
    // Rule counters: W counted both steps (Chainer counts uninitialized ones), b none.
    assert_eq!(saved.get("W/t").unwrap().item::<i64>().unwrap(), 2);
    assert_eq!(saved.get("b/t").unwrap().item::<i64>().unwrap(), 0);
    assert!(saved.get("b/v").is_none());
    // The frozen parameter's missing state is fine even when strict.
    let mut again = MomentumSGD::new();
    again.setup(&m).unwrap();
    saved.load_into(&again, &LoadOptions::default()).unwrap();
    assert!(again.state("/W").is_some() && again.state("/b").is_none());
}

#[test]
fn hyperparameters_by_name() {
    let mut opt = Adam::new();
    assert_eq!(opt.hyperparam("alpha"), Some(0.001));
    assert_eq!(opt.hyperparam("lr"), None); // alpha_t needs a step
    assert!(opt.alpha_t().is_err());
    let e = opt.set_hyperparam("lr", 0.1).unwrap_err().to_string();
    assert!(e.contains("set \"alpha\""), "{e}");
    let e = opt.set_hyperparam("momentum", 0.1).unwrap_err().to_string();
    assert!(e.contains("Adam has no hyperparameter \"momentum\""), "{e}");
    let e = opt.set_hyperparam("amsgrad", 0.5).unwrap_err().to_string();
    assert!(e.contains("expected 0 or 1"), "{e}");
    let m = model(2, |_| 1.0);
    opt.setup(&m).unwrap();
    set_grads(&m);
    opt.update().unwrap();
    let alpha_t = 0.001 * (1.0f64 - 0.999).sqrt() / (1.0 - 0.9);
    assert!((opt.hyperparam("lr").unwrap() - alpha_t).abs() < 1e-15);
    let mut sgd = MomentumSGD::new();
    sgd.set_hyperparam("lr", 0.5).unwrap();
    assert_eq!(
        (sgd.rule().lr, sgd.hyperparam("momentum")),
        (0.5, Some(0.9))
    );
    assert_eq!(sgd.hyperparam("alpha"), None);
}

#[test]
fn hooks_register_by_name_and_noise_is_seeded() {
    let mut opt = SGD::new();
    opt.add_hook(Box::new(WeightDecay::new(0.1))).unwrap();
    let e = opt
        .add_hook(Box::new(WeightDecay::new(0.2)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"WeightDecay\" is already registered"), "{e}");
    opt.remove_hook("WeightDecay").unwrap();
    assert!(opt.remove_hook("WeightDecay").is_err());

    let run = |seed| {
        let m = model(1000, |_| 0.0);
        let mut opt = SGD::new();
        opt.set_hyperparam("lr", 1.0).unwrap();
        opt.setup(&m).unwrap();
        opt.add_hook(Box::new(GradientNoise::new(1.0, seed)))
            .unwrap();
        m.w.set_grad(Some(Array::zeros(&[1000], DType::F32).unwrap()))
            .unwrap();
        opt.update().unwrap();
        m.w.array().unwrap().to_vec::<f32>().unwrap()
    };
    let (a, b, c) = (run(1), run(1), run(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // At t = 0 the noise has standard deviation sqrt(eta) = 1.
    let var = a.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / a.len() as f64;
    assert!((var - 1.0).abs() < 0.15, "variance {var}");
}
