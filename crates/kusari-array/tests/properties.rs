//! Property tests of views and strides: reshape / transpose / slice
//! round-trips, broadcasting against a naive reference, and elementwise
//! results that do not depend on the input's memory layout or on the number
//! of threads. Case counts are kept modest so the suite stays fast.

use kusari_array::ops::math;
use kusari_array::{Array, DType, Order, SliceArg};
use proptest::prelude::*;

// ---------------------------------------------------------------- helpers

/// Row-major strides (in elements) of `shape`.
fn c_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Every multi-index of `shape`, in C order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    let st = c_strides(shape);
    (0..n)
        .map(|f| (0..shape.len()).map(|d| (f / st[d]) % shape[d]).collect())
        .collect()
}

/// The element of C-ordered `data` of `shape` at `idx`.
fn at<T: Copy>(data: &[T], shape: &[usize], idx: &[usize]) -> T {
    let st = c_strides(shape);
    data[idx.iter().zip(&st).map(|(i, s)| i * s).sum::<usize>()]
}

fn i64_array(shape: &[usize]) -> (Array, Vec<i64>) {
    let n: usize = shape.iter().product();
    let data: Vec<i64> = (0..n as i64).collect();
    (Array::from_vec(data.clone(), shape).unwrap(), data)
}

/// Bitwise equality of float results (NaN payloads included).
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn shape_strategy(max_ndim: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=max_dim, 0..=max_ndim)
}

fn permutation(n: usize) -> impl Strategy<Value = Vec<usize>> {
    Just((0..n).collect::<Vec<usize>>()).prop_shuffle()
}

/// Python's `slice(start, stop, step).indices(n)`, as a list of positions.
fn python_slice(start: Option<isize>, stop: Option<isize>, step: isize, n: usize) -> Vec<usize> {
    let n = n as isize;
    let norm = |v: isize| if v < 0 { v + n } else { v };
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let s = start.map_or(if step > 0 { 0 } else { n - 1 }, |v| norm(v).clamp(lo, hi));
    let e = stop.map_or(if step > 0 { n } else { -1 }, |v| norm(v).clamp(lo, hi));
    let mut out = Vec::new();
    let mut i = s;
    while (step > 0 && i < e) || (step < 0 && i > e) {
        out.push(i as usize);
        i += step;
    }
    out
}

/// The same logical array (`shape`, C-ordered `data`) in several memory layouts.
fn layouts(data: &[f64], shape: &[usize]) -> Vec<(&'static str, Array)> {
    let c = Array::from_vec(data.to_vec(), shape).unwrap();
    let mut out = vec![("C", c.clone()), ("F", c.copy(Order::F).unwrap())];
    // A transposed view of a C array holding the transpose: F-like strides.
    out.push(("T of C", c.t().copy(Order::C).unwrap().t()));
    // Every axis reversed in memory, read through negative strides.
    out.push((
        "negative strides",
        c.flip(None)
            .unwrap()
            .copy(Order::C)
            .unwrap()
            .flip(None)
            .unwrap(),
    ));
    // Every other element of an array twice as large along each axis.
    let big_shape: Vec<usize> = shape.iter().map(|&d| 2 * d).collect();
    let mut big = Array::full(&big_shape, f64::NAN, DType::F64).unwrap();
    let every_other: Vec<SliceArg> = shape.iter().map(|_| SliceArg::full().step_by(2)).collect();
    big.assign_at(&every_other, &c).unwrap();
    out.push(("strided", big.slice(&every_other).unwrap()));
    out
}

fn data_for(shape: Vec<usize>) -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    let n: usize = shape.iter().product();
    (Just(shape), prop::collection::vec(-50.0f64..50.0, n))
}

// ---------------------------------------------------------------- reshape / transpose / slice

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `reshape` keeps C-order values, whether it returns a view or a copy, and
    /// reshaping back restores the array.
    #[test]
    fn reshape_round_trips(shape in shape_strategy(4, 4), perm_seed in any::<u64>()) {
        let (a, data) = i64_array(&shape);
        let flat = a.reshape(&[-1]).unwrap();
        prop_assert_eq!(flat.shape(), &[data.len()]);
        prop_assert_eq!(flat.to_vec::<i64>().unwrap(), data.clone());
        let back = flat.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>()).unwrap();
        prop_assert_eq!(back.shape(), &shape[..]);
        prop_assert_eq!(back.to_vec::<i64>().unwrap(), data.clone());
        // Another shape with the same dims in another order.
        let mut other = shape.clone();
        if !other.is_empty() {
            let k = (perm_seed as usize) % other.len();
            other.rotate_left(k);
        }
        let r = a.reshape(&other.iter().map(|&d| d as isize).collect::<Vec<_>>()).unwrap();
        prop_assert_eq!(r.to_vec::<i64>().unwrap(), data.clone());
        // Reshaping a non-contiguous (transposed) array reads it in C order.
        let t = a.t();
        let tv = t.to_vec::<i64>().unwrap();
        prop_assert_eq!(t.reshape(&[-1]).unwrap().to_vec::<i64>().unwrap(), tv);
    }

    /// `transpose(perm)` moves axes and strides; the inverse permutation restores the layout.
    #[test]
    fn transpose_round_trips((shape, perm) in shape_strategy(4, 4).prop_flat_map(|s| { let n = s.len(); (Just(s), permutation(n)) })) {
        let (a, data) = i64_array(&shape);
        let p: Vec<isize> = perm.iter().map(|&x| x as isize).collect();
        let b = a.transpose(Some(&p)).unwrap();
        prop_assert!(b.shares_storage(&a));
        for (i, &ax) in perm.iter().enumerate() {
            prop_assert_eq!(b.shape()[i], shape[ax]);
            prop_assert_eq!(b.strides()[i], a.strides()[ax]);
        }
        let got = b.to_vec::<i64>().unwrap();
        for (k, idx) in indices(b.shape()).iter().enumerate() {
            let mut src = vec![0; shape.len()];
            for (i, &ax) in perm.iter().enumerate() {
                src[ax] = idx[i];
            }
            prop_assert_eq!(got[k], at(&data, &shape, &src));
        }
        let mut inv = vec![0isize; perm.len()];
        for (i, &ax) in perm.iter().enumerate() {
            inv[ax] = i as isize;
        }
        let c = b.transpose(Some(&inv)).unwrap();
        prop_assert_eq!(c.shape(), a.shape());
        prop_assert_eq!(c.strides(), a.strides());
        prop_assert_eq!(c.to_vec::<i64>().unwrap(), data);
        // `.t()` is the reversed permutation, and `.t().t()` the identity.
        let rev: Vec<isize> = (0..shape.len() as isize).rev().collect();
        prop_assert_eq!(a.t().strides().to_vec(), a.transpose(Some(&rev)).unwrap().strides().to_vec());
        prop_assert_eq!(a.t().t().strides().to_vec(), a.strides().to_vec());
    }

    /// Basic slicing matches Python's slice rules element by element, returns
    /// a view, and reversing every axis twice restores the array.
    #[test]
    fn slicing_matches_python(
        (shape, specs) in shape_strategy(3, 5).prop_flat_map(|s| {
            let n = s.len();
            let spec = (
                prop::option::of(-7isize..7),
                prop::option::of(-7isize..7),
                prop_oneof![-3isize..0, 1isize..4],
            );
            (Just(s), prop::collection::vec(spec, n))
        })
    ) {
        let (a, data) = i64_array(&shape);
        let index: Vec<SliceArg> = specs.iter().map(|&(start, stop, step)| SliceArg::Range { start, stop, step }).collect();
        let v = a.slice(&index).unwrap();
        prop_assert!(v.shares_storage(&a));
        let picks: Vec<Vec<usize>> = specs.iter().zip(&shape).map(|(&(s, e, st), &n)| python_slice(s, e, st, n)).collect();
        let want_shape: Vec<usize> = picks.iter().map(Vec::len).collect();
        prop_assert_eq!(v.shape(), &want_shape[..]);
        let got = v.to_vec::<i64>().unwrap();
        for (k, idx) in indices(&want_shape).iter().enumerate() {
            let src: Vec<usize> = idx.iter().zip(&picks).map(|(&i, p)| p[i]).collect();
            prop_assert_eq!(got[k], at(&data, &shape, &src));
        }
        // A C-ordered copy of the view has the same values.
        prop_assert_eq!(v.copy(Order::C).unwrap().to_vec::<i64>().unwrap(), got);
        let rev: Vec<SliceArg> = shape.iter().map(|_| SliceArg::full().step_by(-1)).collect();
        let twice = a.slice(&rev).unwrap().slice(&rev).unwrap();
        prop_assert_eq!(twice.strides(), a.strides());
        prop_assert_eq!(twice.offset(), a.offset());
        prop_assert_eq!(twice.to_vec::<i64>().unwrap(), data);
    }
}

// ---------------------------------------------------------------- broadcasting

/// An output shape and two operand shapes that broadcast to it: each operand
/// drops some leading axes and sets some others to 1.
fn broadcast_case() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<usize>)> {
    prop::collection::vec(0usize..4, 0..=4)
        .prop_flat_map(|out| {
            let n = out.len();
            let operand = (0..=n, prop::collection::vec(any::<bool>(), n));
            (Just(out), operand.clone(), operand)
        })
        .prop_map(|(out, (da, ma), (db, mb))| {
            let shape_of = |drop: usize, ones: &[bool]| -> Vec<usize> {
                (drop..out.len())
                    .map(|i| if ones[i] { 1 } else { out[i] })
                    .collect()
            };
            let (a, b) = (shape_of(da, &ma), shape_of(db, &mb));
            (out, a, b)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `a + b` equals a naive loop over the broadcast shape, and so does the
    /// sum of two `broadcast_to` views.
    #[test]
    fn broadcasting_matches_naive((_out, sa, sb) in broadcast_case()) {
        let (a, da) = i64_array(&sa);
        let b = math::multiply(&i64_array(&sb).0, 1000i64).unwrap();
        let db = b.to_vec::<i64>().unwrap();
        // The broadcast shape: the larger rank, with 1s giving way.
        let n = sa.len().max(sb.len());
        let dim = |s: &[usize], i: usize| if i + s.len() >= n { s[i + s.len() - n] } else { 1 };
        let shape: Vec<usize> = (0..n).map(|i| {
            let (x, y) = (dim(&sa, i), dim(&sb, i));
            if x == 1 { y } else { x }
        }).collect();
        let r = math::add(&a, &b).unwrap();
        prop_assert_eq!(r.shape(), &shape[..]);
        let src = |s: &[usize], idx: &[usize]| -> Vec<usize> {
            let lead = n - s.len();
            (0..s.len()).map(|i| if s[i] == 1 { 0 } else { idx[lead + i] }).collect()
        };
        let want: Vec<i64> = indices(&shape).iter().map(|idx| at(&da, &sa, &src(&sa, idx)) + at(&db, &sb, &src(&sb, idx))).collect();
        prop_assert_eq!(r.to_vec::<i64>().unwrap(), want.clone());
        let av = a.broadcast_to(&shape).unwrap();
        let bv = b.broadcast_to(&shape).unwrap();
        prop_assert!(av.shares_storage(&a));
        prop_assert_eq!(math::add(&av, &bv).unwrap().to_vec::<i64>().unwrap(), want);
    }

    /// Shapes that disagree on an axis where neither is 1 do not broadcast.
    #[test]
    fn mismatched_shapes_do_not_broadcast(
        shape in prop::collection::vec(2usize..4, 1..=3),
        axis_seed in any::<usize>(),
        extra in 1usize..3,
    ) {
        // Both sizes > 1 on one axis (a 1 would broadcast).
        let ax = axis_seed % shape.len();
        let mut other = shape.clone();
        other[ax] = shape[ax] + extra;
        let (a, _) = i64_array(&shape);
        let (b, _) = i64_array(&other);
        prop_assert!(math::add(&a, &b).is_err());
        prop_assert!(a.broadcast_to(&other).is_err());
    }
}

// ---------------------------------------------------------------- layout independence

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Elementwise results have the same values (bit for bit) whatever the
    /// memory layout of the inputs, and match the operation on plain values.
    #[test]
    fn elementwise_is_layout_independent(
        (shape, data) in prop::collection::vec(1usize..5, 1..=3).prop_flat_map(data_for),
        other in prop::collection::vec(-50.0f64..50.0, 64),
    ) {
        let n = data.len();
        let other: Vec<f64> = (0..n).map(|i| other[i % other.len()]).collect();
        let b = Array::from_vec(other.clone(), &shape).unwrap();
        let want_exp: Vec<f64> = data.iter().map(|x| x.exp()).collect();
        let want_add: Vec<f64> = data.iter().zip(&other).map(|(x, y)| x + y).collect();
        let want_mul: Vec<f64> = data.iter().map(|x| x * 2.5).collect();
        let want_max: Vec<f64> = data.iter().zip(&other).map(|(x, y)| x.max(*y)).collect();
        let want_neg: Vec<f64> = data.iter().map(|x| -x).collect();
        for (name, a) in layouts(&data, &shape) {
            prop_assert_eq!(a.shape(), &shape[..], "{}", name);
            prop_assert!(same_bits(&a.to_vec::<f64>().unwrap(), &data), "{} input", name);
            let check = |what: &str, r: Array, want: &[f64]| -> Result<(), TestCaseError> {
                prop_assert_eq!(r.shape(), &shape[..], "{} on {}", what, name);
                prop_assert!(same_bits(&r.to_vec::<f64>().unwrap(), want), "{} on {} layout", what, name);
                Ok(())
            };
            check("exp", math::exp(&a).unwrap(), &want_exp)?;
            check("negative", math::negative(&a).unwrap(), &want_neg)?;
            check("a * 2.5", math::multiply(&a, 2.5f64).unwrap(), &want_mul)?;
            check("a + b", math::add(&a, &b).unwrap(), &want_add)?;
            check("maximum(a, b)", math::maximum(&a, &b).unwrap(), &want_max)?;
            // Both operands in unusual layouts.
            for (bname, bl) in layouts(&other, &shape) {
                let r = math::add(&a, &bl).unwrap();
                prop_assert!(same_bits(&r.to_vec::<f64>().unwrap(), &want_add), "a ({}) + b ({})", name, bname);
            }
            // Casts and copies keep the values too.
            let f32s: Vec<f64> = data.iter().map(|&x| x as f32 as f64).collect();
            check("astype(f32)", a.astype(DType::F32).unwrap().astype(DType::F64).unwrap(), &f32s)?;
            for order in [Order::C, Order::F, Order::K] {
                check("copy", a.copy(order).unwrap(), &data)?;
            }
        }
    }
}

// ---------------------------------------------------------------- thread-count independence

/// Runs `f` on a fresh rayon pool of `threads` threads (`None`: the global pool).
fn on_threads<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> R {
    match threads {
        None => f(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("rayon pool")
            .install(f),
    }
}

/// Results of several elementwise kernels on arrays large enough to be split
/// across threads (the CPU backend goes parallel from 2^15 elements).
fn big_results(a: &Array, b: &Array, ints: &Array) -> Vec<Vec<f64>> {
    let r = |x: Array| x.to_vec::<f64>().unwrap();
    vec![
        r(math::add(a, b).unwrap()),
        r(math::multiply(a, 3.0f64).unwrap()),
        r(math::exp(&math::multiply(a, 0.01f64).unwrap()).unwrap()),
        r(math::add(&a.t(), &b.t()).unwrap()),
        r(math::maximum(&a.slice(&[SliceArg::full().step_by(-1)]).unwrap(), b).unwrap()),
        r(a.t().copy(Order::C).unwrap()),
        r(a.astype(DType::F32).unwrap()),
        r(math::floor_divide(ints, 7i64).unwrap()),
        r(math::add(a, &b.slice(&[SliceArg::Index(0)]).unwrap()).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Elementwise results are identical (bit for bit) on one thread, on the
    /// default pool and on four threads; integer sums too, and float sums
    /// agree to rounding (their grouping may follow the thread count).
    #[test]
    fn results_do_not_depend_on_thread_count(
        rows in 160usize..260,
        seed in prop::collection::vec(-100.0f64..100.0, 97),
    ) {
        let cols = 256;
        let n = rows * cols;
        let da: Vec<f64> = (0..n).map(|i| seed[i % 97] + (i / 97) as f64 * 1e-3).collect();
        let db: Vec<f64> = (0..n).map(|i| seed[(i * 7 + 3) % 97] - (i % 13) as f64).collect();
        let a = Array::from_vec(da, &[rows, cols]).unwrap();
        let b = Array::from_vec(db, &[rows, cols]).unwrap();
        let ints = Array::from_vec((0..n as i64).map(|i| (i * 7919) % 10007 - 5000).collect::<Vec<_>>(), &[rows, cols]).unwrap();
        let one = on_threads(Some(1), || big_results(&a, &b, &ints));
        let default = on_threads(None, || big_results(&a, &b, &ints));
        let four = on_threads(Some(4), || big_results(&a, &b, &ints));
        for (k, ((x, y), z)) in one.iter().zip(&default).zip(&four).enumerate() {
            prop_assert!(same_bits(x, y), "result {} differs between 1 thread and the default pool", k);
            prop_assert!(same_bits(x, z), "result {} differs between 1 and 4 threads", k);
        }
        let isum = |t| on_threads(t, || ints.sum(None, false).unwrap().item::<i64>().unwrap());
        prop_assert_eq!(isum(Some(1)), isum(Some(4)));
        prop_assert_eq!(isum(Some(1)), isum(None));
        let fsum = |t| on_threads(t, || a.sum(Some(&[1]), false).unwrap().to_vec::<f64>().unwrap());
        let (s1, s4) = (fsum(Some(1)), fsum(Some(4)));
        for (x, y) in s1.iter().zip(&s4) {
            // Up to 256 addends of magnitude <= ~150: a different grouping
            // changes the sum by a few ulps of the partial sums at most.
            prop_assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0) * 256.0, "row sums {} vs {}", x, y);
        }
    }
}
