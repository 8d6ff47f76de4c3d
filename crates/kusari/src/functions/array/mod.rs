//! Array functions beyond the basic shape ones of `array_ops`: joining and
//! splitting, indexing (with its scatter-add gradient), shape manipulation,
//! dtype/device conversion and image resizing (Chainer's `functions.array`).

mod convert;
mod index;
mod join;
mod resize;
mod shape;

pub use convert::{cast, copy};
pub use index::{get_item, scatter_add, select_item, where_, Index};
pub use join::{concat, dstack, hstack, separate, split_axis, stack, vstack, Sections};
pub use resize::{resize_images, ResizeMode};
pub use shape::{
    depth2space, expand_dims, flatten, flip, fliplr, flipud, moveaxis, pad, repeat, rollaxis,
    space2depth, squeeze, swapaxes, tile,
};

use crate::array::{Error, Result};

/// `axis` in `-ndim..ndim` as a position, or Chainer's out-of-bounds error.
pub(crate) fn norm_axis(op: &'static str, axis: isize, ndim: usize) -> Result<usize> {
    let n = ndim as isize;
    if axis < -n || axis >= n {
        return Err(Error::Axis { op, axis, ndim });
    }
    Ok(if axis < 0 { axis + n } else { axis } as usize)
}

/// The same error reported under `op` (errors of the array crate name the
/// array operation, which the user of a function never called).
pub(crate) fn renamed(op: &'static str, e: Error) -> Error {
    match e {
        Error::Shape { message, .. } => Error::Shape { op, message },
        Error::DType { message, .. } => Error::DType { op, message },
        Error::Value { message, .. } => Error::Value { op, message },
        Error::Device { message, .. } => Error::Device { op, message },
        Error::Axis { axis, ndim, .. } => Error::Axis { op, axis, ndim },
        Error::Index {
            index, axis, size, ..
        } => Error::Index {
            op,
            index,
            axis,
            size,
        },
        other => other,
    }
}

/// NumPy's broadcast of two shapes.
pub(crate) fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        if i + s.len() >= n {
            s[i + s.len() - n]
        } else {
            1
        }
    };
    (0..n)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            _ => Err(Error::Shape {
                op,
                message: format!("shapes {a:?} and {b:?} cannot be broadcast together"),
            }),
        })
        .collect()
}
