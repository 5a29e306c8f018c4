// The ABI between the kernel-side headers (compiled with every candidate) and the twin runtime
// (runtime/hawk_runtime.cpp, compiled once per twin version). Keeping the API bodies in the runtime makes a
// candidate compile cheap: headers only describe a call and hand it over.
//
// Nothing here holds a hardware number: buffer sizes, alignments and limits are read by the runtime from
// the config file the runner writes from the hardware profile (npu_agent/hardware/<soc>.toml).
#ifndef HAWK_RUNTIME_H
#define HAWK_RUNTIME_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace hawk {

// Physical memories. GM is the harness's global memory; the others are per-core byte arrays.
enum class Mem : uint8_t { NONE = 0, GM = 1, UB = 2, L1 = 3, L0A = 4, L0B = 5, L0C = 6, BT = 7, FB = 8, COUNT = 9 };

// Element types as the record and the checker name them.
enum class DT : uint8_t {
    NONE = 0, F16 = 1, BF16 = 2, F32 = 3, I8 = 4, I16 = 5, I32 = 6, U8 = 7, I64 = 8, U16 = 9, U32 = 10, U64 = 11,
    I4 = 12,  // int4b_t: two elements per byte (dt_bits 4)
};

// Pipes; the numbers match hawk.v1.Pipe (SCALAR=1 ... FIXPIPE=7).
enum class Pipe : uint8_t { NONE = 0, S = 1, MTE1 = 2, MTE2 = 3, MTE3 = 4, V = 5, M = 6, FIX = 7, ALL = 8 };

// Core types; the numbers match hawk.v1.CoreType.
enum class Core : uint8_t { NONE = 0, AIV = 1, AIC = 2 };

// Record operation classes (docs/simnpu-record.md).
enum class Op : uint8_t {
    INSTR = 0,      // a data-moving or computing instruction on `pipe`
    SCALAR = 1,     // GetValue/SetValue on the scalar pipe
    SET_FLAG = 2,   // SetFlag / EnQue / FreeTensor: ev_src pipe signals ev_dst pipe
    WAIT_FLAG = 3,  // WaitFlag / DeQue / AllocTensor: ev_dst pipe waits for ev_src pipe
    BARRIER = 4,    // PipeBarrier<pipe>
    ALLOC = 5,      // AllocTensor (also carries the WAIT_FLAG semantics, see doc)
    FREE = 6,       // FreeTensor
    ENQUE = 7,
    DEQUE = 8,
    INIT_BUFFER = 9,
    XSET = 10,      // CrossCoreSetFlag / SyncAll: contributes to cross-core sync instance a1 (of a2 contributions)
    XWAIT = 11,     // CrossCoreWaitFlag / SyncAll: the core waits for cross-core sync instance a1
};

#define HAWK_API_LIST(X)                                                                                    \
    X(None) X(DataCopy) X(DataCopyPad) X(LoadData) X(Mmad) X(Fixpipe) X(Add) X(Sub) X(Mul) X(Div) X(Max)     \
    X(Min) X(Adds) X(Muls) X(Maxs) X(Mins) X(Exp) X(Ln) X(Abs) X(Sqrt) X(Rsqrt) X(Reciprocal) X(Relu)         \
    X(Duplicate) X(Cast) X(ReduceSum) X(ReduceMax) X(ReduceMin) X(WholeReduceSum) X(WholeReduceMax)          \
    X(WholeReduceMin) X(Compare) X(Compares) X(Select) X(PipeBarrier) X(SetFlag) X(WaitFlag) X(InitBuffer)   \
    X(AllocTensor) X(FreeTensor) X(EnQue) X(DeQue) X(GetValue) X(SetValue) X(TBufGet) X(GetTilingData)       \
    X(SetVectorMask) X(KernelStart) X(Brcb) X(BlockReduceSum) X(BlockReduceMax) X(And) X(Or) X(Not)          \
    X(LeakyRelu) X(Axpy) X(LoadData3D) X(InitConstValue) X(Tanh) X(Gather) X(Gatherb) X(ShiftLeft)            \
    X(ShiftRight) X(SetPadValue) X(SetCmpMask) X(GetCmpMask) X(BlockReduceMin) X(PairReduceSum) X(SetAtomic)  \
    X(CrossCoreSetFlag) X(CrossCoreWaitFlag) X(SyncAll) X(Matmul) X(SoftMax) X(Assert) X(Gm2L1) X(Fixpipe2L1)  \
    X(Transpose) X(GatherMask) X(Sort) X(Arange) X(Power) X(Sin) X(Cos) X(Erf) X(Sigmoid) X(Gelu) X(Silu)     \
    X(CumSum) X(LayerNorm) X(RmsNorm) X(Copy)                                                           \
    X(CreateVecIndex) X(AddRelu) X(SubRelu) X(FusedMulAdd) X(MulAddRelu) X(MulAddDst) X(ReduceDataBlock)      \
    X(Sort32) X(MrgSort) X(Extract) X(LayerNormGrad) X(LayerNormGradBeta) X(Sum) X(Broadcast)  \
    X(GetReduceMaxMinSpr) X(TransDataTo5HD)

enum class Api : uint16_t {
#define HAWK_API_ENUM(name) name,
    HAWK_API_LIST(HAWK_API_ENUM)
#undef HAWK_API_ENUM
        COUNT
};

// Stable exception classes (docs/kernel-contract.md lists code, error word and message per kind).
enum class Kind : uint8_t {
    OUT_OF_BOUNDS = 0,     // a local memory access or InitBuffer total past the buffer (kind "<MEM>_OUT_OF_BOUNDS")
    MISALIGNED_ADDRESS,
    GM_OUT_OF_BOUNDS,
    INVALID_PARAMETER,
    UNSUPPORTED_DTYPE,
    TOO_MANY_BUFFERS,
    DEQUE_EMPTY,
    QUEUE_MISUSE,
    WRONG_CORE_TYPE,
    DEADLOCK,
    UNSUPPORTED_API,
};

// What every API call site passes down: its name and the candidate's source line.
struct Site {
    Api api;
    uint32_t line;
};

// One operand: a region of one memory with its element type.
struct Ref {
    Mem mem = Mem::NONE;
    DT dt = DT::NONE;
    uint64_t addr = 0;    // byte offset in a local memory, or the host address of GM
    uint64_t bytes = 0;   // the tensor's own length in bytes (for the past-the-tensor warning)
    uint8_t l2_hint = 0;  // GM only: GlobalTensor::SetL2CacheHint mode (1 = CACHE_MODE_DISABLE); for the cycle model
};

// Binary/unary repeat parameters, held wide so out-of-range values are reported instead of wrapped.
struct Strides {
    uint32_t dst_blk = 1, src0_blk = 1, src1_blk = 1;
    uint32_t dst_rep = 8, src0_rep = 8, src1_rep = 8;
};

enum class VOp : uint8_t {
    ADD, SUB, MUL, DIV, MAX, MIN, AND, OR,                     // binary
    ADDS, MULS, MAXS, MINS, LEAKY_RELU,                        // tensor-scalar
    EXP, LN, ABS, SQRT, RSQRT, RECIP, RELU, NOT,               // unary
    DUP,                                                       // Duplicate
    CAST,
    CMP, CMPS, SEL,
    AXPY,
    TANH, SHL, SHR, COPY, SIGMOID,                             // vecext: Tanh, ShiftLeft/Right, Copy, Sigmoid
    INDEX,                                                     // CreateVecIndex: scalar + element index
    ADD_RELU, SUB_RELU, FMA, FMA_RELU, MULADD_DST,             // compound: FusedMulAdd = src0*dst+src1 ...
};
// VecCall::mode bits beyond the CMPMODE/SELMODE value (vecext): the operand comes from the CMPMASK register.
constexpr int kModeFromCmpMask = 0x10;
// VecCall::mode of SHR: ShiftRight with roundEn.
constexpr int kModeRound = 1;

// A vector instruction in either call form.
struct VecCall {
    VOp op;
    Ref dst, src0, src1;
    Ref sel;                  // Select's bit mask tensor
    double scalar = 0;        // tensor-scalar operand, or Select's scalar
    uint64_t scalar_bits = 0; // the scalar's bit pattern in the operand dtype (Duplicate of integers)
    bool count_form = true;   // "first n elements" form
    bool use_set_mask = false; // isSetMask=false: the mask (or counter) set by SetVectorMask applies
    int64_t count = 0;
    uint64_t mask[2] = {0, 0};
    bool bit_mask = false;    // mask given as uint64_t[2]
    uint64_t repeat = 1;
    Strides st;
    int mode = 0;             // RoundMode for Cast, CMPMODE for Compare, SELMODE for Select
};

struct CopyParams {           // DataCopyParams / DataCopyExtParams (wide)
    uint64_t block_count = 1, block_len = 0, src_stride = 0, dst_stride = 0;
};

struct PadParams {
    bool is_pad = false;
    uint64_t left = 0, right = 0;
    uint64_t value_bits = 0;
};

struct Nd2Nz {
    uint64_t nd_num = 1, n = 0, d = 0, src_nd_matrix_stride = 0, src_d = 0, dst_c0_stride = 0, dst_n_stride = 0,
             dst_nz_matrix_stride = 0;
};

struct Load2D {
    uint64_t start_index = 0, repeat = 0, src_stride = 0, sid = 0, dst_gap = 0;
    bool transpose = false;
};

// LoadDataWithTranspose (LoadData2dTransposeParams): whole-block transposes from L1 to L0A/L0B.
struct Load2DT {
    uint64_t start_index = 0, repeat = 0, src_stride = 0, dst_gap = 0, dst_frac_gap = 0;
};

// LoadData with LoadData3DParamsV2 (img2col from an L1 feature map in NC1HWC0 to L0A/L0B).
struct Load3D {
    uint64_t l1_h = 0, l1_w = 0, channel_size = 0, k_ext = 0, m_ext = 0, k_start = 0, m_start = 0;
    uint64_t stride_w = 1, stride_h = 1, filter_w = 1, filter_h = 1, dil_w = 1, dil_h = 1;
    uint8_t pad[4] = {0, 0, 0, 0};  // left, right, top, bottom
    bool transpose = false, small_k = false, filter_size_w = false, filter_size_h = false, fmatrix_ctrl = false;
    uint64_t pad_bits = 0;          // padValue's bit pattern in the element type
};

// Mmad: C (L0C) = [C or bias or 0] + A (L0A, Zz) x B (L0B, Zn).
struct MmadArgs {
    uint64_t m = 0, n = 0, k = 0;
    bool init_zero = true;           // cmatrixInitVal (and not the deprecated isBias)
    bool from_bias = false;          // cmatrixSource: C starts from the bias table (1 x N, broadcast)
    bool k_direction_align = false;  // float: K padded to 16 in L0A/L0B
    uint8_t unit_flag = 0;           // 0, 2 (keep the unit flags set) or 3 (reset them)
};

struct FixpipeArgs {
    uint64_t n_size = 0, m_size = 0, src_stride = 0, dst_stride = 0, nd_num = 1, src_nd_stride = 0,
             dst_nd_stride = 0;
    int quant = 0;             // QuantMode_t
    bool relu = false;
    bool nz_out = false;       // CFG_NZ: keep the NZ layout
    bool channel_split = false;
    uint8_t unit_flag = 0;
    uint64_t deq_scalar = 0;   // QUANT_PRE bits: M1 [31:13], N [35:32], MCB [36], offset [45:37], sign [46]
};

// The layout of the structs that cross from candidate code to the runtime; the runtime refuses to run a
// candidate compiled against a different layout (a stale precompiled header would corrupt every call).
#define HAWK_ABI_SIGNATURE                                                                                  \
    ((sizeof(::hawk::Ref) << 0) ^ (sizeof(::hawk::VecCall) << 8) ^ (sizeof(::hawk::CopyParams) << 20) ^      \
     (sizeof(::hawk::Nd2Nz) << 28) ^ (sizeof(::hawk::FixpipeArgs) << 36) ^ (sizeof(::hawk::State) << 46) ^    \
     (static_cast<unsigned long long>(offsetof(::hawk::VecCall, repeat)) << 56))

// Per-process state the inline header code reads directly (set by the runtime before each block).
struct State {
    int64_t block_idx = 0;
    int64_t block_num = 1;
    Core core = Core::NONE;
    uint8_t* mem_base[static_cast<int>(Mem::COUNT)] = {};
    uint64_t mem_size[static_cast<int>(Mem::COUNT)] = {};
    uint32_t last_line = 0;
    Api last_api = Api::None;
    uint64_t tiling_key = 0;
    // Mixed AIC+AIV kernels (KERNEL_TYPE_MIX_*): the AIV's index in its AI Core and the AIV count per AI Core
    // (GetSubBlockIdx, GetSubBlockNum, GetTaskRatio; 0 and 1 on AIC and for single-type kernels).
    int64_t sub_block_idx = 0;
    int64_t sub_block_num = 1;
    void* cur_pipe = nullptr;  // GetTPipePtr(): the running core's TPipe
};
extern State g;

// ---- runtime entry points (implemented in hawk_runtime.cpp) ----
[[noreturn]] void fault(Kind kind, Mem mem, Site site, const char* fmt, ...) __attribute__((format(printf, 4, 5)));
void warn(Site site, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

void vec(const VecCall& c, Site site);
void copy(const Ref& dst, const Ref& src, uint64_t count, Site site);
void copy_params(const Ref& dst, const Ref& src, const CopyParams& p, Site site);
void copy_pad(const Ref& dst, const Ref& src, const CopyParams& p, const PadParams& pad, bool ext, Site site);
void copy_nd2nz(const Ref& dst, const Ref& src, const Nd2Nz& p, Site site);
void load2d(const Ref& dst, const Ref& src, const Load2D& p, Site site);
void load2d_transpose(const Ref& dst, const Ref& src, const Load2DT& p, Site site);
void load3d(const Ref& dst, const Ref& src, const Load3D& p, Site site);
void init_const(const Ref& dst, uint64_t repeat, uint64_t block_num, uint64_t dst_gap, uint64_t value_bits, Site site);
void copy_bias(const Ref& dst, const Ref& src, const CopyParams& p, Site site);  // L1 -> BT / FB
// bias: the BT tensor of the Mmad-with-bias form (mem NONE otherwise).
void mmad(const Ref& dst, const Ref& a, const Ref& b, const Ref& bias, const MmadArgs& p, Site site);
// quant: the L1 tensor of per-channel quant parameters (VDEQF16 / VQF322B8_PRE / VREQ8), mem NONE otherwise.
void fixpipe(const Ref& dst, const Ref& src, const Ref& quant, const FixpipeArgs& p, Site site);
// set_mask: the API's isSetMask template argument (false: the mask register set by SetVectorMask applies).
void reduce(VOp op, const Ref& dst, const Ref& src, const Ref& work, uint64_t count, bool cal_index, Site site,
            bool set_mask = true);
void reduce_mask(VOp op, const Ref& dst, const Ref& src, const Ref& work, const uint64_t mask[2], bool bit_mask,
                 uint64_t repeat, uint64_t src_rep, bool cal_index, Site site);
void whole_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, int order, Site site, bool set_mask = true);
void block_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site, bool set_mask = true);
void pair_reduce(const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                 uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site, bool set_mask = true);
void brcb(const Ref& dst, const Ref& src, uint64_t repeat, uint64_t dst_blk, uint64_t dst_rep, Site site);

// Scalar access to a local memory or GM: checks and records, returns the host address.
uint8_t* scalar_local(const Ref& t, uint64_t byte_off, uint64_t nbytes, bool write, Site site);
uint8_t* scalar_gm(const Ref& t, uint64_t byte_off, uint64_t nbytes, bool write, Site site);
void check_gm_buffer(const void* ptr, uint64_t bytes, Site site);
// operator() hands out an element reference the kernel may read: a data-dependent scalar read (timing-only runs).
void note_data_ref(const Ref& t, Site site);

// Sync.
void set_flag(Pipe src, Pipe dst, int64_t id, Site site);
void wait_flag(Pipe src, Pipe dst, int64_t id, Site site);
void barrier(Pipe p, Site site);
void set_mask(bool counter, const uint64_t mask[2], Site site);
void set_mask_mode(bool counter);
bool mask_counter_mode();
void mask_get(uint64_t out[2]);

// TPipe / TQue / TBuf bookkeeping. Positions are AscendC::TPosition values.
int pipe_create();
void pipe_destroy(int pipe);
void pipe_reset(int pipe);
int pipe_init_queue(int pipe, int position, int depth, uint64_t num, uint64_t len, Site site);
int pipe_init_tbuf(int pipe, int position, uint64_t len, Site site);
Ref que_alloc(int que, DT dt, Site site);
void que_enque(int que, const Ref& t, Site site);
Ref que_deque(int que, DT dt, Site site);
void que_free(int que, const Ref& t, Site site);
int que_count(int que);
int que_free_slots(int que);
Ref tbuf_get(int buf, DT dt, uint64_t offset_bytes, uint64_t len_bytes, Site site);
Mem position_mem(int position);
Ref pipe_stack(int pipe, int position, DT dt, Site site);  // PopStackBuffer
int64_t alloc_event_id(int pipe, int evt);

// Cross-core synchronisation (crosscore.cpp).
void cross_set(int mode, Pipe pipe, int64_t flag, Site site);
void cross_wait(int64_t flag, Site site);
void sync_all_hard(bool aiv_only, Site site);
void sync_all_soft(bool aiv_only, const Ref& gm, const Ref& ub, int64_t used_cores, Site site);
// vecext.cpp: Gather/Gatherb, the CMPMASK register, atomic GM stores, SetPadValue, TPipe event ids, and the
// documented APIs the twin does not model.
void gather(const Ref& dst, const Ref& src, const Ref& offset, uint64_t base, const uint64_t mask[2], bool bit_mask,
            bool count_form, uint64_t count, uint64_t repeat, uint64_t dst_rep, Site site);
void gatherb(const Ref& dst, const Ref& src, const Ref& offset, uint64_t repeat, uint64_t dst_blk, uint64_t dst_rep,
             Site site);
void cmpmask_set(const Ref& src, Site site);
void cmpmask_get(const Ref& dst, Site site);
void set_atomic(int op, DT dt, Site site);   // op: 0 none, 1 add, 2 max, 3 min, -1 keep (SetAtomicType)
void set_pad_value(uint64_t bits, DT dt, Site site);
int64_t event_id(int pipe, int evt, int op, int64_t id, Site site);  // op: 0 fetch, 1 alloc, 2 release
[[noreturn]] void unsupported_api(const char* name, Site site);
// sort.cpp: Sort32, MrgSort (sorted: the per-queue counts out, may be null), GetMrgSortResult, the full sort of
// the high-level Sort, Extract.
void sort32(const Ref& dst, const Ref& src0, const Ref& src1, int64_t repeat, Site site);
void mrgsort(const Ref& dst, const Ref src[4], const uint16_t len[4], bool exhausted, uint16_t valid, int64_t repeat,
             uint32_t sorted[4], Site site);
void mrgsort_result(uint16_t out[4]);
// transform.cpp: Transpose (16 x 16 of 2-byte elements), TransDataTo5HD (the scatter transpose of 16 UB blocks
// per repeat; addresses are UB byte offsets), GatherMask (returns rsvdCnt; pattern 1-7 built in, 0 = src1 bits).
void transpose16(const Ref& dst, const Ref& src, Site site);
void trans5hd(const uint64_t dst[16], const uint64_t src[16], DT dt, uint64_t repeat, uint64_t dst_rep,
              uint64_t src_rep, bool dst_high, bool src_high, Site site);
uint64_t gather_mask(const Ref& dst, const Ref& src0, const Ref& src1, int pattern, bool reduce_mode, uint64_t mask,
                     uint64_t repeat, uint64_t src0_blk, uint64_t src0_rep, uint64_t src1_rep, Site site);
// cce.cpp: state of the raw CCE intrinsics layer (include/hawk/cce.h): the VA address registers of
// scatter_vnchwconv, the accumulator an accumulating vcadd / ReduceSum leaves (get_acc_val, GetAccVal), the
// GatherMask count register (get_rsvd_cnt), and UNSUPPORTED_API for intrinsics the twin does not model.
void va_set(int reg, const uint64_t addrs[8], Site site);
void va_get(int reg, uint64_t out[8]);
void reduce_acc(const Ref& src, uint64_t repeat, uint64_t src_blk, uint64_t src_rep, Site site);
int64_t acc_val();
int64_t rsvd_cnt();
[[noreturn]] void unsupported_intrinsic(const char* name, Site site);
void sort_full(const Ref& dst, const Ref& tmp, int64_t repeat, Site site);
void sort_extract(const Ref& dst_val, const Ref& dst_idx, const Ref& sorted, int64_t repeat, Site site);

// Kernel-level.
void kernel_type(int type, Site site);
// KERNEL_TASK_TYPE_DEFAULT / KERNEL_TASK_TYPE register their type at static initialisation (key -1: default).
bool register_kernel_type(int type, int64_t key, uint32_t line, uint64_t file);
void* tiling_ptr(const void* gm_tiling, uint64_t struct_bytes, Site site);

}  // namespace hawk

#endif  // HAWK_RUNTIME_H
