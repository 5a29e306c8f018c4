// DTYPE_<ARG> in a one-file candidate: the element type comes from the task (half or float), as a CANN build
// defines DTYPE_X / DTYPE_Y from the op's dtypes. Without a task the macros are undefined (a compile error).
#include "kernel_operator.h"

extern "C" __global__ __aicore__ void copy_dtype(GM_ADDR x, GM_ADDR y)
{
    AscendC::TPipe pipe;
    AscendC::TBuf<AscendC::TPosition::VECCALC> buf;
    AscendC::GlobalTensor<DTYPE_X> xGm;
    AscendC::GlobalTensor<DTYPE_Y> yGm;
    xGm.SetGlobalBuffer((__gm__ DTYPE_X*)x, 256);
    yGm.SetGlobalBuffer((__gm__ DTYPE_Y*)y, 256);
    pipe.InitBuffer(buf, 256 * sizeof(DTYPE_X));
    AscendC::LocalTensor<DTYPE_X> t = buf.Get<DTYPE_X>();
    AscendC::DataCopy(t, xGm, 256);
    AscendC::PipeBarrier<PIPE_ALL>();
    AscendC::DataCopy(yGm, t, 256);
}
