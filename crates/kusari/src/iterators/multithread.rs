//! `MultithreadIterator`: the next minibatch is loaded on worker threads
//! while the current one is used.

use super::state::{Config, State};
use super::DatasetIterator;
use crate::array::{Error, Result};
use crate::datasets::{Dataset, Example};
use crate::serializers::{Serializable, Serializer};
use std::cell::RefCell;
use std::sync::Arc;
use std::thread::JoinHandle;

type Fetch = Vec<JoinHandle<Result<Vec<Example>>>>;

/// Loads minibatches on `n_threads` threads, one batch ahead (Chainer's
/// `MultithreadIterator`). Batches, epochs and saved state are exactly
/// those of a [`SerialIterator`](super::SerialIterator) with the same
/// arguments and seed: only where the examples are read differs, which pays
/// off when reading an example is slow (image files, augmentation).
pub struct MultithreadIterator {
    dataset: Arc<dyn Dataset>,
    cfg: Config,
    n_threads: usize,
    state: RefCell<State>,
    // The batch after the current state, being read: the state it leads to and the workers.
    pending: RefCell<Option<(State, Option<Fetch>)>>,
}

impl MultithreadIterator {
    /// An iterator over `dataset` (see [`SerialIterator::new`](super::SerialIterator::new));
    /// `n_threads` workers read each batch (at least one).
    pub fn new(
        dataset: Arc<dyn Dataset>,
        batch_size: usize,
        repeat: bool,
        shuffle: bool,
        seed: u64,
        n_threads: usize,
    ) -> Result<MultithreadIterator> {
        if batch_size == 0 || n_threads == 0 {
            return Err(Error::Value {
                op: "MultithreadIterator::new",
                message: format!(
                    "batch_size and n_threads must be positive, found {batch_size} and {n_threads}"
                ),
            });
        }
        let len = dataset.len();
        Ok(MultithreadIterator {
            state: RefCell::new(State::initial(len, shuffle.then_some(seed))?),
            dataset,
            cfg: Config {
                batch_size,
                repeat,
                len,
            },
            n_threads,
            pending: RefCell::new(None),
        })
    }

    fn prefetch(&self) -> Result<()> {
        let mut next = self.state.borrow().clone();
        let fetch = match next.advance(&self.cfg)? {
            None => None,
            Some(indices) => {
                let chunk = indices.len().div_ceil(self.n_threads).max(1);
                let workers = indices
                    .chunks(chunk)
                    .map(|part| {
                        let ds = self.dataset.clone();
                        let part = part.to_vec();
                        std::thread::spawn(move || ds.get_examples(&part))
                    })
                    .collect();
                Some(workers)
            }
        };
        *self.pending.borrow_mut() = Some((next, fetch));
        Ok(())
    }
}

impl DatasetIterator for MultithreadIterator {
    fn next_batch(&mut self) -> Result<Option<Vec<Example>>> {
        if self.pending.get_mut().is_none() {
            self.prefetch()?;
        }
        let (next, fetch) = self
            .pending
            .get_mut()
            .take()
            .expect("prefetch just filled it");
        let Some(workers) = fetch else {
            *self.state.get_mut() = next;
            return Ok(None);
        };
        let mut batch = Vec::with_capacity(self.cfg.batch_size);
        for w in workers {
            let part = w.join().map_err(|_| Error::Value {
                op: "MultithreadIterator::next_batch",
                message: "a worker thread panicked while reading examples".into(),
            })??;
            batch.extend(part);
        }
        *self.state.get_mut() = next;
        self.prefetch()?;
        Ok(Some(batch))
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
        *self.pending.get_mut() = None;
        self.state.get_mut().reset(self.cfg.len)
    }
}

impl Serializable for MultithreadIterator {
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        let mut copy = self.state.borrow().clone();
        copy.serialize(s, self.cfg.len)?;
        if s.writes_targets() {
            *self.state.borrow_mut() = copy;
            // The prefetched batch followed the old state.
            *self.pending.borrow_mut() = None;
        }
        Ok(())
    }
}
