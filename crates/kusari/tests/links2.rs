//! The remaining links against Chainer 7.8.1 (fixtures from
//! `scripts/chainer_fixtures/gen_links2.py`), their lazy initialization
//! and their errors.

mod common;

use common::{array, assert_close, fixture};
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::links::{
    Classifier, Convolution2D, ConvolutionND, Deconvolution2D, DeconvolutionND,
    DepthwiseConvolution2D, DilatedConvolution2D, EmbedID, GroupNormalization, Highway,
    LayerNormalization, Linear, Maxout, NStepBiLSTM, NStepGRU, NStepLSTM, PReLU, StatelessGRU,
    StatelessLSTM, GRU, LSTM,
};
use kusari::{Forward, Link, Parameter, Variable};
use serde_json::Value;

const TOL: (f64, f64) = (1e-5, 1e-4);

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

/// Runs the recorded steps: `run` on the recorded inputs, backward with the
/// recorded output gradients, then compares outputs, input gradients and
/// parameter gradients.
fn check(
    what: &str,
    link: &dyn Link,
    case: &Value,
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
            assert_close(&format!("{what} {k} y{i}"), &y.array(), &e, TOL.0, TOL.1);
            y.set_grad(Some(array(&step["grad_outputs"][i])));
        }
        for y in &ys {
            y.backward().unwrap();
        }
        for (i, x) in xs.iter().enumerate() {
            if let Some(e) = common::opt_array(&step["input_grads"][i]) {
                let g = x.grad().expect("input gradient");
                assert_close(&format!("{what} {k} gx{i}"), &g, &e, TOL.0, TOL.1);
            }
        }
        for (path, p) in link.namedparams() {
            let e = array(&step["param_grads"][&path]);
            let g = p
                .grad()
                .unwrap_or_else(|| panic!("{what}: no gradient for {path}"));
            assert_close(&format!("{what} {k} grad {path}"), &g, &e, TOL.0, TOL.1);
        }
    }
}

/// Loads the case into `link` (initializing lazy parameters with a first
/// forward on the case's input) and checks it.
fn check_forward(name: &str, link: &(impl Link + Forward)) {
    let fx = fixture("links2");
    let case = &fx[name];
    if link.namedparams().iter().any(|(_, p)| !p.is_initialized()) {
        link.forward(&Variable::new(array(&case["inputs"][0])))
            .unwrap();
    }
    load_params(link, case);
    check(name, link, case, &|xs| Ok(vec![link.forward(&xs[0])?]));
}

#[test]
fn classifier_defaults_match_chainer() {
    let fx = fixture("links2");
    let case = &fx["classifier"];
    let model = Classifier::new(Linear::new(3, 4));
    load_params(&model, case);
    check("classifier", &model, case, &|xs| {
        Ok(vec![model.forward(&xs[0], &xs[1])?])
    });
    let acc = model.last_accuracy().expect("accuracy").array();
    assert_close("accuracy", &acc, &array(&case["accuracy"]), 1e-6, 0.0);
    assert_eq!(model.last_y().unwrap().shape(), [5, 4]);
}

#[test]
fn convolutions_match_chainer() {
    check_forward(
        "convolution_2d",
        &Convolution2D::builder(3, 4, 3).stride(2).pad(1).build(),
    );
    check_forward(
        "convolution_2d_lazy_groups",
        &Convolution2D::builder(None, 4, [3, 2])
            .nobias(true)
            .dilate([1, 2])
            .build(),
    );
    check_forward(
        "convolution_2d_groups",
        &Convolution2D::builder(6, 4, 3).groups(2).build(),
    );
    check_forward(
        "dilated_convolution_2d",
        &DilatedConvolution2D::builder(3, 2, 3, 2).pad(2).build(),
    );
    check_forward(
        "deconvolution_2d",
        &Deconvolution2D::builder(3, 2, 3)
            .stride(2)
            .pad(1)
            .outsize([10, 10])
            .build(),
    );
    check_forward(
        "deconvolution_2d_lazy",
        &Deconvolution2D::builder(None, 2, 2).stride(2).build(),
    );
    check_forward(
        "convolution_nd",
        &ConvolutionND::builder(3, 2, 3, 2).pad(1).build(),
    );
    check_forward(
        "deconvolution_nd",
        &DeconvolutionND::builder(1, 3, 2, 3).stride(2).build(),
    );
    check_forward(
        "depthwise_convolution_2d",
        &DepthwiseConvolution2D::builder(3, 2, 3).pad(1).build(),
    );
}

#[test]
fn convolutions_initialize_lazily_with_chainers_defaults() {
    kusari::initializers::set_seed(3);
    let conv = Convolution2D::new(None, 64, 3);
    assert!(!conv.w.is_initialized());
    assert_eq!(conv.count_params(), 64);
    let x = Variable::new(Array::ones(&[1, 16, 4, 4], DType::F32).unwrap());
    assert_eq!(conv.forward(&x).unwrap().shape(), [1, 64, 2, 2]);
    let w = conv.w.array().unwrap();
    assert_eq!(w.shape(), [64, 16, 3, 3]);
    // LeCunNormal: standard deviation sqrt(1 / fan_in), fan_in = 16 * 3 * 3.
    let v = w.to_vec::<f32>().unwrap();
    let std = (v.iter().map(|x| (x * x) as f64).sum::<f64>() / v.len() as f64).sqrt();
    assert!((std * 144f64.sqrt() - 1.0).abs() < 0.05, "std {std}");
    let b = conv.b.as_ref().unwrap().array().unwrap();
    assert_eq!(b.to_vec::<f32>().unwrap(), vec![0.0; 64]);
    // Other channels afterwards are an error, not a re-initialization.
    let x8 = Variable::new(Array::ones(&[1, 8, 4, 4], DType::F32).unwrap());
    assert!(conv.forward(&x8).is_err());

    let dw = DepthwiseConvolution2D::new(None, 2, 1);
    assert_eq!(dw.count_params(), 0);
    dw.forward(&Variable::new(
        Array::ones(&[1, 3, 2, 2], DType::F32).unwrap(),
    ))
    .unwrap();
    assert_eq!(dw.b.as_ref().unwrap().array().unwrap().shape(), [6]);
    assert_eq!(dw.w.array().unwrap().shape(), [2, 3, 1, 1]);
    let de = Deconvolution2D::new(None, 5, 2);
    de.forward(&Variable::new(
        Array::ones(&[1, 3, 2, 2], DType::F32).unwrap(),
    ))
    .unwrap();
    assert_eq!(de.w.array().unwrap().shape(), [3, 5, 2, 2]);
}

#[test]
fn convolution_errors_name_the_link() {
    let x = Variable::new(Array::ones(&[1, 3, 4, 4], DType::F32).unwrap());
    let e = Convolution2D::builder(None, 4, 3)
        .groups(2)
        .build()
        .forward(&x)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Convolution2D::forward") && e.contains("groups"),
        "{e}"
    );
    let e = Convolution2D::new(None, 4, [3, 3, 3])
        .forward(&x)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ksize"), "{e}");
    let x3 = Variable::new(Array::ones(&[3, 4, 4], DType::F32).unwrap());
    let e = Convolution2D::new(3, 4, 3)
        .forward(&x3)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Convolution2D::forward") && e.contains("[3, 4, 4]"),
        "{e}"
    );
    let e = Convolution2D::builder(3, 4, 3)
        .outsize(4)
        .build()
        .forward(&x)
        .unwrap_err()
        .to_string();
    assert!(e.contains("outsize"), "{e}");
    let e = DepthwiseConvolution2D::builder(3, 2, 3)
        .groups(3)
        .build()
        .forward(&x)
        .unwrap_err()
        .to_string();
    assert!(e.contains("DepthwiseConvolution2D::forward"), "{e}");
    let e = ConvolutionND::new(3, None, 4, 2)
        .forward(&x)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ConvolutionND::forward"), "{e}");
}

#[test]
fn embed_id_matches_chainer() {
    check_forward("embed_id", &EmbedID::builder(5, 3).ignore_label(-1).build());
}

#[test]
fn embed_id_defaults_and_errors() {
    kusari::initializers::set_seed(1);
    let e = EmbedID::new(1000, 10);
    let v = e.w.array().unwrap().to_vec::<f32>().unwrap();
    let std = (v.iter().map(|x| (x * x) as f64).sum::<f64>() / v.len() as f64).sqrt();
    assert!((std - 1.0).abs() < 0.05, "Normal(1.0): std {std}");
    let ids = Variable::new(Array::from_vec(vec![1000i32], &[1]).unwrap());
    assert!(e.forward(&ids).is_err());
}

#[test]
fn lstm_matches_chainer_over_steps_and_shrinking_batches() {
    let fx = fixture("links2");
    let case = &fx["lstm"];
    let lstm = LSTM::new(None, 3).unwrap();
    assert_eq!(lstm.count_params(), 12 + 36); // upward/b and lateral/W only
    lstm.forward(&Variable::new(array(&case["inputs"][0])))
        .unwrap();
    load_params(&lstm, case);
    check("lstm", &lstm, case, &|xs| {
        lstm.reset_state();
        Ok(vec![
            lstm.forward(&xs[0])?,
            lstm.forward(&xs[0])?,
            lstm.forward(&xs[1])?,
        ])
    });
    // The rows the last, smaller batch left alone stay in the state.
    assert_eq!(lstm.h().unwrap().shape(), [3, 3]);
    // A batch larger than the state's is an error.
    let big = Variable::new(Array::ones(&[4, 4], DType::F32).unwrap());
    let e = lstm.forward(&big).unwrap_err().to_string();
    assert!(e.contains("LSTM::forward"), "{e}");
    let bad = Variable::new(Array::ones(&[2, 2], DType::F32).unwrap());
    assert!(lstm.set_state(bad.clone(), bad).is_err());
}

#[test]
fn lstm_biases_start_as_chainers() {
    let fx = fixture("links2");
    let lstm = LSTM::new(4, 3).unwrap();
    let b = lstm.upward.b.as_ref().unwrap().array().unwrap();
    assert_close("upward/b", &b, &array(&fx["lstm_default_bias"]), 0.0, 0.0);
    assert!(lstm.lateral.b.is_none());
    assert_eq!(lstm.upward.w.array().unwrap().shape(), [12, 4]);
}

#[test]
fn gru_matches_chainer() {
    let fx = fixture("links2");
    let case = &fx["gru"];
    let gru = GRU::new(4, 3);
    load_params(&gru, case);
    check("gru", &gru, case, &|xs| {
        gru.reset_state();
        Ok(vec![gru.forward(&xs[0])?, gru.forward(&xs[1])?])
    });
    let case = &fx["stateless_gru"];
    let gru = StatelessGRU::new(4, 3);
    load_params(&gru, case);
    check("stateless_gru", &gru, case, &|xs| {
        Ok(vec![gru.forward2(&xs[0], &xs[1])?])
    });
}

#[test]
fn stateless_lstm_matches_chainer() {
    let fx = fixture("links2");
    let case = &fx["stateless_lstm"];
    let lstm = StatelessLSTM::new(4, 3).unwrap();
    load_params(&lstm, case);
    check("stateless_lstm", &lstm, case, &|xs| {
        let (c, h) = lstm.forward3(Some(&xs[0]), Some(&xs[1]), &xs[2])?;
        Ok(vec![c, h])
    });
}

/// `(hy, cy, ys)` as one list of outputs.
fn flat(h: Variable, c: Option<Variable>, ys: Vec<Variable>) -> Vec<Variable> {
    let mut out = vec![h];
    out.extend(c);
    out.extend(ys);
    out
}

#[test]
fn n_step_links_match_chainer() {
    let fx = fixture("links2");
    let case = &fx["n_step_lstm"];
    let rnn = NStepLSTM::new(2, 3, 4, 0.0);
    load_params(&rnn, case);
    check("n_step_lstm", &rnn, case, &|xs| {
        let (h, c, ys) = rnn.forward(Some(&xs[0]), Some(&xs[1]), &xs[2..])?;
        Ok(flat(h, Some(c), ys))
    });
    let case = &fx["n_step_bilstm"];
    let rnn = NStepBiLSTM::new(2, 3, 4, 0.0);
    load_params(&rnn, case);
    check("n_step_bilstm", &rnn, case, &|xs| {
        let (h, c, ys) = rnn.forward(None, None, xs)?;
        Ok(flat(h, Some(c), ys))
    });
    let case = &fx["n_step_gru"];
    let rnn = NStepGRU::new(2, 3, 4, 0.0);
    load_params(&rnn, case);
    check("n_step_gru", &rnn, case, &|xs| {
        let (h, ys) = rnn.forward(Some(&xs[0]), &xs[1..])?;
        Ok(flat(h, None, ys))
    });
}

/// Equal-length sequences go through one transpose of the stacked batch
/// instead of row-by-row splits and concatenations. Their outputs, final
/// states and input gradients equal the row-by-row path's, reached by
/// adding a shorter fourth sequence (which changes no other row), for
/// the LSTM, the bidirectional LSTM and the GRU.
#[test]
fn n_step_equal_lengths_match_the_ragged_path() {
    let seq = |k: usize, len: usize| {
        let v: Vec<f32> = (0..len * 3)
            .map(|i| ((i * 7 + k * 5) % 11) as f32 * 0.1 - 0.5)
            .collect();
        Variable::new(Array::from_vec(v, &[len, 3]).unwrap())
    };
    type Run<'a> = &'a dyn Fn(&[Variable]) -> (Variable, Vec<Variable>);
    let lstm = NStepLSTM::new(2, 3, 4, 0.0);
    let bilstm = NStepBiLSTM::new(2, 3, 4, 0.0);
    let gru = NStepGRU::new(2, 3, 4, 0.0);
    let runs: [(&str, Run); 3] = [
        ("lstm", &|xs| {
            let (h, _c, ys) = lstm.forward(None, None, xs).unwrap();
            (h, ys)
        }),
        ("bilstm", &|xs| {
            let (h, _c, ys) = bilstm.forward(None, None, xs).unwrap();
            (h, ys)
        }),
        ("gru", &|xs| gru.forward(None, xs).unwrap()),
    ];
    for (name, run) in runs {
        // (ys, h of the three equal rows, input gradients) of one batch.
        let outcome = |with_short: bool| {
            let mut xs: Vec<Variable> = (0..3).map(|k| seq(k, 4)).collect();
            if with_short {
                xs.push(seq(7, 2));
            }
            let (h, ys) = run(&xs);
            let mut loss: Option<Variable> = None;
            for (k, y) in ys.iter().take(3).enumerate() {
                let term = F::sum(&(y * (k as f64 + 1.0)), None, false).unwrap();
                loss = Some(match loss {
                    Some(l) => &l + &term,
                    None => term,
                });
            }
            loss.unwrap().backward().unwrap();
            let h = h.array().to_vec::<f32>().unwrap();
            // h is (layers × directions, B, 4): rows of 4, batch row i % B.
            let h_rows: Vec<f32> = h
                .chunks(4)
                .enumerate()
                .filter(|(i, _)| !with_short || i % 4 != 3)
                .flat_map(|(_, r)| r.to_vec())
                .collect();
            let vals = |v: &[Variable]| -> Vec<Vec<f32>> {
                v.iter()
                    .map(|x| x.array().to_vec::<f32>().unwrap())
                    .collect()
            };
            let grads: Vec<Vec<f32>> = xs[..3]
                .iter()
                .map(|x| x.grad().unwrap().to_vec::<f32>().unwrap())
                .collect();
            (vals(&ys[..3]), h_rows, grads)
        };
        let (fast, ragged) = (outcome(false), outcome(true));
        let close = |a: &[Vec<f32>], b: &[Vec<f32>], what: &str| {
            for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
                assert!(
                    (x - y).abs() <= 1e-6 + 1e-5 * y.abs(),
                    "{name} {what}: {x} vs {y}"
                );
            }
            assert_eq!(
                a.iter().map(Vec::len).sum::<usize>(),
                b.iter().map(Vec::len).sum::<usize>()
            );
        };
        close(&fast.0, &ragged.0, "ys");
        close(&[fast.1], &[ragged.1], "hy");
        close(&fast.2, &ragged.2, "input gradients");
    }
}

#[test]
fn n_step_errors_name_the_link() {
    let rnn = NStepLSTM::new(1, 3, 4, 0.0);
    let e = rnn.forward(None, None, &[]).unwrap_err().to_string();
    assert!(e.contains("NStepLSTM::forward"), "{e}");
    let x = Variable::new(Array::ones(&[2, 3], DType::F32).unwrap());
    let h = Variable::new(Array::zeros(&[2, 1, 4], DType::F32).unwrap());
    let e = rnn
        .forward(Some(&h), None, std::slice::from_ref(&x))
        .unwrap_err()
        .to_string();
    assert!(e.contains("(1, 1, 4)"), "{e}");
    assert_eq!(rnn.namedparams().len(), 16);
}

#[test]
fn activation_and_normalization_links_match_chainer() {
    check_forward("prelu", &PReLU::new(&[3, 2], 0.25));
    check_forward("maxout", &Maxout::new(4, 3, 2, false));
    check_forward("highway", &Highway::new(4, false));
    check_forward("layer_normalization", &LayerNormalization::new(None));
    check_forward("group_normalization", &GroupNormalization::new(2, None));
}

#[test]
fn activation_and_normalization_defaults_and_errors() {
    let p = PReLU::new(&[], 0.25);
    assert_eq!(p.w.array().unwrap().to_vec::<f32>().unwrap(), vec![0.25]);
    let h = Highway::new(3, false);
    let bt = h.transform.b.as_ref().unwrap().array().unwrap();
    assert_eq!(bt.to_vec::<f32>().unwrap(), vec![-1.0; 3]);
    let hb = h.plain.b.as_ref().unwrap().array().unwrap();
    assert_eq!(hb.to_vec::<f32>().unwrap(), vec![0.0; 3]);
    let ln = LayerNormalization::new(None);
    assert_eq!(ln.count_params(), 0);
    assert_eq!(ln.eps, 1e-6);
    let gn = GroupNormalization::new(3, None);
    assert_eq!(gn.eps, 1e-5);
    let x1 = Variable::new(Array::ones(&[4], DType::F32).unwrap());
    let e = gn.forward(&x1).unwrap_err().to_string();
    assert!(e.contains("GroupNormalization::forward"), "{e}");
    // 4 channels do not split into 3 groups.
    let x = Variable::new(Array::ones(&[2, 4, 3], DType::F32).unwrap());
    assert!(gn.forward(&x).is_err());
    let m = Maxout::new(None, 3, 2, true);
    assert!(m.linear.b.is_none());
    let y = m.forward(&Variable::new(Array::ones(&[2, 5], DType::F32).unwrap()));
    assert_eq!(y.unwrap().shape(), [2, 3]);
    assert_eq!(m.linear.w.array().unwrap().shape(), [6, 5]);
}
