// Matmul high-level API: c = a @ b (+ bias), half inputs, float output, tiled by MultiCoreMatmulTiling in the
// host tiling function. b is [K, N], or [N, K] (transposed) when its first dimension is not K. Entries:
// hl_matmul_all (IterateAll to GM), hl_matmul_iter (Iterate + GetTensorC to GM), hl_matmul_ub (Iterate +
// GetTensorC to a VECIN tensor, then Relu on the vector unit and DataCopy out). A bias of shape [1] means no bias.
#include "kernel_operator.h"
#include "lib/matmul_intf.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"
#include "tiling/tiling_api.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(HlMatmulTiling)
TILING_DATA_FIELD_DEF(uint32_t, transB);
TILING_DATA_FIELD_DEF(uint32_t, useBias);
TILING_DATA_FIELD_DEF_STRUCT(TCubeTiling, cubeTilingData);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(HlMatmul, HlMatmulTiling)

static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    auto platform = platform_ascendc::PlatformAscendC(context->GetPlatformInfo());
    const gert::Shape& a = context->GetInputShape(0)->GetOriginShape();
    const gert::Shape& b = context->GetInputShape(1)->GetOriginShape();
    int32_t M = a.GetDim(0), K = a.GetDim(1);
    bool transB = b.GetDim(0) != K;
    int32_t N = transB ? b.GetDim(0) : b.GetDim(1);
    bool useBias = context->GetInputShape(2)->GetOriginShape().GetDim(0) == N;  // a [1] bias means none
    matmul_tiling::MultiCoreMatmulTiling mm(platform);
    mm.SetDim(4);
    mm.SetAType(matmul_tiling::TPosition::GM, matmul_tiling::CubeFormat::ND, matmul_tiling::DataType::DT_FLOAT16);
    mm.SetBType(matmul_tiling::TPosition::GM, matmul_tiling::CubeFormat::ND, matmul_tiling::DataType::DT_FLOAT16,
                transB);
    mm.SetCType(matmul_tiling::TPosition::GM, matmul_tiling::CubeFormat::ND, matmul_tiling::DataType::DT_FLOAT);
    mm.SetBiasType(matmul_tiling::TPosition::GM, matmul_tiling::CubeFormat::ND, matmul_tiling::DataType::DT_FLOAT);
    mm.SetShape(M, N, K);
    mm.SetOrgShape(M, N, K);
    mm.EnableBias(useBias);
    mm.SetFixSplit(64, 64, -1);  // several base blocks per core, so Iterate walks M and N
    mm.SetBufferSpace(-1, -1, -1);
    HlMatmulTiling tiling;
    if (mm.GetTiling(tiling.cubeTilingData) == -1) return ge::GRAPH_FAILED;
    tiling.set_transB(transB ? 1 : 0);
    tiling.set_useBias(useBias ? 1 : 0);
    context->SetBlockDim(tiling.cubeTilingData.usedCoreNum);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    size_t* ws = context->GetWorkspaceSizes(1);
    ws[0] = platform.GetLibApiWorkSpaceSize();
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(HlMatmul).Tiling(optiling::TilingFunc);

using namespace matmul;
using AType = MatmulType<AscendC::TPosition::GM, CubeFormat::ND, half>;
using BType = MatmulType<AscendC::TPosition::GM, CubeFormat::ND, half>;
using CType = MatmulType<AscendC::TPosition::GM, CubeFormat::ND, float>;
using CUbType = MatmulType<AscendC::TPosition::VECIN, CubeFormat::ND, float>;
using BiasType = MatmulType<AscendC::TPosition::GM, CubeFormat::ND, float>;

template <class MM>
__aicore__ inline void Setup(MM& mm, const optiling::HlMatmulTiling& t, GM_ADDR a, GM_ADDR b, GM_ADDR bias,
                             AscendC::GlobalTensor<float>& cGlobal, GM_ADDR c, int32_t* tails = nullptr)
{
    const TCubeTiling& tiling = t.cubeTilingData;
    int32_t mBlocks = (tiling.M + tiling.singleCoreM - 1) / tiling.singleCoreM;
    int32_t mIdx = AscendC::GetBlockIdx() % mBlocks, nIdx = AscendC::GetBlockIdx() / mBlocks;
    int32_t m0 = mIdx * tiling.singleCoreM, n0 = nIdx * tiling.singleCoreN;
    AscendC::GlobalTensor<half> aGlobal, bGlobal;
    AscendC::GlobalTensor<float> biasGlobal;
    aGlobal.SetGlobalBuffer((__gm__ half*)a, tiling.M * tiling.Ka);
    bGlobal.SetGlobalBuffer((__gm__ half*)b, tiling.Kb * tiling.N);
    cGlobal.SetGlobalBuffer((__gm__ float*)c, tiling.M * tiling.N);
    int32_t tailM = tiling.M - m0 < tiling.singleCoreM ? tiling.M - m0 : tiling.singleCoreM;
    int32_t tailN = tiling.N - n0 < tiling.singleCoreN ? tiling.N - n0 : tiling.singleCoreN;
    mm.SetTail(tailM, tailN);
    if (tails != nullptr) {
        tails[0] = tailM;
        tails[1] = tailN;
    }
    mm.SetTensorA(aGlobal[m0 * tiling.Ka]);
    mm.SetTensorB(t.transB ? bGlobal[n0 * tiling.Kb] : bGlobal[n0], t.transB != 0);
    if (t.useBias) {
        biasGlobal.SetGlobalBuffer((__gm__ float*)bias, tiling.N);
        mm.SetBias(biasGlobal[n0]);
    }
    cGlobal = cGlobal[m0 * tiling.N + n0];
}

extern "C" __global__ __cube__ __aicore__ void hl_matmul_all(GM_ADDR a, GM_ADDR b, GM_ADDR bias, GM_ADDR c, GM_ADDR workspace,
                                                    GM_ADDR tilingGm)
{
    GET_TILING_DATA(t, tilingGm);
    AscendC::TPipe pipe;
    Matmul<AType, BType, CType, BiasType> mm;
    REGIST_MATMUL_OBJ(&pipe, GetSysWorkSpacePtr(), mm, &t.cubeTilingData);
    AscendC::GlobalTensor<float> cGlobal;
    Setup(mm, t, a, b, bias, cGlobal, c);
    mm.IterateAll(cGlobal);
    mm.End();
}

extern "C" __global__ __cube__ __aicore__ void hl_matmul_iter(GM_ADDR a, GM_ADDR b, GM_ADDR bias, GM_ADDR c,
                                                     GM_ADDR workspace, GM_ADDR tilingGm)
{
    GET_TILING_DATA(t, tilingGm);
    AscendC::TPipe pipe;
    Matmul<AType, BType, CType, BiasType, CFG_MDL> mm;
    REGIST_MATMUL_OBJ(&pipe, GetSysWorkSpacePtr(), mm);
    mm.Init(&t.cubeTilingData, &pipe);
    AscendC::GlobalTensor<float> cGlobal;
    Setup(mm, t, a, b, bias, cGlobal, c);
    while (mm.Iterate()) {
        mm.GetTensorC(cGlobal);
    }
    mm.End();
}

// Called from vector code (a MIX kernel): C blocks come to UB (VECIN), Relu runs on them, DataCopy writes them out.
extern "C" __global__ __aicore__ void hl_matmul_ub(GM_ADDR a, GM_ADDR b, GM_ADDR bias, GM_ADDR c, GM_ADDR workspace,
                                                   GM_ADDR tilingGm)
{
    GET_TILING_DATA(t, tilingGm);
    // A Matmul client is a MIX 1:2 kernel: the block dim counts AI Cores, each with two AIV cores, and the tiling
    // (SetDim) counts AIV cores; the AIVs past usedCoreNum have no work.
    if (AscendC::GetBlockIdx() >= static_cast<int64_t>(t.cubeTilingData.usedCoreNum)) return;
    AscendC::TPipe pipe;
    Matmul<AType, BType, CUbType, BiasType> mm;
    REGIST_MATMUL_OBJ(&pipe, GetSysWorkSpacePtr(), mm, &t.cubeTilingData);
    AscendC::GlobalTensor<float> cGlobal;
    int32_t tails[2];
    Setup(mm, t, a, b, bias, cGlobal, c, tails);
    const TCubeTiling& tiling = t.cubeTilingData;
    AscendC::TQue<AscendC::TPosition::VECIN, 1> inQ;
    AscendC::TQue<AscendC::TPosition::VECOUT, 1> outQ;
    pipe.InitBuffer(inQ, 1, tiling.baseM * tiling.baseN * sizeof(float));
    pipe.InitBuffer(outQ, 1, tiling.baseM * tiling.baseN * sizeof(float));
    int32_t mBlocks = (tails[0] + tiling.baseM - 1) / tiling.baseM;
    int32_t round = 0;
    while (mm.template Iterate<true>()) {
        AscendC::LocalTensor<float> cLocal = inQ.AllocTensor<float>();
        mm.template GetTensorC<true>(cLocal, false, true);
        inQ.EnQue(cLocal);
        cLocal = inQ.DeQue<float>();
        AscendC::LocalTensor<float> rLocal = outQ.AllocTensor<float>();
        AscendC::Relu(rLocal, cLocal, tiling.baseM * tiling.baseN);
        outQ.EnQue(rLocal);
        inQ.FreeTensor(cLocal);
        rLocal = outQ.DeQue<float>();
        int32_t mi = round % mBlocks, ni = round / mBlocks;  // iterateOrder 0: M first
        int32_t bm = tails[0] - mi * tiling.baseM, bn = tails[1] - ni * tiling.baseN;  // the block, rows bn apart
        bm = bm < tiling.baseM ? bm : tiling.baseM;
        bn = bn < tiling.baseN ? bn : tiling.baseN;
        AscendC::DataCopyParams p{static_cast<uint16_t>(bm), static_cast<uint16_t>(bn * sizeof(float) / 32), 0,
                                  static_cast<uint16_t>((tiling.N - bn) * sizeof(float) / 32)};
        AscendC::DataCopy(cGlobal[mi * tiling.baseM * tiling.N + ni * tiling.baseN], rLocal, p);
        outQ.FreeTensor(rLocal);
        ++round;
    }
    mm.End();
}
