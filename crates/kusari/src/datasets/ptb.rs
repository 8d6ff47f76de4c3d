//! Word-level text corpora (Chainer's `get_ptb_words`).

use super::{dataset_root, value_error};
use crate::array::{Array, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A word corpus split into training, validation and test word-id arrays
/// (`int32`), with its vocabulary.
#[derive(Clone, Debug)]
pub struct PtbWords {
    /// Training words as ids.
    pub train: Array,
    /// Validation words as ids.
    pub valid: Array,
    /// Test words as ids.
    pub test: Array,
    /// Word to id; ids follow the first appearance in the training text.
    pub vocab: HashMap<String, i32>,
}

/// The words of a text file, whitespace-separated, with `<eos>` after each
/// line (Chainer's `_load_words`).
pub fn load_words(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| value_error("load_words", format!("cannot read {}: {e}", path.display())))?;
    let mut words = Vec::new();
    for line in text.lines() {
        words.extend(line.split_whitespace().map(str::to_string));
        words.push("<eos>".to_string());
    }
    Ok(words)
}

fn ptb_dir(dir: Option<&Path>) -> PathBuf {
    dir.map(Path::to_path_buf)
        .unwrap_or_else(|| dataset_root().join("ptb"))
}

/// The vocabulary of `ptb.train.txt` in `dir` (default `<dataset_root>/ptb`):
/// ids in order of first appearance, `<eos>` included (Chainer's
/// `get_ptb_words_vocabulary`).
pub fn get_ptb_words_vocabulary(dir: Option<&Path>) -> Result<HashMap<String, i32>> {
    let words = load_words(&ptb_dir(dir).join("ptb.train.txt"))?;
    let mut vocab = HashMap::new();
    for w in words {
        let next = vocab.len() as i32;
        vocab.entry(w).or_insert(next);
    }
    Ok(vocab)
}

/// The Penn Treebank word corpus (or any corpus in the same layout) from
/// `ptb.train.txt`, `ptb.valid.txt` and `ptb.test.txt` in `dir` (default
/// `<dataset_root>/ptb`), as word ids over the training vocabulary (Chainer's
/// `get_ptb_words`). A word missing from the training vocabulary is an error
/// naming the file (PTB maps rare words to `<unk>` beforehand).
pub fn get_ptb_words(dir: Option<&Path>) -> Result<PtbWords> {
    let dir = ptb_dir(dir);
    let vocab = get_ptb_words_vocabulary(Some(&dir))?;
    let ids = |name: &str| -> Result<Array> {
        let path = dir.join(name);
        let words = load_words(&path)?;
        let ids = words
            .iter()
            .map(|w| {
                vocab.get(w).copied().ok_or_else(|| {
                    value_error(
                        "get_ptb_words",
                        format!(
                            "{}: word {w:?} is not in the training vocabulary",
                            path.display()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<i32>>>()?;
        let n = ids.len();
        Array::from_vec(ids, &[n])
    };
    Ok(PtbWords {
        train: ids("ptb.train.txt")?,
        valid: ids("ptb.valid.txt")?,
        test: ids("ptb.test.txt")?,
        vocab,
    })
}
