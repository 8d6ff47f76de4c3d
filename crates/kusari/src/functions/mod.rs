//! Differentiable functions (Chainer's `chainer.functions`). Each takes
//! variables, returns variables, and records itself for backward. This issue
//! brings the basic math and array functions that operators and gradients
//! need; the full library follows.

mod array_ops;
mod basic_math;
mod connection;
mod math;
mod pooling;

pub use array_ops::{broadcast_to, reshape, sum, sum_to, transpose};
pub use basic_math::{
    add, add_constant, div, div_constant, mul, mul_constant, neg, pow, pow_constant, rdiv_constant,
    rsub_constant, sub,
};
pub use connection::{
    bilinear, convolution_2d, convolution_nd, deconvolution_2d, deconvolution_nd,
    depthwise_convolution_2d, embed_id, im2col, linear, ConvArgs,
};
pub use math::{exp, log, matmul};
pub use pooling::{
    average_pooling_2d, average_pooling_nd, max_pooling_2d, max_pooling_2d_with_indices,
    max_pooling_nd, unpooling_2d, upsampling_2d,
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
