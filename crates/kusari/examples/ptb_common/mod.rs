//! The pieces of Chainer's `examples/ptb/train_ptb.py` that are not the
//! command line: the language model, the parallel sequential iterator and
//! the truncated-BPTT updater. Included by `train_ptb` and by the test
//! `tests/ptb_example.rs` with `#[path]`, so the test runs the example's code.

use kusari::array::ops::random::{Generator, PhiloxState};
use kusari::array::{Array, DType, Device, Error};
use kusari::datasets::Example;
use kusari::iterators::{concat_examples, DatasetIterator};
use kusari::links::{Classifier, EmbedID, Linear, LSTM};
use kusari::optimizers::Optimizer;
use kusari::reporter::Reporter;
use kusari::serializers::{Serializable, Serializer};
use kusari::training::extensions::{LogEntry, LogValue};
use kusari::training::{SerializeState, Updater};
use kusari::{functions as F, Chain, Forward, Link, Result, Variable};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// The recurrent language model (Chainer's `RNNForLM`): embedding, two
/// LSTM layers and a linear layer to the vocabulary, with dropout before
/// each of the last three.
///
/// `Clone` shares the parameters and copies the (recurrent) state: the
/// evaluation model is a clone, as Chainer's `model.copy()`, so evaluating
/// never disturbs the training state.
#[derive(Chain, Clone)]
pub struct RnnForLm {
    embed: EmbedID,
    l1: LSTM,
    l2: LSTM,
    l3: Linear,
}

impl RnnForLm {
    /// A model over `n_vocab` word ids with `n_units` units per layer; every
    /// parameter drawn from `U(-0.1, 0.1)` as Chainer's example does, from `seed`.
    pub fn new(n_vocab: usize, n_units: usize, seed: u64) -> Result<RnnForLm> {
        let model = RnnForLm {
            embed: EmbedID::new(n_vocab, n_units),
            l1: LSTM::new(n_units, n_units)?,
            l2: LSTM::new(n_units, n_units)?,
            l3: Linear::new(n_units, n_vocab),
        };
        let mut rng = Generator::new(seed);
        for (_, p) in model.namedparams() {
            let shape = p.array()?.shape().to_vec();
            p.set_array(rng.uniform(-0.1, 0.1, &shape, DType::F32)?)?;
        }
        Ok(model)
    }

    /// Forgets both LSTMs' states (the start of a new text).
    pub fn reset_state(&self) {
        self.l1.reset_state();
        self.l2.reset_state();
    }

    /// Saves or restores both LSTMs' cell and hidden states. They are not
    /// parameters, so a plain model snapshot leaves them out (Chainer's too);
    /// without them a resumed run would restart the text from a zero state
    /// and drift from the run it resumes.
    pub fn serialize_recurrent_state(&self, s: &mut Serializer<'_>) -> Result<()> {
        for (name, lstm) in [("l1", &self.l1), ("l2", &self.l2)] {
            let mut s = s.child(name);
            let (c, h) = (lstm.c(), lstm.h());
            let mut has = i64::from(c.is_some() && h.is_some());
            s.scalar("has_state", &mut has)?;
            let empty = || Array::zeros(&[0], DType::F32);
            let mut c = Some(c.map_or_else(empty, |v| Ok(v.array()))?);
            let mut h = Some(h.map_or_else(empty, |v| Ok(v.array()))?);
            s.any_array("c", &mut c)?;
            s.any_array("h", &mut h)?;
            if s.writes_targets() {
                match (has, c, h) {
                    (1, Some(c), Some(h)) => lstm.set_state(Variable::new(c), Variable::new(h))?,
                    _ => lstm.reset_state(),
                }
            }
        }
        Ok(())
    }
}

impl Forward for RnnForLm {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        let h0 = self.embed.forward(x)?;
        let h1 = self.l1.forward(&F::dropout(&h0, 0.5)?)?;
        let h2 = self.l2.forward(&F::dropout(&h1, 0.5)?)?;
        self.l3.forward(&F::dropout(&h2, 0.5)?)
    }
}

/// The classifier the example trains: softmax cross entropy on the next
/// word, no accuracy (Chainer's `model.compute_accuracy = False`).
pub type Model = Classifier<RnnForLm>;

/// Wraps `rnn` as the example's [`Model`].
pub fn classifier(rnn: RnnForLm) -> Model {
    Classifier::with_lossfun(rnn, Rc::new(F::softmax_cross_entropy))
}

#[derive(Clone, Debug)]
struct Position {
    iteration: i64,
    epoch: i64,
    is_new_epoch: bool,
    previous_epoch_detail: f64,
}

impl Position {
    fn start() -> Position {
        Position {
            iteration: 0,
            epoch: 0,
            is_new_epoch: false,
            previous_epoch_detail: -1.0,
        }
    }
}

/// Chainer's example `ParallelSequentialIterator`: `batch_size` cursors
/// spread evenly over one long word sequence, all advancing by one word per
/// batch; each example is `(word, next word)` as two 0-d `int32` arrays.
/// An epoch is `len / batch_size` batches. Its position (`iteration`,
/// `epoch`, `previous_epoch_detail`, Chainer's keys) is saved in snapshots.
pub struct ParallelSequentialIterator {
    words: Arc<Vec<i32>>,
    batch_size: usize,
    repeat: bool,
    offsets: Vec<usize>,
    // RefCell: Serializable loads through `&self`.
    pos: RefCell<Position>,
}

impl ParallelSequentialIterator {
    /// An iterator over `words` (ids) with `batch_size` cursors.
    pub fn new(words: Arc<Vec<i32>>, batch_size: usize, repeat: bool) -> Result<Self> {
        if batch_size == 0 || words.is_empty() {
            return Err(Error::Value {
                op: "ParallelSequentialIterator::new",
                message: format!(
                    "expected a positive batch size and at least one word, found batch size {batch_size} and {} words",
                    words.len()
                ),
            });
        }
        let len = words.len();
        Ok(ParallelSequentialIterator {
            offsets: (0..batch_size).map(|i| i * len / batch_size).collect(),
            words,
            batch_size,
            repeat,
            pos: RefCell::new(Position::start()),
        })
    }

    fn word(&self, offset: usize, iteration: i64) -> i32 {
        self.words[(offset + iteration as usize) % self.words.len()]
    }
}

impl DatasetIterator for ParallelSequentialIterator {
    fn next_batch(&mut self) -> Result<Option<Vec<Example>>> {
        let len = self.words.len() as i64;
        let detail = self.epoch_detail();
        let pos = self.pos.get_mut();
        if !self.repeat && pos.iteration * self.batch_size as i64 >= len {
            return Ok(None);
        }
        let it = pos.iteration;
        pos.previous_epoch_detail = detail;
        pos.iteration += 1;
        let epoch = pos.iteration * self.batch_size as i64 / len;
        pos.is_new_epoch = pos.epoch < epoch;
        pos.epoch = pos.epoch.max(epoch);
        Ok(Some(
            self.offsets
                .iter()
                .map(|&o| {
                    vec![
                        Array::scalar(self.word(o, it)),
                        Array::scalar(self.word(o, it + 1)),
                    ]
                })
                .collect(),
        ))
    }

    fn epoch(&self) -> u64 {
        self.pos.borrow().epoch as u64
    }

    fn epoch_detail(&self) -> f64 {
        self.pos.borrow().iteration as f64 * self.batch_size as f64 / self.words.len() as f64
    }

    fn previous_epoch_detail(&self) -> Option<f64> {
        let p = self.pos.borrow().previous_epoch_detail;
        (p >= 0.0).then_some(p)
    }

    fn is_new_epoch(&self) -> bool {
        self.pos.borrow().is_new_epoch
    }

    fn batch_size(&self) -> usize {
        self.batch_size
    }

    fn repeat(&self) -> bool {
        self.repeat
    }

    fn reset(&mut self) -> Result<()> {
        *self.pos.get_mut() = Position::start();
        Ok(())
    }
}

impl Serializable for ParallelSequentialIterator {
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        let mut p = self.pos.borrow().clone();
        s.scalar("iteration", &mut p.iteration)?;
        s.scalar("epoch", &mut p.epoch)?;
        s.scalar("previous_epoch_detail", &mut p.previous_epoch_detail)?;
        if s.writes_targets() {
            if p.iteration < 0 || p.epoch < 0 {
                return Err(Error::Value {
                    op: "ParallelSequentialIterator load",
                    message: format!(
                        "expected a non-negative iteration and epoch, found {} and {}",
                        p.iteration, p.epoch
                    ),
                });
            }
            p.is_new_epoch = false;
            *self.pos.borrow_mut() = p;
        }
        Ok(())
    }
}

/// Chainer's example `BPTTUpdater`: one update reads `bprop_len` batches,
/// sums the losses, backpropagates through all of them (truncated BPTT),
/// then cuts the graph with `unchain_backward` so the LSTM states carry on
/// into the next update without the old graph.
pub struct BpttUpdater<O: Optimizer> {
    iterator: ParallelSequentialIterator,
    optimizer: O,
    model: Rc<Model>,
    bprop_len: usize,
    device: Option<Device>,
    iteration: u64,
    keep_loss: bool,
    last_loss: Option<Variable>,
}

impl<O: Optimizer> BpttUpdater<O> {
    /// An updater whose `optimizer` (already set up on `model`) minimizes the
    /// summed loss of `bprop_len` consecutive batches of `iterator`.
    pub fn new(
        iterator: ParallelSequentialIterator,
        optimizer: O,
        model: Rc<Model>,
        bprop_len: usize,
        device: Option<Device>,
    ) -> Result<Self> {
        if bprop_len == 0 {
            return Err(Error::Value {
                op: "BpttUpdater::new",
                message: "expected a positive bprop_len, found 0".into(),
            });
        }
        Ok(BpttUpdater {
            iterator,
            optimizer,
            model,
            bprop_len,
            device,
            iteration: 0,
            keep_loss: false,
            last_loss: None,
        })
    }
}

impl<O: Optimizer> Updater for BpttUpdater<O> {
    fn update(&mut self) -> Result<()> {
        let epoch = self.iterator.epoch();
        let mut loss: Option<Variable> = None;
        for _ in 0..self.bprop_len {
            let batch = self.iterator.next_batch()?.ok_or_else(|| Error::Value {
                op: "BpttUpdater::update",
                message: "the iterator is exhausted (use repeat=true for training)".into(),
            })?;
            let a = concat_examples(&batch, self.device, None)?;
            let (x, t) = (Variable::new(a[0].clone()), Variable::new(a[1].clone()));
            let l = self.model.forward(&x, &t)?;
            loss = Some(match loss {
                None => l,
                Some(sum) => sum.try_add(&l)?,
            });
        }
        let loss = loss.ok_or_else(|| Error::Value {
            op: "BpttUpdater::update",
            message: "expected bprop_len > 0, found 0".into(),
        })?;
        self.model.cleargrads();
        loss.backward()?;
        // The graph of this window is done with; the next window starts
        // from the LSTM states as plain values.
        loss.unchain_backward();
        self.optimizer.update()?;
        if self.iterator.epoch() > epoch {
            self.optimizer.new_epoch();
        }
        self.last_loss = self.keep_loss.then_some(loss);
        self.iteration += 1;
        Ok(())
    }

    fn iteration(&self) -> u64 {
        self.iteration
    }

    fn epoch(&self) -> u64 {
        self.iterator.epoch()
    }

    fn epoch_detail(&self) -> f64 {
        self.iterator.epoch_detail()
    }

    fn previous_epoch_detail(&self) -> Option<f64> {
        self.iterator.previous_epoch_detail()
    }

    fn is_new_epoch(&self) -> bool {
        self.iterator.is_new_epoch()
    }

    fn connect_trainer(&mut self, reporter: &mut Reporter) {
        reporter.add_observer("main", self.model.as_ref());
        reporter.add_observers("main", self.model.as_ref());
    }

    fn get_optimizer(&mut self, name: &str) -> Option<&mut dyn Optimizer> {
        (name == "main").then_some(&mut self.optimizer as &mut dyn Optimizer)
    }

    fn optimizer_names(&self) -> Vec<String> {
        vec!["main".into()]
    }

    fn get_target(&self, name: &str) -> Option<Rc<dyn Link>> {
        (name == "main").then(|| self.model.clone() as Rc<dyn Link>)
    }

    fn get_iterator(&mut self, name: &str) -> Option<&mut dyn DatasetIterator> {
        (name == "main").then_some(&mut self.iterator as &mut dyn DatasetIterator)
    }

    fn set_keep_loss(&mut self, keep: bool) {
        self.keep_loss = keep;
        if !keep {
            self.last_loss = None;
        }
    }

    fn last_loss(&self) -> Option<Variable> {
        self.last_loss.clone()
    }
}

impl<O: Optimizer> SerializeState for BpttUpdater<O> {
    /// `StandardUpdater`'s layout (what Chainer's subclass inherits).
    fn serialize_state(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.iterator.serialize(&mut s.child("iterator:main"))?;
        self.optimizer.serialize(&mut s.child("optimizer:main"))?;
        Link::serialize(self.model.as_ref(), &mut s.child("model:main"))?;
        // Beyond Chainer's layout: what an uninterrupted run would carry into
        // the next update, so a resumed run repeats it exactly.
        self.model
            .predictor
            .serialize_recurrent_state(&mut s.child("rnn_state"))?;
        serialize_dropout_rng(&mut s.child("dropout_rng"))?;
        let mut it = self.iteration as i64;
        s.scalar("iteration", &mut it)?;
        if s.writes_targets() {
            self.iteration = u64::try_from(it).map_err(|_| Error::Value {
                op: "BpttUpdater load",
                message: format!("expected a non-negative iteration, found {it}"),
            })?;
        }
        Ok(())
    }
}

/// Saves or restores the dropout masks' generator (`F::dropout` draws from
/// this thread's generator), as `key` (2) and `counter` (4) 32-bit words.
fn serialize_dropout_rng(s: &mut Serializer<'_>) -> Result<()> {
    let state = F::with_generator(|g| g.state());
    let mut key = Array::from_vec(state.key.iter().map(|&w| w as i64).collect(), &[2])?;
    let mut counter = Array::from_vec(state.counter.iter().map(|&w| w as i64).collect(), &[4])?;
    s.array("key", &mut key)?;
    s.array("counter", &mut counter)?;
    if s.writes_targets() {
        let words = |a: &Array| -> Result<Vec<u32>> {
            a.to_vec::<i64>()?
                .into_iter()
                .map(|w| {
                    u32::try_from(w).map_err(|_| Error::Value {
                        op: "BpttUpdater load",
                        message: format!("expected 32-bit generator words, found {w}"),
                    })
                })
                .collect()
        };
        let (k, c) = (words(&key)?, words(&counter)?);
        let state = PhiloxState {
            key: [k[0], k[1]],
            counter: [c[0], c[1], c[2], c[3]],
        };
        F::with_generator(|g| g.set_state(state));
    }
    Ok(())
}

/// Chainer's `compute_perplexity` postprocess: `perplexity = exp(main/loss)`
/// and `val_perplexity = exp(validation/main/loss)` on each log line.
pub fn compute_perplexity(entry: &mut LogEntry) {
    if let Some(loss) = entry.get("main/loss") {
        entry.set("perplexity", LogValue::Float(loss.as_f64().exp()));
    }
    if let Some(loss) = entry.get("validation/main/loss") {
        entry.set("val_perplexity", LogValue::Float(loss.as_f64().exp()));
    }
}
