//! `im2col` as a differentiable function (Chainer's `F.im2col`).

use super::super::expect_float;
use super::convolution::expand;
use crate::array::ops::conv::{col2im, im2col as im2col_array, Window};
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

struct Im2Col {
    w: Window,
}

impl FunctionNode for Im2Col {
    fn label(&self) -> &str {
        "Im2Col"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float("im2col", "x", x[0].dtype())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let col = im2col_array(x[0], &self.w, 0.0)?;
        let s = col.shape();
        let nd = self.w.ksize.len();
        let mut shape = vec![s[0], s[1] * self.w.ksize.iter().product::<usize>()];
        shape.extend(&s[2 + nd..]);
        Ok(vec![col.reshape_to(&shape)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let in_shape = ctx.input_shape(0).to_vec();
        Ok(vec![Some(apply1(
            Col2Im {
                w: self.w.clone(),
                in_shape,
            },
            &[&gy[0]],
        )?)])
    }
}

/// The adjoint of `Im2Col`, from its `(N, C*K, *out)` output layout.
struct Col2Im {
    w: Window,
    in_shape: Vec<usize>,
}

impl FunctionNode for Col2Im {
    fn label(&self) -> &str {
        "Col2Im"
    }
    fn forward(&self, g: &[&Array]) -> Result<Vec<Array>> {
        let s = g[0].shape();
        let mut shape = vec![s[0], self.in_shape[1]];
        shape.extend(&self.w.ksize);
        shape.extend(&s[2..]);
        Ok(vec![col2im(
            &g[0].reshape_to(&shape)?,
            &self.w,
            &self.in_shape[2..],
        )?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gg: &[Variable]) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(apply1(Im2Col { w: self.w.clone() }, &[&gg[0]])?)])
    }
}

/// Extracts patches, Chainer's `F.im2col`: `x` `(N, C, H, W)` becomes
/// `(N, C * kh * kw, oh, ow)`, channel `c * kh * kw + ky * kw + kx` holding
/// tap `(ky, kx)` of channel `c`'s windows (padding reads zero).
/// `ksize`, `stride`, `pad`, `dilate` take one entry (both axes) or two.
pub fn im2col(
    x: &Variable,
    ksize: &[usize],
    stride: &[usize],
    pad: &[usize],
    cover_all: bool,
    dilate: &[usize],
) -> Result<Variable> {
    const OP: &str = "im2col";
    if x.ndim() != 4 {
        return Err(Error::Shape {
            op: OP,
            message: format!("expected x.ndim == 4, got x.shape {:?}", x.shape()),
        });
    }
    let w = Window {
        ksize: expand(OP, "ksize", ksize, 2)?,
        stride: expand(OP, "stride", stride, 2)?,
        pad: expand(OP, "pad", pad, 2)?,
        dilate: expand(OP, "dilate", dilate, 2)?,
        cover_all,
    };
    apply1(Im2Col { w }, &[x])
}
