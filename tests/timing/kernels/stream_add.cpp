// A streaming add z = x + y (float16) through TQue queues, written the way tutorials write it: CopyIn (MTE2),
// Compute (Vector), CopyOut (MTE3) per tile. BUFFER_NUM is the queue depth; the tile size is the same for both
// depths, so the only difference is whether tile i+1's MTE2 copies may run while tile i is added and written.
// The rows of the tensors are split over GetBlockNum() blocks (the task's block dim).
#include "kernel_operator.h"
using namespace AscendC;

#ifndef STREAM_TILE
#define STREAM_TILE 8192u   // halves per tile: 16 KiB per copy
#endif
constexpr uint32_t TILE = STREAM_TILE;

template <int32_t BUFFER_NUM>
class StreamAdd {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t total)
    {
        uint32_t per = total / GetBlockNum();
        uint32_t base = per * GetBlockIdx();
        length = per;
        xGm.SetGlobalBuffer((__gm__ half *)x + base, per);
        yGm.SetGlobalBuffer((__gm__ half *)y + base, per);
        zGm.SetGlobalBuffer((__gm__ half *)z + base, per);
        pipe.InitBuffer(inX, BUFFER_NUM, TILE * sizeof(half));
        pipe.InitBuffer(inY, BUFFER_NUM, TILE * sizeof(half));
        pipe.InitBuffer(outZ, BUFFER_NUM, TILE * sizeof(half));
    }
    __aicore__ inline void Process()
    {
        for (uint32_t i = 0; i < length / TILE; i++) {
            CopyIn(i);
            Compute();
            CopyOut(i);
        }
    }

private:
    __aicore__ inline void CopyIn(uint32_t i)
    {
        LocalTensor<half> x = inX.template AllocTensor<half>();
        LocalTensor<half> y = inY.template AllocTensor<half>();
        DataCopy(x, xGm[i * TILE], TILE);
        DataCopy(y, yGm[i * TILE], TILE);
        inX.EnQue(x);
        inY.EnQue(y);
    }
    __aicore__ inline void Compute()
    {
        LocalTensor<half> x = inX.template DeQue<half>();
        LocalTensor<half> y = inY.template DeQue<half>();
        LocalTensor<half> z = outZ.template AllocTensor<half>();
        Add(z, x, y, TILE);
        outZ.EnQue(z);
        inX.FreeTensor(x);
        inY.FreeTensor(y);
    }
    __aicore__ inline void CopyOut(uint32_t i)
    {
        LocalTensor<half> z = outZ.template DeQue<half>();
        DataCopy(zGm[i * TILE], z, TILE);
        outZ.FreeTensor(z);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX, inY;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outZ;
    GlobalTensor<half> xGm, yGm, zGm;
    uint32_t length = 0;
};

// The element count comes from the task's shape: STREAM_TOTAL is defined by the test (-D), default 1 Mi.
#ifndef STREAM_TOTAL
#define STREAM_TOTAL (1u << 20)
#endif

extern "C" __global__ __aicore__ void stream_add_d1(GM_ADDR x, GM_ADDR y, GM_ADDR z)
{
    StreamAdd<1> op;
    op.Init(x, y, z, STREAM_TOTAL);
    op.Process();
}

extern "C" __global__ __aicore__ void stream_add_d2(GM_ADDR x, GM_ADDR y, GM_ADDR z)
{
    StreamAdd<2> op;
    op.Init(x, y, z, STREAM_TOTAL);
    op.Process();
}
