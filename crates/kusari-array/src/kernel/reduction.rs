//! CuPy's `ReductionKernel` on the CPU, built from three elementwise
//! kernels run by the block interpreter: the map (`map_expr` into
//! `_type_reduce`), a pairwise tree of `reduce_expr` steps (each halves the
//! reduced axis, as a GPU block's shared-memory tree does), and the post-map.

use super::{AsKernelArg, ElementwiseKernel, KernelArg, ParamInfo, ParamType};
use crate::{Array, DType, Device, Error, Result, SliceArg};

/// The type name CuPy gives the reduction's accumulator.
const REDUCE_T: &str = "_type_reduce";

/// CuPy's `ReductionKernel`: map every element, combine with `reduce_expr`
/// along the reduced axes, then apply `post_map_expr`.
///
/// ```
/// use kusari_array::{Array, ReductionKernel};
/// let l2 = ReductionKernel::new("T x", "T y", "x * x", "a + b", "y = sqrt(a)", Some("0"), "l2norm")?;
/// let x = Array::from_vec(vec![3.0f32, 4.0, 6.0, 8.0], &[2, 2])?;
/// let y = l2.call(&[&x], Some(&[1]), false)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![5.0, 10.0]);
/// # Ok::<(), kusari_array::Error>(())
/// ```
///
/// Unlike CuPy it runs on the CPU; `reduce_expr` must be associative (and
/// is assumed commutative), as on the GPU, because the pairs are combined
/// as a tree, not left to right.
#[derive(Debug)]
pub struct ReductionKernel {
    name: String,
    in_params: Vec<ParamInfo>,
    out_params: Vec<ParamInfo>,
    map_expr: String,
    reduce_expr: String,
    post_map_expr: String,
    identity: Option<String>,
    reduce_type: Option<String>,
    preamble: String,
    map_k: ElementwiseKernel,
    reduce_k: ElementwiseKernel,
    post_k: ElementwiseKernel,
    identity_k: Option<ElementwiseKernel>,
}

fn param(name: &str, ty: ParamType, is_output: bool) -> ParamInfo {
    ParamInfo {
        name: name.to_string(),
        raw: false,
        is_output,
        ty,
    }
}

impl ReductionKernel {
    /// Builds a reduction from CuPy's parts; `identity` is the value of an
    /// empty reduction (`None`: reducing an empty axis is an error).
    pub fn new(
        in_params: &str,
        out_params: &str,
        map_expr: &str,
        reduce_expr: &str,
        post_map_expr: &str,
        identity: Option<&str>,
        name: &str,
    ) -> Result<Self> {
        Self::build(
            in_params,
            out_params,
            map_expr,
            reduce_expr,
            post_map_expr,
            identity,
            name,
            None,
            "",
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        in_params: &str,
        out_params: &str,
        map_expr: &str,
        reduce_expr: &str,
        post_map_expr: &str,
        identity: Option<&str>,
        name: &str,
        reduce_type: Option<&str>,
        preamble: &str,
    ) -> Result<Self> {
        let ins = super::parse_params(name, "in_params", in_params, false)?;
        let outs = super::parse_params(name, "out_params", out_params, true)?;
        if let Some(p) = ins.iter().chain(&outs).find(|p| p.raw) {
            return Err(Error::value(
                "ReductionKernel",
                format!(
                    "kernel `{name}`: raw parameter `{}` is not supported in a reduction",
                    p.name
                ),
            ));
        }
        if outs.is_empty() {
            return Err(Error::value(
                "ReductionKernel",
                format!("kernel `{name}`: expected at least one output parameter, found none"),
            ));
        }
        let rt = || ParamType::Placeholder(REDUCE_T.to_string());
        let extra = vec![REDUCE_T.to_string()];
        // Map: the inputs → `_type_reduce _m`.
        let mut mp = ins.clone();
        mp.push(param("_m", rt(), true));
        let map_k = ElementwiseKernel::from_params(
            mp,
            ins.len(),
            &format!("_m = ({map_expr});"),
            name,
            extra.clone(),
        )
        .map_err(|e| rename_source(e, "map_expr", 6))?
        .with_preamble(preamble)?;
        let reduce_k = ElementwiseKernel::from_params(
            vec![
                param("a", rt(), false),
                param("b", rt(), false),
                param("_r", rt(), true),
            ],
            2,
            &format!("_r = ({reduce_expr});"),
            name,
            extra.clone(),
        )
        .map_err(|e| rename_source(e, "reduce_expr", 6))?
        .with_preamble(preamble)?;
        // Post-map: `a` → the outputs.
        let mut pp = vec![param("a", rt(), false)];
        pp.extend(outs.iter().cloned());
        let post_k = ElementwiseKernel::from_params(
            pp,
            1,
            &format!("{post_map_expr};"),
            name,
            extra.clone(),
        )
        .map_err(|e| rename_source(e, "post_map_expr", 0))?
        .with_preamble(preamble)?;
        let identity_k = match identity {
            Some(id) => Some(
                ElementwiseKernel::from_params(
                    vec![param("_r", rt(), true)],
                    0,
                    &format!("_r = ({id});"),
                    name,
                    extra,
                )
                .map_err(|e| rename_source(e, "identity", 6))?,
            ),
            None => None,
        };
        Ok(ReductionKernel {
            name: name.to_string(),
            in_params: ins,
            out_params: outs,
            map_expr: map_expr.to_string(),
            reduce_expr: reduce_expr.to_string(),
            post_map_expr: post_map_expr.to_string(),
            identity: identity.map(str::to_string),
            reduce_type: reduce_type.map(str::to_string),
            preamble: preamble.to_string(),
            map_k,
            reduce_k,
            post_k,
            identity_k,
        })
    }

    /// Sets CuPy's `reduce_type`: the accumulator type `_type_reduce` (a
    /// dtype name or a placeholder; default: the first output's type).
    pub fn with_reduce_type(self, reduce_type: &str) -> Result<Self> {
        self.rebuild(Some(reduce_type), &self.preamble.clone())
    }

    /// Adds helper functions for the expressions (see [`ElementwiseKernel::with_preamble`]).
    pub fn with_preamble(self, preamble: &str) -> Result<Self> {
        let rt = self.reduce_type.clone();
        self.rebuild(rt.as_deref(), preamble)
    }

    fn rebuild(&self, reduce_type: Option<&str>, preamble: &str) -> Result<Self> {
        if let Some(t) = reduce_type {
            let is_placeholder = t.len() == 1 && t.chars().all(|c| c.is_ascii_alphabetic());
            if !is_placeholder && DType::from_name(t).is_none() {
                return Err(Error::dtype(
                    "ReductionKernel",
                    format!("kernel `{}`: unknown reduce_type `{t}`", self.name),
                ));
            }
        }
        let fmt = |ps: &[ParamInfo]| {
            ps.iter()
                .map(|p| {
                    let t = match &p.ty {
                        ParamType::DType(d) => d.name().to_string(),
                        ParamType::Placeholder(t) => t.clone(),
                    };
                    format!("{t} {}", p.name)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        Self::build(
            &fmt(&self.in_params),
            &fmt(&self.out_params),
            &self.map_expr,
            &self.reduce_expr,
            &self.post_map_expr,
            self.identity.as_deref(),
            &self.name,
            reduce_type,
            preamble,
        )
    }

    /// The kernel's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    // ---- accessors for the GPU code generator ------------------------------------------

    /// The parsed input and output parameters.
    #[allow(dead_code)]
    pub(crate) fn params(&self) -> (&[ParamInfo], &[ParamInfo]) {
        (&self.in_params, &self.out_params)
    }
    /// `map_expr`, `reduce_expr`, `post_map_expr` as given.
    #[allow(dead_code)]
    pub(crate) fn exprs(&self) -> (&str, &str, &str) {
        (&self.map_expr, &self.reduce_expr, &self.post_map_expr)
    }
    /// The identity, `reduce_type` and preamble as given.
    #[allow(dead_code)]
    pub(crate) fn options(&self) -> (Option<&str>, Option<&str>, &str) {
        (
            self.identity.as_deref(),
            self.reduce_type.as_deref(),
            &self.preamble,
        )
    }

    /// Reduces over `axis` (`None`: all axes), keeping reduced axes as
    /// length 1 with `keepdims`. Returns the first output.
    pub fn call<A: AsKernelArg>(
        &self,
        args: &[A],
        axis: Option<&[isize]>,
        keepdims: bool,
    ) -> Result<Array> {
        Ok(self.call_multi(args, axis, keepdims)?.remove(0))
    }

    /// As [`call`](Self::call), returning every output.
    pub fn call_multi<A: AsKernelArg>(
        &self,
        args: &[A],
        axis: Option<&[isize]>,
        keepdims: bool,
    ) -> Result<Vec<Array>> {
        let op = "ReductionKernel";
        let args: Vec<KernelArg> = args.iter().map(|a| a.as_kernel_arg()).collect();
        if args.len() != self.in_params.len() {
            return Err(Error::value(
                op,
                format!(
                    "kernel `{}`: expected {} argument(s), found {}",
                    self.name,
                    self.in_params.len(),
                    args.len()
                ),
            ));
        }
        // Bind the placeholders from the inputs, then `_type_reduce`.
        let res: Vec<(String, DType)> = self
            .map_k
            .resolve(&args, &[], None, &[(REDUCE_T.to_string(), DType::Bool)])?
            .type_map
            .into_iter()
            .filter(|(k, _)| k != REDUCE_T)
            .collect();
        let lookup = |t: &str| res.iter().find(|(k, _)| k == t).map(|(_, d)| *d);
        let rtype = match &self.reduce_type {
            Some(t) => match DType::from_name(t).filter(|_| t.len() > 1) {
                Some(d) => d,
                None => lookup(t).ok_or_else(|| {
                    Error::dtype(op, format!("kernel `{}`: reduce_type placeholder `{t}` is not bound by any argument", self.name))
                })?,
            },
            None => match &self.out_params[0].ty {
                ParamType::DType(d) => *d,
                ParamType::Placeholder(t) => lookup(t).ok_or_else(|| {
                    Error::dtype(op, format!("kernel `{}`: cannot determine the type placeholder `{t}` of output `{}`", self.name, self.out_params[0].name))
                })?,
            },
        };
        let mut bound = res.clone();
        bound.push((REDUCE_T.to_string(), rtype));
        let device = args.iter().find_map(|a| match a {
            KernelArg::Array(a) => Some(a.device()),
            _ => None,
        });
        if let Some(Device::Cuda(ordinal)) = device {
            return self.call_cuda(ordinal, &args, axis, keepdims, &res, rtype);
        }
        let m = self.map_k.launch(&args, &mut [], None, &bound)?.remove(0);
        let shape = m.shape().to_vec();
        let axes = crate::layout::normalize_axes(op, axis, shape.len())?;
        let keep: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
        let n_out: usize = keep.iter().map(|&a| shape[a]).product();
        let n_red: usize = axes.iter().map(|&a| shape[a]).product();
        let perm: Vec<isize> = keep
            .iter()
            .chain(axes.iter())
            .map(|&a| a as isize)
            .collect();
        let mut v = m
            .transpose(Some(perm.as_slice()))?
            .ascontiguousarray()?
            .reshape_to(&[n_out, n_red])?;
        let rb = [(REDUCE_T.to_string(), rtype)];
        let acc = if n_red == 0 {
            match &self.identity_k {
                Some(k) => k.launch(&[], &mut [], Some(n_out), &rb)?.remove(0),
                None => {
                    return Err(Error::value(
                        op,
                        format!(
                            "kernel `{}`: cannot reduce an empty axis without an identity",
                            self.name
                        ),
                    ))
                }
            }
        } else {
            while v.shape()[1] > 1 {
                let len = v.shape()[1];
                let h = len / 2;
                let a = v.slice(&[SliceArg::from(..), SliceArg::from(0..h)])?;
                let b = v.slice(&[SliceArg::from(..), SliceArg::from(h..2 * h)])?;
                let r = self
                    .reduce_k
                    .launch(
                        &[KernelArg::Array(&a), KernelArg::Array(&b)],
                        &mut [],
                        None,
                        &rb,
                    )?
                    .remove(0);
                v = if len % 2 == 1 {
                    let rest = v.slice(&[SliceArg::from(..), SliceArg::from(2 * h..len)])?;
                    crate::ops::manip::concatenate(&[&r, &rest], 1)?
                } else {
                    r
                };
            }
            v.reshape_to(&[n_out])?
        };
        // Post-map: `a` and the outputs; the inputs are not elementwise-aligned
        // with the result, so they are not visible there.
        let post_args = [KernelArg::Array(&acc)];
        let outs = self.post_k.launch(&post_args, &mut [], None, &bound)?;
        let out_shape = reduced_shape(&shape, &axes, keepdims);
        outs.into_iter().map(|o| o.reshape_to(&out_shape)).collect()
    }

    /// The spec the CUDA code generator renders for this reduction with the
    /// placeholders bound by `typedefs`, accumulating in `rtype`.
    pub(crate) fn cuda_spec(
        &self,
        typedefs: Vec<(String, DType)>,
        rtype: DType,
        in_layout: Vec<crate::backend::cuda::codegen::ArgLayout>,
        out_layout: Vec<crate::backend::cuda::codegen::ArgLayout>,
        index_32bit: bool,
    ) -> Result<crate::backend::cuda::codegen::ReductionSpec> {
        use crate::backend::cuda::codegen::{ctype, Param, ReductionSpec, TypeRef};
        let Some(identity) = &self.identity else {
            return Err(Error::value(
                "ReductionKernel",
                format!("kernel `{}`: a reduction on CUDA needs an identity (the value the fold starts from), found None", self.name),
            ));
        };
        let to_param = |p: &ParamInfo| Param {
            name: p.name.clone(),
            ctype: match &p.ty {
                ParamType::DType(d) => TypeRef::DType(*d),
                ParamType::Placeholder(t) => TypeRef::Placeholder(t.clone()),
            },
            raw: false,
            output: p.is_output,
        };
        Ok(ReductionSpec {
            name: self.name.clone(),
            in_params: self.in_params.iter().map(to_param).collect(),
            out_params: self.out_params.iter().map(to_param).collect(),
            map_expr: self.map_expr.clone(),
            reduce_expr: self.reduce_expr.clone(),
            post_map_expr: self.post_map_expr.clone(),
            identity: identity.clone(),
            reduce_type: ctype(rtype).to_string(),
            typedefs: typedefs
                .into_iter()
                .filter(|(k, _)| k != REDUCE_T)
                .collect(),
            preamble: self.preamble.clone(),
            in_layout,
            out_layout,
            index_32bit,
        })
    }

    /// The GPU path: the code generator's reduction template (CuPy's), one
    /// launch (or two for few long reductions) instead of the CPU's three
    /// elementwise stages. `identity` is required here: the template folds
    /// from it.
    fn call_cuda(
        &self,
        ordinal: usize,
        args: &[KernelArg],
        axis: Option<&[isize]>,
        keepdims: bool,
        res: &[(String, DType)],
        rtype: DType,
    ) -> Result<Vec<Array>> {
        use crate::backend::cuda::launch::KernelParam;
        use crate::backend::cuda::ops::{run_reduction, ReduceInput};
        let op = "ReductionKernel";
        let dev = crate::backend::cuda::device(ordinal)?;
        if self.identity.is_none() {
            // Fail before allocating or launching anything.
            self.cuda_spec(Vec::new(), rtype, Vec::new(), Vec::new(), false)?;
        }
        let dtype_of = |p: &ParamInfo| -> Result<DType> {
            match &p.ty {
                ParamType::DType(d) => Ok(*d),
                ParamType::Placeholder(t) => res
                    .iter()
                    .find(|(k, _)| k == t)
                    .map(|(_, d)| *d)
                    .ok_or_else(|| {
                        Error::dtype(
                            op,
                            format!(
                                "kernel `{}`: cannot determine the type placeholder `{t}` of `{}`",
                                self.name, p.name
                            ),
                        )
                    }),
            }
        };
        let mut shape: Vec<usize> = Vec::new();
        let mut first = true;
        for a in args {
            if let KernelArg::Array(a) = a {
                if a.device() != Device::Cuda(ordinal) {
                    return Err(Error::Device {
                        op,
                        message: format!(
                            "kernel `{}`: arrays on different devices: cuda:{ordinal} and {}",
                            self.name,
                            a.device()
                        ),
                    });
                }
                shape = if first {
                    a.shape().to_vec()
                } else {
                    crate::layout::broadcast_shapes(op, &shape, a.shape())?.to_vec()
                };
                first = false;
            }
        }
        let mut held: Vec<Option<Array>> = Vec::new();
        let mut scalars: Vec<Option<KernelParam>> = Vec::new();
        for (p, a) in self.in_params.iter().zip(args) {
            let d = dtype_of(p)?;
            match a {
                KernelArg::Array(a) => {
                    let a = if a.dtype() == d {
                        (*a).clone()
                    } else {
                        a.astype(d)?
                    };
                    held.push(Some(a.broadcast_to(&shape)?));
                    scalars.push(None);
                }
                KernelArg::Scalar(s, _) => {
                    held.push(None);
                    scalars.push(Some(KernelParam::scalar_of(*s, d)?));
                }
            }
        }
        let inputs: Vec<ReduceInput> = held
            .iter()
            .zip(scalars)
            .map(|(h, s)| match (h, s) {
                (Some(a), _) => ReduceInput::Array(a),
                (None, s) => ReduceInput::Scalar(s.expect("a scalar argument")),
            })
            .collect();
        let axes = crate::layout::normalize_axes(op, axis, shape.len())?;
        let kept: Vec<usize> = (0..shape.len())
            .filter(|d| !axes.contains(d))
            .map(|d| shape[d])
            .collect();
        let outs: Vec<Array> = self
            .out_params
            .iter()
            .map(|p| {
                Array::uninit_with_strides(
                    dtype_of(p)?,
                    &kept,
                    crate::layout::c_strides(&kept),
                    Device::Cuda(ordinal),
                )
            })
            .collect::<Result<_>>()?;
        let out_refs: Vec<&Array> = outs.iter().collect();
        run_reduction(
            op,
            &dev,
            &inputs,
            &shape,
            &axes,
            &out_refs,
            |il, ol, u32| self.cuda_spec(res.to_vec(), rtype, il, ol, u32),
        )?;
        let out_shape = reduced_shape(&shape, &axes, keepdims);
        outs.into_iter().map(|o| o.reshape_to(&out_shape)).collect()
    }
}

/// Points an error of a wrapped expression (`_m = (expr);`) back at the user's text.
fn rename_source(e: Error, source: &'static str, prefix: usize) -> Error {
    match e {
        Error::Kernel {
            kernel,
            line,
            column,
            found,
            message,
            ..
        } => Error::Kernel {
            kernel,
            source_name: source,
            line,
            column: if line == 1 {
                column.saturating_sub(prefix).max(1)
            } else {
                column
            },
            found,
            message,
        },
        e => e,
    }
}

/// `shape` with the reduced `axes` dropped (or kept as 1 with `keepdims`):
/// the result shape of both the CPU and the CUDA path.
fn reduced_shape(shape: &[usize], axes: &[usize], keepdims: bool) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter_map(|(d, &s)| match (axes.contains(&d), keepdims) {
            (false, _) => Some(s),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}
