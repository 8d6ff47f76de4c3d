//! Shape manipulation: `squeeze`, `expand_dims`, `flatten`, `flip`,
//! `fliplr`, `flipud`, `swapaxes`, `moveaxis`, `rollaxis`, `tile`, `repeat`,
//! `pad`, `depth2space`, `space2depth`.
//!
//! Pure re-shapings reuse `reshape`/`transpose`; element re-arrangements
//! (`tile`, `repeat`, the non-constant `pad` modes) gather by flat
//! positions, so their gradients are the scatter-add of `get_item`.

use super::index::{get_item, take_linear, Index};
use super::{norm_axis, renamed};
use crate::array::ops::manip::PadMode;
use crate::array::{Array, Error, Result, SliceArg};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions::{reshape, transpose};
use crate::Variable;

/// Removes unit axes: all of them (`None`) or the given ones, which must
/// have length 1 (Chainer's `F.squeeze`).
pub fn squeeze(x: &Variable, axis: Option<&[isize]>) -> Result<Variable> {
    let shape = Array::zeros(&[], crate::array::DType::Bool)?
        .broadcast_to(&x.shape())?
        .squeeze(axis)
        .map_err(|e| renamed("squeeze", e))?
        .shape()
        .to_vec();
    reshape(x, &shape)
}

/// Inserts a unit axis at `axis` in `-(ndim + 1)..=ndim` (Chainer's `F.expand_dims`).
pub fn expand_dims(x: &Variable, axis: isize) -> Result<Variable> {
    let mut shape = x.shape();
    let ax = norm_axis("expand_dims", axis, shape.len() + 1)?;
    shape.insert(ax, 1);
    reshape(x, &shape)
}

/// `x` as a 1-D variable (Chainer's `F.flatten`).
pub fn flatten(x: &Variable) -> Result<Variable> {
    reshape(x, &[x.size()])
}

fn reversed(x: &Variable, axis: usize) -> Result<Variable> {
    let mut index = vec![Index::Slice(SliceArg::full()); x.ndim()];
    index[axis] = Index::Slice(SliceArg::full().step_by(-1));
    get_item(x, &index)
}

/// Reverses the elements along `axis` (Chainer's `F.flip`); a view.
pub fn flip(x: &Variable, axis: isize) -> Result<Variable> {
    let ax = norm_axis("flip", axis, x.ndim())?;
    reversed(x, ax)
}

/// Reverses axis 1 (Chainer's `F.fliplr`); `x` needs at least 2 dimensions.
pub fn fliplr(x: &Variable) -> Result<Variable> {
    if x.ndim() < 2 {
        return Err(Error::Shape {
            op: "fliplr",
            message: format!("expected a.ndim >= 2, got {}", x.ndim()),
        });
    }
    reversed(x, 1)
}

/// Reverses axis 0 (Chainer's `F.flipud`); `x` needs at least 1 dimension.
pub fn flipud(x: &Variable) -> Result<Variable> {
    if x.ndim() < 1 {
        return Err(Error::Shape {
            op: "flipud",
            message: "expected a.ndim >= 1, got 0".into(),
        });
    }
    reversed(x, 0)
}

/// Exchanges two axes (Chainer's `F.swapaxes`).
pub fn swapaxes(x: &Variable, axis1: isize, axis2: isize) -> Result<Variable> {
    let nd = x.ndim();
    let (a, b) = (
        norm_axis("swapaxes", axis1, nd)?,
        norm_axis("swapaxes", axis2, nd)?,
    );
    let mut perm: Vec<isize> = (0..nd as isize).collect();
    perm.swap(a, b);
    transpose(x, Some(&perm))
}

/// Moves axis `source` to position `destination`, the others keeping their
/// order (Chainer's `F.moveaxis` for one axis).
pub fn moveaxis(x: &Variable, source: isize, destination: isize) -> Result<Variable> {
    let nd = x.ndim();
    let (s, d) = (
        norm_axis("moveaxis", source, nd)?,
        norm_axis("moveaxis", destination, nd)?,
    );
    let mut perm: Vec<isize> = (0..nd as isize).filter(|&a| a != s as isize).collect();
    perm.insert(d, s as isize);
    transpose(x, Some(&perm))
}

/// Rolls `axis` backwards until it lies before `start` (Chainer's
/// `F.rollaxis`, NumPy's `rollaxis`); `start` ranges over `-ndim..=ndim`.
pub fn rollaxis(x: &Variable, axis: isize, start: isize) -> Result<Variable> {
    let nd = x.ndim();
    let a = norm_axis("rollaxis", axis, nd)?;
    let n = nd as isize;
    let st = if start < 0 { start + n } else { start };
    if !(0..=n).contains(&st) {
        return Err(Error::Axis {
            op: "rollaxis",
            axis: start,
            ndim: nd + 1,
        });
    }
    let mut st = st as usize;
    if a < st {
        st -= 1;
    }
    let mut perm: Vec<isize> = (0..n).filter(|&i| i != a as isize).collect();
    perm.insert(st, a as isize);
    transpose(x, Some(&perm))
}

fn positions(shape: &[usize]) -> Result<Array> {
    let size: usize = shape.iter().product();
    Array::arange(size as i64)?.reshape_to(shape)
}

/// Repeats `x` `reps` times along each axis (Chainer's `F.tile`, NumPy's
/// `tile`: the shorter of `x.ndim` and `reps.len()` is padded with leading 1s).
pub fn tile(x: &Variable, reps: &[usize]) -> Result<Variable> {
    let pos = positions(&x.shape())?
        .tile(reps)
        .map_err(|e| renamed("tile", e))?;
    take_linear(x, pos)
}

/// Repeats each element along `axis` (the flattened `x` for `None`)
/// (Chainer's `F.repeat`): `repeats` holds one count for all elements or
/// one per element along the axis.
pub fn repeat(x: &Variable, repeats: &[usize], axis: Option<isize>) -> Result<Variable> {
    const OP: &str = "repeat";
    let (pos, ax) = match axis {
        None => (positions(&[x.size()])?, 0),
        Some(a) => (positions(&x.shape())?, norm_axis(OP, a, x.ndim())?),
    };
    let n = pos.shape()[ax];
    let counts: Vec<usize> = match repeats.len() {
        1 => vec![repeats[0]; n],
        k if k == n => repeats.to_vec(),
        k => {
            return Err(Error::Value {
                op: OP,
                message: format!("expected 1 or {n} repeats (the length of axis {ax}), got {k}"),
            })
        }
    };
    let picks: Vec<i64> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| std::iter::repeat_n(i as i64, c))
        .collect();
    let len = picks.len();
    let pos = pos.take(&Array::from_vec(picks, &[len])?, Some(ax as isize))?;
    take_linear(x, pos)
}

struct Pad {
    widths: Vec<(usize, usize)>,
    value: f64,
}

impl FunctionNode for Pad {
    fn label(&self) -> &str {
        "Pad"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].pad(&self.widths, PadMode::Constant(self.value))?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let shape = ctx.input_shape(0);
        let index: Vec<Index> = self
            .widths
            .iter()
            .zip(shape.iter())
            .map(|(&(b, _), &d)| Index::Slice(SliceArg::range(b as isize, (b + d) as isize, 1)))
            .collect();
        Ok(vec![Some(get_item(&gy[0], &index)?)])
    }
}

/// Pads each axis by `(before, after)` elements (Chainer's `F.pad`). The
/// gradient of a padded element goes to the element it copies: nowhere for
/// `Constant`, to the edge for `Edge`, to the mirrored element for
/// `Reflect` (Chainer's own backward is right only for `constant`).
pub fn pad(x: &Variable, widths: &[(usize, usize)], mode: PadMode) -> Result<Variable> {
    if widths.len() != x.ndim() {
        return Err(Error::Value {
            op: "pad",
            message: format!(
                "expected {} (before, after) pairs, one per axis, got {}",
                x.ndim(),
                widths.len()
            ),
        });
    }
    match mode {
        PadMode::Constant(value) => apply1(
            Pad {
                widths: widths.to_vec(),
                value,
            },
            &[x],
        ),
        _ => {
            let pos = positions(&x.shape())?
                .pad(widths, mode)
                .map_err(|e| renamed("pad", e))?;
            take_linear(x, pos)
        }
    }
}

fn expect_4d(op: &'static str, x: &Variable) -> Result<[usize; 4]> {
    match x.shape()[..] {
        [b, c, h, w] => Ok([b, c, h, w]),
        _ => Err(Error::Shape {
            op,
            message: format!("expected x.ndim == 4, got {}", x.ndim()),
        }),
    }
}

/// Moves depth into space (Chainer's `F.depth2space`, for sub-pixel
/// convolution): `(n, c·r², h, w)` becomes `(n, c, h·r, w·r)`.
pub fn depth2space(x: &Variable, r: usize) -> Result<Variable> {
    const OP: &str = "depth2space";
    let [b, c, h, w] = expect_4d(OP, x)?;
    if r == 0 || !c.is_multiple_of(r * r) {
        return Err(Error::Shape {
            op: OP,
            message: format!("expected x.shape[1] % (r * r) == 0, got {c} with r = {r}"),
        });
    }
    let c2 = c / (r * r);
    let y = reshape(x, &[b, r, r, c2, h, w])?;
    let y = transpose(&y, Some(&[0, 3, 4, 1, 5, 2]))?;
    reshape(&y, &[b, c2, h * r, w * r])
}

/// Moves space into depth (Chainer's `F.space2depth`, the inverse of
/// [`depth2space`]): `(n, c, h·r, w·r)` becomes `(n, c·r², h, w)`.
pub fn space2depth(x: &Variable, r: usize) -> Result<Variable> {
    const OP: &str = "space2depth";
    let [b, c, h, w] = expect_4d(OP, x)?;
    if r == 0 || !h.is_multiple_of(r) || !w.is_multiple_of(r) {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected x.shape[2] % r == 0 and x.shape[3] % r == 0, got {h} and {w} with r = {r}"
            ),
        });
    }
    let y = reshape(x, &[b, c, h / r, r, w / r, r])?;
    let y = transpose(&y, Some(&[0, 3, 5, 1, 2, 4]))?;
    reshape(&y, &[b, r * r * c, h / r, w / r])
}
