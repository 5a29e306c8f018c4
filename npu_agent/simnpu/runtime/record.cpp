// The instruction record and the result channel: JSON out, the record file (docs/simnpu-record.md).
#include "internal.h"

namespace hawk {

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

// ----------------------------------------------------------------------------------- raw system calls
// The result pipe and the record are written with the `syscall` instruction itself, never through libc's
// write/pwrite/open: a candidate's own definition of those symbols would otherwise replace them for the runtime
// too (one executable), and could drop or rewrite its own profile.
long raw_syscall(long n, long a1, long a2, long a3, long a4) {
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    register long x3 __asm__("x3") = a4;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
#else
#error "raw_syscall: add this architecture's system call sequence"
#endif
}

void write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        long w = raw_syscall(SYS_write, fd, reinterpret_cast<long>(p), static_cast<long>(n), 0);
        if (w < 0) {
            if (w == -EINTR) continue;
            return;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

int raw_open(const char* path, int flags, int mode) {
    long r = raw_syscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), flags, mode);
    if (r < 0) {
        errno = static_cast<int>(-r);
        return -1;
    }
    return static_cast<int>(r);
}

void flush_record(bool final);

namespace {
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
             "," + std::to_string(mem_usable(static_cast<Mem>(m))) + "]";
        first = false;
    }
    s += "},\"kernel_us\":" + std::to_string(static_cast<double>(g_kernel_ns + kernel_time_ns()) / 1000.0);
    s += ",\"record_entries\":" + std::to_string(R->rec_total) + ",\"record_truncated\":" +
         (R->rec_truncated ? "true" : "false");
    s += ",\"timing_only\":" + std::string(R->cfg.timing_only ? "true" : "false") +
         ",\"data_dependent\":" + jstr(R->data_dep) + ",\"data_reads\":" + std::to_string(R->data_reads) + "}";
    return s;
}

std::string warnings_json() {
    std::string s = "[";
    for (size_t i = 0; i < R->warnings.size(); ++i) s += (i ? "," : "") + jstr(R->warnings[i]);
    return s + "]";
}
}  // namespace

void emit_result(const std::string& status, const std::string& message, const std::string& extra) {
    if (R == nullptr || R->result_written) return;
    R->result_written = true;
    flush_raw_reads();
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
namespace {
// The trailer's checksum over every entry written: sum over the entries' 64-bit words w_i (i counting from 0
// over the whole file) of (w_i ^ i * 0x9E3779B97F4A7C15) * 0xFF51AFD7ED558CCD, modulo 2^64 (record.py vectorises it).
uint64_t g_rec_sum = 0;
uint64_t g_rec_words = 0;
void rec_checksum(const RecordEntry* e, size_t n) {
    const auto* w = reinterpret_cast<const uint64_t*>(e);
    for (size_t i = 0; i < n * (sizeof(RecordEntry) / 8); ++i, ++g_rec_words)
        g_rec_sum += (w[i] ^ (g_rec_words * 0x9E3779B97F4A7C15ull)) * 0xFF51AFD7ED558CCDull;
}
}  // namespace

void flush_record(bool final) {
    if (R->record_fd < 0) return;
    flush_raw_reads();
    if (!R->rec.empty()) {
        rec_checksum(R->rec.data(), R->rec.size());
        write_all(R->record_fd, reinterpret_cast<const char*>(R->rec.data()), R->rec.size() * sizeof(RecordEntry));
        R->rec.clear();
        R->scalar_run_n = 0;
    }
    if (final) {
        // The trailer (entries, checksum) after the entries, then the final header at offset 0 last: its magic
        // is the completion marker (docs/simnpu-record.md).
        RecordTrailer t{};
        std::memcpy(t.magic, "HAWKEND2", 8);
        t.entries = R->rec_total;
        t.checksum = g_rec_sum;
        t.block_dim = R->block_dim;
        t.flags = R->rec_truncated ? 1u : 0u;
        write_all(R->record_fd, reinterpret_cast<const char*>(&t), sizeof t);
        RecordHeader h{};
        std::memcpy(h.magic, "HAWKREC2", 8);
        h.version = kRecordVersion;
        h.entry_size = sizeof(RecordEntry);
        h.block_dim = R->block_dim;
        h.flags = R->rec_truncated ? 1u : 0u;
        h.entries = R->rec_total;
        // The record is best effort; the Python reader rejects a file whose header is not final.
        raw_syscall(SYS_pwrite64, R->record_fd, reinterpret_cast<long>(&h), sizeof h, 0);
        R->record_fd = -1;  // final: nothing more is written (a second emit_result cannot append a second trailer)
    }
}

RecordEntry& rec(Op op, Pipe pipe, Site site) {
    static RecordEntry scratch;
    flush_raw_reads();  // raw GM reads the kernel made since the last call come first
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
// An instruction entry with its operands: dtypes, memories and addresses of dst and src (the other fields are the
// caller's).
RecordEntry& rec_operands(Op op, Pipe pipe, Site site, const Ref& dst, const Ref& src) {
    RecordEntry& e = rec(op, pipe, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(src.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    return e;
}
void rec_done() {
    if (R->rec.size() >= 4096) flush_record(false);
}

}  // namespace hawk
