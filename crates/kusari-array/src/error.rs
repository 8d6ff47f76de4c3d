//! The one error type of the array crate. Every variant names the operation
//! that failed and says what was expected and what was found.

use crate::DType;

/// Result alias used by every fallible call of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, and in which operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Shapes that do not fit together (broadcasting, matmul, reshape, concatenate, ...).
    #[error("{op}: {message}")]
    Shape {
        /// The operation, e.g. `"matmul"`.
        op: &'static str,
        /// What was expected and found.
        message: String,
    },
    /// A dtype the operation does not accept.
    #[error("{op}: {message}")]
    DType {
        /// The operation.
        op: &'static str,
        /// What was expected and found.
        message: String,
    },
    /// An axis outside `-ndim..ndim`, or repeated.
    #[error("{op}: axis {axis} is out of bounds for array of dimension {ndim}")]
    Axis {
        /// The operation.
        op: &'static str,
        /// The axis given.
        axis: isize,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// An index outside an axis.
    #[error("{op}: index {index} is out of bounds for axis {axis} with size {size}")]
    Index {
        /// The operation.
        op: &'static str,
        /// The index given.
        index: i64,
        /// The axis indexed.
        axis: usize,
        /// The axis' length.
        size: usize,
    },
    /// An argument value outside what the operation accepts.
    #[error("{op}: {message}")]
    Value {
        /// The operation.
        op: &'static str,
        /// What was expected and found.
        message: String,
    },
    /// Arrays on different devices mixed in one operation, or a device that is not available.
    #[error("{op}: {message}")]
    Device {
        /// The operation.
        op: &'static str,
        /// What was expected and found.
        message: String,
    },
    /// A user-defined kernel's source that does not parse or type-check, with
    /// where it happened (1-based line and column in `source`).
    #[error(
        "kernel `{kernel}`, {source_name} line {line}, column {column}: {message} (at `{found}`)"
    )]
    Kernel {
        /// The kernel's name.
        kernel: String,
        /// Which text: `"operation"`, `"preamble"`, `"map_expr"`, `"in_params"`, ...
        source_name: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The offending text.
        found: String,
        /// What was expected and found.
        message: String,
    },
    /// An allocation the allocator (or the pool's limit) could not satisfy.
    #[error("out of memory allocating {requested} bytes on {device} (pool: {used} bytes in use, {total} bytes held, limit {limit})")]
    OutOfMemory {
        /// Bytes asked for.
        requested: usize,
        /// The device, e.g. `"cpu"`.
        device: String,
        /// Bytes in use by arrays.
        used: usize,
        /// Bytes held by the pool (in use plus cached).
        total: usize,
        /// The pool's limit in bytes (`usize::MAX` when unlimited).
        limit: usize,
    },
    /// NVRTC rejected a generated or user CUDA kernel.
    #[error("compiling CUDA kernel {name} failed:\n{log}\n{excerpt}")]
    KernelCompile {
        /// The kernel's name.
        name: String,
        /// NVRTC's log.
        log: String,
        /// Numbered source lines around the first error line of the log.
        excerpt: String,
    },
}

impl Error {
    pub(crate) fn shape(op: &'static str, message: impl Into<String>) -> Self {
        Error::Shape {
            op,
            message: message.into(),
        }
    }
    pub(crate) fn dtype(op: &'static str, message: impl Into<String>) -> Self {
        Error::DType {
            op,
            message: message.into(),
        }
    }
    pub(crate) fn value(op: &'static str, message: impl Into<String>) -> Self {
        Error::Value {
            op,
            message: message.into(),
        }
    }
    pub(crate) fn unsupported_dtype(op: &'static str, expected: &str, found: DType) -> Self {
        Error::dtype(op, format!("expected {expected}, found {found}"))
    }
}
