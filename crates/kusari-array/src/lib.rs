//! # kusari-array
//!
//! NumPy-compatible n-dimensional arrays for Rust: a run-time dtype, views
//! over shared storage, broadcasting and NumPy's type promotion, ufuncs,
//! reductions, matmul, indexing and seeded random numbers, on the CPU and
//! (storage, transfers, matmul so far) on NVIDIA GPUs through [`cuda`].
//!
//! ```
//! use kusari_array::{Array, DType};
//! let x = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
//! let y = &x * &x;
//! let s = y.sum(None, false)?;
//! assert_eq!(s.item::<f32>()?, 14.0);
//! assert_eq!(s.dtype(), DType::F32);
//! # Ok::<(), kusari_array::Error>(())
//! ```
#![warn(missing_docs)]

pub use half;

mod array;
mod backend;
pub mod cuda;
#[doc(hidden)]
pub mod cuda_check;
mod device;
mod dtype;
mod error;
mod kernel;
pub mod layout;
pub mod memory;
pub mod ops;
mod storage;
pub mod threads;

/// The run-time SIMD dispatch behind `multiversion!` (used by `kusari`'s kernels).
#[doc(hidden)]
pub mod __simd {
    pub use crate::backend::cpu::simd::{level, Level};
}

pub use array::{Array, NestedLiteral};
pub use device::Device;
pub use dtype::{DType, Element, Kind, Scalar, ALL_DTYPES};
pub use error::{Error, Result};
pub use kernel::{AsKernelArg, ElementwiseKernel, KernelArg, RawKernel, ReductionKernel};
pub use layout::Order;
pub use ops::index::SliceArg;
pub use ops::ufunc::{BinaryOp, Operand, UnaryOp};
