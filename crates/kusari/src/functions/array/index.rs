//! Indexing: `get_item` (basic slices, integer arrays, boolean masks,
//! `newaxis`, ellipsis), `select_item`, `scatter_add` and `where_`.
//!
//! A basic index makes a view; any index with an array is resolved once into
//! the flat positions of the input that each output element reads (an
//! `int64` array of the output's shape), so the forward is one gather and the
//! backward one scatter-add, whatever mix of entries the index has.

use super::{broadcast_shapes, renamed};
use crate::array::ops::ufunc;
use crate::array::{Array, DType, Error, Result, SliceArg};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions::sum_to;
use crate::Variable;
use std::rc::Rc;

/// One entry of a [`get_item`] index: a basic entry (integer, slice,
/// `newaxis`, ellipsis) or an array (integer positions, or a boolean mask
/// that consumes as many axes as it has).
#[derive(Clone, Debug)]
pub enum Index {
    /// A basic entry, as in [`s!`](crate::array::s).
    Slice(SliceArg),
    /// An integer or boolean array (NumPy's advanced indexing).
    Array(Array),
}

impl From<SliceArg> for Index {
    fn from(s: SliceArg) -> Self {
        Index::Slice(s)
    }
}
impl From<Array> for Index {
    fn from(a: Array) -> Self {
        Index::Array(a)
    }
}
impl From<&Array> for Index {
    fn from(a: &Array) -> Self {
        Index::Array(a.clone())
    }
}

impl Index {
    /// A basic index (`s![..]`) as `get_item` entries.
    pub fn basic(index: &[SliceArg]) -> Vec<Index> {
        index.iter().map(|&s| Index::Slice(s)).collect()
    }
}

/// An index resolved against an input shape.
#[derive(Debug)]
pub(crate) enum Resolved {
    /// Only basic entries: the output is a view.
    Basic(Vec<SliceArg>),
    /// Flat input positions (`int64`, C-contiguous, the output's shape).
    Linear(Array),
}

/// An entry after boolean masks became integer arrays.
enum Entry {
    Basic(SliceArg),
    Adv(Array),
}

fn resolve(op: &'static str, shape: &[usize], index: &[Index]) -> Result<Resolved> {
    if index.iter().all(|i| matches!(i, Index::Slice(_))) {
        let basic: Vec<SliceArg> = index
            .iter()
            .map(|i| match i {
                Index::Slice(s) => *s,
                Index::Array(_) => unreachable!("checked above"),
            })
            .collect();
        // Validate now so a bad index fails at the call, under this name.
        Array::zeros(&[], DType::Bool)?
            .broadcast_to(shape)?
            .slice(&basic)
            .map_err(|e| renamed(op, e))?;
        return Ok(Resolved::Basic(basic));
    }
    Ok(Resolved::Linear(linear_positions(op, shape, index)?))
}

/// Flat positions into an array of `shape` that `index` selects (NumPy's
/// advanced indexing applied to `arange(size).reshape(shape)`).
fn linear_positions(op: &'static str, shape: &[usize], index: &[Index]) -> Result<Array> {
    let ndim = shape.len();
    let mut consumed = 0usize;
    let mut ellipses = 0usize;
    for i in index {
        match i {
            Index::Slice(SliceArg::Index(_) | SliceArg::Range { .. }) => consumed += 1,
            Index::Slice(SliceArg::Ellipsis) => ellipses += 1,
            Index::Slice(SliceArg::NewAxis) => {}
            Index::Array(a) if a.dtype() == DType::Bool => consumed += a.ndim(),
            Index::Array(_) => consumed += 1,
        }
    }
    if ellipses > 1 {
        return Err(Error::Value {
            op,
            message: "an index can only have a single ellipsis ('...')".into(),
        });
    }
    if consumed > ndim {
        return Err(Error::Value {
            op,
            message: format!(
                "too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed"
            ),
        });
    }
    // Expand the ellipsis and masks; integer scalars join the advanced
    // entries, as NumPy does when an index has an array.
    let mut entries = Vec::with_capacity(index.len() + ndim);
    let mut ax = 0usize;
    for i in index {
        match i {
            Index::Slice(SliceArg::Ellipsis) => {
                for _ in 0..ndim - consumed {
                    entries.push(Entry::Basic(SliceArg::full()));
                }
                ax += ndim - consumed;
            }
            Index::Slice(SliceArg::Index(k)) => {
                entries.push(Entry::Adv(Array::scalar(*k as i64)));
                ax += 1;
            }
            Index::Slice(s) => {
                entries.push(Entry::Basic(*s));
                if !matches!(s, SliceArg::NewAxis) {
                    ax += 1;
                }
            }
            Index::Array(a) if a.dtype() == DType::Bool => {
                if a.ndim() == 0 || a.shape() != &shape[ax..ax + a.ndim()] {
                    return Err(Error::Shape {
                        op,
                        message: format!(
                            "boolean index of shape {:?} does not match the indexed axes {:?} of the array of shape {shape:?}",
                            a.shape(),
                            &shape[ax..(ax + a.ndim()).min(ndim)]
                        ),
                    });
                }
                for nz in a.nonzero()? {
                    entries.push(Entry::Adv(nz));
                }
                ax += a.ndim();
            }
            Index::Array(a) => {
                if !a.dtype().is_integer() {
                    return Err(Error::DType {
                        op,
                        message: format!(
                            "expected index arrays of an integer or bool dtype, got {}",
                            a.dtype()
                        ),
                    });
                }
                entries.push(Entry::Adv(a.astype(DType::I64)?));
                ax += 1;
            }
        }
    }
    // Basic entries first (a view of the positions), advanced axes kept whole.
    let size: usize = shape.iter().product();
    let positions = Array::arange(size as i64)?.reshape_to(shape)?;
    let basic: Vec<SliceArg> = entries
        .iter()
        .map(|e| match e {
            Entry::Basic(s) => *s,
            Entry::Adv(_) => SliceArg::full(),
        })
        .collect();
    let v = positions.slice(&basic).map_err(|e| renamed(op, e))?;
    let mut adv_axes = Vec::new();
    let mut adv_entries = Vec::new();
    let mut vax = 0usize;
    for (k, e) in entries.iter().enumerate() {
        if let Entry::Adv(a) = e {
            adv_axes.push(vax);
            adv_entries.push((k, a));
        }
        if !matches!(e, Entry::Basic(SliceArg::Index(_))) {
            vax += 1;
        }
    }
    let mut bshape: Vec<usize> = Vec::new();
    for (_, a) in &adv_entries {
        bshape =
            broadcast_shapes(op, &bshape, a.shape()).map_err(|_| Error::Shape {
                op,
                message: format!(
                "shape mismatch: indexing arrays could not be broadcast together with shapes {:?}",
                adv_entries.iter().map(|(_, a)| a.shape().to_vec()).collect::<Vec<_>>()
            ),
            })?;
    }
    let count: usize = bshape.iter().product();
    let mut flat = vec![0i64; count];
    let mut stride = 1i64;
    for (&vaxis, (_, a)) in adv_axes.iter().zip(&adv_entries).rev() {
        let n = v.shape()[vaxis] as i64;
        let vals = a.broadcast_to(&bshape)?.to_vec::<i64>()?;
        for (f, &i) in flat.iter_mut().zip(&vals) {
            let j = if i < 0 { i + n } else { i };
            if j < 0 || j >= n {
                return Err(Error::Index {
                    op,
                    index: i,
                    axis: vaxis,
                    size: n as usize,
                });
            }
            *f += j * stride;
        }
        stride *= n;
    }
    let rest: Vec<usize> = (0..v.ndim()).filter(|a| !adv_axes.contains(a)).collect();
    let perm: Vec<isize> = adv_axes.iter().chain(&rest).map(|&a| a as isize).collect();
    let mut grouped_shape = vec![stride as usize];
    grouped_shape.extend(rest.iter().map(|&a| v.shape()[a]));
    let grouped = v.transpose(Some(&perm))?.reshape_to(&grouped_shape)?;
    let mut r = grouped.take(&Array::from_vec(flat, &bshape)?, Some(0))?;
    // Adjacent advanced entries put their dimensions where they stood.
    let adjacent = adv_entries.windows(2).all(|w| w[1].0 == w[0].0 + 1);
    let p = adv_axes[0];
    if adjacent && p > 0 {
        let nb = bshape.len();
        let perm: Vec<isize> = (nb..nb + p)
            .chain(0..nb)
            .chain(nb + p..r.ndim())
            .map(|a| a as isize)
            .collect();
        r = r.transpose(Some(&perm))?;
    }
    r.ascontiguousarray()
}

/// Linear positions of `resolved` (computed for a basic index too).
fn as_linear(shape: &[usize], resolved: &Resolved) -> Result<Array> {
    match resolved {
        Resolved::Linear(l) => Ok(l.clone()),
        Resolved::Basic(b) => {
            let size: usize = shape.iter().product();
            Array::arange(size as i64)?
                .reshape_to(shape)?
                .slice(b)?
                .ascontiguousarray()
        }
    }
}

struct GetItem {
    index: Rc<Resolved>,
}

impl FunctionNode for GetItem {
    fn label(&self) -> &str {
        "GetItem"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![match &*self.index {
            Resolved::Basic(b) => x[0].slice(b)?,
            Resolved::Linear(l) => x[0].take(l, None)?,
        }])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let g = apply1(
            GetItemGrad {
                index: self.index.clone(),
                shape: ctx.input_shape(0).to_vec(),
            },
            &[&gy[0]],
        )?;
        Ok(vec![Some(g)])
    }
}

/// The gradient of [`GetItem`]: `gy` scattered (added) into zeros of the input's shape.
struct GetItemGrad {
    index: Rc<Resolved>,
    shape: Vec<usize>,
}

impl FunctionNode for GetItemGrad {
    fn label(&self) -> &str {
        "GetItemGrad"
    }
    fn forward(&self, gy: &[&Array]) -> Result<Vec<Array>> {
        let gy = gy[0];
        let gx = match &*self.index {
            Resolved::Basic(b) => {
                let mut gx = Array::zeros(&self.shape, gy.dtype())?.to_device(gy.device())?;
                gx.assign_at(b, gy)?;
                gx
            }
            Resolved::Linear(l) => {
                let size: usize = self.shape.iter().product();
                let mut gx = Array::zeros(&[size], gy.dtype())?.to_device(gy.device())?;
                gx.scatter_add(l, gy, 0)?;
                gx.reshape_to(&self.shape)?
            }
        };
        Ok(vec![gx])
    }
    fn backward(&self, _: &BackwardContext<'_>, ggx: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let g = apply1(
            GetItem {
                index: self.index.clone(),
            },
            &[&ggx[0]],
        )?;
        Ok(vec![Some(g)])
    }
}

/// `x[index]` with NumPy's indexing rules (Chainer's `F.get_item`): basic
/// entries give a view; integer arrays and boolean masks select copies, and
/// their dimensions go where the (adjacent) array entries stood, or first
/// when array entries are separated. The gradient scatters back, adding
/// where an element was picked more than once.
///
/// ```
/// use kusari::array::{s, Array};
/// use kusari::functions::{self as F, Index};
/// use kusari::Variable;
/// let x = Variable::new(Array::arange(6.0)?.reshape(&[2, 3])?);
/// let y = F::get_item(&x, &Index::basic(&s![.., 1..;2]))?;
/// assert_eq!(y.shape(), vec![2, 1]);
/// let picks = Array::from_vec(vec![2i64, 0, 2], &[3])?;
/// let z = F::get_item(&x, &[s![1][0].into(), picks.into()])?;
/// assert_eq!(z.array().to_vec::<f64>()?, vec![5.0, 3.0, 5.0]);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn get_item(x: &Variable, index: &[Index]) -> Result<Variable> {
    let resolved = resolve("get_item", &x.shape(), index)?;
    apply1(
        GetItem {
            index: Rc::new(resolved),
        },
        &[x],
    )
}

/// `x.ravel()[positions]`: a gather by flat input positions (an `int64`
/// array of the output's shape), differentiable as `get_item` is. The
/// building block of `tile`, `repeat` and the non-constant `pad` modes.
pub(crate) fn take_linear(x: &Variable, positions: Array) -> Result<Variable> {
    apply1(
        GetItem {
            index: Rc::new(Resolved::Linear(positions.ascontiguousarray()?)),
        },
        &[x],
    )
}

/// `x[i, t[i]]` for each row `i` of a 2-D `x` (Chainer's `F.select_item`):
/// picks one class score per example. `t` holds integer positions
/// (negative ones count from the end, as NumPy's indexing does).
pub fn select_item(x: &Variable, t: &Array) -> Result<Variable> {
    const OP: &str = "select_item";
    if !t.dtype().is_integer() {
        return Err(Error::DType {
            op: OP,
            message: format!("expected t.dtype.kind == 'i', got {}", t.dtype()),
        });
    }
    if x.ndim() != 2 || t.ndim() != 1 || x.shape()[0] != t.shape()[0] {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected x.ndim == 2, t.ndim == 1 and x.shape[0] == t.shape[0], got x.shape {:?}, t.shape {:?}",
                x.shape(),
                t.shape()
            ),
        });
    }
    let rows = Array::arange(t.shape()[0] as i64)?;
    get_item(x, &[rows.into(), t.clone().into()]).map_err(|e| renamed(OP, e))
}

struct ScatterAdd {
    positions: Rc<Resolved>,
}

impl FunctionNode for ScatterAdd {
    fn label(&self) -> &str {
        "ScatterAdd"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        crate::functions::expect_same_dtype("scatter_add", x[0].dtype(), x[1].dtype())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let Resolved::Linear(l) = &*self.positions else {
            unreachable!("scatter_add resolves to positions")
        };
        let mut y = x[0].flatten()?;
        y.scatter_add(l, &x[1].broadcast_to(l.shape())?, 0)?;
        Ok(vec![y.reshape_to(x[0].shape())?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let gb = if ctx.needs_input_grad(1) {
            let g = apply1(
                GetItem {
                    index: self.positions.clone(),
                },
                &[&gy[0]],
            )?;
            Some(sum_to(&g, &ctx.input_shape(1))?)
        } else {
            None
        };
        Ok(vec![Some(gy[0].clone()), gb])
    }
}

/// A copy of `a` with `b` added at `a[index]`, adding repeatedly where the
/// index repeats a position (Chainer's `F.scatter_add`, NumPy's
/// `np.add.at`). `b` broadcasts to the shape of `a[index]`.
pub fn scatter_add(a: &Variable, index: &[Index], b: &Variable) -> Result<Variable> {
    const OP: &str = "scatter_add";
    let shape = a.shape();
    let positions = as_linear(&shape, &resolve(OP, &shape, index)?)?;
    let target = positions.shape().to_vec();
    if broadcast_shapes(OP, &b.shape(), &target)? != target {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "b of shape {:?} cannot be broadcast to the selected shape {target:?}",
                b.shape()
            ),
        });
    }
    apply1(
        ScatterAdd {
            positions: Rc::new(Resolved::Linear(positions)),
        },
        &[a, b],
    )
}

struct Where {
    condition: Array,
}

impl FunctionNode for Where {
    fn label(&self) -> &str {
        "Where"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        crate::functions::expect_same_dtype("where", x[0].dtype(), x[1].dtype())?;
        let s = broadcast_shapes("where", self.condition.shape(), x[0].shape())?;
        broadcast_shapes("where", &s, x[1].shape())?;
        Ok(())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![ufunc::where_(&self.condition, x[0], x[1])?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let g = &gy[0];
        let zeros = Variable::constant(Array::zeros(&[], g.dtype())?.to_device(g.device())?);
        let mut out = Vec::with_capacity(2);
        for i in 0..2 {
            out.push(if ctx.needs_input_grad(i) {
                let (a, b) = if i == 0 { (g, &zeros) } else { (&zeros, g) };
                let w = apply1(
                    Where {
                        condition: self.condition.clone(),
                    },
                    &[a, b],
                )?;
                Some(sum_to(&w, &ctx.input_shape(i))?)
            } else {
                None
            });
        }
        Ok(out)
    }
}

/// Elements of `x` where `condition` is true, else of `y` (Chainer's
/// `F.where`); the three broadcast together. `condition` is a bool array
/// (it gets no gradient). Named `where_` because `where` is a Rust keyword.
pub fn where_(condition: &Array, x: &Variable, y: &Variable) -> Result<Variable> {
    if condition.dtype() != DType::Bool {
        return Err(Error::DType {
            op: "where",
            message: format!(
                "expected condition.dtype == bool, got {}",
                condition.dtype()
            ),
        });
    }
    apply1(
        Where {
            condition: condition.clone(),
        },
        &[x, y],
    )
}
