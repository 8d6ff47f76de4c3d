//! Evaluation metrics (Chainer's `chainer.functions.evaluation`): `accuracy`,
//! `binary_accuracy`, `precision`/`recall`/`fbeta_score`/`f1_score` (the
//! pieces of `classification_summary`) and `r2_score`. They return constant
//! variables: metrics are reported, not differentiated.

use super::expect_float;
use crate::array::ops::sort::bincount;
use crate::array::ops::ufunc::where_;
use crate::array::{Array, DType, Error, Result};
use crate::Variable;

fn expect_int(op: &'static str, name: &str, d: DType) -> Result<()> {
    if !d.is_integer() || d == DType::Bool {
        return Err(Error::DType {
            op,
            message: format!("expected {name}.dtype.kind == 'i', got {d}"),
        });
    }
    Ok(())
}

/// Chainer's check that `y` of shape `(N, C, d1, ..., dk, 1, ...)` scores
/// the labels `t` of shape `(N, d1, ..., dk)`.
fn check_scores(op: &'static str, y: &Array, t: &Array) -> Result<()> {
    expect_float(op, "x", y.dtype())?;
    expect_int(op, "t", t.dtype())?;
    let (ys, ts) = (y.shape(), t.shape());
    let fits = ys.len() >= ts.len()
        && ys.len() >= 2
        && !ts.is_empty()
        && ys[0] == ts[0]
        && ys.len() > ts.len()
        && ys[2..ts.len() + 1] == ts[1..]
        && ys[ts.len() + 1..].iter().all(|&d| d == 1);
    if !fits {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected x.shape[0] == t.shape[0], x.shape[2:t.ndim + 1] == t.shape[1:] and x.shape[t.ndim + 1:] all 1, got x.shape {ys:?} and t.shape {ts:?}"
            ),
        });
    }
    Ok(())
}

/// The predicted class of each sample: `argmax(y, axis=1)` shaped like `t`.
fn predictions(y: &Array, t: &Array) -> Result<Array> {
    y.argmax(Some(1))?.reshape_to(t.shape())
}

/// Fraction of samples whose highest-scoring class in `y` (axis 1) equals
/// the label in `t`, skipping labels equal to `ignore_label` (Chainer's
/// `F.accuracy`). 0 when every label is ignored. Dtype of `y`.
pub fn accuracy(y: &Variable, t: &Variable, ignore_label: Option<i64>) -> Result<Variable> {
    let (y, t) = (y.array(), t.array());
    check_scores("accuracy", &y, &t)?;
    let pred = predictions(&y, &t)?;
    let t = t.astype(DType::I64)?;
    let hit = pred.astype(DType::I64)?.equal(&t)?;
    let (count, total) = match ignore_label {
        Some(l) => {
            let keep = t.not_equal(l)?;
            let count = hit
                .logical_and(&keep)?
                .astype(DType::I64)?
                .sum(None, false)?;
            let total = keep.astype(DType::I64)?.sum(None, false)?;
            (count.item::<i64>()?, total.item::<i64>()?)
        }
        None => (
            hit.astype(DType::I64)?.sum(None, false)?.item::<i64>()?,
            t.size() as i64,
        ),
    };
    let acc = if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    };
    // On the scores' device, as Chainer's.
    Ok(Variable::constant(
        Array::full(&[], acc, y.dtype())?.to_device(y.device())?,
    ))
}

/// Accuracy of binary predictions: `y >= 0` (a logit) counts as class 1;
/// labels `t` are 0/1 and `ignore_label` entries are skipped (Chainer's
/// `F.binary_accuracy`, ignore_label -1).
pub fn binary_accuracy(y: &Variable, t: &Variable) -> Result<Variable> {
    let (y, t) = (y.array(), t.array());
    expect_float("binary_accuracy", "x", y.dtype())?;
    expect_int("binary_accuracy", "t", t.dtype())?;
    if y.shape() != t.shape() {
        return Err(Error::Shape {
            op: "binary_accuracy",
            message: format!(
                "expected x.shape == t.shape, got {:?} != {:?}",
                y.shape(),
                t.shape()
            ),
        });
    }
    let t = t.astype(DType::I64)?;
    let c = y.greater_equal(0.0)?.astype(DType::I64)?;
    let hits = c
        .equal(&t)?
        .astype(DType::I64)?
        .sum(None, false)?
        .item::<i64>()?;
    let count = t
        .not_equal(-1)?
        .astype(DType::I64)?
        .sum(None, false)?
        .item::<i64>()?;
    let acc = hits as f64 / count.max(1) as f64;
    Ok(Variable::constant(
        Array::full(&[], acc, y.dtype())?.to_device(y.device())?,
    ))
}

/// Per-class precision, recall, F-beta score and support, as Chainer's
/// `F.classification_summary` computes them (float64 scores, NaN for a class
/// never predicted or never present; int64 support).
pub struct ClassificationSummary {
    /// `tp / predicted` per class.
    pub precision: Variable,
    /// `tp / support` per class.
    pub recall: Variable,
    /// `(1 + beta^2) p r / (beta^2 p + r)` per class.
    pub fbeta: Variable,
    /// The number of samples of each class.
    pub support: Variable,
}

/// Chainer's `F.classification_summary(y, t, label_num, beta, ignore_label)`
/// (defaults: label_num `None` = max label + 1, beta 1, ignore_label -1).
pub fn classification_summary(
    y: &Variable,
    t: &Variable,
    label_num: Option<usize>,
    beta: f64,
    ignore_label: i64,
) -> Result<ClassificationSummary> {
    let op = "classification_summary";
    let (y, t) = (y.array(), t.array());
    check_scores(op, &y, &t)?;
    let t = t.astype(DType::I64)?.ravel()?;
    let n = match label_num {
        Some(n) => n,
        None if t.size() == 0 => 0,
        None => (t.max(None, false)?.item::<i64>()? + 1).max(0) as usize,
    };
    let ignored = t.equal(ignore_label)?;
    let pred = y.argmax(Some(1))?.astype(DType::I64)?.ravel()?;
    let (pred, t) = (
        where_(&ignored, n as i64, &pred)?,
        where_(&ignored, n as i64, &t)?,
    );
    let out_of_range = t.less(0)?.logical_or(&t.greater(n as i64)?)?;
    if out_of_range.any(None, false)?.item::<bool>()? {
        return Err(Error::Value {
            op,
            message: format!("expected labels in [0, {n}) or ignore_label {ignore_label}"),
        });
    }
    let count = |a: &Array| -> Result<Array> {
        let c = bincount(a, None, n + 1)?;
        c.slice(&[crate::array::SliceArg::range(0, n as isize, 1)])?
            .astype(DType::I64)
    };
    let support = count(&t)?;
    let relevant = count(&pred)?;
    let tp = count(&where_(&pred.equal(&t)?, &t, n as i64)?)?;
    let tpf = tp.astype(DType::F64)?;
    let precision = tpf.true_divide(&relevant.astype(DType::F64)?)?;
    let recall = tpf.true_divide(&support.astype(DType::F64)?)?;
    let b2 = beta * beta;
    let fbeta = precision
        .multiply(&recall)?
        .multiply(1.0 + b2)?
        .true_divide(&precision.multiply(b2)?.add(&recall)?)?;
    Ok(ClassificationSummary {
        precision: Variable::constant(precision),
        recall: Variable::constant(recall),
        fbeta: Variable::constant(fbeta),
        support: Variable::constant(support),
    })
}

/// Per-class precision and support (Chainer's `F.precision`).
pub fn precision(
    y: &Variable,
    t: &Variable,
    label_num: Option<usize>,
    ignore_label: i64,
) -> Result<(Variable, Variable)> {
    let s = classification_summary(y, t, label_num, 1.0, ignore_label)?;
    Ok((s.precision, s.support))
}

/// Per-class recall and support (Chainer's `F.recall`).
pub fn recall(
    y: &Variable,
    t: &Variable,
    label_num: Option<usize>,
    ignore_label: i64,
) -> Result<(Variable, Variable)> {
    let s = classification_summary(y, t, label_num, 1.0, ignore_label)?;
    Ok((s.recall, s.support))
}

/// Per-class F-beta score and support (Chainer's `F.fbeta_score`).
pub fn fbeta_score(
    y: &Variable,
    t: &Variable,
    label_num: Option<usize>,
    beta: f64,
    ignore_label: i64,
) -> Result<(Variable, Variable)> {
    let s = classification_summary(y, t, label_num, beta, ignore_label)?;
    Ok((s.fbeta, s.support))
}

/// Per-class F1 score and support (Chainer's `F.f1_score`).
pub fn f1_score(
    y: &Variable,
    t: &Variable,
    label_num: Option<usize>,
    ignore_label: i64,
) -> Result<(Variable, Variable)> {
    fbeta_score(y, t, label_num, 1.0, ignore_label)
}

/// How [`r2_score`] combines the scores of several outputs (Chainer's
/// `multioutput` strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultiOutput {
    /// `'uniform_average'`: the mean over outputs (a scalar).
    UniformAverage,
    /// `'raw_values'`: one score per output.
    RawValues,
}

/// Coefficient of determination `1 - SS_res / SS_tot` along axis 0; 0 where
/// `SS_tot` is 0 (Chainer's `F.r2_score`, sample_weight unsupported as there).
pub fn r2_score(pred: &Variable, truth: &Variable, multioutput: MultiOutput) -> Result<Variable> {
    let (p, t) = (pred.array(), truth.array());
    expect_float("r2_score", "pred", p.dtype())?;
    super::expect_same_dtype("r2_score", p.dtype(), t.dtype())?;
    if p.shape() != t.shape() || p.ndim() == 0 {
        return Err(Error::Shape {
            op: "r2_score",
            message: format!(
                "expected pred.shape == true.shape with ndim >= 1, got {:?} and {:?}",
                p.shape(),
                t.shape()
            ),
        });
    }
    let res = p.subtract(&t)?.square()?.sum(Some(&[0]), false)?;
    let tot = t
        .subtract(&t.mean(Some(&[0]), true)?)?
        .square()?
        .sum(Some(&[0]), false)?;
    let zero = tot.equal(0.0)?;
    let safe = where_(&zero, 1.0, &tot)?.astype(tot.dtype())?;
    let r =
        where_(&zero, 0.0, &res.true_divide(&safe)?.negative()?.add(1.0)?)?.astype(p.dtype())?;
    let r = match multioutput {
        MultiOutput::UniformAverage => r.mean(None, false)?.astype(p.dtype())?,
        MultiOutput::RawValues => r,
    };
    Ok(Variable::constant(r))
}
