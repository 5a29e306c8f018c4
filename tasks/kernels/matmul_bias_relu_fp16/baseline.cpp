// Baseline for task matmul_bias_relu_fp16: y = relu(x @ w + bias), float16, float32 accumulation.
// Naive on purpose (the 1.0x of speedups): the output is cut into 128x128 tiles dealt round-robin to the
// AIC cores; for each tile the K loop moves one 128x64 slice of a and 64x128 of b through
// GM -> L1 (Nd2Nz) -> L0A/L0B (LoadData) -> Mmad into L0C with single-buffered queues, so nothing overlaps;
// Fixpipe converts the float32 accumulator to float16 and writes the valid rows and columns.
// Any M, N, K: when K is not a multiple of 16 the last K slice's padding fractals are zeroed first
// (from a zero block in the core's workspace), so padding cannot leak into the sums.
// The search's knobs (knowledge/transforms/cube.py): the base block BASE_M x BASE_N x BASE_K (mm_base_block),
// the depth of each TQue with its InitBuffer count (mm_pingpong), MAX_CORES and N_FIRST (mm_core_split); their
// values here are the naive ones. Known limit: a last M tile of one row (M % BASE_M == 1) runs Mmad with m = 1,
// which the cube treats as GEMV, so that row comes out wrong.
// Bias and ReLU stay on the cube side: each output tile starts as ones(1/16) [m x 16] @ bias16 [16 x n]
// (16 copies of the bias row, loaded by 16 one-row Nd2Nz copies), so L0C holds the bias before the K loop,
// and Fixpipe applies the ReLU while converting to float16.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

constexpr uint32_t BASE_M = 128;   // output tile rows (one Mmad's m)
constexpr uint32_t BASE_N = 128;   // output tile columns (n)
constexpr uint32_t BASE_K = 64;    // K slice per Mmad (k)
// How the output tiles are dealt to the cores (the core split): at most MAX_CORES cores (capped by the device's
// AIC count), tile t to core t % cores; N_FIRST numbers the tiles row by row (N index fastest), else column
// by column (M index fastest).
constexpr uint32_t MAX_CORES = 64;
constexpr bool N_FIRST = true;
// zero block (and constant block) of the core's workspace: one 16-column group of the larger tile side
constexpr uint32_t ZERO_ELEMS = (BASE_M > BASE_N ? BASE_M : BASE_N) * 16;
constexpr uint32_t WS_PER_CORE = 2 * ZERO_ELEMS * sizeof(half);   // bytes of workspace per core: zero block + constant block

__aicore__ inline uint32_t Align16(uint32_t v) { return (v + 15) / 16 * 16; }
__aicore__ inline uint32_t Min(uint32_t a, uint32_t b) { return a < b ? a : b; }

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint32_t, batch);
TILING_DATA_FIELD_DEF(uint32_t, m);
TILING_DATA_FIELD_DEF(uint32_t, k);
TILING_DATA_FIELD_DEF(uint32_t, n);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(MatmulBiasReluCustom, TilingData)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    const gert::Shape& a = context->GetInputShape(0)->GetOriginShape();
    const gert::Shape& b = context->GetInputShape(1)->GetOriginShape();
    uint32_t batch = 1;
    uint32_t m = static_cast<uint32_t>(a.GetDim(0));
    uint32_t k = static_cast<uint32_t>(a.GetDim(1));
    uint32_t n = static_cast<uint32_t>(b.GetDim(1));
    uint32_t cores = platform_ascendc::PlatformAscendC(context->GetPlatformInfo()).GetCoreNumAic();
    cores = cores < MAX_CORES ? cores : MAX_CORES;
    uint32_t tiles = batch * ((m + BASE_M - 1) / BASE_M) * ((n + BASE_N - 1) / BASE_N);
    uint32_t blockDim = tiles < cores ? tiles : cores;
    TilingData tiling;
    tiling.set_batch(batch);
    tiling.set_m(m);
    tiling.set_k(k);
    tiling.set_n(n);
    context->SetBlockDim(blockDim);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = static_cast<size_t>(blockDim) * WS_PER_CORE;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(MatmulBiasReluCustom).Tiling(optiling::TilingFunc);

class KernelMatmul {
public:
    __aicore__ inline void Init(GM_ADDR a, GM_ADDR b, GM_ADDR bias, GM_ADDR c, GM_ADDR workspace, uint32_t batch, uint32_t m, uint32_t k,
                                uint32_t n)
    {
        this->batch = batch;
        this->m = m;
        this->k = k;
        this->n = n;
        aGm.SetGlobalBuffer((__gm__ half*)a, uint64_t(batch) * m * k);
        bGm.SetGlobalBuffer((__gm__ half*)b, uint64_t(batch) * k * n);
        cGm.SetGlobalBuffer((__gm__ half*)c, uint64_t(batch) * m * n);
        biasGm.SetGlobalBuffer((__gm__ half*)bias, n);
        zeroGm.SetGlobalBuffer((__gm__ half*)workspace + GetBlockIdx() * (WS_PER_CORE / sizeof(half)), ZERO_ELEMS);
        constGm.SetGlobalBuffer((__gm__ half*)workspace + GetBlockIdx() * (WS_PER_CORE / sizeof(half)) + ZERO_ELEMS,
                                ZERO_ELEMS);
        pipe.InitBuffer(inA1, 1, BASE_M * BASE_K * sizeof(half));
        pipe.InitBuffer(inB1, 1, BASE_K * BASE_N * sizeof(half));
        pipe.InitBuffer(inA2, 1, BASE_M * BASE_K * sizeof(half));
        pipe.InitBuffer(inB2, 1, BASE_K * BASE_N * sizeof(half));
        pipe.InitBuffer(outCO1, 1, BASE_M * BASE_N * sizeof(float));
    }
    __aicore__ inline void Process()
    {
        zeroNeeded = (k % 16) != 0;
        if (zeroNeeded) {
            for (uint32_t i = 0; i < ZERO_ELEMS; ++i) {
                zeroGm.SetValue(i, half(0.0f));
            }
        }
        if (withBias) {
            // 1/16 in every element of a 128 x 16 block, written once by the scalar unit into this core's workspace.
            for (uint32_t i = 0; i < BASE_M * 16; ++i) {
                constGm.SetValue(i, half(0.0625f));
            }
        }
        if (zeroNeeded || withBias) {
            // scalar writes to GM sit in the data cache until flushed; then MTE2 may read them
            DataCacheCleanAndInvalid<half, CacheLine::ENTIRE_DATA_CACHE, DcciDst::CACHELINE_OUT>(zeroGm);
            DataCacheCleanAndInvalid<half, CacheLine::ENTIRE_DATA_CACHE, DcciDst::CACHELINE_OUT>(constGm);
            int32_t id = GetTPipePtr()->FetchEventID(HardEvent::S_MTE2);
            SetFlag<HardEvent::S_MTE2>(id);
            WaitFlag<HardEvent::S_MTE2>(id);
        }
        uint32_t mTiles = (m + BASE_M - 1) / BASE_M;
        uint32_t nTiles = (n + BASE_N - 1) / BASE_N;
        uint32_t tiles = batch * mTiles * nTiles;
        for (uint32_t t = GetBlockIdx(); t < tiles; t += GetBlockNum()) {
            uint32_t bi = t / (mTiles * nTiles);
            uint32_t mi = N_FIRST ? (t / nTiles) % mTiles : t % mTiles;
            uint32_t ni = N_FIRST ? t % nTiles : (t / mTiles) % nTiles;
            Tile(bi, mi * BASE_M, ni * BASE_N);
        }
    }

private:
    __aicore__ inline void Tile(uint32_t bi, uint32_t m0, uint32_t n0)
    {
        uint32_t mLen = Min(BASE_M, m - m0);
        uint32_t nLen = Min(BASE_N, n - n0);
        uint32_t mAlign = Align16(mLen);
        uint32_t nAlign = Align16(nLen);
        uint64_t aBase = uint64_t(bi) * m * k + uint64_t(m0) * k;
        uint64_t bBase = uint64_t(bi) * k * n + n0;
        LocalTensor<float> c = outCO1.AllocTensor<float>();
        bool first = true;
        if (withBias) {
            // c = (1/16)[mAlign x 16] @ (16 x bias)[16 x nAlign]: the bias in every row.
            LocalTensor<half> a1 = inA1.AllocTensor<half>();
            DataCopy(a1, constGm, mAlign * 16);   // the ones block, NZ = one column group
            inA1.EnQue(a1);
            LocalTensor<half> b1 = inB1.AllocTensor<half>();
            for (uint32_t r = 0; r < 16; ++r) {
                DataCopy(b1[r * 16], biasGm[n0], Nd2NzParams(1, 1, nLen, 0, nLen, 16, 1, 0));
            }
            inB1.EnQue(b1);
            SplitAndMmad(c, mAlign, nAlign, 16, mLen, nLen, 16, true);
            first = false;
        }
        for (uint32_t k0 = 0; k0 < k; k0 += BASE_K) {
            uint32_t kLen = Min(BASE_K, k - k0);
            uint32_t kAlign = Align16(kLen);
            // GM -> L1, ND -> NZ (column groups of 16 elements, mAlign / kAlign rows per group)
            LocalTensor<half> a1 = inA1.AllocTensor<half>();
            LocalTensor<half> b1 = inB1.AllocTensor<half>();
            if (kLen != kAlign) {
                // zero a's last column group and b's last row of fractals before the partial copies land
                DataCopy(a1[(kAlign - 16) * mAlign], zeroGm, mAlign * 16);
                DataCopy(b1[(kAlign - 16) * 16], zeroGm,
                         DataCopyParams(nAlign / 16, 16, 0, (kAlign * 16 * sizeof(half) - 512) / 32));
                PipeBarrier<PIPE_MTE2>();
            }
            DataCopy(a1, aGm[aBase + k0], Nd2NzParams(1, mLen, kLen, 0, k, mAlign, 1, 0));
            DataCopy(b1, bGm[bBase + uint64_t(k0) * n], Nd2NzParams(1, kLen, nLen, 0, n, kAlign, 1, 0));
            inA1.EnQue(a1);
            inB1.EnQue(b1);
            SplitAndMmad(c, mAlign, nAlign, kAlign, mLen, nLen, kLen, first);
            first = false;
        }
        outCO1.EnQue(c);
        c = outCO1.DeQue<float>();
        FixpipeParamsV220 params;
        params.nSize = nLen;
        params.mSize = mLen;
        params.srcStride = mAlign;
        params.dstStride = n;
        params.quantPre = QuantMode_t::F322F16;
        params.reluEn = true;
        Fixpipe<half, float, CFG_ROW_MAJOR>(cGm[uint64_t(bi) * m * n + uint64_t(m0) * n + n0], c, params);
        outCO1.FreeTensor(c);
    }

    // L1 -> L0A (NZ -> ZZ, one row of fractals per LoadData) and L0B (NZ -> Zn: k rows of transposed fractals), then
    // c (+)= a2 @ b2. Consumes the tiles queued in inA1 / inB1.
    __aicore__ inline void SplitAndMmad(const LocalTensor<float>& c, uint32_t mAlign, uint32_t nAlign, uint32_t kAlign,
                                        uint32_t mLen, uint32_t nLen, uint32_t kLen, bool init)
    {
        LocalTensor<half> a1 = inA1.DeQue<half>();
        LocalTensor<half> b1 = inB1.DeQue<half>();
        LocalTensor<half> a2 = inA2.AllocTensor<half>();
        LocalTensor<half> b2 = inB2.AllocTensor<half>();
        for (uint32_t i = 0; i < mAlign / 16; ++i) {
            LoadData(a2[i * 16 * kAlign], a1[i * 16 * 16], LoadData2DParams(0, kAlign / 16, mAlign / 16, 0, 0, false, 0));
        }
        for (uint32_t i = 0; i < kAlign / 16; ++i) {  // one k row of L0B's Zn fractals ([k1][n1]) per LoadData
            LoadData(b2[i * 16 * nAlign], b1[i * 16 * 16], LoadData2DParams(0, nAlign / 16, kAlign / 16, 0, 0, true, 0));
        }
        inA2.EnQue(a2);
        inB2.EnQue(b2);
        inA1.FreeTensor(a1);
        inB1.FreeTensor(b1);
        a2 = inA2.DeQue<half>();
        b2 = inB2.DeQue<half>();
        MmadParams mm;
        mm.m = mLen;
        mm.n = nLen;
        mm.k = kLen;
        mm.cmatrixInitVal = init;
        Mmad(c, a2, b2, mm);
        inA2.FreeTensor(a2);
        inB2.FreeTensor(b2);
    }

    TPipe pipe;
    TQue<TPosition::A1, 1> inA1;
    TQue<TPosition::B1, 1> inB1;
    TQue<TPosition::A2, 1> inA2;
    TQue<TPosition::B2, 1> inB2;
    TQue<TPosition::CO1, 1> outCO1;
    GlobalTensor<half> aGm, bGm, cGm, zeroGm, constGm;
    GlobalTensor<half> biasGm;
    uint32_t batch = 1, m = 0, k = 0, n = 0;
    bool zeroNeeded = false;
    static constexpr bool withBias = true;
};

extern "C" __global__ __aicore__ void matmul_bias_relu_custom(GM_ADDR a, GM_ADDR b, GM_ADDR bias, GM_ADDR c, GM_ADDR workspace, GM_ADDR tiling)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    GET_TILING_DATA(tilingData, tiling);
    KernelMatmul op;
    op.Init(a, b, bias, c, workspace, tilingData.batch, tilingData.m, tilingData.k, tilingData.n);
    op.Process();
}
