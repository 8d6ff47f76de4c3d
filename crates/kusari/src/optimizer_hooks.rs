//! Hooks an optimizer calls around each update (Chainer's
//! `chainer.optimizer_hooks`): weight decay, lasso, gradient clipping,
//! gradient noise and LARS. They change the gradients in place before the
//! update (`Timing::Pre`, Chainer's default) or run after it (`Timing::Post`).
//!
//! ```
//! use kusari::{array::{Array, DType}, optimizers::{Optimizer, SGD}, optimizer_hooks::WeightDecay, Link, Parameter};
//! struct One(Parameter);
//! impl Link for One {
//!     fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) { f("w", &self.0) }
//! }
//! let m = One(Parameter::new("w", Array::full(&[1], 2.0, DType::F32)?));
//! let mut opt = SGD::new(); // lr = 0.01
//! opt.setup(&m)?;
//! opt.add_hook(Box::new(WeightDecay::new(0.5)))?;
//! m.0.set_grad(Some(Array::zeros(&[1], DType::F32)?))?;
//! opt.update()?; // grad becomes 0 + 0.5 * 2, so w = 2 - 0.01
//! assert_eq!(m.0.array()?.get::<f32>(&[0])?, 1.99);
//! # Ok::<(), kusari::Error>(())
//! ```

use crate::array::ops::random::Generator;
use crate::array::ops::ufunc::{binary_inplace, BinaryOp};
use crate::array::{Array, DType, Result};
use crate::Parameter;

/// When a hook runs relative to the parameter updates of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// Before the update, after the gradients are computed (Chainer's `'pre'`).
    Pre,
    /// After the update (Chainer's `'post'`).
    Post,
}

/// A parameter as a hook sees it.
pub struct HookParam<'a> {
    /// The parameter's path in the target link (`/l1/W`).
    pub path: &'a str,
    /// The parameter (shared handle; change its gradient in place).
    pub param: &'a Parameter,
    /// The step count of the parameter's update rule before this step's
    /// update (Chainer's `rule.t`, which `GradientNoise` reads).
    pub rule_t: u64,
}

/// A function the optimizer calls at every step (Chainer's optimizer hooks).
pub trait OptimizerHook {
    /// The registration name (one hook per name).
    fn name(&self) -> &str;
    /// When the hook runs (Chainer's `timing`, `Pre` by default).
    fn timing(&self) -> Timing {
        Timing::Pre
    }
    /// Runs the hook over every parameter of the optimizer's target.
    fn call(&mut self, params: &[HookParam<'_>]) -> Result<()>;
}

/// Runs `f(grad, param_data)` with the gradient writable in place; skips
/// parameters without data or gradient (as Chainer's hooks do).
fn with_grad(p: &Parameter, f: impl FnOnce(&mut Array, &Array) -> Result<()>) -> Result<()> {
    if !p.is_initialized() {
        return Ok(());
    }
    let var = p.var()?;
    let Some(g) = var.grad_var() else {
        return Ok(());
    };
    let data = var.data();
    g.update_array(|g| f(g, &data))
}

macro_rules! timing_setter {
    () => {
        /// Runs the hook at `timing` instead of its default.
        pub fn with_timing(mut self, timing: Timing) -> Self {
            self.timing = timing;
            self
        }
    };
}

/// L2 regularization: `grad += rate * param` (Chainer's `WeightDecay`).
#[derive(Clone, Debug)]
pub struct WeightDecay {
    /// The coefficient.
    pub rate: f64,
    timing: Timing,
}

impl WeightDecay {
    /// Weight decay with coefficient `rate`.
    pub fn new(rate: f64) -> Self {
        WeightDecay {
            rate,
            timing: Timing::Pre,
        }
    }
    timing_setter!();
}

impl OptimizerHook for WeightDecay {
    fn name(&self) -> &str {
        "WeightDecay"
    }
    fn timing(&self) -> Timing {
        self.timing
    }
    fn call(&mut self, params: &[HookParam<'_>]) -> Result<()> {
        for hp in params {
            with_grad(hp.param, |g, p| {
                binary_inplace(BinaryOp::Add, g, &p.multiply(self.rate)?)
            })?;
        }
        Ok(())
    }
}

/// L1 regularization: `grad += rate * sign(param)` (Chainer's `Lasso`).
#[derive(Clone, Debug)]
pub struct Lasso {
    /// The coefficient.
    pub rate: f64,
    timing: Timing,
}

impl Lasso {
    /// Lasso with coefficient `rate`.
    pub fn new(rate: f64) -> Self {
        Lasso {
            rate,
            timing: Timing::Pre,
        }
    }
    timing_setter!();
}

impl OptimizerHook for Lasso {
    fn name(&self) -> &str {
        "Lasso"
    }
    fn timing(&self) -> Timing {
        self.timing
    }
    fn call(&mut self, params: &[HookParam<'_>]) -> Result<()> {
        for hp in params {
            with_grad(hp.param, |g, p| {
                binary_inplace(BinaryOp::Add, g, &p.sign()?.multiply(self.rate)?)
            })?;
        }
        Ok(())
    }
}

/// Rescales all gradients together so that their joint L2 norm is at most
/// `threshold` (Chainer's `GradientClipping`).
#[derive(Clone, Debug)]
pub struct GradientClipping {
    /// The largest allowed norm.
    pub threshold: f64,
    timing: Timing,
}

impl GradientClipping {
    /// Clipping at norm `threshold`.
    pub fn new(threshold: f64) -> Self {
        GradientClipping {
            threshold,
            timing: Timing::Pre,
        }
    }
    timing_setter!();
}

impl OptimizerHook for GradientClipping {
    fn name(&self) -> &str {
        "GradientClipping"
    }
    fn timing(&self) -> Timing {
        self.timing
    }
    fn call(&mut self, params: &[HookParam<'_>]) -> Result<()> {
        let mut sqnorm = 0.0f64;
        for hp in params {
            if let Some(g) = hp.param.grad() {
                sqnorm += g
                    .square()?
                    .sum(None, false)?
                    .astype(DType::F64)?
                    .item::<f64>()?;
            }
        }
        let rate = self.threshold / sqnorm.sqrt();
        if rate >= 1.0 {
            return Ok(());
        }
        for hp in params {
            with_grad(hp.param, |g, _| binary_inplace(BinaryOp::Multiply, g, rate))?;
        }
        Ok(())
    }
}

/// Clips every gradient element into `[lower_bound, upper_bound]`
/// (Chainer's `GradientHardClipping`).
#[derive(Clone, Debug)]
pub struct GradientHardClipping {
    /// The smallest allowed element.
    pub lower_bound: f64,
    /// The largest allowed element.
    pub upper_bound: f64,
    timing: Timing,
}

impl GradientHardClipping {
    /// Clipping into `[lower_bound, upper_bound]`.
    pub fn new(lower_bound: f64, upper_bound: f64) -> Self {
        GradientHardClipping {
            lower_bound,
            upper_bound,
            timing: Timing::Pre,
        }
    }
    timing_setter!();
}

impl OptimizerHook for GradientHardClipping {
    fn name(&self) -> &str {
        "GradientHardClipping"
    }
    fn timing(&self) -> Timing {
        self.timing
    }
    fn call(&mut self, params: &[HookParam<'_>]) -> Result<()> {
        for hp in params {
            with_grad(hp.param, |g, _| {
                let clipped = g.clip(self.lower_bound, self.upper_bound)?;
                g.assign(&clipped)
            })?;
        }
        Ok(())
    }
}

/// Makes the noise [`GradientNoise`] adds: `(shape, dtype, eta, rule_t)` → array.
pub type NoiseFn = Box<dyn FnMut(&[usize], DType, f64, u64) -> Result<Array>>;

/// Adds Gaussian noise to the gradients (Chainer's `GradientNoise`). The
/// default noise has standard deviation `sqrt(eta / (1 + t)^0.55)` with `t`
/// the parameter's update count, drawn from kusari's seeded Philox generator
/// (so the values differ from NumPy's global generator that Chainer uses).
pub struct GradientNoise {
    /// The noise scale.
    pub eta: f64,
    noise: NoiseFn,
    timing: Timing,
}

impl GradientNoise {
    /// Noise of scale `eta` from a generator seeded with `seed`.
    pub fn new(eta: f64, seed: u64) -> Self {
        let mut rng = Generator::new(seed);
        GradientNoise::with_noise(
            eta,
            Box::new(move |shape, dtype, eta, t| {
                let std = (eta / (1.0 + t as f64).powf(0.55)).sqrt();
                rng.normal(0.0, std, shape, DType::F64)?.astype(dtype)
            }),
        )
    }

    /// Noise of scale `eta` made by `noise` (Chainer's `noise_func`).
    pub fn with_noise(eta: f64, noise: NoiseFn) -> Self {
        GradientNoise {
            eta,
            noise,
            timing: Timing::Pre,
        }
    }
    timing_setter!();
}

impl OptimizerHook for GradientNoise {
    fn name(&self) -> &str {
        "GradientNoise"
    }
    fn timing(&self) -> Timing {
        self.timing
    }
    fn call(&mut self, params: &[HookParam<'_>]) -> Result<()> {
        for hp in params {
            let Some(g) = hp.param.grad() else {
                continue;
            };
            let noise = (self.noise)(g.shape(), g.dtype(), self.eta, hp.rule_t)?;
            drop(g);
            with_grad(hp.param, |g, _| binary_inplace(BinaryOp::Add, g, &noise))?;
        }
        Ok(())
    }
}

/// Layer-wise adaptive rate scaling (Chainer's `GradientLARS`): for a
/// parameter whose norm exceeds `threshold`,
/// `grad = (grad + weight_decay * param) * |param| / (eps + |grad| + weight_decay * |param|)`;
/// otherwise `grad += weight_decay * param`.
#[derive(Clone, Debug)]
pub struct GradientLARS {
    /// Parameters with a smaller norm are not rescaled.
    pub threshold: f64,
    /// The weight decay coefficient.
    pub weight_decay: f64,
    /// Added to the denominator for stability.
    pub eps: f64,
    timing: Timing,
}

impl Default for GradientLARS {
    fn default() -> Self {
        GradientLARS::new(0.01, 0.0, 1e-9)
    }
}

impl GradientLARS {
    /// LARS with the given threshold, weight decay and epsilon (Chainer's
    /// defaults are `0.01, 0.0, 1e-9`, [`GradientLARS::default`]).
    pub fn new(threshold: f64, weight_decay: f64, eps: f64) -> Self {
        GradientLARS {
            threshold,
            weight_decay,
            eps,
            timing: Timing::Pre,
        }
    }
    timing_setter!();
}

fn norm(a: &Array) -> Result<f64> {
    Ok(a.astype(DType::F64)?
        .square()?
        .sum(None, false)?
        .item::<f64>()?
        .sqrt())
}

impl OptimizerHook for GradientLARS {
    fn name(&self) -> &str {
        "GradientLARS"
    }
    fn timing(&self) -> Timing {
        self.timing
    }
    fn call(&mut self, params: &[HookParam<'_>]) -> Result<()> {
        for hp in params {
            with_grad(hp.param, |g, p| {
                let p_norm = norm(p)?;
                let g_norm = norm(g)?;
                let local = p_norm / (self.eps + g_norm + self.weight_decay * p_norm);
                let rate = if p_norm > self.threshold { local } else { 1.0 };
                binary_inplace(BinaryOp::Add, g, &p.multiply(self.weight_decay)?)?;
                binary_inplace(BinaryOp::Multiply, g, rate)
            })?;
        }
        Ok(())
    }
}
