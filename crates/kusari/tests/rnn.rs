//! The recurrent functions: Chainer 7.8.1 fixtures, gradient checks (first
//! and second order, float32 and float64, strided inputs, shrinking
//! batches) and error messages. Tolerances as in `loss.rs`.

mod common;

use common::{arrays, assert_close, fixture};
use kusari::array::ops::random::Generator;
use kusari::array::{s, Array, DType};
use kusari::config::{using_config, Setting};
use kusari::functions::{self as F, RnnActivation};
use kusari::gradient_check::{check_backward, check_double_backward, CheckOptions};
use kusari::{grad, Result, Variable};
use serde_json::Value;

/// The n_step function of a fixture case on its flattened inputs.
fn run_n_step(kw: &Value, v: &[Variable]) -> Result<Vec<Variable>> {
    let kind = kw["kind"].as_str().unwrap();
    let bi = kw["bi"].as_bool().unwrap();
    let n_layers = kw["n_layers"].as_u64().unwrap() as usize;
    let n_states = kw["n_states"].as_u64().unwrap() as usize;
    let act = match kw["activation"].as_str().unwrap() {
        "relu" => RnnActivation::Relu,
        _ => RnnActivation::Tanh,
    };
    let nw = match kind {
        "lstm" => 8,
        "gru" => 6,
        _ => 2,
    };
    let sets = n_layers * if bi { 2 } else { 1 };
    let (states, rest) = v.split_at(n_states);
    let (flat_w, rest) = rest.split_at(sets * nw);
    let (flat_b, xs) = rest.split_at(sets * nw);
    let ws: Vec<Vec<Variable>> = flat_w.chunks(nw).map(|c| c.to_vec()).collect();
    let bs: Vec<Vec<Variable>> = flat_b.chunks(nw).map(|c| c.to_vec()).collect();
    let mut out = Vec::new();
    match (kind, bi) {
        ("lstm", _) => {
            let f = if bi { F::n_step_bilstm } else { F::n_step_lstm };
            let (h, c, ys) = f(n_layers, 0.0, &states[0], &states[1], &ws, &bs, xs)?;
            out.push(h);
            out.push(c);
            out.extend(ys);
        }
        ("gru", _) => {
            let f = if bi { F::n_step_bigru } else { F::n_step_gru };
            let (h, ys) = f(n_layers, 0.0, &states[0], &ws, &bs, xs)?;
            out.push(h);
            out.extend(ys);
        }
        _ => {
            let f = if bi { F::n_step_birnn } else { F::n_step_rnn };
            let (h, ys) = f(n_layers, 0.0, &states[0], &ws, &bs, xs, act)?;
            out.push(h);
            out.extend(ys);
        }
    }
    Ok(out)
}

#[test]
fn matches_chainer() {
    let fx = fixture("rnn");
    let cases = fx.as_object().unwrap();
    assert!(cases.len() >= 11);
    for (name, case) in cases {
        let vars: Vec<Variable> = arrays(&case["inputs"])
            .into_iter()
            .map(|a| Variable::new(a.unwrap()))
            .collect();
        let outs = if name.starts_with("lstm") {
            let (c, h) = F::lstm(&vars[0], &vars[1]).unwrap();
            vec![c, h]
        } else {
            run_n_step(&case["kwargs"], &vars).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let want: Vec<Array> = arrays(&case["outputs"])
            .into_iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(outs.len(), want.len(), "{name}: number of outputs");
        for (i, (o, w)) in outs.iter().zip(&want).enumerate() {
            assert_close(&format!("{name} output {i}"), &o.array(), w, 1e-5, 1e-4);
        }
        let gys: Vec<Variable> = arrays(&case["grad_outputs"])
            .into_iter()
            .map(|g| Variable::constant(g.unwrap()))
            .collect();
        let o_refs: Vec<&Variable> = outs.iter().collect();
        let x_refs: Vec<&Variable> = vars.iter().collect();
        let g_refs: Vec<&Variable> = gys.iter().collect();
        let gxs = grad(&o_refs, &x_refs, Some(&g_refs), false).unwrap();
        for (i, (g, w)) in gxs.iter().zip(arrays(&case["grads"])).enumerate() {
            let w = w.unwrap();
            let g = g
                .as_ref()
                .map(|g| g.array())
                .unwrap_or_else(|| Array::zeros(w.shape(), w.dtype()).unwrap());
            assert_close(&format!("{name} grad {i}"), &g, &w, 1e-5, 1e-4);
        }
    }
}

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

fn check(name: &str, f: &Func, inputs: &[Array]) {
    let dtype = inputs[0].dtype();
    let seed = name
        .bytes()
        .fold(11u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let ys = f(&xs).unwrap_or_else(|e| panic!("{name} ({dtype}): forward: {e}"));
    let mut rng = Generator::new(seed);
    let gys: Vec<Array> = ys
        .iter()
        .map(|y| rng.standard_normal(&y.shape(), y.dtype()).unwrap())
        .collect();
    let ggxs: Vec<Array> = inputs
        .iter()
        .map(|x| rng.standard_normal(x.shape(), x.dtype()).unwrap())
        .collect();
    check_backward(f, inputs, Some(&gys), &opts(dtype, seed, false))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_backward: {e}"));
    check_double_backward(f, inputs, &gys, &ggxs, &opts(dtype, seed, true))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_double_backward: {e}"));
}

fn normal(rng: &mut Generator, shape: &[usize], dtype: DType) -> Array {
    rng.standard_normal(shape, dtype).unwrap()
}

fn lstm_f(v: &[Variable]) -> Result<Vec<Variable>> {
    let (c, h) = F::lstm(&v[0], &v[1])?;
    Ok(vec![c, h])
}

#[test]
fn lstm_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(1);
        check(
            "lstm",
            &lstm_f,
            &[
                normal(&mut rng, &[3, 4], dtype),
                normal(&mut rng, &[3, 16], dtype),
            ],
        );
        check(
            "lstm shorter x",
            &lstm_f,
            &[
                normal(&mut rng, &[3, 2], dtype),
                normal(&mut rng, &[2, 8], dtype),
            ],
        );
        check(
            "lstm nd",
            &lstm_f,
            &[
                normal(&mut rng, &[2, 2, 3], dtype),
                normal(&mut rng, &[2, 8, 3], dtype),
            ],
        );
        // Strided c and transposed x.
        let c = normal(&mut rng, &[4, 3], dtype).slice(&s![..;2]).unwrap();
        let x = normal(&mut rng, &[12, 2], dtype).t();
        assert!(!c.is_c_contiguous() && !x.is_c_contiguous());
        check("lstm strided", &lstm_f, &[c, x]);
    }
}

#[test]
fn lstm_single_output_gradient() {
    // Only h used: c's gradient arrives as zeros.
    let mut rng = Generator::new(2);
    let f = |v: &[Variable]| Ok(vec![F::lstm(&v[0], &v[1])?.1]);
    check(
        "lstm h only",
        &f,
        &[
            normal(&mut rng, &[2, 3], DType::F64),
            normal(&mut rng, &[2, 12], DType::F64),
        ],
    );
}

#[test]
fn lstm_errors() {
    let c = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let x = Variable::new(Array::zeros(&[2, 10], DType::F32).unwrap());
    let e = F::lstm(&c, &x).unwrap_err().to_string();
    assert!(
        e.contains("x.shape[1] == 4 * c.shape[1]") && e.contains("[2, 10]"),
        "{e}"
    );
    let x = Variable::new(Array::zeros(&[3, 12], DType::F32).unwrap());
    assert!(F::lstm(&c, &x)
        .unwrap_err()
        .to_string()
        .contains("x.shape[0] <= c.shape[0]"));
    let x = Variable::new(Array::zeros(&[2, 12], DType::F64).unwrap());
    assert!(F::lstm(&c, &x).unwrap_err().to_string().contains("dtype"));
}

/// Weights of an n_step network: `sets` sets of `nw` matrices (`n` rows,
/// input width `ins[set]` for the first half, `n` for the second) and biases.
fn weights(
    rng: &mut Generator,
    dtype: DType,
    nw: usize,
    ins: &[usize],
    n: usize,
) -> (Vec<Array>, Vec<Array>) {
    let (mut w, mut b) = (Vec::new(), Vec::new());
    for &i in ins {
        for k in 0..nw {
            let cols = if k < nw / 2 { i } else { n };
            w.push(normal(rng, &[n, cols], dtype).multiply(0.5).unwrap());
        }
        for _ in 0..nw {
            b.push(normal(rng, &[n], dtype).multiply(0.5).unwrap());
        }
    }
    (w, b)
}

fn chunk(v: &[Variable], nw: usize) -> Vec<Vec<Variable>> {
    v.chunks(nw).map(|c| c.to_vec()).collect()
}

/// When no sequence ends early `n_step_lstm` runs each layer as one fused
/// node (one product for the input projection of every step): its gradients
/// pass the numerical check, its values and gradients equal the layer
/// stepped cell by cell (`Setting::FusedRnn` off), which supports double
/// backprop, and double backprop through the fused node is a clear error.
/// (Its values against Chainer's: the `n_step_lstm_batch1` fixture.)
#[test]
fn n_step_lstm_fused_layer_matches_the_stepped_one() {
    // 19 units: the cell's vector loops and their remainders.
    for (dtype, n) in DTYPES.iter().flat_map(|&d| [(d, 2), (d, 19)]) {
        let mut rng = Generator::new(5);
        let n_in = 3;
        let xs: Vec<Array> = (0..3)
            .map(|_| normal(&mut rng, &[2, n_in], dtype))
            .collect();
        for bi in [false, true] {
            let dirs = if bi { 2 } else { 1 };
            let (mut ws, mut bs) = (Vec::new(), Vec::new());
            for layer in 0..2 {
                let in_size = if layer == 0 { n_in } else { n * dirs };
                for _ in 0..dirs {
                    let (w, b) = weights(&mut rng, dtype, 8, &[in_size], n);
                    ws.extend(w);
                    bs.extend(b);
                }
            }
            let mut inputs = vec![
                normal(&mut rng, &[2 * dirs, 2, n], dtype),
                normal(&mut rng, &[2 * dirs, 2, n], dtype),
            ];
            inputs.extend(ws);
            inputs.extend(bs);
            inputs.extend(xs.iter().cloned());
            let nw = 8 * 2 * dirs;
            let f = move |v: &[Variable]| {
                let (ws, rest) = v[2..].split_at(nw);
                let (bs, xs) = rest.split_at(nw);
                let run = if bi { F::n_step_bilstm } else { F::n_step_lstm };
                let (h, c, ys) = run(2, 0.0, &v[0], &v[1], &chunk(ws, 8), &chunk(bs, 8), xs)?;
                let mut out = vec![h, c];
                out.extend(ys);
                Ok(out)
            };
            let name = if bi {
                "n_step_bilstm fused"
            } else {
                "n_step_lstm fused"
            };
            let vars: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
            let refs: Vec<&Variable> = vars.iter().collect();
            let outputs_and_grads = |create_graph: bool| -> Result<Vec<Array>> {
                let ys = f(&vars)?;
                let mut r = Generator::new(9);
                let gys: Vec<Variable> = ys
                    .iter()
                    .map(|y| Variable::constant(r.standard_normal(&y.shape(), dtype).unwrap()))
                    .collect();
                let y_refs: Vec<&Variable> = ys.iter().collect();
                let g_refs: Vec<&Variable> = gys.iter().collect();
                let gs = grad(&y_refs, &refs, Some(&g_refs), create_graph)?;
                let mut all: Vec<Array> = ys.iter().map(|y| y.array()).collect();
                all.extend(gs.into_iter().map(|g| g.unwrap().array()));
                Ok(all)
            };
            let fused = outputs_and_grads(false).unwrap();
            let stepped = {
                let _g = using_config(Setting::FusedRnn, false);
                outputs_and_grads(false).unwrap()
            };
            for (i, (a, b)) in fused.iter().zip(&stepped).enumerate() {
                assert_close(
                    &format!("{name} ({dtype}) output/gradient {i}"),
                    a,
                    b,
                    1e-5,
                    1e-5,
                );
            }
            let e = outputs_and_grads(true).unwrap_err().to_string();
            assert!(
                e.contains("double backprop") && e.contains("FusedRnn"),
                "{e}"
            );
            if n == 2 {
                let _g = using_config(Setting::FusedRnn, false);
                check(&format!("{name} off"), &f, &inputs);
            }
        }
    }
}

#[test]
fn n_step_gradients() {
    for dtype in DTYPES {
        let mut rng = Generator::new(3);
        let (n_in, n) = (2, 2);
        let lengths = [2usize, 1];
        let xs: Vec<Array> = lengths
            .iter()
            .map(|&b| normal(&mut rng, &[b, n_in], dtype))
            .collect();
        // LSTM, 2 layers: inputs [hx, cx, w.., b.., xs..].
        let (w, b) = weights(&mut rng, dtype, 8, &[n_in, n], n);
        let mut inputs = vec![
            normal(&mut rng, &[2, 2, n], dtype),
            normal(&mut rng, &[2, 2, n], dtype),
        ];
        inputs.extend(w.iter().cloned());
        inputs.extend(b.iter().cloned());
        inputs.extend(xs.iter().cloned());
        let f = |v: &[Variable]| {
            let (ws, rest) = v[2..].split_at(16);
            let (bs, xs) = rest.split_at(16);
            let (h, c, ys) =
                F::n_step_lstm(2, 0.0, &v[0], &v[1], &chunk(ws, 8), &chunk(bs, 8), xs)?;
            let mut out = vec![h, c];
            out.extend(ys);
            Ok(out)
        };
        check("n_step_lstm", &f, &inputs);
        // Bidirectional GRU, 1 layer.
        let (w, b) = weights(&mut rng, dtype, 6, &[n_in, n_in], n);
        let mut inputs = vec![normal(&mut rng, &[2, 2, n], dtype)];
        inputs.extend(w.iter().cloned());
        inputs.extend(b.iter().cloned());
        inputs.extend(xs.iter().cloned());
        let f = |v: &[Variable]| {
            let (ws, rest) = v[1..].split_at(12);
            let (bs, xs) = rest.split_at(12);
            let (h, ys) = F::n_step_bigru(1, 0.0, &v[0], &chunk(ws, 6), &chunk(bs, 6), xs)?;
            let mut out = vec![h];
            out.extend(ys);
            Ok(out)
        };
        check("n_step_bigru", &f, &inputs);
        // Tanh RNN, 2 layers, and bidirectional, 1 layer.
        let (w, b) = weights(&mut rng, dtype, 2, &[n_in, n], n);
        let mut inputs = vec![normal(&mut rng, &[2, 2, n], dtype)];
        inputs.extend(w.iter().cloned());
        inputs.extend(b.iter().cloned());
        inputs.extend(xs.iter().cloned());
        let f = |v: &[Variable]| {
            let (ws, rest) = v[1..].split_at(4);
            let (bs, xs) = rest.split_at(4);
            let (h, ys) = F::n_step_rnn(
                2,
                0.0,
                &v[0],
                &chunk(ws, 2),
                &chunk(bs, 2),
                xs,
                RnnActivation::Tanh,
            )?;
            let mut out = vec![h];
            out.extend(ys);
            Ok(out)
        };
        check("n_step_rnn", &f, &inputs);
        let f = |v: &[Variable]| {
            let (ws, rest) = v[1..].split_at(4);
            let (bs, xs) = rest.split_at(4);
            let (h, ys) = F::n_step_birnn(
                1,
                0.0,
                &v[0],
                &chunk(ws, 2),
                &chunk(bs, 2),
                xs,
                RnnActivation::Tanh,
            )?;
            let mut out = vec![h];
            out.extend(ys);
            Ok(out)
        };
        let (w, b) = weights(&mut rng, dtype, 2, &[n_in, n_in], n);
        let mut inputs = vec![normal(&mut rng, &[2, 2, n], dtype)];
        inputs.extend(w.iter().cloned());
        inputs.extend(b.iter().cloned());
        inputs.extend(xs.iter().cloned());
        check("n_step_birnn", &f, &inputs);
    }
}

/// `(hx, cx, ws, bs, xs)` of a 2-layer bidirectional LSTM.
type Setup = (
    Variable,
    Variable,
    Vec<Vec<Variable>>,
    Vec<Vec<Variable>>,
    Vec<Variable>,
);

fn bilstm_setup(rng: &mut Generator) -> Setup {
    let (w, b) = weights(rng, DType::F64, 8, &[3, 3, 4, 4], 2);
    let v = |a: Vec<Array>| a.into_iter().map(Variable::new).collect::<Vec<_>>();
    let xs = v(vec![
        normal(rng, &[3, 3], DType::F64),
        normal(rng, &[2, 3], DType::F64),
    ]);
    (
        Variable::new(normal(rng, &[4, 3, 2], DType::F64)),
        Variable::new(normal(rng, &[4, 3, 2], DType::F64)),
        chunk(&v(w), 8),
        chunk(&v(b), 8),
        xs,
    )
}

#[test]
fn n_step_dropout_follows_train_mode() {
    let mut rng = Generator::new(4);
    let (hx, cx, ws, bs, xs) = bilstm_setup(&mut rng);
    let (_, _, plain) = F::n_step_bilstm(2, 0.0, &hx, &cx, &ws, &bs, &xs).unwrap();
    let (_, _, train) = F::n_step_bilstm(2, 0.5, &hx, &cx, &ws, &bs, &xs).unwrap();
    assert_eq!(train[0].shape(), vec![3, 4]);
    assert_ne!(
        plain[0].array().to_vec::<f64>().unwrap(),
        train[0].array().to_vec::<f64>().unwrap()
    );
    let _test = using_config(Setting::Train, false);
    let (_, _, test) = F::n_step_bilstm(2, 0.5, &hx, &cx, &ws, &bs, &xs).unwrap();
    assert_eq!(
        plain[0].array().to_vec::<f64>().unwrap(),
        test[0].array().to_vec::<f64>().unwrap()
    );
}

#[test]
fn n_step_errors() {
    let mut rng = Generator::new(5);
    let (hx, cx, ws, bs, xs) = bilstm_setup(&mut rng);
    let rev: Vec<Variable> = xs.iter().rev().cloned().collect();
    let e = F::n_step_bilstm(2, 0.0, &hx, &cx, &ws, &bs, &rev)
        .unwrap_err()
        .to_string();
    assert!(e.contains("sorted by decreasing batch size"), "{e}");
    let e = F::n_step_bilstm(1, 0.0, &hx, &cx, &ws, &bs, &xs)
        .unwrap_err()
        .to_string();
    assert!(e.contains("len(ws)"), "{e}");
    let wide = vec![Variable::new(Array::zeros(&[3, 5], DType::F64).unwrap())];
    let e = F::n_step_bilstm(2, 0.0, &hx, &cx, &ws, &bs, &wide)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Inconsistent input size") && e.contains("5 != 3"),
        "{e}"
    );
    let e = F::n_step_lstm(4, 0.0, &hx, &cx, &ws, &bs, &xs)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ws[1][0].shape == [2, 2]"), "{e}");
    let e = F::n_step_bilstm(2, 1.5, &hx, &cx, &ws, &bs, &xs)
        .unwrap_err()
        .to_string();
    assert!(e.contains("dropout_ratio"), "{e}");
    let e = F::n_step_gru(4, 0.0, &hx, &ws, &bs, &xs)
        .unwrap_err()
        .to_string();
    assert!(e.contains("6 weights"), "{e}");
}
