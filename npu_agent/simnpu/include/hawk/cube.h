// Cube APIs (AIC): Mmad (L0A x L0B -> L0C) and Fixpipe (L0C -> GM with on-the-fly conversion).
#ifndef HAWK_CUBE_H
#define HAWK_CUBE_H

#include "hawk/tensor.h"

namespace AscendC {

struct MmadParams {
    __aicore__ MmadParams() = default;
    __aicore__ MmadParams(uint32_t mIn, uint32_t nIn, uint32_t kIn, bool isBiasIn = false, int32_t fmOffsetIn = 0,
                          bool enSsparseIn = false, bool enWinogradAIn = false, bool enWinogradBIn = false)
        : m(mIn), n(nIn), k(kIn), isBias(isBiasIn), fmOffset(fmOffsetIn), enSsparse(enSsparseIn),
          enWinogradA(enWinogradAIn), enWinogradB(enWinogradBIn) {}
    uint32_t m = 0;
    uint32_t n = 0;
    uint32_t k = 0;
    bool isBias = false;
    int32_t fmOffset = 0;
    bool enSsparse = false;
    bool enWinogradA = false;
    bool enWinogradB = false;
    uint8_t unitFlag = 0;
    bool kDirectionAlign = false;
    bool cmatrixSource = false;
    bool cmatrixInitVal = true;
};

enum class QuantMode_t : uint8_t { NoQuant = 0, F322F16, F322BF16, DEQF16, VDEQF16, QF322B8_PRE, VQF322B8_PRE,
                                   REQ8, VREQ8 };
enum class CO2Layout : uint8_t { NZ = 0, ROW_MAJOR, COLUMN_MAJOR };
struct FixpipeConfig {
    CO2Layout format;
};
inline constexpr FixpipeConfig CFG_NZ = {CO2Layout::NZ};
inline constexpr FixpipeConfig CFG_ROW_MAJOR = {CO2Layout::ROW_MAJOR};

struct FixpipeParamsV220 {
    __aicore__ FixpipeParamsV220() = default;
    __aicore__ FixpipeParamsV220(uint32_t nSizeIn, uint32_t mSizeIn, uint32_t srcStrideIn, uint32_t dstStrideIn,
                                 bool reluEnIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), reluEn(reluEnIn) {}
    uint32_t nSize = 0;
    uint32_t mSize = 0;
    uint32_t srcStride = 0;
    uint32_t dstStride = 0;
    QuantMode_t quantPre = QuantMode_t::NoQuant;
    uint64_t deqScalar = 0;
    uint32_t ndNum = 1;
    uint32_t srcNdStride = 0;
    uint32_t dstNdStride = 0;
    bool reluEn = false;
    uint8_t unitFlag = 0;
    bool isChannelSplit = false;
};
using FixpipeParams = FixpipeParamsV220;

template <typename T, typename U, typename S>
__aicore__ inline void Mmad(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                            const MmadParams& p, HAWK_LINE) {
    hawk::MmadArgs a;
    a.m = p.m; a.n = p.n; a.k = p.k; a.init_zero = p.cmatrixInitVal; a.k_direction_align = p.kDirectionAlign;
    if (p.isBias || p.cmatrixSource) {
        hawk::fault(hawk::Kind::UNSUPPORTED_API, hawk::Mem::NONE, HAWK_SITE(Mmad),
                    "Mmad with a bias table (isBias/cmatrixSource) is not modelled by the twin yet");
    }
    hawk::mmad(dst.ref_, fm.ref_, filter.ref_, a, HAWK_SITE(Mmad));
}

template <typename T, typename U, const FixpipeConfig& config = CFG_ROW_MAJOR>
__aicore__ inline void Fixpipe(const GlobalTensor<T>& dst, const LocalTensor<U>& src, const FixpipeParamsV220& p,
                               HAWK_LINE) {
    hawk::FixpipeArgs a;
    a.n_size = p.nSize; a.m_size = p.mSize; a.src_stride = p.srcStride; a.dst_stride = p.dstStride;
    a.nd_num = p.ndNum; a.src_nd_stride = p.srcNdStride; a.dst_nd_stride = p.dstNdStride;
    a.quant = static_cast<int>(p.quantPre); a.relu = p.reluEn; a.nz_out = config.format == CO2Layout::NZ;
    uint32_t lo = static_cast<uint32_t>(p.deqScalar & 0xFFFFFFFFu);
    float scale;
    std::memcpy(&scale, &lo, 4);
    a.deq_scale = scale;
    hawk::fixpipe(dst.ref(), src.ref_, a, HAWK_SITE(Fixpipe));
}

}  // namespace AscendC

#endif  // HAWK_CUBE_H
