//! `matmul` on CUDA through cuBLAS.
//!
//! cuBLAS is column-major; a row-major `C = A·B` is the column-major
//! `Cᵀ = Bᵀ·Aᵀ`, so the operands are passed swapped and nothing is copied.
//! Each operand's last two axes may be row-major or column-major with any
//! leading dimension (so `a.t()` needs no copy) and its batch axes must
//! advance by one stride (broadcast batches have stride 0). f32/f64 use
//! `cublas{S,D}gemmStridedBatched`; f16/bf16 use `cublasGemmStridedBatchedEx`
//! accumulating in f32.

use crate::{Array, DType, Device, Error, Result};
use cudarc::cublas::{result as br, sys as bsys};
use std::ffi::c_void;

const OP: &str = "matmul";

/// How one operand's matrix sits in memory, as cuBLAS sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MatLayout {
    /// Row-major in kusari's terms (no transpose in the swapped call).
    pub row_major: bool,
    /// cuBLAS's leading dimension, in elements.
    pub ld: i64,
}

/// The layout of a `rows × cols` matrix with element strides `(sr, sc)`, or
/// `None` when cuBLAS cannot read it in place.
pub(crate) fn matrix_layout(rows: usize, cols: usize, sr: isize, sc: isize) -> Option<MatLayout> {
    let (r, c) = (rows.max(1) as isize, cols.max(1) as isize);
    if (sc == 1 || cols <= 1) && (rows <= 1 || sr >= c) {
        let ld = if rows <= 1 { c } else { sr };
        return Some(MatLayout {
            row_major: true,
            ld: ld as i64,
        });
    }
    if (sr == 1 || rows <= 1) && (cols <= 1 || sc >= r) {
        let ld = if cols <= 1 { r } else { sc };
        return Some(MatLayout {
            row_major: false,
            ld: ld as i64,
        });
    }
    None
}

/// The one stride by which batch offsets advance (`0` for a single or
/// broadcast batch), or `None` when they do not form one progression.
pub(crate) fn uniform_stride(offsets: &[isize]) -> Option<i64> {
    match offsets {
        [] | [_] => Some(0),
        [first, second, ..] => {
            let s = second - first;
            if s < 0 || *first != 0 {
                return None;
            }
            offsets
                .iter()
                .enumerate()
                .all(|(i, &o)| o == i as isize * s)
                .then_some(s as i64)
        }
    }
}

fn unsupported(what: String) -> Error {
    Error::Device {
        op: OP,
        message: format!(
            "{what} is not yet supported on CUDA (make the operands contiguous, or use the CPU)"
        ),
    }
}

fn to_int(name: &str, v: i64) -> Result<i32> {
    i32::try_from(v).map_err(|_| {
        Error::value(
            OP,
            format!("expected {name} to fit cuBLAS's 32-bit int, found {v}"),
        )
    })
}

/// Element offsets of each batch entry (row-major over the batch axes) of `x`.
fn batch_offsets(x: &Array, batch: &[usize]) -> Vec<isize> {
    let nb: usize = batch.iter().product();
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
}

/// `a @ b` for CUDA operands already broadcast to `(*batch, m, k)` and
/// `(*batch, k, n)`, giving a new C-contiguous `dtype` array.
pub(crate) fn matmul(a: &Array, b: &Array, dtype: DType, out_shape: &[usize]) -> Result<Array> {
    let Device::Cuda(ordinal) = a.device() else {
        return Err(Error::Device {
            op: OP,
            message: format!("expected arrays on cuda, found {}", a.device()),
        });
    };
    if !matches!(dtype, DType::F32 | DType::F64 | DType::F16 | DType::BF16) {
        return Err(unsupported(format!("matmul of {dtype} arrays")));
    }
    if a.dtype() != dtype || b.dtype() != dtype {
        return Err(unsupported(format!(
            "matmul of mixed dtypes ({} and {})",
            a.dtype(),
            b.dtype()
        )));
    }
    let nd = out_shape.len();
    let (m, n, k) = (out_shape[nd - 2], out_shape[nd - 1], a.shape()[nd - 1]);
    let device = a.device();
    if m * n == 0 {
        return Array::uninit_ordered(dtype, out_shape, crate::Order::C, None, device);
    }
    if k == 0 {
        return Array::zeros_on(out_shape, dtype, device);
    }
    let out = Array::uninit_ordered(dtype, out_shape, crate::Order::C, None, device)?;
    let batch = &out_shape[..nd - 2];
    let la = matrix_layout(m, k, a.strides()[nd - 2], a.strides()[nd - 1]).ok_or_else(|| {
        unsupported(format!(
            "matmul of a left operand with strides {:?}",
            a.strides()
        ))
    })?;
    let lb = matrix_layout(k, n, b.strides()[nd - 2], b.strides()[nd - 1]).ok_or_else(|| {
        unsupported(format!(
            "matmul of a right operand with strides {:?}",
            b.strides()
        ))
    })?;
    let sa = uniform_stride(&batch_offsets(a, batch)).ok_or_else(|| {
        unsupported(format!(
            "matmul over batch axes with strides {:?}",
            a.strides()
        ))
    })?;
    let sb = uniform_stride(&batch_offsets(b, batch)).ok_or_else(|| {
        unsupported(format!(
            "matmul over batch axes with strides {:?}",
            b.strides()
        ))
    })?;
    let nb: usize = batch.iter().product();
    let sc = (m * n) as i64;
    let (mi, ni, ki) = (
        to_int("m", m as i64)?,
        to_int("n", n as i64)?,
        to_int("k", k as i64)?,
    );
    let nbi = to_int("the batch size", nb as i64)?;
    let (lda, ldb) = (to_int("lda", lb.ld)?, to_int("ldb", la.ld)?);
    let trans = |row_major: bool| {
        if row_major {
            bsys::cublasOperation_t::CUBLAS_OP_N
        } else {
            bsys::cublasOperation_t::CUBLAS_OP_T
        }
    };
    // Swapped: cuBLAS's A is our B, its B is our A.
    let (ta, tb) = (trans(lb.row_major), trans(la.row_major));
    let (pa, pb) = (b.device_ptr(OP)?, a.device_ptr(OP)?);
    let pc = out.device_ptr(OP)?;
    let dev = super::device(ordinal)?;
    dev.with_blas(OP, |blas| {
        let h = *blas.handle();
        // SAFETY: pointers address live device arrays whose layouts were
        // checked above to cover every element cuBLAS reads or writes; alpha
        // and beta are host values of the compute type.
        let r = unsafe {
            match dtype {
                DType::F32 => {
                    let (alpha, beta) = (1f32, 0f32);
                    br::sgemm_strided_batched(
                        h,
                        ta,
                        tb,
                        ni,
                        mi,
                        ki,
                        &alpha,
                        pa as *const f32,
                        lda,
                        sb,
                        pb as *const f32,
                        ldb,
                        sa,
                        &beta,
                        pc as *mut f32,
                        ni,
                        sc,
                        nbi,
                    )
                }
                DType::F64 => {
                    let (alpha, beta) = (1f64, 0f64);
                    br::dgemm_strided_batched(
                        h,
                        ta,
                        tb,
                        ni,
                        mi,
                        ki,
                        &alpha,
                        pa as *const f64,
                        lda,
                        sb,
                        pb as *const f64,
                        ldb,
                        sa,
                        &beta,
                        pc as *mut f64,
                        ni,
                        sc,
                        nbi,
                    )
                }
                _ => {
                    let ty = if dtype == DType::F16 {
                        bsys::cudaDataType::CUDA_R_16F
                    } else {
                        bsys::cudaDataType::CUDA_R_16BF
                    };
                    let (alpha, beta) = (1f32, 0f32);
                    br::gemm_strided_batched_ex(
                        h,
                        ta,
                        tb,
                        ni,
                        mi,
                        ki,
                        std::ptr::from_ref(&alpha).cast::<c_void>(),
                        pa as *const c_void,
                        ty,
                        lda,
                        sb,
                        pb as *const c_void,
                        ty,
                        ldb,
                        sa,
                        std::ptr::from_ref(&beta).cast::<c_void>(),
                        pc as *mut c_void,
                        ty,
                        ni,
                        sc,
                        nbi,
                        bsys::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                        bsys::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
                    )
                }
            }
        };
        r.map_err(|e| Error::Device {
            op: OP,
            message: format!("cuBLAS gemm failed: {e}"),
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_cublas_can_read() {
        // C-contiguous 3x4.
        assert_eq!(
            matrix_layout(3, 4, 4, 1),
            Some(MatLayout {
                row_major: true,
                ld: 4
            })
        );
        // Its transpose (a.t() of a 4x3): column-major with ld 3.
        assert_eq!(
            matrix_layout(3, 4, 1, 3),
            Some(MatLayout {
                row_major: false,
                ld: 3
            })
        );
        // Rows of a wider matrix (a[:, :4] of a 3x10): row-major with ld 10.
        assert_eq!(
            matrix_layout(3, 4, 10, 1),
            Some(MatLayout {
                row_major: true,
                ld: 10
            })
        );
        // Vectors: any stride on the unit axis.
        assert_eq!(
            matrix_layout(1, 5, 99, 1),
            Some(MatLayout {
                row_major: true,
                ld: 5
            })
        );
        assert_eq!(
            matrix_layout(5, 1, 1, 7),
            Some(MatLayout {
                row_major: true,
                ld: 1
            })
        );
        // Every other column, broadcast rows, reversed: not in place.
        assert_eq!(matrix_layout(3, 4, 8, 2), None);
        assert_eq!(matrix_layout(3, 4, 0, 1), None);
        assert_eq!(matrix_layout(3, 4, -4, 1), None);
        // Overlapping rows (ld smaller than a row) are rejected.
        assert_eq!(matrix_layout(3, 4, 2, 1), None);
    }

    #[test]
    fn batch_strides() {
        assert_eq!(uniform_stride(&[]), Some(0));
        assert_eq!(uniform_stride(&[0]), Some(0));
        assert_eq!(uniform_stride(&[0, 12, 24]), Some(12));
        assert_eq!(uniform_stride(&[0, 0, 0]), Some(0));
        assert_eq!(uniform_stride(&[0, 12, 30]), None);
        // Two batch axes where one broadcasts: 0, 6, 0, 6 is no progression.
        assert_eq!(uniform_stride(&[0, 6, 0, 6]), None);
        assert_eq!(uniform_stride(&[0, -6]), None);
    }

    #[test]
    fn host_operands_are_refused() {
        let a = Array::ones(&[2, 2], DType::F32).unwrap();
        let e = matmul(&a, &a, DType::F32, &[2, 2]).unwrap_err().to_string();
        assert!(e.contains("cuda") && e.contains("cpu"), "{e}");
    }
}
