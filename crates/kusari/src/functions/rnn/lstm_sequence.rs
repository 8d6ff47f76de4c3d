//! A whole LSTM layer over equal-length time steps as one node: what
//! `n_step_lstm` runs when no sequence ends early (as cuDNN and PyTorch's
//! fused `nn.LSTM` do). The input projection of every step is one matrix
//! product, and so are the weight gradients; only the recurrent product and
//! the cell stay per step. Stepping the cell node by node gives the same
//! numbers; it is kept for batches that shrink and for double backprop
//! (`config::fused_rnn`).
//!
//! Unlike `F::lstm`'s per-unit interleaving, the layer's gates are laid out
//! in blocks (`[a | i | f | o]`, `N` each, per row), so every pass of the
//! cell runs over contiguous slices and vectorizes; `n_step` stacks the
//! weights that way for it.

use super::lstm::{sig, tanh};
use crate::array::{Array, Error, Result};
use crate::config;
use crate::function_node::{apply, BackwardContext, FunctionNode};
use crate::functions::loss::{compute_dtype, contiguous, with_real, Real};
use crate::Variable;
use kusari_array::ops::linalg::gemm_slices;
use std::cell::RefCell;

const OP: &str = "n_step_lstm";

/// Runs the LSTM layer over `T` steps of `B` rows stacked time-major in `x`
/// (`(T B, I)`), from `h0`, `c0` (`(B, N)`), with gate-blocked weights
/// `xw` (`(4N, I)`), `hw` (`(4N, N)`) and bias `b` (`(4N,)`, both biases
/// summed): rows `g N .. (g + 1) N` hold gate `g` of `a, i, f, o`. Returns
/// `(ys, h_T, c_T)` with `ys` `(T B, N)`, step `t` in rows `t B .. (t + 1) B`.
pub(super) fn lstm_sequence(
    x: &Variable,
    h0: &Variable,
    c0: &Variable,
    xw: &Variable,
    hw: &Variable,
    b: &Variable,
) -> Result<(Variable, Variable, Variable)> {
    let mut out = apply(
        LstmSequence {
            saved: RefCell::new(None),
        },
        &[x, h0, c0, xw, hw, b],
    )?;
    let c = out.pop().expect("three outputs");
    let h = out.pop().expect("three outputs");
    Ok((out.pop().expect("three outputs"), h, c))
}

/// What backward reads from the forward pass, per step and row: the
/// activated gates `(T B, 4N)`, the cell states and their tanh `(T B, N)`.
struct Saved {
    gates: Array,
    cells: Array,
    tanh_cells: Array,
}

struct LstmSequence {
    saved: RefCell<Option<Saved>>,
}

kusari_array::multiversion! {
    /// One step of the cell on rows of `n` units: activates the gate
    /// pre-activations `g` (rows of `4n`) in place, then `c = a i + f c_prev`,
    /// `tc = tanh(c)`, `h = o tc`. The formulas are `F::lstm`'s.
    pub(crate) unsafe fn cell_forward<T: Real>(
        n: usize,
        g: &mut [T],
        c_prev: &[T],
        c: &mut [T],
        tc: &mut [T],
        h: &mut [T]
    ) {
        let two = T::from_f64(2.0);
        for (row, gr) in g.chunks_exact_mut(4 * n).enumerate() {
            let (ga, rest) = gr.split_at_mut(n);
            for v in ga.iter_mut() {
                *v = two * sig(two * *v) - T::ONE;
            }
            for v in rest.iter_mut() {
                *v = sig(*v);
            }
            let (gi, rest) = rest.split_at(n);
            let (gf, go) = rest.split_at(n);
            let span = row * n..(row + 1) * n;
            let cp = &c_prev[span.clone()];
            let cr = &mut c[span.clone()];
            let tr = &mut tc[span.clone()];
            let hr = &mut h[span];
            for k in 0..n {
                let cv = ga[k] * gi[k] + gf[k] * cp[k];
                cr[k] = cv;
                let t = tanh(cv);
                tr[k] = t;
                hr[k] = go[k] * t;
            }
        }
    }
}

kusari_array::multiversion! {
    /// The cell's backward on rows of `n` units: from the forward's activated
    /// gates, `c_prev` and `tanh(c)` and the gradients `gc`, `gh` of `c`
    /// and `h`, the gate pre-activations' gradient `gg` (rows of `4n`) and
    /// `c_prev`'s `gcp`. The formulas are `F::lstm`'s backward.
    pub(crate) unsafe fn cell_backward<T: Real>(
        n: usize,
        forward: [&[T]; 3],
        grads: [&[T]; 2],
        gg: &mut [T],
        gcp: &mut [T]
    ) {
        let [act, c_prev, tc] = forward;
        let [gc, gh] = grads;
        let one = T::ONE;
        for (row, (ar, gr)) in act.chunks_exact(4 * n).zip(gg.chunks_exact_mut(4 * n)).enumerate() {
            let (a, rest) = ar.split_at(n);
            let (i, rest) = rest.split_at(n);
            let (f, o) = rest.split_at(n);
            let (ga, rest) = gr.split_at_mut(n);
            let (gi, rest) = rest.split_at_mut(n);
            let (gf, go) = rest.split_at_mut(n);
            let span = row * n..(row + 1) * n;
            let (cp, t, gcr, ghr) = (&c_prev[span.clone()], &tc[span.clone()], &gc[span.clone()], &gh[span.clone()]);
            let gcpr = &mut gcp[span];
            for k in 0..n {
                let co = t[k];
                let temp = ghr[k] * o[k] * (one - co * co) + gcr[k];
                ga[k] = temp * i[k] * (one - a[k] * a[k]);
                gi[k] = temp * a[k] * i[k] * (one - i[k]);
                gf[k] = temp * cp[k] * f[k] * (one - f[k]);
                go[k] = ghr[k] * co * o[k] * (one - o[k]);
                gcpr[k] = temp * f[k];
            }
        }
    }
}

fn forward_typed<T: Real>(
    inputs: &[Array],
    (t_len, b, n): (usize, usize, usize),
) -> Result<(Vec<Array>, Saved)> {
    let [x, h0, c0, xw, hw, bias] = inputs else {
        unreachable!("six inputs")
    };
    // One product for the input projection of every step, plus the bias.
    let mut gates = contiguous(OP, &x.matmul(&xw.t())?.add(bias)?, T::DTYPE)?;
    // One transposed copy of the recurrent weights for all steps: gemm reads
    // a row-major right operand about twice as fast as a transposed view
    // (20×200 @ 200×800: 28 µs against 59 µs per step, measured).
    let hw_t = hw.t().ascontiguousarray()?;
    let hw_t = hw_t.as_slice::<T>().expect("fresh contiguous");
    let (rows, cols) = (b * n, b * 4 * n);
    let mut ys = vec![T::ZERO; t_len * rows];
    let mut cells = vec![T::ZERO; t_len * rows];
    let mut tanh_cells = vec![T::ZERO; t_len * rows];
    let (h0, c0) = (h0.to_vec::<T>()?, c0.to_vec::<T>()?);
    let g = gates.as_slice_mut::<T>().expect("fresh contiguous");
    for t in 0..t_len {
        let gt = &mut g[t * cols..(t + 1) * cols];
        let (ys_before, ys_now) = ys.split_at_mut(t * rows);
        let h_prev = if t == 0 {
            &h0[..]
        } else {
            &ys_before[(t - 1) * rows..]
        };
        // The recurrent product added onto the projected inputs in place.
        gemm_slices(b, 4 * n, n, h_prev, hw_t, gt, true)?;
        let (c_before, c_now) = cells.split_at_mut(t * rows);
        let c_prev = if t == 0 {
            &c0[..]
        } else {
            &c_before[(t - 1) * rows..]
        };
        // SAFETY: plain slices; the dispatch picks a level this CPU has.
        unsafe {
            cell_forward(
                n,
                gt,
                c_prev,
                &mut c_now[..rows],
                &mut tanh_cells[t * rows..(t + 1) * rows],
                &mut ys_now[..rows],
            )
        };
    }
    let last = (t_len - 1) * rows..t_len * rows;
    let h_last = Array::from_vec(ys[last.clone()].to_vec(), &[b, n])?;
    let c_last = Array::from_vec(cells[last].to_vec(), &[b, n])?;
    let saved = Saved {
        gates,
        cells: Array::from_vec(cells, &[t_len * b, n])?,
        tanh_cells: Array::from_vec(tanh_cells, &[t_len * b, n])?,
    };
    Ok((
        vec![Array::from_vec(ys, &[t_len * b, n])?, h_last, c_last],
        saved,
    ))
}

#[allow(clippy::too_many_arguments)]
fn backward_typed<T: Real>(
    x: &Array,
    h0: &Array,
    c0: &Array,
    xw: &Array,
    hw: &Array,
    ys: &Array,
    saved: &Saved,
    g_out: [&Array; 3],
    (t_len, b, n): (usize, usize, usize),
) -> Result<[Array; 6]> {
    let gates = saved.gates.as_slice::<T>().expect("saved contiguous");
    let cells = saved.cells.as_slice::<T>().expect("saved contiguous");
    let tanh_cells = saved.tanh_cells.as_slice::<T>().expect("saved contiguous");
    let hw_s = hw.as_slice::<T>().expect("contiguous input");
    let gys = contiguous(OP, g_out[0], T::DTYPE)?;
    let gys = gys.as_slice::<T>().expect("contiguous");
    let mut gh = contiguous(OP, g_out[1], T::DTYPE)?.to_vec::<T>()?;
    let mut gc = contiguous(OP, g_out[2], T::DTYPE)?.to_vec::<T>()?;
    let c0v = contiguous(OP, c0, T::DTYPE)?.to_vec::<T>()?;
    let (rows, cols) = (b * n, b * 4 * n);
    let mut gg = vec![T::ZERO; t_len * cols];
    let mut gcp = vec![T::ZERO; rows];
    for t in (0..t_len).rev() {
        let span = t * rows..(t + 1) * rows;
        for (h, &y) in gh.iter_mut().zip(&gys[span.clone()]) {
            *h += y;
        }
        let c_prev = if t == 0 {
            &c0v[..]
        } else {
            &cells[(t - 1) * rows..t * rows]
        };
        let ggt = &mut gg[t * cols..(t + 1) * cols];
        // SAFETY: plain slices; the dispatch picks a level this CPU has.
        unsafe {
            cell_backward(
                n,
                [&gates[t * cols..(t + 1) * cols], c_prev, &tanh_cells[span]],
                [&gc, &gh],
                ggt,
                &mut gcp,
            )
        };
        std::mem::swap(&mut gc, &mut gcp);
        // h_{t-1}'s gradient through the recurrent product.
        gemm_slices(b, n, 4 * n, ggt, hw_s, &mut gh, false)?;
    }
    let gg = Array::from_vec(gg, &[t_len * b, 4 * n])?;
    // h_{t-1} for every step: h0, then every output but the last step's.
    let mut h_prev = contiguous(OP, h0, T::DTYPE)?.to_vec::<T>()?;
    h_prev.extend_from_slice(&ys.as_slice::<T>().expect("contiguous")[..(t_len - 1) * rows]);
    let h_prev = Array::from_vec(h_prev, &[t_len * b, n])?;
    let ggt = gg.t();
    Ok([
        gg.matmul(xw)?,
        Array::from_vec(gh, &[b, n])?,
        Array::from_vec(gc, &[b, n])?,
        ggt.matmul(x)?,
        ggt.matmul(&h_prev)?,
        gg.sum(Some(&[0isize][..]), false)?,
    ])
}

impl FunctionNode for LstmSequence {
    fn label(&self) -> &str {
        "LSTMSequence"
    }

    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>> {
        let dtype = inputs[0].dtype();
        let cd = compute_dtype(dtype);
        let a = inputs
            .iter()
            .map(|a| contiguous(OP, a, cd))
            .collect::<Result<Vec<_>>>()?;
        let (b, n) = (a[1].shape()[0], a[1].shape()[1]);
        let dims = (a[0].shape()[0] / b, b, n);
        let (outs, saved) = with_real!(cd, T => forward_typed::<T>(&a, dims))?;
        *self.saved.borrow_mut() = Some(saved);
        outs.into_iter()
            .map(|o| if cd != dtype { o.astype(dtype) } else { Ok(o) })
            .collect()
    }

    fn retain_inputs(&self) -> &[usize] {
        &[0, 1, 2, 3, 4, 5]
    }

    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }

    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let inputs: Vec<Variable> = (0..6).map(|i| ctx.input(i)).collect();
        if config::enable_backprop() {
            return Err(Error::Value {
                op: "n_step_lstm",
                message: "the fused LSTM layer does not support double backprop; run the forward with config::using_config(Setting::FusedRnn, false) to step it cell by cell".into(),
            });
        }
        let dtype = inputs[0].dtype();
        let cd = compute_dtype(dtype);
        let a = inputs
            .iter()
            .map(|v| contiguous(OP, &v.array(), cd))
            .collect::<Result<Vec<_>>>()?;
        let ys = contiguous(OP, &ctx.output(0).array(), cd)?;
        let (b, n) = (a[1].shape()[0], a[1].shape()[1]);
        let dims = (a[0].shape()[0] / b, b, n);
        let saved = self.saved.borrow();
        let saved = saved.as_ref().expect("saved by forward");
        let (g0, g1, g2) = (gy[0].array(), gy[1].array(), gy[2].array());
        let grads = with_real!(cd, T => backward_typed::<T>(
            &a[0], &a[1], &a[2], &a[3], &a[4], &ys, saved, [&g0, &g1, &g2], dims
        ))?;
        grads
            .into_iter()
            .map(|g| {
                let g = if cd != dtype { g.astype(dtype)? } else { g };
                Ok(Some(Variable::constant(g)))
            })
            .collect()
    }
}
