// An AIC sets a mode-2 flag 16 times and its AIVs never wait: each AIV's counter for that flag id may count to
// 15 only.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void fault_kernel(GM_ADDR x, GM_ADDR z)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);
    if ASCEND_IS_AIC {
        for (int i = 0; i < 16; ++i) {
            CrossCoreSetFlag<2, PIPE_FIX>(1);  // FAULT
        }
    }
}
