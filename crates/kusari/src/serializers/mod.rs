//! Saving and loading state (Chainer's `chainer.serializers`).
//!
//! Everything that has state — links, optimizers, iterators, the trainer —
//! implements [`Serializable`] with one method that walks its state through a
//! [`Serializer`], as Chainer's `serialize(serializer)` does; the same walk
//! saves and loads. A [`StateDict`] is the flat result: keys are Chainer's
//! paths without the leading slash (`predictor/l1/W`, `updater/iteration`).
//!
//! Loading is transactional: the walk first runs in a checking mode that
//! validates every key, shape and dtype without touching the target, and only
//! then in the loading mode, so a failed load leaves the target unchanged.

mod npz;
mod safetensors;

pub use npz::{
    load_npz, load_npz_with, npy_bytes, read_npz, read_npz_from, read_npz_with, save_npz,
    write_npz, write_npz_to, NpzContents,
};
pub use safetensors::{
    load_safetensors, load_safetensors_with, read_safetensors, save_safetensors, write_safetensors,
};

use crate::array::{Array, DType, Element, Error, Result};
use crate::parameter::{Parameter, Persistent};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// Something whose state can be saved and restored.
pub trait Serializable {
    /// Walks the state through `s`: records it when saving, replaces it when loading.
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()>;
}

impl<T: crate::Link + ?Sized> Serializable for T {
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        crate::Link::serialize(self, s)
    }
}

/// Flat saved state: arrays by key (sorted, like the members of an npz file).
#[derive(Clone, Debug, Default)]
pub struct StateDict {
    entries: BTreeMap<String, Array>,
}

impl StateDict {
    /// An empty state.
    pub fn new() -> StateDict {
        StateDict::default()
    }

    /// The array stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Array> {
        self.entries.get(key)
    }

    /// Stores `value` under `key`, replacing what was there.
    pub fn insert(&mut self, key: impl Into<String>, value: Array) {
        self.entries.insert(key.into(), value);
    }

    /// Removes and returns the array under `key`.
    pub fn remove(&mut self, key: &str) -> Option<Array> {
        self.entries.remove(key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Array)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `obj`'s state.
    pub fn save(obj: &(impl Serializable + ?Sized)) -> Result<StateDict> {
        let mut out = StateDict::new();
        obj.serialize(&mut Serializer::saving(&mut out))?;
        Ok(out)
    }

    /// Restores `obj` from this state, all or nothing: on an error `obj` is unchanged.
    pub fn load_into(&self, obj: &(impl Serializable + ?Sized), opts: &LoadOptions) -> Result<()> {
        obj.serialize(&mut Serializer::new(Mode::Check(self), opts))?;
        obj.serialize(&mut Serializer::new(Mode::Load(self), opts))
    }
}

/// How a load treats the stored state (Chainer's `load_npz` arguments).
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// A key missing from the file is an error (`true`, Chainer's default) or is skipped.
    pub strict: bool,
    /// Prefix of the keys to read (Chainer's `path`, e.g. `"updater/model:main/"`).
    pub path: String,
    /// Keys (relative to `path`) never read, even if present.
    pub ignore_names: Vec<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            strict: true,
            path: String::new(),
            ignore_names: Vec::new(),
        }
    }
}

enum Mode<'a> {
    Save(&'a mut StateDict),
    Check(&'a StateDict),
    Load(&'a StateDict),
}

/// The visitor that [`Serializable::serialize`] walks state through. The same
/// calls save or load depending on how the serializer was made.
pub struct Serializer<'a> {
    mode: Mode<'a>,
    prefix: String,
    opts: LoadOptions,
}

impl<'a> Serializer<'a> {
    /// A serializer that records state into `out`.
    pub fn saving(out: &'a mut StateDict) -> Serializer<'a> {
        Serializer::new(Mode::Save(out), &LoadOptions::default())
    }

    fn new(mode: Mode<'a>, opts: &LoadOptions) -> Serializer<'a> {
        Serializer {
            mode,
            prefix: String::new(),
            opts: opts.clone(),
        }
    }

    /// Whether this serializer restores state (else it records it).
    pub fn is_loading(&self) -> bool {
        !matches!(self.mode, Mode::Save(_))
    }

    /// Whether values handed to this serializer may be written (false while
    /// saving and while checking a file before loading it).
    pub fn writes_targets(&self) -> bool {
        matches!(self.mode, Mode::Load(_))
    }

    /// Whether a load would find `key` here (honoring `path` and
    /// `ignore_names`); always false while saving. Lets state that Chainer
    /// reads with a fallback (an optimizer's slot for a frozen parameter)
    /// skip absent keys even in strict mode.
    pub fn has(&self, key: &str) -> bool {
        let rel = self.key(key);
        match &self.mode {
            Mode::Save(_) => false,
            Mode::Check(d) | Mode::Load(d) => {
                !self.opts.ignore_names.contains(&rel)
                    && d.get(&format!("{}{rel}", self.opts.path)).is_some()
            }
        }
    }

    /// The serializer for a sub-object under `name` (Chainer's `serializer[name]`).
    pub fn child(&mut self, name: &str) -> Serializer<'_> {
        let mode = match &mut self.mode {
            Mode::Save(d) => Mode::Save(d),
            Mode::Check(d) => Mode::Check(d),
            Mode::Load(d) => Mode::Load(d),
        };
        Serializer {
            mode,
            prefix: format!("{}{name}/", self.prefix),
            opts: self.opts.clone(),
        }
    }

    /// The full key of `key` here.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Finds the stored array for `key` when loading: `Ok(None)` if it is
    /// absent and that is allowed (not strict, or ignored).
    fn lookup(&self, key: &str) -> Result<Option<Array>> {
        let rel = self.key(key);
        let dict = match &self.mode {
            Mode::Save(_) => return Ok(None),
            Mode::Check(d) | Mode::Load(d) => d,
        };
        if self.opts.ignore_names.contains(&rel) {
            return Ok(None);
        }
        let full = format!("{}{rel}", self.opts.path);
        match dict.get(&full) {
            Some(a) => Ok(Some(a.clone())),
            None if self.opts.strict => Err(Error::Value {
                op: "load",
                message: format!("key {full:?} is not in the file (strict loading; pass strict=false to skip missing keys)"),
            }),
            None => Ok(None),
        }
    }

    fn check_like(
        &self,
        key: &str,
        stored: &Array,
        shape: &[usize],
        dtype: DType,
    ) -> Result<Array> {
        if stored.shape() != shape {
            return Err(Error::Shape {
                op: "load",
                message: format!(
                    "key {:?}: expected shape {shape:?}, the file has {:?}",
                    self.key(key),
                    stored.shape()
                ),
            });
        }
        if stored.dtype() == dtype {
            return Ok(stored.clone());
        }
        // Chainer copies with NumPy's same_kind casting (float64 file into a
        // float32 model works); other kinds are a mismatch.
        if stored.dtype().is_float() && dtype.is_float() {
            return stored.astype(dtype);
        }
        Err(Error::DType {
            op: "load",
            message: format!(
                "key {:?}: expected dtype {dtype}, the file has {}",
                self.key(key),
                stored.dtype()
            ),
        })
    }

    /// Saves or restores an array in place. When loading, the stored array
    /// must have the current shape; floats convert between precisions.
    pub fn array(&mut self, key: &str, value: &mut Array) -> Result<()> {
        if let Mode::Save(d) = &mut self.mode {
            let k = format!("{}{key}", self.prefix);
            d.insert(k, value.clone());
            return Ok(());
        }
        if let Some(stored) = self.lookup(key)? {
            let new = self.check_like(key, &stored, value.shape(), value.dtype())?;
            if self.writes_targets() {
                *value = new;
            }
        }
        Ok(())
    }

    /// Saves or restores an array of any shape and dtype (state whose shape
    /// is decided by what is loaded, e.g. an optimizer's slot for a lazy parameter).
    pub fn any_array(&mut self, key: &str, value: &mut Option<Array>) -> Result<()> {
        if let Mode::Save(d) = &mut self.mode {
            if let Some(v) = value {
                let k = format!("{}{key}", self.prefix);
                d.insert(k, v.clone());
            }
            return Ok(());
        }
        if let Some(stored) = self.lookup(key)? {
            if self.writes_targets() {
                *value = Some(stored);
            }
        }
        Ok(())
    }

    /// Saves or restores a scalar (stored as a 0-d array, as Chainer does).
    pub fn scalar<T: Element>(&mut self, key: &str, value: &mut T) -> Result<()> {
        let mut a = Array::from_vec(vec![*value], &[])?;
        let dtype = a.dtype();
        if let Mode::Save(_) = self.mode {
            return self.array(key, &mut a);
        }
        if let Some(stored) = self.lookup(key)? {
            if stored.size() != 1 {
                return Err(Error::Shape {
                    op: "load",
                    message: format!(
                        "key {:?}: expected a scalar, the file has shape {:?}",
                        self.key(key),
                        stored.shape()
                    ),
                });
            }
            let same_kind = (stored.dtype().is_float() == dtype.is_float())
                || (dtype.is_float() && stored.dtype().is_integer());
            if !same_kind {
                return Err(Error::DType {
                    op: "load",
                    message: format!(
                        "key {:?}: expected a {dtype} scalar, the file has {}",
                        self.key(key),
                        stored.dtype()
                    ),
                });
            }
            if self.writes_targets() {
                *value = stored.astype(dtype)?.reshape(&[])?.item::<T>()?;
            }
        }
        Ok(())
    }

    /// [`Serializer::scalar`] for a value in a `Cell`.
    pub fn scalar_cell<T: Element>(&mut self, key: &str, cell: &Cell<T>) -> Result<()> {
        let mut v = cell.get();
        self.scalar(key, &mut v)?;
        cell.set(v);
        Ok(())
    }

    /// [`Serializer::array`] for an array in a `RefCell`.
    pub fn array_cell(&mut self, key: &str, cell: &RefCell<Array>) -> Result<()> {
        self.array(key, &mut cell.borrow_mut())
    }

    /// Saves or restores a parameter. An uninitialized parameter is skipped
    /// when saving (Chainer writes a pickled `None`, which kusari never
    /// reads or writes) and is initialized from the file when loading.
    pub fn parameter(&mut self, key: &str, p: &Parameter) -> Result<()> {
        if let Mode::Save(d) = &mut self.mode {
            if p.is_initialized() {
                let k = format!("{}{key}", self.prefix);
                d.insert(k, p.array()?);
            }
            return Ok(());
        }
        let Some(stored) = self.lookup(key)? else {
            return Ok(());
        };
        let new = if p.is_initialized() {
            let cur = p.array()?;
            self.check_like(key, &stored, cur.shape(), cur.dtype())?
        } else {
            if stored.dtype() != p.dtype() && !(stored.dtype().is_float() && p.dtype().is_float()) {
                return Err(Error::DType {
                    op: "load",
                    message: format!(
                        "key {:?}: expected dtype {}, the file has {}",
                        self.key(key),
                        p.dtype(),
                        stored.dtype()
                    ),
                });
            }
            stored.astype(p.dtype())?
        };
        if self.writes_targets() {
            // A fresh copy: the loaded model must not share memory with the dict.
            p.set_array(new.copy(crate::array::Order::C)?)?;
        }
        Ok(())
    }

    /// Saves or restores a persistent value (same rules as [`Serializer::array`]).
    pub fn persistent(&mut self, key: &str, p: &Persistent) -> Result<()> {
        let mut cur = p.get();
        self.array(key, &mut cur)?;
        if self.writes_targets() {
            p.set(cur);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Link;

    struct Leaf {
        w: Parameter,
        n: Persistent,
    }
    impl Link for Leaf {
        fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
            f("W", &self.w);
        }
        fn visit_own_persistents(&self, f: &mut dyn FnMut(&str, &Persistent)) {
            f("N", &self.n);
        }
    }
    struct Model {
        l1: Leaf,
        l2: Leaf,
    }
    impl Link for Model {
        fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
            f("l1", &self.l1);
            f("l2", &self.l2);
        }
    }
    fn model(v: f64) -> Model {
        let leaf = |n| Leaf {
            w: Parameter::new("W", Array::full(&[n], v, DType::F32).unwrap()),
            n: Persistent::new(Array::full(&[], v, DType::I64).unwrap()),
        };
        Model {
            l1: leaf(2),
            l2: leaf(3),
        }
    }

    #[test]
    fn saves_with_chainers_key_layout_and_loads_back() {
        let a = model(1.0);
        let d = StateDict::save(&a).unwrap();
        assert_eq!(
            d.keys().collect::<Vec<_>>(),
            ["l1/N", "l1/W", "l2/N", "l2/W"]
        );
        let b = model(0.0);
        d.load_into(&b, &LoadOptions::default()).unwrap();
        assert_eq!(
            b.l2.w.array().unwrap().to_vec::<f32>().unwrap(),
            vec![1.0; 3]
        );
        assert_eq!(b.l1.n.get().item::<i64>().unwrap(), 1);
        // Loaded parameters do not alias the saved state.
        b.l1.w.var().unwrap().update_array(|x| *x += 1.0);
        assert_eq!(
            a.l1.w.array().unwrap().to_vec::<f32>().unwrap(),
            vec![1.0; 2]
        );
    }

    #[test]
    fn a_failed_load_changes_nothing() {
        let mut d = StateDict::save(&model(1.0)).unwrap();
        d.insert("l2/W", Array::zeros(&[4], DType::F32).unwrap()); // wrong shape, visited last
        let b = model(0.0);
        let e = d.load_into(&b, &LoadOptions::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("key \"l2/W\": expected shape [3], the file has [4]"),
            "{e}"
        );
        assert_eq!(
            b.l1.w.array().unwrap().to_vec::<f32>().unwrap(),
            vec![0.0; 2]
        );
    }

    #[test]
    fn missing_keys_fail_when_strict_and_are_skipped_otherwise() {
        let mut d = StateDict::save(&model(1.0)).unwrap();
        d.remove("l1/W");
        let b = model(0.0);
        let e = d.load_into(&b, &LoadOptions::default()).unwrap_err();
        assert!(
            e.to_string().contains("key \"l1/W\" is not in the file"),
            "{e}"
        );
        let loose = LoadOptions {
            strict: false,
            ..Default::default()
        };
        d.load_into(&b, &loose).unwrap();
        assert_eq!(
            b.l1.w.array().unwrap().to_vec::<f32>().unwrap(),
            vec![0.0; 2]
        );
        assert_eq!(
            b.l2.w.array().unwrap().to_vec::<f32>().unwrap(),
            vec![1.0; 3]
        );
    }

    #[test]
    fn path_and_ignore_names_select_keys() {
        let inner = StateDict::save(&model(2.0)).unwrap();
        let mut d = StateDict::new();
        for (k, v) in inner.iter() {
            d.insert(format!("updater/model:main/{k}"), v.clone());
        }
        let b = model(0.0);
        let opts = LoadOptions {
            path: "updater/model:main/".into(),
            ignore_names: vec!["l2/W".into()],
            ..Default::default()
        };
        d.load_into(&b, &opts).unwrap();
        assert_eq!(
            b.l1.w.array().unwrap().to_vec::<f32>().unwrap(),
            vec![2.0; 2]
        );
        assert_eq!(
            b.l2.w.array().unwrap().to_vec::<f32>().unwrap(),
            vec![0.0; 3]
        );
    }

    #[test]
    fn wrong_dtypes_are_rejected_and_floats_convert() {
        let mut d = StateDict::save(&model(1.0)).unwrap();
        d.insert("l1/W", Array::full(&[2], 5.0, DType::F64).unwrap());
        let b = model(0.0);
        d.load_into(&b, &LoadOptions::default()).unwrap();
        assert_eq!(b.l1.w.array().unwrap().dtype(), DType::F32);
        d.insert("l1/W", Array::full(&[2], 5, DType::I32).unwrap());
        let e = d.load_into(&b, &LoadOptions::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("expected dtype float32, the file has int32"),
            "{e}"
        );
    }

    #[test]
    fn scalars_round_trip() {
        struct Counter(Cell<i64>, Cell<f64>);
        impl Serializable for Counter {
            fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
                s.scalar_cell("t", &self.0)?;
                s.child("hp").scalar_cell("lr", &self.1)
            }
        }
        let d = StateDict::save(&Counter(Cell::new(7), Cell::new(0.5))).unwrap();
        assert_eq!(d.keys().collect::<Vec<_>>(), ["hp/lr", "t"]);
        let c = Counter(Cell::new(0), Cell::new(0.0));
        d.load_into(&c, &LoadOptions::default()).unwrap();
        assert_eq!((c.0.get(), c.1.get()), (7, 0.5));
    }
}
