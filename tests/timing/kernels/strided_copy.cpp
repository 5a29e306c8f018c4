// Take the first 2 KB of each of 16 rows of 16 KB (x: 16 x 8192 half -> z: 16 x 1024 half), three ways: a loop of
// 16 contiguous DataCopy calls, one DataCopy with DataCopyParams (16 bursts, a GM stride), one DataCopyPad with
// byte-granular DataCopyExtParams. The copy out is one contiguous 32 KB DataCopy in all three.
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t ROWS = 16, ROW = 8192, KEEP = 1024;

template <int MODE>
class RowsCopy {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR z)
    {
        xGm.SetGlobalBuffer((__gm__ half *)x, ROWS * ROW);
        zGm.SetGlobalBuffer((__gm__ half *)z, ROWS * KEEP);
        pipe.InitBuffer(q, 1, ROWS * KEEP * sizeof(half));
    }
    __aicore__ inline void Process()
    {
        LocalTensor<half> t = q.AllocTensor<half>();
        if constexpr (MODE == 0) {
            for (uint32_t r = 0; r < ROWS; r++) {
                DataCopy(t[r * KEEP], xGm[r * ROW], KEEP);
            }
        } else if constexpr (MODE == 1) {
            DataCopyParams p;
            p.blockCount = ROWS;
            p.blockLen = KEEP * sizeof(half) / 32;
            p.srcStride = (ROW - KEEP) * sizeof(half) / 32;
            p.dstStride = 0;
            DataCopy(t, xGm, p);
        } else {
            DataCopyExtParams p{ROWS, KEEP * sizeof(half), (ROW - KEEP) * sizeof(half), 0, 0};
            DataCopyPadExtParams<half> pad{false, 0, 0, 0};
            DataCopyPad(t, xGm, p, pad);
        }
        q.EnQue(t);
        LocalTensor<half> o = q.DeQue<half>();
        DataCopy(zGm, o, ROWS * KEEP);
        q.FreeTensor(o);
    }

private:
    TPipe pipe;
    TQue<QuePosition::VECIN, 1> q;
    GlobalTensor<half> xGm, zGm;
};

extern "C" __global__ __aicore__ void rows_loop(GM_ADDR x, GM_ADDR z) { RowsCopy<0> op; op.Init(x, z); op.Process(); }
extern "C" __global__ __aicore__ void rows_params(GM_ADDR x, GM_ADDR z) { RowsCopy<1> op; op.Init(x, z); op.Process(); }
extern "C" __global__ __aicore__ void rows_pad(GM_ADDR x, GM_ADDR z) { RowsCopy<2> op; op.Init(x, z); op.Process(); }
