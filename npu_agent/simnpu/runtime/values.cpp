// Numeric semantics: loads, stores and rounding per dtype, and Cast with its RoundModes.
#include "internal.h"

namespace hawk {

// ------------------------------------------------------------------------------- scalar conversions
namespace {
template <typename T> double ld(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if constexpr (std::is_same_v<T, bfloat16_t>) {
        return static_cast<double>(static_cast<float>(v));
    } else {
        return static_cast<double>(v);
    }
}
}  // namespace

double load(DT d, const uint8_t* p) {
    switch (d) {
        case DT::F16: return ld<half>(p);
        case DT::BF16: return ld<bfloat16_t>(p);
        case DT::F32: return ld<float>(p);
        case DT::I8: return ld<int8_t>(p);
        case DT::I16: return ld<int16_t>(p);
        case DT::I32: return ld<int32_t>(p);
        case DT::U8: return ld<uint8_t>(p);
        case DT::I64: return ld<int64_t>(p);
        case DT::U16: return ld<uint16_t>(p);
        case DT::U32: return ld<uint32_t>(p);
        case DT::U64: return ld<uint64_t>(p);
        case DT::I4: return i4_get(p, 0);  // the element in the low nibble (callers index int4b_t with i4_get)
        default: return 0;
    }
}

namespace {
uint16_t bf16_from_double(double v) { return bfloat16_t::from_float(static_cast<float>(v)); }

// Stores v with round-to-nearest-even (floats) or wrap-around (integers); integer stores of NaN give 0.
}  // namespace

void store(DT d, uint8_t* p, double v) {
    switch (d) {
        case DT::F16: { half h = static_cast<half>(v); std::memcpy(p, &h, 2); break; }
        case DT::BF16: { uint16_t b = bf16_from_double(v); std::memcpy(p, &b, 2); break; }
        case DT::F32: { float f = static_cast<float>(v); std::memcpy(p, &f, 4); break; }
        case DT::I4: i4_set(p, 0, std::isfinite(v) ? static_cast<int32_t>(static_cast<int64_t>(v)) : 0); break;
        default: {
            int64_t i = std::isfinite(v) ? static_cast<int64_t>(v) : 0;
            std::memcpy(p, &i, dt_size(d));  // little-endian: the low bytes, i.e. wrap-around
        }
    }
}

namespace {
double fdiv(double a, double b) { return a / b; }

// Result of an arithmetic op on values exactly loaded from T, rounded once to T (IEEE fp16/fp32 semantics).
}  // namespace

double round_to(DT d, double v) {
    uint8_t tmp[8];
    store(d, tmp, v);
    return load(d, tmp);
}

// --- Cast with RoundMode --------------------------------------------------------------------------

namespace {
uint64_t fbits(DT d, double v) {
    uint8_t t[8] = {};
    store(d, t, v);
    uint64_t b = 0;
    std::memcpy(&b, t, dt_size(d));
    return b;
}
double fromfbits(DT d, uint64_t b) {
    uint8_t t[8] = {};
    std::memcpy(t, &b, dt_size(d));
    return load(d, t);
}
// The representable neighbour of r (in float dtype d) in the direction of `up`.
double fnext(DT d, double r, bool up) {
    if (r == 0) {
        return fromfbits(d, 1) * (up ? 1 : -1);
    }
    uint64_t b = fbits(d, r);
    bool neg = r < 0;
    if (up != neg) ++b; else --b;
    return fromfbits(d, b);
}
}  // namespace

double round_integral(double v, int mode) {
    if (!std::isfinite(v) || std::fabs(v) >= 4503599627370496.0) return v;  // 2^52: already integral
    switch (mode) {
        case FLOOR: return std::floor(v);
        case CEIL: return std::ceil(v);
        case ROUND: return std::round(v);
        case TRUNC: return std::trunc(v);
        case RINT: return std::nearbyint(v);
        default: return v;
    }
}

double cast_value(DT dst, double v, int mode) {
    if (is_float(dst)) {
        if (std::isnan(v) || std::isinf(v)) return round_to(dst, v);
        double r = round_to(dst, v);
        if (r == v || !std::isfinite(r)) return r;
        switch (mode) {
            case FLOOR: return r > v ? fnext(dst, r, false) : r;
            case CEIL: return r < v ? fnext(dst, r, true) : r;
            case TRUNC: return std::fabs(r) > std::fabs(v) ? fnext(dst, r, v < 0) : r;
            case ROUND: {
                double lo = r > v ? fnext(dst, r, false) : r, hi = r < v ? fnext(dst, r, true) : r;
                double dl = v - lo, dh = hi - v;
                if (dl == dh) return std::fabs(lo) > std::fabs(hi) ? lo : hi;
                return dl < dh ? lo : hi;
            }
            case ODD: {
                uint64_t b = fbits(dst, r);
                if (b & 1) return r;
                return r > v ? fnext(dst, r, false) : fnext(dst, r, true);
            }
            default: return r;
        }
    }
    if (std::isnan(v)) return 0;
    double r;
    switch (mode) {
        case FLOOR: r = std::floor(v); break;
        case CEIL: r = std::ceil(v); break;
        case ROUND: r = std::round(v); break;
        case TRUNC: r = std::trunc(v); break;
        default: r = std::nearbyint(v); break;
    }
    double lo, hi;
    switch (dst) {
        case DT::I8: lo = -128; hi = 127; break;
        case DT::U8: lo = 0; hi = 255; break;
        case DT::I16: lo = -32768; hi = 32767; break;
        case DT::U16: lo = 0; hi = 65535; break;
        case DT::I32: lo = -2147483648.0; hi = 2147483647.0; break;
        case DT::U32: lo = 0; hi = 4294967295.0; break;
        default: lo = -9.2e18; hi = 9.2e18; break;
    }
    return std::min(hi, std::max(lo, r));  // float to integer conversions saturate
}

}  // namespace hawk
