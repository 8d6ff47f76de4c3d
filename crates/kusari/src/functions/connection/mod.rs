//! Connection functions (Chainer's `chainer.functions.connection`): the
//! parameterised layers' computations.

mod bilinear;
mod convolution;
mod embed_id;
mod im2col;
mod linear;

pub use bilinear::bilinear;
pub(crate) use convolution::expand;
pub use convolution::{
    convolution_2d, convolution_nd, deconvolution_2d, deconvolution_nd, depthwise_convolution_2d,
    ConvArgs,
};
pub use embed_id::embed_id;
pub use im2col::im2col;
pub use linear::linear;
