//! Noise injection (Chainer's `chainer.functions.noise`): `dropout`,
//! `gaussian`, `gumbel_softmax`, `zoneout`.
//!
//! # Random numbers
//! Chainer draws from NumPy's global generator. kusari draws from a
//! thread-local [`Generator`] (Philox, seeded with 0 on each thread, so runs
//! are reproducible by default). Seed it with [`set_seed`], or borrow it with
//! [`with_generator`] to save and restore its state. The noise is drawn on
//! the input's device (the same numbers as on the CPU, see
//! `Generator::random_on`). Every function also has
//! a form taking the noise explicitly (`dropout_with`, `gaussian_with`), as
//! Chainer's `mask=`/`eps=` arguments, for full control.

use super::lambda::mul_mask;
use super::{expect_float, expect_same_dtype};
use crate::array::ops::random::Generator;
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::{config, Variable};
use std::cell::RefCell;

thread_local! {
    static RNG: RefCell<Generator> = RefCell::new(Generator::new(0));
}

/// Reseeds this thread's generator used by the noise functions.
///
/// ```
/// use kusari::{functions as F, Variable, array::{Array, DType}};
/// let x = Variable::new(Array::ones(&[4, 4], DType::F32)?);
/// F::set_seed(7);
/// let a = F::dropout(&x, 0.5)?;
/// F::set_seed(7);
/// let b = F::dropout(&x, 0.5)?;
/// assert_eq!(a.array().to_vec::<f32>()?, b.array().to_vec::<f32>()?);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn set_seed(seed: u64) {
    RNG.with(|g| *g.borrow_mut() = Generator::new(seed));
}

/// Runs `f` with this thread's noise generator (to draw from it, or to save
/// and restore its state with `state`/`set_state`).
pub fn with_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    RNG.with(|g| f(&mut g.borrow_mut()))
}

fn check_ratio(op: &'static str, ratio: f64) -> Result<()> {
    if !(0.0..1.0).contains(&ratio) {
        return Err(Error::Value {
            op,
            message: format!("expected 0 <= ratio < 1, got {ratio}"),
        });
    }
    Ok(())
}

/// `x * mask` for a constant mask, its own transpose (Chainer's `DropoutGrad`).
struct MaskMul {
    label: &'static str,
    mask: Array,
}
impl FunctionNode for MaskMul {
    fn label(&self) -> &str {
        self.label
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float("dropout", "x", x[0].dtype())?;
        if x[0].shape() != self.mask.shape() || x[0].dtype() != self.mask.dtype() {
            return Err(Error::Shape {
                op: "dropout",
                message: format!(
                    "expected mask.shape == x.shape and mask.dtype == x.dtype, got {:?} {} and {:?} {}",
                    self.mask.shape(),
                    self.mask.dtype(),
                    x[0].shape(),
                    x[0].dtype()
                ),
            });
        }
        Ok(())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].multiply(&self.mask)?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let g = MaskMul {
            label: "DropoutGrad",
            mask: self.mask.clone(),
        };
        Ok(vec![Some(apply1(g, &[&gy[0]])?)])
    }
}

/// Drops elements with probability `ratio` and scales the rest by
/// `1 / (1 - ratio)` (Chainer's `F.dropout`, default ratio 0.5). Identity
/// when `config::train()` is false. The mask comes from this thread's
/// generator (see [`set_seed`]); the backward multiplies by the same mask.
pub fn dropout(x: &Variable, ratio: f64) -> Result<Variable> {
    Ok(dropout_with(x, ratio, None)?.0)
}

/// [`dropout`] with Chainer's `mask=`/`return_mask=`: uses `mask` when given
/// (`ratio` is then ignored), and returns the mask used (`None` when not
/// training, as Chainer).
pub fn dropout_with(
    x: &Variable,
    ratio: f64,
    mask: Option<&Array>,
) -> Result<(Variable, Option<Array>)> {
    check_ratio("dropout", ratio)?;
    expect_float("dropout", "x", x.dtype())?;
    if !config::train() {
        return Ok((x.clone(), None));
    }
    let mask = match mask {
        Some(m) => m.clone(),
        None => {
            let u = with_generator(|g| g.random_on(&x.shape(), x.dtype(), x.device()))?;
            let scale = 1.0 / (1.0 - ratio);
            crate::array::ops::ufunc::where_(&u.greater_equal(ratio)?, scale, 0.0)?
                .astype(x.dtype())?
        }
    };
    let y = apply1(
        MaskMul {
            label: "Dropout",
            mask: mask.clone(),
        },
        &[x],
    )?;
    Ok((y, Some(mask)))
}

/// A sample of `N(mean, exp(ln_var))`: `mean + exp(ln_var / 2) * eps` with
/// standard normal `eps` from this thread's generator (Chainer's `F.gaussian`).
pub fn gaussian(mean: &Variable, ln_var: &Variable) -> Result<Variable> {
    Ok(gaussian_with(mean, ln_var, None)?.0)
}

/// [`gaussian`] with Chainer's `eps=`/`return_eps=`.
pub fn gaussian_with(
    mean: &Variable,
    ln_var: &Variable,
    eps: Option<&Array>,
) -> Result<(Variable, Array)> {
    expect_float("gaussian", "mean", mean.dtype())?;
    expect_same_dtype("gaussian", mean.dtype(), ln_var.dtype())?;
    if mean.shape() != ln_var.shape() {
        return Err(Error::Shape {
            op: "gaussian",
            message: format!(
                "expected mean.shape == ln_var.shape, got {:?} != {:?}",
                mean.shape(),
                ln_var.shape()
            ),
        });
    }
    let eps = match eps {
        Some(e) => e.clone(),
        None => {
            with_generator(|g| g.standard_normal_on(&mean.shape(), mean.dtype(), mean.device()))?
        }
    };
    let sd = super::exp(&super::mul_constant(ln_var, 0.5)?)?;
    let y = super::add(mean, &mul_mask(&sd, eps.clone())?)?;
    Ok((y, eps))
}

/// Gumbel-softmax sample: `softmax((log_pi + g) / tau, axis)` with Gumbel
/// noise `g = -log(-log(u))` (Chainer's `F.gumbel_softmax`, defaults tau 0.1,
/// axis 1). A 0-d input gives 1.
pub fn gumbel_softmax(log_pi: &Variable, tau: f64, axis: isize) -> Result<Variable> {
    expect_float("gumbel_softmax", "log_pi", log_pi.dtype())?;
    if log_pi.ndim() == 0 {
        return Ok(Variable::constant(
            Array::ones(&[], log_pi.dtype())?.to_device(log_pi.device())?,
        ));
    }
    let shape = log_pi.shape();
    let dev = log_pi.device();
    let u = with_generator(|g| g.random_on(&shape, crate::array::DType::F64, dev))?;
    // u in [0, 1): 1 - u is in (0, 1], so the logs stay finite.
    let g = u
        .negative()?
        .add(1.0)?
        .log()?
        .negative()?
        .log()?
        .negative()?
        .astype(log_pi.dtype())?;
    let z = super::add(log_pi, &Variable::constant(g))?;
    super::softmax(&super::div_constant(&z, tau)?, axis)
}

/// Zoneout: each element keeps `h` (the previous state) with probability
/// `ratio`, else takes `x` (Chainer's `F.zoneout`, default ratio 0.5);
/// `x` when not training.
pub fn zoneout(h: &Variable, x: &Variable, ratio: f64) -> Result<Variable> {
    check_ratio("zoneout", ratio)?;
    expect_float("zoneout", "h", h.dtype())?;
    expect_same_dtype("zoneout", h.dtype(), x.dtype())?;
    if h.shape() != x.shape() {
        return Err(Error::Shape {
            op: "zoneout",
            message: format!(
                "expected h.shape == x.shape, got {:?} != {:?}",
                h.shape(),
                x.shape()
            ),
        });
    }
    if !config::train() {
        return Ok(x.clone());
    }
    let u = with_generator(|g| g.random_on(&x.shape(), x.dtype(), x.device()))?;
    let flag_x = u.greater_equal(ratio)?;
    let fx = flag_x.astype(x.dtype())?;
    let fh = flag_x.logical_not()?.astype(x.dtype())?;
    super::add(&mul_mask(h, fh)?, &mul_mask(x, fx)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::DType;
    use crate::functions::kernels::FORCE_KERNELS;

    /// The noise functions draw through the generator's device kernel off
    /// the CPU (forced here): the same seed gives the CPU's masks and
    /// noise (dropout and zoneout exactly: `random` is bit for bit;
    /// gaussian within the normals' rounding), and gradients flow.
    #[test]
    fn device_draws_give_the_cpu_noise() {
        let x = || {
            let v: Vec<f64> = (0..24).map(|i| i as f64 * 0.25 - 3.0).collect();
            Variable::new(
                Array::from_vec(v, &[4, 6])
                    .unwrap()
                    .astype(DType::F32)
                    .unwrap(),
            )
        };
        let run = |forced: bool| -> Vec<Vec<f64>> {
            FORCE_KERNELS.with(|f| f.set(forced));
            set_seed(11);
            let (a, b) = (x(), x());
            let d = dropout(&a, 0.4).unwrap();
            let z = zoneout(&a, &b, 0.3).unwrap();
            let gs = gumbel_softmax(&a, 0.5, 1).unwrap();
            let g = gaussian(&a, &b).unwrap();
            let loss = crate::functions::sum(&crate::functions::add(&d, &g).unwrap(), None, false)
                .unwrap();
            loss.backward().unwrap();
            FORCE_KERNELS.with(|f| f.set(false));
            let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
            let out = vec![
                v(&d.data()),
                v(&z.data()),
                v(&gs.data()),
                v(&g.data()),
                v(&a.grad().unwrap()),
            ];
            out
        };
        let (cpu, dev) = (run(false), run(true));
        for k in [0, 1] {
            assert_eq!(cpu[k], dev[k], "output {k}");
        }
        // gumbel-softmax's softmax takes its own kernel path (float32 ulps).
        for k in [2, 3, 4] {
            for (p, q) in cpu[k].iter().zip(&dev[k]) {
                assert!(
                    (p - q).abs() <= 1e-6 * p.abs().max(1.0),
                    "output {k}: cpu {p}, device path {q}"
                );
            }
        }
    }
}
