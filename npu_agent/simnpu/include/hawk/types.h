// Element types of Ascend C: half (IEEE binary16, every operation rounded to half), bfloat16_t (rounded to
// nearest even from float), and the mapping from C++ types to the twin's dtype tags.
#ifndef HAWK_TYPES_H
#define HAWK_TYPES_H

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hawk/runtime.h"

// GCC implements _Float16 arithmetic by rounding each operation to binary16, as the hardware does.
using half = _Float16;

// bfloat16: storage of the top 16 bits of a float; conversions from float round to nearest even.
struct bfloat16_t {
    uint16_t bits;
    bfloat16_t() = default;
    bfloat16_t(float f) : bits(from_float(f)) {}                 // NOLINT: implicit like the device type
    bfloat16_t(double d) : bits(from_float(static_cast<float>(d))) {}
    bfloat16_t(int v) : bits(from_float(static_cast<float>(v))) {}
    bfloat16_t(half h) : bits(from_float(static_cast<float>(h))) {}
    operator float() const {                                     // NOLINT
        uint32_t u = static_cast<uint32_t>(bits) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
    static uint16_t from_float(float f) {
        uint32_t u;
        std::memcpy(&u, &f, 4);
        if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu)) return static_cast<uint16_t>((u >> 16) | 0x40u);
        u += 0x7FFFu + ((u >> 16) & 1u);
        return static_cast<uint16_t>(u >> 16);
    }
};
using bfloat16 = bfloat16_t;

namespace AscendC {
// int4b_t: a 4-bit two's-complement integer in [-8, 7]. In memory two elements share a byte, element 2i in the low
// nibble and 2i + 1 in the high one (LoadDataWithTranspose.md: "7 high, 6 low" gives 0x76), so tensor sizes and
// offsets count half bytes; sizeof(int4b_t) is still 1, as on the device. A value converts from and to integers.
struct int4b_t {
    uint8_t storage = 0;
    int4b_t() = default;
    int4b_t(int32_t v) : storage(static_cast<uint8_t>(v) & 0xF) {}            // NOLINT: implicit like the device type
    int4b_t(uint32_t v) : storage(static_cast<uint8_t>(v) & 0xF) {}           // NOLINT
    operator int8_t() const { return static_cast<int8_t>(storage & 0x8 ? storage | 0xF0 : storage); }  // NOLINT
    bool operator==(const int4b_t& o) const { return storage == o.storage; }
    bool operator!=(const int4b_t& o) const { return storage != o.storage; }
};
}  // namespace AscendC

namespace hawk {

template <typename T> struct dt_of { static constexpr DT value = DT::NONE; };
template <> struct dt_of<half> { static constexpr DT value = DT::F16; };
template <> struct dt_of<bfloat16_t> { static constexpr DT value = DT::BF16; };
template <> struct dt_of<float> { static constexpr DT value = DT::F32; };
template <> struct dt_of<int8_t> { static constexpr DT value = DT::I8; };
template <> struct dt_of<int16_t> { static constexpr DT value = DT::I16; };
template <> struct dt_of<int32_t> { static constexpr DT value = DT::I32; };
template <> struct dt_of<uint8_t> { static constexpr DT value = DT::U8; };
template <> struct dt_of<int64_t> { static constexpr DT value = DT::I64; };
template <> struct dt_of<uint16_t> { static constexpr DT value = DT::U16; };
template <> struct dt_of<uint32_t> { static constexpr DT value = DT::U32; };
template <> struct dt_of<uint64_t> { static constexpr DT value = DT::U64; };
template <> struct dt_of<AscendC::int4b_t> { static constexpr DT value = DT::I4; };

template <typename T> constexpr DT dt_v = dt_of<T>::value;

// Bytes of n elements of T (int4b_t: half a byte each, as the device's tensors count them; an odd count rounds down
// like CANN's dataLen = size * 4 / 8).
template <typename T> constexpr uint64_t elem_bytes(uint64_t n) {
    if constexpr (std::is_same_v<T, AscendC::int4b_t>) {
        return n / 2;
    } else {
        return n * sizeof(T);
    }
}
// Elements of T in `bytes` bytes.
template <typename T> constexpr uint64_t elems_in(uint64_t bytes) {
    if constexpr (std::is_same_v<T, AscendC::int4b_t>) {
        return bytes * 2;
    } else {
        return bytes / sizeof(T);
    }
}

// The scalar's bit pattern in its own type (Duplicate and Select of integer types need exact bits).
template <typename T> inline uint64_t bits_of(const T& v) {
    uint64_t out = 0;
    std::memcpy(&out, &v, sizeof(T));
    return out;
}

}  // namespace hawk

#endif  // HAWK_TYPES_H
