//! Adam and its variants (AMSGrad, AdaBound, AMSBound, AdamW).

use super::kernels::{self, rule_kernel};
use super::{
    as_bool, unknown_hyperparam, GradientMethod, Real, RuleContext, RuleKernel, UpdateRule,
};
use crate::array::{Error, Result};

/// Adam's hyperparameters and rule (Chainer's `AdamRule`), with Chainer's
/// defaults. `amsgrad` keeps the running maximum `vhat` of `v`; `adabound`
/// clips the step into bounds converging to `final_lr`; a nonzero
/// `weight_decay_rate` is AdamW's decoupled weight decay; `eta` scales the
/// whole step (the schedule multiplier of AdamW).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamRule {
    /// Step size.
    pub alpha: f64,
    /// Decay rate of the first moment.
    pub beta1: f64,
    /// Decay rate of the second moment.
    pub beta2: f64,
    /// Added to the denominator for stability.
    pub eps: f64,
    /// Schedule multiplier.
    pub eta: f64,
    /// Decoupled weight decay (AdamW).
    pub weight_decay_rate: f64,
    /// Use AMSGrad's running maximum of `v`.
    pub amsgrad: bool,
    /// Clip the step as AdaBound does.
    pub adabound: bool,
    /// AdaBound's final (SGD) learning rate.
    pub final_lr: f64,
    /// AdaBound's convergence speed of the bounds.
    pub gamma: f64,
}

impl Default for AdamRule {
    fn default() -> Self {
        AdamRule {
            alpha: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eta: 1.0,
            weight_decay_rate: 0.0,
            amsgrad: false,
            adabound: false,
            final_lr: 0.1,
            gamma: 0.001,
        }
    }
}

const NAMES: &[&str] = &[
    "alpha",
    "beta1",
    "beta2",
    "eps",
    "eta",
    "weight_decay_rate",
    "amsgrad",
    "adabound",
    "final_lr",
    "gamma",
];

impl AdamRule {
    /// The bias-corrected step size at step `t` (Chainer's `alpha_t`);
    /// `None` at `t = 0`, where Chainer raises.
    pub fn alpha_t(&self, t: u64) -> Option<f64> {
        if t == 0 {
            return None;
        }
        let t = t as f64;
        let fix1 = 1.0 - self.beta1.powf(t);
        let fix2 = 1.0 - self.beta2.powf(t);
        Some(self.alpha * fix2.sqrt() / fix1)
    }

    /// AdaBound's `(lower, upper)` step bounds at step `t` for a rule created
    /// when alpha was `initial_alpha`.
    pub fn bounds(&self, t: u64, initial_alpha: f64) -> (f64, f64) {
        let final_lr = self.final_lr * self.alpha / initial_alpha;
        let t = t as f64;
        let lower = final_lr * (1.0 - 1.0 / (self.gamma * t + 1.0));
        let upper = final_lr * (1.0 + 1.0 / (self.gamma * t));
        (lower, upper)
    }
}

impl GradientMethod<AdamRule> {
    /// AMSGrad (Chainer's `AMSGrad`): Adam with `amsgrad = true`.
    pub fn amsgrad() -> Self {
        GradientMethod::with_rule(AdamRule {
            amsgrad: true,
            ..AdamRule::default()
        })
    }

    /// AdaBound (Chainer's `AdaBound`): Adam with `adabound = true`.
    pub fn adabound() -> Self {
        GradientMethod::with_rule(AdamRule {
            adabound: true,
            ..AdamRule::default()
        })
    }

    /// AMSBound (Chainer's `AMSBound`): `amsgrad` and `adabound`.
    pub fn amsbound() -> Self {
        GradientMethod::with_rule(AdamRule {
            amsgrad: true,
            adabound: true,
            ..AdamRule::default()
        })
    }

    /// AdamW (Chainer's `AdamW`): Adam with decoupled weight decay.
    pub fn adamw(weight_decay_rate: f64) -> Self {
        GradientMethod::with_rule(AdamRule {
            weight_decay_rate,
            ..AdamRule::default()
        })
    }

    /// The bias-corrected step size at the current step (Chainer's
    /// `Adam.alpha_t`, formerly `lr`); an error before the first update.
    pub fn alpha_t(&self) -> Result<f64> {
        self.rule.alpha_t(self.t.get()).ok_or_else(|| Error::Value {
            op: "Adam::alpha_t",
            message: "can't determine the learning rate of Adam optimizer because the update steps have not been started".into(),
        })
    }
}

impl UpdateRule for AdamRule {
    fn state_names(&self) -> &'static [&'static str] {
        if self.amsgrad {
            &["m", "v", "vhat"]
        } else {
            &["m", "v"]
        }
    }

    fn initial_extra(&self) -> f64 {
        // Chainer's rule remembers alpha at creation; AdaBound's final rate
        // follows later changes of alpha relative to it.
        self.alpha
    }

    fn check<T: Real>(&self, _ctx: &RuleContext) -> Result<()> {
        if self.eps != 0.0 && T::of(self.eps).to_f64() == 0.0 {
            return Err(Error::Value {
                op: "Adam::update",
                message: format!(
                    "eps of Adam optimizer is too small for {} ({})",
                    T::DTYPE,
                    self.eps
                ),
            });
        }
        Ok(())
    }

    fn step<T: Real>(&self, ctx: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let alpha_t = T::of(self.alpha_t(ctx.t.max(1)).expect("t >= 1"));
        let b1 = T::of(1.0 - self.beta1);
        let b2 = T::of(1.0 - self.beta2);
        let eps = T::of(self.eps);
        let (lower, upper) = if self.adabound {
            let (l, u) = self.bounds(ctx.t, ctx.extra);
            (T::of(l), T::of(u))
        } else {
            (T::of(0.0), T::of(0.0))
        };
        let a = 1.0 - self.eta * self.weight_decay_rate;
        let (a_is_one, a) = (a == 1.0, T::of(a));
        let b = T::of(-self.eta);
        let (m, rest) = s.split_at_mut(1);
        let m = &mut *m[0];
        let (v, rest) = rest.split_at_mut(1);
        let v = &mut *v[0];
        let mut vhat = rest.first_mut().map(|x| &mut **x);
        let n = p.len();
        assert!(g.len() == n && m.len() == n && v.len() == n);
        if vhat.is_none() && !self.adabound && a_is_one {
            // Plain Adam (the default): the same arithmetic as the general
            // loop below, without its per-element branches and
            // SIMD-dispatched (sqrt and divide at the CPU's full width), so
            // it vectorizes; it was a third of the MLP example's step.
            let k = AdamConsts {
                alpha_t,
                b1,
                b2,
                eps,
                b,
            };
            // SAFETY: plain slices; the dispatch picks a level this CPU has.
            unsafe { adam_plain(p, g, m, v, &k) };
            return;
        }
        for i in 0..n {
            let gi = g[i];
            m[i] += b1 * (gi - m[i]);
            v[i] += b2 * (gi * gi - v[i]);
            let vh = match vhat.as_deref_mut() {
                Some(vh) => {
                    vh[i] = vh[i].maximum(v[i]);
                    vh[i]
                }
                None => v[i],
            };
            let mut step = alpha_t / (vh.sqrt() + eps);
            if self.adabound {
                step = step.maximum(lower).minimum(upper);
            }
            if a_is_one {
                p[i] += b * (step * m[i]);
            } else {
                p[i] = a * p[i] + b * (step * m[i]);
            }
        }
    }

    fn kernel(&self, ctx: &RuleContext) -> Option<RuleKernel> {
        let alpha_t = self.alpha_t(ctx.t.max(1)).expect("t >= 1");
        let (lower, upper) = if self.adabound {
            self.bounds(ctx.t, ctx.extra)
        } else {
            (0.0, 0.0)
        };
        rule_kernel(
            if self.amsgrad {
                kernels::AMSGRAD
            } else {
                kernels::ADAM
            },
            vec![
                alpha_t,
                1.0 - self.beta1,
                1.0 - self.beta2,
                self.eps,
                self.adabound as u8 as f64,
                lower,
                upper,
                1.0 - self.eta * self.weight_decay_rate,
                -self.eta,
            ],
        )
    }

    fn hyperparam(&self, name: &str, t: u64) -> Option<f64> {
        Some(match name {
            "alpha" => self.alpha,
            "beta1" => self.beta1,
            "beta2" => self.beta2,
            "eps" => self.eps,
            "eta" => self.eta,
            "weight_decay_rate" => self.weight_decay_rate,
            "amsgrad" => self.amsgrad as u8 as f64,
            "adabound" => self.adabound as u8 as f64,
            "final_lr" => self.final_lr,
            "gamma" => self.gamma,
            // Chainer's read-only `Adam.lr` is `alpha_t`.
            "alpha_t" | "lr" => return self.alpha_t(t),
            _ => return None,
        })
    }

    fn set_hyperparam(&mut self, name: &str, value: f64) -> Result<()> {
        match name {
            "alpha" => self.alpha = value,
            "beta1" => self.beta1 = value,
            "beta2" => self.beta2 = value,
            "eps" => self.eps = value,
            "eta" => self.eta = value,
            "weight_decay_rate" => self.weight_decay_rate = value,
            "amsgrad" => self.amsgrad = as_bool("Adam", name, value)?,
            "adabound" => self.adabound = as_bool("Adam", name, value)?,
            "final_lr" => self.final_lr = value,
            "gamma" => self.gamma = value,
            "lr" | "alpha_t" => {
                return Err(Error::Value {
                    op: "Optimizer::set_hyperparam",
                    message: format!(
                        "Adam's {name} is derived from alpha and the step count; set \"alpha\" (or \"eta\") instead"
                    ),
                })
            }
            _ => return Err(unknown_hyperparam("Adam", name, NAMES)),
        }
        Ok(())
    }

    fn hyperparam_names(&self) -> &'static [&'static str] {
        NAMES
    }
}

/// The constants of one plain Adam update.
struct AdamConsts<T> {
    alpha_t: T,
    b1: T,
    b2: T,
    eps: T,
    b: T,
}

kusari_array::multiversion! {
    /// The plain Adam update (no AMSGrad, AdaBound or weight decay) of one chunk.
    pub(crate) unsafe fn adam_plain<T: Real>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: &AdamConsts<T>) {
        for (((p, &gi), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m += k.b1 * (gi - *m);
            *v += k.b2 * (gi * gi - *v);
            let step = k.alpha_t / (v.sqrt() + k.eps);
            *p += k.b * (step * *m);
        }
    }
}
