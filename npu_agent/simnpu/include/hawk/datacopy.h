// Data movement: DataCopy (contiguous, DataCopyParams, GM->L1 with Nd2NzParams), DataCopyPad, LoadData.
#ifndef HAWK_DATACOPY_H
#define HAWK_DATACOPY_H

#include "hawk/tensor.h"

namespace AscendC {

// DataCopyParams: blockLen, srcStride, dstStride in 32 B blocks. Wide fields so range errors are reported.
struct DataCopyParams {
    __aicore__ DataCopyParams() = default;
    __aicore__ DataCopyParams(uint32_t count, uint32_t len, uint32_t srcStrideIn, uint32_t dstStrideIn)
        : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn) {}
    uint32_t blockCount = 1;
    uint32_t blockLen = 0;
    uint32_t srcStride = 0;
    uint32_t dstStride = 0;
};

// DataCopyExtParams (DataCopyPad): blockLen in bytes; GM-side stride in bytes, UB-side stride in 32 B blocks.
// The constructor takes all five values (rsv has no default, as in CANN), so a four-element brace list
// `DataCopyPad(gm, ub, {count, len, src, dst})` means DataCopyParams, as it does on CANN.
struct DataCopyExtParams {
    __aicore__ DataCopyExtParams() = default;
    __aicore__ DataCopyExtParams(uint32_t count, uint32_t len, uint32_t srcStrideIn, uint32_t dstStrideIn,
                                 uint32_t rsvIn)
        : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn), rsv(rsvIn) {}
    uint32_t blockCount = 1;
    uint32_t blockLen = 0;
    uint32_t srcStride = 0;
    uint32_t dstStride = 0;
    uint32_t rsv = 0;
};

template <typename T> struct DataCopyPadExtParams {
    __aicore__ DataCopyPadExtParams() = default;
    __aicore__ DataCopyPadExtParams(bool pad, uint32_t left, uint32_t right, T value)
        : isPad(pad), leftPadding(left), rightPadding(right), paddingValue(value) {}
    bool isPad = false;
    uint32_t leftPadding = 0;
    uint32_t rightPadding = 0;
    T paddingValue = T(0);
};

struct DataCopyPadParams {
    __aicore__ DataCopyPadParams() = default;
    __aicore__ DataCopyPadParams(bool pad, uint32_t left, uint32_t right, uint64_t value)
        : isPad(pad), leftPadding(left), rightPadding(right), paddingValue(value) {}
    bool isPad = false;
    uint32_t leftPadding = 0;
    uint32_t rightPadding = 0;
    uint64_t paddingValue = 0;
};

struct Nd2NzParams {
    __aicore__ Nd2NzParams() = default;
    __aicore__ Nd2NzParams(uint32_t ndNumIn, uint32_t nValueIn, uint32_t dValueIn, uint32_t srcNdMatrixStrideIn,
                           uint32_t srcDValueIn, uint32_t dstNzC0StrideIn, uint32_t dstNzNStrideIn,
                           uint32_t dstNzMatrixStrideIn)
        : ndNum(ndNumIn), nValue(nValueIn), dValue(dValueIn), srcNdMatrixStride(srcNdMatrixStrideIn),
          srcDValue(srcDValueIn), dstNzC0Stride(dstNzC0StrideIn), dstNzNStride(dstNzNStrideIn),
          dstNzMatrixStride(dstNzMatrixStrideIn) {}
    uint32_t ndNum = 1;
    uint32_t nValue = 0;
    uint32_t dValue = 0;
    uint32_t srcNdMatrixStride = 0;
    uint32_t srcDValue = 0;
    uint32_t dstNzC0Stride = 0;
    uint32_t dstNzNStride = 0;
    uint32_t dstNzMatrixStride = 0;
};

struct LoadData2DParams {
    __aicore__ LoadData2DParams() = default;
    __aicore__ LoadData2DParams(uint32_t startIndexIn, uint32_t repeatTimesIn, uint32_t srcStrideIn, uint32_t sidIn,
                                uint32_t dstGapIn, bool ifTransposeIn, uint32_t addrModeIn)
        : startIndex(startIndexIn), repeatTimes(repeatTimesIn), srcStride(srcStrideIn), sid(sidIn), dstGap(dstGapIn),
          ifTranspose(ifTransposeIn), addrMode(addrModeIn) {}
    uint32_t startIndex = 0;
    uint32_t repeatTimes = 0;
    uint32_t srcStride = 0;
    uint32_t sid = 0;
    uint32_t dstGap = 0;
    bool ifTranspose = false;
    uint32_t addrMode = 0;
};

namespace detail {
inline hawk::CopyParams cp(const DataCopyParams& p) {
    hawk::CopyParams c;
    c.block_count = p.blockCount; c.block_len = p.blockLen; c.src_stride = p.srcStride; c.dst_stride = p.dstStride;
    return c;
}
inline hawk::CopyParams cp(const DataCopyExtParams& p) {
    hawk::CopyParams c;
    c.block_count = p.blockCount; c.block_len = p.blockLen; c.src_stride = p.srcStride; c.dst_stride = p.dstStride;
    return c;
}
}  // namespace detail

// ---- DataCopy, contiguous: count * sizeof(T) is truncated down to whole 32 B blocks (as on hardware) ----
template <typename T>
__aicore__ inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const uint64_t count, HAWK_LINE) {
    hawk::copy(dst.ref_, src.ref(), count, HAWK_SITE(DataCopy));
}
template <typename T>
__aicore__ inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const uint64_t count, HAWK_LINE) {
    hawk::copy(dst.ref(), src.ref_, count, HAWK_SITE(DataCopy));
}
template <typename T>
__aicore__ inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint64_t count, HAWK_LINE) {
    hawk::copy(dst.ref_, src.ref_, count, HAWK_SITE(DataCopy));
}
// ---- DataCopy with DataCopyParams (blocks of 32 B) ----
template <typename T>
__aicore__ inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& p,
                                HAWK_LINE) {
    hawk::copy_params(dst.ref_, src.ref(), detail::cp(p), HAWK_SITE(DataCopy));
}
template <typename T>
__aicore__ inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p,
                                HAWK_LINE) {
    hawk::copy_params(dst.ref(), src.ref_, detail::cp(p), HAWK_SITE(DataCopy));
}
template <typename T>
__aicore__ inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p,
                                HAWK_LINE) {
    hawk::copy_params(dst.ref_, src.ref_, detail::cp(p), HAWK_SITE(DataCopy));
}
// ---- DataCopy L1 (C1) -> BiasTable (C2) with a type change (half -> float) ----
template <typename T, typename U,
          typename std::enable_if<!std::is_same<T, U>::value, bool>::type = true>
__aicore__ inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<U>& src, const DataCopyParams& p,
                                HAWK_LINE) {
    hawk::copy_bias(dst.ref_, src.ref_, detail::cp(p), HAWK_SITE(DataCopy));
}
// ---- DataCopy GM -> L1 with ND -> NZ conversion ----
template <typename T>
__aicore__ inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const Nd2NzParams& p,
                                HAWK_LINE) {
    hawk::Nd2Nz n;
    n.nd_num = p.ndNum; n.n = p.nValue; n.d = p.dValue; n.src_nd_matrix_stride = p.srcNdMatrixStride;
    n.src_d = p.srcDValue; n.dst_c0_stride = p.dstNzC0Stride; n.dst_n_stride = p.dstNzNStride;
    n.dst_nz_matrix_stride = p.dstNzMatrixStride;
    hawk::copy_nd2nz(dst.ref_, src.ref(), n, HAWK_SITE(DataCopy));
}

// ---- DataCopyPad: byte-granular GM side, rows padded to 32 B on the UB side ----
template <typename T>
__aicore__ inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyExtParams& p,
                                   const DataCopyPadExtParams<T>& pad, HAWK_LINE) {
    hawk::PadParams pp;
    pp.is_pad = pad.isPad; pp.left = pad.leftPadding; pp.right = pad.rightPadding;
    pp.value_bits = hawk::bits_of(pad.paddingValue);
    hawk::copy_pad(dst.ref_, src.ref(), detail::cp(p), pp, true, HAWK_SITE(DataCopyPad));
}
template <typename T>
__aicore__ inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyExtParams& p,
                                   HAWK_LINE) {
    hawk::copy_pad(dst.ref(), src.ref_, detail::cp(p), hawk::PadParams{}, true, HAWK_SITE(DataCopyPad));
}
template <typename T>
__aicore__ inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& p,
                                   const DataCopyPadParams& pad, HAWK_LINE) {
    hawk::PadParams pp;
    pp.is_pad = pad.isPad; pp.left = pad.leftPadding; pp.right = pad.rightPadding; pp.value_bits = pad.paddingValue;
    hawk::copy_pad(dst.ref_, src.ref(), detail::cp(p), pp, false, HAWK_SITE(DataCopyPad));
}
template <typename T>
__aicore__ inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p,
                                   HAWK_LINE) {
    hawk::copy_pad(dst.ref(), src.ref_, detail::cp(p), hawk::PadParams{}, false, HAWK_SITE(DataCopyPad));
}

// ---- LoadData 2D: whole 512 B fractals from L1 (or GM) into L0A/L0B, optionally transposing 16x16 b16 ----
template <typename T>
__aicore__ inline void LoadData(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LoadData2DParams& p,
                                HAWK_LINE) {
    hawk::Load2D l;
    l.start_index = p.startIndex; l.repeat = p.repeatTimes; l.src_stride = p.srcStride; l.sid = p.sid;
    l.dst_gap = p.dstGap; l.transpose = p.ifTranspose;
    hawk::load2d(dst.ref_, src.ref_, l, HAWK_SITE(LoadData));
}
template <typename T>
__aicore__ inline void LoadData(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const LoadData2DParams& p,
                                HAWK_LINE) {
    hawk::Load2D l;
    l.start_index = p.startIndex; l.repeat = p.repeatTimes; l.src_stride = p.srcStride; l.sid = p.sid;
    l.dst_gap = p.dstGap; l.transpose = p.ifTranspose;
    hawk::load2d(dst.ref_, src.ref(), l, HAWK_SITE(LoadData));
}

}  // namespace AscendC

#endif  // HAWK_DATACOPY_H
