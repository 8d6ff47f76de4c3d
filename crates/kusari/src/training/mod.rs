//! The training loop (Chainer's `chainer.training`): a [`Trainer`] runs an
//! [`Updater`] until its stop trigger fires, calling [`Extension`]s
//! (evaluation, logging, snapshots, learning-rate schedules) when their
//! triggers fire.
//!
//! ```
//! use kusari::array::{Array, DType};
//! use kusari::datasets::TupleDataset;
//! use kusari::iterators::SerialIterator;
//! use kusari::training::{extensions::LogReport, StandardUpdater, Trainer, Unit};
//! use kusari::{functions as F, Link, Parameter, Variable};
//! use kusari::optimizers::{Optimizer, SGD};
//! use std::rc::Rc;
//! use std::sync::Arc;
//!
//! struct Scale { w: Parameter }
//! impl Link for Scale {
//!     fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) { f("w", &self.w) }
//! }
//! let model = Rc::new(Scale { w: Parameter::new("w", Array::zeros(&[1, 1], DType::F32)?) });
//! let x = Array::arange_dtype(0.0, 8.0, 1.0, DType::F32)?.reshape(&[8, 1])?;
//! let t = x.mul(3.0)?;
//! let data = Arc::new(TupleDataset::new(vec![x, t])?);
//! let mut opt = SGD::new();
//! opt.setup(model.as_ref())?;
//! let m = model.clone();
//! let updater = StandardUpdater::new(
//!     SerialIterator::new(data, 4, true, true, 0)?,
//!     opt,
//!     model.clone(),
//!     move |b: &[Variable]| {
//!         let d = b[0].matmul(&m.w.var()?)?.try_sub(&b[1])?;
//!         let loss = F::mul_constant(&d.pow(2.0).sum(None, false)?, 0.25)?;
//!         kusari::reporter::report_variable("loss", &loss, Some(m.as_ref()))?;
//!         Ok(loss)
//!     },
//! );
//! let dir = std::env::temp_dir().join(format!("kusari-training-doc-{}", std::process::id()));
//! let mut trainer = Trainer::new(updater, (20, Unit::Epoch), &dir);
//! trainer.extend(LogReport::new())?;
//! trainer.run()?;
//! assert!((model.w.array()?.item::<f32>()? - 3.0).abs() < 0.05);
//! assert!(dir.join("log").is_file());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), kusari::Error>(())
//! ```

pub mod extensions;
mod trainer;
pub mod triggers;
mod updater;

pub use extensions::{Extension, PRIORITY_EDITOR, PRIORITY_READER, PRIORITY_WRITER};
pub use trainer::Trainer;
pub use triggers::{IntervalTrigger, Trigger, Unit};
pub use updater::{Converter, LossFn, StandardUpdater, Updater};

use crate::array::{Error, Result};
use crate::serializers::{Serializable, Serializer};
use std::cell::RefCell;
use std::path::Path;

/// Makes a `&mut`-walking object (the trainer, an updater) look like a
/// [`Serializable`] so the npz and state-dict functions accept it.
pub struct SerializeMut<'a, T: ?Sized>(RefCell<&'a mut T>);

/// What [`SerializeMut`] calls.
pub trait SerializeState {
    /// Walks the state through `s` (saving, checking or loading).
    fn serialize_state(&mut self, s: &mut Serializer<'_>) -> Result<()>;
}

impl<'a, T: SerializeState + ?Sized> SerializeMut<'a, T> {
    /// Wraps `target`.
    pub fn new(target: &'a mut T) -> Self {
        SerializeMut(RefCell::new(target))
    }
}

impl<T: SerializeState + ?Sized> Serializable for SerializeMut<'_, T> {
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        self.0.borrow_mut().serialize_state(s)
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, then a rename, so readers never see a half-written file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |what: &str, e: std::io::Error| Error::Value {
        op: "write",
        message: format!("cannot {what} {}: {e}", path.display()),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("rename a temporary file onto", e)
    })
}

/// Python's float floor division `a // b` (the triggers compare epochs with it).
pub(crate) fn floordiv(a: f64, b: f64) -> f64 {
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    let fl = div.floor();
    if div - fl > 0.5 {
        fl + 1.0
    } else {
        fl
    }
}
