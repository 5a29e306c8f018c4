// Scalar accesses: GetValue/SetValue on local and global tensors.
#include "internal.h"

namespace hawk {

// ============================================================================================ scalar
// A scalar access of the same call site, memory and direction as one since the last non-scalar entry adds to
// that entry's `repeats` and `bytes` (docs/simnpu-record.md); the first one starts a new entry with repeats 1.
// The entry's address is the lowest the run accessed and a1 | a2 << 32 the end of the highest (for a GM store
// that is the extent the output coverage check allows, npu_agent/simnpu/coverage.py); a run stays in one GM region.
namespace {
void set_extent(RecordEntry& e, bool write, uint64_t addr, uint64_t n) {
    uint64_t& lo = write ? e.dst_addr : e.src_addr;
    uint64_t hi = (static_cast<uint64_t>(e.a2) << 32) | e.a1;
    if (e.repeats == 0 || addr < lo) lo = addr;
    if (e.repeats == 0 || addr + n > hi) hi = addr + n;
    e.a1 = static_cast<uint32_t>(hi);
    e.a2 = static_cast<uint32_t>(hi >> 32);
}

bool merge_scalar(Mem mem, bool write, uint64_t addr, uint64_t n, Site site) {
    if (R->record_fd < 0 || R->rec_total >= R->cfg.record_max) return false;
    for (size_t i = 0; i < R->scalar_run_n; ++i) {
        RecordEntry& e = R->rec[R->scalar_run[i]];
        if (e.line == site.line && e.api == static_cast<uint16_t>(site.api) &&
            (write ? e.dst_mem : e.src_mem) == static_cast<uint8_t>(mem) &&
            ((write ? e.dst_addr : e.src_addr) >> 48) == (addr >> 48) &&
            e.block == static_cast<uint32_t>(g.block_idx) && e.repeats < 0xFFFFFFFFu) {
            set_extent(e, write, addr, n);
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
// The GM region holding address `addr` (nullptr: none of the harness's).
const Runtime::Region* gm_region(uint64_t addr) {
    for (const auto& r : R->gm) {
        uint64_t b = reinterpret_cast<uint64_t>(r.base);
        if (addr >= b && addr < b + r.bytes) return &r;
    }
    return nullptr;
}
}  // namespace

void note_data_read(const char* what, Site site) {
    ++R->data_reads;
    if (!R->data_dep.empty()) return;
    R->data_dep = std::string(what) + " at line " + std::to_string(site.line);
}

// operator(): an element reference the kernel may read or write; counted as a read (it may be one).
void note_data_ref(const Ref& t, Site site) {
    if (t.mem == Mem::GM) {
        const Runtime::Region* r = gm_region(t.addr);
        if (r != nullptr && r->base == R->tiling_buf) return;
        std::string what = "operator() (an element reference) of GlobalTensor data (" +
                           (r ? r->name : std::string("GM")) + ")";
        note_data_read(what.c_str(), site);
        return;
    }
    char what[96];
    std::snprintf(what, sizeof what, "operator() (an element reference) of a %s LocalTensor", mem_name(t.mem));
    note_data_read(what, site);
}

uint8_t* scalar_local(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    if (!merge_scalar(t.mem, write, t.addr + off, n, site)) {
        size_t keep = R->scalar_run_n, run[8];
        std::memcpy(run, R->scalar_run, sizeof run);
        RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
        e.dtype = static_cast<uint8_t>(t.dt);
        (write ? e.dst_mem : e.src_mem) = static_cast<uint8_t>(t.mem);
        set_extent(e, write, t.addr + off, n);
        e.bytes = n;
        join_scalar_run(e, run, keep);
        rec_done();
    }
    uint8_t* p = local(t, off, n, write, site, 1);
    if (!write) {
        char what[64];
        std::snprintf(what, sizeof what, "GetValue of a %s LocalTensor", mem_name(t.mem));
        note_data_read(what, site);
    }
    return p;
}

uint8_t* scalar_gm(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    const uint64_t at = gm_rec_addr(t.addr + off);
    if (!merge_scalar(Mem::GM, write, at, n, site)) {
        size_t keep = R->scalar_run_n, run[8];
        std::memcpy(run, R->scalar_run, sizeof run);
        RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
        e.dtype = static_cast<uint8_t>(t.dt);
        (write ? e.dst_mem : e.src_mem) = static_cast<uint8_t>(Mem::GM);
        set_extent(e, write, at, n);
        e.bytes = n;
        join_scalar_run(e, run, keep);
        rec_done();
    }
    check_gm_tensor(t, off, n, write, site);
    if (!write) {
        const Runtime::Region* r = gm_region(t.addr + off);
        if (r == nullptr || r->base != R->tiling_buf) {  // the tiling data is not task data
            std::string what = "GetValue of GlobalTensor data (" + (r ? r->name : std::string("GM")) + ")";
            note_data_read(what.c_str(), site);
        }
    }
    return gm_host(t.addr) + off;
}

void check_gm_buffer(const void* ptr, uint64_t bytes, Site site) {
    check_gm(reinterpret_cast<uint64_t>(ptr), bytes, false, site);
}

}  // namespace hawk
