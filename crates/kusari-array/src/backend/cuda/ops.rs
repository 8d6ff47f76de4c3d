//! The array operations on CUDA arrays: the layer that turns an operation
//! on [`Array`]s into a spec for the one code generator ([`super::codegen`])
//! and a launch ([`super::launch`]). Dimension collapsing and the choice of
//! 32-bit indexing happen here, in Rust, once per call; the kernels only do
//! div/mod over the collapsed shape (CuPy's split).
//!
//! Everything here needs a GPU to run; on machines without one it is compiled
//! and its kernels are compiled by `scripts/check-cuda-kernels`.

use super::codegen::builtin::{self, Reduction};
use super::codegen::{index, launch as cfg, ArgLayout, ElementwiseSpec, ReductionPass};
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

fn plan_loop(op: &'static str, shape: &[usize], arrays: &[&Array]) -> Result<Loop> {
    let strides: Vec<&[isize]> = arrays.iter().map(|a| a.strides()).collect();
    let c = index::collapse(shape, &strides);
    let size: usize = shape.iter().product();
    let own: Vec<(&[usize], &[isize])> = c.strides.iter().map(|s| (&c.shape[..], &s[..])).collect();
    let use32 = index::fits_32bit(size, &own);
    let mut layout = Vec::with_capacity(arrays.len());
    let mut args = Vec::with_capacity(arrays.len() + 1);
    for (a, s) in arrays.iter().zip(&c.strides) {
        layout.push(ArgLayout::Array {
            ndim: c.shape.len(),
            c_contiguous: index::is_c_contiguous(&c.shape, s),
        });
        args.push(KernelParam::Blob(index::pack_array(
            a.device_ptr(op)?,
            &c.shape,
            s,
            use32,
        )?));
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

/// Reduction `r` of `a` over the (normalized, sorted) `axes` into a new
/// C-contiguous array of `kept_shape` (the shape without the reduced axes).
pub(crate) fn reduce(
    r: Reduction,
    a: &Array,
    axes: &[usize],
    kept_shape: &[usize],
) -> Result<Array> {
    let op = r.name();
    let dev = device_of(op, a)?;
    let out_dtype = r.out_dtype(a.dtype());
    let out = Array::uninit_with_strides(
        out_dtype,
        kept_shape,
        crate::layout::c_strides(kept_shape),
        a.device(),
    )?;
    // The template's input loop is the reduced dims first, then the kept ones,
    // so loop index j = J * out_size + o is element J of output o.
    let order: Vec<usize> = axes
        .iter()
        .copied()
        .chain((0..a.ndim()).filter(|d| !axes.contains(d)))
        .collect();
    let in_shape: Vec<usize> = order.iter().map(|&d| a.shape()[d]).collect();
    let in_strides: Vec<isize> = order.iter().map(|&d| a.strides()[d]).collect();
    let in_size: usize = in_shape.iter().product();
    let out_size: usize = kept_shape.iter().product();
    if out_size == 0 {
        return Ok(out);
    }
    let ic = index::collapse(&in_shape, &[&in_strides]);
    let oc = index::collapse(kept_shape, &[out.strides()]);
    let use32 = index::fits_32bit(2 * in_size.max(1), &[(&ic.shape, &ic.strides[0])])
        && index::fits_32bit(out_size, &[(&oc.shape, &oc.strides[0])]);
    let in_layout = ArgLayout::Array {
        ndim: ic.shape.len(),
        c_contiguous: index::is_c_contiguous(&ic.shape, &ic.strides[0]),
    };
    let out_layout = ArgLayout::Array {
        ndim: oc.shape.len(),
        c_contiguous: index::is_c_contiguous(&oc.shape, &oc.strides[0]),
    };
    let spec = builtin::reduction_spec(r, a.dtype(), in_layout, out_layout, use32)?;
    let in_arg = || -> Result<KernelParam> {
        Ok(KernelParam::Blob(index::pack_array(
            a.device_ptr(op)?,
            &ic.shape,
            &ic.strides[0],
            use32,
        )?))
    };
    let out_arg = || -> Result<KernelParam> {
        Ok(KernelParam::Blob(index::pack_array(
            out.device_ptr(op)?,
            &oc.shape,
            &oc.strides[0],
            use32,
        )?))
    };
    let in_shape_arg = KernelParam::Blob(index::pack_shape(&ic.shape, use32)?);
    let out_shape_arg = KernelParam::Blob(index::pack_shape(&oc.shape, use32)?);
    let Some(c) = cfg::reduction(in_size, out_size, REDUCE_BYTES, dev.sm_count) else {
        return Ok(out);
    };
    let dim = |n: u32| (n, 1, 1);
    if c.parts <= 1 {
        let pass = ReductionPass::Single;
        let source = spec.render(pass)?;
        let mut args = vec![
            in_arg()?,
            out_arg()?,
            in_shape_arg,
            out_shape_arg,
            KernelParam::scalar(c.block_stride as i32),
        ];
        launch(
            &dev,
            &spec.kernel_name(pass),
            &source,
            &[],
            dim(c.launch.grid),
            dim(c.launch.block),
            c.launch.shared_bytes,
            &mut args,
        )?;
        return Ok(out);
    }
    // Two passes: `parts` partial results per output, then their fold.
    let partial = Array::uninit_with_strides(
        DType::U8,
        &[out_size * c.parts as usize * REDUCE_BYTES],
        crate::layout::c_strides(&[1]),
        a.device(),
    )?;
    let partial_ptr = partial.device_ptr(op)?;
    let pass = ReductionPass::Partial;
    let mut args = vec![
        in_arg()?,
        KernelParam::Ptr(partial_ptr),
        in_shape_arg,
        out_shape_arg.clone(),
        KernelParam::scalar(i64::from(c.parts)),
        KernelParam::scalar(c.block_stride as i32),
    ];
    launch(
        &dev,
        &spec.kernel_name(pass),
        &spec.render(pass)?,
        &[],
        dim(c.launch.grid),
        dim(c.launch.block),
        c.launch.shared_bytes,
        &mut args,
    )?;
    let f =
        cfg::reduction_final(out_size, c.parts, REDUCE_BYTES, dev.sm_count).ok_or_else(|| {
            Error::value(
                op,
                format!("expected a launchable second pass for {out_size} outputs"),
            )
        })?;
    let pass = ReductionPass::Final;
    let mut args = vec![
        KernelParam::Ptr(partial_ptr),
        out_arg()?,
        KernelParam::Blob(index::pack_shape(&[in_size], false)?),
        out_shape_arg,
        KernelParam::scalar(i64::from(c.parts)),
        KernelParam::scalar(f.block_stride as i32),
    ];
    launch(
        &dev,
        &spec.kernel_name(pass),
        &spec.render(pass)?,
        &[],
        dim(f.launch.grid),
        dim(f.launch.block),
        f.launch.shared_bytes,
        &mut args,
    )?;
    // `partial` is returned to the pool only after the stream has run both
    // passes: pool chunks are stream-ordered (one arena per stream).
    drop(partial);
    Ok(out)
}
