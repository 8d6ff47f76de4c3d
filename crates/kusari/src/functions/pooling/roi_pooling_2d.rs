//! `roi_pooling_2d` (Fast R-CNN's RoI max pooling), Chainer 7.8.1's CPU
//! semantics. Forward finds, per RoI, channel and output bin, the flat
//! position of the bin's maximum in `x`; the output and both derivatives are
//! then a gather from and a scatter-add into those positions, which are each
//! other's adjoints, so it differentiates any number of times (Chainer's has
//! no double backprop).

use super::super::loss::{compute_dtype, contiguous, with_real, Real};
use super::expect_float;
use crate::array::ops::manip::concatenate;
use crate::array::{s, Array, DType, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;
use std::cell::RefCell;
use std::rc::Rc;

const OP: &str = "roi_pooling_2d";

/// Max pooling of regions of interest into a fixed `outh × outw` grid
/// (Chainer's `F.roi_pooling_2d`). `x` is `(n, c, h, w)`; `rois` is
/// `(r, 5)` of `x`'s dtype, each row `(batch_index, x_min, y_min, x_max,
/// y_max)` in the coordinates of the image that `spatial_scale` maps onto
/// `x` (corners rounded half to even after scaling, as Chainer's CPU code
/// does). The output is `(r, c, outh, outw)`; a bin that falls outside `x`
/// is 0 and passes no gradient. Differentiable (any order) in `x`, not in
/// `rois`.
///
/// Where kusari differs on purpose: a RoI with `x_max < x_min` (or `y_max <
/// y_min`) after scaling is pooled as Chainer pools it (a 1-pixel-wide
/// region at the start corner), and it also passes that pixel its gradient,
/// which Chainer's CPU backward drops; a batch index outside `0..n` is an
/// error rather than an `IndexError` or a read out of bounds.
///
/// ```
/// use kusari::{array::Array, functions as F, Variable};
/// let x = Variable::new(Array::arange(16.0)?.reshape(&[1, 1, 4, 4])?);
/// let rois = Variable::constant(Array::from_vec(vec![0.0, 0.0, 0.0, 3.0, 3.0], &[1, 5])?);
/// let y = F::roi_pooling_2d(&x, &rois, 2, 2, 1.0)?;
/// assert_eq!(y.array().to_vec::<f64>()?, vec![5.0, 7.0, 13.0, 15.0]);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn roi_pooling_2d(
    x: &Variable,
    rois: &Variable,
    outh: usize,
    outw: usize,
    spatial_scale: f64,
) -> Result<Variable> {
    if outh == 0 || outw == 0 || !spatial_scale.is_finite() {
        return Err(Error::Value {
            op: OP,
            message: format!(
                "expected outh > 0, outw > 0 and a finite spatial_scale, got outh = {outh}, outw = {outw}, spatial_scale = {spatial_scale}"
            ),
        });
    }
    apply1(
        RoiPooling2D {
            outh,
            outw,
            spatial_scale,
            positions: RefCell::new(None),
        },
        &[x, rois],
    )
}

struct RoiPooling2D {
    outh: usize,
    outw: usize,
    spatial_scale: f64,
    /// Flat position in `x` of each output's maximum, -1 for an empty bin.
    positions: RefCell<Option<Rc<Array>>>,
}

/// Chainer's `_roi_pooling_slice`: the bin `i` of `stride` wide cells from
/// `offset`, clipped to `0..size`.
fn bin(i: usize, stride: f64, size: usize, offset: i64) -> (usize, usize) {
    let clip = |v: i64| v.clamp(0, size as i64) as usize;
    let start = (i as f64 * stride).floor() as i64 + offset;
    let end = ((i + 1) as f64 * stride).ceil() as i64 + offset;
    (clip(start), clip(end))
}

/// The argmax positions off the CPU: one thread per output element, the
/// CPU loop's arithmetic (`rint` rounds half to even, as Rust's
/// `round_ties_even`), bins and first-maximum/NaN rule.
pub(crate) const POSITIONS: crate::functions::kernels::KernelDef = (
    "kusari_roi_pooling_positions",
    "raw T x, raw float64 rois, int64 c, int64 h, int64 w, int64 oh, int64 ow, float64 scale",
    "int64 pos",
    "long long pw = i % ow; long long q = i / ow; long long ph = q % oh; q = q / oh;
     long long ch = q % c; long long r = q / c;
     long long b = (long long)rois[r * 5];
     long long x0 = (long long)rint(rois[r * 5 + 1] * scale);
     long long y0 = (long long)rint(rois[r * 5 + 2] * scale);
     long long x1 = (long long)rint(rois[r * 5 + 3] * scale);
     long long y1 = (long long)rint(rois[r * 5 + 4] * scale);
     long long rh = max(y1 - y0 + 1, 1LL); long long rw = max(x1 - x0 + 1, 1LL);
     double sh = (double)rh / (double)oh; double sw = (double)rw / (double)ow;
     long long hs = min(max((long long)floor(ph * sh) + y0, 0LL), h);
     long long he = min(max((long long)ceil((ph + 1) * sh) + y0, 0LL), h);
     long long ws = min(max((long long)floor(pw * sw) + x0, 0LL), w);
     long long we = min(max((long long)ceil((pw + 1) * sw) + x0, 0LL), w);
     if (he <= hs || we <= ws) {
       pos = -1;
     } else {
       long long base = (b * c + ch) * h * w;
       long long best = hs * w + ws; T bv = x[base + best];
       for (long long yy = hs; yy < he; ++yy) {
         for (long long xx = ws; xx < we; ++xx) {
           T v = x[base + yy * w + xx];
           bool nan_first = v != v && bv == bv;
           if (v > bv || nan_first) { bv = v; best = yy * w + xx; }
         }
       }
       pos = base + best;
     }",
);

static POSITIONS_KERNEL: std::sync::OnceLock<crate::array::ElementwiseKernel> =
    std::sync::OnceLock::new();

impl RoiPooling2D {
    /// The argmax positions off the CPU ([`POSITIONS`]); the batch indices
    /// are checked on the host first (the RoIs are few).
    fn positions_on_device(&self, x: &Array, rois: &Array) -> Result<Array> {
        use crate::array::KernelArg;
        let rois = rois.astype(DType::F64)?;
        let n_rois = rois.shape()[0];
        self.check_batch_indices(&rois.to_vec::<f64>()?, x.shape()[0])?;
        let (c, h, w) = (x.shape()[1], x.shape()[2], x.shape()[3]);
        let x = x.ascontiguousarray()?;
        let k = crate::functions::kernels::cached(&POSITIONS_KERNEL, POSITIONS);
        let args = [
            KernelArg::from(&x),
            KernelArg::from(&rois),
            KernelArg::from(c as i64),
            KernelArg::from(h as i64),
            KernelArg::from(w as i64),
            KernelArg::from(self.outh as i64),
            KernelArg::from(self.outw as i64),
            KernelArg::from(self.spatial_scale),
        ];
        let size = n_rois * c * self.outh * self.outw;
        k.call_with(&args, &mut [], Some(size))?
            .pop()
            .expect("one output")
            .reshape_to(&[n_rois, c, self.outh, self.outw])
    }

    /// Every RoI's batch index lies in `0..n`.
    fn check_batch_indices(&self, rois: &[f64], n: usize) -> Result<()> {
        for (r, roi) in rois.chunks_exact(5).enumerate() {
            let b = roi[0];
            if !(b >= 0.0 && (b as usize) < n) {
                return Err(Error::Value {
                    op: OP,
                    message: format!(
                        "expected each RoI's batch index in 0..{n} (x.shape[0]), got {b} in RoI {r}"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The argmax positions (shape `(r, c, outh, outw)`, int64).
    fn positions<T: Real>(&self, x: &[T], shape: &[usize], rois: &[f64]) -> Result<Array> {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
        let (oh, ow) = (self.outh, self.outw);
        let n_rois = rois.len() / 5;
        let mut out = vec![-1i64; n_rois * c * oh * ow];
        self.check_batch_indices(rois, n)?;
        for (r, roi) in rois.chunks_exact(5).enumerate() {
            let b = roi[0] as usize;
            let corner = |v: f64| (v * self.spatial_scale).round_ties_even() as i64;
            let (x0, y0, x1, y1) = (
                corner(roi[1]),
                corner(roi[2]),
                corner(roi[3]),
                corner(roi[4]),
            );
            let stride_h = (y1 - y0 + 1).max(1) as f64 / oh as f64;
            let stride_w = (x1 - x0 + 1).max(1) as f64 / ow as f64;
            for ph in 0..oh {
                let (hs, he) = bin(ph, stride_h, h, y0);
                for pw in 0..ow {
                    let (ws, we) = bin(pw, stride_w, w, x0);
                    if he <= hs || we <= ws {
                        continue;
                    }
                    for ch in 0..c {
                        let plane = &x[(b * c + ch) * h * w..(b * c + ch + 1) * h * w];
                        // numpy's argmax: the first maximum, a NaN beating any number.
                        let mut best = hs * w + ws;
                        let mut bv = plane[best];
                        for yy in hs..he {
                            for xx in ws..we {
                                let v = plane[yy * w + xx];
                                #[allow(clippy::eq_op)]
                                let nan_first = v != v && bv == bv;
                                if v > bv || nan_first {
                                    bv = v;
                                    best = yy * w + xx;
                                }
                            }
                        }
                        out[((r * c + ch) * oh + ph) * ow + pw] =
                            ((b * c + ch) * h * w + best) as i64;
                    }
                }
            }
        }
        Array::from_vec(out, &[n_rois, c, oh, ow])
    }
}

impl FunctionNode for RoiPooling2D {
    fn label(&self) -> &str {
        "ROIPooling2D"
    }

    fn check_type(&self, inputs: &[&Array]) -> Result<()> {
        let (x, rois) = (inputs[0], inputs[1]);
        expect_float(OP, "x", x.dtype())?;
        if x.ndim() != 4 || rois.dtype() != x.dtype() || rois.ndim() != 2 || rois.shape()[1] != 5 {
            return Err(Error::Shape {
                op: OP,
                message: format!(
                    "expected x.ndim == 4, rois.dtype == x.dtype, rois.ndim == 2 and rois.shape[1] == 5, got x {:?} of {} and rois {:?} of {}",
                    x.shape(),
                    x.dtype(),
                    rois.shape(),
                    rois.dtype()
                ),
            });
        }
        Ok(())
    }

    fn forward(&self, inputs: &[&Array]) -> Result<Vec<Array>> {
        let (x, rois) = (inputs[0], inputs[1]);
        if crate::functions::kernels::use_kernels(x.device()) {
            if rois.device() != x.device() {
                return Err(Error::Device {
                    op: OP,
                    message: format!(
                        "expected x and rois on one device, got x on {} and rois on {}",
                        x.device(),
                        rois.device()
                    ),
                });
            }
            let positions = self.positions_on_device(x, rois)?;
            let y = gather(x, &positions)?;
            *self.positions.borrow_mut() = Some(Rc::new(positions));
            return Ok(vec![y]);
        }
        let rois = rois.astype(DType::F64)?.to_vec::<f64>()?;
        let cd = compute_dtype(x.dtype());
        let xc = contiguous(OP, x, cd)?;
        let positions = with_real!(cd, T => {
            self.positions::<T>(xc.as_slice::<T>().expect("contiguous"), x.shape(), &rois)?
        });
        let y = gather(x, &positions)?;
        *self.positions.borrow_mut() = Some(Rc::new(positions));
        Ok(vec![y])
    }

    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let f = RoiScatter {
            positions: self.positions.borrow().clone().expect("set by forward"),
            in_shape: ctx.input_shape(0).to_vec(),
        };
        Ok(vec![Some(apply1(f, &[&gy[0]])?), None])
    }
}

/// `x` read at `positions`, 0 where a position is -1: the flat `x` gets one
/// trailing zero, which index -1 (counted from the end) picks.
fn gather(x: &Array, positions: &Array) -> Result<Array> {
    let sink = Array::zeros_on(&[1], x.dtype(), x.device())?;
    let flat = concatenate(&[&x.ravel()?, &sink], 0)?;
    flat.take(positions, None)
}

/// The gradient of [`RoiPooling2D`]: `g` added at the positions.
struct RoiScatter {
    positions: Rc<Array>,
    in_shape: Vec<usize>,
}

impl FunctionNode for RoiScatter {
    fn label(&self) -> &str {
        "ROIPooling2DGrad"
    }

    fn forward(&self, g: &[&Array]) -> Result<Vec<Array>> {
        let size: usize = self.in_shape.iter().product();
        // One trailing sink element takes the empty bins' -1 positions.
        let mut acc = Array::zeros_on(&[size + 1], g[0].dtype(), g[0].device())?;
        acc.scatter_add(&self.positions.ravel()?, &g[0].ravel()?, 0)?;
        Ok(vec![acc.slice(&s![..size])?.reshape_to(&self.in_shape)?])
    }

    fn backward(&self, _: &BackwardContext<'_>, gg: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let f = RoiGather {
            positions: self.positions.clone(),
        };
        Ok(vec![Some(apply1(f, &[&gg[0]])?)])
    }
}

/// The adjoint of [`RoiScatter`]: read at the positions.
struct RoiGather {
    positions: Rc<Array>,
}

impl FunctionNode for RoiGather {
    fn label(&self) -> &str {
        "ROIPooling2DGather"
    }

    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![gather(x[0], &self.positions)?])
    }

    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let f = RoiScatter {
            positions: self.positions.clone(),
            in_shape: ctx.input_shape(0).to_vec(),
        };
        Ok(vec![Some(apply1(f, &[&gy[0]])?)])
    }
}

#[cfg(test)]
mod tests {
    use crate::array::{Array, DType};
    use crate::functions as F;
    use crate::functions::kernels::FORCE_KERNELS;
    use crate::Variable;

    /// The positions kernel (forced on the CPU) against the CPU loop:
    /// outputs and input gradients bit for bit, for corners that round half
    /// to even after scaling, a RoI past the image (empty bins), a reversed
    /// RoI, overlapping bins, ties (the first maximum) and a NaN (it wins),
    /// a strided input, float16/32/64; a batch index out of range is the
    /// same error.
    #[test]
    fn positions_kernel_matches_the_loop() {
        compare(None);
    }

    /// On a GPU machine (`KUSARI_TEST_CUDA=1`, run by scripts/gpu-check.sh):
    /// the same cases on cuda:0 against the CPU loop.
    #[test]
    fn positions_on_the_gpu_match_the_loop() {
        if std::env::var("KUSARI_TEST_CUDA").as_deref() != Ok("1") {
            return;
        }
        compare(Some(
            crate::array::Device::cuda(0).expect("KUSARI_TEST_CUDA=1 but cuda:0 is not usable"),
        ));
    }

    /// The loop against the kernel path: forced on the CPU (`gpu` None) or on `gpu`.
    fn compare(gpu: Option<crate::array::Device>) {
        let on = |a: Array| match gpu {
            Some(d) => a.to_device(d).unwrap(),
            None => a,
        };
        let rois = Array::from_vec(
            vec![
                0.0, 1.0, 1.0, 9.0, 7.0, // corners at .5 after scaling
                1.0, 3.0, 5.0, 30.0, 26.0, // past the image
                1.0, 8.0, 6.0, 2.0, 2.0, // reversed
                0.0, 0.0, 0.0, 17.0, 13.0, // the whole image
            ],
            &[4, 5],
        )
        .unwrap();
        for dtype in [DType::F16, DType::F32, DType::F64] {
            let run = |kernels: bool| -> Vec<Vec<u64>> {
                let place = |a: Array| if kernels { on(a) } else { a };
                FORCE_KERNELS.with(|f| f.set(kernels && gpu.is_none()));
                // (2, 3, 7, 9) through a transposed view; values with ties.
                let mut v: Vec<f64> = (0..2 * 3 * 9 * 7)
                    .map(|i| ((i * 37) % 11) as f64 - 5.0)
                    .collect();
                v[40] = f64::NAN;
                let x = Array::from_vec(v, &[2, 3, 9, 7])
                    .unwrap()
                    .astype(dtype)
                    .unwrap()
                    .swapaxes(2, 3)
                    .unwrap();
                let x = Variable::new(place(x));
                let r = Variable::constant(place(rois.astype(dtype).unwrap()));
                let y = F::roi_pooling_2d(&x, &r, 3, 2, 0.5).unwrap();
                let c: Vec<f64> = (0..y.array().size())
                    .map(|i| (i % 5) as f64 + 0.5)
                    .collect();
                let c = Variable::constant(place(
                    Array::from_vec(c, &y.shape())
                        .unwrap()
                        .astype(dtype)
                        .unwrap(),
                ));
                let loss = F::sum(&F::mul(&y, &c).unwrap(), None, false).unwrap();
                let gx = crate::grad(&[&loss], &[&x], None, false).unwrap()[0]
                    .clone()
                    .unwrap();
                let bad = Variable::constant(place(
                    Array::from_vec(vec![2.0, 0.0, 0.0, 1.0, 1.0], &[1, 5])
                        .unwrap()
                        .astype(dtype)
                        .unwrap(),
                ));
                let e = F::roi_pooling_2d(&x, &bad, 3, 2, 0.5)
                    .unwrap_err()
                    .to_string();
                FORCE_KERNELS.with(|f| f.set(false));
                let bits = |a: &Array| -> Vec<u64> {
                    a.astype(DType::F64)
                        .unwrap()
                        .to_vec::<f64>()
                        .unwrap()
                        .iter()
                        .map(|v| v.to_bits())
                        .collect()
                };
                vec![
                    bits(&y.array()),
                    bits(&gx.array()),
                    e.bytes().map(u64::from).collect(),
                ]
            };
            let (loops, kernels) = (run(false), run(true));
            assert!(
                loops[0].iter().any(|&b| f64::from_bits(b).is_nan()),
                "a NaN wins"
            );
            assert!(loops[0].contains(&0), "an empty bin");
            for (k, (a, b)) in kernels.iter().zip(&loops).enumerate() {
                assert_eq!(a, b, "{dtype} output {k}");
            }
        }
    }
}
