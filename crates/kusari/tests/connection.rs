//! Connection functions: gradient checks (first and second order, float32
//! and float64, contiguous and strided inputs), comparison with Chainer 7.8.1
//! fixtures (`scripts/chainer_fixtures/gen_connection.py`), and errors.

mod common;
mod support;

use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::Variable;
use support::{case, check, compare, strided};

const DTYPES: [DType; 2] = [DType::F32, DType::F64];

#[test]
fn linear_gradients() {
    for dt in DTYPES {
        let mut r = Generator::new(1);
        let x = r.standard_normal(&[3, 4], dt).unwrap();
        let w = r.standard_normal(&[5, 4], dt).unwrap();
        let b = r.standard_normal(&[5], dt).unwrap();
        check(
            "linear",
            &|v| Ok(vec![F::linear(&v[0], &v[1], Some(&v[2]), 1)?]),
            &[x.clone(), w.clone(), b.clone()],
        );
        check(
            "linear no bias, strided x and transposed W",
            &|v| Ok(vec![F::linear(&v[0], &v[1], None, 1)?]),
            &[strided(&x), r.standard_normal(&[4, 5], dt).unwrap().t()],
        );
        check(
            "linear 3-D x, n_batch_axes 2",
            &|v| Ok(vec![F::linear(&v[0], &v[1], Some(&v[2]), 2)?]),
            &[r.standard_normal(&[2, 3, 4], dt).unwrap(), w, b],
        );
    }
}

#[test]
fn linear_matches_chainer() {
    let fx = common::fixture("connection");
    for name in [
        "linear",
        "linear_nobias",
        "linear_flatten",
        "linear_batch_axes2",
        "linear_batch1_f32",
    ] {
        let c = case(&fx, name);
        let nba = c.kwargs["n_batch_axes"].as_u64().unwrap_or(1) as usize;
        compare(name, &c, &|v| {
            Ok(vec![F::linear(&v[0], &v[1], v.get(2), nba)?])
        });
    }
}

#[test]
fn linear_errors() {
    let x = Variable::new(Array::zeros(&[2, 3], DType::F32).unwrap());
    let w = Variable::new(Array::zeros(&[4, 5], DType::F32).unwrap());
    let e = F::linear(&x, &w, None, 1).unwrap_err().to_string();
    assert!(
        e.contains("linear") && e.contains("[2, 3]") && e.contains("[4, 5]"),
        "{e}"
    );
    let w = Variable::new(Array::zeros(&[4, 3], DType::F32).unwrap());
    let b = Variable::new(Array::zeros(&[3], DType::F32).unwrap());
    let e = F::linear(&x, &w, Some(&b), 1).unwrap_err().to_string();
    assert!(e.contains("b.shape [3]"), "{e}");
    let w64 = Variable::new(Array::zeros(&[4, 3], DType::F64).unwrap());
    assert!(F::linear(&x, &w64, None, 1).is_err());
    assert!(F::linear(&x, &w, None, 2).is_err());
    let xi = Variable::new(Array::zeros(&[2, 3], DType::I64).unwrap());
    assert!(F::linear(&xi, &w, None, 1).is_err());
}
