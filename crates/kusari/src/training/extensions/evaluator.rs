//! `Evaluator`: the mean of reported values over a validation set.

use super::{Extension, Trainer, Trigger, PRIORITY_WRITER};
use crate::array::{Array, Device, Result};
use crate::config::{no_backprop_mode, using_config, Setting};
use crate::datasets::Example;
use crate::iterators::{concat_examples, DatasetIterator};
use crate::reporter::{DictSummary, Observation, Reporter};
use crate::training::{IntervalTrigger, Unit};
use crate::{Link, Variable};
use std::rc::Rc;

/// What an [`Evaluator`] calls on each converted batch.
pub type EvalFn = Box<dyn FnMut(&[Variable]) -> Result<()>>;

/// Runs `eval_func` on every batch of a (non-repeating) iterator with
/// `config::train` off and no graph recorded, and reports the means of what
/// it reported under `validation/...` (Chainer's `Evaluator`: a model
/// registered as `main` that reports `loss` gives `validation/main/loss`).
pub struct Evaluator {
    iterator: Box<dyn DatasetIterator>,
    target: Rc<dyn Link>,
    eval_func: EvalFn,
    device: Option<Device>,
    name: String,
    eval_hook: Option<Box<dyn FnMut() -> Result<()>>>,
}

impl Evaluator {
    /// Evaluates `target` (registered as `main`) by calling `eval_func` on
    /// each converted batch of `iterator` (usually the model's loss, which reports).
    pub fn new(
        iterator: impl DatasetIterator + 'static,
        target: Rc<dyn Link>,
        eval_func: impl FnMut(&[Variable]) -> Result<()> + 'static,
    ) -> Evaluator {
        Evaluator {
            iterator: Box::new(iterator),
            target,
            eval_func: Box::new(eval_func),
            device: None,
            name: "validation".into(),
            eval_hook: None,
        }
    }

    /// Calls `hook` at the start of every evaluation, before the first batch
    /// (Chainer's `eval_hook`): a recurrent model resets its state there so
    /// each pass starts from the same state, whatever training left in it.
    pub fn eval_hook(mut self, hook: impl FnMut() -> Result<()> + 'static) -> Self {
        self.eval_hook = Some(Box::new(hook));
        self
    }

    /// Sends batches to `device`.
    pub fn device(mut self, device: Device) -> Self {
        self.device = Some(device);
        self
    }

    /// The prefix of the reported keys and the default extension name (`validation`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// One pass over the iterator: the mean of each reported value.
    pub fn evaluate(&mut self) -> Result<Observation> {
        if let Some(hook) = &mut self.eval_hook {
            hook()?;
        }
        let mut reporter = Reporter::new();
        let prefix = format!("{}/main", self.name);
        reporter.add_observer(&prefix, self.target.as_ref());
        reporter.add_observers(&prefix, self.target.as_ref());
        let _train = using_config(Setting::Train, false);
        self.iterator.reset()?;
        let mut summary = DictSummary::new();
        while let Some(batch) = self.iterator.next_batch()? {
            let arrays: Vec<Array> = concat_examples(&batch as &[Example], self.device, None)?;
            let vars: Vec<Variable> = arrays.into_iter().map(Variable::new).collect();
            let f = &mut self.eval_func;
            let obs = reporter.scope(|| {
                let _nb = no_backprop_mode();
                f(&vars)
            })?;
            summary.add(&obs);
        }
        Ok(summary.compute_mean())
    }
}

impl Extension for Evaluator {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        let result = self.evaluate()?;
        for (k, v) in result.iter() {
            trainer.report(k, v);
        }
        Ok(())
    }

    fn default_name(&self) -> String {
        self.name.clone()
    }

    fn default_trigger(&self) -> Box<dyn Trigger> {
        Box::new(IntervalTrigger::new(1.0, Unit::Epoch))
    }

    fn priority(&self) -> i32 {
        PRIORITY_WRITER
    }
}
