//! `PlotReport`: PNG line plots of reported values.

use super::{Extension, Trainer};
use crate::array::{Error, Result};
use crate::reporter::{array_text, text_array, DictSummary, Observation};
use crate::serializers::Serializer;
use crate::training::triggers::{IntervalTrigger, Trigger};
use crate::training::{write_atomic, Unit};

/// Plots the interval means of `keys` against the iteration (or epoch) into
/// `<out>/<filename>` (Chainer's `PlotReport`), redrawn every `trigger`
/// (one epoch by default). Drawn with `plotters`' bitmap backend and no
/// text, so it needs no system fonts: the axes span the data, the series
/// use the colors blue, red, green, orange, purple, ... in the order of `keys`.
pub struct PlotReport {
    keys: Vec<String>,
    x_key: String,
    filename: String,
    trigger: IntervalTrigger,
    summary: DictSummary,
    data: Vec<Vec<(f64, f64)>>,
}

const COLORS: [(u8, u8, u8); 6] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
];

impl PlotReport {
    /// Plots `keys` (e.g. `["main/loss", "validation/main/loss"]`) against
    /// `x_key` (`"iteration"` or `"epoch"`) into `filename` (e.g. `loss.png`).
    pub fn new(keys: &[&str], x_key: &str, filename: &str) -> Result<PlotReport> {
        if x_key != "iteration" && x_key != "epoch" {
            return Err(Error::Value {
                op: "PlotReport::new",
                message: format!("x_key must be \"iteration\" or \"epoch\", found {x_key:?}"),
            });
        }
        Ok(PlotReport {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            x_key: x_key.into(),
            filename: filename.into(),
            trigger: IntervalTrigger::new(1.0, Unit::Epoch),
            summary: DictSummary::new(),
            data: vec![Vec::new(); keys.len()],
        })
    }

    /// Redraws every `trigger`.
    pub fn trigger(mut self, trigger: impl Into<IntervalTrigger>) -> Self {
        self.trigger = trigger.into();
        self
    }

    /// The plotted points of each key.
    pub fn data(&self) -> &[Vec<(f64, f64)>] {
        &self.data
    }

    fn render(&self) -> Result<Vec<u8>> {
        use plotters::prelude::*;
        let (w, h) = (640u32, 480u32);
        let mut buf = vec![0u8; (w * h * 3) as usize];
        let pts: Vec<&(f64, f64)> = self
            .data
            .iter()
            .flatten()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let fold = |f: fn(f64, f64) -> f64, init: f64, sel: fn(&(f64, f64)) -> f64| {
            pts.iter().map(|p| sel(p)).fold(init, f)
        };
        let (mut x0, mut x1) = (
            fold(f64::min, f64::INFINITY, |p| p.0),
            fold(f64::max, f64::NEG_INFINITY, |p| p.0),
        );
        let (mut y0, mut y1) = (
            fold(f64::min, f64::INFINITY, |p| p.1),
            fold(f64::max, f64::NEG_INFINITY, |p| p.1),
        );
        if pts.is_empty() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        let pad = (y1 - y0) * 0.05;
        let err = |e: &dyn std::fmt::Debug| Error::Value {
            op: "PlotReport",
            message: format!("drawing failed: {e:?}"),
        };
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| err(&e))?;
            let mut chart = ChartBuilder::on(&root)
                .margin(24)
                .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
                .map_err(|e| err(&e))?;
            let grey = RGBColor(200, 200, 200);
            for i in 0..=10 {
                let gx = x0 + (x1 - x0) * i as f64 / 10.0;
                let gy = y0 - pad + (y1 - y0 + 2.0 * pad) * i as f64 / 10.0;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(gx, y0 - pad), (gx, y1 + pad)],
                        grey,
                    )))
                    .map_err(|e| err(&e))?;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x0, gy), (x1, gy)],
                        grey,
                    )))
                    .map_err(|e| err(&e))?;
            }
            for (k, series) in self.data.iter().enumerate() {
                let (r, g, b) = COLORS[k % COLORS.len()];
                let color = RGBColor(r, g, b);
                let line: Vec<(f64, f64)> = series
                    .iter()
                    .cloned()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                chart
                    .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                    .map_err(|e| err(&e))?;
                chart
                    .draw_series(line.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| err(&e))?;
            }
            root.present().map_err(|e| err(&e))?;
        }
        let mut png = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut png),
            &buf,
            w,
            h,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| err(&e))?;
        Ok(png)
    }
}

impl Extension for PlotReport {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        let obs = trainer.observation();
        let mut picked = Observation::new();
        for k in &self.keys {
            if let Some(v) = obs.get(k) {
                picked.insert(k.clone(), v);
            }
        }
        self.summary.add(&picked);
        if !self.trigger.check(trainer) {
            return Ok(());
        }
        let u = trainer.updater();
        let x = if self.x_key == "epoch" {
            u.epoch() as f64
        } else {
            u.iteration() as f64
        };
        let means = self.summary.compute_mean();
        for (k, key) in self.keys.iter().enumerate() {
            if let Some(v) = means.get(key) {
                self.data[k].push((x, v));
            }
        }
        self.summary = DictSummary::new();
        write_atomic(&trainer.out().join(&self.filename), &self.render()?)
    }

    fn default_name(&self) -> String {
        format!("PlotReport_{}", self.filename)
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.trigger.serialize(&mut s.child("_trigger"))?;
        // Chainer stores the points as JSON text under `_plot_<filename>`.
        let json = serde_json::to_string(&self.data).unwrap_or_default();
        let mut stored = Some(text_array(&json)?);
        s.any_array(&format!("_plot_{}", self.filename), &mut stored)?;
        if s.writes_targets() {
            if let Some(a) = stored {
                let data: Vec<Vec<(f64, f64)>> =
                    serde_json::from_str(&array_text(&a)?).map_err(|e| Error::Value {
                        op: "PlotReport load",
                        message: format!("the saved points are not valid: {e}"),
                    })?;
                if data.len() == self.keys.len() {
                    self.data = data;
                }
            }
        }
        Ok(())
    }
}
