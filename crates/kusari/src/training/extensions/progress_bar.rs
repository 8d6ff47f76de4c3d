//! `ProgressBar`: training progress on the terminal.

use super::{Extension, Trainer};
use crate::array::Result;
use crate::training::Unit;
use std::io::IsTerminal;

/// Shows the progress of training and of the current epoch, the speed in
/// iterations per second and the estimated time left (Chainer's
/// `ProgressBar`, drawn with `indicatif`). Quiet when stdout is not a terminal.
pub struct ProgressBar {
    update_interval: u64,
    bar: Option<indicatif::ProgressBar>,
    enabled: bool,
}

impl Default for ProgressBar {
    fn default() -> Self {
        ProgressBar::new()
    }
}

impl ProgressBar {
    /// Redraws every 100 iterations (Chainer's default `update_interval`).
    pub fn new() -> ProgressBar {
        ProgressBar {
            update_interval: 100,
            bar: None,
            enabled: std::io::stdout().is_terminal(),
        }
    }

    /// Redraws every `n` iterations.
    pub fn update_interval(mut self, n: u64) -> Self {
        self.update_interval = n.max(1);
        self
    }
}

impl Extension for ProgressBar {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let u = trainer.updater();
        let iteration = u.iteration();
        if !iteration.is_multiple_of(self.update_interval) {
            return Ok(());
        }
        let (length, unit) = trainer.training_length().unwrap_or((1.0, Unit::Epoch));
        let done = match unit {
            Unit::Epoch => u.epoch_detail() / length,
            Unit::Iteration => iteration as f64 / length,
        };
        let bar = self.bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::with_draw_target(
                Some(1000),
                indicatif::ProgressDrawTarget::stdout(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "total [{bar:50}] {percent:>3}%  {msg}  eta {eta}",
            ) {
                b.set_style(style.progress_chars("#. "));
            }
            b
        });
        let elapsed = trainer.elapsed_time().max(1e-9);
        let epoch_frac = u.epoch_detail().fract() * 100.0;
        bar.set_message(format!(
            "this epoch {epoch_frac:5.1}%  {iteration} iter, {} epoch  {:.2} iters/sec",
            u.epoch(),
            iteration as f64 / elapsed
        ));
        bar.set_position((done.clamp(0.0, 1.0) * 1000.0) as u64);
        Ok(())
    }

    fn default_name(&self) -> String {
        "ProgressBar".into()
    }

    fn finalize(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }
}
