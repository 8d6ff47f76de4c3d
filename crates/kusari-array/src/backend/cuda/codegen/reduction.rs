//! The reduction template (CuPy's `ReductionKernel` code generation): each
//! thread folds a strided slice of one output's inputs, then the block folds
//! the threads' values in a shared-memory tree. A block computes
//! `_block_stride` outputs side by side (many short reductions), or, in the
//! two-pass path, pass one writes `_parts` partial results per output and
//! pass two folds them (few long reductions).
//!
//! The input loop shape is the reduced dims first, then the output dims
//! (the runtime transposes the input view so), so loop index
//! `j = J * out_size + o` is element `J` of output `o`'s reduction.
//!
//! Kernel arguments, by pass:
//! * `Single`: params of `in_params` (as the elementwise template), params of
//!   `out_params`, `CShape<IN_NDIM> _in_ind_shape`, `CShape<OUT_NDIM>
//!   _out_ind_shape`, `int _block_stride`.
//! * `Partial`: params of `in_params`, `_type_reduce* _partial` (out_size *
//!   parts values, part-major), `_in_ind_shape`, `_out_ind_shape`,
//!   `long long _parts`, `int _block_stride`.
//! * `Final`: `const _type_reduce* _partial`, params of `out_params`,
//!   `CShape<1, false> _in_ind_shape` (shape `[in_size]`, so `_in_ind.size()`
//!   means what it did in pass one), `_out_ind_shape`, `long long _parts`,
//!   `int _block_stride`.
//!
//! Dynamic shared memory: `block * sizeof(_type_reduce)` bytes.
//! Expressions: `map_expr` sees non-raw inputs by name and `_J`; `reduce_expr`
//! combines `a` and `b`; `post_map_expr` assigns outputs (by name) from `a`.

use super::elementwise::spec_error;
use super::{check_identifier, ctype, prelude, resolve, ArgLayout, Param};
use crate::{DType, Result};
use std::fmt::Write;

/// Which kernel of a reduction to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ReductionPass {
    /// Map, reduce and post-map in one launch.
    Single,
    /// Pass one of two: map and reduce into `_parts` partials per output.
    Partial,
    /// Pass two: reduce the partials and post-map.
    Final,
}

impl ReductionPass {
    fn suffix(self) -> &'static str {
        match self {
            ReductionPass::Single => "",
            ReductionPass::Partial => "_partial",
            ReductionPass::Final => "_final",
        }
    }
}

/// Everything that determines the source of one reduction kernel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ReductionSpec {
    /// The kernel's base name (the pass adds `_partial`/`_final`).
    pub name: String,
    /// Inputs in argument order (non-raw ones are read at the loop position).
    pub in_params: Vec<Param>,
    /// Outputs in argument order (written at the output position).
    pub out_params: Vec<Param>,
    /// Value of one input position, converted to `_type_reduce`.
    pub map_expr: String,
    /// Combines `a` and `b` (associative and commutative: order varies).
    pub reduce_expr: String,
    /// Statement(s) writing outputs from the reduced `a`.
    pub post_map_expr: String,
    /// The fold's starting value (a C expression convertible to `_type_reduce`).
    pub identity: String,
    /// The C type folded (`_type_reduce`): a C type or a typedef'd placeholder.
    pub reduce_type: String,
    /// Placeholder bindings (`typedef <ctype> <name>;`).
    pub typedefs: Vec<(String, DType)>,
    /// Code placed before the kernel.
    pub preamble: String,
    /// Per input param, how it is passed (non-raw arrays share the input loop's ndim).
    pub in_layout: Vec<ArgLayout>,
    /// Per output param (non-raw arrays share the output loop's ndim).
    pub out_layout: Vec<ArgLayout>,
    /// Whether indices and offsets are `int` (see `index::fits_32bit`; use
    /// twice the input size as the loop size, for the strided `_J` step).
    pub index_32bit: bool,
}

fn loop_ndim(kernel: &str, params: &[Param], layout: &[ArgLayout]) -> Result<usize> {
    if params.len() != layout.len() {
        return Err(spec_error(
            kernel,
            format!(
                "expected a layout for each of the {} params, found {}",
                params.len(),
                layout.len()
            ),
        ));
    }
    let mut nd = None;
    for (p, l) in params.iter().zip(layout) {
        check_identifier("a param name", &p.name)?;
        match (p.raw, l) {
            (false, ArgLayout::Array { ndim, .. }) => match nd {
                None => nd = Some(*ndim),
                Some(n) if n != *ndim => {
                    return Err(spec_error(kernel, format!("expected every non-raw array to have the loop's {n} dimensions, found {} with {ndim}", p.name)))
                }
                _ => {}
            },
            (_, ArgLayout::Array { ndim: 0, .. }) => return Err(spec_error(kernel, format!("expected {} to have at least one dimension, found 0", p.name))),
            (true, ArgLayout::Scalar) => return Err(spec_error(kernel, format!("expected raw param {} to be an array, found a scalar", p.name))),
            _ => {}
        }
    }
    Ok(nd.unwrap_or(1))
}

impl ReductionSpec {
    /// The dtypes the kernel touches.
    fn dtypes(&self) -> Result<Vec<DType>> {
        let mut v: Vec<DType> = self.typedefs.iter().map(|(_, d)| *d).collect();
        for p in self.in_params.iter().chain(&self.out_params) {
            v.push(resolve(&self.name, &p.ctype, &self.typedefs)?);
        }
        Ok(v)
    }

    /// The kernel's name for `pass`.
    pub(crate) fn kernel_name(&self, pass: ReductionPass) -> String {
        format!("{}{}", self.name, pass.suffix())
    }

    /// Parameters and the statements binding non-raw ones to the loop position.
    fn args(
        &self,
        params: &[Param],
        layout: &[ArgLayout],
        index: &str,
        pos: &str,
        u32s: &str,
        out: &mut Vec<String>,
    ) -> Result<String> {
        let mut loads = String::new();
        for (p, l) in params.iter().zip(layout) {
            let t = ctype(resolve(&self.name, &p.ctype, &self.typedefs)?);
            match *l {
                ArgLayout::Scalar => out.push(format!("const {t} {}", p.name)),
                ArgLayout::Array { ndim, c_contiguous } => {
                    let arr = format!("CArray<{t}, {ndim}, {c_contiguous}, {u32s}>");
                    if p.raw {
                        out.push(format!("const {arr} {}", p.name));
                    } else {
                        out.push(format!("const {arr} _raw_{}", p.name));
                        let at = if c_contiguous {
                            format!("_raw_{}.data()[{pos}]", p.name)
                        } else {
                            format!("_raw_{}[{index}.get()]", p.name)
                        };
                        let cst = if p.output { "" } else { "const " };
                        let _ = writeln!(loads, "        {cst}{t}& {} = {at};", p.name);
                    }
                }
            }
        }
        Ok(loads)
    }

    /// The CUDA C++ source of the kernel for `pass`.
    pub(crate) fn render(&self, pass: ReductionPass) -> Result<String> {
        use ReductionPass::*;
        let name = self.kernel_name(pass);
        check_identifier("the kernel name", &name)?;
        if self.reduce_type.contains([';', '{', '}']) {
            return Err(spec_error(
                &name,
                format!(
                    "expected a C type as reduce_type, found {:?}",
                    self.reduce_type
                ),
            ));
        }
        let in_nd = loop_ndim(&name, &self.in_params, &self.in_layout)?;
        let out_nd = loop_ndim(&name, &self.out_params, &self.out_layout)?;
        if self.out_params.iter().any(|p| p.raw) {
            return Err(spec_error(
                &name,
                "expected non-raw outputs (one per output position), found a raw one".into(),
            ));
        }
        let u32s = if self.index_32bit { "true" } else { "false" };
        let mut s = prelude(self.dtypes()?);
        s.push('\n');
        for (n, d) in &self.typedefs {
            check_identifier("a type placeholder", n)?;
            let _ = writeln!(s, "typedef {} {n};", ctype(*d));
        }
        let _ = writeln!(s, "typedef {} _type_reduce;", self.reduce_type);
        s.push_str(&self.preamble);
        let _ = write!(
            s,
            "\n#define REDUCE(a, b) ({})\n#define POST_MAP(a) do {{ {}; }} while (0)\n",
            self.reduce_expr, self.post_map_expr
        );
        let mut args = Vec::new();
        let mut in_loads = String::new();
        let mut out_loads = String::new();
        let in_strided = self.in_params.iter().zip(&self.in_layout).any(|(p, l)| {
            !p.raw
                && matches!(
                    l,
                    ArgLayout::Array {
                        c_contiguous: false,
                        ..
                    }
                )
        });
        let out_strided = self.out_params.iter().zip(&self.out_layout).any(|(p, l)| {
            matches!(
                l,
                ArgLayout::Array {
                    c_contiguous: false,
                    ..
                }
            ) && !p.raw
        });
        if pass == Final {
            args.push("const _type_reduce* _partial".into());
        } else {
            in_loads = self.args(
                &self.in_params,
                &self.in_layout,
                "_in_ind",
                "_j",
                u32s,
                &mut args,
            )?;
        }
        if pass == Partial {
            args.push("_type_reduce* _partial".into());
        } else {
            out_loads = self.args(
                &self.out_params,
                &self.out_layout,
                "_out_ind",
                "_o",
                u32s,
                &mut args,
            )?;
        }
        let (in_nd, in_u32) = if pass == Final {
            (1, "false")
        } else {
            (in_nd, u32s)
        };
        args.push(format!("const CShape<{in_nd}, {in_u32}> _in_ind_shape"));
        args.push(format!("const CShape<{out_nd}, {u32s}> _out_ind_shape"));
        if pass != Single {
            args.push("const long long _parts_arg".into());
        }
        args.push("const int _block_stride".into());

        let parts = if pass == Single {
            "1"
        } else {
            "(index_t)_parts_arg"
        };
        // Final folds the partials: `_parts` values per output, contiguous part-major.
        let (red_size, step_mul, nvirt) = match pass {
            Final => ("_parts", "1", "_out_size"),
            _ => (
                "(_in_ind.size() / (_out_size > 0 ? _out_size : 1))",
                "_parts",
                "(_out_size * _parts)",
            ),
        };
        let load = if pass == Final {
            "        const _type_reduce _a = _partial[_J * _out_size + _o];\n".to_string()
        } else {
            format!(
                "        const index_t _j = _J * _out_size + _o;\n{}{in_loads}        const _type_reduce _a = (_type_reduce)({});\n",
                if in_strided { "        _in_ind.set(_j);\n" } else { "" },
                self.map_expr
            )
        };
        let write = if pass == Partial {
            "      _partial[_v] = _sdata[_tid];\n".to_string()
        } else {
            format!(
                "      const _type_reduce a = _sdata[_tid];\n{}{out_loads}      POST_MAP(a);\n",
                if out_strided {
                    "      _out_ind.set(_o);\n"
                } else {
                    ""
                }
            )
        };
        let first_part = if pass == Final { "0" } else { "_p" };
        let _ = write!(
            s,
            r#"extern "C" __global__ void {name}({args}) {{
  typedef KIndex<{u32s}>::type index_t;
  extern __shared__ __align__(16) unsigned char _sdata_raw[];
  _type_reduce* _sdata = reinterpret_cast<_type_reduce*>(_sdata_raw);
  CIndexer<{in_nd}, {in_u32}> _in_ind(_in_ind_shape);
  CIndexer<{out_nd}, {u32s}> _out_ind(_out_ind_shape);
  const unsigned int _tid = threadIdx.x;
  const index_t _out_size = _out_ind.size();
  const index_t _parts = {parts};
  const index_t _red_size = {red_size};
  const index_t _nvirt = {nvirt};
  const index_t _threads_per_out = (index_t)(blockDim.x / _block_stride);
  const index_t _J_offset = (index_t)(_tid / _block_stride);
  for (index_t _v_base = (index_t)blockIdx.x * _block_stride; _v_base < _nvirt;
       _v_base += (index_t)gridDim.x * _block_stride) {{
    const index_t _v = _v_base + (index_t)(_tid % _block_stride);
    const index_t _o = _out_size > 0 ? _v % _out_size : 0;
    const index_t _p = _out_size > 0 ? _v / _out_size : 0;
    _type_reduce _s = (_type_reduce)({identity});
    if (_v < _nvirt) {{
#pragma unroll 1
      for (index_t _J = {first_part} + _J_offset * {step_mul}; _J < _red_size; _J += _threads_per_out * {step_mul}) {{
{load}        _s = REDUCE(_s, _a);
      }}
    }}
    _sdata[_tid] = _s;
    __syncthreads();
    for (unsigned int _b = blockDim.x / 2; _b >= (unsigned int)_block_stride; _b >>= 1) {{
      if (_tid < _b) _sdata[_tid] = REDUCE(_sdata[_tid], _sdata[_tid + _b]);
      __syncthreads();
    }}
    if (_J_offset == 0 && _v < _nvirt) {{
{write}    }}
    __syncthreads();
  }}
}}
"#,
            args = args.join(",\n    "),
            identity = self.identity,
        );
        let _ = (&mut in_loads, &mut out_loads);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::builtin::{reduction_spec, Reduction};
    use super::super::launch::{self, ReductionConfig};
    use super::*;
    use proptest::prelude::*;

    /// The template's loop nest, run on the CPU: how many times each
    /// (output, reduced position) is folded, and which threads' values the
    /// shared-memory tree folds into each writing thread. `red` positions per
    /// output; `parts` > 1 is pass one of two (positions per part).
    fn schedule(red: usize, out: usize, c: &ReductionConfig) -> (Vec<Vec<u32>>, bool) {
        let (block, bs, parts, grid) = (
            c.launch.block as usize,
            c.block_stride as usize,
            c.parts as usize,
            c.launch.grid as usize,
        );
        let nvirt = out * parts;
        let tpo = block / bs;
        let mut count = vec![vec![0u32; red]; out];
        let mut writes = vec![0u32; nvirt];
        for blk in 0..grid {
            let mut v_base = blk * bs;
            while v_base < nvirt {
                for tid in 0..block {
                    let v = v_base + tid % bs;
                    if v >= nvirt {
                        continue;
                    }
                    let (o, p, jo) = (v % out, v / out, tid / bs);
                    let mut j = p + jo * parts;
                    while j < red {
                        count[o][j] += 1;
                        j += tpo * parts;
                    }
                    if jo == 0 {
                        writes[v] += 1;
                    }
                }
                v_base += grid * bs;
            }
        }
        // the tree: tid < b folds tid + b, for b = block/2 .. block_stride
        let mut sets: Vec<Vec<usize>> = (0..block).map(|t| vec![t]).collect();
        let mut b = block / 2;
        while b >= bs {
            for t in 0..b {
                let other = sets[t + b].clone();
                sets[t].extend(other);
            }
            b /= 2;
        }
        let tree_ok = (0..bs).all(|t| {
            let mut s = sets[t].clone();
            s.sort_unstable();
            s == (0..block).filter(|u| u % bs == t).collect::<Vec<_>>()
        });
        (count, tree_ok && writes.iter().all(|&w| w == 1))
    }

    proptest! {
        #[test]
        fn every_input_is_folded_once_into_its_output(out in 1usize..300, red in 1usize..3000, sms in 1u32..8) {
            let c = launch::reduction(out * red, out, 8, sms).unwrap();
            let (count, ok) = schedule(red, out, &c);
            prop_assert!(ok, "tree or writes wrong for {:?}", c);
            prop_assert!(count.iter().flatten().all(|&n| n == 1), "{:?}", c);
        }

        #[test]
        fn two_pass_partials_cover_each_output_once(out in 1usize..4, red in 1usize..5000, parts in 2u32..40) {
            let mut c = launch::reduction(out * red, out, 8, 132).unwrap();
            c.parts = parts;
            c.launch.grid = 7;
            let (count, ok) = schedule(red, out, &c);
            prop_assert!(ok);
            prop_assert!(count.iter().flatten().all(|&n| n == 1));
            let f = launch::reduction_final(out, parts, 8, 132).unwrap();
            let (count, ok) = schedule(parts as usize, out, &f);
            prop_assert!(ok);
            prop_assert!(count.iter().flatten().all(|&n| n == 1));
        }
    }

    #[test]
    fn passes_differ_in_arguments() {
        let c = ArgLayout::Array {
            ndim: 2,
            c_contiguous: false,
        };
        let spec = reduction_spec(
            Reduction::Sum,
            DType::F32,
            c,
            ArgLayout::Array {
                ndim: 1,
                c_contiguous: true,
            },
            false,
        )
        .unwrap();
        let single = spec.render(ReductionPass::Single).unwrap();
        assert!(single.contains("extern \"C\" __global__ void sum_float32("));
        assert!(single.contains("const CArray<float, 2, false, false> _raw_x"));
        assert!(single.contains("_in_ind.set(_j);"));
        assert!(!single.contains("_partial"));
        let partial = spec.render(ReductionPass::Partial).unwrap();
        assert!(
            partial.contains("sum_float32_partial(") && partial.contains("_type_reduce* _partial")
        );
        assert!(!partial.contains("_raw_y"));
        let fin = spec.render(ReductionPass::Final).unwrap();
        assert!(fin.contains("const _type_reduce* _partial") && fin.contains("_raw_y"));
        assert!(fin.contains("CShape<1, false> _in_ind_shape"));
        assert!(!fin.contains("_raw_x"));
    }

    #[test]
    fn bad_specs_are_errors() {
        let c = ArgLayout::Array {
            ndim: 1,
            c_contiguous: true,
        };
        let mut spec = reduction_spec(Reduction::Max, DType::F32, c, c, true).unwrap();
        spec.reduce_type = "float; evil".into();
        assert!(spec.render(ReductionPass::Single).is_err());
        let mut spec = reduction_spec(Reduction::Max, DType::F32, c, c, true).unwrap();
        spec.out_layout.clear();
        assert!(spec
            .render(ReductionPass::Single)
            .unwrap_err()
            .to_string()
            .contains("layout"));
    }
}
