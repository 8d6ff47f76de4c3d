//! Recurrent links (Chainer's `L.LSTM`, `L.StatelessLSTM`, `L.GRU` /
//! `L.StatefulGRU` and `L.StatelessGRU`), with Chainer's parameter paths
//! (`upward/W`, `lateral/W`, `W_r/W`, ...) so saved models interoperate.

use super::connection::{param, DEFAULT_DTYPE};
use super::Linear;
use crate::array::{Array, Error, Result};
use crate::functions as F;
use crate::initializers::{Constant, LeCunNormal};
use crate::link::Forward;
use crate::link::Link;
use crate::Parameter;
use crate::{Chain, Variable};
use std::cell::RefCell;

/// The upward linear layer of an LSTM: `W` `(4 * out_size, in_size)`,
/// `b` 0 except the forget gates (every fourth entry from 2, as Chainer
/// interleaves the gates `a, i, f, o` per unit), which start at 1.
fn upward(in_size: Option<usize>, out_size: usize) -> Result<Linear> {
    let b: Vec<f32> = (0..4 * out_size)
        .map(|k| if k % 4 == 2 { 1.0 } else { 0.0 })
        .collect();
    Ok(Linear::builder(in_size, 4 * out_size)
        .initial_bias(Array::from_vec(b, &[4 * out_size])?)
        .build())
}

/// Checks that `x` is `(B, ...)` with at least one axis.
fn check_batch(op: &'static str, x: &Variable) -> Result<usize> {
    x.shape().first().copied().ok_or_else(|| Error::Shape {
        op,
        message: "expected x with a batch axis, got a 0-dimensional x".into(),
    })
}

/// A fully connected LSTM layer that keeps its state between calls
/// (Chainer's `L.LSTM`): the pre-activations are `upward(x) + lateral(h)`
/// with `upward` a [`Linear`] `(in_size → 4 out_size)` and `lateral` a
/// bias-free [`Linear`] `(out_size → 4 out_size)`; the cell is `F::lstm`.
/// The forget-gate biases start at 1, the other biases at 0, as Chainer's
/// default `forget_bias_init`. With `in_size` `None`, `upward/W` is
/// initialized at the first forward. A batch smaller than the state's
/// updates its first rows only (sequences sorted by decreasing length).
///
/// ```
/// use kusari::{array::{Array, DType}, links::LSTM, Forward, Link, Variable};
/// let lstm = LSTM::new(None, 3)?;
/// let x = Variable::new(Array::ones(&[2, 5], DType::F32)?);
/// let y1 = lstm.forward(&x)?;
/// let y2 = lstm.forward(&x)?;                 // uses the state of the first call
/// assert_eq!((y1.shape(), y2.shape()), (vec![2, 3], vec![2, 3]));
/// lstm.reset_state();
/// assert!(lstm.h().is_none());
/// let paths: Vec<String> = lstm.namedparams().into_iter().map(|(p, _)| p).collect();
/// assert_eq!(paths, ["/upward/W", "/upward/b", "/lateral/W"]);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct LSTM {
    /// The input-to-gates layer.
    pub upward: Linear,
    /// The hidden-to-gates layer (no bias).
    pub lateral: Linear,
    #[chain(skip)]
    state_size: usize,
    #[chain(skip)]
    c: RefCell<Option<Variable>>,
    #[chain(skip)]
    h: RefCell<Option<Variable>>,
}

impl LSTM {
    /// An LSTM from `in_size` (`None`: decided at the first forward) to
    /// `out_size` units with Chainer's default initializers.
    pub fn new(in_size: impl Into<Option<usize>>, out_size: usize) -> Result<LSTM> {
        Ok(LSTM {
            upward: upward(in_size.into(), out_size)?,
            lateral: Linear::builder(out_size, 4 * out_size).nobias(true).build(),
            state_size: out_size,
            c: RefCell::new(None),
            h: RefCell::new(None),
        })
    }

    /// The number of units.
    pub fn state_size(&self) -> usize {
        self.state_size
    }

    /// Forgets the cell and hidden states (Chainer's `reset_state`).
    pub fn reset_state(&self) {
        *self.c.borrow_mut() = None;
        *self.h.borrow_mut() = None;
    }

    /// Sets the cell and hidden states, both `(B, out_size)` (Chainer's `set_state`).
    pub fn set_state(&self, c: Variable, h: Variable) -> Result<()> {
        let want = |v: &Variable| v.ndim() == 2 && v.shape()[1] == self.state_size;
        if !want(&c) || !want(&h) || c.shape()[0] != h.shape()[0] {
            return Err(Error::Shape {
                op: "LSTM::set_state",
                message: format!(
                    "expected c and h of shape (B, {}), got {:?} and {:?}",
                    self.state_size,
                    c.shape(),
                    h.shape()
                ),
            });
        }
        *self.c.borrow_mut() = Some(c);
        *self.h.borrow_mut() = Some(h);
        Ok(())
    }

    /// The cell state after the last call.
    pub fn c(&self) -> Option<Variable> {
        self.c.borrow().clone()
    }

    /// The hidden state (the last output, with the rows a smaller batch left alone).
    pub fn h(&self) -> Option<Variable> {
        self.h.borrow().clone()
    }
}

impl Forward for LSTM {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        const OP: &str = "LSTM::forward";
        let batch = check_batch(OP, x)?;
        let mut lstm_in = self.upward.forward(x)?;
        let h = self.h();
        let mut h_rest = None;
        if let Some(h) = &h {
            let h_size = h.shape()[0];
            if h_size < batch {
                return Err(Error::Shape {
                    op: OP,
                    message: format!(
                        "expected a batch no larger than the state's {h_size}, got x.shape {:?}",
                        x.shape()
                    ),
                });
            }
            if batch == 0 {
                h_rest = Some(h.clone());
            } else if h_size > batch {
                let mut parts = F::split_axis(h, F::Sections::Indices(vec![batch]), 0)?;
                h_rest = parts.pop();
                lstm_in = F::add(&lstm_in, &self.lateral.forward(&parts[0])?)?;
            } else {
                lstm_in = F::add(&lstm_in, &self.lateral.forward(h)?)?;
            }
        }
        let c_prev = match self.c() {
            Some(c) => c,
            None => Variable::new(Array::zeros(&[batch, self.state_size], x.dtype())?),
        };
        let (c, y) = F::lstm(&c_prev, &lstm_in)?;
        *self.c.borrow_mut() = Some(c);
        let new_h = match h_rest {
            None => y.clone(),
            Some(rest) if batch == 0 => rest,
            Some(rest) => F::concat(&[&y, &rest], 0)?,
        };
        *self.h.borrow_mut() = Some(new_h);
        Ok(y)
    }
}

/// An LSTM layer without state (Chainer's `L.StatelessLSTM`): the caller
/// passes the previous cell and hidden states to [`StatelessLSTM::forward3`].
///
/// ```
/// use kusari::{array::{Array, DType}, links::StatelessLSTM, Variable};
/// let lstm = StatelessLSTM::new(4, 3)?;
/// let x = Variable::new(Array::ones(&[2, 4], DType::F32)?);
/// let (c, h) = lstm.forward3(None, None, &x)?;
/// let (c, h) = lstm.forward3(Some(&c), Some(&h), &x)?;
/// assert_eq!((c.shape(), h.shape()), (vec![2, 3], vec![2, 3]));
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct StatelessLSTM {
    /// The input-to-gates layer.
    pub upward: Linear,
    /// The hidden-to-gates layer (no bias).
    pub lateral: Linear,
    #[chain(skip)]
    state_size: usize,
}

impl StatelessLSTM {
    /// A stateless LSTM with Chainer's default initializers.
    pub fn new(in_size: impl Into<Option<usize>>, out_size: usize) -> Result<StatelessLSTM> {
        Ok(StatelessLSTM {
            upward: upward(in_size.into(), out_size)?,
            lateral: Linear::builder(out_size, 4 * out_size).nobias(true).build(),
            state_size: out_size,
        })
    }

    /// One step from the previous cell state `c` and hidden state `h`
    /// (zeros / no lateral term when `None`); returns the new `(c, h)`.
    pub fn forward3(
        &self,
        c: Option<&Variable>,
        h: Option<&Variable>,
        x: &Variable,
    ) -> Result<(Variable, Variable)> {
        let batch = check_batch("StatelessLSTM::forward3", x)?;
        let mut lstm_in = self.upward.forward(x)?;
        if let Some(h) = h {
            lstm_in = F::add(&lstm_in, &self.lateral.forward(h)?)?;
        }
        let c = match c {
            Some(c) => c.clone(),
            None => Variable::new(Array::zeros(&[batch, self.state_size], x.dtype())?),
        };
        F::lstm(&c, &lstm_in)
    }
}

/// The six linear layers of a GRU, at Chainer's paths.
macro_rules! gru_struct {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Chain, Clone, Debug)]
        pub struct $name {
            /// Input to reset gate.
            #[chain(rename = "W_r")]
            pub w_r: Linear,
            /// Hidden state to reset gate.
            #[chain(rename = "U_r")]
            pub u_r: Linear,
            /// Input to update gate.
            #[chain(rename = "W_z")]
            pub w_z: Linear,
            /// Hidden state to update gate.
            #[chain(rename = "U_z")]
            pub u_z: Linear,
            /// Input to candidate state.
            #[chain(rename = "W")]
            pub w: Linear,
            /// Reset hidden state to candidate state.
            #[chain(rename = "U")]
            pub u: Linear,
            $($extra)*
        }
    };
}

/// `(W_r, U_r, W_z, U_z, W, U)` with LeCunNormal weights and zero biases.
fn gru_layers(in_size: Option<usize>, out: usize) -> [Linear; 6] {
    [
        Linear::new(in_size, out),
        Linear::new(out, out),
        Linear::new(in_size, out),
        Linear::new(out, out),
        Linear::new(in_size, out),
        Linear::new(out, out),
    ]
}

gru_struct! {
    /// A GRU layer without state (Chainer's `L.StatelessGRU`):
    /// `r = σ(W_r x + U_r h)`, `z = σ(W_z x + U_z h)`,
    /// `h̄ = tanh(W x + U (r ⊙ h))`, `h' = z ⊙ h̄ + (1 - z) ⊙ h`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::StatelessGRU, Variable};
    /// let gru = StatelessGRU::new(4, 3);
    /// let h = Variable::new(Array::zeros(&[2, 3], DType::F32)?);
    /// let x = Variable::new(Array::ones(&[2, 4], DType::F32)?);
    /// assert_eq!(gru.forward2(&h, &x)?.shape(), [2, 3]);
    /// # Ok::<(), kusari::Error>(())
    /// ```
    StatelessGRU {}
}

impl StatelessGRU {
    /// A stateless GRU from `in_size` (`None`: decided at the first forward)
    /// to `out_size` units.
    pub fn new(in_size: impl Into<Option<usize>>, out_size: usize) -> StatelessGRU {
        let [w_r, u_r, w_z, u_z, w, u] = gru_layers(in_size.into(), out_size);
        StatelessGRU {
            w_r,
            u_r,
            w_z,
            u_z,
            w,
            u,
        }
    }

    /// The new hidden state from the previous one `h` and the input `x`.
    pub fn forward2(&self, h: &Variable, x: &Variable) -> Result<Variable> {
        let r = F::sigmoid(&F::add(&self.w_r.forward(x)?, &self.u_r.forward(h)?)?)?;
        let z = F::sigmoid(&F::add(&self.w_z.forward(x)?, &self.u_z.forward(h)?)?)?;
        let h_bar = F::tanh(&F::add(
            &self.w.forward(x)?,
            &self.u.forward(&F::mul(&r, h)?)?,
        )?)?;
        F::linear_interpolate(&z, &h_bar, h)
    }
}

gru_struct! {
    /// A GRU layer that keeps its hidden state between calls (Chainer's
    /// `L.GRU`, an alias of `L.StatefulGRU`). The first call after
    /// [`GRU::reset_state`] has no previous state: `h' = z ⊙ h̄` with
    /// `z = σ(W_z x)`, `h̄ = tanh(W x)`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::GRU, Forward, Variable};
    /// let gru = GRU::new(None, 3);
    /// let x = Variable::new(Array::ones(&[2, 4], DType::F32)?);
    /// gru.forward(&x)?;
    /// assert_eq!(gru.forward(&x)?.shape(), [2, 3]);
    /// gru.reset_state();
    /// assert!(gru.h().is_none());
    /// # Ok::<(), kusari::Error>(())
    /// ```
    GRU {
        #[chain(skip)]
        h: RefCell<Option<Variable>>,
    }
}

/// Chainer's name for the stateful GRU.
pub type StatefulGRU = GRU;

impl GRU {
    /// A stateful GRU from `in_size` (`None`: decided at the first forward)
    /// to `out_size` units.
    pub fn new(in_size: impl Into<Option<usize>>, out_size: usize) -> GRU {
        let [w_r, u_r, w_z, u_z, w, u] = gru_layers(in_size.into(), out_size);
        GRU {
            w_r,
            u_r,
            w_z,
            u_z,
            w,
            u,
            h: RefCell::new(None),
        }
    }

    /// Forgets the hidden state (Chainer's `reset_state`).
    pub fn reset_state(&self) {
        *self.h.borrow_mut() = None;
    }

    /// Sets the hidden state (Chainer's `set_state`).
    pub fn set_state(&self, h: Variable) {
        *self.h.borrow_mut() = Some(h);
    }

    /// The hidden state after the last call.
    pub fn h(&self) -> Option<Variable> {
        self.h.borrow().clone()
    }
}

impl Forward for GRU {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        let mut z = self.w_z.forward(x)?;
        let mut h_bar = self.w.forward(x)?;
        let h = self.h();
        if let Some(h) = &h {
            let r = F::sigmoid(&F::add(&self.w_r.forward(x)?, &self.u_r.forward(h)?)?)?;
            z = F::add(&z, &self.u_z.forward(h)?)?;
            h_bar = F::add(&h_bar, &self.u.forward(&F::mul(&r, h)?)?)?;
        }
        let z = F::sigmoid(&z)?;
        let h_bar = F::tanh(&h_bar)?;
        let h_new = match &h {
            Some(h) => F::linear_interpolate(&z, &h_bar, h)?,
            None => F::mul(&z, &h_bar)?,
        };
        *self.h.borrow_mut() = Some(h_new.clone());
        Ok(h_new)
    }
}

/// One layer and direction of an N-step RNN: parameters `w0`, `w1`, ...
/// and `b0`, `b1`, ... (Chainer's unnamed `Link` inside the `ChainList`).
#[derive(Clone, Debug)]
pub struct NStepWeights {
    /// The weight matrices `w0 ..`, `(out_size, in)` each.
    pub ws: Vec<Parameter>,
    /// The biases `b0 ..`, `(out_size,)` each.
    pub bs: Vec<Parameter>,
}

impl Link for NStepWeights {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        for (j, w) in self.ws.iter().enumerate() {
            f(&format!("w{j}"), w);
        }
        for (j, b) in self.bs.iter().enumerate() {
            f(&format!("b{j}"), b);
        }
    }
}

/// One list of variables per layer and direction.
type Layered = Vec<Vec<Variable>>;

/// What the three N-step links share: the layers, children `0`, `1`, ...
/// (layer `i`, direction `d` at `i * direction + d`), and the sorting and
/// transposing of the sequences around the `F::n_step_*` function.
#[derive(Clone, Debug)]
struct NStepBase {
    op: &'static str,
    layers: Vec<NStepWeights>,
    n_layers: usize,
    direction: usize,
    out_size: usize,
    dropout: f64,
}

impl NStepBase {
    fn new(
        op: &'static str,
        n_weights: usize,
        direction: usize,
        n_layers: usize,
        in_size: usize,
        out_size: usize,
        dropout: f64,
    ) -> NStepBase {
        let mut layers = Vec::with_capacity(n_layers * direction);
        for i in 0..n_layers {
            for _ in 0..direction {
                let mut ws = Vec::with_capacity(n_weights);
                let mut bs = Vec::with_capacity(n_weights);
                for j in 0..n_weights {
                    let w_in = match (i, j < n_weights / 2) {
                        (0, true) => in_size,
                        (_, true) => out_size * direction,
                        _ => out_size,
                    };
                    let init = LeCunNormal::default().into();
                    ws.push(param(
                        &format!("w{j}"),
                        DEFAULT_DTYPE,
                        init,
                        Some(&[out_size, w_in]),
                    ));
                    let zero = Constant::new(0.0).into();
                    bs.push(param(
                        &format!("b{j}"),
                        DEFAULT_DTYPE,
                        zero,
                        Some(&[out_size]),
                    ));
                }
                layers.push(NStepWeights { ws, bs });
            }
        }
        NStepBase {
            op,
            layers,
            n_layers,
            direction,
            out_size,
            dropout,
        }
    }

    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        for (i, l) in self.layers.iter().enumerate() {
            f(&i.to_string(), l);
        }
    }

    /// `ws`, `bs` as the functions take them.
    fn weights(&self) -> Result<(Layered, Layered)> {
        let vars = |ps: &[Parameter]| ps.iter().map(Parameter::var).collect::<Result<Vec<_>>>();
        let ws = self
            .layers
            .iter()
            .map(|l| vars(&l.ws))
            .collect::<Result<_>>()?;
        let bs = self
            .layers
            .iter()
            .map(|l| vars(&l.bs))
            .collect::<Result<_>>()?;
        Ok((ws, bs))
    }

    /// The sequences sorted by decreasing length (`order[k]` is the
    /// position in `xs` of the `k`-th longest) and transposed to time-major.
    fn prepare(&self, xs: &[Variable]) -> Result<(Vec<usize>, Vec<Variable>)> {
        if xs.is_empty() || xs.iter().any(|x| x.ndim() != 2 || x.shape()[0] == 0) {
            return Err(Error::Shape {
                op: self.op,
                message: format!(
                    "expected at least one non-empty sequence of shape (L_i, I), got shapes {:?}",
                    xs.iter().map(|x| x.shape()).collect::<Vec<_>>()
                ),
            });
        }
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let len = xs[0].shape()[0];
        if xs.iter().all(|x| x.shape()[0] == len) {
            // Equal lengths (batched language models): one transpose of the
            // stacked batch, which a few nodes do where row by row takes
            // B·L rows through B splits and L concatenations.
            return Ok((order, transpose_parts(xs)?));
        }
        order.sort_by_key(|&i| std::cmp::Reverse(xs[i].shape()[0]));
        let rows: Vec<Vec<Variable>> = order
            .iter()
            .map(|&i| F::split_axis(&xs[i], F::Sections::Count(xs[i].shape()[0]), 0))
            .collect::<Result<_>>()?;
        let longest = rows[0].len();
        let trans = (0..longest)
            .map(|t| {
                let at: Vec<&Variable> = rows.iter().filter_map(|r| r.get(t)).collect();
                F::concat(&at, 0)
            })
            .collect::<Result<_>>()?;
        Ok((order, trans))
    }

    /// `h` `(S, B, N)` with its batch axis put in (`inv` false) or taken
    /// back out of (`inv` true) the sorted order; `None` gives zeros.
    fn permute(
        &self,
        h: Option<&Variable>,
        order: &[usize],
        inv: bool,
        like: &Variable,
    ) -> Result<Variable> {
        let b = order.len();
        let s = self.n_layers * self.direction;
        let h = match h {
            None => {
                return Ok(Variable::new(Array::zeros(
                    &[s, b, self.out_size],
                    like.dtype(),
                )?))
            }
            Some(h) => h,
        };
        if h.shape() != [s, b, self.out_size] {
            return Err(Error::Shape {
                op: self.op,
                message: format!(
                    "expected initial states of shape ({s}, {b}, {}), got {:?}",
                    self.out_size,
                    h.shape()
                ),
            });
        }
        let parts = F::split_axis(h, F::Sections::Count(b), 1)?;
        let mut out: Vec<&Variable> = vec![&parts[0]; b];
        for (k, &i) in order.iter().enumerate() {
            if inv {
                out[i] = &parts[k];
            } else {
                out[k] = &parts[i];
            }
        }
        F::concat(&out, 1)
    }

    /// The time-major outputs back to one `(L_i, N)` sequence per input, in the input order.
    fn unprepare(&self, order: &[usize], ys: &[Variable]) -> Result<Vec<Variable>> {
        let b = order.len();
        if ys.iter().all(|y| y.shape()[0] == b) {
            // Equal lengths: the transpose back, as in `prepare`; `order` is
            // the identity here (`prepare` does not sort equal lengths).
            debug_assert!(order.iter().enumerate().all(|(k, &i)| k == i));
            return transpose_parts(ys);
        }
        let rows: Vec<Vec<Variable>> = ys
            .iter()
            .map(|y| F::split_axis(y, F::Sections::Count(y.shape()[0]), 0))
            .collect::<Result<_>>()?;
        let mut out: Vec<Option<Variable>> = vec![None; order.len()];
        for (k, &i) in order.iter().enumerate() {
            let seq: Vec<&Variable> = rows.iter().filter_map(|r| r.get(k)).collect();
            out[i] = Some(F::concat(&seq, 0)?);
        }
        Ok(out
            .into_iter()
            .map(|y| y.expect("every sequence"))
            .collect())
    }
}

/// `P` parts of `(Q, W)` each, read as a `(P, Q, W)` array, as `Q` parts
/// of `(P, W)`: batch-major sequences to time-major steps and back, in a
/// few nodes (stack, transpose, split into views).
fn transpose_parts(parts: &[Variable]) -> Result<Vec<Variable>> {
    let (p, q, width) = (parts.len(), parts[0].shape()[0], parts[0].shape()[1]);
    let refs: Vec<&Variable> = parts.iter().collect();
    let stacked = F::reshape(&F::concat(&refs, 0)?, &[p, q, width])?;
    let swapped = F::reshape(&F::transpose(&stacked, Some(&[1, 0, 2]))?, &[q * p, width])?;
    F::split_axis(&swapped, F::Sections::Count(q), 0)
}

macro_rules! n_step_lstm_link {
    ($(#[$meta:meta])* $name:ident, $direction:expr, $func:path, $op:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        pub struct $name(NStepBase);

        impl $name {
            /// `n_layers` stacked layers from `in_size` to `out_size` units,
            /// `dropout` applied between layers in train mode; weights
            /// `LeCunNormal`, biases 0 as Chainer.
            pub fn new(n_layers: usize, in_size: usize, out_size: usize, dropout: f64) -> $name {
                $name(NStepBase::new($op, 8, $direction, n_layers, in_size, out_size, dropout))
            }

            /// Runs the sequences `xs` (`(L_i, in_size)` each, any order)
            /// from the states `hx`, `cx` (`(n_layers * directions, B, N)`,
            /// zeros when `None`); returns `(hy, cy, ys)` with `ys[i]` the
            /// last layer's outputs for `xs[i]`.
            pub fn forward(
                &self,
                hx: Option<&Variable>,
                cx: Option<&Variable>,
                xs: &[Variable],
            ) -> Result<(Variable, Variable, Vec<Variable>)> {
                let b = &self.0;
                let (order, trans) = b.prepare(xs)?;
                let hx = b.permute(hx, &order, false, &xs[0])?;
                let cx = b.permute(cx, &order, false, &xs[0])?;
                let (ws, bs) = b.weights()?;
                let (hy, cy, ys) = $func(b.n_layers, b.dropout, &hx, &cx, &ws, &bs, &trans)?;
                Ok((
                    b.permute(Some(&hy), &order, true, &xs[0])?,
                    b.permute(Some(&cy), &order, true, &xs[0])?,
                    b.unprepare(&order, &ys)?,
                ))
            }
        }

        impl Link for $name {
            fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
                self.0.visit_children(f)
            }
        }
    };
}

n_step_lstm_link! {
    /// A stacked LSTM over variable-length sequences (Chainer's
    /// `L.NStepLSTM`); the parameters of layer `i` are `/i/w0 .. /i/w7`
    /// and `/i/b0 .. /i/b7`, as Chainer names them.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::NStepLSTM, Link, Variable};
    /// let rnn = NStepLSTM::new(2, 3, 4, 0.0);
    /// let xs = [
    ///     Variable::new(Array::ones(&[2, 3], DType::F32)?),
    ///     Variable::new(Array::ones(&[5, 3], DType::F32)?),
    /// ];
    /// let (hy, cy, ys) = rnn.forward(None, None, &xs)?;
    /// assert_eq!((hy.shape(), cy.shape()), (vec![2, 2, 4], vec![2, 2, 4]));
    /// assert_eq!((ys[0].shape(), ys[1].shape()), (vec![2, 4], vec![5, 4]));
    /// assert_eq!(rnn.namedparams()[0].0, "/0/w0");
    /// # Ok::<(), kusari::Error>(())
    /// ```
    NStepLSTM, 1, F::n_step_lstm, "NStepLSTM::forward"
}

n_step_lstm_link! {
    /// A stacked bidirectional LSTM over variable-length sequences
    /// (Chainer's `L.NStepBiLSTM`): layer `i` has the forward direction at
    /// child `2i` and the backward one at `2i + 1`; outputs are `2N` wide.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::NStepBiLSTM, Variable};
    /// let rnn = NStepBiLSTM::new(1, 3, 4, 0.0);
    /// let xs = [Variable::new(Array::ones(&[2, 3], DType::F32)?)];
    /// let (hy, _cy, ys) = rnn.forward(None, None, &xs)?;
    /// assert_eq!((hy.shape(), ys[0].shape()), (vec![2, 1, 4], vec![2, 8]));
    /// # Ok::<(), kusari::Error>(())
    /// ```
    NStepBiLSTM, 2, F::n_step_bilstm, "NStepBiLSTM::forward"
}

/// A stacked GRU over variable-length sequences (Chainer's `L.NStepGRU`);
/// the parameters of layer `i` are `/i/w0 .. /i/w5` and `/i/b0 .. /i/b5`.
///
/// ```
/// use kusari::{array::{Array, DType}, links::NStepGRU, Variable};
/// let rnn = NStepGRU::new(1, 3, 4, 0.0);
/// let xs = [Variable::new(Array::ones(&[2, 3], DType::F32)?)];
/// let (hy, ys) = rnn.forward(None, &xs)?;
/// assert_eq!((hy.shape(), ys[0].shape()), (vec![1, 1, 4], vec![2, 4]));
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NStepGRU(NStepBase);

impl NStepGRU {
    /// `n_layers` stacked layers from `in_size` to `out_size` units,
    /// `dropout` applied between layers in train mode.
    pub fn new(n_layers: usize, in_size: usize, out_size: usize, dropout: f64) -> NStepGRU {
        NStepGRU(NStepBase::new(
            "NStepGRU::forward",
            6,
            1,
            n_layers,
            in_size,
            out_size,
            dropout,
        ))
    }

    /// Runs the sequences `xs` (`(L_i, in_size)` each, any order) from the
    /// state `hx` (`(n_layers, B, N)`, zeros when `None`); returns `(hy, ys)`.
    pub fn forward(
        &self,
        hx: Option<&Variable>,
        xs: &[Variable],
    ) -> Result<(Variable, Vec<Variable>)> {
        let b = &self.0;
        let (order, trans) = b.prepare(xs)?;
        let hx = b.permute(hx, &order, false, &xs[0])?;
        let (ws, bs) = b.weights()?;
        let (hy, ys) = F::n_step_gru(b.n_layers, b.dropout, &hx, &ws, &bs, &trans)?;
        Ok((
            b.permute(Some(&hy), &order, true, &xs[0])?,
            b.unprepare(&order, &ys)?,
        ))
    }
}

impl Link for NStepGRU {
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        self.0.visit_children(f)
    }
}
