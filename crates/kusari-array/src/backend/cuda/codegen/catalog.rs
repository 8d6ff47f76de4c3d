//! Every built-in kernel for every dtype and layout class it is generated
//! for, so CI can compile them all with NVRTC before any GPU sees them.

use super::builtin::{self, NN_GRADS, REDUCTIONS, SCATTER_ADD_DTYPES};
use super::{ArgLayout, ReductionPass};
use crate::ops::ufunc::{BinaryOp, UnaryOp};
use crate::{DType, Result, ALL_DTYPES};

/// Every unary ufunc (kept complete by `exhaustive_unary`).
pub(crate) const UNARY_OPS: [UnaryOp; 41] = {
    use UnaryOp::*;
    [
        Negative, Positive, Absolute, Sign, Square, Reciprocal, Exp, Exp2, Log, Log1p, Expm1, Log2,
        Log10, Sqrt, Rsqrt, Cbrt, Sin, Cos, Tan, Arcsin, Arccos, Arctan, Sinh, Cosh, Tanh, Arcsinh,
        Arccosh, Arctanh, Floor, Ceil, Trunc, Rint, Deg2rad, Rad2deg, Sigmoid, IsNan, IsInf,
        IsFinite, Signbit, LogicalNot, Invert,
    ]
};

/// Every binary ufunc (kept complete by `exhaustive_binary`).
pub(crate) const BINARY_OPS: [BinaryOp; 29] = {
    use BinaryOp::*;
    [
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
    ]
};

// A new ufunc variant fails to compile here until it is listed above.
#[allow(dead_code)]
fn exhaustive_unary(op: UnaryOp) {
    use UnaryOp::*;
    match op {
        Negative | Positive | Absolute | Sign | Square | Reciprocal | Exp | Exp2 | Log | Log1p
        | Expm1 | Log2 | Log10 | Sqrt | Rsqrt | Cbrt | Sin | Cos | Tan | Arcsin | Arccos
        | Arctan | Sinh | Cosh | Tanh | Arcsinh | Arccosh | Arctanh | Floor | Ceil | Trunc
        | Rint | Deg2rad | Rad2deg | Sigmoid | IsNan | IsInf | IsFinite | Signbit | LogicalNot
        | Invert => {}
    }
}
#[allow(dead_code)]
fn exhaustive_binary(op: BinaryOp) {
    use BinaryOp::*;
    match op {
        Add | Subtract | Multiply | TrueDivide | FloorDivide | Remainder | Power | Maximum
        | Minimum | Fmax | Fmin | Arctan2 | Hypot | Copysign | Logaddexp | Equal | NotEqual
        | Less | LessEqual | Greater | GreaterEqual | LogicalAnd | LogicalOr | LogicalXor
        | BitwiseAnd | BitwiseOr | BitwiseXor | LeftShift | RightShift => {}
    }
}

/// A layout class a kernel is generated for. The ndim of the strided
/// classes stands for every ndim: it is a template argument only, so one
/// instantiation checks the code the others share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LayoutClass {
    /// Every array C-contiguous (collapsed to 1-D), 32-bit indices: no div/mod.
    Contiguous,
    /// Strided arrays over a 3-D loop, 32-bit indices.
    Strided32,
    /// Strided arrays over a 3-D loop, 64-bit indices (arrays past 2^31 elements).
    Strided64,
}

impl LayoutClass {
    /// All classes.
    pub(crate) const ALL: [LayoutClass; 3] = [
        LayoutClass::Contiguous,
        LayoutClass::Strided32,
        LayoutClass::Strided64,
    ];

    /// Short tag used in catalog names.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            LayoutClass::Contiguous => "c32",
            LayoutClass::Strided32 => "s3_32",
            LayoutClass::Strided64 => "s3_64",
        }
    }
    fn array(self) -> ArgLayout {
        match self {
            LayoutClass::Contiguous => ArgLayout::Array {
                ndim: 1,
                c_contiguous: true,
            },
            _ => ArgLayout::Array {
                ndim: 3,
                c_contiguous: false,
            },
        }
    }
    fn index_32bit(self) -> bool {
        self != LayoutClass::Strided64
    }
}

/// One catalog entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Unique name: kernel name and layout class, e.g. `add_float32[c32]`.
    pub name: String,
    /// The `extern "C"` kernel name inside `source`.
    pub kernel: String,
    /// The CUDA C++ source.
    pub source: String,
}

/// Every built-in kernel for the given layout classes.
pub(crate) fn catalog(classes: &[LayoutClass]) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut push = |kernel: String, tag: &str, source: String| {
        out.push(Entry {
            name: format!("{kernel}[{tag}]"),
            kernel,
            source,
        });
    };
    for &c in classes {
        let (a, i32b) = (c.array(), c.index_32bit());
        for op in UNARY_OPS {
            for (cd, _) in builtin::unary_dtypes(op) {
                let s = builtin::unary_spec(op, cd, [a, a], i32b)?;
                push(s.name.clone(), c.tag(), s.render()?);
            }
        }
        for op in BINARY_OPS {
            for (cd, _) in builtin::binary_dtypes(op) {
                let s = builtin::binary_spec(op, cd, [a, a, a], i32b)?;
                push(s.name.clone(), c.tag(), s.render()?);
            }
        }
        for &from in &ALL_DTYPES {
            for &to in &ALL_DTYPES {
                let s = builtin::cast_spec(from, to, [a, a], i32b);
                push(s.name.clone(), c.tag(), s.render()?);
            }
            let s = builtin::where_spec(from, [a, a, a, a], i32b);
            push(s.name.clone(), c.tag(), s.render()?);
        }
        for g in NN_GRADS {
            for d in [DType::F16, DType::BF16, DType::F32, DType::F64] {
                let s = builtin::nn_grad_spec(g, d, [a, a, a], i32b)?;
                push(s.name.clone(), c.tag(), s.render()?);
            }
        }
        for r in REDUCTIONS {
            for &d in &ALL_DTYPES {
                let s = builtin::reduction_spec(r, d, a, a, i32b)?;
                for pass in [
                    ReductionPass::Single,
                    ReductionPass::Partial,
                    ReductionPass::Final,
                ] {
                    push(s.kernel_name(pass), c.tag(), s.render(pass)?);
                }
            }
        }
        for &d in &ALL_DTYPES {
            for idx in [DType::I32, DType::I64] {
                let s = builtin::take_spec(d, idx, a, a, i32b);
                push(s.name.clone(), c.tag(), s.render()?);
                if SCATTER_ADD_DTYPES.contains(&d) {
                    let s = builtin::scatter_add_spec(d, idx, a, a, i32b)?;
                    push(s.name.clone(), c.tag(), s.render()?);
                }
            }
        }
    }
    for d in [DType::F16, DType::BF16, DType::F32, DType::F64] {
        for i32b in [true, false] {
            let s = builtin::random_spec(d, i32b)?;
            let tag = if i32b { "c32" } else { "c64" };
            push(s.name.clone(), tag, s.render()?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_names_are_unique_and_sources_name_their_kernel() {
        let all = catalog(&LayoutClass::ALL).unwrap();
        let mut names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate catalog names");
        for e in &all {
            assert!(
                e.source.contains(&format!("void {}(", e.kernel)),
                "{}",
                e.name
            );
        }
        // every ufunc has at least one kernel
        for op in UNARY_OPS {
            assert!(
                all.iter()
                    .any(|e| e.kernel.starts_with(&format!("{}_", op.name()))),
                "{op:?}"
            );
        }
        for op in BINARY_OPS {
            assert!(
                all.iter()
                    .any(|e| e.kernel.starts_with(&format!("{}_", op.name()))),
                "{op:?}"
            );
        }
        assert!(all
            .iter()
            .any(|e| e.name == "argmax_float16_partial[s3_64]"));
        assert!(all.iter().any(|e| e.name == "copy_bfloat16_float16[c32]"));
    }
}
