// ---- bfloat16: stored as __nv_bfloat16, computed in float ----
#include <cuda_bf16.h>
template <typename From> struct KCast<__nv_bfloat16, From> { static K_INLINE __nv_bfloat16 f(From x) { return __float2bfloat16_rn((float)x); } };
template <> struct KCast<__nv_bfloat16, double> { static K_INLINE __nv_bfloat16 f(double x) { return __double2bfloat16(x); } };
template <typename To> struct KCast<To, __nv_bfloat16> { static K_INLINE To f(__nv_bfloat16 x) { return (To)__bfloat162float(x); } };
template <> struct KCast<__nv_bfloat16, __nv_bfloat16> { static K_INLINE __nv_bfloat16 f(__nv_bfloat16 x) { return x; } };
