// Kernel-side names a CANN (bisheng) kernel build provides besides the documented kernel API, which public
// kernels use without declaring them: the device compiler's builtins (block_idx, block_num, get_block_idx(),
// get_block_num(), get_subblockid(), get_subblockdim(), the global QuantMode_t), the constants of
// kernel_operator.h's utils (ONE_BLK_SIZE, DEFAULT_REPEAT_STRIDE, ...), AscendCUtils, likely/unlikely and the
// vcadd intrinsic. Our own code; names and values follow CANN's headers (impl/basic_api/utils/
// kernel_utils_constants.h, kernel_utils_macros.h, kernel_utils_base.h) so that a kernel that compiles there
// compiles here, and nothing is added to namespace AscendC that CANN does not define (a kernel's own global
// constant of the same name would become ambiguous under `using namespace AscendC`).
#ifndef HAWK_CANN_COMPAT_H
#define HAWK_CANN_COMPAT_H

#include <cstddef>
#include <cstdint>

#include "hawk/cube.h"
#include "hawk/runtime.h"
#include "hawk/tensor.h"
#include "hawk/vector.h"

// ----------------------------------------------------------------------------------------- likely/unlikely
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

// ------------------------------------------------------------------------------------- device builtins
// get_block_idx(): the block's index in the launch; on an AIV of a mixed kernel it is the cluster index, and
// GetBlockIdx() = get_block_idx() * get_subblockdim() + get_subblockid() (CANN's GetBlockIdxImpl).
__aicore__ inline int64_t get_subblockid() { return hawk::g.sub_block_idx; }
__aicore__ inline int64_t get_subblockdim() { return hawk::g.sub_block_num; }
__aicore__ inline int64_t get_block_idx() {
    return hawk::g.sub_block_num > 1 ? (hawk::g.block_idx - hawk::g.sub_block_idx) / hawk::g.sub_block_num
                                     : hawk::g.block_idx;
}
__aicore__ inline int64_t get_block_num() { return hawk::g.block_num; }

namespace hawk {
// `block_idx` / `block_num` are read-only variables of the device compiler. A variable of this type reads the
// running block's value wherever it is used as an integer, and a kernel may still declare its own `block_num`
// member or local (which hides it, as on the device).
struct BlockBuiltin {
    bool num;
    __aicore__ operator int64_t() const { return num ? get_block_num() : get_block_idx(); }
};
}  // namespace hawk
inline constexpr hawk::BlockBuiltin block_idx{false};
inline constexpr hawk::BlockBuiltin block_num{true};

// GetTPipePtr() is declared at global scope in CANN (kernel_common.h), so it is found without AscendC.
using AscendC::GetTPipePtr;

// QuantMode_t at global scope: hawk/cube.h.

namespace AscendC {
// ------------------------------------------------------------------------------ kernel_utils constants
// CANN's values and types (impl/basic_api/utils/kernel_utils_constants.h): API encodings, not hardware numbers
// of the twin's model (those live in npu_agent/hardware/*.toml).
const int32_t DEFAULT_BLK_NUM = 8;
const int32_t DEFAULT_BLK_STRIDE = 1;
const uint8_t DEFAULT_REPEAT_STRIDE = 8;
const uint8_t HALF_DEFAULT_REPEAT_STRIDE = 4;
const uint8_t ONE_FOURTH_DEFAULT_REPEAT_STRIDE = 2;
const uint64_t FULL_MASK = 0xffffffffffffffff;
const int32_t DEFAULT_C0_SIZE = 32;
const int32_t DEFAULT_BLOCK_SIZE = 256;
const int32_t MAX_REPEAT_TIMES = 255;
const int32_t ONE_BYTE_BIT_SIZE = 8;
const int32_t BLOCK_CUBE = 16;
const uint16_t ONE_BLK_SIZE = 32;
const int32_t CUBE_MAX_SIZE = 256;
const int32_t ONE_REPEAT_BYTE_SIZE = 256;
const int32_t FULL_MASK_LEN = 128;
const int32_t HALF_MASK_LEN = 64;
const int32_t DEFAULT_REDUCE_DST_REP_STRIDE = 1;
const uint8_t B64_BYTE_SIZE = 8;
const uint8_t B32_BYTE_SIZE = 4;
const uint8_t B16_BYTE_SIZE = 2;
const uint8_t B8_BYTE_SIZE = 1;
const uint8_t B32_DATA_NUM_PER_BLOCK = 8;
const uint8_t B16_DATA_NUM_PER_BLOCK = 16;
const int32_t B16_DATA_NUM_PER_REPEAT = 128;
const int32_t B32_DATA_NUM_PER_REPEAT = 64;
const uint32_t HALF_REPEAT_SIZE = ONE_REPEAT_BYTE_SIZE / B16_BYTE_SIZE;
const uint32_t FLOAT_REPEAT_SIZE = ONE_REPEAT_BYTE_SIZE / B32_BYTE_SIZE;
const uint32_t ONE_REPEAT_FLOAT_SIZE = ONE_REPEAT_BYTE_SIZE / B32_BYTE_SIZE;
const uint32_t ONE_REPEAT_HALF_SIZE = ONE_REPEAT_BYTE_SIZE / B16_BYTE_SIZE;
const uint32_t MAX_REPEAT_FLOAT_SIZE = ONE_REPEAT_FLOAT_SIZE * MAX_REPEAT_TIMES;
const uint32_t MAX_REPEAT_HALF_SIZE = ONE_REPEAT_HALF_SIZE * MAX_REPEAT_TIMES;
const uint32_t ONE_BLK_HALF_NUM = ONE_BLK_SIZE / B16_BYTE_SIZE;
const uint32_t ONE_BLK_FLOAT_NUM = ONE_BLK_SIZE / B32_BYTE_SIZE;
const uint32_t BRCB_BROADCAST_NUMBER = 8;
const uint32_t BRCB_MAX_REPEAT_SIZE = BRCB_BROADCAST_NUMBER * MAX_REPEAT_TIMES;
const int32_t MIN_BLOCK_LEN = 1;

// ----------------------------------------------------------------------------------------- AscendCUtils
// The mask helpers CANN's kernels call directly (kernel_utils_base.h). SetMask<T>(len) in normal mode: the first
// len elements (64 -> the low register only; one full repeat or >= 128 -> both registers full).
class AscendCUtils {
   public:
    __aicore__ static inline int32_t GetBitSize(int32_t byteSize) { return byteSize * ONE_BYTE_BIT_SIZE; }
    __aicore__ static inline int32_t GetC0Size() { return DEFAULT_C0_SIZE; }
    __aicore__ static inline int32_t GetC0Count(const int32_t dtypeSize) { return GetC0Size() / dtypeSize; }
    __aicore__ static inline int32_t GetDefaultBlockNum() { return DEFAULT_BLK_NUM; }
    template <typename T, bool isSetMask = true>
    __aicore__ static inline void SetMask(const uint64_t& maskHigh, const uint64_t& maskLow) {
        if constexpr (isSetMask) {
            if (hawk::g.core != hawk::Core::AIC) AscendC::SetVectorMask<T>(maskHigh, maskLow);
        }
    }
    template <typename T, bool isSetMask = true> __aicore__ static inline void SetMask(int32_t len) {
        if constexpr (!isSetMask) return;
        const int32_t typeLen = DEFAULT_BLOCK_SIZE / static_cast<int32_t>(sizeof(T));
        if (len == HALF_MASK_LEN) {
            SetMask<T>(0, FULL_MASK);
        } else if (len == typeLen || len >= FULL_MASK_LEN) {
            SetMask<T>(FULL_MASK, FULL_MASK);
        } else {
            SetMask<T>(len > HALF_MASK_LEN ? (uint64_t(1) << (len - HALF_MASK_LEN)) - 1 : 0,
                       len > HALF_MASK_LEN ? FULL_MASK : (uint64_t(1) << len) - 1);
        }
    }
    template <typename T> __aicore__ static inline void SetMaskCount() { AscendC::SetMaskCount(); }
    template <typename T> __aicore__ static inline void SetMaskNorm() { AscendC::SetMaskNorm(); }
    template <bool isSetMask = true> __aicore__ static inline void ResetMask() {
        if constexpr (isSetMask) {
            if (hawk::g.core != hawk::Core::AIC) AscendC::ResetMask();
        }
    }
};

// --------------------------------------------------------------- impl/dav_c220/kernel_operator_reg_others_impl.h
__aicore__ inline int64_t GetSubBlockDim() { return get_subblockdim(); }
__aicore__ inline int64_t GetSubBlockId() { return get_subblockid(); }

// ------------------------------------------------------------------------------------ GetReduceMaxMinCount
// GetReduceRepeatMaxMinSpr (and its older name GetReduceMaxMinCount): the extreme value over all repeats of the last
// ReduceMax/ReduceMin/WholeReduceMax/WholeReduceMin and its index, stored in T's bits (reduce.cpp). The one-value
// form is the Atlas inference (310P) prototype.
}  // namespace AscendC
namespace hawk {
void reduce_spr(DT dt, void* value, void* index, Site site);
}  // namespace hawk
namespace AscendC {
template <typename T> __aicore__ inline void GetReduceRepeatMaxMinSpr(T& maxMinValue, T& maxMinIndex, HAWK_LINE) {
    hawk::reduce_spr(hawk::dt_v<T>, &maxMinValue, &maxMinIndex, hawk::Site{hawk::Api::GetReduceMaxMinSpr, hawk_line.v});
}
template <typename T> __aicore__ inline void GetReduceRepeatMaxMinSpr(T& maxMinValue, HAWK_LINE) {
    hawk::reduce_spr(hawk::dt_v<T>, &maxMinValue, nullptr, hawk::Site{hawk::Api::GetReduceMaxMinSpr, hawk_line.v});
}
template <typename T> __aicore__ inline void GetReduceMaxMinCount(T& maxMinValue, T& maxMinIndex, HAWK_LINE) {
    hawk::reduce_spr(hawk::dt_v<T>, &maxMinValue, &maxMinIndex, hawk::Site{hawk::Api::GetReduceMaxMinSpr, hawk_line.v});
}
template <typename T> __aicore__ inline void GetReduceMaxMinCount(T& maxMinValue, HAWK_LINE) {
    hawk::reduce_spr(hawk::dt_v<T>, &maxMinValue, nullptr, hawk::Site{hawk::Api::GetReduceMaxMinSpr, hawk_line.v});
}
// GetAccVal / GetReduceRepeatSumSpr: the accumulator register (ACC_VAL) an accumulating vcadd or ReduceSum's count
// form on 2201 leaves behind (get_acc_val), as T's bits.
template <typename T = int64_t> __aicore__ inline T GetAccVal() {
    const int64_t v = hawk::acc_val();
    T out;
    std::memcpy(&out, &v, sizeof(T));
    return out;
}
template <typename T> __aicore__ inline T GetReduceRepeatSumSpr() { return GetAccVal<T>(); }

// BroadCast / Broadcast: hawk/norms.h.
}  // namespace AscendC

// --------------------------------------------------------------------------------------------- vcadd
// The device intrinsic behind WholeReduceSum / ReduceSum (UB addresses as pointers, as
// `(__ubuf__ float*)tensor.GetPhyAddr()` gives them), under the mask register and mode: per repeat, the sum of the
// masked elements of src written to dst[repeat * dstRepStride]; with the accumulate flag (`mode`, ReduceSum's count
// form) the sum over all repeats goes to the ACC_VAL register instead (GetAccVal / get_acc_val read it).
template <typename T>
__aicore__ inline void vcadd(T* dst, T* src, uint64_t repeat, uint64_t dstRepStride, uint64_t srcBlkStride,
                             uint64_t srcRepStride, bool mode = false, HAWK_LINE) {
    hawk::Ref s;
    s.mem = hawk::Mem::UB;
    s.dt = hawk::dt_v<T>;
    s.addr = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(src));
    s.bytes = ~0ull;
    if (mode) {
        hawk::reduce_acc(s, repeat, srcBlkStride, srcRepStride, HAWK_SITE(WholeReduceSum));
        return;
    }
    hawk::Ref d = s;
    d.addr = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(dst));
    const uint64_t none[2] = {0, 0};
    hawk::whole_reduce(hawk::VOp::ADD, d, s, none, true, repeat, dstRepStride, srcBlkStride, srcRepStride, 0,
                       HAWK_SITE(WholeReduceSum), false);
}

// vcadd(nullptr, src, ..., true): the accumulating form without a destination.
template <typename T>
__aicore__ inline void vcadd(std::nullptr_t, T* src, uint64_t repeat, uint64_t dstRepStride, uint64_t srcBlkStride,
                             uint64_t srcRepStride, bool mode = true, HAWK_LINE) {
    vcadd(static_cast<T*>(nullptr), src, repeat, dstRepStride, srcBlkStride, srcRepStride, mode, hawk_line);
}

#endif  // HAWK_CANN_COMPAT_H
