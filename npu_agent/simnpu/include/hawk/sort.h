// Sorting APIs of Atlas A2 (AIV, PIPE_V): Sort32 (vbitsort), MrgSort (vmrgsort4) with GetMrgSortResult, and the
// high-level Sort / MrgSort / Concat / Extract / GetSortLen / GetSortOffset built on them. A sorted element is an
// 8-byte (score, index) pair: the score in the low bytes (a float, or a half and 2 reserved bytes), the uint32_t
// index in the high 4 bytes. Region-proposal sorting (MrgSort4, RpSort16, ProposalConcat/Extract) is not on A2.
// Our own code written from the public Ascend C API documentation; included by hawk/vecext.h.
#ifndef HAWK_SORT_H
#define HAWK_SORT_H

#include <cstdint>

#include "hawk/tensor.h"

namespace AscendC {

constexpr int32_t MRG_SORT_ELEMENT_LEN = 4;

struct MrgSort4Info {
    __aicore__ MrgSort4Info() {}
    __aicore__ MrgSort4Info(const uint16_t elementLengthsIn[MRG_SORT_ELEMENT_LEN], const bool ifExhaustedSuspensionIn,
                            const uint16_t validBitIn, const uint16_t repeatTimesIn)
        : ifExhaustedSuspension(ifExhaustedSuspensionIn), validBit(validBitIn),
          repeatTimes(static_cast<uint8_t>(repeatTimesIn)) {
        for (int32_t i = 0; i < MRG_SORT_ELEMENT_LEN; ++i) elementLengths[i] = elementLengthsIn[i];
    }
    uint16_t elementLengths[MRG_SORT_ELEMENT_LEN] = {0};  // queue lengths in 8-byte (score, index) pairs
    bool ifExhaustedSuspension = false;
    uint16_t validBit = 0;  // 0b11, 0b111 or 0b1111: the first 2, 3 or 4 queues take part
    uint8_t repeatTimes = 1;
};

template <typename T> struct MrgSortSrcList {
    __aicore__ MrgSortSrcList() {}
    __aicore__ MrgSortSrcList(const LocalTensor<T>& src1In, const LocalTensor<T>& src2In, const LocalTensor<T>& src3In,
                              const LocalTensor<T>& src4In)
        : src1(src1In[0]), src2(src2In[0]), src3(src3In[0]), src4(src4In[0]) {}
    LocalTensor<T> src1;
    LocalTensor<T> src2;
    LocalTensor<T> src3;
    LocalTensor<T> src4;
};

// Sort32: each repeat sorts 32 scores of src0 (with their uint32_t indices from src1) in descending order into
// 32 pairs of dst; equal scores keep their input order. src0/src1 advance 32 elements, dst 256 bytes per repeat.
template <typename T>
__aicore__ inline void Sort32(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<uint32_t>& src1,
                              const int32_t repeatTime, HAWK_LINE) {
    hawk::sort32(dst.ref_, src0.ref_, src1.ref_, static_cast<int64_t>(repeatTime), HAWK_SITE(Sort32));
}

namespace detail {
template <typename T>
inline void mrgsort_call(const LocalTensor<T>& dst, const MrgSortSrcList<T>& src, const uint16_t len[4], bool exhausted,
                         uint16_t valid, int64_t repeat, uint32_t sorted[4], hawk::Site site) {
    const hawk::Ref q[4] = {src.src1.ref_, src.src2.ref_, src.src3.ref_, src.src4.ref_};
    hawk::mrgsort(dst.ref_, q, len, exhausted, valid, repeat, sorted, site);
}
}  // namespace detail

// MrgSort: merges up to 4 sorted queues of pairs into one, descending by score (a tie takes the lower queue first).
template <typename T>
__aicore__ inline void MrgSort(const LocalTensor<T>& dst, const MrgSortSrcList<T>& src, const MrgSort4Info& params,
                               HAWK_LINE) {
    detail::mrgsort_call(dst, src, params.elementLengths, params.ifExhaustedSuspension, params.validBit,
                         params.repeatTimes, nullptr, HAWK_SITE(MrgSort));
}
// The high-level form: the queue lengths as an array, the per-queue counts of an exhausted-suspension merge out.
template <typename T, bool isExhaustedSuspension = false>
__aicore__ inline void MrgSort(const LocalTensor<T>& dst, const MrgSortSrcList<T>& sortList,
                               const uint16_t elementCountList[4], uint32_t sortedNum[4], uint16_t validBit,
                               const int32_t repeatTime, HAWK_LINE) {
    detail::mrgsort_call(dst, sortList, elementCountList, isExhaustedSuspension, validBit, repeatTime, sortedNum,
                         HAWK_SITE(MrgSort));
}
// The pairs each queue gave to the last MrgSort that stopped on an exhausted queue (ifExhaustedSuspension).
__aicore__ inline void GetMrgSortResult(uint16_t& mrgSortList1, uint16_t& mrgSortList2, uint16_t& mrgSortList3,
                                        uint16_t& mrgSortList4) {
    uint16_t r[4];
    hawk::mrgsort_result(r);
    mrgSortList1 = r[0]; mrgSortList2 = r[1]; mrgSortList3 = r[2]; mrgSortList4 = r[3];
}

// High-level Sort: Sort32 per repeat; isFullSort merges all repeatTime x 32 pairs into one descending list in dst
// (tmp is the library's scratch and must be a UB tensor).
template <typename T, bool isFullSort>
__aicore__ inline void Sort(const LocalTensor<T>& dst, const LocalTensor<T>& concat, const LocalTensor<uint32_t>& index,
                            LocalTensor<T>& tmp, const int32_t repeatTime, HAWK_LINE) {
    hawk::sort32(dst.ref_, concat.ref_, index.ref_, static_cast<int64_t>(repeatTime), HAWK_SITE(Sort));
    if constexpr (isFullSort) hawk::sort_full(dst.ref_, tmp.ref_, static_cast<int64_t>(repeatTime), HAWK_SITE(Sort));
}
// Concat on A2: the scores are sorted as they are (concat becomes src; tmp is unused).
template <typename T>
__aicore__ inline void Concat(LocalTensor<T>& concat, const LocalTensor<T>& src, const LocalTensor<T>& tmp,
                              const int32_t repeatTime) {
    (void)tmp;
    (void)repeatTime;
    concat = src;
}
// Extract: the scores and the indices of repeatTime x 32 sorted pairs into two dense tensors.
template <typename T>
__aicore__ inline void Extract(const LocalTensor<T>& dstValue, const LocalTensor<uint32_t>& dstIndex,
                               const LocalTensor<T>& sorted, const int32_t repeatTime, HAWK_LINE) {
    hawk::sort_extract(dstValue.ref_, dstIndex.ref_, sorted.ref_, static_cast<int64_t>(repeatTime), HAWK_SITE(Extract));
}
// Sizes in sorted data, in elements of T (a pair is 2 floats or 4 halfs), as the A2 library computes them.
template <typename T> __aicore__ inline uint32_t GetSortLen(const uint32_t elemCount) {
    static_assert(sizeof(T) == 2 || sizeof(T) == 4, "GetSortLen supports half / float");
    return elemCount * (sizeof(T) == 2 ? 4u : 2u);
}
template <typename T> __aicore__ inline uint32_t GetSortOffset(const uint32_t elemOffset) {
    static_assert(sizeof(T) == 2 || sizeof(T) == 4, "GetSortOffset supports half / float");
    return elemOffset * (sizeof(T) == 2 ? 4u : 2u);
}

// Region-proposal instructions of the older architectures: documented as not supported on Atlas A2/A3.
#define HAWK_NOT_ON_A2(Name)                                                                                     \
    template <typename T0 = void, auto... V, typename... A>                                                      \
    __aicore__ inline void Name(const A&...) {                                                                   \
        hawk::fault(hawk::Kind::UNSUPPORTED_API, hawk::Mem::NONE, ::hawk::Site{::hawk::Api::None, ::hawk::g.last_line}, \
                    "%s (region proposals) is not supported on Atlas A2/A3 (the documentation lists it for Atlas "   \
                    "training and inference AI Core products only); use Sort32 / MrgSort", #Name);              \
    }
HAWK_NOT_ON_A2(MrgSort4)
HAWK_NOT_ON_A2(RpSort16)
HAWK_NOT_ON_A2(ProposalConcat)
HAWK_NOT_ON_A2(ProposalExtract)
#undef HAWK_NOT_ON_A2

}  // namespace AscendC

#endif  // HAWK_SORT_H
