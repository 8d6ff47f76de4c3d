//! `snapshot` / `snapshot_object`: npz files to resume training from.

use super::{Extension, Trainer, Trigger};
use crate::array::{Error, Result};
use crate::serializers::{load_npz_with, save_npz, LoadOptions};
use crate::training::{IntervalTrigger, SerializeMut, Unit};
use crate::Link;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Saves the trainer (or one object) to an npz file (Chainer's `_Snapshot`,
/// made by [`snapshot`] and [`snapshot_object`]): the trainer's keys are
/// Chainer's (`updater/model:main/...`, `updater/optimizer:main/...`,
/// `updater/iterator:main/...`, `extensions/...`), so a run resumes where
/// it stopped. Files are written atomically.
pub struct Snapshot {
    target: Option<Rc<dyn Link>>,
    filename: String,
    n_retains: Option<usize>,
    autoload: bool,
    compress: bool,
}

/// A snapshot of the whole trainer named `snapshot_iter_{.updater.iteration}`
/// (Chainer's `extensions.snapshot()`), taken every epoch by default.
pub fn snapshot() -> Snapshot {
    Snapshot {
        target: None,
        filename: "snapshot_iter_{.updater.iteration}".into(),
        n_retains: None,
        autoload: false,
        compress: true,
    }
}

/// A snapshot of `target` alone (a model, typically) under `filename`
/// (Chainer's `snapshot_object`; e.g. `"model_epoch_{.updater.epoch}"`).
pub fn snapshot_object(target: Rc<dyn Link>, filename: &str) -> Snapshot {
    Snapshot {
        target: Some(target),
        filename: filename.into(),
        n_retains: None,
        autoload: false,
        compress: true,
    }
}

impl Snapshot {
    /// The file name pattern: `{.updater.iteration}` and `{.updater.epoch}`
    /// (or `{iteration}`, `{epoch}`) are replaced by the current values.
    pub fn filename(mut self, pattern: &str) -> Self {
        self.filename = pattern.into();
        self
    }

    /// Keeps only the newest `n` matching files.
    pub fn n_retains(mut self, n: usize) -> Self {
        self.n_retains = Some(n);
        self
    }

    /// Loads the newest matching snapshot in the output directory before training.
    pub fn autoload(mut self, on: bool) -> Self {
        self.autoload = on;
        self
    }

    /// Deflate-compresses the npz (default `true`, as Chainer's `save_npz`).
    pub fn compress(mut self, on: bool) -> Self {
        self.compress = on;
        self
    }

    fn prefix_suffix(&self) -> (&str, &str) {
        let prefix = self.filename.split('{').next().unwrap_or("");
        let suffix = self.filename.rsplit('}').next().unwrap_or("");
        (prefix, suffix)
    }

    /// Matching files in `dir`, oldest first (by modification time, then name).
    fn matching(&self, dir: &Path) -> Vec<PathBuf> {
        let (prefix, suffix) = self.prefix_suffix();
        let Ok(rd) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut found: Vec<(std::time::SystemTime, String)> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let ok =
                    name.starts_with(prefix) && name.ends_with(suffix) && !name.starts_with('.');
                let mtime = e.metadata().and_then(|m| m.modified()).ok()?;
                ok.then_some((mtime, name))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, n)| dir.join(n)).collect()
    }
}

/// Replaces Chainer's `{.updater.iteration}`-style fields in a file name pattern.
pub(crate) fn format_name(pattern: &str, trainer: &Trainer) -> String {
    let it = trainer.updater().iteration().to_string();
    let ep = trainer.updater().epoch().to_string();
    pattern
        .replace("{.updater.iteration}", &it)
        .replace("{.updater.epoch}", &ep)
        .replace("{iteration}", &it)
        .replace("{epoch}", &ep)
}

impl Extension for Snapshot {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        let path = trainer.out().join(format_name(&self.filename, trainer));
        match &self.target {
            Some(t) => save_npz(&path, t.as_ref(), self.compress)?,
            None => save_npz(&path, &SerializeMut::new(trainer), self.compress)?,
        }
        if let Some(n) = self.n_retains {
            let files = self.matching(trainer.out());
            let stale = files.len().saturating_sub(n);
            for f in &files[..stale] {
                std::fs::remove_file(f).map_err(|e| Error::Value {
                    op: "snapshot",
                    message: format!("cannot remove the old snapshot {}: {e}", f.display()),
                })?;
            }
        }
        Ok(())
    }

    fn default_name(&self) -> String {
        match &self.target {
            None => "snapshot".into(),
            Some(_) => format!("snapshot_object_{}", self.filename),
        }
    }

    fn default_trigger(&self) -> Box<dyn Trigger> {
        Box::new(IntervalTrigger::new(1.0, Unit::Epoch))
    }

    fn priority(&self) -> i32 {
        -100
    }

    fn initialize(&mut self, trainer: &mut Trainer) -> Result<()> {
        if !self.autoload {
            return Ok(());
        }
        let Some(latest) = self.matching(trainer.out()).pop() else {
            return Ok(());
        };
        let opts = LoadOptions::default();
        match &self.target {
            Some(t) => load_npz_with(&latest, t.as_ref(), &opts),
            None => load_npz_with(&latest, &SerializeMut::new(trainer), &opts),
        }
    }
}

impl Trainer {
    /// Restores the trainer from a snapshot file written by [`snapshot`]
    /// (what `--resume` does), all or nothing; call it before [`Trainer::run`].
    pub fn load_snapshot(&mut self, path: impl AsRef<Path>) -> Result<()> {
        load_npz_with(
            path.as_ref(),
            &SerializeMut::new(self),
            &LoadOptions::default(),
        )
    }
}
