// The Ascend C twin runtime: compiled once per twin version and linked with every candidate.
//
// The kernel-side headers describe each API call (hawk/runtime.h) and hand it here. This file holds the
// functional layer (per-core memories as byte arrays, data movement, vector and cube semantics), the checker
// layer (hardware rules raised as structured exceptions with the caller's source line) and the instruction
// record that the cycle model consumes (docs/simnpu-record.md).
//
// Process protocol (npu_agent/simnpu/runner.py writes the config; docs/kernel-contract.md):
//   env HAWK_SIM_CONFIG = path of a line-based config ("key value ..."), HAWK_RESULT_FD = result pipe.
//   A priority-101 constructor reads the config, maps the tensor files, opens the record file, starts the
//   watchdog and calls hawk_sandbox::lockdown() before any candidate code (static initialisers included)
//   runs. main() then runs the registered tiling function and launches the blocks one after another.
//   Exactly one JSON object is written to the result fd; tensors travel through the mapped files.
//
// No hardware number lives here: every size, alignment and limit comes from the config.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
#include "hawk/opdef.h"
#include "seccomp_lockdown.h"

extern "C" int hawk_entry_arity();
extern "C" unsigned long long hawk_entry_abi();
extern "C" void hawk_entry_launch(uint8_t** args);

namespace hawk {

State g;

namespace {

constexpr int kMemCount = static_cast<int>(Mem::COUNT);
constexpr uint32_t kRecordVersion = 1;

const char* const kApiNames[] = {
#define HAWK_API_NAME(name) #name,
    HAWK_API_LIST(HAWK_API_NAME)
#undef HAWK_API_NAME
};
const char* api_name(Api a) {
    auto i = static_cast<size_t>(a);
    return i < sizeof(kApiNames) / sizeof(kApiNames[0]) ? kApiNames[i] : "?";
}
const char* const kMemNames[] = {"NONE", "GM", "UB", "L1", "L0A", "L0B", "L0C", "BT", "FB"};
const char* mem_name(Mem m) { return kMemNames[static_cast<int>(m)]; }
const char* mem_lower(Mem m) {
    static const char* const n[] = {"none", "gm", "ub", "l1", "l0a", "l0b", "l0c", "bt", "fb"};
    return n[static_cast<int>(m)];
}
const char* const kPipeNames[] = {"NONE", "S", "MTE1", "MTE2", "MTE3", "V", "M", "FIX", "ALL"};
const char* pipe_name(Pipe p) { return kPipeNames[static_cast<int>(p)]; }

size_t dt_size(DT d) {
    switch (d) {
        case DT::F16: case DT::BF16: case DT::I16: case DT::U16: return 2;
        case DT::F32: case DT::I32: case DT::U32: return 4;
        case DT::I8: case DT::U8: return 1;
        case DT::I64: case DT::U64: return 8;
        default: return 1;
    }
}
const char* dt_name(DT d) {
    static const char* const n[] = {"none", "half", "bfloat16_t", "float", "int8_t", "int16_t", "int32_t",
                                    "uint8_t", "int64_t", "uint16_t", "uint32_t", "uint64_t"};
    return n[static_cast<int>(d)];
}
bool is_float(DT d) { return d == DT::F16 || d == DT::BF16 || d == DT::F32; }

// ------------------------------------------------------------------------------------------ config
struct MemSpec {
    uint64_t bytes = 0, reserved = 0, align = 32;
};

struct TensorArg {
    std::string name;
    int dtype = 0;  // hawk.v1.DType
    std::string path;
    uint64_t bytes = 0;
    std::vector<int64_t> shape;
    bool output = false;
    uint8_t* data = nullptr;
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
    bool bf16 = true, bf16_vector_arith = false, bf16_cube = true;
    Mem co2_mem = Mem::GM;
    std::map<std::string, uint64_t> mem_bw;
    uint64_t l2_bytes = 0, hbm_bytes = 0, lib_workspace = 0, tiling_capacity = 64 * 1024;
    std::vector<TensorArg> tensors;
    std::vector<std::pair<std::string, std::string>> attrs;
    std::string node_name;
    double timeout_s = 0;
    std::string record_path;
    uint64_t record_max = 4u << 20;
    uint64_t garbage_seed = 0x9E3779B97F4A7C15ull;
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
#pragma pack(pop)
static_assert(sizeof(RecordEntry) == 64, "record entry layout");
static_assert(sizeof(RecordHeader) == 32, "record header layout");

enum RecFlags : uint8_t { RF_COUNT_FORM = 1, RF_TRUNCATED = 2, RF_TRANSPOSE = 4, RF_BIT_MASK = 8, RF_PAD = 16,
                         RF_L2_BYPASS = 32 };  // RF_L2_BYPASS: a GM operand has SetL2CacheHint(CACHE_MODE_DISABLE)

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

struct Runtime {
    Config cfg;
    int result_fd = -1;
    int record_fd = -1;
    bool result_written = false;
    gert::TilingFunc tiling_fn = nullptr;
    std::string op_type;
    // GM regions the harness allocated: tensors, workspace, tiling.
    struct Region {
        uint8_t* base;
        uint64_t bytes;
        std::string name;
    };
    std::vector<Region> gm;
    uint8_t* tiling_buf = nullptr;
    uint64_t tiling_size = 0;
    uint8_t* workspace = nullptr;
    uint64_t workspace_bytes = 0;
    uint32_t block_dim = 1;
    Core kernel_core = Core::AIV;
    bool kernel_type_set = false;
    std::vector<CoreMem> aiv, aic;
    // Per-block state.
    std::vector<PipeRec> pipes;
    std::vector<Queue> queues;
    std::vector<TBufRec> tbufs;
    std::map<std::tuple<int, int, int64_t>, int64_t> flags;
    std::vector<Wait> waits;
    bool mask_counter = false;
    uint64_t mask[2] = {~0ull, ~0ull};
    uint64_t outstanding[32] = {};  // allocated buffers per TPosition
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
};

Runtime* R = nullptr;
char* g_crash_buf = nullptr;
std::atomic<int> g_phase{0};  // 0 setup, 1 tiling, 2 kernel, 3 done

// --------------------------------------------------------------------------------------- JSON out
std::string jstr(const std::string& s) {
    std::string o = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            o += '\\';
            o += static_cast<char>(c);
        } else if (c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            o += b;
        } else {
            o += static_cast<char>(c);
        }
    }
    return o + "\"";
}

void write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

void flush_record(bool final);

std::string stats_json() {
    std::string s = "{\"block_dim\":" + std::to_string(R->block_dim) + ",\"core_type\":" +
                    jstr(R->kernel_core == Core::AIC ? "AIC" : "AIV") + ",\"api_calls\":" +
                    std::to_string(R->calls) + ",\"bytes_moved\":{";
    bool first = true;
    for (auto& kv : R->path_bytes) {
        s += (first ? "" : ",") + jstr(kv.first) + ":" + std::to_string(kv.second);
        first = false;
    }
    s += "},\"buffer_peaks\":{";
    first = true;
    for (int m = 2; m < kMemCount; ++m) {
        if (!R->peak[m]) continue;
        s += std::string(first ? "" : ",") + jstr(mem_name(static_cast<Mem>(m))) + ":[" + std::to_string(R->peak[m]) +
             "," + std::to_string(R->cfg.mem[m].bytes - R->cfg.mem[m].reserved) + "]";
        first = false;
    }
    s += "},\"record_entries\":" + std::to_string(R->rec_total) + ",\"record_truncated\":" +
         (R->rec_truncated ? "true" : "false") + "}";
    return s;
}

std::string warnings_json() {
    std::string s = "[";
    for (size_t i = 0; i < R->warnings.size(); ++i) s += (i ? "," : "") + jstr(R->warnings[i]);
    return s + "]";
}

void emit_result(const std::string& status, const std::string& message, const std::string& extra) {
    if (R == nullptr || R->result_written) return;
    R->result_written = true;
    flush_record(true);
    std::string s = "{\"status\":" + jstr(status) + ",\"message\":" + jstr(message) + ",\"stats\":" + stats_json() +
                    ",\"warnings\":" + warnings_json() + ",\"warning_count\":" + std::to_string(R->warning_count) +
                    extra + "}\n";
    if (R->result_fd >= 0) write_all(R->result_fd, s.data(), s.size());
}

[[noreturn]] void setup_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void setup_error(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (R != nullptr && R->result_fd >= 0) {
        emit_result("INTERNAL", std::string("twin runtime setup failed: ") + buf, "");
    } else {
        std::fprintf(stderr, "hawk twin runtime: %s\n", buf);
    }
    _exit(2);
}

// ------------------------------------------------------------------------------------------ record
void flush_record(bool final) {
    if (R->record_fd < 0) return;
    if (!R->rec.empty()) {
        write_all(R->record_fd, reinterpret_cast<const char*>(R->rec.data()), R->rec.size() * sizeof(RecordEntry));
        R->rec.clear();
        R->scalar_run_n = 0;
    }
    if (final) {
        RecordHeader h{};
        std::memcpy(h.magic, "HAWKREC1", 8);
        h.version = kRecordVersion;
        h.entry_size = sizeof(RecordEntry);
        h.block_dim = R->block_dim;
        h.flags = R->rec_truncated ? 1u : 0u;
        h.entries = R->rec_total;
        if (::pwrite(R->record_fd, &h, sizeof h, 0) != static_cast<ssize_t>(sizeof h)) {
            // The record is best effort; the Python reader rejects a file whose header is not final.
        }
    }
}

RecordEntry& rec(Op op, Pipe pipe, Site site) {
    static RecordEntry scratch;
    ++R->calls;
    g.last_line = site.line;
    g.last_api = site.api;
    if (R->record_fd < 0 || R->rec_total >= R->cfg.record_max) {
        if (R->record_fd >= 0) R->rec_truncated = true;
        std::memset(&scratch, 0, sizeof scratch);
        return scratch;
    }
    R->rec.emplace_back();
    ++R->rec_total;
    R->scalar_run_n = 0;
    RecordEntry& e = R->rec.back();
    std::memset(&e, 0, sizeof e);
    e.block = static_cast<uint32_t>(g.block_idx);
    e.line = site.line;
    e.api = static_cast<uint16_t>(site.api);
    e.op = static_cast<uint8_t>(op);
    e.core = static_cast<uint8_t>(g.core);
    e.pipe = static_cast<uint8_t>(pipe);
    e.event_id = -1;
    return e;
}
void rec_done() {
    if (R->rec.size() >= 4096) flush_record(false);
}

// -------------------------------------------------------------------------------- faults, warnings
struct KindInfo {
    const char* kind;
    const char* error_code;
};

void add_warning(const std::string& w) {
    ++R->warning_count;
    if (R->warnings.size() < 20) R->warnings.push_back(w);
    if (R->warning_count <= 20) std::fprintf(stderr, "hawk twin warning: %s\n", w.c_str());
}

}  // namespace

void warn(Site site, const char* fmt, ...) {
    char buf[768];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char full[1024];
    std::snprintf(full, sizeof full, "line %u, block %lld, %s: %s", site.line, static_cast<long long>(g.block_idx),
                  api_name(site.api), buf);
    add_warning(full);
}

void fault(Kind kind, Mem mem, Site site, const char* fmt, ...) {
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    const bool aiv = g.core != Core::AIC;
    std::string k, head, error_code;
    std::string code = aiv ? "507035" : "507015";
    const char* unit = site.api == Api::Mmad ? "CUBE" : site.api == Api::Fixpipe ? "FIXP"
                       : (site.api == Api::DataCopy || site.api == Api::DataCopyPad || site.api == Api::LoadData) ? "MTE"
                       : (site.api == Api::GetValue || site.api == Api::SetValue) ? "SCALAR" : "VEC";
    char buf[256];
    switch (kind) {
        case Kind::OUT_OF_BOUNDS:
            k = std::string(mem_name(mem)) + "_OUT_OF_BOUNDS";
            error_code = "0x4000000000000000";
            std::snprintf(buf, sizeof buf, "%s instruction error: the %s address out of bounds", unit, mem_lower(mem));
            head = buf;
            break;
        case Kind::MISALIGNED_ADDRESS:
            k = "MISALIGNED_ADDRESS";
            error_code = "0x10";
            std::snprintf(buf, sizeof buf,
                          "Illegal instruction, which is usually caused by unaligned %s addresses", mem_name(mem));
            head = buf;
            break;
        case Kind::GM_OUT_OF_BOUNDS:
            k = "GM_OUT_OF_BOUNDS";
            error_code = "0x95";
            head = "The DDR address of the MTE instruction is out of range";
            break;
        case Kind::INVALID_PARAMETER:
            k = "INVALID_PARAMETER";
            error_code = "0x8";
            std::snprintf(buf, sizeof buf, "check v%s instr failed", api_name(site.api));
            head = buf;
            break;
        case Kind::UNSUPPORTED_DTYPE:
            k = "UNSUPPORTED_DTYPE";
            error_code = "0x8";
            std::snprintf(buf, sizeof buf, "Failed to check dtype in %s", api_name(site.api));
            head = buf;
            break;
        case Kind::TOO_MANY_BUFFERS:
            k = "TOO_MANY_BUFFERS";
            error_code = "0x8";
            head = "buffer number exceeds the limit";
            break;
        case Kind::DEQUE_EMPTY:
            k = "DEQUE_EMPTY";
            error_code = "0x8";
            head = "DeQue from an empty queue";
            break;
        case Kind::QUEUE_MISUSE:
            k = "QUEUE_MISUSE";
            error_code = "0x8";
            head = "queue misuse";
            break;
        case Kind::WRONG_CORE_TYPE:
            k = "WRONG_CORE_TYPE";
            error_code = "0x10";
            std::snprintf(buf, sizeof buf, "Illegal instruction: %s is not available on an %s core", api_name(site.api),
                          aiv ? "AIV (vector)" : "AIC (cube)");
            head = buf;
            break;
        case Kind::DEADLOCK:
            k = "DEADLOCK";
            code = aiv ? "507034" : "507014";
            error_code = aiv ? "0x30" : "0x25";
            head = aiv ? "Kernel task happen error, retCode=0x30, [vector core timeout]"
                       : "Kernel task happen error, retCode=0x25, [aicore timeout]";
            break;
        case Kind::UNSUPPORTED_API:
            k = "UNSUPPORTED_API";
            error_code = "0x8";
            head = "API form not modelled by the twin";
            break;
    }
    char core_id[64];
    uint64_t ncores = aiv ? R->cfg.aiv_cores : R->cfg.aic_cores;
    std::snprintf(core_id, sizeof core_id, "%llu",
                  static_cast<unsigned long long>(ncores ? static_cast<uint64_t>(g.block_idx) % ncores : 0));
    std::string message = std::string("there is an ") + (aiv ? "aivec" : "aicore") + " error exception, core id is " +
                          core_id + ", error code = " + error_code + ": " + head + " (" + detail + ")";
    std::string extra = ",\"exception\":{\"code\":" + jstr(code) + ",\"error_code\":" + jstr(error_code) +
                        ",\"kind\":" + jstr(k) + ",\"message\":" + jstr(message) +
                        ",\"block_id\":" + std::to_string(g.block_idx) + ",\"core_type\":" + jstr(aiv ? "AIV" : "AIC") +
                        ",\"source_line\":" + std::to_string(site.line) + ",\"api\":" + jstr(api_name(site.api)) + "}";
    char summary[1400];
    std::snprintf(summary, sizeof summary, "%s at line %u (%s, block %lld): %s", k.c_str(), site.line,
                  api_name(site.api), static_cast<long long>(g.block_idx), detail);
    emit_result("HARDWARE_EXCEPTION", summary, extra);
    _exit(0);
}

namespace {

// ------------------------------------------------------------------------------------ memory access
uint64_t mem_capacity(Mem m) { return R->cfg.mem[static_cast<int>(m)].bytes; }
uint64_t mem_usable(Mem m) {
    const MemSpec& s = R->cfg.mem[static_cast<int>(m)];
    return s.bytes > s.reserved ? s.bytes - s.reserved : 0;
}
uint64_t mem_align(Mem m) { return R->cfg.mem[static_cast<int>(m)].align; }

bool core_has(Mem m) {
    if (m == Mem::GM) return true;
    if (R->cfg.coupled) return true;
    if (g.core == Core::AIV) return m == Mem::UB;
    return m == Mem::L1 || m == Mem::L0A || m == Mem::L0B || m == Mem::L0C || m == Mem::BT || m == Mem::FB;
}

// Checks that [addr, addr+n) of GM lies inside one harness allocation.
void check_gm(uint64_t addr, uint64_t n, bool write, Site site) {
    if (n == 0) return;
    for (auto& r : R->gm) {
        uint64_t b = reinterpret_cast<uint64_t>(r.base);
        if (addr >= b && addr + n <= b + r.bytes) return;
    }
    const char* near = nullptr;
    long long off = 0;
    for (auto& r : R->gm) {
        uint64_t b = reinterpret_cast<uint64_t>(r.base);
        if (addr + n > b && addr < b + r.bytes + (1u << 30)) {
            near = r.name.c_str();
            off = static_cast<long long>(addr - b);
            if (addr >= b) {
                fault(Kind::GM_OUT_OF_BOUNDS, Mem::GM, site,
                      "illegal %s of %llu bytes at offset %lld of GM buffer '%s' (%llu bytes): it ends %llu bytes "
                      "past the buffer",
                      write ? "write" : "read", static_cast<unsigned long long>(n), off, near,
                      static_cast<unsigned long long>(r.bytes),
                      static_cast<unsigned long long>(addr + n - b - r.bytes));
            }
        }
    }
    fault(Kind::GM_OUT_OF_BOUNDS, Mem::GM, site,
          "illegal %s of %llu bytes at GM address 0x%llx, outside every buffer the harness allocated%s%s",
          write ? "write" : "read", static_cast<unsigned long long>(n), static_cast<unsigned long long>(addr),
          near ? "; nearest buffer " : "", near ? near : "");
}

void check_gm_tensor(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    check_gm(t.addr + off, n, write, site);
    if (t.bytes && off + n > t.bytes) {
        warn(site, "GM %s of %llu bytes at element offset %llu goes past the GlobalTensor's SetGlobalBuffer size "
                   "(%llu bytes); inside the harness buffer, so it %s neighbouring data",
             write ? "write" : "read", static_cast<unsigned long long>(n),
             static_cast<unsigned long long>(off / std::max<size_t>(1, dt_size(t.dt))),
             static_cast<unsigned long long>(t.bytes), write ? "overwrites" : "reads");
    }
}

// Checks a local-memory operand region and returns its host address.
uint8_t* local(const Ref& t, uint64_t off, uint64_t n, bool write, Site site, uint64_t align = 0) {
    if (t.mem == Mem::NONE || t.mem == Mem::GM || t.mem >= Mem::COUNT) {
        fault(Kind::INVALID_PARAMETER, t.mem, site, "the tensor is not in a local memory (uninitialised LocalTensor?)");
    }
    if (!core_has(t.mem)) {
        fault(Kind::WRONG_CORE_TYPE, t.mem, site, "%s is not a memory of the %s core", mem_name(t.mem),
              g.core == Core::AIV ? "AIV" : "AIC");
    }
    uint64_t a = align ? align : mem_align(t.mem);
    if (a > 1 && (t.addr % a) != 0) {
        fault(Kind::MISALIGNED_ADDRESS, t.mem, site, "%s address 0x%llx is not %llu-byte aligned", mem_name(t.mem),
              static_cast<unsigned long long>(t.addr), static_cast<unsigned long long>(a));
    }
    uint64_t cap = mem_capacity(t.mem);
    if (t.addr + off + n > cap) {
        fault(Kind::OUT_OF_BOUNDS, t.mem, site,
              "%s of %llu bytes at %s address 0x%llx ends at 0x%llx, past the %llu-byte %s",
              write ? "write" : "read", static_cast<unsigned long long>(n), mem_name(t.mem),
              static_cast<unsigned long long>(t.addr + off), static_cast<unsigned long long>(t.addr + off + n),
              static_cast<unsigned long long>(cap), mem_name(t.mem));
    }
    if (t.bytes != ~0ull && off + n > t.bytes && n > 0) {
        warn(site, "%s of %llu bytes at byte offset %llu of a %llu-byte %s tensor runs past the tensor into "
                   "neighbouring %s data",
             write ? "write" : "read", static_cast<unsigned long long>(n), static_cast<unsigned long long>(off),
             static_cast<unsigned long long>(t.bytes), mem_name(t.mem), mem_name(t.mem));
    }
    return g.mem_base[static_cast<int>(t.mem)] + t.addr + off;
}

void need_core(Core c, Site site) {
    if (R->cfg.coupled) return;
    if (g.core != c) {
        fault(Kind::WRONG_CORE_TYPE, Mem::NONE, site, "%s runs on %s cores only; this block runs on an %s core",
              api_name(site.api), c == Core::AIV ? "vector (AIV)" : "cube (AIC)", g.core == Core::AIV ? "AIV" : "AIC");
    }
}

void count_path(Mem src, Mem dst, uint64_t bytes) {
    if (bytes == 0) return;
    std::string k = std::string(mem_name(src)) + "->" + mem_name(dst);
    R->path_bytes[k] += bytes;
}

Pipe copy_pipe(Mem src, Mem dst) {
    if (src == Mem::GM) return Pipe::MTE2;
    if (dst == Mem::GM) return src == Mem::L0C ? Pipe::FIX : Pipe::MTE3;
    if (src == Mem::L1 && (dst == Mem::L0A || dst == Mem::L0B || dst == Mem::BT)) return Pipe::MTE1;
    if (src == Mem::UB && dst == Mem::UB) return Pipe::V;
    if (src == Mem::UB && dst == Mem::L1) return Pipe::MTE3;
    if (src == Mem::L1 && dst == Mem::UB) return Pipe::MTE2;
    return Pipe::MTE1;
}

void range(Site site, const char* what, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v < lo || v > hi) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "%s is %llu, should be in range [%llu, %llu]", what,
              static_cast<unsigned long long>(v), static_cast<unsigned long long>(lo),
              static_cast<unsigned long long>(hi));
    }
}

// ------------------------------------------------------------------------------- scalar conversions
template <typename T> double ld(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if constexpr (std::is_same_v<T, bfloat16_t>) {
        return static_cast<double>(static_cast<float>(v));
    } else {
        return static_cast<double>(v);
    }
}
double load(DT d, const uint8_t* p) {
    switch (d) {
        case DT::F16: return ld<half>(p);
        case DT::BF16: return ld<bfloat16_t>(p);
        case DT::F32: return ld<float>(p);
        case DT::I8: return ld<int8_t>(p);
        case DT::I16: return ld<int16_t>(p);
        case DT::I32: return ld<int32_t>(p);
        case DT::U8: return ld<uint8_t>(p);
        case DT::I64: return ld<int64_t>(p);
        case DT::U16: return ld<uint16_t>(p);
        case DT::U32: return ld<uint32_t>(p);
        case DT::U64: return ld<uint64_t>(p);
        default: return 0;
    }
}

uint16_t bf16_from_double(double v) { return bfloat16_t::from_float(static_cast<float>(v)); }

// Stores v with round-to-nearest-even (floats) or wrap-around (integers); integer stores of NaN give 0.
void store(DT d, uint8_t* p, double v) {
    switch (d) {
        case DT::F16: { half h = static_cast<half>(v); std::memcpy(p, &h, 2); break; }
        case DT::BF16: { uint16_t b = bf16_from_double(v); std::memcpy(p, &b, 2); break; }
        case DT::F32: { float f = static_cast<float>(v); std::memcpy(p, &f, 4); break; }
        default: {
            int64_t i = std::isfinite(v) ? static_cast<int64_t>(v) : 0;
            std::memcpy(p, &i, dt_size(d));  // little-endian: the low bytes, i.e. wrap-around
        }
    }
}

double fdiv(double a, double b) { return a / b; }

// Result of an arithmetic op on values exactly loaded from T, rounded once to T (IEEE fp16/fp32 semantics).
double round_to(DT d, double v) {
    uint8_t tmp[8];
    store(d, tmp, v);
    return load(d, tmp);
}

// --- Cast with RoundMode --------------------------------------------------------------------------
enum RM { NONE_ = 0, RINT = 1, FLOOR = 2, CEIL = 3, ROUND = 4, TRUNC = 5, ODD = 6, HYBRID = 7 };

uint64_t fbits(DT d, double v) {
    uint8_t t[8] = {};
    store(d, t, v);
    uint64_t b = 0;
    std::memcpy(&b, t, dt_size(d));
    return b;
}
double fromfbits(DT d, uint64_t b) {
    uint8_t t[8] = {};
    std::memcpy(t, &b, dt_size(d));
    return load(d, t);
}
// The representable neighbour of r (in float dtype d) in the direction of `up`.
double fnext(DT d, double r, bool up) {
    if (r == 0) {
        return fromfbits(d, 1) * (up ? 1 : -1);
    }
    uint64_t b = fbits(d, r);
    bool neg = r < 0;
    if (up != neg) ++b; else --b;
    return fromfbits(d, b);
}
double cast_value(DT dst, double v, int mode) {
    if (is_float(dst)) {
        if (std::isnan(v) || std::isinf(v)) return round_to(dst, v);
        double r = round_to(dst, v);
        if (r == v || !std::isfinite(r)) return r;
        switch (mode) {
            case FLOOR: return r > v ? fnext(dst, r, false) : r;
            case CEIL: return r < v ? fnext(dst, r, true) : r;
            case TRUNC: return std::fabs(r) > std::fabs(v) ? fnext(dst, r, v < 0) : r;
            case ROUND: {
                double lo = r > v ? fnext(dst, r, false) : r, hi = r < v ? fnext(dst, r, true) : r;
                double dl = v - lo, dh = hi - v;
                if (dl == dh) return std::fabs(lo) > std::fabs(hi) ? lo : hi;
                return dl < dh ? lo : hi;
            }
            case ODD: {
                uint64_t b = fbits(dst, r);
                if (b & 1) return r;
                return r > v ? fnext(dst, r, false) : fnext(dst, r, true);
            }
            default: return r;
        }
    }
    if (std::isnan(v)) return 0;
    double r;
    switch (mode) {
        case FLOOR: r = std::floor(v); break;
        case CEIL: r = std::ceil(v); break;
        case ROUND: r = std::round(v); break;
        case TRUNC: r = std::trunc(v); break;
        default: r = std::nearbyint(v); break;
    }
    double lo, hi;
    switch (dst) {
        case DT::I8: lo = -128; hi = 127; break;
        case DT::U8: lo = 0; hi = 255; break;
        case DT::I16: lo = -32768; hi = 32767; break;
        case DT::U16: lo = 0; hi = 65535; break;
        case DT::I32: lo = -2147483648.0; hi = 2147483647.0; break;
        case DT::U32: lo = 0; hi = 4294967295.0; break;
        default: lo = -9.2e18; hi = 9.2e18; break;
    }
    return std::min(hi, std::max(lo, r));  // float to integer conversions saturate
}

// ------------------------------------------------------------------------------ vector unit support
bool dt_in(DT d, std::initializer_list<DT> l) {
    for (DT x : l) if (x == d) return true;
    return false;
}
void dtype_fault(Site site, DT d, const char* supported) {
    fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
          "current api support dtype combination is %s; got %s on %s", supported, dt_name(d), R->cfg.soc.c_str());
}

void check_vec_dtype(const VecCall& c, Site site) {
    DT d = c.dst.dt;
    auto bf16_rule = [&]() {
        if (d == DT::BF16 && !R->cfg.bf16_vector_arith)
            dtype_fault(site, d, "half / float / int16_t / int32_t (no bfloat16_t vector arithmetic on this SoC)");
    };
    switch (c.op) {
        case VOp::ADD: case VOp::SUB: case VOp::MUL: case VOp::MAX: case VOp::MIN:
        case VOp::ADDS: case VOp::MULS: case VOp::MAXS: case VOp::MINS:
            bf16_rule();
            if (!dt_in(d, {DT::F16, DT::F32, DT::I16, DT::I32, DT::BF16}))
                dtype_fault(site, d, "half / float / int16_t / int32_t");
            break;
        case VOp::DIV: case VOp::EXP: case VOp::LN: case VOp::SQRT: case VOp::RSQRT: case VOp::RECIP:
        case VOp::AXPY: case VOp::LEAKY_RELU:
            if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "half / float");
            break;
        case VOp::ABS:
            if (!dt_in(d, {DT::F16, DT::F32, DT::I16, DT::I32})) dtype_fault(site, d, "half / float / int16_t / int32_t");
            break;
        case VOp::RELU:
            if (!dt_in(d, {DT::F16, DT::F32, DT::I32})) dtype_fault(site, d, "half / float / int32_t");
            break;
        case VOp::AND: case VOp::OR: case VOp::NOT:
            if (!dt_in(d, {DT::I16, DT::U16})) dtype_fault(site, d, "int16_t / uint16_t");
            break;
        case VOp::DUP:
            if (dt_size(d) != 2 && dt_size(d) != 4) dtype_fault(site, d, "2-byte and 4-byte types");
            if (d == DT::BF16 && !R->cfg.bf16) dtype_fault(site, d, "no bfloat16_t on this SoC");
            break;
        case VOp::CMP: case VOp::CMPS: {
            DT s = c.src0.dt;
            if (!dt_in(s, {DT::F16, DT::F32, DT::I32})) dtype_fault(site, s, "src half / float / int32_t");
            if (s == DT::I32 && c.mode != 2) dtype_fault(site, s, "int32_t with CMPMODE::EQ only");
            if (!dt_in(d, {DT::U8, DT::I8, DT::U16, DT::U32, DT::U64}))
                dtype_fault(site, d, "dst uint8_t bit mask");
            break;
        }
        case VOp::SEL:
            if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "half / float");
            break;
        case VOp::CAST: break;  // checked by the pair table
    }
}

bool cast_pair_ok(DT s, DT d) {
    switch (s) {
        case DT::F16: return dt_in(d, {DT::F32, DT::I32, DT::I16, DT::I8, DT::U8, DT::F16});
        case DT::F32: return dt_in(d, {DT::F16, DT::I32, DT::I64, DT::I16, DT::F32, DT::BF16});
        case DT::I32: return dt_in(d, {DT::F32, DT::I16, DT::F16, DT::I64});
        case DT::I16: return dt_in(d, {DT::F16, DT::F32});
        case DT::I8: case DT::U8: return d == DT::F16;
        case DT::BF16: return dt_in(d, {DT::F32, DT::I32});
        case DT::I64: return dt_in(d, {DT::I32, DT::F32});
        default: return false;
    }
}

double apply(VOp op, DT d, double a, double b, double s) {
    auto I = [&](double x) { return static_cast<int64_t>(x); };
    switch (op) {
        case VOp::ADD: return is_float(d) ? a + b : static_cast<double>(I(a) + I(b));
        case VOp::SUB: return is_float(d) ? a - b : static_cast<double>(I(a) - I(b));
        case VOp::MUL: return is_float(d) ? a * b : static_cast<double>(I(a) * I(b));
        case VOp::DIV: return fdiv(a, b);
        case VOp::MAX: return (std::isnan(a) || std::isnan(b)) ? NAN : std::max(a, b);
        case VOp::MIN: return (std::isnan(a) || std::isnan(b)) ? NAN : std::min(a, b);
        case VOp::AND: return static_cast<double>(static_cast<uint16_t>(I(a)) & static_cast<uint16_t>(I(b)));
        case VOp::OR: return static_cast<double>(static_cast<uint16_t>(I(a)) | static_cast<uint16_t>(I(b)));
        case VOp::ADDS: return is_float(d) ? a + s : static_cast<double>(I(a) + I(s));
        case VOp::MULS: return is_float(d) ? a * s : static_cast<double>(I(a) * I(s));
        case VOp::MAXS: return std::isnan(a) ? NAN : std::max(a, s);
        case VOp::MINS: return std::isnan(a) ? NAN : std::min(a, s);
        case VOp::LEAKY_RELU: return a >= 0 ? a : a * s;
        case VOp::EXP: return std::exp(a);
        case VOp::LN: return std::log(a);
        case VOp::ABS: return std::fabs(a);
        case VOp::SQRT: return std::sqrt(a);
        case VOp::RSQRT: return 1.0 / std::sqrt(a);
        case VOp::RECIP: return 1.0 / a;
        case VOp::RELU: return a > 0 ? a : 0.0;
        case VOp::NOT: return static_cast<double>(static_cast<uint16_t>(~static_cast<uint16_t>(I(a))));
        case VOp::DUP: return s;
        case VOp::AXPY: return b + a * s;  // dst = src * scalar + dst
        default: return 0;
    }
}

// The float-valued ops whose half results are computed in float, like the hardware's transcendental units.
bool via_float(VOp op) {
    return op == VOp::EXP || op == VOp::LN || op == VOp::SQRT || op == VOp::RSQRT || op == VOp::RECIP ||
           op == VOp::DIV;
}

bool cmp(int mode, double a, double b) {
    switch (mode) {  // CMPMODE { LT, GT, EQ, LE, GE, NE }
        case 0: return a < b;
        case 1: return a > b;
        case 2: return a == b;
        case 3: return a <= b;
        case 4: return a >= b;
        case 5: return a != b;
        default: return false;
    }
}

// Element i of one repeat: byte offset of operand with element size `es` and block stride `blk`.
inline uint64_t elem_off(uint64_t i, uint64_t es, uint64_t blk, uint64_t rep, uint64_t r) {
    uint64_t per_block = 32 / es;
    return (r * rep + (i / per_block) * blk) * 32 + (i % per_block) * es;
}

bool mask_bit(const uint64_t m[2], uint64_t i) { return i < 128 && ((m[i / 64] >> (i % 64)) & 1u); }

}  // namespace

// =========================================================================================== vector
void vec(const VecCall& c0, Site site) {
    VecCall c = c0;
    need_core(Core::AIV, site);
    check_vec_dtype(c, site);
    DT d = c.dst.dt;
    DT s0 = c.src0.mem != Mem::NONE ? c.src0.dt : d;
    if (c.op == VOp::CAST) {
        if (!cast_pair_ok(s0, d)) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "no Cast from %s to %s", dt_name(s0), dt_name(d));
            dtype_fault(site, d, buf);
        }
        if ((d == DT::BF16 || s0 == DT::BF16) && !R->cfg.bf16) dtype_fault(site, DT::BF16, "no bfloat16_t on this SoC");
        if (c.mode == NONE_ && s0 == DT::F32 && (d == DT::BF16 || d == DT::I32 || d == DT::I16 || d == DT::I64)) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "Cast from float to %s does not support RoundMode::CAST_NONE (use CAST_RINT, CAST_ROUND, ...)",
                  dt_name(d));
        }
        if (c.mode == NONE_ && s0 == DT::F16 && (d == DT::I32 || d == DT::I16 || d == DT::I8 || d == DT::U8)) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "Cast from half to %s does not support RoundMode::CAST_NONE", dt_name(d));
        }
    }
    const bool is_cmp = c.op == VOp::CMP || c.op == VOp::CMPS;
    const bool binary = c.op == VOp::ADD || c.op == VOp::SUB || c.op == VOp::MUL || c.op == VOp::DIV ||
                        c.op == VOp::MAX || c.op == VOp::MIN || c.op == VOp::AND || c.op == VOp::OR ||
                        c.op == VOp::CMP || c.op == VOp::SEL;
    const bool has_src0 = c.op != VOp::DUP;
    const bool has_src1 = binary && !(c.op == VOp::SEL && c.mode == 1);
    DT cmp_t = is_cmp ? s0 : d;  // the compute type
    size_t es_d = dt_size(d), es_s = dt_size(s0);
    size_t es_max = std::max(is_cmp ? es_s : es_d, has_src0 ? es_s : es_d);
    uint64_t epr = R->cfg.repeat_bytes / es_max;  // elements per repeat

    // Which elements run, and where each operand's element lives.
    uint64_t n_total = 0;
    uint64_t repeats = 0;
    std::vector<uint64_t> active;  // element indices within one repeat (mask form)
    bool counter = c.count_form;
    uint64_t count = 0;
    if (!c.count_form && c.use_set_mask) {
        if (R->mask_counter) {
            counter = true;
            c.count = static_cast<int64_t>(R->mask[0]);
        } else {
            c.mask[0] = R->mask[0];
            c.mask[1] = R->mask[1];
            c.bit_mask = true;
        }
    }
    if (counter) {
        if (c.count < 0) fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "count is %lld, must not be negative",
                               static_cast<long long>(c.count));
        count = static_cast<uint64_t>(c.count);
        if (is_cmp) {
            uint64_t bytes = count * es_s;
            uint64_t kept = bytes / R->cfg.compare_align * R->cfg.compare_align;
            if (kept != bytes) {
                warn(site, "%s count %llu (%llu bytes) is not a multiple of %llu bytes: the last %llu elements are "
                           "not compared",
                     api_name(site.api), static_cast<unsigned long long>(count),
                     static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(R->cfg.compare_align),
                     static_cast<unsigned long long>((bytes - kept) / es_s));
                count = kept / es_s;
            }
        }
        n_total = count;
        repeats = (count + epr - 1) / epr;
    } else {
        repeats = c.repeat;
        range(site, "repeatTime", c.repeat, 0, R->cfg.max_repeat);
        range(site, "dstBlkStride", c.st.dst_blk, 0, 65535);
        range(site, "src0BlkStride", c.st.src0_blk, 0, 255);
        range(site, "src1BlkStride", c.st.src1_blk, 0, 255);
        range(site, "dstRepStride", c.st.dst_rep, 0, 255);
        range(site, "src0RepStride", c.st.src0_rep, 0, 255);
        range(site, "src1RepStride", c.st.src1_rep, 0, 255);
        if (c.bit_mask) {
            if (epr <= 64 && c.mask[1] != 0) {
                fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                      "mask[1] is 0x%llx, should be 0 for %zu-byte elements (at most %llu per repeat)",
                      static_cast<unsigned long long>(c.mask[1]), es_max, static_cast<unsigned long long>(epr));
            }
            for (uint64_t i = 0; i < epr; ++i)
                if (mask_bit(c.mask, i)) active.push_back(i);
        } else {
            range(site, "mask", c.mask[0], 1, epr);
            for (uint64_t i = 0; i < c.mask[0]; ++i) active.push_back(i);
        }
        n_total = repeats * active.size();
    }

    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = static_cast<uint8_t>(d);
    e.src_dtype = static_cast<uint8_t>(s0);
    e.flags = c.count_form ? RF_COUNT_FORM : 0;
    if (c.bit_mask) e.flags |= RF_BIT_MASK;
    e.src_mem = static_cast<uint8_t>(has_src0 ? c.src0.mem : Mem::NONE);
    e.dst_mem = static_cast<uint8_t>(c.dst.mem);
    e.src_addr = has_src0 ? c.src0.addr : 0;
    e.dst_addr = c.dst.addr;
    e.bytes = n_total * (is_cmp ? es_s : es_d);
    e.repeats = static_cast<uint32_t>(repeats);
    e.a0 = static_cast<uint32_t>(n_total);
    e.a1 = static_cast<uint32_t>(c.op);
    e.a2 = static_cast<uint32_t>(c.mode);
    // src1's local address in 32-byte units plus one (0: none), for the cycle model's UB bank-conflict check.
    if (has_src1 && c.src1.mem != Mem::GM && c.src1.addr / 32 + 1 <= 0xFFFF)
        e.reserved = static_cast<uint16_t>(c.src1.addr / 32 + 1);
    rec_done();
    if (n_total == 0) return;

    // Byte offsets of element k of the flat sequence (count form) or (r, i) (mask form).
    struct Opnd {
        const Ref* t;
        size_t es;
        uint64_t blk, rep;
        uint8_t* base = nullptr;
    };
    Opnd od{&c.dst, is_cmp ? 1 : es_d, c.st.dst_blk, c.st.dst_rep};
    Opnd o0{&c.src0, es_s, c.st.src0_blk, c.st.src0_rep};
    const DT s1 = c.src1.dt != DT::NONE ? c.src1.dt : s0;
    Opnd o1{&c.src1, dt_size(s1), c.st.src1_blk, c.st.src1_rep};
    // Extents (bytes from the operand start) for the bounds check.
    auto extent = [&](const Opnd& o, bool bits) -> uint64_t {
        if (counter) return bits ? (n_total + 7) / 8 : n_total * o.es;
        if (bits) return (repeats * epr + 7) / 8;
        uint64_t mx = 0;
        for (uint64_t i : active) mx = std::max(mx, elem_off(i, o.es, o.blk, o.rep, repeats - 1) + o.es);
        return mx;
    };
    od.base = local(c.dst, 0, extent(od, is_cmp), true, site);
    if (has_src0) o0.base = local(c.src0, 0, extent(o0, false), false, site);
    if (has_src1) o1.base = local(c.src1, 0, extent(o1, false), false, site);
    uint8_t* selb = nullptr;
    if (c.op == VOp::SEL) {
        uint64_t bits = c.mode == 0 ? epr : (counter ? n_total : repeats * epr);
        selb = local(c.sel, 0, (bits + 7) / 8, false, site);
    }
    if (is_cmp && counter) std::memset(od.base, 0, (n_total + 7) / 8);

    auto one = [&](uint64_t k, uint64_t od_off, uint64_t o0_off, uint64_t o1_off, uint64_t bit_idx, uint64_t sel_idx) {
        double a = has_src0 ? load(s0, o0.base + o0_off) : 0;
        double b = has_src1 ? load(s1, o1.base + o1_off) : 0;
        (void)k;
        if (is_cmp) {
            double rhs = c.op == VOp::CMPS ? round_to(s0, c.scalar) : b;
            bool v = cmp(c.mode, a, rhs);
            uint8_t* byte = od.base + bit_idx / 8;
            if (v) *byte |= static_cast<uint8_t>(1u << (bit_idx % 8));
            else *byte &= static_cast<uint8_t>(~(1u << (bit_idx % 8)));
            return;
        }
        if (c.op == VOp::SEL) {
            bool take0 = (selb[sel_idx / 8] >> (sel_idx % 8)) & 1u;
            double other = c.mode == 1 ? round_to(d, c.scalar) : b;
            store(d, od.base + od_off, take0 ? a : other);
            return;
        }
        if (c.op == VOp::CAST) {
            store(d, od.base + od_off, cast_value(d, a, c.mode));
            return;
        }
        if (c.op == VOp::DUP) {
            std::memcpy(od.base + od_off, &c.scalar_bits, es_d);
            return;
        }
        if (c.op == VOp::AXPY) b = load(d, od.base + od_off);
        double s = round_to(cmp_t, c.scalar);
        double v = apply(c.op, d, a, b, s);
        if (d == DT::F16 && via_float(c.op)) v = static_cast<double>(static_cast<float>(v));
        if (!is_float(d) && c.op != VOp::NOT && c.op != VOp::AND && c.op != VOp::OR) {
            // integer arithmetic wraps to the element width
            int64_t iv = static_cast<int64_t>(v);
            std::memcpy(od.base + od_off, &iv, es_d);
            return;
        }
        store(d, od.base + od_off, v);
    };

    if (counter) {
        for (uint64_t k = 0; k < n_total; ++k) {
            uint64_t r = k / epr, i = k % epr;
            (void)r;
            uint64_t sel_idx = c.mode == 0 ? i : k;
            one(k, k * od.es, k * o0.es, k * o1.es, k, sel_idx);
        }
    } else {
        for (uint64_t r = 0; r < repeats; ++r) {
            for (uint64_t i : active) {
                uint64_t bit = r * epr + i;
                one(bit, elem_off(i, od.es, od.blk, od.rep, r), elem_off(i, o0.es, o0.blk, o0.rep, r),
                    elem_off(i, o1.es, o1.blk, o1.rep, r), bit, c.mode == 0 ? i : bit);
            }
        }
    }
}

// ======================================================================================= reductions
namespace {
void reduce_dtype(Site site, DT d) {
    if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "src and dst both: half / float");
}
void write_index(DT d, uint8_t* p, uint64_t idx) {
    if (dt_size(d) == 2) {
        uint16_t v = static_cast<uint16_t>(idx);
        std::memcpy(p, &v, 2);
    } else {
        uint32_t v = static_cast<uint32_t>(idx);
        std::memcpy(p, &v, 4);
    }
}
// Sum, max or min over `vals` in the element type (sums accumulate in float, the result is rounded once).
std::pair<double, uint64_t> fold(VOp op, DT d, const std::vector<double>& vals, const std::vector<uint64_t>& idx) {
    double acc = op == VOp::ADD ? 0.0 : vals[0];
    uint64_t at = idx.empty() ? 0 : idx[0];
    for (size_t i = 0; i < vals.size(); ++i) {
        double v = vals[i];
        if (op == VOp::ADD) acc = static_cast<float>(acc + v);
        else if (op == VOp::MAX ? v > acc : v < acc) {
            acc = v;
            at = idx[i];
        }
    }
    return {round_to(d, acc), at};
}
}  // namespace

void reduce(VOp op, const Ref& dst, const Ref& src, const Ref& work, uint64_t count, bool cal_index, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    size_t es = dt_size(dst.dt);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.flags = RF_COUNT_FORM;
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = count * es;
    e.repeats = static_cast<uint32_t>((count * es + R->cfg.repeat_bytes - 1) / R->cfg.repeat_bytes);
    e.a0 = static_cast<uint32_t>(count);
    e.a1 = static_cast<uint32_t>(op);
    rec_done();
    if (static_cast<int64_t>(count) <= 0) return;
    uint8_t* s = local(src, 0, count * es, false, site);
    if (work.mem != Mem::NONE) local(work, 0, es, true, site);
    uint8_t* d = local(dst, 0, (cal_index ? 2 : 1) * es, true, site);
    std::vector<double> vals(count);
    std::vector<uint64_t> idx(count);
    for (uint64_t i = 0; i < count; ++i) {
        vals[i] = load(dst.dt, s + i * es);
        idx[i] = i;
    }
    auto [v, at] = fold(op, dst.dt, vals, idx);
    store(dst.dt, d, v);
    if (cal_index) write_index(dst.dt, d + es, at);
}

void reduce_mask(VOp op, const Ref& dst, const Ref& src, const Ref& work, const uint64_t mask[2], bool bit_mask,
                 uint64_t repeat, uint64_t src_rep, bool cal_index, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "srcRepStride", src_rep, 0, 255);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    std::vector<uint64_t> active;
    if (bit_mask) {
        for (uint64_t i = 0; i < epr; ++i) if (mask_bit(mask, i)) active.push_back(i);
    } else {
        range(site, "mask", mask[0], 1, epr);
        for (uint64_t i = 0; i < mask[0]; ++i) active.push_back(i);
    }
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * active.size() * es;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a0 = static_cast<uint32_t>(repeat * active.size());
    e.a1 = static_cast<uint32_t>(op);
    rec_done();
    if (repeat == 0 || active.empty()) return;
    uint64_t ext = 0;
    for (uint64_t i : active) ext = std::max(ext, elem_off(i, es, 1, src_rep, repeat - 1) + es);
    uint8_t* s = local(src, 0, ext, false, site);
    if (work.mem != Mem::NONE) local(work, 0, es, true, site);
    uint8_t* d = local(dst, 0, (cal_index ? 2 : 1) * es, true, site);
    std::vector<double> vals;
    std::vector<uint64_t> idx;
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t i : active) {
            vals.push_back(load(dst.dt, s + elem_off(i, es, 1, src_rep, r)));
            idx.push_back(r * epr + i);
        }
    auto [v, at] = fold(op, dst.dt, vals, idx);
    store(dst.dt, d, v);
    if (cal_index) write_index(dst.dt, d + es, at);
}

void whole_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, int order, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "srcBlkStride", src_blk, 0, 255);
    range(site, "srcRepStride", src_rep, 0, 255);
    range(site, "dstRepStride", dst_rep, 0, 255);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    std::vector<uint64_t> active;
    if (bit_mask) {
        for (uint64_t i = 0; i < epr; ++i) if (mask_bit(mask, i)) active.push_back(i);
    } else {
        range(site, "mask", mask[0], 1, epr);
        for (uint64_t i = 0; i < mask[0]; ++i) active.push_back(i);
    }
    // Per repeat: Sum writes one value; Max/Min write (value, index), (index, value), value or index.
    const bool sum = op == VOp::ADD;
    const uint64_t per = sum ? 1 : (order == 2 || order == 3 ? 1 : 2);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * active.size() * es;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a0 = static_cast<uint32_t>(repeat * active.size());
    e.a1 = static_cast<uint32_t>(op);
    e.a2 = static_cast<uint32_t>(order);
    rec_done();
    if (repeat == 0 || active.empty()) return;
    uint64_t ext = 0;
    for (uint64_t i : active) ext = std::max(ext, elem_off(i, es, src_blk, src_rep, repeat - 1) + es);
    uint8_t* s = local(src, 0, ext, false, site);
    // dstRepStride counts elements for Sum and (value, index) pairs for Max/Min.
    uint64_t dst_step = dst_rep * per * es;
    uint8_t* d = local(dst, 0, (repeat - 1) * dst_step + per * es, true, site);
    for (uint64_t r = 0; r < repeat; ++r) {
        std::vector<double> vals;
        std::vector<uint64_t> idx;
        for (uint64_t i : active) {
            vals.push_back(load(dst.dt, s + elem_off(i, es, src_blk, src_rep, r)));
            idx.push_back(i);
        }
        auto [v, at] = fold(op, dst.dt, vals, idx);
        uint8_t* o = d + r * dst_step;
        if (sum || order == 2) {
            store(dst.dt, o, v);
        } else if (order == 3) {
            write_index(dst.dt, o, at);
        } else if (order == 0) {
            store(dst.dt, o, v);
            write_index(dst.dt, o + es, at);
        } else {
            write_index(dst.dt, o, at);
            store(dst.dt, o + es, v);
        }
    }
}

void block_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es, epb = 32 / es;
    std::vector<bool> on(epr, false);
    if (bit_mask) {
        for (uint64_t i = 0; i < epr; ++i) on[i] = mask_bit(mask, i);
    } else {
        range(site, "mask", mask[0], 1, epr);
        for (uint64_t i = 0; i < mask[0]; ++i) on[i] = true;
    }
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * epr * es;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a1 = static_cast<uint32_t>(op);
    rec_done();
    if (repeat == 0) return;
    uint8_t* s = local(src, 0, (repeat - 1) * src_rep * 32 + 7 * src_blk * 32 + 32, false, site);
    uint8_t* d = local(dst, 0, (repeat - 1) * dst_rep * 32 + 8 * es, true, site);
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t b = 0; b < 8; ++b) {
            std::vector<double> vals;
            std::vector<uint64_t> idx;
            for (uint64_t k = 0; k < epb; ++k)
                if (on[b * epb + k]) {
                    vals.push_back(load(dst.dt, s + elem_off(b * epb + k, es, src_blk, src_rep, r)));
                    idx.push_back(k);
                }
            if (vals.empty()) continue;
            store(dst.dt, d + r * dst_rep * 32 + b * es, fold(op, dst.dt, vals, idx).first);
        }
}

void brcb(const Ref& dst, const Ref& src, uint64_t repeat, uint64_t dst_blk, uint64_t dst_rep, Site site) {
    need_core(Core::AIV, site);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    size_t es = dt_size(dst.dt);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * 8 * 32;
    e.repeats = static_cast<uint32_t>(repeat);
    rec_done();
    if (repeat == 0) return;
    uint8_t* s = local(src, 0, repeat * 8 * es, false, site);
    uint8_t* d = local(dst, 0, ((repeat - 1) * dst_rep + 7 * dst_blk) * 32 + 32, true, site);
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t b = 0; b < 8; ++b)
            for (uint64_t k = 0; k < 32 / es; ++k)
                std::memcpy(d + ((r * dst_rep) + b * dst_blk) * 32 + k * es, s + (r * 8 + b) * es, es);
}

// ==================================================================================== data movement
namespace {
uint8_t* side(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    if (t.mem == Mem::GM) {
        check_gm_tensor(t, off, n, write, site);
        return reinterpret_cast<uint8_t*>(t.addr) + off;
    }
    return local(t, off, n, write, site);
}
void check_gm_elem_align(const Ref& t, Site site) {
    size_t es = dt_size(t.dt);
    if (t.mem == Mem::GM && es > 1 && t.addr % es != 0) {
        fault(Kind::MISALIGNED_ADDRESS, Mem::GM, site, "GM address 0x%llx is not aligned to the %zu-byte element size",
              static_cast<unsigned long long>(t.addr), es);
    }
}
RecordEntry& rec_copy(Site site, const Ref& dst, const Ref& src, uint64_t bytes) {
    Pipe p = copy_pipe(src.mem, dst.mem);
    RecordEntry& e = rec(Op::INSTR, p, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(src.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = bytes;
    if ((src.mem == Mem::GM && src.l2_hint == 1) || (dst.mem == Mem::GM && dst.l2_hint == 1)) e.flags |= RF_L2_BYPASS;
    count_path(src.mem, dst.mem, bytes);
    return e;
}
// GM addresses in the record are (region index << 48) | offset, so the record never holds host pointers.
uint64_t gm_rec_addr(uint64_t addr) {
    for (size_t i = 0; i < R->gm.size(); ++i) {
        uint64_t b = reinterpret_cast<uint64_t>(R->gm[i].base);
        if (addr >= b && addr <= b + R->gm[i].bytes) return (static_cast<uint64_t>(i + 1) << 48) | (addr - b);
    }
    return addr & ((1ull << 48) - 1);
}
void fix_gm_addrs(RecordEntry& e, const Ref& dst, const Ref& src) {
    if (src.mem == Mem::GM) e.src_addr = gm_rec_addr(src.addr);
    if (dst.mem == Mem::GM) e.dst_addr = gm_rec_addr(dst.addr);
}
void check_copy_route(const Ref& dst, const Ref& src, Site site) {
    if (dst.mem == Mem::GM && src.mem == Mem::GM) {
        fault(Kind::INVALID_PARAMETER, Mem::GM, site, "DataCopy from GM to GM is not a hardware data path");
    }
    if (dst.mem == Mem::L0C || src.mem == Mem::L0A || src.mem == Mem::L0B) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "no DataCopy path from %s to %s", mem_name(src.mem),
              mem_name(dst.mem));
    }
}
}  // namespace

void copy(const Ref& dst, const Ref& src, uint64_t count, Site site) {
    check_copy_route(dst, src, site);
    size_t es = dt_size(src.dt);
    uint64_t bytes = count * es;
    uint64_t blk = R->cfg.datacopy_block;
    uint64_t moved = bytes / blk * blk;
    RecordEntry& e = rec_copy(site, dst, src, moved);
    fix_gm_addrs(e, dst, src);
    e.flags |= RF_COUNT_FORM | (moved != bytes ? RF_TRUNCATED : 0);
    e.a0 = 1;
    e.a1 = static_cast<uint32_t>(moved);
    rec_done();
    if (moved != bytes) {
        warn(site, "DataCopy of %llu elements (%llu bytes) is not a multiple of %llu bytes: only %llu bytes are "
                   "moved (use DataCopyPad for the tail)",
             static_cast<unsigned long long>(count), static_cast<unsigned long long>(bytes),
             static_cast<unsigned long long>(blk), static_cast<unsigned long long>(moved));
    }
    check_gm_elem_align(dst, site);
    check_gm_elem_align(src, site);
    if (moved == 0) return;
    uint8_t* s = side(src, 0, moved, false, site);
    uint8_t* d = side(dst, 0, moved, true, site);
    std::memmove(d, s, moved);
}

void copy_params(const Ref& dst, const Ref& src, const CopyParams& p, Site site) {
    check_copy_route(dst, src, site);
    range(site, "blockCount", p.block_count, 1, 4095);
    range(site, "blockLen", p.block_len, 1, 65535);
    range(site, "srcStride", p.src_stride, 0, 65535);
    range(site, "dstStride", p.dst_stride, 0, 65535);
    uint64_t unit = R->cfg.datacopy_block;
    uint64_t len = p.block_len * unit;
    RecordEntry& e = rec_copy(site, dst, src, p.block_count * len);
    fix_gm_addrs(e, dst, src);
    e.a0 = static_cast<uint32_t>(p.block_count);
    e.a1 = static_cast<uint32_t>(len);
    e.a2 = static_cast<uint32_t>(p.src_stride * unit);
    e.repeats = static_cast<uint32_t>(p.block_count);
    rec_done();
    check_gm_elem_align(dst, site);
    check_gm_elem_align(src, site);
    uint64_t s_step = len + p.src_stride * unit, d_step = len + p.dst_stride * unit;
    uint64_t s_ext = (p.block_count - 1) * s_step + len, d_ext = (p.block_count - 1) * d_step + len;
    uint8_t* s = side(src, 0, s_ext, false, site);
    uint8_t* d = side(dst, 0, d_ext, true, site);
    for (uint64_t b = 0; b < p.block_count; ++b) std::memmove(d + b * d_step, s + b * s_step, len);
}

void copy_pad(const Ref& dst, const Ref& src, const CopyParams& p, const PadParams& pad, bool ext, Site site) {
    if (!((dst.mem == Mem::UB || dst.mem == Mem::L1) && src.mem == Mem::GM) &&
        !(dst.mem == Mem::GM && (src.mem == Mem::UB || src.mem == Mem::L1))) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "DataCopyPad moves between GM and UB only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    size_t es = dt_size(dst.mem == Mem::GM ? src.dt : dst.dt);
    range(site, "blockCount", p.block_count, 0, 4095);
    range(site, "blockLen", p.block_len, 0, ext ? 2097151 : 65535);
    uint64_t unit = R->cfg.datacopy_block;
    uint64_t moved = p.block_count * p.block_len;
    RecordEntry& e = rec_copy(site, dst, src, moved);
    fix_gm_addrs(e, dst, src);
    e.flags |= pad.is_pad ? RF_PAD : 0;
    e.a0 = static_cast<uint32_t>(p.block_count);
    e.a1 = static_cast<uint32_t>(p.block_len);
    e.a2 = static_cast<uint32_t>(p.src_stride);
    e.repeats = static_cast<uint32_t>(p.block_count);
    rec_done();
    if (p.block_count == 0 || p.block_len == 0) return;  // NOP on A2
    if (p.block_len % es != 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "blockLen %llu bytes is not a multiple of the %zu-byte element",
              static_cast<unsigned long long>(p.block_len), es);
    }
    if (dst.mem != Mem::GM) {  // GM -> UB: each row lands padded to whole 32 B blocks
        range(site, "leftPadding", pad.left, 0, 32 / es);
        range(site, "rightPadding", pad.right, 0, 32 / es);
        uint64_t row = pad.left * es + p.block_len + pad.right * es;
        uint64_t row_ub = (row + unit - 1) / unit * unit;
        uint64_t s_step = p.block_len + p.src_stride;          // GM side in bytes
        uint64_t d_step = row_ub + p.dst_stride * unit;        // UB side in 32 B blocks
        uint8_t* s = side(src, 0, (p.block_count - 1) * s_step + p.block_len, false, site);
        uint8_t* d = side(dst, 0, (p.block_count - 1) * d_step + row_ub, true, site);
        for (uint64_t b = 0; b < p.block_count; ++b) {
            uint8_t* o = d + b * d_step;
            if (pad.is_pad) {
                for (uint64_t k = 0; k + es <= row_ub; k += es) std::memcpy(o + k, &pad.value_bits, es);
            }
            std::memmove(o + pad.left * es, s + b * s_step, p.block_len);
        }
    } else {  // UB -> GM: the padding of each UB row is dropped
        uint64_t row_ub = (p.block_len + unit - 1) / unit * unit;
        uint64_t s_step = row_ub + p.src_stride * unit;
        uint64_t d_step = p.block_len + p.dst_stride;
        uint8_t* s = side(src, 0, (p.block_count - 1) * s_step + p.block_len, false, site);
        uint8_t* d = side(dst, 0, (p.block_count - 1) * d_step + p.block_len, true, site);
        for (uint64_t b = 0; b < p.block_count; ++b) std::memmove(d + b * d_step, s + b * s_step, p.block_len);
    }
}

void copy_nd2nz(const Ref& dst, const Ref& src, const Nd2Nz& p, Site site) {
    need_core(Core::AIC, site);
    if (src.mem != Mem::GM || dst.mem != Mem::L1) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "DataCopy with Nd2NzParams moves GM to L1 (A1/B1) only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    size_t es = dt_size(dst.dt);
    uint64_t c0 = 32 / es;
    range(site, "ndNum", p.nd_num, 0, 4095);
    range(site, "nValue", p.n, 0, 16384);
    range(site, "dValue", p.d, 0, 65535);
    range(site, "srcDValue", p.src_d, 1, 65535);
    range(site, "dstNzC0Stride", p.dst_c0_stride, 1, 16384);
    range(site, "dstNzNStride", p.dst_n_stride, 1, 16384);
    uint64_t moved = p.nd_num * p.n * p.d * es;
    RecordEntry& e = rec_copy(site, dst, src, moved);
    fix_gm_addrs(e, dst, src);
    e.a0 = static_cast<uint32_t>(p.n);
    e.a1 = static_cast<uint32_t>(p.d);
    e.a2 = static_cast<uint32_t>(p.nd_num);
    e.repeats = static_cast<uint32_t>(p.nd_num * p.n);
    rec_done();
    if (moved == 0) return;
    uint64_t d_blocks = (p.d + c0 - 1) / c0;
    uint64_t s_ext = ((p.nd_num - 1) * p.src_nd_matrix_stride + (p.n - 1) * p.src_d + p.d) * es;
    uint64_t d_ext = (p.nd_num - 1) * p.dst_nz_matrix_stride * es +
                     ((d_blocks - 1) * p.dst_c0_stride + (p.n - 1) * p.dst_n_stride) * 32 + 32;
    uint8_t* s = side(src, 0, s_ext, false, site);
    uint8_t* d = local(dst, 0, d_ext, true, site);
    for (uint64_t m = 0; m < p.nd_num; ++m)
        for (uint64_t i = 0; i < p.n; ++i)
            for (uint64_t j = 0; j < d_blocks; ++j) {
                uint8_t* o = d + m * p.dst_nz_matrix_stride * es + (j * p.dst_c0_stride + i * p.dst_n_stride) * 32;
                uint64_t cols = std::min(c0, p.d - j * c0);
                std::memmove(o, s + (m * p.src_nd_matrix_stride + i * p.src_d + j * c0) * es, cols * es);
                if (cols < c0) std::memset(o + cols * es, 0, (c0 - cols) * es);  // the D tail of a fractal row is zero
            }
}

void load2d(const Ref& dst, const Ref& src, const Load2D& p, Site site) {
    need_core(Core::AIC, site);
    if (!(dst.mem == Mem::L0A || dst.mem == Mem::L0B) || !(src.mem == Mem::L1 || src.mem == Mem::GM)) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "LoadData moves L1 (or GM) to L0A/L0B only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    range(site, "repeatTimes", p.repeat, 0, R->cfg.max_repeat);
    range(site, "srcStride", p.src_stride, 0, 65535);
    range(site, "dstGap", p.dst_gap, 0, 65535);
    const uint64_t frac = 512;
    size_t es = dt_size(dst.dt);
    RecordEntry& e = rec_copy(site, dst, src, p.repeat * frac);
    fix_gm_addrs(e, dst, src);
    e.flags |= p.transpose ? RF_TRANSPOSE : 0;
    e.repeats = static_cast<uint32_t>(p.repeat);
    e.a0 = static_cast<uint32_t>(p.start_index);
    e.a1 = static_cast<uint32_t>(p.src_stride);
    e.a2 = static_cast<uint32_t>(p.dst_gap);
    rec_done();
    if (p.repeat == 0) return;
    if (p.transpose && es != 2) {
        fault(Kind::UNSUPPORTED_DTYPE, dst.mem, site,
              "LoadData with ifTranspose supports 2-byte types (16x16 fractals); got %s", dt_name(dst.dt));
    }
    uint64_t s_ext = (p.start_index + (p.repeat - 1) * p.src_stride) * frac + frac;
    uint64_t d_ext = (p.repeat - 1) * (1 + p.dst_gap) * frac + frac;
    uint8_t* s = side(src, 0, s_ext, false, site);
    uint8_t* d = local(dst, 0, d_ext, true, site);
    for (uint64_t r = 0; r < p.repeat; ++r) {
        const uint8_t* sf = s + (p.start_index + r * p.src_stride) * frac;
        uint8_t* df = d + r * (1 + p.dst_gap) * frac;
        if (!p.transpose) {
            std::memmove(df, sf, frac);
        } else {
            uint8_t tmp[512];
            for (int i = 0; i < 16; ++i)
                for (int j = 0; j < 16; ++j) std::memcpy(tmp + (j * 16 + i) * 2, sf + (i * 16 + j) * 2, 2);
            std::memcpy(df, tmp, frac);
        }
    }
}

// =============================================================================================== cube
// Layouts (docs/kernel-contract.md): L0A holds A (m x k) as fractals [m1][k1] of 16 x c0 (row-major inside);
// L0B holds B (k x n) as fractals [n1][k1] of 16(n) x c0(k) (B transposed inside each fractal); L0C holds
// C (m x n) as fractals [n1][m1] of 16 x 16 (NZ). c0 = 32 bytes / element size.
void mmad(const Ref& dst, const Ref& a, const Ref& b, const MmadArgs& p, Site site) {
    need_core(Core::AIC, site);
    if (a.mem != Mem::L0A || b.mem != Mem::L0B || dst.mem != Mem::L0C) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Mmad takes A in L0A, B in L0B and C in L0C (got %s, %s, %s)",
              mem_name(a.mem), mem_name(b.mem), mem_name(dst.mem));
    }
    bool ok = (a.dt == DT::F16 && b.dt == DT::F16 && dst.dt == DT::F32) ||
              (a.dt == DT::BF16 && b.dt == DT::BF16 && dst.dt == DT::F32 && R->cfg.bf16_cube) ||
              (a.dt == DT::I8 && b.dt == DT::I8 && dst.dt == DT::I32) ||
              (a.dt == DT::F32 && b.dt == DT::F32 && dst.dt == DT::F32);
    if (!ok) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "(A, B, C) = (half, half, float) / (bfloat16_t, bfloat16_t, float)%s / "
                      "(int8_t, int8_t, int32_t) / (float, float, float); got (%s, %s, %s)",
                      R->cfg.bf16_cube ? "" : " [not on this SoC]", dt_name(a.dt), dt_name(b.dt), dt_name(dst.dt));
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site, "current api support dtype combination is %s", buf);
    }
    range(site, "m", p.m, 0, R->cfg.mmad_max_mnk);
    range(site, "n", p.n, 0, R->cfg.mmad_max_mnk);
    range(site, "k", p.k, 0, R->cfg.mmad_max_mnk);
    RecordEntry& e = rec(Op::INSTR, Pipe::M, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(a.dt);
    e.src_mem = static_cast<uint8_t>(Mem::L0A);
    e.dst_mem = static_cast<uint8_t>(Mem::L0C);
    e.src_addr = a.addr;
    e.dst_addr = dst.addr;
    e.a0 = static_cast<uint32_t>(p.m);
    e.a1 = static_cast<uint32_t>(p.n);
    e.a2 = static_cast<uint32_t>(p.k);
    e.flags = p.init_zero ? 1 : 0;
    e.bytes = p.m * p.n * p.k;  // multiply-accumulates
    rec_done();
    if (p.m == 0 || p.n == 0 || p.k == 0) return;
    size_t es = dt_size(a.dt), eo = dt_size(dst.dt);
    uint64_t c0 = 32 / es;
    uint64_t m1 = (p.m + 15) / 16, n1 = (p.n + 15) / 16, k1 = (p.k + c0 - 1) / c0;
    uint8_t* A = local(a, 0, m1 * k1 * 512, false, site);
    uint8_t* B = local(b, 0, n1 * k1 * 512, false, site);
    uint8_t* C = local(dst, 0, n1 * m1 * 256 * eo, true, site, R->cfg.mmad_dst_align);
    const bool integer = a.dt == DT::I8;
    for (uint64_t i = 0; i < p.m; ++i)
        for (uint64_t j = 0; j < p.n; ++j) {
            double acc = 0;
            int64_t iacc = 0;
            for (uint64_t k = 0; k < p.k; ++k) {
                uint64_t ao = ((i / 16) * k1 + k / c0) * 512 + ((i % 16) * c0 + k % c0) * es;
                uint64_t bo = ((j / 16) * k1 + k / c0) * 512 + ((j % 16) * c0 + k % c0) * es;
                if (integer) {
                    iacc += static_cast<int64_t>(static_cast<int8_t>(A[ao])) * static_cast<int8_t>(B[bo]);
                } else {
                    acc += load(a.dt, A + ao) * load(b.dt, B + bo);
                }
            }
            uint8_t* o = C + (((j / 16) * m1 + i / 16) * 256 + (i % 16) * 16 + j % 16) * eo;
            if (integer) {
                int32_t prev = 0;
                if (!p.init_zero) std::memcpy(&prev, o, 4);
                int32_t v = static_cast<int32_t>(prev + iacc);
                std::memcpy(o, &v, 4);
            } else {
                float prev = 0;
                if (!p.init_zero) std::memcpy(&prev, o, 4);
                float v = static_cast<float>(static_cast<double>(prev) + acc);
                std::memcpy(o, &v, 4);
            }
        }
}

void fixpipe(const Ref& dst, const Ref& src, const FixpipeArgs& p, Site site) {
    need_core(Core::AIC, site);
    if (src.mem != Mem::L0C || dst.mem != Mem::GM) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Fixpipe moves L0C (CO1) to GM only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    if (p.nz_out) {
        fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "Fixpipe with CFG_NZ output is not modelled; use CFG_ROW_MAJOR");
    }
    range(site, "nSize", p.n_size, 1, 4095);
    range(site, "mSize", p.m_size, 1, 4095);
    range(site, "ndNum", p.nd_num, 1, 1);
    // QuantMode_t { NoQuant, F322F16, F322BF16, DEQF16, ... }: the dst type must match the conversion.
    DT want;
    switch (p.quant) {
        case 0: want = src.dt; break;
        case 1: want = DT::F16; break;
        case 2: want = DT::BF16; break;
        case 3: want = DT::F16; break;
        default:
            fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "Fixpipe quantPre mode %d is not modelled", p.quant);
    }
    if (dst.dt != want || (p.quant == 3 && src.dt != DT::I32) || ((p.quant == 1 || p.quant == 2) && src.dt != DT::F32)) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
              "Fixpipe quantPre %d converts %s to %s; the tensors are %s (L0C) and %s (GM)", p.quant,
              p.quant == 3 ? "int32_t" : "float", dt_name(want), dt_name(src.dt), dt_name(dst.dt));
    }
    size_t es = dt_size(dst.dt), ei = dt_size(src.dt);
    uint64_t m1 = p.src_stride;  // rows (16-element units) between adjacent Z columns of the source
    if (m1 < p.m_size) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "srcStride %llu is less than mSize %llu",
              static_cast<unsigned long long>(p.src_stride), static_cast<unsigned long long>(p.m_size));
    }
    if (p.dst_stride < p.n_size) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "dstStride %llu is less than nSize %llu",
              static_cast<unsigned long long>(p.dst_stride), static_cast<unsigned long long>(p.n_size));
    }
    RecordEntry& e = rec(Op::INSTR, Pipe::FIX, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(src.dt);
    e.src_mem = static_cast<uint8_t>(Mem::L0C);
    e.dst_mem = static_cast<uint8_t>(Mem::GM);
    e.src_addr = src.addr;
    e.dst_addr = gm_rec_addr(dst.addr);
    e.bytes = p.m_size * p.n_size * es;
    e.a0 = static_cast<uint32_t>(p.m_size);
    e.a1 = static_cast<uint32_t>(p.n_size);
    e.a2 = static_cast<uint32_t>(p.quant);
    rec_done();
    count_path(Mem::L0C, Mem::GM, p.m_size * p.n_size * es);
    uint64_t n1 = (p.n_size + 15) / 16;
    uint8_t* S = local(src, 0, ((n1 - 1) * m1 * 16 + (p.m_size - 1) * 16 + 16) * ei, false, site);
    check_gm_tensor(dst, 0, ((p.m_size - 1) * p.dst_stride + p.n_size) * es, true, site);
    uint8_t* D = reinterpret_cast<uint8_t*>(dst.addr);
    for (uint64_t i = 0; i < p.m_size; ++i)
        for (uint64_t j = 0; j < p.n_size; ++j) {
            double v = load(src.dt, S + ((j / 16) * m1 * 16 + i * 16 + j % 16) * ei);
            if (p.quant == 3) v *= p.deq_scale;
            if (p.relu && v < 0) v = 0;
            store(dst.dt, D + (i * p.dst_stride + j) * es, v);
        }
}

// ============================================================================================ scalar
namespace {
// A scalar access of the same call site, memory and direction as one since the last non-scalar entry adds to
// that entry's `repeats` and `bytes` (docs/simnpu-record.md); the first one starts a new entry with repeats 1.
bool merge_scalar(Mem mem, bool write, uint64_t n, Site site) {
    if (R->record_fd < 0 || R->rec_total >= R->cfg.record_max) return false;
    for (size_t i = 0; i < R->scalar_run_n; ++i) {
        RecordEntry& e = R->rec[R->scalar_run[i]];
        if (e.line == site.line && e.api == static_cast<uint16_t>(site.api) &&
            (write ? e.dst_mem : e.src_mem) == static_cast<uint8_t>(mem) &&
            e.block == static_cast<uint32_t>(g.block_idx) && e.repeats < 0xFFFFFFFFu) {
            ++e.repeats;
            e.bytes += n;
            ++R->calls;
            g.last_line = site.line;
            g.last_api = site.api;
            return true;
        }
    }
    return false;
}
// A new scalar entry (just made by rec()) joins the current run of scalar entries.
void join_scalar_run(RecordEntry& e, const size_t (&run)[8], size_t keep) {
    e.repeats = 1;
    if (R->rec.empty() || &e != &R->rec.back() || keep >= 8) return;
    std::memcpy(R->scalar_run, run, sizeof run);
    R->scalar_run[keep] = R->rec.size() - 1;
    R->scalar_run_n = keep + 1;
}
}  // namespace

uint8_t* scalar_local(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    if (!merge_scalar(t.mem, write, n, site)) {
        size_t keep = R->scalar_run_n, run[8];
        std::memcpy(run, R->scalar_run, sizeof run);
        RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
        e.dtype = static_cast<uint8_t>(t.dt);
        (write ? e.dst_mem : e.src_mem) = static_cast<uint8_t>(t.mem);
        (write ? e.dst_addr : e.src_addr) = t.addr + off;
        e.bytes = n;
        join_scalar_run(e, run, keep);
        rec_done();
    }
    return local(t, off, n, write, site, 1);
}

uint8_t* scalar_gm(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    if (!merge_scalar(Mem::GM, write, n, site)) {
        size_t keep = R->scalar_run_n, run[8];
        std::memcpy(run, R->scalar_run, sizeof run);
        RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
        e.dtype = static_cast<uint8_t>(t.dt);
        (write ? e.dst_mem : e.src_mem) = static_cast<uint8_t>(Mem::GM);
        (write ? e.dst_addr : e.src_addr) = gm_rec_addr(t.addr + off);
        e.bytes = n;
        join_scalar_run(e, run, keep);
        rec_done();
    }
    check_gm_tensor(t, off, n, write, site);
    return reinterpret_cast<uint8_t*>(t.addr) + off;
}

void check_gm_buffer(const void* ptr, uint64_t bytes, Site site) {
    check_gm(reinterpret_cast<uint64_t>(ptr), bytes, false, site);
}

// ============================================================================================== sync
namespace {
void check_event(int64_t id, Site site) {
    if (id < 0 || static_cast<uint64_t>(id) >= R->cfg.event_ids) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "eventID is %lld, should be in range [0, %llu)",
              static_cast<long long>(id), static_cast<unsigned long long>(R->cfg.event_ids));
    }
}
void deadlock_check(Site site, const char* when) {
    if (R->waits.empty()) return;
    const Wait& w = R->waits.front();
    Site ws{w.api, w.line};
    fault(Kind::DEADLOCK, Mem::NONE, ws,
          "%s<%s_%s> with event id %lld waits for a SetFlag that never comes before %s: pipe %s is blocked forever",
          api_name(w.api), pipe_name(w.src), pipe_name(w.dst), static_cast<long long>(w.id), when, pipe_name(w.dst));
    (void)site;
}
}  // namespace

void set_flag(Pipe src, Pipe dst, int64_t id, Site site) {
    check_event(id, site);
    RecordEntry& e = rec(Op::SET_FLAG, src, site);
    e.ev_src = static_cast<uint8_t>(src);
    e.ev_dst = static_cast<uint8_t>(dst);
    e.event_id = static_cast<int16_t>(id);
    rec_done();
    for (auto it = R->waits.begin(); it != R->waits.end(); ++it) {
        if (it->src == src && it->dst == dst && it->id == id) {
            R->waits.erase(it);  // satisfies a wait issued earlier in program order (the waiting pipe stalled)
            return;
        }
    }
    ++R->flags[{static_cast<int>(src), static_cast<int>(dst), id}];
}

void wait_flag(Pipe src, Pipe dst, int64_t id, Site site) {
    check_event(id, site);
    RecordEntry& e = rec(Op::WAIT_FLAG, dst, site);
    e.ev_src = static_cast<uint8_t>(src);
    e.ev_dst = static_cast<uint8_t>(dst);
    e.event_id = static_cast<int16_t>(id);
    rec_done();
    auto& n = R->flags[{static_cast<int>(src), static_cast<int>(dst), id}];
    if (n > 0) {
        --n;
        return;
    }
    R->waits.push_back(Wait{src, dst, id, site.line, site.api});
}

void barrier(Pipe p, Site site) {
    RecordEntry& e = rec(Op::BARRIER, p, site);
    e.ev_src = e.ev_dst = static_cast<uint8_t>(p);
    rec_done();
    if (p == Pipe::ALL) deadlock_check(site, "PipeBarrier<PIPE_ALL> drains every pipe");
}

void set_mask(bool counter, const uint64_t mask[2], Site site) {
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.a0 = static_cast<uint32_t>(mask[0]);
    rec_done();
    R->mask_counter = counter;
    R->mask[0] = mask[0];
    R->mask[1] = mask[1];
}
void set_mask_mode(bool counter) { R->mask_counter = counter; }
bool mask_counter_mode() { return R->mask_counter; }
void mask_get(uint64_t out[2]) {
    out[0] = R->mask[0];
    out[1] = R->mask[1];
}

// ======================================================================================== TPipe etc.
Mem position_mem(int position) {
    switch (static_cast<AscendC::TPosition>(position)) {
        case AscendC::TPosition::A1: case AscendC::TPosition::B1: case AscendC::TPosition::C1:
        case AscendC::TPosition::TSCM: return Mem::L1;
        case AscendC::TPosition::A2: return Mem::L0A;
        case AscendC::TPosition::B2: return Mem::L0B;
        case AscendC::TPosition::CO1: return Mem::L0C;
        case AscendC::TPosition::C2: return Mem::BT;
        case AscendC::TPosition::CO2: return R->cfg.co2_mem;
        case AscendC::TPosition::VECIN: case AscendC::TPosition::VECOUT: case AscendC::TPosition::VECCALC:
        case AscendC::TPosition::SPM: return Mem::UB;
        case AscendC::TPosition::C2PIPE2GM: return Mem::FB;
        default: return Mem::NONE;
    }
}

namespace {
const char* pos_name(int p) {
    static const char* const n[] = {"GM", "A1", "A2", "B1", "B2", "C1", "C2", "CO1", "CO2", "VECIN", "VECOUT",
                                    "VECCALC", "SPM", "TSCM", "C2PIPE2GM", "C2PIPE2LOCAL"};
    return p >= 0 && p < 16 ? n[p] : "?";
}
std::pair<Pipe, Pipe> queue_pipes(int position) {
    switch (static_cast<AscendC::TPosition>(position)) {
        case AscendC::TPosition::VECIN: return {Pipe::MTE2, Pipe::V};
        case AscendC::TPosition::VECOUT: return {Pipe::V, Pipe::MTE3};
        case AscendC::TPosition::VECCALC: return {Pipe::V, Pipe::V};
        case AscendC::TPosition::A1: case AscendC::TPosition::B1: case AscendC::TPosition::C1:
            return {Pipe::MTE2, Pipe::MTE1};
        case AscendC::TPosition::A2: case AscendC::TPosition::B2: case AscendC::TPosition::C2:
            return {Pipe::MTE1, Pipe::M};
        case AscendC::TPosition::CO1: return {Pipe::M, Pipe::FIX};
        case AscendC::TPosition::CO2: return {Pipe::FIX, Pipe::MTE3};
        default: return {Pipe::S, Pipe::S};
    }
}
uint64_t reserve(int pipe, int position, uint64_t bytes, uint64_t count, Site site, Mem* mem_out) {
    Mem m = position_mem(position);
    if (m == Mem::NONE || m == Mem::GM) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "TPosition %s has no on-chip buffer on %s", pos_name(position),
              R->cfg.soc.c_str());
    }
    if (!core_has(m)) {
        fault(Kind::WRONG_CORE_TYPE, m, site, "TPosition %s (%s) is not on the %s core", pos_name(position),
              mem_name(m), g.core == Core::AIV ? "AIV" : "AIC");
    }
    if (pipe < 0 || pipe >= static_cast<int>(R->pipes.size()) || !R->pipes[pipe].alive) {
        fault(Kind::INVALID_PARAMETER, m, site, "InitBuffer on a TPipe that no longer exists");
    }
    PipeRec& pr = R->pipes[pipe];
    uint64_t al = std::max<uint64_t>(mem_align(m), 32);
    uint64_t len = (bytes + al - 1) / al * al;
    uint64_t base = (pr.cursor[static_cast<int>(m)] + al - 1) / al * al;
    uint64_t end = base + len * count;
    pr.nbuf += count;
    if (pr.nbuf > R->cfg.max_pipe_buffers) {
        fault(Kind::TOO_MANY_BUFFERS, m, site, "Total buffer num managed by TPipe is %llu, should be in range (0, %llu]",
              static_cast<unsigned long long>(pr.nbuf), static_cast<unsigned long long>(R->cfg.max_pipe_buffers));
    }
    if (end > mem_usable(m)) {
        fault(Kind::OUT_OF_BOUNDS, m, site,
              "buffer size is %llu, exceeds the limit %llu: InitBuffer of %llu x %llu bytes at %s offset %llu brings "
              "the TPipe's %s total to %llu bytes",
              static_cast<unsigned long long>(end), static_cast<unsigned long long>(mem_usable(m)),
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(len), mem_name(m),
              static_cast<unsigned long long>(base), mem_name(m), static_cast<unsigned long long>(end));
    }
    pr.cursor[static_cast<int>(m)] = end;
    R->peak[static_cast<int>(m)] = std::max(R->peak[static_cast<int>(m)], end);
    *mem_out = m;
    return base;
}
Queue& queue(int q, Site site) {
    if (q < 0 || q >= static_cast<int>(R->queues.size())) {
        fault(Kind::QUEUE_MISUSE, Mem::NONE, site, "%s on a TQue that was never given buffers by TPipe::InitBuffer",
              api_name(site.api));
    }
    return R->queues[q];
}
}  // namespace

int pipe_create() {
    R->pipes.emplace_back();
    R->pipes.back().alive = true;
    return static_cast<int>(R->pipes.size()) - 1;
}
void pipe_destroy(int pipe) {
    if (pipe >= 0 && pipe < static_cast<int>(R->pipes.size())) R->pipes[pipe].alive = false;
}
void pipe_reset(int pipe) {
    if (pipe >= 0 && pipe < static_cast<int>(R->pipes.size())) {
        PipeRec& p = R->pipes[pipe];
        std::memset(p.cursor, 0, sizeof p.cursor);
        p.nbuf = 0;
    }
}

int pipe_init_queue(int pipe, int position, int depth, uint64_t num, uint64_t len, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    if (num == 0 || len == 0) {
        fault(Kind::INVALID_PARAMETER, position_mem(position), site, "InitBuffer num is %llu and len is %llu; both must "
              "be positive", static_cast<unsigned long long>(num), static_cast<unsigned long long>(len));
    }
    if (num > R->cfg.max_queue_per_position) {
        fault(Kind::TOO_MANY_BUFFERS, position_mem(position), site,
              "current size is %llu, max buffer number in same queue position is %llu",
              static_cast<unsigned long long>(num), static_cast<unsigned long long>(R->cfg.max_queue_per_position));
    }
    Mem m;
    uint64_t base = reserve(pipe, position, len, num, site, &m);
    uint64_t al = std::max<uint64_t>(mem_align(m), 32);
    uint64_t stride = (len + al - 1) / al * al;
    Queue q;
    q.pipe = pipe;
    q.position = position;
    q.mem = m;
    q.depth = depth;
    q.len = len;
    q.line = site.line;
    std::tie(q.producer, q.consumer) = queue_pipes(position);
    for (uint64_t i = 0; i < num; ++i) {
        Buffer b;
        b.addr = base + i * stride;
        q.bufs.push_back(b);
    }
    R->queues.push_back(q);
    RecordEntry& e = rec(Op::INIT_BUFFER, Pipe::S, site);
    e.a0 = static_cast<uint32_t>(num);
    e.a1 = static_cast<uint32_t>(len);
    e.a2 = static_cast<uint32_t>(position);
    e.dst_mem = static_cast<uint8_t>(m);
    e.dst_addr = base;
    e.bytes = stride * num;
    e.event_id = static_cast<int16_t>(R->queues.size() - 1);
    rec_done();
    return static_cast<int>(R->queues.size()) - 1;
}

int pipe_init_tbuf(int pipe, int position, uint64_t len, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    if (len == 0) fault(Kind::INVALID_PARAMETER, position_mem(position), site, "InitBuffer len is 0");
    Mem m;
    uint64_t base = reserve(pipe, position, len, 1, site, &m);
    TBufRec t;
    t.pipe = pipe;
    t.mem = m;
    t.addr = base;
    t.len = len;
    R->tbufs.push_back(t);
    RecordEntry& e = rec(Op::INIT_BUFFER, Pipe::S, site);
    e.a0 = 1;
    e.a1 = static_cast<uint32_t>(len);
    e.a2 = static_cast<uint32_t>(position);
    e.dst_mem = static_cast<uint8_t>(m);
    e.dst_addr = base;
    e.bytes = len;
    e.event_id = -1;
    rec_done();
    return static_cast<int>(R->tbufs.size()) - 1;
}

Ref tbuf_get(int buf, DT dt, uint64_t offset_bytes, uint64_t len_bytes, Site site) {
    if (buf < 0 || buf >= static_cast<int>(R->tbufs.size())) {
        fault(Kind::QUEUE_MISUSE, Mem::NONE, site, "TBuf::Get on a TBuf that was never given memory by InitBuffer");
    }
    const TBufRec& t = R->tbufs[buf];
    Ref r;
    r.mem = t.mem;
    r.dt = dt;
    r.addr = t.addr + offset_bytes;
    uint64_t avail = t.len > offset_bytes ? t.len - offset_bytes : 0;
    r.bytes = len_bytes == ~0ull ? avail : len_bytes;
    if (len_bytes != ~0ull && offset_bytes + len_bytes > t.len) {
        warn(site, "TBuf view of %llu bytes at offset %llu exceeds the %llu-byte buffer",
             static_cast<unsigned long long>(len_bytes), static_cast<unsigned long long>(offset_bytes),
             static_cast<unsigned long long>(t.len));
    }
    return r;
}

Ref que_alloc(int qi, DT dt, Site site) {
    Queue& q = queue(qi, site);
    int slot = -1;
    for (size_t i = 0; i < q.bufs.size(); ++i)
        if (!q.bufs[i].allocated) {
            slot = static_cast<int>(i);
            break;
        }
    if (slot < 0) {
        fault(Kind::DEADLOCK, q.mem, site,
              "AllocTensor: all %zu buffers of the %s queue (InitBuffer at line %u) are in use and none will be freed "
              "(FreeTensor missing?)",
              q.bufs.size(), pos_name(q.position), q.line);
    }
    uint64_t& outst = R->outstanding[q.position & 31];
    if (outst + 1 > R->cfg.max_queue_per_position) {
        fault(Kind::TOO_MANY_BUFFERS, q.mem, site,
              "current size is %llu, max buffer number in same queue position is %llu (TPosition %s)",
              static_cast<unsigned long long>(outst + 1),
              static_cast<unsigned long long>(R->cfg.max_queue_per_position), pos_name(q.position));
    }
    ++outst;
    Buffer& b = q.bufs[slot];
    RecordEntry& e = rec(Op::ALLOC, q.producer, site);
    e.ev_src = static_cast<uint8_t>(q.consumer);
    e.ev_dst = static_cast<uint8_t>(q.producer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.a1 = b.used ? 1 : 0;
    e.dst_mem = static_cast<uint8_t>(q.mem);
    e.dst_addr = b.addr;
    e.bytes = q.len;
    rec_done();
    b.allocated = true;
    Ref r;
    r.mem = q.mem;
    r.dt = dt;
    r.addr = b.addr;
    r.bytes = q.len;
    return r;
}

namespace {
int find_slot(Queue& q, const Ref& t) {
    for (size_t i = 0; i < q.bufs.size(); ++i)
        if (q.bufs[i].addr == t.addr) return static_cast<int>(i);
    return -1;
}
}  // namespace

void que_enque(int qi, const Ref& t, Site site) {
    Queue& q = queue(qi, site);
    int slot = find_slot(q, t);
    if (slot < 0 || !q.bufs[slot].allocated) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "EnQue of a tensor that was not allocated from this %s queue",
              pos_name(q.position));
    }
    if (q.depth > 0 && static_cast<int>(q.fifo.size()) >= q.depth) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "EnQue on a full queue: it already holds %zu tensors (depth %d)",
              q.fifo.size(), q.depth);
    }
    q.bufs[slot].queued = true;
    q.fifo.push_back(slot);
    RecordEntry& e = rec(Op::ENQUE, q.producer, site);
    e.ev_src = static_cast<uint8_t>(q.producer);
    e.ev_dst = static_cast<uint8_t>(q.consumer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.dst_mem = static_cast<uint8_t>(q.mem);
    e.dst_addr = q.bufs[slot].addr;
    rec_done();
}

Ref que_deque(int qi, DT dt, Site site) {
    Queue& q = queue(qi, site);
    if (q.fifo.empty()) {
        fault(Kind::DEQUE_EMPTY, q.mem, site,
              "DeQue on the empty %s queue (InitBuffer at line %u): no EnQue precedes it, so the consumer pipe %s "
              "would wait forever",
              pos_name(q.position), q.line, pipe_name(q.consumer));
    }
    int slot = q.fifo.front();
    q.fifo.pop_front();
    q.bufs[slot].queued = false;
    RecordEntry& e = rec(Op::DEQUE, q.consumer, site);
    e.ev_src = static_cast<uint8_t>(q.producer);
    e.ev_dst = static_cast<uint8_t>(q.consumer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.src_mem = static_cast<uint8_t>(q.mem);
    e.src_addr = q.bufs[slot].addr;
    rec_done();
    Ref r;
    r.mem = q.mem;
    r.dt = dt;
    r.addr = q.bufs[slot].addr;
    r.bytes = q.len;
    return r;
}

void que_free(int qi, const Ref& t, Site site) {
    Queue& q = queue(qi, site);
    int slot = find_slot(q, t);
    if (slot < 0) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "FreeTensor of a tensor that does not belong to this %s queue",
              pos_name(q.position));
    }
    if (!q.bufs[slot].allocated) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "FreeTensor of a buffer that is not allocated (freed twice?)");
    }
    if (q.bufs[slot].queued) {
        for (auto it = q.fifo.begin(); it != q.fifo.end(); ++it)
            if (*it == slot) {
                q.fifo.erase(it);
                break;
            }
        q.bufs[slot].queued = false;
    }
    q.bufs[slot].allocated = false;
    q.bufs[slot].used = true;
    uint64_t& outst = R->outstanding[q.position & 31];
    if (outst) --outst;
    RecordEntry& e = rec(Op::FREE, q.consumer, site);
    e.ev_src = static_cast<uint8_t>(q.consumer);
    e.ev_dst = static_cast<uint8_t>(q.producer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.src_mem = static_cast<uint8_t>(q.mem);
    e.src_addr = q.bufs[slot].addr;
    rec_done();
}

int que_count(int qi) {
    return qi >= 0 && qi < static_cast<int>(R->queues.size()) ? static_cast<int>(R->queues[qi].fifo.size()) : 0;
}
int que_free_slots(int qi) {
    if (qi < 0 || qi >= static_cast<int>(R->queues.size())) return 0;
    int n = 0;
    for (auto& b : R->queues[qi].bufs) n += b.allocated ? 0 : 1;
    return n;
}
int64_t alloc_event_id(int, int) { return 0; }

// ============================================================================================ kernel
namespace {
void bind_core_memories();
}

void kernel_type(int type, Site site) {
    // KernelMetaType { AIV_ONLY, AIC_ONLY, MIX_AIV_1_0, MIX_AIC_1_0, MIX_AIC_1_1, MIX_AIC_1_2 }
    Core want;
    switch (type) {
        case 0: case 2: want = Core::AIV; break;
        case 1: case 3: want = Core::AIC; break;
        default:
            fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
                  "mixed AIC+AIV kernel types (KERNEL_TYPE_MIX_AIC_1_1/1_2) are not modelled by the twin yet; use "
                  "KERNEL_TYPE_AIV_ONLY or KERNEL_TYPE_AIC_ONLY");
    }
    if (R->cfg.coupled) want = Core::AIV;
    if (R->kernel_type_set && want != R->kernel_core) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "KERNEL_TASK_TYPE_DEFAULT differs between blocks");
    }
    if (!R->queues.empty() || !R->tbufs.empty()) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "KERNEL_TASK_TYPE_DEFAULT must come before any InitBuffer (first statement of the kernel)");
    }
    R->kernel_type_set = true;
    R->kernel_core = want;
    if (g.core != want) {
        g.core = want;
        bind_core_memories();
        // This block's KernelStart entry was recorded before the kernel declared its type.
        for (auto it = R->rec.rbegin(); it != R->rec.rend(); ++it) {
            if (it->api == static_cast<uint16_t>(Api::KernelStart) && it->block == g.block_idx) {
                it->core = static_cast<uint8_t>(want);
                it->a2 = static_cast<uint32_t>(static_cast<uint64_t>(g.block_idx) % R->cfg.aic_cores);
                break;
            }
        }
    }
}

void* tiling_ptr(const void* gm_tiling, uint64_t struct_bytes, Site site) {
    if (gm_tiling != R->tiling_buf) {
        fault(Kind::INVALID_PARAMETER, Mem::GM, site,
              "GET_TILING_DATA was given a pointer that is not the kernel's tiling argument (the last parameter of "
              "the entry)");
    }
    if (struct_bytes > R->cfg.tiling_capacity) {
        fault(Kind::INVALID_PARAMETER, Mem::GM, site, "the tiling struct has %llu bytes, more than the %llu-byte "
              "tiling buffer", static_cast<unsigned long long>(struct_bytes),
              static_cast<unsigned long long>(R->cfg.tiling_capacity));
    }
    if (R->tiling_fn != nullptr && struct_bytes > R->tiling_size && g.block_idx == 0) {
        warn(site, "the tiling struct has %llu bytes but the tiling function saved %llu (SetDataSize); the rest reads "
                   "as zero",
             static_cast<unsigned long long>(struct_bytes), static_cast<unsigned long long>(R->tiling_size));
    }
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.src_mem = static_cast<uint8_t>(Mem::GM);
    e.bytes = struct_bytes;
    rec_done();
    return R->tiling_buf;
}

uint64_t platform_query(PlatformQuery q, int arg) {
    const Config& c = R->cfg;
    switch (q) {
        case PlatformQuery::CORE_NUM: return c.coupled ? c.aic_cores : c.aiv_cores;
        case PlatformQuery::AIC: return c.aic_cores;
        case PlatformQuery::AIV: return c.aiv_cores;
        case PlatformQuery::MEM_SIZE: {
            // platform_ascendc::CoreMemType { L0_A, L0_B, L0_C, L1, L2, UB, HBM, FB, BT }
            static const Mem m[] = {Mem::L0A, Mem::L0B, Mem::L0C, Mem::L1, Mem::NONE, Mem::UB, Mem::NONE, Mem::FB,
                                    Mem::BT};
            if (arg == 4) return c.l2_bytes;
            if (arg == 6) return c.hbm_bytes;
            if (arg < 0 || arg > 8) return 0;
            return m[arg] == Mem::NONE ? 0 : c.mem[static_cast<int>(m[arg])].bytes;
        }
        case PlatformQuery::MEM_BW: {
            auto it = c.mem_bw.find(arg == 4 ? "L2" : arg == 6 ? "HBM" : "");
            return it == c.mem_bw.end() ? 0 : it->second;
        }
        case PlatformQuery::SOC:
            return c.npu_arch == 2002 ? 2 : c.npu_arch == 1001 ? 0 : 1;  // SocVersion
        case PlatformQuery::LIB_WS: return c.lib_workspace;
    }
    return 0;
}

void register_tiling(gert::TilingFunc fn, const char* op_type) {
    if (R == nullptr) return;
    R->tiling_fn = fn;
    R->op_type = op_type ? op_type : "";
}

// ---- op projects (hawk/opdef.h): the task seen by the OpDef check, which runs before the tiling function.
void (*g_op_check)() = nullptr;
void register_op_check(void (*fn)()) { g_op_check = fn; }
size_t task_tensor_count() { return R->cfg.tensors.size(); }
TaskTensorView task_tensor(size_t i) {
    const TensorArg& a = R->cfg.tensors[i];
    return TaskTensorView{a.name.c_str(), a.dtype, a.shape.size(), a.shape.data(), a.output};
}
size_t task_attr_count() { return R->cfg.attrs.size(); }
const char* task_attr_name(size_t i) { return R->cfg.attrs[i].first.c_str(); }
const char* task_attr_value(size_t i) { return R->cfg.attrs[i].second.c_str(); }
void set_task_attrs(size_t n, const char* const* names, const char* const* values) {
    std::vector<std::pair<std::string, std::string>> attrs;
    for (size_t i = 0; i < n; ++i) attrs.emplace_back(names[i], values[i]);
    R->cfg.attrs = std::move(attrs);
}
void reject(const std::string& message) {
    emit_result("REJECTED", message, "");
    _exit(0);
}

// ========================================================================================== process
namespace {

uint64_t xs(uint64_t& s) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

uint8_t* alloc_mem(uint64_t bytes, uint64_t seed) {
    // Real per-core memory with stale contents: AllocTensor returns whatever the last kernel left there.
    uint8_t* p = static_cast<uint8_t*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
    if (p == nullptr) throw std::bad_alloc();
    uint64_t s = seed | 1;
    for (uint64_t i = 0; i + 8 <= bytes; i += 8) {
        uint64_t v = xs(s);
        std::memcpy(p + i, &v, 8);
    }
    return p;
}

void bind_core_memories() {
    std::vector<CoreMem>& pool = g.core == Core::AIC ? R->aic : R->aiv;
    uint64_t n = g.core == Core::AIC ? R->cfg.aic_cores : R->cfg.aiv_cores;
    if (R->cfg.coupled) {
        n = R->cfg.aic_cores;
    }
    if (pool.empty()) pool.resize(n);
    uint64_t core = static_cast<uint64_t>(g.block_idx) % n;
    CoreMem& cm = pool[core];
    for (int m = 2; m < kMemCount; ++m) {
        g.mem_base[m] = nullptr;
        g.mem_size[m] = 0;
        if (!core_has(static_cast<Mem>(m)) || R->cfg.mem[m].bytes == 0) continue;
        if (cm.m[m] == nullptr) {
            cm.m[m] = alloc_mem(R->cfg.mem[m].bytes, R->cfg.garbage_seed ^ (core * 131 + static_cast<uint64_t>(m)) ^
                                                         (g.core == Core::AIC ? 0xA1C0ull : 0xA170ull));
        }
        g.mem_base[m] = cm.m[m];
        g.mem_size[m] = R->cfg.mem[m].bytes;
    }
}

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= line.size()) break;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
        out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

uint64_t u64(const std::string& s, const char* key) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (errno || end == s.c_str() || *end) setup_error("config key %s: %s is not an unsigned integer", key, s.c_str());
    return v;
}

Mem mem_from(const std::string& s) {
    for (int m = 1; m < kMemCount; ++m)
        if (s == kMemNames[m]) return static_cast<Mem>(m);
    setup_error("unknown memory %s in config", s.c_str());
}

std::string unescape(const std::string& s) {  // %XX escapes (the runner escapes spaces and %)
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            o += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
            i += 2;
        } else {
            o += s[i];
        }
    }
    return o;
}

void parse_config(const char* path) {
    FILE* f = std::fopen(path, "r");
    if (f == nullptr) setup_error("cannot open config %s: %s", path, std::strerror(errno));
    Config& c = R->cfg;
    char buf[8192];
    while (std::fgets(buf, sizeof buf, f)) {
        std::string line(buf);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        auto t = split(line);
        if (t.empty() || t[0][0] == '#') continue;
        const std::string& k = t[0];
        auto need = [&](size_t n) {
            if (t.size() < n + 1) setup_error("config key %s needs %zu values", k.c_str(), n);
        };
        if (k == "soc") { need(1); c.soc = t[1]; }
        else if (k == "npu_arch") { need(1); c.npu_arch = static_cast<int64_t>(u64(t[1], "npu_arch")); }
        else if (k == "coupled") { need(1); c.coupled = t[1] == "1"; }
        else if (k == "aic_cores") { need(1); c.aic_cores = u64(t[1], "aic_cores"); }
        else if (k == "aiv_cores") { need(1); c.aiv_cores = u64(t[1], "aiv_cores"); }
        else if (k == "max_block_dim") { need(1); c.max_block_dim = u64(t[1], "max_block_dim"); }
        else if (k == "default_block_dim") { need(1); c.default_block_dim = u64(t[1], "default_block_dim"); }
        else if (k == "mem") {
            need(4);
            Mem m = mem_from(t[1]);
            MemSpec& s = c.mem[static_cast<int>(m)];
            s.bytes = u64(t[2], "mem bytes");
            s.reserved = u64(t[3], "mem reserved");
            s.align = u64(t[4], "mem align");
        }
        else if (k == "mmad_dst_align") { need(1); c.mmad_dst_align = u64(t[1], k.c_str()); }
        else if (k == "max_repeat") { need(1); c.max_repeat = u64(t[1], k.c_str()); }
        else if (k == "max_queue_buffers_per_position") { need(1); c.max_queue_per_position = u64(t[1], k.c_str()); }
        else if (k == "max_pipe_buffers") { need(1); c.max_pipe_buffers = u64(t[1], k.c_str()); }
        else if (k == "event_ids") { need(1); c.event_ids = u64(t[1], k.c_str()); }
        else if (k == "datacopy_block_bytes") { need(1); c.datacopy_block = u64(t[1], k.c_str()); }
        else if (k == "compare_align_bytes") { need(1); c.compare_align = u64(t[1], k.c_str()); }
        else if (k == "vector_repeat_bytes") { need(1); c.repeat_bytes = u64(t[1], k.c_str()); }
        else if (k == "mmad_max_mnk") { need(1); c.mmad_max_mnk = u64(t[1], k.c_str()); }
        else if (k == "bf16") { need(1); c.bf16 = t[1] == "1"; }
        else if (k == "bf16_vector_arith") { need(1); c.bf16_vector_arith = t[1] == "1"; }
        else if (k == "bf16_cube") { need(1); c.bf16_cube = t[1] == "1"; }
        else if (k == "co2_mem") { need(1); c.co2_mem = mem_from(t[1]); }
        else if (k == "mem_bw") { need(2); c.mem_bw[t[1]] = u64(t[2], k.c_str()); }
        else if (k == "l2_bytes") { need(1); c.l2_bytes = u64(t[1], k.c_str()); }
        else if (k == "hbm_bytes") { need(1); c.hbm_bytes = u64(t[1], k.c_str()); }
        else if (k == "lib_workspace_bytes") { need(1); c.lib_workspace = u64(t[1], k.c_str()); }
        else if (k == "tiling_capacity") { need(1); c.tiling_capacity = u64(t[1], k.c_str()); }
        else if (k == "timeout_s") { need(1); c.timeout_s = std::atof(t[1].c_str()); }
        else if (k == "record") { need(1); c.record_path = unescape(t[1]); }
        else if (k == "record_max_entries") { need(1); c.record_max = u64(t[1], k.c_str()); }
        else if (k == "garbage_seed") { need(1); c.garbage_seed = u64(t[1], k.c_str()); }
        else if (k == "node_name") { need(1); c.node_name = t[1]; }
        else if (k == "attr") {  // attr NAME =VALUE (the '=' keeps an empty value a token)
            need(2);
            std::string v = unescape(t[2]);
            c.attrs.emplace_back(unescape(t[1]), v.empty() ? v : v.substr(1));
        }
        else if (k == "input" || k == "output") {
            need(4);  // name dtype path bytes dims...
            TensorArg a;
            a.name = t[1];
            a.dtype = static_cast<int>(u64(t[2], "dtype"));
            a.path = unescape(t[3]);
            a.bytes = u64(t[4], "bytes");
            for (size_t i = 5; i < t.size(); ++i) a.shape.push_back(static_cast<int64_t>(u64(t[i], "dim")));
            a.output = k == "output";
            c.tensors.push_back(a);
        } else {
            setup_error("unknown config key %s", k.c_str());
        }
    }
    std::fclose(f);
    if (c.soc.empty()) setup_error("config names no soc");
    if (c.mem[static_cast<int>(Mem::UB)].bytes == 0) setup_error("config gives no UB size");
}

uint8_t* map_tensor(const TensorArg& a) {
    int fd = ::open(a.path.c_str(), a.output ? O_RDWR : O_RDONLY);
    if (fd < 0) setup_error("cannot open tensor file %s: %s", a.path.c_str(), std::strerror(errno));
    struct stat st{};
    if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != a.bytes) {
        setup_error("tensor file %s has %lld bytes, expected %llu", a.path.c_str(), static_cast<long long>(st.st_size),
                    static_cast<unsigned long long>(a.bytes));
    }
    void* p = ::mmap(nullptr, a.bytes ? a.bytes : 1, PROT_READ | PROT_WRITE, a.output ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) setup_error("cannot map %s: %s", a.path.c_str(), std::strerror(errno));
    return static_cast<uint8_t*>(p);
}

// Async-signal-safe crash report: a preformatted JSON written with write(2).
void crash_handler(int sig) {
    if (R != nullptr && R->result_fd >= 0 && !R->result_written && g_crash_buf != nullptr) {
        R->result_written = true;
        const char* what = sig == SIGSEGV ? "SIGSEGV (invalid memory access)" : sig == SIGBUS ? "SIGBUS (bus error)"
                         : sig == SIGFPE ? "SIGFPE (arithmetic fault, e.g. integer division by zero)"
                         : sig == SIGILL ? "SIGILL (illegal instruction)" : "SIGABRT (abort)";
        char* p = g_crash_buf;
        auto put = [&](const char* s) { while (*s) *p++ = *s++; };
        auto num = [&](unsigned long long v) {
            char t[24];
            int n = 0;
            do { t[n++] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
            while (n) *p++ = t[--n];
        };
        int phase = g_phase.load();
        put("{\"status\":\"RUNTIME_ERROR\",\"message\":\"the kernel process crashed with ");
        put(what);
        if (phase == 1) {
            put(" in the host tiling function");
        } else if (phase >= 2) {
            put(" in block ");
            num(static_cast<unsigned long long>(g.block_idx));
            if (g.last_line) {
                put("; last Ascend C call: ");
                put(api_name(g.last_api));
                put(" at line ");
                num(g.last_line);
            }
        }
        put("\",\"crash\":{\"signal\":");
        num(static_cast<unsigned long long>(sig));
        put(",\"block_id\":");
        num(static_cast<unsigned long long>(g.block_idx));
        put(",\"last_line\":");
        num(g.last_line);
        put("}}\n");
        write_all(R->result_fd, g_crash_buf, static_cast<size_t>(p - g_crash_buf));
    }
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void watchdog(double seconds) {
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(seconds);
    ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    if (R->result_written) return;
    char msg[512];
    int phase = g_phase.load();
    if (phase == 1) {
        std::snprintf(msg, sizeof msg, "the host tiling function was still running after %.1f s (runaway loop?)",
                      seconds);
    } else {
        std::snprintf(msg, sizeof msg,
                      "the kernel was still running after %.1f s (runaway loop?) in block %lld of %u; last Ascend C "
                      "call: %s at line %u",
                      seconds, static_cast<long long>(g.block_idx), R->block_dim, api_name(g.last_api), g.last_line);
    }
    std::string extra = ",\"hang\":{\"block_id\":" + std::to_string(g.block_idx) +
                        ",\"last_line\":" + std::to_string(g.last_line) + "}";
    R->result_written = true;  // block the kernel thread from writing a second result
    std::string s = "{\"status\":\"TIMEOUT\",\"message\":" + jstr(msg) + extra + "}\n";
    write_all(R->result_fd, s.data(), s.size());
    _exit(0);
}

}  // namespace

// Runs before any code of the candidate: priority 101 is the lowest a candidate may declare
// (-Werror=prio-ctor-dtor), the runtime object is linked first so it wins ties, and binaries with
// .preinit_array entries or ifunc resolvers are refused (elfcheck.py).
__attribute__((constructor(101))) void hawk_runtime_setup() {
    R = new Runtime();
    const char* fd_env = std::getenv("HAWK_RESULT_FD");
    R->result_fd = fd_env ? std::atoi(fd_env) : -1;
    const char* cfg = std::getenv("HAWK_SIM_CONFIG");
    if (cfg == nullptr) setup_error("HAWK_SIM_CONFIG is not set (run kernels through npu_agent.simnpu)");
    parse_config(cfg);
    for (auto& a : R->cfg.tensors) {
        a.data = map_tensor(a);
        R->gm.push_back({a.data, a.bytes, a.name});
    }
    R->tiling_buf = static_cast<uint8_t*>(std::calloc(1, R->cfg.tiling_capacity));
    R->gm.push_back({R->tiling_buf, R->cfg.tiling_capacity, "tiling"});
    if (!R->cfg.record_path.empty()) {
        R->record_fd = ::open(R->cfg.record_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (R->record_fd < 0) setup_error("cannot create record %s: %s", R->cfg.record_path.c_str(), std::strerror(errno));
        RecordHeader h{};
        std::memcpy(h.magic, "HAWKREC0", 8);  // "0": not final until the run ends
        write_all(R->record_fd, reinterpret_cast<const char*>(&h), sizeof h);
        R->rec.reserve(4096);
    }
    g_crash_buf = static_cast<char*>(std::malloc(1024));
    static char altstack[1 << 16];
    stack_t ss{};
    ss.ss_sp = altstack;
    ss.ss_size = sizeof altstack;
    ::sigaltstack(&ss, nullptr);
    struct sigaction sa{};
    sa.sa_handler = crash_handler;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(s, &sa, nullptr);
    if (R->cfg.timeout_s > 0) std::thread(watchdog, R->cfg.timeout_s).detach();
    if (hawk_sandbox::lockdown() != 0) setup_error("seccomp lockdown failed: %s", std::strerror(errno));
}

}  // namespace hawk

// ============================================================================================== main
namespace {
using namespace hawk;

ge::DataType ge_dtype(int d) {  // hawk.v1.DType -> ge::DataType
    switch (d) {
        case 1: return ge::DT_FLOAT16;
        case 2: return ge::DT_BF16;
        case 3: return ge::DT_FLOAT;
        case 4: return ge::DT_INT8;
        case 5: return ge::DT_INT16;
        case 6: return ge::DT_INT32;
        case 7: return ge::DT_UINT8;
        case 8: return ge::DT_INT64;
        default: return ge::DT_UNDEFINED;
    }
}

void run_tiling() {
    Config& c = R->cfg;
    R->block_dim = static_cast<uint32_t>(c.default_block_dim ? c.default_block_dim : 1);
    if (R->tiling_fn == nullptr) return;
    auto* ctx = new gert::TilingContext();
    size_t ni = 0, no = 0;
    for (auto& a : c.tensors) (a.output ? no : ni)++;
    if (ni + no > gert::TilingContext::kMaxTensors) setup_error("too many tensors for the tiling context");
    ctx->num_inputs_ = ni;
    ctx->num_outputs_ = no;
    size_t i = 0;
    for (auto& a : c.tensors) {
        gert::Shape& s = ctx->shapes_[i].MutableOriginShape();
        for (int64_t d : a.shape) s.AppendDim(d);
        ctx->descs_[i].dtype_ = ge_dtype(a.dtype);
        ctx->tensors_[i].shape_ = &ctx->shapes_[i];
        ctx->tensors_[i].desc_ = &ctx->descs_[i];
        ++i;
    }
    auto& at = ctx->attrs_;
    for (auto& kv : c.attrs) {
        if (at.num_ >= gert::RuntimeAttrs::kMax) break;
        const char* v = kv.second.c_str();
        at.ints_[at.num_] = std::strtoll(v, nullptr, 10);
        at.floats_[at.num_] = std::strtof(v, nullptr);
        at.bools_[at.num_] = kv.second == "true" || kv.second == "1" || kv.second == "True";
        at.strs_[at.num_] = v;
        ++at.num_;
    }
    ctx->raw_.data_ = R->tiling_buf;
    ctx->raw_.capacity_ = c.tiling_capacity;
    ctx->node_name_ = R->op_type.c_str();
    g_phase = 1;
    ge::graphStatus st = R->tiling_fn(ctx);
    g_phase = 0;
    if (st != ge::GRAPH_SUCCESS) {
        emit_result("RUNTIME_ERROR", "the host tiling function returned " + std::to_string(st) +
                                         " (not ge::GRAPH_SUCCESS)", "");
        _exit(0);
    }
    if (ctx->block_dim_ == 0) {
        emit_result("RUNTIME_ERROR", "the host tiling function did not call SetBlockDim with a positive block count",
                    "");
        _exit(0);
    }
    R->block_dim = ctx->block_dim_;
    R->tiling_size = ctx->raw_.size_;
    if (R->tiling_size > c.tiling_capacity) {
        emit_result("RUNTIME_ERROR", "the host tiling function set a tiling data size of " +
                                         std::to_string(R->tiling_size) + " bytes, more than the capacity " +
                                         std::to_string(c.tiling_capacity), "");
        _exit(0);
    }
    g.tiling_key = ctx->tiling_key_;
    uint64_t ws = 0;
    for (size_t w = 0; w < ctx->workspace_num_; ++w) ws += ctx->workspaces_[w];
    R->workspace_bytes = ws;
    delete ctx;
}

void run_blocks() {
    Config& c = R->cfg;
    if (R->block_dim > c.max_block_dim) {
        emit_result("RUNTIME_ERROR", "block dim " + std::to_string(R->block_dim) + " is above the maximum " +
                                         std::to_string(c.max_block_dim), "");
        _exit(0);
    }
    // Workspace: one GM allocation the kernel gets as its `workspace` argument.
    if (R->workspace_bytes) {
        R->workspace = static_cast<uint8_t*>(std::calloc(1, R->workspace_bytes));
        if (R->workspace == nullptr) throw std::bad_alloc();
        R->gm.push_back({R->workspace, R->workspace_bytes, "workspace"});
    }
    if (hawk_entry_abi() != HAWK_ABI_SIGNATURE) {
        emit_result("INTERNAL", "twin ABI mismatch: the candidate was compiled against other twin headers than "
                    "the runtime (stale build or precompiled header)", "");
        _exit(2);
    }
    int arity = hawk_entry_arity();
    int nt = static_cast<int>(c.tensors.size());
    if (arity != nt && arity != nt + 2) {
        emit_result("RUNTIME_ERROR", "the kernel entry takes " + std::to_string(arity) + " GM_ADDR arguments; the task "
                    "has " + std::to_string(nt) + " tensors, so it must take " + std::to_string(nt + 2) +
                    " (inputs, outputs, workspace, tiling) or, direct-launch style, " + std::to_string(nt), "");
        _exit(0);
    }
    std::vector<uint8_t*> args;
    for (auto& a : c.tensors) args.push_back(a.data);
    args.push_back(R->workspace);
    args.push_back(R->tiling_buf);
    g_phase = 2;
    for (uint32_t b = 0; b < R->block_dim; ++b) {
        g.block_idx = b;
        g.block_num = R->block_dim;
        g.core = R->kernel_core;
        g.last_line = 0;
        g.last_api = Api::KernelStart;
        bind_core_memories();
        R->pipes.clear();
        R->queues.clear();
        R->tbufs.clear();
        R->flags.clear();
        R->waits.clear();
        R->mask_counter = false;
        R->mask[0] = R->mask[1] = ~0ull;
        std::memset(R->outstanding, 0, sizeof R->outstanding);
        RecordEntry& e = rec(Op::INSTR, Pipe::S, Site{Api::KernelStart, 0});
        e.a0 = b;
        e.a1 = R->block_dim;
        e.a2 = static_cast<uint32_t>(static_cast<uint64_t>(b) %
                                     (g.core == Core::AIC || c.coupled ? c.aic_cores : c.aiv_cores));
        rec_done();
        hawk_entry_launch(args.data());
        deadlock_check(Site{Api::WaitFlag, 0}, "the kernel ends");
    }
    g_phase = 3;
}

}  // namespace

int main() {
    try {
        if (g_op_check != nullptr) g_op_check();  // an op project's OpDef against the task (hawk/opdef.h)
        run_tiling();
        run_blocks();
        for (auto& a : R->cfg.tensors)
            if (a.output) ::msync(a.data, a.bytes, MS_SYNC);
        emit_result("OK", "ran " + std::to_string(R->block_dim) + " block(s) on " +
                              (R->kernel_core == Core::AIC ? "AIC" : "AIV") + " cores",
                    "");
    } catch (const std::bad_alloc&) {
        emit_result("SANDBOX_VIOLATION", "memory limit exhausted: the kernel's allocation failed (std::bad_alloc)", "");
        return 3;
    }
    return 0;
}
