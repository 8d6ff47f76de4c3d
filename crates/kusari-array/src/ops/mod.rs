//! The NumPy-named operations, grouped as NumPy groups them. Each is also
//! available as a method on [`Array`](crate::Array) where NumPy has one.

pub mod conv;
pub mod index;
#[doc(hidden)]
pub mod kernel_path;
pub mod linalg;
pub mod manip;
pub mod math;
pub mod nn;
mod operators;
pub mod pool;
pub mod random;
pub mod reduce;
pub mod sort;
pub mod special;
pub mod ufunc;
mod window_kernels;
