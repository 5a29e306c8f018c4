// Kernel-level services: kernel type, tiling data, platform queries, tiling registration.
#include "internal.h"

namespace hawk {

bool register_kernel_type(int type, int64_t key, uint32_t line, uint64_t file) {
    if (R == nullptr) return false;
    R->type_regs.push_back({type, key, line, file});
    return true;
}

// The KERNEL_TASK_TYPE_DEFAULT / KERNEL_TASK_TYPE statements of the launched entry: those inside its body (launch.cpp
// names the entry's file and lines); with no body span known, or none inside it, those outside the entry's file
// (a helper header), as a source's other entries do not count.
void select_kernel_type() {
    const uint64_t* span = hawk_entry_span != nullptr ? hawk_entry_span() : nullptr;
    auto in_body = [&](const Runtime::TypeReg& r) { return span && r.file == span[0] && r.line >= span[1] && r.line <= span[2]; };
    bool any_in_body = false;
    for (const Runtime::TypeReg& r : R->type_regs) any_in_body = any_in_body || in_body(r);
    for (const Runtime::TypeReg& r : R->type_regs) {
        if (span != nullptr && (any_in_body ? !in_body(r) : r.file == span[0])) continue;
        if (r.key < 0) {
            if (R->declared_type == -1) {
                R->declared_type = r.type;
                R->declared_line = r.line;
            } else if (R->declared_type != r.type) {
                R->declared_type = -2;  // several different defaults: decided per block (kernel_type below)
            }
        } else {
            R->key_types[static_cast<uint64_t>(r.key)] = r.type;
        }
    }
}

void kernel_type(int type, Site site) {
    // KernelMetaType { AIV_ONLY, AIC_ONLY, MIX_AIV_1_0, MIX_AIC_1_0, MIX_AIC_1_1, MIX_AIC_1_2, AICORE, VECTORCORE,
    //                  MIX_AICORE, MIX_VECTOR_CORE }
    if (type < 0 || type > 9) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "KERNEL_TASK_TYPE_DEFAULT(%d) is not a KernelMetaType", type);
    }
    // The launch already runs with the type registered at static initialisation (crosscore.cpp).
    if (R->launch_type >= 0) return;
    // Fallback when one source declares several different defaults: this block's cores follow the statement.
    Core want;
    switch (type) {
        case 0: case 2: case 6: case 7: case 9: want = Core::AIV; break;
        case 1: case 3: want = Core::AIC; break;
        default:
            fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
                  "the source declares several different KERNEL_TASK_TYPE_DEFAULT values; a mixed AIC+AIV type must "
                  "be the only one (the twin decides the launch's cores from it before the kernel runs)");
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
    R->kernel_mix = type >= 2;  // the fused-kernel reserve of UB/L1 applies (mem_usable)
    if (g.core != want && per_core_build()) {
        fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
              "KERNEL_TASK_TYPE_DEFAULT chooses this block's core type while the block runs, but the kernel was "
              "compiled per core type (it uses g_coreType or ASCEND_IS_AIC/AIV as a constant): declare one type");
    }
    if (g.core != want) {
        g.core = want;
        bind_core_memories(static_cast<uint64_t>(g.block_idx) % (want == Core::AIC ? R->cfg.aic_cores
                                                                                  : R->cfg.aiv_cores));
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

void register_tiling_parse(TilingParseThunk thunk, gert::TilingParseFunc fn, const char* op_type) {
    if (R == nullptr) return;
    R->tiling_parse_thunk = thunk;
    R->tiling_parse_fn = fn;
    if (R->op_type.empty() && op_type != nullptr) R->op_type = op_type;
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
void note(const std::string& message) { add_warning(message); }
void reject(const std::string& message) {
    emit_result("REJECTED", message, "");
    _exit(0);
}

}  // namespace hawk
