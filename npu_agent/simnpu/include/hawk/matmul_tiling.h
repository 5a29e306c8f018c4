// The Matmul tiling struct TCubeTiling (host and kernel) and the host tiling classes of the Matmul high-level API
// (matmul_tiling::MatmulApiTiling / MultiCoreMatmulTiling / BatchMatmulTiling), as documented for CANN's
// "Matmul Tiling" class. Our own code written from the public documentation. A candidate is one C++ program, so
// the host's optiling::TCubeTiling and the kernel's AscendC::tiling::TCubeTiling (global TCubeTiling) are one type:
// plain int32 fields in the documented order (kernels copy it word by word or pass it by value) with the set_/get_
// accessors of a tiling-data class. The tiling algorithm itself runs in the runtime (runtime/matmul.cpp).
#ifndef HAWK_MATMUL_TILING_H
#define HAWK_MATMUL_TILING_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hawk/tensor.h"
#include "hawk/tiling.h"

// Matrix formats of the Matmul API (kernel MatmulType and host SetAType/...); one enum for both sides.
enum class CubeFormat : int32_t { ND = 0, NZ, ZN, ZZ, NN, ND_ALIGN, SCALAR, VECTOR, COLUMN_MAJOR, ROW_MAJOR = ND };

// The documented TCubeTiling fields, in order.
#define HAWK_TCUBE_FIELDS(X)                                                                                   \
    X(usedCoreNum) X(M) X(N) X(Ka) X(Kb) X(singleCoreM) X(singleCoreN) X(singleCoreK) X(baseM) X(baseN)      \
    X(baseK) X(depthA1) X(depthB1) X(stepM) X(stepN) X(isBias) X(transLength) X(iterateOrder) X(shareMode)    \
    X(shareL1Size) X(shareL0CSize) X(shareUbSize) X(batchM) X(batchN) X(singleBatchM) X(singleBatchN)         \
    X(stepKa) X(stepKb) X(depthAL1CacheUB) X(depthBL1CacheUB) X(dbL0A) X(dbL0B) X(dbL0C) X(ALayoutInfoB)      \
    X(ALayoutInfoS) X(ALayoutInfoN) X(ALayoutInfoG) X(ALayoutInfoD) X(BLayoutInfoB) X(BLayoutInfoS)           \
    X(BLayoutInfoN) X(BLayoutInfoG) X(BLayoutInfoD) X(CLayoutInfoB) X(CLayoutInfoS1) X(CLayoutInfoN)          \
    X(CLayoutInfoG) X(CLayoutInfoS2) X(BatchNum) X(mxTypePara)

namespace AscendC {
namespace tiling {
struct TCubeTiling {
#define HAWK_TCUBE_FIELD(f)                                                                                    \
    int32_t f = 0;                                                                                             \
    void set_##f(int32_t v) { f = v; }                                                                         \
    int32_t get_##f() const { return f; }
    HAWK_TCUBE_FIELDS(HAWK_TCUBE_FIELD)
#undef HAWK_TCUBE_FIELD
    size_t GetDataSize() const { return sizeof(*this); }
    void SaveToBuffer(void* buf, size_t capacity) const {
        if (buf != nullptr && capacity >= sizeof(*this)) std::memcpy(buf, static_cast<const void*>(this), sizeof(*this));
    }
};
}  // namespace tiling
}  // namespace AscendC
using AscendC::tiling::TCubeTiling;
namespace optiling {
using ::AscendC::tiling::TCubeTiling;
}  // namespace optiling

namespace platform_ascendc {
class PlatformAscendC;
}

// ------------------------------------------------------------------------------------------- host tiling
namespace matmul_tiling {
using DataType = ge::DataType;
enum class MatrixTraverse : int32_t { NOSET = 0, FIRSTM = 1, FIRSTN = 2 };
enum class MatrixMadType : int32_t { NORMAL = 0, HF32 = 1, MXMODE = 2 };
enum class DequantType : int32_t { SCALAR = 0, TENSOR = 1 };
enum class ScheduleType : int32_t { INNER_PRODUCT = 0, OUTER_PRODUCT = 1, N_BUFFER_33 = 2 };
enum class L0CReuseType : int32_t { NONE = 0 };
struct SysTilingTempBufSize {
    int32_t ubSize = 0;
    int32_t l1Size = 0;
    int32_t l0cSize = 0;
};
struct MatmulConfigParams {
    int32_t mmConfigType = 1;
    bool enableL1CacheUB = false;
    ScheduleType scheduleType = ScheduleType::INNER_PRODUCT;
    MatrixTraverse traverse = MatrixTraverse::NOSET;
    bool enVecND2NZ = false;
};
}  // namespace matmul_tiling

namespace hawk {
// What a host tiling object was told (set_*), handed to the runtime's tiling algorithm.
struct MmOperandDesc {
    int32_t pos = 0;      // AscendC::TPosition
    int32_t format = 0;   // CubeFormat
    int32_t dtype = -1;   // ge::DataType; -1 not set
    bool trans = false;
};
struct MmTilingParams {
    int32_t dim = 1;                 // SetDim: cores the tiling may use (1 for MatmulApiTiling)
    bool multi = false;              // MultiCoreMatmulTiling
    MmOperandDesc a, b, c, bias;
    bool bias_on = false;
    int64_t m = -1, n = -1, k = -1;                // SetShape
    int64_t org_m = -1, org_n = -1, org_ka = -1, org_kb = -1;  // SetOrgShape
    int64_t single_m = -1, single_n = -1, single_k = -1;       // SetSingleShape
    int64_t base_m = -1, base_n = -1, base_k = -1;             // SetFixSplit
    int64_t l1 = -1, l0c = -1, ub = -1, bt = -1;               // SetBufferSpace
    int32_t traverse = 0;
    int32_t schedule = 0;
    bool split_k = false;
    bool db_l0c = false;
    int32_t batch_m = 1, batch_n = 1, batch_num = 1;
    // Results (after GetTiling).
    int32_t out_m = 0, out_n = 0, out_k = 0, out_cores = 0;
    int32_t out_base_m = 0, out_base_n = 0, out_base_k = 0;
};
// The Matmul tiling algorithm: 0 and a filled tiling, or -1 when the problem cannot be tiled (runtime/matmul.cpp).
int64_t mm_tiling(MmTilingParams& p, AscendC::tiling::TCubeTiling& t);
}  // namespace hawk

namespace matmul_tiling {
using ::CubeFormat;
using TPosition = ::AscendC::TPosition;

class MatmulApiTiling {
   public:
    MatmulApiTiling() = default;
    explicit MatmulApiTiling(const platform_ascendc::PlatformAscendC&) {}
    virtual ~MatmulApiTiling() = default;
    int32_t SetAType(TPosition pos, CubeFormat type, DataType dataType, bool isTrans = false) {
        p_.a = {static_cast<int32_t>(pos), static_cast<int32_t>(type), static_cast<int32_t>(dataType), isTrans};
        return 0;
    }
    int32_t SetBType(TPosition pos, CubeFormat type, DataType dataType, bool isTrans = false) {
        p_.b = {static_cast<int32_t>(pos), static_cast<int32_t>(type), static_cast<int32_t>(dataType), isTrans};
        return 0;
    }
    int32_t SetCType(TPosition pos, CubeFormat type, DataType dataType) {
        p_.c = {static_cast<int32_t>(pos), static_cast<int32_t>(type), static_cast<int32_t>(dataType), false};
        return 0;
    }
    int32_t SetBiasType(TPosition pos, CubeFormat type, DataType dataType) {
        p_.bias = {static_cast<int32_t>(pos), static_cast<int32_t>(type), static_cast<int32_t>(dataType), false};
        return 0;
    }
    template <typename... A> int32_t SetScaleAType(A...) { return 0; }
    template <typename... A> int32_t SetScaleBType(A...) { return 0; }
    int32_t SetShape(int32_t m, int32_t n, int32_t k) {
        p_.m = m; p_.n = n; p_.k = k;
        return 0;
    }
    int32_t SetOrgShape(int32_t orgMIn, int32_t orgNIn, int32_t orgKIn) { return SetOrgShape(orgMIn, orgNIn, orgKIn, orgKIn); }
    int32_t SetOrgShape(int32_t orgMIn, int32_t orgNIn, int32_t orgKaIn, int32_t orgKbIn) {
        p_.org_m = orgMIn; p_.org_n = orgNIn; p_.org_ka = orgKaIn; p_.org_kb = orgKbIn;
        return 0;
    }
    int32_t SetALayout(...) { return 0; }
    int32_t SetBLayout(...) { return 0; }
    int32_t SetCLayout(...) { return 0; }
    int32_t SetBatchNum(int32_t batch) { p_.batch_num = batch; return 0; }
    int32_t SetBatchInfoForNormal(int32_t batchA, int32_t batchB, ...) {
        p_.batch_m = batchA; p_.batch_n = batchB;
        return 0;
    }
    int32_t EnableBias(bool isBiasIn = false) { p_.bias_on = isBiasIn; return 0; }
    int32_t SetBias(bool isBiasIn = false) { return EnableBias(isBiasIn); }
    int32_t SetFixSplit(int32_t baseMIn = -1, int32_t baseNIn = -1, int32_t baseKIn = -1) {
        p_.base_m = baseMIn; p_.base_n = baseNIn; p_.base_k = baseKIn;
        return 0;
    }
    int32_t SetBufferSpace(int32_t l1Size = -1, int32_t l0CSize = -1, int32_t ubSize = -1, int32_t btSize = -1) {
        p_.l1 = l1Size; p_.l0c = l0CSize; p_.ub = ubSize; p_.bt = btSize;
        return 0;
    }
    int32_t SetTraverse(MatrixTraverse traverse) { p_.traverse = static_cast<int32_t>(traverse); return 0; }
    int32_t SetMadType(MatrixMadType) { return 0; }
    int32_t SetDequantType(DequantType) { return 0; }
    int32_t SetSplitRange(...) { return 0; }
    int32_t SetDoubleBuffer(bool, bool, bool c = false, bool = false, bool = true, bool = true) {
        p_.db_l0c = c;
        return 0;
    }
    void SetMatmulConfigParams(const MatmulConfigParams& cfg) { p_.schedule = static_cast<int32_t>(cfg.scheduleType); }
    void SetMatmulConfigParams(int32_t = 1, bool = false, ScheduleType s = ScheduleType::INNER_PRODUCT,
                               MatrixTraverse t = MatrixTraverse::NOSET, bool = false) {
        p_.schedule = static_cast<int32_t>(s);
        p_.traverse = static_cast<int32_t>(t);
    }
    void SetSparse(bool = false) {}
    int32_t EnableL1BankConflictOptimise() { return 0; }
    int64_t GetTiling(AscendC::tiling::TCubeTiling& tiling) { return ::hawk::mm_tiling(p_, tiling); }
    int32_t GetBaseM() const { return p_.out_base_m; }
    int32_t GetBaseN() const { return p_.out_base_n; }
    int32_t GetBaseK() const { return p_.out_base_k; }

    ::hawk::MmTilingParams p_;
};

class MultiCoreMatmulTiling : public MatmulApiTiling {
   public:
    MultiCoreMatmulTiling() { p_.multi = true; }
    explicit MultiCoreMatmulTiling(const platform_ascendc::PlatformAscendC&) { p_.multi = true; }
    int32_t SetDim(int32_t dim) {
        p_.dim = dim;
        return 0;
    }
    int32_t SetSingleShape(int32_t singleMIn = -1, int32_t singleNIn = -1, int32_t singleKIn = -1) {
        p_.single_m = singleMIn; p_.single_n = singleNIn; p_.single_k = singleKIn;
        return 0;
    }
    int32_t SetSingleRange(...) { return 0; }
    int32_t SetAlignSplit(int32_t, int32_t, int32_t) { return 0; }
    void EnableMultiCoreSplitK(bool flag) { p_.split_k = flag; }
    void SetSplitK(bool flag) { p_.split_k = flag; }
    int32_t GetSingleShape(int32_t& shapeM, int32_t& shapeN, int32_t& shapeK) {
        shapeM = p_.out_m; shapeN = p_.out_n; shapeK = p_.out_k;
        return 0;
    }
    int32_t GetCoreNum(int32_t& dim, int32_t& mDim, int32_t& nDim) {
        dim = p_.out_cores;
        mDim = p_.out_m > 0 ? static_cast<int32_t>((p_.org_m > 0 ? p_.org_m : p_.m) + p_.out_m - 1) / p_.out_m : 0;
        nDim = p_.out_n > 0 ? static_cast<int32_t>((p_.org_n > 0 ? p_.org_n : p_.n) + p_.out_n - 1) / p_.out_n : 0;
        return 0;
    }
};

class BatchMatmulTiling : public MultiCoreMatmulTiling {
   public:
    BatchMatmulTiling() = default;
    explicit BatchMatmulTiling(const platform_ascendc::PlatformAscendC&) {}
};
using TilingBase = MatmulApiTiling;
using MatmulApiTilingBase = MatmulApiTiling;
}  // namespace matmul_tiling

#endif  // HAWK_MATMUL_TILING_H
