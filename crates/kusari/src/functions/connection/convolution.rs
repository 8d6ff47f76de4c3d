//! Convolutions over any number of spatial axes: `convolution_nd` /
//! `convolution_2d`, `deconvolution_nd` / `deconvolution_2d`, and
//! `depthwise_convolution_2d`. Three nodes share the work, as in Chainer: the
//! convolution, the deconvolution (its input gradient), and the weight
//! gradient; each one's backward is written with the others, so gradients
//! of every order are available.

use super::super::{expect_float, expect_same_dtype};
use crate::array::ops::conv::{
    convolution, convolution_grad_weight, convolution_transpose, ConvParams,
};
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions as F;
use crate::Variable;

/// Options of the convolution functions (Chainer's keyword arguments).
///
/// A one-element `stride`, `pad` or `dilate` applies to every spatial axis
/// (Chainer's scalar form); otherwise give one entry per axis. A struct
/// with a builder stands in for Python's keyword arguments.
///
/// ```
/// use kusari::functions::ConvArgs;
/// let a = ConvArgs::default().stride(&[2]).pad(&[1, 0]).groups(2);
/// assert_eq!(a.groups, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvArgs {
    /// Step between windows (default 1).
    pub stride: Vec<usize>,
    /// Zero padding on both sides (default 0).
    pub pad: Vec<usize>,
    /// Spacing between kernel taps (default 1).
    pub dilate: Vec<usize>,
    /// Convolution: add windows so every input element is covered (default false).
    pub cover_all: bool,
    /// Number of channel groups (default 1).
    pub groups: usize,
    /// Deconvolution: the output's spatial size (default: the smallest that fits).
    pub outsize: Option<Vec<usize>>,
}

impl Default for ConvArgs {
    fn default() -> Self {
        ConvArgs {
            stride: vec![1],
            pad: vec![0],
            dilate: vec![1],
            cover_all: false,
            groups: 1,
            outsize: None,
        }
    }
}

impl ConvArgs {
    /// Sets `stride`.
    pub fn stride(mut self, s: &[usize]) -> Self {
        self.stride = s.to_vec();
        self
    }
    /// Sets `pad`.
    pub fn pad(mut self, p: &[usize]) -> Self {
        self.pad = p.to_vec();
        self
    }
    /// Sets `dilate`.
    pub fn dilate(mut self, d: &[usize]) -> Self {
        self.dilate = d.to_vec();
        self
    }
    /// Sets `cover_all`.
    pub fn cover_all(mut self, c: bool) -> Self {
        self.cover_all = c;
        self
    }
    /// Sets `groups`.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }
    /// Sets the deconvolution's `outsize`.
    pub fn outsize(mut self, o: &[usize]) -> Self {
        self.outsize = Some(o.to_vec());
        self
    }

    fn params(&self, op: &'static str, nd: usize) -> Result<ConvParams> {
        Ok(ConvParams {
            stride: expand(op, "stride", &self.stride, nd)?,
            pad: expand(op, "pad", &self.pad, nd)?,
            dilate: expand(op, "dilate", &self.dilate, nd)?,
            cover_all: self.cover_all,
            groups: self.groups,
        })
    }
}

/// A per-axis parameter from its scalar or per-axis form.
pub(crate) fn expand(op: &'static str, name: &str, v: &[usize], nd: usize) -> Result<Vec<usize>> {
    match v.len() {
        1 => Ok(vec![v[0]; nd]),
        n if n == nd => Ok(v.to_vec()),
        _ => Err(Error::Value {
            op,
            message: format!("expected {name} with 1 or {nd} entries, got {v:?}"),
        }),
    }
}

fn check_inputs(
    op: &'static str,
    x: &[&Array],
    nd: usize,
    transpose: bool,
    groups: usize,
) -> Result<()> {
    let (xa, w) = (x[0], x[1]);
    expect_float(op, "x", xa.dtype())?;
    expect_same_dtype(op, xa.dtype(), w.dtype())?;
    if xa.ndim() != nd + 2 || w.ndim() != nd + 2 {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected x.ndim == W.ndim == {}, got x.shape {:?} and W.shape {:?}",
                nd + 2,
                xa.shape(),
                w.shape()
            ),
        });
    }
    let ok = if transpose {
        xa.shape()[1] == w.shape()[0]
    } else {
        xa.shape()[1] == w.shape()[1] * groups
    };
    if !ok {
        let want = if transpose {
            "x.shape[1] == W.shape[0]"
        } else {
            "x.shape[1] == W.shape[1] * groups"
        };
        return Err(Error::Shape {
            op,
            message: format!(
                "expected {want}, got x.shape {:?}, W.shape {:?} and groups {groups}",
                xa.shape(),
                w.shape()
            ),
        });
    }
    if let Some(b) = x.get(2) {
        expect_same_dtype(op, xa.dtype(), b.dtype())?;
    }
    Ok(())
}

/// Sum of `gy` over every axis but the channel axis.
fn bias_grad(gy: &Variable) -> Result<Variable> {
    let axes: Vec<isize> = (0..gy.ndim() as isize).filter(|&a| a != 1).collect();
    F::sum(gy, Some(&axes), false)
}

struct ConvolutionNd {
    op: &'static str,
    p: ConvParams,
    has_bias: bool,
}

impl FunctionNode for ConvolutionNd {
    fn label(&self) -> &str {
        "ConvolutionND"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_inputs(self.op, x, self.p.stride.len(), false, self.p.groups)
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![convolution(x[0], x[1], x.get(2).copied(), &self.p)?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let gy = &gy[0];
        let (x, w) = (ctx.input(0), ctx.input(1));
        let mut out = Vec::with_capacity(3);
        out.push(if ctx.needs_input_grad(0) {
            let insize = ctx.input_shape(0)[2..].to_vec();
            Some(apply1(
                DeconvolutionNd {
                    op: self.op,
                    p: self.p.clone(),
                    outsize: insize,
                    has_bias: false,
                },
                &[gy, &w],
            )?)
        } else {
            None
        });
        out.push(if ctx.needs_input_grad(1) {
            let ksize = ctx.input_shape(1)[2..].to_vec();
            Some(apply1(
                ConvolutionGradW {
                    p: self.p.clone(),
                    ksize,
                },
                &[&x, gy],
            )?)
        } else {
            None
        });
        if self.has_bias {
            out.push(if ctx.needs_input_grad(2) {
                Some(bias_grad(gy)?)
            } else {
                None
            });
        }
        Ok(out)
    }
}

struct DeconvolutionNd {
    op: &'static str,
    p: ConvParams,
    outsize: Vec<usize>,
    has_bias: bool,
}

impl FunctionNode for DeconvolutionNd {
    fn label(&self) -> &str {
        "DeconvolutionND"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_inputs(self.op, x, self.p.stride.len(), true, self.p.groups)
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![convolution_transpose(
            x[0],
            x[1],
            x.get(2).copied(),
            &self.p,
            &self.outsize,
        )?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let gy = &gy[0];
        let (x, w) = (ctx.input(0), ctx.input(1));
        let mut out = Vec::with_capacity(3);
        out.push(if ctx.needs_input_grad(0) {
            Some(apply1(
                ConvolutionNd {
                    op: self.op,
                    p: self.p.clone(),
                    has_bias: false,
                },
                &[gy, &w],
            )?)
        } else {
            None
        });
        out.push(if ctx.needs_input_grad(1) {
            let ksize = ctx.input_shape(1)[2..].to_vec();
            Some(apply1(
                ConvolutionGradW {
                    p: self.p.clone(),
                    ksize,
                },
                &[gy, &x],
            )?)
        } else {
            None
        });
        if self.has_bias {
            out.push(if ctx.needs_input_grad(2) {
                Some(bias_grad(gy)?)
            } else {
                None
            });
        }
        Ok(out)
    }
}

/// The weight gradient of a convolution of `x` (input 0) giving `gy` (input 1).
struct ConvolutionGradW {
    p: ConvParams,
    ksize: Vec<usize>,
}

impl FunctionNode for ConvolutionGradW {
    fn label(&self) -> &str {
        "ConvolutionNDGradW"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![convolution_grad_weight(
            x[0],
            x[1],
            &self.ksize,
            &self.p,
        )?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        ggw: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let ggw = &ggw[0];
        let (x, gy) = (ctx.input(0), ctx.input(1));
        let gx = if ctx.needs_input_grad(0) {
            let insize = ctx.input_shape(0)[2..].to_vec();
            Some(apply1(
                DeconvolutionNd {
                    op: "convolution",
                    p: self.p.clone(),
                    outsize: insize,
                    has_bias: false,
                },
                &[&gy, ggw],
            )?)
        } else {
            None
        };
        let ggy = if ctx.needs_input_grad(1) {
            Some(apply1(
                ConvolutionNd {
                    op: "convolution",
                    p: self.p.clone(),
                    has_bias: false,
                },
                &[&x, ggw],
            )?)
        } else {
            None
        };
        Ok(vec![gx, ggy])
    }
}

fn conv(
    op: &'static str,
    nd: usize,
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    a: &ConvArgs,
) -> Result<Variable> {
    let p = a.params(op, nd)?;
    let f = ConvolutionNd {
        op,
        p,
        has_bias: b.is_some(),
    };
    match b {
        Some(b) => apply1(f, &[x, w, b]),
        None => apply1(f, &[x, w]),
    }
}

fn deconv(
    op: &'static str,
    nd: usize,
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    a: &ConvArgs,
) -> Result<Variable> {
    let mut p = a.params(op, nd)?;
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() != nd + 2 || ws.len() != nd + 2 {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected x.ndim == W.ndim == {}, got x.shape {xs:?} and W.shape {ws:?}",
                nd + 2
            ),
        });
    }
    let win = p.window(&ws[2..]);
    let outsize = match &a.outsize {
        Some(o) => {
            let o = expand(op, "outsize", o, nd)?;
            // As Chainer: an outsize the plain formula cannot reach needs cover_all.
            p.cover_all = win.outsize(op, &o)? != xs[2..];
            o
        }
        None => win.deconv_outsize(op, &xs[2..])?,
    };
    let f = DeconvolutionNd {
        op,
        p,
        outsize,
        has_bias: b.is_some(),
    };
    match b {
        Some(b) => apply1(f, &[x, w, b]),
        None => apply1(f, &[x, w]),
    }
}

/// Two-dimensional convolution, Chainer's `F.convolution_2d`: `x` `(N, C, H, W)`,
/// `w` `(O, C / groups, kh, kw)`, optional `b` `(O,)`; returns `(N, O, oh, ow)`.
pub fn convolution_2d(
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    args: &ConvArgs,
) -> Result<Variable> {
    conv("convolution_2d", 2, x, w, b, args)
}

/// N-dimensional convolution, Chainer's `F.convolution_nd` (the number of
/// spatial axes is `x.ndim - 2`).
pub fn convolution_nd(
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    args: &ConvArgs,
) -> Result<Variable> {
    let nd = x
        .ndim()
        .checked_sub(2)
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::Shape {
            op: "convolution_nd",
            message: format!("expected x.ndim >= 3, got x.shape {:?}", x.shape()),
        })?;
    conv("convolution_nd", nd, x, w, b, args)
}

/// Two-dimensional deconvolution (transposed convolution), Chainer's
/// `F.deconvolution_2d`: `x` `(N, C, H, W)`, `w` `(C, O / groups, kh, kw)`,
/// optional `b` `(O,)`; `args.outsize` picks the output size when several fit.
pub fn deconvolution_2d(
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    args: &ConvArgs,
) -> Result<Variable> {
    deconv("deconvolution_2d", 2, x, w, b, args)
}

/// N-dimensional deconvolution, Chainer's `F.deconvolution_nd`.
pub fn deconvolution_nd(
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    args: &ConvArgs,
) -> Result<Variable> {
    let nd = x
        .ndim()
        .checked_sub(2)
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::Shape {
            op: "deconvolution_nd",
            message: format!("expected x.ndim >= 3, got x.shape {:?}", x.shape()),
        })?;
    deconv("deconvolution_nd", nd, x, w, b, args)
}

/// Depthwise convolution, Chainer's `F.depthwise_convolution_2d`: `w` is
/// `(multiplier, C, kh, kw)`; output channel `c * multiplier + m` convolves
/// input channel `c` with `w[m, c]`. Only `stride` and `pad` of `args` apply.
pub fn depthwise_convolution_2d(
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    args: &ConvArgs,
) -> Result<Variable> {
    let ws = w.shape();
    if ws.len() != 4 {
        return Err(Error::Shape {
            op: "depthwise_convolution_2d",
            message: format!("expected W.ndim == 4, got W.shape {ws:?}"),
        });
    }
    let (m, c) = (ws[0], ws[1]);
    let wt = F::reshape(
        &F::transpose(w, Some(&[1, 0, 2, 3]))?,
        &[c * m, 1, ws[2], ws[3]],
    )?;
    let a = ConvArgs {
        stride: args.stride.clone(),
        pad: args.pad.clone(),
        groups: c,
        ..ConvArgs::default()
    };
    conv("depthwise_convolution_2d", 2, x, &wt, b, &a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::DType;
    use crate::functions::kernels::FORCE_KERNELS;

    /// A small convolutional network through the paths arrays off the CPU
    /// take (im2col/col2im kernels, matmul, the pooling kernels; forced on
    /// the CPU) against the CPU loops: outputs, first gradients and the
    /// second-order gradients of `sum(gx²)`, in float32 and float64.
    #[test]
    fn device_path_matches_the_loops() {
        let vals = |n: usize, seed: usize| -> Vec<f64> {
            (0..n)
                .map(|i| (((i + seed) * 7919) % 29) as f64 / 14.0 - 1.0)
                .collect()
        };
        for dtype in [DType::F32, DType::F64] {
            let run = |forced: bool| -> Vec<Vec<f64>> {
                FORCE_KERNELS.with(|f| f.set(forced));
                let arr = |shape: &[usize], seed: usize| {
                    let n = shape.iter().product();
                    Array::from_vec(vals(n, seed), shape)
                        .unwrap()
                        .astype(dtype)
                        .unwrap()
                };
                let x = Variable::new(arr(&[2, 4, 7, 6], 1));
                let w = Variable::new(arr(&[6, 2, 3, 3], 2));
                let b = Variable::new(arr(&[6], 3));
                let wd = Variable::new(arr(&[6, 3, 2, 2], 4));
                let args = ConvArgs::default().stride(&[1, 2]).pad(&[1]).groups(2);
                let h = convolution_2d(&x, &w, Some(&b), &args).unwrap();
                let h = F::relu(&h).unwrap();
                let h = F::max_pooling_2d(&h, &[2], None, &[0], true).unwrap();
                let h = deconvolution_2d(&h, &wd, None, &ConvArgs::default().stride(&[2])).unwrap();
                let y = F::average_pooling_nd(&h, &[3, 2], Some(&[2, 1]), &[1, 0], None).unwrap();
                let c = Variable::constant(arr(&y.shape(), 5));
                let loss = F::sum(&F::mul(&y, &c).unwrap(), None, false).unwrap();
                let gs = crate::grad(&[&loss], &[&x, &w, &b, &wd], None, true).unwrap();
                let gx = gs[0].clone().unwrap();
                let gg = F::sum(&F::mul(&gx, &gx).unwrap(), None, false).unwrap();
                let second = crate::grad(&[&gg], &[&w, &wd], None, false).unwrap();
                FORCE_KERNELS.with(|f| f.set(false));
                let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                let mut out = vec![v(&y.data())];
                out.extend(
                    gs.iter()
                        .chain(&second)
                        .map(|g| v(&g.as_ref().unwrap().data())),
                );
                out
            };
            let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
            let (cpu, dev) = (run(false), run(true));
            for (k, (a, b)) in cpu.iter().zip(&dev).enumerate() {
                assert_eq!(a.len(), b.len(), "{dtype} output {k}");
                let scale = a.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                for (p, q) in a.iter().zip(b) {
                    assert!(
                        (p - q).abs() <= tol * scale,
                        "{dtype} output {k}: loop {p}, device path {q}"
                    );
                }
            }
        }
    }
}
