//! `Parameter` (a variable owned by a link, possibly initialized lazily) and
//! `Persistent` (a non-trained array a link saves with its parameters, such
//! as batch normalization's running mean).

use crate::array::{Array, DType, Error, Result};
use crate::Variable;
use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::rc::Rc;

/// Makes the initial array of a [`Parameter`] once its shape is known.
pub type Initializer = Box<dyn Fn(&[usize], DType) -> Result<Array>>;

struct ParamInner {
    var: RefCell<Option<Variable>>,
    initializer: Option<Initializer>,
    dtype: DType,
    name: String,
    update_enabled: Cell<bool>,
}

/// A variable owned by a link (Chainer's `chainer.Parameter`): possibly not
/// yet initialized (its shape may be known only at the first forward, as
/// `L.Linear(None, n)`), with the initializer that will fill it.
///
/// Cloning is cheap and shares the parameter: the link, its optimizer and a
/// communicator all see the same array and gradient, so an optimizer can
/// update it in place and a communicator can all-reduce its gradient in place.
///
/// ```
/// use kusari::{array::{Array, DType}, Parameter};
/// let w = Parameter::lazy("W", DType::F32, Box::new(|shape, dtype| Array::full(shape, 0.5, dtype)));
/// assert!(!w.is_initialized());
/// w.initialize(&[2, 3])?; // at the first forward, when the input size is known
/// assert_eq!(w.array()?.shape(), &[2, 3]);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Clone)]
pub struct Parameter(Rc<ParamInner>);

impl Parameter {
    /// An initialized parameter holding `data`.
    pub fn new(name: impl Into<String>, data: Array) -> Parameter {
        let name = name.into();
        let v = Variable::new(data);
        v.set_name(name.clone());
        let dtype = v.dtype();
        Parameter(Rc::new(ParamInner {
            var: RefCell::new(Some(v)),
            initializer: None,
            dtype,
            name,
            update_enabled: Cell::new(true),
        }))
    }

    /// A parameter to be initialized by `initializer` when its shape becomes known.
    pub fn lazy(name: impl Into<String>, dtype: DType, initializer: Initializer) -> Parameter {
        Parameter(Rc::new(ParamInner {
            var: RefCell::new(None),
            initializer: Some(initializer),
            dtype,
            name: name.into(),
            update_enabled: Cell::new(true),
        }))
    }

    /// The parameter's name (its last path component, `"W"`).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The dtype the parameter has or will have.
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Whether the parameter has data.
    pub fn is_initialized(&self) -> bool {
        self.0.var.borrow().is_some()
    }

    /// Initializes the data with the initializer (zeros without one) if not done yet.
    pub fn initialize(&self, shape: &[usize]) -> Result<()> {
        if self.is_initialized() {
            return Ok(());
        }
        let data = match &self.0.initializer {
            Some(init) => init(shape, self.0.dtype)?,
            None => Array::zeros(shape, self.0.dtype)?,
        };
        if data.shape() != shape {
            return Err(Error::Shape {
                op: "Parameter::initialize",
                message: format!(
                    "initializer of {} returned shape {:?}, expected {shape:?}",
                    self.0.name,
                    data.shape()
                ),
            });
        }
        self.set_initialized(data);
        Ok(())
    }

    fn set_initialized(&self, data: Array) {
        let v = Variable::new(data);
        v.set_name(self.0.name.clone());
        *self.0.var.borrow_mut() = Some(v);
    }

    /// The parameter as a variable, or an error if it is not initialized yet.
    pub fn var(&self) -> Result<Variable> {
        self.0
            .var
            .borrow()
            .clone()
            .ok_or_else(|| self.uninitialized("Parameter::var"))
    }

    /// The parameter's array (a cheap shared handle).
    pub fn array(&self) -> Result<Array> {
        Ok(self.var()?.array())
    }

    /// Replaces the data; an uninitialized parameter becomes initialized with
    /// it. Used by loaders; the shape of an initialized parameter must match.
    pub fn set_array(&self, data: Array) -> Result<()> {
        if let Some(v) = self.0.var.borrow().as_ref() {
            if v.shape() != data.shape() || v.dtype() != data.dtype() {
                return Err(Error::Shape {
                    op: "Parameter::set_array",
                    message: format!(
                        "parameter {} is {:?} {}, got {:?} {}",
                        self.0.name,
                        v.shape(),
                        v.dtype(),
                        data.shape(),
                        data.dtype()
                    ),
                });
            }
            v.set_array(data);
            return Ok(());
        }
        self.set_initialized(data);
        Ok(())
    }

    /// The gradient, if backward computed one (`None` too when uninitialized).
    pub fn grad(&self) -> Option<Array> {
        self.0.var.borrow().as_ref().and_then(|v| v.grad())
    }

    /// Sets the gradient (an uninitialized parameter is an error).
    pub fn set_grad(&self, grad: Option<Array>) -> Result<()> {
        self.var()?.set_grad(grad);
        Ok(())
    }

    /// Forgets the gradient (Chainer's `cleargrad`).
    pub fn cleargrad(&self) {
        if let Some(v) = self.0.var.borrow().as_ref() {
            v.cleargrad();
        }
    }

    /// Sets the gradient to zeros (Chainer's `zerograd`); nothing when uninitialized.
    pub fn zerograd(&self) -> Result<()> {
        match self.0.var.borrow().as_ref() {
            Some(v) => v.zerograd(),
            None => Ok(()),
        }
    }

    /// Number of elements (0 while uninitialized).
    pub fn size(&self) -> usize {
        self.0.var.borrow().as_ref().map_or(0, |v| v.size())
    }

    /// Whether optimizers update this parameter (Chainer's `update_rule.enabled`).
    pub fn update_enabled(&self) -> bool {
        self.0.update_enabled.get()
    }

    /// Turns updates of this parameter on or off.
    pub fn set_update_enabled(&self, on: bool) {
        self.0.update_enabled.set(on)
    }

    /// Whether `other` is a handle to this same parameter.
    pub fn ptr_eq(&self, other: &Parameter) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    fn uninitialized(&self, op: &'static str) -> Error {
        Error::Value {
            op,
            message: format!(
                "parameter {} is not initialized yet (its shape is decided at the first forward)",
                self.0.name
            ),
        }
    }
}

impl fmt::Debug for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.var.borrow().as_ref() {
            Some(v) => write!(f, "Parameter({}, {v:?})", self.0.name),
            None => write!(
                f,
                "Parameter({}, uninitialized {})",
                self.0.name, self.0.dtype
            ),
        }
    }
}

/// An array a link keeps and serializes but does not train (Chainer's
/// persistent values: `avg_mean`, `avg_var`, `N` of batch normalization).
/// Scalars are 0-d arrays. Cloning shares it.
#[derive(Clone)]
pub struct Persistent(Rc<RefCell<Array>>);

impl Persistent {
    /// A persistent value holding `data`.
    pub fn new(data: Array) -> Persistent {
        Persistent(Rc::new(RefCell::new(data)))
    }

    /// The current value (a cheap shared handle).
    pub fn get(&self) -> Array {
        self.0.borrow().clone()
    }

    /// Borrows the current value.
    pub fn borrow(&self) -> Ref<'_, Array> {
        self.0.borrow()
    }

    /// Replaces the value.
    pub fn set(&self, data: Array) {
        *self.0.borrow_mut() = data;
    }

    /// Updates the value in place (copy-on-write keeps other handles intact).
    pub fn update<R>(&self, f: impl FnOnce(&mut Array) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }
}

impl fmt::Debug for Persistent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Persistent({:?})", self.0.borrow())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_initializes_lazily_once() {
        let p = Parameter::lazy(
            "W",
            DType::F32,
            Box::new(|shape, dtype| Array::full(shape, 0.5, dtype)),
        );
        assert!(!p.is_initialized());
        let e = p.var().unwrap_err();
        assert!(
            e.to_string().contains("parameter W is not initialized yet"),
            "{e}"
        );
        p.initialize(&[2, 3]).unwrap();
        let v = p.var().unwrap();
        assert_eq!(
            (v.shape(), v.dtype(), v.name().as_deref()),
            (vec![2, 3], DType::F32, Some("W"))
        );
        assert_eq!(v.data().to_vec::<f32>().unwrap(), vec![0.5; 6]);
        p.initialize(&[4]).unwrap(); // already initialized: unchanged
        assert!(p.var().unwrap().ptr_eq(&v));
    }

    #[test]
    fn a_wrong_initializer_shape_is_an_error() {
        let p = Parameter::lazy(
            "b",
            DType::F32,
            Box::new(|_, dtype| Array::zeros(&[1], dtype)),
        );
        let e = p.initialize(&[3]).unwrap_err();
        assert!(
            e.to_string()
                .contains("initializer of b returned shape [1], expected [3]"),
            "{e}"
        );
    }

    #[test]
    fn clones_share_data_and_gradient() {
        let p = Parameter::new("W", Array::ones(&[2], DType::F32).unwrap());
        let q = p.clone();
        q.set_grad(Some(Array::full(&[2], 3.0, DType::F32).unwrap()))
            .unwrap();
        assert_eq!(p.grad().unwrap().to_vec::<f32>().unwrap(), vec![3.0, 3.0]);
        assert!(p.ptr_eq(&q));
        p.cleargrad();
        assert!(q.grad().is_none());
    }

    #[test]
    fn set_array_checks_the_shape_and_initializes_lazy_ones() {
        let p = Parameter::new("W", Array::ones(&[2], DType::F32).unwrap());
        let e = p
            .set_array(Array::ones(&[3], DType::F32).unwrap())
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("parameter W is [2] float32, got [3] float32"),
            "{e}"
        );
        let lazy = Parameter::lazy("b", DType::F32, Box::new(Array::zeros));
        lazy.set_array(Array::ones(&[4], DType::F32).unwrap())
            .unwrap();
        assert_eq!(lazy.array().unwrap().shape(), &[4]);
    }
}
