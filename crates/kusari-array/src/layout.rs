//! Shapes and strides: contiguity, broadcasting, axis normalization, and the
//! memory order ("K order") that elementwise results inherit from their inputs.

use crate::{Error, Result};
use smallvec::SmallVec;

/// A shape (small shapes live inline, without a heap allocation).
pub type Shape = SmallVec<[usize; 6]>;
/// Strides in elements (not bytes, unlike NumPy's `.strides`).
pub type Strides = SmallVec<[isize; 6]>;

/// Memory order of a new array or a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// Row-major (last axis fastest).
    #[default]
    C,
    /// Column-major (first axis fastest).
    F,
    /// Keep the source's memory order as far as possible (NumPy's `order='K'`).
    K,
}

/// Number of elements of `shape`, or an error when it overflows.
pub(crate) fn checked_size(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            Error::value(
                op,
                format!("array of shape {shape:?} has more elements than fit in memory"),
            )
        })
}

/// Row-major strides for `shape`.
pub(crate) fn c_strides(shape: &[usize]) -> Strides {
    let mut s: Strides = SmallVec::from_elem(0, shape.len());
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        s[i] = acc;
        acc *= shape[i].max(1) as isize;
    }
    s
}

/// Column-major strides for `shape`.
pub(crate) fn f_strides(shape: &[usize]) -> Strides {
    let mut s: Strides = SmallVec::from_elem(0, shape.len());
    let mut acc = 1isize;
    for i in 0..shape.len() {
        s[i] = acc;
        acc *= shape[i].max(1) as isize;
    }
    s
}

/// Whether `(shape, strides)` is row-major contiguous (size-1 axes may have any stride).
pub(crate) fn is_c_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    let mut expected = 1isize;
    for i in (0..shape.len()).rev() {
        if shape[i] == 0 {
            return true;
        }
        if shape[i] != 1 {
            if strides[i] != expected {
                return false;
            }
            expected *= shape[i] as isize;
        }
    }
    true
}

/// Whether `(shape, strides)` is column-major contiguous.
pub(crate) fn is_f_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    let mut expected = 1isize;
    for i in 0..shape.len() {
        if shape[i] == 0 {
            return true;
        }
        if shape[i] != 1 {
            if strides[i] != expected {
                return false;
            }
            expected *= shape[i] as isize;
        }
    }
    true
}

/// Strides of a fresh array of `shape` laid out in `order`, taking the memory
/// order from `like` (strides of a source array of the same shape) for `K`.
pub(crate) fn strides_for_order(shape: &[usize], order: Order, like: Option<&[isize]>) -> Strides {
    match (order, like) {
        (Order::C, _) | (Order::K, None) => c_strides(shape),
        (Order::F, _) => f_strides(shape),
        (Order::K, Some(like)) => {
            if is_c_contiguous(shape, like) {
                return c_strides(shape);
            }
            // Axes sorted from the largest to the smallest source stride; the
            // new array is C-contiguous in that permuted order.
            let mut perm: SmallVec<[usize; 6]> = (0..shape.len()).collect();
            perm.sort_by(|&a, &b| like[b].unsigned_abs().cmp(&like[a].unsigned_abs()));
            let mut s: Strides = SmallVec::from_elem(0, shape.len());
            let mut acc = 1isize;
            for &ax in perm.iter().rev() {
                s[ax] = acc;
                acc *= shape[ax].max(1) as isize;
            }
            s
        }
    }
}

/// NumPy's broadcasting of two shapes.
pub(crate) fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape> {
    let n = a.len().max(b.len());
    let mut out: Shape = SmallVec::from_elem(1, n);
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(Error::shape(
                    op,
                    format!("operands could not be broadcast together with shapes {a:?} {b:?}"),
                ))
            }
        };
    }
    Ok(out)
}

/// Strides that view `(shape, strides)` as `target` (stride 0 on broadcast axes).
pub(crate) fn broadcast_strides(
    op: &'static str,
    shape: &[usize],
    strides: &[isize],
    target: &[usize],
) -> Result<Strides> {
    if shape.len() > target.len() {
        return Err(Error::shape(
            op,
            format!("cannot broadcast shape {shape:?} to {target:?}: too many dimensions"),
        ));
    }
    let lead = target.len() - shape.len();
    let mut out: Strides = SmallVec::from_elem(0, target.len());
    for i in 0..shape.len() {
        out[lead + i] = if shape[i] == target[lead + i] {
            strides[i]
        } else if shape[i] == 1 {
            0
        } else {
            return Err(Error::shape(
                op,
                format!("cannot broadcast shape {shape:?} to {target:?}"),
            ));
        };
    }
    Ok(out)
}

/// Maps a possibly negative axis into `0..ndim`.
pub(crate) fn normalize_axis(op: &'static str, axis: isize, ndim: usize) -> Result<usize> {
    let a = if axis < 0 { axis + ndim as isize } else { axis };
    if a < 0 || a >= ndim as isize {
        return Err(Error::Axis { op, axis, ndim });
    }
    Ok(a as usize)
}

/// Normalizes a list of axes (`None` means all), rejecting repeats.
pub(crate) fn normalize_axes(
    op: &'static str,
    axes: Option<&[isize]>,
    ndim: usize,
) -> Result<SmallVec<[usize; 6]>> {
    match axes {
        None => Ok((0..ndim).collect()),
        Some(list) => {
            let mut out: SmallVec<[usize; 6]> = SmallVec::new();
            for &a in list {
                let n = normalize_axis(op, a, ndim)?;
                if out.contains(&n) {
                    return Err(Error::value(op, format!("repeated axis {a} in {list:?}")));
                }
                out.push(n);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_order_of_transpose_is_fortran() {
        let s = strides_for_order(&[3, 4], Order::K, Some(&[1, 3]));
        assert_eq!(&s[..], &[1, 3]);
    }

    #[test]
    fn broadcast_rules() {
        assert_eq!(&broadcast_shapes("t", &[3, 1], &[4]).unwrap()[..], &[3, 4]);
        assert!(broadcast_shapes("t", &[3], &[4]).is_err());
        assert_eq!(
            &broadcast_strides("t", &[3, 1], &[1, 1], &[2, 3, 4]).unwrap()[..],
            &[0, 1, 0]
        );
    }
}
