//! Universal functions: NumPy's elementwise operations with broadcasting and
//! NumPy's type promotion (NEP 50 for Rust scalars: `f32_array * 2.0` stays `float32`).

use crate::backend::cpu::{InView, OutView};
use crate::layout::{self, Shape};
use crate::{Array, DType, Element, Error, Kind, Result, Scalar};

/// An argument of a ufunc: an array or a weak Rust scalar.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// An array.
    Array(&'a Array),
    /// A scalar; its dtype adapts to the array it meets.
    Scalar(Scalar),
}

impl<'a> From<&'a Array> for Operand<'a> {
    fn from(a: &'a Array) -> Self {
        Operand::Array(a)
    }
}
impl<'a> From<&'a mut Array> for Operand<'a> {
    fn from(a: &'a mut Array) -> Self {
        Operand::Array(a)
    }
}
impl From<Scalar> for Operand<'_> {
    fn from(s: Scalar) -> Self {
        Operand::Scalar(s)
    }
}
macro_rules! operand_from_scalar {
    ($($t:ty),*) => {$( impl From<$t> for Operand<'_> { fn from(v: $t) -> Self { Operand::Scalar(v.into()) } } )*};
}
operand_from_scalar!(bool, u8, i8, i16, i32, i64, u16, u32, usize, isize, f32, f64);

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Elementwise operations of one argument.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Negative,
    Positive,
    Absolute,
    Sign,
    Square,
    Reciprocal,
    Exp,
    Exp2,
    Log,
    Log1p,
    Expm1,
    Log2,
    Log10,
    Sqrt,
    Rsqrt,
    Cbrt,
    Sin,
    Cos,
    Tan,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Tanh,
    Arcsinh,
    Arccosh,
    Arctanh,
    Floor,
    Ceil,
    Trunc,
    Rint,
    Deg2rad,
    Rad2deg,
    Sigmoid,
    IsNan,
    IsInf,
    IsFinite,
    Signbit,
    LogicalNot,
    Invert,
}

/// Elementwise operations of two arguments.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    TrueDivide,
    FloorDivide,
    Remainder,
    Power,
    Maximum,
    Minimum,
    Fmax,
    Fmin,
    Arctan2,
    Hypot,
    Copysign,
    Logaddexp,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
    BitwiseAnd,
    BitwiseOr,
    BitwiseXor,
    LeftShift,
    RightShift,
}

impl UnaryOp {
    /// NumPy's name of the ufunc.
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Negative => "negative",
            Positive => "positive",
            Absolute => "absolute",
            Sign => "sign",
            Square => "square",
            Reciprocal => "reciprocal",
            Exp => "exp",
            Exp2 => "exp2",
            Log => "log",
            Log1p => "log1p",
            Expm1 => "expm1",
            Log2 => "log2",
            Log10 => "log10",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Cbrt => "cbrt",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Arcsin => "arcsin",
            Arccos => "arccos",
            Arctan => "arctan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            Arcsinh => "arcsinh",
            Arccosh => "arccosh",
            Arctanh => "arctanh",
            Floor => "floor",
            Ceil => "ceil",
            Trunc => "trunc",
            Rint => "rint",
            Deg2rad => "deg2rad",
            Rad2deg => "rad2deg",
            Sigmoid => "sigmoid",
            IsNan => "isnan",
            IsInf => "isinf",
            IsFinite => "isfinite",
            Signbit => "signbit",
            LogicalNot => "logical_not",
            Invert => "invert",
        }
    }

    /// `(compute dtype, result dtype)` for an input of `dtype`, following NumPy's loops.
    pub fn resolve(self, dtype: DType) -> Result<(DType, DType)> {
        use UnaryOp::*;
        Ok(match self {
            IsNan | IsInf | IsFinite | Signbit => (dtype, DType::Bool),
            LogicalNot => (DType::Bool, DType::Bool),
            Invert => {
                if dtype.is_float() {
                    return Err(Error::unsupported_dtype(
                        self.name(),
                        "an integer or bool dtype",
                        dtype,
                    ));
                }
                (dtype, dtype)
            }
            Negative | Sign if dtype == DType::Bool => {
                return Err(Error::unsupported_dtype(
                    self.name(),
                    "a numeric dtype (use logical_not for bool)",
                    dtype,
                ))
            }
            Positive | Absolute if dtype == DType::Bool => (DType::Bool, DType::Bool),
            Square | Reciprocal if dtype == DType::Bool => (DType::I8, DType::I8),
            Negative | Positive | Absolute | Sign | Square | Reciprocal => (dtype, dtype),
            // NumPy 2 rounds integers and bools to themselves, keeping the dtype.
            Floor | Ceil | Trunc if !dtype.is_float() => (dtype, dtype),
            _ => {
                let f = dtype.to_float();
                (f, f)
            }
        })
    }
}

impl BinaryOp {
    /// Whether the op compares its operands (`equal`, `less`, ...).
    pub(crate) fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(
            self,
            Equal | NotEqual | Less | LessEqual | Greater | GreaterEqual
        )
    }

    /// NumPy's name of the ufunc.
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Subtract => "subtract",
            Multiply => "multiply",
            TrueDivide => "true_divide",
            FloorDivide => "floor_divide",
            Remainder => "remainder",
            Power => "power",
            Maximum => "maximum",
            Minimum => "minimum",
            Fmax => "fmax",
            Fmin => "fmin",
            Arctan2 => "arctan2",
            Hypot => "hypot",
            Copysign => "copysign",
            Logaddexp => "logaddexp",
            Equal => "equal",
            NotEqual => "not_equal",
            Less => "less",
            LessEqual => "less_equal",
            Greater => "greater",
            GreaterEqual => "greater_equal",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            LogicalXor => "logical_xor",
            BitwiseAnd => "bitwise_and",
            BitwiseOr => "bitwise_or",
            BitwiseXor => "bitwise_xor",
            LeftShift => "left_shift",
            RightShift => "right_shift",
        }
    }

    /// `(op actually run, compute dtype, result dtype)` for inputs promoted to `common`.
    /// `bool` arithmetic maps to logic as in NumPy (`True + True` is `True`).
    pub fn resolve(self, common: DType) -> Result<(BinaryOp, DType, DType)> {
        use BinaryOp::*;
        let b = common == DType::Bool;
        Ok(match self {
            Equal | NotEqual | Less | LessEqual | Greater | GreaterEqual => {
                (self, common, DType::Bool)
            }
            LogicalAnd | LogicalOr | LogicalXor => (self, DType::Bool, DType::Bool),
            Add | Maximum | Fmax if b => (LogicalOr, DType::Bool, DType::Bool),
            Multiply | Minimum | Fmin if b => (LogicalAnd, DType::Bool, DType::Bool),
            Subtract if b => {
                return Err(Error::dtype(
                    "subtract",
                    "the boolean subtract is not supported, use bitwise_xor or logical_xor",
                ))
            }
            FloorDivide | Remainder | Power if b => (self, DType::I8, DType::I8),
            BitwiseAnd | BitwiseOr | BitwiseXor | LeftShift | RightShift => {
                if common.is_float() {
                    return Err(Error::unsupported_dtype(
                        self.name(),
                        "integer or bool inputs",
                        common,
                    ));
                }
                (self, common, common)
            }
            // NumPy divides integers and bools in float64 whatever their size.
            TrueDivide if !common.is_float() => (self, DType::F64, DType::F64),
            TrueDivide | Arctan2 | Hypot | Copysign | Logaddexp => {
                let f = common.to_float();
                (self, f, f)
            }
            _ => (self, common, common),
        })
    }
}

/// Turns operands into arrays, giving scalars the dtype NEP 50 assigns them.
fn materialize(a: Operand<'_>, other: Option<DType>) -> Result<Array> {
    match a {
        Operand::Array(x) => Ok(x.clone()),
        Operand::Scalar(s) => {
            let dt = match other {
                Some(d) => s.result_dtype(d),
                None => s.default_dtype(),
            };
            Array::full(&[], s, dt)
        }
    }
}

/// NEP 50 for a Python int meeting an integer array: the int takes the
/// array's dtype, so it must fit in it. Comparisons then compare exact values
/// (NumPy 2: `int8_array == 300` is all false), so the int is made `int64`;
/// the other ufuncs fail, as NumPy's `OverflowError` does.
fn weak_scalar_dtype(op: BinaryOp, s: Scalar, with: DType) -> Result<DType> {
    let dt = s.result_dtype(with);
    if let Scalar::Int(i) = s {
        let fits = match dt {
            DType::U8 => u8::try_from(i).is_ok(),
            DType::I8 => i8::try_from(i).is_ok(),
            DType::I16 => i16::try_from(i).is_ok(),
            DType::I32 => i32::try_from(i).is_ok(),
            _ => true,
        };
        if !fits {
            if op.is_comparison() {
                return Ok(DType::I64);
            }
            return Err(Error::value(
                op.name(),
                format!("Python integer {i} out of bounds for {dt}"),
            ));
        }
    }
    Ok(dt)
}

/// The two operands of a binary ufunc as arrays, scalars taking their NEP 50 dtype.
fn binary_operands(op: BinaryOp, a: Operand<'_>, b: Operand<'_>) -> Result<(Array, Array)> {
    match (a, b) {
        // The scalar becomes a 0-d array on the other operand's device.
        (Operand::Scalar(s), Operand::Array(y)) => Ok((
            Array::full(&[], s, weak_scalar_dtype(op, s, y.dtype())?)?.to_device(y.device())?,
            y.clone(),
        )),
        (Operand::Array(x), Operand::Scalar(s)) => Ok((
            x.clone(),
            Array::full(&[], s, weak_scalar_dtype(op, s, x.dtype())?)?.to_device(x.device())?,
        )),
        (a, b) => {
            let x = materialize(a, operand_dtype(&b))?;
            let y = materialize(b, Some(x.dtype()))?;
            Ok((x, y))
        }
    }
}

/// NumPy refuses integers to negative integer powers (`2 ** -1` has no integer result).
fn check_int_power(run: BinaryOp, compute: DType, exponent: &Array) -> Result<()> {
    if run == BinaryOp::Power
        && compute.is_integer()
        && exponent.dtype().kind() == Kind::Signed
        && exponent.size() > 0
        && exponent.min(None, false)?.item::<i64>()? < 0
    {
        return Err(Error::value(
            "power",
            "Integers to negative integer powers are not allowed",
        ));
    }
    Ok(())
}

fn operand_dtype(a: &Operand<'_>) -> Option<DType> {
    match a {
        Operand::Array(x) => Some(x.dtype()),
        Operand::Scalar(_) => None,
    }
}

/// NumPy's `result_type` of two operands (weak scalars included).
pub fn result_type<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<DType> {
    let (a, b) = (a.into(), b.into());
    let x = materialize(a, operand_dtype(&b))?;
    let y = materialize(b, Some(x.dtype()))?;
    Ok(x.dtype().promote(y.dtype()))
}

/// Broadcast view of `a` at `shape`, cast to `dtype` (copying only when the dtype differs).
pub(crate) fn prepared(
    op: &'static str,
    a: &Array,
    dtype: DType,
    shape: &[usize],
) -> Result<Array> {
    let a = if a.dtype() == dtype {
        a.clone()
    } else {
        a.astype(dtype)?
    };
    let strides = layout::broadcast_strides(op, a.shape(), a.strides(), shape)?;
    Ok(a.view_with(shape.into(), strides, a.offset()))
}

/// A fresh output of `shape`, in the memory order NumPy's iterator picks from
/// all the inputs (see [`layout::iter_order_strides`]).
pub(crate) fn alloc_like_inputs(dtype: DType, shape: &[usize], inputs: &[&Array]) -> Result<Array> {
    let strides: Vec<layout::Strides> = inputs
        .iter()
        .map(|x| layout::broadcast_strides("alloc", x.shape(), x.strides(), shape))
        .collect::<Result<_>>()?;
    let views: Vec<&[isize]> = strides.iter().map(|s| &s[..]).collect();
    let device = inputs.first().map(|x| x.device()).unwrap_or_default();
    Array::uninit_with_strides(
        dtype,
        shape,
        layout::iter_order_strides(shape, &views),
        device,
    )
}

/// Applies a binary ufunc, allocating the result.
pub fn binary<'a>(
    op: BinaryOp,
    a: impl Into<Operand<'a>>,
    b: impl Into<Operand<'a>>,
) -> Result<Array> {
    let (a, b) = (a.into(), b.into());
    match (a, b) {
        (Operand::Array(x), Operand::Array(y)) => {
            if let Some(out) = binary_same_layout(op, x, y)? {
                return Ok(out);
            }
        }
        (Operand::Array(x), Operand::Scalar(s)) => {
            if let Some(out) = binary_scalar_contiguous(op, x, s, false)? {
                return Ok(out);
            }
        }
        (Operand::Scalar(s), Operand::Array(y)) => {
            if let Some(out) = binary_scalar_contiguous(op, y, s, true)? {
                return Ok(out);
            }
        }
        _ => {}
    }
    let (x, y) = binary_operands(op, a, b)?;
    Array::same_device(op.name(), &x, &y)?;
    let shape = layout::broadcast_shapes(op.name(), x.shape(), y.shape())?;
    let (run, compute, result) = op.resolve(x.dtype().promote(y.dtype()))?;
    check_int_power(run, compute, &y)?;
    let mut out = alloc_like_inputs(result, &shape, &[&x, &y])?;
    let xa = prepared(op.name(), &x, compute, &shape)?;
    let ya = prepared(op.name(), &y, compute, &shape)?;
    run_binary_into(run, compute, &xa, &ya, &mut out)?;
    Ok(out)
}

/// The common case of a model's arithmetic: two C-contiguous host arrays of
/// one shape and dtype. Runs them as flat 1-D loops and skips broadcasting,
/// casting and memory-order analysis (which dominate on tiny arrays).
fn binary_same_layout(op: BinaryOp, x: &Array, y: &Array) -> Result<Option<Array>> {
    if x.shape() != y.shape()
        || x.dtype() != y.dtype()
        || x.device() != crate::Device::Cpu
        || y.device() != crate::Device::Cpu
        || !x.is_c_contiguous()
        || !y.is_c_contiguous()
        || matches!(
            op,
            BinaryOp::Power | BinaryOp::LeftShift | BinaryOp::RightShift
        )
    {
        return Ok(None);
    }
    let (run, compute, result) = op.resolve(x.dtype())?;
    if compute != x.dtype() {
        return Ok(None);
    }
    let n = x.size();
    let flat = |a: &Array| {
        a.view_with(
            Shape::from_slice(&[n]),
            layout::Strides::from_slice(&[1]),
            a.offset(),
        )
    };
    let mut out =
        Array::uninit_with_strides(result, &[n], layout::Strides::from_slice(&[1]), x.device())?;
    run_binary_into(run, compute, &flat(x), &flat(y), &mut out)?;
    Ok(Some(out.view_with(
        x.shape().into(),
        layout::c_strides(x.shape()),
        0,
    )))
}

/// A C-contiguous host array with a weak scalar that needs no cast (e.g.
/// `f32_array * 2.0`): the scalar is read from the stack with stride 0
/// instead of being materialized as a 0-d array.
fn binary_scalar_contiguous(
    op: BinaryOp,
    x: &Array,
    s: Scalar,
    scalar_first: bool,
) -> Result<Option<Array>> {
    if x.device() != crate::Device::Cpu
        || !x.is_c_contiguous()
        || matches!(
            op,
            BinaryOp::Power | BinaryOp::LeftShift | BinaryOp::RightShift
        )
    {
        return Ok(None);
    }
    let sdtype = weak_scalar_dtype(op, s, x.dtype())?;
    if sdtype != x.dtype() {
        return Ok(None);
    }
    let (run, compute, result) = op.resolve(x.dtype())?;
    if compute != x.dtype() {
        return Ok(None);
    }
    let n = x.size();
    let mut out =
        Array::uninit_with_strides(result, &[n], layout::Strides::from_slice(&[1]), x.device())?;
    let zero = [0isize];
    let one = [1isize];
    crate::dispatch_all!(compute, T => {
        let v: T = match s {
            Scalar::Bool(b) => b.cast(),
            Scalar::Int(i) => i.cast(),
            Scalar::Float(f) => f.cast(),
        };
        let sv = InView { ptr: std::ptr::from_ref(&v).cast::<u8>(), strides: &zero };
        let xv = InView { ptr: x.host_ptr(), strides: &one };
        let (l, r) = if scalar_first { (&sv, &xv) } else { (&xv, &sv) };
        crate::backend::cpu::elementwise::binary(run, compute, l, r, OutView::of(&mut out)?)?;
    });
    Ok(Some(out.view_with(
        x.shape().into(),
        layout::c_strides(x.shape()),
        0,
    )))
}

/// [`run_binary`] into a whole array, on whichever device the operands are.
fn run_binary_into(
    op: BinaryOp,
    compute: DType,
    x: &Array,
    y: &Array,
    out: &mut Array,
) -> Result<()> {
    let device = Array::same_device(op.name(), x, y)?;
    // `out` too, before any host view of it (host operands into a device
    // `out` reached its host pointer).
    Array::same_device(op.name(), x, out)?;
    if let crate::Device::Cuda(_) = device {
        return crate::backend::cuda::ops::binary(op, compute, x, y, out);
    }
    run_binary(op, compute, x, y, OutView::of(out)?)
}

fn run_binary(op: BinaryOp, compute: DType, x: &Array, y: &Array, out: OutView<'_>) -> Result<()> {
    x.expect_cpu(op.name())?;
    match op {
        BinaryOp::LeftShift | BinaryOp::RightShift => crate::backend::cpu::elementwise::shift(
            op == BinaryOp::LeftShift,
            compute,
            &InView::of(x),
            &InView::of(y),
            out,
        ),
        _ => crate::backend::cpu::elementwise::binary(
            op,
            compute,
            &InView::of(x),
            &InView::of(y),
            out,
        ),
    }
}

/// Whether NumPy's `same_kind` casting allows `from -> to` (used for `out=` arguments).
pub fn can_cast_same_kind(from: DType, to: DType) -> bool {
    let rank = |k: Kind| match k {
        Kind::Bool => 0,
        Kind::Unsigned | Kind::Signed => 1,
        Kind::Float => 2,
    };
    from.can_cast_safely(to) || rank(from.kind()) <= rank(to.kind())
}

fn check_out(op: &'static str, result: DType, shape: &[usize], out: &Array) -> Result<()> {
    if out.shape() != shape {
        return Err(Error::shape(
            op,
            format!(
                "output of shape {:?} does not match the broadcast shape {shape:?}",
                out.shape()
            ),
        ));
    }
    if !can_cast_same_kind(result, out.dtype()) {
        return Err(Error::dtype(
            op,
            format!(
                "cannot cast the result from {result} to the output's {} under the same_kind rule",
                out.dtype()
            ),
        ));
    }
    Ok(())
}

/// Applies a binary ufunc into an existing array (NumPy's `out=`), casting the
/// result to `out`'s dtype under the `same_kind` rule.
pub fn binary_out<'a>(
    op: BinaryOp,
    a: impl Into<Operand<'a>>,
    b: impl Into<Operand<'a>>,
    out: &mut Array,
) -> Result<()> {
    let (x, y) = binary_operands(op, a.into(), b.into())?;
    let shape = layout::broadcast_shapes(op.name(), x.shape(), y.shape())?;
    let (run, compute, result) = op.resolve(x.dtype().promote(y.dtype()))?;
    check_int_power(run, compute, &y)?;
    check_out(op.name(), result, &shape, out)?;
    let xa = prepared(op.name(), &x, compute, &shape)?;
    let ya = prepared(op.name(), &y, compute, &shape)?;
    if result == out.dtype() && !xa.shares_storage(out) && !ya.shares_storage(out) {
        return run_binary_into(run, compute, &xa, &ya, out);
    }
    let mut tmp = alloc_like_inputs(result, &shape, &[out])?;
    run_binary_into(run, compute, &xa, &ya, &mut tmp)?;
    out.assign(&tmp)
}

/// Applies a binary ufunc in place: `target = op(target, b)` (what `+=` does).
/// Writes into `target`'s buffer when nothing else shares it.
pub fn binary_inplace<'a>(
    op: BinaryOp,
    target: &mut Array,
    b: impl Into<Operand<'a>>,
) -> Result<()> {
    let (_, y) = binary_operands(op, Operand::Array(target), b.into())?;
    // A device `b` into a host `target` reached its host pointer.
    Array::same_device(op.name(), target, &y)?;
    let shape = layout::broadcast_shapes(op.name(), target.shape(), y.shape())?;
    let (run, compute, result) = op.resolve(target.dtype().promote(y.dtype()))?;
    check_int_power(run, compute, &y)?;
    check_out(op.name(), result, &shape, target)?;
    let ya = prepared(op.name(), &y, compute, &shape)?;
    if result == target.dtype() && compute == result && !ya.shares_storage(target) {
        target.make_unique()?;
        let xa = target.clone();
        // SAFETY: `target` was made unique; its only other sharer is `xa`,
        // which reads each element exactly where it is written.
        if let crate::Device::Cuda(_) = xa.device() {
            // Each element is read and written by the same thread.
            return crate::backend::cuda::ops::binary(run, compute, &xa, &ya, target);
        }
        let out = unsafe { OutView::aliased(target) };
        return run_binary(run, compute, &xa, &ya, out);
    }
    let xa = prepared(op.name(), target, compute, &shape)?;
    let mut tmp = alloc_like_inputs(result, &shape, &[target])?;
    run_binary_into(run, compute, &xa, &ya, &mut tmp)?;
    drop(xa);
    target.assign(&tmp)
}

/// Applies a unary ufunc, allocating the result.
pub fn unary(op: UnaryOp, a: &Array) -> Result<Array> {
    let (compute, result) = op.resolve(a.dtype())?;
    let mut out = alloc_like_inputs(result, a.shape(), &[a])?;
    let x = prepared(op.name(), a, compute, a.shape())?;
    if let crate::Device::Cuda(_) = x.device() {
        crate::backend::cuda::ops::unary(op, compute, &x, &out)?;
        return Ok(out);
    }
    x.expect_cpu(op.name())?;
    crate::backend::cpu::elementwise::unary(op, compute, &InView::of(&x), OutView::of(&mut out)?)?;
    Ok(out)
}

/// Applies a unary ufunc into `out` (same shape; result cast under `same_kind`).
pub fn unary_out(op: UnaryOp, a: &Array, out: &mut Array) -> Result<()> {
    let (_, result) = op.resolve(a.dtype())?;
    check_out(op.name(), result, a.shape(), out)?;
    out.assign(&unary(op, a)?)
}

/// `where`'s kernel off the CPU.
pub(crate) const WHERE: super::kernel_path::KernelDef =
    ("kusari_where", "bool c, T x, T y", "T z", "z = c ? x : y;");

/// NumPy's `where(cond, x, y)`: elements of `x` where `cond` is true, else of `y`.
pub fn where_<'a>(
    cond: &Array,
    x: impl Into<Operand<'a>>,
    y: impl Into<Operand<'a>>,
) -> Result<Array> {
    let (x, y) = (x.into(), y.into());
    // Scalars become 0-d arrays on the condition's device; arrays stay
    // where they are (a device mismatch is an error below).
    let on_device = |op: Operand<'_>, other: Option<DType>| -> Result<Array> {
        match op {
            Operand::Scalar(_) => materialize(op, other)?.to_device(cond.device()),
            Operand::Array(_) => materialize(op, other),
        }
    };
    let xa = on_device(x, operand_dtype(&y))?;
    let ya = on_device(y, Some(xa.dtype()))?;
    Array::same_device("where", cond, &xa)?;
    Array::same_device("where", cond, &ya)?;
    let dtype = xa.dtype().promote(ya.dtype());
    let s1 = layout::broadcast_shapes("where", cond.shape(), xa.shape())?;
    let shape = layout::broadcast_shapes("where", &s1, ya.shape())?;
    let c = prepared("where", cond, DType::Bool, &shape)?;
    let xv = prepared("where", &xa, dtype, &shape)?;
    let yv = prepared("where", &ya, dtype, &shape)?;
    if super::kernel_path::use_kernels(c.device()) {
        // One kernel for every dtype: `x`'s binds T (both already cast to it).
        static K: std::sync::OnceLock<crate::ElementwiseKernel> = std::sync::OnceLock::new();
        return super::kernel_path::cached(&K, WHERE).call(&[&c, &xv, &yv]);
    }
    let mut out = alloc_like_inputs(dtype, &shape, &[cond, &xa, &ya])?;
    c.expect_cpu("where")?;
    crate::backend::cpu::elementwise::where_(&c, &xv, &yv, OutView::of(&mut out)?)?;
    Ok(out)
}

/// NumPy's `clip(a, a_min, a_max)`.
pub fn clip<'a>(
    a: &Array,
    lo: impl Into<Operand<'a>>,
    hi: impl Into<Operand<'a>>,
) -> Result<Array> {
    // Scalar bounds become 0-d arrays on `a`'s device; arrays stay where
    // they are (a device mismatch is an error below).
    let bound = |op: Operand<'_>| -> Result<Array> {
        match op {
            Operand::Scalar(_) => materialize(op, Some(a.dtype()))?.to_device(a.device()),
            Operand::Array(_) => materialize(op, Some(a.dtype())),
        }
    };
    let lo = bound(lo.into())?;
    let hi = bound(hi.into())?;
    Array::same_device("clip", a, &lo)?;
    Array::same_device("clip", a, &hi)?;
    let dtype = a.dtype().promote(lo.dtype()).promote(hi.dtype());
    if dtype == DType::Bool {
        return Err(Error::unsupported_dtype("clip", "a numeric dtype", dtype));
    }
    let s1: Shape = layout::broadcast_shapes("clip", a.shape(), lo.shape())?;
    let shape = layout::broadcast_shapes("clip", &s1, hi.shape())?;
    let av = prepared("clip", a, dtype, &shape)?;
    let lv = prepared("clip", &lo, dtype, &shape)?;
    let hv = prepared("clip", &hi, dtype, &shape)?;
    if super::kernel_path::use_kernels(a.device()) {
        // The loop's nan_min(nan_max(x, lo), hi) as NumPy's maximum and minimum.
        let m = binary(BinaryOp::Maximum, &av, &lv)?;
        return binary(BinaryOp::Minimum, &m, &hv);
    }
    let mut out = alloc_like_inputs(dtype, &shape, &[a, &lo, &hi])?;
    a.expect_cpu("clip")?;
    crate::backend::cpu::elementwise::clip(&av, &lv, &hv, OutView::of(&mut out)?)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::kernel_path::forced;

    fn values(a: &Array) -> Vec<f64> {
        a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap()
    }

    fn same(name: &str, cpu: Array, ker: Array) {
        assert_eq!(
            (ker.dtype(), ker.shape()),
            (cpu.dtype(), cpu.shape()),
            "{name}"
        );
        for (i, (a, b)) in values(&cpu).iter().zip(values(&ker)).enumerate() {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{name} [{i}]: {a} vs {b}"
            );
        }
    }

    /// `where` and `clip` off the CPU (forced on it: `where`'s kernel in the
    /// interpreter, `clip` as maximum then minimum) give the loops' results
    /// exactly: every dtype, broadcasting, strided operands, scalars, NaN.
    #[test]
    fn where_and_clip_kernel_paths_match_the_loops() {
        let v: Vec<f64> = (0..24).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        let mut vn = v.clone();
        vn[3] = f64::NAN;
        let base = Array::from_vec(vn, &[4, 6]).unwrap();
        let cond = Array::from_vec(v, &[6, 4])
            .unwrap()
            .t()
            .greater(0.0)
            .unwrap(); // strided
        let row = Array::from_vec((0..6).map(|i| i as f64 * 0.5).collect(), &[6]).unwrap();
        for dtype in [
            DType::Bool,
            DType::U8,
            DType::I32,
            DType::I64,
            DType::F16,
            DType::BF16,
            DType::F32,
            DType::F64,
        ] {
            let x = base.astype(dtype).unwrap();
            let r = row.astype(dtype).unwrap();
            let w = |x: &Array, r: &Array| where_(&cond, x, r);
            same(
                &format!("where {dtype}"),
                w(&x, &r).unwrap(),
                forced(|| w(&x, &r)).unwrap(),
            );
            let ws = || where_(&cond, &x, 2.0);
            same(
                &format!("where scalar {dtype}"),
                ws().unwrap(),
                forced(ws).unwrap(),
            );
            if dtype != DType::Bool {
                let c = || clip(&x, &r, 3.0);
                same(&format!("clip {dtype}"), c().unwrap(), forced(c).unwrap());
                let c2 = || clip(&x.t(), -1.0, 2.0);
                same(
                    &format!("clip scalars {dtype}"),
                    c2().unwrap(),
                    forced(c2).unwrap(),
                );
            }
        }
    }
}
