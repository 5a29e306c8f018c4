// fp16 Matmul C = A x B on the cube cores (written to docs/kernel-contract.md): A (M x K) and B (K x N) move
// GM -> L1 with ND -> NZ conversion (Nd2NzParams), L1 -> L0A (Zz) / L0B (Zn) with LoadData (B transposed per fractal),
// Mmad accumulates in fp32 in L0C, and Fixpipe writes C to GM as fp16 (F322F16). Each core computes a band
// of BAND rows. Direct-launch style: the sizes are constants, the block count comes from the task.
#include "kernel_operator.h"

using namespace AscendC;

constexpr uint32_t M = 64, K = 64, N = 64;
constexpr uint32_t BAND = 32;              // rows of C per core: GetBlockNum() must be M / BAND
constexpr uint32_t FRAC = 16;              // fp16 fractal edge
constexpr uint32_t M_BLOCKS = BAND / FRAC, K_BLOCKS = K / FRAC, N_BLOCKS = N / FRAC;

class KernelMatmul {
public:
    __aicore__ inline void Init(GM_ADDR a, GM_ADDR b, GM_ADDR c)
    {
        aGm.SetGlobalBuffer((__gm__ half *)a + GetBlockIdx() * BAND * K, BAND * K);
        bGm.SetGlobalBuffer((__gm__ half *)b, K * N);
        cGm.SetGlobalBuffer((__gm__ half *)c + GetBlockIdx() * BAND * N, BAND * N);
        pipe.InitBuffer(inQueueA1, 1, BAND * K * sizeof(half));
        pipe.InitBuffer(inQueueB1, 1, K * N * sizeof(half));
        pipe.InitBuffer(inQueueA2, 1, BAND * K * sizeof(half));
        pipe.InitBuffer(inQueueB2, 1, K * N * sizeof(half));
        pipe.InitBuffer(outQueueCO1, 1, BAND * N * sizeof(float));
    }
    __aicore__ inline void Process()
    {
        CopyIn();
        SplitA();
        SplitB();
        Compute();
        CopyOut();
    }

private:
    __aicore__ inline void CopyIn()
    {
        LocalTensor<half> a1 = inQueueA1.AllocTensor<half>();
        LocalTensor<half> b1 = inQueueB1.AllocTensor<half>();
        // ndNum, nValue (rows), dValue (cols), srcNdMatrixStride, srcDValue, dstNzC0Stride, dstNzNStride, dstNzMatrixStride
        DataCopy(a1, aGm, Nd2NzParams(1, BAND, K, 0, K, BAND, 1, 0));
        DataCopy(b1, bGm, Nd2NzParams(1, K, N, 0, N, K, 1, 0));
        inQueueA1.EnQue(a1);
        inQueueB1.EnQue(b1);
    }
    __aicore__ inline void SplitA()
    {
        LocalTensor<half> a1 = inQueueA1.DeQue<half>();
        LocalTensor<half> a2 = inQueueA2.AllocTensor<half>();
        for (uint32_t i = 0; i < M_BLOCKS; ++i) {  // NZ -> ZZ: the k fractals of row band i, side by side
            LoadData2DParams params;
            params.repeatTimes = K_BLOCKS;
            params.srcStride = M_BLOCKS;
            params.ifTranspose = false;
            LoadData(a2[i * FRAC * K], a1[i * FRAC * FRAC], params);
        }
        inQueueA2.EnQue(a2);
        inQueueA1.FreeTensor(a1);
    }
    __aicore__ inline void SplitB()
    {
        LocalTensor<half> b1 = inQueueB1.DeQue<half>();
        LocalTensor<half> b2 = inQueueB2.AllocTensor<half>();
        // NZ -> Zn: L0B holds the k rows of fractals one after another ([k1][n1]), each fractal transposed. In L1
        // (NZ) the n fractals of k row i lie K_BLOCKS apart, so one LoadData per k row gathers them.
        for (uint32_t i = 0; i < K_BLOCKS; ++i) {
            LoadData2DParams params;
            params.repeatTimes = N_BLOCKS;
            params.srcStride = K_BLOCKS;
            params.ifTranspose = true;
            LoadData(b2[i * N_BLOCKS * FRAC * FRAC], b1[i * FRAC * FRAC], params);
        }
        inQueueB2.EnQue(b2);
        inQueueB1.FreeTensor(b1);
    }
    __aicore__ inline void Compute()
    {
        LocalTensor<half> a2 = inQueueA2.DeQue<half>();
        LocalTensor<half> b2 = inQueueB2.DeQue<half>();
        LocalTensor<float> c1 = outQueueCO1.AllocTensor<float>();
        Mmad(c1, a2, b2, MmadParams(BAND, N, K));
        outQueueCO1.EnQue(c1);
        inQueueA2.FreeTensor(a2);
        inQueueB2.FreeTensor(b2);
    }
    __aicore__ inline void CopyOut()
    {
        LocalTensor<float> c1 = outQueueCO1.DeQue<float>();
        FixpipeParamsV220 params(N, BAND, BAND, N, false);  // nSize, mSize, srcStride, dstStride, reluEn
        params.quantPre = QuantMode_t::F322F16;
        Fixpipe<half, float, CFG_ROW_MAJOR>(cGm, c1, params);
        outQueueCO1.FreeTensor(c1);
    }

    TPipe pipe;
    TQue<QuePosition::A1, 1> inQueueA1;
    TQue<QuePosition::B1, 1> inQueueB1;
    TQue<QuePosition::A2, 1> inQueueA2;
    TQue<QuePosition::B2, 1> inQueueB2;
    TQue<QuePosition::CO1, 1> outQueueCO1;
    GlobalTensor<half> aGm, bGm, cGm;
};

extern "C" __global__ __aicore__ void matmul_custom(GM_ADDR a, GM_ADDR b, GM_ADDR c, GM_ADDR workspace, GM_ADDR tiling)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    KernelMatmul op;
    op.Init(a, b, c);
    op.Process();
}
