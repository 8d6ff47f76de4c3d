//! Writes the files `scripts/check_npz_interop.py` loads with NumPy and
//! Chainer: a model with the layout of Chainer's `Linear(3, 4) ->
//! BatchNormalization(4) -> Linear(4, 2)` chain and its Adam state after two
//! steps, compressed and stored, plus a safetensors copy of the model.
//!
//! `cargo run --release -p kusari --example write_npz_interop -- OUT_DIR`

use kusari::array::{Array, DType};
use kusari::optimizers::{Adam, AdamRule, Optimizer};
use kusari::serializers::{save_npz, save_safetensors};
use kusari::{Link, Parameter, Persistent};

struct Linear {
    w: Parameter,
    b: Parameter,
}
impl Link for Linear {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("W", &self.w);
        f("b", &self.b);
    }
}
struct BatchNorm {
    gamma: Parameter,
    beta: Parameter,
    avg_mean: Persistent,
    avg_var: Persistent,
    n: Persistent,
}
impl Link for BatchNorm {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("gamma", &self.gamma);
        f("beta", &self.beta);
    }
    fn visit_own_persistents(&self, f: &mut dyn FnMut(&str, &Persistent)) {
        f("avg_mean", &self.avg_mean);
        f("avg_var", &self.avg_var);
        f("N", &self.n);
    }
}
struct Net {
    l1: Linear,
    bn: BatchNorm,
    l2: Linear,
}
impl Link for Net {
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        f("l1", &self.l1);
        f("bn", &self.bn);
        f("l2", &self.l2);
    }
}

/// Distinct, recognizable values: `start, start + 0.125, ...`.
fn ramp(shape: &[usize], start: f64) -> kusari::Result<Array> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| (start + 0.125 * i as f64) as f32).collect();
    Array::from_vec(v, shape)
}

fn main() -> kusari::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let out = std::path::Path::new(&out);
    let net = Net {
        l1: Linear {
            w: Parameter::new("W", ramp(&[4, 3], -1.0)?),
            b: Parameter::new("b", ramp(&[4], 0.5)?),
        },
        bn: BatchNorm {
            gamma: Parameter::new("gamma", ramp(&[4], 1.0)?),
            beta: Parameter::new("beta", ramp(&[4], -0.25)?),
            avg_mean: Persistent::new(ramp(&[4], 0.1)?),
            avg_var: Persistent::new(ramp(&[4], 2.0)?),
            n: Persistent::new(Array::full(&[], 7, DType::I64)?),
        },
        l2: Linear {
            w: Parameter::new("W", ramp(&[2, 4], 0.3)?),
            b: Parameter::new("b", ramp(&[2], -0.7)?),
        },
    };
    let mut opt = Adam::with_rule(AdamRule {
        alpha: 0.01,
        ..AdamRule::default()
    });
    opt.setup(&net)?;
    for _ in 0..2 {
        // A fixed gradient (the parameter itself) is enough to fill m and v.
        for p in net.params() {
            p.set_grad(Some(p.array()?))?;
        }
        opt.update()?;
    }
    for (compress, tag) in [(true, "compressed"), (false, "stored")] {
        save_npz(out.join(format!("kusari_model_{tag}.npz")), &net, compress)?;
        save_npz(out.join(format!("kusari_adam_{tag}.npz")), &opt, compress)?;
    }
    save_safetensors(out.join("kusari_model.safetensors"), &net)?;
    println!(
        "wrote kusari_model_*.npz, kusari_adam_*.npz, kusari_model.safetensors to {}",
        out.display()
    );
    Ok(())
}
