//! `LogReport`: the `log` file of mean reported values per interval.

use super::{Extension, Trainer, Trigger};
use crate::array::{Error, Result};
use crate::reporter::{array_text, text_array, DictSummary};
use crate::serializers::{Serializable, Serializer};
use crate::training::triggers::{IntervalTrigger, Unit};
use crate::training::write_atomic;
use std::cell::RefCell;

/// A number in the log: Chainer writes `epoch` and `iteration` as integers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LogValue {
    /// An integer (`epoch`, `iteration`).
    Int(i64),
    /// A float (means, `elapsed_time`).
    Float(f64),
}

impl LogValue {
    /// The value as a float.
    pub fn as_f64(self) -> f64 {
        match self {
            LogValue::Int(i) => i as f64,
            LogValue::Float(f) => f,
        }
    }
}

/// One line of the log: keys in Chainer's order (the reported means in the
/// order first reported, then `epoch`, `iteration`, `elapsed_time`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogEntry(pub Vec<(String, LogValue)>);

impl LogEntry {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<LogValue> {
        self.0.iter().find(|(k, _)| k == key).map(|e| e.1)
    }

    /// Sets `key` to `value`, replacing its value or appending it at the end
    /// (what a [`LogReport::postprocess`] function adds, as Chainer's
    /// `result[key] = value`).
    pub fn set(&mut self, key: &str, value: LogValue) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
    }
}

/// Edits a log line before it is stored (see [`LogReport::postprocess`]).
pub type PostprocessFn = Box<dyn FnMut(&mut LogEntry)>;

/// Accumulates the reported values and, every `trigger` (one epoch by
/// default), appends their means to the log and writes it as JSON to
/// `<out>/log`, in the same format as Chainer's `LogReport`
/// (`json.dump(log, f, indent=4)`), atomically.
pub struct LogReport {
    keys: Option<Vec<String>>,
    trigger: IntervalTrigger,
    filename: Option<String>,
    log: Vec<LogEntry>,
    summary: RefCell<DictSummary>,
    postprocess: Option<PostprocessFn>,
}

impl Default for LogReport {
    fn default() -> Self {
        LogReport::new()
    }
}

impl LogReport {
    /// Chainer's defaults: all keys, every epoch, file `log`.
    pub fn new() -> LogReport {
        LogReport {
            keys: None,
            trigger: IntervalTrigger::new(1.0, Unit::Epoch),
            filename: Some("log".into()),
            log: Vec::new(),
            summary: RefCell::new(DictSummary::new()),
            postprocess: None,
        }
    }

    /// Calls `f` on each line before it is logged, so derived values (the
    /// PTB example's `perplexity = exp(main/loss)`) land in the log and in
    /// `PrintReport`'s table (Chainer's `postprocess` argument).
    ///
    /// ```
    /// use kusari::training::extensions::{LogEntry, LogReport, LogValue};
    /// let report = LogReport::new().postprocess(|e: &mut LogEntry| {
    ///     if let Some(loss) = e.get("main/loss") {
    ///         e.set("perplexity", LogValue::Float(loss.as_f64().exp()));
    ///     }
    /// });
    /// # drop(report);
    /// ```
    pub fn postprocess(mut self, f: impl FnMut(&mut LogEntry) + 'static) -> Self {
        self.postprocess = Some(Box::new(f));
        self
    }

    /// Logs only these keys.
    pub fn keys(mut self, keys: &[&str]) -> Self {
        self.keys = Some(keys.iter().map(|k| k.to_string()).collect());
        self
    }

    /// Writes a line every `trigger`.
    pub fn trigger(mut self, trigger: impl Into<IntervalTrigger>) -> Self {
        self.trigger = trigger.into();
        self
    }

    /// The file name in the output directory (`None`: no file).
    pub fn filename(mut self, name: Option<&str>) -> Self {
        self.filename = name.map(str::to_string);
        self
    }

    /// The log so far.
    pub fn entries(&self) -> &[LogEntry] {
        &self.log
    }

    /// The log as Chainer's JSON text.
    pub fn to_json(&self) -> String {
        log_to_json(&self.log)
    }
}

/// The log as Chainer writes it: Python's `json.dumps(log, indent=4)`, byte for byte.
pub fn log_to_json(log: &[LogEntry]) -> String {
    if log.is_empty() {
        return "[]".into();
    }
    let mut s = String::from("[\n");
    for (i, entry) in log.iter().enumerate() {
        if entry.0.is_empty() {
            s.push_str("    {}");
        } else {
            s.push_str("    {\n");
            for (j, (k, v)) in entry.0.iter().enumerate() {
                s.push_str("        ");
                s.push_str(&serde_json::to_string(k).unwrap_or_default());
                s.push_str(": ");
                match v {
                    LogValue::Int(n) => s.push_str(&n.to_string()),
                    LogValue::Float(f) => s.push_str(&format_python_float(*f)),
                }
                s.push_str(if j + 1 < entry.0.len() { ",\n" } else { "\n" });
            }
            s.push_str("    }");
        }
        s.push_str(if i + 1 < log.len() { ",\n" } else { "\n" });
    }
    s.push(']');
    s
}

/// Python's `repr(float)` as `json` writes it (`0.1`, `1.0`, `1e-05`,
/// `NaN`, `Infinity`).
///
/// ```
/// use kusari::training::extensions::format_python_float;
/// assert_eq!(format_python_float(1.0), "1.0");
/// assert_eq!(format_python_float(1e-5), "1e-05");
/// assert_eq!(format_python_float(0.0001), "0.0001");
/// assert_eq!(format_python_float(1e16), "1e+16");
/// assert_eq!(format_python_float(123.456), "123.456");
/// ```
pub fn format_python_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Python's repr.
    let e = format!("{v:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp >= n - 1 {
            format!("{digits}{}.0", "0".repeat((exp - (n - 1)) as usize))
        } else if exp >= 0 {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{a}.{b}")
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        format!("{sign}{body}")
    } else {
        let (a, b) = digits.split_at(1);
        let m = if b.is_empty() {
            a.to_string()
        } else {
            format!("{a}.{b}")
        };
        let es = if exp < 0 { "-" } else { "+" };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

fn json_to_log(text: &str) -> Result<Vec<LogEntry>> {
    let bad = |m: String| Error::Value {
        op: "LogReport load",
        message: m,
    };
    // Python writes NaN and Infinity, which JSON parsers reject: map them to
    // sentinels the parser accepts, then back.
    let fixed = text
        .replace("-Infinity", "\"__-inf__\"")
        .replace("Infinity", "\"__inf__\"")
        .replace("NaN", "\"__nan__\"");
    let v: serde_json::Value =
        serde_json::from_str(&fixed).map_err(|e| bad(format!("the saved log is not JSON: {e}")))?;
    let list = v
        .as_array()
        .ok_or_else(|| bad("the saved log is not a list".into()))?;
    let mut out = Vec::new();
    for item in list {
        let obj = item
            .as_object()
            .ok_or_else(|| bad("a log entry is not an object".into()))?;
        let mut entry = LogEntry::default();
        for (k, v) in obj {
            let val = match v {
                serde_json::Value::Number(n) if n.is_i64() => {
                    LogValue::Int(n.as_i64().unwrap_or(0))
                }
                serde_json::Value::Number(n) => LogValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                serde_json::Value::String(s) if s == "__nan__" => LogValue::Float(f64::NAN),
                serde_json::Value::String(s) if s == "__inf__" => LogValue::Float(f64::INFINITY),
                serde_json::Value::String(s) if s == "__-inf__" => {
                    LogValue::Float(f64::NEG_INFINITY)
                }
                other => {
                    return Err(bad(format!(
                        "log value {other} under {k:?} is not a number"
                    )))
                }
            };
            entry.0.push((k.clone(), val));
        }
        out.push(entry);
    }
    Ok(out)
}

impl Extension for LogReport {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        let obs = trainer.observation().clone();
        match &self.keys {
            None => self.summary.get_mut().add(&obs),
            Some(keys) => {
                let mut o = crate::reporter::Observation::new();
                for k in keys {
                    if let Some(v) = obs.get(k) {
                        o.insert(k.clone(), v);
                    }
                }
                self.summary.get_mut().add(&o);
            }
        }
        if !self.trigger.check(trainer) {
            return Ok(());
        }
        let mut entry = LogEntry::default();
        for (k, v) in self.summary.get_mut().compute_mean().iter() {
            entry.0.push((k.to_string(), LogValue::Float(v)));
        }
        let u = trainer.updater();
        entry
            .0
            .push(("epoch".into(), LogValue::Int(u.epoch() as i64)));
        entry
            .0
            .push(("iteration".into(), LogValue::Int(u.iteration() as i64)));
        entry.0.push((
            "elapsed_time".into(),
            LogValue::Float(trainer.elapsed_time()),
        ));
        if let Some(f) = &mut self.postprocess {
            f(&mut entry);
        }
        self.log.push(entry);
        if let Some(name) = &self.filename {
            write_atomic(&trainer.out().join(name), log_to_json(&self.log).as_bytes())?;
        }
        *self.summary.get_mut() = DictSummary::new();
        Ok(())
    }

    fn default_name(&self) -> String {
        "LogReport".into()
    }

    fn serialize(&mut self, s: &mut Serializer<'_>) -> Result<()> {
        self.trigger.serialize(&mut s.child("_trigger"))?;
        self.summary.serialize(&mut s.child("_summary"))?;
        // Chainer stores the JSON text as a string; kusari as its UTF-8 bytes.
        let mut stored = Some(text_array(&log_to_json(&self.log))?);
        s.any_array("_log", &mut stored)?;
        if s.writes_targets() {
            if let Some(a) = stored {
                self.log = json_to_log(&array_text(&a)?)?;
            }
        }
        Ok(())
    }

    fn log(&self) -> Option<&[LogEntry]> {
        Some(&self.log)
    }
}

#[cfg(test)]
mod tests {
    use super::{json_to_log, log_to_json, LogEntry, LogValue};

    /// A log read back (a resumed snapshot) keeps each entry's keys in the
    /// order they were written, as Chainer's (Python dicts keep insertion
    /// order): JSON objects used to come back sorted by key.
    #[test]
    fn a_log_read_back_keeps_its_key_order() {
        let entry = |loss: f64, it: i64| {
            LogEntry(vec![
                ("main/loss".into(), LogValue::Float(loss)),
                ("validation/main/accuracy".into(), LogValue::Float(0.5)),
                ("epoch".into(), LogValue::Int(1)),
                ("iteration".into(), LogValue::Int(it)),
                ("elapsed_time".into(), LogValue::Float(1.25)),
            ])
        };
        let log = vec![entry(0.75, 10), entry(f64::NAN, 20)];
        let text = log_to_json(&log);
        let back = json_to_log(&text).unwrap();
        let keys = |e: &LogEntry| e.0.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        for (a, b) in log.iter().zip(&back) {
            assert_eq!(keys(a), keys(b));
        }
        assert_eq!(log_to_json(&back), text);
    }
}
