//! Shape manipulation: views (`reshape`, `transpose`, `broadcast_to`, ...) and
//! copies that rearrange data (`concatenate`, `tile`, `pad`, ...).

use crate::layout::{self, Order, Shape, Strides};
use crate::{Array, Error, Result, Scalar};
use smallvec::SmallVec;

/// How [`Array::pad`] fills the border.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// A constant value (NumPy's `mode="constant"`, `constant_values`).
    Constant(f64),
    /// Repeat the edge value.
    Edge,
    /// Mirror without repeating the edge (`[1,2,3] -> [3,2,1,2,3,2,1]`).
    Reflect,
}

/// Strides that view `(shape, strides)` as `new_shape` without copying, if any exist
/// (NumPy's `_attempt_nocopy_reshape`).
fn reshape_strides(shape: &[usize], strides: &[isize], new_shape: &[usize]) -> Option<Strides> {
    // Drop unit axes of the source; they put no constraint on the layout.
    let (os, ost): (Vec<usize>, Vec<isize>) = shape
        .iter()
        .zip(strides)
        .filter(|(&d, _)| d != 1)
        .map(|(&d, &s)| (d, s))
        .unzip();
    let mut out: Strides = SmallVec::from_elem(0, new_shape.len());
    let (mut oi, mut oj, mut ni, mut nj) = (0usize, 1usize, 0usize, 1usize);
    let (on, nn) = (os.len(), new_shape.len());
    while ni < nn && oi < on {
        let mut np = new_shape[ni];
        let mut op = os[oi];
        while np != op {
            if np < op {
                np *= new_shape[nj];
                nj += 1;
            } else {
                op *= os[oj];
                oj += 1;
            }
        }
        // The old axes oi..oj must be contiguous with each other.
        for k in oi..oj - 1 {
            if ost[k] != ost[k + 1] * os[k + 1] as isize {
                return None;
            }
        }
        out[nj - 1] = ost[oj - 1];
        for k in (ni + 1..nj).rev() {
            out[k - 1] = out[k] * new_shape[k] as isize;
        }
        ni = nj;
        nj += 1;
        oi = oj;
        oj += 1;
    }
    // Trailing unit axes of the new shape.
    let last = if ni > 0 { out[ni - 1] } else { 1 };
    for k in ni..nn {
        out[k] = last;
    }
    Some(out)
}

impl Array {
    /// Gives a new shape to the data; `-1` in one place is inferred. A view
    /// when the layout allows, else a C-ordered copy (NumPy's `reshape`).
    ///
    /// ```
    /// use kusari_array::Array;
    /// let a = Array::arange(12)?.reshape(&[3, -1])?;
    /// assert_eq!(a.shape(), &[3, 4]);
    /// # Ok::<(), kusari_array::Error>(())
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Result<Array> {
        let new_shape = self.infer_shape(shape)?;
        if new_shape.as_slice() == self.shape() {
            return Ok(self.clone());
        }
        if self.size() == 0 {
            return Ok(self.view_with(
                new_shape.clone(),
                layout::c_strides(&new_shape),
                self.offset(),
            ));
        }
        match reshape_strides(self.shape(), self.strides(), &new_shape) {
            Some(st) => Ok(self.view_with(new_shape, st, self.offset())),
            None => {
                let c = self.copy(Order::C)?;
                let st = layout::c_strides(&new_shape);
                Ok(c.view_with(new_shape, st, 0))
            }
        }
    }

    /// Like [`Array::reshape`] with a `usize` shape.
    pub fn reshape_to(&self, shape: &[usize]) -> Result<Array> {
        let s: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
        self.reshape(&s)
    }

    fn infer_shape(&self, shape: &[isize]) -> Result<Shape> {
        let size = self.size();
        let mut unknown = None;
        let mut known = 1usize;
        for (i, &d) in shape.iter().enumerate() {
            if d == -1 {
                if unknown.replace(i).is_some() {
                    return Err(Error::value(
                        "reshape",
                        format!("can only specify one unknown dimension, found {shape:?}"),
                    ));
                }
            } else if d < 0 {
                return Err(Error::value(
                    "reshape",
                    format!("negative dimension {d} in {shape:?}"),
                ));
            } else {
                known = known
                    .checked_mul(d as usize)
                    .ok_or_else(|| Error::value("reshape", "shape too large"))?;
            }
        }
        let mut out: Shape = shape.iter().map(|&d| d.max(0) as usize).collect();
        if let Some(i) = unknown {
            if known == 0 || !size.is_multiple_of(known) {
                return Err(Error::shape(
                    "reshape",
                    format!("cannot reshape array of size {size} into shape {shape:?}"),
                ));
            }
            out[i] = size / known;
        } else if known != size {
            return Err(Error::shape(
                "reshape",
                format!("cannot reshape array of size {size} into shape {shape:?}"),
            ));
        }
        Ok(out)
    }

    /// Reverses the axes (a view).
    pub fn t(&self) -> Array {
        let mut shape: Shape = self.shape().into();
        let mut strides: Strides = self.strides().into();
        shape.reverse();
        strides.reverse();
        self.view_with(shape, strides, self.offset())
    }

    /// Permutes the axes (a view); `None` reverses them.
    pub fn transpose(&self, axes: Option<&[isize]>) -> Result<Array> {
        let Some(axes) = axes else {
            return Ok(self.t());
        };
        if axes.len() != self.ndim() {
            return Err(Error::value(
                "transpose",
                format!(
                    "axes {axes:?} don't match array of dimension {}",
                    self.ndim()
                ),
            ));
        }
        let perm = layout::normalize_axes("transpose", Some(axes), self.ndim())?;
        let shape = perm.iter().map(|&a| self.shape()[a]).collect();
        let strides = perm.iter().map(|&a| self.strides()[a]).collect();
        Ok(self.view_with(shape, strides, self.offset()))
    }

    /// Interchanges two axes (a view).
    pub fn swapaxes(&self, a: isize, b: isize) -> Result<Array> {
        let (a, b) = (
            layout::normalize_axis("swapaxes", a, self.ndim())?,
            layout::normalize_axis("swapaxes", b, self.ndim())?,
        );
        let mut shape: Shape = self.shape().into();
        let mut strides: Strides = self.strides().into();
        shape.swap(a, b);
        strides.swap(a, b);
        Ok(self.view_with(shape, strides, self.offset()))
    }

    /// Moves axis `source` to position `destination` (a view).
    pub fn moveaxis(&self, source: isize, destination: isize) -> Result<Array> {
        let n = self.ndim();
        let s = layout::normalize_axis("moveaxis", source, n)?;
        let d = layout::normalize_axis("moveaxis", destination, n)?;
        let mut order: Vec<isize> = (0..n as isize).filter(|&i| i as usize != s).collect();
        order.insert(d, s as isize);
        self.transpose(Some(&order))
    }

    /// A read-only broadcast view at `shape` (stride 0 along repeated axes).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Array> {
        let st = layout::broadcast_strides("broadcast_to", self.shape(), self.strides(), shape)?;
        Ok(self.view_with(shape.into(), st, self.offset()))
    }

    /// Inserts a unit axis at `axis` (a view).
    pub fn expand_dims(&self, axis: isize) -> Result<Array> {
        let a = layout::normalize_axis("expand_dims", axis, self.ndim() + 1)?;
        let mut shape: Shape = self.shape().into();
        let mut strides: Strides = self.strides().into();
        let st = if a < self.ndim() {
            strides[a] * shape[a] as isize
        } else {
            1
        };
        shape.insert(a, 1);
        strides.insert(a, st);
        Ok(self.view_with(shape, strides, self.offset()))
    }

    /// Removes unit axes: all of them (`None`) or the given ones, which must have length 1.
    pub fn squeeze(&self, axes: Option<&[isize]>) -> Result<Array> {
        let drop = match axes {
            None => (0..self.ndim()).filter(|&i| self.shape()[i] == 1).collect(),
            Some(_) => {
                let ax = layout::normalize_axes("squeeze", axes, self.ndim())?;
                for &a in &ax {
                    if self.shape()[a] != 1 {
                        return Err(Error::value("squeeze", format!("cannot select an axis to squeeze out which has size not equal to one (axis {a} has size {})", self.shape()[a])));
                    }
                }
                ax
            }
        };
        let shape = (0..self.ndim())
            .filter(|i| !drop.contains(i))
            .map(|i| self.shape()[i])
            .collect();
        let strides = (0..self.ndim())
            .filter(|i| !drop.contains(i))
            .map(|i| self.strides()[i])
            .collect();
        Ok(self.view_with(shape, strides, self.offset()))
    }

    /// A 1-D view when possible, else a copy (NumPy's `ravel`).
    pub fn ravel(&self) -> Result<Array> {
        self.reshape(&[-1])
    }

    /// A 1-D copy, always (NumPy's `flatten`).
    pub fn flatten(&self) -> Result<Array> {
        self.copy(Order::C)?.reshape(&[-1])
    }

    /// Reverses the order of elements along the given axes (all for `None`); a view.
    pub fn flip(&self, axes: Option<&[isize]>) -> Result<Array> {
        let ax = layout::normalize_axes("flip", axes, self.ndim())?;
        let mut strides: Strides = self.strides().into();
        let mut off = self.offset() as isize;
        for &a in &ax {
            if self.shape()[a] > 0 {
                off += (self.shape()[a] as isize - 1) * strides[a];
            }
            strides[a] = -strides[a];
        }
        Ok(self.view_with(self.shape().into(), strides, off as usize))
    }

    /// Repeats the whole array `reps` times along each axis (NumPy's `tile`).
    pub fn tile(&self, reps: &[usize]) -> Result<Array> {
        let n = reps.len().max(self.ndim());
        let mut src_shape: Vec<usize> = vec![1; n - self.ndim()];
        src_shape.extend_from_slice(self.shape());
        let mut reps_full: Vec<usize> = vec![1; n - reps.len()];
        reps_full.extend_from_slice(reps);
        // View as (1, d0, 1, d1, ...), broadcast to (r0, d0, r1, d1, ...), then merge pairs.
        let a = self.reshape_to(&src_shape)?;
        let mut shape: Vec<usize> = Vec::with_capacity(2 * n);
        let mut strides: Strides = SmallVec::new();
        for i in 0..n {
            shape.push(reps_full[i]);
            strides.push(0);
            shape.push(src_shape[i]);
            strides.push(a.strides()[i]);
        }
        let v = a.view_with(shape.as_slice().into(), strides, a.offset());
        let out_shape: Vec<usize> = (0..n).map(|i| reps_full[i] * src_shape[i]).collect();
        v.copy(Order::C)?.reshape_to(&out_shape)
    }

    /// Repeats each element `repeats` times along `axis` (flattened first when `None`).
    pub fn repeat(&self, repeats: usize, axis: Option<isize>) -> Result<Array> {
        let (a, ax) = match axis {
            None => (self.ravel()?, 0),
            Some(ax) => (
                self.clone(),
                layout::normalize_axis("repeat", ax, self.ndim())?,
            ),
        };
        // Insert a broadcast axis after `ax`, then merge it.
        let mut shape: Vec<usize> = a.shape().to_vec();
        let mut strides: Strides = a.strides().into();
        shape.insert(ax + 1, repeats);
        strides.insert(ax + 1, 0);
        let v = a.view_with(shape.as_slice().into(), strides, a.offset());
        let mut out_shape = a.shape().to_vec();
        out_shape[ax] *= repeats;
        v.copy(Order::C)?.reshape_to(&out_shape)
    }

    /// Pads each axis by `(before, after)` elements (NumPy's `pad`).
    pub fn pad(&self, widths: &[(usize, usize)], mode: PadMode) -> Result<Array> {
        if widths.len() != self.ndim() {
            return Err(Error::value(
                "pad",
                format!(
                    "expected {} (before, after) pairs, found {}",
                    self.ndim(),
                    widths.len()
                ),
            ));
        }
        let out_shape: Vec<usize> = self
            .shape()
            .iter()
            .zip(widths)
            .map(|(&d, &(b, a))| d + b + a)
            .collect();
        let fill = match mode {
            PadMode::Constant(v) => v,
            _ => 0.0,
        };
        let mut out =
            Array::full(&out_shape, Scalar::Float(fill), self.dtype())?.to_device(self.device())?;
        for (ax, (&d, &(b, a))) in self.shape().iter().zip(widths).enumerate() {
            if d == 0 && (b > 0 || a > 0) && mode != PadMode::Constant(fill) {
                return Err(Error::value(
                    "pad",
                    format!("cannot pad axis {ax} of size 0 with mode {mode:?}"),
                ));
            }
            if mode == PadMode::Reflect && d == 1 && (b > 0 || a > 0) {
                // NumPy reflects a single element onto itself.
                continue;
            }
        }
        // Centre.
        let centre: Vec<SliceArg> = widths
            .iter()
            .zip(self.shape())
            .map(|(&(b, _), &d)| SliceArg::range(b as isize, (b + d) as isize, 1))
            .collect();
        out.assign_at(&centre, self)?;
        if let PadMode::Constant(_) = mode {
            return Ok(out);
        }
        // Fill borders axis by axis, each pass reading the already-padded previous axes.
        for (ax, &(b, a)) in widths.iter().enumerate() {
            let d = self.shape()[ax] as isize;
            let n = out.shape()[ax] as isize;
            let nd = out.ndim();
            let sel = |i: isize| -> Vec<SliceArg> {
                (0..nd)
                    .map(|k| {
                        if k == ax {
                            SliceArg::range(i, i + 1, 1)
                        } else {
                            SliceArg::full()
                        }
                    })
                    .collect()
            };
            for i in 0..b as isize {
                // Position i (before), distance from the first real element.
                let dist = b as isize - i;
                let src = match mode {
                    PadMode::Edge => b as isize,
                    _ => b as isize + reflect_index(dist, d),
                };
                let v = out.slice(&sel(src))?;
                out.assign_at(&sel(i), &v)?;
            }
            for i in 0..a as isize {
                let dist = i + 1;
                let dst = b as isize + d + i;
                let src = match mode {
                    PadMode::Edge => b as isize + d - 1,
                    _ => b as isize + d - 1 - reflect_index(dist, d),
                };
                debug_assert!(dst < n);
                let v = out.slice(&sel(src))?;
                out.assign_at(&sel(dst), &v)?;
            }
        }
        Ok(out)
    }
}

/// Offset from the edge of a reflected index `dist` steps beyond it, for an axis of length `d`.
fn reflect_index(dist: isize, d: isize) -> isize {
    if d <= 1 {
        return 0;
    }
    let period = 2 * (d - 1);
    let m = dist % period;
    if m < d {
        m
    } else {
        period - m
    }
}

use crate::ops::index::SliceArg;

/// Joins arrays along an existing axis (NumPy's `concatenate`).
pub fn concatenate(arrays: &[&Array], axis: isize) -> Result<Array> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::value("concatenate", "need at least one array to concatenate"))?;
    if first.ndim() == 0 {
        return Err(Error::value(
            "concatenate",
            "zero-dimensional arrays cannot be concatenated",
        ));
    }
    let ax = layout::normalize_axis("concatenate", axis, first.ndim())?;
    let mut dtype = first.dtype();
    let mut total = 0;
    for (i, a) in arrays.iter().enumerate() {
        Array::same_device("concatenate", first, a)?;
        if a.ndim() != first.ndim() {
            return Err(Error::shape("concatenate", format!("all the input arrays must have same number of dimensions, but the array at index 0 has {} dimension(s) and the array at index {i} has {} dimension(s)", first.ndim(), a.ndim())));
        }
        for k in 0..a.ndim() {
            if k != ax && a.shape()[k] != first.shape()[k] {
                return Err(Error::shape("concatenate", format!("all the input array dimensions except for the concatenation axis must match exactly, but along dimension {k}, the array at index 0 has size {} and the array at index {i} has size {}", first.shape()[k], a.shape()[k])));
            }
        }
        dtype = dtype.promote(a.dtype());
        total += a.shape()[ax];
    }
    let mut shape = first.shape().to_vec();
    shape[ax] = total;
    let mut out = Array::uninit_ordered(dtype, &shape, Order::C, None, first.device())?;
    let mut start = 0isize;
    for a in arrays {
        let len = a.shape()[ax] as isize;
        let sel: Vec<SliceArg> = (0..shape.len())
            .map(|k| {
                if k == ax {
                    SliceArg::range(start, start + len, 1)
                } else {
                    SliceArg::full()
                }
            })
            .collect();
        out.assign_at(&sel, a)?;
        start += len;
    }
    Ok(out)
}

/// Joins arrays along a new axis (NumPy's `stack`).
pub fn stack(arrays: &[&Array], axis: isize) -> Result<Array> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::value("stack", "need at least one array to stack"))?;
    for (i, a) in arrays.iter().enumerate() {
        if a.shape() != first.shape() {
            return Err(Error::shape("stack", format!("all input arrays must have the same shape, but the array at index 0 has shape {:?} and the array at index {i} has shape {:?}", first.shape(), a.shape())));
        }
    }
    let expanded: Vec<Array> = arrays
        .iter()
        .map(|a| a.expand_dims(axis))
        .collect::<Result<_>>()?;
    let refs: Vec<&Array> = expanded.iter().collect();
    concatenate(&refs, axis)
}

/// Splits into `sections` equal parts along `axis` (NumPy's `split`); an error if they can't be equal.
pub fn split(a: &Array, sections: usize, axis: isize) -> Result<Vec<Array>> {
    let ax = layout::normalize_axis("split", axis, a.ndim())?;
    if sections == 0 || !a.shape()[ax].is_multiple_of(sections) {
        return Err(Error::value("split", format!("array split does not result in an equal division: axis {ax} of size {} into {sections} sections", a.shape()[ax])));
    }
    array_split(a, sections, axis)
}

/// Splits into `sections` nearly equal views along `axis` (NumPy's `array_split`).
pub fn array_split(a: &Array, sections: usize, axis: isize) -> Result<Vec<Array>> {
    let ax = layout::normalize_axis("array_split", axis, a.ndim())?;
    if sections == 0 {
        return Err(Error::value(
            "array_split",
            "number of sections must be larger than 0",
        ));
    }
    let n = a.shape()[ax];
    let (each, extra) = (n / sections, n % sections);
    let mut bounds = vec![0usize];
    for i in 0..sections {
        bounds.push(bounds[i] + each + usize::from(i < extra));
    }
    split_at_bounds(a, ax, &bounds)
}

/// Splits at the given indices along `axis` (NumPy's `split(a, [i, j], axis)`).
pub fn split_at(a: &Array, indices: &[usize], axis: isize) -> Result<Vec<Array>> {
    let ax = layout::normalize_axis("split_at", axis, a.ndim())?;
    let n = a.shape()[ax];
    let mut bounds = vec![0usize];
    bounds.extend(indices.iter().map(|&i| i.min(n)));
    bounds.push(n);
    for w in 1..bounds.len() {
        bounds[w] = bounds[w].max(bounds[w - 1]);
    }
    split_at_bounds(a, ax, &bounds)
}

fn split_at_bounds(a: &Array, ax: usize, bounds: &[usize]) -> Result<Vec<Array>> {
    bounds
        .windows(2)
        .map(|w| {
            let sel: Vec<SliceArg> = (0..a.ndim())
                .map(|k| {
                    if k == ax {
                        SliceArg::range(w[0] as isize, w[1] as isize, 1)
                    } else {
                        SliceArg::full()
                    }
                })
                .collect();
            a.slice(&sel)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_of_transpose_copies_only_when_needed() {
        let a = Array::arange(24).unwrap().reshape(&[2, 3, 4]).unwrap();
        let v = a.reshape(&[6, 4]).unwrap();
        assert!(v.shares_storage(&a));
        let t = a.t();
        let r = t.reshape(&[4, 6]).unwrap();
        assert!(!r.shares_storage(&a));
        let f = a
            .transpose(Some(&[0, 2, 1]))
            .unwrap()
            .reshape(&[2, 12])
            .unwrap();
        assert_eq!(f.get::<i64>(&[0, 1]).unwrap(), 4);
    }

    #[test]
    fn pad_modes_match_numpy() {
        let a = Array::from_vec(vec![1i64, 2, 3], &[3]).unwrap();
        let r = a.pad(&[(2, 3)], PadMode::Reflect).unwrap();
        assert_eq!(r.to_vec::<i64>().unwrap(), vec![3, 2, 1, 2, 3, 2, 1, 2]);
        let e = a.pad(&[(1, 2)], PadMode::Edge).unwrap();
        assert_eq!(e.to_vec::<i64>().unwrap(), vec![1, 1, 2, 3, 3, 3]);
        let c = a.pad(&[(1, 1)], PadMode::Constant(9.0)).unwrap();
        assert_eq!(c.to_vec::<i64>().unwrap(), vec![9, 1, 2, 3, 9]);
    }
}
