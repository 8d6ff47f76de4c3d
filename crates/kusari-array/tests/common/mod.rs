//! Shared helpers of the NumPy parity tests: loading the committed fixtures
//! (written by `scripts/gen_numpy_fixtures.py`), rebuilding their inputs as
//! kusari arrays, and comparing kusari's results with NumPy's.
//!
//! Every comparison records a readable failure (the case, its inputs, NumPy's
//! result and kusari's) instead of panicking at once, so one run lists every
//! divergence of a fixture file; [`Report::finish`] panics if there was any.
#![allow(dead_code)]

use kusari_array::ops::index::{ELLIPSIS, NEWAXIS};
use kusari_array::{Array, DType, Order, Scalar, SliceArg};
use serde_json::Value;

/// A fixture file, parsed.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {path}: {e} (run scripts/gen_numpy_fixtures.py)"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// Relative (and, near zero, absolute) tolerance used for float results of `dtype`.
///
/// NumPy and kusari compute in the same precision (half types in `f32`, as
/// NumPy's loops do), so elementwise arithmetic agrees to the last bit; the
/// slack covers transcendental functions (`exp`, `power`, ...) whose libm
/// implementations differ by an ulp or two, and reductions that sum in another
/// order (pairwise in NumPy). Per dtype:
/// - `float16`: 1e-3, one ulp of a half (2^-10 ≈ 9.8e-4 relative at worst);
/// - `float32`: 1e-6, about 8 ulps (2^-23 ≈ 1.2e-7);
/// - `float64`: 1e-12, about 4500 ulps, far below any real error yet
///   loose enough for a different summation order over the O(1)-sized
///   fixture values.
///
/// The same number is used as an absolute tolerance, which only matters for
/// results near zero (a variance of 1e-17 instead of 0): fixture inputs are of
/// order 1, so rounding noise of that absolute size is expected there.
pub fn tolerance(dtype: DType) -> f64 {
    match dtype {
        DType::F16 | DType::BF16 => 1e-3,
        DType::F32 => 1e-6,
        _ => 1e-12,
    }
}

/// Collects the failures of one test.
#[derive(Default)]
pub struct Report {
    pub passed: usize,
    pub failures: Vec<String>,
}

impl Report {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs one case; a kusari panic counts as a failure of that case only.
    pub fn check(
        &mut self,
        case: impl FnOnce() -> String,
        run: impl FnOnce() -> Result<(), String>,
    ) {
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("kusari panicked: {msg}"))
            });
        match result {
            Ok(()) => self.passed += 1,
            Err(why) => {
                self.failures
                    .push(format!("{}\n    {}", case(), why.replace('\n', "\n    ")))
            }
        }
    }

    /// Panics with every failure, if any.
    pub fn finish(self, what: &str) {
        if self.failures.is_empty() {
            eprintln!("{what}: all {} cases match NumPy", self.passed);
            return;
        }
        let n = self.failures.len();
        let mut msg = format!(
            "{what}: {n} of {} cases differ from NumPy:\n",
            n + self.passed
        );
        for f in &self.failures {
            msg.push_str("- ");
            msg.push_str(f);
            msg.push('\n');
        }
        panic!("{msg}");
    }
}

// ---------------------------------------------------------------- decoding

/// A kusari dtype from NumPy's name.
pub fn dtype_of(name: &str) -> DType {
    DType::from_name(name).unwrap_or_else(|| panic!("no kusari dtype for NumPy's {name}"))
}

/// The kusari dtype that stands for NumPy's result dtype `name`. The one
/// deliberate difference: kusari has no `uint64`, so where NumPy accumulates
/// unsigned integers in `uint64` (`np.sum(uint8_array)`), kusari uses `int64`
/// (its `sum_dtype`); the values are still compared exactly.
pub fn kusari_dtype_for(name: &str) -> Option<DType> {
    match name {
        "uint64" => Some(DType::I64),
        _ => DType::from_name(name),
    }
}

/// A float from JSON (a number or "nan"/"inf"/"-inf").
pub fn json_f64(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("number"),
        Value::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("bad float {other:?}"),
        },
        Value::Bool(b) => *b as u8 as f64,
        other => panic!("bad float {other}"),
    }
}

fn json_i64(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or_else(|| panic!("not an i64: {n}")),
        Value::Bool(b) => *b as i64,
        other => panic!("bad integer {other}"),
    }
}

pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_u64().expect("usize") as usize)
        .collect()
}

pub fn isizes(v: &Value) -> Vec<isize> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_i64().expect("isize") as isize)
        .collect()
}

/// An optional axis: `null` or an integer.
pub fn opt_axis(v: &Value) -> Option<isize> {
    v.as_i64().map(|a| a as isize)
}

/// An encoded array as a fresh C-ordered kusari array.
pub fn array(v: &Value) -> Array {
    let dtype = dtype_of(v["dtype"].as_str().expect("dtype"));
    let shape = usizes(&v["shape"]);
    let data = v["data"].as_array().expect("data");
    let a = if dtype == DType::Bool {
        Array::from_vec(
            data.iter().map(|x| x.as_bool().expect("bool")).collect(),
            &shape,
        )
    } else if dtype.is_integer() {
        Array::from_vec(data.iter().map(json_i64).collect::<Vec<i64>>(), &shape)
    } else {
        Array::from_vec(data.iter().map(json_f64).collect::<Vec<f64>>(), &shape)
    }
    .expect("fixture array");
    // The values fit the dtype exactly, so the cast is exact.
    a.astype(dtype).expect("astype")
}

/// One entry of an encoded basic index.
pub fn slice_arg(v: &Value) -> SliceArg {
    match v {
        Value::String(s) if s == "newaxis" => NEWAXIS,
        Value::String(s) if s == "..." => ELLIPSIS,
        Value::Object(o) if o.contains_key("i") => {
            SliceArg::Index(o["i"].as_i64().unwrap() as isize)
        }
        Value::Object(o) => {
            let s = o["s"].as_array().unwrap();
            let get = |i: usize| s[i].as_i64().map(|x| x as isize);
            SliceArg::Range {
                start: get(0),
                stop: get(1),
                step: get(2).unwrap_or(1),
            }
        }
        other => panic!("bad index item {other}"),
    }
}

pub fn slice_args(v: &Value) -> Vec<SliceArg> {
    v.as_array().unwrap().iter().map(slice_arg).collect()
}

/// An input given as `{"base": array, "view": [steps]}` (or a plain array),
/// rebuilt with kusari's view operations. When the fixture records NumPy's
/// layout of the result, a difference is returned as an error.
pub fn input(v: &Value) -> Result<Array, String> {
    if v.get("base").is_none() {
        return Ok(array(v));
    }
    let mut a = array(&v["base"]);
    for step in v["view"].as_array().unwrap() {
        let s = step.as_array().unwrap();
        let r = match s[0].as_str().unwrap() {
            "T" => Ok(a.t()),
            "transpose" => a.transpose(Some(&isizes(&s[1]))),
            "slice" => a.slice(&slice_args(&s[1])),
            "asfortran" => a.asfortranarray(),
            "broadcast_to" => a.broadcast_to(&usizes(&s[1])),
            "reshape" => a.reshape(&isizes(&s[1])),
            other => panic!("unknown view step {other}"),
        };
        a = r.map_err(|e| format!("building the input with {step}: {e}"))?;
    }
    if let Some(want) = v.get("input") {
        check_layout(want, &a)
            .map_err(|e| format!("kusari's rebuilt input differs from NumPy's: {e}"))?;
    }
    Ok(a)
}

/// A ufunc operand: an array, or a Python scalar `{"scalar": v, "kind": k}`.
pub enum Arg {
    Arr(Array),
    Sc(Scalar),
}

impl Arg {
    pub fn from_json(v: &Value) -> Arg {
        if let Some(kind) = v.get("kind") {
            let x = &v["scalar"];
            return Arg::Sc(match kind.as_str().unwrap() {
                "bool" => Scalar::Bool(x.as_bool().unwrap()),
                "int" => Scalar::Int(x.as_i64().unwrap()),
                _ => Scalar::Float(json_f64(x)),
            });
        }
        Arg::Arr(input(v).expect("fixture input"))
    }

    pub fn operand(&self) -> kusari_array::Operand<'_> {
        match self {
            Arg::Arr(a) => kusari_array::Operand::Array(a),
            Arg::Sc(s) => kusari_array::Operand::Scalar(*s),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Arg::Arr(a) => show(a),
            Arg::Sc(s) => format!("python scalar {s:?}"),
        }
    }
}

// ---------------------------------------------------------------- comparing

/// A short description of a kusari array: dtype, shape, layout and values.
pub fn show(a: &Array) -> String {
    let vals = values_string(a);
    format!(
        "{{dtype {}, shape {:?}, strides {:?}, c {}, f {}, data {vals}}}",
        a.dtype(),
        a.shape(),
        a.strides(),
        a.is_c_contiguous(),
        a.is_f_contiguous()
    )
}

fn values_string(a: &Array) -> String {
    let r = if a.dtype() == DType::Bool {
        a.to_vec::<bool>().map(|v| format!("{v:?}"))
    } else if a.dtype().is_integer() {
        a.to_vec::<i64>().map(|v| format!("{v:?}"))
    } else {
        a.to_vec::<f64>().map(|v| format!("{v:?}"))
    };
    r.unwrap_or_else(|e| format!("<to_vec failed: {e}>"))
}

/// A short form of an expected value for messages.
pub fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 600 {
        format!("{}...", &s[..600])
    } else {
        s
    }
}

/// Whether `got` equals `want` (a float of `dtype`, read from the fixture)
/// within the dtype's tolerance; NaN equals NaN, infinities must match exactly.
pub fn float_close(want: f64, got: f64, dtype: DType, tol: f64) -> bool {
    // Round the fixture's decimal to the dtype, as NumPy stored it.
    let want = match dtype {
        DType::F16 => kusari_array::half::f16::from_f64(want).to_f64(),
        DType::F32 => want as f32 as f64,
        _ => want,
    };
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    (want - got).abs() <= tol * want.abs().max(1.0)
}

/// Compares dtype, shape, the C/F flags (when recorded) and the values.
pub fn check_array(want: &Value, got: &Array) -> Result<(), String> {
    check_array_tol(want, got, None)
}

/// [`check_array`] with a float tolerance other than [`tolerance`]'s (the
/// caller says why).
pub fn check_array_tol(want: &Value, got: &Array, tol: Option<f64>) -> Result<(), String> {
    let wdt = want["dtype"].as_str().unwrap();
    let mut errs = Vec::new();
    match kusari_dtype_for(wdt) {
        Some(d) if d == got.dtype() => {}
        Some(_) | None => errs.push(format!("dtype: numpy {wdt}, kusari {}", got.dtype())),
    }
    let wshape = usizes(&want["shape"]);
    if wshape != got.shape() {
        errs.push(format!("shape: numpy {wshape:?}, kusari {:?}", got.shape()));
    }
    for (key, flag) in [
        ("c_contiguous", got.is_c_contiguous()),
        ("f_contiguous", got.is_f_contiguous()),
    ] {
        if let Some(w) = want.get(key).and_then(Value::as_bool) {
            if w != flag {
                errs.push(format!("{key}: numpy {w}, kusari {flag}"));
            }
        }
    }
    if let Some(ws) = want.get("strides") {
        // Strides of unit or empty axes carry no information (NumPy picks them freely).
        let ws = isizes(ws);
        if got.size() > 0 && ws.len() == got.ndim() {
            let differs = (0..ws.len()).any(|i| got.shape()[i] > 1 && ws[i] != got.strides()[i]);
            if differs {
                errs.push(format!(
                    "strides (elements): numpy {ws:?}, kusari {:?}",
                    got.strides()
                ));
            }
        }
    }
    if errs.is_empty() {
        if let Err(e) = check_values(want, got, tol) {
            errs.push(e);
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n  numpy:  {}\n  kusari: {}",
            errs.join("; "),
            brief(want),
            show(got)
        ))
    }
}

/// Compares the C-order values of `got` with the fixture's data, in `got`'s
/// dtype (after `check_array` made sure it is the expected one).
pub fn check_values(want: &Value, got: &Array, tol: Option<f64>) -> Result<(), String> {
    let data = want["data"].as_array().unwrap();
    if data.len() != got.size() {
        return Err(format!("size: numpy {}, kusari {}", data.len(), got.size()));
    }
    let dtype = got.dtype();
    let bad: Vec<usize> = if dtype == DType::Bool {
        let g = got.to_vec::<bool>().map_err(|e| e.to_string())?;
        (0..g.len())
            .filter(|&i| data[i].as_bool() != Some(g[i]))
            .collect()
    } else if dtype.is_integer() {
        let g = got.to_vec::<i64>().map_err(|e| e.to_string())?;
        (0..g.len())
            .filter(|&i| data[i].as_i64() != Some(g[i]))
            .collect()
    } else {
        let g = got.to_vec::<f64>().map_err(|e| e.to_string())?;
        (0..g.len())
            .filter(|&i| {
                !float_close(
                    json_f64(&data[i]),
                    g[i],
                    dtype,
                    tol.unwrap_or(tolerance(dtype)),
                )
            })
            .collect()
    };
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "values differ at flat positions {:?}",
            &bad[..bad.len().min(12)]
        ))
    }
}

/// The layout of a rebuilt input against NumPy's (dtype, shape, strides, flags).
pub fn check_layout(want: &Value, got: &Array) -> Result<(), String> {
    let mut w = want.clone();
    // Compare everything but the data.
    w["data"] = Value::Array(vec![]);
    let mut errs = Vec::new();
    if usizes(&w["shape"]) != got.shape() {
        errs.push(format!("shape {:?} vs {:?}", w["shape"], got.shape()));
    }
    for (key, flag) in [
        ("c_contiguous", got.is_c_contiguous()),
        ("f_contiguous", got.is_f_contiguous()),
    ] {
        if w[key].as_bool() != Some(flag) {
            errs.push(format!("{key}: numpy {}, kusari {flag}", w[key]));
        }
    }
    let ws = isizes(&w["strides"]);
    if got.size() > 0 && (0..ws.len()).any(|i| got.shape()[i] > 1 && ws[i] != got.strides()[i]) {
        errs.push(format!("strides: numpy {ws:?}, kusari {:?}", got.strides()));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("; "))
    }
}

/// Compares an outcome with the fixture's: an array, a list of arrays
/// (`{"list": [...]}`), or a NumPy error (`{"error": ...}`), which kusari must
/// also report as an error.
pub fn check_outcome(want: &Value, got: kusari_array::Result<Array>) -> Result<(), String> {
    check_outcome_tol(want, got, None)
}

/// [`check_outcome`] with another float tolerance.
pub fn check_outcome_tol(
    want: &Value,
    got: kusari_array::Result<Array>,
    tol: Option<f64>,
) -> Result<(), String> {
    match (want.get("error"), got) {
        (Some(_), Err(_)) => Ok(()),
        (Some(e), Ok(a)) => Err(format!(
            "numpy raised {e} ({}), kusari returned {}",
            want["message"],
            show(&a)
        )),
        (None, Err(e)) => Err(format!("kusari failed: {e}\n  numpy: {}", brief(want))),
        (None, Ok(a)) => check_array_tol(want, &a, tol),
    }
}

/// Like [`check_outcome`] for operations that return several arrays.
pub fn check_list_outcome(
    want: &Value,
    got: kusari_array::Result<Vec<Array>>,
) -> Result<(), String> {
    match (want.get("error"), got) {
        (Some(_), Err(_)) => Ok(()),
        (Some(e), Ok(v)) => Err(format!(
            "numpy raised {e} ({}), kusari returned {} arrays",
            want["message"],
            v.len()
        )),
        (None, Err(e)) => Err(format!("kusari failed: {e}\n  numpy: {}", brief(want))),
        (None, Ok(v)) => {
            let w = want["list"].as_array().unwrap();
            if w.len() != v.len() {
                return Err(format!(
                    "numpy returned {} arrays, kusari {}",
                    w.len(),
                    v.len()
                ));
            }
            for (i, (wa, ga)) in w.iter().zip(&v).enumerate() {
                check_array(wa, ga).map_err(|e| format!("array {i}: {e}"))?;
            }
            Ok(())
        }
    }
}

/// `Order` by NumPy's letter.
pub fn order(c: &str) -> Order {
    match c {
        "C" => Order::C,
        "F" => Order::F,
        _ => Order::K,
    }
}
