//! Convolution links (Chainer's `L.Convolution2D`, `L.DilatedConvolution2D`,
//! `L.Deconvolution2D`, `L.ConvolutionND`, `L.DeconvolutionND` and
//! `L.DepthwiseConvolution2D`).
//!
//! Every one takes `in_channels` as `Option<usize>`: with `None` the filter
//! `W` is initialized at the first forward from the input's `shape[1]`, as
//! Chainer does. `W` is drawn by `LeCunNormal` and `b` starts at 0 unless the
//! builder says otherwise. Option mistakes (a kernel size of the wrong
//! length, channels not divisible by `groups`) are reported by the forward.

use super::connection::{param, DEFAULT_DTYPE};
use crate::array::{DType, Error, Result};
use crate::functions::{self as F, ConvArgs};
use crate::initializers::{Constant, IntoInitializer, LeCunNormal};
use crate::link::Forward;
use crate::{Chain, Initializer, Parameter, Variable};
use std::marker::PhantomData;

/// Per-axis sizes (kernel size, stride, pad, dilation, outsize): one number
/// for every axis (`3`) or one per axis (`[3, 5]`), as Chainer's `int or
/// tuple` arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes(pub Vec<usize>);

impl From<usize> for Sizes {
    fn from(v: usize) -> Sizes {
        Sizes(vec![v])
    }
}

impl<const N: usize> From<[usize; N]> for Sizes {
    fn from(v: [usize; N]) -> Sizes {
        Sizes(v.to_vec())
    }
}

impl From<&[usize]> for Sizes {
    fn from(v: &[usize]) -> Sizes {
        Sizes(v.to_vec())
    }
}

impl From<Vec<usize>> for Sizes {
    fn from(v: Vec<usize>) -> Sizes {
        Sizes(v)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Conv,
    Deconv,
    Depthwise,
}

/// What a convolution link keeps besides its parameters.
#[derive(Clone, Debug)]
struct Config {
    op: &'static str,
    kind: Kind,
    /// Number of spatial axes.
    nd: usize,
    /// Output channels (the channel multiplier for depthwise).
    out: usize,
    ksize: Vec<usize>,
    args: ConvArgs,
}

impl Config {
    fn ksize(&self) -> Result<Vec<usize>> {
        match self.ksize.len() {
            1 => Ok(vec![self.ksize[0]; self.nd]),
            n if n == self.nd => Ok(self.ksize.clone()),
            _ => Err(Error::Value {
                op: self.op,
                message: format!(
                    "expected ksize with 1 or {} entries, got {:?}",
                    self.nd, self.ksize
                ),
            }),
        }
    }

    /// `W`'s shape for `in_channels` inputs.
    fn w_shape(&self, in_channels: usize) -> Result<Vec<usize>> {
        let g = self.args.groups;
        let divisible = |c: usize| g > 0 && c.is_multiple_of(g);
        if self.kind != Kind::Depthwise && (!divisible(in_channels) || !divisible(self.out)) {
            return Err(Error::Value {
                op: self.op,
                message: format!(
                    "expected in_channels and out_channels divisible by groups, got in_channels {in_channels}, out_channels {}, groups {g}",
                    self.out
                ),
            });
        }
        let mut s = match self.kind {
            Kind::Conv => vec![self.out, in_channels / g],
            Kind::Deconv => vec![in_channels, self.out / g],
            Kind::Depthwise => vec![self.out, in_channels],
        };
        s.extend(self.ksize()?);
        Ok(s)
    }
}

/// Builds a convolution link: the types this module's builders make.
pub trait ConvolutionLink: Sized {
    #[doc(hidden)]
    fn from_parts(w: Parameter, b: Option<Parameter>, cfg: ConvConfig) -> Self;
}

/// The settings a convolution link keeps (opaque).
#[derive(Clone, Debug)]
pub struct ConvConfig(Config);

/// Options of the convolution links (Chainer's keyword arguments); made by
/// each link's `builder`, finished by [`ConvolutionBuilder::build`].
pub struct ConvolutionBuilder<L> {
    cfg: Config,
    in_channels: Option<usize>,
    nobias: bool,
    initial_w: Option<Initializer>,
    initial_bias: Option<Initializer>,
    dtype: DType,
    link: PhantomData<L>,
}

impl<L: ConvolutionLink> ConvolutionBuilder<L> {
    fn new(
        op: &'static str,
        kind: Kind,
        nd: usize,
        in_channels: Option<usize>,
        out: usize,
        ksize: Sizes,
    ) -> ConvolutionBuilder<L> {
        ConvolutionBuilder {
            cfg: Config {
                op,
                kind,
                nd,
                out,
                ksize: ksize.0,
                args: ConvArgs::default(),
            },
            in_channels,
            nobias: false,
            initial_w: None,
            initial_bias: None,
            dtype: DEFAULT_DTYPE,
            link: PhantomData,
        }
    }

    /// The step between windows (Chainer's `stride`, default 1).
    pub fn stride(mut self, s: impl Into<Sizes>) -> Self {
        self.cfg.args.stride = s.into().0;
        self
    }

    /// Zero padding on both sides of each axis (Chainer's `pad`, default 0).
    pub fn pad(mut self, p: impl Into<Sizes>) -> Self {
        self.cfg.args.pad = p.into().0;
        self
    }

    /// Spacing between kernel taps (Chainer's `dilate`, default 1).
    pub fn dilate(mut self, d: impl Into<Sizes>) -> Self {
        self.cfg.args.dilate = d.into().0;
        self
    }

    /// Number of channel groups (Chainer's `groups`, default 1).
    pub fn groups(mut self, g: usize) -> Self {
        self.cfg.args.groups = g;
        self
    }

    /// Whether a convolution adds windows so that every input element is
    /// covered (Chainer's `cover_all`, default false).
    pub fn cover_all(mut self, c: bool) -> Self {
        self.cfg.args.cover_all = c;
        self
    }

    /// The output's spatial size of a deconvolution (Chainer's `outsize`;
    /// default the smallest that fits).
    pub fn outsize(mut self, o: impl Into<Sizes>) -> Self {
        self.cfg.args.outsize = Some(o.into().0);
        self
    }

    /// Whether to leave the bias out (Chainer's `nobias`).
    pub fn nobias(mut self, nobias: bool) -> Self {
        self.nobias = nobias;
        self
    }

    /// The initializer of `W` (Chainer's `initialW`; default `LeCunNormal`).
    pub fn initial_w(mut self, init: impl IntoInitializer) -> Self {
        self.initial_w = Some(init.into_initializer());
        self
    }

    /// The initializer of `b` (Chainer's `initial_bias`; default 0).
    pub fn initial_bias(mut self, init: impl IntoInitializer) -> Self {
        self.initial_bias = Some(init.into_initializer());
        self
    }

    /// The parameters' dtype (default float32).
    pub fn dtype(mut self, dtype: DType) -> Self {
        self.dtype = dtype;
        self
    }

    /// The link. `W` (and a depthwise bias) is initialized now when
    /// `in_channels` is known and the options fit, else at the first forward.
    pub fn build(self) -> L {
        let cfg = self.cfg;
        let w_init = self
            .initial_w
            .unwrap_or_else(|| LeCunNormal::default().into());
        let w_shape = self.in_channels.and_then(|c| cfg.w_shape(c).ok());
        let w = param("W", self.dtype, w_init, w_shape.as_deref());
        let b = (!self.nobias).then(|| {
            let init = self
                .initial_bias
                .unwrap_or_else(|| Constant::new(0.0).into());
            let size = match cfg.kind {
                Kind::Depthwise => self.in_channels.map(|c| c * cfg.out),
                _ => Some(cfg.out),
            };
            param(
                "b",
                self.dtype,
                init,
                size.as_ref().map(std::slice::from_ref),
            )
        });
        L::from_parts(w, b, ConvConfig(cfg))
    }
}

/// The forward shared by all the convolution links.
fn forward(w: &Parameter, b: &Option<Parameter>, cfg: &Config, x: &Variable) -> Result<Variable> {
    let shape = x.shape();
    if shape.len() != cfg.nd + 2 {
        return Err(Error::Shape {
            op: cfg.op,
            message: format!(
                "expected x of {} axes (batch, channels, {} spatial), got x.shape {shape:?}",
                cfg.nd + 2,
                cfg.nd
            ),
        });
    }
    let a = &cfg.args;
    let unused = match cfg.kind {
        Kind::Conv => a.outsize.is_some().then_some("outsize"),
        Kind::Deconv => a.cover_all.then_some("cover_all"),
        Kind::Depthwise => (a.outsize.is_some()
            || a.cover_all
            || a.groups != 1
            || a.dilate.iter().any(|&d| d != 1))
        .then_some("outsize, cover_all, groups or dilate"),
    };
    if let Some(option) = unused {
        return Err(Error::Value {
            op: cfg.op,
            message: format!("expected no {option} option for this link, got {a:?}"),
        });
    }
    let c = shape[1];
    if !w.is_initialized() {
        w.initialize(&cfg.w_shape(c)?)?;
    }
    if let Some(b) = b {
        if !b.is_initialized() {
            b.initialize(&[c * cfg.out])?;
        }
    }
    let wv = w.var()?;
    let bv = b.as_ref().map(Parameter::var).transpose()?;
    match cfg.kind {
        Kind::Conv => F::convolution_nd(x, &wv, bv.as_ref(), &cfg.args),
        Kind::Deconv => F::deconvolution_nd(x, &wv, bv.as_ref(), &cfg.args),
        Kind::Depthwise => F::depthwise_convolution_2d(x, &wv, bv.as_ref(), &cfg.args),
    }
}

macro_rules! conv_link {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Chain, Clone, Debug)]
        pub struct $name {
            /// The filter.
            #[chain(rename = "W")]
            pub w: Parameter,
            /// The bias; `None` with `nobias`.
            pub b: Option<Parameter>,
            #[chain(skip)]
            cfg: ConvConfig,
        }

        impl ConvolutionLink for $name {
            fn from_parts(w: Parameter, b: Option<Parameter>, cfg: ConvConfig) -> Self {
                $name { w, b, cfg }
            }
        }

        impl Forward for $name {
            fn forward(&self, x: &Variable) -> Result<Variable> {
                forward(&self.w, &self.b, &self.cfg.0, x)
            }
        }
    };
}

conv_link! {
    /// Two-dimensional convolution (Chainer's `L.Convolution2D`): `W` is
    /// `(out_channels, in_channels / groups, kh, kw)`, `b` `(out_channels,)`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::Convolution2D, Forward, Variable};
    /// let conv = Convolution2D::new(None, 4, 3);        // in_channels from the data
    /// let y = conv.forward(&Variable::new(Array::ones(&[2, 3, 5, 5], DType::F32)?))?;
    /// assert_eq!((y.shape(), conv.w.array()?.shape().to_vec()), (vec![2, 4, 3, 3], vec![4, 3, 3, 3]));
    /// let strided = Convolution2D::builder(3, 4, [3, 2]).stride(2).pad(1).nobias(true).build();
    /// let y = strided.forward(&Variable::new(Array::ones(&[1, 3, 5, 5], DType::F32)?))?;
    /// assert_eq!(y.shape(), [1, 4, 3, 3]);
    /// # Ok::<(), kusari::Error>(())
    /// ```
    Convolution2D
}

impl Convolution2D {
    /// A convolution with Chainer's defaults (stride 1, no padding, a bias).
    pub fn new(
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> Self {
        Self::builder(in_channels, out_channels, ksize).build()
    }

    /// A builder for the other options.
    pub fn builder(
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> ConvolutionBuilder<Self> {
        ConvolutionBuilder::new(
            "Convolution2D::forward",
            Kind::Conv,
            2,
            in_channels.into(),
            out_channels,
            ksize.into(),
        )
    }
}

conv_link! {
    /// Two-dimensional dilated convolution (Chainer's
    /// `L.DilatedConvolution2D`): a [`Convolution2D`] with `dilate`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::DilatedConvolution2D, Forward, Variable};
    /// let conv = DilatedConvolution2D::new(None, 2, 3, 2);
    /// let y = conv.forward(&Variable::new(Array::ones(&[1, 1, 7, 7], DType::F32)?))?;
    /// assert_eq!(y.shape(), [1, 2, 3, 3]);
    /// # Ok::<(), kusari::Error>(())
    /// ```
    DilatedConvolution2D
}

impl DilatedConvolution2D {
    /// A dilated convolution with stride 1 and no padding.
    pub fn new(
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
        dilate: impl Into<Sizes>,
    ) -> Self {
        Self::builder(in_channels, out_channels, ksize, dilate).build()
    }

    /// A builder for the other options.
    pub fn builder(
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
        dilate: impl Into<Sizes>,
    ) -> ConvolutionBuilder<Self> {
        ConvolutionBuilder::new(
            "DilatedConvolution2D::forward",
            Kind::Conv,
            2,
            in_channels.into(),
            out_channels,
            ksize.into(),
        )
        .dilate(dilate)
    }
}

conv_link! {
    /// Two-dimensional deconvolution (Chainer's `L.Deconvolution2D`): `W` is
    /// `(in_channels, out_channels / groups, kh, kw)`, `b` `(out_channels,)`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::Deconvolution2D, Forward, Variable};
    /// let up = Deconvolution2D::builder(None, 2, 4).stride(2).pad(1).build();
    /// let y = up.forward(&Variable::new(Array::ones(&[1, 3, 4, 4], DType::F32)?))?;
    /// assert_eq!(y.shape(), [1, 2, 8, 8]);
    /// # Ok::<(), kusari::Error>(())
    /// ```
    Deconvolution2D
}

impl Deconvolution2D {
    /// A deconvolution with Chainer's defaults (stride 1, no padding, a bias).
    pub fn new(
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> Self {
        Self::builder(in_channels, out_channels, ksize).build()
    }

    /// A builder for the other options (`outsize` among them).
    pub fn builder(
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> ConvolutionBuilder<Self> {
        ConvolutionBuilder::new(
            "Deconvolution2D::forward",
            Kind::Deconv,
            2,
            in_channels.into(),
            out_channels,
            ksize.into(),
        )
    }
}

conv_link! {
    /// N-dimensional convolution (Chainer's `L.ConvolutionND`): `W` is
    /// `(out_channels, in_channels / groups, k_1, ..., k_N)`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::ConvolutionND, Forward, Variable};
    /// let conv = ConvolutionND::new(3, None, 2, 2);
    /// let y = conv.forward(&Variable::new(Array::ones(&[1, 1, 3, 3, 3], DType::F32)?))?;
    /// assert_eq!(y.shape(), [1, 2, 2, 2, 2]);
    /// # Ok::<(), kusari::Error>(())
    /// ```
    ConvolutionND
}

impl ConvolutionND {
    /// An `ndim`-dimensional convolution with Chainer's defaults.
    pub fn new(
        ndim: usize,
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> Self {
        Self::builder(ndim, in_channels, out_channels, ksize).build()
    }

    /// A builder for the other options.
    pub fn builder(
        ndim: usize,
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> ConvolutionBuilder<Self> {
        ConvolutionBuilder::new(
            "ConvolutionND::forward",
            Kind::Conv,
            ndim,
            in_channels.into(),
            out_channels,
            ksize.into(),
        )
    }
}

conv_link! {
    /// N-dimensional deconvolution (Chainer's `L.DeconvolutionND`): `W` is
    /// `(in_channels, out_channels / groups, k_1, ..., k_N)`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::DeconvolutionND, Forward, Variable};
    /// let up = DeconvolutionND::builder(1, 2, 3, 3).outsize(6).stride(2).build();
    /// let y = up.forward(&Variable::new(Array::ones(&[1, 2, 3], DType::F32)?))?;
    /// assert_eq!(y.shape(), [1, 3, 6]);
    /// # Ok::<(), kusari::Error>(())
    /// ```
    DeconvolutionND
}

impl DeconvolutionND {
    /// An `ndim`-dimensional deconvolution with Chainer's defaults.
    pub fn new(
        ndim: usize,
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> Self {
        Self::builder(ndim, in_channels, out_channels, ksize).build()
    }

    /// A builder for the other options (`outsize` among them).
    pub fn builder(
        ndim: usize,
        in_channels: impl Into<Option<usize>>,
        out_channels: usize,
        ksize: impl Into<Sizes>,
    ) -> ConvolutionBuilder<Self> {
        ConvolutionBuilder::new(
            "DeconvolutionND::forward",
            Kind::Deconv,
            ndim,
            in_channels.into(),
            out_channels,
            ksize.into(),
        )
    }
}

conv_link! {
    /// Depthwise two-dimensional convolution (Chainer's
    /// `L.DepthwiseConvolution2D`): each input channel has its own
    /// `channel_multiplier` filters; `W` is `(channel_multiplier,
    /// in_channels, kh, kw)`, `b` `(in_channels * channel_multiplier,)`.
    ///
    /// ```
    /// use kusari::{array::{Array, DType}, links::DepthwiseConvolution2D, Forward, Variable};
    /// let dw = DepthwiseConvolution2D::new(None, 2, 3);
    /// let y = dw.forward(&Variable::new(Array::ones(&[1, 3, 4, 4], DType::F32)?))?;
    /// assert_eq!(y.shape(), [1, 6, 2, 2]);
    /// # Ok::<(), kusari::Error>(())
    /// ```
    DepthwiseConvolution2D
}

impl DepthwiseConvolution2D {
    /// A depthwise convolution with Chainer's defaults.
    pub fn new(
        in_channels: impl Into<Option<usize>>,
        channel_multiplier: usize,
        ksize: impl Into<Sizes>,
    ) -> Self {
        Self::builder(in_channels, channel_multiplier, ksize).build()
    }

    /// A builder for `stride`, `pad`, `nobias` and the initializers (the
    /// other options are not Chainer's for this link: setting them makes
    /// the forward an error).
    pub fn builder(
        in_channels: impl Into<Option<usize>>,
        channel_multiplier: usize,
        ksize: impl Into<Sizes>,
    ) -> ConvolutionBuilder<Self> {
        ConvolutionBuilder::new(
            "DepthwiseConvolution2D::forward",
            Kind::Depthwise,
            2,
            in_channels.into(),
            channel_multiplier,
            ksize.into(),
        )
    }
}
