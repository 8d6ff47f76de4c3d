//! Numerical optimizers (Chainer's `chainer.optimizers`).
//!
//! An [`Optimizer`] is set up on a link, remembers shared handles to its
//! parameters, and updates them in place from their gradients. Every
//! optimizer here is a [`GradientMethod`] over one [`UpdateRule`] (Chainer's
//! `GradientMethod` + `UpdateRule` split): the rule holds the
//! hyperparameters and the formula, the gradient method holds the per
//! parameter state (`m`, `v`, ...), the step counters and the hooks.
//!
//! Defaults and formulas are Chainer 7.8.1's. Updates run in one pass over
//! the parameter's own buffer (multi-threaded for large parameters); nothing
//! is allocated per step once the state exists. Parameters off the CPU are
//! updated by each rule's elementwise kernel ([`UpdateRule::kernel`], the
//! same formula), and their state lives on their device.
//!
//! ```
//! use kusari::{array::{Array, DType}, optimizers::{Adam, Optimizer}, Link, Parameter};
//! struct Model { w: Parameter }
//! impl Link for Model {
//!     fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) { f("W", &self.w) }
//! }
//! let model = Model { w: Parameter::new("W", Array::full(&[3], 1.0, DType::F32)?) };
//! let mut opt = Adam::new();
//! opt.setup(&model)?;
//! for _ in 0..3 {
//!     // loss = sum(W²): its gradient is 2W
//!     opt.update_with(&mut || { let w = model.w.var()?; (&w * &w).sum(None, false) })?;
//! }
//! assert_eq!(opt.t(), 3);
//! assert!(model.w.array()?.get::<f32>(&[0])? < 1.0);
//! # Ok::<(), kusari::Error>(())
//! ```

mod adam;
mod adaptive;
pub(crate) mod kernels;
mod sgd;

pub use adam::AdamRule;
pub use adaptive::{
    AdaDeltaRule, AdaGradRule, MSVAGRule, RMSpropGravesRule, RMSpropRule, SMORMS3Rule,
};
pub use kernels::RuleKernel;
pub use sgd::{CorrectedMomentumSGDRule, MomentumSGDRule, NesterovAGRule, SGDRule};

use crate::array::{Array, DType, Error, Order, Result};
use crate::optimizer_hooks::{HookParam, OptimizerHook, Timing};
use crate::serializers::{Serializable, Serializer};
use crate::{Link, Parameter, Variable};
use std::cell::{Cell, RefCell};

/// Plain stochastic gradient descent (Chainer's `SGD`, `lr=0.01`).
pub type SGD = GradientMethod<SGDRule>;
/// SGD with momentum (Chainer's `MomentumSGD`, `lr=0.01, momentum=0.9`).
pub type MomentumSGD = GradientMethod<MomentumSGDRule>;
/// Momentum SGD with the learning rate outside the velocity (Chainer's `CorrectedMomentumSGD`).
pub type CorrectedMomentumSGD = GradientMethod<CorrectedMomentumSGDRule>;
/// Nesterov's accelerated gradient (Chainer's `NesterovAG`).
pub type NesterovAG = GradientMethod<NesterovAGRule>;
/// AdaGrad (Chainer's `AdaGrad`, `lr=0.001, eps=1e-8`).
pub type AdaGrad = GradientMethod<AdaGradRule>;
/// AdaDelta (Chainer's `AdaDelta`, `rho=0.95, eps=1e-6`).
pub type AdaDelta = GradientMethod<AdaDeltaRule>;
/// RMSprop (Chainer's `RMSprop`, `lr=0.01, alpha=0.99, eps=1e-8`).
pub type RMSprop = GradientMethod<RMSpropRule>;
/// Alex Graves' RMSprop (Chainer's `RMSpropGraves`).
pub type RMSpropGraves = GradientMethod<RMSpropGravesRule>;
/// SMORMS3 (Chainer's `SMORMS3`, `lr=0.001, eps=1e-16`).
pub type SMORMS3 = GradientMethod<SMORMS3Rule>;
/// M-SVAG (Chainer's `MSVAG`, `lr=0.1, beta=0.9`).
pub type MSVAG = GradientMethod<MSVAGRule>;
/// Adam and its variants AMSGrad, AdaBound, AMSBound and AdamW (Chainer's
/// `Adam`; see [`AdamRule`] and the constructors [`Adam::amsgrad`], ...).
///
/// ```
/// use kusari::{array::{Array, DType}, optimizers::{Adam, AdamRule, Optimizer}, Link, Parameter};
/// struct One(Parameter);
/// impl Link for One {
///     fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) { f("w", &self.0) }
/// }
/// let m = One(Parameter::new("w", Array::full(&[2], 1.0, DType::F32)?));
/// let mut opt = Adam::with_rule(AdamRule { alpha: 0.1, ..AdamRule::default() });
/// opt.setup(&m)?;
/// m.0.set_grad(Some(Array::full(&[2], 0.5, DType::F32)?))?;
/// opt.update()?;
/// // the first Adam step moves each weight by about alpha
/// assert!((m.0.array()?.get::<f32>(&[0])? - 0.9).abs() < 1e-5);
/// assert!((opt.hyperparam("alpha_t").unwrap() - 0.1 * (0.001f64).sqrt() / 0.1).abs() < 1e-12);
/// # Ok::<(), kusari::Error>(())
/// ```
pub type Adam = GradientMethod<AdamRule>;

/// An optimizer: set up on a link, it updates the link's parameters in place.
///
/// `Serializable` saves and restores its state with Chainer's key layout:
/// `t`, `epoch`, and for each parameter `<path>/t` and `<path>/<state>`
/// (`l1/W/m`, `l1/W/v`), the path without its leading slash.
pub trait Optimizer: Serializable {
    /// Remembers the target's parameters (shared handles; lazy parameters may
    /// still be uninitialized) and resets `t`, `epoch` and all state.
    fn setup(&mut self, target: &dyn Link) -> Result<()>;

    /// One step from the current gradients (Chainer's `update()`), `t += 1`.
    fn update(&mut self) -> Result<()>;

    /// Computes `loss = lossfun()`, clears the gradients, backpropagates from
    /// the loss, then updates (Chainer's `update(lossfun)`).
    fn update_with(&mut self, lossfun: &mut dyn FnMut() -> Result<Variable>) -> Result<()>;

    /// Number of update steps done.
    fn t(&self) -> u64;

    /// Current epoch (incremented by [`Optimizer::new_epoch`]).
    fn epoch(&self) -> u64;

    /// Starts a new epoch.
    fn new_epoch(&mut self);

    /// A hyperparameter by Chainer's name (`"lr"`, `"alpha"`, `"momentum"`,
    /// `"beta1"`, `"eps"`, ...); booleans read as 0 or 1. `None` if this
    /// optimizer has no such hyperparameter.
    fn hyperparam(&self, name: &str) -> Option<f64>;

    /// Sets a hyperparameter by name (what `ExponentialShift("lr")` changes);
    /// an unknown name is an error listing the known ones.
    fn set_hyperparam(&mut self, name: &str, value: f64) -> Result<()>;

    /// Registers a hook, called before (`Timing::Pre`, the default) or after
    /// every update; a second hook with the same name is an error.
    fn add_hook(&mut self, hook: Box<dyn OptimizerHook>) -> Result<()>;

    /// Removes the hook registered under `name`.
    fn remove_hook(&mut self, name: &str) -> Result<()>;
}

/// The floating-point types update formulas run in (`f32` and `f64`;
/// `float16` parameters are computed in `f32`).
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + 'static
{
    /// `v` rounded to this type (as NumPy rounds a Python float operand).
    fn of(v: f64) -> Self;
    /// The value as `f64`.
    fn to_f64(self) -> f64;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// NumPy's `maximum` (NaN propagates).
    fn maximum(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            Self::of(f64::NAN)
        } else if self >= other {
            self
        } else {
            other
        }
    }
    /// NumPy's `minimum` (NaN propagates).
    fn minimum(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            Self::of(f64::NAN)
        } else if self <= other {
            self
        } else {
            other
        }
    }
    /// The kusari dtype of this type.
    const DTYPE: DType;
}

impl Real for f32 {
    fn of(v: f64) -> f32 {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    const DTYPE: DType = DType::F32;
}

impl Real for f64 {
    fn of(v: f64) -> f64 {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    const DTYPE: DType = DType::F64;
}

/// What a rule's step may read and change besides the arrays.
pub struct RuleContext {
    /// The rule's step count, already incremented for this step (Chainer's `UpdateRule.t`).
    pub t: u64,
    /// A per-parameter scalar a rule keeps across steps but does not save
    /// (MSVAG's `beta_power`, AdaBound's `initial_alpha`), from [`UpdateRule::initial_extra`].
    pub extra: f64,
}

/// One optimization method's hyperparameters and formula (Chainer's
/// `UpdateRule` subclasses). The hyperparameters are public fields.
pub trait UpdateRule: Clone + Send + Sync {
    /// The names of the per-parameter state arrays, in Chainer's order (`["m", "v"]`).
    fn state_names(&self) -> &'static [&'static str];

    /// The initial value of state array `index` (zeros except SMORMS3's `mem`).
    fn state_init(&self, _index: usize) -> f64 {
        0.0
    }

    /// The per-parameter scalar [`RuleContext::extra`] starts with when a
    /// parameter's rule is created at setup.
    fn initial_extra(&self) -> f64 {
        0.0
    }

    /// Checks the hyperparameters for parameters of dtype `T` before a step.
    fn check<T: Real>(&self, _ctx: &RuleContext) -> Result<()> {
        Ok(())
    }

    /// One step on a contiguous chunk: `param`, `grad` and each `state` slice
    /// have the same length. Called on several chunks in parallel for large
    /// parameters, so everything elementwise only.
    fn step<T: Real>(&self, ctx: &RuleContext, param: &mut [T], grad: &[T], state: &mut [&mut [T]]);

    /// Runs after every chunk of a step (MSVAG advances `beta_power` here).
    fn after_step(&self, _ctx: &mut RuleContext) {}

    /// The same step as an elementwise kernel, for parameters off the CPU
    /// (Chainer's `update_core_gpu`): it reads the gradient and then the
    /// returned scalars, and updates the parameter and the state arrays in
    /// place. `None` (the default): the rule runs on the CPU only, and a
    /// step on another device is an error saying so.
    fn kernel(&self, _ctx: &RuleContext) -> Option<RuleKernel> {
        None
    }

    /// A hyperparameter by name, or a value derived from them at optimizer
    /// step `t` (Adam's `alpha_t`); booleans as 0 or 1.
    fn hyperparam(&self, name: &str, t: u64) -> Option<f64>;

    /// Sets a hyperparameter by name.
    fn set_hyperparam(&mut self, name: &str, value: f64) -> Result<()>;

    /// The names [`UpdateRule::set_hyperparam`] accepts (for error messages).
    fn hyperparam_names(&self) -> &'static [&'static str];
}

/// The per-parameter part of a gradient method (Chainer's per-parameter
/// `UpdateRule` instance): step count and lazily created state.
struct Slot {
    path: String,
    param: Parameter,
    t: Cell<u64>,
    extra: Cell<f64>,
    state: RefCell<Option<Vec<Array>>>,
}

/// A gradient-based optimizer over one update rule (Chainer's `GradientMethod`).
/// Use the aliases ([`SGD`], [`Adam`], ...).
pub struct GradientMethod<R: UpdateRule> {
    rule: R,
    t: Cell<u64>,
    epoch: Cell<u64>,
    slots: Vec<Slot>,
    hooks: Vec<Box<dyn OptimizerHook>>,
}

impl<R: UpdateRule + Default> Default for GradientMethod<R> {
    fn default() -> Self {
        GradientMethod::with_rule(R::default())
    }
}

impl<R: UpdateRule + Default> GradientMethod<R> {
    /// The optimizer with Chainer's default hyperparameters.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<R: UpdateRule> GradientMethod<R> {
    /// The optimizer with the given hyperparameters.
    pub fn with_rule(rule: R) -> Self {
        GradientMethod {
            rule,
            t: Cell::new(0),
            epoch: Cell::new(0),
            slots: Vec::new(),
            hooks: Vec::new(),
        }
    }

    /// The hyperparameters.
    pub fn rule(&self) -> &R {
        &self.rule
    }

    /// The hyperparameters, to change them between steps.
    pub fn rule_mut(&mut self) -> &mut R {
        &mut self.rule
    }

    /// The parameters this optimizer updates, with their paths (`/l1/W`).
    pub fn namedparams(&self) -> Vec<(String, Parameter)> {
        self.slots
            .iter()
            .map(|s| (s.path.clone(), s.param.clone()))
            .collect()
    }

    /// The state arrays of the parameter at `path` (`/l1/W`) by name; `None`
    /// before its first update.
    pub fn state(&self, path: &str) -> Option<Vec<(&'static str, Array)>> {
        let slot = self.slots.iter().find(|s| s.path == path)?;
        let state = slot.state.borrow();
        let names = self.rule.state_names();
        state
            .as_ref()
            .map(|v| names.iter().copied().zip(v.iter().cloned()).collect())
    }

    /// Chainer's `reallocate_cleared_grads`: initialized parameters without a
    /// gradient get zeros, so hooks and momentum see every parameter.
    fn reallocate_cleared_grads(&self) -> Result<()> {
        for s in &self.slots {
            if s.param.is_initialized() && s.param.grad().is_none() {
                s.param.zerograd()?;
            }
        }
        Ok(())
    }

    fn call_hooks(&mut self, timing: Timing) -> Result<()> {
        if self.hooks.iter().all(|h| h.timing() != timing) {
            return Ok(());
        }
        let views: Vec<HookParam<'_>> = self
            .slots
            .iter()
            .map(|s| HookParam {
                path: &s.path,
                param: &s.param,
                rule_t: s.t.get(),
            })
            .collect();
        for h in self.hooks.iter_mut().filter(|h| h.timing() == timing) {
            h.call(&views)?;
            for s in &self.slots {
                if s.param.is_initialized() && s.param.grad().is_none() {
                    s.param.zerograd()?;
                }
            }
        }
        Ok(())
    }

    fn update_slot(&self, slot: &Slot) -> Result<()> {
        if !slot.param.update_enabled() {
            return Ok(());
        }
        slot.t.set(slot.t.get() + 1);
        if !slot.param.is_initialized() {
            return Ok(());
        }
        let var = slot.param.var()?;
        let Some(grad_var) = var.grad_var() else {
            return Ok(());
        };
        let grad = grad_var.data();
        let mut state = slot.state.borrow_mut();
        let names = self.rule.state_names();
        let dtype = var.dtype();
        if !dtype.is_float() {
            return Err(Error::DType {
                op: "Optimizer::update",
                message: format!(
                    "parameter {} is {dtype}: only floating-point parameters can be optimized",
                    slot.path
                ),
            });
        }
        if state.is_none() {
            let shape = var.shape();
            let device = var.device();
            let init = (0..names.len())
                .map(|i| match self.rule.state_init(i) {
                    0.0 => Array::zeros_on(&shape, dtype, device),
                    v => Array::full(&shape, v, dtype)?.to_device(device),
                })
                .collect::<Result<Vec<_>>>()?;
            *state = Some(init);
        }
        let state = state.as_mut().expect("state was just created");
        if state.len() != names.len() {
            return Err(Error::Value {
                op: "Optimizer::update",
                message: format!(
                    "parameter {} has {} state arrays, the rule expects {names:?} (was a flag such as amsgrad changed after the first update?)",
                    slot.path,
                    state.len()
                ),
            });
        }
        // Loaded state may come with another float dtype or a foreign layout;
        // bring it to the parameter's once, so later steps run in place.
        for (name, s) in names.iter().zip(state.iter_mut()) {
            if s.shape() != var.shape().as_slice() {
                return Err(Error::Shape {
                    op: "Optimizer::update",
                    message: format!(
                        "state {name} of parameter {} has shape {:?}, the parameter {:?}",
                        slot.path,
                        s.shape(),
                        var.shape()
                    ),
                });
            }
            if s.dtype() != dtype || !s.is_c_contiguous() {
                *s = s.astype_order(dtype, Order::C)?;
            }
        }
        let mut ctx = RuleContext {
            t: slot.t.get(),
            extra: slot.extra.get(),
        };
        let rule = &self.rule;
        var.update_array(|p| -> Result<()> {
            if !p.is_c_contiguous() {
                *p = p.ascontiguousarray()?;
            }
            match dtype {
                DType::F32 => run_step::<f32, R>(rule, &ctx, p, &grad, state)?,
                DType::F64 => run_step::<f64, R>(rule, &ctx, p, &grad, state)?,
                _ => {
                    // Half precision: compute in f32 (Chainer's intermediate
                    // dtype for Adam) and round back.
                    let mut p32 = p.astype(DType::F32)?;
                    let mut s32 = state
                        .iter()
                        .map(|s| s.astype(DType::F32))
                        .collect::<Result<Vec<_>>>()?;
                    run_step::<f32, R>(rule, &ctx, &mut p32, &grad, &mut s32)?;
                    p.assign(&p32)?;
                    for (s, s32) in state.iter_mut().zip(&s32) {
                        s.assign(s32)?;
                    }
                }
            }
            Ok(())
        })?;
        rule.after_step(&mut ctx);
        slot.extra.set(ctx.extra);
        Ok(())
    }
}

/// Parameters at least this large are split into chunks updated in parallel.
const PARALLEL_MIN: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

/// One parallel piece of a step: parameter, gradient and state slices.
type Chunk<'a, T> = (&'a mut [T], &'a [T], Vec<&'a mut [T]>);

fn run_step<T: Real + crate::array::Element, R: UpdateRule>(
    rule: &R,
    ctx: &RuleContext,
    param: &mut Array,
    grad: &Array,
    state: &mut [Array],
) -> Result<()> {
    rule.check::<T>(ctx)?;
    if crate::functions::kernels::use_kernels(param.device()) {
        return run_kernel::<T, R>(rule, ctx, param, grad, state);
    }
    // The update loops read host slices.
    crate::functions::expect_cpu("Optimizer::update", "a parameter", param.device())?;
    let grad_c;
    let grad = if grad.dtype() != <T as Real>::DTYPE
        || !grad.is_c_contiguous()
        || grad.shape() != param.shape()
    {
        check_grad_shape(param, grad)?;
        grad_c = grad.astype_order(<T as Real>::DTYPE, Order::C)?;
        &grad_c
    } else {
        grad
    };
    let g = grad
        .as_slice::<T>()
        .expect("contiguous gradient of the parameter's dtype");
    let p = param
        .as_slice_mut::<T>()
        .expect("contiguous parameter of its own dtype");
    let mut s: Vec<&mut [T]> = state
        .iter_mut()
        .map(|a| {
            a.as_slice_mut::<T>()
                .expect("state converted to the parameter's dtype")
        })
        .collect();
    if p.len() < PARALLEL_MIN {
        rule.step(ctx, p, g, &mut s);
        return Ok(());
    }
    let mut chunks: Vec<Chunk<'_, T>> = Vec::new();
    let (mut p, mut g) = (p, g);
    while !p.is_empty() {
        let n = CHUNK.min(p.len());
        let (p0, p1) = p.split_at_mut(n);
        let (g0, g1) = g.split_at(n);
        let mut s0 = Vec::with_capacity(s.len());
        let mut s1 = Vec::with_capacity(s.len());
        for x in s {
            let (a, b) = x.split_at_mut(n);
            s0.push(a);
            s1.push(b);
        }
        chunks.push((p0, g0, s0));
        (p, g, s) = (p1, g1, s1);
    }
    use rayon::prelude::*;
    chunks
        .into_par_iter()
        .for_each(|(p, g, mut s)| rule.step(ctx, p, g, &mut s));
    Ok(())
}

fn check_grad_shape(param: &Array, grad: &Array) -> Result<()> {
    if grad.shape() != param.shape() {
        return Err(Error::Shape {
            op: "Optimizer::update",
            message: format!(
                "gradient shape {:?} differs from the parameter's {:?}",
                grad.shape(),
                param.shape()
            ),
        });
    }
    Ok(())
}

/// [`run_step`] through the rule's kernel: the path for parameters off the
/// CPU, where the loops cannot read the buffers.
fn run_kernel<T: Real + crate::array::Element, R: UpdateRule>(
    rule: &R,
    ctx: &RuleContext,
    param: &mut Array,
    grad: &Array,
    state: &mut [Array],
) -> Result<()> {
    let Some(k) = rule.kernel(ctx) else {
        return Err(Error::Device {
            op: "Optimizer::update",
            message: format!(
                "this update rule has no kernel for parameters on {}; it runs on the cpu only",
                param.device()
            ),
        });
    };
    check_grad_shape(param, grad)?;
    let grad = crate::functions::loss::with_dtype(grad, <T as Real>::DTYPE)?;
    let mut args: Vec<crate::array::KernelArg<'_>> = vec![(&grad).into()];
    args.extend(k.scalars.iter().map(|&v| {
        crate::array::KernelArg::Scalar(crate::array::Scalar::Float(v), <T as Real>::DTYPE)
    }));
    let mut outs: Vec<&mut Array> = std::iter::once(param).chain(state.iter_mut()).collect();
    k.kernel.call_out(&args, &mut outs)
}

impl<R: UpdateRule> Optimizer for GradientMethod<R> {
    fn setup(&mut self, target: &dyn Link) -> Result<()> {
        self.t.set(0);
        self.epoch.set(0);
        self.slots = target
            .namedparams()
            .into_iter()
            .map(|(path, param)| Slot {
                path,
                param,
                t: Cell::new(0),
                extra: Cell::new(self.rule.initial_extra()),
                state: RefCell::new(None),
            })
            .collect();
        Ok(())
    }

    fn update(&mut self) -> Result<()> {
        self.reallocate_cleared_grads()?;
        self.call_hooks(Timing::Pre)?;
        self.t.set(self.t.get() + 1);
        for slot in &self.slots {
            self.update_slot(slot)?;
        }
        self.reallocate_cleared_grads()?;
        self.call_hooks(Timing::Post)
    }

    fn update_with(&mut self, lossfun: &mut dyn FnMut() -> Result<Variable>) -> Result<()> {
        let loss = lossfun()?;
        for s in &self.slots {
            s.param.cleargrad();
        }
        loss.backward()?;
        drop(loss);
        self.update()
    }

    fn t(&self) -> u64 {
        self.t.get()
    }

    fn epoch(&self) -> u64 {
        self.epoch.get()
    }

    fn new_epoch(&mut self) {
        self.epoch.set(self.epoch.get() + 1);
    }

    fn hyperparam(&self, name: &str) -> Option<f64> {
        self.rule.hyperparam(name, self.t.get())
    }

    fn set_hyperparam(&mut self, name: &str, value: f64) -> Result<()> {
        self.rule.set_hyperparam(name, value)
    }

    fn add_hook(&mut self, hook: Box<dyn OptimizerHook>) -> Result<()> {
        if self.hooks.iter().any(|h| h.name() == hook.name()) {
            return Err(Error::Value {
                op: "Optimizer::add_hook",
                message: format!(
                    "a hook named {:?} is already registered (remove it first)",
                    hook.name()
                ),
            });
        }
        self.hooks.push(hook);
        Ok(())
    }

    fn remove_hook(&mut self, name: &str) -> Result<()> {
        let before = self.hooks.len();
        self.hooks.retain(|h| h.name() != name);
        if self.hooks.len() == before {
            return Err(Error::Value {
                op: "Optimizer::remove_hook",
                message: format!("no hook named {name:?} is registered"),
            });
        }
        Ok(())
    }
}

impl<R: UpdateRule> Serializable for GradientMethod<R> {
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        serialize_counter(s, "t", &self.t)?;
        serialize_counter(s, "epoch", &self.epoch)?;
        let names = self.rule.state_names();
        for slot in &self.slots {
            let mut sub = s.child(slot.path.trim_start_matches('/'));
            serialize_counter(&mut sub, "t", &slot.t)?;
            let mut state = slot.state.borrow_mut();
            match state.as_mut() {
                Some(arrays) => {
                    for (name, a) in names.iter().zip(arrays.iter_mut()) {
                        sub.array(name, a)?;
                    }
                }
                None if sub.is_loading() => {
                    // Chainer's rule without state yet takes whatever the file
                    // has, or stays without state when any entry is missing
                    // (then it starts fresh at its next update). A frozen
                    // parameter never had state, so its entries may be absent
                    // even in strict mode.
                    if !slot.param.update_enabled() && !names.iter().all(|n| sub.has(n)) {
                        continue;
                    }
                    let mut loaded = Vec::with_capacity(names.len());
                    for name in names {
                        let mut v = None;
                        sub.any_array(name, &mut v)?;
                        loaded.push(v);
                    }
                    if sub.writes_targets() && loaded.iter().all(Option::is_some) {
                        *state = Some(loaded.into_iter().map(|v| v.expect("checked")).collect());
                    }
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// Saves or loads a step counter as Chainer does: a Python int, i.e. an `int64` scalar.
fn serialize_counter(s: &mut Serializer<'_>, key: &str, c: &Cell<u64>) -> Result<()> {
    let mut v = i64::try_from(c.get()).unwrap_or(i64::MAX);
    s.scalar(key, &mut v)?;
    if s.writes_targets() {
        c.set(u64::try_from(v).map_err(|_| Error::Value {
            op: "load",
            message: format!(
                "key {:?}: a step counter cannot be negative, found {v}",
                s.key(key)
            ),
        })?);
    }
    Ok(())
}

/// The error for an unknown hyperparameter name.
pub(crate) fn unknown_hyperparam(optimizer: &str, name: &str, known: &[&str]) -> Error {
    Error::Value {
        op: "Optimizer::set_hyperparam",
        message: format!("{optimizer} has no hyperparameter {name:?} (it has {known:?})"),
    }
}

/// Reads a boolean hyperparameter given as a number (0 or 1).
pub(crate) fn as_bool(optimizer: &str, name: &str, value: f64) -> Result<bool> {
    if value == 0.0 || value == 1.0 {
        Ok(value == 1.0)
    } else {
        Err(Error::Value {
            op: "Optimizer::set_hyperparam",
            message: format!("{optimizer}.{name} is a flag: expected 0 or 1, got {value}"),
        })
    }
}
