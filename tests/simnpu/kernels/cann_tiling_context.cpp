// A host tiling function that reads what real tiling functions read: typed attributes (GetAttrPointer<int32_t>,
// a list attribute, a string), the values of a shape/axis input tensor, an absent optional input, formats,
// platform numbers through fe::PlatFormInfos, the compute node, compile info, ge::TypeUtils; the tiling data is a
// standard C++ struct (GetTilingData<T>, REGISTER_TILING_DEFAULT). std::vector/std::map/std::string are used
// without including their headers, as CANN's headers provide them.
// Attributes (sorted by name): alpha (0), axes (1), mode (2), n (3).
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "graph/utils/type_utils.h"

struct CannEnvTiling {
    int32_t vals[16];
    float alpha;
    uint32_t perBlock;
};

namespace optiling {
static ge::graphStatus TilingFunc(gert::TilingContext *context)
{
    CannEnvTiling *t = context->GetTilingData<CannEnvTiling>();
    const gert::RuntimeAttrs *attrs = context->GetAttrs();
    t->alpha = *attrs->GetAttrPointer<float>(0);
    t->vals[0] = *attrs->GetAttrPointer<int32_t>(3);
    t->vals[1] = static_cast<int32_t>(attrs->GetListInt(1)->GetSize());
    t->vals[2] = static_cast<int32_t>(attrs->GetListInt(1)->GetData()[2]);
    t->vals[3] = std::string(attrs->GetAttrPointer<char>(2)) == "sum" ? 1 : 0;
    t->vals[4] = context->GetInputTensor(1)->GetData<int32_t>()[1];
    t->vals[5] = context->GetOptionalInputTensor(5) == nullptr ? 1 : 0;
    t->vals[6] = (context->GetInputDesc(0)->GetOriginFormat() == ge::FORMAT_ND &&
                  context->GetInputDesc(0)->GetStorageFormat() == ge::FORMAT_ND) ? 1 : 0;
    t->vals[7] = context->GetDeterministic();
    t->vals[8] = static_cast<int32_t>(context->GetComputeNodeInfo()->GetInputsNum() * 10 +
                                      context->GetComputeNodeInfo()->GetOutputsNum());
    t->vals[9] = ge::GetSizeByDataType(context->GetInputDesc(0)->GetDataType());
    t->vals[10] = ge::TypeUtils::DataTypeToSerialString(context->GetInputDesc(1)->GetDataType()) == "DT_INT32" ? 1 : 0;
    uint32_t len = 0;
    t->vals[11] = ge::TypeUtils::GetDataTypeLength(ge::DT_FLOAT16, len) ? static_cast<int32_t>(len) : -1;
    uint64_t ubSize = 0;
    context->GetPlatformInfo()->GetLocalMemSize(fe::LocalMemType::UB, ubSize);
    t->vals[12] = static_cast<int32_t>(ubSize / 1024);
    std::vector<int32_t> v{1, 2, 3};
    std::map<std::string, int32_t> m{{"a", 1}};
    t->vals[13] = std::accumulate(v.begin(), v.end(), 0) + static_cast<int32_t>(m.size());
    t->vals[14] = *static_cast<const uint8_t *>(context->GetCompileInfo()) == 0 ? 1 : 0;
    context->SetSimdNumBlocks(2);
    t->vals[15] = static_cast<int32_t>(context->GetSimdNumBlocks());
    t->perBlock = static_cast<uint32_t>(context->GetInputShape(0)->GetStorageShape().GetShapeSize() / 2);
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

IMPL_OP_OPTILING(CannEnv).Tiling(optiling::TilingFunc);

extern "C" __global__ __aicore__ void cann_env(GM_ADDR x, GM_ADDR axis, GM_ADDR y, GM_ADDR info, GM_ADDR workspace,
                                               GM_ADDR tiling)
{
    REGISTER_TILING_DEFAULT(CannEnvTiling);
    GET_TILING_DATA(tilingData, tiling);
    GET_TILING_DATA_PTR_WITH_STRUCT(CannEnvTiling, tilingPtr, tiling);
    AscendC::TPipe pipe;
    AscendC::TBuf<AscendC::TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, tilingData.perBlock * sizeof(float));
    AscendC::GlobalTensor<float> xGm, yGm;
    xGm.SetGlobalBuffer((__gm__ float *)x + AscendC::GetBlockIdx() * tilingData.perBlock, tilingData.perBlock);
    yGm.SetGlobalBuffer((__gm__ float *)y + AscendC::GetBlockIdx() * tilingData.perBlock, tilingData.perBlock);
    AscendC::LocalTensor<float> t = buf.Get<float>();
    AscendC::DataCopy(t, xGm, tilingData.perBlock);
    AscendC::SetFlag<AscendC::HardEvent::MTE2_V>(EVENT_ID0);
    AscendC::WaitFlag<AscendC::HardEvent::MTE2_V>(EVENT_ID0);
    AscendC::Muls(t, t, tilingPtr->alpha, tilingData.perBlock);
    AscendC::SetFlag<AscendC::HardEvent::V_MTE3>(EVENT_ID0);
    AscendC::WaitFlag<AscendC::HardEvent::V_MTE3>(EVENT_ID0);
    AscendC::DataCopy(yGm, t, tilingData.perBlock);
    if (AscendC::GetBlockIdx() == 0) {
        AscendC::GlobalTensor<int32_t> infoGm;
        infoGm.SetGlobalBuffer((__gm__ int32_t *)info, 16);
        for (int i = 0; i < 16; ++i) infoGm.SetValue(i, tilingData.vals[i]);
    }
}
