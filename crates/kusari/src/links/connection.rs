//! Connection links (Chainer's `chainer.links.connection`).

use crate::array::{DType, Error, Result};
use crate::functions as F;
use crate::initializers::{Constant, IntoInitializer, LeCunNormal, Normal};
use crate::link::Forward;
use crate::{Chain, Initializer, Parameter, Variable};

/// The parameter dtype links use unless told otherwise (Chainer's
/// `chainer.config.dtype` default).
pub const DEFAULT_DTYPE: DType = DType::F32;

/// A new parameter, initialized now when `shape` is known. An initializer
/// failure leaves it uninitialized: the first forward initializes it again
/// and returns that error, so constructors need not return `Result`.
pub(crate) fn param(
    name: &str,
    dtype: DType,
    init: Initializer,
    shape: Option<&[usize]>,
) -> Parameter {
    let p = Parameter::lazy(name, dtype, init);
    if let Some(shape) = shape {
        let _ = p.initialize(shape);
    }
    p
}

/// Fully connected layer `y = x Wᵀ + b` (Chainer's `L.Linear`). `W` is
/// `(out_size, in_size)`, drawn by `LeCunNormal` unless told; `b` starts
/// at 0. With `in_size` `None`, `W` is initialized at the first forward
/// from the input's size.
///
/// ```
/// use kusari::{array::{Array, DType}, links::Linear, Forward, Link, Variable};
/// let l = Linear::new(None, 3);           // input size decided by the data
/// assert!(!l.w.is_initialized());
/// let x = Variable::new(Array::ones(&[2, 5], DType::F32)?);
/// let y = l.forward(&x)?;
/// assert_eq!((y.shape(), l.w.array()?.shape().to_vec()), (vec![2, 3], vec![3, 5]));
/// let fixed = Linear::builder(5, 3).nobias(true).initial_w(0.5).build();
/// assert_eq!(fixed.count_params(), 15);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct Linear {
    /// The weight, `(out_size, in_size)`.
    #[chain(rename = "W")]
    pub w: Parameter,
    /// The bias, `(out_size,)`; `None` with `nobias`.
    pub b: Option<Parameter>,
    #[chain(skip)]
    out_size: usize,
}

/// Options of [`Linear`] (Chainer's keyword arguments).
pub struct LinearBuilder {
    in_size: Option<usize>,
    out_size: usize,
    nobias: bool,
    initial_w: Option<Initializer>,
    initial_bias: Option<Initializer>,
    dtype: DType,
}

impl LinearBuilder {
    /// Whether to leave the bias out (Chainer's `nobias`).
    pub fn nobias(mut self, nobias: bool) -> LinearBuilder {
        self.nobias = nobias;
        self
    }

    /// The initializer of `W` (Chainer's `initialW`; default `LeCunNormal`).
    pub fn initial_w(mut self, init: impl IntoInitializer) -> LinearBuilder {
        self.initial_w = Some(init.into_initializer());
        self
    }

    /// The initializer of `b` (Chainer's `initial_bias`; default 0).
    pub fn initial_bias(mut self, init: impl IntoInitializer) -> LinearBuilder {
        self.initial_bias = Some(init.into_initializer());
        self
    }

    /// The parameters' dtype (default float32).
    pub fn dtype(mut self, dtype: DType) -> LinearBuilder {
        self.dtype = dtype;
        self
    }

    /// The link.
    pub fn build(self) -> Linear {
        let out = self.out_size;
        let w_init = self
            .initial_w
            .unwrap_or_else(|| LeCunNormal::default().into());
        let w = param(
            "W",
            self.dtype,
            w_init,
            self.in_size.map(|i| [out, i]).as_ref().map(|s| &s[..]),
        );
        let b = (!self.nobias).then(|| {
            let init = self
                .initial_bias
                .unwrap_or_else(|| Constant::new(0.0).into());
            param("b", self.dtype, init, Some(&[out]))
        });
        Linear {
            w,
            b,
            out_size: out,
        }
    }
}

impl Linear {
    /// A linear layer from `in_size` (`None`: decided at the first forward)
    /// to `out_size`, with Chainer's default initializers.
    pub fn new(in_size: impl Into<Option<usize>>, out_size: usize) -> Linear {
        Linear::builder(in_size, out_size).build()
    }

    /// A builder for the other options.
    pub fn builder(in_size: impl Into<Option<usize>>, out_size: usize) -> LinearBuilder {
        LinearBuilder {
            in_size: in_size.into(),
            out_size,
            nobias: false,
            initial_w: None,
            initial_bias: None,
            dtype: DEFAULT_DTYPE,
        }
    }

    /// The number of outputs.
    pub fn out_size(&self) -> usize {
        self.out_size
    }

    /// The forward pass treating the first `n_batch_axes` axes as batch
    /// axes (Chainer's `n_batch_axes`); the rest are flattened into the input.
    pub fn forward_batch_axes(&self, x: &Variable, n_batch_axes: usize) -> Result<Variable> {
        let shape = x.shape();
        if !self.w.is_initialized() {
            if n_batch_axes == 0 || n_batch_axes >= shape.len() {
                return Err(Error::Shape {
                    op: "Linear::forward",
                    message: format!(
                        "expected 1 <= n_batch_axes < x.ndim, got n_batch_axes {n_batch_axes} for x.shape {shape:?}"
                    ),
                });
            }
            let in_size: usize = shape[n_batch_axes..].iter().product();
            self.w.initialize(&[self.out_size, in_size])?;
        }
        let b = self.b.as_ref().map(Parameter::var).transpose()?;
        F::linear(x, &self.w.var()?, b.as_ref(), n_batch_axes)
    }
}

impl Forward for Linear {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        self.forward_batch_axes(x, 1)
    }
}

/// `y` reshaped so that it lines up with `x`'s axes `axis..axis + y.ndim`
/// and broadcasts against `x` (the axis convention of Chainer's
/// `F.bias`/`F.scale`).
fn align(op: &'static str, x: &Variable, y: &Variable, axis: usize) -> Result<Variable> {
    let (xs, ys) = (x.shape(), y.shape());
    if axis + ys.len() > xs.len() || xs[axis..axis + ys.len()] != ys[..] {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected the parameter's shape {ys:?} to equal x.shape[{axis}..{}] for x of shape {xs:?}",
                axis + ys.len()
            ),
        });
    }
    let mut shape = vec![1; axis];
    shape.extend_from_slice(&ys);
    shape.resize(xs.len(), 1);
    y.reshape(&shape)
}

/// Adds a learned bias along some axes (Chainer's `L.Bias(axis, shape)`):
/// `b` of `shape` is added to `x`'s axes `axis..axis + shape.len()`; starts at 0.
#[derive(Chain, Clone, Debug)]
pub struct Bias {
    /// The bias.
    pub b: Parameter,
    #[chain(skip)]
    axis: usize,
}

impl Bias {
    /// A bias of `shape` added along `x`'s axes from `axis` (Chainer's default axis is 1).
    pub fn new(axis: usize, shape: &[usize]) -> Bias {
        Bias {
            b: param("b", DEFAULT_DTYPE, Constant::new(0.0).into(), Some(shape)),
            axis,
        }
    }
}

impl Forward for Bias {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        let b = align("Bias::forward", x, &self.b.var()?, self.axis)?;
        F::add(x, &b)
    }
}

/// Multiplies by a learned scale along some axes, optionally adding a bias
/// (Chainer's `L.Scale(axis, W_shape, bias_term)`); `W` starts at 1.
#[derive(Chain, Clone, Debug)]
pub struct Scale {
    /// The scale.
    #[chain(rename = "W")]
    pub w: Parameter,
    /// The bias link when `bias_term`.
    pub bias: Option<Bias>,
    #[chain(skip)]
    axis: usize,
}

impl Scale {
    /// A scale of `w_shape` along `x`'s axes from `axis`, with a bias of the
    /// same shape when `bias_term`.
    pub fn new(axis: usize, w_shape: &[usize], bias_term: bool) -> Scale {
        Scale {
            w: param("W", DEFAULT_DTYPE, Constant::new(1.0).into(), Some(w_shape)),
            bias: bias_term.then(|| Bias::new(axis, w_shape)),
            axis,
        }
    }
}

impl Forward for Scale {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        let w = align("Scale::forward", x, &self.w.var()?, self.axis)?;
        let z = F::mul(x, &w)?;
        match &self.bias {
            Some(b) => b.forward(&z),
            None => Ok(z),
        }
    }
}

/// The bilinear layer `y_l = Σ_jk e1_j W_jkl e2_k + (V1ᵀe1)_l + (V2ᵀe2)_l + b_l`
/// (Chainer's `L.Bilinear`); `W`, `V1`, `V2` drawn by `LeCunNormal`, `b` 0.
/// It takes two inputs, so it is called with [`Bilinear::forward2`].
#[derive(Chain, Clone, Debug)]
pub struct Bilinear {
    /// `(left_size, right_size, out_size)`.
    #[chain(rename = "W")]
    pub w: Parameter,
    /// `(left_size, out_size)`; `None` with `nobias`.
    #[chain(rename = "V1")]
    pub v1: Option<Parameter>,
    /// `(right_size, out_size)`; `None` with `nobias`.
    #[chain(rename = "V2")]
    pub v2: Option<Parameter>,
    /// `(out_size,)`; `None` with `nobias`.
    pub b: Option<Parameter>,
}

impl Bilinear {
    /// A bilinear layer with Chainer's default initializers.
    pub fn new(left_size: usize, right_size: usize, out_size: usize, nobias: bool) -> Bilinear {
        let lecun = || -> Initializer { LeCunNormal::default().into() };
        Bilinear {
            w: param(
                "W",
                DEFAULT_DTYPE,
                lecun(),
                Some(&[left_size, right_size, out_size]),
            ),
            v1: (!nobias)
                .then(|| param("V1", DEFAULT_DTYPE, lecun(), Some(&[left_size, out_size]))),
            v2: (!nobias)
                .then(|| param("V2", DEFAULT_DTYPE, lecun(), Some(&[right_size, out_size]))),
            b: (!nobias).then(|| {
                param(
                    "b",
                    DEFAULT_DTYPE,
                    Constant::new(0.0).into(),
                    Some(&[out_size]),
                )
            }),
        }
    }

    /// The output for the left input `e1` `(N, left_size)` and the right
    /// input `e2` `(N, right_size)`; more axes are flattened as Chainer does.
    pub fn forward2(&self, e1: &Variable, e2: &Variable) -> Result<Variable> {
        let w = self.w.var()?;
        let ws = w.shape();
        let (j, k, l) = (ws[0], ws[1], ws[2]);
        let (s1, s2) = (e1.shape(), e2.shape());
        let n = s1.first().copied().unwrap_or(0);
        if s1.is_empty()
            || s2.first() != Some(&n)
            || s1[1..].iter().product::<usize>() != j
            || s2[1..].iter().product::<usize>() != k
        {
            return Err(Error::Shape {
                op: "Bilinear::forward2",
                message: format!("expected e1 (N, {j}) and e2 (N, {k}), got {s1:?} and {s2:?}"),
            });
        }
        let e1 = e1.reshape(&[n, j, 1])?;
        let e2 = e2.reshape(&[n, 1, k])?;
        // The per-sample outer product, flattened, meets W as one matrix product.
        let outer = F::mul(&e1, &e2)?.reshape(&[n, j * k])?;
        let mut y = F::matmul(&outer, &w.reshape(&[j * k, l])?)?;
        if let (Some(v1), Some(v2), Some(b)) = (&self.v1, &self.v2, &self.b) {
            y = F::add(&y, &F::matmul(&e1.reshape(&[n, j])?, &v1.var()?)?)?;
            y = F::add(&y, &F::matmul(&e2.reshape(&[n, k])?, &v2.var()?)?)?;
            y = F::add(&y, &b.var()?)?;
        }
        Ok(y)
    }
}

/// Word embeddings (Chainer's `L.EmbedID`): maps integer ids of any shape
/// to rows of `W` `(in_size, out_size)`, drawn by `Normal(1.0)` unless told.
/// Ids equal to `ignore_label` give zero vectors.
///
/// ```
/// use kusari::{array::{array, Array, DType}, links::EmbedID, Forward, Variable};
/// let embed = EmbedID::builder(10, 4).ignore_label(-1).build();
/// let ids = Variable::new(Array::from_vec(vec![3i32, -1, 9], &[3])?);
/// let y = embed.forward(&ids)?;
/// assert_eq!(y.shape(), [3, 4]);
/// assert_eq!(y.array().to_vec::<f32>()?[4..8], [0.0; 4]);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Chain, Clone, Debug)]
pub struct EmbedID {
    /// The embeddings, `(in_size, out_size)`.
    #[chain(rename = "W")]
    pub w: Parameter,
    /// The id that maps to a zero vector (Chainer's `ignore_label`).
    #[chain(skip)]
    pub ignore_label: Option<i64>,
}

/// Options of [`EmbedID`] (Chainer's keyword arguments).
pub struct EmbedIDBuilder {
    in_size: usize,
    out_size: usize,
    initial_w: Option<Initializer>,
    ignore_label: Option<i64>,
    dtype: DType,
}

impl EmbedIDBuilder {
    /// The initializer of `W` (Chainer's `initialW`; default `Normal(1.0)`).
    pub fn initial_w(mut self, init: impl IntoInitializer) -> EmbedIDBuilder {
        self.initial_w = Some(init.into_initializer());
        self
    }

    /// The id that maps to a zero vector (default none).
    pub fn ignore_label(mut self, label: impl Into<Option<i64>>) -> EmbedIDBuilder {
        self.ignore_label = label.into();
        self
    }

    /// The parameter's dtype (default float32).
    pub fn dtype(mut self, dtype: DType) -> EmbedIDBuilder {
        self.dtype = dtype;
        self
    }

    /// The link.
    pub fn build(self) -> EmbedID {
        let init = self.initial_w.unwrap_or_else(|| Normal::new(1.0).into());
        EmbedID {
            w: param("W", self.dtype, init, Some(&[self.in_size, self.out_size])),
            ignore_label: self.ignore_label,
        }
    }
}

impl EmbedID {
    /// An embedding of `in_size` ids into `out_size` dimensions, no ignored label.
    pub fn new(in_size: usize, out_size: usize) -> EmbedID {
        EmbedID::builder(in_size, out_size).build()
    }

    /// A builder for the other options.
    pub fn builder(in_size: usize, out_size: usize) -> EmbedIDBuilder {
        EmbedIDBuilder {
            in_size,
            out_size,
            initial_w: None,
            ignore_label: None,
            dtype: DEFAULT_DTYPE,
        }
    }
}

impl Forward for EmbedID {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        F::embed_id(x, &self.w.var()?, self.ignore_label)
    }
}
