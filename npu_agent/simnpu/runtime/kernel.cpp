// Kernel-level services: kernel type, tiling data, platform queries, tiling registration.
#include "internal.h"

namespace hawk {

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
    R->kernel_mix = type >= 2;  // the fused-kernel reserve of UB/L1 applies (mem_usable)
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

}  // namespace hawk
