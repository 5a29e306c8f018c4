// The Ascend C twin runtime's shared state and declarations (never seen by candidates).
//
// The runtime is compiled once per twin version and linked with every candidate. The kernel-side headers
// describe each API call (hawk/runtime.h) and hand it here. One file per layer or API family:
//   functional layer: datamove.cpp, vector.cpp, vecext.cpp, reduce.cpp, sort.cpp, transform.cpp, cube.cpp,
//                     matmul.cpp, softmax.cpp, norms.cpp, cce.cpp (CCE intrinsics' registers), scalar.cpp,
//                     queues.cpp, sync.cpp, crosscore.cpp (the launch: cores as coroutines, cross-core flags),
//                     kernel.cpp (kernel type, tiling, platform), opdef.cpp (an op project's OpDef check),
//                     host.cpp (host programs and AscendCL), values.cpp (dtype semantics, Cast), debug.cpp;
//   checker layer:    checker.cpp (hardware exceptions, memory-access checks);
//   record:           record.cpp (the instruction record for the cycle model, docs/simnpu-record.md);
//   process:          process.cpp (config, mapped tensors, crash reports, lockdown, main).
//
// Process protocol (npu_agent/simnpu/runner.py writes the config; docs/kernel-contract.md):
//   env HAWK_SIM_CONFIG = path of a line-based config ("key value ..."), HAWK_RESULT_FD = result pipe.
//   A priority-101 constructor reads the config, maps the tensor files, opens the record file, starts the
//   watchdog and calls hawk_sandbox::lockdown() before any candidate code (static initialisers included)
//   runs. main() then runs the registered tiling function and launches the kernel (crosscore.cpp), or runs the
//   candidate's own host program (host.cpp), whose <<<>>> launches go through the same launch.
//   Exactly one JSON object is written to the result fd (raw `syscall`, as the record: record.cpp); tensors travel
//   through the mapped files. Kernels see GM at window addresses (kGmWindowBase below; process.cpp charges raw
//   reads and refuses raw stores).
//
// No hardware number lives here: every size, alignment and limit comes from the config.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <new>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "hawk/runtime.h"
#include "hawk/types.h"
#include "hawk/tensor.h"
#include "hawk/tiling.h"
#include "hawk/cann_env.h"
#include "hawk/opdef.h"
#include "seccomp_lockdown.h"

// launch.cpp (npu_agent/simnpu/compiler.py): {file_key, first line, last line} of the entry's body, when known.
extern "C" const uint64_t* hawk_entry_span() __attribute__((weak));

namespace hawk {

constexpr int kMemCount = static_cast<int>(Mem::COUNT);
constexpr uint32_t kRecordVersion = 2;  // 2: the trailer after the entries

const char* const kApiNames[] = {
#define HAWK_API_NAME(name) #name,
    HAWK_API_LIST(HAWK_API_NAME)
#undef HAWK_API_NAME
};
inline const char* api_name(Api a) {
    auto i = static_cast<size_t>(a);
    return i < sizeof(kApiNames) / sizeof(kApiNames[0]) ? kApiNames[i] : "?";
}
const char* const kMemNames[] = {"NONE", "GM", "UB", "L1", "L0A", "L0B", "L0C", "BT", "FB"};
inline const char* mem_name(Mem m) { return kMemNames[static_cast<int>(m)]; }
inline const char* mem_lower(Mem m) {
    static const char* const n[] = {"none", "gm", "ub", "l1", "l0a", "l0b", "l0c", "bt", "fb"};
    return n[static_cast<int>(m)];
}
const char* const kPipeNames[] = {"NONE", "S", "MTE1", "MTE2", "MTE3", "V", "M", "FIX", "ALL"};
inline const char* pipe_name(Pipe p) { return kPipeNames[static_cast<int>(p)]; }

// Bytes per element, at least 1: int4b_t (two elements per byte) counts as its storage byte here, so only the APIs
// that take int4b_t (DataCopy GM -> L1, LoadData, LoadDataWithTranspose to L0B, load3dv2 to L0A, Mmad) size it, with
// dt_bits / dt_bytes; every other API rejects DT::I4 through its dtype check before sizing anything.
inline size_t dt_size(DT d) {
    switch (d) {
        case DT::F16: case DT::BF16: case DT::I16: case DT::U16: return 2;
        case DT::F32: case DT::I32: case DT::U32: return 4;
        case DT::I8: case DT::U8: case DT::I4: return 1;
        case DT::I64: case DT::U64: return 8;
        default: return 1;
    }
}
inline uint64_t dt_bits(DT d) { return d == DT::I4 ? 4 : dt_size(d) * 8; }
// Bytes of n elements (int4b_t: n / 2, rounded down as the device's tensor lengths are).
inline uint64_t dt_bytes(DT d, uint64_t n) { return n * dt_bits(d) / 8; }
inline const char* dt_name(DT d) {
    static const char* const n[] = {"none", "half", "bfloat16_t", "float", "int8_t", "int16_t", "int32_t",
                                    "uint8_t", "int64_t", "uint16_t", "uint32_t", "uint64_t", "int4b_t"};
    return static_cast<size_t>(d) < sizeof n / sizeof n[0] ? n[static_cast<int>(d)] : "?";
}
// int4b_t element i of packed data at p (element 2j in the low nibble of byte j), sign-extended; and its store.
inline int32_t i4_get(const uint8_t* p, uint64_t i) {
    const int32_t v = (p[i / 2] >> (4 * (i % 2))) & 0xF;
    return v >= 8 ? v - 16 : v;
}
inline void i4_set(uint8_t* p, uint64_t i, int32_t v) {
    const unsigned sh = 4 * (i % 2);
    p[i / 2] = static_cast<uint8_t>((p[i / 2] & ~(0xFu << sh)) | ((static_cast<unsigned>(v) & 0xFu) << sh));
}
inline bool is_float(DT d) { return d == DT::F16 || d == DT::BF16 || d == DT::F32; }

// ------------------------------------------------------------------------------------------ config
struct MemSpec {
    // `reserved` is withheld in every kernel; `mix_reserved` in addition in Cube+Vector fused kernels
    // (KERNEL_TYPE_MIX_*), where the framework and compiler keep the top of UB and L1 (2201: 256 B each).
    uint64_t bytes = 0, reserved = 0, align = 32, mix_reserved = 0;
};

struct TensorArg {
    std::string name;
    int dtype = 0;  // hawk.v1.DType
    std::string path;
    uint64_t bytes = 0;
    std::vector<int64_t> shape;
    bool output = false;
    bool written = false;  // an input an in-place output reads back ("inout"): mapped shared and writable
    uint8_t* data = nullptr;  // the runtime's own mapping (never handed to candidate code)
    uint8_t* gm = nullptr;    // the address the kernel gets: in the GM window (gm_window_reserve)
};

struct Config {
    std::string soc;
    int64_t npu_arch = 0;
    bool coupled = false;
    uint64_t aic_cores = 1, aiv_cores = 1, max_block_dim = 65535, default_block_dim = 0;
    MemSpec mem[kMemCount];
    uint64_t mmad_dst_align = 1024;
    uint64_t max_repeat = 255, max_queue_per_position = 8, max_pipe_buffers = 64, event_ids = 8;
    uint64_t datacopy_block = 32, compare_align = 256, repeat_bytes = 256, mmad_max_mnk = 4095;
    // Cross-core sync (CrossCoreSetFlag): flag ids per core, counter maximum, bit m set = modeId m supported.
    uint64_t cross_core_flags = 0, cross_core_counter_max = 15, cross_core_modes = 0;
    bool bf16 = true, bf16_vector_arith = false, bf16_cube = true;
    Mem co2_mem = Mem::GM;
    std::map<std::string, uint64_t> mem_bw;
    uint64_t l2_bytes = 0, hbm_bytes = 0, lib_workspace = 0, tiling_capacity = 64 * 1024;
    // A GM allocation (aclrtMalloc, and the task's tensors): size rounded up to `round` plus `extra` bytes, start
    // aligned to `align` (hardware profile [memory] gm_alloc_*).
    uint64_t gm_alloc_round = 32, gm_alloc_extra = 32, gm_alloc_align = 64;
    std::vector<TensorArg> tensors;
    std::vector<std::pair<std::string, std::string>> attrs;
    std::string node_name;
    double timeout_s = 0;
    std::string record_path;
    uint64_t record_max = 4u << 20;
    uint64_t garbage_seed = 0x9E3779B97F4A7C15ull;
    // Timing-only run (config `timing_only 1`): every API call runs its checks and is recorded as in a functional
    // run, but arithmetic and data movement are skipped; tensors whose file is "-" are zero-filled GM.
    bool timing_only = false;
    // `generic_math 1`: the fast paths (fastmath.cpp) are off and every op runs its generic element loop, the
    // reference the fast paths are tested against bit for bit.
    bool generic_math = false;
    // `baseline_isa 1`: the fast paths run their x86-64 baseline build even where AVX2 is available (tests).
    bool baseline_isa = false;
};

// ------------------------------------------------------------------------------------------ record
#pragma pack(push, 1)
struct RecordEntry {  // 64 bytes, little-endian; docs/simnpu-record.md
    uint32_t block;
    uint32_t line;
    uint16_t api;
    uint8_t op;
    uint8_t core;
    uint8_t pipe;
    uint8_t dtype;
    uint8_t src_dtype;
    uint8_t flags;
    uint8_t src_mem;
    uint8_t dst_mem;
    uint8_t ev_src;
    uint8_t ev_dst;
    int16_t event_id;
    uint16_t reserved;
    uint64_t src_addr;
    uint64_t dst_addr;
    uint64_t bytes;
    uint32_t repeats;
    uint32_t a0, a1, a2;
};
struct RecordHeader {  // 32 bytes
    char magic[8];
    uint32_t version;
    uint32_t entry_size;
    uint32_t block_dim;
    uint32_t flags;  // bit 0: truncated
    uint64_t entries;
};
struct RecordTrailer {  // 32 bytes after the entries
    char magic[8];      // "HAWKEND2"
    uint64_t entries;
    uint64_t checksum;  // over the entries' 64-bit words (record.cpp rec_checksum)
    uint32_t block_dim;
    uint32_t flags;
};
#pragma pack(pop)
static_assert(sizeof(RecordTrailer) == 32, "record trailer layout");
static_assert(sizeof(RecordEntry) == 64, "record entry layout");
static_assert(sizeof(RecordHeader) == 32, "record header layout");

enum RecFlags : uint8_t { RF_COUNT_FORM = 1, RF_TRUNCATED = 2, RF_TRANSPOSE = 4, RF_BIT_MASK = 8, RF_PAD = 16,
                         RF_L2_BYPASS = 32,  // RF_L2_BYPASS: a GM operand has SetL2CacheHint(CACHE_MODE_DISABLE)
                         RF_UNIT_FLAG = 64,  // Mmad / Fixpipe with unitFlag 2 or 3: per-fractal M <-> FIX handshake
                         RF_ATOMIC = 64,     // DataCopy/DataCopyPad to GM under SetAtomicAdd/Max/Min (copies only)
                         RF_UNIT_RESET = 128 };  // ... and unitFlag 3 (the last instruction releases the fractals)

// --------------------------------------------------------------------------------------- resources
struct Buffer {
    uint64_t addr = 0;
    bool allocated = false;  // between AllocTensor and FreeTensor
    bool queued = false;     // between EnQue and DeQue
    bool used = false;       // freed at least once (AllocTensor then waits on the consumer)
};
struct Queue {
    int pipe = -1;
    int position = 0;
    Mem mem = Mem::NONE;
    int depth = 1;
    uint64_t len = 0;
    std::vector<Buffer> bufs;
    size_t cursor = 0;  // AllocTensor probes buffers in a ring from here (TQueBind::AllocBuffer's bufCursor)
    std::deque<int> fifo;
    uint32_t line = 0;
    Pipe producer = Pipe::NONE, consumer = Pipe::NONE;
};
struct TBufRec {
    int pipe = -1;
    Mem mem = Mem::NONE;
    uint64_t addr = 0, len = 0;
};
struct PipeRec {
    bool alive = false;
    uint64_t cursor[kMemCount] = {};
    uint64_t nbuf = 0;
};
struct Wait {
    Pipe src, dst;
    int64_t id;
    uint32_t line;
    Api api;
};
struct CoreMem {
    uint8_t* m[kMemCount] = {};
};

// The state of one core that lives between API calls of a block: queues, flags, masks. Every core of a launch
// has its own; the running core's is the PerCore base of `*R` (so API code says R->queues), the others' wait in
// their CoreCtx (crosscore.cpp swaps them on every switch). A new per-core field belongs here, not in Runtime.
struct PerCore {
    std::vector<PipeRec> pipes;
    std::vector<Queue> queues;
    std::vector<TBufRec> tbufs;
    std::map<std::tuple<int, int, int64_t>, int64_t> flags;
    std::vector<Wait> waits;
    bool mask_counter = false;
    uint64_t mask[2] = {~0ull, ~0ull};
    uint64_t outstanding[32] = {};  // allocated buffers per TPosition
    // vecext.cpp: the CMPMASK register, the atomic store mode, SetPadValue, TPipe event ids.
    uint8_t cmpmask[16] = {};
    int atomic_op = 0;              // 0 none, 1 add, 2 max, 3 min
    DT atomic_dt = DT::NONE;
    bool pad_value_set = false;
    uint64_t pad_value_bits = 0;
    std::map<std::pair<int, int>, uint32_t> event_busy;  // (pipe, HardEvent) -> bit set of allocated ids
    uint16_t mrgsort_counts[4] = {};  // sort.cpp: pairs taken per queue by the last exhausted-suspension MrgSort
    // reduce.cpp: the special register the Max/Min reductions leave (GetReduceRepeatMaxMinSpr): the extreme value
    // over all repeats of the last ReduceMax/Min or WholeReduceMax/Min and its element index.
    bool spr_set = false;
    double spr_value = 0;
    uint64_t spr_index = 0;
    DT spr_dt = DT::NONE;
    // cce.cpp / transform.cpp: the VA0..VA7 address registers (8 UB addresses each), the ACC_VAL register of an
    // accumulating vcadd / ReduceSum (the result's bits), the RSVD_CNT register of GatherMask.
    uint64_t va[8][8] = {};
    int64_t acc_val = 0;
    int64_t rsvd_cnt = 0;
};

struct Runtime : PerCore {
    Config cfg;
    int result_fd = -1;
    int record_fd = -1;
    bool result_written = false;
    gert::TilingFunc tiling_fn = nullptr;
    std::string op_type;
    TilingParseThunk tiling_parse_thunk = nullptr;  // IMPL_OP_OPTILING(...).TilingParse<T>(fn)
    gert::TilingParseFunc tiling_parse_fn = nullptr;
    // GM regions the harness allocated: tensors, workspace, tiling.
    struct Region {
        uint8_t* base;      // the address kernels see (in the GM window for the task's tensors and the workspace)
        uint64_t bytes;
        std::string name;
        uint8_t* real = nullptr;  // where the bytes live when `base` is a window address (nullptr: at `base`)
        bool alias = false;       // `base` maps the same pages as `real` (PROT_NONE): raw reads are charged
    };
    std::vector<Region> gm;
    uint8_t* tiling_buf = nullptr;
    uint64_t tiling_size = 0;
    uint8_t* workspace = nullptr;
    uint64_t workspace_bytes = 0;
    uint32_t block_dim = 1;
    Core kernel_core = Core::AIV;
    bool kernel_type_set = false;
    // KERNEL_TASK_TYPE_DEFAULT / KERNEL_TASK_TYPE as registered at static initialisation (crosscore.cpp), so the
    // launch knows its cores before any block runs: -1 none, -2 several different defaults.
    struct TypeReg {
        int type;
        int64_t key;  // -1: the default
        uint32_t line;
        uint64_t file;  // file_key() of the statement's file
    };
    std::vector<TypeReg> type_regs;     // every registration of the binary, in static-initialisation order
    int declared_type = -1;
    uint32_t declared_line = 0;
    std::map<uint64_t, int> key_types;  // tiling key -> KernelMetaType
    int launch_type = -1;               // the KernelMetaType the launch runs with (-1: undeclared)
    bool kernel_mix = false;            // the launch is a fused Cube+Vector (KERNEL_TYPE_MIX_*) kernel
    std::vector<CoreMem> aiv, aic;
    // Record.
    std::vector<RecordEntry> rec;
    // Scalar accesses since the last other entry, by index into `rec`: repeated GetValue/SetValue of one call
    // site merge into one entry whose `repeats` counts them (a scalar loop would otherwise flood the record).
    size_t scalar_run[8] = {};
    size_t scalar_run_n = 0;
    uint64_t rec_total = 0;
    bool rec_truncated = false;
    // Stats for the result.
    std::map<std::string, uint64_t> path_bytes;
    uint64_t peak[kMemCount] = {};
    std::vector<std::string> warnings;
    uint64_t warning_count = 0;
    uint64_t calls = 0;
    // Data dependence: the kernel's scalar reads of task tensor data (GetValue / operator() of UB or GM data, raw
    // GM reads, APIs returning a data-dependent scalar). The first one is reported (stats.data_dependent): its
    // control flow may depend on data, so a timing-only run of it is not trusted.
    std::string data_dep;
    uint64_t data_reads = 0;
};

extern Runtime* R;
// A timing-only run: callers return after their checks and record entry, before moving or computing data.
inline bool timing_only() { return R->cfg.timing_only; }
// Notes a scalar read of task data (`what`: e.g. "GetValue of a UB LocalTensor") at the site's line.
void note_data_read(const char* what, Site site);

// record.cpp
std::string jstr(const std::string& s);
void write_all(int fd, const char* p, size_t n);  // raw `syscall`: no libc symbol a candidate can replace
long raw_syscall(long n, long a1, long a2, long a3, long a4);
int raw_open(const char* path, int flags, int mode);
void emit_result(const std::string& status, const std::string& message, const std::string& extra);
[[noreturn]] void setup_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void flush_record(bool final);
RecordEntry& rec(Op op, Pipe pipe, Site site);
RecordEntry& rec_operands(Op op, Pipe pipe, Site site, const Ref& dst, const Ref& src);
void rec_done();

// checker.cpp
void add_warning(const std::string& w);
uint64_t mem_capacity(Mem m);
uint64_t mem_usable(Mem m);
// The bytes at the end of UB/L1 the framework keeps in a fused (KERNEL_TYPE_MIX_*) kernel; 0 otherwise.
uint64_t mem_mix_reserved(Mem m);
uint64_t mem_align(Mem m);
bool core_has(Mem m);
void check_gm(uint64_t addr, uint64_t n, bool write, Site site);
void check_gm_tensor(const Ref& t, uint64_t off, uint64_t n, bool write, Site site);
// Checks a local-memory operand region and returns its host address.
uint8_t* local(const Ref& t, uint64_t off, uint64_t n, bool write, Site site, uint64_t align = 0);
void need_core(Core c, Site site);
void count_path(Mem src, Mem dst, uint64_t bytes);
Pipe copy_pipe(Mem src, Mem dst);
void range(Site site, const char* what, uint64_t v, uint64_t lo, uint64_t hi);
// The GM window: the task's tensors and the workspace are handed to the kernel at addresses in a fixed range that
// is never mapped, so a raw load or store through them (outside the Ascend C API) faults and is refused
// (process.cpp); every API path turns a checked GM address into the bytes' real host address with gm_host.
// The sandbox's seccomp filter should refuse mprotect/pkey_mprotect adding PROT_WRITE or PROT_EXEC, and mremap of an
// old range, when the range may touch the window: address in [0x100000000000, 0x210000000000) or length >= 2^44
// (the runtime itself only ever sets PROT_NONE / PROT_READ there and only mremaps *into* it). Without that rule a
// kernel could open the window for uncharged raw access; the output coverage check still catches raw stores.
constexpr uint64_t kGmWindowBase = 0x200000000000ull;   // 32 TiB
constexpr uint64_t kGmWindowBytes = 0x10000000000ull;   // 1 TiB
uint8_t* gm_window_reserve(uint64_t bytes);  // the next free window address for a region of `bytes`
// A GM region at a window address: `real` must be a MAP_SHARED mapping; the window maps the same pages PROT_NONE so
// a raw read can be single-stepped and charged (process.cpp). Pushes the region to R->gm and returns its address.
uint8_t* gm_window_add(uint8_t* real, uint64_t bytes, const std::string& name);
uint8_t* gm_shared_alloc(uint64_t bytes);  // zeroed MAP_SHARED anonymous memory for a window region
void gm_shared_free(uint8_t* real, uint64_t bytes);
// Raw GM reads charged since the last record entry (the SIGSEGV/SIGTRAP handlers count them; rec() records them).
void flush_raw_reads();
uint8_t* gm_host(uint64_t addr);             // a (checked) GM address -> host address of its bytes
inline uint8_t* gm_host(const void* p) { return gm_host(reinterpret_cast<uint64_t>(p)); }

// values.cpp
// RoundMode as the kernel headers pass it.
enum RM { NONE_ = 0, RINT = 1, FLOOR = 2, CEIL = 3, ROUND = 4, TRUNC = 5, ODD = 6, HYBRID = 7 };
double load(DT d, const uint8_t* p);
void store(DT d, uint8_t* p, double v);
double round_to(DT d, double v);
double cast_value(DT dst, double v, int mode);
// A same-type float Cast with a rounding mode: the value rounded to an integral one (how Ascend C floors and rounds).
double round_integral(double v, int mode);

// vector.cpp
bool dt_in(DT d, std::initializer_list<DT> l);
void dtype_fault(Site site, DT d, const char* supported);
// Element i of one repeat: byte offset of operand with element size `es` and block stride `blk`.
inline uint64_t elem_off(uint64_t i, uint64_t es, uint64_t blk, uint64_t rep, uint64_t r) {
    uint64_t per_block = 32 / es;
    return (r * rep + (i / per_block) * blk) * 32 + (i % per_block) * es;
}
inline bool mask_bit(const uint64_t m[2], uint64_t i) { return i < 128 && ((m[i / 64] >> (i % 64)) & 1u); }

// reduce.cpp: sum, max or min over `vals` in the element type (sums accumulate in float, the result is rounded
// once); the second value is the index of the max/min.
std::pair<double, uint64_t> fold(VOp op, DT d, const std::vector<double>& vals, const std::vector<uint64_t>& idx);

// fastmath.cpp: bit-exact fast paths (false: not covered, the caller runs its generic loop).
// A vector op over n flat elements of dst (type d) from a, b (type s; b only for binary ops); `scalar` is the
// scalar operand already rounded to the element type.
bool vec_fast(VOp op, DT d, DT s, uint8_t* dst, const uint8_t* a, const uint8_t* b, uint64_t n, double scalar);
struct MmadFast {  // a floating-point Mmad's shape and L0 layout (cube.cpp)
    uint64_t m, n, k, c0, frac, k1_row, m1, n1;
    bool gemv, init_zero;
    DT dt;  // of A and B
};
bool mmad_fast(const MmadFast& f, const uint8_t* A, const uint8_t* B, uint8_t* C, const uint8_t* bias);
struct FixFast {  // a Fixpipe of float L0C to an ND float or half destination, no quantisation (cube.cpp)
    uint64_t nd_num, m, n, src_stride, src_nd_step, dst_stride, dst_nd_stride;
    bool relu, to_half;
};
bool fixpipe_fast(const FixFast& f, const uint8_t* S, uint8_t* D);

// datamove.cpp
uint64_t gm_rec_addr(uint64_t addr);

// vecext.cpp
// Stores n bytes to GM as the current atomic mode says (plain copy, or sum/max/min with what GM holds).
void gm_store(uint8_t* dst, const uint8_t* src, uint64_t n, Site site);
bool atomic_on();
// The padding SetPadValue set (DataCopyPad GM -> UB with isPad = false); false when never set.
bool pad_value(uint64_t* bits);

// sync.cpp
void deadlock_check(Site site, const char* when);
// Which elements one vector instruction runs on, from the mask register and its mode (docs 掩码.md). In counter
// mode (SetMaskCount) the register's low word counts the elements of all repeats (repeatTime is ignored; repeat r
// runs its first min(epr, count - r * epr) elements); in normal mode the register is every repeat's bit mask.
struct MaskUse {
    bool counter = false;
    uint64_t count = 0;            // counter mode: elements in all
    uint64_t repeats = 0;          // counter mode: ceil(count / epr); normal mode: the API's repeatTime
    std::vector<uint64_t> active;  // element indices within a repeat, ascending (counter mode: all epr)
    uint64_t epr = 0;
    // Repeat r runs active[0 .. in_repeat(r)): all of `active` in normal mode, a prefix in counter mode.
    uint64_t in_repeat(uint64_t r) const {
        if (!counter) return active.size();
        return r * epr >= count ? 0 : std::min(epr, count - r * epr);
    }
    uint64_t total() const { return counter ? count : repeats * active.size(); }
};
// The mask form (high-dimensional API, `mask`/`mask[]`, `repeatTime`): with isSetMask (`set_mask`) the API first
// writes its mask argument into the register as AscendCUtils::SetMask does (an array raw, a scalar `len` as the
// bits of the first len elements), and the register keeps it; with isSetMask=false the argument is a placeholder
// and the register set by SetVectorMask applies. `epr`: elements per repeat.
MaskUse mask_for_repeats(const uint64_t mask[2], bool bit_mask, bool set_mask, uint64_t repeat, uint64_t epr,
                         Site site);
// The count form with isSetMask=false: one instruction of one repeat with the register as it is (counter mode:
// its count; normal mode: one repeat of its bits).
MaskUse mask_for_count_external(uint64_t epr, Site site);
// After a count-form API with isSetMask (the default): it ran in counter mode and restored normal mode and a
// full mask (set_mask_norm + set_vector_mask(-1, -1)), so a following isSetMask=false API sees that.
void mask_after_count_form();

// kernel.cpp
void select_kernel_type();  // the launched entry's registrations -> declared_type, key_types
extern void (*g_op_check)();  // an op project's OpDef check (opdef.cpp), run before the tiling function

// crosscore.cpp: the running core of the launch
uint64_t current_ai_core();   // AIC index of the running core (its own, or its AI Core's for an AIV)
uint64_t current_phys();      // physical index of the running core within its type
bool launch_mixed();          // the launch is MIX_AIC_1_1 / 1_2 (one AIC and its AIVs per block)
bool per_core_build();        // the kernel was compiled once per core type (hawk/coretype.h)

// matmul.cpp
bool mm_mix_kernel();

// process.cpp
// Points g.mem_base at the memories of physical core `phys` of type g.core (allocated on first use).
void bind_core_memories(uint64_t phys);

// crosscore.cpp: the cores of a launch as cooperative fibers, cross-core flags, SyncAll.
// Runs every block of the launch; a core blocked on a cross-core wait lets the others run.
void run_launch(uint8_t** args);  // the task's kernel entry (HAWK_LAUNCH) with GM arguments
// Any kernel: `run(ctx)` runs one block; core/mix as hawk/launch.h's core_of / mix_type_of of the kernel.
void run_launch_fn(void (*run)(void*), void* ctx, int core, int mix);

// host.cpp: the host program of a direct-launch candidate (its main()), AscendCL, <<<>>> launches.
bool host_program_setup();   // after the lockdown: true when the candidate brings a host main()
bool host_program_running();
uint64_t kernel_time_ns();   // wall time inside the host program's kernel launches

extern Runtime* R;
extern char* g_crash_buf;
extern std::atomic<int> g_phase;
extern uint64_t g_kernel_ns;

}  // namespace hawk
