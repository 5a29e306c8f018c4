// The checker layer: warnings, structured hardware exceptions, and the memory-access checks every API
// family uses (bounds, alignment, core type, GM regions).
#include "internal.h"

namespace hawk {

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

// ------------------------------------------------------------------------------------ memory access
uint64_t mem_capacity(Mem m) { return R->cfg.mem[static_cast<int>(m)].bytes; }
uint64_t mem_usable(Mem m) {
    const MemSpec& s = R->cfg.mem[static_cast<int>(m)];
    return s.bytes > s.reserved ? s.bytes - s.reserved : 0;
}
uint64_t mem_mix_reserved(Mem m) { return R->kernel_mix ? R->cfg.mem[static_cast<int>(m)].mix_reserved : 0; }
uint64_t mem_align(Mem m) { return R->cfg.mem[static_cast<int>(m)].align; }

bool core_has(Mem m) {
    if (m == Mem::GM) return true;
    if (R->cfg.coupled) return true;
    if (g.core == Core::AIV) return m == Mem::UB;
    return m == Mem::L1 || m == Mem::L0A || m == Mem::L0B || m == Mem::L0C || m == Mem::BT || m == Mem::FB;
}

uint8_t* gm_window_reserve(uint64_t bytes) {
    // Regions 2 MiB apart and 2 MiB aligned (alignment checks see the same low bits as a real allocation's), with
    // at least 2 MiB of unmapped gap between them.
    static uint64_t next = kGmWindowBase;
    const uint64_t step = 2ull << 20;
    uint64_t at = next;
    uint64_t span = (std::max<uint64_t>(bytes, 1) + step - 1) / step * step + step;
    if (at + span > kGmWindowBase + kGmWindowBytes) setup_error("the GM window (1 TiB) is full");
    next = at + span;
    return reinterpret_cast<uint8_t*>(at);
}

uint8_t* gm_shared_alloc(uint64_t bytes) {
    void* p = ::mmap(nullptr, (std::max<uint64_t>(bytes, 1) + 4095) / 4096 * 4096, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<uint8_t*>(p);
}

void gm_shared_free(uint8_t* real, uint64_t bytes) {
    if (real != nullptr) ::munmap(real, (std::max<uint64_t>(bytes, 1) + 4095) / 4096 * 4096);
}

uint8_t* gm_window_add(uint8_t* real, uint64_t bytes, const std::string& name) {
    uint8_t* w = gm_window_reserve(bytes);
    uint64_t len = (std::max<uint64_t>(bytes, 1) + 4095) / 4096 * 4096;
    // mremap with old_size 0 maps the same shared pages a second time. Without it (no room under the address-space
    // limit, say) the window stays unmapped: raw accesses are then refused rather than charged.
    void* a = ::mremap(real, 0, len, MREMAP_MAYMOVE | MREMAP_FIXED, w);
    bool alias = a == w && ::mprotect(w, len, PROT_NONE) == 0;
    if (a != MAP_FAILED && !alias) ::munmap(a, len);
    R->gm.push_back({w, bytes, name, real, alias});
    return w;
}

uint8_t* gm_host(uint64_t addr) {
    if (addr >= kGmWindowBase && addr < kGmWindowBase + kGmWindowBytes) {
        for (auto& r : R->gm) {
            uint64_t b = reinterpret_cast<uint64_t>(r.base);
            if (r.real != nullptr && addr >= b && addr <= b + r.bytes) return r.real + (addr - b);
        }
    }
    return reinterpret_cast<uint8_t*>(addr);
}

// Checks that [addr, addr+n) of GM lies inside one harness allocation.
void check_gm(uint64_t addr, uint64_t n, bool write, Site site) {
    if (n == 0) return;
    for (auto& r : R->gm) {
        uint64_t b = reinterpret_cast<uint64_t>(r.base);
        if (addr >= b && addr + n <= b + r.bytes) return;
    }
    const char* near = nullptr;
    const Runtime::Region* below = nullptr;  // the buffer the access starts in or runs on from (nearest base below)
    for (auto& r : R->gm) {
        uint64_t b = reinterpret_cast<uint64_t>(r.base);
        if (addr + n > b && addr < b + r.bytes + (1u << 30)) {
            near = r.name.c_str();
            if (addr >= b && (below == nullptr || r.base > below->base)) below = &r;
        }
    }
    if (below != nullptr) {
        uint64_t b = reinterpret_cast<uint64_t>(below->base);
        fault(Kind::GM_OUT_OF_BOUNDS, Mem::GM, site,
              "illegal %s of %llu bytes at offset %lld of GM buffer '%s' (%llu bytes): it ends %llu bytes "
              "past the buffer",
              write ? "write" : "read", static_cast<unsigned long long>(n), static_cast<long long>(addr - b),
              below->name.c_str(), static_cast<unsigned long long>(below->bytes),
              static_cast<unsigned long long>(addr + n - b - below->bytes));
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
uint8_t* local(const Ref& t, uint64_t off, uint64_t n, bool write, Site site, uint64_t align) {
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

}  // namespace hawk
