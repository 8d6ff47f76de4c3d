//! Differentiable functions (Chainer's `chainer.functions`). Each takes
//! variables, returns variables, and records itself for backward. This issue
//! brings the basic math and array functions that operators and gradients
//! need; the full library follows.

mod array_ops;
mod basic_math;
pub mod loss;
mod math;
pub mod rnn;

pub use array_ops::{broadcast_to, reshape, sum, sum_to, transpose};
pub use basic_math::{
    add, add_constant, div, div_constant, mul, mul_constant, neg, pow, pow_constant, rdiv_constant,
    rsub_constant, sub,
};
pub use loss::{
    absolute_error, bernoulli_nll, connectionist_temporal_classification, contrastive,
    gaussian_kl_divergence, gaussian_nll, hinge, huber_loss, mean_absolute_error,
    mean_squared_error, sigmoid_cross_entropy, softmax_cross_entropy, softmax_cross_entropy_with,
    squared_error, triplet, HingeNorm, Reduce, SoftmaxCrossEntropyOptions,
};
pub use math::{exp, log, matmul};
pub use rnn::{
    lstm, n_step_bigru, n_step_bilstm, n_step_birnn, n_step_gru, n_step_lstm, n_step_rnn,
    RnnActivation,
};

use crate::array::{DType, Error, Result};

/// Chainer-style type check: both inputs must share a dtype.
pub(crate) fn expect_same_dtype(op: &'static str, a: DType, b: DType) -> Result<()> {
    if a != b {
        return Err(Error::DType {
            op,
            message: format!("expected x.dtype == y.dtype, got {a} != {b}"),
        });
    }
    Ok(())
}

/// Chainer-style type check: a float input.
pub(crate) fn expect_float(op: &'static str, name: &str, d: DType) -> Result<()> {
    if !d.is_float() {
        return Err(Error::DType {
            op,
            message: format!("expected {name}.dtype.kind == 'f', got {d}"),
        });
    }
    Ok(())
}
