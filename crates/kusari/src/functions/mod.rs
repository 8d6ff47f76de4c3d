//! Differentiable functions (Chainer's `chainer.functions`). Each takes
//! variables, returns variables, and records itself for backward. This issue
//! brings the basic math and array functions that operators and gradients
//! need; the full library follows.

mod array;
mod array_ops;
mod basic_math;
mod connection;
mod math;
mod normalization;

/// `F.pad`'s modes (the array crate's [`PadMode`](crate::array::ops::manip::PadMode)).
pub use crate::array::ops::manip::PadMode;
pub use array::{
    cast, concat, copy, depth2space, dstack, expand_dims, flatten, flip, fliplr, flipud, get_item,
    hstack, moveaxis, pad, repeat, resize_images, rollaxis, scatter_add, select_item, separate,
    space2depth, split_axis, squeeze, stack, swapaxes, tile, vstack, where_, Index, ResizeMode,
    Sections,
};
pub use array_ops::{broadcast_to, reshape, sum, sum_to, transpose};
pub use basic_math::{
    add, add_constant, div, div_constant, mul, mul_constant, neg, pow, pow_constant, rdiv_constant,
    rsub_constant, sub,
};
pub use connection::linear;
pub use math::{exp, log, matmul};
pub use normalization::{
    batch_normalization, batch_normalization_with_stats, fixed_batch_normalization,
    group_normalization, layer_normalization, local_response_normalization, normalize, BatchStats,
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
