// A mixed kernel whose AIVs wait for a flag the AIC never sets: every core ends up blocked or done.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);
    if ASCEND_IS_AIC {
        CrossCoreSetFlag<2, PIPE_FIX>(4);  // the AIVs wait for flag 5, not 4
    }
    if ASCEND_IS_AIV {
        CrossCoreWaitFlag(5);  // FAULT
    }
}
