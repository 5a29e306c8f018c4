// The same copy-in / compute / copy-out pipeline with BUFFER_NUM 1 and 2 and the same tile size: with 2 buffers
// per queue (handed out in a ring) the MTE2 copy of tile i+1 overlaps the Vector work of tile i and the MTE3 copy
// of tile i-1, so the double-buffered kernel is faster in simulated time.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t TOTAL = 32768;
constexpr uint32_t TILE = 2048;

template <int32_t BUFFER_NUM>
class Pipeline {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR z)
    {
        xGm.SetGlobalBuffer((__gm__ float *)x, TOTAL);
        zGm.SetGlobalBuffer((__gm__ float *)z, TOTAL);
        pipe.InitBuffer(inQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, TILE * sizeof(float));
    }
    __aicore__ inline void Process()
    {
        for (uint32_t i = 0; i < TOTAL / TILE; i++) {
            LocalTensor<float> xLocal = inQueue.template AllocTensor<float>();
            DataCopy(xLocal, xGm[i * TILE], TILE);
            inQueue.EnQue(xLocal);
            LocalTensor<float> xIn = inQueue.template DeQue<float>();
            LocalTensor<float> zLocal = outQueue.template AllocTensor<float>();
            Exp(zLocal, xIn, TILE);
            Muls(zLocal, zLocal, 0.5f, TILE);
            outQueue.EnQue(zLocal);
            inQueue.FreeTensor(xIn);
            LocalTensor<float> zOut = outQueue.template DeQue<float>();
            DataCopy(zGm[i * TILE], zOut, TILE);
            outQueue.FreeTensor(zOut);
        }
    }

private:
    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    GlobalTensor<float> xGm, zGm;
};

extern "C" __global__ __aicore__ void single_buffer(GM_ADDR x, GM_ADDR z)
{
    Pipeline<1> op;
    op.Init(x, z);
    op.Process();
}

extern "C" __global__ __aicore__ void double_buffer(GM_ADDR x, GM_ADDR z)
{
    Pipeline<2> op;
    op.Init(x, z);
    op.Process();
}
