//! Updaters: one training iteration (Chainer's `StandardUpdater`).

use super::SerializeState;
use crate::array::{Array, Device, Error, Result};
use crate::datasets::Example;
use crate::iterators::{concat_examples, DatasetIterator};
use crate::optimizers::Optimizer;
use crate::reporter::Reporter;
use crate::serializers::Serializer;
use crate::{Link, Variable};
use std::rc::Rc;

/// Turns a minibatch into arrays on a device (Chainer's converter;
/// [`concat_examples`] by default).
pub type Converter = Box<dyn FnMut(&[Example], Option<Device>) -> Result<Vec<Array>>>;

/// The loss of a converted minibatch (one variable per array the converter made).
pub type LossFn = Box<dyn FnMut(&[Variable]) -> Result<Variable>>;

/// Runs training iterations (Chainer's `Updater`).
pub trait Updater: SerializeState {
    /// One iteration: read a batch, compute the loss, update the parameters.
    fn update(&mut self) -> Result<()>;
    /// Iterations done.
    fn iteration(&self) -> u64;
    /// Epochs of the main iterator done.
    fn epoch(&self) -> u64;
    /// Epochs of the main iterator as a float.
    fn epoch_detail(&self) -> f64;
    /// `epoch_detail` before the last iteration (`None` before the first).
    fn previous_epoch_detail(&self) -> Option<f64>;
    /// Whether the last iteration finished an epoch.
    fn is_new_epoch(&self) -> bool;
    /// Registers the models with the trainer's reporter (`main`, `main/predictor`, ...).
    fn connect_trainer(&mut self, reporter: &mut Reporter);
    /// The optimizer named `name` (`"main"` for the default one).
    fn get_optimizer(&mut self, name: &str) -> Option<&mut dyn Optimizer>;
    /// The names of the optimizers.
    fn optimizer_names(&self) -> Vec<String>;
    /// The model the optimizer `name` updates.
    fn get_target(&self, name: &str) -> Option<Rc<dyn Link>>;
    /// The iterator named `name` (`"main"` for the default one).
    fn get_iterator(&mut self, name: &str) -> Option<&mut dyn DatasetIterator>;
    /// Keeps the last loss variable (and its graph) for extensions such as
    /// `DumpGraph`, until turned off.
    fn set_keep_loss(&mut self, keep: bool);
    /// The last loss, when kept.
    fn last_loss(&self) -> Option<Variable>;
    /// Called when training ends.
    fn finalize(&mut self) {}
}

/// An optimizer with its name and the model it updates.
type Named = (String, Box<dyn Optimizer>, Rc<dyn Link>);

/// The usual updater (Chainer's `StandardUpdater`): each iteration takes a
/// batch from the `"main"` iterator, converts it, and lets the `"main"`
/// optimizer minimize the loss function on it.
pub struct StandardUpdater {
    iterators: Vec<(String, Box<dyn DatasetIterator>)>,
    optimizers: Vec<Named>,
    converter: Converter,
    device: Option<Device>,
    lossfun: LossFn,
    iteration: u64,
    auto_new_epoch: bool,
    keep_loss: bool,
    last_loss: Option<Variable>,
}

impl StandardUpdater {
    /// An updater with `iterator` and `optimizer` as `"main"`; `model` is the
    /// optimizer's target (saved as `model:main` and registered as observer
    /// `main`); `lossfun` computes the loss from the converted batch.
    pub fn new(
        iterator: impl DatasetIterator + 'static,
        optimizer: impl Optimizer + 'static,
        model: Rc<dyn Link>,
        lossfun: impl FnMut(&[Variable]) -> Result<Variable> + 'static,
    ) -> StandardUpdater {
        StandardUpdater {
            iterators: vec![("main".into(), Box::new(iterator))],
            optimizers: vec![("main".into(), Box::new(optimizer), model)],
            converter: Box::new(concat_examples_default),
            device: None,
            lossfun: Box::new(lossfun),
            iteration: 0,
            auto_new_epoch: true,
            keep_loss: false,
            last_loss: None,
        }
    }

    /// Uses `converter` instead of `concat_examples`.
    pub fn with_converter(
        mut self,
        converter: impl FnMut(&[Example], Option<Device>) -> Result<Vec<Array>> + 'static,
    ) -> Self {
        self.converter = Box::new(converter);
        self
    }

    /// Sends batches to `device`.
    pub fn with_device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }

    /// Adds another iterator (for custom loss functions that read it).
    pub fn add_iterator(mut self, name: &str, iterator: impl DatasetIterator + 'static) -> Self {
        self.iterators.push((name.into(), Box::new(iterator)));
        self
    }

    /// Whether the optimizer's epoch follows the main iterator's (default `true`).
    pub fn with_auto_new_epoch(mut self, on: bool) -> Self {
        self.auto_new_epoch = on;
        self
    }

    fn main_iterator(&self) -> &dyn DatasetIterator {
        self.iterators[0].1.as_ref()
    }
}

fn concat_examples_default(batch: &[Example], device: Option<Device>) -> Result<Vec<Array>> {
    concat_examples(batch, device, None)
}

impl Updater for StandardUpdater {
    fn update(&mut self) -> Result<()> {
        let batch = self.iterators[0]
            .1
            .next_batch()?
            .ok_or_else(|| Error::Value {
                op: "StandardUpdater::update",
                message: "the main iterator is exhausted (use repeat=true for training)".into(),
            })?;
        let arrays = (self.converter)(&batch, self.device)?;
        let vars: Vec<Variable> = arrays.into_iter().map(Variable::new).collect();
        let lossfun = &mut self.lossfun;
        let mut last = None;
        self.optimizers[0].1.update_with(&mut || {
            let loss = lossfun(&vars)?;
            last = Some(loss.clone());
            Ok(loss)
        })?;
        self.last_loss = if self.keep_loss { last } else { None };
        if self.auto_new_epoch && self.iterators[0].1.is_new_epoch() {
            self.optimizers[0].1.new_epoch();
        }
        self.iteration += 1;
        Ok(())
    }

    fn iteration(&self) -> u64 {
        self.iteration
    }

    fn epoch(&self) -> u64 {
        self.main_iterator().epoch()
    }

    fn epoch_detail(&self) -> f64 {
        self.main_iterator().epoch_detail()
    }

    fn previous_epoch_detail(&self) -> Option<f64> {
        self.main_iterator().previous_epoch_detail()
    }

    fn is_new_epoch(&self) -> bool {
        self.main_iterator().is_new_epoch()
    }

    fn connect_trainer(&mut self, reporter: &mut Reporter) {
        for (name, _, model) in &self.optimizers {
            reporter.add_observer(name, model.as_ref());
            reporter.add_observers(name, model.as_ref());
        }
    }

    fn get_optimizer(&mut self, name: &str) -> Option<&mut dyn Optimizer> {
        for (n, o, _) in self.optimizers.iter_mut() {
            if n == name {
                return Some(o.as_mut());
            }
        }
        None
    }

    fn optimizer_names(&self) -> Vec<String> {
        self.optimizers.iter().map(|(n, _, _)| n.clone()).collect()
    }

    fn get_target(&self, name: &str) -> Option<Rc<dyn Link>> {
        self.optimizers
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, m)| m.clone())
    }

    fn get_iterator(&mut self, name: &str) -> Option<&mut dyn DatasetIterator> {
        for (n, it) in self.iterators.iter_mut() {
            if n == name {
                return Some(it.as_mut());
            }
        }
        None
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

impl SerializeState for StandardUpdater {
    /// Chainer's layout: `iterator:<name>/...`, `optimizer:<name>/...`,
    /// `model:<name>/...`, `iteration`.
    fn serialize_state(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        for (name, it) in &self.iterators {
            it.serialize(&mut s.child(&format!("iterator:{name}")))?;
        }
        for (name, opt, model) in &self.optimizers {
            opt.serialize(&mut s.child(&format!("optimizer:{name}")))?;
            Link::serialize(model.as_ref(), &mut s.child(&format!("model:{name}")))?;
        }
        let mut it = self.iteration as i64;
        s.scalar("iteration", &mut it)?;
        if s.writes_targets() {
            self.iteration = u64::try_from(it).map_err(|_| Error::Value {
                op: "StandardUpdater load",
                message: format!("iteration {it} is negative"),
            })?;
        }
        Ok(())
    }
}
