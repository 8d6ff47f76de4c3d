//! # kusari
//!
//! A define-by-run deep-learning framework (Chainer's design, in Rust). The
//! forward pass is plain code; backward is automatic. This crate will hold
//! variables and the recorded graph, functions, links, optimizers, serializers
//! and the trainer; today it re-exports the array library it is built on.
//!
//! ```
//! use kusari::array::{Array, DType};
//! let x = Array::zeros(&[10, 20], DType::F32)?; // a minibatch of 10 vectors of 20 dimensions
//! assert_eq!(x.shape(), &[10, 20]);
//! # Ok::<(), kusari::array::Error>(())
//! ```
#![warn(missing_docs)]

/// The n-d arrays kusari computes with (the `kusari-array` crate).
pub use kusari_array as array;

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
