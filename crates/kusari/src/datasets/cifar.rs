//! CIFAR-10 from its binary batches (Chainer's `get_cifar10`).

use super::{dataset_root, value_error, TupleDataset};
use crate::array::{Array, DType, Result};
use std::path::{Path, PathBuf};

const RECORD: usize = 1 + 3072;
const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
const TEST_FILE: &str = "test_batch.bin";

/// How to shape and scale CIFAR images (Chainer's `get_cifar10` arguments;
/// `Default` gives its defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct CifarOptions {
    /// Return `(image, label)` examples (`true`, default) or images only.
    pub withlabel: bool,
    /// 3: images are 3×32×32 (default); 1: 3072-vectors.
    pub ndim: usize,
    /// Pixel values are scaled to `[0, scale]`. Default 1.
    pub scale: f64,
    /// The images' dtype. Default `float32`.
    pub dtype: DType,
    /// The directory of the binary batches; default
    /// `<dataset_root>/cifar10/cifar-10-batches-bin` (the tarball's layout).
    pub dir: Option<PathBuf>,
}

impl Default for CifarOptions {
    fn default() -> Self {
        CifarOptions {
            withlabel: true,
            ndim: 3,
            scale: 1.0,
            dtype: DType::F32,
            dir: None,
        }
    }
}

/// CIFAR-10's training (50 000) and test (10 000) sets from the "binary
/// version" batches (`data_batch_1.bin` … `data_batch_5.bin`,
/// `test_batch.bin`: records of one label byte and 3072 pixel bytes).
/// Labels are `int32`. Missing or malformed files are errors naming the file.
pub fn get_cifar10(opts: &CifarOptions) -> Result<(TupleDataset, TupleDataset)> {
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| dataset_root().join("cifar10").join("cifar-10-batches-bin"));
    let train_paths: Vec<PathBuf> = TRAIN_FILES.iter().map(|f| dir.join(f)).collect();
    let train = load(&train_paths, opts)?;
    let test = load(&[dir.join(TEST_FILE)], opts)?;
    Ok((train, test))
}

fn load(paths: &[PathBuf], opts: &CifarOptions) -> Result<TupleDataset> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for p in paths {
        read_batch(p, &mut pixels, &mut labels)?;
    }
    let n = labels.len();
    let shape: Vec<usize> = match opts.ndim {
        1 => vec![n, 3072],
        3 => vec![n, 3, 32, 32],
        d => {
            return Err(value_error(
                "get_cifar10",
                format!("invalid ndim {d} for CIFAR (expected 1 or 3)"),
            ))
        }
    };
    if !opts.dtype.is_float() {
        return Err(value_error(
            "get_cifar10",
            format!("image dtype must be a float type, found {}", opts.dtype),
        ));
    }
    let images = Array::from_vec(pixels, &shape)?
        .astype(opts.dtype)?
        .mul(opts.scale / 255.0)?;
    if opts.withlabel {
        TupleDataset::new(vec![images, Array::from_vec(labels, &[n])?])
    } else {
        TupleDataset::new(vec![images])
    }
}

fn read_batch(path: &Path, pixels: &mut Vec<u8>, labels: &mut Vec<i32>) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| {
        value_error(
            "get_cifar10",
            format!(
                "cannot read {}: {e} (download the CIFAR-10 binary version there)",
                path.display()
            ),
        )
    })?;
    if bytes.is_empty() || bytes.len() % RECORD != 0 {
        return Err(value_error(
            "get_cifar10",
            format!(
                "{}: {} bytes is not a whole number of {RECORD}-byte records",
                path.display(),
                bytes.len()
            ),
        ));
    }
    for (k, rec) in bytes.chunks_exact(RECORD).enumerate() {
        if rec[0] > 9 {
            return Err(value_error(
                "get_cifar10",
                format!(
                    "{}: record {k} has label {}, expected 0..=9",
                    path.display(),
                    rec[0]
                ),
            ));
        }
        labels.push(rec[0] as i32);
        pixels.extend_from_slice(&rec[1..]);
    }
    Ok(())
}
