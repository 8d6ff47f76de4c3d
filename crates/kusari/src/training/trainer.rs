//! `Trainer`: the training loop.

use super::extensions::Extension;
use super::triggers::Trigger;
use super::updater::Updater;
use super::{SerializeMut, SerializeState};
use crate::array::{Error, Result};
use crate::reporter::{Observation, Reporter};
use crate::serializers::{LoadOptions, Serializer, StateDict};
use std::path::{Path, PathBuf};
use std::time::Instant;

struct Entry {
    name: String,
    // Taken out while the extension or trigger runs, so that it can borrow the trainer.
    extension: Option<Box<dyn Extension>>,
    trigger: Option<Box<dyn Trigger>>,
    priority: i32,
}

/// Runs an updater until `stop_trigger` fires, calling extensions when
/// their triggers fire (Chainer's `Trainer`). See the [module
/// docs](super) for an example.
pub struct Trainer {
    updater: Box<dyn Updater>,
    stop_trigger: Option<Box<dyn Trigger>>,
    out: PathBuf,
    entries: Vec<Entry>,
    observation: Observation,
    reporter: Reporter,
    start: Option<Instant>,
    snapshot_elapsed_time: f64,
    final_elapsed_time: Option<f64>,
    done: bool,
}

impl Trainer {
    /// A trainer that runs `updater` until `stop_trigger` fires (usually
    /// `(n, Unit::Epoch)`), writing its outputs into `out`.
    pub fn new(
        updater: impl Updater + 'static,
        stop_trigger: impl Into<Box<dyn Trigger>>,
        out: impl AsRef<Path>,
    ) -> Trainer {
        let mut updater: Box<dyn Updater> = Box::new(updater);
        let mut reporter = Reporter::new();
        updater.connect_trainer(&mut reporter);
        Trainer {
            updater,
            stop_trigger: Some(stop_trigger.into()),
            out: out.as_ref().to_path_buf(),
            entries: Vec::new(),
            observation: Observation::new(),
            reporter,
            start: None,
            snapshot_elapsed_time: 0.0,
            final_elapsed_time: None,
            done: false,
        }
    }

    /// Adds `extension` with its default name, trigger and priority.
    pub fn extend(&mut self, extension: impl Extension + 'static) -> Result<()> {
        self.extend_with(extension, None, None, None)
    }

    /// Adds `extension`, overriding its name, trigger or priority (Chainer's
    /// `extend(ext, name=, trigger=, priority=)`). A name already taken gets
    /// a suffix `_1`, `_2`, ... as in Chainer.
    pub fn extend_with(
        &mut self,
        extension: impl Extension + 'static,
        name: Option<&str>,
        trigger: Option<Box<dyn Trigger>>,
        priority: Option<i32>,
    ) -> Result<()> {
        if self.start.is_some() {
            return Err(Error::Value {
                op: "Trainer::extend",
                message: "cannot add extensions while or after the trainer runs".into(),
            });
        }
        let base = name
            .map(str::to_string)
            .unwrap_or_else(|| extension.default_name());
        let mut name = base.clone();
        let mut ordinal = 0;
        while self.entries.iter().any(|e| e.name == name) {
            ordinal += 1;
            name = format!("{base}_{ordinal}");
        }
        let trigger = trigger.unwrap_or_else(|| extension.default_trigger());
        let priority = priority.unwrap_or_else(|| extension.priority());
        self.entries.push(Entry {
            name,
            extension: Some(Box::new(extension)),
            trigger: Some(trigger),
            priority,
        });
        Ok(())
    }

    /// The updater.
    pub fn updater(&self) -> &dyn Updater {
        self.updater.as_ref()
    }

    /// The updater, mutably (extensions change optimizers through it).
    pub fn updater_mut(&mut self) -> &mut dyn Updater {
        self.updater.as_mut()
    }

    /// The output directory.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// What was reported during the current iteration.
    pub fn observation(&self) -> &Observation {
        &self.observation
    }

    /// Adds a value to the current iteration's observation (what Chainer's
    /// extensions do with `chainer.report` inside the trainer's scope).
    pub fn report(&mut self, key: impl Into<String>, value: f64) {
        self.observation.insert(key, value);
    }

    /// The reporter, with the models registered as observers.
    pub fn reporter(&self) -> &Reporter {
        &self.reporter
    }

    /// Seconds of training, including the time before the snapshot this run
    /// resumed from.
    pub fn elapsed_time(&self) -> f64 {
        if let Some(t) = self.final_elapsed_time {
            return t;
        }
        match self.start {
            Some(s) => s.elapsed().as_secs_f64() + self.snapshot_elapsed_time,
            None => self.snapshot_elapsed_time,
        }
    }

    /// The extension registered as `name` (`None` while it runs).
    pub fn get_extension(&self, name: &str) -> Option<&dyn Extension> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.extension.as_deref())
    }

    /// The names of the extensions, in registration order.
    pub fn extension_names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.name.clone()).collect()
    }

    /// The stop trigger's training length (`(20, Unit::Epoch)`), if it has one.
    pub fn training_length(&self) -> Option<(f64, super::Unit)> {
        self.stop_trigger.as_ref().and_then(|t| t.training_length())
    }

    /// Runs the training loop (Chainer's `run`): initializes the
    /// extensions, then alternates updates and extension calls until the
    /// stop trigger fires, and finalizes everything even on an error.
    pub fn run(&mut self) -> Result<()> {
        if self.done {
            return Err(Error::Value {
                op: "Trainer::run",
                message: "cannot run the training loop twice".into(),
            });
        }
        std::fs::create_dir_all(&self.out).map_err(|e| Error::Value {
            op: "Trainer::run",
            message: format!(
                "cannot create the output directory {}: {e}",
                self.out.display()
            ),
        })?;
        // Stable sort: equal priorities keep registration order, as Python's sorted.
        self.entries.sort_by_key(|e| std::cmp::Reverse(e.priority));
        self.start = Some(Instant::now());
        let result = self.run_loop();
        for i in 0..self.entries.len() {
            if let Some(ext) = self.entries[i].extension.as_mut() {
                ext.finalize();
            }
        }
        self.updater.finalize();
        self.final_elapsed_time = Some(self.elapsed_time());
        self.done = true;
        result
    }

    fn run_loop(&mut self) -> Result<()> {
        for i in 0..self.entries.len() {
            let finished = self.entries[i]
                .trigger
                .as_ref()
                .is_some_and(|t| t.finished());
            if finished {
                continue;
            }
            let mut ext = self.entries[i].extension.take();
            let r = ext.as_mut().map_or(Ok(()), |e| e.initialize(self));
            self.entries[i].extension = ext;
            r?;
        }
        loop {
            let mut stop = self
                .stop_trigger
                .take()
                .expect("stop trigger present outside checks");
            let done = stop.check(self);
            self.stop_trigger = Some(stop);
            if done {
                return Ok(());
            }
            let reporter = std::mem::take(&mut self.reporter);
            let (r, observation) = reporter.scope_with(|| self.updater.update());
            self.reporter = reporter;
            self.observation = observation;
            r?;
            for i in 0..self.entries.len() {
                let mut trig = self.entries[i]
                    .trigger
                    .take()
                    .expect("trigger present outside checks");
                let fire = trig.check(self);
                self.entries[i].trigger = Some(trig);
                if !fire {
                    continue;
                }
                let mut ext = self.entries[i].extension.take();
                let r = ext.as_mut().map_or(Ok(()), |e| e.call(self));
                self.entries[i].extension = ext;
                r.map_err(|e| with_context(e, &self.entries[i].name))?;
            }
        }
    }

    /// The trainer's state as saved by a snapshot (Chainer's `Trainer.serialize`
    /// key layout: `updater/...`, `stop_trigger/...`, `extensions/<name>/...`,
    /// `extension_triggers/<name>/...`, `_snapshot_elapsed_time`).
    pub fn state_dict(&mut self) -> Result<StateDict> {
        StateDict::save(&SerializeMut::new(self))
    }

    /// Restores a state from [`Trainer::state_dict`] (or a snapshot file read
    /// into a `StateDict`), all or nothing.
    pub fn load_state_dict(&mut self, state: &StateDict, opts: &LoadOptions) -> Result<()> {
        state.load_into(&SerializeMut::new(self), opts)
    }
}

fn with_context(e: Error, name: &str) -> Error {
    match e {
        Error::Value { op, message } => Error::Value {
            op,
            message: format!("in extension {name}: {message}"),
        },
        other => other,
    }
}

impl SerializeState for Trainer {
    fn serialize_state(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.updater.serialize_state(&mut s.child("updater"))?;
        if let Some(stop) = self.stop_trigger.as_mut() {
            stop.serialize(&mut s.child("stop_trigger"))?;
        }
        for e in self.entries.iter_mut() {
            if let Some(ext) = e.extension.as_mut() {
                ext.serialize(&mut s.child("extensions").child(&e.name))?;
            }
            if let Some(t) = e.trigger.as_mut() {
                t.serialize(&mut s.child("extension_triggers").child(&e.name))?;
            }
        }
        let mut elapsed = self.elapsed_time();
        s.scalar("_snapshot_elapsed_time", &mut elapsed)?;
        if s.writes_targets() {
            self.snapshot_elapsed_time = elapsed;
        }
        Ok(())
    }
}
