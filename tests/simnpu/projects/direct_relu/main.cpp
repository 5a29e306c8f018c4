// Test direct-launch host program: the NPU branch uses AscendCL, the CPU-debug branch the CPU twin of CANN.
// The Ascend C twin compiles the NPU branch and runs it (docs/kernel-contract.md section 9).
#include <cstdint>
#ifndef ASCENDC_CPU_DEBUG
#include "acl/acl.h"
extern void relu_custom_do(uint32_t blockDim, void* l2ctrl, void* stream, uint8_t* x, uint8_t* y);
#else
#include "tikicpulib.h"
extern "C" __global__ __aicore__ void relu_custom(GM_ADDR x, GM_ADDR y);
#endif

int32_t main(int32_t argc, char* argv[])
{
    uint32_t blockDim = 4;
    size_t bytes = 4096 * sizeof(uint16_t);
#ifdef ASCENDC_CPU_DEBUG
    uint8_t* x = (uint8_t*)AscendC::GmAlloc(bytes);
    uint8_t* y = (uint8_t*)AscendC::GmAlloc(bytes);
    ICPU_RUN_KF(relu_custom, blockDim, x, y);
    AscendC::GmFree(x);
    AscendC::GmFree(y);
#else
    aclInit(nullptr);
    aclrtSetDevice(0);
    aclrtStream stream = nullptr;
    aclrtCreateStream(&stream);
    uint8_t *xDevice = nullptr, *yDevice = nullptr;
    aclrtMalloc((void**)&xDevice, bytes, ACL_MEM_MALLOC_HUGE_FIRST);
    aclrtMalloc((void**)&yDevice, bytes, ACL_MEM_MALLOC_HUGE_FIRST);
    relu_custom_do(blockDim, nullptr, stream, xDevice, yDevice);
    aclrtSynchronizeStream(stream);
    aclrtFree(xDevice);
    aclrtFree(yDevice);
    aclrtDestroyStream(stream);
    aclrtResetDevice(0);
    aclFinalize();
#endif
    return 0;
}
