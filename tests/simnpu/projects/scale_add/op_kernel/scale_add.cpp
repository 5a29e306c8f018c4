// Test op project: z = x * alpha + y, in DTYPE_X (half or float, from the task), double-buffered.
#include "kernel_operator.h"
using namespace AscendC;

class KernelScaleAdd {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t total, uint32_t tile, float alpha)
    {
        uint32_t per = total / GetBlockNum();
        tileLength = tile;
        tiles = per / tile;
        this->alpha = static_cast<DTYPE_X>(alpha);
        xGm.SetGlobalBuffer((__gm__ DTYPE_X*)x + per * GetBlockIdx(), per);
        yGm.SetGlobalBuffer((__gm__ DTYPE_Y*)y + per * GetBlockIdx(), per);
        zGm.SetGlobalBuffer((__gm__ DTYPE_Z*)z + per * GetBlockIdx(), per);
        pipe.InitBuffer(inX, 2, tile * sizeof(DTYPE_X));
        pipe.InitBuffer(inY, 2, tile * sizeof(DTYPE_Y));
        pipe.InitBuffer(outZ, 2, tile * sizeof(DTYPE_Z));
    }
    __aicore__ inline void Process()
    {
        for (uint32_t i = 0; i < tiles; ++i) {
            LocalTensor<DTYPE_X> xl = inX.AllocTensor<DTYPE_X>();
            LocalTensor<DTYPE_Y> yl = inY.AllocTensor<DTYPE_Y>();
            DataCopy(xl, xGm[i * tileLength], tileLength);
            DataCopy(yl, yGm[i * tileLength], tileLength);
            inX.EnQue(xl);
            inY.EnQue(yl);
            xl = inX.DeQue<DTYPE_X>();
            yl = inY.DeQue<DTYPE_Y>();
            LocalTensor<DTYPE_Z> zl = outZ.AllocTensor<DTYPE_Z>();
            Muls(zl, xl, alpha, tileLength);
            Add(zl, zl, yl, tileLength);
            outZ.EnQue(zl);
            inX.FreeTensor(xl);
            inY.FreeTensor(yl);
            zl = outZ.DeQue<DTYPE_Z>();
            DataCopy(zGm[i * tileLength], zl, tileLength);
            outZ.FreeTensor(zl);
        }
    }

private:
    TPipe pipe;
    TQue<QuePosition::VECIN, 2> inX, inY;
    TQue<QuePosition::VECOUT, 2> outZ;
    GlobalTensor<DTYPE_X> xGm;
    GlobalTensor<DTYPE_Y> yGm;
    GlobalTensor<DTYPE_Z> zGm;
    DTYPE_X alpha;
    uint32_t tileLength = 0, tiles = 0;
};

extern "C" __global__ __aicore__ void scale_add(GM_ADDR x, GM_ADDR y, GM_ADDR z, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(t, tiling);
    KernelScaleAdd op;
    op.Init(x, y, z, t.totalLength, t.tileLength, t.alpha);
    op.Process();
}
