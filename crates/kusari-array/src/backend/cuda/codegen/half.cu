// ---- float16: stored as __half, computed in float ----
#include <cuda_fp16.h>
template <typename From> struct KCast<__half, From> { static K_INLINE __half f(From x) { return __float2half_rn((float)x); } };
template <> struct KCast<__half, double> { static K_INLINE __half f(double x) { return __double2half(x); } };
template <typename To> struct KCast<To, __half> { static K_INLINE To f(__half x) { return (To)__half2float(x); } };
template <> struct KCast<__half, __half> { static K_INLINE __half f(__half x) { return x; } };
