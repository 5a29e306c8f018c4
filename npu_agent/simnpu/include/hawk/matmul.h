// The Matmul high-level API (kernel side): MatmulType, MatmulConfig presets, the Matmul object and
// REGIST_MATMUL_OBJ, as documented for CANN's lib/matmul_intf.h. Our own code written from the public
// documentation. The object only describes calls; runtime/matmul.cpp runs them with the twin's cube primitives
// (Nd2Nz GM->L1, L1->L0A/L0B loads, Mmad, Fixpipe) on the AIC core's memories, so the hardware checks and the
// instruction record (MTE2, MTE1, M and FIX entries on an AIC core) come from the same code as hand-written cube
// kernels. Called from AIV code (a MIX kernel), the cube work runs in the calling block with the AIC core's
// memories and is recorded on the AIC core; C to a VECIN tensor goes through GM as on the hardware.
#ifndef HAWK_MATMUL_H
#define HAWK_MATMUL_H

#include "hawk/matmul_tiling.h"
#include "hawk/tensor.h"

namespace AscendC {

enum class LayoutMode : int32_t { NONE = 0, BSNGD, SBNGD, BNGS1S2, NORMAL };
enum class BatchMode : int32_t { NONE = 0, BATCH_LESS_THAN_L1, BATCH_LARGE_THAN_L1, SINGLE_LARGE_THAN_L1 };
enum BatchOutMode : int32_t { SINGLE_BATCH = 0, MULTI_BATCH, DYNAMIC };
enum class IterateOrder : int32_t { ORDER_M = 0, ORDER_N, UNDEF };
enum IterateMode : uint8_t { ITERATE_MODE_NORMAL = 1, ITERATE_MODE_ALL = 2, ITERATE_MODE_BATCH = 4,
                             ITERATE_MODE_N_BATCH = 8, ITERATE_MODE_DEFAULT = 255 };
enum class DecompressionMode : int32_t { DECOMP_NONE = 0 };
enum class MatmulConfigMode : int32_t { CONFIG_NORM = 0, CONFIG_MDL, CONFIG_SPECIALMDL, CONFIG_IBSHARE };
using ScheduleType = ::matmul_tiling::ScheduleType;
inline constexpr uint32_t SHARED_CO1_BUFFER_SIZE = 64 * 1024;
// The UB bytes the library's own vector work may take (CANN's constant; kernels size SetLocalWorkspace with it).
inline constexpr uint32_t TOTAL_VEC_LOCAL_SIZE = 184 * 1024;

// Fields in the documented order (aggregate initialisation by position keeps working).
struct MatmulConfig {
    bool doNorm = true;
    bool doBasicBlock = false;
    bool doMultiDataLoad = false;
    uint32_t basicM = 0;
    uint32_t basicN = 0;
    uint32_t basicK = 0;
    bool intrinsicsCheck = false;
    bool isNBatch = false;
    bool enVecND2NZ = false;
    bool doSpecialBasicBlock = false;
    uint32_t doMTE2Preload = 0;
    uint32_t singleCoreM = 0;
    uint32_t singleCoreN = 0;
    uint32_t singleCoreK = 0;
    uint32_t stepM = 0;
    uint32_t stepN = 0;
    uint32_t baseMN = 0;
    uint32_t singleCoreMN = 0;
    bool enUnitFlag = true;
    bool isPerTensor = false;
    bool hasAntiQuantOffset = false;
    bool doIBShareNorm = false;
    bool doSpecialMDL = false;
    bool enableInit = true;
    BatchMode batchMode = BatchMode::NONE;
    bool enableEnd = true;
    bool enableGetTensorC = true;
    bool enableSetOrgShape = true;
    bool enableSetBias = true;
    bool enableSetTail = true;
    bool enableQuantVector = true;
    bool enableSetDefineData = true;
    uint8_t iterateMode = ITERATE_MODE_DEFAULT;
    bool enableReuse = true;
    bool enableUBReuse = false;
    bool enableL1CacheUB = false;
    bool intraBlockPartSum = false;
    IterateOrder iterateOrder = IterateOrder::UNDEF;
    ScheduleType scheduleType = ScheduleType::INNER_PRODUCT;
    bool enableDoubleCache = false;
    bool isBiasBatch = true;
    bool enableStaticPadZeros = false;
    bool isPartialOutput = false;
    bool enableMixDualMaster = false;
    bool isA2B2Shared = false;
    bool isEnableChannelSplit = false;
    bool enableKdimReorderLoad = false;
    bool isCO1Shared = false;
    uint32_t sharedCO1BufferSize = SHARED_CO1_BUFFER_SIZE;
    BatchOutMode bmmOutMode = BatchOutMode::SINGLE_BATCH;
    bool enableL1BankConflictOptimise = false;
    bool enableRelu = false;
    DecompressionMode decompMode = DecompressionMode::DECOMP_NONE;
};

namespace detail {
constexpr MatmulConfig mm_cfg(bool norm, bool basic, bool multi, bool special_mdl, bool ibshare) {
    MatmulConfig c{};
    c.doNorm = norm;
    c.doBasicBlock = basic;
    c.doMultiDataLoad = multi;
    c.doSpecialMDL = special_mdl;
    c.doIBShareNorm = ibshare;
    return c;
}
}  // namespace detail

// The presets. The twin runs every template with the same schedule (the result is the same by definition);
// the choice only changes what the real library would do for speed.
inline constexpr MatmulConfig CFG_NORM = detail::mm_cfg(true, false, false, false, false);
inline constexpr MatmulConfig CFG_MDL = detail::mm_cfg(false, false, true, false, false);
inline constexpr MatmulConfig CFG_IBSHARE_NORM = detail::mm_cfg(false, false, false, false, true);
inline constexpr MatmulConfig MM_CFG_BB = detail::mm_cfg(false, true, false, false, false);
template <typename... A> __aicore__ constexpr MatmulConfig GetNormalConfig(A...) { return CFG_NORM; }
template <typename... A> __aicore__ constexpr MatmulConfig GetMDLConfig(A...) { return CFG_MDL; }
template <typename... A> __aicore__ constexpr MatmulConfig GetSpecialMDLConfig(A...) {
    return detail::mm_cfg(false, false, false, true, false);
}
template <typename... A> __aicore__ constexpr MatmulConfig GetBasicConfig(A...) { return MM_CFG_BB; }
template <typename... A> __aicore__ constexpr MatmulConfig GetIBShareNormConfig(A...) { return CFG_IBSHARE_NORM; }
template <MatmulConfigMode mode = MatmulConfigMode::CONFIG_NORM, typename... A>
__aicore__ constexpr MatmulConfig GetMMConfig(A...) {
    return mode == MatmulConfigMode::CONFIG_MDL ? CFG_MDL : mode == MatmulConfigMode::CONFIG_IBSHARE ? CFG_IBSHARE_NORM
                                                                                                   : CFG_NORM;
}

template <TPosition POSITION, CubeFormat FORMAT, typename TYPE, bool ISTRANS = false,
          LayoutMode LAYOUT = LayoutMode::NONE, bool IBSHARE = false>
struct MatmulType {
    constexpr static TPosition pos = POSITION;
    constexpr static CubeFormat format = FORMAT;
    using T = TYPE;
    constexpr static bool isTrans = ISTRANS;
    constexpr static LayoutMode layout = LAYOUT;
    constexpr static bool ibShare = IBSHARE;
};

template <auto... Callbacks> struct MatmulCallBackFunc {};
struct MatmulApiStaticTiling {};

}  // namespace AscendC

namespace hawk {
// One Matmul object's state, shared with the runtime (runtime/matmul.cpp).
struct MmObj {
    DT a_dt = DT::NONE, b_dt = DT::NONE, c_dt = DT::NONE, bias_dt = DT::NONE;
    int32_t a_pos = 0, a_fmt = 0, b_pos = 0, b_fmt = 0, c_pos = 0, c_fmt = 0, bias_pos = 0;
    bool a_trans_type = false, b_trans_type = false;  // MatmulType ISTRANS
    bool relu = false;
    AscendC::tiling::TCubeTiling t{};
    bool has_tiling = false;
    int pipe = -1;                 // the kernel's TPipe (REGIST_MATMUL_OBJ / Init), -1 none
    int own_pipe = -1;             // the AIC-side pipe the runtime made for the object's buffers
    int64_t buf_block = -1;        // block whose memories hold the object's buffers
    uint64_t l1_a = 0, l1_b = 0, l1_bias = 0, l0a = 0, l0b = 0, l0c = 0, bt = 0, l1_a_bytes = 0, l1_b_bytes = 0;
    Ref a{}, b{}, bias{};
    bool a_set = false, b_set = false, bias_on = false, a_trans = false, b_trans = false;
    int32_t org_m = 0, org_n = 0, org_ka = 0, org_kb = 0, org_kc = 0;  // 0: from the tiling
    int32_t single_m = 0, single_n = 0, single_k = 0;                  // 0: from the tiling
    int32_t iter = -1;             // index of the C block in L0C, -1 before the first Iterate
    int32_t m_blocks = 0, n_blocks = 0;
    bool c_ready = false;          // L0C holds the block of `iter`
    int64_t cache_a_m = -1, cache_a_k = -1, cache_a_n = -1;  // the A group in L1 (row, K offset, rows)
    int64_t cache_b_n = -1, cache_b_k = -1, cache_b_m = -1;  // the B group in L1
    bool ended = false;
};
void mm_init(MmObj& o, const AscendC::tiling::TCubeTiling* tiling, int pipe, Site site);
void mm_set_operand(MmObj& o, int which, const Ref& r, bool trans, Site site);  // 0 A, 1 B, 2 bias
bool mm_iterate(MmObj& o, bool partial_sum, Site site);
void mm_get_c(MmObj& o, const Ref& dst, int atomic, bool sequential, Site site);
void mm_iterate_all(MmObj& o, const Ref& dst, int atomic, bool sequential, Site site);
void mm_end(MmObj& o, Site site);
[[noreturn]] void mm_unsupported(const char* what, Site site);
bool mm_server_returns();              // REGIST_MATMUL_OBJ on the AIC side of a MIX kernel returns at once
bool mm_mix_kernel();                  // the kernel includes lib/matmul_intf.h without ASCENDC_CUBE_ONLY
uint8_t* sys_workspace();
void set_sys_workspace(uint8_t* ws);
}  // namespace hawk

namespace AscendC {

template <class A_TYPE, class B_TYPE, class C_TYPE, class BIAS_TYPE = C_TYPE, const auto& MM_CFG = CFG_NORM,
          class MM_CB = MatmulCallBackFunc<nullptr, nullptr, nullptr>, class... POLICY>
class MatmulImpl {
   public:
    using SrcAT = typename A_TYPE::T;
    using SrcBT = typename B_TYPE::T;
    using DstT = typename C_TYPE::T;
    using BiasT = typename BIAS_TYPE::T;
    using SrcT = SrcAT;
    __aicore__ inline MatmulImpl() {
        o_.a_dt = hawk::dt_v<SrcAT>;
        o_.b_dt = hawk::dt_v<SrcBT>;
        o_.c_dt = hawk::dt_v<DstT>;
        o_.bias_dt = hawk::dt_v<BiasT>;
        o_.a_pos = static_cast<int32_t>(A_TYPE::pos);
        o_.b_pos = static_cast<int32_t>(B_TYPE::pos);
        o_.c_pos = static_cast<int32_t>(C_TYPE::pos);
        o_.bias_pos = static_cast<int32_t>(BIAS_TYPE::pos);
        o_.a_fmt = static_cast<int32_t>(A_TYPE::format);
        o_.b_fmt = static_cast<int32_t>(B_TYPE::format);
        o_.c_fmt = static_cast<int32_t>(C_TYPE::format);
        o_.a_trans_type = A_TYPE::isTrans;
        o_.b_trans_type = B_TYPE::isTrans;
        o_.relu = MM_CFG.enableRelu;
    }
    __aicore__ inline void Init(const TCubeTiling* cubeTiling, TPipe* tpipe = nullptr, HAWK_LINE) {
        hawk::mm_init(o_, cubeTiling, tpipe ? tpipe->id_ : (o_.pipe >= 0 ? o_.pipe : -1), HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetPipe(TPipe* tpipe) { o_.pipe = tpipe ? tpipe->id_ : -1; }
    __aicore__ inline void SetOrgShape(int orgM, int orgN, int orgK) { SetOrgShape(orgM, orgN, orgK, orgK, orgN); }
    __aicore__ inline void SetOrgShape(int orgM, int orgN, int orgKa, int orgKb, int orgKc = 0) {
        o_.org_m = orgM;
        o_.org_n = orgN;
        o_.org_ka = orgKa;
        o_.org_kb = orgKb;
        o_.org_kc = orgKc;
    }
    __aicore__ inline void SetSingleShape(int singleM, int singleN, int singleK) {
        o_.single_m = singleM;
        o_.single_n = singleN;
        o_.single_k = singleK;
        o_.iter = -1;
        o_.c_ready = false;
    }
    __aicore__ inline void SetTail(int tailM = -1, int tailN = -1, int tailK = -1) {
        if (tailM > 0) o_.single_m = tailM;
        if (tailN > 0) o_.single_n = tailN;
        if (tailK > 0) o_.single_k = tailK;
        o_.iter = -1;
        o_.c_ready = false;
    }
    __aicore__ inline void SetTensorA(const GlobalTensor<SrcAT>& gm, bool isTransposeA = false, HAWK_LINE) {
        hawk::mm_set_operand(o_, 0, gm.ref(), isTransposeA, HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetTensorA(const LocalTensor<SrcAT>& local, bool isTransposeA = false, HAWK_LINE) {
        hawk::mm_set_operand(o_, 0, local.ref_, isTransposeA, HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetTensorA(SrcAT, HAWK_LINE) {
        hawk::mm_unsupported("Matmul::SetTensorA with a scalar", HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetTensorB(const GlobalTensor<SrcBT>& gm, bool isTransposeB = false, HAWK_LINE) {
        hawk::mm_set_operand(o_, 1, gm.ref(), isTransposeB, HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetTensorB(const LocalTensor<SrcBT>& local, bool isTransposeB = false, HAWK_LINE) {
        hawk::mm_set_operand(o_, 1, local.ref_, isTransposeB, HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetTensorB(SrcBT, HAWK_LINE) {
        hawk::mm_unsupported("Matmul::SetTensorB with a scalar", HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetBias(const GlobalTensor<BiasT>& gm, HAWK_LINE) {
        hawk::mm_set_operand(o_, 2, gm.ref(), false, HAWK_SITE(Matmul));
    }
    __aicore__ inline void SetBias(const LocalTensor<BiasT>& local, HAWK_LINE) {
        hawk::mm_set_operand(o_, 2, local.ref_, false, HAWK_SITE(Matmul));
    }
    __aicore__ inline void ClearBias() { o_.bias_on = false; }
    __aicore__ inline void DisableBias() { o_.bias_on = false; }
    __aicore__ inline void SetHF32(bool = false, int32_t = 0) {}
    __aicore__ inline void SetSubBlockIdx(uint8_t) {}
    __aicore__ inline uint8_t GetSubBlockIdx() { return 0; }
    __aicore__ inline void SetUserDefInfo(uint64_t) {}
    __aicore__ inline void SetSelfDefineData(...) {}
    __aicore__ inline void SetWorkspace(GM_ADDR, int) {}
    template <class T> __aicore__ inline void SetWorkspace(const GlobalTensor<T>&) {}
    template <class T> __aicore__ inline void SetWorkspace(__gm__ const T*, int) {}
    __aicore__ inline void SetLocalWorkspace(const LocalTensor<uint8_t>&) {}
    __aicore__ inline void SetQuantScalar(uint64_t, HAWK_LINE) {
        hawk::mm_unsupported("Matmul::SetQuantScalar (quantised C output)", HAWK_SITE(Matmul));
    }
    template <class T> __aicore__ inline void SetQuantVector(const GlobalTensor<T>&, HAWK_LINE) {
        hawk::mm_unsupported("Matmul::SetQuantVector (quantised C output)", HAWK_SITE(Matmul));
    }
    template <class... A> __aicore__ inline void SetAntiQuantScalar(A...) {
        hawk::mm_unsupported("Matmul::SetAntiQuantScalar", hawk::Site{hawk::Api::Matmul, hawk::g.last_line});
    }
    template <class... A> __aicore__ inline void SetBatchNum(A...) {}

    template <bool sync = true> __aicore__ inline bool Iterate(bool enPartialSum = false, HAWK_LINE) {
        return hawk::mm_iterate(o_, enPartialSum, HAWK_SITE(Matmul));
    }
    template <bool sync = true, bool doPad = false>
    __aicore__ inline void GetTensorC(const LocalTensor<DstT>& c, uint8_t enAtomic = 0, bool enSequentialWrite = false,
                                      HAWK_LINE) {
        hawk::mm_get_c(o_, c.ref_, enAtomic, enSequentialWrite, HAWK_SITE(Matmul));
    }
    template <bool sync = true>
    __aicore__ inline void GetTensorC(const GlobalTensor<DstT>& gm, uint8_t enAtomic = 0,
                                      bool enSequentialWrite = false, HAWK_LINE) {
        hawk::mm_get_c(o_, gm.ref(), enAtomic, enSequentialWrite, HAWK_SITE(Matmul));
    }
    template <bool sync = true>
    __aicore__ inline void GetTensorC(const GlobalTensor<DstT>& gm, const LocalTensor<DstT>& c, uint8_t enAtomic = 0,
                                      bool enSequentialWrite = false, HAWK_LINE) {
        hawk::mm_get_c(o_, gm.ref(), enAtomic, enSequentialWrite, HAWK_SITE(Matmul));
        hawk::mm_get_c(o_, c.ref_, 0, enSequentialWrite, HAWK_SITE(Matmul));
    }
    template <bool sync = true> __aicore__ inline void AsyncGetTensorC(const LocalTensor<DstT>& c, HAWK_LINE) {
        hawk::mm_get_c(o_, c.ref_, 0, false, HAWK_SITE(Matmul));
    }
    __aicore__ inline void WaitGetTensorC() {}
    template <bool sync = true>
    __aicore__ inline void IterateAll(const GlobalTensor<DstT>& gm, uint8_t enAtomic = 0,
                                      bool enSequentialWrite = false, bool waitIterateAll = false,
                                      bool fakeMsg = false, HAWK_LINE) {
        (void)waitIterateAll;
        (void)fakeMsg;
        hawk::mm_iterate_all(o_, gm.ref(), enAtomic, enSequentialWrite, HAWK_SITE(Matmul));
    }
    template <bool sync = true>
    __aicore__ inline void IterateAll(const LocalTensor<DstT>& ub, uint8_t enAtomic = 0, HAWK_LINE) {
        hawk::mm_iterate_all(o_, ub.ref_, enAtomic, false, HAWK_SITE(Matmul));
    }
    __aicore__ inline void WaitIterateAll() {}
    template <class... A> __aicore__ inline void IterateBatch(A...) {
        hawk::mm_unsupported("Matmul::IterateBatch", hawk::Site{hawk::Api::Matmul, hawk::g.last_line});
    }
    template <class... A> __aicore__ inline void IterateNBatch(A...) {
        hawk::mm_unsupported("Matmul::IterateNBatch", hawk::Site{hawk::Api::Matmul, hawk::g.last_line});
    }
    __aicore__ inline void End(HAWK_LINE) { hawk::mm_end(o_, HAWK_SITE(Matmul)); }

    hawk::MmObj o_;
};

template <class A_TYPE, class B_TYPE, class C_TYPE, class BIAS_TYPE = C_TYPE, const auto& MM_CFG = CFG_NORM,
          class MM_CB = MatmulCallBackFunc<nullptr, nullptr, nullptr>, class... POLICY>
using Matmul = MatmulImpl<A_TYPE, B_TYPE, C_TYPE, BIAS_TYPE, MM_CFG, MM_CB, POLICY...>;

// The system workspace the Matmul API uses for its messages (the kernel's workspace argument on the twin).
__aicore__ inline GM_ADDR GetSysWorkSpacePtr() { return hawk::sys_workspace(); }
__aicore__ inline void SetSysWorkspace(GM_ADDR workspace) { hawk::set_sys_workspace(workspace); }
__aicore__ inline void SetSysWorkSpacePtr(GM_ADDR workspace) { hawk::set_sys_workspace(workspace); }
// The user part of the kernel's workspace: after the system workspace (GetLibApiWorkSpaceSize bytes).
__aicore__ inline GM_ADDR GetUserWorkspace(GM_ADDR workspace) {
    return workspace == nullptr ? nullptr
                                : workspace + hawk::platform_query(hawk::PlatformQuery::LIB_WS, 0);
}

namespace detail {
template <class T> struct is_tiling_arg : std::false_type {};
template <> struct is_tiling_arg<TCubeTiling*> : std::true_type {};
template <> struct is_tiling_arg<const TCubeTiling*> : std::true_type {};
template <> struct is_tiling_arg<TCubeTiling> : std::true_type {};
template <> struct is_tiling_arg<std::nullptr_t> : std::true_type {};
inline const TCubeTiling* tiling_of(const TCubeTiling* t) { return t; }
inline const TCubeTiling* tiling_of(const TCubeTiling& t) { return &t; }
inline const TCubeTiling* tiling_of(std::nullptr_t) { return nullptr; }
template <class MM> inline void mm_regist_one(TPipe* pipe, MM& mm, const TCubeTiling* tiling, uint32_t line) {
    mm.SetPipe(pipe);
    if (tiling != nullptr) mm.Init(tiling, pipe, ::hawk::SrcLine(line));
}
inline void mm_regist(TPipe*, uint32_t) {}
template <class MM> inline void mm_regist(TPipe* pipe, uint32_t line, MM& mm) { mm_regist_one(pipe, mm, nullptr, line); }
template <class MM, class T, class... Rest>
inline void mm_regist(TPipe* pipe, uint32_t line, MM& mm, T&& next, Rest&&... rest) {
    if constexpr (is_tiling_arg<std::decay_t<T>>::value) {
        mm_regist_one(pipe, mm, tiling_of(next), line);
        mm_regist(pipe, line, rest...);
    } else {
        mm_regist_one(pipe, mm, nullptr, line);
        mm_regist(pipe, line, next, rest...);
    }
}
}  // namespace detail

}  // namespace AscendC

// The matmul namespace sees all of AscendC (kernels that say `using namespace matmul;` call GetBlockIdx() etc.
// unqualified, as with CANN's headers).
namespace matmul {
using namespace AscendC;
using AscendC::CFG_IBSHARE_NORM;
using AscendC::CFG_MDL;
using AscendC::CFG_NORM;
using AscendC::GetBasicConfig;
using AscendC::GetIBShareNormConfig;
using AscendC::GetMDLConfig;
using AscendC::GetMMConfig;
using AscendC::GetNormalConfig;
using AscendC::GetSpecialMDLConfig;
using AscendC::Matmul;
using AscendC::MatmulCallBackFunc;
using AscendC::MatmulConfig;
using AscendC::MatmulImpl;
using AscendC::MatmulType;
using AscendC::MM_CFG_BB;
using AscendC::LayoutMode;
using AscendC::IterateOrder;
using AscendC::BatchMode;
using AscendC::MatmulConfigMode;
}  // namespace matmul
using AscendC::GetSysWorkSpacePtr;
using AscendC::GetUserWorkspace;
using AscendC::SetSysWorkspace;

// REGIST_MATMUL_OBJ(&pipe, workspace, mm[, &tiling][, mm2, &tiling2 ...]): binds each object to the pipe and
// initialises it with its tiling. On the AIC side of a MIX kernel the real macro turns the core into the server
// of the AIV cores' requests and returns; the twin runs the cube work from the AIV calls (hawk::mm_server_returns).
#define REGIST_MATMUL_OBJ(tpipe, workspace, ...)                                                              \
    do {                                                                                                      \
        (void)(workspace);                                                                                    \
        if (::hawk::mm_server_returns()) return;                                                              \
        ::AscendC::detail::mm_regist((tpipe), __builtin_LINE(), __VA_ARGS__);                                 \
    } while (0)
#define REGIST_MATMUL_OBJ_STATIC REGIST_MATMUL_OBJ

#endif  // HAWK_MATMUL_H
