//! Thread-local configuration (Chainer's `chainer.config`): `train`,
//! `enable_backprop` and `fused_rnn`, changed for a scope by guards that
//! restore the previous values when dropped.

use std::cell::Cell;

thread_local! {
    static TRAIN: Cell<bool> = const { Cell::new(true) };
    static ENABLE_BACKPROP: Cell<bool> = const { Cell::new(true) };
    static FUSED_RNN: Cell<bool> = const { Cell::new(true) };
}

/// Whether the code runs in training mode (dropout, batch statistics, ...). Default `true`.
pub fn train() -> bool {
    TRAIN.with(|c| c.get())
}

/// Whether functions record the graph for backward. Default `true`.
pub fn enable_backprop() -> bool {
    ENABLE_BACKPROP.with(|c| c.get())
}

/// Whether `n_step_lstm` runs a layer whose sequences all have the same
/// length as one fused node (one matrix product for the input projection of
/// every step, as cuDNN and PyTorch's `nn.LSTM`). Default `true`. Like
/// Chainer's cuDNN path (`use_cudnn`), the fused node does not support
/// double backprop: switch this off where second derivatives of an LSTM are
/// needed, and the layer is stepped cell by cell.
pub fn fused_rnn() -> bool {
    FUSED_RNN.with(|c| c.get())
}

/// Restores the previous configuration when dropped.
#[must_use = "the setting lasts only while the guard lives"]
pub struct ConfigGuard {
    train: bool,
    enable_backprop: bool,
    fused_rnn: bool,
}

impl Drop for ConfigGuard {
    fn drop(&mut self) {
        TRAIN.with(|c| c.set(self.train));
        ENABLE_BACKPROP.with(|c| c.set(self.enable_backprop));
        FUSED_RNN.with(|c| c.set(self.fused_rnn));
    }
}

/// Which setting [`using_config`] changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// `chainer.config.train`.
    Train,
    /// `chainer.config.enable_backprop`.
    EnableBackprop,
    /// See [`fused_rnn`] (Chainer's `use_cudnn` for its RNNs).
    FusedRnn,
}

fn guard() -> ConfigGuard {
    ConfigGuard {
        train: train(),
        enable_backprop: enable_backprop(),
        fused_rnn: fused_rnn(),
    }
}

/// Sets one setting until the returned guard is dropped (Chainer's `using_config`).
///
/// ```
/// use kusari::config::{self, using_config, Setting};
/// {
///     let _g = using_config(Setting::Train, false);
///     assert!(!config::train());
/// }
/// assert!(config::train());
/// ```
pub fn using_config(setting: Setting, value: bool) -> ConfigGuard {
    let g = guard();
    match setting {
        Setting::Train => TRAIN.with(|c| c.set(value)),
        Setting::EnableBackprop => ENABLE_BACKPROP.with(|c| c.set(value)),
        Setting::FusedRnn => FUSED_RNN.with(|c| c.set(value)),
    }
    g
}

/// No graph is recorded (and nothing retained) until the guard is dropped.
pub fn no_backprop_mode() -> ConfigGuard {
    using_config(Setting::EnableBackprop, false)
}

/// The graph is recorded even inside [`no_backprop_mode`] until the guard is dropped.
pub fn force_backprop_mode() -> ConfigGuard {
    using_config(Setting::EnableBackprop, true)
}
