// InferShape / InferDataType registered the way CANN's operators do it, apart from the OpDef.
#include "register/op_def_registry.h"

namespace ops {
static ge::graphStatus InferShape4RowSum(gert::InferShapeContext* context)
{
    const gert::Shape* x = context->GetInputShape(0);
    if (x == nullptr || *x != gert::Shape{x->GetDim(0), 64}) {
        return ge::GRAPH_PARAM_INVALID;
    }
    gert::Shape* y = context->GetOutputShape(0);
    *y = {x->GetDim(0)};
    return ge::GRAPH_SUCCESS;
}
static ge::graphStatus InferDataType4RowSum(gert::InferDataTypeContext* context)
{
    context->SetOutputDataType(0, context->GetInputDataType(0));
    return ge::GRAPH_SUCCESS;
}
IMPL_OP_INFERSHAPE(RowSum).InferShape(InferShape4RowSum).InferDataType(InferDataType4RowSum);
}  // namespace ops
