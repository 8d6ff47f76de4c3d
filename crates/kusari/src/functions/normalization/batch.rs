//! Batch normalization: the training form (batch statistics, computed on
//! the CPU by dedicated loops: one pass per statistic, one for the output;
//! the gradient in two passes; off the CPU by float64 array operations on
//! the device) and the fixed (inference) form.

use crate::array::{Array, DType, Error, Result};
use crate::function_node::{apply, BackwardContext, FunctionNode};
use crate::functions::kernels::use_kernels;
use crate::functions::{
    add, add_constant, expect_float, mul, mul_constant, neg, pow_constant, reshape, sub, sum,
};
use crate::Variable;
use rayon::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// Where the normalized channels lie in `x`: `x` is viewed as
/// `(outer, channels, inner)` after moving the kept ("key") axes into one block.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// The reduced axes (Chainer's `axis`), sorted.
    axes: Vec<usize>,
    /// `x.shape` with the reduced axes set to 1: the shape per-channel values broadcast from.
    expanded: Vec<usize>,
    /// `gamma.shape`.
    key_shape: Vec<usize>,
    /// A permutation making the key axes one block, when they are not already.
    perm: Option<Vec<isize>>,
    outer: usize,
    channels: usize,
    inner: usize,
}

impl Layout {
    /// Chainer's `_compute_axis`/`_compute_key_axis` and type check.
    pub(crate) fn new(
        op: &'static str,
        x_shape: &[usize],
        gamma_shape: &[usize],
        axis: Option<&[usize]>,
    ) -> Result<Layout> {
        let nd = x_shape.len();
        let axes: Vec<usize> = match axis {
            Some(a) => {
                if a.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(Error::Value {
                        op,
                        message: format!(
                            "numbers in axis must be sorted in ascending order, got {a:?}"
                        ),
                    });
                }
                if let Some(&bad) = a.iter().find(|&&i| i >= nd) {
                    return Err(Error::Axis {
                        op,
                        axis: bad as isize,
                        ndim: nd,
                    });
                }
                a.to_vec()
            }
            None => std::iter::once(0)
                .chain(gamma_shape.len() + 1..nd)
                .collect(),
        };
        let key: Vec<usize> = (0..nd).filter(|i| !axes.contains(i)).collect();
        let key_shape: Vec<usize> = key.iter().map(|&i| x_shape[i]).collect();
        if nd < axes.len() || key_shape != gamma_shape {
            return Err(Error::Shape {
                op,
                message: format!(
                    "expected gamma.shape == the shape of x {x_shape:?} on the axes not reduced ({key:?}), that is {key_shape:?}, got {gamma_shape:?}"
                ),
            });
        }
        let expanded: Vec<usize> = (0..nd)
            .map(|i| if axes.contains(&i) { 1 } else { x_shape[i] })
            .collect();
        let contiguous_key = key.windows(2).all(|w| w[1] == w[0] + 1);
        let channels: usize = key_shape.iter().product();
        let (perm, outer, inner) = if contiguous_key {
            let (a, b) = key.first().map_or((nd, nd), |&f| (f, f + key.len()));
            (
                None,
                x_shape[..a].iter().product(),
                x_shape[b..].iter().product(),
            )
        } else {
            let perm: Vec<isize> = axes.iter().chain(&key).map(|&a| a as isize).collect();
            let m: usize = axes.iter().map(|&a| x_shape[a]).product();
            (Some(perm), m, 1)
        };
        Ok(Layout {
            axes,
            expanded,
            key_shape,
            perm,
            outer,
            channels,
            inner,
        })
    }

    /// Elements per channel.
    fn count(&self) -> usize {
        self.outer * self.inner
    }

    fn axes_isize(&self) -> Vec<isize> {
        self.axes.iter().map(|&a| a as isize).collect()
    }

    /// `a` laid out C-contiguously as `(outer, channels, inner)`, in the compute dtype.
    fn blocked(&self, a: &Array, dtype: DType) -> Result<Array> {
        // The statistics loops read host slices (see `slice_of`).
        crate::functions::expect_cpu("batch_normalization", "an array", a.device())?;
        let a = match &self.perm {
            Some(p) => a.transpose(Some(p))?,
            None => a.clone(),
        };
        if a.dtype() == dtype && a.is_c_contiguous() {
            Ok(a)
        } else {
            a.astype_order(dtype, crate::array::Order::C)
        }
    }

    /// The inverse of [`Layout::blocked`] for a result of `(outer, channels, inner)` values.
    fn unblocked(&self, data: Array, x_shape: &[usize], dtype: DType) -> Result<Array> {
        let out = match &self.perm {
            Some(p) => {
                let pshape: Vec<usize> = p.iter().map(|&a| x_shape[a as usize]).collect();
                let mut inv = vec![0isize; p.len()];
                for (i, &a) in p.iter().enumerate() {
                    inv[a as usize] = i as isize;
                }
                data.reshape_to(&pshape)?.transpose(Some(&inv))?
            }
            None => data.reshape_to(x_shape)?,
        };
        if out.dtype() == dtype {
            Ok(out)
        } else {
            out.astype(dtype)
        }
    }

    /// A per-channel variable (gamma's shape) reshaped to broadcast against `x`.
    fn expand(&self, v: &Variable) -> Result<Variable> {
        reshape(v, &self.expanded)
    }
}

/// The dtype the loops run in: f32 or f64 (half precision computes in f32).
fn compute_dtype(d: DType) -> DType {
    if d == DType::F64 {
        DType::F64
    } else {
        DType::F32
    }
}

/// A float the loops accept; sums run in f64.
trait Real: Copy + Send + Sync + crate::array::Element {
    fn f(self) -> f64;
    fn of(v: f64) -> Self;
}
impl Real for f32 {
    fn f(self) -> f64 {
        self as f64
    }
    fn of(v: f64) -> Self {
        v as f32
    }
}
impl Real for f64 {
    fn f(self) -> f64 {
        self
    }
    fn of(v: f64) -> Self {
        v
    }
}

/// Runs `body` with the contiguous data of `a` as `&[f32]` or `&[f64]`.
macro_rules! with_real {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            DType::F64 => {
                type $t = f64;
                $body
            }
            _ => {
                type $t = f32;
                $body
            }
        }
    };
}

fn slice_of<T: Real>(a: &Array) -> &[T] {
    a.as_slice::<T>()
        .expect("blocked arrays are C-contiguous in the compute dtype")
}

/// Per-channel sums of `f(x[o, c, i])` over `o` and `i`.
fn channel_sums<T: Real>(
    x: &[T],
    (outer, channels, inner): (usize, usize, usize),
    f: impl Fn(usize, T) -> f64 + Sync,
) -> Vec<f64> {
    (0..channels)
        .into_par_iter()
        .map(|c| {
            let mut s = 0.0;
            for o in 0..outer {
                let row = &x[(o * channels + c) * inner..][..inner];
                for &v in row {
                    s += f(c, v);
                }
            }
            s
        })
        .collect()
}

/// Per-channel sums of `f(x, y)` over two arrays of the same layout.
fn channel_sums2<T: Real>(
    x: &[T],
    y: &[T],
    (outer, channels, inner): (usize, usize, usize),
    f: impl Fn(usize, T, T) -> (f64, f64) + Sync,
) -> Vec<(f64, f64)> {
    (0..channels)
        .into_par_iter()
        .map(|c| {
            let (mut s, mut t) = (0.0, 0.0);
            for o in 0..outer {
                let start = (o * channels + c) * inner;
                for (&a, &b) in x[start..][..inner].iter().zip(&y[start..][..inner]) {
                    let (p, q) = f(c, a, b);
                    s += p;
                    t += q;
                }
            }
            (s, t)
        })
        .collect()
}

/// `out[o, c, i] = f(c, x[o, c, i])`, split across threads by rows.
fn channel_map<T: Real>(
    n: usize,
    (channels, inner): (usize, usize),
    f: impl Fn(usize, usize) -> T + Sync,
) -> Vec<T> {
    let mut out = vec![T::of(0.0); n];
    let rows_per_task = (16384 / inner.max(1)).max(1);
    out.par_chunks_mut(rows_per_task * inner.max(1))
        .enumerate()
        .for_each(|(t, chunk)| {
            for (k, v) in chunk.iter_mut().enumerate() {
                let flat = t * rows_per_task * inner + k;
                *v = f((flat / inner) % channels, flat);
            }
        });
    out
}

fn channel_array(values: &[f64], shape: &[usize], dtype: DType) -> Result<Array> {
    Array::from_slice(values, shape)?.astype(dtype)
}

/// The statistics of one training batch, for the running averages the
/// `BatchNormalization` link keeps.
#[derive(Clone, Debug)]
pub struct BatchStats {
    /// The per-channel mean (gamma's shape and dtype).
    pub mean: Array,
    /// The per-channel biased variance (divided by `count`). The link
    /// multiplies it by `count / (count - 1)` for its running variance, as Chainer does.
    pub var: Array,
    /// Elements per channel (the `m` of the unbiased correction).
    pub count: usize,
}

/// What backward needs from forward: per-channel mean, 1/std and the
/// biased variance, in float64, gamma's shape, on `x`'s device.
struct Saved {
    mean: Array,
    inv_std: Array,
    var: Array,
}

impl Saved {
    fn from_host(l: &Layout, mean: Vec<f64>, inv_std: Vec<f64>, var: Vec<f64>) -> Result<Saved> {
        let a = |v: Vec<f64>| Array::from_vec(v, &l.key_shape);
        Ok(Saved {
            mean: a(mean)?,
            inv_std: a(inv_std)?,
            var: a(var)?,
        })
    }
}

fn host_f64(a: &Array) -> &[f64] {
    a.as_slice::<f64>()
        .expect("host statistics are contiguous float64")
}

/// Off the CPU, batch normalization is array operations in float64 (the
/// CPU loops' precision) on the device: reductions over the normalized
/// axes and broadcasts of the per-channel values, no host round trip.
mod device {
    use super::{Layout, Saved};
    use crate::array::{Array, DType, Result};

    fn per_channel(l: &Layout, a: &Array) -> Result<Array> {
        a.astype(DType::F64)?.reshape_to(&l.expanded)
    }

    pub(super) fn forward(
        l: &Layout,
        eps: f64,
        x: &Array,
        gamma: &Array,
        beta: &Array,
    ) -> Result<(Saved, Array)> {
        let axes = l.axes_isize();
        let m = l.count().max(1) as f64;
        let xd = x.astype(DType::F64)?;
        let mean = xd.sum(Some(&axes), true)?.true_divide(m)?;
        let d = xd.subtract(&mean)?;
        let var = d.square()?.sum(Some(&axes), true)?.true_divide(m)?;
        let inv_std = var.add(eps)?.rsqrt()?;
        let scale = per_channel(l, gamma)?.multiply(&inv_std)?;
        let shift = per_channel(l, beta)?.subtract(&mean.multiply(&scale)?)?;
        let y = xd.multiply(&scale)?.add(&shift)?.astype(x.dtype())?;
        let key = |a: Array| a.reshape_to(&l.key_shape);
        let saved = Saved {
            mean: key(mean)?,
            inv_std: key(inv_std)?,
            var: key(var)?,
        };
        Ok((saved, y))
    }

    /// `(gx, ggamma, gbeta)`, the per-channel ones in float64.
    pub(super) fn backward(
        l: &Layout,
        s: &Saved,
        x: &Array,
        gamma: &Array,
        gy: &Array,
    ) -> Result<(Array, Array, Array)> {
        let axes = l.axes_isize();
        let m = l.count().max(1) as f64;
        let e = |a: &Array| a.reshape_to(&l.expanded);
        let (mean, inv_std) = (e(&s.mean)?, e(&s.inv_std)?);
        let gyd = gy.astype(DType::F64)?;
        let x_hat = x.astype(DType::F64)?.subtract(&mean)?.multiply(&inv_std)?;
        let gbeta = gyd.sum(Some(&axes), false)?;
        let ggamma = gyd.multiply(&x_hat)?.sum(Some(&axes), false)?;
        let coeff = per_channel(l, gamma)?.multiply(&inv_std)?;
        let inner = x_hat
            .multiply(&e(&ggamma)?)?
            .add(&e(&gbeta)?)?
            .true_divide(m)?;
        let gx = coeff.multiply(&gyd.subtract(&inner)?)?.astype(x.dtype())?;
        Ok((gx, ggamma, gbeta))
    }
}

struct BatchNormalization {
    layout: Layout,
    eps: f64,
    saved: Rc<RefCell<Option<Rc<Saved>>>>,
}

impl FunctionNode for BatchNormalization {
    fn label(&self) -> &str {
        "BatchNormalization"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_params("batch_normalization", x)
    }
    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>> {
        let (x, gamma, beta) = (inputs[0], inputs[1], inputs[2]);
        let l = &self.layout;
        let dims = (l.outer, l.channels, l.inner);
        let m = l.count() as f64;
        if use_kernels(x.device()) {
            let (saved, y) = device::forward(l, self.eps, x, gamma, beta)?;
            *self.saved.borrow_mut() = Some(Rc::new(saved));
            return Ok(vec![y]);
        }
        let cd = compute_dtype(x.dtype());
        let xb = l.blocked(x, cd)?;
        let g = gamma.astype(DType::F64)?.ravel()?.to_vec::<f64>()?;
        let b = beta.astype(DType::F64)?.ravel()?.to_vec::<f64>()?;
        let (saved, y) = with_real!(cd, T => {
            let xs = slice_of::<T>(&xb);
            let mean: Vec<f64> = channel_sums(xs, dims, |_, v| v.f())
                .into_iter()
                .map(|s| s / m.max(1.0))
                .collect();
            let var: Vec<f64> = channel_sums(xs, dims, |c, v| (v.f() - mean[c]).powi(2))
                .into_iter()
                .map(|s| s / m.max(1.0))
                .collect();
            let inv_std: Vec<f64> = var.iter().map(|v| 1.0 / (v + self.eps).sqrt()).collect();
            let scale: Vec<f64> = (0..l.channels).map(|c| g[c] * inv_std[c]).collect();
            let shift: Vec<f64> = (0..l.channels).map(|c| b[c] - mean[c] * scale[c]).collect();
            let y = channel_map::<T>(xs.len(), (l.channels, l.inner), |c, k| {
                T::of(xs[k].f() * scale[c] + shift[c])
            });
            (Saved::from_host(l, mean, inv_std, var)?, Array::from_vec(y, xb.shape())?)
        });
        *self.saved.borrow_mut() = Some(Rc::new(saved));
        Ok(vec![l.unblocked(y, x.shape(), x.dtype())?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let saved = self
            .saved
            .borrow()
            .clone()
            .expect("forward ran before backward");
        let grads = apply(
            BatchNormalizationGrad {
                layout: self.layout.clone(),
                saved,
            },
            &[&ctx.input(0), &ctx.input(1), &gy[0]],
        )?;
        Ok(grads.into_iter().map(Some).collect())
    }
}

/// Inputs `(x, gamma, gy)`, outputs `(gx, ggamma, gbeta)`.
struct BatchNormalizationGrad {
    layout: Layout,
    saved: Rc<Saved>,
}

impl FunctionNode for BatchNormalizationGrad {
    fn label(&self) -> &str {
        "BatchNormalizationGrad"
    }
    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>> {
        let (x, gamma, gy) = (inputs[0], inputs[1], inputs[2]);
        let l = &self.layout;
        let s: &Saved = &self.saved;
        let dims = (l.outer, l.channels, l.inner);
        let m = l.count() as f64;
        if use_kernels(x.device()) {
            let (gx, ggamma, gbeta) = device::backward(l, s, x, gamma, gy)?;
            return Ok(vec![
                gx,
                ggamma.astype(gamma.dtype())?,
                gbeta.astype(gamma.dtype())?,
            ]);
        }
        let cd = compute_dtype(x.dtype());
        let (xb, gyb) = (l.blocked(x, cd)?, l.blocked(gy, cd)?);
        let g = gamma.astype(DType::F64)?.ravel()?.to_vec::<f64>()?;
        let (mean, inv_std) = (host_f64(&s.mean), host_f64(&s.inv_std));
        let (gx, ggamma, gbeta) = with_real!(cd, T => {
            let (xs, gys) = (slice_of::<T>(&xb), slice_of::<T>(&gyb));
            let sums = channel_sums2(xs, gys, dims, |c, x, gy| {
                let gy = gy.f();
                (gy, gy * (x.f() - mean[c]) * inv_std[c])
            });
            let gbeta: Vec<f64> = sums.iter().map(|p| p.0).collect();
            let ggamma: Vec<f64> = sums.iter().map(|p| p.1).collect();
            // gx = gamma / std * (gy - gbeta / m - x_hat * ggamma / m)
            let coeff: Vec<f64> = (0..l.channels).map(|c| g[c] * inv_std[c]).collect();
            let gx = channel_map::<T>(xs.len(), (l.channels, l.inner), |c, k| {
                let x_hat = (xs[k].f() - mean[c]) * inv_std[c];
                T::of(coeff[c] * (gys[k].f() - (gbeta[c] + x_hat * ggamma[c]) / m.max(1.0)))
            });
            (Array::from_vec(gx, xb.shape())?, ggamma, gbeta)
        });
        Ok(vec![
            l.unblocked(gx, x.shape(), x.dtype())?,
            channel_array(&ggamma, &l.key_shape, gamma.dtype())?,
            channel_array(&gbeta, &l.key_shape, gamma.dtype())?,
        ])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1, 2]
    }
    fn retain_outputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gg: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        // Chainer's BatchNormalizationGrad.backward; x_hat and 1/std are
        // constants there too.
        let l = &self.layout;
        let (x, gamma, gy) = (ctx.input(0), ctx.input(1), ctx.input(2));
        let (gx1, ggamma1) = (ctx.output(0), ctx.output(1));
        let (ggx1, gggamma1, ggbeta1) = (&gg[0], &gg[1], &gg[2]);
        let dtype = x.dtype();
        let axes = l.axes_isize();
        let sum_r = |v: &Variable| sum(v, Some(&axes), false);
        let inv_m = 1.0 / l.count().max(1) as f64;
        let inv_std_a = self.saved.inv_std.astype(dtype)?;
        let mean_a = self.saved.mean.astype(dtype)?;
        let x_hat = Variable::constant(
            x.array()
                .subtract(&mean_a.reshape_to(&l.expanded)?)?
                .multiply(&inv_std_a.reshape_to(&l.expanded)?)?,
        );
        let inv_std = Variable::constant(inv_std_a);
        let r = sum_r(&mul(&gx1, ggx1)?)?;
        let coeff = mul(&gamma, &inv_std)?;
        let coeff_m = mul_constant(&coeff, inv_m)?;
        let gggamma2 = sub(gggamma1, &mul(&coeff_m, &sum_r(&mul(&x_hat, ggx1)?)?)?)?;
        let ggbeta2 = sub(ggbeta1, &mul(&coeff_m, &sum_r(ggx1)?)?)?;
        let ggamma2 = crate::functions::div(&r, &gamma)?;
        let gx_hat2 = sub(
            &mul(&l.expand(&gggamma2)?, &gy)?,
            &mul(&l.expand(&mul(&coeff_m, &ggamma1)?)?, ggx1)?,
        )?;
        let gstd2 = neg(&mul(&inv_std, &add(&r, &sum_r(&mul(&x_hat, &gx_hat2)?)?)?)?)?;
        let gmean2 = neg(&mul(&inv_std, &sum_r(&gx_hat2)?)?)?;
        let gx2 = add(
            &mul(&l.expand(&inv_std)?, &gx_hat2)?,
            &mul_constant(
                &add(&l.expand(&gmean2)?, &mul(&x_hat, &l.expand(&gstd2)?)?)?,
                inv_m,
            )?,
        )?;
        let ggy2 = add(
            &add(&mul(&l.expand(&gggamma2)?, &x_hat)?, &l.expand(&ggbeta2)?)?,
            &mul(&l.expand(&coeff)?, ggx1)?,
        )?;
        Ok(vec![Some(gx2), Some(ggamma2), Some(ggy2)])
    }
}

/// Chainer's type check of `(x, gamma, beta, ...)`: float `x`, and the
/// per-channel parameters of `x`'s dtype (kusari does not mix precisions here).
fn check_params(op: &'static str, x: &[&Array]) -> Result<()> {
    expect_float(op, "x", x[0].dtype())?;
    let names = ["x", "gamma", "beta", "mean", "var"];
    for (i, a) in x.iter().enumerate().skip(1) {
        if a.dtype() != x[0].dtype() {
            return Err(Error::DType {
                op,
                message: format!(
                    "expected {}.dtype == x.dtype, got {} != {}",
                    names[i],
                    a.dtype(),
                    x[0].dtype()
                ),
            });
        }
        if a.shape() != x[1].shape() {
            return Err(Error::Shape {
                op,
                message: format!(
                    "expected {}.shape == gamma.shape, got {:?} != {:?}",
                    names[i],
                    a.shape(),
                    x[1].shape()
                ),
            });
        }
    }
    Ok(())
}

/// Batch normalization with the batch's statistics (Chainer's
/// `F.batch_normalization` in training): `gamma * (x - mean) / sqrt(var + eps) + beta`,
/// mean and (biased) var taken over `axis` (default: axis 0 and the axes after
/// gamma's, so `(n, c, h, w)` with `gamma` of shape `(c,)` normalizes per channel).
/// Chainer's `eps` default is `2e-5`.
pub fn batch_normalization(
    x: &Variable,
    gamma: &Variable,
    beta: &Variable,
    eps: f64,
    axis: Option<&[usize]>,
) -> Result<Variable> {
    Ok(batch_normalization_with_stats(x, gamma, beta, eps, axis)?.0)
}

/// [`batch_normalization`] that also returns the batch's statistics, which
/// the `BatchNormalization` link folds into its running averages (where
/// Chainer's function updates `running_mean`/`running_var` in place).
pub fn batch_normalization_with_stats(
    x: &Variable,
    gamma: &Variable,
    beta: &Variable,
    eps: f64,
    axis: Option<&[usize]>,
) -> Result<(Variable, BatchStats)> {
    const OP: &str = "batch_normalization";
    if eps <= 0.0 {
        return Err(Error::Value {
            op: OP,
            message: format!("expected eps > 0, got {eps}"),
        });
    }
    let layout = Layout::new(OP, &x.shape(), &gamma.shape(), axis)?;
    // `apply` takes the node; the shared cell is how its statistics come back.
    let saved: Rc<RefCell<Option<Rc<Saved>>>> = Default::default();
    let y = apply(
        BatchNormalization {
            layout: layout.clone(),
            eps,
            saved: saved.clone(),
        },
        &[x, gamma, beta],
    )?
    .swap_remove(0);
    let saved = saved.borrow().clone().expect("forward ran");
    let dtype = gamma.dtype();
    let stats = BatchStats {
        mean: saved.mean.astype(dtype)?,
        var: saved.var.astype(dtype)?,
        count: layout.count(),
    };
    Ok((y, stats))
}

/// Batch normalization with given statistics (Chainer's
/// `F.fixed_batch_normalization`, used in inference):
/// `gamma * (x - mean) / sqrt(var + eps) + beta`, differentiable in all five inputs.
pub fn fixed_batch_normalization(
    x: &Variable,
    gamma: &Variable,
    beta: &Variable,
    mean: &Variable,
    var: &Variable,
    eps: f64,
    axis: Option<&[usize]>,
) -> Result<Variable> {
    const OP: &str = "fixed_batch_normalization";
    let arrays = [
        x.array(),
        gamma.array(),
        beta.array(),
        mean.array(),
        var.array(),
    ];
    let refs: Vec<&Array> = arrays.iter().collect();
    check_params(OP, &refs)?;
    let l = Layout::new(OP, &x.shape(), &gamma.shape(), axis)?;
    // Fold the per-channel constants first so x is read twice, not five times.
    let inv_std = pow_constant(&add_constant(var, eps)?, -0.5)?;
    let scale = mul(gamma, &inv_std)?;
    let shift = sub(beta, &mul(mean, &scale)?)?;
    add(&mul(x, &l.expand(&scale)?)?, &l.expand(&shift)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::kernels::FORCE_KERNELS;

    /// The path off the CPU (array operations in float64, forced on the
    /// CPU) against the loops: output, batch statistics, first gradients
    /// and second-order gradients (of `sum(gx²)` through double backprop),
    /// for the default axes, a permuted key (`axis=[1]` of 3-D) and a
    /// strided x, in float16, float32 and float64.
    #[test]
    fn device_path_matches_the_loops() {
        let xs: Vec<f64> = (0..60)
            .map(|i| ((i * 37) % 23) as f64 * 0.25 - 2.5)
            .collect();
        // (x shape, gamma shape, axis, transpose x)
        type Case = (
            &'static [usize],
            &'static [usize],
            Option<&'static [usize]>,
            bool,
        );
        let cases: [Case; 3] = [
            (&[5, 3, 4], &[3], None, false),
            (&[4, 5, 3], &[4, 3], Some(&[1]), false),
            (&[4, 3, 5], &[3], None, true),
        ];
        for (shape, gshape, axis, transpose) in cases {
            for dtype in [DType::F16, DType::F32, DType::F64] {
                let run = |forced: bool| -> Vec<Vec<f64>> {
                    FORCE_KERNELS.with(|f| f.set(forced));
                    let mut x = Array::from_vec(xs.clone(), shape)
                        .unwrap()
                        .astype(dtype)
                        .unwrap();
                    if transpose {
                        // Same values at (n, c, k) as a C-ordered (n, k, c) copy read back transposed.
                        let sw = [shape[0], shape[2], shape[1]];
                        x = x.reshape_to(&sw).unwrap().swapaxes(1, 2).unwrap();
                    }
                    let x = Variable::new(x);
                    let gn: usize = gshape.iter().product();
                    let g = |off: f64| {
                        let v: Vec<f64> = (0..gn).map(|i| off + 0.3 * i as f64).collect();
                        Variable::new(Array::from_vec(v, gshape).unwrap().astype(dtype).unwrap())
                    };
                    let (gamma, beta) = (g(0.7), g(-0.4));
                    let (y, stats) =
                        batch_normalization_with_stats(&x, &gamma, &beta, 2e-5, axis).unwrap();
                    let w = Variable::constant(
                        Array::from_vec(
                            (0..60).map(|i| (i % 7) as f64 - 3.0).collect(),
                            &y.shape(),
                        )
                        .unwrap()
                        .astype(dtype)
                        .unwrap(),
                    );
                    let loss = crate::functions::sum(&mul(&y, &w).unwrap(), None, false).unwrap();
                    let gs = crate::grad(&[&loss], &[&x, &gamma, &beta], None, true).unwrap();
                    let gx = gs[0].clone().unwrap();
                    let gg = crate::functions::sum(&mul(&gx, &gx).unwrap(), None, false).unwrap();
                    let second = crate::grad(&[&gg], &[&x, &gamma], None, false).unwrap();
                    FORCE_KERNELS.with(|f| f.set(false));
                    let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                    let mut out = vec![v(&y.data()), v(&stats.mean), v(&stats.var)];
                    out.extend(gs.iter().map(|g| v(&g.as_ref().unwrap().data())));
                    out.extend(second.iter().map(|g| v(&g.as_ref().unwrap().data())));
                    out
                };
                let tol = if dtype == DType::F16 {
                    4e-3
                } else if dtype == DType::F32 {
                    2e-5
                } else {
                    1e-10
                };
                let (cpu, dev) = (run(false), run(true));
                assert_eq!(cpu.len(), dev.len());
                for (k, (a, b)) in cpu.iter().zip(&dev).enumerate() {
                    assert_eq!(a.len(), b.len());
                    let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                    for (p, q) in a.iter().zip(b) {
                        assert!(
                            (p - q).abs() <= tol * scale,
                            "{shape:?} {axis:?} {dtype} output {k}: loop {p}, device path {q}"
                        );
                    }
                }
            }
        }
    }
}
