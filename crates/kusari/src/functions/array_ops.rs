//! Shape functions: `sum`, `sum_to`, `broadcast_to`, `reshape`, `transpose`.

use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

struct Sum {
    axes: Option<Vec<isize>>,
    keepdims: bool,
}

impl FunctionNode for Sum {
    fn label(&self) -> &str {
        "Sum"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].sum(self.axes.as_deref(), self.keepdims)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let shape = ctx.input_shape(0);
        let mut g = gy[0].clone();
        if !self.keepdims {
            // Put the reduced axes back as length-1 axes, then broadcast.
            let nd = shape.len() as isize;
            let mut axes: Vec<usize> = match &self.axes {
                None => (0..shape.len()).collect(),
                Some(a) => a
                    .iter()
                    .map(|&x| if x < 0 { (x + nd) as usize } else { x as usize })
                    .collect(),
            };
            axes.sort_unstable();
            let mut kshape = g.shape();
            for a in axes {
                kshape.insert(a, 1);
            }
            g = reshape(&g, &kshape)?;
        }
        Ok(vec![Some(broadcast_to(&g, &shape)?)])
    }
}

/// Sum over `axes` (all when `None`), Chainer's `F.sum`.
pub fn sum(x: &Variable, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    apply1(
        Sum {
            axes: axes.map(|a| a.to_vec()),
            keepdims,
        },
        &[x],
    )
}

struct SumTo {
    shape: Vec<usize>,
}

/// Sums `a` down to `shape` (the reverse of broadcasting).
pub(crate) fn sum_to_array(a: &Array, shape: &[usize]) -> Result<Array> {
    if a.shape() == shape {
        return Ok(a.clone());
    }
    let lead = a
        .ndim()
        .checked_sub(shape.len())
        .ok_or_else(|| Error::Shape {
            op: "sum_to",
            message: format!(
                "cannot sum shape {:?} to the longer shape {shape:?}",
                a.shape()
            ),
        })?;
    let mut axes: Vec<isize> = (0..lead as isize).collect();
    for (i, &d) in shape.iter().enumerate() {
        let have = a.shape()[lead + i];
        if d == 1 && have != 1 {
            axes.push((lead + i) as isize);
        } else if d != have {
            return Err(Error::Shape {
                op: "sum_to",
                message: format!("cannot sum shape {:?} to {shape:?}", a.shape()),
            });
        }
    }
    let s = a.sum(Some(&axes), true)?;
    s.reshape_to(shape)
}

impl FunctionNode for SumTo {
    fn label(&self) -> &str {
        "SumTo"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![sum_to_array(x[0], &self.shape)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(broadcast_to(&gy[0], &ctx.input_shape(0))?)])
    }
}

/// Sums `x` down to `shape`, Chainer's `F.sum_to` (the gradient of broadcasting).
pub fn sum_to(x: &Variable, shape: &[usize]) -> Result<Variable> {
    if x.data().shape() == shape {
        return Ok(x.clone());
    }
    apply1(
        SumTo {
            shape: shape.to_vec(),
        },
        &[x],
    )
}

struct BroadcastTo {
    shape: Vec<usize>,
}

impl FunctionNode for BroadcastTo {
    fn label(&self) -> &str {
        "BroadcastTo"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].broadcast_to(&self.shape)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(sum_to(&gy[0], &ctx.input_shape(0))?)])
    }
}

/// Broadcasts `x` to `shape`, Chainer's `F.broadcast_to`.
pub fn broadcast_to(x: &Variable, shape: &[usize]) -> Result<Variable> {
    if x.data().shape() == shape {
        return Ok(x.clone());
    }
    apply1(
        BroadcastTo {
            shape: shape.to_vec(),
        },
        &[x],
    )
}

struct Reshape {
    shape: Vec<usize>,
}

impl FunctionNode for Reshape {
    fn label(&self) -> &str {
        "Reshape"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].reshape_to(&self.shape)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(reshape(&gy[0], &ctx.input_shape(0))?)])
    }
}

/// Gives `x` a new shape with the same number of elements, Chainer's `F.reshape`.
pub fn reshape(x: &Variable, shape: &[usize]) -> Result<Variable> {
    if x.data().shape() == shape {
        return Ok(x.clone());
    }
    apply1(
        Reshape {
            shape: shape.to_vec(),
        },
        &[x],
    )
}

struct Transpose {
    axes: Option<Vec<isize>>,
}

impl FunctionNode for Transpose {
    fn label(&self) -> &str {
        "Transpose"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].transpose(self.axes.as_deref())?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let inverse = self.axes.as_ref().map(|axes| {
            let n = axes.len() as isize;
            let mut inv = vec![0isize; axes.len()];
            for (i, &a) in axes.iter().enumerate() {
                inv[if a < 0 { (a + n) as usize } else { a as usize }] = i as isize;
            }
            inv
        });
        Ok(vec![Some(transpose(&gy[0], inverse.as_deref())?)])
    }
}

/// Permutes the axes of `x` (reverses them for `None`), Chainer's `F.transpose`.
pub fn transpose(x: &Variable, axes: Option<&[isize]>) -> Result<Variable> {
    apply1(
        Transpose {
            axes: axes.map(|a| a.to_vec()),
        },
        &[x],
    )
}
