//! Model wrappers (Chainer's `chainer.links.model`).

use crate::array::Result;
use crate::functions as F;
use crate::link::Forward;
use crate::{Chain, Variable};
use std::cell::RefCell;
use std::rc::Rc;

/// A loss or metric of `(y, t)`: `F::softmax_cross_entropy`, `F::accuracy`, a closure.
pub type LossFn = Rc<dyn Fn(&Variable, &Variable) -> Result<Variable>>;

#[derive(Clone, Default)]
struct Last {
    y: Option<Variable>,
    loss: Option<Variable>,
    accuracy: Option<Variable>,
}

/// A classifier: a predictor, a loss of its output against the labels and
/// an accuracy (Chainer's `L.Classifier`). Its forward returns the loss and
/// keeps the prediction, the loss and the accuracy of the last call
/// ([`Classifier::last_loss`], ...), and reports `loss` and `accuracy` to
/// the current reporter as Chainer does (`main/loss` under a trainer).
///
/// ```
/// use kusari::{array::{array, Array, DType}, links::{Classifier, Linear}, Link, Variable};
/// use std::rc::Rc;
/// // A squared-error "loss" and a made-up metric keep the example self-contained.
/// let model = Classifier::with_lossfun(
///     Linear::new(3, 2),
///     Rc::new(|y: &Variable, t: &Variable| (y - t).pow(2.0).sum(None, false)),
/// )
/// .accfun(Rc::new(|y: &Variable, _t: &Variable| y.sum(None, false)));
/// let x = Variable::new(Array::ones(&[4, 3], DType::F32)?);
/// let t = Variable::new(Array::zeros(&[4, 2], DType::F32)?);
/// let loss = model.forward(&x, &t)?;
/// loss.backward()?;
/// assert!(model.last_loss().unwrap().same_node(&loss));
/// assert!(model.last_accuracy().is_some());
/// assert_eq!(model.namedparams()[0].0, "/predictor/W");
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone)]
pub struct Classifier<P> {
    /// The model that predicts `y` from `x`.
    pub predictor: P,
    #[chain(skip)]
    lossfun: LossFn,
    #[chain(skip)]
    accfun: Option<LossFn>,
    /// Whether forward computes the accuracy (Chainer's `compute_accuracy`).
    #[chain(skip)]
    pub compute_accuracy: bool,
    #[chain(skip)]
    last: RefCell<Last>,
}

impl<P: Forward> Classifier<P> {
    /// A classifier with Chainer's defaults: `F::softmax_cross_entropy` as
    /// the loss and `F::accuracy` (no ignored label) as the accuracy.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::{Classifier, Linear}, Variable};
    /// let model = Classifier::new(Linear::new(3, 4));
    /// let x = Variable::new(Array::ones(&[2, 3], DType::F32)?);
    /// let t = Variable::new(Array::zeros(&[2], DType::I32)?);
    /// let loss = model.forward(&x, &t)?;
    /// assert_eq!(loss.shape(), Vec::<usize>::new());
    /// assert!(model.last_accuracy().is_some());
    /// # Ok::<(), kusari::Error>(())
    /// ```
    pub fn new(predictor: P) -> Classifier<P> {
        Classifier::with_lossfun(predictor, Rc::new(F::softmax_cross_entropy)).accfun(Rc::new(
            |y: &Variable, t: &Variable| F::accuracy(y, t, None),
        ))
    }

    /// A classifier with the given loss and no accuracy function.
    pub fn with_lossfun(predictor: P, lossfun: LossFn) -> Classifier<P> {
        Classifier {
            predictor,
            lossfun,
            accfun: None,
            compute_accuracy: true,
            last: RefCell::new(Last::default()),
        }
    }

    /// Sets the accuracy function (Chainer's `accfun`).
    pub fn accfun(mut self, accfun: LossFn) -> Classifier<P> {
        self.accfun = Some(accfun);
        self
    }

    /// Predicts from `x`, returns the loss against `t` and keeps `y`, the
    /// loss and (when `compute_accuracy` and an accuracy function is set)
    /// the accuracy.
    pub fn forward(&self, x: &Variable, t: &Variable) -> Result<Variable>
    where
        Self: crate::Link,
    {
        *self.last.borrow_mut() = Last::default();
        let y = self.predictor.forward(x)?;
        self.last.borrow_mut().y = Some(y.clone());
        let loss = (self.lossfun)(&y, t)?;
        self.last.borrow_mut().loss = Some(loss.clone());
        crate::reporter::report_variable("loss", &loss, Some(self))?;
        if self.compute_accuracy {
            if let Some(acc) = &self.accfun {
                let a = acc(&y, t)?;
                crate::reporter::report_variable("accuracy", &a, Some(self))?;
                self.last.borrow_mut().accuracy = Some(a);
            }
        }
        Ok(loss)
    }

    /// The prediction of the last forward (Chainer's `y`).
    pub fn last_y(&self) -> Option<Variable> {
        self.last.borrow().y.clone()
    }

    /// The loss of the last forward (Chainer's `loss`).
    pub fn last_loss(&self) -> Option<Variable> {
        self.last.borrow().loss.clone()
    }

    /// The accuracy of the last forward (Chainer's `accuracy`).
    pub fn last_accuracy(&self) -> Option<Variable> {
        self.last.borrow().accuracy.clone()
    }
}
