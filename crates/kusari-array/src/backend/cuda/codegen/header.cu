// ---- kusari CUDA header: indexers, arrays, casts and NumPy arithmetic ----
// Strides are in elements (as kusari's layout), the view offset is folded into
// `data_`. Every struct here that is passed by value has a layout that
// `codegen::index::pack_*` reproduces byte for byte.
#define K_INLINE __device__ __forceinline__

template <bool USE32> struct KIndex { typedef long long type; };
template <> struct KIndex<true> { typedef int type; };

// The shape an elementwise/reduction loop runs over (kernel argument).
// Layout: long long size; index_t shape[NDIM]; (aligned to 8).
template <int NDIM, bool USE32> struct CShape {
  typedef typename KIndex<USE32>::type index_t;
  long long size_;
  index_t shape_[NDIM];
};

// The loop's position: one div/mod per dimension, shared by all arrays.
template <int NDIM, bool USE32> struct CIndexer {
  typedef typename KIndex<USE32>::type index_t;
  CShape<NDIM, USE32> s_;
  index_t index_[NDIM];
  K_INLINE CIndexer(const CShape<NDIM, USE32>& s) : s_(s) {}
  K_INLINE index_t size() const { return (index_t)s_.size_; }
  K_INLINE const index_t* shape() const { return s_.shape_; }
  K_INLINE void set(index_t i) {
#pragma unroll
    for (int d = NDIM - 1; d > 0; --d) {
      index_t n = s_.shape_[d];
      index_[d] = i % n;
      i /= n;
    }
    index_[0] = i;
  }
  K_INLINE const index_t* get() const { return index_; }
};

// An array argument. Layout: T* data; long long size; index_t shape[NDIM];
// index_t strides[NDIM]; (16 + 2 * NDIM * sizeof(index_t) bytes, aligned to 8).
template <typename T, int NDIM, bool C_CONTIG, bool USE32> struct CArray {
  typedef typename KIndex<USE32>::type index_t;
  T* data_;
  long long size_;
  index_t shape_[NDIM];
  index_t strides_[NDIM];
  K_INLINE T* data() const { return data_; }
  K_INLINE index_t size() const { return (index_t)size_; }
  K_INLINE const index_t* shape() const { return shape_; }
  K_INLINE const index_t* strides() const { return strides_; }
  K_INLINE T& operator[](const index_t* idx) const {
    index_t off = 0;
#pragma unroll
    for (int d = 0; d < NDIM; ++d) off += idx[d] * strides_[d];
    return data_[off];
  }
  // Linear (C-order) index, as raw arrays are indexed by user code.
  K_INLINE T& operator[](index_t i) const {
    if (C_CONTIG) return data_[i];
    index_t off = 0;
#pragma unroll
    for (int d = NDIM - 1; d > 0; --d) {
      off += (i % shape_[d]) * strides_[d];
      i /= shape_[d];
    }
    return data_[off + i * strides_[0]];
  }
};

#define K_FOR(i, n)                                                              \
  _Pragma("unroll 1")                                                            \
  for (index_t i = (index_t)blockIdx.x * blockDim.x + threadIdx.x,               \
               _k_step = (index_t)blockDim.x * gridDim.x;                        \
       i < (index_t)(n); i += _k_step)

// ---- dtype helpers ----
template <typename T> struct KUnsigned { typedef T type; };
template <> struct KUnsigned<signed char> { typedef unsigned char type; };
template <> struct KUnsigned<short> { typedef unsigned short type; };
template <> struct KUnsigned<int> { typedef unsigned int type; };
template <> struct KUnsigned<long long> { typedef unsigned long long type; };

template <typename T> K_INLINE bool k_isnan(T) { return false; }
template <> K_INLINE bool k_isnan<float>(float x) { return isnan(x); }
template <> K_INLINE bool k_isnan<double>(double x) { return isnan(x); }

// Integer arithmetic wraps, as NumPy's does (signed overflow is not UB here).
template <typename T> K_INLINE T k_add(T a, T b) { typedef typename KUnsigned<T>::type U; return (T)(U)((U)a + (U)b); }
template <typename T> K_INLINE T k_sub(T a, T b) { typedef typename KUnsigned<T>::type U; return (T)(U)((U)a - (U)b); }
template <typename T> K_INLINE T k_mul(T a, T b) { typedef typename KUnsigned<T>::type U; return (T)(U)((U)a * (U)b); }
template <typename T> K_INLINE T k_neg(T a) { typedef typename KUnsigned<T>::type U; return (T)(U)((U)0 - (U)a); }

// Python's floor division and modulo for integers; 0 for a zero divisor (NumPy).
template <typename T> K_INLINE T k_floordiv(T a, T b) {
  if (b == 0) return 0;
  if ((T)-1 < 0 && b == (T)-1) return k_neg(a);  // MIN // -1 wraps to MIN
  T q = a / b;
  if ((a % b) != 0 && ((a < 0) != (b < 0))) q = q - 1;
  return q;
}
template <typename T> K_INLINE T k_mod(T a, T b) {
  if (b == 0) return 0;
  if ((T)-1 < 0 && b == (T)-1) return 0;
  T r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r = r + b;
  return r;
}
template <typename T> K_INLINE T k_ipow(T base, T e) {
  if ((T)-1 < 0 && e < 0) {
    if (base == 1) return 1;
    if (base == (T)-1) return ((long long)e % 2 == 0) ? (T)1 : base;
    return 0;
  }
  unsigned long long k = (unsigned long long)e;
  T acc = 1;
  while (k > 0) {
    if (k & 1) acc = k_mul(acc, base);
    base = k_mul(base, base);
    k >>= 1;
  }
  return acc;
}
template <typename T> K_INLINE T k_shl(T x, T y) {
  typedef typename KUnsigned<T>::type U;
  if ((long long)y < 0 || (long long)y >= (long long)(sizeof(T) * 8)) return 0;
  return (T)(U)((U)x << y);
}
template <typename T> K_INLINE T k_shr(T x, T y) {
  if ((long long)y < 0 || (long long)y >= (long long)(sizeof(T) * 8)) return x < 0 ? (T)-1 : (T)0;
  return (T)(x >> y);
}

// NumPy's float divmod (npy_divmod): modulo with the divisor's sign.
template <typename C> K_INLINE void k_divmod(C a, C b, C* fdiv, C* fmodv) {
  C m = fmod(a, b);
  if (b == (C)0) { *fdiv = a / b; *fmodv = m; return; }
  C div = (a - m) / b;
  if (m != (C)0) {
    if ((b < (C)0) != (m < (C)0)) { m += b; div -= (C)1; }
  } else {
    m = copysign((C)0, b);
  }
  C f;
  if (div != (C)0) {
    f = floor(div);
    if (div - f > (C)0.5) f += (C)1;
  } else {
    f = copysign((C)0, a / b);
  }
  *fdiv = f;
  *fmodv = m;
}
template <typename C> K_INLINE C k_ffloordiv(C a, C b) { C d, m; k_divmod(a, b, &d, &m); return d; }
template <typename C> K_INLINE C k_fmod(C a, C b) { C d, m; k_divmod(a, b, &d, &m); return m; }

// NaN-propagating maximum/minimum (NumPy's maximum/minimum) and fmax/fmin.
template <typename C> K_INLINE C k_max(C x, C y) {
  if (k_isnan(x) || x >= y) return x;
  if (k_isnan(y) || y > x) return y;
  return x;
}
template <typename C> K_INLINE C k_min(C x, C y) {
  if (k_isnan(x) || x <= y) return x;
  if (k_isnan(y) || y < x) return y;
  return x;
}
template <typename C> K_INLINE C k_fmax(C x, C y) { return (k_isnan(y) || x >= y) ? x : y; }
template <typename C> K_INLINE C k_fmin(C x, C y) { return (k_isnan(y) || x <= y) ? x : y; }

template <typename C> K_INLINE C k_logaddexp(C x, C y) {
  const C m = x > y ? x : y;
  if (!isfinite(m)) return m;
  return m + log(exp(x - m) + exp(y - m));
}

// argmax/argmin's running pair; ties and NaNs keep the first index (NumPy).
template <typename C> struct KArg { C v; long long i; };
template <typename C> K_INLINE KArg<C> k_arg(C v, long long i) { KArg<C> r; r.v = v; r.i = i; return r; }
template <typename C> K_INLINE KArg<C> k_argmax_merge(KArg<C> a, KArg<C> b) {
  bool an = k_isnan(a.v), bn = k_isnan(b.v);
  if (an || bn) return (an && (!bn || a.i <= b.i)) ? a : b;
  if (b.v > a.v || (b.v == a.v && b.i < a.i)) return b;
  return a;
}
template <typename C> K_INLINE KArg<C> k_argmin_merge(KArg<C> a, KArg<C> b) {
  bool an = k_isnan(a.v), bn = k_isnan(b.v);
  if (an || bn) return (an && (!bn || a.i <= b.i)) ? a : b;
  if (b.v < a.v || (b.v == a.v && b.i < a.i)) return b;
  return a;
}

// Conversions between dtypes (NumPy's astype): C casts, `x != 0` for bool;
// the half types are specialized where their headers are included.
template <typename To, typename From> struct KCast { static K_INLINE To f(From x) { return (To)x; } };
template <typename To, typename From> K_INLINE To k_cast(From x) { return KCast<To, From>::f(x); }
