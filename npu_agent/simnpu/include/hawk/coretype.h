// The kernel translation unit compiled for one core type, as CANN's device compiler builds a kernel for a separated
// AIC/AIV architecture: once for the cube sub-arch and once for the vector one (asc-devkit sys_macros.h:
// `constexpr int32_t g_coreType = AscendC::AIC` under __DAV_CUBE__, `AscendC::AIV` under __DAV_VEC__, and
// ASCEND_IS_AIC / ASCEND_IS_AIV constants), so g_coreType may appear in constant expressions (a template argument,
// `if constexpr`, a default template argument). npu_agent/simnpu/percore.py generates the two translation units:
// each defines HAWK_CORE_VARIANT (1 AIC, 2 AIV) and the profile's sub-arch macros, then includes this header before
// the kernel. The runtime calls hawk_entry_launch_aic on AIC cores and hawk_entry_launch_aiv on AIV cores
// (hawk/launch.h, runtime/crosscore.cpp). A kernel compiled once (the default) keeps g_coreType a runtime value.
#ifndef HAWK_CORETYPE_H
#define HAWK_CORETYPE_H

#include "kernel_operator.h"

#if !defined(HAWK_CORE_VARIANT) || (HAWK_CORE_VARIANT != 1 && HAWK_CORE_VARIANT != 2)
#error "hawk/coretype.h needs HAWK_CORE_VARIANT 1 (AIC) or 2 (AIV)"
#endif

#undef g_coreType
#undef ASCEND_IS_AIV
#undef ASCEND_IS_AIC
#undef ASCEND_IS_NOT_AIV
#undef ASCEND_IS_NOT_AIC

#if HAWK_CORE_VARIANT == 1
constexpr int32_t g_coreType = AscendC::AIC;
#define HAWK_ENTRY_VARIANT hawk_entry_launch_aic
#else
constexpr int32_t g_coreType = AscendC::AIV;
#define HAWK_ENTRY_VARIANT hawk_entry_launch_aiv
#endif

// Parenthesised constants rather than CANN's `constexpr(...)` spelling: `if ASCEND_IS_AIV {` reads the same, and
// kernels written for the twin's runtime form (`ASCEND_IS_AIC ? 1 : 0`) keep compiling.
#define ASCEND_IS_AIV (g_coreType == ::AscendC::AIV)
#define ASCEND_IS_AIC (g_coreType == ::AscendC::AIC)
#define ASCEND_IS_NOT_AIV (g_coreType != ::AscendC::AIV)
#define ASCEND_IS_NOT_AIC (g_coreType != ::AscendC::AIC)

#endif  // HAWK_CORETYPE_H
