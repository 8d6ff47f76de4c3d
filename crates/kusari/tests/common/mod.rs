//! Shared helpers of the tests that compare kusari with Chainer 7.8.1:
//! loading the committed fixtures (written by `scripts/chainer_fixtures/`,
//! format described in `scripts/chainer_fixtures/common.py`) and comparing
//! arrays with stated tolerances.
#![allow(dead_code)]

use kusari::array::{Array, DType};
use serde_json::Value;

/// A fixture file of `tests/fixtures/chainer/`, parsed.
pub fn fixture(area: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/chainer/{area}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("reading {path}: {e} (run scripts/chainer_fixtures/gen_{area}.py)")
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
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

/// An encoded array as a C-ordered kusari array (`None` for JSON null).
pub fn opt_array(v: &Value) -> Option<Array> {
    if v.is_null() {
        return None;
    }
    let dtype = DType::from_name(v["dtype"].as_str().expect("dtype")).expect("known dtype");
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|x| x.as_u64().expect("dim") as usize)
        .collect();
    let data = v["data"].as_array().expect("data");
    let a = if dtype == DType::Bool {
        Array::from_vec(
            data.iter().map(|x| x.as_bool().expect("bool")).collect(),
            &shape,
        )
    } else if dtype.is_integer() {
        Array::from_vec(
            data.iter()
                .map(|x| x.as_i64().expect("int"))
                .collect::<Vec<i64>>(),
            &shape,
        )
    } else {
        Array::from_vec(data.iter().map(json_f64).collect::<Vec<f64>>(), &shape)
    }
    .expect("fixture array");
    Some(a.astype(dtype).expect("astype"))
}

/// An encoded array.
pub fn array(v: &Value) -> Array {
    opt_array(v).expect("array, not null")
}

/// The arrays of a JSON list (`case["inputs"]`, `case["outputs"]`, ...).
pub fn arrays(v: &Value) -> Vec<Option<Array>> {
    v.as_array().expect("list").iter().map(opt_array).collect()
}

/// Asserts `actual` matches `expected` in shape, dtype and values:
/// `|a - e| <= atol + rtol * |e|` elementwise, NaN matching NaN.
pub fn assert_close(what: &str, actual: &Array, expected: &Array, atol: f64, rtol: f64) {
    assert_eq!(actual.shape(), expected.shape(), "{what}: shape");
    assert_eq!(actual.dtype(), expected.dtype(), "{what}: dtype");
    let a = actual.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    let e = expected
        .astype(DType::F64)
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    for (i, (x, y)) in a.iter().zip(&e).enumerate() {
        let ok = (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= atol + rtol * y.abs();
        assert!(
            ok,
            "{what}: element {i} differs: kusari {x}, Chainer {y} (atol {atol}, rtol {rtol})"
        );
    }
}
