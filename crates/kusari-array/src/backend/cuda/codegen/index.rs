//! The host half of kernel index arithmetic: dimension collapsing, the choice
//! of 32-bit indexing, and the bytes of the by-value `CShape`/`CArray` kernel
//! arguments. A Rust mirror of the device `CIndexer`/`CArray` offset
//! computation lets tests check the device arithmetic on the CPU.

use super::launch::MAX_GRID_THREADS;
use crate::{Error, Result};

/// A loop shape and the strides of each array over it, after collapsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Collapsed {
    /// The collapsed shape (at least one dimension: a 0-d loop is `[1]`).
    pub shape: Vec<usize>,
    /// Per array, its strides (in elements) over `shape`.
    pub strides: Vec<Vec<isize>>,
}

/// Drops size-1 dimensions and merges neighbours that every array walks as
/// one (`stride[d] == stride[d+1] * shape[d+1]` for all), so a kernel does
/// the fewest div/mods; CuPy's `_reduce_dims`. Offsets of every element are
/// unchanged. An empty loop collapses to `[0]`, a 0-d one to `[1]`.
pub(crate) fn collapse(shape: &[usize], strides: &[&[isize]]) -> Collapsed {
    debug_assert!(strides.iter().all(|s| s.len() == shape.len()));
    if shape.contains(&0) {
        return Collapsed {
            shape: vec![0],
            strides: vec![vec![0]; strides.len()],
        };
    }
    let keep: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] != 1).collect();
    if keep.is_empty() {
        return Collapsed {
            shape: vec![1],
            strides: vec![vec![0]; strides.len()],
        };
    }
    let mut out_shape = vec![shape[keep[0]]];
    let mut out_strides: Vec<Vec<isize>> = strides.iter().map(|s| vec![s[keep[0]]]).collect();
    for &d in &keep[1..] {
        let n = shape[d];
        let mergeable = strides
            .iter()
            .zip(&out_strides)
            .all(|(s, o)| *o.last().expect("non-empty") == s[d] * n as isize);
        if mergeable {
            *out_shape.last_mut().expect("non-empty") *= n;
            for (s, o) in strides.iter().zip(&mut out_strides) {
                *o.last_mut().expect("non-empty") = s[d];
            }
        } else {
            out_shape.push(n);
            for (s, o) in strides.iter().zip(&mut out_strides) {
                o.push(s[d]);
            }
        }
    }
    Collapsed {
        shape: out_shape,
        strides: out_strides,
    }
}

/// Whether `strides` are C-contiguous over `shape` (size-1 dims ignored), so
/// that the linear loop index is the element offset.
pub(crate) fn is_c_contiguous(shape: &[usize], strides: &[isize]) -> bool {
    let mut expect = 1isize;
    for (&n, &s) in shape.iter().zip(strides).rev() {
        if n != 1 && s != expect {
            return false;
        }
        expect *= n as isize;
    }
    true
}

/// The most the 32-bit loop counter may reach: the last index plus one
/// grid-stride step must not overflow `int`.
pub(crate) const I32_LOOP_MAX: usize = i32::MAX as usize - MAX_GRID_THREADS;

/// The lowest and highest element offset of an array over `shape` (`shape`
/// non-empty), and so the range every partial sum of its offset computation
/// stays in.
pub(crate) fn offset_range(shape: &[usize], strides: &[isize]) -> (i128, i128) {
    let (mut lo, mut hi) = (0i128, 0i128);
    for (&n, &s) in shape.iter().zip(strides) {
        let span = (n.max(1) as i128 - 1) * s as i128;
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    (lo, hi)
}

/// Whether a kernel may use 32-bit indexing: the loop size (plus one grid
/// step) and every offset any array's computation passes through fit `int`.
/// `arrays` are each array's own shape and strides (raw arrays have their own).
pub(crate) fn fits_32bit(loop_size: usize, arrays: &[(&[usize], &[isize])]) -> bool {
    let lim = i32::MAX as i128;
    loop_size <= I32_LOOP_MAX
        && arrays.iter().all(|(shape, strides)| {
            let size: usize = shape.iter().product();
            let (lo, hi) = offset_range(shape, strides);
            size <= I32_LOOP_MAX
                && shape.iter().all(|&n| n as i128 <= lim)
                && strides.iter().all(|&s| (s as i128).abs() <= lim)
                && lo >= -lim
                && hi <= lim
        })
}

/// What the device computes for the element offset of loop index `i`:
/// `CIndexer::set(i)` (div/mod from the last dimension) then
/// `CArray::operator[](idx)` (sum of index times stride), in `int` when
/// `use32` (wrapping as the device would; `None` if a step overflows, which
/// [`fits_32bit`] must rule out).
pub(crate) fn device_offset(
    shape: &[usize],
    strides: &[isize],
    i: u64,
    use32: bool,
) -> Option<i64> {
    let nd = shape.len();
    let mut idx = vec![0i64; nd];
    let mut rest = i as i64;
    for d in (1..nd).rev() {
        let n = shape[d] as i64;
        idx[d] = rest % n;
        rest /= n;
    }
    idx[0] = rest;
    let mut off = 0i64;
    for d in 0..nd {
        if use32 {
            let term = i32::try_from(idx[d])
                .ok()?
                .checked_mul(i32::try_from(strides[d]).ok()?)?;
            off = i64::from(i32::try_from(off).ok()?.checked_add(term)?);
        } else {
            off += idx[d] * strides[d] as i64;
        }
    }
    Some(off)
}

/// The naive offset of C-order element `i`: unravel over the full shape and
/// dot with the strides (what the collapsed computation must equal).
pub(crate) fn naive_offset(shape: &[usize], strides: &[isize], mut i: u64) -> i64 {
    let mut off = 0i64;
    for d in (0..shape.len()).rev() {
        let n = shape[d] as u64;
        off += (i % n) as i64 * strides[d] as i64;
        i /= n;
    }
    off
}

fn index_bytes(
    what: &str,
    values: impl Iterator<Item = i64>,
    use32: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    for v in values {
        if use32 {
            let w = i32::try_from(v).map_err(|_| {
                Error::value(
                    "cuda kernel arguments",
                    format!("expected {what} that fit 32-bit indexing, found {v}"),
                )
            })?;
            out.extend_from_slice(&w.to_ne_bytes());
        } else {
            out.extend_from_slice(&v.to_ne_bytes());
        }
    }
    Ok(())
}

fn pad8(mut v: Vec<u8>) -> Vec<u8> {
    v.resize(v.len().div_ceil(8) * 8, 0);
    v
}

fn usize_i64(what: &str, n: usize) -> Result<i64> {
    i64::try_from(n).map_err(|_| {
        Error::value(
            "cuda kernel arguments",
            format!("expected {what} below 2^63, found {n}"),
        )
    })
}

/// The bytes of a `CShape<NDIM, USE32>` kernel argument (loop shape):
/// `long long size; index_t shape[NDIM];`, padded to a multiple of 8
/// (`index_t` is `int` when `use32`, else `long long`). `NDIM` is `shape.len()`.
pub(crate) fn pack_shape(shape: &[usize], use32: bool) -> Result<Vec<u8>> {
    let size: usize = shape.iter().product();
    let mut v = Vec::with_capacity(8 + 8 * shape.len());
    v.extend_from_slice(&usize_i64("a loop size", size)?.to_ne_bytes());
    index_bytes("dimensions", shape.iter().map(|&n| n as i64), use32, &mut v)?;
    Ok(pad8(v))
}

/// The bytes of a `CArray<T, NDIM, C_CONTIG, USE32>` kernel argument:
/// `T* data; long long size; index_t shape[NDIM]; index_t strides[NDIM];`
/// (`data` already points at the view's first element; strides in elements).
pub(crate) fn pack_array(
    data: u64,
    shape: &[usize],
    strides: &[isize],
    use32: bool,
) -> Result<Vec<u8>> {
    if shape.len() != strides.len() {
        return Err(Error::value(
            "cuda kernel arguments",
            format!(
                "expected as many strides as dimensions ({}), found {}",
                shape.len(),
                strides.len()
            ),
        ));
    }
    let size: usize = shape.iter().product();
    let mut v = Vec::with_capacity(16 + 16 * shape.len());
    v.extend_from_slice(&data.to_ne_bytes());
    v.extend_from_slice(&usize_i64("an array size", size)?.to_ne_bytes());
    index_bytes("dimensions", shape.iter().map(|&n| n as i64), use32, &mut v)?;
    index_bytes("strides", strides.iter().map(|&s| s as i64), use32, &mut v)?;
    Ok(pad8(v))
}

/// The byte size of a packed `CShape` (also what the device struct occupies).
pub(crate) fn shape_arg_size(ndim: usize, use32: bool) -> usize {
    (8 + ndim * if use32 { 4 } else { 8 }).div_ceil(8) * 8
}

/// The byte size of a packed `CArray`.
pub(crate) fn array_arg_size(ndim: usize, use32: bool) -> usize {
    16 + 2 * ndim * if use32 { 4 } else { 8 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn collapse_contiguous_to_one_dim() {
        let c = collapse(&[2, 3, 4], &[&[12, 4, 1], &[12, 4, 1]]);
        assert_eq!(c.shape, vec![24]);
        assert_eq!(c.strides, vec![vec![1], vec![1]]);
    }

    #[test]
    fn collapse_keeps_broadcast_and_transposed_axes_apart() {
        // second operand broadcast along axis 1
        let c = collapse(&[2, 3, 4], &[&[12, 4, 1], &[4, 0, 1]]);
        assert_eq!(c.shape, vec![2, 3, 4]);
        // size-1 dims vanish, 0-d becomes [1], empty becomes [0]
        let c = collapse(&[1, 5, 1], &[&[5, 1, 1]]);
        assert_eq!((c.shape, c.strides), (vec![5], vec![vec![1]]));
        assert_eq!(collapse(&[], &[&[]]).shape, vec![1]);
        assert_eq!(collapse(&[3, 0], &[&[0, 1]]).shape, vec![0]);
    }

    #[test]
    fn contiguity() {
        assert!(is_c_contiguous(&[2, 3], &[3, 1]));
        assert!(is_c_contiguous(&[2, 1, 3], &[3, 99, 1]));
        assert!(!is_c_contiguous(&[2, 3], &[1, 2]));
        assert!(!is_c_contiguous(&[2, 3], &[0, 1]));
    }

    #[test]
    fn thirty_two_bit_only_when_offsets_fit() {
        let big = i32::MAX as usize;
        assert!(fits_32bit(1000, &[(&[1000], &[1])]));
        assert!(!fits_32bit(big, &[(&[big], &[1])]));
        // a small loop over a huge stride: the offset overflows int
        assert!(!fits_32bit(4, &[(&[4], &[1 << 30])]));
        // negative strides count their reach below the base pointer
        assert!(fits_32bit(4, &[(&[4], &[-(1 << 20)])]));
        assert!(!fits_32bit(4, &[(&[4], &[-(1 << 30)])]));
        // a raw array larger than the loop decides too
        assert!(!fits_32bit(10, &[(&[10], &[1]), (&[big], &[1])]));
    }

    #[test]
    fn shape_layout_is_size_then_dims_padded() {
        let b = pack_shape(&[2, 3, 5], true).unwrap();
        assert_eq!(b.len(), 24);
        assert_eq!(b.len(), shape_arg_size(3, true));
        assert_eq!(i64::from_ne_bytes(b[0..8].try_into().unwrap()), 30);
        assert_eq!(i32::from_ne_bytes(b[8..12].try_into().unwrap()), 2);
        assert_eq!(i32::from_ne_bytes(b[16..20].try_into().unwrap()), 5);
        assert_eq!(&b[20..24], &[0, 0, 0, 0]);
        let b = pack_shape(&[2, 3], false).unwrap();
        assert_eq!(b.len(), 24);
        assert_eq!(i64::from_ne_bytes(b[16..24].try_into().unwrap()), 3);
    }

    #[test]
    fn array_layout_is_pointer_size_shape_strides() {
        let b = pack_array(0xdead_beef_0000, &[4, 6], &[-6, 1], true).unwrap();
        assert_eq!(b.len(), array_arg_size(2, true));
        assert_eq!(
            u64::from_ne_bytes(b[0..8].try_into().unwrap()),
            0xdead_beef_0000
        );
        assert_eq!(i64::from_ne_bytes(b[8..16].try_into().unwrap()), 24);
        assert_eq!(i32::from_ne_bytes(b[16..20].try_into().unwrap()), 4);
        assert_eq!(i32::from_ne_bytes(b[20..24].try_into().unwrap()), 6);
        assert_eq!(i32::from_ne_bytes(b[24..28].try_into().unwrap()), -6);
        assert_eq!(i32::from_ne_bytes(b[28..32].try_into().unwrap()), 1);
        let b = pack_array(8, &[4, 6], &[-6, 1], false).unwrap();
        assert_eq!(b.len(), 48);
        assert_eq!(i64::from_ne_bytes(b[32..40].try_into().unwrap()), -6);
        let e = pack_array(8, &[4], &[1 << 40], true).unwrap_err();
        assert!(e.to_string().contains("32-bit"), "{e}");
        assert!(pack_array(8, &[4], &[1, 1], true).is_err());
    }

    /// Shapes of 0..5 dims with size-1 dims, and per array strides that are
    /// contiguous, broadcast (0), negative, or arbitrary.
    fn case() -> impl Strategy<Value = (Vec<usize>, Vec<Vec<isize>>)> {
        prop::collection::vec(1usize..5, 0..5).prop_flat_map(|shape| {
            let n = shape.len();
            let contiguous: Vec<isize> = {
                let mut s = vec![0isize; n];
                let mut acc = 1isize;
                for d in (0..n).rev() {
                    s[d] = acc;
                    acc *= shape[d] as isize;
                }
                s
            };
            let one = prop_oneof![
                Just(contiguous.clone()),
                Just(contiguous.iter().map(|s| -s).collect::<Vec<_>>()),
                prop::collection::vec(-40isize..40, n),
                prop::collection::vec(prop_oneof![Just(0isize), 1isize..4], n),
            ];
            (Just(shape), prop::collection::vec(one, 1..4))
        })
    }

    proptest! {
        #[test]
        fn collapsed_indexer_matches_naive_offsets((shape, strides) in case()) {
            let views: Vec<&[isize]> = strides.iter().map(|s| &s[..]).collect();
            let c = collapse(&shape, &views);
            let size: usize = shape.iter().product();
            prop_assert_eq!(c.shape.iter().product::<usize>(), size);
            prop_assert!(!c.shape.is_empty());
            let arrays: Vec<(&[usize], &[isize])> = c.strides.iter().map(|s| (&c.shape[..], &s[..])).collect();
            let use32 = fits_32bit(size, &arrays);
            prop_assert!(use32, "tiny cases always fit 32-bit");
            for (orig, coll) in strides.iter().zip(&c.strides) {
                for i in 0..size as u64 {
                    let want = naive_offset(&shape, orig, i);
                    prop_assert_eq!(device_offset(&c.shape, coll, i, false), Some(want));
                    prop_assert_eq!(device_offset(&c.shape, coll, i, true), Some(want));
                }
            }
        }

        #[test]
        fn thirty_two_bit_choice_is_safe(
            shape in prop::collection::vec(1usize..3000, 1..4),
            strides in prop::collection::vec(-600_000isize..600_000, 1..4),
        ) {
            let n = shape.len().min(strides.len());
            let (shape, strides) = (&shape[..n], &strides[..n]);
            let size: usize = shape.iter().product();
            if fits_32bit(size, &[(shape, strides)]) {
                // the extreme corners are where an overflow would show
                let (lo, hi) = offset_range(shape, strides);
                prop_assert!(lo >= i32::MIN as i128 && hi <= i32::MAX as i128);
                for i in [0, size as u64 - 1, (size as u64) / 2] {
                    prop_assert_eq!(device_offset(shape, strides, i, true), device_offset(shape, strides, i, false));
                }
            } else {
                let (lo, hi) = offset_range(shape, strides);
                prop_assert!(lo < -(i32::MAX as i128) || hi > i32::MAX as i128 || size > I32_LOOP_MAX);
            }
        }
    }
}
