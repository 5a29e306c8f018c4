// Fast paths of the functional layer: the common vector instructions on float/half data laid out flat, the
// floating-point Mmad as a blocked, vectorised kernel, and Fixpipe's plain float / float->half conversion.
//
// Every fast path computes bit for bit what the generic element loop computes (vector.cpp, cube.cpp):
//   - float/half +, -, *, / and sqrt in float then rounded to the element type are correctly rounded (float has
//     24 >= 2 x 11 + 2 bits, so rounding to float first is innocuous for half; the generic loop rounds the exact
//     double result once);
//   - Mmad accumulates each C element in double in ascending k order, as the generic loop does; the products of
//     half, bfloat16 and float inputs are exact in double, so fused multiply-adds change nothing.
// The runtime is built without -march (portable to any x86-64 and to aarch64), and binaries with ifunc resolvers
// are refused (elfcheck.py), so there are no target_clones: each kernel is compiled twice, for the baseline and
// for AVX2 + FMA + F16C (x86-64 only), and picked once by __builtin_cpu_supports.
#include "internal.h"

// The 32-byte vector types pass between always-inline helpers only, never across an ABI boundary.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace hawk {

namespace {

typedef double v4d __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef _Float16 v8h __attribute__((vector_size(16)));
typedef uint32_t v8u __attribute__((vector_size(32)));
typedef uint16_t v8s __attribute__((vector_size(16)));

#if defined(__x86_64__)
#define HAWK_FAST_TARGET __attribute__((target("avx2,fma,f16c")))
bool cpu_fast() {
    static int v = -1;
    if (v < 0 && R->cfg.baseline_isa) v = 0;
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    }
    return v == 1;
}
#else
#define HAWK_FAST_TARGET
bool cpu_fast() { return false; }
#endif
#define HAWK_INLINE inline __attribute__((always_inline))
// Broadcasts (never `v{} + x`: +0 + -0 is +0, which would lose a negative zero).
HAWK_INLINE v8f splat8(float x) { return v8f{x, x, x, x, x, x, x, x}; }
HAWK_INLINE v4d splat4(double x) { return v4d{x, x, x, x}; }

// ------------------------------------------------------------------------------------------ vector
template <typename T> HAWK_INLINE v8f ld8(const uint8_t* p) {
    if constexpr (std::is_same_v<T, float>) {
        v8f v;
        std::memcpy(&v, p, 32);
        return v;
    } else if constexpr (std::is_same_v<T, bfloat16_t>) {  // the top 16 bits of a float
        v8s b;
        std::memcpy(&b, p, 16);
        v8u u = __builtin_convertvector(b, v8u) << 16;
        v8f v;
        std::memcpy(&v, &u, 32);
        return v;
    } else {
        v8h h;
        std::memcpy(&h, p, 16);
        return __builtin_convertvector(h, v8f);
    }
}
template <typename T> HAWK_INLINE void st8(uint8_t* p, v8f v) {
    if constexpr (std::is_same_v<T, float>) {
        std::memcpy(p, &v, 32);
    } else if constexpr (std::is_same_v<T, bfloat16_t>) {  // bfloat16_t::from_float, 8 at a time
        v8u u;
        std::memcpy(&u, &v, 32);
        const v8u nan = ((u & 0x7F800000u) == 0x7F800000u) & ((u & 0x007FFFFFu) != 0);
        const v8u r = nan ? ((u >> 16) | 0x40u) : (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
        v8s b = __builtin_convertvector(r, v8s);
        std::memcpy(p, &b, 16);
    } else {
        v8h h = __builtin_convertvector(v, v8h);
        std::memcpy(p, &h, 16);
    }
}
template <typename T> HAWK_INLINE float ld1(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return static_cast<float>(v);
}
template <typename T> HAWK_INLINE void st1(uint8_t* p, float v) {
    T t = static_cast<T>(v);
    std::memcpy(p, &t, sizeof(T));
}

HAWK_INLINE v8f nan_if(v8f v, v8i isnan) {
    const v8f qnan = splat8(__builtin_nanf(""));
    return isnan ? qnan : v;
}

// One op over n elements; D: destination type, S: source type (they differ only for Cast).
template <typename D, typename S, int OP> HAWK_INLINE void vloop(uint8_t* d, const uint8_t* a, const uint8_t* b,
                                                                 uint64_t n, float s) {
    constexpr size_t ED = sizeof(D), ES = sizeof(S);
    const v8f vs = splat8(s);
    uint64_t k = 0;
    auto one8 = [&](v8f x, v8f y) -> v8f {
        switch (OP) {
            case 0: return x + y;
            case 1: return x - y;
            case 2: return x * y;
            case 3: return x / y;
            case 4: return nan_if(x < y ? y : x, (x != x) | (y != y));  // std::max(a, b) = a < b ? b : a
            case 5: return nan_if(y < x ? y : x, (x != x) | (y != y));  // std::min(a, b) = b < a ? b : a
            case 6: return x + vs;
            case 7: return x * vs;
            case 8: return nan_if(x < vs ? vs : x, x != x);
            case 9: return nan_if(vs < x ? vs : x, x != x);
            case 10: return x > 0 ? x : v8f{};  // Relu
            case 11: {                           // Abs: the sign bit cleared
                v8i bits;
                std::memcpy(&bits, &x, 32);
                bits &= 0x7FFFFFFF;
                v8f r;
                std::memcpy(&r, &bits, 32);
                return r;
            }
            case 12: return splat8(1.0f) / x;  // Reciprocal
            case 13: return x;                  // Cast (the conversion is in the load and store)
            default: return x;
        }
    };
    for (; k + 8 <= n; k += 8) {
        v8f x = ld8<S>(a + k * ES);
        v8f y = OP <= 5 ? ld8<S>(b + k * ES) : v8f{};
        st8<D>(d + k * ED, one8(x, y));
    }
    for (; k < n; ++k) {  // the tail, element by element with the same arithmetic
        v8f x = splat8(ld1<S>(a + k * ES));
        v8f y = OP <= 5 ? splat8(ld1<S>(b + k * ES)) : v8f{};
        st1<D>(d + k * ED, one8(x, y)[0]);
    }
}

template <typename D, typename S> HAWK_INLINE bool vdispatch(int op, uint8_t* d, const uint8_t* a, const uint8_t* b,
                                                            uint64_t n, float s) {
    switch (op) {
        case 0: vloop<D, S, 0>(d, a, b, n, s); return true;
        case 1: vloop<D, S, 1>(d, a, b, n, s); return true;
        case 2: vloop<D, S, 2>(d, a, b, n, s); return true;
        case 3: vloop<D, S, 3>(d, a, b, n, s); return true;
        case 4: vloop<D, S, 4>(d, a, b, n, s); return true;
        case 5: vloop<D, S, 5>(d, a, b, n, s); return true;
        case 6: vloop<D, S, 6>(d, a, b, n, s); return true;
        case 7: vloop<D, S, 7>(d, a, b, n, s); return true;
        case 8: vloop<D, S, 8>(d, a, b, n, s); return true;
        case 9: vloop<D, S, 9>(d, a, b, n, s); return true;
        case 10: vloop<D, S, 10>(d, a, b, n, s); return true;
        case 11: vloop<D, S, 11>(d, a, b, n, s); return true;
        case 12: vloop<D, S, 12>(d, a, b, n, s); return true;
        case 13: vloop<D, S, 13>(d, a, b, n, s); return true;
        default: return false;
    }
}

// Transcendental ops element by element, in double as the generic loop computes them, then rounded to float (the
// half results of the hardware's transcendental units are computed in float) and stored.
template <typename T, int OP> HAWK_INLINE void sloop(uint8_t* d, const uint8_t* a, uint64_t n) {
    for (uint64_t k = 0; k < n; ++k) {
        const double x = static_cast<double>(ld1<T>(a + k * sizeof(T)));
        double v;
        switch (OP) {
            case 14: v = std::exp(x); break;
            case 15: v = std::log(x); break;
            case 16: v = std::sqrt(x); break;
            default: v = 1.0 / std::sqrt(x); break;
        }
        st1<T>(d + k * sizeof(T), static_cast<float>(v));
    }
}
template <typename T> HAWK_INLINE bool sdispatch(int op, uint8_t* d, const uint8_t* a, uint64_t n) {
    switch (op) {
        case 14: sloop<T, 14>(d, a, n); return true;
        case 15: sloop<T, 15>(d, a, n); return true;
        case 16: sloop<T, 16>(d, a, n); return true;
        case 17: sloop<T, 17>(d, a, n); return true;
        default: return false;
    }
}

HAWK_INLINE bool vec_body(int op, DT d, DT s, uint8_t* dst, const uint8_t* a, const uint8_t* b, uint64_t n,
                          float sc) {
    if (op >= 14) {
        if (d != s) return false;
        if (d == DT::F32) return sdispatch<float>(op, dst, a, n);
        if (d == DT::F16) return sdispatch<_Float16>(op, dst, a, n);
        return false;
    }
    if (op == 13) {
        if (d == DT::F32 && s == DT::F16) return vdispatch<float, _Float16>(op, dst, a, b, n, sc);
        if (d == DT::F16 && s == DT::F32) return vdispatch<_Float16, float>(op, dst, a, b, n, sc);
        if (d == DT::F32 && s == DT::BF16) return vdispatch<float, bfloat16_t>(op, dst, a, b, n, sc);
        if (d == DT::BF16 && s == DT::F32) return vdispatch<bfloat16_t, float>(op, dst, a, b, n, sc);
        return false;
    }
    if (d != s) return false;
    if (d == DT::F32) return vdispatch<float, float>(op, dst, a, b, n, sc);
    if (d == DT::F16) return vdispatch<_Float16, _Float16>(op, dst, a, b, n, sc);
    return false;
}

HAWK_FAST_TARGET bool vec_fast_avx2(int op, DT d, DT s, uint8_t* dst, const uint8_t* a, const uint8_t* b, uint64_t n,
                                    float sc) {
    return vec_body(op, d, s, dst, a, b, n, sc);
}
bool vec_fast_base(int op, DT d, DT s, uint8_t* dst, const uint8_t* a, const uint8_t* b, uint64_t n, float sc) {
    return vec_body(op, d, s, dst, a, b, n, sc);
}

int fast_op(VOp op) {
    switch (op) {
        case VOp::ADD: return 0;
        case VOp::SUB: return 1;
        case VOp::MUL: return 2;
        case VOp::DIV: return 3;
        case VOp::MAX: return 4;
        case VOp::MIN: return 5;
        case VOp::ADDS: return 6;
        case VOp::MULS: return 7;
        case VOp::MAXS: return 8;
        case VOp::MINS: return 9;
        case VOp::RELU: return 10;
        case VOp::ABS: return 11;
        case VOp::RECIP: return 12;
        case VOp::CAST: return 13;
        case VOp::EXP: return 14;
        case VOp::LN: return 15;
        case VOp::SQRT: return 16;
        case VOp::RSQRT: return 17;
        default: return -1;
    }
}

// ------------------------------------------------------------------------------------------ Mmad
constexpr uint64_t MR = 4, NR = 8;  // register block: 4 rows x 8 columns of C (8 AVX2 accumulators)

// C[m4 x n8] (row-major, doubles) = Ap x Bp: Ap in 4-row panels, k-major inside (Ap[p][k][r]); Bp in 8-column
// panels, k-major inside (Bp[q][k][c]), so the kernel reads both contiguously. Each C element is summed in
// ascending k.
HAWK_INLINE void gemm_body(const double* Ap, const double* Bp, double* C, uint64_t m4, uint64_t n8, uint64_t K) {
    for (uint64_t j0 = 0; j0 < n8; j0 += NR) {
        for (uint64_t i0 = 0; i0 < m4; i0 += MR) {
            const double* ap = Ap + i0 * K;
            v4d c00{}, c01{}, c10{}, c11{}, c20{}, c21{}, c30{}, c31{};
            const double* bp = Bp + j0 * K;
            for (uint64_t k = 0; k < K; ++k, ap += MR, bp += NR) {
                v4d b0, b1;
                std::memcpy(&b0, bp, 32);
                std::memcpy(&b1, bp + 4, 32);
                v4d a0 = splat4(ap[0]), a1 = splat4(ap[1]), a2 = splat4(ap[2]), a3 = splat4(ap[3]);
                c00 += a0 * b0;
                c01 += a0 * b1;
                c10 += a1 * b0;
                c11 += a1 * b1;
                c20 += a2 * b0;
                c21 += a2 * b1;
                c30 += a3 * b0;
                c31 += a3 * b1;
            }
            double* c = C + i0 * n8 + j0;
            std::memcpy(c, &c00, 32);
            std::memcpy(c + 4, &c01, 32);
            std::memcpy(c + n8, &c10, 32);
            std::memcpy(c + n8 + 4, &c11, 32);
            std::memcpy(c + 2 * n8, &c20, 32);
            std::memcpy(c + 2 * n8 + 4, &c21, 32);
            std::memcpy(c + 3 * n8, &c30, 32);
            std::memcpy(c + 3 * n8 + 4, &c31, 32);
        }
    }
}
HAWK_FAST_TARGET void gemm_avx2(const double* Ap, const double* Bp, double* C, uint64_t m4, uint64_t n8,
                                uint64_t K) {
    gemm_body(Ap, Bp, C, m4, n8, K);
}
void gemm_base(const double* Ap, const double* Bp, double* C, uint64_t m4, uint64_t n8, uint64_t K) {
    gemm_body(Ap, Bp, C, m4, n8, K);
}

template <typename T> HAWK_INLINE double val(const uint8_t* p, uint64_t i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    if constexpr (std::is_same_v<T, float>) {
        return static_cast<double>(v);
    } else {  // half and bfloat16 through float (exact): F16C converts half to float, not to double
        return static_cast<double>(static_cast<float>(v));
    }
}

// Elements [i, i + n) (n <= 64) of T as doubles: half in groups of 8 through float (GCC would fold a scalar
// half -> float -> double into libgcc's half -> double call, which F16C lacks).
template <typename T> HAWK_INLINE void vals(const uint8_t* p, uint64_t i, uint64_t n, double* out) {
    if constexpr (std::is_same_v<T, _Float16>) {
        float f[64];
        uint64_t k = 0;
        for (; k + 8 <= n; k += 8) {
            v8f v = ld8<_Float16>(p + (i + k) * 2);
            std::memcpy(f + k, &v, 32);
        }
        for (; k < n; ++k) f[k] = ld1<_Float16>(p + (i + k) * 2);
        for (k = 0; k < n; ++k) out[k] = f[k];
    } else {
        for (uint64_t k = 0; k < n; ++k) out[k] = val<T>(p, i + k);
    }
}

// Unpacks A (Zz fractals, or ND for GEMV) and B (Zn fractals) into the kernel's panels, converting in bulk.
template <typename T> HAWK_INLINE void pack_body(const uint8_t* A, const uint8_t* B, double* Ap, double* Bp,
                                                 const MmadFast& f) {
    const uint64_t c0 = f.c0, frac = f.frac, m4 = (f.m + MR - 1) / MR * MR, n8 = (f.n + NR - 1) / NR * NR;
    const uint64_t k1 = (f.k + c0 - 1) / c0;
    std::memset(Ap, 0, m4 * f.k * sizeof(double));  // padding rows
    if (f.gemv) {
        for (uint64_t k = 0; k < f.k; ++k) Ap[k * MR] = val<T>(A, k);
    } else {
        for (uint64_t ib = 0; ib < f.m1; ++ib)
            for (uint64_t kb = 0; kb < k1; ++kb) {  // fractal (ib, kb): 16 rows (i) x c0 (k), row-major
                const uint64_t base = (ib * f.k1_row + kb) * frac, kn = std::min(c0, f.k - kb * c0);
                for (uint64_t r = 0; r < 16 && ib * 16 + r < f.m; ++r) {
                    const uint64_t i = ib * 16 + r;
                    double* ap = Ap + (i / MR) * MR * f.k + i % MR + kb * c0 * MR;
                    double row[64];
                    vals<T>(A, base + r * c0, kn, row);
                    for (uint64_t c = 0; c < kn; ++c) ap[c * MR] = row[c];
                }
            }
    }
    for (uint64_t j = f.n; j < n8; ++j)  // padding columns of the last panel
        for (uint64_t k = 0; k < f.k; ++k) Bp[(j / NR) * NR * f.k + k * NR + j % NR] = 0;
    for (uint64_t kb = 0; kb < k1; ++kb)
        for (uint64_t jb = 0; jb < f.n1; ++jb) {  // fractal (kb, jb): 16 (j) x c0 (k), row-major
            const uint64_t base = (kb * f.n1 + jb) * frac, kn = std::min(c0, f.k - kb * c0);
            for (uint64_t r = 0; r < 16 && jb * 16 + r < f.n; ++r) {
                const uint64_t j = jb * 16 + r;
                double* bp = Bp + (j / NR) * NR * f.k + kb * c0 * NR + j % NR;
                double row[64];
                vals<T>(B, base + r * c0, kn, row);
                for (uint64_t c = 0; c < kn; ++c) bp[c * NR] = row[c];
            }
        }
}
HAWK_INLINE void pack_any(const uint8_t* A, const uint8_t* B, double* Ap, double* Bp, const MmadFast& f) {
    if (f.dt == DT::F16) pack_body<_Float16>(A, B, Ap, Bp, f);
    else if (f.dt == DT::BF16) pack_body<bfloat16_t>(A, B, Ap, Bp, f);
    else pack_body<float>(A, B, Ap, Bp, f);
}
HAWK_FAST_TARGET void pack_avx2(const uint8_t* A, const uint8_t* B, double* Ap, double* Bp, const MmadFast& f) {
    pack_any(A, B, Ap, Bp, f);
}
void pack_base(const uint8_t* A, const uint8_t* B, double* Ap, double* Bp, const MmadFast& f) {
    pack_any(A, B, Ap, Bp, f);
}

// ------------------------------------------------------------------------------------------ Fixpipe
template <typename D> HAWK_INLINE void fix_body(const uint8_t* S, uint8_t* Dst, const FixFast& f) {
    for (uint64_t t = 0; t < f.nd_num; ++t)
        for (uint64_t i = 0; i < f.m; ++i)
            for (uint64_t g0 = 0; g0 * 16 < f.n; ++g0) {
                const uint8_t* src = S + t * f.src_nd_step + (g0 * f.src_stride * 16 + i * 16) * 4;
                uint8_t* dst = Dst + (t * f.dst_nd_stride + i * f.dst_stride + g0 * 16) * sizeof(D);
                const uint64_t cn = std::min<uint64_t>(16, f.n - g0 * 16);
                uint64_t c = 0;
                for (; c + 8 <= cn; c += 8) {
                    v8f v = ld8<float>(src + c * 4);
                    if (f.relu) v = v < 0 ? v8f{} : v;
                    st8<D>(dst + c * sizeof(D), v);
                }
                for (; c < cn; ++c) {
                    float v = ld1<float>(src + c * 4);
                    if (f.relu && v < 0) v = 0;
                    st1<D>(dst + c * sizeof(D), v);
                }
            }
}
HAWK_INLINE void fix_any(const uint8_t* S, uint8_t* D, const FixFast& f) {
    if (f.to_half) fix_body<_Float16>(S, D, f);
    else fix_body<float>(S, D, f);
}
HAWK_FAST_TARGET void fix_avx2(const uint8_t* S, uint8_t* D, const FixFast& f) { fix_any(S, D, f); }
void fix_base(const uint8_t* S, uint8_t* D, const FixFast& f) { fix_any(S, D, f); }

}  // namespace

bool fixpipe_fast(const FixFast& f, const uint8_t* S, uint8_t* D) {
    if (R->cfg.generic_math) return false;
    if (cpu_fast()) fix_avx2(S, D, f);
    else fix_base(S, D, f);
    return true;
}

bool vec_fast(VOp op, DT d, DT s, uint8_t* dst, const uint8_t* a, const uint8_t* b, uint64_t n, double scalar) {
    const int o = fast_op(op);
    if (o < 0 || R->cfg.generic_math) return false;
    const float sc = static_cast<float>(scalar);  // the caller rounded it to the element type
    return cpu_fast() ? vec_fast_avx2(o, d, s, dst, a, b, n, sc) : vec_fast_base(o, d, s, dst, a, b, n, sc);
}

bool mmad_fast(const MmadFast& f, const uint8_t* A, const uint8_t* B, uint8_t* C, const uint8_t* BIAS) {
    if ((f.dt != DT::F16 && f.dt != DT::BF16 && f.dt != DT::F32) || R->cfg.generic_math) return false;
    const uint64_t m4 = (f.m + MR - 1) / MR * MR, n8 = (f.n + NR - 1) / NR * NR;
    static std::vector<double> ap, bp, cc;  // the cores of a launch run one at a time on one thread
    ap.resize(m4 * f.k);
    bp.resize(f.k * n8);
    cc.resize(m4 * n8);
    const bool fast = cpu_fast();
    if (fast) {
        pack_avx2(A, B, ap.data(), bp.data(), f);
        gemm_avx2(ap.data(), bp.data(), cc.data(), m4, n8, f.k);
    } else {
        pack_base(A, B, ap.data(), bp.data(), f);
        gemm_base(ap.data(), bp.data(), cc.data(), m4, n8, f.k);
    }
    // C (Nz: fractals [n1][m1] of 16 x 16) = float(previous + sum), as the generic loop rounds it, in its order
    // (i, then j: a bias in L0C at C itself is read before the element it is written to).
    for (uint64_t i = 0; i < f.m; ++i) {
        const double* row = cc.data() + i * n8;
        uint8_t* crow = C + ((i / 16) * 256 + (i % 16) * 16) * 4;
        for (uint64_t jb = 0; jb * 16 < f.n; ++jb) {
            float* o = reinterpret_cast<float*>(crow + jb * f.m1 * 1024);
            const uint64_t jn = std::min<uint64_t>(16, f.n - jb * 16);
            for (uint64_t c = 0; c < jn; ++c) {
                const uint64_t j = jb * 16 + c;
                float prev = 0;
                if (BIAS != nullptr) {
                    std::memcpy(&prev, BIAS + j * 4, 4);
                } else if (!f.init_zero) {
                    prev = o[c];
                }
                o[c] = static_cast<float>(static_cast<double>(prev) + row[j]);
            }
        }
    }
    return true;
}

}  // namespace hawk
