//! The one CUDA C++ code generator: every built-in kernel and every user
//! kernel is a spec ([`ElementwiseSpec`], [`ReductionSpec`]) rendered by the
//! same templates, as CuPy builds its ufuncs on `ElementwiseKernel`.
//!
//! Index arithmetic is split as CuPy splits it: Rust collapses dimensions and
//! decides 32- or 64-bit indexing ([`index`]), the kernel only does div/mod
//! over the collapsed shape. Kernels take arrays as by-value `CArray` structs
//! and loop shapes as `CShape` structs whose bytes [`index::pack_array`] and
//! [`index::pack_shape`] produce.

// The runtime (launcher, kernel cache) and the user-kernel front end call
// into this module; until they are merged some items have no caller yet.
#![allow(dead_code)]

pub(crate) mod builtin;
pub(crate) mod catalog;
pub(crate) mod elementwise;
pub(crate) mod index;
pub(crate) mod launch;
pub(crate) mod reduction;

pub(crate) use elementwise::{ArgLayout, ElementwiseSpec, Param};
pub(crate) use reduction::{ReductionPass, ReductionSpec};

use crate::{DType, Error, Result};

/// The header every kernel starts with: indexers, `CArray`, wrapping integer
/// arithmetic, NumPy's division/modulo/max/min rules, casts.
pub(crate) const HEADER: &str = include_str!("header.cu");
const HALF: &str = include_str!("half.cu");
const BFLOAT16: &str = include_str!("bfloat16.cu");
const HALF_BF16: &str = include_str!("half_bf16.cu");

/// The C++ type that stores one element of `dtype` in device memory.
pub(crate) fn ctype(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::U8 => "unsigned char",
        DType::I8 => "signed char",
        DType::I16 => "short",
        DType::I32 => "int",
        DType::I64 => "long long",
        DType::F16 => "__half",
        DType::BF16 => "__nv_bfloat16",
        DType::F32 => "float",
        DType::F64 => "double",
    }
}

/// The C++ type arithmetic on `dtype` is computed in: `float` for the half
/// types (cast in, cast out, as NumPy's loops do), the storage type otherwise.
pub(crate) fn compute_ctype(dtype: DType) -> &'static str {
    match dtype {
        DType::F16 | DType::BF16 => "float",
        d => ctype(d),
    }
}

/// A type named in a spec: a concrete dtype, or a placeholder (`T`, `U`, ...)
/// bound by the spec's typedefs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TypeRef {
    /// A concrete dtype.
    DType(DType),
    /// A placeholder name, resolved through `typedefs`.
    Placeholder(String),
}

impl From<DType> for TypeRef {
    fn from(d: DType) -> Self {
        TypeRef::DType(d)
    }
}

/// Resolves `t` through `typedefs`; an error names the kernel and the placeholder.
pub(crate) fn resolve(kernel: &str, t: &TypeRef, typedefs: &[(String, DType)]) -> Result<DType> {
    match t {
        TypeRef::DType(d) => Ok(*d),
        TypeRef::Placeholder(p) => typedefs
            .iter()
            .find(|(n, _)| n == p)
            .map(|(_, d)| *d)
            .ok_or_else(|| {
                Error::value(
                    "cuda codegen",
                    format!(
                        "kernel {kernel}: expected a typedef for type placeholder {p}, found none"
                    ),
                )
            }),
    }
}

/// The source prefix for kernels touching `dtypes`: the header, then the
/// half-precision headers only when a half type occurs (they slow NVRTC down).
pub(crate) fn prelude(dtypes: impl IntoIterator<Item = DType>) -> String {
    let (mut f16, mut bf16) = (false, false);
    for d in dtypes {
        f16 |= d == DType::F16;
        bf16 |= d == DType::BF16;
    }
    let mut s = String::with_capacity(HEADER.len() + 2048);
    s.push_str(HEADER);
    if f16 {
        s.push_str(HALF);
    }
    if bf16 {
        s.push_str(BFLOAT16);
    }
    if f16 && bf16 {
        s.push_str(HALF_BF16);
    }
    s
}

/// Whether `name` is a C identifier (kernel names and params are pasted into source).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut c = name.chars();
    matches!(c.next(), Some(ch) if ch == '_' || ch.is_ascii_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_ascii_alphanumeric())
}

pub(crate) fn check_identifier(what: &str, name: &str) -> Result<()> {
    if is_identifier(name) {
        Ok(())
    } else {
        Err(Error::value(
            "cuda codegen",
            format!("expected {what} to be a C identifier, found {name:?}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_headers_only_when_needed() {
        assert!(!prelude([DType::F32]).contains("cuda_fp16.h"));
        assert!(prelude([DType::F16]).contains("cuda_fp16.h"));
        assert!(!prelude([DType::F16]).contains("cuda_bf16.h"));
        let both = prelude([DType::F16, DType::BF16]);
        assert!(both.contains("cuda_bf16.h") && both.contains("KCast<__half, __nv_bfloat16>"));
    }

    #[test]
    fn placeholders_resolve_or_fail_with_the_name() {
        let td = vec![("T".to_string(), DType::F32)];
        assert_eq!(
            resolve("k", &TypeRef::Placeholder("T".into()), &td).unwrap(),
            DType::F32
        );
        let e = resolve("k", &TypeRef::Placeholder("U".into()), &td).unwrap_err();
        assert!(e.to_string().contains("placeholder U"), "{e}");
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("_raw_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("x; evil()"));
        assert!(!is_identifier(""));
    }
}
