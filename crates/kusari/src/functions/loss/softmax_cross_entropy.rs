//! `softmax_cross_entropy`: log-softmax and the label's entry in one pass
//! forward, `softmax - target` in one pass backward.

use super::prims;
use super::softmax_cross_entropy_kernel as kernels;
use super::{
    compute_dtype, contiguous, contiguous_on_device, expect_reduce, labels, with_dtype, with_real,
    Real, Reduce,
};
use crate::array::{Array, DType, Error, Result};
use crate::config;
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions as F;
use crate::Variable;
use std::cell::{Cell, RefCell};

const OP: &str = "softmax_cross_entropy";

/// Options of [`softmax_cross_entropy_with`] (Chainer's keyword arguments, same defaults).
#[derive(Clone, Debug)]
pub struct SoftmaxCrossEntropyOptions {
    /// With `Reduce::Mean`, divide by the number of non-ignored labels (`true`)
    /// or by the batch size `x.shape[0]` (`false`); either way by at least 1.
    pub normalize: bool,
    /// Keep the softmax computed in forward for backward (faster, more memory).
    pub cache_score: bool,
    /// Weights of the classes, shape `(x.shape[1],)`, multiplied into each label's loss.
    pub class_weight: Option<Array>,
    /// Labels equal to this value contribute 0 to the loss and its gradient.
    pub ignore_label: i64,
    /// `Reduce::Mean` (a scalar) or `Reduce::No` (one value per label, 0 where ignored).
    pub reduce: Reduce,
    /// Label smoothing `eps` (not in Chainer): the target is `(1 - eps)` on the
    /// label plus `eps / n_classes` everywhere. 0 gives Chainer's loss.
    pub label_smoothing: f64,
    /// The loss against a soft target (a float `t` of `x`'s shape).
    pub soft_target_loss: SoftTargetLoss,
}

/// Chainer's `soft_target_loss`: what [`softmax_cross_entropy_with`]
/// computes when `t` is a float array of `x`'s shape (a distribution over
/// the classes per sample) instead of integer labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SoftTargetLoss {
    /// `-sum(t * log_softmax(x), axis=1)` (`'cross-entropy'`, the default).
    #[default]
    CrossEntropy,
    /// `sum(t * (log(t + 1e-7) - log_softmax(x)), axis=1)` (`'kl-divergence'`).
    KlDivergence,
}

impl Default for SoftmaxCrossEntropyOptions {
    fn default() -> Self {
        SoftmaxCrossEntropyOptions {
            normalize: true,
            cache_score: true,
            class_weight: None,
            ignore_label: -1,
            reduce: Reduce::Mean,
            label_smoothing: 0.0,
            soft_target_loss: SoftTargetLoss::CrossEntropy,
        }
    }
}

/// Cross entropy of `softmax(x)` along axis 1 against integer labels `t`
/// (Chainer's `F.softmax_cross_entropy` with its defaults): `x` is
/// `(n, classes, d...)`, `t` is `(n, d...)`. Differentiable (twice) in `x` only.
///
/// ```
/// use kusari::{array::array, functions as F, Variable};
/// let x = Variable::new(array![[-1.0f32, 0.0, 1.0, 2.0], [2.0, 0.0, 1.0, -1.0]]);
/// let t = Variable::constant(array![3i32, 0]);
/// let loss = F::softmax_cross_entropy(&x, &t)?;
/// assert!((loss.item::<f32>()? - 0.44018972).abs() < 1e-6);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn softmax_cross_entropy(x: &Variable, t: &Variable) -> Result<Variable> {
    softmax_cross_entropy_with(x, t, &SoftmaxCrossEntropyOptions::default())
}

/// [`softmax_cross_entropy`] with Chainer's options. Labels outside
/// `0..n_classes` that are not `ignore_label` are an error (Chainer checks
/// them only in debug mode). Double backprop needs no flag: the backward
/// builds a differentiable graph whenever one is being recorded.
///
/// A float `t` of `x`'s shape is a soft target, as in Chainer: the loss is
/// [`SoftTargetLoss`] per sample and position, and `Reduce::Mean` divides by
/// `x.size / x.shape[1]`. Where kusari differs on purpose: the gradient is
/// the true one, `softmax(x) * sum(t, axis=1) - t`, which is Chainer's
/// `softmax(x) - t` whenever each target sums to 1; `class_weight` and
/// `label_smoothing` are an error with a soft target (Chainer ignores
/// them), and `t` is differentiable too (Chainer gives it no gradient).
///
/// ```
/// use kusari::{array::array, functions as F, Variable};
/// let x = Variable::new(array![[-1.0f32, 0.0, 1.0, 2.0]]);
/// let t = Variable::constant(array![[0.0f32, 0.0, 0.5, 0.5]]);
/// let loss = F::softmax_cross_entropy_with(&x, &t, &Default::default())?;
/// assert!((loss.item::<f32>()? - 0.9401897).abs() < 1e-6);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn softmax_cross_entropy_with(
    x: &Variable,
    t: &Variable,
    opts: &SoftmaxCrossEntropyOptions,
) -> Result<Variable> {
    expect_reduce(OP, opts.reduce, &[Reduce::Mean, Reduce::No])?;
    if t.dtype().is_float() {
        return soft_target(x, t, opts);
    }
    if !(0.0..1.0).contains(&opts.label_smoothing) {
        return Err(Error::Value {
            op: OP,
            message: format!(
                "expected 0 <= label_smoothing < 1, got {}",
                opts.label_smoothing
            ),
        });
    }
    let class_weight = match &opts.class_weight {
        None => None,
        Some(w) => {
            if w.ndim() != 1 || !w.dtype().is_float() {
                return Err(Error::Value {
                    op: OP,
                    message: format!(
                        "class_weight must be a 1-d float array, got shape {:?} of {}",
                        w.shape(),
                        w.dtype()
                    ),
                });
            }
            Some(w.to_vec::<f64>()?)
        }
    };
    apply1(
        SoftmaxCrossEntropy {
            normalize: opts.normalize,
            cache_score: opts.cache_score,
            class_weight,
            ignore_label: opts.ignore_label,
            reduce: opts.reduce,
            eps: opts.label_smoothing,
            probs: RefCell::new(None),
            coeff: Cell::new(1.0),
            lse: RefCell::new(None),
        },
        &[x, t],
    )
}

/// The soft-target loss, composed of differentiable functions: it is not a
/// training hot path (distillation, mixup), so one fused kernel is not worth
/// a second copy of the row loops.
fn soft_target(x: &Variable, t: &Variable, opts: &SoftmaxCrossEntropyOptions) -> Result<Variable> {
    super::super::expect_float(OP, "x", x.dtype())?;
    let (xs, ts) = (x.shape(), t.shape());
    if xs.len() < 2 || xs != ts {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected x.ndim >= 2 and x.shape == t.shape for a soft (float) target, got x.shape {xs:?} and t.shape {ts:?}"
            ),
        });
    }
    if opts.class_weight.is_some() || opts.label_smoothing != 0.0 {
        return Err(Error::Value {
            op: OP,
            message: "class_weight and label_smoothing apply to integer labels, got them with a soft (float) target".into(),
        });
    }
    let t = if t.dtype() == x.dtype() {
        t.clone()
    } else {
        F::cast(t, x.dtype())?
    };
    let log_y = F::log_softmax(x, 1)?;
    let per = match opts.soft_target_loss {
        SoftTargetLoss::CrossEntropy => F::neg(&F::sum(&F::mul(&t, &log_y)?, Some(&[1]), false)?)?,
        SoftTargetLoss::KlDivergence => {
            let log_t = F::log(&F::add_constant(&t, 1e-7)?)?;
            F::sum(&F::mul(&t, &F::sub(&log_t, &log_y)?)?, Some(&[1]), false)?
        }
    };
    match opts.reduce {
        Reduce::Mean => {
            let count = (xs.iter().product::<usize>() / xs[1].max(1)).max(1);
            F::mul_constant(&F::sum(&per, None, false)?, 1.0 / count as f64)
        }
        _ => Ok(per),
    }
}

struct SoftmaxCrossEntropy {
    normalize: bool,
    cache_score: bool,
    class_weight: Option<Vec<f64>>,
    ignore_label: i64,
    reduce: Reduce,
    eps: f64,
    /// softmax(x) in the compute dtype, C-contiguous, when `cache_score`.
    probs: RefCell<Option<Array>>,
    /// What the summed loss was multiplied by (1 for `Reduce::No`).
    coeff: Cell<f64>,
    /// Off the CPU: the forward's per-position log-sum-exp, for backward.
    lse: RefCell<Option<Array>>,
}

/// `(n, classes, rest)` of an `x` of shape `(n, classes, d...)`.
fn dims(x: &[usize]) -> (usize, usize, usize) {
    (x[0], x[1], x[2..].iter().product())
}

impl SoftmaxCrossEntropy {
    /// Weight of label `t` for a valid label (class weight, 1 without one).
    fn weight(&self, t: i64) -> f64 {
        self.class_weight.as_ref().map_or(1.0, |w| w[t as usize])
    }

    /// Per-label factor of the gradient (coeff * weight, 0 where ignored), shape `(n, 1, d...)`.
    fn label_factor(&self, t: &[i64], shape: &[usize], dtype: DType) -> Result<Array> {
        let coeff = self.coeff.get();
        let v: Vec<f64> = t
            .iter()
            .map(|&l| {
                if l == self.ignore_label {
                    0.0
                } else {
                    coeff * self.weight(l)
                }
            })
            .collect();
        let mut s = shape.to_vec();
        s[1] = 1;
        Array::from_vec(v, &s)?.astype(dtype)
    }

    /// The loss coefficient of `reduce` and `normalize` for labels `t`.
    fn coefficient(&self, t: &[i64], n: usize) -> f64 {
        match self.reduce {
            Reduce::Mean => {
                let count = if self.normalize {
                    t.iter().filter(|&&l| l != self.ignore_label).count()
                } else {
                    n
                };
                1.0 / count.max(1) as f64
            }
            _ => 1.0,
        }
    }

    /// The forward off the CPU, through the user kernels
    /// (`softmax_cross_entropy_kernel.rs`); keeps the log-sum-exp for backward.
    fn forward_kernels(&self, x: &Array, t_arr: &Array, t: &[i64]) -> Result<Array> {
        let (n, _, r) = dims(x.shape());
        let cd = compute_dtype(x.dtype());
        let dev = x.device();
        let xc = contiguous_on_device(x, cd)?;
        let t64 = with_dtype(t_arr, DType::I64)?.reshape_to(&[n, r])?;
        let w = match &self.class_weight {
            Some(w) => Some(
                Array::from_vec(w.clone(), &[w.len()])?
                    .astype(cd)?
                    .to_device(dev)?,
            ),
            None => None,
        };
        let (loss, lse) = kernels::forward(&xc, &t64, w.as_ref(), self.ignore_label, self.eps)?;
        *self.lse.borrow_mut() = Some(lse);
        let coeff = self.coefficient(t, n);
        self.coeff.set(coeff);
        let out = match self.reduce {
            Reduce::Mean => loss.sum(None, false)?.mul(coeff)?,
            _ => {
                let mut s = vec![n];
                s.extend_from_slice(&x.shape()[2..]);
                loss.reshape_to(&s)?
            }
        };
        with_dtype(&out, x.dtype())
    }

    /// The backward off the CPU (no graph recorded), as [`Self::forward_kernels`].
    fn backward_kernels(&self, x: &Array, t_arr: &Array, t: &[i64], gy: &Array) -> Result<Array> {
        let (n, _, r) = dims(x.shape());
        let cd = compute_dtype(x.dtype());
        let lse = self.lse.borrow().clone().ok_or_else(|| Error::Value {
            op: OP,
            message: "expected the forward's log-sum-exp for backward, found none (forward ran on another device?)".into(),
        })?;
        let per = self
            .label_factor(t, x.shape(), cd)?
            .reshape_to(&[n, r])?
            .to_device(x.device())?;
        let g = with_dtype(gy, cd)?;
        let g = if g.ndim() == 0 {
            g
        } else {
            g.reshape_to(&[n, r])?
        };
        let scale = per.mul(&g)?;
        let t64 = with_dtype(t_arr, DType::I64)?.reshape_to(&[n, r])?;
        let gx = kernels::backward(
            &contiguous_on_device(x, cd)?,
            &lse,
            &t64,
            &scale,
            self.ignore_label,
            self.eps,
        )?;
        with_dtype(&gx, x.dtype())
    }

    /// The smoothed one-hot target, shape of `x`.
    fn target(&self, t: &[i64], shape: &[usize], dtype: DType) -> Result<Array> {
        let (n, c, r) = dims(shape);
        let base = self.eps / c as f64;
        let mut v = vec![base; n * c * r];
        for i in 0..n {
            for j in 0..r {
                let l = t[i * r + j];
                if l != self.ignore_label {
                    v[(i * c + l as usize) * r + j] += 1.0 - self.eps;
                }
            }
        }
        Array::from_vec(v, shape)?.astype(dtype)
    }
}

/// The forward pass over a contiguous `(n, c, r)` block: per (sample, position)
/// one max, one sum of exponentials, and the label's log-probability.
#[allow(clippy::too_many_arguments)]
fn forward_kernel<T: Real>(
    x: &[T],
    (n, c, r): (usize, usize, usize),
    t: &[i64],
    f: &SoftmaxCrossEntropy,
    mut probs: Option<&mut [T]>,
    out: &mut [f64],
) {
    if r == 1 {
        return forward_rows(x, (n, c), t, f, probs, out);
    }
    let eps = f.eps;
    for i in 0..n {
        let row = &x[i * c * r..(i + 1) * c * r];
        for j in 0..r {
            let label = t[i * r + j];
            let mut m = row[j];
            for k in 1..c {
                m = m.max(row[k * r + j]);
            }
            let mut s = T::ZERO;
            match probs.as_deref_mut() {
                Some(p) => {
                    let prow = &mut p[i * c * r..(i + 1) * c * r];
                    for k in 0..c {
                        let e = (row[k * r + j] - m).exp();
                        prow[k * r + j] = e;
                        s += e;
                    }
                    let inv = T::ONE / s;
                    for k in 0..c {
                        prow[k * r + j] = prow[k * r + j] * inv;
                    }
                }
                None => {
                    for k in 0..c {
                        s += (row[k * r + j] - m).exp();
                    }
                }
            }
            out[i * r + j] = if label == f.ignore_label {
                0.0
            } else {
                let lse = (m + s.ln()).to_f64();
                let mut nll = lse - row[label as usize * r + j].to_f64();
                if eps != 0.0 {
                    let mean: f64 = (0..c).map(|k| row[k * r + j].to_f64()).sum::<f64>() / c as f64;
                    nll = (1.0 - eps) * nll + eps * (lse - mean);
                }
                nll * f.weight(label)
            };
        }
    }
}

/// Below this many elements the rows run on one thread.
const PARALLEL_ELEMENTS: usize = 1 << 15;

kusari_array::multiversion! {
    /// The row's maximum and `sum(exp(row - max))`, writing the exponentials to
    /// `e` when given. Eight independent lanes for the maximum and the sum and
    /// the inlined `exp_fast`, so the loops vectorize: with libm's `exp` one
    /// per element, the softmax of a language model's output layer (700 × 1000)
    /// was a fifth of its training step.
    pub(crate) unsafe fn exp_row<T: Real>(row: &[T], e: Option<&mut [T]>) -> (T, T) {
        let mut lanes = [row[0]; 8];
        let chunks = row.chunks_exact(8);
        let rest = chunks.remainder();
        for ch in chunks {
            for (l, &v) in lanes.iter_mut().zip(ch) {
                *l = l.max(v);
            }
        }
        let mut m = lanes.iter().fold(row[0], |a, &b| a.max(b));
        for &v in rest {
            m = m.max(v);
        }
        let mut sums = [T::ZERO; 8];
        let mut tail = T::ZERO;
        match e {
            Some(e) => {
                // Chunks of eight, as below: indexing the lanes by `k % 8`
                // kept this loop (the cached-softmax path) scalar.
                let e = &mut e[..row.len()];
                let mut oc = e.chunks_exact_mut(8);
                let mut rc = row.chunks_exact(8);
                for (o8, r8) in (&mut oc).zip(&mut rc) {
                    for ((o, s), &v) in o8.iter_mut().zip(sums.iter_mut()).zip(r8) {
                        let x = (v - m).exp_fast();
                        *o = x;
                        *s += x;
                    }
                }
                for (o, &v) in oc.into_remainder().iter_mut().zip(rc.remainder()) {
                    let x = (v - m).exp_fast();
                    *o = x;
                    tail += x;
                }
            }
            None => {
                let chunks = row.chunks_exact(8);
                for &v in chunks.remainder() {
                    tail += (v - m).exp_fast();
                }
                for ch in chunks {
                    for (s, &v) in sums.iter_mut().zip(ch) {
                        *s += (v - m).exp_fast();
                    }
                }
            }
        }
        (m, sums.iter().fold(tail, |a, &b| a + b))
    }
}

/// [`forward_kernel`] for `r == 1` (one class axis, the usual case): rows
/// are contiguous, and large batches run on all threads.
fn forward_rows<T: Real>(
    x: &[T],
    (n, c): (usize, usize),
    t: &[i64],
    f: &SoftmaxCrossEntropy,
    probs: Option<&mut [T]>,
    out: &mut [f64],
) {
    use rayon::prelude::*;
    // Plain values, not `f` (its cells are not Sync), for the row tasks.
    let (eps, ignore, class_weight) = (f.eps, f.ignore_label, f.class_weight.as_deref());
    let weight = |l: i64| class_weight.map_or(1.0, |w| w[l as usize]);
    let one = |i: usize, prow: Option<&mut [T]>, o: &mut f64| {
        let row = &x[i * c..(i + 1) * c];
        let (m, s) = match prow {
            Some(p) => {
                // SAFETY: plain slices; the dispatch picks a level this CPU has.
                let (m, s) = unsafe { exp_row(row, Some(&mut *p)) };
                let inv = T::ONE / s;
                for v in p.iter_mut() {
                    *v = *v * inv;
                }
                (m, s)
            }
            // SAFETY: as above.
            None => unsafe { exp_row(row, None) },
        };
        let label = t[i];
        *o = if label == ignore {
            0.0
        } else {
            let lse = (m + s.ln()).to_f64();
            let mut nll = lse - row[label as usize].to_f64();
            if eps != 0.0 {
                let mean: f64 = row.iter().map(|v| v.to_f64()).sum::<f64>() / c as f64;
                nll = (1.0 - eps) * nll + eps * (lse - mean);
            }
            nll * weight(label)
        };
    };
    let parallel = n * c >= PARALLEL_ELEMENTS && n > 1;
    match (probs, parallel) {
        (Some(p), true) => out
            .par_iter_mut()
            .zip(p.par_chunks_mut(c))
            .enumerate()
            .for_each(|(i, (o, pr))| one(i, Some(pr), o)),
        (Some(p), false) => out
            .iter_mut()
            .zip(p.chunks_mut(c))
            .enumerate()
            .for_each(|(i, (o, pr))| one(i, Some(pr), o)),
        (None, true) => out
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, o)| one(i, None, o)),
        (None, false) => out
            .iter_mut()
            .enumerate()
            .for_each(|(i, o)| one(i, None, o)),
    }
}

/// [`backward_kernel`] for `r == 1`, as [`forward_rows`].
fn backward_rows<T: Real>(
    x: &[T],
    probs: Option<&[T]>,
    (n, c): (usize, usize),
    t: &[i64],
    f: &SoftmaxCrossEntropy,
    g: &[f64],
    gx: &mut [T],
) {
    use rayon::prelude::*;
    let coeff = f.coeff.get();
    let base = T::from_f64(f.eps / c as f64);
    let hit = T::from_f64(1.0 - f.eps);
    // Plain values, not `f` (its cells are not Sync), for the row tasks.
    let (ignore, class_weight) = (f.ignore_label, f.class_weight.as_deref());
    let one = |i: usize, out: &mut [T]| {
        let label = t[i];
        if label == ignore {
            out.fill(T::ZERO);
            return;
        }
        let gi = if g.len() == 1 { g[0] } else { g[i] };
        let weight = class_weight.map_or(1.0, |w| w[label as usize]);
        let scale = T::from_f64(gi * coeff * weight);
        match probs {
            Some(p) => {
                for (o, &v) in out.iter_mut().zip(&p[i * c..(i + 1) * c]) {
                    *o = (v - base) * scale;
                }
            }
            None => {
                // SAFETY: plain slices; the dispatch picks a level this CPU has.
                let (_, s) = unsafe { exp_row(&x[i * c..(i + 1) * c], Some(&mut *out)) };
                let inv = T::ONE / s;
                for o in out.iter_mut() {
                    *o = (*o * inv - base) * scale;
                }
            }
        }
        let l = label as usize;
        out[l] = out[l] - hit * scale;
    };
    if n * c >= PARALLEL_ELEMENTS && n > 1 {
        gx.par_chunks_mut(c)
            .enumerate()
            .for_each(|(i, o)| one(i, o));
    } else {
        gx.chunks_mut(c).enumerate().for_each(|(i, o)| one(i, o));
    }
}

/// `gx = g * factor * (softmax - target)` over a contiguous `(n, c, r)` block.
#[allow(clippy::too_many_arguments)]
fn backward_kernel<T: Real>(
    x: &[T],
    probs: Option<&[T]>,
    (n, c, r): (usize, usize, usize),
    t: &[i64],
    f: &SoftmaxCrossEntropy,
    g: &[f64],
    gx: &mut [T],
) {
    if r == 1 {
        return backward_rows(x, probs, (n, c), t, f, g, gx);
    }
    let coeff = f.coeff.get();
    let base = T::from_f64(f.eps / c as f64);
    let hit = T::from_f64(1.0 - f.eps);
    for i in 0..n {
        let off = i * c * r;
        for j in 0..r {
            let idx = i * r + j;
            let label = t[idx];
            if label == f.ignore_label {
                for k in 0..c {
                    gx[off + k * r + j] = T::ZERO;
                }
                continue;
            }
            let gi = if g.len() == 1 { g[0] } else { g[idx] };
            let scale = T::from_f64(gi * coeff * f.weight(label));
            match probs {
                Some(p) => {
                    for k in 0..c {
                        gx[off + k * r + j] = (p[off + k * r + j] - base) * scale;
                    }
                }
                None => {
                    let row = &x[off..off + c * r];
                    let mut m = row[j];
                    for k in 1..c {
                        m = m.max(row[k * r + j]);
                    }
                    let mut s = T::ZERO;
                    for k in 0..c {
                        let e = (row[k * r + j] - m).exp();
                        gx[off + k * r + j] = e;
                        s += e;
                    }
                    let inv = T::ONE / s;
                    for k in 0..c {
                        let o = off + k * r + j;
                        gx[o] = (gx[o] * inv - base) * scale;
                    }
                }
            }
            let o = off + label as usize * r + j;
            gx[o] = gx[o] - hit * scale;
        }
    }
}

impl FunctionNode for SoftmaxCrossEntropy {
    fn label(&self) -> &str {
        "SoftmaxCrossEntropy"
    }

    fn check_type(&self, inputs: &[&Array]) -> Result<()> {
        let (x, t) = (inputs[0], inputs[1]);
        super::super::expect_float(OP, "x", x.dtype())?;
        if !t.dtype().is_integer() {
            return Err(Error::DType {
                op: OP,
                message: format!("expected t.dtype.kind == 'i', got {}", t.dtype()),
            });
        }
        let (xs, ts) = (x.shape(), t.shape());
        if xs.len() < 2 || ts.len() + 1 != xs.len() || xs[0] != ts[0] || xs[2..] != ts[1..] {
            return Err(Error::Shape {
                op: OP,
                message: format!(
                    "expected x.ndim >= 2, t.ndim == x.ndim - 1, x.shape[0] == t.shape[0] and x.shape[2:] == t.shape[1:], got x.shape {xs:?} and t.shape {ts:?}"
                ),
            });
        }
        if let Some(w) = &self.class_weight {
            if w.len() != xs[1] {
                return Err(Error::Shape {
                    op: OP,
                    message: format!(
                        "expected class_weight.shape == (x.shape[1],) == ({},), got ({},)",
                        xs[1],
                        w.len()
                    ),
                });
            }
        }
        Ok(())
    }

    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>> {
        let (x, t) = (inputs[0], inputs[1]);
        let (n, c, r) = dims(x.shape());
        let t = labels(OP, t)?;
        if let Some((k, &bad)) = t
            .iter()
            .enumerate()
            .find(|(_, &l)| l != self.ignore_label && (l < 0 || l >= c as i64))
        {
            return Err(Error::Value {
                op: OP,
                message: format!(
                    "each label t must satisfy 0 <= t < x.shape[1] (= {c}) or t == ignore_label (= {}), got t = {bad} at flat index {k}",
                    self.ignore_label
                ),
            });
        }
        if crate::functions::use_kernels(x.device()) {
            return Ok(vec![self.forward_kernels(x, inputs[1], &t)?]);
        }
        let cd = compute_dtype(x.dtype());
        let xc = contiguous(OP, x, cd)?;
        let cache = self.cache_score && config::enable_backprop();
        let mut probs = if cache {
            Some(Array::empty(x.shape(), cd)?)
        } else {
            None
        };
        let mut per = vec![0.0f64; n * r];
        with_real!(cd, T => {
            let xs = xc.as_slice::<T>().expect("contiguous");
            let p = probs.as_mut().map(|p| p.as_slice_mut::<T>().expect("fresh array"));
            forward_kernel::<T>(xs, (n, c, r), &t, self, p, &mut per);
        });
        *self.probs.borrow_mut() = probs;
        let coeff = self.coefficient(&t, n);
        self.coeff.set(coeff);
        let out = match self.reduce {
            Reduce::Mean => {
                let total: f64 = per.iter().sum();
                Array::from_vec(vec![total * coeff], &[])?
            }
            _ => {
                let mut s = vec![n];
                s.extend_from_slice(&x.shape()[2..]);
                Array::from_vec(per, &s)?
            }
        };
        Ok(vec![with_dtype(&out, x.dtype())?])
    }

    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }

    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        if !ctx.needs_input_grad(0) {
            return Ok(vec![None, None]);
        }
        let x = ctx.input(0);
        let t_arr = ctx.input(1).array();
        let t = labels(OP, &t_arr)?;
        let shape = x.shape();
        let dtype = x.dtype();
        if config::enable_backprop() {
            // A graph of the gradient is wanted: build it from differentiable functions.
            // Built on the host from the labels; moved to the scores' device.
            let factor = self
                .label_factor(&t, &shape, dtype)?
                .to_device(x.device())?;
            let target = Variable::constant(self.target(&t, &shape, dtype)?.to_device(x.device())?);
            let diff = F::sub(&F::softmax(&x, 1)?, &target)?;
            let g = prims::expand_to(&gy[0], 1, &shape)?;
            let gx = F::mul(&prims::mul_const(&g, factor.broadcast_to(&shape)?)?, &diff)?;
            return Ok(vec![Some(gx), None]);
        }
        if crate::functions::use_kernels(x.device()) {
            let gx = self.backward_kernels(&x.data(), &t_arr, &t, &gy[0].data())?;
            return Ok(vec![Some(Variable::constant(gx)), None]);
        }
        let cd = compute_dtype(dtype);
        let g = gy[0].data().astype(DType::F64)?.to_vec::<f64>()?;
        let probs = self.probs.borrow();
        let xc = if probs.is_some() {
            None
        } else {
            Some(contiguous(OP, &x.data(), cd)?)
        };
        let mut gx = Array::empty(&shape, cd)?;
        with_real!(cd, T => {
            let p = probs.as_ref().map(|p| p.as_slice::<T>().expect("cached contiguous"));
            let xs = xc.as_ref().map(|a| a.as_slice::<T>().expect("contiguous")).unwrap_or(&[]);
            let out = gx.as_slice_mut::<T>().expect("fresh array");
            backward_kernel::<T>(xs, p, dims(&shape), &t, self, &g, out);
        });
        Ok(vec![
            Some(Variable::constant(with_dtype(&gx, dtype)?)),
            None,
        ])
    }
}
