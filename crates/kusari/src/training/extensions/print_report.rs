//! `PrintReport`: the log as a table on stdout.

use super::{Extension, LogValue, Trainer};
use crate::array::{Error, Result};
use std::io::{IsTerminal, Write};

/// Prints the chosen entries of a `LogReport`'s log as a table, one row
/// per log line (Chainer's `PrintReport`; columns at least 10 wide).
pub struct PrintReport {
    entries: Vec<String>,
    log_report: String,
    header: Option<String>,
    printed: usize,
    out: Box<dyn Write>,
    /// Whether rows start with "erase below" (clears a progress bar's
    /// leftovers); only for a terminal, where the escape means something.
    erase: bool,
}

impl PrintReport {
    /// Prints `entries` (e.g. `["epoch", "main/loss", "validation/main/accuracy"]`)
    /// from the extension named `LogReport` to stdout.
    pub fn new(entries: &[&str]) -> PrintReport {
        let widths: Vec<usize> = entries.iter().map(|e| e.len().max(10)).collect();
        let header = entries
            .iter()
            .zip(&widths)
            .map(|(e, w)| format!("{e:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            + "\n";
        PrintReport {
            entries: entries.iter().map(|e| e.to_string()).collect(),
            log_report: "LogReport".into(),
            header: Some(header),
            printed: 0,
            out: Box::new(std::io::stdout()),
            erase: std::io::stdout().is_terminal(),
        }
    }

    /// Reads the log of the extension registered as `name`.
    pub fn log_report(mut self, name: &str) -> Self {
        self.log_report = name.into();
        self
    }

    /// Writes to `out` instead of stdout.
    pub fn out(mut self, out: impl Write + 'static) -> Self {
        self.out = Box::new(out);
        self.erase = false;
        self
    }

    fn row(&self, line: &super::LogEntry) -> String {
        let mut s = String::new();
        for e in &self.entries {
            let w = e.len().max(10);
            match line.get(e) {
                Some(LogValue::Int(i)) => s.push_str(&format!("{:<w$}  ", format_g(i as f64))),
                Some(LogValue::Float(f)) => s.push_str(&format!("{:<w$}  ", format_g(f))),
                None => s.push_str(&" ".repeat(w + 2)),
            }
        }
        s.push('\n');
        s
    }
}

/// Python's `'{:g}'.format(v)`: 6 significant digits, trailing zeros dropped.
///
/// ```
/// use kusari::training::extensions::format_g;
/// assert_eq!(format_g(1.0), "1");
/// assert_eq!(format_g(0.123456789), "0.123457");
/// assert_eq!(format_g(1234567.0), "1.23457e+06");
/// assert_eq!(format_g(0.00001234), "1.234e-05");
/// ```
pub fn format_g(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let e = format!("{v:.5e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-4..6).contains(&exp) {
        strip(format!("{v:.*}", (5 - exp) as usize))
    } else {
        let es = if exp < 0 { "-" } else { "+" };
        format!("{}e{es}{:02}", strip(mant.to_string()), exp.abs())
    }
}

impl Extension for PrintReport {
    fn call(&mut self, trainer: &mut Trainer) -> Result<()> {
        let io = |e: std::io::Error| Error::Value {
            op: "PrintReport",
            message: format!("cannot write the report: {e}"),
        };
        if let Some(h) = self.header.take() {
            self.out.write_all(h.as_bytes()).map_err(io)?;
        }
        let log = trainer
            .get_extension(&self.log_report)
            .and_then(|e| e.log())
            .ok_or_else(|| Error::Value {
                op: "PrintReport",
                message: format!(
                    "no LogReport extension named {:?}; add LogReport before PrintReport",
                    self.log_report
                ),
            })?;
        let rows: Vec<String> = log[self.printed.min(log.len())..]
            .iter()
            .map(|l| self.row(l))
            .collect();
        self.printed = log.len();
        for r in rows {
            if self.erase {
                self.out.write_all(b"\x1b[J").map_err(io)?;
            }
            self.out.write_all(r.as_bytes()).map_err(io)?;
        }
        self.out.flush().map_err(io)
    }

    fn default_name(&self) -> String {
        "PrintReport".into()
    }
}
