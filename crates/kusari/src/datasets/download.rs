//! Where datasets live on disk (Chainer's `chainer.dataset.get_dataset_root`).

use std::path::PathBuf;
use std::sync::Mutex;

static ROOT_OVERRIDE: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The dataset root: the path given to [`set_dataset_root`], else
/// `$KUSARI_DATASET_ROOT`, else `$XDG_DATA_HOME/kusari/dataset`, else
/// `~/.local/share/kusari/dataset` (Chainer's is `~/.chainer/dataset`).
/// Loaders read `<root>/mnist`, `<root>/fashion-mnist`, `<root>/cifar10`, ...
pub fn dataset_root() -> PathBuf {
    if let Some(p) = ROOT_OVERRIDE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    {
        return p;
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = env("KUSARI_DATASET_ROOT") {
        return p;
    }
    if let Some(p) = env("XDG_DATA_HOME") {
        return p.join("kusari").join("dataset");
    }
    match env("HOME") {
        Some(home) => home
            .join(".local")
            .join("share")
            .join("kusari")
            .join("dataset"),
        None => PathBuf::from(".kusari").join("dataset"),
    }
}

/// Overrides the dataset root for this process (Chainer's `set_dataset_root`);
/// `None` goes back to the environment.
pub fn set_dataset_root(path: Option<PathBuf>) {
    *ROOT_OVERRIDE.lock().unwrap_or_else(|e| e.into_inner()) = path;
}
