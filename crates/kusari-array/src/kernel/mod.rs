//! User-defined kernels: CuPy's `ElementwiseKernel`, `ReductionKernel` and
//! `RawKernel`.
//!
//! Where kusari differs from CuPy on purpose: it runs these kernels on the
//! CPU too. The operation (a small C subset) is parsed when the kernel is
//! built, lowered per type map to a typed IR on first call (memoized in the
//! kernel), and interpreted block by block: every IR instruction runs over
//! 1024 lanes at a time, and blocks spread over rayon's threads. Control
//! flow runs under lane masks. See `docs/ARCHITECTURE.md` for the design.
//! On a CUDA device the calls return an error until the CUDA backend lands.

mod exec;
mod ir;
mod parse;
mod reduction;

pub use reduction::ReductionKernel;

use crate::{Array, DType, Device, Error, Order, Result, Scalar};
use exec::{Buf, Env};
use ir::{LowerParam, Program, Ty, CV};
use parse::{FuncDef, SrcError, Stmt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A parameter's declared type: a dtype or a placeholder bound at call time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ParamType {
    DType(DType),
    Placeholder(String),
}

/// One parsed parameter of `in_params`/`out_params`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParamInfo {
    pub name: String,
    pub raw: bool,
    pub is_output: bool,
    pub ty: ParamType,
}

/// An argument of a kernel call: an array or a typed scalar.
///
/// A scalar takes its parameter's type; when it alone binds a placeholder,
/// the placeholder becomes the scalar's own dtype (`2.0f32` → `float32`).
#[derive(Clone, Copy, Debug)]
pub enum KernelArg<'a> {
    /// An array argument.
    Array(&'a Array),
    /// A scalar value and the dtype it has on its own.
    Scalar(Scalar, DType),
}

macro_rules! kernel_arg_from {
    ($($t:ty => $v:ident, $d:ident);*) => {$(
        impl From<$t> for KernelArg<'_> {
            fn from(v: $t) -> Self { KernelArg::Scalar(Scalar::from(v), DType::$d) }
        }
    )*};
}
kernel_arg_from!(f32 => Float, F32; f64 => Float, F64; i8 => Int, I8; i16 => Int, I16; i32 => Int, I32; i64 => Int, I64; u8 => Int, U8; bool => Bool, Bool);

impl<'a> From<&'a Array> for KernelArg<'a> {
    fn from(a: &'a Array) -> Self {
        KernelArg::Array(a)
    }
}

/// Anything a kernel accepts as an argument: `&Array` or [`KernelArg`].
pub trait AsKernelArg {
    /// The argument as a [`KernelArg`].
    fn as_kernel_arg(&self) -> KernelArg<'_>;
}
impl AsKernelArg for &Array {
    fn as_kernel_arg(&self) -> KernelArg<'_> {
        KernelArg::Array(self)
    }
}
impl AsKernelArg for Array {
    fn as_kernel_arg(&self) -> KernelArg<'_> {
        KernelArg::Array(self)
    }
}
impl AsKernelArg for KernelArg<'_> {
    fn as_kernel_arg(&self) -> KernelArg<'_> {
        *self
    }
}

fn src_err(kernel: &str, source_name: &'static str, e: SrcError) -> Error {
    Error::Kernel {
        kernel: kernel.to_string(),
        source_name,
        line: e.pos.line,
        column: e.pos.col,
        found: e.found,
        message: e.message,
    }
}

/// Parses a CuPy parameter list `"[raw] type name, ..."`.
pub(crate) fn parse_params(
    kernel: &str,
    source_name: &'static str,
    s: &str,
    is_output: bool,
) -> Result<Vec<ParamInfo>> {
    let mut out = Vec::new();
    if s.trim().is_empty() {
        return Ok(out);
    }
    let mut col = 1;
    for part in s.split(',') {
        let lead = part.len() - part.trim_start().len();
        let pos_col = col + lead;
        col += part.chars().count() + 1;
        let bad = |found: &str, message: String| Error::Kernel {
            kernel: kernel.to_string(),
            source_name,
            line: 1,
            column: pos_col,
            found: found.to_string(),
            message,
        };
        let words: Vec<&str> = part.split_whitespace().collect();
        let mut w = &words[..];
        let raw = w.first() == Some(&"raw");
        if raw {
            w = &w[1..];
        }
        if w.first() == Some(&"_non_const") {
            w = &w[1..];
        }
        if w.len() != 2 {
            return Err(bad(
                part.trim(),
                "expected a parameter `[raw] type name`".to_string(),
            ));
        }
        let (t, name) = (w[0], w[1]);
        let ident_ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident_ok {
            return Err(bad(name, format!("`{name}` is not a valid parameter name")));
        }
        // CuPy's rule: a one-letter type is a placeholder.
        let ty = if t.len() == 1 && t.chars().all(|c| c.is_ascii_alphabetic()) {
            ParamType::Placeholder(t.to_string())
        } else {
            match DType::from_name(t) {
                Some(d) => ParamType::DType(d),
                None => {
                    return Err(bad(
                        t,
                        format!("unknown type `{t}`: expected a dtype name (bool, int8, uint8, int16, int32, int64, float16, bfloat16, float32, float64) or a one-letter placeholder"),
                    ))
                }
            }
        };
        if out.iter().any(|p: &ParamInfo| p.name == name) {
            return Err(bad(name, format!("parameter `{name}` is declared twice")));
        }
        out.push(ParamInfo {
            name: name.to_string(),
            raw,
            is_output,
            ty,
        });
    }
    Ok(out)
}

fn parse_body(
    kernel: &str,
    source_name: &'static str,
    src: &str,
    type_names: &[String],
) -> Result<Vec<Stmt>> {
    let toks = parse::lex(src).map_err(|e| src_err(kernel, source_name, e))?;
    parse::Parser::new(&toks, type_names)
        .statements_until_eof()
        .map_err(|e| src_err(kernel, source_name, e))
}

fn parse_preamble(kernel: &str, src: &str, type_names: &[String]) -> Result<Vec<FuncDef>> {
    let toks = parse::lex(src).map_err(|e| src_err(kernel, "preamble", e))?;
    parse::Parser::new(&toks, type_names)
        .preamble()
        .map_err(|e| src_err(kernel, "preamble", e))
}

type CacheKey = (Vec<Ty>, Vec<bool>);

/// What a call resolved to: the GPU path generates code from the same facts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    /// Placeholder → dtype, sorted by name.
    pub type_map: Vec<(String, DType)>,
    /// Each parameter's dtype.
    pub param_dtypes: Vec<DType>,
    /// Each parameter's argument is a scalar (inputs only).
    pub scalar: Vec<bool>,
    /// The loop's shape (the broadcast shape, or `[size]`).
    pub shape: Vec<usize>,
    /// The loop's shape after merging contiguous axes (`[size]` when all
    /// non-raw arrays are C-contiguous and `reduce_dims` is on).
    pub reduced_shape: Vec<usize>,
}

/// CuPy's `ElementwiseKernel`: an operation applied to every element of
/// the broadcast arguments.
///
/// ```
/// use kusari_array::{Array, ElementwiseKernel};
/// let k = ElementwiseKernel::new("float32 x, float32 y", "float32 z", "z = x + 2 * y;", "my_kernel")?;
/// let x = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
/// let y = Array::from_vec(vec![10.0f32], &[1])?;
/// let z = k.call(&[&x, &y])?;
/// assert_eq!(z.to_vec::<f32>()?, vec![21.0, 22.0, 23.0]);
/// # Ok::<(), kusari_array::Error>(())
/// ```
///
/// Unlike CuPy it also runs on the CPU, interpreting the operation; a syntax
/// error is reported by `new`, not at the first call. The CPU accepts this C
/// subset: declarations (`T`, `float`, `double`, `int`, `long long`,
/// `unsigned`, `bool`, `size_t`, ..., `const`, `auto`), `=` and compound
/// assignment, `++`/`--` as statements, arithmetic, comparison, logical,
/// bitwise and ternary operators, `(float)x`, `float(x)` and
/// `static_cast<T>(x)`, `if`/`else`, `for`, `while`, `break`, `continue`,
/// CUDA's math functions (`exp`, `log`, `sqrt`, `rsqrt`, `tanh`, `pow`,
/// `max`, `erf`, `erfc`, `lgamma`, `isnan`, ... and the `f`-suffixed forms), raw-array indexing
/// `x[j * n + k]`, `i` and `_ind.size()`. Anything else (pointers, `goto`,
/// `switch`, atomics other than the statements `atomicAdd`, `atomicSub`,
/// `atomicMax`, `atomicMin` and `atomicExch` `(&x[j], v);` with their old
/// value unused (in element order on the CPU, where such kernels run on one
/// thread; only on element types CUDA overloads them for, so the kernel also
/// compiles for a GPU), `atomicCAS`, `__syncthreads`, local arrays, `x++` inside an
/// expression, chained `a = b = c`) is an error naming it. Integer `/` and `%`
/// by zero give 0 rather than undefined behaviour; kernels that write raw
/// arrays run on one thread.
pub struct ElementwiseKernel {
    name: String,
    params: Vec<ParamInfo>,
    nin: usize,
    operation: String,
    preamble: String,
    body: Vec<Stmt>,
    funcs: Vec<FuncDef>,
    reduce_dims: bool,
    no_return: bool,
    /// Extra type names the source may use (`_type_reduce` for the reduction's parts).
    extra_types: Vec<String>,
    cache: Mutex<HashMap<CacheKey, Arc<Program>>>,
}

impl std::fmt::Debug for ElementwiseKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElementwiseKernel")
            .field("name", &self.name)
            .field("operation", &self.operation)
            .finish()
    }
}

impl ElementwiseKernel {
    /// Builds a kernel from CuPy-style parameter lists, the operation and a name.
    pub fn new(in_params: &str, out_params: &str, operation: &str, name: &str) -> Result<Self> {
        let mut params = parse_params(name, "in_params", in_params, false)?;
        let nin = params.len();
        for p in parse_params(name, "out_params", out_params, true)? {
            if params.iter().any(|q| q.name == p.name) {
                return Err(Error::Kernel {
                    kernel: name.to_string(),
                    source_name: "out_params",
                    line: 1,
                    column: 1,
                    found: p.name.clone(),
                    message: format!("`{}` is both an input and an output", p.name),
                });
            }
            params.push(p);
        }
        Self::from_params(params, nin, operation, name, Vec::new())
    }

    pub(crate) fn from_params(
        params: Vec<ParamInfo>,
        nin: usize,
        operation: &str,
        name: &str,
        extra_types: Vec<String>,
    ) -> Result<Self> {
        if params.len() == nin {
            return Err(Error::value(
                "ElementwiseKernel",
                format!("kernel `{name}`: expected at least one output parameter, found none"),
            ));
        }
        let mut k = ElementwiseKernel {
            name: name.to_string(),
            params,
            nin,
            operation: operation.to_string(),
            preamble: String::new(),
            body: Vec::new(),
            funcs: Vec::new(),
            reduce_dims: true,
            no_return: false,
            extra_types,
            cache: Mutex::new(HashMap::new()),
        };
        k.body = parse_body(name, "operation", operation, &k.type_names())?;
        Ok(k)
    }

    fn type_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .params
            .iter()
            .filter_map(|p| match &p.ty {
                ParamType::Placeholder(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        v.extend(self.extra_types.iter().cloned());
        v
    }

    /// Adds helper code: `__device__` (or plain) function definitions the
    /// operation may call. On the CPU anything else in a preamble is an error.
    pub fn with_preamble(mut self, preamble: &str) -> Result<Self> {
        self.funcs = parse_preamble(&self.name, preamble, &self.type_names())?;
        self.preamble = preamble.to_string();
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(self)
    }

    /// CuPy's `reduce_dims` (default on): merge contiguous axes before
    /// launching. It changes only the GPU code's indexing, never results.
    pub fn reduce_dims(mut self, on: bool) -> Self {
        self.reduce_dims = on;
        self
    }

    /// CuPy's `no_return`: the call returns no arrays (for kernels that
    /// only write raw outputs given by the caller).
    pub fn no_return(mut self, on: bool) -> Self {
        self.no_return = on;
        self
    }

    /// The kernel's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls the kernel and returns its single output.
    pub fn call<A: AsKernelArg>(&self, args: &[A]) -> Result<Array> {
        let nout = self.params.len() - self.nin;
        if nout != 1 || self.no_return {
            return Err(Error::value(
                "ElementwiseKernel::call",
                format!(
                    "kernel `{}`: expected a kernel with one returned output, found {} output(s){}; use call_multi or call_out",
                    self.name,
                    nout,
                    if self.no_return { " and no_return set" } else { "" }
                ),
            ));
        }
        Ok(self
            .call_with(args, &mut [], None)?
            .pop()
            .expect("one output"))
    }

    /// Calls the kernel and returns every output (none with `no_return`).
    pub fn call_multi<A: AsKernelArg>(&self, args: &[A]) -> Result<Vec<Array>> {
        self.call_with(args, &mut [], None)
    }

    /// Calls the kernel writing into `outs`, which must have the broadcast
    /// shape (raw outputs: any shape) and the outputs' dtypes.
    pub fn call_out<A: AsKernelArg>(&self, args: &[A], outs: &mut [&mut Array]) -> Result<()> {
        self.call_with(args, outs, None).map(|_| ())
    }

    /// The general call: `outs` empty to allocate the outputs, `size` for
    /// kernels whose arrays are all raw (CuPy's `size=`).
    pub fn call_with<A: AsKernelArg>(
        &self,
        args: &[A],
        outs: &mut [&mut Array],
        size: Option<usize>,
    ) -> Result<Vec<Array>> {
        let args: Vec<KernelArg> = args.iter().map(|a| a.as_kernel_arg()).collect();
        let r = self.launch(&args, outs, size, &[])?;
        Ok(if self.no_return { Vec::new() } else { r })
    }

    // ---- accessors for the GPU code generator ------------------------------------------

    /// The parsed parameters, inputs first.
    #[allow(dead_code)]
    pub(crate) fn params(&self) -> &[ParamInfo] {
        &self.params
    }
    /// The operation's source.
    #[allow(dead_code)]
    pub(crate) fn operation(&self) -> &str {
        &self.operation
    }
    /// The preamble's source.
    #[allow(dead_code)]
    pub(crate) fn preamble(&self) -> &str {
        &self.preamble
    }
    /// Whether axes are merged before the GPU launch.
    #[allow(dead_code)]
    pub(crate) fn reduces_dims(&self) -> bool {
        self.reduce_dims
    }

    fn op(&self) -> &'static str {
        "ElementwiseKernel"
    }

    fn fail_dtype(&self, message: String) -> Error {
        Error::dtype(self.op(), format!("kernel `{}`: {message}", self.name))
    }

    /// Resolves types and shapes of a call (CuPy's `_decide_params_type`
    /// and `_broadcast`), without running anything.
    pub(crate) fn resolve(
        &self,
        args: &[KernelArg],
        outs: &[&mut Array],
        size: Option<usize>,
        prebound: &[(String, DType)],
    ) -> Result<Resolved> {
        let name = &self.name;
        let nout = self.params.len() - self.nin;
        if args.len() != self.nin {
            return Err(Error::value(
                self.op(),
                format!(
                    "kernel `{name}`: expected {} argument(s), found {}",
                    self.nin,
                    args.len()
                ),
            ));
        }
        if !outs.is_empty() && outs.len() != nout {
            return Err(Error::value(
                self.op(),
                format!(
                    "kernel `{name}`: expected {nout} output array(s) or none, found {}",
                    outs.len()
                ),
            ));
        }
        let mut map: HashMap<String, (DType, String)> = prebound
            .iter()
            .map(|(k, d)| (k.clone(), (*d, "the kernel".to_string())))
            .collect();
        let bind =
            |map: &mut HashMap<String, (DType, String)>, t: &str, d: DType, by: &str| match map
                .get(t)
            {
                Some((d0, by0)) if *d0 != d => Err(self.fail_dtype(format!(
                    "type placeholder `{t}` is bound to {d0} by {by0} but {by} has {d}"
                ))),
                Some(_) => Ok(()),
                None => {
                    map.insert(t.to_string(), (d, by.to_string()));
                    Ok(())
                }
            };
        // Outputs first, then array inputs, then scalars (CuPy's order).
        for (p, o) in self.params[self.nin..].iter().zip(outs.iter()) {
            match &p.ty {
                ParamType::Placeholder(t) => {
                    bind(&mut map, t, o.dtype(), &format!("output `{}`", p.name))?
                }
                ParamType::DType(d) if *d != o.dtype() => {
                    return Err(self.fail_dtype(format!(
                        "output `{}` must be {d}, found an array of {}",
                        p.name,
                        o.dtype()
                    )))
                }
                _ => {}
            }
        }
        for (p, a) in self.params[..self.nin].iter().zip(args) {
            if let (ParamType::Placeholder(t), KernelArg::Array(a)) = (&p.ty, a) {
                bind(&mut map, t, a.dtype(), &format!("input `{}`", p.name))?;
            }
        }
        for (p, a) in self.params[..self.nin].iter().zip(args) {
            if let (ParamType::Placeholder(t), KernelArg::Scalar(_, d)) = (&p.ty, a) {
                if p.raw {
                    return Err(self.fail_dtype(format!(
                        "raw parameter `{}` needs an array, found a scalar",
                        p.name
                    )));
                }
                // A scalar converts to a placeholder that arrays (or an earlier scalar) bound.
                if !map.contains_key(t) {
                    bind(&mut map, t, *d, &format!("scalar `{}`", p.name))?;
                }
            } else if let (true, KernelArg::Scalar(..)) = (p.raw, a) {
                return Err(self.fail_dtype(format!(
                    "raw parameter `{}` needs an array, found a scalar",
                    p.name
                )));
            }
        }
        let mut param_dtypes = Vec::new();
        for p in &self.params {
            param_dtypes.push(match &p.ty {
                ParamType::DType(d) => *d,
                ParamType::Placeholder(t) => match map.get(t) {
                    Some((d, _)) => *d,
                    None => {
                        return Err(self.fail_dtype(format!(
                        "cannot determine the type placeholder `{t}` of `{}`: no argument binds it",
                        p.name
                    )))
                    }
                },
            });
        }
        // Broadcast the non-raw arrays only.
        let mut shape: Option<Vec<usize>> = None;
        for (p, a) in self.params[..self.nin].iter().zip(args) {
            if let (false, KernelArg::Array(a)) = (p.raw, a) {
                shape = Some(match shape {
                    None => a.shape().to_vec(),
                    Some(s) => crate::layout::broadcast_shapes(self.op(), &s, a.shape())?.to_vec(),
                });
            }
        }
        // Given non-raw outputs take part in fixing the shape when no input does.
        if shape.is_none() {
            for (p, o) in self.params[self.nin..].iter().zip(outs.iter()) {
                if !p.raw {
                    shape = Some(o.shape().to_vec());
                    break;
                }
            }
        }
        let shape = match (shape, size) {
            (Some(_), Some(_)) => {
                return Err(Error::value(
                    self.op(),
                    format!("kernel `{name}`: size= is only allowed when every array argument is raw"),
                ))
            }
            (Some(s), None) => s,
            (None, Some(n)) => vec![n],
            (None, None) => {
                return Err(Error::value(
                    self.op(),
                    format!("kernel `{name}`: expected size= because no non-raw array argument fixes the loop size"),
                ))
            }
        };
        let mut all_contig = true;
        for (p, o) in self.params[self.nin..].iter().zip(outs.iter()) {
            if !p.raw && o.shape() != shape.as_slice() {
                return Err(Error::shape(
                    self.op(),
                    format!(
                        "kernel `{name}`: output `{}` must have the broadcast shape {shape:?}, found {:?}",
                        p.name,
                        o.shape()
                    ),
                ));
            }
            all_contig &= p.raw || o.is_c_contiguous();
        }
        for (p, a) in self.params[..self.nin].iter().zip(args) {
            if let (false, KernelArg::Array(a)) = (p.raw, a) {
                all_contig &= a.shape() == shape.as_slice() && a.is_c_contiguous();
            }
        }
        let n: usize = shape.iter().product();
        let reduced_shape = if self.reduce_dims && all_contig {
            vec![n]
        } else {
            shape.clone()
        };
        let mut type_map: Vec<(String, DType)> =
            map.into_iter().map(|(k, (d, _))| (k, d)).collect();
        type_map.sort();
        Ok(Resolved {
            type_map,
            param_dtypes,
            scalar: self
                .params
                .iter()
                .enumerate()
                .map(|(k, _)| k < self.nin && matches!(args[k], KernelArg::Scalar(..)))
                .collect(),
            shape,
            reduced_shape,
        })
    }

    fn program(&self, res: &Resolved) -> Result<Arc<Program>> {
        let tys: Vec<Ty> = res
            .param_dtypes
            .iter()
            .map(|d| Ty::from_dtype(*d))
            .collect();
        let key = (tys.clone(), res.scalar.clone());
        if let Some(p) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(p.clone());
        }
        let lp: Vec<LowerParam> = self
            .params
            .iter()
            .zip(&tys)
            .zip(&res.scalar)
            .map(|((p, t), s)| LowerParam {
                name: p.name.clone(),
                raw: p.raw,
                is_output: p.is_output,
                ty: *t,
                scalar: *s,
            })
            .collect();
        let tm: HashMap<String, Ty> = res
            .type_map
            .iter()
            .map(|(k, d)| (k.clone(), Ty::from_dtype(*d)))
            .collect();
        let prog = ir::lower(&lp, &tm, &self.funcs, &self.body).map_err(|e| {
            let source = if e.in_preamble {
                "preamble"
            } else {
                "operation"
            };
            src_err(&self.name, source, e)
        })?;
        let prog = Arc::new(prog);
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, prog.clone());
        Ok(prog)
    }

    /// Resolves, allocates, compiles (memoized) and runs one call.
    pub(crate) fn launch(
        &self,
        args: &[KernelArg],
        outs: &mut [&mut Array],
        size: Option<usize>,
        prebound: &[(String, DType)],
    ) -> Result<Vec<Array>> {
        let mut device = None;
        let arrays = args
            .iter()
            .filter_map(|a| match a {
                KernelArg::Array(a) => Some(a.device()),
                _ => None,
            })
            .chain(outs.iter().map(|o| o.device()));
        for d in arrays {
            match device {
                None => device = Some(d),
                Some(d0) if d0 != d => {
                    return Err(Error::Device {
                        op: self.op(),
                        message: format!(
                            "kernel `{}`: arrays on different devices: {d0} and {d}",
                            self.name
                        ),
                    })
                }
                _ => {}
            }
        }
        match device.unwrap_or(Device::Cpu) {
            Device::Cpu => self.launch_cpu(args, outs, size, prebound),
            Device::Cuda(_) => self.launch_cuda(args, outs, size, prebound),
        }
    }

    /// The spec the CUDA code generator renders for this kernel with the
    /// placeholders bound by `typedefs` and the arguments passed as `layout`.
    pub(crate) fn cuda_spec(
        &self,
        typedefs: Vec<(String, DType)>,
        layout: Vec<crate::backend::cuda::codegen::ArgLayout>,
        index_32bit: bool,
    ) -> crate::backend::cuda::codegen::ElementwiseSpec {
        use crate::backend::cuda::codegen::{ElementwiseSpec, Param, TypeRef};
        ElementwiseSpec {
            name: self.name.clone(),
            params: self
                .params
                .iter()
                .map(|p| Param {
                    name: p.name.clone(),
                    ctype: match &p.ty {
                        ParamType::DType(d) => TypeRef::DType(*d),
                        ParamType::Placeholder(t) => TypeRef::Placeholder(t.clone()),
                    },
                    raw: p.raw,
                    output: p.is_output,
                })
                .collect(),
            typedefs,
            operation: self.operation().to_string(),
            preamble: self.preamble().to_string(),
            loop_prep: String::new(),
            after_loop: String::new(),
            layout,
            index_32bit,
        }
    }

    /// The GPU path: the same resolution, then the CUDA code generator's
    /// elementwise template (as CuPy) instead of the CPU interpreter. The
    /// operation is handed to NVRTC as written, so CUDA C++ beyond the CPU
    /// subset works here.
    fn launch_cuda(
        &self,
        args: &[KernelArg],
        outs: &mut [&mut Array],
        size: Option<usize>,
        prebound: &[(String, DType)],
    ) -> Result<Vec<Array>> {
        use crate::backend::cuda::codegen::{index, ArgLayout};
        use crate::backend::cuda::launch::{linear_launch, KernelParam};
        let res = self.resolve(args, outs, size, prebound)?;
        let dev_id = args
            .iter()
            .find_map(|a| match a {
                KernelArg::Array(a) => Some(a.device()),
                _ => None,
            })
            .or_else(|| outs.first().map(|o| o.device()))
            .unwrap_or(Device::Cpu);
        let Device::Cuda(ordinal) = dev_id else {
            return Err(Error::Device {
                op: self.op(),
                message: format!("kernel `{}`: expected arrays on cuda", self.name),
            });
        };
        let dev = crate::backend::cuda::device(ordinal)?;
        let np = self.params.len();
        // Every array argument, as the kernel sees it (non-raw ones broadcast).
        let mut arrays: Vec<Option<Array>> = vec![None; np];
        let mut scalar_params: Vec<Option<KernelParam>> = vec![None; np];
        for (k, (p, a)) in self.params[..self.nin].iter().zip(args).enumerate() {
            let d = res.param_dtypes[k];
            match a {
                KernelArg::Scalar(s, _) => scalar_params[k] = Some(KernelParam::scalar_of(*s, d)?),
                KernelArg::Array(a) => {
                    let a = if a.dtype() == d {
                        (*a).clone()
                    } else {
                        a.astype(d)?
                    };
                    arrays[k] = Some(if p.raw {
                        a
                    } else {
                        a.broadcast_to(&res.shape)?
                    });
                }
            }
        }
        #[allow(clippy::needless_range_loop)] // k indexes params, dtypes, outs and arrays alike
        for k in self.nin..np {
            let (p, d, j) = (&self.params[k], res.param_dtypes[k], k - self.nin);
            arrays[k] = Some(if let Some(o) = outs.get_mut(j) {
                o.make_unique()?;
                (**o).clone()
            } else {
                let shape = if p.raw {
                    vec![size.ok_or_else(|| {
                        Error::value(
                            self.op(),
                            format!(
                                "kernel `{}`: raw output `{}` needs size= or a given array",
                                self.name, p.name
                            ),
                        )
                    })?]
                } else {
                    res.shape.clone()
                };
                // Zeros, as on the CPU, so an operation that reads its output
                // before writing all of it agrees on both devices.
                Array::zeros_on(&shape, d, dev_id)?
            });
        }
        // Non-raw arrays are collapsed jointly over the loop; raw ones keep their own shape.
        let loop_ix: Vec<usize> = (0..np)
            .filter(|&k| arrays[k].is_some() && !self.params[k].raw)
            .collect();
        let loop_strides: Vec<&[isize]> = loop_ix
            .iter()
            .map(|&k| arrays[k].as_ref().unwrap().strides())
            .collect();
        let c = index::collapse(&res.shape, &loop_strides);
        let n: usize = res.shape.iter().product();
        let mut own: Vec<(Vec<usize>, Vec<isize>)> = vec![(Vec::new(), Vec::new()); np];
        for k in 0..np {
            if let Some(a) = &arrays[k] {
                own[k] = match loop_ix.iter().position(|&q| q == k) {
                    Some(i) => (c.shape.clone(), c.strides[i].clone()),
                    None => {
                        let r = index::collapse(a.shape(), &[a.strides()]);
                        (r.shape, r.strides[0].clone())
                    }
                };
            }
        }
        let views: Vec<(&[usize], &[isize])> = own
            .iter()
            .zip(&arrays)
            .filter(|(_, a)| a.is_some())
            .map(|((sh, st), _)| (&sh[..], &st[..]))
            .collect();
        let use32 = index::fits_32bit(n, &views);
        let mut layout = Vec::with_capacity(np);
        let mut kargs = Vec::with_capacity(np + 1);
        for k in 0..np {
            match &arrays[k] {
                Some(a) => {
                    let (sh, st) = &own[k];
                    let (l, arg) =
                        crate::backend::cuda::ops::array_arg(self.op(), a, sh, st, use32)?;
                    layout.push(l);
                    kargs.push(arg);
                }
                None => {
                    layout.push(ArgLayout::Scalar);
                    kargs.push(scalar_params[k].take().expect("a scalar argument"));
                }
            }
        }
        kargs.push(KernelParam::Blob(index::pack_shape(&c.shape, use32)?));
        let spec = self.cuda_spec(res.type_map.clone(), layout, use32);
        let source = spec.render()?;
        linear_launch(&dev, n, &spec.name, &source, &[], &mut kargs)?;
        Ok(arrays
            .into_iter()
            .skip(self.nin)
            .map(|a| a.expect("outputs filled above"))
            .collect())
    }

    fn launch_cpu(
        &self,
        args: &[KernelArg],
        outs: &mut [&mut Array],
        size: Option<usize>,
        prebound: &[(String, DType)],
    ) -> Result<Vec<Array>> {
        let res = self.resolve(args, outs, size, prebound)?;
        let prog = self.program(&res)?;
        let n: usize = res.shape.iter().product();
        let np = self.params.len();
        // Keep every buffer alive (and contiguous) while the program runs.
        let mut holders: Vec<Option<Array>> = vec![None; np];
        let mut scalars: Vec<Option<CV>> = vec![None; np];
        for (k, (p, a)) in self.params[..self.nin].iter().zip(args).enumerate() {
            let d = res.param_dtypes[k];
            match a {
                KernelArg::Scalar(s, _) => {
                    let cv = match s {
                        Scalar::Bool(b) => CV::B(*b),
                        Scalar::Int(i) => CV::I(*i),
                        Scalar::Float(f) => CV::F(*f),
                    };
                    // Wrap/round to the parameter's type as a C argument conversion would.
                    scalars[k] = Some(match d {
                        DType::I8 => CV::I(cv.cast(ir::CTy::I64).as_i64() as i8 as i64),
                        DType::U8 => CV::I(cv.cast(ir::CTy::I64).as_i64() as u8 as i64),
                        DType::I16 => CV::I(cv.cast(ir::CTy::I64).as_i64() as i16 as i64),
                        DType::F16 => {
                            CV::F(half::f16::from_f64(cv.cast(ir::CTy::F64).as_f64()).to_f64())
                        }
                        DType::BF16 => {
                            CV::F(half::bf16::from_f64(cv.cast(ir::CTy::F64).as_f64()).to_f64())
                        }
                        _ => cv.cast(Ty::from_dtype(d).compute()),
                    });
                }
                KernelArg::Array(a) => {
                    let a = if p.raw {
                        (*a).clone()
                    } else {
                        a.broadcast_to(&res.shape)?
                    };
                    let a = if a.dtype() == d && a.is_c_contiguous() {
                        a
                    } else {
                        a.astype_order(d, Order::C)?
                    };
                    holders[k] = Some(a);
                }
            }
        }
        let mut given_back: Vec<(usize, usize)> = Vec::new();
        #[allow(clippy::needless_range_loop)] // k indexes params, dtypes, outs and holders alike
        for k in self.nin..np {
            let p = &self.params[k];
            let d = res.param_dtypes[k];
            let j = k - self.nin;
            let arr = if let Some(o) = outs.get_mut(j) {
                if o.is_c_contiguous() {
                    o.make_unique()?;
                    (**o).clone()
                } else {
                    given_back.push((k, j));
                    o.astype_order(d, Order::C)?
                }
            } else if p.raw {
                let Some(s) = size else {
                    return Err(Error::value(
                        self.op(),
                        format!(
                            "kernel `{}`: raw output `{}` needs size= or a given array",
                            self.name, p.name
                        ),
                    ));
                };
                Array::zeros(&[s], d)?
            } else if prog.loads.iter().any(|(q, _)| *q == k) {
                // The operation reads the output before writing all of it: start from zeros.
                Array::zeros(&res.shape, d)?
            } else {
                Array::empty(&res.shape, d)?
            };
            holders[k] = Some(arr);
        }
        let bufs: Vec<Option<Buf>> = holders
            .iter()
            .map(|h| {
                h.as_ref().map(|a| Buf {
                    ptr: a.host_ptr() as *mut u8,
                    dtype: a.dtype(),
                    len: a.size(),
                })
            })
            .collect();
        exec::run(
            &prog,
            &Env {
                kernel: &self.name,
                bufs: &bufs,
                scalars: &scalars,
                size: n,
            },
        )?;
        drop(bufs);
        let mut result = Vec::new();
        for (k, h) in holders.iter_mut().enumerate().skip(self.nin) {
            let a = h.take().expect("filled above");
            if let Some(&(_, j2)) = given_back.iter().find(|(kk, _)| *kk == k) {
                outs[j2].assign(&a)?;
                result.push((*outs[j2]).clone());
            } else {
                result.push(a);
            }
        }
        Ok(result)
    }
}

/// CuPy's `RawKernel`: hand-written CUDA C++ launched with a grid and a
/// block. It has no CPU implementation (kusari does not interpret full CUDA
/// C++), so every launch on the CPU is an error saying so.
#[derive(Clone, Debug)]
pub struct RawKernel {
    code: String,
    name: String,
}

impl RawKernel {
    /// Keeps the source and the `extern "C"` function name for the GPU path.
    pub fn new(code: &str, name: &str) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::value(
                "RawKernel::new",
                "expected a kernel function name, found an empty string",
            ));
        }
        Ok(RawKernel {
            code: code.to_string(),
            name: name.to_string(),
        })
    }

    /// The kernel's source.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The kernel's function name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Launches `grid` × `block` threads with `shared_mem` bytes of dynamic
    /// shared memory. Only possible on a CUDA device; an error on the CPU.
    pub fn launch<A: AsKernelArg>(
        &self,
        grid: (u32, u32, u32),
        block: (u32, u32, u32),
        shared_mem: u32,
        args: &[A],
    ) -> Result<()> {
        let device = args.iter().find_map(|a| match a.as_kernel_arg() {
            KernelArg::Array(a) => Some(a.device()),
            _ => None,
        });
        match device {
            Some(Device::Cuda(ordinal)) => {
                use crate::backend::cuda::launch::{launch, KernelParam};
                const OP: &str = "RawKernel::launch";
                let dev = crate::backend::cuda::device(ordinal)?;
                // Arrays are passed as pointers to their first element and
                // scalars by value in their own dtype, as CuPy passes them.
                let mut params = Vec::with_capacity(args.len());
                for a in args {
                    params.push(match a.as_kernel_arg() {
                        KernelArg::Array(a) => {
                            Array::same_device(OP, a, a)?;
                            if a.device() != Device::Cuda(ordinal) {
                                return Err(Error::Device {
                                    op: OP,
                                    message: format!("kernel `{}`: arrays on different devices: cuda:{ordinal} and {}", self.name, a.device()),
                                });
                            }
                            KernelParam::array(OP, a)?
                        }
                        KernelArg::Scalar(s, d) => KernelParam::scalar_of(s, d)?,
                    });
                }
                launch(&dev, &self.name, &self.code, &[], grid, block, shared_mem, &mut params)
            }
            _ => Err(Error::Device {
                op: "RawKernel::launch",
                message: format!(
                    "kernel `{}`: a RawKernel is CUDA C++ and runs only on a CUDA device; found arrays on cpu (use ElementwiseKernel for code that should also run on the CPU)",
                    self.name
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_param_lists() {
        let p = parse_params("k", "in_params", "raw T x, float32 y ,int64 n", false).unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[0].raw);
        assert_eq!(p[0].ty, ParamType::Placeholder("T".into()));
        assert_eq!(p[1].ty, ParamType::DType(DType::F32));
        assert_eq!(p[2].name, "n");
        assert!(parse_params("k", "in_params", "", false)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn param_list_errors_point_at_the_parameter() {
        let e = parse_params("k", "in_params", "float32 x, floot y", false).unwrap_err();
        match e {
            Error::Kernel { column, found, .. } => {
                assert_eq!(column, 12);
                assert_eq!(found, "floot");
            }
            e => panic!("{e}"),
        }
        assert!(parse_params("k", "in_params", "float32", false).is_err());
        assert!(parse_params("k", "in_params", "float32 x y z", false).is_err());
        assert!(parse_params("k", "in_params", "float32 1x", false).is_err());
        assert!(parse_params("k", "in_params", "T x, T x", false).is_err());
    }

    #[test]
    fn resolve_exposes_types_and_shapes() {
        let k = ElementwiseKernel::new("T x, float32 y", "T z", "z = x + y;", "k").unwrap();
        let x = Array::zeros(&[2, 3], DType::F64).unwrap();
        let y = Array::zeros(&[3], DType::F32).unwrap();
        let r = k
            .resolve(
                &[KernelArg::Array(&x), KernelArg::Array(&y)],
                &[],
                None,
                &[],
            )
            .unwrap();
        assert_eq!(r.type_map, vec![("T".to_string(), DType::F64)]);
        assert_eq!(r.param_dtypes, vec![DType::F64, DType::F32, DType::F64]);
        assert_eq!(r.shape, vec![2, 3]);
        // y is broadcast, so axes cannot merge.
        assert_eq!(r.reduced_shape, vec![2, 3]);
        let r = k
            .resolve(
                &[KernelArg::Array(&x), KernelArg::Array(&x)],
                &[],
                None,
                &[],
            )
            .unwrap();
        assert_eq!(r.reduced_shape, vec![6]);
        assert_eq!(k.params().len(), 3);
        assert_eq!(k.operation(), "z = x + y;");
    }

    #[test]
    fn seed_kernel_lowers_to_two_passes_without_copies() {
        let k = ElementwiseKernel::new("float32 x, float32 y", "float32 z", "z = x + 2 * y;", "k")
            .unwrap();
        let x = Array::zeros(&[4], DType::F32).unwrap();
        let args = [KernelArg::Array(&x), KernelArg::Array(&x)];
        let p = k
            .program(&k.resolve(&args, &[], None, &[]).unwrap())
            .unwrap();
        // `2 * y` folds the constant to float; the add writes straight into z.
        assert_eq!(p.code.len(), 2, "{:?}", p.code);
        // z is never read, so it is not loaded (and not zero-filled).
        assert_eq!(p.loads.len(), 2);
        assert_eq!(p.stores.len(), 1);
    }

    #[test]
    fn program_is_memoized_per_type_map() {
        let k = ElementwiseKernel::new("T x", "T y", "y = x * x;", "sq").unwrap();
        let a = Array::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
        let b = Array::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
        k.call(&[&a]).unwrap();
        k.call(&[&a]).unwrap();
        assert_eq!(k.cache.lock().unwrap().len(), 1);
        k.call(&[&b]).unwrap();
        assert_eq!(k.cache.lock().unwrap().len(), 2);
    }
}
