//! The safetensors format (Hugging Face's): an 8-byte little-endian header
//! length, a JSON header mapping each key to its dtype, shape and byte range,
//! then the raw little-endian data. Written by hand from the format's
//! specification: it is small, and reading it needs only checked arithmetic.

use super::npz::atomic_write;
use super::{LoadOptions, Serializable, StateDict};
use crate::array::{Array, DType, Error, Result};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// The largest JSON header accepted (the reference implementation's limit).
const MAX_HEADER: u64 = 100_000_000;

fn name_of(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "BOOL",
        DType::U8 => "U8",
        DType::I8 => "I8",
        DType::I16 => "I16",
        DType::I32 => "I32",
        DType::I64 => "I64",
        DType::F16 => "F16",
        DType::BF16 => "BF16",
        DType::F32 => "F32",
        DType::F64 => "F64",
    }
}

fn dtype_of(name: &str) -> Option<DType> {
    Some(match name {
        "BOOL" => DType::Bool,
        "U8" => DType::U8,
        "I8" => DType::I8,
        "I16" => DType::I16,
        "I32" => DType::I32,
        "I64" => DType::I64,
        "F16" => DType::F16,
        "BF16" => DType::BF16,
        "F32" => DType::F32,
        "F64" => DType::F64,
        _ => return None,
    })
}

/// Saves `obj`'s state as a safetensors file (keys as in npz files,
/// `l1/W`), atomically like [`super::save_npz`].
pub fn save_safetensors(path: impl AsRef<Path>, obj: &(impl Serializable + ?Sized)) -> Result<()> {
    write_safetensors(path, &StateDict::save(obj)?)
}

/// Writes `dict` as a safetensors file (tensors in key order, no metadata).
pub fn write_safetensors(path: impl AsRef<Path>, dict: &StateDict) -> Result<()> {
    let mut header = Map::new();
    let mut offset = 0usize;
    let mut blobs = Vec::with_capacity(dict.len());
    for (key, a) in dict.iter() {
        if key == "__metadata__" {
            return Err(Error::Value {
                op: "save_safetensors",
                message: "the key \"__metadata__\" is reserved by the format".into(),
            });
        }
        let mut bytes = a.to_bytes()?;
        if cfg!(target_endian = "big") {
            for c in bytes.chunks_exact_mut(a.itemsize()) {
                c.reverse();
            }
        }
        let end = offset + bytes.len();
        header.insert(
            key.to_string(),
            serde_json::json!({
                "dtype": name_of(a.dtype()),
                "shape": a.shape(),
                "data_offsets": [offset, end],
            }),
        );
        offset = end;
        blobs.push(bytes);
    }
    let mut text = Value::Object(header).to_string();
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    while !(8 + text.len()).is_multiple_of(8) {
        text.push(' ');
    }
    atomic_write(path.as_ref(), "save_safetensors", |w| {
        let io = |e: std::io::Error| Error::Value {
            op: "save_safetensors",
            message: e.to_string(),
        };
        w.write_all(&(text.len() as u64).to_le_bytes())
            .map_err(io)?;
        w.write_all(text.as_bytes()).map_err(io)?;
        for b in &blobs {
            w.write_all(b).map_err(io)?;
        }
        Ok(())
    })
}

/// Loads `obj`'s state from a safetensors file, strictly; on error `obj` is unchanged.
pub fn load_safetensors(path: impl AsRef<Path>, obj: &(impl Serializable + ?Sized)) -> Result<()> {
    load_safetensors_with(path, obj, &LoadOptions::default())
}

/// [`load_safetensors`] with `strict`, `path` and `ignore_names`.
pub fn load_safetensors_with(
    path: impl AsRef<Path>,
    obj: &(impl Serializable + ?Sized),
    opts: &LoadOptions,
) -> Result<()> {
    let path = path.as_ref();
    let dict = read_safetensors(path)?;
    dict.load_into(obj, opts).map_err(|e| Error::Value {
        op: "load_safetensors",
        message: format!("{}: {e}", path.display()),
    })
}

/// Reads every tensor of a safetensors file, validating the header (sizes,
/// offsets covering the data exactly once) before building any array.
pub fn read_safetensors(path: impl AsRef<Path>) -> Result<StateDict> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::Value {
        op: "load_safetensors",
        message: format!("{}: cannot read: {e}", path.display()),
    })?;
    parse(&bytes).map_err(|m| Error::Value {
        op: "load_safetensors",
        message: format!("{}: {m}", path.display()),
    })
}

fn parse(bytes: &[u8]) -> std::result::Result<StateDict, String> {
    if bytes.len() < 8 {
        return Err(format!(
            "file of {} bytes is too short for the header length",
            bytes.len()
        ));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    if n > MAX_HEADER || n > (bytes.len() - 8) as u64 {
        return Err(format!(
            "header claims {n} bytes, the file has {} after the length (limit {MAX_HEADER})",
            bytes.len() - 8
        ));
    }
    let n = n as usize;
    let header: Value =
        serde_json::from_slice(&bytes[8..8 + n]).map_err(|e| format!("bad JSON header: {e}"))?;
    let Value::Object(entries) = header else {
        return Err("the header is not a JSON object".into());
    };
    let data = &bytes[8 + n..];
    let mut spans = Vec::new();
    let mut parsed = Vec::new();
    for (key, v) in &entries {
        if key == "__metadata__" {
            continue;
        }
        let err = |m: &str| format!("key {key:?}: {m}");
        let dtype_name = v["dtype"].as_str().ok_or_else(|| err("no dtype"))?;
        let dtype = dtype_of(dtype_name)
            .ok_or_else(|| err(&format!("unsupported dtype {dtype_name:?}")))?;
        let shape = v["shape"]
            .as_array()
            .ok_or_else(|| err("no shape"))?
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| err("shape entries must be non-negative integers"))?;
        let offs = v["data_offsets"]
            .as_array()
            .filter(|o| o.len() == 2)
            .and_then(|o| Some((o[0].as_u64()?, o[1].as_u64()?)))
            .ok_or_else(|| err("data_offsets must be two non-negative integers"))?;
        let (begin, end) = offs;
        if begin > end || end > data.len() as u64 {
            return Err(err(&format!(
                "data_offsets [{begin}, {end}] fall outside the {} data bytes",
                data.len()
            )));
        }
        let need = shape
            .iter()
            .try_fold(dtype.itemsize(), |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| err(&format!("shape {shape:?} overflows")))?;
        if need as u64 != end - begin {
            return Err(err(&format!(
                "shape {shape:?} of {dtype_name} needs {need} bytes, data_offsets give {}",
                end - begin
            )));
        }
        spans.push((begin, end, key.clone()));
        parsed.push((key.clone(), dtype, shape, begin as usize, end as usize));
    }
    spans.sort();
    let mut at = 0u64;
    for (b, e, key) in &spans {
        if *b != at {
            return Err(format!(
                "key {key:?} starts at byte {b}, expected {at} (tensors must cover the data without gaps or overlaps)"
            ));
        }
        at = *e;
    }
    if at != data.len() as u64 {
        return Err(format!(
            "the tensors cover {at} of the {} data bytes",
            data.len()
        ));
    }
    let mut dict = StateDict::new();
    for (key, dtype, shape, b, e) in parsed {
        let array = if cfg!(target_endian = "big") && dtype.itemsize() > 1 {
            let mut raw = data[b..e].to_vec();
            for c in raw.chunks_exact_mut(dtype.itemsize()) {
                c.reverse();
            }
            Array::from_bytes(&raw, dtype, &shape)
        } else {
            Array::from_bytes(&data[b..e], dtype, &shape)
        }
        .map_err(|e| format!("key {key:?}: {e}"))?;
        dict.insert(key, array);
    }
    Ok(dict)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut b = (header.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn parses_a_valid_file() {
        let data: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let d = parse(&file(
            r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            &data,
        ))
        .unwrap();
        assert_eq!(d.get("w").unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
    }

    #[test]
    fn hostile_headers_are_refused() {
        let cases = [
            (
                file(
                    r#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
                    &[0; 8],
                ),
                "overflows",
            ),
            (
                file(
                    r#"{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"#,
                    &[0; 8],
                ),
                "outside",
            ),
            (
                file(
                    r#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
                    &[0; 8],
                ),
                "needs 12 bytes",
            ),
            (
                file(
                    r#"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#,
                    &[0; 8],
                ),
                "unsupported dtype",
            ),
            (
                file(
                    r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#,
                    &[0; 6],
                ),
                "gaps or overlaps",
            ),
            (
                file(
                    r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
                    &[0; 6],
                ),
                "cover 4 of the 6",
            ),
            (file(r#"[1, 2]"#, &[]), "not a JSON object"),
            (file(r#"{"a":"#, &[]), "bad JSON"),
            (u64::MAX.to_le_bytes().to_vec(), "header claims"),
            (vec![1, 2, 3], "too short"),
        ];
        for (bytes, why) in cases {
            let e = parse(&bytes).expect_err("refused");
            assert!(e.contains(why), "{why}: {e}");
        }
    }
}
