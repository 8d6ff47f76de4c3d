//! `connectionist_temporal_classification`: the CTC loss by the
//! forward-backward recursions in log space.

use super::{expect_reduce, labels, Reduce};
use crate::array::{Array, DType, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions::expect_float;
use crate::Variable;
use std::cell::RefCell;

const OP: &str = "connectionist_temporal_classification";
/// Chainer's stand-in for log(0): keeps every sum finite, so impossible
/// alignments give a huge loss and zero gradient instead of NaN.
const LOG_ZERO: f64 = -1e10;

fn logsumexp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + v.iter().map(|&x| (x - m).exp()).sum::<f64>().ln()
}

/// The CTC loss (Chainer's `F.connectionist_temporal_classification`): `xs`
/// are the `T` time steps of unnormalized log-probabilities, each `(B, V)`;
/// `t` is `(B, L)` integer labels; `blank_symbol` is the blank's index.
/// `input_length` / `label_length` (`(B,)` integers, default `T` / `L`) give
/// each sample's lengths. `Reduce::Mean` averages the `B` losses, `Reduce::No`
/// returns them.
///
/// As in Chainer (whose CTC is an old-style `Function`), the gradient is not
/// differentiable again: under double backprop it is returned as a constant.
pub fn connectionist_temporal_classification(
    xs: &[&Variable],
    t: &Variable,
    blank_symbol: usize,
    input_length: Option<&Array>,
    label_length: Option<&Array>,
    reduce: Reduce,
) -> Result<Variable> {
    expect_reduce(OP, reduce, &[Reduce::Mean, Reduce::No])?;
    if xs.is_empty() {
        return Err(Error::Value {
            op: OP,
            message: "expected at least one time step in x, got none".into(),
        });
    }
    let (b, l) = {
        let td = t.data();
        if td.ndim() != 2 {
            return Err(Error::Shape {
                op: OP,
                message: format!("expected t.ndim == 2, got shape {:?}", td.shape()),
            });
        }
        (td.shape()[0], td.shape()[1])
    };
    let lengths =
        |a: Option<&Array>, name: &str, default: usize, max: usize| -> Result<Vec<usize>> {
            let Some(a) = a else {
                return Ok(vec![default; b]);
            };
            if a.ndim() != 1 || a.shape()[0] != b {
                return Err(Error::Shape {
                    op: OP,
                    message: format!("expected {name}.shape == ({b},), got {:?}", a.shape()),
                });
            }
            labels(OP, a)?
                .iter()
                .map(|&v| {
                    if v < 0 || v as usize > max {
                        Err(Error::Value {
                            op: OP,
                            message: format!("expected 0 <= {name} <= {max}, got {v}"),
                        })
                    } else {
                        Ok(v as usize)
                    }
                })
                .collect()
        };
    let il = lengths(input_length, "input_length", xs.len(), xs.len())?;
    let ll = lengths(label_length, "label_length", l, l)?;
    let mut inputs: Vec<&Variable> = xs.to_vec();
    inputs.push(t);
    apply1(
        Ctc {
            blank: blank_symbol,
            input_length: il,
            label_length: ll,
            reduce,
            grad: RefCell::new(None),
        },
        &inputs,
    )
}

struct Ctc {
    blank: usize,
    input_length: Vec<usize>,
    label_length: Vec<usize>,
    reduce: Reduce,
    /// `softmax - occupancy` per step, `(T, B, V)` row-major, in f64.
    grad: RefCell<Option<Vec<f64>>>,
}

impl FunctionNode for Ctc {
    fn label(&self) -> &str {
        "ConnectionistTemporalClassification"
    }
    fn check_type(&self, inputs: &[&Array]) -> Result<()> {
        let (xs, t) = inputs.split_at(inputs.len() - 1);
        let x0 = xs[0];
        expect_float(OP, "x", x0.dtype())?;
        if x0.ndim() != 2 || x0.shape()[0] != t[0].shape()[0] {
            return Err(Error::Shape {
                op: OP,
                message: format!(
                    "expected each x of shape (B, V) with B == t.shape[0] (= {}), got {:?}",
                    t[0].shape()[0],
                    x0.shape()
                ),
            });
        }
        for x in xs {
            if x.shape() != x0.shape() || x.dtype() != x0.dtype() {
                return Err(Error::Shape {
                    op: OP,
                    message: format!(
                        "expected every x of shape {:?} and dtype {}, got {:?} of {}",
                        x0.shape(),
                        x0.dtype(),
                        x.shape(),
                        x.dtype()
                    ),
                });
            }
        }
        let v = x0.shape()[1];
        if self.blank >= v {
            return Err(Error::Value {
                op: OP,
                message: format!(
                    "expected blank_symbol < x.shape[1] (= {v}), got {}",
                    self.blank
                ),
            });
        }
        Ok(())
    }

    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>> {
        let (xs, t) = inputs.split_at(inputs.len() - 1);
        let (nt, b, v) = (xs.len(), xs[0].shape()[0], xs[0].shape()[1]);
        let tl = labels(OP, t[0])?;
        let l = t[0].shape()[1];
        if let Some((k, &bad)) = tl.iter().enumerate().find(|(_, &c)| c < 0 || c >= v as i64) {
            return Err(Error::Value {
                op: OP,
                message: format!("each label t must satisfy 0 <= t < x.shape[1] (= {v}), got t = {bad} at flat index {k}"),
            });
        }
        // Log-softmax of every step, (T, B, V).
        let mut logy = vec![0.0f64; nt * b * v];
        for (s, x) in xs.iter().enumerate() {
            let xv = x.astype(DType::F64)?.to_vec::<f64>()?;
            for i in 0..b {
                let row = &xv[i * v..(i + 1) * v];
                let lse = logsumexp(row);
                for k in 0..v {
                    logy[(s * b + i) * v + k] = row[k] - lse;
                }
            }
        }
        let mut grad = vec![0.0f64; nt * b * v];
        let mut losses = vec![0.0f64; b];
        for i in 0..b {
            let (ti, li) = (self.input_length[i], self.label_length[i]);
            let path: Vec<usize> = (0..2 * li + 1)
                .map(|s| {
                    if s % 2 == 0 {
                        self.blank
                    } else {
                        tl[i * l + s / 2] as usize
                    }
                })
                .collect();
            let np = path.len();
            let ly = |s: usize, k: usize| logy[(s * b + i) * v + k];
            let skip = |s: usize| s >= 2 && path[s] != path[s - 2];
            let mut alpha = vec![LOG_ZERO; ti * np];
            let mut beta = vec![LOG_ZERO; ti * np];
            if ti == 0 {
                losses[i] = -LOG_ZERO;
                continue;
            }
            alpha[0] = ly(0, path[0]);
            if np > 1 {
                alpha[1] = ly(0, path[1]);
            }
            for s in 1..ti {
                for p in 0..np {
                    let prev = &alpha[(s - 1) * np..s * np];
                    let mut c = [prev[p], LOG_ZERO, LOG_ZERO];
                    if p >= 1 {
                        c[1] = prev[p - 1];
                    }
                    if skip(p) {
                        c[2] = prev[p - 2];
                    }
                    alpha[s * np + p] = logsumexp(&c) + ly(s, path[p]);
                }
            }
            let last = ti - 1;
            beta[last * np + np - 1] = ly(last, path[np - 1]);
            if np > 1 {
                beta[last * np + np - 2] = ly(last, path[np - 2]);
            }
            for s in (0..last).rev() {
                for p in 0..np {
                    let next = &beta[(s + 1) * np..(s + 2) * np];
                    let mut c = [next[p], LOG_ZERO, LOG_ZERO];
                    if p + 1 < np {
                        c[1] = next[p + 1];
                    }
                    if p + 2 < np && path[p + 2] != path[p] {
                        c[2] = next[p + 2];
                    }
                    beta[s * np + p] = logsumexp(&c) + ly(s, path[p]);
                }
            }
            let tail = if np > 1 {
                vec![alpha[last * np + np - 1], alpha[last * np + np - 2]]
            } else {
                vec![alpha[last * np]]
            };
            let logp = logsumexp(&tail);
            losses[i] = -logp;
            for s in 0..ti {
                let g = &mut grad[(s * b + i) * v..(s * b + i + 1) * v];
                for (k, gk) in g.iter_mut().enumerate() {
                    *gk = ly(s, k).exp();
                }
                for p in 0..np {
                    let occ = (alpha[s * np + p] + beta[s * np + p] - ly(s, path[p]) - logp).exp();
                    g[path[p]] -= occ;
                }
            }
        }
        *self.grad.borrow_mut() = Some(grad);
        let dtype = xs[0].dtype();
        let out = match self.reduce {
            Reduce::Mean => Array::from_vec(vec![losses.iter().sum::<f64>() / b as f64], &[])?,
            _ => Array::from_vec(losses, &[b])?,
        };
        // The recursions run on the host (as Chainer's CPU code); the loss
        // goes back to the inputs' device, and so do the gradients.
        Ok(vec![out.astype(dtype)?.to_device(xs[0].device())?])
    }

    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let nt = ctx.call.inputs.len() - 1;
        let shape = ctx.input_shape(0);
        let dtype = ctx.input_dtype(0);
        let (b, v) = (shape[0], shape[1]);
        let device = gy[0].data().device();
        let g = gy[0].data().astype(DType::F64)?.to_vec::<f64>()?;
        let grad = self.grad.borrow();
        let grad = grad.as_ref().expect("forward stored the gradient");
        let mut out = Vec::with_capacity(nt + 1);
        for s in 0..nt {
            let mut gs = vec![0.0f64; b * v];
            for i in 0..b {
                let scale = match self.reduce {
                    Reduce::Mean => g[0] / b as f64,
                    _ => g[i],
                };
                for k in 0..v {
                    gs[i * v + k] = grad[(s * b + i) * v + k] * scale;
                }
            }
            out.push(Some(Variable::constant(
                Array::from_vec(gs, &shape)?
                    .astype(dtype)?
                    .to_device(device)?,
            )));
        }
        out.push(None);
        Ok(out)
    }
}
