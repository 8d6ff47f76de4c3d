//! The elementwise template (CuPy's `ElementwiseKernel` code generation).
//!
//! Kernel arguments, in order: one per param of the spec (a non-raw array is
//! `CArray<T, NDIM, C_CONTIG, USE32> _raw_<name>`, a raw array is the same
//! struct named `<name>`, a scalar is the plain C value `<name>`), then
//! `CShape<NDIM, USE32> _ind_shape`, the loop shape (NDIM of the non-raw
//! arrays, which all share it after joint collapsing; 1 when there are none).
//!
//! The operation sees each non-raw param by name as a value (`const T& x`
//! for inputs, `T& z` for outputs), raw params as arrays to index with the
//! loop index `i` (or a multi-index), `_ind.size()` the loop size, and the
//! spec's typedefs (`typedef float T;`).

use super::{check_identifier, ctype, prelude, resolve, TypeRef};
use crate::{DType, Error, Result};
use std::fmt::Write;

/// One kernel parameter, as CuPy's `[raw] type name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Param {
    /// The name the operation uses.
    pub name: String,
    /// Its element type.
    pub ctype: TypeRef,
    /// A raw array: not broadcast, indexed by the operation itself.
    pub raw: bool,
    /// An output (written by the operation).
    pub output: bool,
}

impl Param {
    /// A non-raw input.
    pub(crate) fn input(name: &str, t: impl Into<TypeRef>) -> Param {
        Param {
            name: name.into(),
            ctype: t.into(),
            raw: false,
            output: false,
        }
    }
    /// A non-raw output.
    pub(crate) fn output(name: &str, t: impl Into<TypeRef>) -> Param {
        Param {
            output: true,
            ..Param::input(name, t)
        }
    }
    /// A raw input (or, with `output`, a raw output).
    pub(crate) fn raw(name: &str, t: impl Into<TypeRef>, output: bool) -> Param {
        Param {
            raw: true,
            output,
            ..Param::input(name, t)
        }
    }
}

/// How one argument is passed at this call: the layout class a compiled
/// kernel is specialized for (part of its cache key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ArgLayout {
    /// A scalar passed by value.
    Scalar,
    /// An array with `ndim` dimensions after collapsing (≥ 1) that is
    /// C-contiguous (the loop index is its offset) or not.
    Array {
        /// Dimensions after collapsing.
        ndim: usize,
        /// Whether its strides are C-contiguous over its shape.
        c_contiguous: bool,
    },
}

/// Everything that determines the source of one elementwise kernel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ElementwiseSpec {
    /// The kernel's `extern "C"` name.
    pub name: String,
    /// Inputs and outputs in argument order.
    pub params: Vec<Param>,
    /// Placeholder bindings, emitted as `typedef <ctype> <name>;`.
    pub typedefs: Vec<(String, DType)>,
    /// The loop body (statements).
    pub operation: String,
    /// Code placed before the kernel (helper functions).
    pub preamble: String,
    /// Statements run once per thread before the loop.
    pub loop_prep: String,
    /// Statements run once per thread after the loop.
    pub after_loop: String,
    /// Per param, how it is passed.
    pub layout: Vec<ArgLayout>,
    /// Whether indices and offsets are `int` (see `index::fits_32bit`).
    pub index_32bit: bool,
}

impl ElementwiseSpec {
    /// A spec with no preamble, loop prep or typedefs.
    pub(crate) fn simple(
        name: &str,
        params: Vec<Param>,
        operation: &str,
        layout: Vec<ArgLayout>,
        index_32bit: bool,
    ) -> Self {
        ElementwiseSpec {
            name: name.into(),
            params,
            typedefs: Vec::new(),
            operation: operation.into(),
            preamble: String::new(),
            loop_prep: String::new(),
            after_loop: String::new(),
            layout,
            index_32bit,
        }
    }

    /// The loop's dimensionality: that of the non-raw arrays (which must agree).
    pub(crate) fn loop_ndim(&self) -> Result<usize> {
        let mut nd = None;
        for (p, l) in self.params.iter().zip(&self.layout) {
            if let (false, ArgLayout::Array { ndim, .. }) = (p.raw, l) {
                match nd {
                    None => nd = Some(*ndim),
                    Some(n) if n != *ndim => {
                        return Err(spec_error(
                            &self.name,
                            format!("expected every non-raw array to have the loop's {n} dimensions, found {} with {ndim}", p.name),
                        ))
                    }
                    _ => {}
                }
            }
        }
        Ok(nd.unwrap_or(1))
    }

    fn validate(&self) -> Result<()> {
        check_identifier("the kernel name", &self.name)?;
        if self.layout.len() != self.params.len() {
            return Err(spec_error(
                &self.name,
                format!(
                    "expected a layout for each of the {} params, found {}",
                    self.params.len(),
                    self.layout.len()
                ),
            ));
        }
        for (p, l) in self.params.iter().zip(&self.layout) {
            check_identifier("a param name", &p.name)?;
            match l {
                ArgLayout::Scalar if p.output || p.raw => {
                    return Err(spec_error(&self.name, format!("expected {} (an output or raw param) to be an array, found a scalar", p.name)))
                }
                ArgLayout::Array { ndim: 0, .. } => {
                    return Err(spec_error(&self.name, format!("expected {} to have at least one dimension (0-d arrays are passed as shape [1]), found 0", p.name)))
                }
                _ => {}
            }
        }
        for (i, p) in self.params.iter().enumerate() {
            if self.params[..i].iter().any(|q| q.name == p.name) {
                return Err(spec_error(
                    &self.name,
                    format!("expected distinct param names, found {} twice", p.name),
                ));
            }
        }
        for (n, _) in &self.typedefs {
            check_identifier("a type placeholder", n)?;
        }
        Ok(())
    }

    /// The dtypes the kernel touches (for the half-precision headers).
    pub(crate) fn dtypes(&self) -> Result<Vec<DType>> {
        let mut v: Vec<DType> = self.typedefs.iter().map(|(_, d)| *d).collect();
        for p in &self.params {
            v.push(resolve(&self.name, &p.ctype, &self.typedefs)?);
        }
        Ok(v)
    }

    /// The CUDA C++ source of the kernel.
    pub(crate) fn render(&self) -> Result<String> {
        self.validate()?;
        let nd = self.loop_ndim()?;
        let u32s = if self.index_32bit { "true" } else { "false" };
        let mut s = prelude(self.dtypes()?);
        s.push('\n');
        for (n, d) in &self.typedefs {
            let _ = writeln!(s, "typedef {} {n};", ctype(*d));
        }
        s.push_str(&self.preamble);
        s.push('\n');
        let mut args = Vec::new();
        let mut loads = String::new();
        let mut need_index = false;
        for (p, l) in self.params.iter().zip(&self.layout) {
            let t = ctype(resolve(&self.name, &p.ctype, &self.typedefs)?);
            match *l {
                ArgLayout::Scalar => args.push(format!("const {t} {}", p.name)),
                ArgLayout::Array { ndim, c_contiguous } => {
                    let c = if c_contiguous { "true" } else { "false" };
                    let arr = format!("CArray<{t}, {ndim}, {c}, {u32s}>");
                    if p.raw {
                        args.push(format!("const {arr} {}", p.name));
                    } else {
                        args.push(format!("const {arr} _raw_{}", p.name));
                        let at = if c_contiguous {
                            "_raw_{n}.data()[i]".replace("{n}", &p.name)
                        } else {
                            need_index = true;
                            format!("_raw_{}[_ind.get()]", p.name)
                        };
                        let d = resolve(&self.name, &p.ctype, &self.typedefs)?;
                        if !p.output && matches!(d, DType::F16 | DType::BF16) {
                            // Half inputs are read as float values, as the
                            // CPU interpreter computes them: `x * 3 + b` with
                            // mixed __half/__nv_bfloat16 operands is then
                            // plain float arithmetic instead of ambiguous
                            // overloads.
                            let _ = writeln!(
                                loads,
                                "    const float {} = k_cast<float>({at});",
                                p.name
                            );
                        } else {
                            let cst = if p.output { "" } else { "const " };
                            let _ = writeln!(loads, "    {cst}{t}& {} = {at};", p.name);
                        }
                    }
                }
            }
        }
        args.push(format!("const CShape<{nd}, {u32s}> _ind_shape"));
        let _ = write!(
            s,
            "extern \"C\" __global__ void {name}({args}) {{\n  typedef KIndex<{u32s}>::type index_t;\n  CIndexer<{nd}, {u32s}> _ind(_ind_shape);\n  {prep};\n  K_FOR(i, _ind.size()) {{\n{set}{loads}    {op};\n  }}\n  {after};\n}}\n",
            name = self.name,
            args = args.join(",\n    "),
            prep = self.loop_prep,
            set = if need_index { "    _ind.set(i);\n" } else { "" },
            op = self.operation,
            after = self.after_loop,
        );
        Ok(s)
    }
}

pub(crate) fn spec_error(kernel: &str, message: String) -> Error {
    Error::value("cuda codegen", format!("kernel {kernel}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strided(nd: usize) -> ArgLayout {
        ArgLayout::Array {
            ndim: nd,
            c_contiguous: false,
        }
    }

    #[test]
    fn user_style_kernel_names_values_raws_and_size() {
        let spec = ElementwiseSpec {
            name: "axpy".into(),
            params: vec![
                Param::input("x", TypeRef::Placeholder("T".into())),
                Param::input("a", TypeRef::Placeholder("T".into())),
                Param::raw("w", DType::F32, false),
                Param::output("z", TypeRef::Placeholder("T".into())),
            ],
            typedefs: vec![("T".into(), DType::F64)],
            operation: "z = a * x + w[i % w.size()] + _ind.size()".into(),
            preamble: String::new(),
            loop_prep: String::new(),
            after_loop: String::new(),
            layout: vec![
                strided(2),
                ArgLayout::Scalar,
                ArgLayout::Array {
                    ndim: 1,
                    c_contiguous: true,
                },
                ArgLayout::Array {
                    ndim: 2,
                    c_contiguous: true,
                },
            ],
            index_32bit: true,
        };
        let src = spec.render().unwrap();
        assert!(src.contains("typedef double T;"));
        assert!(src.contains("const CArray<double, 2, false, true> _raw_x"));
        assert!(src.contains("const double a"));
        assert!(src.contains("const CArray<float, 1, true, true> w"));
        assert!(src.contains("const double& x = _raw_x[_ind.get()];"));
        assert!(src.contains("double& z = _raw_z.data()[i];"));
        assert!(src.contains("_ind.set(i);"));
        assert!(src.contains("const CShape<2, true> _ind_shape"));
        assert!(!src.contains("cuda_fp16.h"));
    }

    #[test]
    fn contiguous_fast_path_skips_the_div_mod() {
        let c = ArgLayout::Array {
            ndim: 1,
            c_contiguous: true,
        };
        let spec = ElementwiseSpec::simple(
            "neg",
            vec![
                Param::input("x", DType::F16),
                Param::output("z", DType::F16),
            ],
            "z = -x",
            vec![c, c],
            true,
        );
        let src = spec.render().unwrap();
        assert!(!src.contains("_ind.set(i)"));
        assert!(src.contains("cuda_fp16.h"));
    }

    #[test]
    fn malformed_specs_are_errors_naming_the_kernel() {
        let c = ArgLayout::Array {
            ndim: 1,
            c_contiguous: true,
        };
        let bad_ndim = ElementwiseSpec::simple(
            "k",
            vec![
                Param::input("x", DType::F32),
                Param::output("z", DType::F32),
            ],
            "z = x",
            vec![strided(2), strided(3)],
            false,
        );
        assert!(bad_ndim
            .render()
            .unwrap_err()
            .to_string()
            .contains("kernel k"));
        let scalar_out = ElementwiseSpec::simple(
            "k",
            vec![Param::output("z", DType::F32)],
            "z = 1",
            vec![ArgLayout::Scalar],
            false,
        );
        assert!(scalar_out.render().is_err());
        let dup = ElementwiseSpec::simple(
            "k",
            vec![
                Param::input("x", DType::F32),
                Param::output("x", DType::F32),
            ],
            "",
            vec![c, c],
            false,
        );
        assert!(dup.render().unwrap_err().to_string().contains("twice"));
        let injected = ElementwiseSpec::simple("k(){}", vec![], "", vec![], false);
        assert!(injected.render().is_err());
        let missing = ElementwiseSpec::simple(
            "k",
            vec![Param::input("x", TypeRef::Placeholder("T".into()))],
            "",
            vec![c],
            false,
        );
        assert!(missing
            .render()
            .unwrap_err()
            .to_string()
            .contains("placeholder T"));
    }
}
