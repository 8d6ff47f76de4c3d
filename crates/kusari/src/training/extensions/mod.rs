//! Extensions: things the trainer does between iterations (Chainer's
//! `chainer.training.extensions`).

mod dump_graph;
mod evaluator;
mod log_report;
mod misc;
mod plot_report;
mod print_report;
mod progress_bar;
mod shifts;
mod snapshot;

pub use dump_graph::DumpGraph;
pub use evaluator::{EvalFn, Evaluator};
pub use log_report::{
    format_python_float, log_to_json, LogEntry, LogReport, LogValue, PostprocessFn,
};
pub use misc::{
    observe_lr, observe_value, FailOnNonNumber, ObserveFn, ObserveValue, ParameterStatistics,
};
pub use plot_report::PlotReport;
pub use print_report::{format_g, PrintReport};
pub use progress_bar::ProgressBar;
pub use shifts::{
    ExponentialShift, InverseShift, LinearShift, MultistepShift, PolynomialShift, StepShift,
    WarmupShift,
};
pub use snapshot::{snapshot, snapshot_object, Snapshot};

use super::triggers::{IntervalTrigger, Trigger, Unit};
use super::Trainer;
use crate::array::Result;
use crate::serializers::Serializer;

/// Extensions that write results others read (Evaluator) run first.
pub const PRIORITY_WRITER: i32 = 300;
/// Extensions that change the training state (learning-rate shifts).
pub const PRIORITY_EDITOR: i32 = 200;
/// Extensions that only read (logging, printing); the default.
pub const PRIORITY_READER: i32 = 100;

/// Something the trainer runs when its trigger fires (Chainer's `Extension`).
pub trait Extension {
    /// Does the work.
    fn call(&mut self, trainer: &mut Trainer) -> Result<()>;

    /// The name it is registered under unless given one.
    fn default_name(&self) -> String;

    /// When it runs unless told otherwise (every iteration by default).
    fn default_trigger(&self) -> Box<dyn Trigger> {
        Box::new(IntervalTrigger::new(1.0, Unit::Iteration))
    }

    /// Order among extensions triggered together (higher first).
    fn priority(&self) -> i32 {
        PRIORITY_READER
    }

    /// Called once before training (and after a resume's load).
    fn initialize(&mut self, _trainer: &mut Trainer) -> Result<()> {
        Ok(())
    }

    /// Called once when training ends, also after an error.
    fn finalize(&mut self) {}

    /// Saves or restores its state (under `extensions/<name>/`).
    fn serialize(&mut self, _s: &mut Serializer<'_>) -> Result<()> {
        Ok(())
    }

    /// The log, for a `LogReport` (what `PrintReport` and others read).
    fn log(&self) -> Option<&[LogEntry]> {
        None
    }
}
