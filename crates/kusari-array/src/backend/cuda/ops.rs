//! The array operations on CUDA arrays: the layer that turns an operation
//! on [`Array`]s into a spec for the one code generator ([`super::codegen`])
//! and a launch ([`super::launch`]). Dimension collapsing and the choice of
//! 32-bit indexing happen here, in Rust, once per call; the kernels only do
//! div/mod over the collapsed shape (CuPy's split).
//!
//! Everything here needs a GPU to run; on machines without one it is compiled
//! and its kernels are compiled by `scripts/check-cuda-kernels`.

use super::codegen::builtin::{self, Reduction};
use super::codegen::{
    index, launch as cfg, ArgLayout, ElementwiseSpec, ReductionPass, ReductionSpec,
};
use super::launch::{launch, linear_launch, KernelParam};
use super::CudaDevice;
use crate::ops::ufunc::{BinaryOp, UnaryOp};
use crate::{Array, DType, Device, Error, Result};
use std::sync::Arc;

/// The CUDA device `a` lives on; an error naming `op` for host arrays.
pub(crate) fn device_of(op: &'static str, a: &Array) -> Result<Arc<CudaDevice>> {
    match a.device() {
        Device::Cuda(n) => super::device(n),
        Device::Cpu => Err(Error::Device {
            op,
            message: "expected an array on cuda, found one on cpu".into(),
        }),
    }
}

/// Arrays of one loop (all broadcast to `shape`), collapsed jointly: the
/// kernel layouts, the packed `CArray` arguments and the loop shape argument.
struct Loop {
    layout: Vec<ArgLayout>,
    args: Vec<KernelParam>,
    size: usize,
    use32: bool,
}

/// How array `a` is passed over a collapsed `shape` with `strides`: its
/// layout class (part of the kernel's specialization) and its packed `CArray`.
pub(crate) fn array_arg(
    op: &'static str,
    a: &Array,
    shape: &[usize],
    strides: &[isize],
    use32: bool,
) -> Result<(ArgLayout, KernelParam)> {
    Ok((
        ArgLayout::Array {
            ndim: shape.len(),
            c_contiguous: index::is_c_contiguous(shape, strides),
        },
        KernelParam::Blob(index::pack_array(a.device_ptr(op)?, shape, strides, use32)?),
    ))
}

fn plan_loop(op: &'static str, shape: &[usize], arrays: &[&Array]) -> Result<Loop> {
    let strides: Vec<&[isize]> = arrays.iter().map(|a| a.strides()).collect();
    let c = index::collapse(shape, &strides);
    let size: usize = shape.iter().product();
    let own: Vec<(&[usize], &[isize])> = c.strides.iter().map(|s| (&c.shape[..], &s[..])).collect();
    let use32 = index::fits_32bit(size, &own);
    let mut layout = Vec::with_capacity(arrays.len());
    let mut args = Vec::with_capacity(arrays.len() + 1);
    for (a, s) in arrays.iter().zip(&c.strides) {
        let (l, arg) = array_arg(op, a, &c.shape, s, use32)?;
        layout.push(l);
        args.push(arg);
    }
    args.push(KernelParam::Blob(index::pack_shape(&c.shape, use32)?));
    Ok(Loop {
        layout,
        args,
        size,
        use32,
    })
}

/// Runs the elementwise kernel `make(layout, use32)` over `arrays` (inputs
/// then outputs, every one already broadcast to `shape`, all on `dev`).
fn run_elementwise(
    op: &'static str,
    shape: &[usize],
    arrays: &[&Array],
    make: impl FnOnce(Vec<ArgLayout>, bool) -> Result<ElementwiseSpec>,
) -> Result<()> {
    let dev = device_of(op, arrays[0])?;
    let mut l = plan_loop(op, shape, arrays)?;
    if l.size == 0 {
        return Ok(());
    }
    let spec = make(l.layout, l.use32)?;
    let source = spec.render()?;
    linear_launch(&dev, l.size, &spec.name, &source, &[], &mut l.args)
}

/// `out = src` with a dtype cast (also every strided copy and transpose).
pub(crate) fn copy_cast(src: &Array, dst: &Array) -> Result<()> {
    let (from, to) = (src.dtype(), dst.dtype());
    run_elementwise("copy", dst.shape(), &[src, dst], |l, u32| {
        Ok(builtin::cast_spec(from, to, [l[0], l[1]], u32))
    })
}

/// Unary ufunc `op` computed in `compute` from `x` into `out` (same shape).
pub(crate) fn unary(op: UnaryOp, compute: DType, x: &Array, out: &Array) -> Result<()> {
    run_elementwise(op.name(), out.shape(), &[x, out], |l, u32| {
        builtin::unary_spec(op, compute, [l[0], l[1]], u32)
    })
}

/// Binary ufunc `op` computed in `compute` from `x`, `y` (broadcast to
/// `out`'s shape) into `out`. `out` may be `x` itself (in-place updates).
pub(crate) fn binary(
    op: BinaryOp,
    compute: DType,
    x: &Array,
    y: &Array,
    out: &Array,
) -> Result<()> {
    run_elementwise(op.name(), out.shape(), &[x, y, out], |l, u32| {
        builtin::binary_spec(op, compute, [l[0], l[1], l[2]], u32)
    })
}

/// Bytes reserved per reduce-type value: the widest `_type_reduce` the
/// built-in reductions use is argmax's (value, index) pair.
const REDUCE_BYTES: usize = 16;

/// One argument of a reduction's input side: an array already broadcast to
/// the input shape, or a scalar's bytes in its parameter's dtype.
pub(crate) enum ReduceInput<'a> {
    /// An array broadcast to the input shape.
    Array(&'a Array),
    /// A scalar, already in the parameter's type.
    Scalar(KernelParam),
}

/// Runs the reduction kernel `make(in_layout, out_layout, use32)` over
/// `inputs` (shape `shape`), reducing `axes` into `outputs` (C-contiguous,
/// the shape without the reduced axes), on `dev`. CuPy's launch: the input
/// loop is the reduced dims first, then the kept ones, so loop index
/// `j = J * out_size + o` is element `J` of output `o`.
pub(crate) fn run_reduction(
    op: &'static str,
    dev: &CudaDevice,
    inputs: &[ReduceInput<'_>],
    shape: &[usize],
    axes: &[usize],
    outputs: &[&Array],
    make: impl Fn(Vec<ArgLayout>, Vec<ArgLayout>, bool) -> Result<ReductionSpec>,
) -> Result<()> {
    let order: Vec<usize> = axes
        .iter()
        .copied()
        .chain((0..shape.len()).filter(|d| !axes.contains(d)))
        .collect();
    let in_shape: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
    let in_strides: Vec<Vec<isize>> = inputs
        .iter()
        .filter_map(|i| match i {
            ReduceInput::Array(a) => Some(order.iter().map(|&d| a.strides()[d]).collect()),
            ReduceInput::Scalar(_) => None,
        })
        .collect();
    let kept: Vec<usize> = (0..shape.len())
        .filter(|d| !axes.contains(d))
        .map(|d| shape[d])
        .collect();
    let in_size: usize = in_shape.iter().product();
    let out_size: usize = kept.iter().product();
    if out_size == 0 {
        return Ok(());
    }
    let ic = index::collapse(
        &in_shape,
        &in_strides.iter().map(|s| &s[..]).collect::<Vec<_>>(),
    );
    let oc = index::collapse(
        &kept,
        &outputs.iter().map(|o| o.strides()).collect::<Vec<_>>(),
    );
    let use32 = index::fits_32bit(
        2 * in_size.max(1),
        &ic.strides
            .iter()
            .map(|s| (&ic.shape[..], &s[..]))
            .collect::<Vec<_>>(),
    ) && index::fits_32bit(
        out_size,
        &oc.strides
            .iter()
            .map(|s| (&oc.shape[..], &s[..]))
            .collect::<Vec<_>>(),
    );
    let mut in_layout = Vec::new();
    let mut in_args = Vec::new();
    let mut k = 0;
    for i in inputs {
        match i {
            ReduceInput::Array(a) => {
                let (l, arg) = array_arg(op, a, &ic.shape, &ic.strides[k], use32)?;
                k += 1;
                in_layout.push(l);
                in_args.push(arg);
            }
            ReduceInput::Scalar(p) => {
                in_layout.push(ArgLayout::Scalar);
                in_args.push(p.clone());
            }
        }
    }
    let mut out_layout = Vec::new();
    let mut out_args = Vec::new();
    for (o, st) in outputs.iter().zip(&oc.strides) {
        let (l, arg) = array_arg(op, o, &oc.shape, st, use32)?;
        out_layout.push(l);
        out_args.push(arg);
    }
    let spec = make(in_layout, out_layout, use32)?;
    let in_shape_arg = KernelParam::Blob(index::pack_shape(&ic.shape, use32)?);
    let out_shape_arg = KernelParam::Blob(index::pack_shape(&oc.shape, use32)?);
    let Some(c) = cfg::reduction(in_size, out_size, REDUCE_BYTES, dev.sm_count) else {
        return Ok(());
    };
    // One launch of `pass` with the shape `lc` picked for it.
    let run = |pass: ReductionPass, lc: cfg::LaunchConfig, args: &mut [KernelParam]| {
        launch(
            dev,
            &spec.kernel_name(pass),
            &spec.render(pass)?,
            &[],
            (lc.grid, 1, 1),
            (lc.block, 1, 1),
            lc.shared_bytes,
            args,
        )
    };
    if c.parts <= 1 {
        let pass = ReductionPass::Single;
        let mut args = in_args;
        args.extend(out_args);
        args.extend([
            in_shape_arg,
            out_shape_arg,
            KernelParam::scalar(c.block_stride as i32),
        ]);
        return run(pass, c.launch, &mut args);
    }
    // Two passes: `parts` partial results per output, then their fold.
    let partial = Array::uninit_with_strides(
        DType::U8,
        &[out_size * c.parts as usize * REDUCE_BYTES],
        crate::layout::c_strides(&[1]),
        Device::Cuda(dev.ordinal),
    )?;
    let partial_ptr = partial.device_ptr(op)?;
    let pass = ReductionPass::Partial;
    let mut args = in_args;
    args.extend([
        KernelParam::Ptr(partial_ptr),
        in_shape_arg,
        out_shape_arg.clone(),
        KernelParam::scalar(i64::from(c.parts)),
        KernelParam::scalar(c.block_stride as i32),
    ]);
    run(pass, c.launch, &mut args)?;
    let f =
        cfg::reduction_final(out_size, c.parts, REDUCE_BYTES, dev.sm_count).ok_or_else(|| {
            Error::value(
                op,
                format!("expected a launchable second pass for {out_size} outputs"),
            )
        })?;
    let pass = ReductionPass::Final;
    let mut args = vec![KernelParam::Ptr(partial_ptr)];
    args.extend(out_args);
    args.extend([
        KernelParam::Blob(index::pack_shape(&[in_size], false)?),
        out_shape_arg,
        KernelParam::scalar(i64::from(c.parts)),
        KernelParam::scalar(f.block_stride as i32),
    ]);
    run(pass, f.launch, &mut args)?;
    // `partial` goes back to the pool only for later work on the same
    // stream (one arena per stream), which runs after both passes.
    drop(partial);
    Ok(())
}

/// Built-in reduction `r` of `a` over the (normalized) `axes` into a new
/// C-contiguous array of `kept_shape` (the shape without the reduced axes).
pub(crate) fn reduce(
    r: Reduction,
    a: &Array,
    axes: &[usize],
    kept_shape: &[usize],
) -> Result<Array> {
    let op = r.name();
    let dev = device_of(op, a)?;
    let out = Array::uninit_with_strides(
        r.out_dtype(a.dtype()),
        kept_shape,
        crate::layout::c_strides(kept_shape),
        a.device(),
    )?;
    run_reduction(
        op,
        &dev,
        &[ReduceInput::Array(a)],
        a.shape(),
        axes,
        &[&out],
        |il, ol, u32| builtin::reduction_spec(r, a.dtype(), il[0], ol[0], u32),
    )?;
    Ok(out)
}
