//! The multi-layer recurrent networks over variable-length batches:
//! `n_step_lstm`, `n_step_bilstm`, `n_step_gru`, `n_step_bigru`,
//! `n_step_rnn`, `n_step_birnn`, with Chainer's arguments and weight layout.
//! Each step is built from differentiable functions (the LSTM step from the
//! fused cell), so the networks can be differentiated twice.

use super::lstm::lstm;
use super::lstm_sequence::lstm_sequence;
use crate::array::ops::random::Generator;
use crate::array::{DType, Error, Result};
use crate::config;
use crate::functions as F;
use crate::functions::loss::prims::{concat, mul_const, split};
use crate::Variable;
use std::cell::RefCell;

thread_local! {
    /// The random state of the dropout between layers (Chainer draws from
    /// NumPy's global state; this is its per-thread counterpart).
    static DROPOUT_RNG: RefCell<Generator> = RefCell::new(Generator::new(0));
}

/// Re-seeds the random state the `n_step_*` functions draw their dropout masks from.
pub fn seed_rnn_dropout(seed: u64) {
    DROPOUT_RNG.with(|g| *g.borrow_mut() = Generator::new(seed));
}

/// Activation of [`n_step_rnn`] / [`n_step_birnn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RnnActivation {
    /// `tanh` (Chainer's default).
    Tanh,
    /// `relu`.
    Relu,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Lstm,
    Gru,
    Rnn(RnnActivation),
}

impl Kind {
    fn n_weights(self) -> usize {
        match self {
            Kind::Lstm => 8,
            Kind::Gru => 6,
            Kind::Rnn(_) => 2,
        }
    }
    fn op(self, bi: bool) -> &'static str {
        match (self, bi) {
            (Kind::Lstm, false) => "n_step_lstm",
            (Kind::Lstm, true) => "n_step_bilstm",
            (Kind::Gru, false) => "n_step_gru",
            (Kind::Gru, true) => "n_step_bigru",
            (Kind::Rnn(_), false) => "n_step_rnn",
            (Kind::Rnn(_), true) => "n_step_birnn",
        }
    }
}

/// `x @ w.T + b`.
fn linear(x: &Variable, w: &Variable, b: &Variable) -> Result<Variable> {
    let y = F::matmul(x, &F::transpose(w, None)?)?;
    F::add(&y, &F::broadcast_to(b, &y.shape())?)
}

/// Interleaves per-gate weights `(N, ...)` into `(k N, ...)` with row `k u + g`
/// holding gate `g` of unit `u` (Chainer's `_stack_weight`).
fn stack_gates(ws: &[&Variable]) -> Result<Variable> {
    let s = ws[0].shape();
    let mut one = vec![s[0], 1];
    one.extend_from_slice(&s[1..]);
    let parts = ws
        .iter()
        .map(|w| F::reshape(w, &one))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&Variable> = parts.iter().collect();
    let mut out = vec![s[0] * ws.len()];
    out.extend_from_slice(&s[1..]);
    F::reshape(&concat(&refs, 1)?, &out)
}

/// Inverted dropout with a constant mask (train mode only).
fn dropout(x: &Variable, ratio: f64) -> Result<Variable> {
    if ratio == 0.0 || !config::train() {
        return Ok(x.clone());
    }
    let mask = DROPOUT_RNG.with(|g| {
        g.borrow_mut()
            .uniform_on(0.0, 1.0, &x.shape(), DType::F64, x.device())
    })?;
    let keep = mask
        .greater_equal(ratio)?
        .astype(DType::F64)?
        .multiply(1.0 / (1.0 - ratio))?;
    mul_const(x, keep.astype(x.dtype())?)
}

/// The prepared weights of one layer and direction.
enum Cell {
    /// The whole layer as one node (`lstm_sequence`), gate-blocked weights.
    LstmLayer {
        xw: Variable,
        hw: Variable,
        b: Variable,
    },
    Lstm {
        xw: Variable,
        hw: Variable,
        xb: Variable,
        hb: Variable,
    },
    Gru {
        w: Vec<Variable>,
        b: Vec<Variable>,
    },
    Rnn {
        w: Vec<Variable>,
        b: Vec<Variable>,
        act: RnnActivation,
    },
}

impl Cell {
    /// `layer`: the LSTM runs as one fused node (see [`fused_layers`]).
    fn new(kind: Kind, w: &[Variable], b: &[Variable], layer: bool) -> Result<Cell> {
        Ok(match kind {
            Kind::Lstm if layer => {
                let blocks = |ws: [&Variable; 4]| concat(&ws, 0);
                Cell::LstmLayer {
                    xw: blocks([&w[2], &w[0], &w[1], &w[3]])?,
                    hw: blocks([&w[6], &w[4], &w[5], &w[7]])?,
                    b: F::add(
                        &blocks([&b[2], &b[0], &b[1], &b[3]])?,
                        &blocks([&b[6], &b[4], &b[5], &b[7]])?,
                    )?,
                }
            }
            Kind::Lstm => Cell::Lstm {
                // Chainer's order: the cell input (w2) first, then i, f, o.
                xw: stack_gates(&[&w[2], &w[0], &w[1], &w[3]])?,
                hw: stack_gates(&[&w[6], &w[4], &w[5], &w[7]])?,
                xb: stack_gates(&[&b[2], &b[0], &b[1], &b[3]])?,
                hb: stack_gates(&[&b[6], &b[4], &b[5], &b[7]])?,
            },
            Kind::Gru => Cell::Gru {
                w: w.to_vec(),
                b: b.to_vec(),
            },
            Kind::Rnn(act) => Cell::Rnn {
                w: w.to_vec(),
                b: b.to_vec(),
                act,
            },
        })
    }

    /// One step on the active rows: `(h, c)` from `x`, `h`, `c`.
    fn step(
        &self,
        x: &Variable,
        h: &Variable,
        c: Option<&Variable>,
    ) -> Result<(Variable, Option<Variable>)> {
        match self {
            Cell::LstmLayer { .. } => unreachable!("the fused layer does not step"),
            Cell::Lstm { xw, hw, xb, hb } => {
                let gates = F::add(&linear(x, xw, xb)?, &linear(h, hw, hb)?)?;
                let (c, h) = lstm(c.expect("an LSTM has a cell state"), &gates)?;
                Ok((h, Some(c)))
            }
            Cell::Gru { w, b } => {
                let r = F::sigmoid(&F::add(
                    &linear(x, &w[0], &b[0])?,
                    &linear(h, &w[3], &b[3])?,
                )?)?;
                let z = F::sigmoid(&F::add(
                    &linear(x, &w[1], &b[1])?,
                    &linear(h, &w[4], &b[4])?,
                )?)?;
                let u = linear(h, &w[5], &b[5])?;
                let h_bar = F::tanh(&F::add(&linear(x, &w[2], &b[2])?, &F::mul(&r, &u)?)?)?;
                let keep = F::mul(&z, h)?;
                Ok((
                    F::add(&F::mul(&F::rsub_constant(&z, 1.0)?, &h_bar)?, &keep)?,
                    None,
                ))
            }
            Cell::Rnn { w, b, act } => {
                let a = F::add(&linear(x, &w[0], &b[0])?, &linear(h, &w[1], &b[1])?)?;
                let h = match act {
                    RnnActivation::Tanh => F::tanh(&a)?,
                    RnnActivation::Relu => F::relu(&a)?,
                };
                Ok((h, None))
            }
        }
    }
}

/// Whether each LSTM layer runs as one fused node (`lstm_sequence`): on the
/// CPU (its loops are CPU code; elsewhere the stepped cells run the cell's
/// kernels), with `config::fused_rnn` on, and when no sequence ends early.
fn fused_layers(kind: Kind, has_cell: bool, hx: &Variable, xs: &[Variable]) -> bool {
    let batch = xs[0].shape()[0];
    kind == Kind::Lstm
        && has_cell
        && config::fused_rnn()
        && hx.device() == crate::array::Device::Cpu
        && xs.iter().all(|x| x.shape()[0] == batch)
}

/// Runs one direction over the (time-major) `xs`; returns the final `h`, `c`
/// and the `h` of every step.
fn one_direction<'a>(
    cell: &Cell,
    xs: impl Iterator<Item = &'a Variable>,
    mut h: Variable,
    mut c: Option<Variable>,
) -> Result<(Variable, Option<Variable>, Vec<Variable>)> {
    let xs: Vec<&Variable> = xs.collect();
    if let (Cell::LstmLayer { xw, hw, b }, Some(c0)) = (cell, &c) {
        let batch = h.shape()[0];
        let x = concat(&xs, 0)?;
        let (ys, h, c) = lstm_sequence(&x, &h, c0, xw, hw, b)?;
        let hs = split(&ys, 0, &vec![batch; xs.len()])?;
        return Ok((h, Some(c), hs));
    }
    let mut hs = Vec::new();
    for x in xs {
        let batch = x.shape()[0];
        let total = h.shape()[0];
        if batch < total {
            let mut hp = split(&h, 0, &[batch, total - batch])?;
            let h_rest = hp.pop().expect("two parts");
            // The LSTM cell carries the rows past `batch` of c itself.
            let (hn, cn) = cell.step(x, &hp[0], c.as_ref())?;
            hs.push(hn.clone());
            h = concat(&[&hn, &h_rest], 0)?;
            c = cn;
        } else {
            let (hn, cn) = cell.step(x, &h, c.as_ref())?;
            hs.push(hn.clone());
            h = hn;
            c = cn;
        }
    }
    Ok((h, c, hs))
}

#[allow(clippy::too_many_arguments)]
fn n_step(
    kind: Kind,
    bi: bool,
    n_layers: usize,
    dropout_ratio: f64,
    hx: &Variable,
    cx: Option<&Variable>,
    ws: &[Vec<Variable>],
    bs: &[Vec<Variable>],
    xs: &[Variable],
) -> Result<(Variable, Option<Variable>, Vec<Variable>)> {
    let op = kind.op(bi);
    let dirs = if bi { 2 } else { 1 };
    let err = |message: String| Error::Value { op, message };
    if !(0.0..1.0).contains(&dropout_ratio) {
        return Err(err(format!(
            "expected 0 <= dropout_ratio < 1, got {dropout_ratio}"
        )));
    }
    if n_layers == 0 || ws.len() != n_layers * dirs || bs.len() != n_layers * dirs {
        return Err(err(format!(
            "expected n_layers >= 1 and len(ws) == len(bs) == n_layers * {dirs} (= {}), got n_layers {n_layers}, len(ws) {}, len(bs) {}",
            n_layers * dirs,
            ws.len(),
            bs.len()
        )));
    }
    let nw = kind.n_weights();
    for (i, (w, b)) in ws.iter().zip(bs).enumerate() {
        if w.len() != nw || b.len() != nw {
            return Err(err(format!(
                "expected {nw} weights and {nw} biases in ws[{i}] and bs[{i}], got {} and {}",
                w.len(),
                b.len()
            )));
        }
    }
    if xs.is_empty() {
        return Err(err("expected at least one time step in xs, got none".into()));
    }
    for (t, pair) in xs.windows(2).enumerate() {
        if pair[1].shape()[0] > pair[0].shape()[0] {
            return Err(err(format!(
                "xs must be sorted by decreasing batch size, but xs[{}] has {} rows after {}",
                t + 1,
                pair[1].shape()[0],
                pair[0].shape()[0]
            )));
        }
    }
    let (x_in, w_in) = (xs[0].shape()[1], ws[0][0].shape()[1]);
    if x_in != w_in {
        return Err(err(format!(
            "Inconsistent input size in input values and weight parameters: {x_in} != {w_in}"
        )));
    }
    let hs = hx.shape();
    let b0 = xs[0].shape()[0];
    if hs.len() != 3 || hs[0] != n_layers * dirs || hs[1] != b0 {
        return Err(Error::Shape {
            op,
            message: format!("expected hx.shape == (n_layers * {dirs}, xs[0].shape[0], n_units) == ({}, {b0}, N), got {hs:?}", n_layers * dirs),
        });
    }
    if let Some(cx) = cx {
        if cx.shape() != hs {
            return Err(Error::Shape {
                op,
                message: format!(
                    "expected cx.shape == hx.shape == {hs:?}, got {:?}",
                    cx.shape()
                ),
            });
        }
    }
    let n = hs[2];
    for (idx, (w, b)) in ws.iter().zip(bs).enumerate() {
        let in_size = if idx < dirs { x_in } else { n * dirs };
        for k in 0..nw {
            let want = [n, if k < nw / 2 { in_size } else { n }];
            if w[k].shape() != want {
                return Err(Error::Shape {
                    op,
                    message: format!(
                        "expected ws[{idx}][{k}].shape == {want:?}, got {:?}",
                        w[k].shape()
                    ),
                });
            }
            if b[k].shape() != [n] {
                return Err(Error::Shape {
                    op,
                    message: format!(
                        "expected bs[{idx}][{k}].shape == [{n}], got {:?}",
                        b[k].shape()
                    ),
                });
            }
        }
    }
    let sep = |v: &Variable| -> Result<Vec<Variable>> {
        split(v, 0, &vec![1; hs[0]])?
            .iter()
            .map(|p| F::reshape(p, &[b0, n]))
            .collect()
    };
    let hx_l = sep(hx)?;
    let cx_l = match cx {
        Some(c) => sep(c)?.into_iter().map(Some).collect(),
        None => vec![None; hs[0]],
    };
    let fused = fused_layers(kind, cx.is_some(), hx, xs);
    let mut layer_in: Vec<Variable> = xs.to_vec();
    let (mut hy, mut cy) = (Vec::new(), Vec::new());
    for layer in 0..n_layers {
        let inputs: Vec<Variable> = if layer == 0 {
            layer_in.clone()
        } else {
            layer_in
                .iter()
                .map(|x| dropout(x, dropout_ratio))
                .collect::<Result<_>>()?
        };
        let idx = dirs * layer;
        let cell = Cell::new(kind, &ws[idx], &bs[idx], fused)?;
        let (h, c, fwd) =
            one_direction(&cell, inputs.iter(), hx_l[idx].clone(), cx_l[idx].clone())?;
        hy.push(h);
        cy.push(c);
        if bi {
            // The backward direction gets its own dropout mask, as in Chainer.
            let inputs: Vec<Variable> = if layer == 0 {
                layer_in.clone()
            } else {
                layer_in
                    .iter()
                    .map(|x| dropout(x, dropout_ratio))
                    .collect::<Result<_>>()?
            };
            let cell = Cell::new(kind, &ws[idx + 1], &bs[idx + 1], fused)?;
            let (h, c, mut bwd) = one_direction(
                &cell,
                inputs.iter().rev(),
                hx_l[idx + 1].clone(),
                cx_l[idx + 1].clone(),
            )?;
            bwd.reverse();
            hy.push(h);
            cy.push(c);
            layer_in = fwd
                .iter()
                .zip(&bwd)
                .map(|(f, b)| concat(&[f, b], 1))
                .collect::<Result<_>>()?;
        } else {
            layer_in = fwd;
        }
    }
    let stack = |vs: Vec<Variable>| -> Result<Variable> {
        let parts = vs
            .iter()
            .map(|v| F::reshape(v, &[1, b0, n]))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Variable> = parts.iter().collect();
        concat(&refs, 0)
    };
    let hy = stack(hy)?;
    let cy = if cx.is_some() {
        Some(stack(
            cy.into_iter().map(|c| c.expect("cell state")).collect(),
        )?)
    } else {
        None
    };
    Ok((hy, cy, layer_in))
}

/// A stacked LSTM over variable-length sequences (Chainer's `F.n_step_lstm`).
///
/// `hx`, `cx`: `(n_layers, B, N)` initial states. `ws[l]`: 8 matrices, `ws[l][0..4]`
/// `(N, I)` (layer 0) or `(N, N)` applied to the input for the input gate,
/// forget gate, cell input and output gate, `ws[l][4..8]` `(N, N)` the same
/// for the hidden state; `bs[l]`: 8 biases `(N,)` in the same order. `xs`:
/// one `(B_t, I)` array per time step, `B_t` non-increasing (sequences sorted
/// by decreasing length). `dropout_ratio` applies to the inputs of layers
/// after the first in train mode. Returns `(hy, cy, ys)` with `ys[t]` `(B_t, N)`.
#[allow(clippy::too_many_arguments)]
pub fn n_step_lstm(
    n_layers: usize,
    dropout_ratio: f64,
    hx: &Variable,
    cx: &Variable,
    ws: &[Vec<Variable>],
    bs: &[Vec<Variable>],
    xs: &[Variable],
) -> Result<(Variable, Variable, Vec<Variable>)> {
    let (h, c, ys) = n_step(
        Kind::Lstm,
        false,
        n_layers,
        dropout_ratio,
        hx,
        Some(cx),
        ws,
        bs,
        xs,
    )?;
    Ok((h, c.expect("cell state"), ys))
}

/// The bidirectional [`n_step_lstm`] (Chainer's `F.n_step_bilstm`): `hx`, `cx`
/// are `(2 n_layers, B, N)`, `ws[2 l]` / `ws[2 l + 1]` the forward / backward
/// weights of layer `l` (input width `2N` after the first layer), and `ys[t]`
/// is `(B_t, 2N)`, the two directions concatenated.
#[allow(clippy::too_many_arguments)]
pub fn n_step_bilstm(
    n_layers: usize,
    dropout_ratio: f64,
    hx: &Variable,
    cx: &Variable,
    ws: &[Vec<Variable>],
    bs: &[Vec<Variable>],
    xs: &[Variable],
) -> Result<(Variable, Variable, Vec<Variable>)> {
    let (h, c, ys) = n_step(
        Kind::Lstm,
        true,
        n_layers,
        dropout_ratio,
        hx,
        Some(cx),
        ws,
        bs,
        xs,
    )?;
    Ok((h, c.expect("cell state"), ys))
}

/// A stacked GRU (Chainer's `F.n_step_gru`): `ws[l]` holds 6 matrices, the
/// input's reset, update and candidate weights then the hidden state's; with
/// `r = sigmoid(W0 x + b0 + W3 h + b3)`, `z = sigmoid(W1 x + b1 + W4 h + b4)`,
/// `h' = (1 - z) tanh(W2 x + b2 + r (W5 h + b5)) + z h`. Returns `(hy, ys)`;
/// the other arguments as in [`n_step_lstm`].
pub fn n_step_gru(
    n_layers: usize,
    dropout_ratio: f64,
    hx: &Variable,
    ws: &[Vec<Variable>],
    bs: &[Vec<Variable>],
    xs: &[Variable],
) -> Result<(Variable, Vec<Variable>)> {
    let (h, _, ys) = n_step(
        Kind::Gru,
        false,
        n_layers,
        dropout_ratio,
        hx,
        None,
        ws,
        bs,
        xs,
    )?;
    Ok((h, ys))
}

/// The bidirectional [`n_step_gru`] (Chainer's `F.n_step_bigru`), laid out as [`n_step_bilstm`].
pub fn n_step_bigru(
    n_layers: usize,
    dropout_ratio: f64,
    hx: &Variable,
    ws: &[Vec<Variable>],
    bs: &[Vec<Variable>],
    xs: &[Variable],
) -> Result<(Variable, Vec<Variable>)> {
    let (h, _, ys) = n_step(
        Kind::Gru,
        true,
        n_layers,
        dropout_ratio,
        hx,
        None,
        ws,
        bs,
        xs,
    )?;
    Ok((h, ys))
}

/// A stacked Elman RNN (Chainer's `F.n_step_rnn`): `ws[l] = [W0, W1]`,
/// `bs[l] = [b0, b1]`, `h' = act(W0 x + b0 + W1 h + b1)`. Returns `(hy, ys)`.
#[allow(clippy::too_many_arguments)]
pub fn n_step_rnn(
    n_layers: usize,
    dropout_ratio: f64,
    hx: &Variable,
    ws: &[Vec<Variable>],
    bs: &[Vec<Variable>],
    xs: &[Variable],
    activation: RnnActivation,
) -> Result<(Variable, Vec<Variable>)> {
    let (h, _, ys) = n_step(
        Kind::Rnn(activation),
        false,
        n_layers,
        dropout_ratio,
        hx,
        None,
        ws,
        bs,
        xs,
    )?;
    Ok((h, ys))
}

/// The bidirectional [`n_step_rnn`] (Chainer's `F.n_step_birnn`), laid out as [`n_step_bilstm`].
#[allow(clippy::too_many_arguments)]
pub fn n_step_birnn(
    n_layers: usize,
    dropout_ratio: f64,
    hx: &Variable,
    ws: &[Vec<Variable>],
    bs: &[Vec<Variable>],
    xs: &[Variable],
    activation: RnnActivation,
) -> Result<(Variable, Vec<Variable>)> {
    let (h, _, ys) = n_step(
        Kind::Rnn(activation),
        true,
        n_layers,
        dropout_ratio,
        hx,
        None,
        ws,
        bs,
        xs,
    )?;
    Ok((h, ys))
}
