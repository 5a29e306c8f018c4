// Add ladder case 0: single-core scalar (baseline): GetValue/SetValue per element.
// Written to docs/kernel-contract.md after Huawei's public add_high_performance sample (asc-devkit
// examples/01_simd_cpp_api/05_best_practices/00_vector_compute/add_high_performance, reference §5): the same
// row split, tile length, SetFlag/WaitFlag protocol and UB layout, with the sample's static LocalTensors at
// fixed UB addresses taken from one VECCALC TBuf. benchmarks/calibrate_add.py runs it against the published
// numbers (docs/calibration.md).
#include "kernel_operator.h"
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(AddLadderTiling)
TILING_DATA_FIELD_DEF(uint32_t, totalM);
TILING_DATA_FIELD_DEF(uint32_t, totalN);
TILING_DATA_FIELD_DEF(uint32_t, splitM);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(AddLadder0, AddLadderTiling)

static ge::graphStatus TilingFunc(gert::TilingContext *context)
{
    AddLadderTiling tiling;
    const gert::Shape &shape = context->GetInputShape(0)->GetOriginShape();
    uint32_t m = static_cast<uint32_t>(shape.GetDim(0));
    uint32_t splitM = m < 1u ? m : 1u;
    context->SetBlockDim(splitM);
    tiling.set_totalM(m);
    tiling.set_totalN(static_cast<uint32_t>(shape.GetDim(1)));
    tiling.set_splitM(splitM);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

IMPL_OP_OPTILING(AddLadder0).Tiling(optiling::TilingFunc);

constexpr uint32_t DATA_COPY_LEN = 4096;   // elements per DataCopy
constexpr uint32_t X_ADDR = 0;
constexpr uint32_t Y_ADDR = DATA_COPY_LEN * sizeof(half);
constexpr uint32_t Z_ADDR = Y_ADDR + DATA_COPY_LEN * sizeof(half);
constexpr uint32_t UB_BYTES = Z_ADDR + DATA_COPY_LEN * sizeof(half);

class KernelAdd {
public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t totalM, uint32_t totalN, uint32_t splitM)
    {
        uint32_t blockIdx = AscendC::GetBlockIdx();
        uint32_t baseM = totalM / splitM, remainder = totalM % splitM;
        uint32_t rows = blockIdx < remainder ? baseM + 1 : baseM;
        uint32_t startM = blockIdx < remainder ? blockIdx * rows : remainder * (baseM + 1) + (blockIdx - remainder) * baseM;
        total = rows * totalN;
        xGm.SetGlobalBuffer((__gm__ half *)x + startM * totalN, total);
        yGm.SetGlobalBuffer((__gm__ half *)y + startM * totalN, total);
        zGm.SetGlobalBuffer((__gm__ half *)z + startM * totalN, total);
        pipe.InitBuffer(ub, UB_BYTES);
    }

    __aicore__ inline void Process()
    {
        AscendC::LocalTensor<half> all = ub.Get<half>();
        AscendC::LocalTensor<half> xLocal = all[X_ADDR / sizeof(half)];
        AscendC::LocalTensor<half> yLocal = all[Y_ADDR / sizeof(half)];
        AscendC::LocalTensor<half> zLocal = all[Z_ADDR / sizeof(half)];
        uint32_t loops = (total + DATA_COPY_LEN - 1) / DATA_COPY_LEN;
        for (uint32_t i = 0; i < loops; i++) {
            uint32_t start = i * DATA_COPY_LEN;
            uint32_t len = total - start > DATA_COPY_LEN ? DATA_COPY_LEN : total - start;
            if (i != 0) {
                AscendC::WaitFlag<AscendC::HardEvent::V_MTE2>(EVENT_ID0);
            }
            AscendC::DataCopy(xLocal, xGm[start], len);
            AscendC::DataCopy(yLocal, yGm[start], len);
            AscendC::SetFlag<AscendC::HardEvent::MTE2_V>(EVENT_ID0);
            AscendC::WaitFlag<AscendC::HardEvent::MTE2_V>(EVENT_ID0);
            if (i != 0) {
                AscendC::WaitFlag<AscendC::HardEvent::MTE3_V>(EVENT_ID0);
            }
            for (uint32_t k = 0; k < len; k++) {
                float xVal = static_cast<float>(xLocal.GetValue(k));
                float yVal = static_cast<float>(yLocal.GetValue(k));
                zLocal.SetValue(k, static_cast<half>(xVal + yVal));
            }
            if (i != loops - 1) {
                AscendC::SetFlag<AscendC::HardEvent::V_MTE2>(EVENT_ID0);
            }
            AscendC::SetFlag<AscendC::HardEvent::V_MTE3>(EVENT_ID0);
            AscendC::WaitFlag<AscendC::HardEvent::V_MTE3>(EVENT_ID0);
            AscendC::DataCopy(zGm[start], zLocal, len);
            if (i != loops - 1) {
                AscendC::SetFlag<AscendC::HardEvent::MTE3_V>(EVENT_ID0);
            }
        }
    }

private:
    AscendC::TPipe pipe;
    AscendC::TBuf<AscendC::TPosition::VECCALC> ub;  // the sample's static UB layout
    AscendC::GlobalTensor<half> xGm, yGm, zGm;
    uint32_t total = 0;
};

extern "C" __global__ __aicore__ void add_custom(GM_ADDR x, GM_ADDR y, GM_ADDR z, GM_ADDR workspace, GM_ADDR tiling)
{
    GET_TILING_DATA(t, tiling);
    KernelAdd op;
    op.Init(x, y, z, t.totalM, t.totalN, t.splitM);
    op.Process();
}
