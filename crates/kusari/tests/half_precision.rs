//! float16 forward of the function library (issue: "f16 forward where it
//! makes sense"): every function here runs on float16 inputs, returns
//! float16 outputs, and agrees with the same function run in float32 on the
//! same (float16-representable) inputs, and its backward runs and gives
//! float16 gradients.
//!
//! Tolerance: 1e-2 absolute plus 1e-2 relative to the output's largest
//! magnitude. float16 keeps 11 significant bits (relative rounding 4.9e-4);
//! the kernels compute in float32 and round once, so the bound leaves room
//! for the rounding of inputs to intermediate float16 results (e.g. a
//! normalisation's mean) and is still a hundred times below a wrong result.
//! Functions that compute only in float32/float64 by design (the integer-
//! label losses accumulate in float64) are included: what is checked is
//! that float16 arrays go in and come out.

use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::functions::{self as F, ConvArgs, Reduce};
use kusari::{Result, Variable};

type Func = dyn Fn(&[Variable]) -> Result<Variable>;

/// Inputs: float arrays are drawn in float32 and rounded through float16 so
/// both runs see the same values; integer arrays (labels) are kept as given.
enum In {
    Normal(Vec<usize>),
    Uniform(Vec<usize>, f64, f64),
    Labels(Vec<i64>, Vec<usize>),
}

fn make(rng: &mut Generator, spec: &In) -> Array {
    match spec {
        In::Normal(s) => rng.standard_normal(s, DType::F32).unwrap(),
        In::Uniform(s, lo, hi) => rng.uniform(*lo, *hi, s, DType::F32).unwrap(),
        In::Labels(v, s) => Array::from_vec(v.clone(), s)
            .unwrap()
            .astype(DType::I32)
            .unwrap(),
    }
}

fn run(name: &str, f: &Func, specs: &[In]) {
    let mut rng = Generator::new(name.len() as u64 * 7919 + 17);
    let base: Vec<Array> = specs
        .iter()
        .map(|s| {
            let a = make(&mut rng, s);
            if a.dtype().is_float() {
                a.astype(DType::F16).unwrap().astype(DType::F32).unwrap()
            } else {
                a
            }
        })
        .collect();
    let vars = |dtype: DType| -> Vec<Variable> {
        base.iter()
            .map(|a| {
                if a.dtype().is_float() {
                    Variable::new(a.astype(dtype).unwrap())
                } else {
                    Variable::constant(a.clone())
                }
            })
            .collect()
    };
    let want = f(&vars(DType::F32))
        .unwrap_or_else(|e| panic!("{name} (float32): {e}"))
        .array();
    let xs16 = vars(DType::F16);
    let y16 = f(&xs16).unwrap_or_else(|e| panic!("{name} (float16): {e}"));
    let got = y16.array();
    assert_eq!(got.dtype(), DType::F16, "{name}: output dtype");
    assert_eq!(got.shape(), want.shape(), "{name}: output shape");
    let (g, w) = (
        got.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
        want.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
    );
    let scale = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= 1e-2 + 1e-2 * scale,
            "{name}: element {i}: float16 gives {a}, float32 gives {b}"
        );
    }
    // Backward runs in float16 and gives float16 gradients.
    let gy = Array::ones(got.shape(), DType::F16).unwrap();
    y16.set_grad(Some(gy));
    y16.backward()
        .unwrap_or_else(|e| panic!("{name} (float16): backward: {e}"));
    for (i, x) in xs16.iter().enumerate() {
        if x.requires_grad() {
            let g = x
                .grad()
                .unwrap_or_else(|| panic!("{name}: no float16 gradient for input {i}"));
            assert_eq!(g.dtype(), DType::F16, "{name}: gradient {i} dtype");
            let v = g.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
            assert!(
                v.iter().all(|v| v.is_finite()),
                "{name}: gradient {i} not finite"
            );
        }
    }
}

fn n(s: &[usize]) -> In {
    In::Normal(s.to_vec())
}

#[test]
fn activations_in_float16() {
    let x = || vec![n(&[4, 6])];
    let cases: Vec<(&str, Box<Func>)> = vec![
        ("relu", Box::new(|v| F::relu(&v[0]))),
        ("leaky_relu", Box::new(|v| F::leaky_relu(&v[0], 0.2))),
        ("elu", Box::new(|v| F::elu(&v[0], 1.0))),
        ("celu", Box::new(|v| F::celu(&v[0], 1.0))),
        ("clipped_relu", Box::new(|v| F::clipped_relu(&v[0], 1.0))),
        ("relu6", Box::new(|v| F::relu6(&v[0]))),
        ("hard_sigmoid", Box::new(|v| F::hard_sigmoid(&v[0]))),
        ("sigmoid", Box::new(|v| F::sigmoid(&v[0]))),
        ("tanh", Box::new(|v| F::tanh(&v[0]))),
        ("softplus", Box::new(|v| F::softplus(&v[0], 1.0))),
        ("gelu", Box::new(|v| F::gelu(&v[0]))),
        ("softmax", Box::new(|v| F::softmax(&v[0], 1))),
        ("log_softmax", Box::new(|v| F::log_softmax(&v[0], 1))),
        ("maxout", Box::new(|v| F::maxout(&v[0], 2, 1))),
        ("crelu", Box::new(|v| F::crelu(&v[0], 1))),
    ];
    for (name, f) in &cases {
        run(name, f.as_ref(), &x());
    }
}

#[test]
fn math_in_float16() {
    let pos = || vec![In::Uniform(vec![3, 5], 0.5, 2.0)];
    let any = || vec![n(&[3, 5])];
    let two = || vec![n(&[3, 5]), n(&[3, 5])];
    let cases: Vec<(&str, Box<Func>, Vec<In>)> = vec![
        ("exp", Box::new(|v| F::exp(&v[0])), any()),
        ("log", Box::new(|v| F::log(&v[0])), pos()),
        ("sqrt", Box::new(|v| F::sqrt(&v[0])), pos()),
        ("square", Box::new(|v| F::square(&v[0])), any()),
        ("sin", Box::new(|v| F::sin(&v[0])), any()),
        ("erf", Box::new(|v| F::erf(&v[0])), any()),
        ("clip", Box::new(|v| F::clip(&v[0], -0.5, 0.5)), any()),
        ("add", Box::new(|v| F::add(&v[0], &v[1])), two()),
        ("mul", Box::new(|v| F::mul(&v[0], &v[1])), two()),
        ("maximum", Box::new(|v| F::maximum(&v[0], &v[1])), two()),
        ("sum", Box::new(|v| F::sum(&v[0], Some(&[1]), false)), any()),
        ("mean", Box::new(|v| F::mean(&v[0], None, false)), any()),
        ("max", Box::new(|v| F::max(&v[0], Some(&[0]), true)), any()),
        (
            "logsumexp",
            Box::new(|v| F::logsumexp(&v[0], Some(&[1]), false)),
            any(),
        ),
        ("cumsum", Box::new(|v| F::cumsum(&v[0], Some(1))), any()),
        (
            "matmul",
            Box::new(|v| F::matmul(&v[0], &v[1])),
            vec![n(&[3, 8]), n(&[8, 4])],
        ),
        (
            "batch_matmul",
            Box::new(|v| F::batch_matmul(&v[0], &v[1], false, true)),
            vec![n(&[2, 3, 8]), n(&[2, 4, 8])],
        ),
    ];
    for (name, f, ins) in &cases {
        run(name, f.as_ref(), ins);
    }
}

#[test]
fn connection_and_pooling_in_float16() {
    let cases: Vec<(&str, Box<Func>, Vec<In>)> = vec![
        (
            "linear",
            Box::new(|v| F::linear(&v[0], &v[1], Some(&v[2]), 1)),
            vec![n(&[4, 16]), n(&[6, 16]), n(&[6])],
        ),
        (
            "convolution_2d",
            Box::new(|v| {
                let a = ConvArgs {
                    pad: vec![1],
                    ..Default::default()
                };
                F::convolution_2d(&v[0], &v[1], Some(&v[2]), &a)
            }),
            vec![n(&[2, 3, 7, 7]), n(&[4, 3, 3, 3]), n(&[4])],
        ),
        (
            "deconvolution_2d",
            Box::new(|v| {
                let a = ConvArgs {
                    stride: vec![2],
                    ..Default::default()
                };
                F::deconvolution_2d(&v[0], &v[1], None, &a)
            }),
            vec![n(&[2, 3, 4, 4]), n(&[3, 2, 3, 3])],
        ),
        (
            "embed_id",
            Box::new(|v| F::embed_id(&v[0], &v[1], None)),
            vec![In::Labels(vec![0, 3, 2, 3], vec![4]), n(&[5, 6])],
        ),
        (
            "max_pooling_2d",
            Box::new(|v| F::max_pooling_2d(&v[0], &[3, 3], Some(&[2, 2]), &[1, 1], true)),
            vec![n(&[2, 3, 7, 7])],
        ),
        (
            "average_pooling_2d",
            Box::new(|v| F::average_pooling_2d(&v[0], &[2, 2], None, &[0, 0])),
            vec![n(&[2, 3, 6, 6])],
        ),
        (
            "unpooling_2d",
            Box::new(|v| F::unpooling_2d(&v[0], &[2, 2], None, &[0, 0], None, true)),
            vec![n(&[1, 2, 3, 3])],
        ),
    ];
    for (name, f, ins) in &cases {
        run(name, f.as_ref(), ins);
    }
}

#[test]
fn normalization_and_losses_in_float16() {
    let cases: Vec<(&str, Box<Func>, Vec<In>)> = vec![
        (
            "batch_normalization",
            Box::new(|v| F::batch_normalization(&v[0], &v[1], &v[2], 2e-5, None)),
            vec![n(&[6, 4]), n(&[4]), n(&[4])],
        ),
        (
            "layer_normalization",
            Box::new(|v| F::layer_normalization(&v[0], &v[1], &v[2], 1e-5)),
            vec![n(&[3, 8]), n(&[8]), n(&[8])],
        ),
        (
            "group_normalization",
            Box::new(|v| F::group_normalization(&v[0], 2, &v[1], &v[2], 1e-5)),
            vec![n(&[2, 4, 3, 3]), n(&[4]), n(&[4])],
        ),
        (
            "local_response_normalization",
            Box::new(|v| F::local_response_normalization(&v[0], 5, 2.0, 1e-4, 0.75)),
            vec![n(&[2, 6, 3, 3])],
        ),
        (
            "softmax_cross_entropy",
            Box::new(|v| F::softmax_cross_entropy(&v[0], &v[1])),
            vec![n(&[4, 5]), In::Labels(vec![1, -1, 4, 0], vec![4])],
        ),
        (
            "sigmoid_cross_entropy",
            Box::new(|v| F::sigmoid_cross_entropy(&v[0], &v[1], true, Reduce::Mean)),
            vec![
                n(&[4, 5]),
                In::Labels((0..20).map(|i| i % 2).collect(), vec![4, 5]),
            ],
        ),
        (
            "mean_squared_error",
            Box::new(|v| F::mean_squared_error(&v[0], &v[1])),
            vec![n(&[4, 5]), n(&[4, 5])],
        ),
        (
            "huber_loss",
            Box::new(|v| F::huber_loss(&v[0], &v[1], 1.0, Reduce::SumAlongSecondAxis)),
            vec![n(&[4, 5]), n(&[4, 5])],
        ),
    ];
    for (name, f, ins) in &cases {
        run(name, f.as_ref(), ins);
    }
}

#[test]
fn lstm_cell_in_float16() {
    let f = |v: &[Variable]| -> Result<Variable> {
        let (c, h) = F::lstm(&v[0], &v[1])?;
        F::add(&c, &h)
    };
    run("lstm", &f, &[n(&[3, 4]), n(&[3, 16])]);
}
