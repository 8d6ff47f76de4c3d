//! Every link saves to an npz file and loads back into a second instance
//! whose parameters and persistent values differ (issue 7's round trips):
//! after loading, every array equals the saved one, path for path.

use kusari::array::{Array, DType};
use kusari::links::*;
use kusari::serializers::{load_npz, save_npz};
use kusari::{initializers, Link, Result};

fn snapshot(l: &dyn Link) -> Result<Vec<(String, Vec<f64>)>> {
    let mut out = Vec::new();
    for (path, p) in l.namedparams() {
        out.push((path, p.array()?.astype(DType::F64)?.to_vec::<f64>()?));
    }
    for (path, p) in l.namedpersistents() {
        out.push((path, p.get().astype(DType::F64)?.to_vec::<f64>()?));
    }
    Ok(out)
}

/// Moves every value of `l` away from where it was, so a load that does
/// nothing cannot pass.
fn perturb(l: &dyn Link) -> Result<()> {
    for (_, p) in l.namedparams() {
        let a = p.array()?;
        p.set_array(a.add(&Array::ones(&[], a.dtype())?)?)?;
    }
    for (_, p) in l.namedpersistents() {
        let a = p.get();
        p.set(a.add(&Array::ones(&[], a.dtype())?)?);
    }
    Ok(())
}

fn round_trip<L: Link>(name: &str, build: impl Fn() -> Result<L>) -> Result<()> {
    initializers::set_seed(1);
    let a = build()?;
    initializers::set_seed(2);
    let b = build()?;
    perturb(&b)?;
    assert!(!a.namedparams().is_empty(), "{name}: no parameters");
    assert_ne!(
        snapshot(&a)?,
        snapshot(&b)?,
        "{name}: instances already equal"
    );
    let dir = std::env::temp_dir().join(format!("kusari-link-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for compress in [false, true] {
        let path = dir.join(format!("{name}-{compress}.npz"));
        save_npz(&path, &a, compress)?;
        perturb(&b)?;
        load_npz(&path, &b)?;
        assert_eq!(snapshot(&a)?, snapshot(&b)?, "{name} (compress {compress})");
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn every_link_round_trips_through_npz() -> Result<()> {
    round_trip("Linear", || Ok(Linear::new(3, 4)))?;
    round_trip("Bias", || Ok(Bias::new(1, &[4])))?;
    round_trip("Scale", || Ok(Scale::new(1, &[4], true)))?;
    round_trip("Bilinear", || Ok(Bilinear::new(2, 3, 4, false)))?;
    round_trip("EmbedID", || Ok(EmbedID::new(5, 3)))?;
    round_trip("Convolution2D", || Ok(Convolution2D::new(2, 3, 3)))?;
    round_trip("DilatedConvolution2D", || {
        Ok(DilatedConvolution2D::new(2, 3, 3, 2))
    })?;
    round_trip("Deconvolution2D", || Ok(Deconvolution2D::new(2, 3, 3)))?;
    round_trip("ConvolutionND", || Ok(ConvolutionND::new(3, 2, 3, 2)))?;
    round_trip("DeconvolutionND", || Ok(DeconvolutionND::new(1, 2, 3, 2)))?;
    round_trip("DepthwiseConvolution2D", || {
        Ok(DepthwiseConvolution2D::new(2, 2, 3))
    })?;
    round_trip("PReLU", || Ok(PReLU::new(&[3], 0.25)))?;
    round_trip("Maxout", || Ok(Maxout::new(3, 2, 2, false)))?;
    round_trip("Highway", || Ok(Highway::new(3, false)))?;
    round_trip("BatchNormalization", || BatchNormalization::new(3))?;
    round_trip("LayerNormalization", || Ok(LayerNormalization::new(3)))?;
    round_trip("GroupNormalization", || Ok(GroupNormalization::new(1, 3)))?;
    round_trip("LSTM", || LSTM::new(3, 2))?;
    round_trip("StatelessLSTM", || StatelessLSTM::new(3, 2))?;
    round_trip("GRU", || Ok(GRU::new(3, 2)))?;
    round_trip("StatelessGRU", || Ok(StatelessGRU::new(3, 2)))?;
    round_trip("NStepLSTM", || Ok(NStepLSTM::new(2, 3, 2, 0.0)))?;
    round_trip("NStepBiLSTM", || Ok(NStepBiLSTM::new(1, 3, 2, 0.0)))?;
    round_trip("NStepGRU", || Ok(NStepGRU::new(1, 3, 2, 0.0)))?;
    round_trip("Classifier", || Ok(Classifier::new(Linear::new(3, 2))))?;
    round_trip("ChainList", || {
        Ok(ChainList::from(vec![Linear::new(2, 2), Linear::new(2, 3)]))
    })?;
    Ok(())
}
