//! Normalization links (Chainer's `chainer.links.normalization`).

use super::connection::{param, DEFAULT_DTYPE};
use crate::array::{Array, DType, Result};
use crate::config;
use crate::functions as F;
use crate::initializers::Constant;
use crate::link::Forward;
use crate::{Chain, Parameter, Persistent, Variable};

/// Batch normalization (Chainer's `L.BatchNormalization`): in training
/// (`config::train()`), normalizes with the batch's statistics and folds
/// them into the running averages `avg_mean`, `avg_var`
/// (`avg = decay * avg + (1 - decay) * batch`, the variance unbiased by
/// `m / (m - 1)`); otherwise normalizes with the running averages.
/// Parameters `gamma` (1) and `beta` (0); persistents `avg_mean` (0),
/// `avg_var` (1) and `N` (the number of fine-tuning steps).
#[derive(Chain, Clone, Debug)]
pub struct BatchNormalization {
    /// The scale; `None` without `use_gamma`.
    pub gamma: Option<Parameter>,
    /// The shift; `None` without `use_beta`.
    pub beta: Option<Parameter>,
    /// The running mean.
    pub avg_mean: Persistent,
    /// The running (unbiased) variance.
    pub avg_var: Persistent,
    /// Fine-tuning steps taken (Chainer's `N`).
    #[chain(rename = "N")]
    pub n: Persistent,
    /// The running average's decay (default 0.9).
    #[chain(skip)]
    pub decay: f64,
    /// Added to the variance (default 2e-5).
    #[chain(skip)]
    pub eps: f64,
    #[chain(skip)]
    axis: Option<Vec<usize>>,
    #[chain(skip)]
    dtype: DType,
}

impl BatchNormalization {
    /// Batch normalization over `size` channels (axis 1 of `(n, c, ...)`).
    pub fn new(size: usize) -> Result<BatchNormalization> {
        BatchNormalization::with_shape(&[size], None, DEFAULT_DTYPE, true, true)
    }

    /// Batch normalization with parameters of `shape`, over `axis` (default:
    /// axis 0 and the axes after `shape`'s), of `dtype`, with or without
    /// `gamma`/`beta` (Chainer's `use_gamma`/`use_beta`).
    pub fn with_shape(
        shape: &[usize],
        axis: Option<&[usize]>,
        dtype: DType,
        use_gamma: bool,
        use_beta: bool,
    ) -> Result<BatchNormalization> {
        Ok(BatchNormalization {
            gamma: use_gamma.then(|| param("gamma", dtype, Constant::new(1.0).into(), Some(shape))),
            beta: use_beta.then(|| param("beta", dtype, Constant::new(0.0).into(), Some(shape))),
            avg_mean: Persistent::new(Array::zeros(shape, dtype)?),
            avg_var: Persistent::new(Array::ones(shape, dtype)?),
            n: Persistent::new(Array::zeros(&[], DType::I64)?),
            decay: 0.9,
            eps: 2e-5,
            axis: axis.map(<[usize]>::to_vec),
            dtype,
        })
    }

    fn gamma_beta(&self) -> Result<(Variable, Variable)> {
        let shape = self.avg_mean.borrow().shape().to_vec();
        let gamma = match &self.gamma {
            Some(g) => g.var()?,
            None => Variable::constant(Array::ones(&shape, self.dtype)?),
        };
        let beta = match &self.beta {
            Some(b) => b.var()?,
            None => Variable::constant(Array::zeros(&shape, self.dtype)?),
        };
        Ok((gamma, beta))
    }

    /// The forward pass; with `finetune` in training, the running averages
    /// are exact averages over all steps so far (`decay = 1 - 1/N`).
    pub fn forward_finetune(&self, x: &Variable, finetune: bool) -> Result<Variable> {
        let (gamma, beta) = self.gamma_beta()?;
        let axis = self.axis.as_deref();
        if !config::train() {
            let mean = Variable::constant(self.avg_mean.get());
            let var = Variable::constant(self.avg_var.get());
            return F::fixed_batch_normalization(x, &gamma, &beta, &mean, &var, self.eps, axis);
        }
        let decay = if finetune {
            let n = self.n.get().item::<i64>()? + 1;
            self.n.set(Array::full(&[], n, DType::I64)?);
            1.0 - 1.0 / n as f64
        } else {
            self.decay
        };
        let (y, stats) = F::batch_normalization_with_stats(x, &gamma, &beta, self.eps, axis)?;
        let m = stats.count as f64;
        let adjust = m / (m - 1.0).max(1.0);
        let fold = |avg: &Persistent, batch: &Array, factor: f64| -> Result<()> {
            let old = avg.get();
            let new = old
                .mul(&Array::full(&[], decay, old.dtype())?)?
                .add(&batch.mul(&Array::full(&[], (1.0 - decay) * factor, old.dtype())?)?)?;
            avg.set(new);
            Ok(())
        };
        fold(&self.avg_mean, &stats.mean, 1.0)?;
        fold(&self.avg_var, &stats.var, adjust)?;
        Ok(y)
    }
}

impl Forward for BatchNormalization {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        self.forward_finetune(x, false)
    }
}

/// Lazily initialized `gamma` (1) and `beta` (0) of `size` entries.
fn scale_shift(size: Option<usize>) -> (Parameter, Parameter) {
    let shape = size.map(|s| [s]);
    (
        param(
            "gamma",
            DEFAULT_DTYPE,
            Constant::new(1.0).into(),
            shape.as_ref().map(|s| &s[..]),
        ),
        param(
            "beta",
            DEFAULT_DTYPE,
            Constant::new(0.0).into(),
            shape.as_ref().map(|s| &s[..]),
        ),
    )
}

/// Layer normalization (Chainer's `L.LayerNormalization`): each sample of
/// `x` `(B, size)` is normalized over its units, then scaled by `gamma` (1)
/// and shifted by `beta` (0). With `size` `None` they are initialized at
/// the first forward. `eps` defaults to Chainer's 1e-6.
///
/// ```
/// use kusari::{array::{Array, DType}, links::LayerNormalization, Forward, Variable};
/// let ln = LayerNormalization::new(None);
/// let y = ln.forward(&Variable::new(Array::ones(&[2, 5], DType::F32)?))?;
/// assert_eq!((y.shape(), ln.gamma.array()?.shape().to_vec()), (vec![2, 5], vec![5]));
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct LayerNormalization {
    /// The scale.
    pub gamma: Parameter,
    /// The shift.
    pub beta: Parameter,
    /// Added to the variance (Chainer's `eps`).
    #[chain(skip)]
    pub eps: f64,
}

impl LayerNormalization {
    /// A layer normalization of `size` units (`None`: decided at the first forward).
    pub fn new(size: impl Into<Option<usize>>) -> LayerNormalization {
        let (gamma, beta) = scale_shift(size.into());
        LayerNormalization {
            gamma,
            beta,
            eps: 1e-6,
        }
    }
}

impl Forward for LayerNormalization {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        if !self.gamma.is_initialized() {
            let size = x.shape().iter().skip(1).product::<usize>();
            self.gamma.initialize(&[size])?;
            self.beta.initialize(&[size])?;
        }
        F::layer_normalization(x, &self.gamma.var()?, &self.beta.var()?, self.eps)
    }
}

/// Group normalization (Chainer's `L.GroupNormalization`): the channels of
/// `x` `(B, C, ...)` are split into `groups`, each normalized per sample,
/// then scaled by `gamma` (1) and shifted by `beta` (0), both `(C,)`. With
/// `size` `None` they are initialized at the first forward from `C`. `eps`
/// defaults to Chainer's 1e-5.
///
/// ```
/// use kusari::{array::{Array, DType}, links::GroupNormalization, Forward, Variable};
/// let gn = GroupNormalization::new(2, None);
/// let y = gn.forward(&Variable::new(Array::ones(&[2, 4, 3], DType::F32)?))?;
/// assert_eq!((y.shape(), gn.gamma.array()?.shape().to_vec()), (vec![2, 4, 3], vec![4]));
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct GroupNormalization {
    /// The scale, `(C,)`.
    pub gamma: Parameter,
    /// The shift, `(C,)`.
    pub beta: Parameter,
    /// The number of channel groups.
    #[chain(skip)]
    pub groups: usize,
    /// Added to the variance (Chainer's `eps`).
    #[chain(skip)]
    pub eps: f64,
}

impl GroupNormalization {
    /// A group normalization with `groups` groups over `size` channels
    /// (`None`: decided at the first forward).
    pub fn new(groups: usize, size: impl Into<Option<usize>>) -> GroupNormalization {
        let (gamma, beta) = scale_shift(size.into());
        GroupNormalization {
            gamma,
            beta,
            groups,
            eps: 1e-5,
        }
    }
}

impl Forward for GroupNormalization {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        if !self.gamma.is_initialized() {
            let shape = x.shape();
            if shape.len() < 2 {
                return Err(crate::array::Error::Shape {
                    op: "GroupNormalization::forward",
                    message: format!("expected x of at least 2 axes (batch, channels, ...), got x.shape {shape:?}"),
                });
            }
            self.gamma.initialize(&[shape[1]])?;
            self.beta.initialize(&[shape[1]])?;
        }
        F::group_normalization(
            x,
            self.groups,
            &self.gamma.var()?,
            &self.beta.var()?,
            self.eps,
        )
    }
}
