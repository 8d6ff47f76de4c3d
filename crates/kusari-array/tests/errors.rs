//! Every class of bad input returns an error that names the operation and
//! says what was expected and what was found; none panics or aborts.

use kusari_array::ops::{linalg, manip, math};
use kusari_array::{s, Array, DType, Error};

fn f32s(shape: &[usize]) -> Array {
    Array::zeros(shape, DType::F32).unwrap()
}

#[test]
fn shape_mismatch_in_broadcasting() {
    let e = math::add(&f32s(&[3]), &f32s(&[4])).unwrap_err();
    assert!(matches!(e, Error::Shape { op: "add", .. }), "{e}");
    assert!(e.to_string().contains("[3] [4]"), "{e}");
}

#[test]
fn shape_mismatch_in_matmul_reshape_concatenate() {
    let e = linalg::matmul(&f32s(&[3, 4]), &f32s(&[5, 6])).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("matmul: shapes [3, 4] and [5, 6] not aligned"),
        "{e}"
    );
    let e = f32s(&[2, 3]).reshape(&[4, -1]).unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot reshape array of size 6 into shape [4, -1]"),
        "{e}"
    );
    let e = manip::concatenate(&[&f32s(&[2, 3]), &f32s(&[2, 4])], 0).unwrap_err();
    assert!(e.to_string().contains("along dimension 1"), "{e}");
}

#[test]
fn bad_axis() {
    let e = f32s(&[2, 3]).sum(Some(&[2]), false).unwrap_err();
    assert_eq!(
        e,
        Error::Axis {
            op: "sum",
            axis: 2,
            ndim: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "sum: axis 2 is out of bounds for array of dimension 2"
    );
    assert!(f32s(&[2]).swapaxes(0, -2).is_err());
    assert!(
        f32s(&[2, 2]).sum(Some(&[0, -2]), false).is_err(),
        "repeated axis"
    );
}

#[test]
fn unsupported_dtypes() {
    let b = Array::zeros(&[2], DType::Bool).unwrap();
    let e = math::subtract(&b, &b).unwrap_err();
    assert!(matches!(e, Error::DType { op: "subtract", .. }), "{e}");
    let e = math::bitwise_and(&f32s(&[2]), &f32s(&[2])).unwrap_err();
    assert!(
        e.to_string()
            .contains("expected integer or bool inputs, found float32"),
        "{e}"
    );
    let e = f32s(&[2]).take(&f32s(&[1]), None).unwrap_err();
    assert!(matches!(e, Error::DType { op: "take", .. }), "{e}");
}

#[test]
fn out_of_range_indices() {
    let a = Array::arange(5).unwrap();
    let e = a.slice(&s![5]).unwrap_err();
    assert_eq!(
        e,
        Error::Index {
            op: "slice",
            index: 5,
            axis: 0,
            size: 5
        }
    );
    let idx = Array::from_vec(vec![0i64, -6], &[2]).unwrap();
    let e = a.take(&idx, Some(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "take: index -6 is out of bounds for axis 0 with size 5"
    );
    assert!(a.get::<i64>(&[7]).is_err());
}

#[test]
fn over_large_allocation_is_an_error_not_an_abort() {
    let e = Array::zeros(&[1 << 40, 1 << 30], DType::F64).unwrap_err();
    assert!(
        matches!(e, Error::Value { .. } | Error::OutOfMemory { .. }),
        "{e}"
    );
    let e = Array::zeros(&[1 << 45], DType::F64).unwrap_err();
    assert!(matches!(e, Error::OutOfMemory { .. }), "{e}");
    assert!(e.to_string().contains("out of memory allocating"), "{e}");
}

#[test]
#[should_panic(expected = "add: operands could not be broadcast together with shapes [3] [4]")]
fn operators_panic_with_the_same_message() {
    let _ = &f32s(&[3]) + &f32s(&[4]);
}

#[test]
fn in_place_updates_write_in_place_and_views_keep_old_values() {
    let mut p = Array::ones(&[1000], DType::F32).unwrap();
    let before = p.as_slice::<f32>().unwrap().as_ptr();
    p += 1.0;
    p *= &Array::full(&[1000], 3.0, DType::F32).unwrap();
    assert_eq!(
        p.as_slice::<f32>().unwrap().as_ptr(),
        before,
        "unique storage is updated in place"
    );
    assert!(p.to_vec::<f32>().unwrap().iter().all(|&x| x == 6.0));
    let view = p.slice(&s![..2]).unwrap();
    p += 1.0; // copy-on-write: `view` still sees the old values
    assert_eq!(view.to_vec::<f32>().unwrap(), vec![6.0, 6.0]);
    assert_eq!(p.get::<f32>(&[0]).unwrap(), 7.0);
    let mut i = Array::zeros(&[2], DType::I32).unwrap();
    let e = kusari_array::ops::ufunc::binary_inplace(kusari_array::BinaryOp::Add, &mut i, 1.5)
        .unwrap_err();
    assert!(e.to_string().contains("same_kind"), "{e}");
}
