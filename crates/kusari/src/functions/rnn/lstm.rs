//! `lstm`: the LSTM cell as one fused node forward and one fused pass backward.

use crate::array::{Array, Error, Result};
use crate::config;
use crate::function_node::{apply, BackwardContext, FunctionNode};
use crate::functions as F;
use crate::functions::loss::prims::{concat, split};
use crate::functions::loss::{compute_dtype, contiguous, with_dtype, with_real, Real};
use crate::Variable;

const OP: &str = "lstm";

/// One step of an LSTM cell (Chainer's `F.lstm`): from the previous cell
/// state `c_prev` of shape `(B_c, U, ...)` and the pre-activations `x` of
/// shape `(B, 4U, ...)`, `B <= B_c`, returns `(c, h)`.
///
/// The four gates are interleaved per unit, as in Chainer: `x[:, 4u + k]` is
/// gate `k` of unit `u` with `k` in the order `a` (input, tanh), `i` (input
/// gate), `f` (forget gate), `o` (output gate), all sigmoid but `a`. Then
/// `c = a * i + f * c_prev` and `h = o * tanh(c)`. Rows of `c_prev` past `B`
/// (sequences that already ended) are copied to `c` unchanged; `h` has `B` rows.
///
/// ```
/// use kusari::{array::{Array, DType}, functions as F, Variable};
/// let c = Variable::new(Array::zeros(&[2, 3], DType::F32)?);
/// let x = Variable::new(Array::ones(&[2, 12], DType::F32)?);
/// let (c, h) = F::lstm(&c, &x)?;
/// assert_eq!((c.shape(), h.shape()), (vec![2, 3], vec![2, 3]));
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn lstm(c_prev: &Variable, x: &Variable) -> Result<(Variable, Variable)> {
    let mut out = apply(Lstm, &[c_prev, x])?;
    let h = out.pop().expect("two outputs");
    let c = out.pop().expect("two outputs");
    Ok((c, h))
}

struct Lstm;

/// `(B_c, B, U, R)`: batch of c_prev, batch of x, units, product of trailing axes.
fn dims(c: &[usize], x: &[usize]) -> (usize, usize, usize, usize) {
    (c[0], x[0], c[1], c[2..].iter().product())
}

#[inline(always)]
pub(super) fn sig<T: Real>(v: T) -> T {
    // One inlined exp: libm's tanh and exp calls dominated the cell's time.
    T::ONE / (T::ONE + (-v).exp_fast())
}

#[inline(always)]
pub(super) fn tanh<T: Real>(v: T) -> T {
    // 1 - 2 / (e^2v + 1): one exp, and the limits +-1 where it saturates.
    let two = T::from_f64(2.0);
    T::ONE - two / ((two * v).exp_fast() + T::ONE)
}

kusari_array::multiversion! {
    /// Activates every gate of `x` (rows of `4 U r`): `tanh` for gate 0 of each
    /// unit, sigmoid for the others, as `s sig(s v) - (s - 1)` with `s` 2 or 1,
    /// so one branch-free loop over contiguous data does all of them (and
    /// vectorizes; these exponentials are most of the cell's time).
    pub(crate) unsafe fn activate<T: Real>(x: &[T], r: usize, out: &mut [T]) {
        let group = 4 * r;
        let period = group * 32usize.div_ceil(group);
        let scale: Vec<T> = (0..period)
            .map(|i| {
                if (i % group) / r == 0 {
                    T::from_f64(2.0)
                } else {
                    T::ONE
                }
            })
            .collect();
        let one = T::ONE;
        let mut xs = x.chunks_exact(period);
        let mut os = out.chunks_exact_mut(period);
        for (xc, oc) in (&mut xs).zip(&mut os) {
            for ((o, &v), &k) in oc.iter_mut().zip(xc).zip(&scale) {
                *o = k * sig(k * v) - (k - one);
            }
        }
        for ((o, &v), &k) in os
            .into_remainder()
            .iter_mut()
            .zip(xs.remainder())
            .zip(&scale)
        {
            *o = k * sig(k * v) - (k - one);
        }
    }
}

kusari_array::multiversion! {
    /// `tanh` of every element (a separate contiguous pass, so it vectorizes).
    pub(crate) unsafe fn tanh_all<T: Real>(x: &[T], out: &mut [T]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = tanh(v);
        }
    }
}

/// Calls `f(gates, rest)` for every (sample, unit, trailing position) of the
/// first `b` rows: `gates` the four gate values of that position in `act`
/// (rows of `4 U r`, gate `g` of unit `k` at `(4k + g) r + j`), `rest` its
/// index in the `(B, U, r)` arrays. Units with `r == 1` (the usual 2-D case)
/// take a loop over contiguous groups of four with no index arithmetic;
/// that loop and the activation pass are most of the cell's time.
#[inline(always)]
fn for_each_unit<T: Real>(
    act: &[T],
    b: usize,
    u: usize,
    r: usize,
    mut f: impl FnMut([T; 4], usize),
) {
    if r == 1 {
        for (at, g) in act[..b * 4 * u].chunks_exact(4).enumerate() {
            f([g[0], g[1], g[2], g[3]], at);
        }
        return;
    }
    for n in 0..b {
        let arow = &act[n * 4 * u * r..(n + 1) * 4 * u * r];
        for (k, unit) in arow.chunks_exact(4 * r).enumerate() {
            for j in 0..r {
                let g = [unit[j], unit[r + j], unit[2 * r + j], unit[3 * r + j]];
                f(g, (n * u + k) * r + j);
            }
        }
    }
}

pub(super) fn forward_kernel<T: Real>(
    cp: &[T],
    x: &[T],
    (bc, b, u, r): (usize, usize, usize, usize),
    c: &mut [T],
    h: &mut [T],
) {
    let ur = u * r;
    let mut act = vec![T::ZERO; b * 4 * ur];
    // SAFETY: plain slices; the dispatch picks a level this CPU has.
    unsafe { activate(&x[..b * 4 * ur], r, &mut act) };
    let (cb, cpb) = (&mut c[..b * ur], &cp[..b * ur]);
    for_each_unit(&act, b, u, r, |[a, i, f, _], at| {
        cb[at] = a * i + f * cpb[at];
    });
    // SAFETY: as above.
    unsafe { tanh_all(&c[..b * ur], &mut h[..b * ur]) };
    let hb = &mut h[..b * ur];
    for_each_unit(&act, b, u, r, |[_, _, _, o], at| {
        hb[at] = o * hb[at];
    });
    c[b * ur..bc * ur].copy_from_slice(&cp[b * ur..bc * ur]);
}

#[allow(clippy::too_many_arguments)]
pub(super) fn backward_kernel<T: Real>(
    cp: &[T],
    x: &[T],
    c: &[T],
    gc: &[T],
    gh: &[T],
    (bc, b, u, r): (usize, usize, usize, usize),
    gcp: &mut [T],
    gx: &mut [T],
) {
    let ur = u * r;
    let one = T::ONE;
    let mut act = vec![T::ZERO; b * 4 * ur];
    // SAFETY: plain slices; the dispatch picks a level this CPU has.
    unsafe { activate(&x[..b * 4 * ur], r, &mut act) };
    let mut tc = vec![T::ZERO; b * ur];
    // SAFETY: as above.
    unsafe { tanh_all(&c[..b * ur], &mut tc) };
    let (cpb, gcb, ghb, gcpb) = (
        &cp[..b * ur],
        &gc[..b * ur],
        &gh[..b * ur],
        &mut gcp[..b * ur],
    );
    let gxb = &mut gx[..b * 4 * ur];
    for_each_unit(&act, b, u, r, |[a, i, f, o], at| {
        let co = tc[at];
        let temp = ghb[at] * o * (one - co * co) + gcb[at];
        // Gate g of this position sits where its activation does in `act`.
        let base = if r == 1 {
            4 * at
        } else {
            let (n, k, j) = (at / ur, (at % ur) / r, at % r);
            n * 4 * ur + 4 * k * r + j
        };
        gxb[base] = temp * i * (one - a * a);
        gxb[base + r] = temp * a * i * (one - i);
        gxb[base + 2 * r] = temp * cpb[at] * f * (one - f);
        gxb[base + 3 * r] = ghb[at] * co * o * (one - o);
        gcpb[at] = temp * f;
    });
    gcp[b * ur..bc * ur].copy_from_slice(&gc[b * ur..bc * ur]);
}

impl FunctionNode for Lstm {
    fn label(&self) -> &str {
        "LSTM"
    }

    fn check_type(&self, inputs: &[&Array]) -> Result<()> {
        let (c, x) = (inputs[0], inputs[1]);
        crate::functions::expect_float(OP, "c", c.dtype())?;
        crate::functions::expect_same_dtype(OP, c.dtype(), x.dtype())?;
        let (cs, xs) = (c.shape(), x.shape());
        if cs.len() < 2
            || cs.len() != xs.len()
            || xs[0] > cs[0]
            || xs[1] != 4 * cs[1]
            || cs[2..] != xs[2..]
        {
            return Err(Error::Shape {
                op: OP,
                message: format!(
                    "expected c.ndim >= 2, c.ndim == x.ndim, x.shape[0] <= c.shape[0], x.shape[1] == 4 * c.shape[1] and x.shape[2:] == c.shape[2:], got c.shape {cs:?} and x.shape {xs:?}"
                ),
            });
        }
        Ok(())
    }

    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>> {
        let (c_prev, x) = (inputs[0], inputs[1]);
        let dtype = x.dtype();
        let cd = compute_dtype(dtype);
        let d = dims(c_prev.shape(), x.shape());
        if crate::functions::use_kernels(c_prev.device())
            || crate::functions::use_kernels(x.device())
        {
            // Off the CPU: the cell's user kernels (lstm_kernel.rs), which
            // also reject a c_prev and x on different devices.
            let (c, h) = super::lstm_kernel::forward(c_prev, x, cd)?;
            return Ok(vec![with_dtype(&c, dtype)?, with_dtype(&h, dtype)?]);
        }
        let (cp, xc) = (contiguous(OP, c_prev, cd)?, contiguous(OP, x, cd)?);
        let mut c = Array::empty(c_prev.shape(), cd)?;
        let mut hs = c_prev.shape().to_vec();
        hs[0] = d.1;
        let mut h = Array::empty(&hs, cd)?;
        with_real!(cd, T => forward_kernel::<T>(
            cp.as_slice().expect("contiguous"),
            xc.as_slice().expect("contiguous"),
            d,
            c.as_slice_mut().expect("fresh"),
            h.as_slice_mut().expect("fresh"),
        ));
        if cd != dtype {
            return Ok(vec![c.astype(dtype)?, h.astype(dtype)?]);
        }
        Ok(vec![c, h])
    }

    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }

    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }

    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let (c_prev, x) = (ctx.input(0), ctx.input(1));
        if config::enable_backprop() {
            let (gcp, gx) = backward_composed(&c_prev, &x, &gy[0], &gy[1])?;
            return Ok(vec![Some(gcp), Some(gx)]);
        }
        let c = ctx.output(0);
        let dtype = x.dtype();
        let cd = compute_dtype(dtype);
        let (cs, xs) = (c_prev.shape(), x.shape());
        let d = dims(&cs, &xs);
        let arrays = [
            c_prev.array(),
            x.array(),
            c.array(),
            gy[0].array(),
            gy[1].array(),
        ];
        if crate::functions::use_kernels(arrays[0].device()) {
            let [cp, xa, ca, gc, gh] = &arrays;
            let (gcp, gx) = super::lstm_kernel::backward(cp, xa, ca, gc, gh, cd)?;
            return Ok(vec![
                Some(Variable::constant(with_dtype(&gcp, dtype)?)),
                Some(Variable::constant(with_dtype(&gx, dtype)?)),
            ]);
        }
        let a: Vec<Array> = arrays
            .iter()
            .map(|a| contiguous(OP, a, cd))
            .collect::<Result<_>>()?;
        let mut gcp = Array::empty(&cs, cd)?;
        let mut gx = Array::empty(&xs, cd)?;
        with_real!(cd, T => backward_kernel::<T>(
            a[0].as_slice().expect("contiguous"),
            a[1].as_slice().expect("contiguous"),
            a[2].as_slice().expect("contiguous"),
            a[3].as_slice().expect("contiguous"),
            a[4].as_slice().expect("contiguous"),
            d,
            gcp.as_slice_mut().expect("fresh"),
            gx.as_slice_mut().expect("fresh"),
        ));
        let wrap = |g: Array| -> Result<Variable> {
            Ok(Variable::constant(if cd != dtype {
                g.astype(dtype)?
            } else {
                g
            }))
        };
        Ok(vec![Some(wrap(gcp)?), Some(wrap(gx)?)])
    }
}

/// The gates `(a, i, f, o)` of `x`, activated, each shaped like `c_prev[:B]`.
fn gates(x: &Variable) -> Result<[Variable; 4]> {
    let xs = x.shape();
    let mut s4 = vec![xs[0], xs[1] / 4, 4];
    s4.extend_from_slice(&xs[2..]);
    let mut s = vec![xs[0], xs[1] / 4];
    s.extend_from_slice(&xs[2..]);
    let parts = split(&F::reshape(x, &s4)?, 2, &[1, 1, 1, 1])?;
    let g = |k: usize| F::reshape(&parts[k], &s);
    Ok([
        F::tanh(&g(0)?)?,
        F::sigmoid(&g(1)?)?,
        F::sigmoid(&g(2)?)?,
        F::sigmoid(&g(3)?)?,
    ])
}

/// Rows `[..b]` and `[b..]` of `v` (the second `None` when empty).
fn head_tail(v: &Variable, b: usize) -> Result<(Variable, Option<Variable>)> {
    let n = v.shape()[0];
    if n == b {
        return Ok((v.clone(), None));
    }
    let mut p = split(v, 0, &[b, n - b])?;
    let tail = p.pop();
    Ok((p.pop().expect("two parts"), tail))
}

/// LSTM's backward written with differentiable functions, for double backprop.
fn backward_composed(
    c_prev: &Variable,
    x: &Variable,
    gc: &Variable,
    gh: &Variable,
) -> Result<(Variable, Variable)> {
    let b = x.shape()[0];
    let [a, i, f, o] = gates(x)?;
    let (cp, _) = head_tail(c_prev, b)?;
    let (gc_b, gc_rest) = head_tail(gc, b)?;
    let c = F::add(&F::mul(&a, &i)?, &F::mul(&f, &cp)?)?;
    let co = F::tanh(&c)?;
    let one_minus_sq = |v: &Variable| F::rsub_constant(&F::mul(v, v)?, 1.0);
    let dsig = |v: &Variable| F::mul(v, &F::rsub_constant(v, 1.0)?);
    let temp = F::add(&F::mul(&F::mul(gh, &o)?, &one_minus_sq(&co)?)?, &gc_b)?;
    let ga = F::mul(&F::mul(&temp, &i)?, &one_minus_sq(&a)?)?;
    let gi = F::mul(&F::mul(&temp, &a)?, &dsig(&i)?)?;
    let gf = F::mul(&F::mul(&temp, &cp)?, &dsig(&f)?)?;
    let go = F::mul(&F::mul(gh, &co)?, &dsig(&o)?)?;
    let xs = x.shape();
    let mut s1 = vec![xs[0], xs[1] / 4, 1];
    s1.extend_from_slice(&xs[2..]);
    let parts = [ga, gi, gf, go]
        .iter()
        .map(|g| F::reshape(g, &s1))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&Variable> = parts.iter().collect();
    let gx = F::reshape(&concat(&refs, 2)?, &xs)?;
    let gcp_b = F::mul(&temp, &f)?;
    let gcp = match gc_rest {
        Some(rest) => concat(&[&gcp_b, &rest], 0)?,
        None => gcp_b,
    };
    Ok((gcp, gx))
}
