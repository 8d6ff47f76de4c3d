//! The IDX file format of MNIST and Fashion-MNIST, read defensively: the
//! header is validated and the payload length checked against it before any
//! large allocation, and a gzip stream is never inflated past the size the
//! header announces.

use super::value_error;
use crate::array::{Array, DType, Result};
use std::io::Read;
use std::path::Path;

/// IDX files larger than this are refused (the full MNIST training images
/// are 47 MB; 4 GiB leaves room for much larger sets).
const MAX_PAYLOAD: usize = 1 << 32;
const MAX_DIMS: usize = 8;

/// Reads an IDX file (gzip-compressed when it starts with the gzip magic)
/// into an array of the file's dtype and shape. Errors name the file.
pub fn read_idx_file(path: &Path) -> Result<Array> {
    let file = std::fs::File::open(path).map_err(|e| {
        value_error(
            "read_idx_file",
            format!("cannot open {}: {e}", path.display()),
        )
    })?;
    read_idx(std::io::BufReader::new(file), &path.display().to_string())
}

/// Reads an IDX stream (plain or gzip); `name` is used in error messages.
///
/// ```
/// use kusari::datasets::read_idx;
/// // magic 0x00000801 (uint8, 1-d), length 3, then the data
/// let bytes = [0u8, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9];
/// let a = read_idx(&bytes[..], "labels")?;
/// assert_eq!(a.to_vec::<u8>()?, [7, 8, 9]);
/// assert!(read_idx(&bytes[..10], "short").is_err());
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn read_idx(mut reader: impl Read, name: &str) -> Result<Array> {
    let mut head = [0u8; 2];
    read_exact(&mut reader, &mut head, name, "the magic number")?;
    if head == [0x1f, 0x8b] {
        let chained = std::io::Cursor::new(head).chain(reader);
        return read_plain(flate2::read::GzDecoder::new(chained), name);
    }
    read_plain(std::io::Cursor::new(head).chain(reader), name)
}

fn read_exact(r: &mut impl Read, buf: &mut [u8], name: &str, what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        value_error(
            "read_idx",
            format!("{name}: cannot read {what} ({} bytes): {e}", buf.len()),
        )
    })
}

fn read_plain(mut r: impl Read, name: &str) -> Result<Array> {
    let mut magic = [0u8; 4];
    read_exact(&mut r, &mut magic, name, "the magic number")?;
    if magic[0] != 0 || magic[1] != 0 {
        return Err(value_error(
            "read_idx",
            format!("{name}: not an IDX file (magic {magic:02x?}, expected 00 00 <type> <ndim>)"),
        ));
    }
    let dtype = match magic[2] {
        0x08 => DType::U8,
        0x09 => DType::I8,
        0x0B => DType::I16,
        0x0C => DType::I32,
        0x0D => DType::F32,
        0x0E => DType::F64,
        t => return Err(value_error(
            "read_idx",
            format!(
                "{name}: unknown IDX element type 0x{t:02x} (expected 08, 09, 0b, 0c, 0d or 0e)"
            ),
        )),
    };
    let ndim = magic[3] as usize;
    if ndim == 0 || ndim > MAX_DIMS {
        return Err(value_error(
            "read_idx",
            format!("{name}: {ndim} dimensions, expected 1 to {MAX_DIMS}"),
        ));
    }
    let mut dims_raw = vec![0u8; 4 * ndim];
    read_exact(&mut r, &mut dims_raw, name, "the dimensions")?;
    let shape: Vec<usize> = dims_raw
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let need = shape
        .iter()
        .try_fold(dtype.itemsize(), |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_PAYLOAD)
        .ok_or_else(|| {
            value_error(
                "read_idx",
                format!("{name}: shape {shape:?} is larger than the {MAX_PAYLOAD}-byte limit"),
            )
        })?;
    // Read at most one byte past the announced size: trailing data is an
    // error, and a hostile gzip stream is never inflated further.
    let mut payload = Vec::new();
    r.take(need as u64 + 1)
        .read_to_end(&mut payload)
        .map_err(|e| value_error("read_idx", format!("{name}: cannot read the data: {e}")))?;
    if payload.len() != need {
        let found = if payload.len() > need {
            "more".to_string()
        } else {
            payload.len().to_string()
        };
        return Err(value_error(
            "read_idx",
            format!("{name}: shape {shape:?} of {dtype} needs {need} data bytes, found {found}"),
        ));
    }
    // IDX stores big-endian values; arrays hold native-endian ones.
    let isz = dtype.itemsize();
    if isz > 1 && cfg!(target_endian = "little") {
        for chunk in payload.chunks_exact_mut(isz) {
            chunk.reverse();
        }
    }
    Array::from_bytes(&payload, dtype, &shape)
}
