//! Triggers: when an extension runs or training stops (Chainer's
//! `chainer.training.triggers`).

use super::floordiv;
use super::Trainer;
use crate::array::{Error, Result};
use crate::reporter::DictSummary;
use crate::serializers::{Serializable, Serializer};
use std::cell::RefCell;

/// Decides, once per iteration, whether something happens.
pub trait Trigger {
    /// Whether to fire now (called once per iteration, after the update).
    fn check(&mut self, trainer: &Trainer) -> bool;

    /// Saves or restores the trigger's state (Chainer's key names).
    fn serialize(&mut self, _s: &mut Serializer<'_>) -> Result<()> {
        Ok(())
    }

    /// The training length when this is a stop trigger (for progress bars).
    fn training_length(&self) -> Option<(f64, Unit)> {
        None
    }

    /// Whether the trigger will never fire again (Chainer's `finished`).
    fn finished(&self) -> bool {
        false
    }
}

/// The unit of a trigger's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Passes over the training set (fractions allowed: `0.5` epochs).
    Epoch,
    /// Updates.
    Iteration,
}

impl Unit {
    /// Chainer's name: `"epoch"` or `"iteration"`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Epoch => "epoch",
            Unit::Iteration => "iteration",
        }
    }
}

/// Fires every `period` units (Chainer's `IntervalTrigger`; `(1, Unit::Epoch)`
/// converts into one).
///
/// ```
/// use kusari::training::{IntervalTrigger, Unit};
/// let t: IntervalTrigger = (2, Unit::Epoch).into();
/// assert_eq!(t.period(), 2.0);
/// ```
#[derive(Clone, Debug)]
pub struct IntervalTrigger {
    period: f64,
    unit: Unit,
    previous_iteration: i64,
    previous_epoch_detail: f64,
}

impl IntervalTrigger {
    /// Fires every `period` units.
    pub fn new(period: f64, unit: Unit) -> IntervalTrigger {
        IntervalTrigger {
            period,
            unit,
            previous_iteration: 0,
            previous_epoch_detail: 0.0,
        }
    }

    /// The period.
    pub fn period(&self) -> f64 {
        self.period
    }

    /// The unit.
    pub fn unit(&self) -> Unit {
        self.unit
    }
}

/// A trigger period: any integer or float (`(20, Unit::Epoch)`, `(0.5, Unit::Epoch)`).
pub trait Period {
    /// The period as a float.
    fn period(self) -> f64;
}

macro_rules! period {
    ($($t:ty),*) => {$(
        impl Period for $t {
            fn period(self) -> f64 {
                self as f64
            }
        }
    )*};
}
period!(i32, i64, u32, u64, usize, f32, f64);

impl<N: Period> From<(N, Unit)> for IntervalTrigger {
    fn from((n, unit): (N, Unit)) -> Self {
        IntervalTrigger::new(n.period(), unit)
    }
}

impl<N: Period> From<(N, Unit)> for Box<dyn Trigger> {
    fn from(spec: (N, Unit)) -> Self {
        Box::new(IntervalTrigger::from(spec))
    }
}

impl Trigger for IntervalTrigger {
    fn check(&mut self, trainer: &Trainer) -> bool {
        let u = trainer.updater();
        let fire = match self.unit {
            Unit::Epoch => {
                let e = u.epoch_detail();
                let mut prev = self.previous_epoch_detail;
                if prev < 0.0 {
                    prev = u.previous_epoch_detail().unwrap_or(-1.0);
                }
                floordiv(prev, self.period) != floordiv(e, self.period)
            }
            Unit::Iteration => {
                let it = u.iteration() as f64;
                let mut prev = self.previous_iteration as f64;
                if prev < 0.0 {
                    prev = it - 1.0;
                }
                floordiv(prev, self.period) != floordiv(it, self.period)
            }
        };
        self.previous_iteration = u.iteration() as i64;
        self.previous_epoch_detail = u.epoch_detail();
        fire
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        s.scalar("previous_iteration", &mut self.previous_iteration)?;
        s.scalar("previous_epoch_detail", &mut self.previous_epoch_detail)
    }

    fn training_length(&self) -> Option<(f64, Unit)> {
        Some((self.period, self.unit))
    }
}

/// Fires at the given points (Chainer's `ManualScheduleTrigger`).
#[derive(Clone, Debug)]
pub struct ManualScheduleTrigger {
    points: Vec<f64>,
    unit: Unit,
    finished: bool,
    previous_iteration: i64,
    previous_epoch_detail: f64,
}

impl ManualScheduleTrigger {
    /// Fires when training passes each of `points` (in `unit`s).
    pub fn new(points: Vec<f64>, unit: Unit) -> Result<ManualScheduleTrigger> {
        if points.is_empty() {
            return Err(Error::Value {
                op: "ManualScheduleTrigger::new",
                message: "expected at least one point, found none".into(),
            });
        }
        Ok(ManualScheduleTrigger {
            points,
            unit,
            finished: false,
            previous_iteration: 0,
            previous_epoch_detail: 0.0,
        })
    }
}

impl Trigger for ManualScheduleTrigger {
    fn check(&mut self, trainer: &Trainer) -> bool {
        let u = trainer.updater();
        let (now, mut prev) = match self.unit {
            Unit::Epoch => (u.epoch_detail(), self.previous_epoch_detail),
            Unit::Iteration => (u.iteration() as f64, self.previous_iteration as f64),
        };
        if prev < 0.0 {
            prev = match self.unit {
                Unit::Epoch => u.previous_epoch_detail().unwrap_or(-1.0),
                Unit::Iteration => now - 1.0,
            };
        }
        let fire = self.points.iter().any(|&p| prev < p && p <= now);
        let last = self.points.iter().cloned().fold(f64::MIN, f64::max);
        if fire && now >= last {
            self.finished = true;
        }
        self.previous_iteration = u.iteration() as i64;
        self.previous_epoch_detail = u.epoch_detail();
        fire
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        s.scalar("previous_iteration", &mut self.previous_iteration)?;
        s.scalar("previous_epoch_detail", &mut self.previous_epoch_detail)?;
        s.scalar("finished", &mut self.finished)
    }

    fn finished(&self) -> bool {
        self.finished
    }
}

/// Fires when the mean of `key` over each interval is the best so far
/// (Chainer's `BestValueTrigger`; see [`MaxValueTrigger`], [`MinValueTrigger`]).
pub struct BestValueTrigger {
    key: String,
    maximize: bool,
    best: Option<f64>,
    interval: IntervalTrigger,
    summary: RefCell<DictSummary>,
}

impl BestValueTrigger {
    fn new(key: &str, maximize: bool, interval: IntervalTrigger) -> Self {
        BestValueTrigger {
            key: key.to_string(),
            maximize,
            best: None,
            interval,
            summary: RefCell::new(DictSummary::new()),
        }
    }

    /// The best value seen.
    pub fn best_value(&self) -> Option<f64> {
        self.best
    }
}

impl Trigger for BestValueTrigger {
    fn check(&mut self, trainer: &Trainer) -> bool {
        if let Some(v) = trainer.observation().get(&self.key) {
            let mut o = crate::reporter::Observation::new();
            o.insert(self.key.clone(), v);
            self.summary.get_mut().add(&o);
        }
        if !self.interval.check(trainer) {
            return false;
        }
        let value = self.summary.get_mut().compute_mean().get(&self.key);
        *self.summary.get_mut() = DictSummary::new();
        let Some(value) = value else { return false };
        let better = match self.best {
            None => true,
            Some(b) if self.maximize => value > b,
            Some(b) => value < b,
        };
        if better {
            self.best = Some(value);
        }
        better
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.interval.serialize(&mut s.child("interval_trigger"))?;
        self.summary.serialize(&mut s.child("summary"))?;
        // Chainer stores None before the first value; kusari stores NaN.
        let mut best = self.best.unwrap_or(f64::NAN);
        s.scalar("best_value", &mut best)?;
        if s.writes_targets() {
            self.best = (!best.is_nan()).then_some(best);
        }
        Ok(())
    }
}

/// Fires when the interval mean of `key` reaches a new maximum (Chainer's `MaxValueTrigger`).
pub struct MaxValueTrigger;

impl MaxValueTrigger {
    /// Watches `key` (e.g. `"validation/main/accuracy"`), checked every `interval`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(key: &str, interval: impl Into<IntervalTrigger>) -> BestValueTrigger {
        BestValueTrigger::new(key, true, interval.into())
    }
}

/// Fires when the interval mean of `key` reaches a new minimum (Chainer's `MinValueTrigger`).
pub struct MinValueTrigger;

impl MinValueTrigger {
    /// Watches `key` (e.g. `"validation/main/loss"`), checked every `interval`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(key: &str, interval: impl Into<IntervalTrigger>) -> BestValueTrigger {
        BestValueTrigger::new(key, false, interval.into())
    }
}

/// Stops training when `monitor` has not improved for `patience` checks,
/// or at `max_trigger` (Chainer's `EarlyStoppingTrigger`; use it as the stop trigger).
pub struct EarlyStoppingTrigger {
    monitor: String,
    patience: u64,
    count: u64,
    maximize: bool,
    best: f64,
    check: IntervalTrigger,
    max_trigger: IntervalTrigger,
    summary: DictSummary,
}

impl EarlyStoppingTrigger {
    /// Chainer's defaults: checked every epoch, patience 3, at most 100
    /// epochs, maximizing when the key contains `accuracy` and minimizing otherwise.
    pub fn new(monitor: &str) -> EarlyStoppingTrigger {
        let maximize = monitor.contains("accuracy");
        EarlyStoppingTrigger {
            monitor: monitor.to_string(),
            patience: 3,
            count: 0,
            maximize,
            best: if maximize {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            check: IntervalTrigger::new(1.0, Unit::Epoch),
            max_trigger: IntervalTrigger::new(100.0, Unit::Epoch),
            summary: DictSummary::new(),
        }
    }

    /// Checks without improvement before stopping.
    pub fn patience(mut self, patience: u64) -> Self {
        self.patience = patience;
        self
    }

    /// How often to check.
    pub fn check_trigger(mut self, t: impl Into<IntervalTrigger>) -> Self {
        self.check = t.into();
        self
    }

    /// The longest training.
    pub fn max_trigger(mut self, t: impl Into<IntervalTrigger>) -> Self {
        self.max_trigger = t.into();
        self
    }

    /// `"max"` or `"min"` (the default, `"auto"`, follows the key's name).
    pub fn mode_max(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self.best = if maximize {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        self
    }
}

impl Trigger for EarlyStoppingTrigger {
    fn check(&mut self, trainer: &Trainer) -> bool {
        let obs = trainer.observation();
        if let Some(v) = obs.get(&self.monitor) {
            let mut o = crate::reporter::Observation::new();
            o.insert(self.monitor.clone(), v);
            self.summary.add(&o);
        }
        if self.max_trigger.check(trainer) {
            return true;
        }
        if !self.check.check(trainer) || obs.get(&self.monitor).is_none() {
            return false;
        }
        let Some(current) = self.summary.compute_mean().get(&self.monitor) else {
            return false;
        };
        self.summary = DictSummary::new();
        let improved = if self.maximize {
            current > self.best
        } else {
            current < self.best
        };
        if improved {
            self.best = current;
            self.count = 0;
        } else {
            self.count += 1;
        }
        self.count >= self.patience
    }

    fn training_length(&self) -> Option<(f64, Unit)> {
        self.max_trigger.training_length()
    }
}

/// Fires every `period` seconds of training time (Chainer's `TimeTrigger`).
#[derive(Clone, Debug)]
pub struct TimeTrigger {
    period: f64,
    next_time: f64,
}

impl TimeTrigger {
    /// Fires each time another `period` seconds have passed.
    pub fn new(period: f64) -> TimeTrigger {
        TimeTrigger {
            period,
            next_time: period,
        }
    }
}

impl Trigger for TimeTrigger {
    fn check(&mut self, trainer: &Trainer) -> bool {
        if self.next_time < trainer.elapsed_time() {
            self.next_time += self.period;
            true
        } else {
            false
        }
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        s.scalar("next_time", &mut self.next_time)
    }
}

/// Fires once, at the first check (Chainer's `OnceTrigger`).
#[derive(Clone, Debug, Default)]
pub struct OnceTrigger {
    fired: bool,
}

impl OnceTrigger {
    /// A trigger that fires at its first check only.
    pub fn new() -> OnceTrigger {
        OnceTrigger::default()
    }
}

impl Trigger for OnceTrigger {
    fn check(&mut self, _trainer: &Trainer) -> bool {
        !std::mem::replace(&mut self.fired, true)
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        let mut first = !self.fired;
        s.scalar("_flag_first", &mut first)?;
        if s.writes_targets() {
            self.fired = !first;
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.fired
    }
}
