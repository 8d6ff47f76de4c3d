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

/// Whether `(shape, strides)` is row-major contiguous (size-1 axes may have any
/// stride; an empty array is contiguous in both orders, as in NumPy).
pub(crate) fn is_c_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut expected = 1isize;
    for i in (0..shape.len()).rev() {
        if shape[i] != 1 {
            if strides[i] != expected {
                return false;
            }
            expected *= shape[i] as isize;
        }
    }
    true
}

/// Whether `(shape, strides)` is column-major contiguous (empty arrays are).
pub(crate) fn is_f_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut expected = 1isize;
    for i in 0..shape.len() {
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

/// Strides of a fresh elementwise result of `shape` in the memory order that
/// NumPy's iterator chooses for `order='K'` from its operands, given as their
/// strides broadcast to `shape` (`npyiter_find_best_axis_ordering`): axes are
/// insertion-sorted from the innermost (last) one by the operands' absolute
/// strides; stride-0 (broadcast) and unit axes do not vote, and where two
/// operands disagree, C order wins. So `a.T * 2` is F-ordered, while
/// `a.T + c` with a C-ordered `c` is C-ordered.
pub(crate) fn iter_order_strides(shape: &[usize], operands: &[&[isize]]) -> Strides {
    let n = shape.len();
    // perm[k]: the axis at position k counted from the innermost.
    let mut perm: SmallVec<[usize; 6]> = (0..n).rev().collect();
    let stride = |op: &[isize], ax: usize| if shape[ax] <= 1 { 0 } else { op[ax] };
    for i0 in 1..n {
        let ax0 = perm[i0];
        let mut ipos = i0;
        for i1 in (0..i0).rev() {
            let ax1 = perm[i1];
            let (mut ambiguous, mut swap) = (true, false);
            for op in operands {
                let (s0, s1) = (stride(op, ax0), stride(op, ax1));
                if s0 != 0 && s1 != 0 {
                    if s1.unsigned_abs() <= s0.unsigned_abs() {
                        swap = false;
                    } else if ambiguous {
                        swap = true;
                    }
                    ambiguous = false;
                }
            }
            if !ambiguous {
                if swap {
                    ipos = i1;
                } else {
                    break;
                }
            }
        }
        if ipos != i0 {
            let ax = perm.remove(i0);
            perm.insert(ipos, ax);
        }
    }
    let mut s: Strides = SmallVec::from_elem(0, n);
    let mut acc = 1isize;
    for &ax in &perm {
        s[ax] = acc;
        acc *= shape[ax].max(1) as isize;
    }
    s
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
    fn iterator_order_follows_numpy() {
        // One F-ordered operand: F. F and C operands: C wins.
        assert_eq!(&iter_order_strides(&[3, 4], &[&[1, 3]])[..], &[1, 3]);
        assert_eq!(
            &iter_order_strides(&[3, 4], &[&[1, 3], &[4, 1]])[..],
            &[4, 1]
        );
        // A broadcast (stride-0) axis does not vote: C.
        assert_eq!(&iter_order_strides(&[3, 4], &[&[0, 1]])[..], &[4, 1]);
        // Axes permuted (2, 0, 1) of a C array keep that order.
        assert_eq!(
            &iter_order_strides(&[4, 2, 3], &[&[1, 12, 4]])[..],
            &[1, 12, 4]
        );
    }

    #[test]
    fn empty_arrays_are_contiguous_both_ways() {
        assert!(is_c_contiguous(&[0, 4], &[1, 6]) && is_f_contiguous(&[2, 0, 4], &[12, 4, 1]));
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
