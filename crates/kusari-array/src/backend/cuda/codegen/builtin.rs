//! The built-in kernels as specs: every ufunc of `ops::ufunc` per dtype, the
//! dtype cast/copy, the reductions of `ops::reduce`, take/scatter_add, and
//! Philox random bits. Each spec goes through the same templates as a user
//! kernel; the operation strings follow the CPU backend's semantics
//! (`backend/cpu/elementwise.rs`), which follow NumPy's.

use super::elementwise::spec_error;
use super::{compute_ctype, ctype, ArgLayout, ElementwiseSpec, Param, ReductionSpec};
use crate::ops::ufunc::{BinaryOp, UnaryOp};
use crate::{DType, Result};

/// `name` of the float math function for compute type `c` (`expf` for float).
fn fm(name: &str, c: &str) -> String {
    if c == "float" {
        format!("{name}f")
    } else {
        name.to_string()
    }
}

/// The expression of `op` on `a` (already in the compute C type), or `None`
/// if the CPU backend has no kernel for this dtype.
fn unary_expr(op: UnaryOp, cd: DType) -> Option<String> {
    use UnaryOp::*;
    let c = compute_ctype(cd);
    if cd == DType::Bool {
        return Some(
            match op {
                LogicalNot | Invert => "!a",
                Positive | Absolute | Floor | Ceil | Trunc => "a",
                IsNan | IsInf | Signbit => "false",
                IsFinite => "true",
                _ => return None,
            }
            .into(),
        );
    }
    if !cd.is_float() {
        return Some(match op {
            Negative => "k_neg(a)".into(),
            Positive | Floor | Ceil | Trunc => "a".into(),
            Absolute => "(a < 0 ? k_neg(a) : a)".into(),
            Sign => format!("(a > 0 ? ({c})1 : (a < 0 ? k_neg(({c})1) : ({c})0))"),
            Square => "k_mul(a, a)".into(),
            Reciprocal => format!("k_floordiv(({c})1, a)"),
            IsNan | IsInf => "false".into(),
            IsFinite => "true".into(),
            Signbit => "(a < 0)".into(),
            Invert => format!("({c})(~a)"),
            _ => return None,
        });
    }
    let f = |n: &str| format!("{}(a)", fm(n, c));
    Some(match op {
        Negative => "-a".into(),
        Positive => "a".into(),
        Absolute => f("fabs"),
        Sign => format!("(a > ({c})0 ? ({c})1 : (a < ({c})0 ? ({c})-1 : a))"),
        Square => "a * a".into(),
        Reciprocal => format!("({c})1 / a"),
        Exp => f("exp"),
        Exp2 => f("exp2"),
        Log => f("log"),
        Log1p => f("log1p"),
        Expm1 => f("expm1"),
        Log2 => f("log2"),
        Log10 => f("log10"),
        Sqrt => f("sqrt"),
        // 1/sqrt, not rsqrt: the CPU computes it so, and results must agree.
        Rsqrt => format!("({c})1 / {}(a)", fm("sqrt", c)),
        Cbrt => f("cbrt"),
        Sin => f("sin"),
        Cos => f("cos"),
        Tan => f("tan"),
        Arcsin => f("asin"),
        Arccos => f("acos"),
        Arctan => f("atan"),
        Sinh => f("sinh"),
        Cosh => f("cosh"),
        Tanh => f("tanh"),
        Arcsinh => f("asinh"),
        Arccosh => f("acosh"),
        Arctanh => f("atanh"),
        Floor => f("floor"),
        Ceil => f("ceil"),
        Trunc => f("trunc"),
        // rint rounds half to even, as Rust's round_ties_even.
        Rint => f("rint"),
        Deg2rad => format!("a * ({c}){:?}", std::f64::consts::PI / 180.0),
        Rad2deg => format!("a * ({c}){:?}", 180.0 / std::f64::consts::PI),
        Sigmoid => format!("({c})1 / (({c})1 + {}(-a))", fm("exp", c)),
        IsNan => "isnan(a)".into(),
        IsInf => "isinf(a)".into(),
        IsFinite => "isfinite(a)".into(),
        Signbit => "signbit(a)".into(),
        LogicalNot | Invert => return None,
    })
}

/// The expression of `op` on `a`, `b` (in the compute C type), or `None`.
fn binary_expr(op: BinaryOp, cd: DType) -> Option<String> {
    use BinaryOp::*;
    let c = compute_ctype(cd);
    let cmp = |o: &str| Some(format!("(a {o} b)"));
    match op {
        Equal => return cmp("=="),
        NotEqual => return cmp("!="),
        Less => return cmp("<"),
        LessEqual => return cmp("<="),
        Greater => return cmp(">"),
        GreaterEqual => return cmp(">="),
        _ => {}
    }
    if cd == DType::Bool {
        return Some(
            match op {
                LogicalAnd | BitwiseAnd => "(a && b)",
                LogicalOr | BitwiseOr => "(a || b)",
                LogicalXor | BitwiseXor => "(a != b)",
                _ => return None,
            }
            .into(),
        );
    }
    if !cd.is_float() {
        return Some(match op {
            Add => "k_add(a, b)".into(),
            Subtract => "k_sub(a, b)".into(),
            Multiply => "k_mul(a, b)".into(),
            FloorDivide => "k_floordiv(a, b)".into(),
            Remainder => "k_mod(a, b)".into(),
            Power => "k_ipow(a, b)".into(),
            Maximum => "k_max(a, b)".into(),
            Minimum => "k_min(a, b)".into(),
            Fmax => "k_fmax(a, b)".into(),
            Fmin => "k_fmin(a, b)".into(),
            BitwiseAnd => format!("({c})(a & b)"),
            BitwiseOr => format!("({c})(a | b)"),
            BitwiseXor => format!("({c})(a ^ b)"),
            LeftShift => "k_shl(a, b)".into(),
            RightShift => "k_shr(a, b)".into(),
            _ => return None,
        });
    }
    let f2 = |n: &str| Some(format!("{}(a, b)", fm(n, c)));
    match op {
        Add => Some("a + b".into()),
        Subtract => Some("a - b".into()),
        Multiply => Some("a * b".into()),
        TrueDivide => Some("a / b".into()),
        FloorDivide => Some("k_ffloordiv(a, b)".into()),
        Remainder => Some("k_fmod(a, b)".into()),
        Power => f2("pow"),
        Maximum => Some("k_max(a, b)".into()),
        Minimum => Some("k_min(a, b)".into()),
        Fmax => Some("k_fmax(a, b)".into()),
        Fmin => Some("k_fmin(a, b)".into()),
        Arctan2 => f2("atan2"),
        Hypot => f2("hypot"),
        Copysign => f2("copysign"),
        Logaddexp => Some("k_logaddexp(a, b)".into()),
        _ => None,
    }
}

/// The dtypes a unary ufunc has its own loop for: those it computes in itself.
pub(crate) fn unary_dtypes(op: UnaryOp) -> Vec<(DType, DType)> {
    crate::ALL_DTYPES
        .iter()
        .filter_map(|&d| match op.resolve(d) {
            Ok((cd, rd)) if cd == d && unary_expr(op, cd).is_some() => Some((cd, rd)),
            _ => None,
        })
        .collect()
}

/// The compute dtypes a binary ufunc has a loop for (after `BinaryOp::resolve`).
pub(crate) fn binary_dtypes(op: BinaryOp) -> Vec<(DType, DType)> {
    crate::ALL_DTYPES
        .iter()
        .filter_map(|&d| match op.resolve(d) {
            Ok((run, cd, rd)) if run == op && cd == d && binary_expr(op, cd).is_some() => {
                Some((cd, rd))
            }
            _ => None,
        })
        .collect()
}

/// The kernel of unary ufunc `op` on compute dtype `cd` (input `x`, output `z`
/// of the result dtype); `layout` is for `[x, z]`.
pub(crate) fn unary_spec(
    op: UnaryOp,
    cd: DType,
    layout: [ArgLayout; 2],
    index_32bit: bool,
) -> Result<ElementwiseSpec> {
    let name = format!("{}_{}", op.name(), cd.name());
    let (c, rd) = op.resolve(cd)?;
    let expr = unary_expr(op, cd).filter(|_| c == cd).ok_or_else(|| {
        spec_error(
            &name,
            format!("expected a dtype {} has a loop for, found {cd}", op.name()),
        )
    })?;
    let cc = compute_ctype(cd);
    let operation = format!(
        "const {cc} a = k_cast<{cc}>(x); z = k_cast<{}>({expr})",
        ctype(rd)
    );
    Ok(ElementwiseSpec::simple(
        &name,
        vec![Param::input("x", cd), Param::output("z", rd)],
        &operation,
        layout.to_vec(),
        index_32bit,
    ))
}

/// The kernel of binary ufunc `op` on compute dtype `cd` (inputs `x`, `y`,
/// output `z`); `layout` is for `[x, y, z]` (a scalar operand may be `Scalar`).
pub(crate) fn binary_spec(
    op: BinaryOp,
    cd: DType,
    layout: [ArgLayout; 3],
    index_32bit: bool,
) -> Result<ElementwiseSpec> {
    let name = format!("{}_{}", op.name(), cd.name());
    let (run, c, rd) = op.resolve(cd)?;
    let expr = binary_expr(op, cd)
        .filter(|_| run == op && c == cd)
        .ok_or_else(|| {
            spec_error(
                &name,
                format!("expected a dtype {} has a loop for, found {cd}", op.name()),
            )
        })?;
    let cc = compute_ctype(cd);
    let operation = format!(
        "const {cc} a = k_cast<{cc}>(x); const {cc} b = k_cast<{cc}>(y); z = k_cast<{}>({expr})",
        ctype(rd)
    );
    Ok(ElementwiseSpec::simple(
        &name,
        vec![
            Param::input("x", cd),
            Param::input("y", cd),
            Param::output("z", rd),
        ],
        &operation,
        layout.to_vec(),
        index_32bit,
    ))
}

/// The copy kernel from `from` to `to` (NumPy's `astype`; also transpose and
/// any strided copy, which are copies between layouts).
pub(crate) fn cast_spec(
    from: DType,
    to: DType,
    layout: [ArgLayout; 2],
    index_32bit: bool,
) -> ElementwiseSpec {
    ElementwiseSpec::simple(
        &format!("copy_{}_{}", from.name(), to.name()),
        vec![Param::input("x", from), Param::output("z", to)],
        &format!("z = k_cast<{}>(x)", ctype(to)),
        layout.to_vec(),
        index_32bit,
    )
}

/// `where(cond, x, y)` for `dtype` (layout `[cond, x, y, z]`).
pub(crate) fn where_spec(
    dtype: DType,
    layout: [ArgLayout; 4],
    index_32bit: bool,
) -> ElementwiseSpec {
    ElementwiseSpec::simple(
        &format!("where_{}", dtype.name()),
        vec![
            Param::input("c", DType::Bool),
            Param::input("x", dtype),
            Param::input("y", dtype),
            Param::output("z", dtype),
        ],
        "z = c ? x : y",
        layout.to_vec(),
        index_32bit,
    )
}

/// `take` along an axis: `a` viewed as `(pre, cdim, rdim)` (raw), `indices`
/// (raw, any integer dtype, validated by the caller; clamped so a bad one
/// cannot read outside `a`), output `(pre, n_indices, rdim)` non-raw.
/// Scalars `cdim`, `rdim` (long long).
pub(crate) fn take_spec(
    dtype: DType,
    index: DType,
    a_layout: ArgLayout,
    out_layout: ArgLayout,
    index_32bit: bool,
) -> ElementwiseSpec {
    let one = ArgLayout::Array {
        ndim: 1,
        c_contiguous: true,
    };
    ElementwiseSpec::simple(
        &format!("take_{}_{}", dtype.name(), index.name()),
        vec![
            Param::raw("a", dtype, false),
            Param::raw("indices", index, false),
            Param::input("cdim", DType::I64),
            Param::input("rdim", DType::I64),
            Param::output("out", dtype),
        ],
        "const long long n = indices.size();\n    \
         const long long ri = (long long)i % rdim;\n    \
         const long long k = ((long long)i / rdim) % n;\n    \
         const long long li = (long long)i / (rdim * n);\n    \
         long long ix = (long long)indices[(index_t)k];\n    \
         if (ix < 0) ix += cdim;\n    \
         ix = ix < 0 ? 0 : (ix >= cdim ? cdim - 1 : ix);\n    \
         out = a[(index_t)((li * cdim + ix) * rdim + ri)]",
        vec![
            a_layout,
            one,
            ArgLayout::Scalar,
            ArgLayout::Scalar,
            out_layout,
        ],
        index_32bit,
    )
}

/// The dtypes `atomicAdd` serves on sm_80+ (scatter_add's).
pub(crate) const SCATTER_ADD_DTYPES: [DType; 6] = [
    DType::I32,
    DType::I64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
];

/// `scatter_add` along an axis: `a` (raw output, `(pre, cdim, rdim)`) gets
/// `values` (non-raw, `(pre, n_indices, rdim)`) added at `indices` with
/// atomics, so repeated indices accumulate.
pub(crate) fn scatter_add_spec(
    dtype: DType,
    index: DType,
    a_layout: ArgLayout,
    values_layout: ArgLayout,
    index_32bit: bool,
) -> Result<ElementwiseSpec> {
    let name = format!("scatter_add_{}_{}", dtype.name(), index.name());
    if !SCATTER_ADD_DTYPES.contains(&dtype) {
        return Err(spec_error(
            &name,
            format!("expected one of {SCATTER_ADD_DTYPES:?} (atomicAdd), found {dtype}"),
        ));
    }
    let add = if dtype == DType::I64 {
        "atomicAdd((unsigned long long*)&a[at], (unsigned long long)v)"
    } else {
        "atomicAdd(&a[at], v)"
    };
    let one = ArgLayout::Array {
        ndim: 1,
        c_contiguous: true,
    };
    Ok(ElementwiseSpec::simple(
        &name,
        vec![
            Param::raw("a", dtype, true),
            Param::raw("indices", index, false),
            Param::input("cdim", DType::I64),
            Param::input("rdim", DType::I64),
            Param::input("v", dtype),
        ],
        &format!(
            "const long long n = indices.size();\n    \
             const long long ri = (long long)i % rdim;\n    \
             const long long k = ((long long)i / rdim) % n;\n    \
             const long long li = (long long)i / (rdim * n);\n    \
             long long ix = (long long)indices[(index_t)k];\n    \
             if (ix < 0) ix += cdim;\n    \
             if (ix >= 0 && ix < cdim) {{ const index_t at = (index_t)((li * cdim + ix) * rdim + ri); {add}; }}"
        ),
        vec![a_layout, one, ArgLayout::Scalar, ArgLayout::Scalar, values_layout],
        index_32bit,
    ))
}

// ---- fused nn kernels (ops::nn) ----------------------------------------------------

/// The elementwise gradients of `ops::nn`, fused into one kernel each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum NnGrad {
    /// `gy` where `y > 0`, else 0.
    Relu,
    /// `gy * y * (1 - y)` from the sigmoid's output.
    Sigmoid,
    /// `gy * (1 - y * y)` from tanh's output.
    Tanh,
}

/// Every fused gradient, for the catalog.
pub(crate) const NN_GRADS: [NnGrad; 3] = [NnGrad::Relu, NnGrad::Sigmoid, NnGrad::Tanh];

/// The fused gradient `g` for float `dtype` (inputs `y`, `gy`, output `gx`;
/// computed in float for the half types and float32, double for float64, as the CPU).
pub(crate) fn nn_grad_spec(
    g: NnGrad,
    dtype: DType,
    layout: [ArgLayout; 3],
    index_32bit: bool,
) -> Result<ElementwiseSpec> {
    let name = match g {
        NnGrad::Relu => "relu_grad",
        NnGrad::Sigmoid => "sigmoid_grad",
        NnGrad::Tanh => "tanh_grad",
    };
    let name = format!("{name}_{}", dtype.name());
    if !dtype.is_float() {
        return Err(spec_error(
            &name,
            format!("expected a float dtype, found {dtype}"),
        ));
    }
    let c = compute_ctype(dtype);
    let expr = match g {
        NnGrad::Relu => format!("(a > ({c})0 ? b : ({c})0)"),
        NnGrad::Sigmoid => format!("b * a * (({c})1 - a)"),
        NnGrad::Tanh => format!("b * (({c})1 - a * a)"),
    };
    Ok(ElementwiseSpec::simple(
        &name,
        vec![
            Param::input("y", dtype),
            Param::input("gy", dtype),
            Param::output("gx", dtype),
        ],
        &format!(
            "const {c} a = k_cast<{c}>(y); const {c} b = k_cast<{c}>(gy); gx = k_cast<{}>({expr})",
            ctype(dtype)
        ),
        layout.to_vec(),
        index_32bit,
    ))
}

// ---- reductions ----------------------------------------------------------------

/// The reductions the CPU side offers (var/std compose mean and ufuncs;
/// cumsum/cumprod/logsumexp are not generated yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reduction {
    /// `sum` (floats accumulate in double, integers in long long, as the CPU).
    Sum,
    /// `prod`.
    Prod,
    /// `max` (NaN propagates).
    Max,
    /// `min`.
    Min,
    /// `all`.
    All,
    /// `any`.
    Any,
    /// `mean` (sum / count).
    Mean,
    /// `argmax` over the reduced dims flattened (first index wins ties; NaN wins).
    Argmax,
    /// `argmin`.
    Argmin,
}

/// Every reduction, for the catalog.
pub(crate) const REDUCTIONS: [Reduction; 9] = [
    Reduction::Sum,
    Reduction::Prod,
    Reduction::Max,
    Reduction::Min,
    Reduction::All,
    Reduction::Any,
    Reduction::Mean,
    Reduction::Argmax,
    Reduction::Argmin,
];

impl Reduction {
    /// NumPy's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Prod => "prod",
            Reduction::Max => "max",
            Reduction::Min => "min",
            Reduction::All => "all",
            Reduction::Any => "any",
            Reduction::Mean => "mean",
            Reduction::Argmax => "argmax",
            Reduction::Argmin => "argmin",
        }
    }

    /// The output dtype for input `dtype` (as `ops::reduce`).
    pub(crate) fn out_dtype(self, dtype: DType) -> DType {
        match self {
            Reduction::Sum | Reduction::Prod => crate::ops::reduce::sum_dtype(dtype),
            Reduction::Mean => crate::ops::reduce::mean_dtype(dtype),
            Reduction::Max | Reduction::Min => dtype,
            Reduction::All | Reduction::Any => DType::Bool,
            Reduction::Argmax | Reduction::Argmin => DType::I64,
        }
    }
}

/// `+inf` / `-inf` or the integer extremes of compute type `c`, as C expressions.
fn extreme(c: &str, high: bool) -> String {
    match (c, high) {
        ("float", true) => "__int_as_float(0x7f800000)".into(),
        ("float", false) => "__int_as_float(0xff800000)".into(),
        ("double", true) => "__longlong_as_double(0x7ff0000000000000LL)".into(),
        ("double", false) => "__longlong_as_double(0xfff0000000000000ULL)".into(),
        ("bool", h) => h.to_string(),
        ("unsigned char", true) => "(unsigned char)255".into(),
        ("unsigned char", false) => "(unsigned char)0".into(),
        ("signed char", h) => if h {
            "(signed char)127"
        } else {
            "(signed char)(-128)"
        }
        .into(),
        ("short", h) => if h { "(short)32767" } else { "(short)(-32768)" }.into(),
        ("int", h) => if h { "2147483647" } else { "(-2147483647 - 1)" }.into(),
        (_, h) => if h {
            "9223372036854775807LL"
        } else {
            "(-9223372036854775807LL - 1)"
        }
        .into(),
    }
}

/// The spec of reduction `r` on input dtype `dtype` (input `x`, output `y`).
pub(crate) fn reduction_spec(
    r: Reduction,
    dtype: DType,
    in_layout: ArgLayout,
    out_layout: ArgLayout,
    index_32bit: bool,
) -> Result<ReductionSpec> {
    use Reduction::*;
    let name = format!("{}_{}", r.name(), dtype.name());
    let od = r.out_dtype(dtype);
    let ot = ctype(od);
    let c = compute_ctype(dtype);
    let acc = if dtype.is_float() {
        "double"
    } else {
        "long long"
    };
    let (reduce_type, map, reduce, post, identity): (String, String, String, String, String) =
        match r {
            Sum | Mean => (
                acc.into(),
                format!("k_cast<{acc}>(x)"),
                if dtype.is_float() {
                    "a + b"
                } else {
                    "k_add(a, b)"
                }
                .into(),
                if r == Mean {
                    format!("y = k_cast<{ot}>((double)a / (double)(_in_ind.size() / (_out_ind.size() > 0 ? _out_ind.size() : 1)))")
                } else {
                    format!("y = k_cast<{ot}>(a)")
                },
                "0".into(),
            ),
            Prod => (
                acc.into(),
                format!("k_cast<{acc}>(x)"),
                if dtype.is_float() {
                    "a * b"
                } else {
                    "k_mul(a, b)"
                }
                .into(),
                format!("y = k_cast<{ot}>(a)"),
                "1".into(),
            ),
            Max | Min if dtype == DType::Bool => (
                "bool".into(),
                "x".into(),
                if r == Max { "a || b" } else { "a && b" }.into(),
                "y = a".into(),
                (r == Min).to_string(),
            ),
            Max | Min => (
                c.into(),
                format!("k_cast<{c}>(x)"),
                if r == Max {
                    "k_max(a, b)"
                } else {
                    "k_min(a, b)"
                }
                .into(),
                format!("y = k_cast<{ot}>(a)"),
                extreme(c, r == Min),
            ),
            All | Any => (
                "bool".into(),
                "k_cast<bool>(x)".into(),
                if r == All { "a && b" } else { "a || b" }.into(),
                "y = a".into(),
                (r == All).to_string(),
            ),
            Argmax | Argmin => (
                format!("KArg<{c}>"),
                format!("k_arg<{c}>(k_cast<{c}>(x), (long long)_J)"),
                format!("k_{}_merge(a, b)", r.name()),
                "y = a.i".into(),
                format!(
                    "k_arg<{c}>({}, 9223372036854775807LL)",
                    extreme(c, r == Argmin)
                ),
            ),
        };
    Ok(ReductionSpec {
        name,
        in_params: vec![Param::input("x", dtype)],
        out_params: vec![Param::output("y", od)],
        map_expr: map,
        reduce_expr: reduce,
        post_map_expr: post,
        identity,
        reduce_type,
        typedefs: vec![],
        preamble: String::new(),
        in_layout: vec![in_layout],
        out_layout: vec![out_layout],
        index_32bit,
    })
}

// ---- Philox4x32-10 ----------------------------------------------------------------

/// The device Philox block function, the same rounds as
/// `ops::random::philox4x32_10` (mirrored in Rust by [`philox_device_mirror`]).
pub(crate) const PHILOX_PREAMBLE: &str = r#"
struct KPhilox { unsigned int c[4]; };
__device__ __forceinline__ KPhilox k_philox(unsigned int c0, unsigned int c1, unsigned int c2, unsigned int c3,
                                            unsigned int k0, unsigned int k1) {
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
    const unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    const unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    const unsigned int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
  }
  KPhilox r; r.c[0] = c0; r.c[1] = c1; r.c[2] = c2; r.c[3] = c3;
  return r;
}
// Block `counter + b` of the stream (128-bit counter as four little-endian words).
// `key` is key word 0 | word 1 << 32, `ctr_lo`/`ctr_hi` the counter's low and high 64 bits.
__device__ __forceinline__ KPhilox k_philox_block(unsigned long long b, unsigned long long key,
                                                  unsigned long long ctr_lo, unsigned long long ctr_hi) {
  unsigned long long sum = ctr_lo + b;
  unsigned long long hi = ctr_hi + (sum < ctr_lo ? 1ull : 0ull);
  return k_philox((unsigned int)sum, (unsigned int)(sum >> 32), (unsigned int)hi, (unsigned int)(hi >> 32),
                  (unsigned int)key, (unsigned int)(key >> 32));
}
"#;

/// What the device's `k_philox` computes, step for step (`__umulhi` as the
/// high word of a 64-bit product, unsigned wrapping adds); tests pin it to
/// the CPU generator's `philox4x32_10`.
pub(crate) fn philox_device_mirror(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let umulhi = |a: u32, b: u32| ((u64::from(a) * u64::from(b)) >> 32) as u32;
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(0x9E37_79B9);
            k1 = k1.wrapping_add(0xBB67_AE85);
        }
        let (hi0, lo0) = (umulhi(0xD251_1F53, c0), 0xD251_1F53u32.wrapping_mul(c0));
        let (hi1, lo1) = (umulhi(0xCD9E_8D57, c2), 0xCD9E_8D57u32.wrapping_mul(c2));
        let (n0, n2) = (hi1 ^ c1 ^ k0, hi0 ^ c3 ^ k1);
        (c0, c1, c2, c3) = (n0, lo1, n2, lo0);
    }
    [c0, c1, c2, c3]
}

/// The mirror of `k_philox_block`'s 128-bit counter addition.
pub(crate) fn philox_block_mirror(b: u64, key: [u32; 2], ctr: [u32; 4]) -> [u32; 4] {
    let lo = u64::from(ctr[1]) << 32 | u64::from(ctr[0]);
    let sum = lo.wrapping_add(b);
    let hi = (u64::from(ctr[3]) << 32 | u64::from(ctr[2])).wrapping_add(u64::from(sum < lo));
    philox_device_mirror(
        [sum as u32, (sum >> 32) as u32, hi as u32, (hi >> 32) as u32],
        key,
    )
}

/// `Generator::random` on the device: the loop runs over stream blocks
/// (`ceil(n / K)`, `K` = 2 for float64, 4 otherwise, as the CPU layout), each
/// thread writing the `K` values of its block into raw contiguous `out` of
/// `n` elements, so the stream equals the CPU's for the same key and counter.
/// Scalars (long long, bit patterns): `key` (word 0 | word 1 << 32),
/// `ctr_lo`, `ctr_hi` (the 128-bit block counter), then `n`.
pub(crate) fn random_spec(dtype: DType, index_32bit: bool) -> Result<ElementwiseSpec> {
    let name = format!("random_{}", dtype.name());
    let (k, conv) = match dtype {
        DType::F64 => (2, "(double)((((unsigned long long)w.c[2 * j + 1] << 32) | w.c[2 * j]) >> 11) * (1.0 / 9007199254740992.0)"),
        DType::F32 => (4, "(float)(w.c[j] >> 8) * (1.0f / 16777216.0f)"),
        DType::F16 => (4, "__float2half_rn((float)(w.c[j] >> 21) * (1.0f / 2048.0f))"),
        DType::BF16 => (4, "__float2bfloat16_rn((float)(w.c[j] >> 24) * (1.0f / 256.0f))"),
        d => return Err(spec_error(&name, format!("expected a float dtype, found {d}"))),
    };
    let one = ArgLayout::Array {
        ndim: 1,
        c_contiguous: true,
    };
    let mut spec = ElementwiseSpec::simple(
        &name,
        vec![
            Param::raw("out", dtype, true),
            Param::input("key", DType::I64),
            Param::input("ctr_lo", DType::I64),
            Param::input("ctr_hi", DType::I64),
            Param::input("n", DType::I64),
        ],
        &format!(
            "const KPhilox w = k_philox_block((unsigned long long)i, (unsigned long long)key, (unsigned long long)ctr_lo, (unsigned long long)ctr_hi);\n    \
             #pragma unroll\n    \
             for (int j = 0; j < {k}; ++j) {{ const long long e = (long long)i * {k} + j; if (e < n) out[(index_t)e] = {conv}; }}"
        ),
        vec![one, ArgLayout::Scalar, ArgLayout::Scalar, ArgLayout::Scalar, ArgLayout::Scalar],
        index_32bit,
    );
    spec.preamble = PHILOX_PREAMBLE.to_string();
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::super::TypeRef;
    use super::*;
    use crate::ops::random::philox4x32_10;
    use proptest::prelude::*;

    #[test]
    fn every_resolvable_ufunc_dtype_has_an_operation() {
        for &d in &crate::ALL_DTYPES {
            for op in super::super::catalog::UNARY_OPS {
                if let Ok((cd, _)) = op.resolve(d) {
                    assert!(unary_expr(op, cd).is_some(), "{op:?} {cd}");
                }
            }
            for op in super::super::catalog::BINARY_OPS {
                if let Ok((run, cd, _)) = op.resolve(d) {
                    if matches!(run, BinaryOp::LeftShift | BinaryOp::RightShift)
                        && cd == DType::Bool
                    {
                        continue; // the CPU refuses bool shifts too
                    }
                    assert!(binary_expr(run, cd).is_some(), "{run:?} {cd}");
                }
            }
        }
    }

    #[test]
    fn ufunc_specs_follow_numpy_types() {
        let c = ArgLayout::Array {
            ndim: 1,
            c_contiguous: true,
        };
        let s = binary_spec(BinaryOp::Less, DType::F16, [c, c, c], true).unwrap();
        assert_eq!(s.params[2].ctype, TypeRef::DType(DType::Bool));
        assert!(s.operation.contains("const float a = k_cast<float>(x)"));
        let s = binary_spec(BinaryOp::TrueDivide, DType::F64, [c, c, c], true).unwrap();
        assert!(s.operation.contains("a / b"));
        // integer true_divide runs in float64, so there is no int loop
        assert!(binary_spec(BinaryOp::TrueDivide, DType::I32, [c, c, c], true).is_err());
        assert!(unary_spec(UnaryOp::Exp, DType::I32, [c, c], true).is_err());
        let s = binary_spec(BinaryOp::FloorDivide, DType::I8, [c, c, c], true).unwrap();
        assert!(s.operation.contains("k_floordiv"));
        assert!(binary_dtypes(BinaryOp::Add)
            .iter()
            .all(|(d, _)| *d != DType::Bool));
        assert_eq!(unary_dtypes(UnaryOp::Exp).len(), 4);
    }

    #[test]
    fn reductions_pick_numpy_output_dtypes() {
        let c = ArgLayout::Array {
            ndim: 1,
            c_contiguous: true,
        };
        let s = reduction_spec(Reduction::Sum, DType::I8, c, c, true).unwrap();
        assert_eq!(s.out_params[0].ctype, TypeRef::DType(DType::I64));
        assert_eq!(s.reduce_type, "long long");
        let s = reduction_spec(Reduction::Mean, DType::I32, c, c, true).unwrap();
        assert_eq!(s.out_params[0].ctype, TypeRef::DType(DType::F64));
        let s = reduction_spec(Reduction::Argmax, DType::BF16, c, c, true).unwrap();
        assert_eq!(s.reduce_type, "KArg<float>");
    }

    #[test]
    fn nn_grads_are_float_only() {
        let c = ArgLayout::Array {
            ndim: 1,
            c_contiguous: true,
        };
        let s = nn_grad_spec(NnGrad::Tanh, DType::BF16, [c, c, c], true).unwrap();
        assert!(s.operation.contains("b * ((float)1 - a * a)"));
        assert!(nn_grad_spec(NnGrad::Relu, DType::I32, [c, c, c], true).is_err());
    }

    #[test]
    fn philox_device_rounds_match_the_cpu_generator() {
        assert_eq!(
            philox_device_mirror([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
    }

    proptest! {
        #[test]
        fn philox_device_blocks_match_the_cpu_stream(key in any::<[u32; 2]>(), ctr in any::<[u32; 4]>(), b in any::<u64>()) {
            let c = u128::from(ctr[0]) | u128::from(ctr[1]) << 32 | u128::from(ctr[2]) << 64 | u128::from(ctr[3]) << 96;
            let n = c.wrapping_add(u128::from(b));
            let words = [n as u32, (n >> 32) as u32, (n >> 64) as u32, (n >> 96) as u32];
            prop_assert_eq!(philox_block_mirror(b, key, ctr), philox4x32_10(words, key));
        }
    }
}
