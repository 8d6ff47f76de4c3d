//! Word-level text corpora (Chainer's `get_ptb_words`), with a bundled
//! public-domain corpus in the same layout for when the Penn Treebank is absent.

use super::{dataset_root, value_error};
use crate::array::{Array, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const FILES: [&str; 3] = ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"];

/// The bundled corpus (three public-domain books from the Canterbury Corpus
/// as shipped by the PyPI package `brotli` 1.2.1; see
/// `data/classics/README.md`), compiled in so the example runs anywhere.
const BUNDLED: [&str; 3] = [
    include_str!("../../data/classics/ptb.train.txt"),
    include_str!("../../data/classics/ptb.valid.txt"),
    include_str!("../../data/classics/ptb.test.txt"),
];

/// Where [`get_ptb_words`] found its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PtbSource {
    /// `ptb.train.txt`, `ptb.valid.txt` and `ptb.test.txt` in this directory.
    Files(PathBuf),
    /// The corpus bundled with kusari: *Alice's Adventures in Wonderland*,
    /// *As You Like It* and *Paradise Lost* (about 130 000 words, 5 787 ids).
    BundledClassics,
}

/// A word corpus split into training, validation and test word-id arrays
/// (`int32`), with its vocabulary and where it came from.
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
    /// Which files were read.
    pub source: PtbSource,
}

/// The words of a text file, whitespace-separated, with `<eos>` after each
/// line (Chainer's `_load_words`).
pub fn load_words(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| value_error("load_words", format!("cannot read {}: {e}", path.display())))?;
    Ok(words_of(&text))
}

fn words_of(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for line in text.lines() {
        words.extend(line.split_whitespace().map(str::to_string));
        words.push("<eos>".to_string());
    }
    words
}

fn ptb_dir(dir: Option<&Path>) -> PathBuf {
    dir.map(Path::to_path_buf)
        .unwrap_or_else(|| dataset_root().join("ptb"))
}

/// The three texts (train, valid, test) and where they came from: the files
/// in `dir` when all three are there, else the bundled corpus. Says which on
/// stderr, as `get_mnist` does, so a run never silently trains on the small one.
fn texts(dir: Option<&Path>) -> Result<(Vec<String>, PtbSource)> {
    let dir = ptb_dir(dir);
    if FILES.iter().all(|f| dir.join(f).is_file()) {
        eprintln!("kusari: PTB words from {}", dir.display());
        let texts = FILES
            .iter()
            .map(|f| {
                let path = dir.join(f);
                std::fs::read_to_string(&path).map_err(|e| {
                    value_error(
                        "get_ptb_words",
                        format!("cannot read {}: {e}", path.display()),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((texts, PtbSource::Files(dir)));
    }
    eprintln!(
        "kusari: PTB files not found in {}; using the bundled corpus (Alice's Adventures in \
         Wonderland, As You Like It, Paradise Lost: 115258 / 6270 / 8293 words, public domain). \
         Put {} there (or set KUSARI_DATASET_ROOT) for the Penn Treebank.",
        dir.display(),
        FILES.join(", ")
    );
    Ok((
        BUNDLED.iter().map(|t| t.to_string()).collect(),
        PtbSource::BundledClassics,
    ))
}

fn vocabulary_of(train: &[String]) -> HashMap<String, i32> {
    let mut vocab = HashMap::new();
    for w in train {
        let next = vocab.len() as i32;
        vocab.entry(w.clone()).or_insert(next);
    }
    vocab
}

/// The vocabulary of `ptb.train.txt` in `dir` (default `<dataset_root>/ptb`;
/// the bundled corpus when the files are missing, as [`get_ptb_words`]): ids
/// in order of first appearance, `<eos>` included (Chainer's
/// `get_ptb_words_vocabulary`).
pub fn get_ptb_words_vocabulary(dir: Option<&Path>) -> Result<HashMap<String, i32>> {
    let (texts, _) = texts(dir)?;
    Ok(vocabulary_of(&words_of(&texts[0])))
}

/// The Penn Treebank word corpus (or any corpus in the same layout) from
/// `ptb.train.txt`, `ptb.valid.txt` and `ptb.test.txt` in `dir` (default
/// `<dataset_root>/ptb`), as word ids over the training vocabulary (Chainer's
/// `get_ptb_words`). When any of the three is missing it uses the bundled
/// public-domain corpus instead (see [`PtbSource::BundledClassics`]), says so
/// on stderr and in [`PtbWords::source`]. A word missing from the training
/// vocabulary is an error naming the file (PTB maps rare words to `<unk>`
/// beforehand).
///
/// ```
/// use kusari::datasets::{get_ptb_words, PtbSource};
/// let ptb = get_ptb_words(Some("/nonexistent".as_ref()))?; // the bundled corpus
/// assert_eq!(ptb.source, PtbSource::BundledClassics);
/// assert_eq!(ptb.train.dtype(), kusari::array::DType::I32);
/// assert_eq!(ptb.vocab.len(), 5787);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn get_ptb_words(dir: Option<&Path>) -> Result<PtbWords> {
    let (texts, source) = texts(dir)?;
    let train_words = words_of(&texts[0]);
    let vocab = vocabulary_of(&train_words);
    let name = |i: usize| match &source {
        PtbSource::Files(d) => d.join(FILES[i]).display().to_string(),
        PtbSource::BundledClassics => format!("bundled {}", FILES[i]),
    };
    let ids = |i: usize, words: &[String]| -> Result<Array> {
        let ids = words
            .iter()
            .map(|w| {
                vocab.get(w).copied().ok_or_else(|| {
                    value_error(
                        "get_ptb_words",
                        format!("{}: word {w:?} is not in the training vocabulary", name(i)),
                    )
                })
            })
            .collect::<Result<Vec<i32>>>()?;
        let n = ids.len();
        Array::from_vec(ids, &[n])
    };
    Ok(PtbWords {
        train: ids(0, &train_words)?,
        valid: ids(1, &words_of(&texts[1]))?,
        test: ids(2, &words_of(&texts[2]))?,
        vocab,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_corpus_sizes_vocabulary_and_eos() {
        let p = get_ptb_words(Some(Path::new("/nonexistent/ptb"))).unwrap();
        assert_eq!(p.source, PtbSource::BundledClassics);
        // Words plus one <eos> per line, as the README's table says.
        assert_eq!(p.train.shape(), &[115_258 + 4_247]);
        assert_eq!(p.valid.shape(), &[6_270 + 236]);
        assert_eq!(p.test.shape(), &[8_293 + 238]);
        assert_eq!(p.vocab.len(), 5_787);
        let eos = p.vocab["<eos>"];
        assert!(p.vocab.contains_key("<unk>") && p.vocab.contains_key("alice"));
        // Every id is in range, and every split ends a line with <eos>.
        for a in [&p.train, &p.valid, &p.test] {
            let v = a.to_vec::<i32>().unwrap();
            assert!(v.iter().all(|&i| (0..5_787).contains(&i)));
            assert_eq!(*v.last().unwrap(), eos);
        }
        // The vocabulary helper agrees with the loader.
        assert_eq!(
            get_ptb_words_vocabulary(Some(Path::new("/nonexistent/ptb"))).unwrap(),
            p.vocab
        );
    }

    #[test]
    fn files_win_over_the_bundled_corpus() {
        let dir = std::env::temp_dir().join(format!("kusari-ptb-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // With one file missing the directory is not used.
        std::fs::write(dir.join("ptb.train.txt"), "a b\n").unwrap();
        std::fs::write(dir.join("ptb.valid.txt"), "b\n").unwrap();
        assert_eq!(
            get_ptb_words(Some(&dir)).unwrap().source,
            PtbSource::BundledClassics
        );
        std::fs::write(dir.join("ptb.test.txt"), "a\n").unwrap();
        let p = get_ptb_words(Some(&dir)).unwrap();
        assert_eq!(p.source, PtbSource::Files(dir.clone()));
        assert_eq!(p.train.to_vec::<i32>().unwrap(), [0, 1, 2]);
        assert_eq!(p.test.to_vec::<i32>().unwrap(), [0, 2]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
