//! Ready-made links (Chainer's `chainer.links`) and the containers that
//! compose them: `#[derive(Chain)]` structs, [`ChainList`] and [`Sequential`].
//!
//! ## `#[derive(Chain)]`
//! Chainer registers the parameters and links assigned in `init_scope()`;
//! here the struct's fields say it, and the field names are the paths:
//!
//! * `Parameter` / `Option<Parameter>` fields are the link's parameters;
//! * `Persistent` / `Option<Persistent>` fields are its persistent values;
//! * every other field is a child link (`Option<L>` when `Some`, `Vec<L>` a
//!   list of children `0`, `1`, ... like a `ChainList`);
//! * `#[chain(skip)]` marks plain fields (sizes, settings, closures);
//! * `#[chain(rename = "W")]` gives a path name that is not a Rust field name.
//!
//! Children are the default so that forgetting an attribute cannot silently
//! drop a sub-model's parameters: a plain field without `#[chain(skip)]` does
//! not compile ("the trait `Link` is not implemented for `usize`").
//!
//! ```
//! use kusari::{array::{Array, DType}, Chain, Link, Parameter};
//! #[derive(kusari::Chain)]
//! struct Mlp {
//!     l1: Inner,
//!     layers: Vec<Inner>,
//!     #[chain(skip)]
//!     n_units: usize,
//! }
//! #[derive(Chain)]
//! struct Inner {
//!     #[chain(rename = "W")]
//!     w: Parameter,
//!     b: Option<Parameter>,
//! }
//! let inner = || Inner { w: Parameter::new("W", Array::zeros(&[2, 2], DType::F32).unwrap()), b: None };
//! let m = Mlp { l1: inner(), layers: vec![inner(), inner()], n_units: 2 };
//! let paths: Vec<String> = m.namedparams().into_iter().map(|(p, _)| p).collect();
//! assert_eq!(paths, ["/l1/W", "/layers/0/W", "/layers/1/W"]);
//! ```

mod activation;
mod connection;
mod convolution;
mod model;
mod normalization;
mod rnn;

pub use activation::{Activation, Highway, Maxout, PReLU};
pub use connection::{
    Bias, Bilinear, EmbedID, EmbedIDBuilder, Linear, LinearBuilder, Scale, DEFAULT_DTYPE,
};
pub use convolution::{
    ConvConfig, Convolution2D, ConvolutionBuilder, ConvolutionLink, ConvolutionND, Deconvolution2D,
    DeconvolutionND, DepthwiseConvolution2D, DilatedConvolution2D, Sizes,
};
pub use model::{Classifier, LossFn};
pub use normalization::{BatchNormalization, GroupNormalization, LayerNormalization};
pub use rnn::{
    NStepBiLSTM, NStepGRU, NStepLSTM, NStepWeights, StatefulGRU, StatelessGRU, StatelessLSTM, GRU,
    LSTM,
};

use crate::array::{Error, Result};
use crate::link::{Forward, Link};
use crate::Variable;
use std::fmt;
use std::rc::Rc;

/// A list of links of one type, children `"0"`, `"1"`, ... (Chainer's
/// `ChainList`). A `Vec<L>` is a link too; `ChainList` adds the builders.
#[derive(Clone, Debug, Default)]
pub struct ChainList<L> {
    links: Vec<L>,
}

impl<L: Link> ChainList<L> {
    /// An empty list.
    pub fn new() -> ChainList<L> {
        ChainList { links: Vec::new() }
    }

    /// `n` links made by `build(i)` (Chainer's `link.repeat(n, mode='init')`:
    /// each is built fresh, so each has its own parameters).
    pub fn repeat(n: usize, mut build: impl FnMut(usize) -> Result<L>) -> Result<ChainList<L>> {
        Ok(ChainList {
            links: (0..n).map(&mut build).collect::<Result<_>>()?,
        })
    }

    /// Appends a link (Chainer's `add_link`/`append`).
    pub fn push(&mut self, link: L) {
        self.links.push(link)
    }

    /// The `i`-th link.
    pub fn get(&self, i: usize) -> Option<&L> {
        self.links.get(i)
    }

    /// Number of links.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// The links in order.
    pub fn iter(&self) -> std::slice::Iter<'_, L> {
        self.links.iter()
    }
}

impl<L: Link> From<Vec<L>> for ChainList<L> {
    fn from(links: Vec<L>) -> ChainList<L> {
        ChainList { links }
    }
}

impl<L> std::ops::Index<usize> for ChainList<L> {
    type Output = L;
    fn index(&self, i: usize) -> &L {
        &self.links[i]
    }
}

impl<L: Link> Link for ChainList<L> {
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        self.links.visit_children(f)
    }
}

/// A link that is also callable: what [`Sequential`] holds.
pub trait Layer: Link + Forward {}
impl<T: Link + Forward + ?Sized> Layer for T {}

type PlainFn = Rc<dyn Fn(&Variable) -> Result<Variable>>;

#[derive(Clone)]
enum Step {
    Link(Rc<dyn Layer>),
    Fn(PlainFn),
}

/// Layers and plain functions applied in order (Chainer's `Sequential`).
/// Only the links are children, numbered among themselves as Chainer does
/// (`Linear, relu, Linear` has `/0/W` and `/1/W`). Cloning shares the layers.
///
/// ```
/// use kusari::{array::{Array, DType}, functions as F, links::{Linear, Sequential}, Forward, Link, Variable};
/// let model = Sequential::new()
///     .add(Linear::new(None, 4))
///     .add_fn(F::exp)
///     .add(Linear::new(4, 2));
/// let y = model.forward(&Variable::new(Array::ones(&[3, 5], DType::F32)?))?;
/// assert_eq!(y.shape(), [3, 2]);
/// let paths: Vec<String> = model.namedparams().into_iter().map(|(p, _)| p).collect();
/// assert_eq!(paths, ["/0/W", "/0/b", "/1/W", "/1/b"]);
/// # Ok::<(), kusari::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Sequential {
    steps: Vec<Step>,
}

impl Sequential {
    /// An empty sequence (its forward is an error until a layer is added).
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// `n` layers made by `build(i)` (Chainer's `link.repeat(n)`, mode `'init'`).
    pub fn repeat<L: Layer + 'static>(
        n: usize,
        mut build: impl FnMut(usize) -> Result<L>,
    ) -> Result<Sequential> {
        let mut s = Sequential::new();
        for i in 0..n {
            s = s.add(build(i)?);
        }
        Ok(s)
    }

    /// Appends a link (Chainer's `append`). A builder method taking `self`,
    /// not `+`: the argument is any link, not another `Sequential`.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Layer + 'static) -> Sequential {
        self.steps.push(Step::Link(Rc::new(layer)));
        self
    }

    /// Appends a link that is shared with other holders.
    pub fn add_shared(mut self, layer: Rc<dyn Layer>) -> Sequential {
        self.steps.push(Step::Link(layer));
        self
    }

    /// Appends a plain function (`F::relu`, a closure).
    pub fn add_fn(mut self, f: impl Fn(&Variable) -> Result<Variable> + 'static) -> Sequential {
        self.steps.push(Step::Fn(Rc::new(f)));
        self
    }

    /// Number of layers and functions.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Link for Sequential {
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        let links = self.steps.iter().filter_map(|s| match s {
            Step::Link(l) => Some(l),
            Step::Fn(_) => None,
        });
        for (i, l) in links.enumerate() {
            f(&i.to_string(), &**l);
        }
    }
}

impl Forward for Sequential {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        if self.steps.is_empty() {
            return Err(Error::Value {
                op: "Sequential::forward",
                message: "expected at least one layer, the sequence is empty".into(),
            });
        }
        let mut h = x.clone();
        for step in &self.steps {
            h = match step {
                Step::Link(l) => l.forward(&h)?,
                Step::Fn(f) => f(&h)?,
            };
        }
        Ok(h)
    }
}

impl fmt::Debug for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        for s in &self.steps {
            match s {
                Step::Link(x) => l.entry(&format_args!("link({} params)", x.count_params())),
                Step::Fn(_) => l.entry(&format_args!("fn")),
            };
        }
        l.finish()
    }
}
