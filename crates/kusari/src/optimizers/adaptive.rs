//! Optimizers with per-element adaptive step sizes: AdaGrad, AdaDelta,
//! RMSprop, RMSpropGraves, SMORMS3 and MSVAG.

use super::kernels::{self, rule_kernel};
use super::sgd::{by_name, simple_rule};
use super::{as_bool, unknown_hyperparam, Real, RuleContext, RuleKernel, UpdateRule};
use crate::array::{Error, Result};

simple_rule!(
    /// AdaGrad's rule: `h += grad²; param -= lr * grad / (√h + eps)`.
    AdaGradRule, "AdaGrad", {
        /// Learning rate.
        lr = 0.001,
        /// Added to the denominator for stability.
        eps = 1e-8,
    }
);

impl UpdateRule for AdaGradRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["h"]
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let (lr, eps) = (T::of(self.lr), T::of(self.eps));
        let h = &mut *s[0];
        for ((p, &g), h) in p.iter_mut().zip(g).zip(h.iter_mut()) {
            *h += g * g;
            *p -= lr * g / (h.sqrt() + eps);
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        rule_kernel(kernels::ADA_GRAD, vec![self.lr, self.eps])
    }
    by_name!();
}

simple_rule!(
    /// AdaDelta's rule (Zeiler 2012) with running averages `msg` of the
    /// squared gradients and `msdx` of the squared steps.
    AdaDeltaRule, "AdaDelta", {
        /// Decay rate of the running averages.
        rho = 0.95,
        /// Added inside the square roots for stability.
        eps = 1e-6,
    }
);

impl UpdateRule for AdaDeltaRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["msg", "msdx"]
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let (rho, one_minus, eps) = (T::of(self.rho), T::of(1.0 - self.rho), T::of(self.eps));
        let (msg, msdx) = s.split_at_mut(1);
        let (msg, msdx) = (&mut *msg[0], &mut *msdx[0]);
        let n = p.len();
        assert!(g.len() == n && msg.len() == n && msdx.len() == n);
        for i in 0..n {
            msg[i] *= rho;
            msg[i] += one_minus * g[i] * g[i];
            let dx = ((msdx[i] + eps) / (msg[i] + eps)).sqrt() * g[i];
            msdx[i] *= rho;
            msdx[i] += one_minus * dx * dx;
            p[i] -= dx;
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        rule_kernel(kernels::ADA_DELTA, vec![self.rho, 1.0 - self.rho, self.eps])
    }
    by_name!();
}

/// RMSprop's rule: `ms = alpha * ms + (1 - alpha) * grad²;
/// param -= lr * grad / (√ms + eps)` (or `√(ms + eps)` with `eps_inside_sqrt`).
#[derive(Clone, Debug, PartialEq)]
pub struct RMSpropRule {
    /// Learning rate.
    pub lr: f64,
    /// Decay rate of the running average.
    pub alpha: f64,
    /// Added to the denominator for stability.
    pub eps: f64,
    /// Add `eps` inside the square root (as TensorFlow does).
    pub eps_inside_sqrt: bool,
}

impl Default for RMSpropRule {
    fn default() -> Self {
        RMSpropRule {
            lr: 0.01,
            alpha: 0.99,
            eps: 1e-8,
            eps_inside_sqrt: false,
        }
    }
}

const RMSPROP_NAMES: &[&str] = &["lr", "alpha", "eps", "eps_inside_sqrt"];

impl UpdateRule for RMSpropRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["ms"]
    }
    fn check<T: Real>(&self, _: &RuleContext) -> Result<()> {
        if self.eps != 0.0 && T::of(self.eps).to_f64() == 0.0 {
            return Err(Error::Value {
                op: "RMSprop::update",
                message: format!(
                    "eps of RMSprop optimizer is too small for {} ({})",
                    T::DTYPE,
                    self.eps
                ),
            });
        }
        Ok(())
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let (lr, alpha) = (T::of(self.lr), T::of(self.alpha));
        let (one_minus, eps) = (T::of(1.0 - self.alpha), T::of(self.eps));
        let ms = &mut *s[0];
        for ((p, &g), ms) in p.iter_mut().zip(g).zip(ms.iter_mut()) {
            *ms *= alpha;
            *ms += one_minus * g * g;
            let denom = if self.eps_inside_sqrt {
                (*ms + eps).sqrt()
            } else {
                ms.sqrt() + eps
            };
            *p -= lr * g / denom;
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        let inside = self.eps_inside_sqrt as u8 as f64;
        rule_kernel(
            kernels::RMS_PROP,
            vec![self.lr, self.alpha, 1.0 - self.alpha, self.eps, inside],
        )
    }
    fn hyperparam(&self, name: &str, _t: u64) -> Option<f64> {
        Some(match name {
            "lr" => self.lr,
            "alpha" => self.alpha,
            "eps" => self.eps,
            "eps_inside_sqrt" => self.eps_inside_sqrt as u8 as f64,
            _ => return None,
        })
    }
    fn set_hyperparam(&mut self, name: &str, value: f64) -> Result<()> {
        match name {
            "lr" => self.lr = value,
            "alpha" => self.alpha = value,
            "eps" => self.eps = value,
            "eps_inside_sqrt" => self.eps_inside_sqrt = as_bool("RMSprop", name, value)?,
            _ => return Err(unknown_hyperparam("RMSprop", name, RMSPROP_NAMES)),
        }
        Ok(())
    }
    fn hyperparam_names(&self) -> &'static [&'static str] {
        RMSPROP_NAMES
    }
}

simple_rule!(
    /// Graves' RMSprop rule (arXiv:1308.0850), with running averages `n` of
    /// the squared gradients and `g` of the gradients, and momentum `delta`.
    RMSpropGravesRule, "RMSpropGraves", {
        /// Learning rate.
        lr = 1e-4,
        /// Decay rate of the running averages.
        alpha = 0.95,
        /// Momentum coefficient.
        momentum = 0.9,
        /// Added inside the square root for stability.
        eps = 1e-4,
    }
);

impl UpdateRule for RMSpropGravesRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["n", "g", "delta"]
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let (lr, alpha, one_minus) = (T::of(self.lr), T::of(self.alpha), T::of(1.0 - self.alpha));
        let (mom, eps) = (T::of(self.momentum), T::of(self.eps));
        let [n, avg, delta] = s else {
            unreachable!("RMSpropGraves has three state arrays")
        };
        let len = p.len();
        assert!(g.len() == len && n.len() == len && avg.len() == len && delta.len() == len);
        for i in 0..len {
            n[i] *= alpha;
            n[i] += one_minus * g[i] * g[i];
            avg[i] *= alpha;
            avg[i] += one_minus * g[i];
            delta[i] *= mom;
            delta[i] -= lr * g[i] / (n[i] - avg[i] * avg[i] + eps).sqrt();
            p[i] += delta[i];
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        let (a, m) = (self.alpha, self.momentum);
        rule_kernel(
            kernels::RMS_PROP_GRAVES,
            vec![self.lr, a, 1.0 - a, m, self.eps],
        )
    }
    by_name!();
}

simple_rule!(
    /// SMORMS3's rule (Simon Funk's "squared mean over root mean squared
    /// cubed"), with state `mem` (starting at ones), `g` and `g2`.
    SMORMS3Rule, "SMORMS3", {
        /// Learning rate.
        lr = 0.001,
        /// Added to the denominators for stability.
        eps = 1e-16,
    }
);

impl UpdateRule for SMORMS3Rule {
    fn state_names(&self) -> &'static [&'static str] {
        &["mem", "g", "g2"]
    }
    fn state_init(&self, index: usize) -> f64 {
        if index == 0 {
            1.0
        } else {
            0.0
        }
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], grad: &[T], s: &mut [&mut [T]]) {
        let (lr, eps, one) = (T::of(self.lr), T::of(self.eps), T::of(1.0));
        let [mem, g, g2] = s else {
            unreachable!("SMORMS3 has three state arrays")
        };
        let len = p.len();
        assert!(grad.len() == len && mem.len() == len && g.len() == len && g2.len() == len);
        for i in 0..len {
            let gr = grad[i];
            let r = one / (mem[i] + one);
            g[i] = (one - r) * g[i] + r * gr;
            g2[i] = (one - r) * g2[i] + r * gr * gr;
            let x = g[i] * g[i] / (g2[i] + eps);
            p[i] -= gr * x.minimum(lr) / (g2[i].sqrt() + eps);
            mem[i] = one + mem[i] * (one - x);
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        rule_kernel(kernels::SMORMS3, vec![self.lr, self.eps])
    }
    by_name!();
}

simple_rule!(
    /// M-SVAG's rule (Balles & Hennig 2017): Adam-like moments `m`, `v` and a
    /// variance-adapted factor.
    MSVAGRule, "MSVAG", {
        /// Learning rate.
        lr = 0.1,
        /// Decay rate of the moments.
        beta = 0.9,
        /// Schedule multiplier.
        eta = 1.0,
        /// Decoupled weight decay.
        weight_decay_rate = 0.0,
    }
);

impl MSVAGRule {
    /// The variance-adaptation constant of a step where `beta_power` is `bp`.
    fn rho(&self, bp: f64) -> f64 {
        let beta = self.beta;
        ((1.0 - beta).powi(2) * (1.0 - bp * bp) / ((1.0 - bp).powi(2) * (1.0 - beta * beta)))
            .min(0.9999)
    }
}

impl UpdateRule for MSVAGRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["m", "v"]
    }
    fn initial_extra(&self) -> f64 {
        // Chainer's `beta_power`, started at beta when the rule is created
        // and not saved by serialization.
        self.beta
    }
    fn step<T: Real>(&self, ctx: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let bp = ctx.extra;
        let rho = self.rho(bp);
        let one_minus = T::of(1.0 - self.beta);
        let fix = T::of(1.0 - bp);
        let (one_minus_rho, rho) = (T::of(1.0 - rho), T::of(rho));
        let (zero, one) = (T::of(0.0), T::of(1.0));
        let (eta, lr, wd) = (
            T::of(self.eta),
            T::of(self.lr),
            T::of(self.weight_decay_rate),
        );
        let (m, v) = s.split_at_mut(1);
        let (m, v) = (&mut *m[0], &mut *v[0]);
        let n = p.len();
        assert!(g.len() == n && m.len() == n && v.len() == n);
        for i in 0..n {
            m[i] += one_minus * (g[i] - m[i]);
            v[i] += one_minus * (g[i] * g[i] - v[i]);
            let mt = m[i] / fix;
            let vt = v[i] / fix;
            let mt2 = mt * mt;
            let sv = (vt - mt2) / one_minus_rho;
            let f = mt2 / (mt2 + rho * sv);
            let factor = if f.is_nan() {
                zero
            } else {
                f.maximum(zero).minimum(one)
            };
            p[i] -= eta * (lr * mt * factor + wd * p[i]);
        }
    }
    fn after_step(&self, ctx: &mut RuleContext) {
        ctx.extra *= self.beta;
    }
    fn kernel(&self, ctx: &RuleContext) -> Option<RuleKernel> {
        let (bp, rho) = (ctx.extra, self.rho(ctx.extra));
        rule_kernel(
            kernels::MSVAG,
            vec![
                1.0 - self.beta,
                1.0 - bp,
                rho,
                1.0 - rho,
                self.eta,
                self.lr,
                self.weight_decay_rate,
            ],
        )
    }
    by_name!();
}
