//! `bilinear`: Chainer's `F.bilinear`, composed of differentiable functions
//! (an outer product, a reshape and matmuls), so every order of gradient follows.

use crate::array::{Error, Result};
use crate::functions as F;
use crate::Variable;

/// Bilinear function, Chainer's `F.bilinear`:
/// `y[n, l] = Σ_jk e1[n, j] e2[n, k] W[j, k, l] + (e1 V1)[n, l] + (e2 V2)[n, l] + b[l]`.
///
/// `e1` and `e2` are flattened to `(N, J)` and `(N, K)`; `W` is `(J, K, L)`;
/// `V1` `(J, L)`, `V2` `(K, L)` and `b` `(L,)` are given all together or not
/// at all. Any float dtype is accepted (Chainer's is float32 only).
pub fn bilinear(
    e1: &Variable,
    e2: &Variable,
    w: &Variable,
    linear: Option<(&Variable, &Variable, &Variable)>,
) -> Result<Variable> {
    const OP: &str = "bilinear";
    let (s1, s2, sw) = (e1.shape(), e2.shape(), w.shape());
    if s1.is_empty() || s2.is_empty() || s1[0] != s2[0] {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected e1.shape[0] == e2.shape[0], got e1.shape {s1:?} and e2.shape {s2:?}"
            ),
        });
    }
    let n = s1[0];
    let j: usize = s1[1..].iter().product();
    let k: usize = s2[1..].iter().product();
    if sw.len() != 3 || sw[0] != j || sw[1] != k {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected W.shape == ({j}, {k}, L) for e1.shape {s1:?} and e2.shape {s2:?}, got W.shape {sw:?}"
            ),
        });
    }
    let l = sw[2];
    let a = F::reshape(e1, &[n, j, 1])?;
    let b = F::reshape(e2, &[n, 1, k])?;
    let outer = F::reshape(&F::mul(&a, &b)?, &[n, j * k])?;
    let mut y = F::matmul(&outer, &F::reshape(w, &[j * k, l])?)?;
    if let Some((v1, v2, bias)) = linear {
        if v1.shape() != [j, l] || v2.shape() != [k, l] || bias.shape() != [l] {
            return Err(Error::Shape {
                op: OP,
                message: format!(
                    "expected V1.shape ({j}, {l}), V2.shape ({k}, {l}) and b.shape ({l},), got {:?}, {:?} and {:?}",
                    v1.shape(),
                    v2.shape(),
                    bias.shape()
                ),
            });
        }
        y = F::add(&y, &F::matmul(&F::reshape(e1, &[n, j])?, v1)?)?;
        y = F::add(&y, &F::matmul(&F::reshape(e2, &[n, k])?, v2)?)?;
        y = F::add(&y, bias)?;
    }
    Ok(y)
}
