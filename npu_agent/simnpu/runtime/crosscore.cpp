// The cores of a launch and what passes between them: every physical core the launch uses is a cooperative fiber
// (ucontext: no thread, no system call beyond the signal mask) that runs its blocks in order; only one runs at a
// time, and the switch points are fixed (a block's end, a cross-core wait that is not yet satisfied), so a run is
// deterministic. Cross-core flags (CrossCoreSetFlag / CrossCoreWaitFlag) and SyncAll (hard and soft) follow the
// public documentation (核间同步: CrossCoreSetFlag(ISASI).md, 关键特性说明.md, SyncAll.md; 设置Kernel类型.md;
// GetBlockIdx.md, GetSubBlockNum(ISASI).md, GetTaskRatio.md).
//
// Kernel types: AIV_ONLY / MIX_AIV_1_0 start `block_dim` AIVs, AIC_ONLY / MIX_AIC_1_0 `block_dim` AICs;
// MIX_AIC_1_1 / MIX_AIC_1_2 start `block_dim` AI Cores of 1 AIC + 1 or 2 AIVs running the same entry, and
// block_dim must not exceed the AI Core count. An AIV of a mixed kernel has GetBlockIdx() = block * ratio + sub.
// The type comes from KERNEL_TASK_TYPE_DEFAULT / KERNEL_TASK_TYPE (registered at static initialisation, so known
// before any block runs) or from the entry's __mix__(cube, vec) qualifier (hawk/launch.h).
// The cross-core scheduler is on for the MIX_* types and for kernels that declare no type (the CANN toolchain
// makes a kernel that uses SyncAll/CrossCore mix); with an explicit AIV_ONLY/AIC_ONLY a cross-core wait hangs.
//
// Flag model: each core has 16 counters (flag ids 0-15; higher ids keep their low 4 bits). A set contributes to a
// "sync instance" of its scope; when every participant of the scope has contributed, each target core's counter
// of that flag id goes up by one (at most 15, else the hardware raises an error), and a wait takes one count:
//   mode 0: the participants and targets are all AICs (or all AIVs) of the launch;
//   mode 1: the AIVs of one AI Core;  mode 2: AIC -> the AIVs of its AI Core, or all its AIVs -> the AIC.
// Each instance has a serial number that the record carries on both sides (Op::XSET / Op::XWAIT), so the
// cycle model can make a wait end after the last contributing set.
#include <sys/mman.h>
#include <ucontext.h>

#include "internal.h"

extern "C" void hawk_entry_launch(uint8_t** args);
extern "C" int hawk_entry_mix() __attribute__((weak));  // hawk/launch.h: the __mix__(c, v) type, -1 none
extern "C" int hawk_entry_core() __attribute__((weak));  // hawk/launch.h: 2 __cube__, 1 __vector__, 0 none
// A kernel compiled once per core type (hawk/coretype.h, npu_agent/simnpu/percore.py): the entry of each variant
// the build linked, and the kernel type CANN infers for it when the source declares none (from the AIC and AIV
// objects' instructions: cube only -> AIC_ONLY, cube and vector -> MIX_AIC_1_2).
extern "C" void hawk_entry_launch_aic(uint8_t** args) __attribute__((weak));
extern "C" void hawk_entry_launch_aiv(uint8_t** args) __attribute__((weak));
extern "C" const int hawk_inferred_kernel_type __attribute__((weak));

namespace hawk {

namespace {

constexpr size_t kStackBytes = 2u << 20;  // fiber stack: a twin implementation detail, not a hardware number
constexpr size_t kGuardBytes = 4096;
constexpr int kFlags = 16;                // SyncAll's hard sync uses flag ids 11..14 (SyncAll.md)
constexpr int64_t kSyncAicFlag = 11, kSyncAivFlag = 12, kSyncAicAivFlag = 13, kSyncAivOnlyAll = 14;

struct Fiber {
    ucontext_t ctx;
    uint8_t* stack = nullptr;
};

enum class Blocked : uint8_t { NONE, FLAG, SOFT_SYNC, NO_SCHEDULER };

struct CoreCtx {
    Core type = Core::AIV;
    uint32_t phys = 0;   // physical core index within its type
    uint32_t group = 0;  // AI Core (1 AIC + its AIVs) of a mixed kernel
    uint32_t sub = 0;    // AIV index in its AI Core
    std::vector<uint32_t> blocks;  // logical blocks this core runs, in order (waves)
    size_t next = 0;
    Fiber* fiber = nullptr;  // the block in flight
    bool fiber_done = false;
    PerCore st;              // saved while another core runs
    State gs;
    Blocked blocked = Blocked::NONE;
    Site wait_site{Api::None, 0};
    int64_t wait_flag = 0;
    const uint8_t* poll_gm = nullptr;  // soft SyncAll: the GM slots polled, their count and the sum awaited
    uint64_t poll_n = 0;
    int64_t poll_target = 0;
    std::deque<uint32_t> counter[kFlags];  // released sync instances per flag id (the counter is the size)
};

// Open sync instances of one scope and flag id: per participant, its sets not yet part of a released instance.
struct Pending {
    std::vector<uint32_t> sets;
    std::deque<uint32_t> serials;  // serial of each open instance, oldest first
};

struct Launch {
    std::vector<CoreCtx> cores;  // AI Core-major: AIC g, then its AIVs
    int type = -1;               // KernelMetaType, -1 undeclared
    bool scheduler = true;       // the cross-core scheduler is started (not for explicit AIV_ONLY / AIC_ONLY)
    bool mixed = false;          // MIX_AIC_1_1 / MIX_AIC_1_2
    uint32_t ratio = 1;          // AIVs per AI Core in a mixed kernel
    void (*run)(void*) = nullptr;  // one block of the kernel
    void* ctx = nullptr;
    ucontext_t main_ctx;
    CoreCtx* cur = nullptr;
    std::vector<Fiber*> pool;
    std::vector<uint16_t> need;  // per serial: the sets that release it (index 0 unused)
    std::map<std::tuple<int, uint32_t, int64_t>, Pending> pending;
    std::map<std::pair<uint64_t, int64_t>, uint32_t> soft_serial;  // (GM workspace, round) -> serial
};
Launch* L = nullptr;

const char* type_name(int t) {
    static const char* const n[] = {"KERNEL_TYPE_AIV_ONLY", "KERNEL_TYPE_AIC_ONLY", "KERNEL_TYPE_MIX_AIV_1_0",
                                    "KERNEL_TYPE_MIX_AIC_1_0", "KERNEL_TYPE_MIX_AIC_1_1", "KERNEL_TYPE_MIX_AIC_1_2",
                                    "KERNEL_TYPE_AICORE", "KERNEL_TYPE_VECTORCORE", "KERNEL_TYPE_MIX_AICORE",
                                    "KERNEL_TYPE_MIX_VECTOR_CORE"};
    return t >= 0 && t < 10 ? n[t] : "no declared kernel type";
}

// ------------------------------------------------------------------------------------------ switching
void swap_in(CoreCtx* c) {
    std::swap(static_cast<PerCore&>(*R), c->st);
    g = c->gs;
    R->scalar_run_n = 0;  // scalar entries of different cores never merge
}
void swap_out(CoreCtx* c) {
    c->gs = g;
    std::swap(static_cast<PerCore&>(*R), c->st);
    R->scalar_run_n = 0;
}

// From a fiber back to the scheduler; returns when the scheduler resumes this core.
void yield() {
    CoreCtx* c = L->cur;
    ::swapcontext(&c->fiber->ctx, &L->main_ctx);
}

void begin_block(CoreCtx* c) {
    uint32_t b = c->blocks[c->next];
    g.block_num = R->block_dim;
    g.core = c->type;
    g.last_line = 0;
    g.last_api = Api::KernelStart;
    g.cur_pipe = nullptr;
    if (L->mixed && c->type == Core::AIV) {
        g.block_idx = static_cast<int64_t>(b) * L->ratio + c->sub;
        g.sub_block_idx = c->sub;
        g.sub_block_num = L->ratio;
    } else {
        g.block_idx = b;
        g.sub_block_idx = 0;
        g.sub_block_num = 1;
    }
    bind_core_memories(c->phys);
    static_cast<PerCore&>(*R) = PerCore();
    RecordEntry& e = rec(Op::INSTR, Pipe::S, Site{Api::KernelStart, 0});
    e.a0 = static_cast<uint32_t>(g.block_idx);
    e.a1 = R->block_dim;
    e.a2 = c->phys;
    rec_done();
}

// The kernel code for this core's type: the variant compiled for it when the kernel was compiled per core type.
void launch_entry(const CoreCtx* c, uint8_t** args) {
    if (!per_core_build()) {
        hawk_entry_launch(args);
        return;
    }
    void (*f)(uint8_t**) = c->type == Core::AIC ? hawk_entry_launch_aic : hawk_entry_launch_aiv;
    if (f == nullptr) {
        emit_result("RUNTIME_ERROR", std::string("this launch runs the kernel on ") + (c->type == Core::AIC ? "AIC" : "AIV") +
                    " cores, but it was built for " + (c->type == Core::AIC ? "AIV" : "AIC") + " cores only (the "
                    "kernel type inferred from its code, as CANN does when a kernel declares none)", "");
        _exit(0);
    }
    f(args);
}

void fiber_main() {
    CoreCtx* c = L->cur;
    try {
        begin_block(c);
        L->run(L->ctx);
        deadlock_check(Site{Api::WaitFlag, 0}, "the kernel ends");
    } catch (const std::bad_alloc&) {
        emit_result("SANDBOX_VIOLATION", "memory limit exhausted: the kernel's allocation failed (std::bad_alloc)", "");
        _exit(3);
    }
    L->cur->fiber_done = true;
}  // returns to L->main_ctx (uc_link)

Fiber* get_fiber() {
    if (!L->pool.empty()) {
        Fiber* f = L->pool.back();
        L->pool.pop_back();
        return f;
    }
    auto* f = new Fiber();
    void* p = ::mmap(nullptr, kStackBytes + kGuardBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::mprotect(p, kGuardBytes, PROT_NONE);  // a stack overflow faults (SIGSEGV) instead of corrupting the heap
    f->stack = static_cast<uint8_t*>(p);
    return f;
}

bool soft_sync_done(const CoreCtx& c) {
    int64_t sum = 0;
    for (uint64_t i = 0; i < c.poll_n; ++i) {
        int32_t v;
        std::memcpy(&v, c.poll_gm + i * 32, 4);
        sum += v;
    }
    return sum >= c.poll_target;
}

bool runnable(const CoreCtx& c) {
    if (c.fiber == nullptr) return true;
    switch (c.blocked) {
        case Blocked::NONE: return true;
        case Blocked::FLAG: return !c.counter[c.wait_flag].empty();
        case Blocked::SOFT_SYNC: return soft_sync_done(c);
        case Blocked::NO_SCHEDULER: return false;
    }
    return false;
}

void resume(CoreCtx* c) {
    if (c->fiber == nullptr) {
        Fiber* f = get_fiber();
        ::getcontext(&f->ctx);
        f->ctx.uc_stack.ss_sp = f->stack + kGuardBytes;
        f->ctx.uc_stack.ss_size = kStackBytes;
        f->ctx.uc_link = &L->main_ctx;
        ::makecontext(&f->ctx, fiber_main, 0);
        c->fiber = f;
        c->fiber_done = false;
        c->blocked = Blocked::NONE;
    }
    L->cur = c;
    swap_in(c);
    ::swapcontext(&L->main_ctx, &c->fiber->ctx);
    swap_out(c);
    L->cur = nullptr;
    if (c->fiber_done) {
        L->pool.push_back(c->fiber);
        c->fiber = nullptr;
        ++c->next;
    }
}

std::string core_label(const CoreCtx& c) {
    char b[96];
    std::snprintf(b, sizeof b, "%s block %lld", c.type == Core::AIC ? "AIC" : "AIV",
                  static_cast<long long>(c.gs.block_idx));
    return b;
}

[[noreturn]] void report_deadlock() {
    CoreCtx* first = nullptr;
    std::string who;
    size_t blocked = 0, done = 0;
    for (auto& c : L->cores) {
        if (c.fiber == nullptr) {
            if (c.next >= c.blocks.size()) ++done;
            continue;
        }
        if (first == nullptr) first = &c;
        if (blocked++ < 6) {
            who += (who.empty() ? "" : ", ") + core_label(c) + " at line " + std::to_string(c.wait_site.line);
        }
    }
    if (blocked > 6) who += ", ...";
    swap_in(first);  // the exception names the first blocked core
    const char* what = first->blocked == Blocked::SOFT_SYNC ? "SyncAll waits for cores that never arrive"
                       : "the wait is never satisfied by a CrossCoreSetFlag";
    fault(Kind::DEADLOCK, Mem::NONE, first->wait_site,
          "%s%s%lld: every core of the launch is blocked or done (%zu blocked: %s; %zu done)", what,
          first->blocked == Blocked::FLAG ? " (flag id " : " (", static_cast<long long>(first->wait_flag) ,
          blocked, who.c_str(), done);
}

// ------------------------------------------------------------------------------------------- flags
bool has_scheduler_type(int t) { return t < 0 || (t >= 2 && t <= 5); }

void check_cross_supported(Site site) {
    if (R->cfg.cross_core_flags == 0) {
        fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "%s is not available on %s (no cross-core synchronisation)",
              api_name(site.api), R->cfg.soc.c_str());
    }
}

int64_t flag_id(int64_t flag, Site site) {
    if (flag < 0 || flag >= kFlags) {
        warn(site, "flagId %lld is outside 0..15; the hardware keeps its low 4 bits (%lld)",
             static_cast<long long>(flag), static_cast<long long>(flag & 0xF));
    }
    return flag & 0xF;
}

// All cores of a type in the launch must be resident for a launch-wide sync (docs: numBlocks must not exceed the
// physical core count, else the hardware hangs).
void need_resident(Core type, Site site, const char* what) {
    uint64_t n = type == Core::AIC ? R->cfg.aic_cores : R->cfg.aiv_cores;
    if (R->cfg.coupled) n = R->cfg.aic_cores;
    uint64_t blocks = static_cast<uint64_t>(R->block_dim) * (type == Core::AIV && L->mixed ? L->ratio : 1);
    if (blocks > n) {
        fault(Kind::DEADLOCK, Mem::NONE, site,
              "%s needs every block of the launch running at once, but block dim %u puts %llu blocks on %llu %s cores "
              "(later blocks wait for a free core that never comes: the hardware hangs)", what, R->block_dim,
              static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(n),
              type == Core::AIC ? "AIC" : "AIV");
    }
}

std::vector<CoreCtx*> cores_where(bool (*pred)(const CoreCtx&, uint32_t), uint32_t arg) {
    std::vector<CoreCtx*> v;
    for (auto& c : L->cores)
        if (pred(c, arg)) v.push_back(&c);
    return v;
}
bool is_aic(const CoreCtx& c, uint32_t) { return c.type == Core::AIC; }
bool is_aiv(const CoreCtx& c, uint32_t) { return c.type == Core::AIV; }
bool aic_of(const CoreCtx& c, uint32_t grp) { return c.type == Core::AIC && c.group == grp; }
bool aivs_of(const CoreCtx& c, uint32_t grp) { return c.type == Core::AIV && c.group == grp; }

void release(const std::vector<CoreCtx*>& targets, int64_t flag, uint32_t serial, Site site) {
    for (CoreCtx* t : targets) {
        if (t->counter[flag].size() >= R->cfg.cross_core_counter_max) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "the cross-core counter of flag id %lld on %s would pass %llu: it has %zu sets no "
                  "CrossCoreWaitFlag took yet (each counter counts 0..%llu; the hardware raises an error)",
                  static_cast<long long>(flag), core_label(*t).c_str(),
                  static_cast<unsigned long long>(R->cfg.cross_core_counter_max), t->counter[flag].size(),
                  static_cast<unsigned long long>(R->cfg.cross_core_counter_max));
        }
        t->counter[flag].push_back(serial);
    }
}

// One set by the running core on scope `key`; returns the serial of the instance it contributes to.
uint32_t contribute(const std::tuple<int, uint32_t, int64_t>& key, const std::vector<CoreCtx*>& parts,
                    const std::vector<CoreCtx*>& targets, int64_t flag, Site site) {
    Pending& p = L->pending[key];
    if (p.sets.size() != parts.size()) p.sets.assign(parts.size(), 0);
    size_t me = 0;
    while (me < parts.size() && parts[me] != L->cur) ++me;
    if (me == parts.size()) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "internal: the core takes no part in its own sync scope");
    }
    if (p.sets[me] >= p.serials.size()) {
        L->need.push_back(static_cast<uint16_t>(parts.size()));
        p.serials.push_back(static_cast<uint32_t>(L->need.size() - 1));
    }
    uint32_t serial = p.serials[p.sets[me]];
    ++p.sets[me];
    if (std::all_of(p.sets.begin(), p.sets.end(), [](uint32_t n) { return n > 0; })) {
        for (auto& n : p.sets) --n;
        uint32_t s = p.serials.front();
        p.serials.pop_front();
        release(targets, flag, s, site);
    }
    return serial;
}

void set_impl(int mode, Pipe pipe, int64_t flag, Site site) {
    CoreCtx* c = L->cur;
    uint32_t serial = 0;
    size_t need = 0;
    if (L->scheduler) {
        std::vector<CoreCtx*> parts, targets;
        int scope;
        if (mode == 0) {
            need_resident(c->type, site, "CrossCoreSetFlag mode 0 (all cores of a type)");
            parts = cores_where(c->type == Core::AIC ? is_aic : is_aiv, 0);
            targets = parts;
            scope = c->type == Core::AIC ? 0 : 1;
        } else if (mode == 1) {
            parts = cores_where(aivs_of, c->group);
            targets = parts;
            scope = 2;
        } else if (c->type == Core::AIC) {
            parts = {c};
            targets = cores_where(aivs_of, c->group);
            scope = 3;
        } else {
            parts = cores_where(aivs_of, c->group);
            targets = cores_where(aic_of, c->group);
            scope = 4;
        }
        need = parts.size();
        serial = contribute(std::make_tuple(scope, mode == 0 ? 0u : c->group, flag), parts, targets, flag, site);
    }
    RecordEntry& e = rec(Op::XSET, pipe, site);
    e.ev_src = e.ev_dst = static_cast<uint8_t>(pipe);
    e.event_id = static_cast<int16_t>(flag);
    e.a0 = static_cast<uint32_t>(mode);
    e.a1 = serial;
    e.a2 = static_cast<uint32_t>(need);
    rec_done();
}

void wait_impl(int64_t flag, Site site) {
    CoreCtx* c = L->cur;
    if (!L->scheduler) {
        c->blocked = Blocked::NO_SCHEDULER;
        c->wait_flag = flag;
        c->wait_site = site;
        fault(Kind::DEADLOCK, Mem::NONE, site,
              "%s (flag id %lld) under %s: the hardware starts no cross-core scheduler for this kernel type, so the "
              "wait never ends (declare KERNEL_TYPE_MIX_AIV_1_0, MIX_AIC_1_0, MIX_AIC_1_1 or MIX_AIC_1_2)",
              api_name(site.api), static_cast<long long>(flag), type_name(L->type));
    }
    if (c->counter[flag].empty()) {
        c->blocked = Blocked::FLAG;
        c->wait_flag = flag;
        c->wait_site = site;
        yield();
        c->blocked = Blocked::NONE;
    }
    uint32_t serial = c->counter[flag].front();
    c->counter[flag].pop_front();
    RecordEntry& e = rec(Op::XWAIT, Pipe::S, site);  // A2/A3: the wait holds every pipe (issue stops)
    e.ev_src = e.ev_dst = static_cast<uint8_t>(Pipe::S);
    e.event_id = static_cast<int16_t>(flag);
    e.a1 = serial;
    e.a2 = serial < L->need.size() ? L->need[serial] : 0;
    rec_done();
}

}  // namespace

// ========================================================================================= the API
void cross_set(int mode, Pipe pipe, int64_t flag, Site site) {
    check_cross_supported(site);
    if (mode < 0 || mode > 7 || !((R->cfg.cross_core_modes >> mode) & 1u)) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "CrossCoreSetFlag modeId %d is not supported on %s "
              "(supported mode mask 0x%llx)", mode, R->cfg.soc.c_str(),
              static_cast<unsigned long long>(R->cfg.cross_core_modes));
    }
    if (pipe == Pipe::S || pipe == Pipe::ALL || pipe == Pipe::NONE) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "CrossCoreSetFlag takes PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, "
              "PIPE_MTE3 or PIPE_FIX, not %s", pipe_name(pipe));
    }
    if ((mode == 1 || mode == 2) && L->scheduler && !L->mixed) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "CrossCoreSetFlag mode %d synchronises cores inside one AI "
              "Core and needs KERNEL_TYPE_MIX_AIC_1_1 or KERNEL_TYPE_MIX_AIC_1_2; the kernel runs as %s", mode,
              type_name(L->type));
    }
    if (mode == 1 && g.core == Core::AIC) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "CrossCoreSetFlag mode 1 synchronises the AIVs of an AI Core; "
              "an AIC cannot take part");
    }
    set_impl(mode, pipe, flag_id(flag, site), site);
}

void cross_wait(int64_t flag, Site site) {
    check_cross_supported(site);
    wait_impl(flag_id(flag, site), site);
}

void sync_all_hard(bool aiv_only, Site site) {
    check_cross_supported(site);
    barrier(Pipe::ALL, site);
    if (aiv_only) {
        if (L->scheduler) need_resident(g.core, site, "SyncAll");
        set_impl(0, Pipe::MTE3, kSyncAivOnlyAll, site);
        wait_impl(kSyncAivOnlyAll, site);
        return;
    }
    if (L->scheduler && !L->mixed) {
        fault(Kind::DEADLOCK, Mem::NONE, site, "SyncAll<false> syncs the AIVs with the AICs of a mixed kernel; under "
              "%s it waits for cores that do not exist and hangs (SyncAll.md: isAIVOnly must be true for a vector "
              "kernel)", type_name(L->type));
    }
    if (L->scheduler) {
        need_resident(Core::AIC, site, "SyncAll");
        need_resident(Core::AIV, site, "SyncAll");
    }
    if (g.core == Core::AIC) {
        wait_impl(kSyncAivFlag, site);
        set_impl(0, Pipe::FIX, kSyncAicFlag, site);
        wait_impl(kSyncAicFlag, site);
        set_impl(2, Pipe::MTE3, kSyncAicAivFlag, site);
    } else {
        set_impl(2, Pipe::MTE3, kSyncAivFlag, site);
        wait_impl(kSyncAicAivFlag, site);
    }
}

void sync_all_soft(bool aiv_only, const Ref& gm, const Ref& ub, int64_t used_cores, Site site) {
    if (g.core == Core::AIC) return;  // the soft sync is an AIV affair (the AIC returns at once)
    barrier(Pipe::ALL, site);
    int64_t blocks = aiv_only || !L->mixed ? R->block_dim : static_cast<int64_t>(R->block_dim) * L->ratio;
    if (used_cores < 0 || used_cores > blocks) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "SyncAll usedCores %lld is outside 0..%lld (the launch's "
              "AIV blocks)", static_cast<long long>(used_cores), static_cast<long long>(blocks));
    }
    int64_t total = used_cores ? used_cores : blocks;
    if (static_cast<uint64_t>(blocks) > (R->cfg.coupled ? R->cfg.aic_cores : R->cfg.aiv_cores)) {
        need_resident(Core::AIV, site, "SyncAll");
    }
    // isAIVOnly reads the hardware block index (both AIVs of an AI Core share it), else GetBlockIdx().
    int64_t idx = aiv_only && L->mixed ? (g.block_idx - g.sub_block_idx) / g.sub_block_num : g.block_idx;
    uint64_t bytes = static_cast<uint64_t>(std::max(total, idx + 1)) * 32;
    if (gm.bytes < bytes) {
        warn(site, "the SyncAll GM workspace has %llu bytes; %lld cores need %llu (GetBlockNum() * 32)",
             static_cast<unsigned long long>(gm.bytes), static_cast<long long>(total),
             static_cast<unsigned long long>(bytes));
    }
    check_gm_tensor(gm, 0, bytes, true, site);
    uint8_t* ubp = local(ub, 0, bytes, true, site, mem_align(ub.mem));
    uint8_t* slot = gm_host(gm.addr) + idx * 32;
    int32_t cur;
    std::memcpy(&cur, slot, 4);
    ++cur;
    std::memcpy(slot, &cur, 4);
    std::memcpy(ubp + idx * 32, &cur, 4);
    auto key = std::make_pair(gm.addr, static_cast<int64_t>(cur));
    auto it = L->soft_serial.find(key);
    uint32_t serial;
    if (it == L->soft_serial.end()) {
        L->need.push_back(static_cast<uint16_t>(std::min<int64_t>(total, 0xFFFF)));
        serial = static_cast<uint32_t>(L->need.size() - 1);
        L->soft_serial[key] = serial;
    } else {
        serial = it->second;
    }
    RecordEntry& e = rec(Op::XSET, Pipe::MTE3, site);
    e.ev_src = e.ev_dst = static_cast<uint8_t>(Pipe::MTE3);
    e.dst_mem = static_cast<uint8_t>(Mem::GM);
    e.dst_addr = gm_rec_addr(gm.addr + static_cast<uint64_t>(idx) * 32);
    e.bytes = 32;
    e.event_id = -1;
    e.a0 = 0xFF;  // soft sync
    e.a1 = serial;
    e.a2 = L->need[serial];
    rec_done();
    CoreCtx* c = L->cur;
    c->poll_gm = gm_host(gm.addr);
    c->poll_n = static_cast<uint64_t>(total);
    c->poll_target = total * static_cast<int64_t>(cur);
    if (!soft_sync_done(*c)) {
        c->blocked = Blocked::SOFT_SYNC;
        c->wait_flag = cur;
        c->wait_site = site;
        yield();
        c->blocked = Blocked::NONE;
    }
    std::memcpy(ubp, gm_host(gm.addr), static_cast<size_t>(total) * 32);
    RecordEntry& w = rec(Op::XWAIT, Pipe::S, site);
    w.ev_src = w.ev_dst = static_cast<uint8_t>(Pipe::S);
    w.src_mem = static_cast<uint8_t>(Mem::GM);
    w.src_addr = gm_rec_addr(gm.addr);
    w.bytes = static_cast<uint64_t>(total) * 32;
    w.event_id = -1;
    w.a0 = 0xFF;
    w.a1 = serial;
    w.a2 = L->need[serial];
    rec_done();
}

// The AI Core (AIC index) of the running core: its own index on an AIC, its group's on an AIV.
uint64_t current_ai_core() {
    if (L == nullptr || L->cur == nullptr) return 0;
    const CoreCtx& c = *L->cur;
    if (c.type == Core::AIC || L->mixed) return c.type == Core::AIC ? c.phys : c.group;
    uint64_t per = R->cfg.aic_cores ? std::max<uint64_t>(1, R->cfg.aiv_cores / R->cfg.aic_cores) : 1;
    return c.phys / per;
}
uint64_t current_phys() { return L != nullptr && L->cur != nullptr ? L->cur->phys : 0; }
bool per_core_build() { return hawk_entry_launch_aic != nullptr || hawk_entry_launch_aiv != nullptr; }
bool launch_mixed() { return L != nullptr && L->mixed; }

// ==================================================================================== the launch
void run_launch(uint8_t** args) {
    run_launch_fn([](void* a) { launch_entry(L->cur, static_cast<uint8_t**>(a)); }, args,
                  hawk_entry_core != nullptr ? hawk_entry_core() : 0, hawk_entry_mix != nullptr ? hawk_entry_mix() : -1);
}

void run_launch_fn(void (*run)(void*), void* ctx, int core, int mix) {
    Config& c = R->cfg;
    if (L != nullptr) {  // the previous launch of a host program: its cores are done
        for (Fiber* f : L->pool) {
            ::munmap(f->stack, kStackBytes + kGuardBytes);
            delete f;
        }
        delete L;
    }
    L = new Launch();
    L->run = run;
    L->ctx = ctx;
    L->need.push_back(0);
    select_kernel_type();
    int type = R->declared_type >= 0 ? R->declared_type : -1;
    if (R->declared_type == -1 && mix >= 0) {
        type = mix;  // __global__ __mix__(1, 2) void kernel(...)
        R->declared_type = type;
    }
    // A __cube__ entry with no declared type runs on AIC cores (a coupled SoC has one core type: no effect there).
    if (R->declared_type == -1 && core == 2 && !c.coupled) type = 1;
    // A Matmul client (lib/matmul_intf.h without ASCENDC_CUBE_ONLY) is built as a MIX 1:2 kernel by CANN: one AIC
    // serves the Matmul requests of two AIVs.
    if (R->declared_type == -1 && type == -1 && mm_mix_kernel() && !c.coupled) {
        type = 5;
        R->declared_type = type;
    }
    // A kernel compiled per core type that declares no type: the type CANN infers from its AIC and AIV code.
    if (R->declared_type == -1 && type == -1 && &hawk_inferred_kernel_type != nullptr && !c.coupled) {
        type = hawk_inferred_kernel_type;
        R->declared_type = type;
    }
    auto kt = R->key_types.find(g.tiling_key);
    if (kt != R->key_types.end()) type = kt->second;
    uint32_t line = R->declared_line;
    if (type > 9) {
        emit_result("RUNTIME_ERROR", "KERNEL_TASK_TYPE_DEFAULT(" + std::to_string(type) + ") at line " +
                    std::to_string(line) + " is not a KernelMetaType", "");
        _exit(0);
    }
    R->launch_type = R->declared_type == -2 && kt == R->key_types.end() ? -1 : type;
    R->kernel_mix = type >= 2;  // a fused Cube+Vector kernel: the UB/L1 reserve applies (mem_usable)
    L->type = type;
    L->scheduler = has_scheduler_type(type) && R->declared_type != -2;
    uint32_t n = R->block_dim;
    bool aic = type == 1 || type == 3 || type == 4 || type == 5;
    uint32_t ratio = type == 5 ? 2 : type == 4 ? 1 : 0;
    if (c.coupled) {  // one kind of core does everything
        aic = false;
        ratio = 0;
    }
    L->mixed = aic && ratio > 0;
    L->ratio = L->mixed ? ratio : 1;
    R->kernel_core = aic ? Core::AIC : Core::AIV;
    R->kernel_type_set = R->launch_type >= 0;
    if (L->mixed && n > c.aic_cores) {
        emit_result("RUNTIME_ERROR", "block dim " + std::to_string(n) + " of a " + type_name(type) + " kernel exceeds "
                    "the " + std::to_string(c.aic_cores) + " AI Cores (1 AIC + " + std::to_string(ratio) + " AIV each): a "
                    "mixed kernel's numBlocks may not exceed the physical AI Core count", "");
        _exit(0);
    }
    uint64_t ncores = c.coupled ? c.aic_cores : aic ? c.aic_cores : c.aiv_cores;
    uint32_t used = static_cast<uint32_t>(std::min<uint64_t>(n, ncores));
    for (uint32_t p = 0; p < used; ++p) {
        CoreCtx core;
        core.type = aic ? Core::AIC : Core::AIV;
        core.phys = p;
        core.group = L->mixed ? p : p / 2;
        core.gs = g;
        for (uint32_t b = p; b < n; b += used) core.blocks.push_back(b);
        L->cores.push_back(core);
        for (uint32_t s = 0; L->mixed && s < ratio; ++s) {
            CoreCtx v = core;
            v.type = Core::AIV;
            v.phys = p * 2 + s;  // the AIVs of AI Core p (GetBlockIdx() modulo the AIV count, as for faults)
            v.sub = s;
            L->cores.push_back(v);
        }
    }
    size_t start = 0;
    const size_t nc = L->cores.size();
    for (;;) {
        CoreCtx* pick = nullptr;
        bool left = false;
        size_t at = 0;
        for (size_t k = 0; k < nc; ++k) {
            size_t i = (start + k) % nc;
            CoreCtx& core = L->cores[i];
            if (core.fiber == nullptr && core.next >= core.blocks.size()) continue;
            left = true;
            if (runnable(core)) {
                pick = &core;
                at = i;
                break;
            }
        }
        if (!left) break;
        if (pick == nullptr) report_deadlock();
        resume(pick);
        start = at + 1;  // round robin: without cross-core waits, blocks run in block order as before
    }
}

}  // namespace hawk
