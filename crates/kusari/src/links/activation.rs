//! Links with learned activations (Chainer's `L.PReLU`, `L.Maxout` and
//! `L.Highway`).

use super::connection::{param, DEFAULT_DTYPE};
use super::Linear;
use crate::array::Result;
use crate::functions as F;
use crate::initializers::Constant;
use crate::link::Forward;
use crate::{Chain, Parameter, Variable};
use std::rc::Rc;

/// Parametric ReLU (Chainer's `L.PReLU`): `y = max(x, W x)` elementwise,
/// `W` of `shape` (matching `x`'s axes from 1) starting at `init`
/// (Chainer's default 0.25).
///
/// ```
/// use kusari::{array::Array, links::PReLU, Forward, Variable};
/// let act = PReLU::new(&[3], 0.25);
/// let x = Variable::new(Array::from_vec(vec![-4.0f32; 6], &[2, 3])?);
/// assert_eq!(act.forward(&x)?.array().to_vec::<f32>()?, vec![-1.0; 6]);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct PReLU {
    /// The slopes of the negative part.
    #[chain(rename = "W")]
    pub w: Parameter,
}

impl PReLU {
    /// A PReLU with slopes of `shape` (`&[]`: one shared slope) starting at `init`.
    pub fn new(shape: &[usize], init: f64) -> PReLU {
        PReLU {
            w: param("W", DEFAULT_DTYPE, Constant::new(init).into(), Some(shape)),
        }
    }
}

impl Forward for PReLU {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        F::prelu(x, &self.w.var()?)
    }
}

/// Fully connected maxout (Chainer's `L.Maxout`): a [`Linear`] to
/// `out_size * pool_size` units at `linear`, then `F::maxout` over groups
/// of `pool_size`. Weights `LeCunNormal`, bias 0 (`nobias` leaves it out).
///
/// ```
/// use kusari::{array::{Array, DType}, links::Maxout, Forward, Variable};
/// let m = Maxout::new(4, 3, 2, false);
/// let y = m.forward(&Variable::new(Array::ones(&[5, 4], DType::F32)?))?;
/// assert_eq!(y.shape(), [5, 3]);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct Maxout {
    /// The linear layer, `(out_size * pool_size, in_size)`.
    pub linear: Linear,
    #[chain(skip)]
    pool_size: usize,
}

impl Maxout {
    /// A maxout layer from `in_size` (`None`: decided at the first forward)
    /// to `out_size` units, each the max of `pool_size` linear units.
    pub fn new(
        in_size: impl Into<Option<usize>>,
        out_size: usize,
        pool_size: usize,
        nobias: bool,
    ) -> Maxout {
        Maxout {
            linear: Linear::builder(in_size, out_size * pool_size)
                .nobias(nobias)
                .build(),
            pool_size,
        }
    }
}

impl Forward for Maxout {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        F::maxout(&self.linear.forward(x)?, self.pool_size, 1)
    }
}

/// An activation as [`Highway`] takes it.
pub type Activation = Rc<dyn Fn(&Variable) -> Result<Variable>>;

/// A highway layer (Chainer's `L.Highway`): `y = a(plain(x)) ⊙ t + x ⊙ (1 - t)`
/// with `t = σ(transform(x))`, `a` ReLU unless told; both linear layers are
/// `(in_out_size → in_out_size)`, the transform's bias starts at -1 (Chainer's
/// `init_bt`), the plain one's at 0.
///
/// ```
/// use kusari::{array::{Array, DType}, links::Highway, Forward, Variable};
/// let h = Highway::new(4, false);
/// let y = h.forward(&Variable::new(Array::ones(&[2, 4], DType::F32)?))?;
/// assert_eq!(y.shape(), [2, 4]);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone)]
pub struct Highway {
    /// The layer whose activation is passed through.
    pub plain: Linear,
    /// The layer of the transform gate.
    pub transform: Linear,
    #[chain(skip)]
    activate: Activation,
}

impl Highway {
    /// A highway layer with ReLU and Chainer's default initializers.
    pub fn new(in_out_size: usize, nobias: bool) -> Highway {
        Highway {
            plain: Linear::builder(in_out_size, in_out_size)
                .nobias(nobias)
                .build(),
            transform: Linear::builder(in_out_size, in_out_size)
                .nobias(nobias)
                .initial_bias(-1.0)
                .build(),
            activate: Rc::new(F::relu),
        }
    }

    /// Replaces the activation (Chainer's `activate`).
    pub fn activate(mut self, f: Activation) -> Highway {
        self.activate = f;
        self
    }
}

impl Forward for Highway {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        let plain = (self.activate)(&self.plain.forward(x)?)?;
        let t = F::sigmoid(&self.transform.forward(x)?)?;
        F::linear_interpolate(&t, &plain, x)
    }
}
