//! Links against Chainer 7.8.1 (fixtures from
//! `scripts/chainer_fixtures/gen_links.py`), and the containers, the
//! derive, copying and lazy initialization.

mod common;

use common::{array, assert_close, fixture};
use kusari::array::{Array, DType};
use kusari::links::{ChainList, Classifier, Linear, Sequential};
use kusari::{copy_link, functions as F, CopyMode, Forward, Link, Parameter, Persistent, Variable};
use serde_json::Value;
use std::rc::Rc;

/// Sets every parameter of `link` from the case, checking that the paths
/// are exactly Chainer's.
fn load_params(link: &dyn Link, case: &Value) {
    let expected = case["params"].as_object().unwrap();
    let mine: Vec<(String, Parameter)> = link.namedparams();
    let mut names: Vec<&str> = mine.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    let mut theirs: Vec<&str> = expected.keys().map(String::as_str).collect();
    theirs.sort();
    assert_eq!(names, theirs, "parameter paths");
    for (path, p) in mine {
        p.set_array(array(&expected[&path])).unwrap();
    }
}

fn load_persistents(link: &dyn Link, state: &Value) {
    for (path, p) in link.namedpersistents() {
        p.set(array(&state[&path]));
    }
}

/// Runs the recorded steps: forward with `run`, backward with the recorded
/// output gradient, then compares outputs and gradients.
fn check_steps(
    what: &str,
    link: &dyn Link,
    case: &Value,
    tol: (f64, f64),
    run: &dyn Fn(&[Variable]) -> kusari::Result<Vec<Variable>>,
) {
    let inputs: Vec<Array> = case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(array)
        .collect();
    for (k, step) in case["steps"].as_array().unwrap().iter().enumerate() {
        let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
        link.cleargrads();
        let ys = run(&xs).unwrap();
        for (i, y) in ys.iter().enumerate() {
            let e = array(&step["outputs"][i]);
            assert_close(
                &format!("{what} step {k} y{i}"),
                &y.array(),
                &e,
                tol.0,
                tol.1,
            );
            y.set_grad(Some(array(&step["grad_outputs"][i])));
        }
        for y in &ys {
            y.backward().unwrap();
        }
        for (i, x) in xs.iter().enumerate() {
            if let Some(e) = common::opt_array(&step["input_grads"][i]) {
                let g = x.grad().expect("input gradient");
                assert_close(&format!("{what} step {k} gx{i}"), &g, &e, tol.0, tol.1);
            }
        }
        for (path, p) in link.namedparams() {
            let e = array(&step["param_grads"][&path]);
            let g = p
                .grad()
                .unwrap_or_else(|| panic!("{what}: no gradient for {path}"));
            assert_close(
                &format!("{what} step {k} grad {path}"),
                &g,
                &e,
                tol.0,
                tol.1,
            );
        }
    }
}

const F32_TOL: (f64, f64) = (1e-5, 1e-4);

#[test]
fn linear_matches_chainer() {
    let fx = fixture("links");
    let cases: [(&str, Linear, usize); 4] = [
        ("linear", Linear::new(5, 3), 1),
        (
            "linear_lazy_nobias",
            Linear::builder(None, 3).nobias(true).build(),
            1,
        ),
        ("linear_flatten", Linear::new(12, 4), 1),
        ("linear_batch_axes", Linear::new(4, 3), 2),
    ];
    for (name, l, axes) in cases {
        let case = &fx[name];
        load_params(&l, case);
        check_steps(name, &l, case, F32_TOL, &|xs| {
            Ok(vec![l.forward_batch_axes(&xs[0], axes)?])
        });
    }
}

#[test]
fn linear_initializes_lazily_with_chainers_defaults() {
    kusari::initializers::set_seed(5);
    let l = Linear::new(None, 300);
    assert!(!l.w.is_initialized());
    assert_eq!(l.count_params(), 300); // only the bias so far
    let y = l
        .forward(&Variable::new(Array::ones(&[2, 400], DType::F32).unwrap()))
        .unwrap();
    assert_eq!(y.shape(), [2, 300]);
    let w = l.w.array().unwrap();
    assert_eq!((w.shape(), w.dtype()), (&[300, 400][..], DType::F32));
    // LeCunNormal: standard deviation sqrt(1 / in_size).
    let v = w.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    let std = (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
    assert!(
        (std / (1.0f64 / 400.0).sqrt() - 1.0).abs() < 0.02,
        "std {std}"
    );
    assert_eq!(
        l.b.as_ref()
            .unwrap()
            .array()
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        vec![0.0; 300]
    );
    // A second input of another size is an error, not a silent re-init.
    let e = l.forward(&Variable::new(Array::ones(&[2, 3], DType::F32).unwrap()));
    assert!(e.is_err());
    let e = l.forward_batch_axes(&Variable::new(Array::ones(&[2], DType::F32).unwrap()), 2);
    assert!(e.unwrap_err().to_string().contains("n_batch_axes"));
}

#[test]
fn linear_options() {
    let l = Linear::builder(2, 3)
        .initial_w(0.5)
        .initial_bias(kusari::initializers::One)
        .dtype(DType::F64)
        .build();
    assert_eq!(l.w.array().unwrap().to_vec::<f64>().unwrap(), vec![0.5; 6]);
    assert_eq!(
        l.b.as_ref()
            .unwrap()
            .array()
            .unwrap()
            .to_vec::<f64>()
            .unwrap(),
        vec![1.0; 3]
    );
    let names: Vec<String> = l.namedparams().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["/W", "/b"]);
}

#[derive(kusari::Chain)]
struct Mlp {
    l1: Linear,
    l2: Linear,
    #[chain(skip)]
    _n_units: usize,
}

impl Forward for Mlp {
    fn forward(&self, x: &Variable) -> kusari::Result<Variable> {
        self.l2.forward(&F::exp(&self.l1.forward(x)?)?)
    }
}

#[derive(kusari::Chain)]
struct Everything {
    #[chain(rename = "W")]
    w: Parameter,
    b: Option<Parameter>,
    nothing: Option<Parameter>,
    n: Persistent,
    child: Option<Linear>,
    absent: Option<Linear>,
    blocks: Vec<Linear>,
    list: ChainList<Linear>,
}

#[test]
fn derive_registers_fields_by_kind_and_name() {
    let p = |n: &str| Parameter::new(n, Array::zeros(&[2], DType::F32).unwrap());
    let e = Everything {
        w: p("W"),
        b: Some(p("b")),
        nothing: None,
        n: Persistent::new(Array::zeros(&[], DType::I64).unwrap()),
        child: Some(Linear::new(1, 1)),
        absent: None,
        blocks: vec![Linear::new(1, 1), Linear::new(1, 1)],
        list: ChainList::repeat(1, |_| Ok(Linear::builder(1, 1).nobias(true).build())).unwrap(),
    };
    let names: Vec<String> = e.namedparams().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "/W",
            "/b",
            "/child/W",
            "/child/b",
            "/blocks/0/W",
            "/blocks/0/b",
            "/blocks/1/W",
            "/blocks/1/b",
            "/list/0/W"
        ]
    );
    let pers: Vec<String> = e.namedpersistents().into_iter().map(|(n, _)| n).collect();
    assert_eq!(pers, ["/n"]);
    assert_eq!(
        e.namedlinks(),
        [
            "/",
            "/child",
            "/blocks",
            "/blocks/0",
            "/blocks/1",
            "/list",
            "/list/0"
        ]
    );
}

#[test]
fn classifier_paths_and_last_values() {
    let model = Classifier::with_lossfun(
        Mlp {
            l1: Linear::new(None, 4),
            l2: Linear::new(4, 3),
            _n_units: 4,
        },
        Rc::new(|y: &Variable, t: &Variable| (y - t).pow(2.0).sum(None, false)),
    );
    assert!(model.last_loss().is_none());
    let x = Variable::new(Array::ones(&[2, 5], DType::F32).unwrap());
    let t = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let loss = model.forward(&x, &t).unwrap();
    loss.backward().unwrap();
    let names: Vec<String> = model.namedparams().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "/predictor/l1/W",
            "/predictor/l1/b",
            "/predictor/l2/W",
            "/predictor/l2/b"
        ]
    );
    assert!(model.params().iter().all(|p| p.grad().is_some()));
    assert!(model.last_accuracy().is_none()); // no accuracy function given
    assert_eq!(model.last_y().unwrap().shape(), [2, 3]);
}

#[test]
fn sequential_numbers_only_links_and_runs_in_order() {
    let s = Sequential::new()
        .add(Linear::new(3, 2))
        .add_fn(F::exp)
        .add(Linear::new(2, 1));
    let x = Variable::new(Array::ones(&[4, 3], DType::F32).unwrap());
    let y = s.forward(&x).unwrap();
    assert_eq!(y.shape(), [4, 1]);
    assert_eq!(s.namedlinks(), ["/", "/0", "/1"]);
    let e = Sequential::new().forward(&x).unwrap_err();
    assert!(e.to_string().contains("sequence is empty"), "{e}");
    let r = Sequential::repeat(3, |_| Ok(Linear::new(2, 2))).unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r.count_params(), 18);
    let w: Vec<Vec<f32>> = r
        .params()
        .iter()
        .step_by(2)
        .map(|p| p.array().unwrap().to_vec().unwrap())
        .collect();
    assert_ne!(w[0], w[1], "repeat builds independent layers");
}

#[test]
fn shared_models_through_rc_and_box() {
    let m = Rc::new(Linear::new(2, 2));
    let b: Box<dyn Link> = Box::new(m.clone());
    assert!(b.params()[0].ptr_eq(&m.w));
    let y = m
        .forward(&Variable::new(Array::ones(&[1, 2], DType::F32).unwrap()))
        .unwrap();
    assert_eq!(y.shape(), [1, 2]);
}

#[test]
fn copyparams_addgrads_and_copies() {
    let a = Mlp {
        l1: Linear::new(3, 4),
        l2: Linear::new(4, 2),
        _n_units: 4,
    };
    let b = Mlp {
        l1: Linear::new(None, 4),
        l2: Linear::new(4, 2),
        _n_units: 4,
    };
    b.copyparams(&a).unwrap();
    for ((pa, x), (pb, y)) in a.namedparams().iter().zip(b.namedparams()) {
        assert_eq!(pa, &pb);
        assert_eq!(
            x.array().unwrap().to_vec::<f32>().unwrap(),
            y.array().unwrap().to_vec::<f32>().unwrap()
        );
        assert!(!x.ptr_eq(&y));
    }
    // A write to the copy does not reach the source (copy-on-write arrays).
    b.l1.w.var().unwrap().update_array(|w| w.fill(7.0)).unwrap();
    assert_ne!(a.l1.w.array().unwrap().to_vec::<f32>().unwrap()[0], 7.0);

    let wrong = Mlp {
        l1: Linear::new(5, 4),
        l2: Linear::new(4, 2),
        _n_units: 4,
    };
    let e = wrong.copyparams(&a).unwrap_err();
    assert!(
        e.to_string()
            .contains("/l1/W: this link has shape [4, 5], the other [4, 3]"),
        "{e}"
    );
    let e = a.copyparams(&Linear::new(3, 4)).unwrap_err();
    assert!(e.to_string().contains("no parameter /l1/W"), "{e}");

    let x = Variable::new(Array::ones(&[2, 3], DType::F32).unwrap());
    a.forward(&x)
        .unwrap()
        .sum(None, false)
        .unwrap()
        .backward()
        .unwrap();
    b.cleargrads();
    b.addgrads(&a).unwrap();
    b.addgrads(&a).unwrap();
    let ga = a.l1.w.grad().unwrap().to_vec::<f32>().unwrap();
    let gb = b.l1.w.grad().unwrap().to_vec::<f32>().unwrap();
    assert!(ga.iter().zip(&gb).all(|(x, y)| (2.0 * x - y).abs() < 1e-6));

    let c = copy_link(&a, CopyMode::Copy, || {
        Ok(Mlp {
            l1: Linear::new(None, 4),
            l2: Linear::new(4, 2),
            _n_units: 4,
        })
    })
    .unwrap();
    assert_eq!(
        c.l1.w.array().unwrap().to_vec::<f32>().unwrap(),
        a.l1.w.array().unwrap().to_vec::<f32>().unwrap()
    );
    assert_eq!(c.l1.w.grad().unwrap().to_vec::<f32>().unwrap(), ga);
    let d = copy_link(&a, CopyMode::Init, || {
        Ok(Mlp {
            l1: Linear::new(None, 4),
            l2: Linear::new(4, 2),
            _n_units: 4,
        })
    })
    .unwrap();
    assert_eq!(d.l1.w.array().unwrap().shape(), &[4, 3]);
    assert_ne!(
        d.l1.w.array().unwrap().to_vec::<f32>().unwrap(),
        a.l1.w.array().unwrap().to_vec::<f32>().unwrap()
    );
    a.to_device(kusari::array::Device::Cpu).unwrap();
    assert_eq!(a.l1.w.grad().unwrap().to_vec::<f32>().unwrap(), ga);
}

#[test]
fn bias_scale_and_bilinear_match_chainer() {
    use kusari::links::{Bias, Bilinear, Scale};
    let fx = fixture("links");
    let bias = Bias::new(1, &[3]);
    load_params(&bias, &fx["bias"]);
    check_steps("bias", &bias, &fx["bias"], F32_TOL, &|xs| {
        Ok(vec![bias.forward(&xs[0])?])
    });
    let scale = Scale::new(1, &[3, 4], true);
    load_params(&scale, &fx["scale_bias"]);
    check_steps("scale", &scale, &fx["scale_bias"], F32_TOL, &|xs| {
        Ok(vec![scale.forward(&xs[0])?])
    });
    for (name, nobias) in [("bilinear", false), ("bilinear_nobias", true)] {
        let l = Bilinear::new(2, 4, 3, nobias);
        load_params(&l, &fx[name]);
        check_steps(name, &l, &fx[name], F32_TOL, &|xs| {
            Ok(vec![l.forward2(&xs[0], &xs[1])?])
        });
    }
    let e = bias
        .forward(&Variable::new(Array::ones(&[2, 4], DType::F32).unwrap()))
        .unwrap_err();
    assert!(e.to_string().contains("x.shape[1..2]"), "{e}");
}

#[test]
fn batch_normalization_train_and_test_match_chainer() {
    use kusari::config::{using_config, Setting};
    use kusari::links::BatchNormalization;
    let fx = fixture("links");
    let case = &fx["batch_normalization_train"];
    let bn = BatchNormalization::new(3).unwrap();
    load_params(&bn, case);
    load_persistents(&bn, &case["persistents_before"]);
    check_steps("bn train", &bn, case, F32_TOL, &|xs| {
        Ok(vec![bn.forward(&xs[0])?])
    });
    // The running averages after two steps, as Chainer's.
    for (path, p) in bn.namedpersistents() {
        let e = array(&case["persistents_after"][&path]);
        assert_close(&format!("bn {path}"), &p.get(), &e, 1e-6, 1e-5);
    }
    let names: Vec<String> = bn.namedpersistents().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["/avg_mean", "/avg_var", "/N"]);

    let case = &fx["batch_normalization_test"];
    let bn = BatchNormalization::new(3).unwrap();
    load_params(&bn, case);
    load_persistents(&bn, &case["persistents_before"]);
    let _g = using_config(Setting::Train, false);
    check_steps("bn test", &bn, case, F32_TOL, &|xs| {
        Ok(vec![bn.forward(&xs[0])?])
    });
    // Test mode leaves the statistics alone.
    for (path, p) in bn.namedpersistents() {
        let e = array(&case["persistents_before"][&path]);
        assert_close(&format!("bn test {path}"), &p.get(), &e, 0.0, 0.0);
    }
}
