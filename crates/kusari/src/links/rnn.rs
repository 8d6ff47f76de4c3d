//! Recurrent links (Chainer's `L.LSTM`, `L.StatelessLSTM`, `L.GRU` /
//! `L.StatefulGRU` and `L.StatelessGRU`), with Chainer's parameter paths
//! (`upward/W`, `lateral/W`, `W_r/W`, ...) so saved models interoperate.

use super::Linear;
use crate::array::{Array, Error, Result};
use crate::functions as F;
use crate::link::Forward;
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
