// ---- float16 <-> bfloat16 (both partial specializations match) ----
template <> struct KCast<__half, __nv_bfloat16> { static K_INLINE __half f(__nv_bfloat16 x) { return __float2half_rn(__bfloat162float(x)); } };
template <> struct KCast<__nv_bfloat16, __half> { static K_INLINE __nv_bfloat16 f(__half x) { return __float2bfloat16_rn(__half2float(x)); } };
