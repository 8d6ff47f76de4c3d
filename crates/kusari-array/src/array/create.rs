//! Creating arrays: from Rust data, filled, ranges, identity matrices, bytes.

use super::Array;
use crate::layout::{self, Order};
use crate::{DType, Device, Element, Error, Result, Scalar};

/// Nested Rust arrays (`[T; N]`, `[[T; N]; M]`, ...) that [`array!`](crate::array!) turns into an [`Array`].
pub trait NestedLiteral {
    /// The element type.
    type Elem: Element;
    /// Appends the shape (outermost first).
    fn shape_into(&self, shape: &mut Vec<usize>);
    /// Appends the elements in row-major order.
    fn flatten_into(&self, out: &mut Vec<Self::Elem>);
}

macro_rules! nested_base {
    ($($t:ty),*) => {$(
        impl<const N: usize> NestedLiteral for [$t; N] {
            type Elem = $t;
            fn shape_into(&self, shape: &mut Vec<usize>) { shape.push(N); }
            fn flatten_into(&self, out: &mut Vec<$t>) { out.extend_from_slice(self); }
        }
    )*};
}
nested_base!(bool, u8, i8, i16, i32, i64, half::f16, half::bf16, f32, f64);

impl<L: NestedLiteral, const N: usize> NestedLiteral for [L; N] {
    type Elem = L::Elem;
    fn shape_into(&self, shape: &mut Vec<usize>) {
        shape.push(N);
        if let Some(first) = self.first() {
            first.shape_into(shape);
        }
    }
    fn flatten_into(&self, out: &mut Vec<Self::Elem>) {
        for x in self {
            x.flatten_into(out);
        }
    }
}

/// Builds an [`Array`] from a literal, as `np.array([...])` does.
///
/// ```
/// use kusari_array::{array, DType};
/// let a = array![[1.0f32, 2.0], [3.0, 4.0]];
/// assert_eq!(a.shape(), &[2, 2]);
/// assert_eq!(a.dtype(), DType::F32);
/// let s = array![3.0f32];
/// assert_eq!(s.shape(), &[1]);
/// ```
#[macro_export]
macro_rules! array {
    ($($x:expr),* $(,)?) => {
        $crate::Array::from_nested(&[$($x),*])
    };
}

impl Array {
    /// An array from a nested Rust array literal (used by [`array!`](crate::array!)).
    /// Panics only if the allocation fails.
    pub fn from_nested<L: NestedLiteral>(lit: &L) -> Array {
        let mut shape = Vec::new();
        lit.shape_into(&mut shape);
        let mut data = Vec::new();
        lit.flatten_into(&mut data);
        Array::from_vec(data, &shape).expect("array!: allocation failed")
    }

    /// An array of `shape` holding `data` in row-major order.
    ///
    /// ```
    /// use kusari_array::Array;
    /// let a = Array::from_vec(vec![1i32, 2, 3, 4, 5, 6], &[2, 3])?;
    /// assert_eq!(a.get::<i32>(&[1, 0])?, 4);
    /// # Ok::<(), kusari_array::Error>(())
    /// ```
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Array> {
        Array::from_slice(&data, shape)
    }

    /// An array of `shape` copied from `data` in row-major order.
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Result<Array> {
        let n = layout::checked_size("from_slice", shape)?;
        if n != data.len() {
            return Err(Error::shape(
                "from_slice",
                format!(
                    "cannot make an array of shape {shape:?} ({n} elements) from {} values",
                    data.len()
                ),
            ));
        }
        let mut out = Array::uninit_ordered(T::DTYPE, shape, Order::C, None, Device::Cpu)?;
        out.as_slice_mut::<T>()
            .expect("fresh contiguous array")
            .copy_from_slice(data);
        Ok(out)
    }

    /// A 0-d array holding one value.
    pub fn scalar<T: Element>(value: T) -> Array {
        Array::from_slice(&[value], &[]).expect("a 0-d array always fits")
    }

    /// An array of `shape` with unspecified contents (NumPy's `empty`).
    pub fn empty(shape: &[usize], dtype: DType) -> Result<Array> {
        Array::uninit_ordered(dtype, shape, Order::C, None, Device::Cpu)
    }

    /// An array of zeros.
    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Array> {
        Array::zeros_on(shape, dtype, Device::Cpu)
    }

    /// An array of zeros on `device`.
    pub fn zeros_on(shape: &[usize], dtype: DType, device: Device) -> Result<Array> {
        let n = layout::checked_size("zeros", shape)?;
        let bytes = n.checked_mul(dtype.itemsize()).ok_or_else(|| {
            Error::value("zeros", format!("array of shape {shape:?} is too large"))
        })?;
        let storage = crate::storage::Storage::zeroed(device, bytes)?;
        Ok(Array {
            storage: std::sync::Arc::new(storage),
            dtype,
            shape: shape.into(),
            strides: layout::c_strides(shape),
            offset: 0,
        })
    }

    /// An array of ones.
    pub fn ones(shape: &[usize], dtype: DType) -> Result<Array> {
        Array::full(shape, 1, dtype)
    }

    /// An array filled with `value` (cast to `dtype`).
    pub fn full(shape: &[usize], value: impl Into<Scalar>, dtype: DType) -> Result<Array> {
        let mut out = Array::empty(shape, dtype)?;
        let v = value.into();
        crate::dispatch_all!(dtype, T => {
            let x: T = match v {
                Scalar::Bool(b) => b.cast(),
                Scalar::Int(i) => i.cast(),
                Scalar::Float(f) => f.cast(),
            };
            out.as_slice_mut::<T>().expect("fresh contiguous array").fill(x);
        });
        Ok(out)
    }

    /// Zeros with the shape, dtype and device of `a` (memory order C).
    pub fn zeros_like(a: &Array) -> Result<Array> {
        Array::zeros_on(a.shape(), a.dtype(), a.device())
    }

    /// Ones with the shape and dtype of `a`.
    pub fn ones_like(a: &Array) -> Result<Array> {
        Array::full_like(a, 1)
    }

    /// `value` with the shape and dtype of `a`.
    pub fn full_like(a: &Array, value: impl Into<Scalar>) -> Result<Array> {
        Array::full(a.shape(), value, a.dtype())?.to_device(a.device())
    }

    /// Unspecified contents with the shape and dtype of `a`.
    pub fn empty_like(a: &Array) -> Result<Array> {
        Array::uninit_ordered(
            a.dtype(),
            a.shape(),
            Order::K,
            Some(a.strides()),
            a.device(),
        )
    }

    /// `0, 1, ..., stop - 1` (NumPy's `arange(stop)`): an integer `stop` gives `int64`, a float `float64`.
    pub fn arange(stop: impl Into<Scalar>) -> Result<Array> {
        let stop = stop.into();
        let start = match stop {
            Scalar::Float(_) => Scalar::Float(0.0),
            _ => Scalar::Int(0),
        };
        Array::arange_step(start, stop, Scalar::Int(1))
    }

    /// NumPy's `arange(start, stop, step)`; the dtype is `int64` when all three
    /// are integers, else `float64`.
    pub fn arange_step(
        start: impl Into<Scalar>,
        stop: impl Into<Scalar>,
        step: impl Into<Scalar>,
    ) -> Result<Array> {
        let (start, stop, step) = (start.into(), stop.into(), step.into());
        let is_float = [start, stop, step]
            .iter()
            .any(|s| matches!(s, Scalar::Float(_)));
        let dtype = if is_float { DType::F64 } else { DType::I64 };
        Array::arange_dtype(start.as_f64(), stop.as_f64(), step.as_f64(), dtype)
    }

    /// NumPy's `arange(start, stop, step, dtype)`.
    pub fn arange_dtype(start: f64, stop: f64, step: f64, dtype: DType) -> Result<Array> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !stop.is_finite() {
            return Err(Error::value("arange", format!("expected finite bounds and a non-zero step, found start={start}, stop={stop}, step={step}")));
        }
        let n = ((stop - start) / step).ceil().max(0.0);
        if n > (isize::MAX as f64) {
            return Err(Error::value(
                "arange",
                format!("{n} elements do not fit in memory"),
            ));
        }
        let n = n as usize;
        let mut out = Array::empty(&[n], dtype)?;
        // Large ranges are filled in parallel chunks: a single core writing
        // 8 MB (CuPy's seed benchmark, `arange(1e6)`) took longer than the
        // `a.T * 2` that follows it.
        const CHUNK: usize = 1 << 15;
        crate::dispatch_all!(dtype, T => {
            let s = out.as_slice_mut::<T>().ok_or_else(|| Error::value("arange", "expected a fresh contiguous output buffer".to_string()))?;
            let fill = |base: usize, chunk: &mut [T]| {
                if dtype.is_float() {
                    for (j, x) in chunk.iter_mut().enumerate() { *x = T::from_f64(start + (base + j) as f64 * step); }
                } else {
                    let (st, sp) = (start as i64, step as i64);
                    let first = st.wrapping_add((base as i64).wrapping_mul(sp));
                    if sp == 1 {
                        // No 64-bit multiply: the loop vectorizes on every x86-64.
                        for (j, x) in chunk.iter_mut().enumerate() { *x = T::from_i64(first.wrapping_add(j as i64)); }
                    } else {
                        for (j, x) in chunk.iter_mut().enumerate() { *x = T::from_i64(first.wrapping_add((j as i64).wrapping_mul(sp))); }
                    }
                }
            };
            if n >= 2 * CHUNK && rayon::current_num_threads() > 1 {
                use rayon::prelude::*;
                s.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| fill(c * CHUNK, chunk));
            } else {
                fill(0, s);
            }
        });
        Ok(out)
    }

    /// `num` evenly spaced values from `start` to `stop` (inclusive when `endpoint`), as `float64`.
    pub fn linspace(start: f64, stop: f64, num: usize, endpoint: bool) -> Result<Array> {
        let div = if endpoint { num.saturating_sub(1) } else { num } as f64;
        let step = if div > 0.0 { (stop - start) / div } else { 0.0 };
        let mut v: Vec<f64> = (0..num).map(|i| start + i as f64 * step).collect();
        if endpoint && num > 1 {
            v[num - 1] = stop;
        }
        Array::from_vec(v, &[num])
    }

    /// An `n × m` matrix with ones on the `k`-th diagonal (NumPy's `eye`).
    pub fn eye(n: usize, m: Option<usize>, k: isize, dtype: DType) -> Result<Array> {
        let m = m.unwrap_or(n);
        let mut out = Array::zeros(&[n, m], dtype)?;
        crate::dispatch_all!(dtype, T => {
            let s = out.as_slice_mut::<T>().expect("fresh");
            for i in 0..n {
                let j = i as isize + k;
                if j >= 0 && (j as usize) < m { s[i * m + j as usize] = T::from_i64(1); }
            }
        });
        Ok(out)
    }

    /// The `n × n` identity matrix.
    pub fn identity(n: usize, dtype: DType) -> Result<Array> {
        Array::eye(n, None, 0, dtype)
    }

    /// An array of `shape` read from raw native-endian bytes (NumPy's
    /// `frombuffer(...).reshape(shape)`; the bytes are copied, so any alignment works).
    /// `bool` bytes must be 0 or 1.
    pub fn from_bytes(bytes: &[u8], dtype: DType, shape: &[usize]) -> Result<Array> {
        let n = layout::checked_size("from_bytes", shape)?;
        let need = n
            .checked_mul(dtype.itemsize())
            .ok_or_else(|| Error::value("from_bytes", "shape too large"))?;
        if bytes.len() != need {
            return Err(Error::shape(
                "from_bytes",
                format!(
                    "shape {shape:?} of {dtype} needs {need} bytes, found {}",
                    bytes.len()
                ),
            ));
        }
        if dtype == DType::Bool && bytes.iter().any(|&b| b > 1) {
            return Err(Error::value("from_bytes", "bool data must be 0 or 1 bytes"));
        }
        let out = Array::uninit_ordered(dtype, shape, Order::C, None, Device::Cpu)?;
        // SAFETY: the fresh buffer holds exactly `need` bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.host_ptr() as *mut u8, need) };
        Ok(out)
    }

    /// The elements' bytes in row-major order (native endianness).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        // To the host first: making a device array contiguous needs a kernel.
        let c = self.to_cpu()?.ascontiguousarray()?;
        // SAFETY: a contiguous host array spans exactly `nbytes` bytes from its first element.
        Ok(unsafe { std::slice::from_raw_parts(c.host_ptr(), c.nbytes()) }.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_aranges_filled_in_parallel_match_the_formula() {
        // Above the parallel threshold, with a partial last chunk.
        let n = (1usize << 17) + 3;
        let a = Array::arange(n as i64).unwrap();
        assert_eq!(a.dtype(), DType::I64);
        let v = a.to_vec::<i64>().unwrap();
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as i64));
        let b = Array::arange_step(-5, -5 - 3 * n as i64, -3).unwrap();
        let v = b.to_vec::<i64>().unwrap();
        assert_eq!(v.len(), n);
        assert!(v.iter().enumerate().all(|(i, &x)| x == -5 - 3 * i as i64));
        let c = Array::arange_dtype(0.5, 0.5 + 0.25 * n as f64, 0.25, DType::F32).unwrap();
        let v = c.to_vec::<f32>().unwrap();
        assert!(v
            .iter()
            .enumerate()
            .all(|(i, &x)| x == (0.5 + i as f64 * 0.25) as f32));
    }
}
