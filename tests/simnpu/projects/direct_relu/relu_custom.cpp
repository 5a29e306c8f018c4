// Test direct-launch kernel (the older "kernel invocation" sample layout): the kernel, and for the NPU build
// a <op>_do wrapper that launches it with <<<>>>; main.cpp is the host program.
#include "kernel_operator.h"

constexpr uint32_t TOTAL_LENGTH = 4096;

class KernelRelu {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y)
    {
        length = TOTAL_LENGTH / AscendC::GetBlockNum();
        xGm.SetGlobalBuffer((__gm__ half*)x + length * AscendC::GetBlockIdx(), length);
        yGm.SetGlobalBuffer((__gm__ half*)y + length * AscendC::GetBlockIdx(), length);
        pipe.InitBuffer(buf, length * sizeof(half));
    }
    __aicore__ inline void Process()
    {
        AscendC::LocalTensor<half> t = buf.Get<half>();
        AscendC::DataCopy(t, xGm, length);
        AscendC::SetFlag<AscendC::HardEvent::MTE2_V>(0);
        AscendC::WaitFlag<AscendC::HardEvent::MTE2_V>(0);
#ifdef __CCE_KT_TEST__
        AscendC::Abs(t, t, length);   // the CPU-debug branch: never what the twin compiles
#else
        AscendC::Relu(t, t, length);
#endif
        AscendC::SetFlag<AscendC::HardEvent::V_MTE3>(0);
        AscendC::WaitFlag<AscendC::HardEvent::V_MTE3>(0);
        AscendC::DataCopy(yGm, t, length);
    }

private:
    AscendC::TPipe pipe;
    AscendC::TBuf<AscendC::TPosition::VECCALC> buf;
    AscendC::GlobalTensor<half> xGm, yGm;
    uint32_t length = 0;
};

extern "C" __global__ __aicore__ void relu_custom(GM_ADDR x, GM_ADDR y)
{
    KernelRelu op;
    op.Init(x, y);
    op.Process();
}

#ifndef ASCENDC_CPU_DEBUG
void relu_custom_do(uint32_t blockDim, void* l2ctrl, void* stream, uint8_t* x, uint8_t* y)
{
    relu_custom<<<blockDim, l2ctrl, stream>>>(x, y);
}
#endif
