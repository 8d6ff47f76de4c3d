//! Datasets, the IDX reader, the MNIST loader on the bundled sample,
//! iterators and `concat_examples`.

use kusari::array::{Array, DType};
use kusari::datasets::*;
use kusari::iterators::{concat_examples, DatasetIterator, MultithreadIterator, SerialIterator};
use kusari::serializers::{LoadOptions, StateDict};
use std::io::Write;
use std::sync::Arc;

fn range_ds(n: usize) -> Arc<dyn Dataset> {
    Arc::new(TupleDataset::new(vec![Array::arange(n as i64).unwrap()]).unwrap())
}

fn ids(ds: &dyn Dataset) -> Vec<i64> {
    (0..ds.len())
        .map(|i| ds.get(i).unwrap()[0].item::<i64>().unwrap())
        .collect()
}

#[test]
fn tuple_dataset_checks_lengths_and_bounds() {
    assert!(TupleDataset::new(vec![Array::arange(3).unwrap(), Array::arange(4).unwrap()]).is_err());
    assert!(TupleDataset::new(vec![]).is_err());
    let ds = TupleDataset::new(vec![Array::arange(3).unwrap()]).unwrap();
    assert!(ds.get(3).is_err());
}

#[test]
fn splits_cover_the_dataset() {
    let ds = range_ds(10);
    let (a, b) = split_dataset_random(ds.clone(), 7, 3).unwrap();
    let mut all = ids(&a);
    all.extend(ids(&b));
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>());
    assert_ne!(all, sorted, "a seeded random split shuffles");
    let (c, _) = split_dataset_random(ds.clone(), 7, 3).unwrap();
    assert_eq!(ids(&a), ids(&c), "same seed, same split");
    assert!(split_dataset(ds.clone(), 11, None).is_err());

    let parts = split_dataset_n(ds.clone(), 3, None).unwrap();
    assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [3, 3, 3]);
    assert_eq!(ids(&parts[2]), [6, 7, 8]);

    let folds = get_cross_validation_datasets(ds, 3, None).unwrap();
    let mut tests: Vec<i64> = folds.iter().flat_map(|(_, t)| ids(t)).collect();
    tests.sort();
    assert_eq!(tests, (0..10).collect::<Vec<_>>());
    for (train, test) in &folds {
        assert_eq!(train.len() + test.len(), 10);
        let tr = ids(train);
        assert!(ids(test).iter().all(|t| !tr.contains(t)));
    }
    // Chainer's first fold tests the last part of the order.
    assert_eq!(ids(&folds[0].1), [6, 7, 8, 9]);
}

#[test]
fn concatenated_transform_and_dict() {
    let c = ConcatenatedDataset::new(vec![range_ds(2), range_ds(3)]);
    assert_eq!(ids(&c), [0, 1, 0, 1, 2]);
    assert!(c.get(5).is_err());
    let t = TransformDataset::new(range_ds(3), |ex| Ok(vec![ex[0].mul(10)?]));
    assert_eq!(ids(&t), [0, 10, 20]);
    let d = DictDataset::new(vec![
        ("a", Array::arange(2).unwrap()),
        ("a", Array::arange(2).unwrap()),
    ]);
    assert!(d.is_err(), "duplicate keys");
}

fn idx_bytes(kind: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, kind, dims.len() as u8];
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(payload);
    v
}

#[test]
fn idx_reader_rejects_corrupt_files() {
    let ok = idx_bytes(8, &[2, 2], &[1, 2, 3, 4]);
    assert_eq!(read_idx(&ok[..], "x").unwrap().shape(), &[2, 2]);
    // big-endian int32 payload
    let i32s = idx_bytes(0x0C, &[1], &[0, 0, 1, 2]);
    assert_eq!(
        read_idx(&i32s[..], "x").unwrap().item::<i32>().unwrap(),
        258
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![1, 0, 8, 1, 0, 0, 0, 1, 0], "not an IDX"),
        (idx_bytes(7, &[1], &[0]), "unknown IDX element type"),
        (idx_bytes(8, &[], &[]), "dimensions"),
        (idx_bytes(8, &[3], &[1, 2]), "needs 3 data bytes, found 2"),
        (idx_bytes(8, &[1], &[1, 2]), "found more"),
        (idx_bytes(8, &[u32::MAX, u32::MAX, u32::MAX], &[]), "limit"),
        (vec![0, 0], "magic"),
    ];
    for (bytes, needle) in cases {
        let e = read_idx(&bytes[..], "bad.idx").unwrap_err().to_string();
        assert!(
            e.contains("bad.idx") && e.contains(needle),
            "{e:?} should mention {needle:?}"
        );
    }
    // A gzip stream that announces 4 bytes but inflates to far more is cut off.
    let mut big = idx_bytes(8, &[4], &[]);
    big.extend(vec![0u8; 1 << 20]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&big).unwrap();
    let e = read_idx(&gz.finish().unwrap()[..], "bomb.gz")
        .unwrap_err()
        .to_string();
    assert!(e.contains("found more"), "{e}");
    let missing = read_idx_file(std::path::Path::new("/nonexistent/t.idx"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("/nonexistent/t.idx"));
}

#[test]
fn mnist_bundled_sample() {
    let opts = MnistOptions {
        dir: Some("/nonexistent-kusari-mnist".into()),
        ..Default::default()
    };
    let m = get_mnist(&opts).unwrap();
    assert_eq!(m.source, MnistSource::BundledSample);
    assert_eq!((m.train.len(), m.test.len()), (8000, 2000));
    let [x, t] = [&m.train.arrays()[0], &m.train.arrays()[1]];
    assert_eq!(x.shape(), &[8000, 784]);
    assert_eq!((x.dtype(), t.dtype()), (DType::F32, DType::I32));
    let xs = x.to_vec::<f32>().unwrap();
    assert!(xs.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(xs.iter().cloned().fold(0.0, f32::max), 1.0);
    let mut counts = [0usize; 10];
    for l in t.to_vec::<i32>().unwrap() {
        counts[l as usize] += 1;
    }
    let mut test_counts = [0usize; 10];
    for l in m.test.arrays()[1].to_vec::<i32>().unwrap() {
        test_counts[l as usize] += 1;
    }
    // The npm package's per-digit counts (10 000 in all).
    let totals = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    for d in 0..10 {
        assert_eq!(counts[d] + test_counts[d], totals[d], "digit {d}");
        let share = counts[d] as f64 / totals[d] as f64;
        assert!(
            (0.75..0.85).contains(&share),
            "the shuffled split puts about 80% of digit {d} in training"
        );
    }
    let m3 = get_mnist(&MnistOptions {
        ndim: 3,
        rgb_format: true,
        scale: 255.0,
        withlabel: false,
        dtype: DType::F64,
        ..opts.clone()
    })
    .unwrap();
    let ex = m3.test.get(0).unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].shape(), &[3, 28, 28]);
    let v = ex[0].to_vec::<f64>().unwrap();
    assert!(v.iter().all(|p| p.fract() == 0.0 && *p <= 255.0));
    assert!(get_mnist(&MnistOptions {
        ndim: 4,
        ..opts.clone()
    })
    .is_err());
}

#[test]
fn mnist_reads_files_from_a_directory() {
    let dir = std::env::temp_dir().join(format!("kusari-mnist-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).unwrap();
        std::fs::write(dir.join(name), gz.finish().unwrap()).unwrap();
    };
    write(
        "train-images-idx3-ubyte.gz",
        idx_bytes(8, &[3, 28, 28], &[255; 3 * 784]),
    );
    write("train-labels-idx1-ubyte.gz", idx_bytes(8, &[3], &[1, 2, 3]));
    write(
        "t10k-images-idx3-ubyte.gz",
        idx_bytes(8, &[1, 28, 28], &[0; 784]),
    );
    write("t10k-labels-idx1-ubyte.gz", idx_bytes(8, &[2], &[7, 7]));
    let opts = MnistOptions {
        dir: Some(dir.clone()),
        ..Default::default()
    };
    let e = get_mnist(&opts).unwrap_err().to_string();
    assert!(e.contains("t10k-labels"), "{e}");
    write("t10k-labels-idx1-ubyte.gz", idx_bytes(8, &[1], &[7]));
    let m = get_mnist(&opts).unwrap();
    assert_eq!(m.source, MnistSource::Files(dir.clone()));
    assert_eq!(m.train.len(), 3);
    assert_eq!(m.train.get(2).unwrap()[1].item::<i32>().unwrap(), 3);
    assert_eq!(get_fashion_mnist(&opts).unwrap().test.len(), 1);
    let none = MnistOptions {
        dir: Some(dir.join("nope")),
        ..Default::default()
    };
    assert!(get_fashion_mnist(&none)
        .unwrap_err()
        .to_string()
        .contains("nope"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cifar_and_ptb_from_directories() {
    let dir = std::env::temp_dir().join(format!("kusari-cifar-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rec = |label: u8| {
        let mut r = vec![label];
        r.extend(vec![255u8; 3072]);
        r
    };
    for i in 1..=5 {
        std::fs::write(dir.join(format!("data_batch_{i}.bin")), rec(i as u8)).unwrap();
    }
    std::fs::write(dir.join("test_batch.bin"), [rec(0), rec(9)].concat()).unwrap();
    let opts = CifarOptions {
        dir: Some(dir.clone()),
        ..Default::default()
    };
    let (train, test) = get_cifar10(&opts).unwrap();
    assert_eq!((train.len(), test.len()), (5, 2));
    assert_eq!(train.get(0).unwrap()[0].shape(), &[3, 32, 32]);
    assert_eq!(test.get(1).unwrap()[1].item::<i32>().unwrap(), 9);
    std::fs::write(dir.join("test_batch.bin"), [1u8, 2, 3]).unwrap();
    assert!(get_cifar10(&opts)
        .unwrap_err()
        .to_string()
        .contains("test_batch.bin"));

    std::fs::write(dir.join("ptb.train.txt"), " the cat sat \n the dog\n").unwrap();
    std::fs::write(dir.join("ptb.valid.txt"), "the dog sat\n").unwrap();
    std::fs::write(dir.join("ptb.test.txt"), "cat\n").unwrap();
    let p = get_ptb_words(Some(&dir)).unwrap();
    assert_eq!(p.train.to_vec::<i32>().unwrap(), [0, 1, 2, 3, 0, 4, 3]);
    assert_eq!(p.valid.to_vec::<i32>().unwrap(), [0, 4, 2, 3]);
    assert_eq!(p.vocab["<eos>"], 3);
    std::fs::write(dir.join("ptb.test.txt"), "zebra\n").unwrap();
    assert!(get_ptb_words(Some(&dir))
        .unwrap_err()
        .to_string()
        .contains("zebra"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn image_datasets_decode_png() {
    let dir = std::env::temp_dir().join(format!("kusari-img-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8, y as u8, 7]));
    img.save(dir.join("a.png")).unwrap();
    image::GrayImage::from_pixel(2, 2, image::Luma([9]))
        .save(dir.join("b.png"))
        .unwrap();
    std::fs::write(dir.join("list.txt"), "a.png 3\nb.png 5\n").unwrap();
    let ds =
        LabeledImageDataset::from_list_file(&dir.join("list.txt"), &dir, DType::F32, DType::I32)
            .unwrap();
    let a = ds.get(0).unwrap();
    assert_eq!(a[0].shape(), &[3, 2, 3]);
    assert_eq!(a[0].get::<f32>(&[0, 1, 2]).unwrap(), 2.0);
    assert_eq!(a[0].get::<f32>(&[1, 1, 0]).unwrap(), 1.0);
    assert_eq!(a[1].item::<i32>().unwrap(), 3);
    assert_eq!(ds.get(1).unwrap()[0].shape(), &[1, 2, 2]);
    std::fs::write(dir.join("c.png"), b"not a png").unwrap();
    let bad = ImageDataset::new(vec!["c.png".into()], &dir, DType::F32);
    assert!(bad.get(0).unwrap_err().to_string().contains("c.png"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn batches(it: &mut dyn DatasetIterator, n: usize) -> Vec<Vec<i64>> {
    (0..n)
        .map(|_| {
            let b = it.next_batch().unwrap().unwrap();
            concat_examples(&b, None, None).unwrap()[0]
                .to_vec::<i64>()
                .unwrap()
        })
        .collect()
}

#[test]
fn serial_iterator_epochs_and_order() {
    let mut it = SerialIterator::new(range_ds(5), 2, true, false, 0).unwrap();
    assert_eq!(it.previous_epoch_detail(), None);
    assert_eq!(batches(&mut it, 3), [vec![0, 1], vec![2, 3], vec![4, 0]]);
    assert_eq!(it.epoch(), 1);
    assert!(it.is_new_epoch());
    assert!((it.epoch_detail() - 1.2).abs() < 1e-12);
    assert!((it.previous_epoch_detail().unwrap() - 0.8).abs() < 1e-12);

    let mut once = SerialIterator::new(range_ds(5), 2, false, false, 0).unwrap();
    assert_eq!(batches(&mut once, 3), [vec![0, 1], vec![2, 3], vec![4]]);
    assert!(once.next_batch().unwrap().is_none());
    once.reset().unwrap();
    assert_eq!(batches(&mut once, 1), [vec![0, 1]]);

    let mut sh = SerialIterator::new(range_ds(6), 3, true, true, 7).unwrap();
    let b = batches(&mut sh, 4);
    let mut e1: Vec<i64> = b[0].iter().chain(&b[1]).cloned().collect();
    e1.sort();
    assert_eq!(
        e1,
        (0..6).collect::<Vec<_>>(),
        "each epoch is a permutation"
    );
    let mut again = SerialIterator::new(range_ds(6), 3, true, true, 7).unwrap();
    assert_eq!(batches(&mut again, 4), b, "the seed fixes the order");
    let mut other = SerialIterator::new(range_ds(6), 3, true, true, 8).unwrap();
    assert_ne!(batches(&mut other, 4), b);
    assert!(SerialIterator::new(range_ds(6), 0, true, true, 7).is_err());
    let mut empty = SerialIterator::new(range_ds(0), 1, true, false, 0).unwrap();
    assert!(empty.next_batch().is_err());
}

#[test]
fn serial_iterator_resumes_with_the_same_batches() {
    let mut a = SerialIterator::new(range_ds(7), 3, true, true, 1).unwrap();
    batches(&mut a, 4);
    let state = StateDict::save(&a).unwrap();
    for key in [
        "current_position",
        "epoch",
        "is_new_epoch",
        "order",
        "previous_epoch_detail",
    ] {
        assert!(state.get(key).is_some(), "Chainer key {key}");
    }
    let rest = batches(&mut a, 6);
    let b = SerialIterator::new(range_ds(7), 3, true, true, 99).unwrap();
    state.load_into(&b, &LoadOptions::default()).unwrap();
    let mut b = b;
    assert_eq!(b.epoch(), 1);
    assert_eq!(batches(&mut b, 6), rest);
    // A state for another dataset size is refused.
    let c = SerialIterator::new(range_ds(8), 3, true, true, 1).unwrap();
    assert!(state.load_into(&c, &LoadOptions::default()).is_err());
}

#[test]
fn multithread_iterator_matches_serial() {
    let mut s = SerialIterator::new(range_ds(11), 4, true, true, 5).unwrap();
    let mut m = MultithreadIterator::new(range_ds(11), 4, true, true, 5, 3).unwrap();
    assert_eq!(batches(&mut m, 7), batches(&mut s, 7));
    assert_eq!((m.epoch(), m.is_new_epoch()), (s.epoch(), s.is_new_epoch()));
    let state = StateDict::save(&m).unwrap();
    let rest = batches(&mut s, 3);
    let m2 = MultithreadIterator::new(range_ds(11), 4, true, true, 0, 2).unwrap();
    state.load_into(&m2, &LoadOptions::default()).unwrap();
    let mut m2 = m2;
    assert_eq!(batches(&mut m2, 3), rest);
    let mut once = MultithreadIterator::new(range_ds(3), 2, false, false, 0, 2).unwrap();
    assert_eq!(batches(&mut once, 2), [vec![0, 1], vec![2]]);
    assert!(once.next_batch().unwrap().is_none());
}

#[test]
fn concat_examples_checks_widths() {
    let a = vec![
        vec![Array::arange(2).unwrap()],
        vec![Array::arange(2).unwrap(), Array::arange(1).unwrap()],
    ];
    assert!(concat_examples(&a, None, None).is_err());
    assert!(concat_examples(&[], None, None).is_err());
}
