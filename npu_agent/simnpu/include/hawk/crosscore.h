// Cross-core synchronisation of mixed AIC+AIV kernels: CrossCoreSetFlag / CrossCoreWaitFlag, SyncAll (hard and
// soft), the core-type variable g_coreType, and the CCE intrinsics they stand for. Our own code written from the
// public Ascend C documentation (核间同步: CrossCoreSetFlag, CrossCoreWaitFlag, SyncAll, 关键特性说明).
// The semantics (flag counters, modes, which cores take part) live in runtime/crosscore.cpp.
#ifndef HAWK_CROSSCORE_H
#define HAWK_CROSSCORE_H

#include <cstdint>

#include "hawk/runtime.h"
#include "hawk/tensor.h"

namespace AscendC {

// Core types as the device headers name them (g_coreType compares against these).
constexpr int32_t MIX = 0;
constexpr int32_t AIC = 1;
constexpr int32_t AIV = 2;

// CrossCoreSetFlag<modeId, pipe>(flagId): modeId 0 all AICs (or all AIVs) of the launch, 1 the AIVs of one AI Core,
// 2 the AIC and the AIVs of one AI Core. `pipe` is the pipe whose earlier work the flag waits for.
template <uint8_t modeId, pipe_t pipe> __aicore__ inline void CrossCoreSetFlag(uint16_t flagId, HAWK_LINE) {
    hawk::cross_set(modeId, detail::pipe_of(pipe), flagId, HAWK_SITE(CrossCoreSetFlag));
}
// On A2/A3 modeId and pipe of the wait have no effect: the wait stops every pipe of the core.
template <uint8_t modeId = 0, pipe_t pipe = PIPE_S> __aicore__ inline void CrossCoreWaitFlag(uint16_t flagId,
                                                                                            HAWK_LINE) {
    hawk::cross_wait(flagId, HAWK_SITE(CrossCoreWaitFlag));
}

struct SyncAllConfig {
    pipe_t triggerPipe;
    pipe_t waitPipe;
};
constexpr SyncAllConfig DEFAULT_SYNC_ALL_CONFIG = {PIPE_ALL, PIPE_ALL};

// Hard sync (flag ids 11..14 of CrossCoreSetFlag): isAIVOnly=true syncs every AIV of the launch; false syncs
// AIVs and AICs of a mixed kernel. The `config` form is an Ascend 950 feature.
template <bool isAIVOnly = true, const SyncAllConfig& config = DEFAULT_SYNC_ALL_CONFIG>
__aicore__ inline void SyncAll(HAWK_LINE) {
    if constexpr (config.triggerPipe != PIPE_ALL || config.waitPipe != PIPE_ALL) {
        hawk::fault(hawk::Kind::UNSUPPORTED_API, hawk::Mem::NONE, HAWK_SITE(SyncAll),
                    "SyncAll with a SyncAllConfig (trigger/wait pipes) is an Ascend 950 form, not available on A2/A3");
    }
    hawk::sync_all_hard(isAIVOnly, HAWK_SITE(SyncAll));
}
// Soft sync over a zero-initialised GM workspace of >= GetBlockNum() * 32 bytes and a UB scratch of the same size.
template <bool isAIVOnly = true>
__aicore__ inline void SyncAll(const GlobalTensor<int32_t>& gmWorkspace, const LocalTensor<int32_t>& ubWorkspace,
                               const int32_t usedCores = 0, HAWK_LINE) {
    hawk::sync_all_soft(isAIVOnly, gmWorkspace.ref(), ubWorkspace.ref_, usedCores, HAWK_SITE(SyncAll));
}

}  // namespace AscendC

// The core type of the running core, as ASCENDC_CPU_DEBUG builds spell it (AscendC::AIC / AscendC::AIV).
#define g_coreType (::hawk::g.core == ::hawk::Core::AIC ? ::AscendC::AIC : ::AscendC::AIV)

// CCE intrinsics behind CrossCoreSetFlag / CrossCoreWaitFlag: config = 1 | mode << 4 | flagId << 8.
inline void ffts_cross_core_sync(pipe_t pipe, uint64_t config, HAWK_LINE) {
    hawk::cross_set(static_cast<int>((config >> 4) & 0x3), AscendC::detail::pipe_of(pipe),
                    static_cast<int64_t>((config >> 8) & 0xF), HAWK_SITE(CrossCoreSetFlag));
}
inline void wait_flag_dev(int64_t flagId, HAWK_LINE) { hawk::cross_wait(flagId, HAWK_SITE(CrossCoreWaitFlag)); }

#endif  // HAWK_CROSSCORE_H
