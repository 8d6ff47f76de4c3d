//! The iterator state machine shared by the serial and multithreaded
//! iterators (Chainer's `iterators/_statemachine.py`), plus the shuffling
//! generator so that a resumed iterator draws the same future orders.

use crate::array::ops::random::{Generator, PhiloxState};
use crate::array::{Array, DType, Error, Result};
use crate::serializers::Serializer;

/// Position in the epoch, epochs done, and the current order.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pub position: usize,
    pub epoch: u64,
    pub is_new_epoch: bool,
    pub order: Option<Vec<usize>>,
    pub rng: Option<Generator>,
    pub previous_epoch_detail: f64,
}

pub(crate) struct Config {
    pub batch_size: usize,
    pub repeat: bool,
    pub len: usize,
}

fn draw(rng: &mut Generator, n: usize) -> Result<Vec<usize>> {
    Ok(rng
        .permutation(n)?
        .to_vec::<i64>()?
        .into_iter()
        .map(|v| v as usize)
        .collect())
}

impl State {
    pub fn initial(len: usize, shuffle: Option<u64>) -> Result<State> {
        let mut rng = shuffle.map(Generator::new);
        let order = match &mut rng {
            Some(r) => Some(draw(r, len)?),
            None => None,
        };
        Ok(State {
            position: 0,
            epoch: 0,
            is_new_epoch: false,
            order,
            rng,
            previous_epoch_detail: -1.0,
        })
    }

    /// Continues the shuffling stream from the current generator state (a
    /// reset after training draws a fresh order, as Chainer's does).
    pub fn reset(&mut self, len: usize) -> Result<()> {
        self.order = match &mut self.rng {
            Some(r) => Some(draw(r, len)?),
            None => None,
        };
        self.position = 0;
        self.epoch = 0;
        self.is_new_epoch = false;
        self.previous_epoch_detail = -1.0;
        Ok(())
    }

    pub fn epoch_detail(&self, len: usize) -> f64 {
        self.epoch as f64 + self.position as f64 / len.max(1) as f64
    }

    /// Advances by one batch; the indices are `None` when a non-repeating
    /// iterator is exhausted.
    pub fn advance(&mut self, cfg: &Config) -> Result<Option<Vec<usize>>> {
        if !cfg.repeat && self.epoch > 0 {
            return Ok(None);
        }
        let n = cfg.len;
        if cfg.repeat && n == 0 {
            return Err(Error::Value {
                op: "iterator",
                message: "epoch size must be positive for an iterator that repeats (the dataset is empty)"
                    .into(),
            });
        }
        self.previous_epoch_detail = self.epoch_detail(n);
        let pick = |order: &Option<Vec<usize>>, a: usize, b: usize| -> Vec<usize> {
            match order {
                Some(o) => o[a..b].to_vec(),
                None => (a..b).collect(),
            }
        };
        let mut indices = Vec::with_capacity(cfg.batch_size);
        let mut i = self.position;
        let mut i_end = i + cfg.batch_size;
        self.is_new_epoch = false;
        while i_end >= n {
            indices.extend(pick(&self.order, i, n));
            if let Some(rng) = &mut self.rng {
                self.order = Some(draw(rng, n)?);
            }
            self.epoch += 1;
            self.is_new_epoch = true;
            i = 0;
            if cfg.repeat {
                i_end -= n;
            } else {
                i_end = 0;
                break;
            }
        }
        indices.extend(pick(&self.order, i, i_end));
        self.position = i_end;
        Ok(Some(indices))
    }

    /// Chainer's keys (`current_position`, `epoch`, `is_new_epoch`, `order`,
    /// `previous_epoch_detail`) plus `_rng_state`, the shuffling generator,
    /// which Chainer does not save (so its resumed runs shuffle differently).
    pub fn serialize(&mut self, s: &mut Serializer<'_>, len: usize) -> Result<()> {
        let mut position = self.position as i64;
        let mut epoch = self.epoch as i64;
        let mut is_new_epoch = self.is_new_epoch;
        let mut previous = self.previous_epoch_detail;
        s.scalar("current_position", &mut position)?;
        s.scalar("epoch", &mut epoch)?;
        s.scalar("is_new_epoch", &mut is_new_epoch)?;
        let mut order = match &self.order {
            Some(o) => Some(Array::from_vec(
                o.iter().map(|&v| v as i64).collect::<Vec<_>>(),
                &[o.len()],
            )?),
            None => None,
        };
        s.any_array("order", &mut order)?;
        s.scalar("previous_epoch_detail", &mut previous)?;
        let mut rng = match &self.rng {
            Some(r) => {
                let st = r.state();
                let words: Vec<i64> = st
                    .key
                    .iter()
                    .chain(&st.counter)
                    .map(|&w| w as i64)
                    .collect();
                Some(Array::from_vec(words, &[6])?)
            }
            None => None,
        };
        s.any_array("_rng_state", &mut rng)?;
        if !s.writes_targets() {
            return Ok(());
        }
        let bad = |message: String| Error::Value {
            op: "iterator load",
            message,
        };
        if position < 0 || position as usize > len || epoch < 0 {
            return Err(bad(format!(
                "current_position {position} / epoch {epoch} do not fit a dataset of {len} examples"
            )));
        }
        let order = match order {
            Some(a) => {
                let v = a.astype(DType::I64)?.to_vec::<i64>()?;
                let mut seen = vec![false; len];
                let ok = v.len() == len
                    && v.iter().all(|&k| {
                        k >= 0
                            && (k as usize) < len
                            && !std::mem::replace(&mut seen[k as usize], true)
                    });
                if !ok {
                    return Err(bad(format!("order is not a permutation of 0..{len}")));
                }
                Some(v.into_iter().map(|k| k as usize).collect())
            }
            None => None,
        };
        let rng = match rng {
            Some(a) => {
                let w = a.astype(DType::I64)?.to_vec::<i64>()?;
                if w.len() != 6 {
                    return Err(bad(format!("_rng_state has {} words, expected 6", w.len())));
                }
                Some(Generator::from_state(PhiloxState {
                    key: [w[0] as u32, w[1] as u32],
                    counter: [w[2] as u32, w[3] as u32, w[4] as u32, w[5] as u32],
                }))
            }
            None => None,
        };
        if order.is_some() != self.order.is_some() {
            return Err(bad(
                "the saved iterator and this one differ in shuffling".into()
            ));
        }
        self.position = position as usize;
        self.epoch = epoch as u64;
        self.is_new_epoch = is_new_epoch;
        self.previous_epoch_detail = previous;
        self.order = order;
        if rng.is_some() {
            self.rng = rng;
        }
        Ok(())
    }
}
