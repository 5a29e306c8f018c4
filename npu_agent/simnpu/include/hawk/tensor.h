// Kernel-side keywords, positions, events, GlobalTensor/LocalTensor, TPipe/TQue/TBuf and synchronisation.
// Our own code written from the public Ascend C API documentation.
#ifndef HAWK_TENSOR_H
#define HAWK_TENSOR_H

#include <cstdint>
#include <type_traits>

#include "hawk/runtime.h"
#include "hawk/types.h"

// ---- language extensions of the Ascend C compiler (asc-devkit docs SIMD-BuiltIn关键字.md) ----
// __global__ marks the kernel entry and __aicore__ device code: on the twin both are ordinary host functions.
// __cube__ / __vector__ say which cores a kernel runs on: the entry is placed in a marker section that
// HAWK_LAUNCH (hawk/launch.h) reports, so a __cube__ kernel runs on AIC cores exactly like
// KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY) (no effect on coupled SoCs, as on the device). __inline__ and
// __forceinline__ force inlining on the device, a code-size/speed matter only, so they are plain `inline`.
#define __aicore__
#define __global__
#define __host__
#define __gm__
#define __ubuf__
#define __cbuf__
#define __ca__
#define __cb__
#define __cc__
#define __kfc_workspace__  // marks the workspace parameter a Matmul client (KFC) kernel hands the AIC server
#define __vector__ __attribute__((section(HAWK_AIV_SECTION)))
#define __cube__ __attribute__((section(HAWK_AIC_SECTION)))
#define HAWK_AIV_SECTION "hawk_aiv_text"
#define HAWK_AIC_SECTION "hawk_aic_text"
// __mix__(cube, vec): a mixed kernel (1 AIC + `vec` AIVs per block, or one core type with the cross-core
// scheduler); the entry goes to a marker section that HAWK_LAUNCH (hawk/launch.h) reports to the runtime.
#define __mix__(cube, vec) __attribute__((section("hawk_mix_" #cube "_" #vec "_text")))
#define __schedmode__(...)
#ifndef __inline__
#define __inline__ inline
#endif
#define __forceinline__ inline
#define GM_ADDR __gm__ uint8_t*

namespace hawk {
// The caller's source line, as a type no user argument converts to (so it never takes part in overloading).
// (GCC 12 evaluates __builtin_LINE() in a braced default argument at the declaration, hence the parentheses.)
struct SrcLine {
    explicit constexpr SrcLine(uint32_t line) : v(line) {}
    uint32_t v;
};
template <typename T> struct identity { using type = T; };
}  // namespace hawk

#define HAWK_LINE ::hawk::SrcLine hawk_line = ::hawk::SrcLine(__builtin_LINE())
#define HAWK_SITE(name) (::hawk::Site{::hawk::Api::name, hawk_line.v})

// Pipes as the CCE intrinsics name them (global, as on the device compiler).
enum pipe_t : uint8_t { PIPE_S = 0, PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_ALL, PIPE_MTE4, PIPE_MTE5, PIPE_V2,
                        PIPE_FIX };
enum event_t : uint8_t { EVENT_ID0 = 0, EVENT_ID1, EVENT_ID2, EVENT_ID3, EVENT_ID4, EVENT_ID5, EVENT_ID6, EVENT_ID7 };

namespace AscendC {

enum class TPosition : uint8_t {
    GM = 0, A1, A2, B1, B2, C1, C2, CO1, CO2, VECIN, VECOUT, VECCALC, LCM = VECCALC, SPM, SHM = SPM, TSCM,
    C2PIPE2GM, C2PIPE2LOCAL, MAX,
};
using QuePosition = TPosition;

enum class HardEvent : uint8_t {
    MTE2_MTE1, MTE1_MTE2, MTE1_M, M_MTE1, MTE2_V, V_MTE2, MTE3_V, V_MTE3, M_V, V_M, V_V, MTE3_MTE1, MTE1_MTE3,
    MTE1_V, MTE2_M, M_MTE2, V_MTE1, M_FIX, FIX_M, MTE3_MTE2, MTE2_MTE3, S_V, V_S, S_MTE2, MTE2_S, S_MTE3,
    MTE3_S, MTE2_FIX, FIX_MTE2, FIX_S, M_S, FIX_MTE3, MTE1_FIX, FIX_MTE1, FIX_FIX, MAX,
};
using TEventID = int8_t;

enum class CacheMode : uint8_t { CACHE_MODE_NORMAL = 0, CACHE_MODE_DISABLE, CACHE_MODE_LAST, CACHE_MODE_PERSISTENT };

namespace detail {
using hawk::Pipe;
constexpr Pipe kEventPipes[][2] = {
    {Pipe::MTE2, Pipe::MTE1}, {Pipe::MTE1, Pipe::MTE2}, {Pipe::MTE1, Pipe::M}, {Pipe::M, Pipe::MTE1},
    {Pipe::MTE2, Pipe::V}, {Pipe::V, Pipe::MTE2}, {Pipe::MTE3, Pipe::V}, {Pipe::V, Pipe::MTE3},
    {Pipe::M, Pipe::V}, {Pipe::V, Pipe::M}, {Pipe::V, Pipe::V}, {Pipe::MTE3, Pipe::MTE1},
    {Pipe::MTE1, Pipe::MTE3}, {Pipe::MTE1, Pipe::V}, {Pipe::MTE2, Pipe::M}, {Pipe::M, Pipe::MTE2},
    {Pipe::V, Pipe::MTE1}, {Pipe::M, Pipe::FIX}, {Pipe::FIX, Pipe::M}, {Pipe::MTE3, Pipe::MTE2},
    {Pipe::MTE2, Pipe::MTE3}, {Pipe::S, Pipe::V}, {Pipe::V, Pipe::S}, {Pipe::S, Pipe::MTE2},
    {Pipe::MTE2, Pipe::S}, {Pipe::S, Pipe::MTE3}, {Pipe::MTE3, Pipe::S}, {Pipe::MTE2, Pipe::FIX},
    {Pipe::FIX, Pipe::MTE2}, {Pipe::FIX, Pipe::S}, {Pipe::M, Pipe::S}, {Pipe::FIX, Pipe::MTE3},
    {Pipe::MTE1, Pipe::FIX}, {Pipe::FIX, Pipe::MTE1}, {Pipe::FIX, Pipe::FIX},
};
constexpr Pipe pipe_of(pipe_t p) {
    return p == PIPE_S ? Pipe::S : p == PIPE_V ? Pipe::V : p == PIPE_M ? Pipe::M : p == PIPE_MTE1 ? Pipe::MTE1
         : p == PIPE_MTE2 ? Pipe::MTE2 : p == PIPE_MTE3 ? Pipe::MTE3 : p == PIPE_FIX ? Pipe::FIX : Pipe::ALL;
}
}  // namespace detail

// ShapeInfo (辅助数据结构): the shape a LocalTensor/GlobalTensor carries for the high-level APIs.
enum class DataFormat : uint8_t { ND = 0, NZ, NCHW, NC1HWC0, NHWC };
constexpr uint32_t K_MAX_DIM = 8;
struct ShapeInfo {
    __aicore__ inline ShapeInfo() = default;
    __aicore__ inline ShapeInfo(const uint8_t inputShapeDim, const uint32_t inputShape[],
                                const uint8_t inputOriginalShapeDim, const uint32_t inputOriginalShape[],
                                const DataFormat inputFormat)
        : shapeDim(inputShapeDim), originalShapeDim(inputOriginalShapeDim), dataFormat(inputFormat) {
        for (uint32_t i = 0; i < shapeDim && i < K_MAX_DIM; ++i) shape[i] = inputShape[i];
        for (uint32_t i = 0; i < originalShapeDim && i < K_MAX_DIM; ++i) originalShape[i] = inputOriginalShape[i];
    }
    __aicore__ inline ShapeInfo(const uint8_t inputShapeDim, const uint32_t inputShape[], const DataFormat inputFormat)
        : ShapeInfo(inputShapeDim, inputShape, inputShapeDim, inputShape, inputFormat) {}
    __aicore__ inline ShapeInfo(const uint8_t inputShapeDim, const uint32_t inputShape[])
        : ShapeInfo(inputShapeDim, inputShape, inputShapeDim, inputShape, DataFormat::ND) {}
    uint8_t shapeDim = 0;
    uint8_t originalShapeDim = 0;
    uint32_t shape[K_MAX_DIM] = {};
    uint32_t originalShape[K_MAX_DIM] = {};
    DataFormat dataFormat = DataFormat::ND;
};
__aicore__ inline int GetShapeSize(const ShapeInfo& shapeInfo) {
    int n = 1;
    for (uint32_t i = 0; i < shapeInfo.shapeDim && i < K_MAX_DIM; ++i) n *= static_cast<int>(shapeInfo.shape[i]);
    return n;
}

__aicore__ inline int64_t GetBlockIdx() { return hawk::g.block_idx; }
__aicore__ inline int64_t GetBlockNum() { return hawk::g.block_num; }
// Mixed kernels: an AIV's GetBlockIdx() is blockIdx * GetSubBlockNum() + GetSubBlockIdx() (crosscore.cpp).
__aicore__ inline int64_t GetSubBlockIdx() { return hawk::g.sub_block_idx; }
__aicore__ inline int64_t GetSubBlockNum() { return hawk::g.sub_block_num; }
__aicore__ inline int64_t GetTaskRation() { return hawk::g.sub_block_num; }
__aicore__ inline int64_t GetTaskRatio() { return hawk::g.sub_block_num; }
template <typename T> class LocalTensor;
template <typename T> class GlobalTensor;

namespace detail {
// Element `index` of int4b_t data whose byte is at p: even indices in the low nibble, odd in the high one.
inline int4b_t nibble_get(const uint8_t* p, uint64_t index) {
    return int4b_t(static_cast<int32_t>(*p >> (4 * (index % 2))));
}
inline void nibble_set(uint8_t* p, uint64_t index, int4b_t v) {
    const unsigned sh = 4 * (index % 2);
    *p = static_cast<uint8_t>((*p & ~(0xFu << sh)) | ((v.storage & 0xFu) << sh));
}
}  // namespace detail

// ------------------------------------------------------------------------------------------- GlobalTensor
template <typename T> class GlobalTensor {
   public:
    using PrimType = T;
    __aicore__ inline GlobalTensor() = default;
    __aicore__ inline void SetGlobalBuffer(__gm__ T* buffer, uint64_t bufferSize) {
        ptr_ = buffer;
        size_ = bufferSize;
    }
    __aicore__ inline void SetGlobalBuffer(__gm__ T* buffer) {
        ptr_ = buffer;
        size_ = 0;
    }
    __aicore__ inline GlobalTensor operator[](uint64_t offset) const {
        GlobalTensor out;
        out.ptr_ = GetPhyAddr(offset);
        out.size_ = size_ > offset ? size_ - offset : 0;
        out.cache_mode_ = cache_mode_;  // a view keeps its tensor's L2 cache hint
        return out;
    }
    __aicore__ inline T GetValue(uint64_t offset, HAWK_LINE) const {
        if constexpr (std::is_same_v<T, int4b_t>) {
            return detail::nibble_get(hawk::scalar_gm(ref(), offset / 2, 1, false, HAWK_SITE(GetValue)), offset);
        } else {
            T v;
            std::memcpy(&v, hawk::scalar_gm(ref(), offset * sizeof(T), sizeof(T), false, HAWK_SITE(GetValue)),
                        sizeof(T));
            return v;
        }
    }
    __aicore__ inline void SetValue(uint64_t offset, const typename hawk::identity<T>::type& value, HAWK_LINE) {
        if constexpr (std::is_same_v<T, int4b_t>) {
            detail::nibble_set(hawk::scalar_gm(ref(), offset / 2, 1, true, HAWK_SITE(SetValue)), offset, value);
        } else {
            std::memcpy(hawk::scalar_gm(ref(), offset * sizeof(T), sizeof(T), true, HAWK_SITE(SetValue)), &value,
                        sizeof(T));
        }
    }
    __aicore__ inline T& operator()(uint64_t offset) {
        const hawk::Site site{hawk::Api::GetValue, hawk::g.last_line};
        if constexpr (std::is_same_v<T, int4b_t>) hawk::unsupported_api("operator() of an int4b_t GlobalTensor", site);
        hawk::note_data_ref(ref(), site);
        return *reinterpret_cast<T*>(hawk::scalar_gm(ref(), offset * sizeof(T), sizeof(T), true, site));
    }
    __aicore__ inline uint64_t GetSize() const { return size_; }
    __aicore__ inline __gm__ T* GetPhyAddr() const { return ptr_; }
    // int4b_t: two elements per byte, so the offset moves by half bytes (an odd offset rounds down, as on the device).
    __aicore__ inline __gm__ T* GetPhyAddr(uint64_t offset) const {
        return reinterpret_cast<__gm__ T*>(reinterpret_cast<__gm__ uint8_t*>(ptr_) + hawk::elem_bytes<T>(offset));
    }
    __aicore__ inline void SetL2CacheHint(CacheMode mode) { cache_mode_ = mode; }
    __aicore__ inline void SetShapeInfo(const ShapeInfo& shapeInfo) { shape_info_ = shapeInfo; }
    __aicore__ inline ShapeInfo GetShapeInfo() const { return shape_info_; }

    hawk::Ref ref() const {
        hawk::Ref r;
        r.mem = hawk::Mem::GM;
        r.dt = hawk::dt_v<T>;
        r.addr = reinterpret_cast<uint64_t>(ptr_);
        r.bytes = hawk::elem_bytes<T>(size_);
        r.l2_hint = static_cast<uint8_t>(cache_mode_);
        return r;
    }
    __gm__ T* ptr_ = nullptr;
    uint64_t size_ = 0;
    CacheMode cache_mode_ = CacheMode::CACHE_MODE_NORMAL;
    ShapeInfo shape_info_{};
};

enum class CacheLine : uint8_t { SINGLE_CACHE_LINE = 0, ENTIRE_DATA_CACHE };
enum class DcciDst : uint8_t { CACHELINE_ALL = 0, CACHELINE_UB, CACHELINE_OUT, CACHELINE_ATOMIC };
// Scalar writes to GM are coherent on the twin, so cache maintenance has nothing to do.
template <typename T, auto... Args> __aicore__ inline void DataCacheCleanAndInvalid(const GlobalTensor<T>&) {}

// -------------------------------------------------------------------------------------------- LocalTensor
namespace detail {
// `dst = a + b` (and - * / | &, and the comparisons into a bit-mask tensor): CANN's SymbolOverride* run the
// count form of Add/Sub/Mul/Div/Or/And over dst.GetSize() elements (Compare over src0.GetSize()).
template <typename T> struct VecExpr {
    hawk::VOp op;
    const LocalTensor<T>* a;
    const LocalTensor<T>* b;
    int cmp_mode;
};
}  // namespace detail

template <typename T> class LocalTensor {
   public:
    using PrimType = T;
    __aicore__ inline LocalTensor() = default;
    // Static tensor programming: tileSize elements at byte address addr of the position's memory (no buffer
    // bookkeeping; every API that uses it still checks bounds and alignment).
    __aicore__ inline LocalTensor(TPosition pos, uint32_t addr, uint32_t tileSize) {
        ref_.mem = hawk::position_mem(static_cast<int>(pos));
        ref_.dt = hawk::dt_v<T>;
        ref_.addr = addr;
        ref_.bytes = hawk::elem_bytes<T>(tileSize);
        pos_ = pos;
    }
    __aicore__ inline LocalTensor operator[](uint32_t offset) const {
        LocalTensor out = *this;
        uint64_t off = hawk::elem_bytes<T>(offset);
        out.ref_.addr += off;
        out.ref_.bytes = ref_.bytes > off ? ref_.bytes - off : 0;
        return out;
    }
    __aicore__ inline uint32_t GetSize() const { return static_cast<uint32_t>(hawk::elems_in<T>(ref_.bytes)); }
    __aicore__ inline uint32_t GetLength() const { return static_cast<uint32_t>(ref_.bytes); }
    __aicore__ inline void SetSize(uint32_t size) { ref_.bytes = hawk::elem_bytes<T>(size); }
    __aicore__ inline void SetBufferLen(uint32_t dataLen) { ref_.bytes = dataLen; }
    __aicore__ inline T GetValue(uint32_t index, HAWK_LINE) const {
        if constexpr (std::is_same_v<T, int4b_t>) {
            return detail::nibble_get(hawk::scalar_local(ref_, index / 2, 1, false, HAWK_SITE(GetValue)), index);
        } else {
            T v;
            std::memcpy(&v,
                        hawk::scalar_local(ref_, uint64_t(index) * sizeof(T), sizeof(T), false, HAWK_SITE(GetValue)),
                        sizeof(T));
            return v;
        }
    }
    __aicore__ inline void SetValue(uint32_t index, const typename hawk::identity<T>::type& value, HAWK_LINE) const {
        if constexpr (std::is_same_v<T, int4b_t>) {
            detail::nibble_set(hawk::scalar_local(ref_, index / 2, 1, true, HAWK_SITE(SetValue)), index, value);
        } else {
            std::memcpy(hawk::scalar_local(ref_, uint64_t(index) * sizeof(T), sizeof(T), true, HAWK_SITE(SetValue)),
                        &value, sizeof(T));
        }
    }
    __aicore__ inline T& operator()(uint32_t index, HAWK_LINE) const {
        if constexpr (std::is_same_v<T, int4b_t>) {
            hawk::unsupported_api("operator() of an int4b_t LocalTensor", HAWK_SITE(SetValue));
        }
        hawk::note_data_ref(ref_, HAWK_SITE(SetValue));
        return *reinterpret_cast<T*>(
            hawk::scalar_local(ref_, uint64_t(index) * sizeof(T), sizeof(T), true, HAWK_SITE(SetValue)));
    }
    template <typename U> __aicore__ inline LocalTensor<U> ReinterpretCast() const {
        LocalTensor<U> out;
        out.ref_ = ref_;
        out.ref_.dt = hawk::dt_v<U>;
        out.pos_ = pos_;
        return out;
    }
    __aicore__ inline uint64_t GetPhyAddr() const { return ref_.addr; }
    __aicore__ inline uint64_t GetPhyAddr(uint32_t offset) const { return ref_.addr + hawk::elem_bytes<T>(offset); }
    __aicore__ inline TPosition GetPosition() const { return pos_; }
    __aicore__ inline void SetShapeInfo(const ShapeInfo& shapeInfo) { shape_info_ = shapeInfo; }
    __aicore__ inline ShapeInfo GetShapeInfo() const { return shape_info_; }
    __aicore__ inline void SetUserTag(int32_t tag) { tag_ = tag; }
    __aicore__ inline int32_t GetUserTag() const { return tag_; }

    detail::VecExpr<T> operator+(const LocalTensor& b) const { return {hawk::VOp::ADD, this, &b, 0}; }
    detail::VecExpr<T> operator-(const LocalTensor& b) const { return {hawk::VOp::SUB, this, &b, 0}; }
    detail::VecExpr<T> operator*(const LocalTensor& b) const { return {hawk::VOp::MUL, this, &b, 0}; }
    detail::VecExpr<T> operator/(const LocalTensor& b) const { return {hawk::VOp::DIV, this, &b, 0}; }
    detail::VecExpr<T> operator|(const LocalTensor& b) const { return {hawk::VOp::OR, this, &b, 0}; }
    detail::VecExpr<T> operator&(const LocalTensor& b) const { return {hawk::VOp::AND, this, &b, 0}; }
    detail::VecExpr<T> operator<(const LocalTensor& b) const { return {hawk::VOp::CMP, this, &b, 0}; }
    detail::VecExpr<T> operator>(const LocalTensor& b) const { return {hawk::VOp::CMP, this, &b, 1}; }
    detail::VecExpr<T> operator==(const LocalTensor& b) const { return {hawk::VOp::CMP, this, &b, 2}; }
    detail::VecExpr<T> operator<=(const LocalTensor& b) const { return {hawk::VOp::CMP, this, &b, 3}; }
    detail::VecExpr<T> operator>=(const LocalTensor& b) const { return {hawk::VOp::CMP, this, &b, 4}; }
    detail::VecExpr<T> operator!=(const LocalTensor& b) const { return {hawk::VOp::CMP, this, &b, 5}; }
    LocalTensor& operator=(const LocalTensor&) = default;
    template <typename U> void operator=(const detail::VecExpr<U>& e) const {
        hawk::VecCall c{};
        c.op = e.op;
        c.dst = ref_;
        c.src0 = e.a->ref_;
        c.src1 = e.b->ref_;
        c.mode = e.cmp_mode;
        const bool cmp = e.op == hawk::VOp::CMP;
        c.count = cmp ? static_cast<int64_t>(e.a->GetSize()) : static_cast<int64_t>(GetSize());
        static constexpr hawk::Api kApi[] = {hawk::Api::Add, hawk::Api::Sub, hawk::Api::Mul, hawk::Api::Div,
                                             hawk::Api::Max, hawk::Api::Min, hawk::Api::And, hawk::Api::Or};
        hawk::Api api = cmp ? hawk::Api::Compare : kApi[static_cast<int>(e.op)];
        hawk::vec(c, hawk::Site{api, hawk::g.last_line});
    }

    hawk::Ref ref_{};
    TPosition pos_ = TPosition::VECCALC;
    int32_t tag_ = 0;
    int32_t que_ = -1;   // the queue the buffer came from, -1 for TBuf views
    ShapeInfo shape_info_{};
};

namespace detail {
template <typename T> inline LocalTensor<T> make_local(const hawk::Ref& r, TPosition pos, int que) {
    LocalTensor<T> t;
    t.ref_ = r;
    t.pos_ = pos;
    t.que_ = que;
    return t;
}
}  // namespace detail

// ------------------------------------------------------------------------------------------- queues
using TBufHandle = uint8_t*;
namespace detail {
inline TBufHandle to_handle(const hawk::Ref& r) {
    return hawk::g.mem_base[static_cast<int>(r.mem)] + r.addr;
}
inline hawk::Ref from_handle(TBufHandle h, TPosition pos) {
    hawk::Ref r;
    r.mem = hawk::position_mem(static_cast<int>(pos));
    r.dt = hawk::DT::U8;
    r.addr = static_cast<uint64_t>(h - hawk::g.mem_base[static_cast<int>(r.mem)]);
    return r;
}
}  // namespace detail

template <TPosition pos, int32_t depth, auto mask = 0> class TQue {
   public:
    static constexpr TPosition kPosition = pos;
    static constexpr int32_t kDepth = depth;
    __aicore__ inline TQue() = default;
    template <typename T> __aicore__ inline LocalTensor<T> AllocTensor(HAWK_LINE) {
        return detail::make_local<T>(hawk::que_alloc(id_, hawk::dt_v<T>, HAWK_SITE(AllocTensor)), pos, id_);
    }
    template <typename T> __aicore__ inline bool EnQue(const LocalTensor<T>& tensor, HAWK_LINE) {
        hawk::que_enque(id_, tensor.ref_, HAWK_SITE(EnQue));
        return true;
    }
    template <typename T> __aicore__ inline LocalTensor<T> DeQue(HAWK_LINE) {
        return detail::make_local<T>(hawk::que_deque(id_, hawk::dt_v<T>, HAWK_SITE(DeQue)), pos, id_);
    }
    template <typename T> __aicore__ inline void FreeTensor(LocalTensor<T>& tensor, HAWK_LINE) {
        hawk::que_free(id_, tensor.ref_, HAWK_SITE(FreeTensor));
    }
    // The forms that fill a tensor the caller holds, and the ones naming the user positions of a bound queue.
    template <typename T> __aicore__ inline void AllocTensor(LocalTensor<T>& tensor, HAWK_LINE) {
        tensor = detail::make_local<T>(hawk::que_alloc(id_, hawk::dt_v<T>, HAWK_SITE(AllocTensor)), pos, id_);
    }
    template <typename T> __aicore__ inline void DeQue(LocalTensor<T>& tensor, HAWK_LINE) {
        tensor = detail::make_local<T>(hawk::que_deque(id_, hawk::dt_v<T>, HAWK_SITE(DeQue)), pos, id_);
    }
    template <TPosition srcUserPos, TPosition dstUserPos, typename T>
    __aicore__ inline bool EnQue(const LocalTensor<T>& tensor, HAWK_LINE) {
        hawk::que_enque(id_, tensor.ref_, HAWK_SITE(EnQue));
        return true;
    }
    template <TPosition srcUserPos, TPosition dstUserPos, typename T> __aicore__ inline LocalTensor<T> DeQue(HAWK_LINE) {
        return detail::make_local<T>(hawk::que_deque(id_, hawk::dt_v<T>, HAWK_SITE(DeQue)), pos, id_);
    }
    // The buffer-handle forms (CANN's TBufHandle: an opaque handle of one buffer of the queue). The twin's handle
    // is the buffer's host address in the core's memory, so EnQue/FreeBuffer find the buffer again.
    __aicore__ inline TBufHandle AllocBuffer(HAWK_LINE) {
        return detail::to_handle(hawk::que_alloc(id_, hawk::DT::U8, HAWK_SITE(AllocTensor)));
    }
    __aicore__ inline bool EnQue(TBufHandle buf, HAWK_LINE) {
        hawk::que_enque(id_, detail::from_handle(buf, pos), HAWK_SITE(EnQue));
        return true;
    }
    __aicore__ inline TBufHandle DeQue(HAWK_LINE) {
        return detail::to_handle(hawk::que_deque(id_, hawk::DT::U8, HAWK_SITE(DeQue)));
    }
    __aicore__ inline void FreeBuffer(TBufHandle buf, HAWK_LINE) {
        hawk::que_free(id_, detail::from_handle(buf, pos), HAWK_SITE(FreeTensor));
    }
    __aicore__ inline bool VacantInQue() const { return hawk::que_count(id_) < (depth > 0 ? depth : 1); }
    __aicore__ inline bool HasTensorInQue() const { return hawk::que_count(id_) > 0; }
    __aicore__ inline int32_t GetTensorCountInQue() const { return hawk::que_count(id_); }
    __aicore__ inline bool HasIdleBuffer() const { return hawk::que_free_slots(id_) > 0; }
    __aicore__ inline void FreeAllEvent() {}
    int id_ = -1;
};

// A queue between two positions (e.g. VECIN -> VECOUT); its buffers live in the source position's memory.
template <TPosition src, TPosition dst, int32_t depth, auto mask = 0>
class TQueBind : public TQue<(src == TPosition::GM ? dst : src), depth, mask> {};

template <TPosition pos = TPosition::VECCALC> class TBuf {
   public:
    static constexpr TPosition kPosition = pos;
    template <typename T> __aicore__ inline LocalTensor<T> Get(HAWK_LINE) {
        return detail::make_local<T>(hawk::tbuf_get(id_, hawk::dt_v<T>, 0, ~uint64_t(0), HAWK_SITE(TBufGet)), pos, -1);
    }
    template <typename T> __aicore__ inline LocalTensor<T> Get(uint32_t len, HAWK_LINE) {
        return detail::make_local<T>(
            hawk::tbuf_get(id_, hawk::dt_v<T>, 0, hawk::elem_bytes<T>(len), HAWK_SITE(TBufGet)), pos, -1);
    }
    template <typename T> __aicore__ inline LocalTensor<T> GetWithOffset(uint32_t size, uint32_t bufOffset, HAWK_LINE) {
        return detail::make_local<T>(
            hawk::tbuf_get(id_, hawk::dt_v<T>, bufOffset, hawk::elem_bytes<T>(size), HAWK_SITE(TBufGet)), pos, -1);
    }
    // Inherited from TQueBind in CANN: on a TBuf, AllocTensor and DeQue are Get, EnQue and FreeTensor do nothing.
    template <typename T> __aicore__ inline LocalTensor<T> AllocTensor(HAWK_LINE) {
        return detail::make_local<T>(hawk::tbuf_get(id_, hawk::dt_v<T>, 0, ~uint64_t(0), HAWK_SITE(TBufGet)), pos, -1);
    }
    template <typename T> __aicore__ inline LocalTensor<T> DeQue(HAWK_LINE) {
        return detail::make_local<T>(hawk::tbuf_get(id_, hawk::dt_v<T>, 0, ~uint64_t(0), HAWK_SITE(TBufGet)), pos, -1);
    }
    template <typename T> __aicore__ inline void EnQue(const LocalTensor<T>&) {}
    template <typename T> __aicore__ inline void FreeTensor(LocalTensor<T>&) {}
    int id_ = -1;
};

class TPipe;
namespace detail {
inline TPipe*& current_pipe() { return reinterpret_cast<TPipe*&>(hawk::g.cur_pipe); }  // per core
}  // namespace detail

class TPipe {
   public:
    __aicore__ inline TPipe() : id_(hawk::pipe_create()) { detail::current_pipe() = this; }
    __aicore__ inline ~TPipe() {
        hawk::pipe_destroy(id_);
        if (detail::current_pipe() == this) detail::current_pipe() = nullptr;
    }
    TPipe(const TPipe&) = delete;
    TPipe& operator=(const TPipe&) = delete;

    template <class Q>
    __aicore__ inline bool InitBuffer(Q& que, uint32_t num, uint32_t len, HAWK_LINE) {
        que.id_ = hawk::pipe_init_queue(id_, static_cast<int>(Q::kPosition), Q::kDepth, num, len,
                                        HAWK_SITE(InitBuffer));
        return true;
    }
    template <TPosition pos>
    __aicore__ inline bool InitBuffer(TBuf<pos>& buf, uint32_t len, HAWK_LINE) {
        buf.id_ = hawk::pipe_init_tbuf(id_, static_cast<int>(pos), len, HAWK_SITE(InitBuffer));
        return true;
    }
    __aicore__ inline void Reset() { hawk::pipe_reset(id_); }
    __aicore__ inline void Destroy() { hawk::pipe_reset(id_); }
    __aicore__ inline void Init() {}
    // Event ids per HardEvent: AllocEventID takes the lowest free id, ReleaseEventID gives it back, FetchEventID
    // returns the lowest free id without taking it.
    template <HardEvent evt> __aicore__ inline TEventID AllocEventID(HAWK_LINE) {
        return static_cast<TEventID>(hawk::event_id(id_, static_cast<int>(evt), 1, 0, HAWK_SITE(SetFlag)));
    }
    template <HardEvent evt> __aicore__ inline void ReleaseEventID(TEventID id, HAWK_LINE) {
        hawk::event_id(id_, static_cast<int>(evt), 2, id, HAWK_SITE(SetFlag));
    }
    template <HardEvent evt> __aicore__ inline TEventID FetchEventID(HAWK_LINE) {
        return static_cast<TEventID>(hawk::event_id(id_, static_cast<int>(evt), 0, 0, HAWK_SITE(SetFlag)));
    }
    __aicore__ inline TEventID FetchEventID(HardEvent evt, HAWK_LINE) {
        return static_cast<TEventID>(hawk::event_id(id_, static_cast<int>(evt), 0, 0, HAWK_SITE(SetFlag)));
    }
    int id_;
};

__aicore__ inline TPipe* GetTPipePtr() { return detail::current_pipe(); }

// ------------------------------------------------------------------------------------------------ sync
template <HardEvent evt> __aicore__ inline void SetFlag(int32_t eventID, HAWK_LINE) {
    hawk::set_flag(detail::kEventPipes[static_cast<int>(evt)][0], detail::kEventPipes[static_cast<int>(evt)][1],
                   eventID, HAWK_SITE(SetFlag));
}
template <HardEvent evt> __aicore__ inline void WaitFlag(int32_t eventID, HAWK_LINE) {
    hawk::wait_flag(detail::kEventPipes[static_cast<int>(evt)][0], detail::kEventPipes[static_cast<int>(evt)][1],
                    eventID, HAWK_SITE(WaitFlag));
}
template <pipe_t pipe> __aicore__ inline void PipeBarrier(HAWK_LINE) {
    hawk::barrier(detail::pipe_of(pipe), HAWK_SITE(PipeBarrier));
}

}  // namespace AscendC

// CCE-style intrinsics some kernels still use.
inline void pipe_barrier(pipe_t pipe, HAWK_LINE) {
    hawk::barrier(AscendC::detail::pipe_of(pipe), HAWK_SITE(PipeBarrier));
}
inline void set_flag(pipe_t src, pipe_t dst, int32_t id, HAWK_LINE) {
    hawk::set_flag(AscendC::detail::pipe_of(src), AscendC::detail::pipe_of(dst), id, HAWK_SITE(SetFlag));
}
inline void wait_flag(pipe_t src, pipe_t dst, int32_t id, HAWK_LINE) {
    hawk::wait_flag(AscendC::detail::pipe_of(src), AscendC::detail::pipe_of(dst), id, HAWK_SITE(WaitFlag));
}

#endif  // HAWK_TENSOR_H
