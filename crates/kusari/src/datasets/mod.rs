//! Datasets (Chainer's `chainer.datasets` and `chainer.dataset`).
//!
//! A [`Dataset`] is an indexable collection of examples; an [`Example`] is a
//! tuple of arrays (an image and its label, say), which
//! [`concat_examples`](crate::iterators::concat_examples) stacks into a
//! minibatch. Datasets are `Send + Sync` so that
//! [`MultithreadIterator`](crate::iterators::MultithreadIterator) can load
//! examples on worker threads.
//!
//! ```
//! use kusari::array::Array;
//! use kusari::datasets::{split_dataset, Dataset, TupleDataset};
//! use std::sync::Arc;
//! let x = Array::arange(12)?.reshape(&[6, 2])?;
//! let t = Array::arange(6)?;
//! let ds = Arc::new(TupleDataset::new(vec![x, t])?);
//! assert_eq!(ds.len(), 6);
//! assert_eq!(ds.get(2)?[0].to_vec::<i64>()?, [4, 5]);
//! let (train, test) = split_dataset(ds, 4, None)?;
//! assert_eq!((train.len(), test.len()), (4, 2));
//! assert_eq!(test.get(0)?[1].item::<i64>()?, 4);
//! # Ok::<(), kusari::Error>(())
//! ```

mod cifar;
mod concatenated;
mod dict;
pub(crate) mod download;
mod idx;
mod image_dataset;
mod mnist;
mod ptb;
mod sub_dataset;
mod transform;
mod tuple;

pub use cifar::{get_cifar10, CifarOptions};
pub use concatenated::ConcatenatedDataset;
pub use dict::DictDataset;
pub use download::{dataset_root, set_dataset_root};
pub use idx::{read_idx, read_idx_file};
pub use image_dataset::{ImageDataset, LabeledImageDataset};
pub use mnist::{get_fashion_mnist, get_mnist, MnistData, MnistOptions, MnistSource};
pub use ptb::{get_ptb_words, get_ptb_words_vocabulary, load_words, PtbSource, PtbWords};
pub use sub_dataset::{
    get_cross_validation_datasets, get_cross_validation_datasets_random, split_dataset,
    split_dataset_n, split_dataset_n_random, split_dataset_random, SubDataset,
};
pub use transform::TransformDataset;
pub use tuple::TupleDataset;

use crate::array::{Error, Result};
use std::sync::Arc;

/// One example: a tuple of arrays (`(x, t)` is `vec![x, t]`).
pub type Example = Vec<crate::array::Array>;

/// An indexable collection of examples (Chainer's dataset protocol:
/// `len(dataset)` and `dataset[i]`).
pub trait Dataset: Send + Sync {
    /// Number of examples.
    fn len(&self) -> usize;

    /// The `i`-th example; an index past the end is an error.
    fn get(&self, i: usize) -> Result<Example>;

    /// Whether there are no examples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The examples at `indices` (Chainer's `dataset[indices]`); datasets
    /// that can gather faster than one by one override it.
    fn get_examples(&self, indices: &[usize]) -> Result<Vec<Example>> {
        indices.iter().map(|&i| self.get(i)).collect()
    }
}

impl<D: Dataset + ?Sized> Dataset for Arc<D> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, i: usize) -> Result<Example> {
        (**self).get(i)
    }
    fn get_examples(&self, indices: &[usize]) -> Result<Vec<Example>> {
        (**self).get_examples(indices)
    }
}

impl<D: Dataset + ?Sized> Dataset for Box<D> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, i: usize) -> Result<Example> {
        (**self).get(i)
    }
    fn get_examples(&self, indices: &[usize]) -> Result<Vec<Example>> {
        (**self).get_examples(indices)
    }
}

/// A plain list of examples is a dataset.
impl Dataset for Vec<Example> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn get(&self, i: usize) -> Result<Example> {
        check_index("Vec<Example>::get", i, self.as_slice().len())?;
        Ok(self[i].clone())
    }
}

/// The error for index `i` of a dataset of `len` examples.
pub(crate) fn check_index(op: &'static str, i: usize, len: usize) -> Result<()> {
    if i >= len {
        return Err(index_error(op, i, len));
    }
    Ok(())
}

/// The error for index `i` past the end of a dataset of `len` examples.
pub(crate) fn index_error(op: &'static str, i: usize, len: usize) -> Error {
    Error::Index {
        op,
        index: i as i64,
        axis: 0,
        size: len,
    }
}

/// A `Value` error for `op` with `message`.
pub(crate) fn value_error(op: &'static str, message: impl Into<String>) -> Error {
    Error::Value {
        op,
        message: message.into(),
    }
}
