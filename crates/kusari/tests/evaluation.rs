//! The evaluation functions against Chainer 7.8.1
//! (`scripts/chainer_fixtures/gen_evaluation.py`), plus edge cases and errors.

mod common;

use common::{array, arrays, assert_close};
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::Variable;

fn var(a: &Array) -> Variable {
    Variable::new(a.clone())
}

#[test]
fn chainer_fixtures() {
    let fx = common::fixture("evaluation");
    for (name, case) in fx.as_object().unwrap() {
        let ins: Vec<Variable> = arrays(&case["inputs"])
            .iter()
            .map(|a| var(a.as_ref().unwrap()))
            .collect();
        let kw = &case["kwargs"];
        let outs: Vec<Variable> = match name.as_str() {
            "accuracy" | "accuracy_3d" => vec![F::accuracy(&ins[0], &ins[1], None).unwrap()],
            "accuracy_ignore" => vec![F::accuracy(&ins[0], &ins[1], Some(-1)).unwrap()],
            "binary_accuracy" => vec![F::binary_accuracy(&ins[0], &ins[1]).unwrap()],
            "classification_summary" | "classification_summary_default" => {
                let n = kw
                    .get("label_num")
                    .and_then(|v| v.as_u64())
                    .map(|v| v as usize);
                let beta = kw.get("beta").and_then(|v| v.as_f64()).unwrap_or(1.0);
                let s = F::classification_summary(&ins[0], &ins[1], n, beta, -1).unwrap();
                vec![s.precision, s.recall, s.fbeta, s.support]
            }
            "r2_score" => {
                vec![F::r2_score(&ins[0], &ins[1], F::MultiOutput::UniformAverage).unwrap()]
            }
            "r2_score_raw" => {
                vec![F::r2_score(&ins[0], &ins[1], F::MultiOutput::RawValues).unwrap()]
            }
            other => panic!("no function for fixture {other}"),
        };
        for (i, (y, e)) in outs
            .iter()
            .zip(case["outputs"].as_array().unwrap())
            .enumerate()
        {
            assert!(!y.requires_grad(), "{name}: metrics carry no gradient");
            let e = array(e);
            assert_close(&format!("{name} output {i}"), &y.array(), &e, 1e-6, 1e-5);
        }
    }
}

#[test]
fn precision_recall_f1_pieces() {
    let y =
        var(&Array::from_vec(vec![0.9f32, 0.1, 0.2, 0.8, 0.7, 0.3, 0.4, 0.6], &[4, 2]).unwrap());
    let t = var(&Array::from_vec(vec![0i32, 1, 1, 1], &[4]).unwrap());
    // pred = [0, 1, 0, 1]
    let (p, s) = F::precision(&y, &t, None, -1).unwrap();
    assert_eq!(p.array().to_vec::<f64>().unwrap(), vec![0.5, 1.0]);
    assert_eq!(s.array().to_vec::<i64>().unwrap(), vec![1, 3]);
    let (r, _) = F::recall(&y, &t, None, -1).unwrap();
    let r = r.array().to_vec::<f64>().unwrap();
    assert!((r[0] - 1.0).abs() < 1e-12 && (r[1] - 2.0 / 3.0).abs() < 1e-12);
    let (f, _) = F::f1_score(&y, &t, Some(2), -1).unwrap();
    let f = f.array().to_vec::<f64>().unwrap();
    assert!((f[0] - 2.0 / 3.0).abs() < 1e-12 && (f[1] - 0.8).abs() < 1e-12);
}

#[test]
fn accuracy_of_all_ignored_is_zero_and_errors() {
    let y = var(&Array::zeros(&[2, 3], DType::F32).unwrap());
    let t = var(&Array::full(&[2], -1, DType::I32).unwrap());
    assert_eq!(
        F::accuracy(&y, &t, Some(-1))
            .unwrap()
            .array()
            .item::<f32>()
            .unwrap(),
        0.0
    );
    let bad_t = var(&Array::zeros(&[3], DType::I32).unwrap());
    assert!(F::accuracy(&y, &bad_t, None)
        .unwrap_err()
        .to_string()
        .contains("t.shape"));
    let float_t = var(&Array::zeros(&[2], DType::F32).unwrap());
    assert!(F::accuracy(&y, &float_t, None)
        .unwrap_err()
        .to_string()
        .contains("t.dtype"));
    assert!(F::binary_accuracy(&y, &bad_t).is_err());
    assert!(F::r2_score(
        &y,
        &var(&Array::zeros(&[3, 2], DType::F32).unwrap()),
        F::MultiOutput::RawValues
    )
    .is_err());
    let big = var(&Array::full(&[2], 5, DType::I32).unwrap());
    assert!(F::classification_summary(&y, &big, Some(3), 1.0, -1).is_err());
}
