//! Differentiable functions (Chainer's `chainer.functions`, imported as `F`
//! by convention). Each takes variables, returns variables, and records
//! itself for backward; every backward is itself differentiable (double
//! backprop). The modules follow Chainer's categories: activation, array,
//! connection, evaluation, loss, math, noise, normalization, pooling, rnn.

mod activation;
mod array;
mod array_ops;
mod basic_math;
mod connection;
mod evaluation;
pub(crate) mod kernels;
mod lambda;
pub mod loss;
mod math;
mod math_elementwise;
mod math_linalg;
mod math_reduce;
mod noise;
mod normalization;
mod pooling;
pub mod rnn;

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
pub use connection::{
    bilinear, convolution_2d, convolution_nd, deconvolution_2d, deconvolution_nd,
    depthwise_convolution_2d, embed_id, im2col, linear, ConvArgs,
};
pub use math::{exp, log, matmul};
pub use normalization::{
    batch_normalization, batch_normalization_with_stats, fixed_batch_normalization,
    group_normalization, layer_normalization, local_response_normalization, normalize, BatchStats,
};

pub use activation::{
    celu, clipped_relu, crelu, elu, gelu, hard_sigmoid, leaky_relu, log_softmax, maxout, prelu,
    relu, relu6, selu, sigmoid, softmax, softplus, swish, tanh,
};
pub use evaluation::{
    accuracy, binary_accuracy, classification_summary, f1_score, fbeta_score, precision, r2_score,
    recall, ClassificationSummary, MultiOutput,
};
pub use loss::{
    absolute_error, bernoulli_nll, connectionist_temporal_classification, contrastive,
    gaussian_kl_divergence, gaussian_nll, hinge, huber_loss, mean_absolute_error,
    mean_squared_error, sigmoid_cross_entropy, softmax_cross_entropy, softmax_cross_entropy_with,
    squared_error, triplet, HingeNorm, Reduce, SoftTargetLoss, SoftmaxCrossEntropyOptions,
};
pub use math_elementwise::{
    absolute, arccos, arcsin, arctan, arctan2, bias, ceil, clip, cos, cosh, digamma, erf, expm1,
    floor, fmod, identity, lgamma, linear_interpolate, log10, log1p, log2, maximum, minimum, rsqrt,
    scale, sign, sin, sinh, sqrt, square, tan,
};
pub use math_linalg::{batch_matmul, det, einsum, inv, matmul_with, tensordot};
pub use math_reduce::{argmax, argmin, average, cumsum, logsumexp, max, mean, min, prod};
pub use noise::{
    dropout, dropout_with, gaussian, gaussian_with, gumbel_softmax, set_seed, with_generator,
    zoneout,
};
pub use pooling::{
    average_pooling_2d, average_pooling_nd, max_pooling_2d, max_pooling_2d_with_indices,
    max_pooling_nd, roi_pooling_2d, unpooling_2d, upsampling_2d,
};
pub use rnn::{
    lstm, n_step_bigru, n_step_bilstm, n_step_birnn, n_step_gru, n_step_lstm, n_step_rnn,
    RnnActivation,
};

use crate::array::{DType, Error, Result};
pub(crate) use kernels::use_kernels;
#[cfg(test)]
mod device_placement;
#[cfg(test)]
pub(crate) use kernels::FORCE_KERNELS;

/// An error naming `op` unless `device` is the CPU: for code whose loops
/// read host slices and have no device path yet, which would otherwise
/// panic on a GPU array.
pub(crate) fn expect_cpu(op: &'static str, what: &str, device: crate::array::Device) -> Result<()> {
    if device == crate::array::Device::Cpu {
        return Ok(());
    }
    Err(Error::Device {
        op,
        message: format!(
            "runs on the CPU only so far (its CUDA path is not written yet), got {what} on {device}"
        ),
    })
}

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

#[cfg(test)]
mod tests {
    use crate::array::Device;

    /// CPU-only code says so for a GPU array (no panic), naming the operation and the device.
    #[test]
    fn cpu_only_code_rejects_other_devices() {
        assert!(super::expect_cpu("lstm", "an array", Device::Cpu).is_ok());
        let e = super::expect_cpu("batch_normalization", "an array", Device::Cuda(1))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("batch_normalization") && e.contains("CPU only") && e.contains("cuda:1"),
            "{e}"
        );
    }
}
