//! npz and safetensors files: Chainer-written files load into an equivalent
//! kusari model and optimizer, kusari's own files round-trip, and corrupt
//! or hostile files fail with errors naming the file and key while leaving
//! the target unchanged.

mod common;

use common::{array, assert_close, fixture};
use kusari::array::{Array, DType};
use kusari::optimizers::{Adam, Optimizer};
use kusari::serializers::*;
use kusari::{Link, Parameter, Persistent};
use std::io::Write;
use std::path::{Path, PathBuf};

struct Linear {
    w: Parameter,
    b: Parameter,
}
impl Link for Linear {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("W", &self.w);
        f("b", &self.b);
    }
}
struct BatchNorm {
    gamma: Parameter,
    beta: Parameter,
    avg_mean: Persistent,
    avg_var: Persistent,
    n: Persistent,
}
impl Link for BatchNorm {
    fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) {
        f("gamma", &self.gamma);
        f("beta", &self.beta);
    }
    fn visit_own_persistents(&self, f: &mut dyn FnMut(&str, &Persistent)) {
        f("avg_mean", &self.avg_mean);
        f("avg_var", &self.avg_var);
        f("N", &self.n);
    }
}
/// The equivalent of the Chainer chain in `gen_npz.py`.
struct Net {
    l1: Linear,
    bn: BatchNorm,
    l2: Linear,
}
impl Link for Net {
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
        f("l1", &self.l1);
        f("bn", &self.bn);
        f("l2", &self.l2);
    }
}

fn zeros(shape: &[usize]) -> Array {
    Array::zeros(shape, DType::F32).unwrap()
}
fn linear(i: usize, o: usize) -> Linear {
    Linear {
        w: Parameter::new("W", zeros(&[o, i])),
        b: Parameter::new("b", zeros(&[o])),
    }
}
fn net() -> Net {
    Net {
        l1: linear(3, 4),
        bn: BatchNorm {
            gamma: Parameter::new("gamma", zeros(&[4])),
            beta: Parameter::new("beta", zeros(&[4])),
            avg_mean: Persistent::new(zeros(&[4])),
            avg_var: Persistent::new(zeros(&[4])),
            n: Persistent::new(Array::zeros(&[], DType::I64).unwrap()),
        },
        l2: linear(4, 2),
    }
}

fn chainer_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/chainer/npz/{name}"))
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kusari-ser-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn w1(n: &Net) -> Vec<f32> {
    n.l1.w.array().unwrap().to_vec::<f32>().unwrap()
}

#[test]
fn chainer_model_and_adam_files_load_compressed_and_stored() {
    let fx = fixture("npz");
    for tag in ["compressed", "stored"] {
        let m = net();
        load_npz(chainer_file(&format!("model_{tag}.npz")), &m).unwrap();
        let saved = StateDict::save(&m).unwrap();
        let expected = fx["model_stored"].as_object().unwrap();
        assert_eq!(saved.len(), expected.len());
        for (k, v) in expected {
            assert_close(
                &format!("{tag} {k}"),
                saved.get(k).unwrap(),
                &array(v),
                0.0,
                0.0,
            );
        }
        let mut opt = Adam::new();
        opt.setup(&m).unwrap();
        load_npz(chainer_file(&format!("adam_{tag}.npz")), &opt).unwrap();
        assert_eq!(opt.t(), 2);
        let state = StateDict::save(&opt).unwrap();
        for (k, v) in fx["adam_stored"].as_object().unwrap() {
            assert_close(
                &format!("{tag} {k}"),
                state.get(k).unwrap(),
                &array(v),
                0.0,
                0.0,
            );
        }
        // The loaded state is used: one more step runs from it.
        for p in m.params() {
            p.set_grad(Some(p.array().unwrap())).unwrap();
        }
        opt.update().unwrap();
        assert_eq!(opt.t(), 3);
    }
}

#[test]
fn kusari_files_round_trip_compressed_and_stored() {
    let dir = tmpdir("roundtrip");
    let a = net();
    load_npz(chainer_file("model_stored.npz"), &a).unwrap();
    for compress in [true, false] {
        let path = dir.join(format!("m{compress}.npz"));
        save_npz(&path, &a, compress).unwrap();
        let b = net();
        load_npz(&path, &b).unwrap();
        assert_eq!(w1(&a), w1(&b));
        assert_eq!(
            b.bn.n.get().item::<i64>().unwrap(),
            a.bn.n.get().item::<i64>().unwrap()
        );
        let st = dir.join("m.safetensors");
        save_safetensors(&st, &a).unwrap();
        let c = net();
        load_safetensors(&st, &c).unwrap();
        assert_eq!(w1(&a), w1(&c));
    }
    // Every dtype survives.
    let mut d = StateDict::new();
    for dt in [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::F32,
        DType::F64,
    ] {
        d.insert(
            format!("x/{dt}"),
            Array::arange(6)
                .unwrap()
                .reshape(&[2, 3])
                .unwrap()
                .astype(dt)
                .unwrap(),
        );
    }
    let path = dir.join("all.npz");
    write_npz(&path, &d, true).unwrap();
    let back = read_npz(&path).unwrap();
    for (k, v) in d.iter() {
        assert_close(k, back.get(k).unwrap(), v, 0.0, 0.0);
    }
    let e = write_npz(
        dir.join("bf.npz"),
        &{
            let mut d = StateDict::new();
            d.insert("w", Array::zeros(&[1], DType::BF16).unwrap());
            d
        },
        false,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("key \"w\"") && e.contains("bfloat16 has no NumPy dtype"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn object_arrays_are_refused_strictly_and_skipped_otherwise() {
    struct Lazy(Linear);
    impl Link for Lazy {
        fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Link)) {
            f("l1", &self.0);
        }
    }
    let lazy = || {
        Lazy(Linear {
            w: Parameter::lazy("W", DType::F32, Box::new(Array::zeros)),
            b: Parameter::new("b", Array::full(&[2], 7.0, DType::F32).unwrap()),
        })
    };
    let m = lazy();
    let e = load_npz(chainer_file("lazy.npz"), &m)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("lazy.npz") && e.contains("key \"l1/W\" is an object array"),
        "{e}"
    );
    assert_eq!(
        m.0.b.array().unwrap().to_vec::<f32>().unwrap(),
        vec![7.0; 2]
    );
    let loose = LoadOptions {
        strict: false,
        ..Default::default()
    };
    load_npz_with(chainer_file("lazy.npz"), &m, &loose).unwrap();
    assert!(!m.0.w.is_initialized());
    assert_eq!(
        m.0.b.array().unwrap().to_vec::<f32>().unwrap(),
        vec![0.0; 2]
    );
    let c = read_npz_with(chainer_file("lazy.npz"), false).unwrap();
    assert_eq!(c.skipped_object_keys, ["l1/W"]);
}

/// An npz archive with the given raw members.
fn raw_npz(path: &Path, members: &[(&str, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in members {
        z.start_file(
            *name,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

#[test]
fn corrupt_and_hostile_files_fail_cleanly() {
    let dir = tmpdir("corrupt");
    let good = std::fs::read(chainer_file("model_stored.npz")).unwrap();
    let target = net();
    let check = |path: &Path, what: &[&str]| {
        let e = load_npz(path, &target).unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()), "{e}");
        for w in what {
            assert!(e.contains(w), "{w:?} not in {e}");
        }
        assert_eq!(w1(&target), vec![0.0; 12], "target changed by {e}");
    };
    let p = dir.join("truncated.npz");
    std::fs::write(&p, &good[..good.len() / 2]).unwrap();
    check(&p, &["zip"]);
    let p = dir.join("garbage.npz");
    std::fs::write(&p, b"this is not a zip file at all, just some bytes").unwrap();
    check(&p, &["not a readable zip archive"]);
    check(&dir.join("missing.npz"), &["cannot open"]);

    // A flipped data byte in a stored member fails the CRC check.
    let mut flipped = good.clone();
    let name = flipped.windows(8).position(|w| w == b"l1/W.npy").unwrap();
    // 128 bytes of .npy header, then the data of l1/W.
    let at = name
        + flipped[name..]
            .windows(6)
            .position(|w| w == b"\x93NUMPY")
            .unwrap()
        + 132;
    flipped[at] ^= 0xff;
    let p = dir.join("crc.npz");
    std::fs::write(&p, &flipped).unwrap();
    let e = load_npz(&p, &target).unwrap_err().to_string();
    assert!(
        e.to_lowercase().contains("checksum") || e.contains("corrupt"),
        "{e}"
    );

    // Wrong dtype, wrong shape, missing keys.
    let full = StateDict::save(&{
        let m = net();
        load_npz(chainer_file("model_stored.npz"), &m).unwrap();
        m
    })
    .unwrap();
    let mut d = full.clone();
    d.insert("l2/W", Array::zeros(&[2, 4], DType::I32).unwrap());
    let p = dir.join("dtype.npz");
    write_npz(&p, &d, false).unwrap();
    check(
        &p,
        &["key \"l2/W\"", "expected dtype float32, the file has int32"],
    );
    let mut d = full.clone();
    d.insert("l2/W", zeros(&[4, 2]));
    let p = dir.join("shape.npz");
    write_npz(&p, &d, true).unwrap();
    check(
        &p,
        &["key \"l2/W\"", "expected shape [2, 4], the file has [4, 2]"],
    );
    let mut d = full.clone();
    d.remove("l1/b");
    let p = dir.join("missing_key.npz");
    write_npz(&p, &d, false).unwrap();
    check(&p, &["key \"l1/b\" is not in the file"]);
    let loose = LoadOptions {
        strict: false,
        ..Default::default()
    };
    load_npz_with(&p, &target, &loose).unwrap();
    assert_ne!(w1(&target), vec![0.0; 12]);
    assert_eq!(
        target.l1.b.array().unwrap().to_vec::<f32>().unwrap(),
        vec![0.0; 4]
    );
    let target = net();

    // Headers that lie about their size never allocate what they claim.
    let huge = dir.join("huge.npz");
    raw_npz(&huge, &[("w.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", &[0; 16]))]);
    let e = read_npz(&huge).unwrap_err().to_string();
    assert!(e.contains("key \"w\"") && e.contains("overflows"), "{e}");
    raw_npz(
        &huge,
        &[(
            "w.npy",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }",
                &[0; 16],
            ),
        )],
    );
    let e = read_npz(&huge).unwrap_err().to_string();
    assert!(
        e.contains("needs 8000000000000 data bytes, the member has 16"),
        "{e}"
    );
    for (header, data, why) in [
        (
            "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
            vec![0u8; 16],
            "unsupported dtype \"<c8\"",
        ),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ",
            vec![0u8; 8],
            "bad header",
        ),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
            vec![0u8; 8],
            "needs 12 data bytes",
        ),
    ] {
        raw_npz(&huge, &[("w.npy", npy(header, &data))]);
        let e = read_npz(&huge).unwrap_err().to_string();
        assert!(e.contains(why), "{why}: {e}");
    }
    raw_npz(&huge, &[("w.npy", b"\x93NUMPY\x09\x00....".to_vec())]);
    let e = read_npz(&huge).unwrap_err().to_string();
    assert!(e.contains("unsupported .npy format version 9.0"), "{e}");
    raw_npz(&huge, &[("w.npy", b"PK not numpy".to_vec())]);
    let e = read_npz(&huge).unwrap_err().to_string();
    assert!(e.contains("bad magic"), "{e}");
    let mut big_header = b"\x93NUMPY\x02\x00".to_vec();
    big_header.extend_from_slice(&u32::MAX.to_le_bytes());
    raw_npz(&huge, &[("w.npy", big_header)]);
    let e = read_npz(&huge).unwrap_err().to_string();
    assert!(e.contains("exceeds the limit"), "{e}");
    let _ = &target;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_save_leaves_the_previous_file_intact() {
    struct FailsHalfway;
    impl Serializable for FailsHalfway {
        fn serialize(&self, s: &mut Serializer<'_>) -> kusari::Result<()> {
            let mut a = zeros(&[3]);
            s.array("first", &mut a)?;
            Err(kusari::Error::Value {
                op: "test",
                message: "serialization failed mid-way".into(),
            })
        }
    }
    let dir = tmpdir("atomic");
    let path = dir.join("model.npz");
    let m = net();
    load_npz(chainer_file("model_stored.npz"), &m).unwrap();
    save_npz(&path, &m, true).unwrap();
    let before = std::fs::read(&path).unwrap();
    assert!(save_npz(&path, &FailsHalfway, true)
        .unwrap_err()
        .to_string()
        .contains("mid-way"));
    // A failure while writing the archive (a dtype npz cannot hold, found
    // after other members were written) also keeps the old file.
    let mut d = StateDict::save(&m).unwrap();
    d.insert("zz", Array::zeros(&[2], DType::BF16).unwrap());
    assert!(write_npz(&path, &d, true).is_err());
    let st = dir.join("model.safetensors");
    save_safetensors(&st, &m).unwrap();
    assert!(save_safetensors(&st, &FailsHalfway).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "temporary files left behind: {names:?}");
    // Writing into a folder that does not exist is an error naming it.
    let e = save_npz(dir.join("no/such/dir/m.npz"), &m, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no/such/dir"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn safetensors_failures_name_the_file_and_keep_the_target() {
    let dir = tmpdir("st");
    let m = net();
    load_npz(chainer_file("model_stored.npz"), &m).unwrap();
    let path = dir.join("m.safetensors");
    save_safetensors(&path, &m).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let target = net();
    let e = load_safetensors(&path, &target).unwrap_err().to_string();
    assert!(e.contains("m.safetensors") && e.contains("outside"), "{e}");
    assert_eq!(w1(&target), vec![0.0; 12]);
    std::fs::remove_dir_all(&dir).unwrap();
}
