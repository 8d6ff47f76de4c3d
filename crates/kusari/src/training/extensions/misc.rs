//! Small extensions: observed values, divergence checks, parameter statistics.

use super::{Extension, Trainer, Trigger, PRIORITY_WRITER};
use crate::array::{DType, Error, Result};
use crate::training::{IntervalTrigger, Unit};
use crate::Link;
use std::rc::Rc;

/// What [`observe_value`] computes the reported value with.
pub type ObserveFn = Box<dyn FnMut(&mut Trainer) -> Result<f64>>;

/// Reports a value computed from the trainer (Chainer's `observe_value`),
/// once per epoch by default.
pub struct ObserveValue {
    key: String,
    f: ObserveFn,
}

/// Reports `f(trainer)` under `key` (Chainer's `observe_value`).
pub fn observe_value(
    key: &str,
    f: impl FnMut(&mut Trainer) -> Result<f64> + 'static,
) -> ObserveValue {
    ObserveValue {
        key: key.into(),
        f: Box::new(f),
    }
}

/// Reports the learning rate (`hyperparam("lr")`) of the optimizer
/// `optimizer_name` under `key` (Chainer's `observe_lr("main", "lr")`).
pub fn observe_lr(optimizer_name: &str, key: &str) -> ObserveValue {
    let name = optimizer_name.to_string();
    observe_value(key, move |t: &mut Trainer| {
        let opt = t
            .updater_mut()
            .get_optimizer(&name)
            .ok_or_else(|| Error::Value {
                op: "observe_lr",
                message: format!("no optimizer named {name:?}"),
            })?;
        opt.hyperparam("lr").ok_or_else(|| Error::Value {
            op: "observe_lr",
            message: format!("optimizer {name:?} has no hyperparameter \"lr\""),
        })
    })
}

impl Extension for ObserveValue {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        let v = (self.f)(trainer)?;
        trainer.report(self.key.clone(), v);
        Ok(())
    }
    fn default_name(&self) -> String {
        format!("observe_{}", self.key)
    }
    fn default_trigger(&self) -> Box<dyn Trigger> {
        Box::new(IntervalTrigger::new(1.0, Unit::Epoch))
    }
    fn priority(&self) -> i32 {
        PRIORITY_WRITER
    }
}

/// Stops training with an error as soon as a parameter of an optimized
/// model is NaN or infinite (Chainer's `FailOnNonNumber`).
#[derive(Default)]
pub struct FailOnNonNumber;

impl FailOnNonNumber {
    /// Checks after every iteration.
    pub fn new() -> FailOnNonNumber {
        FailOnNonNumber
    }
}

impl Extension for FailOnNonNumber {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        let names = trainer.updater().optimizer_names();
        for name in names {
            let Some(model) = trainer.updater().get_target(&name) else {
                continue;
            };
            for (path, p) in model.namedparams() {
                if !p.is_initialized() {
                    continue;
                }
                // A sum is NaN or infinite when any element is (or, for
                // huge values, when it overflows, which also means divergence).
                let s = p
                    .array()?
                    .astype(DType::F64)?
                    .sum(None, false)?
                    .item::<f64>()?;
                if !s.is_finite() {
                    return Err(Error::Value {
                        op: "FailOnNonNumber",
                        message: format!(
                            "Kill the process since parameters in optimizer '{name}' diverge ({path} is not finite). R.I.P."
                        ),
                    });
                }
            }
        }
        Ok(())
    }
    fn default_name(&self) -> String {
        "FailOnNonNumber".into()
    }
}

/// Reports statistics of every parameter and gradient of a model (Chainer's
/// `ParameterStatistics`): `<prefix><path>/data/<stat>` and
/// `<prefix><path>/grad/<stat>` for `mean`, `std`, `min`, `max` and `zeros`
/// (the number of zero elements), once per epoch by default.
pub struct ParameterStatistics {
    target: Rc<dyn Link>,
    prefix: String,
    report_params: bool,
    report_grads: bool,
}

impl ParameterStatistics {
    /// Statistics of `target`'s parameters and gradients, keys prefixed by
    /// `prefix` (e.g. `"main"` gives `main/predictor/l1/W/data/mean`).
    pub fn new(target: Rc<dyn Link>, prefix: &str) -> ParameterStatistics {
        ParameterStatistics {
            target,
            prefix: prefix.into(),
            report_params: true,
            report_grads: true,
        }
    }

    /// Whether to report the parameters' values and gradients.
    pub fn report(mut self, params: bool, grads: bool) -> Self {
        self.report_params = params;
        self.report_grads = grads;
        self
    }
}

fn stats(values: &[f64]) -> [(&'static str, f64); 5] {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let zeros = values.iter().filter(|v| **v == 0.0).count() as f64;
    [
        ("mean", mean),
        ("std", var.sqrt()),
        ("min", min),
        ("max", max),
        ("zeros", zeros),
    ]
}

impl Extension for ParameterStatistics {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        for (path, p) in self.target.namedparams() {
            if !p.is_initialized() {
                continue;
            }
            let mut sources = Vec::new();
            if self.report_params {
                sources.push(("data", Some(p.array()?)));
            }
            if self.report_grads {
                sources.push(("grad", p.grad()));
            }
            for (kind, arr) in sources {
                let Some(a) = arr else { continue };
                let v = a.to_vec::<f64>()?;
                if v.is_empty() {
                    continue;
                }
                for (stat, value) in stats(&v) {
                    trainer.report(format!("{}{path}/{kind}/{stat}", self.prefix), value);
                }
            }
        }
        Ok(())
    }
    fn default_name(&self) -> String {
        "ParameterStatistics".into()
    }
    fn priority(&self) -> i32 {
        PRIORITY_WRITER
    }
    fn default_trigger(&self) -> Box<dyn Trigger> {
        Box::new(IntervalTrigger::new(1.0, Unit::Epoch))
    }
}
