//! Datasets of image files (Chainer's `ImageDataset`, `LabeledImageDataset`).

use super::{check_index, value_error, Dataset, Example};
use crate::array::{Array, DType, Result};
use std::path::{Path, PathBuf};

/// Images read from files on access (PNG or JPEG), each as a `(channels,
/// height, width)` array of `dtype` with values in `[0, 255]` (Chainer's
/// `ImageDataset`: grey images have one channel, colour images three; an
/// alpha channel is dropped).
#[derive(Clone, Debug)]
pub struct ImageDataset {
    paths: Vec<PathBuf>,
    root: PathBuf,
    dtype: DType,
}

impl ImageDataset {
    /// Images at `paths`, relative to `root`.
    pub fn new(paths: Vec<PathBuf>, root: impl Into<PathBuf>, dtype: DType) -> ImageDataset {
        ImageDataset {
            paths,
            root: root.into(),
            dtype,
        }
    }

    /// Images listed one path per line in the text file `list` (Chainer's
    /// `ImageDataset(paths_file)`).
    pub fn from_list_file(
        list: &Path,
        root: impl Into<PathBuf>,
        dtype: DType,
    ) -> Result<ImageDataset> {
        let text = read_list(list)?;
        let paths = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect();
        Ok(ImageDataset::new(paths, root, dtype))
    }
}

impl Dataset for ImageDataset {
    fn len(&self) -> usize {
        self.paths.len()
    }

    fn get(&self, i: usize) -> Result<Example> {
        check_index("ImageDataset::get", i, self.paths.len())?;
        Ok(vec![read_image(
            &self.root.join(&self.paths[i]),
            self.dtype,
        )?])
    }
}

/// `(image, label)` pairs from files (Chainer's `LabeledImageDataset`);
/// labels are `label_dtype` scalars.
#[derive(Clone, Debug)]
pub struct LabeledImageDataset {
    pairs: Vec<(PathBuf, i64)>,
    root: PathBuf,
    dtype: DType,
    label_dtype: DType,
}

impl LabeledImageDataset {
    /// Images with their labels, paths relative to `root`.
    pub fn new(
        pairs: Vec<(PathBuf, i64)>,
        root: impl Into<PathBuf>,
        dtype: DType,
        label_dtype: DType,
    ) -> LabeledImageDataset {
        LabeledImageDataset {
            pairs,
            root: root.into(),
            dtype,
            label_dtype,
        }
    }

    /// Pairs listed as `path label` lines in the text file `list`.
    pub fn from_list_file(
        list: &Path,
        root: impl Into<PathBuf>,
        dtype: DType,
        label_dtype: DType,
    ) -> Result<LabeledImageDataset> {
        let text = read_list(list)?;
        let mut pairs = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let bad = || {
                value_error(
                    "LabeledImageDataset::from_list_file",
                    format!(
                        "{} line {}: expected `path label`, found {line:?}",
                        list.display(),
                        k + 1
                    ),
                )
            };
            let (path, label) = line.rsplit_once(char::is_whitespace).ok_or_else(bad)?;
            let label: i64 = label.trim().parse().map_err(|_| bad())?;
            pairs.push((PathBuf::from(path.trim()), label));
        }
        Ok(LabeledImageDataset::new(pairs, root, dtype, label_dtype))
    }
}

impl Dataset for LabeledImageDataset {
    fn len(&self) -> usize {
        self.pairs.len()
    }

    fn get(&self, i: usize) -> Result<Example> {
        check_index("LabeledImageDataset::get", i, self.pairs.len())?;
        let (path, label) = &self.pairs[i];
        let image = read_image(&self.root.join(path), self.dtype)?;
        Ok(vec![image, Array::scalar(*label).astype(self.label_dtype)?])
    }
}

fn read_list(list: &Path) -> Result<String> {
    std::fs::read_to_string(list).map_err(|e| {
        value_error(
            "ImageDataset",
            format!("cannot read {}: {e}", list.display()),
        )
    })
}

/// Decodes a PNG or JPEG file into a `(C, H, W)` array (C = 1 or 3).
fn read_image(path: &Path, dtype: DType) -> Result<Array> {
    let img = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| value_error("read_image", format!("cannot open {}: {e}", path.display())))?
        .decode()
        .map_err(|e| {
            value_error(
                "read_image",
                format!("cannot decode {}: {e}", path.display()),
            )
        })?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (channels, hwc) = if img.color().has_color() {
        (3, img.into_rgb8().into_raw())
    } else {
        (1, img.into_luma8().into_raw())
    };
    Array::from_vec(hwc, &[h, w, channels])?
        .transpose(Some(&[2, 0, 1]))?
        .astype(dtype)
}
