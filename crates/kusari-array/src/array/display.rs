//! NumPy-like printing: `array([[1., 2.],\n       [3., 4.]], dtype=float32)`.

use super::Array;
use crate::DType;
use std::fmt;

/// Above this many elements only the edges of each axis are printed, as NumPy does.
const SUMMARY_THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;

/// Shortest round-trip text of each float, as NumPy's `floatmode="maxprec"`
/// prints them: at most 8 fractional digits, aligned on the decimal point,
/// scientific notation when magnitudes are very large, very small or far apart.
fn format_floats(shortest: Vec<String>, values: &[f64]) -> Vec<String> {
    let finite: Vec<f64> = values
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x != 0.0)
        .map(f64::abs)
        .collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, 0f64), |(l, h), &x| (l.min(x), h.max(x)));
    let scientific = !finite.is_empty() && (hi >= 1e16 || lo < 1e-4 || hi / lo > 1e3 && hi >= 1e8);
    let special = |x: f64| -> Option<String> {
        if x.is_nan() {
            Some("nan".into())
        } else if x.is_infinite() {
            Some(if x > 0.0 { "inf".into() } else { "-inf".into() })
        } else {
            None
        }
    };
    if scientific {
        return values
            .iter()
            .map(|&x| {
                special(x).unwrap_or_else(|| {
                    let s = format!("{x:.8e}");
                    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                    let m = m.trim_end_matches('0');
                    let e: i32 = e.parse().unwrap_or(0);
                    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
                })
            })
            .collect();
    }
    let parts: Vec<(String, String)> = shortest
        .iter()
        .zip(values)
        .map(|(s, &x)| {
            if let Some(sp) = special(x) {
                return (sp, String::new());
            }
            let s = if s.split_once('.').is_some_and(|(_, f)| f.len() > 8) {
                format!("{x:.8}").trim_end_matches('0').to_string()
            } else {
                s.clone()
            };
            match s.split_once('.') {
                Some((i, f)) => (format!("{i}."), f.to_string()),
                None => (format!("{s}."), String::new()),
            }
        })
        .collect();
    let fw = parts.iter().map(|(_, f)| f.len()).max().unwrap_or(0);
    parts
        .into_iter()
        .map(|(i, f)| {
            if i.ends_with('.') {
                format!("{i}{f:<fw$}")
            } else {
                i
            }
        })
        .collect()
}

fn format_values(a: &Array) -> Vec<String> {
    match a.dtype() {
        DType::Bool => a
            .to_vec::<bool>()
            .unwrap_or_default()
            .iter()
            .map(|&x| if x { "True".into() } else { "False".into() })
            .collect(),
        // i64 through f64 would lose digits: format the integers directly.
        d if d.is_integer() => a
            .to_vec::<i64>()
            .unwrap_or_default()
            .iter()
            .map(|x| x.to_string())
            .collect(),
        DType::F64 => {
            let v = a.to_vec::<f64>().unwrap_or_default();
            format_floats(v.iter().map(|x| x.to_string()).collect(), &v)
        }
        _ => {
            // float32 and the half types print their own shortest digits, as NumPy does.
            let v32 = a.to_vec::<f32>().unwrap_or_default();
            let v: Vec<f64> = v32.iter().map(|&x| x as f64).collect();
            format_floats(v32.iter().map(|x| x.to_string()).collect(), &v)
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

#[cfg(test)]
mod tests {
    use crate::{array, Array, DType};

    #[test]
    fn prints_like_numpy() {
        assert_eq!(
            Array::linspace(0.0, 1.0, 5, true).unwrap().to_string(),
            "array([0.  , 0.25, 0.5 , 0.75, 1.  ])"
        );
        let e = array![[1.0f32, 2.0], [3.0, 4.0]].exp().unwrap();
        assert_eq!(
            e.to_string(),
            "array([[ 2.7182817,  7.389056 ],\n       [20.085537 , 54.59815  ]], dtype=float32)"
        );
        assert_eq!(Array::arange(3).unwrap().to_string(), "array([0, 1, 2])");
        assert_eq!(
            Array::zeros(&[0, 2], DType::F32).unwrap().to_string(),
            "array([], dtype=float32, shape=[0, 2])"
        );
        assert_eq!(array![true, false].to_string(), "array([ True, False])");
        assert_eq!(array![1e-5f64, 1.0].to_string(), "array([1.e-05, 1.e+00])");
    }
}
