//! Recurrent functions (Chainer's `chainer.functions.rnn`): the fused LSTM
//! cell and the multi-layer, variable-length `n_step_*` networks.

mod lstm;
pub(crate) mod lstm_kernel;
mod lstm_sequence;
mod n_step;

pub use lstm::lstm;
pub use n_step::{
    n_step_bigru, n_step_bilstm, n_step_birnn, n_step_gru, n_step_lstm, n_step_rnn,
    seed_rnn_dropout, RnnActivation,
};
