//! Tests: functions that compute a part on the host (CTC's recursions,
//! `prod`'s zero case, label tables, masks) return their outputs and
//! gradients on the inputs' device, with the CPU's values.

use crate::array::{Array, DType, Device};
use crate::functions as F;
use crate::Variable;

fn vals(n: usize, seed: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (((i + seed) * 7919) % 29) as f64 / 14.0 - 1.0)
        .collect()
}

/// A float64 variable of `shape` on `d`.
fn var(shape: &[usize], seed: usize, d: Device) -> Variable {
    let n = shape.iter().product();
    Variable::new(
        Array::from_vec(vals(n, seed), shape)
            .unwrap()
            .to_device(d)
            .unwrap(),
    )
}

fn labels(v: Vec<i32>, d: Device) -> Variable {
    let n = v.len();
    Variable::constant(Array::from_vec(v, &[n]).unwrap().to_device(d).unwrap())
}

/// `ys` and the gradients of `sum(y * 1.5)` for each `y` with respect to `xs`.
fn with_grads(ys: Vec<Variable>, xs: &[&Variable]) -> Vec<Array> {
    let losses: Vec<Variable> = ys
        .iter()
        .map(|y| F::sum(&(y * 1.5), None, false).unwrap())
        .collect();
    let refs: Vec<&Variable> = losses.iter().collect();
    let gs = crate::grad(&refs, xs, None, false).unwrap();
    let mut out: Vec<Array> = ys.iter().map(|y| y.array()).collect();
    out.extend(gs.into_iter().flatten().map(|g| g.array()));
    out
}

type Case = (&'static str, fn(Device) -> Vec<Array>);

const CASES: &[Case] = &[
    ("binary_accuracy", |d| {
        let y = var(&[6], 1, d);
        vec![F::binary_accuracy(&y, &labels(vec![1, 0, -1, 1, 1, 0], d))
            .unwrap()
            .array()]
    }),
    ("hinge", |d| {
        let x = var(&[3, 4], 2, d);
        let y = F::hinge(
            &x,
            &labels(vec![0, 3, 1], d),
            F::HingeNorm::L1,
            F::Reduce::Mean,
        );
        with_grads(vec![y.unwrap()], &[&x])
    }),
    ("softmax_cross_entropy, double backprop", |d| {
        let x = var(&[3, 4], 3, d);
        let l = F::softmax_cross_entropy(&x, &labels(vec![0, 3, -1], d)).unwrap();
        let gx = crate::grad(&[&l], &[&x], None, true).unwrap()[0]
            .clone()
            .unwrap();
        let gg = F::sum(&F::mul(&gx, &gx).unwrap(), None, false).unwrap();
        with_grads(vec![l, gx], &[])
            .into_iter()
            .chain(with_grads(vec![gg], &[&x]))
            .collect()
    }),
    ("prod with a zero", |d| {
        let x = Variable::new(
            Array::from_vec(vec![1.5, 0.0, -2.0, 0.5, 3.0, 0.0], &[2, 3])
                .unwrap()
                .to_device(d)
                .unwrap(),
        );
        with_grads(vec![F::prod(&x, Some(&[1]), false).unwrap()], &[&x])
    }),
    ("normalize", |d| {
        let x = var(&[3, 5], 4, d);
        with_grads(vec![F::normalize(&x, 1e-5, &[1]).unwrap()], &[&x])
    }),
    ("connectionist_temporal_classification", |d| {
        let xs: Vec<Variable> = (0..4).map(|s| var(&[2, 3], 5 + s, d)).collect();
        let refs: Vec<&Variable> = xs.iter().collect();
        let t = Variable::constant(
            Array::from_vec(vec![1i32, 2, 2, 1], &[2, 2])
                .unwrap()
                .to_device(d)
                .unwrap(),
        );
        let l = F::connectionist_temporal_classification(&refs, &t, 0, None, None, F::Reduce::Mean);
        with_grads(vec![l.unwrap()], &refs)
    }),
    ("n_step_lstm with dropout", |d| {
        let (n_in, n) = (3, 4);
        let ws: Vec<Vec<Variable>> = (0..2)
            .map(|l| {
                (0..8)
                    .map(|k| var(&[n, if k < 4 && l == 0 { n_in } else { n }], 10 * l + k, d))
                    .collect()
            })
            .collect();
        let bs: Vec<Vec<Variable>> = (0..2)
            .map(|l| (0..8).map(|k| var(&[n], 40 + 10 * l + k, d)).collect())
            .collect();
        let (hx, cx) = (var(&[2, 2, n], 7, d), var(&[2, 2, n], 8, d));
        let xs: Vec<Variable> = (0..3).map(|s| var(&[2, n_in], 60 + s, d)).collect();
        crate::functions::rnn::seed_rnn_dropout(7);
        let (h, c, ys) = F::n_step_lstm(2, 0.5, &hx, &cx, &ws, &bs, &xs).unwrap();
        let mut outs = vec![h, c];
        outs.extend(ys);
        with_grads(outs, &[&xs[0], &ws[1][0]])
    }),
];

/// Runs every case on the CPU and on `other`, comparing values (float64,
/// within 1e-7 relative: the fused and stepped LSTM layers differ in
/// rounding) and checking that `other`'s results are on `other`.
fn compare(other: Device) {
    for (name, f) in CASES {
        let (cpu, dev) = (f(Device::Cpu), f(other));
        assert_eq!(cpu.len(), dev.len(), "{name}");
        for (k, (a, b)) in cpu.iter().zip(&dev).enumerate() {
            assert_eq!(b.device(), other, "{name}: result {k} left the device");
            assert_eq!(a.shape(), b.shape(), "{name}: result {k}");
            let v = |x: &Array| x.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
            for (x, y) in v(a).iter().zip(&v(b)) {
                let same = (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-7 * (1.0 + x.abs());
                assert!(same, "{name}: result {k}: cpu {x} vs {other} {y}");
            }
        }
    }
}

/// The harness and the cases on the CPU against themselves (every case
/// runs; on a GPU machine the test below compares devices).
#[test]
fn every_case_runs_on_the_cpu() {
    compare(Device::Cpu);
}

/// On a GPU machine (`KUSARI_TEST_CUDA=1`, run by scripts/gpu-check.sh).
#[test]
fn host_parts_come_back_to_the_device() {
    if std::env::var("KUSARI_TEST_CUDA").as_deref() != Ok("1") {
        return;
    }
    compare(Device::cuda(0).expect("KUSARI_TEST_CUDA=1 but cuda:0 is not usable"));
}
