//! Joining and splitting: `concat`, `stack`, `hstack`, `vstack`, `dstack`,
//! `split_axis`, `separate`.

use super::{norm_axis, renamed};
use crate::array::ops::manip;
use crate::array::{Array, Error, Result};
use crate::function_node::{apply, apply1, BackwardContext, FunctionNode};
use crate::functions::reshape;
use crate::Variable;

struct Concat {
    axis: usize,
    sizes: Vec<usize>,
}

impl FunctionNode for Concat {
    fn label(&self) -> &str {
        "Concat"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![manip::concatenate(x, self.axis as isize)?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let mut bounds = Vec::with_capacity(self.sizes.len());
        let mut at = 0;
        for &s in &self.sizes[..self.sizes.len() - 1] {
            at += s;
            bounds.push(at);
        }
        let parts = split_axis(&gy[0], Sections::Indices(bounds), self.axis as isize)?;
        Ok(parts.into_iter().map(Some).collect())
    }
}

/// Joins `xs` along `axis` (Chainer's `F.concat`, whose default axis is 1):
/// same dtype, same number of dimensions and the same lengths except along `axis`.
pub fn concat(xs: &[&Variable], axis: isize) -> Result<Variable> {
    const OP: &str = "concat";
    let first = xs.first().ok_or_else(|| Error::Value {
        op: OP,
        message: "expected at least one input, got none".into(),
    })?;
    let shape0 = first.shape();
    let ax = norm_axis(OP, axis, shape0.len())?;
    let mut sizes = Vec::with_capacity(xs.len());
    for (i, x) in xs.iter().enumerate() {
        let s = x.shape();
        if x.dtype() != first.dtype() {
            return Err(Error::DType {
                op: OP,
                message: format!(
                    "expected in_types[{i}].dtype == in_types[0].dtype, got {} != {}",
                    x.dtype(),
                    first.dtype()
                ),
            });
        }
        let same = s.len() == shape0.len()
            && s.iter()
                .zip(&shape0)
                .enumerate()
                .all(|(d, (a, b))| d == ax || a == b);
        if !same {
            return Err(Error::Shape {
                op: OP,
                message: format!(
                    "expected in_types[{i}].shape to match in_types[0].shape {shape0:?} except on axis {ax}, got {s:?}"
                ),
            });
        }
        sizes.push(s[ax]);
    }
    apply1(Concat { axis: ax, sizes }, xs)
}

/// How [`split_axis`] splits: into equal parts, or at positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sections {
    /// This many parts of equal length (the axis must divide evenly).
    Count(usize),
    /// Split before each of these positions (NumPy's `split(x, [i, j])`).
    Indices(Vec<usize>),
}

struct SplitAxis {
    axis: usize,
    bounds: Vec<usize>,
}

impl FunctionNode for SplitAxis {
    fn label(&self) -> &str {
        "SplitAxis"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        manip::split_at(x[0], &self.bounds, self.axis as isize)
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let refs: Vec<&Variable> = gy.iter().collect();
        Ok(vec![Some(concat(&refs, self.axis as isize)?)])
    }
}

/// Splits `x` along `axis` (Chainer's `F.split_axis`, always returning a
/// list as with `force_tuple=True`). The parts are views of `x`.
pub fn split_axis(x: &Variable, sections: Sections, axis: isize) -> Result<Vec<Variable>> {
    const OP: &str = "split_axis";
    let shape = x.shape();
    let ax = norm_axis(OP, axis, shape.len())?;
    let n = shape[ax];
    let bounds = match sections {
        Sections::Count(k) => {
            if k == 0 || !n.is_multiple_of(k) {
                return Err(Error::Value {
                    op: OP,
                    message: format!(
                        "expected x.shape[{ax}] % sections == 0, got {n} % {k} (array split does not result in an equal division)"
                    ),
                });
            }
            (1..k).map(|i| i * n / k).collect()
        }
        Sections::Indices(v) => v,
    };
    apply(SplitAxis { axis: ax, bounds }, &[x])
}

/// Splits `x` into its slices along `axis`, removing that axis (Chainer's `F.separate`).
pub fn separate(x: &Variable, axis: isize) -> Result<Vec<Variable>> {
    let shape = x.shape();
    let ax = norm_axis("separate", axis, shape.len())?;
    let mut rest = shape.clone();
    rest.remove(ax);
    split_axis(x, Sections::Count(shape[ax].max(1)), ax as isize)?
        .iter()
        .take(shape[ax])
        .map(|p| reshape(p, &rest))
        .collect()
}

/// Joins same-shaped `xs` along a new axis (Chainer's `F.stack`); `axis`
/// ranges over `-(ndim + 1)..=ndim`.
pub fn stack(xs: &[&Variable], axis: isize) -> Result<Variable> {
    const OP: &str = "stack";
    let first = xs.first().ok_or_else(|| Error::Value {
        op: OP,
        message: "expected at least one input, got none".into(),
    })?;
    let shape0 = first.shape();
    for (i, x) in xs.iter().enumerate() {
        if x.shape() != shape0 {
            return Err(Error::Shape {
                op: OP,
                message: format!(
                    "expected in_types[{i}].shape == in_types[0].shape, got {:?} != {shape0:?}",
                    x.shape()
                ),
            });
        }
    }
    let ax = norm_axis(OP, axis, shape0.len() + 1)?;
    let mut expanded_shape = shape0.clone();
    expanded_shape.insert(ax, 1);
    let expanded: Vec<Variable> = xs
        .iter()
        .map(|x| reshape(x, &expanded_shape))
        .collect::<Result<_>>()?;
    let refs: Vec<&Variable> = expanded.iter().collect();
    concat(&refs, ax as isize).map_err(|e| renamed(OP, e))
}

/// `xs` given at least `n` dimensions the way NumPy's `atleast_{n}d` does.
fn at_least(xs: &[&Variable], n: usize) -> Result<Vec<Variable>> {
    xs.iter()
        .map(|x| {
            let s = x.shape();
            let shape = match (n, s.len()) {
                (_, d) if d >= n => return Ok((*x).clone()),
                (_, 0) => vec![1; n],
                (2, 1) | (3, 1) => {
                    let mut v = vec![1, s[0]];
                    v.resize(n, 1);
                    v
                }
                (_, _) => vec![s[0], s[1], 1],
            };
            reshape(x, &shape)
        })
        .collect()
}

fn join(
    op: &'static str,
    xs: &[&Variable],
    n: usize,
    axis: impl Fn(usize) -> isize,
) -> Result<Variable> {
    if xs.is_empty() {
        return Err(Error::Value {
            op,
            message: "expected at least one input, got none".into(),
        });
    }
    let ys = at_least(xs, n)?;
    let refs: Vec<&Variable> = ys.iter().collect();
    concat(&refs, axis(ys[0].ndim())).map_err(|e| renamed(op, e))
}

/// Concatenates horizontally (Chainer's `F.hstack`, NumPy's `hstack`): along
/// axis 1, or axis 0 for 1-D inputs.
pub fn hstack(xs: &[&Variable]) -> Result<Variable> {
    join("hstack", xs, 1, |nd| if nd == 1 { 0 } else { 1 })
}

/// Concatenates vertically (Chainer's `F.vstack`): along axis 0, 1-D inputs
/// becoming rows.
pub fn vstack(xs: &[&Variable]) -> Result<Variable> {
    join("vstack", xs, 2, |_| 0)
}

/// Concatenates depth-wise (Chainer's `F.dstack`): along axis 2, inputs
/// first made 3-D as NumPy's `atleast_3d` does.
pub fn dstack(xs: &[&Variable]) -> Result<Variable> {
    join("dstack", xs, 3, |_| 2)
}
