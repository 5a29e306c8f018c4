// CANN debug interfaces (hawk/cann_env.h): assert/ascendc_assert, printf/KERNEL_LOG and DumpTensor.
#include "internal.h"

namespace hawk {

// assert/ascendc_assert/ASSERT end the run like the device's trap, naming the kernel line; printf, KERNEL_LOG
// and DumpTensor write to the kernel's standard output (the sandbox keeps its tail), never into the result.
namespace {
constexpr uint64_t kPrintCap = 1u << 20;  // bytes of kernel output kept; the rest is dropped with one note
uint64_t g_printed = 0;
bool g_line_start = true;

void out_raw(const char* s, size_t n) {
    if (g_printed >= kPrintCap) return;
    if (g_printed + n > kPrintCap) {
        n = static_cast<size_t>(kPrintCap - g_printed);
        write_all(1, s, n);
        const char note[] = "\n[twin: kernel output truncated at 1 MiB]\n";
        write_all(1, note, sizeof note - 1);
        g_printed = kPrintCap;
        return;
    }
    write_all(1, s, n);
    g_printed += n;
}
}  // namespace

void print_out(const char* text, size_t len, bool block_prefix) {
    if (len == 0) return;
    if (block_prefix && g_line_start && g_phase.load() == 2) {
        char pre[64];
        int n = std::snprintf(pre, sizeof pre, "[%s Block %lld/%lld] ", g.core == Core::AIC ? "AIC" : "AIV",
                              static_cast<long long>(g.block_idx), static_cast<long long>(g.block_num));
        out_raw(pre, static_cast<size_t>(n));
    }
    out_raw(text, len);
    g_line_start = text[len - 1] == '\n';
}

void assert_fail(const char* expr, const char* file, uint32_t line, const char* message) {
    std::fflush(stdout);
    const char* base = std::strrchr(file, '/');
    std::string msg = std::string("[ASSERT] ") + (base ? base + 1 : file) + ":" + std::to_string(line) +
                      ": Assertion `" + expr + "'" + (message && *message ? std::string(" ") + message : "");
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    std::string shown = msg + "\n";
    print_out(shown.data(), shown.size(), true);
    int phase = g_phase.load();
    std::string where = phase == 1 ? " (in the host tiling function)"
                      : " (block " + std::to_string(g.block_idx) + " of " + std::to_string(g.block_num) + ")";
    emit_result("RUNTIME_ERROR", msg + where,
                ",\"assert\":{\"line\":" + std::to_string(line) + ",\"block_id\":" + std::to_string(g.block_idx) +
                    "}");
    _exit(0);
}

void dump_tensor(const Ref& t, uint32_t desc, uint32_t count, Site site) {
    static const char* const kTypes[] = {"none", "float16", "bfloat16", "float32", "int8", "int16", "int32",
                                         "uint8", "int64", "uint16", "uint32", "uint64", "int4"};
    const size_t es = dt_size(t.dt);
    const bool b4 = t.dt == DT::I4;  // two elements per byte
    const uint8_t* base = nullptr;
    uint64_t avail = 0;  // bytes readable from the tensor's start
    if (t.mem == Mem::GM) {
        for (auto& r : R->gm) {
            auto a = reinterpret_cast<const uint8_t*>(t.addr);
            if (a >= r.base && a < r.base + r.bytes) {
                base = gm_host(t.addr);
                avail = static_cast<uint64_t>(r.base + r.bytes - a);
            }
        }
    } else if (g.mem_base[static_cast<int>(t.mem)] != nullptr && t.addr < g.mem_size[static_cast<int>(t.mem)]) {
        base = g.mem_base[static_cast<int>(t.mem)] + t.addr;
        avail = g.mem_size[static_cast<int>(t.mem)] - t.addr;
    }
    uint64_t n = std::min<uint64_t>(count, b4 ? avail * 2 : es ? avail / es : 0);
    char head[256];
    std::snprintf(head, sizeof head, "DumpTensor: desc=%u, addr=%llu, data_type=%s, position=%s, dump_size=%u\n",
                  desc, static_cast<unsigned long long>(t.mem == Mem::GM ? gm_rec_addr(t.addr) : t.addr),
                  kTypes[static_cast<int>(t.dt)], mem_name(t.mem), count);
    std::string s = head;
    s += "[";
    for (uint64_t i = 0; i < n; ++i) {
        const uint8_t* p = base + (b4 ? i / 2 : i * es);
        char v[48];
        switch (t.dt) {
            case DT::I4: std::snprintf(v, sizeof v, "%d", i4_get(base, i)); break;
            case DT::F16: { half h; std::memcpy(&h, p, 2); std::snprintf(v, sizeof v, "%f", static_cast<double>(h)); break; }
            case DT::BF16: { bfloat16_t b; std::memcpy(&b, p, 2); std::snprintf(v, sizeof v, "%f", static_cast<double>(static_cast<float>(b))); break; }
            case DT::F32: { float f; std::memcpy(&f, p, 4); std::snprintf(v, sizeof v, "%f", static_cast<double>(f)); break; }
            case DT::I8: std::snprintf(v, sizeof v, "%d", static_cast<int>(*reinterpret_cast<const int8_t*>(p))); break;
            case DT::U8: std::snprintf(v, sizeof v, "%u", static_cast<unsigned>(*p)); break;
            case DT::I16: { int16_t x; std::memcpy(&x, p, 2); std::snprintf(v, sizeof v, "%d", x); break; }
            case DT::U16: { uint16_t x; std::memcpy(&x, p, 2); std::snprintf(v, sizeof v, "%u", x); break; }
            case DT::I32: { int32_t x; std::memcpy(&x, p, 4); std::snprintf(v, sizeof v, "%d", x); break; }
            case DT::U32: { uint32_t x; std::memcpy(&x, p, 4); std::snprintf(v, sizeof v, "%u", x); break; }
            case DT::I64: { int64_t x; std::memcpy(&x, p, 8); std::snprintf(v, sizeof v, "%lld", static_cast<long long>(x)); break; }
            case DT::U64: { uint64_t x; std::memcpy(&x, p, 8); std::snprintf(v, sizeof v, "%llu", static_cast<unsigned long long>(x)); break; }
            default: std::snprintf(v, sizeof v, "0x%02x", static_cast<unsigned>(*p)); break;
        }
        s += v;
        if (i + 1 < n) s += ", ";
    }
    s += "]\n";
    if (n < count) {
        warn(site, "DumpTensor of %u elements runs past the end of its memory; %llu shown", count,
             static_cast<unsigned long long>(n));
    }
    print_out(s.data(), s.size(), false);
}

}  // namespace hawk
