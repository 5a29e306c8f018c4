// Cube APIs (AIC): Mmad (L0A x L0B -> L0C, optionally from the bias table), Fixpipe (L0C -> GM / L1 with on-the-fly
// conversion), and the cube-side loads: LoadData with LoadData3DParamsV2 (img2col), LoadDataWithTranspose,
// InitConstValue. Field layouts and constructors as in the public kernel_struct_mm.h / kernel_struct_fixpipe.h.
#ifndef HAWK_CUBE_H
#define HAWK_CUBE_H

#include "hawk/tensor.h"

namespace AscendC {

struct MmadParams {
    __aicore__ MmadParams() = default;
    __aicore__ MmadParams(uint16_t mIn, uint16_t nIn, uint16_t kIn, bool isBiasIn, int32_t fmOffsetIn,
                          bool enSsparseIn, bool enWinogradAIn, bool enWinogradBIn)
        : m(mIn), n(nIn), k(kIn), isBias(isBiasIn), fmOffset(fmOffsetIn), enSsparse(enSsparseIn),
          enWinogradA(enWinogradAIn), enWinogradB(enWinogradBIn) {}
    // {m, n, k, unitFlag, cmatrixSource, cmatrixInitVal}: the form the public samples use.
    __aicore__ MmadParams(uint16_t mIn, uint16_t nIn, uint16_t kIn, uint8_t unitFlagIn, bool cmatrixSourceIn,
                          bool cmatrixInitValIn)
        : m(mIn), n(nIn), k(kIn), unitFlag(unitFlagIn), cmatrixSource(cmatrixSourceIn),
          cmatrixInitVal(cmatrixInitValIn) {}
    // Three sizes only (a twin convenience the older samples rely on through aggregate-like use).
    __aicore__ MmadParams(uint16_t mIn, uint16_t nIn, uint16_t kIn) : m(mIn), n(nIn), k(kIn) {}
    uint16_t m = 0;
    uint16_t n = 0;
    uint16_t k = 0;
    bool isBias = false;       // deprecated: true accumulates onto C (C += A x B)
    int32_t fmOffset = 0;      // unused from Atlas A2 on
    bool enSsparse = false;    // unused from Atlas A2 on
    bool enWinogradA = false;  // unused from Atlas A2 on
    bool enWinogradB = false;  // unused from Atlas A2 on
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
inline constexpr FixpipeConfig CFG_COLUMN_MAJOR = {CO2Layout::COLUMN_MAJOR};

struct FixpipeParamsV220 {
    __aicore__ FixpipeParamsV220() = default;
    __aicore__ FixpipeParamsV220(uint16_t nSizeIn, uint16_t mSizeIn, uint16_t srcStrideIn, uint32_t dstStrideIn,
                                 bool reluEnIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), reluEn(reluEnIn) {}
    __aicore__ FixpipeParamsV220(uint16_t nSizeIn, uint16_t mSizeIn, uint16_t srcStrideIn, uint32_t dstStrideIn,
                                 bool reluEnIn, QuantMode_t quantPreIn, int64_t deqScalarIn, uint16_t ndNumIn,
                                 uint16_t srcNdStrideIn, uint16_t dstNdStrideIn, uint8_t unitFlagIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), quantPre(quantPreIn),
          deqScalar(static_cast<uint64_t>(deqScalarIn)), ndNum(ndNumIn), srcNdStride(srcNdStrideIn),
          dstNdStride(dstNdStrideIn), reluEn(reluEnIn), unitFlag(unitFlagIn) {}
    __aicore__ FixpipeParamsV220(uint16_t nSizeIn, uint16_t mSizeIn, uint16_t srcStrideIn, uint32_t dstStrideIn,
                                 bool reluEnIn, QuantMode_t quantPreIn, int64_t deqScalarIn, uint16_t ndNumIn,
                                 uint16_t srcNdStrideIn, uint16_t dstNdStrideIn, uint8_t unitFlagIn,
                                 bool isChannelSplitIn)
        : FixpipeParamsV220(nSizeIn, mSizeIn, srcStrideIn, dstStrideIn, reluEnIn, quantPreIn, deqScalarIn, ndNumIn,
                            srcNdStrideIn, dstNdStrideIn, unitFlagIn) {
        isChannelSplit = isChannelSplitIn;
    }
    uint16_t nSize = 0;
    uint16_t mSize = 0;
    uint16_t srcStride = 0;
    uint32_t dstStride = 0;
    QuantMode_t quantPre = QuantMode_t::NoQuant;
    uint64_t deqScalar = 0;
    uint16_t ndNum = 1;
    uint16_t srcNdStride = 0;
    uint16_t dstNdStride = 0;
    bool reluEn = false;
    uint8_t unitFlag = 0;
    bool isChannelSplit = false;
};
using FixpipeParamsM300 = FixpipeParamsV220;
using FixpipeParamsM310 = FixpipeParamsV220;
using FixpipeParams = FixpipeParamsV220;

namespace detail {
inline hawk::MmadArgs mmad_args(const MmadParams& p) {
    hawk::MmadArgs a;
    a.m = p.m; a.n = p.n; a.k = p.k; a.k_direction_align = p.kDirectionAlign; a.unit_flag = p.unitFlag;
    a.init_zero = p.cmatrixInitVal && !p.isBias;  // as the A2 implementation folds the deprecated isBias
    a.from_bias = p.cmatrixSource;
    return a;
}
inline hawk::FixpipeArgs fixpipe_args(const FixpipeParamsV220& p, CO2Layout format) {
    hawk::FixpipeArgs a;
    a.n_size = p.nSize; a.m_size = p.mSize; a.src_stride = p.srcStride; a.dst_stride = p.dstStride;
    a.nd_num = p.ndNum; a.src_nd_stride = p.srcNdStride; a.dst_nd_stride = p.dstNdStride;
    a.quant = static_cast<int>(p.quantPre); a.relu = p.reluEn; a.nz_out = format == CO2Layout::NZ;
    a.channel_split = p.isChannelSplit; a.unit_flag = p.unitFlag; a.deq_scalar = p.deqScalar;
    if (format == CO2Layout::COLUMN_MAJOR) a.quant = -1;  // NZ2DN: not on this architecture
    return a;
}
}  // namespace detail

template <typename T, typename U, typename S>
__aicore__ inline void Mmad(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                            const MmadParams& p, HAWK_LINE) {
    hawk::mmad(dst.ref_, fm.ref_, filter.ref_, hawk::Ref{}, detail::mmad_args(p), HAWK_SITE(Mmad));
}
// With a bias tensor: in C2 (bias table) C starts from the broadcast bias row; in CO1 C accumulates onto it.
template <typename T, typename U, typename S, typename V>
__aicore__ inline void Mmad(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                            const LocalTensor<V>& bias, const MmadParams& p, HAWK_LINE) {
    hawk::MmadArgs a = detail::mmad_args(p);
    a.init_zero = p.cmatrixInitVal;
    a.from_bias = bias.ref_.mem == hawk::Mem::BT;
    hawk::mmad(dst.ref_, fm.ref_, filter.ref_, bias.ref_, a, HAWK_SITE(Mmad));
}

// L0C -> GM.
template <typename T, typename U, const FixpipeConfig& config = CFG_ROW_MAJOR>
__aicore__ inline void Fixpipe(const GlobalTensor<T>& dst, const LocalTensor<U>& src, const FixpipeParamsV220& p,
                               HAWK_LINE) {
    hawk::fixpipe(dst.ref(), src.ref_, hawk::Ref{}, detail::fixpipe_args(p, config.format), HAWK_SITE(Fixpipe));
}
// L0C -> GM with per-channel quant parameters (uint64_t, in L1).
template <typename T, typename U, const FixpipeConfig& config = CFG_ROW_MAJOR, typename S = uint64_t,
          typename std::enable_if<std::is_same<S, uint64_t>::value, bool>::type = true>
__aicore__ inline void Fixpipe(const GlobalTensor<T>& dst, const LocalTensor<U>& src,
                               const LocalTensor<S>& cbufWorkspace, const FixpipeParamsV220& p, HAWK_LINE) {
    hawk::fixpipe(dst.ref(), src.ref_, cbufWorkspace.ref_, detail::fixpipe_args(p, config.format),
                  HAWK_SITE(Fixpipe));
}
// L0C -> L1 (A1/B1/C1); the format must be CFG_NZ on this architecture.
template <typename T, typename U, const FixpipeConfig& config = CFG_ROW_MAJOR>
__aicore__ inline void Fixpipe(const LocalTensor<T>& dst, const LocalTensor<U>& src, const FixpipeParamsV220& p,
                               HAWK_LINE) {
    hawk::fixpipe(dst.ref_, src.ref_, hawk::Ref{}, detail::fixpipe_args(p, config.format), HAWK_SITE(Fixpipe));
}
template <typename T, typename U, const FixpipeConfig& config = CFG_ROW_MAJOR, typename S = uint64_t,
          typename std::enable_if<std::is_same<S, uint64_t>::value, bool>::type = true>
__aicore__ inline void Fixpipe(const LocalTensor<T>& dst, const LocalTensor<U>& src,
                               const LocalTensor<S>& cbufWorkspace, const FixpipeParamsV220& p, HAWK_LINE) {
    hawk::fixpipe(dst.ref_, src.ref_, cbufWorkspace.ref_, detail::fixpipe_args(p, config.format),
                  HAWK_SITE(Fixpipe));
}

// ---- cube-side loads ----
constexpr int32_t PAD_SIZE = 4;

template <typename T> struct LoadData3DParamsV1 {
    __aicore__ LoadData3DParamsV1() = default;
    __aicore__ LoadData3DParamsV1(const uint8_t padListIn[PAD_SIZE], uint16_t l1HIn, uint16_t l1WIn, uint16_t c1IndexIn,
                                  uint8_t fetchFilterWIn, uint8_t fetchFilterHIn, int16_t leftTopWIn,
                                  int16_t leftTopHIn, uint8_t strideWIn, uint8_t strideHIn, uint8_t filterWIn,
                                  uint8_t filterHIn, uint8_t dilationFilterWIn, uint8_t dilationFilterHIn,
                                  uint8_t jumpStrideIn, uint8_t repeatModeIn, uint8_t repeatTimeIn, uint8_t cSizeIn,
                                  T padValueIn)
        : strideW(strideWIn), strideH(strideHIn), filterW(filterWIn), filterH(filterHIn),
          dilationFilterW(dilationFilterWIn), dilationFilterH(dilationFilterHIn), jumpStride(jumpStrideIn),
          repeatMode(repeatModeIn), repeatTime(repeatTimeIn), cSize(cSizeIn), padValue(padValueIn),
          fetchFilterW(fetchFilterWIn), fetchFilterH(fetchFilterHIn), l1H(l1HIn), l1W(l1WIn), c1Index(c1IndexIn),
          leftTopW(leftTopWIn), leftTopH(leftTopHIn) {
        for (int32_t i = 0; i < PAD_SIZE; ++i) padList[i] = padListIn[i];
    }
    uint8_t padList[PAD_SIZE] = {0, 0, 0, 0};
    uint8_t strideW = 0, strideH = 0, filterW = 0, filterH = 0, dilationFilterW = 0, dilationFilterH = 0;
    uint8_t jumpStride = 0, repeatMode = 0, repeatTime = 0, cSize = 0;
    T padValue{};
    uint8_t fetchFilterW = 0, fetchFilterH = 0;
    uint16_t l1H = 0, l1W = 0, c1Index = 0;
    int16_t leftTopW = 0, leftTopH = 0;
};

template <typename T> struct LoadData3DParamsV2 {
    __aicore__ LoadData3DParamsV2() = default;
    __aicore__ LoadData3DParamsV2(const uint8_t padListIn[PAD_SIZE], uint16_t l1HIn, uint16_t l1WIn,
                                  uint16_t channelSizeIn, uint16_t kExtensionIn, uint16_t mExtensionIn,
                                  uint16_t kStartPtIn, uint16_t mStartPtIn, uint8_t strideWIn, uint8_t strideHIn,
                                  uint8_t filterWIn, uint8_t filterHIn, uint8_t dilationFilterWIn,
                                  uint8_t dilationFilterHIn, bool enTransposeIn, bool enSmallKIn, T padValueIn,
                                  bool filterSizeWIn = false, bool filterSizeHIn = false, bool fMatrixCtrlIn = false)
        : l1H(l1HIn), l1W(l1WIn), channelSize(channelSizeIn), kExtension(kExtensionIn), mExtension(mExtensionIn),
          kStartPt(kStartPtIn), mStartPt(mStartPtIn), strideW(strideWIn), strideH(strideHIn), filterW(filterWIn),
          filterH(filterHIn), dilationFilterW(dilationFilterWIn), dilationFilterH(dilationFilterHIn),
          enTranspose(enTransposeIn), enSmallK(enSmallKIn), padValue(padValueIn), filterSizeW(filterSizeWIn),
          filterSizeH(filterSizeHIn), fMatrixCtrl(fMatrixCtrlIn) {
        for (int32_t i = 0; i < PAD_SIZE; ++i) padList[i] = padListIn[i];
    }
    uint8_t padList[PAD_SIZE] = {0, 0, 0, 0};
    uint16_t l1H = 0, l1W = 0, channelSize = 0, kExtension = 0, mExtension = 0, kStartPt = 0, mStartPt = 0;
    uint8_t strideW = 1, strideH = 1, filterW = 1, filterH = 1, dilationFilterW = 1, dilationFilterH = 1;
    bool enTranspose = false;
    bool enSmallK = false;
    T padValue{};
    bool filterSizeW = false, filterSizeH = false, fMatrixCtrl = false;
};

struct LoadData2dTransposeParams {
    __aicore__ LoadData2dTransposeParams() = default;
    __aicore__ LoadData2dTransposeParams(uint16_t startIndexIn, uint8_t repeatTimesIn, uint16_t srcStrideIn,
                                         uint16_t dstGapIn, uint16_t dstfracGapIn, uint8_t addrModeIn = 0)
        : startIndex(startIndexIn), repeatTimes(repeatTimesIn), srcStride(srcStrideIn), dstGap(dstGapIn),
          dstFracGap(dstfracGapIn), addrMode(addrModeIn) {}
    uint16_t startIndex = 0;
    uint8_t repeatTimes = 0;
    uint16_t srcStride = 0;
    uint16_t dstGap = 0;
    uint16_t dstFracGap = 0;
    uint8_t addrMode = 0;
};

template <typename T> struct InitConstValueParams {
    __aicore__ InitConstValueParams() = default;
    __aicore__ InitConstValueParams(uint16_t repeatTimesIn, uint16_t blockNumIn, uint16_t dstGapIn, T initValueIn)
        : repeatTimes(repeatTimesIn), blockNum(blockNumIn), dstGap(dstGapIn), initValue(initValueIn) {}
    __aicore__ InitConstValueParams(uint16_t repeatTimesIn, T initValueIn)
        : repeatTimes(repeatTimesIn), initValue(initValueIn) {}
    uint16_t repeatTimes = 0;
    uint16_t blockNum = 0;
    uint16_t dstGap = 0;
    T initValue = T(0);
};

// LoadData with LoadData3DParamsV2: img2col of an NC1HWC0 feature map in L1 into L0A (Zz) or L0B.
template <typename T>
__aicore__ inline void LoadData(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LoadData3DParamsV2<T>& p,
                                HAWK_LINE) {
    hawk::Load3D l;
    l.l1_h = p.l1H; l.l1_w = p.l1W; l.channel_size = p.channelSize; l.k_ext = p.kExtension; l.m_ext = p.mExtension;
    l.k_start = p.kStartPt; l.m_start = p.mStartPt; l.stride_w = p.strideW; l.stride_h = p.strideH;
    l.filter_w = p.filterW; l.filter_h = p.filterH; l.dil_w = p.dilationFilterW; l.dil_h = p.dilationFilterH;
    for (int i = 0; i < PAD_SIZE; ++i) l.pad[i] = p.padList[i];
    l.transpose = p.enTranspose; l.small_k = p.enSmallK; l.filter_size_w = p.filterSizeW;
    l.filter_size_h = p.filterSizeH; l.fmatrix_ctrl = p.fMatrixCtrl; l.pad_bits = hawk::bits_of(p.padValue);
    hawk::load3d(dst.ref_, src.ref_, l, ::hawk::Site{::hawk::Api::LoadData3D, hawk_line.v});
}
// LoadData3DParamsV1 (load3dv1) is not an instruction of Atlas A2/A3 (the CANN headers report it unsupported).
template <typename T>
__aicore__ inline void LoadData(const LocalTensor<T>&, const LocalTensor<T>&, const LoadData3DParamsV1<T>&,
                                HAWK_LINE) {
    hawk::fault(hawk::Kind::UNSUPPORTED_API, hawk::Mem::NONE, ::hawk::Site{::hawk::Api::LoadData3D, hawk_line.v},
                "LoadData with LoadData3DParamsV1 (load3d v1) is not supported on Atlas A2/A3 (NPU arch 2201); "
                "use LoadData3DParamsV2");
}
template <typename T>
__aicore__ inline void LoadDataWithTranspose(const LocalTensor<T>& dst, const LocalTensor<T>& src,
                                             const LoadData2dTransposeParams& p, HAWK_LINE) {
    hawk::Load2DT l;
    l.start_index = p.startIndex; l.repeat = p.repeatTimes; l.src_stride = p.srcStride; l.dst_gap = p.dstGap;
    l.dst_frac_gap = p.dstFracGap;
    hawk::load2d_transpose(dst.ref_, src.ref_, l, HAWK_SITE(LoadData));
}
// InitConstValue (now also named Fill): repeatTimes x blockNum blocks set to initValue, dstGap blocks skipped after
// each repeat; a block is 32 B in L1 and 512 B in L0A/L0B. blockNum 0 (the two-field form) is a NOP on Atlas A2.
template <typename T, typename U = T>
__aicore__ inline void InitConstValue(const LocalTensor<T>& dst, const InitConstValueParams<U>& p, HAWK_LINE) {
    T v = static_cast<T>(p.initValue);
    hawk::init_const(dst.ref_, p.repeatTimes, p.blockNum, p.dstGap, hawk::bits_of(v), HAWK_SITE(InitConstValue));
}
template <typename T, typename U = T>
__aicore__ inline void Fill(const LocalTensor<T>& dst, const InitConstValueParams<U>& p, HAWK_LINE) {
    T v = static_cast<T>(p.initValue);
    hawk::init_const(dst.ref_, p.repeatTimes, p.blockNum, p.dstGap, hawk::bits_of(v), HAWK_SITE(InitConstValue));
}

}  // namespace AscendC

// CANN declares QuantMode_t at global scope (the compiler's builtin enum); samples write QuantMode_t::F322F16.
using AscendC::QuantMode_t;

#endif  // HAWK_CUBE_H
