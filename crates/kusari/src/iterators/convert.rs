//! `concat_examples`: a list of examples into batched arrays.

use crate::array::ops::index::SliceArg;
use crate::array::{ops::manip::stack, Array, Device, Error, Result};
use crate::datasets::Example;

/// Stacks the `k`-th arrays of all examples into one array for each `k`
/// (Chainer's `concat_examples`), on `device` when given. With `padding`,
/// arrays of different shapes are padded at the end of each axis with that
/// value to the largest shape; without it, shapes must match.
///
/// ```
/// use kusari::array::array;
/// use kusari::iterators::concat_examples;
/// let batch = vec![vec![array![1.0f32, 2.0], array![0i32]], vec![array![3.0f32], array![1i32]]];
/// let out = concat_examples(&batch, None, Some(-1.0))?;
/// assert_eq!(out[0].to_vec::<f32>()?, [1.0, 2.0, 3.0, -1.0]);
/// assert_eq!(out[1].shape(), &[2, 1]);
/// assert!(concat_examples(&batch, None, None).is_err()); // shapes differ, no padding
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn concat_examples(
    batch: &[Example],
    device: Option<Device>,
    padding: Option<f64>,
) -> Result<Vec<Array>> {
    let first = batch.first().ok_or_else(|| Error::Value {
        op: "concat_examples",
        message: "batch is empty".into(),
    })?;
    let width = first.len();
    if let Some((i, ex)) = batch.iter().enumerate().find(|(_, ex)| ex.len() != width) {
        return Err(Error::Value {
            op: "concat_examples",
            message: format!("example 0 has {width} arrays, example {i} has {}", ex.len()),
        });
    }
    (0..width)
        .map(|k| {
            let column: Vec<&Array> = batch.iter().map(|ex| &ex[k]).collect();
            let out = match padding {
                Some(pad) => concat_padded(&column, pad)?,
                None => stack(&column, 0).map_err(|e| Error::Shape {
                    op: "concat_examples",
                    message: format!("array {k} of the examples cannot be stacked ({e}); pass a padding value for ragged arrays"),
                })?,
            };
            match device {
                Some(d) if d != out.device() => out.to_device(d),
                _ => Ok(out),
            }
        })
        .collect()
}

fn concat_padded(column: &[&Array], pad: f64) -> Result<Array> {
    let first = column[0];
    let ndim = first.ndim();
    let mut shape = first.shape().to_vec();
    for a in column {
        if a.ndim() != ndim || a.dtype() != first.dtype() {
            return Err(Error::Shape {
                op: "concat_examples",
                message: format!(
                    "padding needs arrays of one ndim and dtype: found {:?} {} and {:?} {}",
                    first.shape(),
                    first.dtype(),
                    a.shape(),
                    a.dtype()
                ),
            });
        }
        for (s, &d) in shape.iter_mut().zip(a.shape()) {
            *s = (*s).max(d);
        }
    }
    let mut full = vec![column.len()];
    full.extend(&shape);
    let mut out = Array::full(&full, pad, first.dtype())?;
    for (i, a) in column.iter().enumerate() {
        let mut index = vec![SliceArg::Index(i as isize)];
        index.extend(a.shape().iter().map(|&d| SliceArg::range(0, d as isize, 1)));
        out.assign_at(&index, a)?;
    }
    Ok(out)
}
