//! Connection functions (Chainer's `chainer.functions.connection`): the
//! parameterised layers' computations.

mod linear;

pub use linear::linear;
