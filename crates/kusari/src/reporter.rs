//! Reporting values during training (Chainer's `chainer.reporter`).
//!
//! Code anywhere in a forward pass calls [`report`]; the values go to the
//! current [`Reporter`]'s observation (or nowhere when no reporter is
//! active), keyed by the observer's registered name, so a model registered
//! as `"main"` that reports `loss` produces `main/loss`. The trainer makes a
//! reporter current for each iteration, and extensions aggregate the
//! observations with [`DictSummary`].
//!
//! ```
//! use kusari::reporter::{report, Reporter};
//! use kusari::Link;
//! struct Model;
//! impl Link for Model {}
//! let model = Model;
//! let mut reporter = Reporter::new();
//! reporter.add_observer("main", &model);
//! let observation = reporter.scope(|| report(&[("loss", 0.5)], Some(&model)))?;
//! assert_eq!(observation.get("main/loss"), Some(0.5));
//! # Ok::<(), kusari::Error>(())
//! ```

use crate::array::{Array, Error, Result};
use crate::serializers::{Serializable, Serializer};
use crate::{Link, Variable};
use std::cell::RefCell;

/// Reported values in the order they were first reported (the order
/// Chainer's `LogReport` writes them in).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observation {
    entries: Vec<(String, f64)>,
}

impl Observation {
    /// An empty observation.
    pub fn new() -> Observation {
        Observation::default()
    }

    /// Sets `key` (keeping its first position if it was there).
    pub fn insert(&mut self, key: impl Into<String>, value: f64) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.entries.iter().find(|(k, _)| k == key).map(|e| e.1)
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Collects reported values and names observers (Chainer's `Reporter`).
#[derive(Default)]
pub struct Reporter {
    // Observers are identified by address, as Chainer identifies them by
    // `id()`: a link registered under a name keeps it while it lives.
    observers: Vec<(usize, String)>,
}

fn address(observer: &dyn Link) -> usize {
    observer as *const dyn Link as *const () as usize
}

struct Active {
    observers: Vec<(usize, String)>,
    observation: Observation,
}

thread_local! {
    static STACK: RefCell<Vec<Active>> = const { RefCell::new(Vec::new()) };
}

impl Reporter {
    /// A reporter with no observers.
    pub fn new() -> Reporter {
        Reporter::default()
    }

    /// Names `observer`: its reports are prefixed with `name/`. A child
    /// link placed at the very start of its parent shares the parent's
    /// address; the name registered first wins.
    pub fn add_observer(&mut self, name: &str, observer: &dyn Link) {
        let a = address(observer);
        if !self.observers.iter().any(|(o, _)| *o == a) {
            self.observers.push((a, name.to_string()));
        }
    }

    /// Names every descendant link of `link` as `prefix` + its path
    /// (`main/predictor`, ...), as Chainer's `add_observers(prefix, link.namedlinks(skipself=True))`.
    pub fn add_observers(&mut self, prefix: &str, link: &dyn Link) {
        link.visit_children(&mut |name, child| {
            let path = format!("{prefix}/{name}");
            self.add_observer(&path, child);
            self.add_observers(&path, child);
        });
    }

    /// The name `observer` was registered under.
    pub fn observer_name(&self, observer: &dyn Link) -> Option<&str> {
        let a = address(observer);
        self.observers
            .iter()
            .find(|(o, _)| *o == a)
            .map(|(_, n)| n.as_str())
    }

    /// Runs `f` with this reporter current and returns what was reported
    /// during it (Chainer's `with reporter.scope(observation):`). Scopes nest.
    pub fn scope(&self, f: impl FnOnce() -> Result<()>) -> Result<Observation> {
        let (r, obs) = self.scope_with(f);
        r.map(|_| obs)
    }

    /// [`Reporter::scope`] that returns `f`'s result and the observation
    /// even when `f` fails.
    pub fn scope_with<R>(&self, f: impl FnOnce() -> R) -> (R, Observation) {
        STACK.with(|s| {
            s.borrow_mut().push(Active {
                observers: self.observers.clone(),
                observation: Observation::new(),
            })
        });
        // Pops even if `f` unwinds, so a panic does not leave a stale reporter.
        struct Pop;
        impl Drop for Pop {
            fn drop(&mut self) {
                STACK.with(|s| s.borrow_mut().pop());
            }
        }
        let guard = Pop;
        let r = f();
        let obs = STACK
            .with(|s| {
                s.borrow_mut()
                    .last_mut()
                    .map(|a| std::mem::take(&mut a.observation))
            })
            .unwrap_or_default();
        drop(guard);
        (r, obs)
    }
}

/// Reports `values` to the current reporter (Chainer's `chainer.report`);
/// nothing happens when no reporter is active. With an `observer`, keys are
/// prefixed with its registered name (an unregistered observer is an error,
/// as in Chainer).
pub fn report(values: &[(&str, f64)], observer: Option<&dyn Link>) -> Result<()> {
    STACK.with(|s| {
        let mut stack = s.borrow_mut();
        let Some(active) = stack.last_mut() else {
            return Ok(());
        };
        let prefix = match observer {
            None => None,
            Some(o) => {
                let a = address(o);
                let name = active
                    .observers
                    .iter()
                    .find(|(x, _)| *x == a)
                    .map(|(_, n)| n.clone())
                    .ok_or_else(|| Error::Value {
                        op: "report",
                        message: "the observer is not registered with the current reporter (add_observer)".into(),
                    })?;
                Some(name)
            }
        };
        for (k, v) in values {
            match &prefix {
                Some(p) => active.observation.insert(format!("{p}/{k}"), *v),
                None => active.observation.insert(*k, *v),
            }
        }
        Ok(())
    })
}

/// Reports a size-1 variable (a loss, an accuracy) as a float; see [`report`].
pub fn report_variable(name: &str, value: &Variable, observer: Option<&dyn Link>) -> Result<()> {
    if !is_reporting() {
        return Ok(());
    }
    report(
        &[(name, scalar_of(&value.array(), "report_variable")?)],
        observer,
    )
}

/// Whether a reporter is active on this thread (reports would be recorded).
pub fn is_reporting() -> bool {
    STACK.with(|s| !s.borrow().is_empty())
}

/// Runs `f` and returns what it reported into the current reporter, as a
/// separate observation (Chainer's `report_scope`); without an active
/// reporter, one without observers is used.
pub fn report_scope(f: impl FnOnce() -> Result<()>) -> Result<Observation> {
    let observers = STACK.with(|s| s.borrow().last().map(|a| a.observers.clone()));
    let reporter = Reporter {
        observers: observers.unwrap_or_default(),
    };
    reporter.scope(f)
}

fn scalar_of(a: &Array, op: &'static str) -> Result<f64> {
    if a.size() != 1 {
        return Err(Error::Shape {
            op,
            message: format!("expected a value of size 1, found shape {:?}", a.shape()),
        });
    }
    a.item::<f64>()
}

/// Running mean and standard deviation of a scalar (Chainer's `Summary`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    x: f64,
    x2: f64,
    n: f64,
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Summary {
        Summary::default()
    }

    /// Adds `value` with `weight` (1 for a plain mean).
    pub fn add(&mut self, value: f64, weight: f64) {
        self.x += weight * value;
        self.x2 += weight * value * value;
        self.n += weight;
    }

    /// The weighted mean (NaN when empty, as NumPy's 0/0).
    pub fn compute_mean(&self) -> f64 {
        self.x / self.n
    }

    /// The mean and the standard deviation.
    pub fn make_statistics(&self) -> (f64, f64) {
        let mean = self.compute_mean();
        let var = (self.x2 / self.n - mean * mean).max(0.0);
        (mean, var.sqrt())
    }
}

impl Serializable for RefCell<Summary> {
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        let mut v = self.borrow().clone();
        s.scalar("_x", &mut v.x)?;
        s.scalar("_x2", &mut v.x2)?;
        s.scalar("_n", &mut v.n)?;
        if s.writes_targets() {
            *self.borrow_mut() = v;
        }
        Ok(())
    }
}

/// Summaries of many named values (Chainer's `DictSummary`), in the order
/// the names first appeared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DictSummary {
    summaries: Vec<(String, Summary)>,
}

impl DictSummary {
    /// An empty summary.
    pub fn new() -> DictSummary {
        DictSummary::default()
    }

    /// Adds every value of `observation`.
    pub fn add(&mut self, observation: &Observation) {
        for (k, v) in observation.iter() {
            match self.summaries.iter_mut().find(|(n, _)| n == k) {
                Some((_, s)) => s.add(v, 1.0),
                None => {
                    let mut s = Summary::new();
                    s.add(v, 1.0);
                    self.summaries.push((k.to_string(), s));
                }
            }
        }
    }

    /// The mean of each name.
    pub fn compute_mean(&self) -> Observation {
        let mut out = Observation::new();
        for (k, s) in &self.summaries {
            out.insert(k.clone(), s.compute_mean());
        }
        out
    }

    /// The mean of each name and its standard deviation as `name.std`.
    pub fn make_statistics(&self) -> Observation {
        let mut out = Observation::new();
        for (k, s) in &self.summaries {
            let (mean, std) = s.make_statistics();
            out.insert(k.clone(), mean);
            out.insert(format!("{k}.std"), std);
        }
        out
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.summaries.is_empty()
    }
}

impl Serializable for RefCell<DictSummary> {
    /// Chainer's layout: `_names` (here a UTF-8 JSON list stored as uint8
    /// bytes, since kusari arrays hold no strings) and each summary under its name.
    fn serialize(&self, s: &mut Serializer<'_>) -> Result<()> {
        let names: Vec<String> = self
            .borrow()
            .summaries
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        let mut stored = Some(text_array(
            &serde_json::to_string(&names).unwrap_or_default(),
        )?);
        s.any_array("_names", &mut stored)?;
        let names: Vec<String> = match &stored {
            Some(a) if s.is_loading() => {
                serde_json::from_str(&array_text(a)?).map_err(|e| Error::Value {
                    op: "DictSummary load",
                    message: format!("_names is not a JSON list of strings: {e}"),
                })?
            }
            _ => names,
        };
        let mut loaded = Vec::with_capacity(names.len());
        for name in names {
            let cell = RefCell::new(
                self.borrow()
                    .summaries
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_default(),
            );
            cell.serialize(&mut s.child(&name))?;
            loaded.push((name, cell.into_inner()));
        }
        if s.writes_targets() {
            self.borrow_mut().summaries = loaded;
        }
        Ok(())
    }
}

/// Text stored as a uint8 array (kusari's stand-in for the NumPy string
/// arrays Chainer saves JSON in).
pub(crate) fn text_array(text: &str) -> Result<Array> {
    let bytes = text.as_bytes().to_vec();
    let n = bytes.len();
    Array::from_vec(bytes, &[n])
}

/// The text of an array written by [`text_array`].
pub(crate) fn array_text(a: &Array) -> Result<String> {
    let bytes = a.astype(crate::array::DType::U8)?.to_vec::<u8>()?;
    String::from_utf8(bytes).map_err(|e| Error::Value {
        op: "load",
        message: format!("stored text is not UTF-8: {e}"),
    })
}
