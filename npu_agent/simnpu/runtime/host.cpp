// The host program of a direct-launch / .asc candidate, run as on the device (docs/kernel-contract.md section 9):
// the candidate's own main() runs in the sandbox after the lockdown, its AscendCL calls (hawk/host/acl/acl.h) are
// served here, and each `<<<>>>` launch (rewritten by shapes.py into hawk/hostlaunch.h) runs every block through
// the launch machinery of crosscore.cpp with the arguments the host computed.
//
// Device memory: aclrtMalloc returns a twin GM buffer, padded as the documentation says (size rounded up to
// `gm_alloc round` bytes plus `extra` bytes, start aligned to `align`; the numbers come from the hardware profile),
// registered as a bounds-checked GM region, so a kernel access inside the padding is legal and one past it is
// GM_OUT_OF_BOUNDS. The task's tensors: at the FIRST launch, the kernel's pointer arguments are bound in order to
// the task's inputs then outputs (further pointers, e.g. workspace or tiling, are left alone); the task's input
// data is copied into the bound buffers right before that launch, and after every launch the bound output buffers
// are copied to the task's outputs. When main() returns (or calls exit), an on_exit handler writes the result:
// a non-zero status is a RUNTIME_ERROR naming it.
//
// Files: the sandbox forbids writing files. So that a sample's own data_utils.h WriteFile does not end the run,
// a write-open by the host program fails with EACCES instead of reaching the kernel (and seccomp); kernel code
// and everything before the host program keep the seccomp rule (the process is killed).
#include <sys/syscall.h>

#include <exception>

#include "hawk/host/acl/acl.h"
#include "hawk/hostlaunch.h"
#include "internal.h"

extern "C" int hawk_host_program() __attribute__((weak));  // defined by a direct-launch build with a host main()
extern "C" const hawk_host_site hawk_host_sites[] __attribute__((weak));
extern "C" unsigned long long hawk_entry_abi();

namespace hawk {

namespace {

constexpr int kHostPhase = 4;  // g_phase: the host program runs (0 setup, 1 tiling, 2 kernel, 3 done)

struct DevAlloc {
    uint8_t* base = nullptr;  // what aclrtMalloc returned: an address in the GM window (device memory is not host memory)
    uint64_t bytes = 0;   // what the host asked for
    uint64_t padded = 0;  // what the allocation really holds (documented padding)
    int id = 0;
};

struct Binding {
    uint8_t* ptr;
    size_t tensor;  // index into R->cfg.tensors
    int alloc_id;
};

struct HostState {
    std::map<uint8_t*, DevAlloc> allocs;  // by base address
    int next_id = 1;
    int launches = 0;
    std::vector<Binding> bound;
    std::string last_error;
    uint64_t kernel_ns = 0;
};
HostState* H = nullptr;

uint64_t round_up(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }

uint64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string shown_file(const char* file) {
    std::string f = file ? file : "";
    if (f.rfind("src/", 0) == 0) f = f.substr(4);
    return f;
}

const hawk_host_site* site_of(const hawk_host_launch_info* info) {
    if (hawk_host_sites == nullptr) return nullptr;
    for (const hawk_host_site* s = hawk_host_sites; s->file != nullptr; ++s) {
        if (info->line >= s->line && info->line <= s->last && std::strcmp(s->file, info->file) == 0) return s;
    }
    return nullptr;
}

// "the launch of add_custom at add.asc:57"
std::string where(const hawk_host_launch_info* info, const hawk_host_site* s) {
    std::string w = "the <<<>>> launch";
    if (s != nullptr && s->callee && *s->callee) w += std::string(" of ") + s->callee;
    std::string f = s != nullptr && s->shown ? std::string(s->shown) : shown_file(info->file);
    w += " at " + (f.empty() ? std::string("line ") : f + ":") + std::to_string(info->line);
    return w;
}

// The argument's text in the candidate's launch ("" when unknown).
std::string arg_src(const hawk_host_site* s, int idx) {
    if (s == nullptr || s->args == nullptr) return "";
    const char* p = s->args;
    for (int i = 0; i < idx && p != nullptr; ++i) {
        p = std::strchr(p, '\x1f');
        if (p != nullptr) ++p;
    }
    if (p == nullptr) return "";
    const char* e = std::strchr(p, '\x1f');
    return e ? std::string(p, e) : std::string(p);
}

// "argument 2 (`yDevice`)"
std::string arg_text(const hawk_host_site* s, int idx) {
    std::string t = arg_src(s, idx);
    return "argument " + std::to_string(idx + 1) + (t.empty() ? "" : " (`" + t + "`)");
}

const DevAlloc* alloc_at(const uint8_t* p) {
    auto it = H->allocs.upper_bound(const_cast<uint8_t*>(p));
    if (it == H->allocs.begin()) return nullptr;
    --it;
    const DevAlloc& a = it->second;
    return p >= a.base && p < a.base + std::max<uint64_t>(a.padded, 1) ? &a : nullptr;
}

// A device-side range of a copy or memset: inside its allocation (padding included), or host memory (not ours to
// check). The runtime would refuse a range past the allocation; writing it here would corrupt the process.
bool dev_range_ok(const void* p, size_t n) {
    if (H == nullptr) return true;
    auto it = H->allocs.upper_bound(static_cast<uint8_t*>(const_cast<void*>(p)));
    if (it == H->allocs.begin()) return true;
    --it;
    const DevAlloc& a = it->second;
    const uint8_t* q = static_cast<const uint8_t*>(p);
    if (q >= a.base + a.padded) return true;  // past this allocation: host memory
    return q + n <= a.base + a.padded;
}

bool alive(int id) {
    for (auto& kv : H->allocs)
        if (kv.second.id == id) return true;
    return false;
}

[[noreturn]] void end_run(const char* status, const std::string& msg) {
    emit_result(status, msg, "");
    _exit(0);
}

std::string task_tensors() {
    std::string in, out;
    for (auto& t : R->cfg.tensors) (t.output ? out : in) += (t.output ? out : in).empty() ? t.name : ", " + t.name;
    return "inputs " + (in.empty() ? std::string("none") : in) + "; outputs " + (out.empty() ? std::string("none") : out);
}

// The first launch binds the task's tensors to its pointer arguments, in order.
void bind_tensors(const hawk_host_launch_info* info, const hawk_host_site* s) {
    const size_t nt = R->cfg.tensors.size();
    if (static_cast<size_t>(info->nptrs) < nt) {
        end_run("REJECTED", where(info, s) + " passes " + std::to_string(info->nptrs) + " pointer argument(s); the "
                "task has " + std::to_string(nt) + " tensors (" + task_tensors() + "), which the twin binds in "
                "that order to the first kernel launch's pointer arguments (docs/kernel-contract.md section 9)");
    }
    for (size_t k = 0; k < nt; ++k) {
        const TensorArg& t = R->cfg.tensors[k];
        uint8_t* p = info->ptrs[k];
        std::string arg = arg_text(s, info->ptr_arg[k]);
        std::string role = std::string(t.output ? "output " : "input ") + t.name;
        const DevAlloc* a = alloc_at(p);
        if (a == nullptr || p >= a->base + a->bytes) {
            end_run("REJECTED", where(info, s) + ": " + arg + ", bound to the task's " + role + ", is " +
                    (p == nullptr ? std::string("a null pointer")
                                  : std::string("not device memory from aclrtMalloc (a host pointer, or freed)")) +
                    "; the twin copies the task's tensors into the device buffers of the first launch");
        }
        uint64_t avail = static_cast<uint64_t>(a->base + a->bytes - p);
        if (avail < t.bytes) {
            end_run("REJECTED", where(info, s) + ": " + arg + " is bound to the task's " + role + " of " +
                    std::to_string(t.bytes) + " bytes, but its device buffer (aclrtMalloc of " +
                    std::to_string(a->bytes) + " bytes) holds only " + std::to_string(avail) +
                    " bytes from there: the host program's sizes do not match the task's shapes");
        }
        H->bound.push_back({p, k, a->id});
        std::string src = arg_src(s, info->ptr_arg[k]);
        for (auto& r : R->gm) {  // out-of-bounds messages name the buffer as the candidate does
            if (r.base == a->base) r.name = (src.empty() ? arg : src) + " (task " + role + ", " + r.name + ")";
        }
    }
}

void copy_inputs() {
    for (auto& b : H->bound) {
        const TensorArg& t = R->cfg.tensors[b.tensor];
        if (!t.output) std::memcpy(gm_host(b.ptr), t.data, t.bytes);
    }
}

void copy_outputs() {
    for (auto& b : H->bound) {
        const TensorArg& t = R->cfg.tensors[b.tensor];
        if ((t.output || t.written) && alive(b.alloc_id)) std::memcpy(t.data, gm_host(b.ptr), t.bytes);
    }
}

void host_exit(int status, void*) {
    if (R == nullptr || R->result_written) return;
    g_phase = 3;
    if (status != 0 && (H->launches == 0 || !H->last_error.empty())) {
        emit_result("RUNTIME_ERROR", "the host program's main() returned " + std::to_string(status) +
                    " (or called exit(" + std::to_string(status) + ")) after " + std::to_string(H->launches) +
                    " kernel launch(es); a sample's main() returns non-zero when a step failed" +
                    (H->last_error.empty() ? std::string() : " (last AscendCL error: " + H->last_error + ")"), "");
        return;
    }
    if (status != 0) {
        // The launches ran on the task's inputs, not on the data the host prepared, so a sample's own check of the
        // output against its own golden fails; the task's verification decides instead.
        add_warning("the host program's main() returned " + std::to_string(status) + " after " +
                    std::to_string(H->launches) + " kernel launch(es) with no AscendCL error: a sample's own check "
                    "compares with the data it prepared, which the twin replaced with the task's inputs");
    }
    if (H->launches == 0) {
        emit_result("RUNTIME_ERROR", "the host program ended without launching a kernel (no <<<>>> launch ran)", "");
        return;
    }
    // No msync: the runner reads the outputs' shared pages through the page cache after the process ends.
    const char* cores = R->launch_type == 4 ? "1 AIC + 1 AIV" : R->launch_type == 5 ? "1 AIC + 2 AIV"
                        : R->kernel_core == Core::AIC ? "AIC" : "AIV";
    emit_result("OK", "ran " + std::to_string(R->block_dim) + " block(s) on " + cores + " cores (host program: " +
                std::to_string(H->launches) + " launch(es))", "");
}

void host_terminate() {
    std::string what = "an uncaught exception";
    try {
        std::exception_ptr e = std::current_exception();
        if (e) std::rethrow_exception(e);
    } catch (const std::bad_alloc&) {
        end_run("SANDBOX_VIOLATION", "memory limit exhausted: the host program's allocation failed (std::bad_alloc)");
    } catch (const std::exception& e) {
        what = std::string("an uncaught exception: ") + e.what();
    } catch (...) {
    }
    end_run("RUNTIME_ERROR", "the host program ended with " + what);
}

aclError fail(aclError code, const std::string& msg) {
    if (H != nullptr) H->last_error = msg;
    return code;
}

aclError dev_malloc(void** out, size_t size, bool extra, const char* api) {
    if (out == nullptr || size == 0) return fail(ACL_ERROR_INVALID_PARAM, std::string(api) + ": devPtr is null or size is 0");
    if (H == nullptr) return fail(ACL_ERROR_UNINITIALIZE, std::string(api) + " outside the host program");
    const Config& c = R->cfg;
    uint64_t padded = round_up(size, c.gm_alloc_round) + (extra ? c.gm_alloc_extra : 0);
    uint64_t align = std::max<uint64_t>(c.gm_alloc_align, 16);
    (void)align;  // a window address is 2 MiB aligned
    uint8_t* real = nullptr;
    try {
        // The documentation does not promise the contents, but memory fresh from the driver reads as zero, and
        // public samples rely on it (asc-devkit cross_core_set_wait_flag accumulates atomically into a fresh one).
        real = gm_shared_alloc(padded);
    } catch (const std::bad_alloc&) {
        return fail(ACL_ERROR_RT_MEMORY_ALLOCATION, std::string(api) + ": out of memory");
    }
    // Device memory is handed out at a GM window address, as the task's tensors are: the host program and its
    // kernels reach it through AscendCL and the Ascend C API (a raw read from a kernel is charged, anything else
    // raw is refused: process.cpp).
    int id = H->next_id++;
    uint8_t* p = gm_window_add(real, padded, std::string(api) + " #" + std::to_string(id) + " (" +
                                                 std::to_string(size) + " bytes + " + std::to_string(padded - size) +
                                                 " of padding)");
    H->allocs[p] = DevAlloc{p, size, padded, id};
    *out = p;
    return ACL_SUCCESS;
}

// Writable open flags, as seccomp_lockdown.h refuses them.
constexpr int kWriteFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;

bool refuse_write(int flags) {
    if ((flags & kWriteFlags) && g_phase.load() == kHostPhase) {
        errno = EACCES;
        return true;
    }
    return false;
}

int flags_of(const char* mode) {
    int f = 0;
    bool plus = std::strchr(mode, '+') != nullptr;
    switch (mode[0]) {
        case 'r': f = plus ? O_RDWR : O_RDONLY; break;
        case 'w': f = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC; break;
        case 'a': f = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND; break;
        default: f = -1;
    }
    if (f >= 0 && std::strchr(mode, 'x')) f |= O_EXCL;
    if (f >= 0 && std::strchr(mode, 'e')) f |= O_CLOEXEC;
    return f;
}

int sys_openat(int dirfd, const char* path, int flags, mode_t mode) {
    if (refuse_write(flags)) return -1;
    return static_cast<int>(::syscall(SYS_openat, dirfd, path, flags, mode));
}

FILE* do_fopen(const char* path, const char* mode) {
    int flags = mode ? flags_of(mode) : -1;
    if (flags < 0) {
        errno = EINVAL;
        return nullptr;
    }
    int fd = sys_openat(AT_FDCWD, path, flags, 0666);
    if (fd < 0) return nullptr;
    FILE* f = ::fdopen(fd, mode);
    if (f == nullptr) ::close(fd);
    return f;
}

}  // namespace

// Called by process.cpp's constructor (after the lockdown) when the candidate brings a host main().
bool host_program_setup() {
    if (hawk_host_program == nullptr) return false;
    if (hawk_entry_abi() != HAWK_ABI_SIGNATURE) {
        emit_result("INTERNAL", "twin ABI mismatch: the candidate was compiled against other twin headers than "
                    "the runtime (stale build or precompiled header)", "");
        _exit(2);
    }
    H = new HostState();
    R->block_dim = 0;
    ::on_exit(host_exit, nullptr);
    std::set_terminate(host_terminate);
    g_phase = kHostPhase;
    return true;
}

bool host_program_running() { return H != nullptr; }

uint64_t kernel_time_ns() { return H != nullptr ? H->kernel_ns : 0; }

}  // namespace hawk

using namespace hawk;

// ====================================================================================== the launch
extern "C" void hawk_host_launch(const hawk_host_launch_info* info) {
    const hawk_host_site* s = site_of(info);
    if (H == nullptr || g_phase.load() != kHostPhase) {
        end_run("RUNTIME_ERROR", where(info, s) + " runs outside the host program (a <<<>>> launch from kernel code or "
                "from a static initialiser is not possible on the device)");
    }
    const Config& c = R->cfg;
    if (info->block_dim <= 0 || static_cast<uint64_t>(info->block_dim) > c.max_block_dim) {
        end_run("RUNTIME_ERROR", where(info, s) + " asks for numBlocks " + std::to_string(info->block_dim) +
                "; it must be between 1 and " + std::to_string(c.max_block_dim));
    }
    bool first = H->launches == 0;
    if (first) bind_tensors(info, s);
    ++H->launches;
    R->block_dim = static_cast<uint32_t>(info->block_dim);
    if (first) copy_inputs();
    int declared = R->declared_type;
    uint64_t t0 = now_ns();
    g_phase = 2;
    int core = info->core != 0 || s == nullptr ? info->core : s->core;
    int mix = info->mix >= 0 || s == nullptr ? info->mix : s->mix;
    run_launch_fn(info->run, info->ctx, core, mix);
    g_phase = kHostPhase;
    H->kernel_ns += now_ns() - t0;
    R->declared_type = declared;  // a __mix__ qualifier is the launched kernel's, not the program's
    copy_outputs();
}

// ======================================================================================== AscendCL
extern "C" {
aclError aclInit(const char*) { return ACL_SUCCESS; }
aclError aclFinalize(void) { return ACL_SUCCESS; }
aclError aclrtSetDevice(int32_t id) {
    return id == 0 ? ACL_SUCCESS : fail(ACL_ERROR_RT_INVALID_DEVICEID, "aclrtSetDevice: the twin has device 0 only");
}
aclError aclrtResetDevice(int32_t) { return ACL_SUCCESS; }
aclError aclrtGetDevice(int32_t* id) {
    if (id == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtGetDevice: null pointer");
    *id = 0;
    return ACL_SUCCESS;
}
aclError aclrtGetDeviceCount(uint32_t* n) {
    if (n == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtGetDeviceCount: null pointer");
    *n = 1;
    return ACL_SUCCESS;
}
aclError aclrtGetRunMode(aclrtRunMode* m) {
    if (m == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtGetRunMode: null pointer");
    *m = ACL_HOST;
    return ACL_SUCCESS;
}
static int g_handle;  // streams, contexts and events are handles to nothing: every launch is synchronous
aclError aclrtCreateContext(aclrtContext* c, int32_t) {
    if (c == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtCreateContext: null pointer");
    *c = &g_handle;
    return ACL_SUCCESS;
}
aclError aclrtDestroyContext(aclrtContext) { return ACL_SUCCESS; }
aclError aclrtSetCurrentContext(aclrtContext) { return ACL_SUCCESS; }
aclError aclrtGetCurrentContext(aclrtContext* c) {
    if (c == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtGetCurrentContext: null pointer");
    *c = &g_handle;
    return ACL_SUCCESS;
}
aclError aclrtCreateStream(aclrtStream* st) {
    if (st == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtCreateStream: null pointer");
    *st = &g_handle;
    return ACL_SUCCESS;
}
aclError aclrtDestroyStream(aclrtStream) { return ACL_SUCCESS; }
aclError aclrtSynchronizeStream(aclrtStream) { return ACL_SUCCESS; }
aclError aclrtSynchronizeStreamWithTimeout(aclrtStream, int32_t) { return ACL_SUCCESS; }
aclError aclrtSynchronizeDevice(void) { return ACL_SUCCESS; }
aclError aclrtMalloc(void** p, size_t size, aclrtMemMallocPolicy) { return dev_malloc(p, size, true, "aclrtMalloc"); }
aclError aclrtMallocCached(void** p, size_t size, aclrtMemMallocPolicy) {
    return dev_malloc(p, size, true, "aclrtMallocCached");
}
// aclrtMallocAlign32 rounds the size up to 32 bytes without aclrtMalloc's extra 32 (aclcppdevg_03_0096).
aclError aclrtMallocAlign32(void** p, size_t size, aclrtMemMallocPolicy) {
    return dev_malloc(p, size, false, "aclrtMallocAlign32");
}
aclError aclrtMallocHost(void** p, size_t size) {
    if (p == nullptr || size == 0) return fail(ACL_ERROR_INVALID_PARAM, "aclrtMallocHost: hostPtr is null or size is 0");
    *p = std::malloc(size);
    return *p ? ACL_SUCCESS : fail(ACL_ERROR_BAD_ALLOC, "aclrtMallocHost: out of memory");
}
aclError aclrtFree(void* p) {
    if (p == nullptr || H == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtFree: null pointer");
    auto it = H->allocs.find(static_cast<uint8_t*>(p));
    if (it == H->allocs.end()) return fail(ACL_ERROR_INVALID_PARAM, "aclrtFree: not the start of an aclrtMalloc buffer");
    copy_outputs();  // what the kernels left in a bound output buffer survives its release
    for (auto r = R->gm.begin(); r != R->gm.end(); ++r) {
        if (r->base == it->first) {
            if (r->alias) ::munmap(r->base, (std::max<uint64_t>(r->bytes, 1) + 4095) / 4096 * 4096);
            gm_shared_free(r->real, r->bytes);
            R->gm.erase(r);
            break;
        }
    }
    H->allocs.erase(it);
    return ACL_SUCCESS;
}
aclError aclrtFreeHost(void* p) {
    std::free(p);
    return ACL_SUCCESS;
}
aclError aclrtMemcpy(void* dst, size_t destMax, const void* src, size_t count, aclrtMemcpyKind) {
    if (count == 0) return ACL_SUCCESS;
    if (dst == nullptr || src == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtMemcpy: null pointer");
    if (count > destMax) return fail(ACL_ERROR_INVALID_PARAM, "aclrtMemcpy: count is larger than destMax");
    if (!dev_range_ok(dst, count) || !dev_range_ok(src, count)) {
        return fail(ACL_ERROR_INVALID_PARAM, "aclrtMemcpy: the copy runs past the end of a device allocation");
    }
    std::memmove(gm_host(dst), gm_host(src), count);
    return ACL_SUCCESS;
}
aclError aclrtMemcpyAsync(void* dst, size_t destMax, const void* src, size_t count, aclrtMemcpyKind kind,
                          aclrtStream) {
    return aclrtMemcpy(dst, destMax, src, count, kind);
}
aclError aclrtMemset(void* p, size_t maxCount, int32_t value, size_t count) {
    if (p == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtMemset: null pointer");
    if (count > maxCount) return fail(ACL_ERROR_INVALID_PARAM, "aclrtMemset: count is larger than maxCount");
    if (!dev_range_ok(p, count)) {
        return fail(ACL_ERROR_INVALID_PARAM, "aclrtMemset: the range runs past the end of a device allocation");
    }
    std::memset(gm_host(p), value, count);
    return ACL_SUCCESS;
}
aclError aclrtMemsetAsync(void* p, size_t maxCount, int32_t value, size_t count, aclrtStream) {
    return aclrtMemset(p, maxCount, value, count);
}
aclError aclrtGetMemInfo(int32_t, size_t* fr, size_t* total) {
    if (fr == nullptr || total == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtGetMemInfo: null pointer");
    *total = static_cast<size_t>(R->cfg.hbm_bytes);
    *fr = *total;
    return ACL_SUCCESS;
}
aclError aclrtCreateEvent(aclrtEvent* e) {
    if (e == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtCreateEvent: null pointer");
    *e = &g_handle;
    return ACL_SUCCESS;
}
aclError aclrtCreateEventWithFlag(aclrtEvent* e, uint32_t) { return aclrtCreateEvent(e); }
aclError aclrtCreateEventExWithFlag(aclrtEvent* e, uint32_t) { return aclrtCreateEvent(e); }
aclError aclrtDestroyEvent(aclrtEvent) { return ACL_SUCCESS; }
aclError aclrtRecordEvent(aclrtEvent, aclrtStream) { return ACL_SUCCESS; }
aclError aclrtSynchronizeEvent(aclrtEvent) { return ACL_SUCCESS; }
aclError aclrtEventElapsedTime(float* ms, aclrtEvent, aclrtEvent) {
    if (ms == nullptr) return fail(ACL_ERROR_INVALID_PARAM, "aclrtEventElapsedTime: null pointer");
    *ms = 0.0f;  // the twin's time is the cycle model's (the profile), not the host's
    return ACL_SUCCESS;
}
aclError aclrtStreamWaitEvent(aclrtStream, aclrtEvent) { return ACL_SUCCESS; }
aclError aclrtGetLastError(int32_t) { return ACL_SUCCESS; }
const char* aclGetRecentErrMsg(void) { return H != nullptr && !H->last_error.empty() ? H->last_error.c_str() : ""; }
const char* aclrtGetSocName(void) { return R->cfg.soc.c_str(); }
float aclFloat16ToFloat(aclFloat16 v) { return static_cast<float>(load(DT::F16, reinterpret_cast<const uint8_t*>(&v))); }
aclFloat16 aclFloatToFloat16(float v) {
    aclFloat16 h;
    store(DT::F16, reinterpret_cast<uint8_t*>(&h), v);
    return h;
}

// ---------------------------------------------------------------------------- file opens (see the top)
int open(const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? static_cast<mode_t>(va_arg(ap, int)) : 0;
    va_end(ap);
    return sys_openat(AT_FDCWD, path, flags, mode);
}
int open64(const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? static_cast<mode_t>(va_arg(ap, int)) : 0;
    va_end(ap);
    return sys_openat(AT_FDCWD, path, flags, mode);
}
int openat(int dirfd, const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? static_cast<mode_t>(va_arg(ap, int)) : 0;
    va_end(ap);
    return sys_openat(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char* path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? static_cast<mode_t>(va_arg(ap, int)) : 0;
    va_end(ap);
    return sys_openat(dirfd, path, flags, mode);
}
int creat(const char* path, mode_t mode) { return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char* path, mode_t mode) { return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
FILE* fopen(const char* path, const char* mode) { return do_fopen(path, mode); }
FILE* fopen64(const char* path, const char* mode) { return do_fopen(path, mode); }
}  // extern "C"
