//! `ConcatenatedDataset`: datasets one after another.

use super::{index_error, Dataset, Example};
use crate::array::Result;
use std::sync::Arc;

/// The examples of several datasets in sequence (Chainer's `ConcatenatedDataset`).
///
/// ```
/// use kusari::array::array;
/// use kusari::datasets::{ConcatenatedDataset, Dataset, TupleDataset};
/// use std::sync::Arc;
/// let a = Arc::new(TupleDataset::new(vec![array![1i64, 2]])?);
/// let b = Arc::new(TupleDataset::new(vec![array![3i64]])?);
/// let ds = ConcatenatedDataset::new(vec![a, b]);
/// assert_eq!(ds.len(), 3);
/// assert_eq!(ds.get(2)?[0].item::<i64>()?, 3);
/// # Ok::<(), kusari::Error>(())
/// ```
pub struct ConcatenatedDataset {
    datasets: Vec<Arc<dyn Dataset>>,
}

impl ConcatenatedDataset {
    /// Concatenates `datasets`.
    pub fn new(datasets: Vec<Arc<dyn Dataset>>) -> Self {
        ConcatenatedDataset { datasets }
    }
}

impl Dataset for ConcatenatedDataset {
    fn len(&self) -> usize {
        self.datasets.iter().map(|d| d.len()).sum()
    }

    fn get(&self, i: usize) -> Result<Example> {
        let mut rest = i;
        for d in &self.datasets {
            if rest < d.len() {
                return d.get(rest);
            }
            rest -= d.len();
        }
        Err(index_error("ConcatenatedDataset::get", i, self.len()))
    }
}
