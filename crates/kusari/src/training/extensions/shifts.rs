//! Hyperparameter schedules (Chainer's `*Shift` extensions): each changes an
//! optimizer hyperparameter (`"lr"`, `"alpha"`, `"momentum"`, ...) every
//! time its trigger fires, and saves `_t` (and `_last_value`) so a resumed
//! run continues the schedule.

use super::{Extension, Trainer};
use crate::array::{Error, Result};
use crate::optimizers::Optimizer;
use crate::serializers::Serializer;

/// What every schedule shares: the attribute, the optimizer, the step count.
struct Core {
    attr: String,
    optimizer: String,
    t: i64,
    last_value: Option<f64>,
}

impl Core {
    fn new(attr: &str) -> Core {
        Core {
            attr: attr.into(),
            optimizer: "main".into(),
            t: 0,
            last_value: None,
        }
    }

    fn opt<'a>(&self, trainer: &'a mut Trainer) -> Result<&'a mut dyn Optimizer> {
        let name = self.optimizer.clone();
        trainer
            .updater_mut()
            .get_optimizer(&name)
            .ok_or_else(|| Error::Value {
                op: "shift extension",
                message: format!("no optimizer named {name:?} in the updater"),
            })
    }

    fn get(&self, trainer: &mut Trainer) -> Result<f64> {
        let attr = self.attr.clone();
        self.opt(trainer)?
            .hyperparam(&attr)
            .ok_or_else(|| Error::Value {
                op: "shift extension",
                message: format!("the optimizer has no hyperparameter {attr:?}"),
            })
    }

    fn set(&mut self, trainer: &mut Trainer, value: f64) -> Result<()> {
        let attr = self.attr.clone();
        self.opt(trainer)?.set_hyperparam(&attr, value)?;
        self.last_value = Some(value);
        Ok(())
    }

    fn serialize(&mut self, s: &mut Serializer<'_>, with_last: bool) -> Result<()> {
        s.scalar("_t", &mut self.t)?;
        if with_last {
            // Chainer stores None before the first step; kusari stores NaN.
            let mut v = self.last_value.unwrap_or(f64::NAN);
            s.scalar("_last_value", &mut v)?;
            if s.writes_targets() {
                self.last_value = (!v.is_nan()).then_some(v);
            }
        }
        Ok(())
    }
}

macro_rules! common_builders {
    () => {
        /// Changes the optimizer registered under `name` instead of `"main"`.
        pub fn optimizer(mut self, name: &str) -> Self {
            self.core.optimizer = name.into();
            self
        }
    };
}

/// Starts from the init value (or the last one when resuming) at `initialize`.
fn init_or_resume(core: &mut Core, init: &mut Option<f64>, trainer: &mut Trainer) -> Result<()> {
    if init.is_none() {
        *init = Some(core.get(trainer)?);
    }
    let v = core.last_value.or(*init).unwrap_or_default();
    core.set(trainer, v)
}

fn clamp_to_target(value: f64, target: Option<f64>, increasing: bool) -> f64 {
    match target {
        Some(t) if increasing && value / t > 1.0 => t,
        Some(t) if !increasing && value / t < 1.0 => t,
        _ => value,
    }
}

/// `value = init * rate^t`, stopping at `target` (Chainer's `ExponentialShift`).
pub struct ExponentialShift {
    core: Core,
    rate: f64,
    init: Option<f64>,
    target: Option<f64>,
}

impl ExponentialShift {
    /// Multiplies `attr` by `rate` each time (rate must not be negative).
    pub fn new(attr: &str, rate: f64) -> Result<ExponentialShift> {
        if rate < 0.0 {
            return Err(Error::Value {
                op: "ExponentialShift",
                message: format!("rate must not be negative, found {rate}"),
            });
        }
        Ok(ExponentialShift {
            core: Core::new(attr),
            rate,
            init: None,
            target: None,
        })
    }
    /// The starting value (default: the optimizer's current one).
    pub fn init(mut self, v: f64) -> Self {
        self.init = Some(v);
        self
    }
    /// The value the schedule stops at.
    pub fn target(mut self, v: f64) -> Self {
        self.target = Some(v);
        self
    }
    common_builders!();
}

impl Extension for ExponentialShift {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        init_or_resume(&mut self.core, &mut self.init, trainer)
    }
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        self.core.t += 1;
        let v = self.init.unwrap_or_default() * self.rate.powi(self.core.t as i32);
        let v = clamp_to_target(v, self.target, self.rate > 1.0);
        self.core.set(trainer, v)
    }
    fn default_name(&self) -> String {
        "ExponentialShift".into()
    }
    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.core.serialize(s, true)
    }
}

/// `value = init * (1 + gamma t)^(-power)` (Chainer's `InverseShift`).
pub struct InverseShift {
    core: Core,
    gamma: f64,
    power: f64,
    init: Option<f64>,
    target: Option<f64>,
}

impl InverseShift {
    /// The schedule for `attr` (gamma must not be negative).
    pub fn new(attr: &str, gamma: f64, power: f64) -> Result<InverseShift> {
        if gamma < 0.0 {
            return Err(Error::Value {
                op: "InverseShift",
                message: format!("gamma must not be negative, found {gamma}"),
            });
        }
        Ok(InverseShift {
            core: Core::new(attr),
            gamma,
            power,
            init: None,
            target: None,
        })
    }
    /// The starting value (default: the optimizer's current one).
    pub fn init(mut self, v: f64) -> Self {
        self.init = Some(v);
        self
    }
    /// The value the schedule stops at.
    pub fn target(mut self, v: f64) -> Self {
        self.target = Some(v);
        self
    }
    common_builders!();
}

impl Extension for InverseShift {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        init_or_resume(&mut self.core, &mut self.init, trainer)
    }
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        self.core.t += 1;
        let v = self.init.unwrap_or_default()
            * (1.0 + self.gamma * self.core.t as f64).powf(-self.power);
        let v = clamp_to_target(v, self.target, self.power < 0.0);
        self.core.set(trainer, v)
    }
    fn default_name(&self) -> String {
        "InverseShift".into()
    }
    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.core.serialize(s, true)
    }
}

/// `value = init * max(1 - t / max_count, 0)^rate` (Chainer's `PolynomialShift`).
pub struct PolynomialShift {
    core: Core,
    rate: f64,
    max_count: f64,
    init: Option<f64>,
    target: Option<f64>,
}

impl PolynomialShift {
    /// Decays `attr` to 0 over `max_count` calls.
    pub fn new(attr: &str, rate: f64, max_count: u64) -> PolynomialShift {
        PolynomialShift {
            core: Core::new(attr),
            rate,
            max_count: max_count as f64,
            init: None,
            target: None,
        }
    }
    /// The starting value (default: the optimizer's current one).
    pub fn init(mut self, v: f64) -> Self {
        self.init = Some(v);
        self
    }
    /// The value the schedule stops at.
    pub fn target(mut self, v: f64) -> Self {
        self.target = Some(v);
        self
    }
    common_builders!();
}

impl Extension for PolynomialShift {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        init_or_resume(&mut self.core, &mut self.init, trainer)
    }
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        self.core.t += 1;
        let decay = (1.0 - self.core.t as f64 / self.max_count).max(0.0);
        let mut v = self.init.unwrap_or_default() * decay.powf(self.rate);
        if let Some(t) = self.target {
            if self.rate > 0.0 && t / v > 1.0 {
                v = t;
            }
        }
        self.core.set(trainer, v)
    }
    fn default_name(&self) -> String {
        "PolynomialShift".into()
    }
    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.core.serialize(s, true)
    }
}

/// `value = init * gamma^floor(t / step)` (Chainer's `StepShift`).
pub struct StepShift {
    core: Core,
    gamma: f64,
    step: u64,
    init: Option<f64>,
    target: Option<f64>,
}

impl StepShift {
    /// Multiplies `attr` by `gamma` every `step` calls.
    pub fn new(attr: &str, gamma: f64, step: u64) -> Result<StepShift> {
        if step == 0 {
            return Err(Error::Value {
                op: "StepShift",
                message: "step must be positive, found 0".into(),
            });
        }
        Ok(StepShift {
            core: Core::new(attr),
            gamma,
            step,
            init: None,
            target: None,
        })
    }
    /// The starting value (default: the optimizer's current one).
    pub fn init(mut self, v: f64) -> Self {
        self.init = Some(v);
        self
    }
    /// The value the schedule stops at.
    pub fn target(mut self, v: f64) -> Self {
        self.target = Some(v);
        self
    }
    common_builders!();
}

impl Extension for StepShift {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        init_or_resume(&mut self.core, &mut self.init, trainer)
    }
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        self.core.t += 1;
        let k = (self.core.t as u64 / self.step) as i32;
        let v = self.init.unwrap_or_default() * self.gamma.powi(k);
        let v = clamp_to_target(v, self.target, self.gamma > 1.0);
        self.core.set(trainer, v)
    }
    fn default_name(&self) -> String {
        "StepShift".into()
    }
    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.core.serialize(s, true)
    }
}

/// Linear interpolation from `value_range.0` at `time_range.0` to
/// `value_range.1` at `time_range.1` (Chainer's `LinearShift`).
pub struct LinearShift {
    core: Core,
    value_range: (f64, f64),
    time_range: (f64, f64),
}

impl LinearShift {
    /// The schedule for `attr`.
    pub fn new(attr: &str, value_range: (f64, f64), time_range: (u64, u64)) -> LinearShift {
        LinearShift {
            core: Core::new(attr),
            value_range,
            time_range: (time_range.0 as f64, time_range.1 as f64),
        }
    }
    common_builders!();

    fn value(&self) -> f64 {
        let (t1, t2) = self.time_range;
        let (v1, v2) = self.value_range;
        let t = self.core.t as f64;
        if t <= t1 {
            v1
        } else if t >= t2 {
            v2
        } else {
            v1 + (t - t1) / (t2 - t1) * (v2 - v1)
        }
    }
}

impl Extension for LinearShift {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        let v = self.core.last_value.unwrap_or_else(|| self.value());
        self.core.set(trainer, v)
    }
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        self.core.t += 1;
        let v = self.value();
        self.core.set(trainer, v)
    }
    fn default_name(&self) -> String {
        "LinearShift".into()
    }
    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.core.serialize(s, true)
    }
}

/// `value = init * gamma^k` after the `k`-th of the `step_value` points
/// (Chainer's `MultistepShift`).
pub struct MultistepShift {
    core: Core,
    gamma: f64,
    step_value: Vec<u64>,
    init: Option<f64>,
    current_step: i64,
}

impl MultistepShift {
    /// Multiplies by `gamma` at each of the calls in `step_value`.
    pub fn new(attr: &str, gamma: f64, step_value: Vec<u64>, init: Option<f64>) -> MultistepShift {
        MultistepShift {
            core: Core::new(attr),
            gamma,
            step_value,
            init,
            current_step: 0,
        }
    }
    common_builders!();
}

impl Extension for MultistepShift {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        if self.init.is_none() {
            self.init = Some(self.core.get(trainer)?);
        }
        Ok(())
    }
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        self.core.t += 1;
        if let Some(&next) = self.step_value.get(self.current_step as usize) {
            if self.core.t as u64 >= next {
                self.current_step += 1;
            }
        }
        let v = self.init.unwrap_or_default() * self.gamma.powi(self.current_step as i32);
        self.core.set(trainer, v)
    }
    fn default_name(&self) -> String {
        "MultistepShift".into()
    }
    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.core.serialize(s, false)?;
        s.scalar("_current_step", &mut self.current_step)
    }
}

/// Raises `attr` linearly from `warmup_start` to `init` over the first
/// `warmup_iter` calls (Chainer's `WarmupShift`).
pub struct WarmupShift {
    core: Core,
    warmup_start: Option<f64>,
    warmup_iter: u64,
    init: f64,
}

impl WarmupShift {
    /// Warms `attr` up from `warmup_start` (default: the optimizer's current
    /// value) to `init` over `warmup_iter` calls.
    pub fn new(attr: &str, warmup_start: Option<f64>, warmup_iter: u64, init: f64) -> WarmupShift {
        WarmupShift {
            core: Core::new(attr),
            warmup_start,
            warmup_iter,
            init,
        }
    }
    common_builders!();
}

impl Extension for WarmupShift {
    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        if self.warmup_start.is_none() {
            self.warmup_start = Some(self.core.get(trainer)?);
        }
        Ok(())
    }
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        self.core.t += 1;
        let t = self.core.t as u64;
        if t <= self.warmup_iter {
            let start = self.warmup_start.unwrap_or_default();
            let n = self.warmup_iter as f64;
            let v = (t as f64 * self.init + (n - t as f64) * start) / n;
            self.core.set(trainer, v)?;
        }
        Ok(())
    }
    fn default_name(&self) -> String {
        "WarmupShift".into()
    }
    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.core.serialize(s, false)
    }
}
