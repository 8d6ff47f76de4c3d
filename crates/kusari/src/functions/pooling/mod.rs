//! Pooling functions (Chainer's `chainer.functions.pooling`): max and
//! average pooling over any number of spatial axes, unpooling and
//! upsampling (and RoI pooling, in its own module). Four nodes do all of it: max pooling, its scatter (gradient
//! and upsampling), its gather (second-order gradient), and average/sum
//! pooling with its adjoint; each one's backward is another of them.

pub(crate) mod roi_pooling_2d;
pub use roi_pooling_2d::roi_pooling_2d;

use super::connection::expand;
use super::expect_float;
use crate::array::ops::conv::Window;
use crate::array::ops::pool::{
    average_pooling, average_pooling_grad, max_pooling, max_pooling_gather, max_pooling_scatter,
    PoolDivisor,
};
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;
use std::cell::RefCell;
use std::rc::Rc;

struct MaxPoolingNd {
    w: Window,
    indexes: RefCell<Option<Rc<Array>>>,
}

impl FunctionNode for MaxPoolingNd {
    fn label(&self) -> &str {
        "MaxPoolingND"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float("max_pooling_nd", "x", x[0].dtype())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let (y, idx) = max_pooling(x[0], &self.w)?;
        *self.indexes.borrow_mut() = Some(Rc::new(idx));
        Ok(vec![y])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let f = MaxPoolingScatter {
            w: self.w.clone(),
            indexes: self
                .indexes
                .borrow()
                .clone()
                .expect("indexes set by forward"),
            in_size: ctx.input_shape(0)[2..].to_vec(),
        };
        Ok(vec![Some(apply1(f, &[&gy[0]])?)])
    }
}

/// `gy` put at the argmax positions (the gradient of max pooling; upsampling).
struct MaxPoolingScatter {
    w: Window,
    indexes: Rc<Array>,
    in_size: Vec<usize>,
}

impl FunctionNode for MaxPoolingScatter {
    fn label(&self) -> &str {
        "MaxPoolingNDGrad"
    }
    fn forward(&self, g: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![max_pooling_scatter(
            g[0],
            &self.indexes,
            &self.w,
            &self.in_size,
        )?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gg: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let f = MaxPoolingGather {
            w: self.w.clone(),
            indexes: self.indexes.clone(),
        };
        Ok(vec![Some(apply1(f, &[&gg[0]])?)])
    }
}

/// `x` read at the argmax positions (Chainer's `MaxPoolingWithIndexes`).
struct MaxPoolingGather {
    w: Window,
    indexes: Rc<Array>,
}

impl FunctionNode for MaxPoolingGather {
    fn label(&self) -> &str {
        "MaxPoolingWithIndexes"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![max_pooling_gather(x[0], &self.indexes, &self.w)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let f = MaxPoolingScatter {
            w: self.w.clone(),
            indexes: self.indexes.clone(),
            in_size: ctx.input_shape(0)[2..].to_vec(),
        };
        Ok(vec![Some(apply1(f, &[&gy[0]])?)])
    }
}

struct AveragePoolingNd {
    w: Window,
    div: PoolDivisor,
}

impl FunctionNode for AveragePoolingNd {
    fn label(&self) -> &str {
        "AveragePoolingND"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float("average_pooling_nd", "x", x[0].dtype())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![average_pooling(x[0], &self.w, self.div)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let f = AveragePoolingGrad {
            w: self.w.clone(),
            div: self.div,
            in_size: ctx.input_shape(0)[2..].to_vec(),
        };
        Ok(vec![Some(apply1(f, &[&gy[0]])?)])
    }
}

/// The adjoint of average pooling (its gradient; unpooling with divisor one).
struct AveragePoolingGrad {
    w: Window,
    div: PoolDivisor,
    in_size: Vec<usize>,
}

impl FunctionNode for AveragePoolingGrad {
    fn label(&self) -> &str {
        "AveragePoolingNDGrad"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float("unpooling", "x", x[0].dtype())
    }
    fn forward(&self, g: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![average_pooling_grad(
            g[0],
            &self.w,
            &self.in_size,
            self.div,
        )?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gg: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let f = AveragePoolingNd {
            w: self.w.clone(),
            div: self.div,
        };
        Ok(vec![Some(apply1(f, &[&gg[0]])?)])
    }
}

/// The window of a pooling call; `stride` defaults to `ksize` as in Chainer.
fn window(
    op: &'static str,
    x: &Variable,
    nd: Option<usize>,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    cover_all: bool,
) -> Result<(usize, Window)> {
    let nd = match nd {
        Some(nd) if x.ndim() != nd + 2 => {
            return Err(Error::Shape {
                op,
                message: format!("expected x.ndim == {}, got x.shape {:?}", nd + 2, x.shape()),
            })
        }
        Some(nd) => nd,
        None => x
            .ndim()
            .checked_sub(2)
            .filter(|&n| n > 0)
            .ok_or_else(|| Error::Shape {
                op,
                message: format!("expected x.ndim >= 3, got x.shape {:?}", x.shape()),
            })?,
    };
    let k = expand(op, "ksize", ksize, nd)?;
    let s = match stride {
        Some(s) => expand(op, "stride", s, nd)?,
        None => k.clone(),
    };
    let w = Window {
        ksize: k,
        stride: s,
        pad: expand(op, "pad", pad, nd)?,
        dilate: vec![1; nd],
        cover_all,
    };
    Ok((nd, w))
}

fn max_pool(
    op: &'static str,
    nd: Option<usize>,
    x: &Variable,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    cover_all: bool,
) -> Result<(Variable, Array)> {
    let (_, w) = window(op, x, nd, ksize, stride, pad, cover_all)?;
    // Checked here so that the error names the function called.
    w.outsize(op, &x.shape()[2..])?;
    let f = MaxPoolingNd {
        w,
        indexes: RefCell::new(None),
    };
    // The node moves into the graph; keep a handle on the indexes it fills.
    let cell = Rc::new(RefCell::new(None::<Rc<Array>>));
    let y = apply1(
        IndexesOut {
            inner: f,
            out: cell.clone(),
        },
        &[x],
    )?;
    let idx = cell.borrow().clone().expect("forward ran");
    Ok((y, (*idx).clone()))
}

/// Wraps max pooling to hand its indexes to the caller (`return_indices`).
struct IndexesOut {
    inner: MaxPoolingNd,
    out: Rc<RefCell<Option<Rc<Array>>>>,
}

impl FunctionNode for IndexesOut {
    fn label(&self) -> &str {
        self.inner.label()
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        self.inner.check_type(x)
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let y = self.inner.forward(x)?;
        *self.out.borrow_mut() = self.inner.indexes.borrow().clone();
        Ok(y)
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        self.inner.backward(ctx, gy)
    }
}

/// Spatial max pooling, Chainer's `F.max_pooling_2d`. `ksize`, `stride` and
/// `pad` take one entry (both axes) or two; `stride` defaults to `ksize`;
/// `cover_all` (Chainer's default is `true`) adds windows so that the last
/// input rows and columns are covered.
pub fn max_pooling_2d(
    x: &Variable,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    cover_all: bool,
) -> Result<Variable> {
    Ok(max_pool("max_pooling_2d", Some(2), x, ksize, stride, pad, cover_all)?.0)
}

/// [`max_pooling_2d`] that also returns the argmax positions
/// (Chainer's `return_indices=True`): `int32`, the output's shape, each the
/// window-local index `ky * kw + kx`, as [`upsampling_2d`] takes them.
pub fn max_pooling_2d_with_indices(
    x: &Variable,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    cover_all: bool,
) -> Result<(Variable, Array)> {
    max_pool("max_pooling_2d", Some(2), x, ksize, stride, pad, cover_all)
}

/// N-dimensional max pooling, Chainer's `F.max_pooling_nd` (spatial axes: `x.ndim - 2`).
pub fn max_pooling_nd(
    x: &Variable,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    cover_all: bool,
) -> Result<Variable> {
    Ok(max_pool("max_pooling_nd", None, x, ksize, stride, pad, cover_all)?.0)
}

/// Spatial average pooling, Chainer's `F.average_pooling_2d`: padded
/// elements count as zeros in the divisor (it always divides by `kh * kw`).
pub fn average_pooling_2d(
    x: &Variable,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
) -> Result<Variable> {
    let (_, w) = window("average_pooling_2d", x, Some(2), ksize, stride, pad, false)?;
    w.outsize("average_pooling_2d", &x.shape()[2..])?;
    apply1(
        AveragePoolingNd {
            w,
            div: PoolDivisor::WindowSize,
        },
        &[x],
    )
}

/// N-dimensional average pooling, Chainer's `F.average_pooling_nd`:
/// `pad_value` `Some(0.0)` counts padding as zeros in the divisor; `None`
/// divides by the number of taps inside the input. Other values are an error, as in Chainer.
pub fn average_pooling_nd(
    x: &Variable,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    pad_value: Option<f64>,
) -> Result<Variable> {
    const OP: &str = "average_pooling_nd";
    let div = match pad_value {
        None => PoolDivisor::Valid,
        Some(0.0) => PoolDivisor::WindowSize,
        Some(v) => {
            return Err(Error::Value {
                op: OP,
                message: format!("expected pad_value 0 or None, got {v}"),
            })
        }
    };
    let (_, w) = window(OP, x, None, ksize, stride, pad, false)?;
    w.outsize(OP, &x.shape()[2..])?;
    apply1(AveragePoolingNd { w, div }, &[x])
}

fn outsize_2d(
    op: &'static str,
    x: &Variable,
    w: &Window,
    outsize: Option<&[usize]>,
) -> Result<Vec<usize>> {
    let o = match outsize {
        Some(o) => expand(op, "outsize", o, 2)?,
        None => w.deconv_outsize(op, &x.shape()[2..])?,
    };
    let back = w.outsize(op, &o)?;
    if back != x.shape()[2..] {
        return Err(Error::Shape {
            op,
            message: format!(
                "outsize {o:?} does not match x.shape {:?}: pooling it gives {back:?}",
                x.shape()
            ),
        });
    }
    Ok(o)
}

/// Inverse of pooling, Chainer's `F.unpooling_2d`: each element of `x` is
/// copied over its window of the output, overlapping windows summing.
/// `outsize` defaults to the smallest size whose pooling is `x`'s size.
pub fn unpooling_2d(
    x: &Variable,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    outsize: Option<&[usize]>,
    cover_all: bool,
) -> Result<Variable> {
    const OP: &str = "unpooling_2d";
    let (_, w) = window(OP, x, Some(2), ksize, stride, pad, cover_all)?;
    let in_size = outsize_2d(OP, x, &w, outsize)?;
    apply1(
        AveragePoolingGrad {
            w,
            div: PoolDivisor::One,
            in_size,
        },
        &[x],
    )
}

/// Upsampling with pooling indices, Chainer's `F.upsampling_2d`: each element
/// of `x` goes to the position `indexes` (from [`max_pooling_2d_with_indices`])
/// picks in its window; the rest are zeros.
#[allow(clippy::too_many_arguments)]
pub fn upsampling_2d(
    x: &Variable,
    indexes: &Array,
    ksize: &[usize],
    stride: Option<&[usize]>,
    pad: &[usize],
    outsize: Option<&[usize]>,
    cover_all: bool,
) -> Result<Variable> {
    const OP: &str = "upsampling_2d";
    let (_, w) = window(OP, x, Some(2), ksize, stride, pad, cover_all)?;
    expect_float(OP, "x", x.dtype())?;
    if indexes.shape() != &x.shape()[..] {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected indexes.shape == x.shape, got {:?} and {:?}",
                indexes.shape(),
                x.shape()
            ),
        });
    }
    let in_size = outsize_2d(OP, x, &w, outsize)?;
    let f = MaxPoolingScatter {
        w,
        indexes: Rc::new(indexes.clone()),
        in_size,
    };
    apply1(f, &[x])
}
