//! Initial values of parameters (Chainer's `chainer.initializers`), with
//! Chainer's scales and fan computation ([`get_fans`]).
//!
//! Every initializer implements [`ArrayInitializer`] and converts into the
//! [`Initializer`] closure a [`Parameter`](crate::Parameter) keeps for lazy
//! initialization (`Normal::new(0.1).into()`).
//!
//! ## Random numbers and seeding
//! Chainer draws from NumPy's global random state. Here the random
//! initializers draw from a thread-local [`Generator`] (the Philox generator
//! of `kusari::array`), seeded from the operating system's entropy unless
//! [`set_seed`] is called; a training run that calls `set_seed(seed)` before
//! building its model draws the same initial parameters every time (as
//! `numpy.random.seed(seed)` does for Chainer). The numbers themselves differ
//! from NumPy's: the generators differ. [`ArrayInitializer::generate_with`]
//! takes an explicit generator instead (Chainer's `rng=` argument).
//!
//! ```
//! use kusari::{array::DType, initializers::{self, ArrayInitializer, HeNormal}};
//! initializers::set_seed(0);
//! let a = HeNormal::default().generate(&[64, 32], DType::F32)?;
//! initializers::set_seed(0);
//! let b = HeNormal::default().generate(&[64, 32], DType::F32)?;
//! assert_eq!(a.to_vec::<f32>()?, b.to_vec::<f32>()?);
//! # Ok::<(), kusari::Error>(())
//! ```

use crate::array::ops::random::Generator;
use crate::array::{Array, DType, Error, Result};
use crate::Initializer;
use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

thread_local! {
    static RNG: RefCell<Generator> = RefCell::new(Generator::new(entropy_seed()));
}

fn entropy_seed() -> u64 {
    // std's hasher keys are drawn from the OS once per process and then
    // incremented per RandomState, which is all the entropy needed here.
    RandomState::new().build_hasher().finish()
}

/// Reseeds this thread's initializer generator (Chainer users call
/// `numpy.random.seed`): the parameters drawn afterwards are reproducible.
pub fn set_seed(seed: u64) {
    RNG.with(|g| *g.borrow_mut() = Generator::new(seed));
}

/// Runs `f` with this thread's initializer generator (for code that draws
/// initial values itself and wants to follow [`set_seed`]).
pub fn with_rng<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    RNG.with(|g| f(&mut g.borrow_mut()))
}

/// Chainer's `get_fans`: `(fan_in, fan_out)` of a weight shape
/// `(out, in, k1, k2, ...)`: `in * k1 * k2 * ...` and `out * k1 * k2 * ...`.
pub fn get_fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::Shape {
            op: "get_fans",
            message: format!("shape must be of length >= 2, got {shape:?}"),
        });
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

/// Something that makes the initial array of a parameter (Chainer's
/// `chainer.Initializer`; Chainer fills an array in place, Rust returns one).
pub trait ArrayInitializer {
    /// The initial array of `shape` and `dtype`, drawing random numbers (if
    /// any) from `rng`.
    fn generate_with(&self, shape: &[usize], dtype: DType, rng: &mut Generator) -> Result<Array>;

    /// The initial array, drawing from this thread's generator (see [`set_seed`]).
    fn generate(&self, shape: &[usize], dtype: DType) -> Result<Array> {
        with_rng(|g| self.generate_with(shape, dtype, g))
    }
}

fn expect_float(op: &'static str, dtype: DType) -> Result<()> {
    if !dtype.is_float() {
        return Err(Error::DType {
            op,
            message: format!("expected a float dtype for a random initializer, got {dtype}"),
        });
    }
    Ok(())
}

fn fan(op: &'static str, shape: &[usize], which: Fan) -> Result<f64> {
    let (fan_in, fan_out) = get_fans(shape).map_err(|_| Error::Shape {
        op,
        message: format!("needs a weight of at least 2 dimensions (fans), got shape {shape:?}"),
    })?;
    let n = match which {
        Fan::In => fan_in,
        Fan::Out => fan_out,
        Fan::Sum => fan_in + fan_out,
    };
    if n == 0 {
        return Err(Error::Shape {
            op,
            message: format!("the fan of shape {shape:?} is 0"),
        });
    }
    Ok(n as f64)
}

/// Which fan an initializer scales by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fan {
    /// Input units (Chainer's `fan_option='fan_in'`).
    #[default]
    In,
    /// Output units (`fan_option='fan_out'`).
    Out,
    /// Input plus output units (Glorot).
    Sum,
}

/// Fills with one value or broadcasts one array (Chainer's `Constant`).
#[derive(Clone, Debug)]
pub struct Constant {
    fill: ConstantValue,
}

#[derive(Clone, Debug)]
enum ConstantValue {
    Scalar(f64),
    Array(Array),
}

impl Constant {
    /// Every element is `value`.
    pub fn new(value: f64) -> Constant {
        Constant {
            fill: ConstantValue::Scalar(value),
        }
    }

    /// `value` broadcast to the parameter's shape and cast to its dtype.
    pub fn array(value: Array) -> Constant {
        Constant {
            fill: ConstantValue::Array(value),
        }
    }
}

impl ArrayInitializer for Constant {
    fn generate_with(&self, shape: &[usize], dtype: DType, _: &mut Generator) -> Result<Array> {
        match &self.fill {
            ConstantValue::Scalar(v) => Array::full(shape, *v, dtype),
            ConstantValue::Array(a) => {
                let b = a.broadcast_to(shape).map_err(|_| Error::Shape {
                    op: "Constant",
                    message: format!(
                        "cannot broadcast the fill value of shape {:?} to {shape:?}",
                        a.shape()
                    ),
                })?;
                b.astype(dtype)
            }
        }
    }
}

/// Zeros (Chainer's `Zero`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Zero;

impl ArrayInitializer for Zero {
    fn generate_with(&self, shape: &[usize], dtype: DType, _: &mut Generator) -> Result<Array> {
        Array::zeros(shape, dtype)
    }
}

/// Ones (Chainer's `One`).
#[derive(Clone, Copy, Debug, Default)]
pub struct One;

impl ArrayInitializer for One {
    fn generate_with(&self, shape: &[usize], dtype: DType, _: &mut Generator) -> Result<Array> {
        Array::ones(shape, dtype)
    }
}

/// NaNs (Chainer's `NaN`), to catch parameters that are used before being set.
#[derive(Clone, Copy, Debug, Default)]
pub struct NaN;

impl ArrayInitializer for NaN {
    fn generate_with(&self, shape: &[usize], dtype: DType, _: &mut Generator) -> Result<Array> {
        expect_float("NaN", dtype)?;
        Array::full(shape, f64::NAN, dtype)
    }
}

/// `scale` times the identity matrix; square 2-d shapes only (Chainer's `Identity`).
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    /// The diagonal value.
    pub scale: f64,
}

impl Default for Identity {
    fn default() -> Identity {
        Identity { scale: 1.0 }
    }
}

impl ArrayInitializer for Identity {
    fn generate_with(&self, shape: &[usize], dtype: DType, _: &mut Generator) -> Result<Array> {
        if shape.len() != 2 || shape[0] != shape[1] {
            return Err(Error::Shape {
                op: "Identity",
                message: format!(
                    "identity matrix initialization can only be used for 2D squared matrices, got shape {shape:?}"
                ),
            });
        }
        let eye = Array::identity(shape[0], DType::F64)?;
        eye.mul(&Array::full(&[], self.scale, DType::F64)?)?
            .astype(dtype)
    }
}

/// Normal with mean 0 and standard deviation `scale` (Chainer's `Normal`, default 0.05).
#[derive(Clone, Copy, Debug)]
pub struct Normal {
    /// The standard deviation.
    pub scale: f64,
}

impl Normal {
    /// A normal initializer with standard deviation `scale`.
    pub fn new(scale: f64) -> Normal {
        Normal { scale }
    }
}

impl Default for Normal {
    fn default() -> Normal {
        Normal { scale: 0.05 }
    }
}

impl ArrayInitializer for Normal {
    fn generate_with(&self, shape: &[usize], dtype: DType, rng: &mut Generator) -> Result<Array> {
        expect_float("Normal", dtype)?;
        rng.normal(0.0, self.scale, shape, dtype)
    }
}

/// Uniform on `[-scale, scale]` (Chainer's `Uniform`, default 0.05).
#[derive(Clone, Copy, Debug)]
pub struct Uniform {
    /// The half width of the interval.
    pub scale: f64,
}

impl Uniform {
    /// A uniform initializer on `[-scale, scale]`.
    pub fn new(scale: f64) -> Uniform {
        Uniform { scale }
    }
}

impl Default for Uniform {
    fn default() -> Uniform {
        Uniform { scale: 0.05 }
    }
}

impl ArrayInitializer for Uniform {
    fn generate_with(&self, shape: &[usize], dtype: DType, rng: &mut Generator) -> Result<Array> {
        expect_float("Uniform", dtype)?;
        rng.uniform(-self.scale, self.scale, shape, dtype)
    }
}

/// Defines a fan-scaled initializer: `$dist` with scale
/// `scale * sqrt($num / fan)`.
macro_rules! fan_scaled {
    ($(#[$doc:meta])* $name:ident, $dist:ident, $num:expr, $fan:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name {
            /// A constant factor of the computed scale (default 1).
            pub scale: f64,
        }

        impl $name {
            /// The initializer with factor `scale`.
            pub fn new(scale: f64) -> $name {
                $name { scale }
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name { scale: 1.0 }
            }
        }

        impl ArrayInitializer for $name {
            fn generate_with(
                &self,
                shape: &[usize],
                dtype: DType,
                rng: &mut Generator,
            ) -> Result<Array> {
                let n = fan(stringify!($name), shape, $fan)?;
                $dist::new(self.scale * ($num / n).sqrt()).generate_with(shape, dtype, rng)
            }
        }
    };
}

fan_scaled!(
    /// Normal with standard deviation `scale * sqrt(1 / fan_in)` (Chainer's
    /// `LeCunNormal`, the default weight initializer of the links).
    LeCunNormal, Normal, 1.0, Fan::In
);
fan_scaled!(
    /// Normal with standard deviation `scale * sqrt(2 / (fan_in + fan_out))`
    /// (Chainer's `GlorotNormal`).
    GlorotNormal, Normal, 2.0, Fan::Sum
);
fan_scaled!(
    /// Uniform on `[-s, s]`, `s = scale * sqrt(3 / fan_in)` (Chainer's `LeCunUniform`).
    LeCunUniform, Uniform, 3.0, Fan::In
);
fan_scaled!(
    /// Uniform on `[-s, s]`, `s = scale * sqrt(6 / (fan_in + fan_out))`
    /// (Chainer's `GlorotUniform`).
    GlorotUniform, Uniform, 6.0, Fan::Sum
);
fan_scaled!(
    /// Uniform on `[-s, s]`, `s = scale * sqrt(6 / fan_in)` (Chainer's `HeUniform`).
    HeUniform, Uniform, 6.0, Fan::In
);

/// Normal with standard deviation `scale * sqrt(2 / fan)`, `fan` the input
/// units (default) or the output units (Chainer's `HeNormal`).
#[derive(Clone, Copy, Debug)]
pub struct HeNormal {
    /// A constant factor of the computed scale (default 1).
    pub scale: f64,
    /// [`Fan::In`] (default) or [`Fan::Out`].
    pub fan_option: Fan,
}

impl HeNormal {
    /// The initializer with factor `scale`, scaled by the input units.
    pub fn new(scale: f64) -> HeNormal {
        HeNormal {
            scale,
            fan_option: Fan::In,
        }
    }
}

impl Default for HeNormal {
    fn default() -> HeNormal {
        HeNormal::new(1.0)
    }
}

impl ArrayInitializer for HeNormal {
    fn generate_with(&self, shape: &[usize], dtype: DType, rng: &mut Generator) -> Result<Array> {
        if self.fan_option == Fan::Sum {
            return Err(Error::Value {
                op: "HeNormal",
                message: "fan_option should be either Fan::In or Fan::Out, got Fan::Sum".into(),
            });
        }
        let n = fan("HeNormal", shape, self.fan_option)?;
        Normal::new(self.scale * (2.0 / n).sqrt()).generate_with(shape, dtype, rng)
    }
}

/// The shape constraint of [`Orthogonal`] (Chainer's `mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrthogonalMode {
    /// Rows or columns orthonormal, whichever fits the shape.
    #[default]
    Auto,
    /// Fails when `in_dim < out_dim` (rows must be orthonormal).
    Projection,
    /// Fails when `in_dim > out_dim` (columns must be orthonormal).
    Embedding,
    /// Requires a square matrix.
    Basis,
}

/// A scaled (semi-)orthogonal matrix (Chainer's `Orthogonal`, default scale
/// 1.1): the Q factor of a standard normal matrix, made unique by a
/// non-negative diagonal of R. Shapes with more than 2 axes are treated as
/// `(shape[0], product of the rest)`; rows are orthogonal when there are no
/// more rows than columns, columns otherwise.
#[derive(Clone, Copy, Debug)]
pub struct Orthogonal {
    /// The factor the orthonormal system is multiplied by.
    pub scale: f64,
    /// The shape constraint.
    pub mode: OrthogonalMode,
}

impl Orthogonal {
    /// An orthogonal initializer with factor `scale` and no shape constraint.
    pub fn new(scale: f64) -> Orthogonal {
        Orthogonal {
            scale,
            mode: OrthogonalMode::Auto,
        }
    }
}

impl Default for Orthogonal {
    fn default() -> Orthogonal {
        Orthogonal::new(1.1)
    }
}

impl ArrayInitializer for Orthogonal {
    fn generate_with(&self, shape: &[usize], dtype: DType, rng: &mut Generator) -> Result<Array> {
        expect_float("Orthogonal", dtype)?;
        if shape.is_empty() {
            let u = rng.random(&[], DType::F64)?.item::<f64>()?;
            let sign = if u < 0.5 { -1.0 } else { 1.0 };
            return Array::full(&[], self.scale * sign, dtype);
        }
        let out_dim = shape[0];
        let in_dim: usize = shape[1..].iter().product();
        if out_dim * in_dim == 0 {
            return Err(Error::Shape {
                op: "Orthogonal",
                message: format!("array to be initialized must be non-empty, got shape {shape:?}"),
            });
        }
        let (assert_embedding, assert_projection) = match self.mode {
            OrthogonalMode::Auto => (false, false),
            OrthogonalMode::Projection => (false, true),
            OrthogonalMode::Embedding => (true, false),
            OrthogonalMode::Basis => (true, true),
        };
        if (in_dim > out_dim && assert_embedding) || (in_dim < out_dim && assert_projection) {
            return Err(Error::Shape {
                op: "Orthogonal",
                message: format!(
                    "cannot make orthogonal {:?}: shape = {shape:?}, interpreted as {in_dim}-dim input and {out_dim}-dim output",
                    self.mode
                ),
            });
        }
        let a = rng
            .standard_normal(&[out_dim, in_dim], DType::F64)?
            .to_vec::<f64>()?;
        let transpose = in_dim > out_dim;
        // Columns of the tall matrix (rows x cols, rows >= cols).
        let (rows, cols) = if transpose {
            (in_dim, out_dim)
        } else {
            (out_dim, in_dim)
        };
        let mut q: Vec<Vec<f64>> = (0..cols)
            .map(|j| {
                (0..rows)
                    .map(|i| {
                        if transpose {
                            a[j * in_dim + i]
                        } else {
                            a[i * in_dim + j]
                        }
                    })
                    .collect()
            })
            .collect();
        orthonormalize(&mut q)?;
        let mut out = vec![0.0f64; out_dim * in_dim];
        for (j, col) in q.iter().enumerate() {
            for (i, v) in col.iter().enumerate() {
                let idx = if transpose {
                    j * in_dim + i
                } else {
                    i * in_dim + j
                };
                out[idx] = self.scale * v;
            }
        }
        Array::from_vec(out, shape)?.astype(dtype)
    }
}

/// Gram–Schmidt with a second pass (numerically as good as Householder for
/// these well-conditioned random matrices). It yields the Q of the QR
/// factorization whose R has a positive diagonal, the unique one Chainer
/// reaches by flipping NumPy's Q with the signs of R's diagonal.
fn orthonormalize(cols: &mut [Vec<f64>]) -> Result<()> {
    for j in 0..cols.len() {
        let (done, rest) = cols.split_at_mut(j);
        let v = &mut rest[0];
        for _ in 0..2 {
            for q in done.iter() {
                let r: f64 = q.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(q).for_each(|(x, qi)| *x -= r * qi);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(Error::Value {
                op: "Orthogonal",
                message: "the random matrix drawn was rank deficient".into(),
            });
        }
        v.iter_mut().for_each(|x| *x /= norm);
    }
    Ok(())
}

/// What a link's `initial_w`/`initial_bias` option accepts: an initializer,
/// an [`Initializer`] closure, a scalar or an array (a [`Constant`]), as
/// Chainer's `initialW` does.
pub trait IntoInitializer {
    /// The initializer closure.
    fn into_initializer(self) -> Initializer;
}

impl IntoInitializer for Initializer {
    fn into_initializer(self) -> Initializer {
        self
    }
}

impl IntoInitializer for f64 {
    fn into_initializer(self) -> Initializer {
        Constant::new(self).into()
    }
}

impl IntoInitializer for Array {
    fn into_initializer(self) -> Initializer {
        Constant::array(self).into()
    }
}

macro_rules! into_initializer {
    ($($t:ty),*) => {$(
        impl From<$t> for Initializer {
            fn from(init: $t) -> Initializer {
                Box::new(move |shape, dtype| init.generate(shape, dtype))
            }
        }

        impl IntoInitializer for $t {
            fn into_initializer(self) -> Initializer {
                self.into()
            }
        }
    )*};
}

into_initializer!(
    Constant,
    Zero,
    One,
    NaN,
    Identity,
    Normal,
    Uniform,
    LeCunNormal,
    GlorotNormal,
    HeNormal,
    LeCunUniform,
    GlorotUniform,
    HeUniform,
    Orthogonal
);

/// A scalar is a [`Constant`] initializer, as Chainer accepts
/// `initial_bias=0.5`.
impl From<f64> for Constant {
    fn from(v: f64) -> Constant {
        Constant::new(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(a: &Array) -> (f64, f64) {
        let v = a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    #[test]
    fn fans_follow_chainer() {
        assert_eq!(get_fans(&[10, 4, 3, 3]).unwrap(), (36, 90));
        assert_eq!(get_fans(&[10, 4]).unwrap(), (4, 10));
        let e = get_fans(&[10]).unwrap_err();
        assert!(e.to_string().contains("length >= 2"), "{e}");
    }

    #[test]
    fn scaled_initializers_have_chainers_spread() {
        let mut g = Generator::new(1);
        let shape = [200, 100, 3, 3]; // fan_in 900, fan_out 1800
        let (fi, fo) = (900.0f64, 1800.0f64);
        let cases: Vec<(Box<dyn ArrayInitializer>, f64)> = vec![
            (Box::new(Normal::new(0.3)), 0.3),
            (Box::new(LeCunNormal::default()), (1.0 / fi).sqrt()),
            (
                Box::new(GlorotNormal::new(2.0)),
                2.0 * (2.0 / (fi + fo)).sqrt(),
            ),
            (Box::new(HeNormal::default()), (2.0 / fi).sqrt()),
            (
                Box::new(HeNormal {
                    scale: 1.0,
                    fan_option: Fan::Out,
                }),
                (2.0 / fo).sqrt(),
            ),
            // A uniform on [-s, s] has standard deviation s / sqrt(3).
            (Box::new(Uniform::new(0.3)), 0.3 / 3f64.sqrt()),
            (
                Box::new(LeCunUniform::default()),
                (3.0 / fi).sqrt() / 3f64.sqrt(),
            ),
            (
                Box::new(GlorotUniform::default()),
                (6.0 / (fi + fo)).sqrt() / 3f64.sqrt(),
            ),
            (
                Box::new(HeUniform::default()),
                (6.0 / fi).sqrt() / 3f64.sqrt(),
            ),
        ];
        for (i, (init, std)) in cases.iter().enumerate() {
            let a = init.generate_with(&shape, DType::F32, &mut g).unwrap();
            assert_eq!(a.dtype(), DType::F32);
            let (m, s) = stats(&a);
            assert!(m.abs() < 0.01 * std, "case {i}: mean {m}, std {std}");
            assert!(
                (s / std - 1.0).abs() < 0.01,
                "case {i}: std {s}, expected {std}"
            );
        }
    }

    #[test]
    fn uniform_stays_in_its_interval() {
        let a = HeUniform::default()
            .generate_with(&[50, 24], DType::F64, &mut Generator::new(3))
            .unwrap();
        let s = (6.0f64 / 24.0).sqrt();
        assert!(a.to_vec::<f64>().unwrap().iter().all(|v| v.abs() <= s));
    }

    #[test]
    fn constants_and_identity() {
        let mut g = Generator::new(0);
        let c = Constant::new(2.5)
            .generate_with(&[2, 2], DType::F32, &mut g)
            .unwrap();
        assert_eq!(c.to_vec::<f32>().unwrap(), vec![2.5; 4]);
        let row = Array::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
        let c = Constant::array(row)
            .generate_with(&[3, 2], DType::F32, &mut g)
            .unwrap();
        assert_eq!(
            c.to_vec::<f32>().unwrap(),
            vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
        );
        let e = Constant::array(Array::zeros(&[3], DType::F32).unwrap())
            .generate_with(&[2], DType::F32, &mut g)
            .unwrap_err();
        assert!(e.to_string().contains("cannot broadcast"), "{e}");
        assert_eq!(
            Zero.generate_with(&[2], DType::I32, &mut g)
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            vec![0, 0]
        );
        assert_eq!(
            One.generate_with(&[2], DType::F64, &mut g)
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            vec![1.0, 1.0]
        );
        assert!(NaN
            .generate_with(&[2], DType::F32, &mut g)
            .unwrap()
            .to_vec::<f32>()
            .unwrap()[0]
            .is_nan());
        let i = Identity { scale: 3.0 }
            .generate_with(&[2, 2], DType::F32, &mut g)
            .unwrap();
        assert_eq!(i.to_vec::<f32>().unwrap(), vec![3.0, 0.0, 0.0, 3.0]);
        let e = Identity::default()
            .generate_with(&[2, 3], DType::F32, &mut g)
            .unwrap_err();
        assert!(e.to_string().contains("2D squared"), "{e}");
    }

    fn gram(m: &[f64], rows: usize, cols: usize, by_rows: bool) -> Vec<f64> {
        let n = if by_rows { rows } else { cols };
        let len = if by_rows { cols } else { rows };
        let at = |v: usize, k: usize| {
            if by_rows {
                m[v * cols + k]
            } else {
                m[k * cols + v]
            }
        };
        let mut g = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                g[a * n + b] = (0..len).map(|k| at(a, k) * at(b, k)).sum();
            }
        }
        g
    }

    #[test]
    fn orthogonal_rows_or_columns_are_orthonormal_times_scale() {
        let mut g = Generator::new(7);
        // Wide (rows orthogonal), tall (columns orthogonal), and a conv-shaped weight.
        for (shape, rows, cols, by_rows) in [
            (vec![4, 10], 4, 10, true),
            (vec![10, 4], 10, 4, false),
            (vec![3, 2, 2, 2], 3, 8, true),
        ] {
            let a = Orthogonal::new(1.1)
                .generate_with(&shape, DType::F64, &mut g)
                .unwrap();
            assert_eq!(a.shape(), shape.as_slice());
            let m = a.to_vec::<f64>().unwrap();
            let n = if by_rows { rows } else { cols };
            let gm = gram(&m, rows, cols, by_rows);
            for i in 0..n {
                for j in 0..n {
                    let expect = if i == j { 1.21 } else { 0.0 };
                    assert!(
                        (gm[i * n + j] - expect).abs() < 1e-10,
                        "{shape:?} [{i},{j}] {}",
                        gm[i * n + j]
                    );
                }
            }
        }
        let e = Orthogonal {
            scale: 1.0,
            mode: OrthogonalMode::Basis,
        }
        .generate_with(&[2, 3], DType::F32, &mut g)
        .unwrap_err();
        assert!(
            e.to_string().contains("cannot make orthogonal Basis"),
            "{e}"
        );
    }

    #[test]
    fn the_thread_generator_is_reseedable_and_closures_use_it() {
        let init: Initializer = Normal::new(1.0).into();
        set_seed(11);
        let a = init(&[5], DType::F32).unwrap().to_vec::<f32>().unwrap();
        let b = init(&[5], DType::F32).unwrap().to_vec::<f32>().unwrap();
        set_seed(11);
        let c = init(&[5], DType::F32).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(a, c);
        assert_ne!(a, b);
        let e = Normal::default().generate(&[2], DType::I32).unwrap_err();
        assert!(e.to_string().contains("float dtype"), "{e}");
    }
}
