//! SGD and its momentum variants.

use super::kernels::{self, rule_kernel};
use super::{unknown_hyperparam, Real, RuleContext, RuleKernel, UpdateRule};
use crate::array::Result;

/// Defines a rule struct with `f64` hyperparameters, its `Default`
/// (Chainer's defaults) and the by-name access.
macro_rules! simple_rule {
    ($(#[$doc:meta])* $name:ident, $chainer:literal, { $($(#[$fdoc:meta])* $field:ident = $default:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: f64,)*
        }
        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default,)* }
            }
        }
        impl $name {
            fn get(&self, name: &str) -> Option<f64> {
                match name {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }
            fn set(&mut self, name: &str, value: f64) -> Result<()> {
                match name {
                    $(stringify!($field) => self.$field = value,)*
                    _ => return Err(unknown_hyperparam($chainer, name, &[$(stringify!($field)),*])),
                }
                Ok(())
            }
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}
pub(crate) use simple_rule;

/// Implements the by-name part of `UpdateRule` with the macro's accessors.
macro_rules! by_name {
    () => {
        fn hyperparam(&self, name: &str, _t: u64) -> Option<f64> {
            self.get(name)
        }
        fn set_hyperparam(&mut self, name: &str, value: f64) -> Result<()> {
            self.set(name, value)
        }
        fn hyperparam_names(&self) -> &'static [&'static str] {
            Self::NAMES
        }
    };
}
pub(crate) use by_name;

simple_rule!(
    /// SGD's rule: `param -= lr * grad`.
    SGDRule, "SGD", {
        /// Learning rate.
        lr = 0.01,
    }
);

impl UpdateRule for SGDRule {
    fn state_names(&self) -> &'static [&'static str] {
        &[]
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], _: &mut [&mut [T]]) {
        let lr = T::of(self.lr);
        for (p, &g) in p.iter_mut().zip(g) {
            *p -= lr * g;
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        rule_kernel(kernels::SGD, vec![self.lr])
    }
    by_name!();
}

simple_rule!(
    /// MomentumSGD's rule: `v = momentum * v - lr * grad; param += v`.
    MomentumSGDRule, "MomentumSGD", {
        /// Learning rate.
        lr = 0.01,
        /// Momentum coefficient.
        momentum = 0.9,
    }
);

impl UpdateRule for MomentumSGDRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["v"]
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let (lr, mom) = (T::of(self.lr), T::of(self.momentum));
        let v = &mut *s[0];
        for ((p, &g), v) in p.iter_mut().zip(g).zip(v.iter_mut()) {
            *v *= mom;
            *v -= lr * g;
            *p += *v;
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        rule_kernel(kernels::MOMENTUM_SGD, vec![self.lr, self.momentum])
    }
    by_name!();
}

simple_rule!(
    /// CorrectedMomentumSGD's rule: `v = momentum * v - grad; param += lr * v`.
    CorrectedMomentumSGDRule, "CorrectedMomentumSGD", {
        /// Learning rate.
        lr = 0.01,
        /// Momentum coefficient.
        momentum = 0.9,
    }
);

impl UpdateRule for CorrectedMomentumSGDRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["v"]
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let (lr, mom) = (T::of(self.lr), T::of(self.momentum));
        let v = &mut *s[0];
        for ((p, &g), v) in p.iter_mut().zip(g).zip(v.iter_mut()) {
            *v *= mom;
            *v -= g;
            *p += lr * *v;
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        rule_kernel(
            kernels::CORRECTED_MOMENTUM_SGD,
            vec![self.lr, self.momentum],
        )
    }
    by_name!();
}

simple_rule!(
    /// NesterovAG's rule: `v = momentum * v - lr * grad;
    /// param += momentum² * v - (1 + momentum) * lr * grad`.
    NesterovAGRule, "NesterovAG", {
        /// Learning rate.
        lr = 0.01,
        /// Momentum coefficient.
        momentum = 0.9,
    }
);

impl UpdateRule for NesterovAGRule {
    fn state_names(&self) -> &'static [&'static str] {
        &["v"]
    }
    fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], g: &[T], s: &mut [&mut [T]]) {
        let (lr, mom) = (T::of(self.lr), T::of(self.momentum));
        // NumPy evaluates the Python-float products first, then rounds once.
        let mom2 = T::of(self.momentum * self.momentum);
        let lr1 = T::of((1.0 + self.momentum) * self.lr);
        let v = &mut *s[0];
        for ((p, &g), v) in p.iter_mut().zip(g).zip(v.iter_mut()) {
            *v *= mom;
            *v -= lr * g;
            *p += mom2 * *v;
            *p -= lr1 * g;
        }
    }
    fn kernel(&self, _: &RuleContext) -> Option<RuleKernel> {
        let (lr, m) = (self.lr, self.momentum);
        rule_kernel(kernels::NESTEROV_AG, vec![lr, m, m * m, (1.0 + m) * lr])
    }
    by_name!();
}
