//! `threads::init_thread_pool` (a binary of its own: it builds the global pool).

use kusari_array::{threads, Array, DType};

#[test]
fn the_calling_thread_becomes_a_worker() {
    threads::init_thread_pool(Some(2)).unwrap();
    assert_eq!(rayon::current_thread_index(), Some(0));
    assert_eq!(rayon::current_num_threads(), 2);
    // Parallel operations from this thread still run and give the right result.
    let a = Array::arange(1_000_000.0)
        .unwrap()
        .astype(DType::F64)
        .unwrap();
    let s = a.sum(None, false).unwrap().to_vec::<f64>().unwrap()[0];
    assert_eq!(s, 999_999.0 * 1_000_000.0 / 2.0);
    let e = threads::init_thread_pool(None).unwrap_err().to_string();
    assert!(e.contains("init_thread_pool"), "{e}");
}
