//! Linear algebra: `matmul` (batched, broadcasting), `dot`, `tensordot`,
//! `outer`, `einsum`. Float products go through the `gemm` crate; `f16` and
//! `bf16` are multiplied in `f32` and rounded once, integers accumulate in `i64`.

use crate::backend::cpu::matmul::{gemm_float, gemm_i64, GemmPlan};
use crate::layout::{self, Order};
use crate::{Array, DType, Error, Result};

/// `c = a · b`, or `c += a · b` with `accumulate`, on row-major host
/// slices (`a` `m × k`, `b` `k × n`, `c` `m × n`) of `f32` or `f64`, on the
/// pool's threads as [`matmul`]. For fused CPU loops that interleave small
/// products with their own passes (the LSTM layer's recurrent step), where
/// an array per product and a separate add would cost more than the product.
///
/// ```
/// use kusari_array::ops::linalg::gemm_slices;
/// let (a, b) = ([1.0f32, 2.0, 3.0, 4.0], [1.0f32, 0.0, 0.0, 1.0]);
/// let mut c = [10.0f32; 4];
/// gemm_slices(2, 2, 2, &a, &b, &mut c, true)?;
/// assert_eq!(c, [11.0, 12.0, 13.0, 14.0]);
/// # Ok::<(), kusari_array::Error>(())
/// ```
pub fn gemm_slices<T: crate::Element>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    b: &[T],
    c: &mut [T],
    accumulate: bool,
) -> Result<()> {
    const OP: &str = "gemm_slices";
    if !matches!(T::DTYPE, DType::F32 | DType::F64) {
        return Err(Error::unsupported_dtype(OP, "float32 or float64", T::DTYPE));
    }
    if a.len() != m * k || b.len() != k * n || c.len() != m * n {
        return Err(Error::shape(
            OP,
            format!(
                "expected slices of {} (m × k), {} (k × n) and {} (m × n) elements for m={m}, n={n}, k={k}, found {}, {} and {}",
                m * k,
                k * n,
                m * n,
                a.len(),
                b.len(),
                c.len()
            ),
        ));
    }
    use crate::backend::cpu::matmul::{gemm_threaded, Dims, Strided, StridedMut};
    if k == 0 {
        // An empty sum: gemm may leave `c` unwritten.
        if !accumulate {
            c.fill(T::from_f64(0.0));
        }
        return Ok(());
    }
    let one = T::from_f64(1.0);
    // SAFETY: the lengths were checked against the row-major strides, and
    // `c` is a unique borrow, so it overlaps neither input.
    unsafe {
        gemm_threaded(
            Dims { m, n, k },
            StridedMut {
                ptr: c.as_mut_ptr(),
                rs: n as isize,
                cs: 1,
            },
            accumulate.then_some(one),
            Strided {
                ptr: a.as_ptr(),
                rs: k as isize,
                cs: 1,
            },
            Strided {
                ptr: b.as_ptr(),
                rs: n as isize,
                cs: 1,
            },
            one,
            rayon::current_num_threads(),
        );
    }
    Ok(())
}

/// NumPy's `matmul` (`a @ b`): 1-D operands are promoted to matrices and the
/// added axis removed afterwards; leading (batch) axes broadcast.
///
/// ```
/// use kusari_array::{array, ops::linalg::matmul};
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// let b = array![[5.0f32], [6.0]];
/// assert_eq!(matmul(&a, &b)?.to_vec::<f32>()?, vec![17.0, 39.0]);
/// # Ok::<(), kusari_array::Error>(())
/// ```
pub fn matmul(a: &Array, b: &Array) -> Result<Array> {
    Array::same_device("matmul", a, b)?;
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(Error::value(
            "matmul",
            "input operands must have at least one dimension (use multiply for scalars)",
        ));
    }
    let a2 = if a.ndim() == 1 {
        a.expand_dims(0)?
    } else {
        a.clone()
    };
    let b2 = if b.ndim() == 1 {
        b.expand_dims(-1)?
    } else {
        b.clone()
    };
    let (m, k) = (a2.shape()[a2.ndim() - 2], a2.shape()[a2.ndim() - 1]);
    let (k2, n) = (b2.shape()[b2.ndim() - 2], b2.shape()[b2.ndim() - 1]);
    if k != k2 {
        return Err(Error::shape(
            "matmul",
            format!(
                "shapes {:?} and {:?} not aligned: {k} (dim {}) != {k2} (dim {})",
                a.shape(),
                b.shape(),
                a.ndim() - 1,
                b.ndim().saturating_sub(2)
            ),
        ));
    }
    let batch = layout::broadcast_shapes(
        "matmul",
        &a2.shape()[..a2.ndim() - 2],
        &b2.shape()[..b2.ndim() - 2],
    )?;
    let dtype = a.dtype().promote(b.dtype());
    let mut out_shape: Vec<usize> = batch.to_vec();
    out_shape.extend([m, n]);
    let mut full_a = batch.to_vec();
    full_a.extend([m, k]);
    let mut full_b = batch.to_vec();
    full_b.extend([k, n]);
    let av = a2.broadcast_to(&full_a)?;
    let bv = b2.broadcast_to(&full_b)?;
    let out = matmul_into_new(&av, &bv, dtype, &out_shape)?;
    let mut drop: Vec<isize> = Vec::new();
    if a.ndim() == 1 {
        drop.push(-2);
    }
    if b.ndim() == 1 {
        drop.push(-1);
    }
    if drop.is_empty() {
        Ok(out)
    } else {
        out.squeeze(Some(&drop))
    }
}

/// `av @ bv` for operands already broadcast to `(*batch, m, k)` and `(*batch, k, n)`.
fn matmul_into_new(av: &Array, bv: &Array, dtype: DType, out_shape: &[usize]) -> Result<Array> {
    if let crate::Device::Cuda(_) = av.device() {
        return crate::backend::cuda::blas::matmul(av, bv, dtype, out_shape);
    }
    av.expect_cpu("matmul")?;
    let compute = match dtype {
        DType::F32 | DType::F64 => dtype,
        DType::F16 | DType::BF16 => DType::F32,
        _ => DType::I64,
    };
    let a = if av.dtype() == compute {
        av.clone()
    } else {
        av.astype(compute)?
    };
    let b = if bv.dtype() == compute {
        bv.clone()
    } else {
        bv.astype(compute)?
    };
    let mut out = Array::uninit_ordered(compute, out_shape, Order::C, None, av.device())?;
    let nd = out_shape.len();
    let (m, n, k) = (out_shape[nd - 2], out_shape[nd - 1], a.shape()[nd - 1]);
    if m * n > 0 && k == 0 {
        out.fill(0)?;
    }
    let batch = &out_shape[..nd - 2];
    let nb: usize = batch.iter().product();
    let offsets = |x: &Array| -> Vec<isize> {
        (0..nb)
            .map(|i| {
                let mut rem = i;
                let mut off = 0isize;
                for d in (0..batch.len()).rev() {
                    off += (rem % batch[d]) as isize * x.strides()[d];
                    rem /= batch[d];
                }
                off
            })
            .collect()
    };
    let (lo, ro, oo) = (offsets(&a), offsets(&b), offsets(&out));
    if m * n * k > 0 {
        let plan = GemmPlan {
            m,
            n,
            k,
            lhs_offsets: &lo,
            rhs_offsets: &ro,
            out_offsets: &oo,
            lhs_strides: (a.strides()[nd - 2], a.strides()[nd - 1]),
            rhs_strides: (b.strides()[nd - 2], b.strides()[nd - 1]),
            out_strides: (out.strides()[nd - 2], out.strides()[nd - 1]),
        };
        let op = out.host_ptr_mut()?;
        // SAFETY: offsets/strides derive from the arrays' own layouts; `out` is fresh.
        unsafe {
            match compute {
                DType::F32 => gemm_float::<f32>(
                    &plan,
                    a.host_ptr() as *const f32,
                    b.host_ptr() as *const f32,
                    op as *mut f32,
                ),
                DType::F64 => gemm_float::<f64>(
                    &plan,
                    a.host_ptr() as *const f64,
                    b.host_ptr() as *const f64,
                    op as *mut f64,
                ),
                _ => gemm_i64(
                    &plan,
                    a.host_ptr() as *const i64,
                    b.host_ptr() as *const i64,
                    op as *mut i64,
                ),
            }
        }
    }
    if out.dtype() == dtype {
        Ok(out)
    } else {
        out.astype(dtype)
    }
}

/// NumPy's `dot`: matmul for 1-D/2-D operands; for N-D, a sum product over
/// the last axis of `a` and the second-to-last of `b`; scalars multiply.
pub fn dot(a: &Array, b: &Array) -> Result<Array> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return a.multiply(b);
    }
    if a.ndim() <= 2 && b.ndim() <= 2 {
        return matmul(a, b);
    }
    let bax = if b.ndim() >= 2 {
        b.ndim() as isize - 2
    } else {
        0
    };
    tensordot(a, b, &[a.ndim() as isize - 1], &[bax])
}

/// NumPy's `tensordot(a, b, axes=(axes_a, axes_b))`: sums products over the paired axes.
pub fn tensordot(a: &Array, b: &Array, axes_a: &[isize], axes_b: &[isize]) -> Result<Array> {
    if axes_a.len() != axes_b.len() {
        return Err(Error::value(
            "tensordot",
            format!(
                "axes lists must have the same length, found {} and {}",
                axes_a.len(),
                axes_b.len()
            ),
        ));
    }
    let sa = layout::normalize_axes("tensordot", Some(axes_a), a.ndim())?;
    let sb = layout::normalize_axes("tensordot", Some(axes_b), b.ndim())?;
    for (&x, &y) in sa.iter().zip(&sb) {
        if a.shape()[x] != b.shape()[y] {
            return Err(Error::shape("tensordot", format!("shape-mismatch for sum: axis {x} of a has size {} but axis {y} of b has size {}", a.shape()[x], b.shape()[y])));
        }
    }
    let free_a: Vec<usize> = (0..a.ndim()).filter(|i| !sa.contains(i)).collect();
    let free_b: Vec<usize> = (0..b.ndim()).filter(|i| !sb.contains(i)).collect();
    let perm_a: Vec<isize> = free_a
        .iter()
        .chain(sa.iter())
        .map(|&i| i as isize)
        .collect();
    let perm_b: Vec<isize> = sb
        .iter()
        .chain(free_b.iter())
        .map(|&i| i as isize)
        .collect();
    let m: usize = free_a.iter().map(|&i| a.shape()[i]).product();
    let n: usize = free_b.iter().map(|&i| b.shape()[i]).product();
    let k: usize = sa.iter().map(|&i| a.shape()[i]).product();
    let a2 = a.transpose(Some(&perm_a))?.reshape_to(&[m, k])?;
    let b2 = b.transpose(Some(&perm_b))?.reshape_to(&[k, n])?;
    let r = matmul(&a2, &b2)?;
    let out_shape: Vec<usize> = free_a
        .iter()
        .map(|&i| a.shape()[i])
        .chain(free_b.iter().map(|&i| b.shape()[i]))
        .collect();
    r.reshape_to(&out_shape)
}

/// NumPy's `outer`: `out[i, j] = a.flat[i] * b.flat[j]`.
pub fn outer(a: &Array, b: &Array) -> Result<Array> {
    let x = a.ravel()?.expand_dims(1)?;
    let y = b.ravel()?.expand_dims(0)?;
    x.multiply(&y)
}

/// NumPy's `einsum` for explicit or implicit subscripts over any number of
/// operands (e.g. `"ij,jk->ik"`, `"bij,bjk->bik"`, `"ii->i"` is not supported:
/// repeated indices within one operand are rejected). Operands are aligned on
/// a common index space with broadcast views, multiplied pairwise, and summed;
/// memory grows with the product of all index sizes, so use `matmul`/`tensordot`
/// for large contractions.
pub fn einsum(subscripts: &str, operands: &[&Array]) -> Result<Array> {
    let s: String = subscripts.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match s.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (s.clone(), None),
    };
    let specs: Vec<&str> = lhs.split(',').collect();
    if specs.len() != operands.len() {
        return Err(Error::value(
            "einsum",
            format!(
                "subscripts name {} operands, but {} were given",
                specs.len(),
                operands.len()
            ),
        ));
    }
    let mut letters: Vec<char> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for (spec, op) in specs.iter().zip(operands) {
        if spec.chars().count() != op.ndim() {
            return Err(Error::value(
                "einsum",
                format!(
                    "subscripts {spec:?} name {} axes, but the operand has {} dimensions",
                    spec.chars().count(),
                    op.ndim()
                ),
            ));
        }
        let mut seen = Vec::new();
        for (c, &d) in spec.chars().zip(op.shape()) {
            if !c.is_ascii_alphabetic() {
                return Err(Error::value(
                    "einsum",
                    format!(
                        "invalid subscript {c:?}: expected letters (ellipsis is not supported)"
                    ),
                ));
            }
            if seen.contains(&c) {
                return Err(Error::value(
                    "einsum",
                    format!("repeated subscript {c:?} within one operand is not supported"),
                ));
            }
            seen.push(c);
            match letters.iter().position(|&l| l == c) {
                Some(i) if sizes[i] != d && d != 1 && sizes[i] != 1 => {
                    return Err(Error::shape(
                        "einsum",
                        format!(
                            "size of label {c:?} is {} in one operand and {d} in another",
                            sizes[i]
                        ),
                    ))
                }
                Some(i) => sizes[i] = sizes[i].max(d),
                None => {
                    letters.push(c);
                    sizes.push(d);
                }
            }
        }
    }
    let out_letters: Vec<char> = match rhs {
        Some(r) => r.chars().collect(),
        None => {
            // Implicit mode: letters that appear once, in alphabetical order.
            let mut v: Vec<char> = letters
                .iter()
                .copied()
                .filter(|c| lhs.matches(*c).count() == 1)
                .collect();
            v.sort();
            v
        }
    };
    for c in &out_letters {
        if !letters.contains(c) {
            return Err(Error::value(
                "einsum",
                format!("output subscript {c:?} does not appear in the inputs"),
            ));
        }
    }
    // Align every operand to the index order `letters`.
    let mut acc: Option<Array> = None;
    for (spec, op) in specs.iter().zip(operands) {
        let chars: Vec<char> = spec.chars().collect();
        let present: Vec<usize> = letters
            .iter()
            .filter_map(|l| chars.iter().position(|c| c == l))
            .collect();
        let perm: Vec<isize> = present.iter().map(|&i| i as isize).collect();
        let mut v = op.transpose(Some(&perm))?;
        for (li, l) in letters.iter().enumerate() {
            if !chars.contains(l) {
                v = v.expand_dims(li as isize)?;
            }
        }
        acc = Some(match acc {
            None => v,
            Some(a) => a.multiply(&v)?,
        });
    }
    let acc = acc.ok_or_else(|| Error::value("einsum", "at least one operand is required"))?;
    let summed: Vec<isize> = (0..letters.len())
        .filter(|&i| !out_letters.contains(&letters[i]))
        .map(|i| i as isize)
        .collect();
    let r = if summed.is_empty() {
        acc
    } else {
        acc.sum(Some(&summed), false)?
    };
    let remaining: Vec<char> = letters
        .iter()
        .copied()
        .filter(|c| out_letters.contains(c))
        .collect();
    let perm: Vec<isize> = out_letters
        .iter()
        .map(|c| remaining.iter().position(|r| r == c).expect("checked") as isize)
        .collect();
    r.transpose(Some(&perm))?.ascontiguousarray()
}

impl Array {
    /// `self @ other`, see [`matmul`].
    pub fn matmul(&self, other: &Array) -> Result<Array> {
        matmul(self, other)
    }
    /// NumPy's `dot`, see [`dot`].
    pub fn dot(&self, other: &Array) -> Result<Array> {
        dot(self, other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut o = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for t in 0..k {
                    o[i * n + j] += a[i * k + t] * b[t * n + j];
                }
            }
        }
        o
    }

    /// `gemm_slices` equals `matmul` (set and accumulate, f32 and f64,
    /// a size past one thread's block) and refuses wrong lengths and dtypes.
    #[test]
    fn gemm_slices_matches_matmul() {
        use super::gemm_slices;
        let (m, n, k) = (37, 70, 29);
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 13) % 7) as f64 - 3.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 11) as f64 * 0.5).collect();
        let want = Array::from_vec(a.clone(), &[m, k])
            .unwrap()
            .matmul(&Array::from_vec(b.clone(), &[k, n]).unwrap())
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        let mut c = vec![1.0f64; m * n];
        gemm_slices(m, n, k, &a, &b, &mut c, false).unwrap();
        assert_eq!(c, want);
        gemm_slices(m, n, k, &a, &b, &mut c, true).unwrap();
        assert_eq!(c, want.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
        let (a32, b32): (Vec<f32>, Vec<f32>) = (
            a.iter().map(|&v| v as f32).collect(),
            b.iter().map(|&v| v as f32).collect(),
        );
        let mut c32 = vec![0.0f32; m * n];
        gemm_slices(m, n, k, &a32, &b32, &mut c32, true).unwrap();
        assert_eq!(c32, want.iter().map(|&v| v as f32).collect::<Vec<_>>());
        let mut empty = vec![5.0f32; 4];
        gemm_slices(2, 2, 0, &[], &[], &mut empty, false).unwrap();
        assert_eq!(empty, [0.0; 4]);
        let e = gemm_slices(m, n, k, &a, &b[1..], &mut c, false).unwrap_err();
        assert!(e.to_string().contains("gemm_slices"), "{e}");
        let e = gemm_slices(1, 1, 1, &[1i32], &[1], &mut [0], false).unwrap_err();
        assert!(e.to_string().contains("float32 or float64"), "{e}");
    }

    #[test]
    fn matmul_matches_naive_for_every_layout() {
        let (m, k, n) = (33, 17, 29);
        let a = Array::arange(m * k)
            .unwrap()
            .astype(DType::F64)
            .unwrap()
            .reshape_to(&[m, k])
            .unwrap();
        let b = Array::arange(k * n)
            .unwrap()
            .astype(DType::F64)
            .unwrap()
            .reshape_to(&[k, n])
            .unwrap();
        let want = naive(
            &a.to_vec::<f64>().unwrap(),
            &b.to_vec::<f64>().unwrap(),
            m,
            k,
            n,
        );
        let af = a.asfortranarray().unwrap();
        let bt = b.t().ascontiguousarray().unwrap().t();
        for (x, y) in [(&a, &b), (&af, &b), (&a, &bt), (&af, &bt)] {
            assert_eq!(matmul(x, y).unwrap().to_vec::<f64>().unwrap(), want);
        }
        let a32 = a.astype(DType::F32).unwrap();
        let r = matmul(&a32, &b.astype(DType::F32).unwrap()).unwrap();
        assert_eq!(r.dtype(), DType::F32);
        let ai = a.astype(DType::I32).unwrap();
        let ri = matmul(&ai, &b.astype(DType::I32).unwrap()).unwrap();
        assert_eq!(ri.dtype(), DType::I32);
        assert_eq!(ri.to_vec::<f64>().unwrap(), want);
    }

    #[test]
    fn batched_broadcasting_and_vectors() {
        let a = Array::ones(&[2, 1, 3, 4], DType::F32).unwrap();
        let b = Array::ones(&[5, 4, 2], DType::F32).unwrap();
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.shape(), &[2, 5, 3, 2]);
        assert!(c.to_vec::<f32>().unwrap().iter().all(|&x| x == 4.0));
        let v = Array::ones(&[4], DType::F32).unwrap();
        assert_eq!(matmul(&v, &v).unwrap().shape(), &[] as &[usize]);
        assert_eq!(
            matmul(&b, &Array::ones(&[2], DType::F32).unwrap())
                .unwrap()
                .shape(),
            &[5, 4]
        );
    }

    #[test]
    fn misaligned_shapes_are_named() {
        let e = matmul(
            &Array::zeros(&[3, 4], DType::F32).unwrap(),
            &Array::zeros(&[5, 6], DType::F32).unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "matmul: shapes [3, 4] and [5, 6] not aligned: 4 (dim 1) != 5 (dim 0)"
        );
    }

    #[test]
    fn einsum_and_tensordot_agree_with_matmul() {
        let a = Array::arange(24)
            .unwrap()
            .astype(DType::F64)
            .unwrap()
            .reshape(&[2, 3, 4])
            .unwrap();
        let b = Array::arange(40)
            .unwrap()
            .astype(DType::F64)
            .unwrap()
            .reshape(&[2, 4, 5])
            .unwrap();
        let m = matmul(&a, &b).unwrap();
        let e = einsum("bij,bjk->bik", &[&a, &b]).unwrap();
        assert_eq!(m.to_vec::<f64>().unwrap(), e.to_vec::<f64>().unwrap());
        let t = tensordot(&a, &b.slice(&crate::s![0]).unwrap(), &[2], &[0]).unwrap();
        assert_eq!(t.shape(), &[2, 3, 5]);
        let tr = einsum("ij->ji", &[&a.slice(&crate::s![0]).unwrap()]).unwrap();
        assert_eq!(tr.shape(), &[4, 3]);
        let o = outer(&Array::arange(3).unwrap(), &Array::arange(2).unwrap()).unwrap();
        assert_eq!(o.to_vec::<i64>().unwrap(), vec![0, 0, 0, 1, 0, 2]);
    }
}

/// `(batch, n)` for a stack of square matrices, or the error of `op`.
fn square_batch(op: &'static str, a: &Array) -> Result<(usize, usize)> {
    let nd = a.ndim();
    if nd < 2 || a.shape()[nd - 1] != a.shape()[nd - 2] {
        return Err(Error::shape(
            op,
            format!(
                "expected a stack of square matrices (..., n, n), found shape {:?}",
                a.shape()
            ),
        ));
    }
    if !a.dtype().is_float() {
        return Err(Error::unsupported_dtype(op, "a float dtype", a.dtype()));
    }
    let n = a.shape()[nd - 1];
    Ok((a.shape()[..nd - 2].iter().product(), n))
}

/// Gauss-Jordan elimination with partial pivoting on one `n x n` matrix
/// `m` (row-major), turning `inv` (the identity on entry) into the inverse.
/// Returns the determinant (0 for a singular matrix, `inv` then undefined).
fn gauss_jordan(m: &mut [f64], inv: Option<&mut [f64]>, n: usize) -> f64 {
    let mut inv = inv;
    let mut det = 1.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i * n + c].abs().total_cmp(&m[j * n + c].abs()))
            .unwrap_or(c);
        if m[p * n + c] == 0.0 {
            return 0.0;
        }
        if p != c {
            for k in 0..n {
                m.swap(p * n + k, c * n + k);
                if let Some(v) = inv.as_deref_mut() {
                    v.swap(p * n + k, c * n + k);
                }
            }
            det = -det;
        }
        let d = m[c * n + c];
        det *= d;
        for k in 0..n {
            m[c * n + k] /= d;
            if let Some(v) = inv.as_deref_mut() {
                v[c * n + k] /= d;
            }
        }
        for r in 0..n {
            let f = m[r * n + c];
            if r == c || f == 0.0 {
                continue;
            }
            for k in 0..n {
                m[r * n + k] -= f * m[c * n + k];
                if let Some(v) = inv.as_deref_mut() {
                    v[r * n + k] -= f * v[c * n + k];
                }
            }
        }
    }
    det
}

/// NumPy's `linalg.inv` over the last two axes (batched), by Gauss-Jordan
/// elimination with partial pivoting in float64. A singular matrix is an error.
/// For a GPU array it runs on the host (one copy each way) and the result is
/// on the input's device.
pub fn inv(a: &Array) -> Result<Array> {
    let (batch, n) = square_batch("inv", a)?;
    let mut v = a.astype(DType::F64)?.to_vec::<f64>()?;
    let mut out = vec![0.0; v.len()];
    for b in 0..batch {
        let r = b * n * n..(b + 1) * n * n;
        let o = &mut out[r.clone()];
        for i in 0..n {
            o[i * n + i] = 1.0;
        }
        if gauss_jordan(&mut v[r], Some(o), n) == 0.0 {
            return Err(Error::value(
                "inv",
                format!("matrix {b} of the batch is singular"),
            ));
        }
    }
    // Computed on the host (no cuSOLVER path yet); the result goes back to
    // the input's device, so nothing moves devices silently.
    Array::from_vec(out, a.shape())?
        .astype(a.dtype())?
        .to_device(a.device())
}

/// NumPy's `linalg.det` over the last two axes (batched), in float64.
pub fn det(a: &Array) -> Result<Array> {
    let (batch, n) = square_batch("det", a)?;
    let mut v = a.astype(DType::F64)?.to_vec::<f64>()?;
    let d: Vec<f64> = (0..batch)
        .map(|b| gauss_jordan(&mut v[b * n * n..(b + 1) * n * n], None, n))
        .collect();
    // On the host, as `inv`; the result on the input's device.
    Array::from_vec(d, &a.shape()[..a.ndim() - 2])?
        .astype(a.dtype())?
        .to_device(a.device())
}

#[cfg(test)]
mod inv_det_tests {
    use super::*;

    #[test]
    fn inverse_and_determinant_of_a_batch() {
        // The second matrix needs a row swap (zero pivot).
        let a =
            Array::from_vec(vec![4.0f64, 7.0, 2.0, 6.0, 0.0, 1.0, 1.0, 0.0], &[2, 2, 2]).unwrap();
        let d = det(&a).unwrap().to_vec::<f64>().unwrap();
        assert!((d[0] - 10.0).abs() < 1e-12 && (d[1] + 1.0).abs() < 1e-12);
        let i = inv(&a).unwrap();
        let p = matmul(&a, &i).unwrap().to_vec::<f64>().unwrap();
        let eye = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0];
        for (x, y) in p.iter().zip(eye) {
            assert!((x - y).abs() < 1e-12);
        }
        let s = Array::from_vec(vec![1.0f32, 2.0, 2.0, 4.0], &[2, 2]).unwrap();
        assert!(inv(&s).is_err());
        assert_eq!(det(&s).unwrap().item::<f32>().unwrap(), 0.0);
        assert!(det(&Array::zeros(&[2, 3], DType::F64).unwrap()).is_err());
    }
}
