//! `DictDataset`: named arrays zipped along their first axis.

use super::{check_index, value_error, Dataset, Example};
use crate::array::{Array, Result, SliceArg};

/// Named arrays of the same length (Chainer's `DictDataset`). An example is
/// the arrays' `i`-th rows in the order of [`DictDataset::keys`] (the order
/// the names were given), so it batches like a tuple; use
/// [`DictDataset::get_named`] for `(name, array)` pairs.
///
/// ```
/// use kusari::array::array;
/// use kusari::datasets::{Dataset, DictDataset};
/// let ds = DictDataset::new(vec![("x", array![1i64, 2, 3]), ("t", array![7i64, 8, 9])])?;
/// assert_eq!(ds.keys(), ["x", "t"]);
/// assert_eq!(ds.get(1)?[1].item::<i64>()?, 8);
/// assert_eq!(ds.get_named(2)?[0].0, "x");
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DictDataset {
    keys: Vec<String>,
    arrays: Vec<Array>,
    len: usize,
}

impl DictDataset {
    /// Zips the named arrays; names must be distinct and lengths equal.
    pub fn new(named: Vec<(impl Into<String>, Array)>) -> Result<DictDataset> {
        let (keys, arrays): (Vec<String>, Vec<Array>) =
            named.into_iter().map(|(k, a)| (k.into(), a)).unzip();
        let mut len = None;
        for (k, a) in keys.iter().zip(&arrays) {
            let n = *a.shape().first().ok_or_else(|| {
                value_error(
                    "DictDataset::new",
                    format!("array {k:?} is 0-d, expected at least one axis"),
                )
            })?;
            match len {
                None => len = Some(n),
                Some(l) if l != n => {
                    return Err(value_error(
                        "DictDataset::new",
                        format!(
                            "all arrays must have the same length: found {l} and {n} (key {k:?})"
                        ),
                    ))
                }
                _ => {}
            }
            if keys.iter().filter(|o| *o == k).count() > 1 {
                return Err(value_error(
                    "DictDataset::new",
                    format!("key {k:?} appears twice"),
                ));
            }
        }
        let len = len.ok_or_else(|| {
            value_error(
                "DictDataset::new",
                "expected at least one array, found none",
            )
        })?;
        Ok(DictDataset { keys, arrays, len })
    }

    /// The names, in the order of an example's arrays.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Example `i` as `(name, array)` pairs.
    pub fn get_named(&self, i: usize) -> Result<Vec<(String, Array)>> {
        Ok(self.keys.iter().cloned().zip(self.get(i)?).collect())
    }
}

impl Dataset for DictDataset {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> Result<Example> {
        check_index("DictDataset::get", i, self.len)?;
        self.arrays
            .iter()
            .map(|a| a.slice(&[SliceArg::Index(i as isize)]))
            .collect()
    }
}
