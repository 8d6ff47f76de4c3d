//! `TransformDataset`: a dataset whose examples pass through a function.

use super::{Dataset, Example};
use crate::array::Result;

/// Applies `transform` to each example when it is read (Chainer's
/// `TransformDataset`; data augmentation goes here).
///
/// ```
/// use kusari::array::array;
/// use kusari::datasets::{Dataset, TransformDataset, TupleDataset};
/// let base = TupleDataset::new(vec![array![1.0f32, 2.0]])?;
/// let doubled = TransformDataset::new(base, |ex| Ok(vec![&ex[0] * 2.0]));
/// assert_eq!(doubled.get(1)?[0].item::<f32>()?, 4.0);
/// # Ok::<(), kusari::Error>(())
/// ```
pub struct TransformDataset<D, F> {
    dataset: D,
    transform: F,
}

impl<D: Dataset, F: Fn(Example) -> Result<Example> + Send + Sync> TransformDataset<D, F> {
    /// Wraps `dataset` with `transform`.
    pub fn new(dataset: D, transform: F) -> Self {
        TransformDataset { dataset, transform }
    }
}

impl<D: Dataset, F: Fn(Example) -> Result<Example> + Send + Sync> Dataset
    for TransformDataset<D, F>
{
    fn len(&self) -> usize {
        self.dataset.len()
    }

    fn get(&self, i: usize) -> Result<Example> {
        (self.transform)(self.dataset.get(i)?)
    }
}
