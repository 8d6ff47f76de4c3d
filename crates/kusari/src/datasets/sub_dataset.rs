//! `SubDataset` and the functions that split a dataset.

use super::{check_index, value_error, Dataset, Example};
use crate::array::ops::random::Generator;
use crate::array::Result;
use std::sync::Arc;

/// A contiguous range `[start, finish)` of a dataset, optionally seen
/// through a permutation `order` of its indices (Chainer's `SubDataset`:
/// example `i` is `dataset[order[start + i]]`).
#[derive(Clone)]
pub struct SubDataset {
    dataset: Arc<dyn Dataset>,
    start: usize,
    finish: usize,
    order: Option<Arc<Vec<usize>>>,
}

impl SubDataset {
    /// Examples `start..finish` of `dataset` (through `order` when given,
    /// which must be a permutation-sized index list of the whole dataset).
    pub fn new(
        dataset: Arc<dyn Dataset>,
        start: usize,
        finish: usize,
        order: Option<Arc<Vec<usize>>>,
    ) -> Result<SubDataset> {
        if start > finish || finish > dataset.len() {
            return Err(value_error(
                "SubDataset::new",
                format!(
                    "expected 0 <= start <= finish <= {}, found start {start}, finish {finish}",
                    dataset.len()
                ),
            ));
        }
        if let Some(o) = &order {
            if o.len() != dataset.len() {
                return Err(value_error(
                    "SubDataset::new",
                    format!(
                        "order has {} entries, the dataset {}",
                        o.len(),
                        dataset.len()
                    ),
                ));
            }
            if let Some(bad) = o.iter().find(|&&k| k >= dataset.len()) {
                return Err(value_error(
                    "SubDataset::new",
                    format!(
                        "order holds index {bad}, past the dataset's {} examples",
                        dataset.len()
                    ),
                ));
            }
        }
        Ok(SubDataset {
            dataset,
            start,
            finish,
            order,
        })
    }

    fn base_index(&self, i: usize) -> usize {
        let k = self.start + i;
        match &self.order {
            Some(o) => o[k],
            None => k,
        }
    }
}

impl Dataset for SubDataset {
    fn len(&self) -> usize {
        self.finish - self.start
    }

    fn get(&self, i: usize) -> Result<Example> {
        check_index("SubDataset::get", i, self.len())?;
        self.dataset.get(self.base_index(i))
    }

    fn get_examples(&self, indices: &[usize]) -> Result<Vec<Example>> {
        for &i in indices {
            check_index("SubDataset::get_examples", i, self.len())?;
        }
        let base: Vec<usize> = indices.iter().map(|&i| self.base_index(i)).collect();
        self.dataset.get_examples(&base)
    }
}

/// Splits `dataset` into its first `first_size` examples and the rest
/// (Chainer's `split_dataset`), through `order` when given.
pub fn split_dataset(
    dataset: Arc<dyn Dataset>,
    first_size: usize,
    order: Option<Vec<usize>>,
) -> Result<(SubDataset, SubDataset)> {
    let n = dataset.len();
    if first_size > n {
        return Err(value_error(
            "split_dataset",
            format!("first_size {first_size} exceeds the dataset's {n} examples"),
        ));
    }
    let order = order.map(Arc::new);
    Ok((
        SubDataset::new(dataset.clone(), 0, first_size, order.clone())?,
        SubDataset::new(dataset, first_size, n, order)?,
    ))
}

/// A random permutation of `0..n` from `seed` (Philox; not NumPy's
/// `RandomState`, so the split differs from Chainer's for the same seed).
fn seeded_order(n: usize, seed: u64) -> Result<Vec<usize>> {
    Ok(Generator::new(seed)
        .permutation(n)?
        .to_vec::<i64>()?
        .into_iter()
        .map(|v| v as usize)
        .collect())
}

/// [`split_dataset`] through a random permutation drawn from `seed`
/// (Chainer's `split_dataset_random`).
pub fn split_dataset_random(
    dataset: Arc<dyn Dataset>,
    first_size: usize,
    seed: u64,
) -> Result<(SubDataset, SubDataset)> {
    let order = seeded_order(dataset.len(), seed)?;
    split_dataset(dataset, first_size, Some(order))
}

/// `n` subsets of `len / n` examples each (the remainder is left out, as in
/// Chainer's `split_dataset_n`).
pub fn split_dataset_n(
    dataset: Arc<dyn Dataset>,
    n: usize,
    order: Option<Vec<usize>>,
) -> Result<Vec<SubDataset>> {
    if n == 0 {
        return Err(value_error("split_dataset_n", "expected n >= 1, found 0"));
    }
    let sub = dataset.len() / n;
    let order = order.map(Arc::new);
    (0..n)
        .map(|i| SubDataset::new(dataset.clone(), sub * i, sub * (i + 1), order.clone()))
        .collect()
}

/// [`split_dataset_n`] through a random permutation drawn from `seed`.
pub fn split_dataset_n_random(
    dataset: Arc<dyn Dataset>,
    n: usize,
    seed: u64,
) -> Result<Vec<SubDataset>> {
    let order = seeded_order(dataset.len(), seed)?;
    split_dataset_n(dataset, n, Some(order))
}

/// `n_folds` `(train, test)` pairs for cross-validation (Chainer's
/// `get_cross_validation_datasets`): the test parts are disjoint, together
/// cover the dataset, and differ in size by at most one.
pub fn get_cross_validation_datasets(
    dataset: Arc<dyn Dataset>,
    n_folds: usize,
    order: Option<Vec<usize>>,
) -> Result<Vec<(SubDataset, SubDataset)>> {
    if n_folds == 0 {
        return Err(value_error(
            "get_cross_validation_datasets",
            "expected n_folds >= 1, found 0",
        ));
    }
    let whole = dataset.len();
    let mut order: Vec<usize> = order.unwrap_or_else(|| (0..whole).collect());
    if order.len() != whole {
        return Err(value_error(
            "get_cross_validation_datasets",
            format!("order has {} entries, the dataset {whole}", order.len()),
        ));
    }
    let borders: Vec<usize> = (0..=n_folds).map(|i| whole * i / n_folds).collect();
    let test_sizes: Vec<usize> = (0..n_folds).map(|i| borders[i + 1] - borders[i]).collect();
    let mut splits = Vec::with_capacity(n_folds);
    for &test_size in test_sizes.iter().rev() {
        splits.push(split_dataset(
            dataset.clone(),
            whole - test_size,
            Some(order.clone()),
        )?);
        // Rotating the order by the test size makes the next fold test the
        // examples just before this one's test part, as Chainer does.
        order.rotate_right(test_size);
    }
    Ok(splits)
}

/// [`get_cross_validation_datasets`] through a random permutation drawn from `seed`.
pub fn get_cross_validation_datasets_random(
    dataset: Arc<dyn Dataset>,
    n_folds: usize,
    seed: u64,
) -> Result<Vec<(SubDataset, SubDataset)>> {
    let order = seeded_order(dataset.len(), seed)?;
    get_cross_validation_datasets(dataset, n_folds, Some(order))
}
