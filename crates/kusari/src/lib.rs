//! # kusari
//!
//! A define-by-run deep-learning framework (Chainer's design, in Rust). The
//! forward pass is plain code; running it records the graph, and `backward`
//! computes the gradients.
//!
//! ```
//! use kusari::{array::array, Variable};
//! let x = Variable::new(array![3.0f32]);
//! let y = Variable::new(array![4.0f32]);
//! let z = x.pow(2.0) + 2.0 * &x * &y + &y; // z = x**2 + 2xy + y
//! z.backward()?;
//! assert_eq!(x.grad().unwrap().item::<f32>()?, 14.0); // 2x + 2y
//! assert_eq!(y.grad().unwrap().item::<f32>()?, 7.0); // 2x + 1
//! # Ok::<(), kusari::Error>(())
//! ```
#![warn(missing_docs)]

/// The n-d arrays kusari computes with (the `kusari-array` crate).
pub use kusari_array as array;
pub use kusari_array::{Error, Result};
/// `#[derive(Chain)]`: implements [`Link`] from a struct's fields (see [`links`]).
pub use kusari_derive::Chain;

// The derive names `::kusari::Link`; this lets the crate's own links use it.
extern crate self as kusari;

mod backprop;
pub mod computational_graph;
pub mod config;
pub mod datasets;
mod function_node;
pub mod functions;
pub mod gradient_check;
pub mod initializers;
pub mod iterators;
mod link;
pub mod links;
pub mod optimizer_hooks;
pub mod optimizers;
mod parameter;
pub mod reporter;
pub mod serializers;
mod variable;
mod variable_ops;

pub use backprop::grad;
pub use function_node::{apply, apply1, BackwardContext, FunctionCall, FunctionNode};
pub use link::{copy_link, serialize_link, CopyMode, Forward, Link};
pub use parameter::{Initializer, Parameter, Persistent};
pub use variable::{VarNode, Variable};

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
