//! `TupleDataset`: examples zipped from arrays of the same length.

use super::{check_index, value_error, Dataset, Example};
use crate::array::{Array, Result, SliceArg};

/// Zips arrays along their first axis: example `i` is `[a[i], b[i], ...]`
/// (Chainer's `TupleDataset`). Examples are views, so reading one copies nothing.
///
/// ```
/// use kusari::array::{array, Array};
/// use kusari::datasets::{Dataset, TupleDataset};
/// let ds = TupleDataset::new(vec![array![[1.0f32, 2.0], [3.0, 4.0]], array![0i32, 1]])?;
/// let ex = ds.get(1)?;
/// assert_eq!(ex[0].to_vec::<f32>()?, [3.0, 4.0]);
/// assert_eq!(ex[1].item::<i32>()?, 1);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TupleDataset {
    arrays: Vec<Array>,
    len: usize,
}

impl TupleDataset {
    /// Zips `arrays`; they must all have at least one axis and the same length.
    pub fn new(arrays: Vec<Array>) -> Result<TupleDataset> {
        let first = arrays.first().ok_or_else(|| {
            value_error(
                "TupleDataset::new",
                "expected at least one array, found none",
            )
        })?;
        let len = first_len(first)?;
        for (k, a) in arrays.iter().enumerate() {
            let n = first_len(a)?;
            if n != len {
                return Err(value_error(
                    "TupleDataset::new",
                    format!("all arrays must have the same length: array 0 has {len}, array {k} has {n}"),
                ));
            }
        }
        Ok(TupleDataset { arrays, len })
    }

    /// The zipped arrays.
    pub fn arrays(&self) -> &[Array] {
        &self.arrays
    }
}

fn first_len(a: &Array) -> Result<usize> {
    a.shape().first().copied().ok_or_else(|| {
        value_error(
            "TupleDataset::new",
            "expected arrays with at least one axis, found a 0-d array",
        )
    })
}

impl Dataset for TupleDataset {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> Result<Example> {
        check_index("TupleDataset::get", i, self.len)?;
        self.arrays
            .iter()
            .map(|a| a.slice(&[SliceArg::Index(i as isize)]))
            .collect()
    }
}
