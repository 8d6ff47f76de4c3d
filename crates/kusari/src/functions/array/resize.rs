//! `resize_images`: bilinear (or nearest) resampling of `(n, c, h, w)` images.

use crate::array::{Array, Error, Result};
use crate::functions::{expect_float, matmul};
use crate::Variable;

/// How [`resize_images`] samples the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizeMode {
    /// Linear interpolation along each axis.
    Bilinear,
    /// The nearest input pixel (`floor(i * in / out)`).
    Nearest,
}

/// The `(out, n)` matrix that resamples an axis of length `n` to `out`,
/// with the source positions and weights of Chainer's
/// `compute_indices_and_weights`.
fn resample_matrix(n: usize, out: usize, mode: ResizeMode, align_corners: bool) -> Vec<f64> {
    let mut m = vec![0.0; out * n];
    for i in 0..out {
        let (v, w) = match mode {
            ResizeMode::Nearest => {
                let v = ((i as f64 * (n as f64 / out as f64)).floor()).min((n - 1) as f64);
                (v as usize, 0.0)
            }
            ResizeMode::Bilinear => {
                let p = if align_corners {
                    // NumPy's linspace(0, n - 1, out): the last point is exact.
                    if out == 1 {
                        0.0
                    } else if i == out - 1 {
                        (n - 1) as f64
                    } else {
                        i as f64 * ((n - 1) as f64 / (out - 1) as f64)
                    }
                } else {
                    ((i as f64 + 0.5) * (n as f64 / out as f64) - 0.5).max(0.0)
                };
                (p.trunc() as usize, p.fract())
            }
        };
        let v1 = (v + 1).min(n - 1);
        m[i * n + v] += 1.0 - w;
        m[i * n + v1] += w;
    }
    m
}

/// Resizes `(n, c, h, w)` images to `(n, c, out_h, out_w)` (Chainer's
/// `F.resize_images`). With `align_corners` (Chainer's default) the corner
/// pixels of input and output coincide; without, sampling follows OpenCV.
/// Computed as two products with constant interpolation matrices, so both
/// the gradient and its gradient are exact.
pub fn resize_images(
    x: &Variable,
    output_shape: (usize, usize),
    mode: ResizeMode,
    align_corners: bool,
) -> Result<Variable> {
    const OP: &str = "resize_images";
    expect_float(OP, "x", x.dtype())?;
    let shape = x.shape();
    if shape.len() != 4 {
        return Err(Error::Shape {
            op: OP,
            message: format!("expected x.ndim == 4, got {}", shape.len()),
        });
    }
    let (h, w) = (shape[2], shape[3]);
    let (oh, ow) = output_shape;
    if h == 0 || w == 0 || oh == 0 || ow == 0 {
        return Err(Error::Value {
            op: OP,
            message: format!(
                "expected non-empty input and output images, got input {h}x{w}, output {oh}x{ow}"
            ),
        });
    }
    let constant = |data: Vec<f64>, s: &[usize]| -> Result<Variable> {
        Ok(Variable::constant(
            Array::from_vec(data, s)?
                .astype(x.dtype())?
                .to_device(x.device())?,
        ))
    };
    let mh = constant(resample_matrix(h, oh, mode, align_corners), &[oh, h])?;
    let mw = constant(resample_matrix(w, ow, mode, align_corners), &[ow, w])?;
    matmul(&matmul(&mh, x)?, &mw.t())
}
