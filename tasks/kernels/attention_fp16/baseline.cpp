// Baseline for task attention_fp16: out = softmax(q k^T / sqrt(D)) v per batch-head, q/k/v/out float16
// [BH, S, D]. Naive on purpose (the 1.0x of speedups): vector unit only, one query row at a time, nothing
// overlapped. The query rows of all batch-heads are split evenly over the cores; a core keeps the float32
// k and v of its current batch-head in UB (S x D each) and for every query row:
//   scores = WholeReduceSum(k * q)      (q broadcast over the rows of k by a zero repeat stride)
//   p      = softmax(scores / sqrt(D))
//   out    = sum_j p_j v_j              (Brcb spreads p_j over a block, a zero block stride over the row)
// Limits: D = 64 (one float32 repeat per row) and S a multiple of 8 up to 256 (k and v fit in UB).
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

using T = half;
constexpr uint32_t D = 64;
constexpr uint32_t CHUNK = 64;   // rows of k or v per vector instruction (repeat count)

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint32_t, heads);        // BH
TILING_DATA_FIELD_DEF(uint32_t, seq);          // S
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);  // query rows (of BH * S) per core
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(AttentionCustom, TilingData)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    const gert::Shape& q = context->GetInputShape(0)->GetOriginShape();
    if (q.GetDimNum() != 3 || q.GetDim(2) != D || q.GetDim(1) % 8 != 0 || q.GetDim(1) > 256) {
        return ge::GRAPH_FAILED;
    }
    uint32_t heads = static_cast<uint32_t>(q.GetDim(0));
    uint32_t seq = static_cast<uint32_t>(q.GetDim(1));
    uint32_t cores = platform_ascendc::PlatformAscendC(context->GetPlatformInfo()).GetCoreNumAiv();
    uint32_t rows = heads * seq;
    uint32_t per = (rows + cores - 1) / cores;
    TilingData tiling;
    tiling.set_heads(heads);
    tiling.set_seq(seq);
    tiling.set_rowsPerCore(per);
    context->SetBlockDim((rows + per - 1) / per);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(AttentionCustom).Tiling(optiling::TilingFunc);

// Wait until every earlier instruction of the source pipe is done (e.g. V_S before a scalar reads a
// vector result).
template <HardEvent E>
__aicore__ inline void Sync()
{
    int32_t id = GetTPipePtr()->FetchEventID(E);
    SetFlag<E>(id);
    WaitFlag<E>(id);
}

class KernelAttention {
public:
    __aicore__ inline void Init(GM_ADDR q, GM_ADDR k, GM_ADDR v, GM_ADDR out, uint32_t heads, uint32_t seq,
                                uint32_t perCore)
    {
        this->seq = seq;
        uint32_t rows = heads * seq;
        start = perCore * GetBlockIdx();
        myRows = start < rows ? (rows - start < perCore ? rows - start : perCore) : 0;
        qGm.SetGlobalBuffer((__gm__ T*)q, uint64_t(rows) * D);
        kGm.SetGlobalBuffer((__gm__ T*)k, uint64_t(rows) * D);
        vGm.SetGlobalBuffer((__gm__ T*)v, uint64_t(rows) * D);
        outGm.SetGlobalBuffer((__gm__ T*)out, uint64_t(rows) * D);
        pipe.InitBuffer(inQ, 1, CHUNK * D * sizeof(T));     // a q row, or a chunk of k / v rows
        pipe.InitBuffer(outO, 1, D * sizeof(T));
        pipe.InitBuffer(kBuf, seq * D * sizeof(float));
        pipe.InitBuffer(vBuf, seq * D * sizeof(float));
        pipe.InitBuffer(prodBuf, CHUNK * D * sizeof(float));
        pipe.InitBuffer(qBuf, D * sizeof(float));
        pipe.InitBuffer(scoreBuf, seq * sizeof(float));
        pipe.InitBuffer(spreadBuf, seq * 32);
        pipe.InitBuffer(accBuf, D * sizeof(float));
        pipe.InitBuffer(workBuf, seq * sizeof(float));
        pipe.InitBuffer(redBuf, 32);
    }
    __aicore__ inline void Process()
    {
        uint32_t loadedHead = 0xFFFFFFFFu;
        for (uint32_t i = 0; i < myRows; ++i) {
            uint32_t row = start + i;
            uint32_t head = row / seq;
            if (head != loadedHead) {
                LoadHead(kGm, kBuf.Get<float>(), head);
                LoadHead(vGm, vBuf.Get<float>(), head);
                loadedHead = head;
            }
            Row(row, head);
        }
    }

private:
    // k or v of one batch-head, float16 in GM -> float32 in UB, CHUNK rows at a time.
    __aicore__ inline void LoadHead(const GlobalTensor<T>& src, const LocalTensor<float>& dst, uint32_t head)
    {
        for (uint32_t r = 0; r < seq; r += CHUNK) {
            uint32_t n = seq - r < CHUNK ? seq - r : CHUNK;
            LocalTensor<T> stage = inQ.AllocTensor<T>();
            DataCopy(stage, src[(uint64_t(head) * seq + r) * D], n * D);
            inQ.EnQue(stage);
            stage = inQ.DeQue<T>();
            Cast(dst[r * D], stage, RoundMode::CAST_NONE, n * D);
            inQ.FreeTensor(stage);
        }
        PipeBarrier<PIPE_V>();
    }

    __aicore__ inline void Row(uint32_t row, uint32_t head)
    {
        LocalTensor<float> kf = kBuf.Get<float>();
        LocalTensor<float> vf = vBuf.Get<float>();
        LocalTensor<float> prod = prodBuf.Get<float>();
        LocalTensor<float> qf = qBuf.Get<float>();
        LocalTensor<float> scores = scoreBuf.Get<float>();
        LocalTensor<float> spread = spreadBuf.Get<float>();
        LocalTensor<float> acc = accBuf.Get<float>();
        LocalTensor<float> red = redBuf.Get<float>();

        LocalTensor<T> qh = inQ.AllocTensor<T>();
        DataCopy(qh, qGm[uint64_t(row) * D], D);
        inQ.EnQue(qh);
        qh = inQ.DeQue<T>();
        Cast(qf, qh, RoundMode::CAST_NONE, D);
        inQ.FreeTensor(qh);
        PipeBarrier<PIPE_V>();

        // scores[j] = k_j . q
        for (uint32_t r = 0; r < seq; r += CHUNK) {
            uint32_t n = seq - r < CHUNK ? seq - r : CHUNK;
            Mul(prod, kf[r * D], qf, D, n, BinaryRepeatParams(1, 1, 1, 8, 8, 0));
            PipeBarrier<PIPE_V>();
            WholeReduceSum(scores[r], prod, D, n, 1, 1, 8);
            PipeBarrier<PIPE_V>();
        }

        // p = softmax(scores / sqrt(D))
        Muls(scores, scores, 0.125f, seq);
        PipeBarrier<PIPE_V>();
        ReduceMax(red, scores, workBuf.Get<float>(), seq);
        Sync<HardEvent::V_S>();
        float mx = red.GetValue(0);
        Adds(scores, scores, -mx, seq);
        PipeBarrier<PIPE_V>();
        Exp(scores, scores, seq);
        PipeBarrier<PIPE_V>();
        ReduceSum(red, scores, workBuf.Get<float>(), seq);
        Sync<HardEvent::V_S>();
        float sum = red.GetValue(0);
        Muls(scores, scores, 1.0f / sum, seq);
        PipeBarrier<PIPE_V>();

        // out = sum_j p_j v_j
        Brcb(spread, scores, seq / 8, BrcbRepeatParams(1, 8));
        Duplicate(acc, 0.0f, D);
        PipeBarrier<PIPE_V>();
        for (uint32_t r = 0; r < seq; r += CHUNK) {
            uint32_t n = seq - r < CHUNK ? seq - r : CHUNK;
            Mul(prod, vf[r * D], spread[r * 8], D, n, BinaryRepeatParams(1, 1, 0, 8, 8, 1));
            PipeBarrier<PIPE_V>();
            for (uint32_t live = n; live > 1; live -= live / 2) {  // fold the n rows onto row 0
                uint32_t h = live / 2;
                Add(prod, prod, prod[(live - h) * D], h * D);
                PipeBarrier<PIPE_V>();
            }
            Add(acc, acc, prod, D);
            PipeBarrier<PIPE_V>();
        }

        LocalTensor<T> o = outO.AllocTensor<T>();
        Cast(o, acc, RoundMode::CAST_RINT, D);
        outO.EnQue(o);
        o = outO.DeQue<T>();
        DataCopy(outGm[uint64_t(row) * D], o, D);
        outO.FreeTensor(o);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, 1> inQ;
    TQue<QuePosition::VECOUT, 1> outO;
    TBuf<TPosition::VECCALC> kBuf, vBuf, prodBuf, qBuf, scoreBuf, spreadBuf, accBuf, workBuf, redBuf;
    GlobalTensor<T> qGm, kGm, vGm, outGm;
    uint32_t seq = 0, start = 0, myRows = 0;
};

extern "C" __global__ __aicore__ void attention_custom(GM_ADDR q, GM_ADDR k, GM_ADDR v, GM_ADDR out,
                                                       GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(tilingData, tiling);
    KernelAttention op;
    op.Init(q, k, v, out, tilingData.heads, tilingData.seq, tilingData.rowsPerCore);
    op.Process();
}
