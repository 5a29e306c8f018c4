// kernel_tiling/kernel_tiling.h of the twin: the tiling structs of CANN's high-level APIs, with the fields their
// documentation lists (asc-devkit docs: TCubeTiling结构体.md, SoftMax-Tiling使用说明.md). On the device the host
// has optiling::X (a BEGIN_TILING_DATA_DEF class with set_/get_) and the kernel a plain struct X of the same
// layout; on the twin host and kernel share one translation unit, so X is optiling::X in both.
// The high-level APIs that consume them (Matmul, SoftMax) are not part of this header.
#ifndef HAWK_KERNEL_TILING_H
#define HAWK_KERNEL_TILING_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hawk/tiling.h"

#define HAWK_TILING_STRUCT_BODY                                                                              \
    size_t GetDataSize() const { return sizeof(*this); }                                                    \
    void SaveToBuffer(void* buf, size_t capacity) const {                                                   \
        if (buf != nullptr && capacity >= sizeof(*this))                                                    \
            std::memcpy(buf, static_cast<const void*>(this), sizeof(*this));                                \
    }

namespace optiling {

// Matmul: one core's split of C = A x B (all counts in elements).
struct TCubeTiling {
    HAWK_TILING_STRUCT_BODY
    TILING_DATA_FIELD_DEF(int32_t, usedCoreNum);
    TILING_DATA_FIELD_DEF(int32_t, M);
    TILING_DATA_FIELD_DEF(int32_t, N);
    TILING_DATA_FIELD_DEF(int32_t, Ka);
    TILING_DATA_FIELD_DEF(int32_t, Kb);
    TILING_DATA_FIELD_DEF(int32_t, singleCoreM);
    TILING_DATA_FIELD_DEF(int32_t, singleCoreN);
    TILING_DATA_FIELD_DEF(int32_t, singleCoreK);
    TILING_DATA_FIELD_DEF(int32_t, baseM);
    TILING_DATA_FIELD_DEF(int32_t, baseN);
    TILING_DATA_FIELD_DEF(int32_t, baseK);
    TILING_DATA_FIELD_DEF(int32_t, depthA1);
    TILING_DATA_FIELD_DEF(int32_t, depthB1);
    TILING_DATA_FIELD_DEF(int32_t, stepM);
    TILING_DATA_FIELD_DEF(int32_t, stepN);
    TILING_DATA_FIELD_DEF(int32_t, isBias);
    TILING_DATA_FIELD_DEF(int32_t, transLength);
    TILING_DATA_FIELD_DEF(int32_t, iterateOrder);
    TILING_DATA_FIELD_DEF(int32_t, shareMode);
    TILING_DATA_FIELD_DEF(int32_t, shareL1Size);
    TILING_DATA_FIELD_DEF(int32_t, shareL0CSize);
    TILING_DATA_FIELD_DEF(int32_t, shareUbSize);
    TILING_DATA_FIELD_DEF(int32_t, batchM);
    TILING_DATA_FIELD_DEF(int32_t, batchN);
    TILING_DATA_FIELD_DEF(int32_t, singleBatchM);
    TILING_DATA_FIELD_DEF(int32_t, singleBatchN);
    TILING_DATA_FIELD_DEF(int32_t, stepKa);
    TILING_DATA_FIELD_DEF(int32_t, stepKb);
    TILING_DATA_FIELD_DEF(int32_t, dbL0A);
    TILING_DATA_FIELD_DEF(int32_t, dbL0B);
    TILING_DATA_FIELD_DEF(int32_t, dbL0C);
    TILING_DATA_FIELD_DEF(int32_t, mxTypePara);
};

// SoftMax and its variants: the row split of an [M, K] input.
struct SoftMaxTiling {
    HAWK_TILING_STRUCT_BODY
    TILING_DATA_FIELD_DEF(uint32_t, srcM);
    TILING_DATA_FIELD_DEF(uint32_t, srcK);
    TILING_DATA_FIELD_DEF(uint32_t, srcSize);
    TILING_DATA_FIELD_DEF(uint32_t, outMaxM);
    TILING_DATA_FIELD_DEF(uint32_t, outMaxK);
    TILING_DATA_FIELD_DEF(uint32_t, outMaxSize);
    TILING_DATA_FIELD_DEF(uint32_t, splitM);
    TILING_DATA_FIELD_DEF(uint32_t, splitK);
    TILING_DATA_FIELD_DEF(uint32_t, splitSize);
    TILING_DATA_FIELD_DEF(uint32_t, reduceM);
    TILING_DATA_FIELD_DEF(uint32_t, reduceK);
    TILING_DATA_FIELD_DEF(uint32_t, reduceSize);
    TILING_DATA_FIELD_DEF(uint32_t, rangeM);
    TILING_DATA_FIELD_DEF(uint32_t, tailM);
    TILING_DATA_FIELD_DEF(uint32_t, tailSplitSize);
    TILING_DATA_FIELD_DEF(uint32_t, tailReduceSize);
};

}  // namespace optiling

// Kernel-side names of the same structs.
using TCubeTiling = optiling::TCubeTiling;
using SoftMaxTiling = optiling::SoftMaxTiling;
namespace AscendC {
namespace tiling {
using TCubeTiling = optiling::TCubeTiling;
using SoftMaxTiling = optiling::SoftMaxTiling;
}  // namespace tiling
}  // namespace AscendC

#undef HAWK_TILING_STRUCT_BODY

#endif  // HAWK_KERNEL_TILING_H
