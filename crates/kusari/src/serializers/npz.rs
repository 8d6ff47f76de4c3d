//! NumPy `.npz` files (Chainer's `save_npz` / `load_npz`): a zip archive of
//! `.npy` members, one per key (`predictor/l1/W.npy`), stored or deflated.
//!
//! Reading never unpickles: object arrays (`|O`, which Chainer writes for an
//! uninitialized parameter's `None`) are refused in strict mode and skipped
//! otherwise. Every size a header claims is checked against the bytes that
//! are actually there before anything is allocated for it. Writing goes to a
//! temporary file in the target's folder that is synced and then renamed, so
//! a failed save leaves the previous file intact.

use super::{LoadOptions, Serializable, StateDict};
use crate::array::{Array, DType, Error, Order, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

/// The largest `.npy` header accepted (NumPy itself refuses more than 10 000 bytes by default).
const MAX_HEADER: usize = 1 << 16;

fn io_err(op: &'static str, path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Value {
        op,
        message: format!("{}: {what}: {e}", path.display()),
    }
}

/// Saves `obj`'s state to an npz file at `path` (Chainer's
/// `save_npz(file, obj, compression)`; Chainer's default is `compress = true`).
///
/// ```
/// use kusari::{array::{Array, DType}, serializers::{load_npz, save_npz}, Link, Parameter};
/// struct Affine { w: Parameter }
/// impl Link for Affine {
///     fn visit_own_params(&self, f: &mut dyn FnMut(&str, &Parameter)) { f("W", &self.w) }
/// }
/// let path = std::env::temp_dir().join(format!("kusari-doc-{}.npz", std::process::id()));
/// let a = Affine { w: Parameter::new("W", Array::full(&[2, 2], 3.0, DType::F32)?) };
/// save_npz(&path, &a, true)?;
/// let b = Affine { w: Parameter::new("W", Array::zeros(&[2, 2], DType::F32)?) };
/// load_npz(&path, &b)?;
/// assert_eq!(b.w.array()?.to_vec::<f32>()?, vec![3.0; 4]);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn save_npz(
    path: impl AsRef<Path>,
    obj: &(impl Serializable + ?Sized),
    compress: bool,
) -> Result<()> {
    let dict = StateDict::save(obj)?;
    write_npz(path, &dict, compress)
}

/// Loads `obj`'s state from an npz file, strictly (every key must be
/// there). On any error `obj` is unchanged.
pub fn load_npz(path: impl AsRef<Path>, obj: &(impl Serializable + ?Sized)) -> Result<()> {
    load_npz_with(path, obj, &LoadOptions::default())
}

/// [`load_npz`] with Chainer's options (`strict`, `path`, `ignore_names`).
/// The whole file is read and checked before `obj` is touched.
pub fn load_npz_with(
    path: impl AsRef<Path>,
    obj: &(impl Serializable + ?Sized),
    opts: &LoadOptions,
) -> Result<()> {
    let path = path.as_ref();
    let file = read_npz_with(path, opts.strict)?;
    file.dict.load_into(obj, opts).map_err(|e| Error::Value {
        op: "load_npz",
        message: format!("{}: {e}", path.display()),
    })
}

/// The arrays of an npz file.
#[derive(Clone, Debug, Default)]
pub struct NpzContents {
    /// The arrays by key (member name without `.npy`).
    pub dict: StateDict,
    /// Keys of object-array members that were skipped (Chainer's
    /// uninitialized parameters; kusari never unpickles).
    pub skipped_object_keys: Vec<String>,
}

/// Reads every array of an npz file (NumPy's `np.load`); object arrays are an error.
pub fn read_npz(path: impl AsRef<Path>) -> Result<StateDict> {
    Ok(read_npz_with(path.as_ref(), true)?.dict)
}

/// Reads every array of an npz file; object arrays are an error when
/// `strict`, else skipped and listed in [`NpzContents::skipped_object_keys`].
pub fn read_npz_with(path: impl AsRef<Path>, strict: bool) -> Result<NpzContents> {
    let path = path.as_ref();
    let f = File::open(path).map_err(|e| io_err("load_npz", path, "cannot open", e))?;
    read_npz_from(BufReader::new(f), strict).map_err(|e| Error::Value {
        op: "load_npz",
        message: format!("{}: {}", path.display(), inner_message(&e)),
    })
}

fn inner_message(e: &Error) -> String {
    match e {
        Error::Value { message, .. }
        | Error::Shape { message, .. }
        | Error::DType { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn bad(message: String) -> Error {
    Error::Value {
        op: "load_npz",
        message,
    }
}

/// Parses an npz archive from any seekable reader.
pub fn read_npz_from(reader: impl Read + Seek, strict: bool) -> Result<NpzContents> {
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| bad(format!("not a readable zip archive (npz): {e}")))?;
    let mut out = NpzContents::default();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| bad(format!("zip member #{i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| bad(format!("zip member #{i} has an unreadable name: {e}")))?
            .to_string();
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        let declared = entry.size();
        match read_npy(&mut entry, declared)
            .map_err(|m| bad(format!("key {key:?} (member {name:?}): {m}")))?
        {
            Npy::Array(a) => {
                if out.dict.get(&key).is_some() {
                    return Err(bad(format!("key {key:?} appears twice in the archive")));
                }
                out.dict.insert(key, a);
            }
            Npy::Object => {
                if strict {
                    return Err(bad(format!(
                        "key {key:?} is an object array (a pickled Python value, such as the None Chainer saves for an uninitialized parameter); kusari never unpickles: load with strict = false to skip it"
                    )));
                }
                out.skipped_object_keys.push(key);
            }
        }
    }
    Ok(out)
}

enum Npy {
    Array(Array),
    Object,
}

/// How the bytes of an element are laid out.
#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Little,
    Big,
    NotApplicable,
}

fn parse_descr(descr: &str) -> std::result::Result<Option<(DType, Endian)>, String> {
    let (order, code) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('=', descr),
    };
    let dtype = match code {
        "O" | "O8" | "O4" => return Ok(None),
        "b1" | "?" => DType::Bool,
        "u1" | "B" => DType::U8,
        "i1" | "b" => DType::I8,
        "i2" => DType::I16,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "f2" | "e" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        _ => {
            return Err(format!(
                "unsupported dtype {descr:?} (kusari reads bool, uint8, int8/16/32/64 and float16/32/64)"
            ))
        }
    };
    let endian = if dtype.itemsize() == 1 {
        Endian::NotApplicable
    } else {
        match order {
            '<' => Endian::Little,
            '>' => Endian::Big,
            '=' => native(),
            _ => {
                return Err(format!(
                    "dtype {descr:?}: '|' byte order on a multi-byte type"
                ))
            }
        }
    };
    Ok(Some((dtype, endian)))
}

fn native() -> Endian {
    if cfg!(target_endian = "little") {
        Endian::Little
    } else {
        Endian::Big
    }
}

/// Reads one `.npy` member of `declared` bytes.
fn read_npy(r: &mut impl Read, declared: u64) -> std::result::Result<Npy, String> {
    let mut pre = [0u8; 8];
    r.read_exact(&mut pre)
        .map_err(|e| format!("truncated .npy preamble: {e}"))?;
    if &pre[..6] != b"\x93NUMPY" {
        return Err("not an .npy member (bad magic)".into());
    }
    let (major, minor) = (pre[6], pre[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => return Err(format!("unsupported .npy format version {major}.{minor}")),
    };
    let mut lb = [0u8; 4];
    r.read_exact(&mut lb[..len_bytes])
        .map_err(|e| format!("truncated .npy header length: {e}"))?;
    let hlen = u32::from_le_bytes(lb) as usize;
    if hlen > MAX_HEADER {
        return Err(format!(
            "header of {hlen} bytes exceeds the limit of {MAX_HEADER}"
        ));
    }
    let prefix = 8 + len_bytes + hlen;
    if (prefix as u64) > declared {
        return Err(format!(
            "header claims {prefix} bytes, the member has {declared}"
        ));
    }
    let mut hb = vec![0u8; hlen];
    r.read_exact(&mut hb)
        .map_err(|e| format!("truncated .npy header: {e}"))?;
    let text = if major == 3 {
        String::from_utf8(hb).map_err(|_| "header is not UTF-8".to_string())?
    } else {
        if !hb.is_ascii() {
            return Err("header is not ASCII (latin-1 text is only for format 3.0)".into());
        }
        String::from_utf8(hb).expect("ascii")
    };
    let header = parse_header(&text).map_err(|m| format!("bad header {text:?}: {m}"))?;
    let Some((dtype, endian)) = parse_descr(&header.descr)? else {
        return Ok(Npy::Object);
    };
    let n = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("shape {:?} overflows", header.shape))?;
    let nbytes = n
        .checked_mul(dtype.itemsize())
        .ok_or_else(|| format!("shape {:?} of {dtype} overflows", header.shape))?;
    let have = declared - prefix as u64;
    if nbytes as u64 != have {
        return Err(format!(
            "shape {:?} of {dtype} needs {nbytes} data bytes, the member has {have}",
            header.shape
        ));
    }
    // Grow with the bytes that actually arrive rather than trusting the
    // declared size, so a lying archive cannot make us allocate what it lacks.
    let mut data = Vec::new();
    data.try_reserve_exact(nbytes.min(1 << 26))
        .map_err(|e| format!("cannot allocate {nbytes} bytes: {e}"))?;
    r.take(nbytes as u64)
        .read_to_end(&mut data)
        .map_err(|e| format!("reading the data: {e}"))?;
    if data.len() != nbytes {
        return Err(format!(
            "truncated data: expected {nbytes} bytes, found {}",
            data.len()
        ));
    }
    // Reading to the end makes the zip reader check the member's CRC.
    let mut rest = [0u8; 1];
    match r.read(&mut rest) {
        Ok(0) => {}
        Ok(_) => return Err("trailing bytes after the array data".into()),
        Err(e) => return Err(format!("member is corrupt: {e}")),
    }
    if endian != Endian::NotApplicable && endian != native() {
        for chunk in data.chunks_exact_mut(dtype.itemsize()) {
            chunk.reverse();
        }
    }
    let array = if header.fortran_order && header.shape.len() > 1 {
        let rev: Vec<usize> = header.shape.iter().rev().copied().collect();
        Array::from_bytes(&data, dtype, &rev)
            .and_then(|a| a.transpose(None))
            .and_then(|a| a.copy(Order::C))
    } else {
        Array::from_bytes(&data, dtype, &header.shape)
    }
    .map_err(|e| e.to_string())?;
    Ok(Npy::Array(array))
}

struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses the Python dict literal of an `.npy` header
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`), and nothing more.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
    let mut p = Lexer {
        s: text.trim_end_matches(['\n', ' ', '\0']).as_bytes(),
        i: 0,
    };
    p.expect(b'{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        match key.as_str() {
            "descr" => {
                p.skip_ws();
                if p.peek() == Some(b'[') {
                    return Err("structured dtypes are not supported".into());
                }
                descr = Some(p.string()?)
            }
            "fortran_order" => fortran = Some(p.boolean()?),
            "shape" => shape = Some(p.tuple()?),
            other => return Err(format!("unexpected key {other:?}")),
        }
        p.skip_ws();
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    p.skip_ws();
    if p.i != p.s.len() {
        return Err("text after the dict".into());
    }
    Ok(Header {
        descr: descr.ok_or("missing 'descr'")?,
        fortran_order: fortran.ok_or("missing 'fortran_order'")?,
        shape: shape.ok_or("missing 'shape'")?,
    })
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {:?} at byte {}", c as char, self.i))
        }
    }
    fn string(&mut self) -> std::result::Result<String, String> {
        self.skip_ws();
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a string at byte {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            if self.s[self.i] == b'\\' {
                return Err("escapes in header strings are not supported".into());
            }
            self.i += 1;
        }
        if self.i == self.s.len() {
            return Err("unterminated string".into());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }
    fn boolean(&mut self) -> std::result::Result<bool, String> {
        self.skip_ws();
        for (word, v) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(v);
            }
        }
        Err(format!("expected True or False at byte {}", self.i))
    }
    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut out = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(out);
            }
            self.skip_ws();
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if start == self.i {
                return Err(format!("expected a dimension at byte {}", self.i));
            }
            let digits = std::str::from_utf8(&self.s[start..self.i]).expect("digits");
            let d: usize = digits
                .parse()
                .map_err(|_| format!("dimension {digits} is too large"))?;
            // Python 2 wrote long integers with an `L` suffix.
            if self.peek() == Some(b'L') {
                self.i += 1;
            }
            out.push(d);
            if out.len() > 64 {
                return Err("more than 64 dimensions".into());
            }
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(out);
            }
        }
    }
}

fn descr_of(dtype: DType) -> Result<String> {
    let order = if cfg!(target_endian = "little") {
        '<'
    } else {
        '>'
    };
    Ok(match dtype {
        DType::Bool => "|b1".into(),
        DType::U8 => "|u1".into(),
        DType::I8 => "|i1".into(),
        DType::I16 => format!("{order}i2"),
        DType::I32 => format!("{order}i4"),
        DType::I64 => format!("{order}i8"),
        DType::F16 => format!("{order}f2"),
        DType::F32 => format!("{order}f4"),
        DType::F64 => format!("{order}f8"),
        DType::BF16 => {
            return Err(Error::DType {
                op: "save_npz",
                message: "bfloat16 has no NumPy dtype; convert the array to float32 first".into(),
            })
        }
    })
}

/// The `.npy` bytes of `a` (format 1.0, C order, header padded to 64 bytes as NumPy does).
pub fn npy_bytes(a: &Array) -> Result<Vec<u8>> {
    let descr = descr_of(a.dtype())?;
    let shape = match a.shape() {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let hlen = u16::try_from(header.len()).map_err(|_| Error::Value {
        op: "save_npz",
        message: format!(
            "array of shape {:?} needs an .npy header too long for format 1.0",
            a.shape()
        ),
    })?;
    let data = a.to_bytes()?;
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&hlen.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    Ok(out)
}

/// Writes `dict` as an npz file at `path`, atomically: a temporary file in
/// the same folder is written, synced to disk and renamed over `path`.
pub fn write_npz(path: impl AsRef<Path>, dict: &StateDict, compress: bool) -> Result<()> {
    let path = path.as_ref();
    atomic_write(path, "save_npz", |w| write_npz_to(w, dict, compress))
}

/// Writes `dict` as an npz archive to `w`.
pub fn write_npz_to(w: impl Write + Seek, dict: &StateDict, compress: bool) -> Result<()> {
    let method = if compress {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let zerr = |key: &str, e: &dyn std::fmt::Display| Error::Value {
        op: "save_npz",
        message: format!("key {key:?}: {e}"),
    };
    let mut zip = zip::ZipWriter::new(w);
    for (key, a) in dict.iter() {
        let bytes = npy_bytes(a).map_err(|e| zerr(key, &inner_message(&e)))?;
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        zip.start_file(format!("{key}.npy"), opts)
            .map_err(|e| zerr(key, &e))?;
        zip.write_all(&bytes).map_err(|e| zerr(key, &e))?;
    }
    zip.finish().map_err(|e| Error::Value {
        op: "save_npz",
        message: format!("finishing the archive: {e}"),
    })?;
    Ok(())
}

/// Runs `write` into a temporary file next to `path`, syncs it and renames
/// it to `path`; on any failure the temporary file is removed and `path`
/// keeps its previous content.
pub(crate) fn atomic_write(
    path: &Path,
    op: &'static str,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<()>,
) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io_err(op, path, "not a file path", "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| io_err(op, &tmp, "cannot create", e))?;
        {
            let mut w = BufWriter::new(&file);
            write(&mut w).map_err(|e| Error::Value {
                op,
                message: format!("{}: {}", path.display(), inner_message(&e)),
            })?;
            w.flush().map_err(|e| io_err(op, &tmp, "cannot write", e))?;
        }
        file.sync_all()
            .map_err(|e| io_err(op, &tmp, "cannot sync", e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_err(op, path, "cannot replace", e))?;
        // Make the rename itself durable; not every platform can open a folder.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_and_malformed_ones_are_refused() {
        let h = parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n")
            .unwrap();
        assert_eq!(
            (h.descr.as_str(), h.fortran_order, h.shape),
            ("<f4", false, vec![2, 3])
        );
        let h = parse_header("{'shape': (), 'fortran_order': True, 'descr': '|b1'}").unwrap();
        assert!(h.shape.is_empty() && h.fortran_order);
        assert_eq!(
            parse_header("{'descr': '<i8', 'fortran_order': False, 'shape': (3L,), }")
                .unwrap()
                .shape,
            [3]
        );
        for (text, why) in [
            ("{'descr': '<f4', 'shape': (2,)}", "missing 'fortran_order'"),
            (
                "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}",
                "expected True or False",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
                "expected a dimension",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
                "too large",
            ),
            (
                "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}",
                "structured",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
                "unexpected key",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk",
                "text after",
            ),
        ] {
            let e = parse_header(text)
                .err()
                .unwrap_or_else(|| panic!("{text} parsed"));
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn npy_bytes_match_numpy_layout() {
        let a = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
        let b = npy_bytes(&a).unwrap();
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        assert_eq!(
            std::str::from_utf8(&b[10..10 + hlen]).unwrap().trim_end(),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"
        );
        let back = match read_npy(&mut &b[..], b.len() as u64).unwrap() {
            Npy::Array(x) => x,
            Npy::Object => unreachable!(),
        };
        assert_eq!(back.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn big_endian_and_fortran_members_are_converted() {
        let header = "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }";
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        // Column-major [[0, 1, 2], [3, 4, 5]]: 0 3 1 4 2 5, big-endian.
        for v in [0i32, 3, 1, 4, 2, 5] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        let Npy::Array(a) = read_npy(&mut &b[..], b.len() as u64).unwrap() else {
            panic!("object")
        };
        assert_eq!(a.shape(), &[2, 3]);
        assert_eq!(a.to_vec::<i32>().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    }
}
