// SyncAll in a kernel declared KERNEL_TYPE_AIV_ONLY: the hardware starts no cross-core scheduler, so it hangs.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
    SyncAll();  // FAULT
}
