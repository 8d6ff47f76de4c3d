//! `Variable`: a data node of the graph.

use crate::array::layout::Shape;
use crate::array::{Array, DType, Device, Result};
use crate::function_node::FunctionCall;
use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::rc::Rc;

/// The graph side of a variable: what backward needs even after the user
/// dropped the [`Variable`] (its gradient, its creator, its rank), but not its data.
pub struct VarNode {
    pub(crate) grad: RefCell<Option<Variable>>,
    /// Gradient being accumulated during a backward pass.
    pub(crate) pending: RefCell<Option<Variable>>,
    pub(crate) name: RefCell<Option<String>>,
    pub(crate) requires_grad: Cell<bool>,
    pub(crate) creator: RefCell<Option<Rc<FunctionCall>>>,
    pub(crate) rank: Cell<u32>,
    pub(crate) meta: RefCell<(Shape, DType)>,
}

impl VarNode {
    pub(crate) fn new(
        requires_grad: bool,
        creator: Option<Rc<FunctionCall>>,
        rank: u32,
    ) -> VarNode {
        VarNode {
            grad: RefCell::new(None),
            pending: RefCell::new(None),
            name: RefCell::new(None),
            requires_grad: Cell::new(requires_grad),
            creator: RefCell::new(creator),
            rank: Cell::new(rank),
            meta: RefCell::new((Shape::new(), DType::F32)),
        }
    }
}

struct VarInner {
    data: RefCell<Array>,
    node: Rc<VarNode>,
}

/// A data node of the computational graph (Chainer's `Variable`): an array,
/// its gradient after backward, and the function that created it. Cloning is
/// cheap and shares everything (a handle, like a Python reference).
///
/// ```
/// use kusari::{array::array, Variable};
/// let x = Variable::new(array![3.0f32]);
/// let y = Variable::new(array![4.0f32]);
/// let z = x.pow(2.0) + 2.0 * &x * &y + &y; // z = x**2 + 2xy + y
/// z.backward()?;
/// assert_eq!(x.grad().unwrap().item::<f32>()?, 14.0); // 2x + 2y
/// assert_eq!(y.grad().unwrap().item::<f32>()?, 7.0); // 2x + 1
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Clone)]
pub struct Variable(Rc<VarInner>);

impl Variable {
    /// A variable holding `data` that requires a gradient.
    pub fn new(data: Array) -> Variable {
        let node = Rc::new(VarNode::new(true, None, 0));
        Variable::from_node(data, node)
    }

    /// A variable that does not require a gradient (a constant input).
    pub fn constant(data: Array) -> Variable {
        let v = Variable::new(data);
        v.set_requires_grad(false);
        v
    }

    pub(crate) fn from_node(data: Array, node: Rc<VarNode>) -> Variable {
        *node.meta.borrow_mut() = (Shape::from_slice(data.shape()), data.dtype());
        Variable(Rc::new(VarInner {
            data: RefCell::new(data),
            node,
        }))
    }

    pub(crate) fn node(&self) -> &Rc<VarNode> {
        &self.0.node
    }

    /// The array (Chainer's `.array`/`.data`); a cheap clone sharing storage.
    pub fn array(&self) -> Array {
        self.0.data.borrow().clone()
    }

    /// Borrows the array without cloning it.
    pub fn data(&self) -> Ref<'_, Array> {
        self.0.data.borrow()
    }

    /// Replaces the array (shape and dtype may change; the graph is not touched).
    pub fn set_array(&self, data: Array) {
        *self.0.node.meta.borrow_mut() = (Shape::from_slice(data.shape()), data.dtype());
        *self.0.data.borrow_mut() = data;
    }

    /// Runs `f` on the array in place (an optimizer's update). Writes into the
    /// existing buffer when nothing else shares it.
    pub fn update_array<R>(&self, f: impl FnOnce(&mut Array) -> R) -> R {
        f(&mut self.0.data.borrow_mut())
    }

    /// The gradient, if backward computed one (itself a Variable, so it can be differentiated).
    pub fn grad_var(&self) -> Option<Variable> {
        self.0.node.grad.borrow().clone()
    }

    /// The gradient's array, if any.
    pub fn grad(&self) -> Option<Array> {
        self.grad_var().map(|g| g.array())
    }

    /// Sets (or clears) the gradient.
    pub fn set_grad(&self, grad: Option<Array>) {
        *self.0.node.grad.borrow_mut() = grad.map(Variable::constant);
    }

    /// Sets the gradient variable directly.
    pub fn set_grad_var(&self, grad: Option<Variable>) {
        *self.0.node.grad.borrow_mut() = grad;
    }

    /// Clears the gradient (Chainer's `cleargrad`).
    pub fn cleargrad(&self) {
        self.set_grad(None);
    }

    /// Sets the gradient to zeros (Chainer's `zerograd`).
    pub fn zerograd(&self) -> Result<()> {
        let z = Array::zeros_on(
            self.data().shape(),
            self.data().dtype(),
            self.data().device(),
        )?;
        self.set_grad(Some(z));
        Ok(())
    }

    /// The variable's name (shown in graphs).
    pub fn name(&self) -> Option<String> {
        self.0.node.name.borrow().clone()
    }

    /// Names the variable.
    pub fn set_name(&self, name: impl Into<String>) {
        *self.0.node.name.borrow_mut() = Some(name.into());
    }

    /// Whether gradients flow to this variable.
    pub fn requires_grad(&self) -> bool {
        self.0.node.requires_grad.get()
    }

    /// Sets whether gradients flow to this variable.
    pub fn set_requires_grad(&self, on: bool) {
        self.0.node.requires_grad.set(on);
    }

    /// The function application that created this variable, if any.
    pub fn creator(&self) -> Option<Rc<FunctionCall>> {
        self.0.node.creator.borrow().clone()
    }

    /// The depth of the variable in the graph (0 for leaves).
    pub fn rank(&self) -> u32 {
        self.0.node.rank.get()
    }

    /// The array's shape.
    pub fn shape(&self) -> Vec<usize> {
        self.data().shape().to_vec()
    }

    /// The array's number of dimensions.
    pub fn ndim(&self) -> usize {
        self.data().ndim()
    }

    /// The array's number of elements.
    pub fn size(&self) -> usize {
        self.data().size()
    }

    /// The array's dtype.
    pub fn dtype(&self) -> DType {
        self.data().dtype()
    }

    /// The array's device.
    pub fn device(&self) -> Device {
        self.data().device()
    }

    /// The single value of a size-1 variable.
    pub fn item<T: crate::array::Element>(&self) -> Result<T> {
        self.data().item()
    }

    /// Cuts the link to the creator: this variable becomes a leaf.
    pub fn unchain(&self) {
        *self.0.node.creator.borrow_mut() = None;
    }

    /// Deletes the graph behind this variable (every creator up the chain), iteratively.
    pub fn unchain_backward(&self) {
        let mut stack = vec![self.0.node.clone()];
        while let Some(node) = stack.pop() {
            if let Some(call) = node.creator.borrow_mut().take() {
                stack.extend(call.inputs.iter().cloned());
            }
        }
    }

    /// Moves the data (and gradient) to `device`, keeping the variable's identity.
    pub fn to_device(&self, device: Device) -> Result<()> {
        let moved = self.data().to_device(device)?;
        self.set_array(moved);
        if let Some(g) = self.grad() {
            self.set_grad(Some(g.to_device(device)?));
        }
        Ok(())
    }

    /// Whether this is the only handle to the variable (nothing else could see an in-place change).
    pub(crate) fn is_sole_handle(&self) -> bool {
        Rc::strong_count(&self.0) == 1
    }

    /// Whether two handles are the same variable.
    pub fn ptr_eq(&self, other: &Variable) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Whether two variables share a graph node (e.g. a retained input and its original).
    pub fn same_node(&self, other: &Variable) -> bool {
        Rc::ptr_eq(&self.0.node, &other.0.node)
    }
}

impl fmt::Debug for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "variable({})", self.data())
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimizer_style_update_is_in_place() {
        let w = Variable::new(Array::ones(&[1000], DType::F32).unwrap());
        let before = w.data().as_slice::<f32>().unwrap().as_ptr();
        w.update_array(|a| *a -= 0.5);
        assert_eq!(w.data().as_slice::<f32>().unwrap().as_ptr(), before);
        assert_eq!(w.data().get::<f32>(&[0]).unwrap(), 0.5);
    }
}
