//! `embed_id`: rows of a weight matrix picked by integer ids (Chainer's `F.embed_id`).

use super::super::expect_float;
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

/// The ids as row numbers (ignored ids become row 0) and a 0/1 mask of the
/// kept ids, checked against the vocabulary size (on the host: the ids are
/// read back once), both on `device` (the weight's).
fn rows(
    x: &Array,
    n_vocab: usize,
    ignore_label: Option<i64>,
    device: crate::array::Device,
) -> Result<(Array, Option<Array>)> {
    let ids = x.to_vec::<i64>()?;
    let mut keep = Vec::with_capacity(ids.len());
    let mut idx = Vec::with_capacity(ids.len());
    for &i in &ids {
        if Some(i) == ignore_label {
            keep.push(false);
            idx.push(0i64);
        } else if i < 0 || i as usize >= n_vocab {
            return Err(Error::Index {
                op: "embed_id",
                index: i,
                axis: 0,
                size: n_vocab,
            });
        } else {
            keep.push(true);
            idx.push(i);
        }
    }
    let idx = Array::from_vec(idx, x.shape())?.to_device(device)?;
    let mask = if keep.iter().all(|&k| k) {
        None
    } else {
        let mut shape = x.shape().to_vec();
        shape.push(1);
        Some(Array::from_vec(keep, &shape)?.to_device(device)?)
    };
    Ok((idx, mask))
}

struct EmbedId {
    ignore_label: Option<i64>,
}

impl FunctionNode for EmbedId {
    fn label(&self) -> &str {
        "EmbedIDFunction"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        if !x[0].dtype().is_integer() {
            return Err(Error::DType {
                op: "embed_id",
                message: format!("expected x.dtype.kind == 'i', got {}", x[0].dtype()),
            });
        }
        expect_float("embed_id", "W", x[1].dtype())?;
        if x[1].ndim() != 2 {
            return Err(Error::Shape {
                op: "embed_id",
                message: format!("expected W.ndim == 2, got W.shape {:?}", x[1].shape()),
            });
        }
        Ok(())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let (idx, mask) = rows(x[0], x[1].shape()[0], self.ignore_label, x[1].device())?;
        let y = x[1].take(&idx, Some(0))?;
        Ok(vec![match mask {
            Some(m) => crate::array::ops::ufunc::where_(&m, &y, 0.0)?,
            None => y,
        }])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let gw = if ctx.needs_input_grad(1) {
            let f = EmbedIdGrad {
                x: ctx.input(0).array(),
                ignore_label: self.ignore_label,
                w_shape: ctx.input_shape(1).to_vec(),
            };
            Some(apply1(f, &[&gy[0]])?)
        } else {
            None
        };
        Ok(vec![None, gw])
    }
}

/// The weight gradient: `gy` rows summed into the rows their ids name.
struct EmbedIdGrad {
    x: Array,
    ignore_label: Option<i64>,
    w_shape: Vec<usize>,
}

impl FunctionNode for EmbedIdGrad {
    fn label(&self) -> &str {
        "EmbedIDGrad"
    }
    fn forward(&self, g: &[&Array]) -> Result<Vec<Array>> {
        let (idx, mask) = rows(&self.x, self.w_shape[0], self.ignore_label, g[0].device())?;
        let vals = match mask {
            Some(m) => g[0].multiply(&m.astype(g[0].dtype())?)?,
            None => g[0].clone(),
        };
        let mut gw = Array::zeros_on(&self.w_shape, g[0].dtype(), g[0].device())?;
        gw.scatter_add(&idx, &vals, 0)?;
        Ok(vec![gw])
    }
    fn backward(&self, _: &BackwardContext<'_>, ggw: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let x = Variable::constant(self.x.clone());
        Ok(vec![Some(embed_id(&x, &ggw[0], self.ignore_label)?)])
    }
}

/// Efficient linear function for one-hot input, Chainer's `F.embed_id`:
/// `y[..., :] = W[x[...], :]` for integer ids `x` and `W` `(n_vocab, n_units)`.
/// Ids equal to `ignore_label` give zero rows (and no gradient); other ids
/// outside `0..n_vocab` are an error.
pub fn embed_id(x: &Variable, w: &Variable, ignore_label: Option<i64>) -> Result<Variable> {
    apply1(EmbedId { ignore_label }, &[x, w])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::DType;
    use crate::functions::kernels::FORCE_KERNELS;

    /// The device path (take, where and scatter_add kernels, forced on the
    /// CPU) against the loops, with an ignored id, repeated ids and
    /// float16: same values, dtype and weight gradient.
    #[test]
    fn device_path_matches_the_loops() {
        for dtype in [DType::F16, DType::F32, DType::F64] {
            let run = |forced: bool| -> (Vec<f64>, Vec<f64>, DType) {
                FORCE_KERNELS.with(|f| f.set(forced));
                let x = Variable::constant(
                    Array::from_vec(vec![2i32, -1, 0, 2, 3, 2], &[2, 3]).unwrap(),
                );
                let wv: Vec<f64> = (0..12).map(|i| i as f64 * 0.5 - 2.0).collect();
                let w = Variable::new(Array::from_vec(wv, &[4, 3]).unwrap().astype(dtype).unwrap());
                let y = embed_id(&x, &w, Some(-1)).unwrap();
                let c = Variable::constant(
                    Array::from_vec((0..18).map(|i| i as f64).collect(), &[2, 3, 3])
                        .unwrap()
                        .astype(dtype)
                        .unwrap(),
                );
                crate::functions::sum(&crate::functions::mul(&y, &c).unwrap(), None, false)
                    .unwrap()
                    .backward()
                    .unwrap();
                FORCE_KERNELS.with(|f| f.set(false));
                let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                let out = (v(&y.data()), v(&w.grad().unwrap()), y.dtype());
                out
            };
            let (cpu, dev) = (run(false), run(true));
            assert_eq!(cpu, dev, "{dtype}");
            assert_eq!(dev.2, dtype);
        }
    }
}
