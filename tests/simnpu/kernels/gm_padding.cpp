// A task tensor is a GM allocation padded as aclrtMalloc documents (size rounded up to 32 B, plus 32 B): x holds
// 64 floats (256 B), so its allocation holds 288 B. Reading 8 floats at element PAD_READ_OFFSET is legal up to
// offset 64 (ends at byte 288) and GM_OUT_OF_BOUNDS from 65 on. y = x.
#include "kernel_operator.h"

#ifndef PAD_READ_OFFSET
#define PAD_READ_OFFSET 64
#endif

extern "C" __global__ __aicore__ void gm_pad(GM_ADDR x, GM_ADDR y)
{
    AscendC::TPipe pipe;
    AscendC::TBuf<AscendC::TPosition::VECCALC> buf;
    AscendC::GlobalTensor<float> xGm, yGm;
    xGm.SetGlobalBuffer((__gm__ float*)x);
    yGm.SetGlobalBuffer((__gm__ float*)y);
    pipe.InitBuffer(buf, 128 * sizeof(float));
    AscendC::LocalTensor<float> t = buf.Get<float>();
    AscendC::DataCopy(t, xGm, 64);
    AscendC::DataCopy(t[64], xGm[PAD_READ_OFFSET], 8);  // PAD READ
    AscendC::PipeBarrier<PIPE_ALL>();
    AscendC::DataCopy(yGm, t, 64);
}
