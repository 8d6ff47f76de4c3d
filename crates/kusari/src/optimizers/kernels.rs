//! The update rules as elementwise kernels: what a step runs for parameters
//! off the CPU (Chainer's `update_core_gpu`, which is a `cuda.elementwise`
//! per rule). Each kernel reads `grad` and then scalar hyperparameters, and
//! updates `param` and the rule's state arrays in place (its outputs, in
//! `state_names` order).
//!
//! The arithmetic is written in the same order as the rule's CPU loop, so
//! on the CPU (where the tests run these kernels through the interpreter)
//! both give the same numbers. NVRTC may contract `a * b + c` into an FMA on
//! the GPU, as CuPy's kernels do, so GPU results agree within rounding.
//! Maximum and minimum propagate NaN as the CPU loops do (CUDA's `max` and
//! `fmax` would drop it): `(a != a || a >= b) ? a : b`.

use crate::array::ElementwiseKernel;
use crate::functions::kernels::{cached, KernelDef};
use std::sync::OnceLock;

/// A rule's kernel and the scalars it takes after `grad`, in order
/// ([`super::UpdateRule::kernel`]).
pub struct RuleKernel {
    /// The kernel: inputs `grad` then the scalars; outputs `param` then the state.
    pub kernel: &'static ElementwiseKernel,
    /// The scalar arguments, rounded to the parameter's dtype by the call.
    pub scalars: Vec<f64>,
}

macro_rules! rule_kernels {
    ($($(#[$doc:meta])* $name:ident = ($kname:literal, $ins:literal, $outs:literal, $op:literal);)*) => {
        $(
            $(#[$doc])*
            pub(crate) const $name: KernelDef = ($kname, $ins, $outs, $op);
        )*
        /// Every rule kernel, for the NVRTC check.
        #[cfg_attr(not(test), allow(dead_code))]
        pub(crate) const ALL: &[KernelDef] = &[$($name),*];
        /// The parsed kernel of `def` (one of [`ALL`]), built once per process.
        pub(crate) fn kernel(def: KernelDef) -> &'static ElementwiseKernel {
            $(
                if def.0 == $kname {
                    static CELL: OnceLock<ElementwiseKernel> = OnceLock::new();
                    return cached(&CELL, def);
                }
            )*
            unreachable!("every rule kernel is listed in rule_kernels!")
        }
    };
}

rule_kernels! {
    /// `param -= lr * grad`.
    SGD = ("kusari_sgd", "T grad, T lr", "T param", "param -= lr * grad;");
    /// MomentumSGD.
    MOMENTUM_SGD = ("kusari_momentum_sgd", "T grad, T lr, T momentum", "T param, T v",
        "v *= momentum; v -= lr * grad; param += v;");
    /// CorrectedMomentumSGD.
    CORRECTED_MOMENTUM_SGD = ("kusari_corrected_momentum_sgd", "T grad, T lr, T momentum", "T param, T v",
        "v *= momentum; v -= grad; param += lr * v;");
    /// NesterovAG; `mom2 = momentum²` and `lr1 = (1 + momentum) lr` rounded once, as NumPy does.
    NESTEROV_AG = ("kusari_nesterov_ag", "T grad, T lr, T momentum, T mom2, T lr1", "T param, T v",
        "v *= momentum; v -= lr * grad; param += mom2 * v; param -= lr1 * grad;");
    /// AdaGrad.
    ADA_GRAD = ("kusari_ada_grad", "T grad, T lr, T eps", "T param, T h",
        "h += grad * grad; param -= lr * grad / (sqrt(h) + eps);");
    /// AdaDelta.
    ADA_DELTA = ("kusari_ada_delta", "T grad, T rho, T one_minus_rho, T eps", "T param, T msg, T msdx",
        "msg *= rho; msg += one_minus_rho * grad * grad;
         T dx = sqrt((msdx + eps) / (msg + eps)) * grad;
         msdx *= rho; msdx += one_minus_rho * dx * dx;
         param -= dx;");
    /// RMSprop; `eps_inside_sqrt` is 0 or 1.
    RMS_PROP = ("kusari_rms_prop", "T grad, T lr, T alpha, T one_minus_alpha, T eps, T eps_inside_sqrt", "T param, T ms",
        "ms *= alpha; ms += one_minus_alpha * grad * grad;
         T denom;
         if (eps_inside_sqrt != 0) { denom = sqrt(ms + eps); } else { denom = sqrt(ms) + eps; }
         param -= lr * grad / denom;");
    /// RMSpropGraves.
    RMS_PROP_GRAVES = ("kusari_rms_prop_graves", "T grad, T lr, T alpha, T one_minus_alpha, T momentum, T eps",
        "T param, T n, T avg, T delta",
        "n *= alpha; n += one_minus_alpha * grad * grad;
         avg *= alpha; avg += one_minus_alpha * grad;
         delta *= momentum; delta -= lr * grad / sqrt(n - avg * avg + eps);
         param += delta;");
    /// SMORMS3.
    SMORMS3 = ("kusari_smorms3", "T grad, T lr, T eps", "T param, T mem, T g, T g2",
        "T one = 1;
         T r = one / (mem + one);
         g = (one - r) * g + r * grad;
         g2 = (one - r) * g2 + r * grad * grad;
         T x = g * g / (g2 + eps);
         T step = (x != x || x <= lr) ? x : lr;
         param -= grad * step / (sqrt(g2) + eps);
         mem = one + mem * (one - x);");
    /// M-SVAG; the bias correction and `rho` come from the host.
    MSVAG = ("kusari_msvag", "T grad, T one_minus_beta, T fix, T rho, T one_minus_rho, T eta, T lr, T wd",
        "T param, T m, T v",
        "T zero = 0; T one = 1;
         m += one_minus_beta * (grad - m);
         v += one_minus_beta * (grad * grad - v);
         T mt = m / fix;
         T vt = v / fix;
         T mt2 = mt * mt;
         T sv = (vt - mt2) / one_minus_rho;
         T f = mt2 / (mt2 + rho * sv);
         T lo = f >= zero ? f : zero;
         T factor = f != f ? zero : (lo <= one ? lo : one);
         param -= eta * (lr * mt * factor + wd * param);");
    /// Adam without AMSGrad: `adabound` is 0 or 1; `decay = 1 - eta wd`,
    /// `neg_eta = -eta`.
    ADAM = ("kusari_adam", "T grad, T alpha_t, T one_minus_beta1, T one_minus_beta2, T eps, T adabound, T lower, T upper, T decay, T neg_eta",
        "T param, T m, T v",
        "m += one_minus_beta1 * (grad - m);
         v += one_minus_beta2 * (grad * grad - v);
         T step = alpha_t / (sqrt(v) + eps);
         if (adabound != 0) {
             step = (step != step || step >= lower) ? step : lower;
             step = (step != step || step <= upper) ? step : upper;
         }
         if (decay == 1) { param += neg_eta * (step * m); }
         else { param = decay * param + neg_eta * (step * m); }");
    /// Adam with AMSGrad's running maximum `vhat`; scalars as [`ADAM`].
    AMSGRAD = ("kusari_amsgrad", "T grad, T alpha_t, T one_minus_beta1, T one_minus_beta2, T eps, T adabound, T lower, T upper, T decay, T neg_eta",
        "T param, T m, T v, T vhat",
        "m += one_minus_beta1 * (grad - m);
         v += one_minus_beta2 * (grad * grad - v);
         vhat = (vhat != vhat || vhat >= v) ? vhat : v;
         T step = alpha_t / (sqrt(vhat) + eps);
         if (adabound != 0) {
             step = (step != step || step >= lower) ? step : lower;
             step = (step != step || step <= upper) ? step : upper;
         }
         if (decay == 1) { param += neg_eta * (step * m); }
         else { param = decay * param + neg_eta * (step * m); }");
}

/// `def`'s kernel with `scalars`.
pub(crate) fn rule_kernel(def: KernelDef, scalars: Vec<f64>) -> Option<RuleKernel> {
    Some(RuleKernel {
        kernel: kernel(def),
        scalars,
    })
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::array::{ops::random::Generator, DType, Device};
    use crate::functions::kernels::FORCE_KERNELS;

    struct One(Parameter);
    impl Link for One {
        fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
            f("w", &self.0)
        }
    }

    /// How [`run`] steps: the CPU loop, the kernel on the CPU, or on a GPU.
    #[derive(Clone, Copy)]
    enum Path {
        Loop,
        Kernel,
        On(Device),
    }

    /// The parameter after three steps of `opt` from the same start and
    /// gradients (one of them NaN in `nan`), along `path`.
    fn run<R: UpdateRule>(
        make: &dyn Fn() -> GradientMethod<R>,
        dtype: DType,
        path: Path,
        nan: bool,
    ) -> Vec<f64> {
        let device = match path {
            Path::On(d) => d,
            _ => Device::Cpu,
        };
        let kernel = matches!(path, Path::Kernel);
        let mut g = Generator::new(5);
        let w = g.standard_normal(&[257], dtype).unwrap();
        let w = w.to_device(device).unwrap();
        let model = One(Parameter::new("w", w));
        let mut opt = make();
        opt.setup(&model).unwrap();
        FORCE_KERNELS.with(|f| f.set(kernel));
        for step in 0..3 {
            let mut grad = g.standard_normal(&[257], DType::F64).unwrap();
            if nan && step == 1 {
                grad = grad
                    .to_vec::<f64>()
                    .map(|mut v| {
                        v[7] = f64::NAN;
                        Array::from_vec(v, &[257]).unwrap()
                    })
                    .unwrap();
            }
            let grad = grad.astype(dtype).unwrap().to_device(device).unwrap();
            model.0.set_grad(Some(grad)).unwrap();
            let r = opt.update();
            if r.is_err() {
                FORCE_KERNELS.with(|f| f.set(false));
            }
            r.unwrap();
        }
        FORCE_KERNELS.with(|f| f.set(false));
        let p = model.0.array().unwrap();
        assert_eq!((p.dtype(), p.device()), (dtype, device));
        p.astype(DType::F64).unwrap().to_vec::<f64>().unwrap()
    }

    /// The kernel (on the CPU through the interpreter, or on `gpu`) and the
    /// CPU loop of `make`'s rule agree on float16, 32 and 64 parameters,
    /// with and without a NaN gradient. The interpreter rounds each
    /// operation to the parameter's dtype as the loop does, so the
    /// tolerance is a few units in the last place (the GPU may fuse
    /// multiply-adds: within the same bound after three steps).
    fn agree<R: UpdateRule>(name: &str, make: &dyn Fn() -> GradientMethod<R>, gpu: Option<Device>) {
        for dtype in [DType::F16, DType::F32, DType::F64] {
            for nan in [false, true] {
                let cpu = run(make, dtype, Path::Loop, nan);
                let ker = run(make, dtype, gpu.map_or(Path::Kernel, Path::On), nan);
                let start = Generator::new(5)
                    .standard_normal(&[257], dtype)
                    .unwrap()
                    .astype(DType::F64)
                    .unwrap()
                    .to_vec::<f64>()
                    .unwrap();
                assert!(
                    cpu.iter().zip(&start).any(|(a, b)| a != b),
                    "{name} {dtype}: the steps changed nothing"
                );
                let tol = match dtype {
                    DType::F64 => 1e-13,
                    DType::F32 => 1e-5,
                    _ => 2e-3,
                };
                for (i, (a, b)) in cpu.iter().zip(&ker).enumerate() {
                    let same = (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * (1.0 + a.abs());
                    assert!(
                        same,
                        "{name} {dtype} nan={nan}: element {i}: loop {a}, kernel {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_rule_kernel_agrees_with_its_cpu_loop() {
        every_rule(None);
    }

    /// On a GPU machine (`KUSARI_TEST_CUDA=1`, run by scripts/gpu-check.sh):
    /// every rule steps parameters on cuda:0 as the CPU loop does.
    #[test]
    fn every_rule_on_the_gpu_agrees_with_its_cpu_loop() {
        if std::env::var("KUSARI_TEST_CUDA").as_deref() != Ok("1") {
            return;
        }
        every_rule(Some(
            Device::cuda(0).expect("KUSARI_TEST_CUDA=1 but cuda:0 is not usable"),
        ));
    }

    fn every_rule(gpu: Option<Device>) {
        agree("SGD", &SGD::new, gpu);
        agree("MomentumSGD", &MomentumSGD::new, gpu);
        agree("CorrectedMomentumSGD", &CorrectedMomentumSGD::new, gpu);
        agree("NesterovAG", &NesterovAG::new, gpu);
        agree(
            "AdaGrad",
            &|| {
                AdaGrad::with_rule(AdaGradRule {
                    lr: 0.1,
                    ..Default::default()
                })
            },
            gpu,
        );
        agree("AdaDelta", &AdaDelta::new, gpu);
        agree("RMSprop", &RMSprop::new, gpu);
        agree(
            "RMSprop eps_inside_sqrt",
            &|| {
                RMSprop::with_rule(RMSpropRule {
                    eps_inside_sqrt: true,
                    eps: 1e-3,
                    ..Default::default()
                })
            },
            gpu,
        );
        agree("RMSpropGraves", &RMSpropGraves::new, gpu);
        agree(
            "SMORMS3",
            &|| {
                SMORMS3::with_rule(SMORMS3Rule {
                    lr: 0.5,
                    ..Default::default()
                })
            },
            gpu,
        );
        agree("MSVAG", &MSVAG::new, gpu);
        agree(
            "MSVAG weight decay",
            &|| {
                MSVAG::with_rule(MSVAGRule {
                    weight_decay_rate: 0.1,
                    eta: 0.5,
                    ..Default::default()
                })
            },
            gpu,
        );
        agree(
            "Adam",
            &|| {
                Adam::with_rule(AdamRule {
                    alpha: 0.1,
                    ..Default::default()
                })
            },
            gpu,
        );
        agree("AMSGrad", &Adam::amsgrad, gpu);
        agree("AdaBound", &Adam::adabound, gpu);
        agree("AMSBound", &Adam::amsbound, gpu);
        agree(
            "AdamW",
            &|| {
                Adam::with_rule(AdamRule {
                    weight_decay_rate: 0.1,
                    eta: 0.5,
                    ..Default::default()
                })
            },
            gpu,
        );
    }

    /// A rule without a kernel: a step off the CPU (here: the kernel path
    /// forced on the CPU) is an error naming the device, which also shows
    /// the tests above did take the kernel path.
    #[test]
    fn a_rule_without_a_kernel_is_an_error_off_the_cpu() {
        #[derive(Clone)]
        struct Halve;
        impl UpdateRule for Halve {
            fn state_names(&self) -> &'static [&'static str] {
                &[]
            }
            fn step<T: Real>(&self, _: &RuleContext, p: &mut [T], _: &[T], _: &mut [&mut [T]]) {
                for p in p {
                    *p *= T::of(0.5);
                }
            }
            fn hyperparam(&self, _: &str, _: u64) -> Option<f64> {
                None
            }
            fn set_hyperparam(&mut self, _: &str, _: f64) -> Result<()> {
                Ok(())
            }
            fn hyperparam_names(&self) -> &'static [&'static str] {
                &[]
            }
        }
        let model = One(Parameter::new("w", Array::ones(&[3], DType::F32).unwrap()));
        let mut opt = GradientMethod::with_rule(Halve);
        opt.setup(&model).unwrap();
        model
            .0
            .set_grad(Some(Array::ones(&[3], DType::F32).unwrap()))
            .unwrap();
        FORCE_KERNELS.with(|f| f.set(true));
        let e = opt.update().unwrap_err().to_string();
        FORCE_KERNELS.with(|f| f.set(false));
        assert!(
            e.contains("Optimizer::update") && e.contains("no kernel"),
            "{e}"
        );
        opt.update().unwrap();
        assert_eq!(
            model.0.array().unwrap().to_vec::<f32>().unwrap(),
            vec![0.5; 3]
        );
    }
}
