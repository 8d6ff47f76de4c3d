//! `SerialIterator`: minibatches in order or shuffled, on the calling thread.

use super::state::{Config, State};
use super::DatasetIterator;
use crate::array::{Error, Result};
use crate::datasets::{Dataset, Example};
use crate::serializers::{Serializable, Serializer};
use std::cell::RefCell;
use std::sync::Arc;

/// Makes minibatches from a dataset (Chainer's `SerialIterator`). With
/// `shuffle` the order of each epoch is a permutation drawn from `seed`
/// (the same seed gives the same batches); with `repeat` it never ends and
/// batches span epoch boundaries.
///
/// Its state (position, epoch, order and the shuffling generator) is saved
/// under Chainer's keys, so a resumed iterator yields the same batches as
/// one that never stopped.
pub struct SerialIterator {
    dataset: Arc<dyn Dataset>,
    cfg: Config,
    shuffle: bool,
    // RefCell: Serializable loads through `&self`.
    state: RefCell<State>,
}

impl SerialIterator {
    /// An iterator over `dataset` in batches of `batch_size` (Chainer's
    /// defaults are `repeat = true`, `shuffle = true`).
    pub fn new(
        dataset: Arc<dyn Dataset>,
        batch_size: usize,
        repeat: bool,
        shuffle: bool,
        seed: u64,
    ) -> Result<SerialIterator> {
        if batch_size == 0 {
            return Err(Error::Value {
                op: "SerialIterator::new",
                message: "batch_size must be positive, found 0".into(),
            });
        }
        let len = dataset.len();
        Ok(SerialIterator {
            state: RefCell::new(State::initial(len, shuffle.then_some(seed))?),
            dataset,
            cfg: Config {
                batch_size,
                repeat,
                len,
            },
            shuffle,
        })
    }

    /// The dataset iterated over.
    pub fn dataset(&self) -> &Arc<dyn Dataset> {
        &self.dataset
    }

    /// Whether each epoch is shuffled.
    pub fn shuffle(&self) -> bool {
        self.shuffle
    }

    /// The index order of the current epoch (`None` without shuffling).
    pub fn order(&self) -> Option<Vec<usize>> {
        self.state.borrow().order.clone()
    }

    /// The position within the current epoch.
    pub fn current_position(&self) -> usize {
        self.state.borrow().position
    }
}

impl DatasetIterator for SerialIterator {
    fn next_batch(&mut self) -> Result<Option<Vec<Example>>> {
        let indices = self.state.get_mut().advance(&self.cfg)?;
        match indices {
            Some(ix) => Ok(Some(self.dataset.get_examples(&ix)?)),
            None => Ok(None),
        }
    }

    fn epoch(&self) -> u64 {
        self.state.borrow().epoch
    }

    fn epoch_detail(&self) -> f64 {
        self.state.borrow().epoch_detail(self.cfg.len)
    }

    fn previous_epoch_detail(&self) -> Option<f64> {
        let p = self.state.borrow().previous_epoch_detail;
        (p >= 0.0).then_some(p)
    }

    fn is_new_epoch(&self) -> bool {
        self.state.borrow().is_new_epoch
    }

    fn batch_size(&self) -> usize {
        self.cfg.batch_size
    }

    fn repeat(&self) -> bool {
        self.cfg.repeat
    }

    fn reset(&mut self) -> Result<()> {
        self.state.get_mut().reset(self.cfg.len)
    }
}

impl Serializable for SerialIterator {
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        let mut copy = self.state.borrow().clone();
        copy.serialize(s, self.cfg.len)?;
        if s.writes_targets() {
            *self.state.borrow_mut() = copy;
        }
        Ok(())
    }
}
