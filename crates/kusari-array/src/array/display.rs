//! NumPy-like printing: `array([[1., 2.],\n       [3., 4.]], dtype=float32)`.

use super::Array;
use crate::DType;
use std::fmt;

/// Above this many elements only the edges of each axis are printed, as NumPy does.
const SUMMARY_THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;

fn format_values(a: &Array) -> Vec<String> {
    let v: Vec<f64> = a.to_vec::<f64>().unwrap_or_default();
    match a.dtype() {
        DType::Bool => v
            .iter()
            .map(|&x| {
                if x != 0.0 {
                    "True".into()
                } else {
                    "False".into()
                }
            })
            .collect(),
        d if d.is_integer() => {
            // i64 through f64 would lose digits: format the integers directly.
            a.to_vec::<i64>()
                .unwrap_or_default()
                .iter()
                .map(|x| x.to_string())
                .collect()
        }
        _ => {
            let all_int = v.iter().all(|x| !x.is_finite() || x.fract() == 0.0);
            v.iter()
                .map(|&x| {
                    if x.is_nan() {
                        "nan".into()
                    } else if x.is_infinite() {
                        if x > 0.0 {
                            "inf".into()
                        } else {
                            "-inf".into()
                        }
                    } else if all_int && x.abs() < 1e16 {
                        format!("{x:.0}.")
                    } else if x != 0.0 && (x.abs() >= 1e8 || x.abs() < 1e-4) {
                        format!("{x:.8e}")
                    } else {
                        let s = format!("{x:.8}");
                        let s = s.trim_end_matches('0');
                        s.to_string()
                    }
                })
                .collect()
        }
    }
}

fn write_nested(
    f: &mut fmt::Formatter<'_>,
    shape: &[usize],
    vals: &[String],
    width: usize,
    indent: usize,
    summarize: bool,
) -> fmt::Result {
    if shape.is_empty() {
        return write!(f, "{:>width$}", vals[0]);
    }
    let n = shape[0];
    let inner: usize = shape[1..].iter().product();
    f.write_str("[")?;
    let show: Vec<Option<usize>> = if summarize && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    };
    for (k, i) in show.iter().enumerate() {
        if k > 0 {
            if shape.len() == 1 {
                f.write_str(", ")?;
            } else {
                f.write_str(",")?;
                for _ in 0..shape.len() - 1 {
                    f.write_str("\n")?;
                }
                write!(f, "{:indent$}", "", indent = indent + 1)?;
            }
        }
        match i {
            Some(i) => write_nested(
                f,
                &shape[1..],
                &vals[i * inner..(i + 1) * inner],
                width,
                indent + 1,
                summarize,
            )?,
            None => f.write_str("...")?,
        }
    }
    f.write_str("]")
}

impl fmt::Display for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let summarize = self.size() > SUMMARY_THRESHOLD;
        let vals = format_values(self);
        let width = vals.iter().map(|s| s.len()).max().unwrap_or(0);
        f.write_str("array(")?;
        if self.size() == 0 {
            f.write_str("[]")?;
        } else {
            write_nested(f, self.shape(), &vals, width, 6, summarize)?;
        }
        let default = matches!(self.dtype(), DType::F64 | DType::I64 | DType::Bool);
        if !default || self.size() == 0 {
            write!(f, ", dtype={}", self.dtype())?;
        }
        if self.size() == 0 && self.ndim() != 1 {
            write!(f, ", shape={:?}", self.shape())?;
        }
        f.write_str(")")
    }
}
