//! Iterators over datasets that make minibatches (Chainer's
//! `chainer.iterators` and `chainer.dataset.Iterator`), and the converter
//! that stacks a minibatch into arrays ([`concat_examples`]).
//!
//! ```
//! use kusari::array::Array;
//! use kusari::datasets::TupleDataset;
//! use kusari::iterators::{concat_examples, DatasetIterator, SerialIterator};
//! use std::sync::Arc;
//! let ds = TupleDataset::new(vec![Array::arange(10)?])?;
//! let mut it = SerialIterator::new(Arc::new(ds), 4, true, false, 0)?;
//! let b = it.next_batch()?.unwrap();
//! assert_eq!(concat_examples(&b, None, None)?[0].to_vec::<i64>()?, [0, 1, 2, 3]);
//! it.next_batch()?;
//! let b = it.next_batch()?.unwrap(); // wraps around into the second epoch
//! assert_eq!(concat_examples(&b, None, None)?[0].to_vec::<i64>()?, [8, 9, 0, 1]);
//! assert!(it.is_new_epoch() && it.epoch() == 1);
//! # Ok::<(), kusari::Error>(())
//! ```

mod convert;
mod multithread;
mod serial;
mod state;

pub use convert::concat_examples;
pub use multithread::MultithreadIterator;
pub use serial::SerialIterator;

use crate::array::Result;
use crate::datasets::Example;
use crate::serializers::Serializable;

/// What the training loop needs from an iterator (Chainer's
/// `chainer.dataset.Iterator`). Named so as not to shadow `std::iter::Iterator`.
pub trait DatasetIterator: Serializable {
    /// The next minibatch, or `None` when a non-repeating iterator is done.
    fn next_batch(&mut self) -> Result<Option<Vec<Example>>>;
    /// Completed epochs.
    fn epoch(&self) -> u64;
    /// Epochs as a float: completed epochs plus the fraction of the current one.
    fn epoch_detail(&self) -> f64;
    /// [`DatasetIterator::epoch_detail`] before the last `next_batch`, `None` before the first.
    fn previous_epoch_detail(&self) -> Option<f64>;
    /// Whether the last `next_batch` crossed an epoch boundary.
    fn is_new_epoch(&self) -> bool;
    /// Examples per minibatch.
    fn batch_size(&self) -> usize;
    /// Whether the iterator goes on forever.
    fn repeat(&self) -> bool;
    /// Starts over from the first epoch (a new order is drawn when shuffling).
    fn reset(&mut self) -> Result<()>;
}
