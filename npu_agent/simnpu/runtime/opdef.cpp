// Op projects (docs/kernel-contract.md section 9): the operators OP_ADD registered, checked against the task
// before the tiling function runs. The prototype (inputs, outputs, dtypes, attributes) is compared with the
// task; InferShape and InferDataType are RUN on the task's input shapes and dtypes and their results compared
// with the task's outputs; a mismatch ends the run with status REJECTED and a message naming it. The OpDef's
// attribute order (defaults filled in) becomes the order every context sees.
// Compiled once per twin version and linked with every candidate (npu_agent/simnpu/build.py).
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hawk/opdef.h"

namespace hawk::opdef {
namespace {
std::vector<ops::OpDef*>& registry() {
    static std::vector<ops::OpDef*> ops;
    return ops;
}
// IMPL_OP_INFERSHAPE(Op).InferShape(f).InferDataType(g), by op type.
std::map<std::string, std::pair<gert::InferShapeKernelFunc, gert::InferDataTypeKernelFunc>>& infer_registry() {
    static std::map<std::string, std::pair<gert::InferShapeKernelFunc, gert::InferDataTypeKernelFunc>> fns;
    return fns;
}

const char* dtype_name(ge::DataType d) {
    switch (d) {
        case ge::DT_FLOAT: return "DT_FLOAT";
        case ge::DT_FLOAT16: return "DT_FLOAT16";
        case ge::DT_BF16: return "DT_BF16";
        case ge::DT_INT8: return "DT_INT8";
        case ge::DT_INT16: return "DT_INT16";
        case ge::DT_INT32: return "DT_INT32";
        case ge::DT_INT64: return "DT_INT64";
        case ge::DT_UINT8: return "DT_UINT8";
        case ge::DT_UINT16: return "DT_UINT16";
        case ge::DT_UINT32: return "DT_UINT32";
        case ge::DT_UINT64: return "DT_UINT64";
        case ge::DT_BOOL: return "DT_BOOL";
        case ge::DT_DOUBLE: return "DT_DOUBLE";
        default: return "DT_UNDEFINED";
    }
}

std::string shape_text(const gert::Shape& s) {
    std::string t = "[";
    for (size_t i = 0; i < s.GetDimNum(); ++i) t += (i ? ", " : "") + std::to_string(s.GetDim(i));
    return t + "]";
}

// InferShape/InferDataType only matter to a graph build: an aclnn call (the single-operator path PyTorch takes)
// runs the kernel on the caller's output tensors. A disagreement with the task is therefore a warning of the run,
// not a rejection; the prototype (inputs, outputs, dtypes, attributes) must agree.
const char* const kInferNote = " (a graph build would fail here; the kernel runs on the task's outputs as an aclnn "
                               "call does)";

// The prototype check and the InferShape/InferDataType runs (called by the runtime before tiling).
void check_op() {
    auto& ops = registry();
    if (ops.empty()) return;
    if (ops.size() > 1) {
        std::string names;
        for (auto* o : ops) names += (names.empty() ? "" : ", ") + o->name_;
        reject("the op project registers " + std::to_string(ops.size()) + " operators with OP_ADD (" + names +
               "); a candidate is one operator");
    }
    const ops::OpDef& op = *ops[0];
    const std::string who = "the OpDef of " + op.name_;
    std::vector<TaskTensorView> ins, outs;
    for (size_t i = 0; i < task_tensor_count(); ++i) {
        TaskTensorView t = task_tensor(i);
        (t.output ? outs : ins).push_back(t);
    }
    auto check_params = [&](const std::vector<ops::OpParamDef>& params, const std::vector<TaskTensorView>& ts,
                            const char* role) {
        if (params.size() != ts.size()) {
            std::string want;
            for (auto& t : ts) want += (want.empty() ? "" : ", ") + std::string(t.name);
            reject(who + " declares " + std::to_string(params.size()) + " " + role + "(s) but the task has " +
                   std::to_string(ts.size()) + " (" + want + ")");
        }
        for (size_t i = 0; i < params.size(); ++i) {
            const ops::OpParamDef& p = params[i];
            // An output named like an input is an in-place (ref) output of CANN (InplaceAddLayerNorm's x1): the task
            // format has one buffer per name, so it names that output its own way.
            bool in_place = false;
            if (std::string(role) == "output")
                for (const ops::OpParamDef& q : op.inputs_) in_place = in_place || q.name_ == p.name_;
            if (p.name_ != ts[i].name && !in_place) {
                reject(who + ": " + role + " " + std::to_string(i) + " is named '" + p.name_ +
                       "' but the task's " + role + " " + std::to_string(i) + " is '" + ts[i].name + "'");
            }
            ge::DataType want = ge_dtype(ts[i].dtype);
            if (!p.dtypes_.empty() && want != ge::DT_UNDEFINED) {
                bool found = false;
                std::string listed;
                for (ge::DataType d : p.dtypes_) {
                    found = found || d == want;
                    listed += (listed.empty() ? "" : ", ") + std::string(dtype_name(d));
                }
                if (!found) {
                    reject(who + ": " + role + " '" + p.name_ + "' supports DataType({" + listed + "}) but the task's "
                           + role + " is " + dtype_name(want));
                }
            }
        }
    };
    check_params(op.inputs_, ins, "input");
    check_params(op.outputs_, outs, "output");
    // Attributes: every task attribute is declared; every REQUIRED one is given; order = declaration order.
    std::vector<std::string> names, values;
    for (size_t i = 0; i < task_attr_count(); ++i) {
        bool declared = false;
        for (auto& a : op.attrs_) declared = declared || a.name_ == task_attr_name(i);
        if (!declared) {
            reject(who + " declares no attribute '" + task_attr_name(i) + "' (the task sets it)");
        }
    }
    for (auto& a : op.attrs_) {
        const char* given = nullptr;
        for (size_t i = 0; i < task_attr_count(); ++i)
            if (a.name_ == task_attr_name(i)) given = task_attr_value(i);
        if (given == nullptr && a.type_ == ops::REQUIRED) {
            reject(who + ": attribute '" + a.name_ + "' is REQUIRED but the task does not set it");
        }
        names.push_back(a.name_);
        values.push_back(given ? given : a.default_);
    }
    std::vector<const char*> np, vp;
    for (size_t i = 0; i < names.size(); ++i) {
        np.push_back(names[i].c_str());
        vp.push_back(values[i].c_str());
    }
    set_task_attrs(names.size(), np.data(), vp.data());
    gert::RuntimeAttrs attrs;
    for (size_t i = 0; i < values.size() && i < gert::RuntimeAttrs::kMax; ++i) {
        const char* v = vp[i];
        attrs.ints_[i] = std::strtoll(v, nullptr, 10);
        attrs.floats_[i] = std::strtof(v, nullptr);
        attrs.bools_[i] = values[i] == "true" || values[i] == "1" || values[i] == "True";
        attrs.strs_[i] = v;
        attrs.num_ = i + 1;
    }
    // The OpDef's SetInferShape/SetInferDataType, else what IMPL_OP_INFERSHAPE registered for its type.
    gert::InferShapeKernelFunc infer_shape = op.infer_shape_;
    gert::InferDataTypeKernelFunc infer_dtype = op.infer_dtype_;
    auto impl = infer_registry().find(op.name_);
    if (impl != infer_registry().end()) {
        if (infer_shape == nullptr) infer_shape = impl->second.first;
        if (infer_dtype == nullptr) infer_dtype = impl->second.second;
    }
    if (infer_shape != nullptr) {
        auto* ctx = new gert::InferShapeContext();
        std::vector<gert::StorageShape> storage(ins.size());
        std::vector<gert::CompileTimeTensorDesc> descs(ins.size());
        for (size_t i = 0; i < ins.size(); ++i) {
            gert::Shape s;
            for (size_t d = 0; d < ins[i].ndim; ++d) s.AppendDim(ins[i].dims[d]);
            ctx->in_.push_back(s);
            storage[i].shape_ = s;
            descs[i].dtype_ = ge_dtype(ins[i].dtype);
        }
        for (size_t i = 0; i < ins.size(); ++i) {
            gert::Tensor t;
            t.shape_ = &storage[i];
            t.desc_ = &descs[i];
            ctx->tensors_.push_back(t);
        }
        ctx->out_.resize(outs.size());
        ctx->attrs_ = &attrs;
        ctx->name_ = op.name_.c_str();
        ge::graphStatus st = infer_shape(ctx);
        if (st != ge::GRAPH_SUCCESS) note(who + ": its InferShape function returned " + std::to_string(st) +
                                          " (not ge::GRAPH_SUCCESS) on the task's input shapes" + kInferNote);
        for (size_t i = 0; st == ge::GRAPH_SUCCESS && i < outs.size(); ++i) {
            gert::Shape want;
            for (size_t d = 0; d < outs[i].ndim; ++d) want.AppendDim(outs[i].dims[d]);
            const gert::Shape& got = ctx->out_[i];
            bool same = got.GetDimNum() == want.GetDimNum();
            for (size_t d = 0; same && d < want.GetDimNum(); ++d) same = got.GetDim(d) == want.GetDim(d);
            if (!same) {
                note(who + ": its InferShape function gives output '" + outs[i].name + "' the shape " +
                     shape_text(got) + " but the task's output has the shape " + shape_text(want) + kInferNote);
            }
        }
        delete ctx;
    }
    if (infer_dtype != nullptr) {
        gert::InferDataTypeContext ctx;
        for (auto& t : ins) ctx.in_.push_back(ge_dtype(t.dtype));
        ctx.out_.assign(outs.size(), ge::DT_UNDEFINED);
        ctx.attrs_ = &attrs;
        ctx.name_ = op.name_.c_str();
        ge::graphStatus st = infer_dtype(&ctx);
        if (st != ge::GRAPH_SUCCESS) note(who + ": its InferDataType function returned " + std::to_string(st) +
                                          " (not ge::GRAPH_SUCCESS) on the task's input dtypes" + kInferNote);
        for (size_t i = 0; st == ge::GRAPH_SUCCESS && i < outs.size(); ++i) {
            ge::DataType want = ge_dtype(outs[i].dtype);
            if (ctx.out_[i] != want) {
                note(who + ": its InferDataType function gives output '" + outs[i].name + "' the dtype " +
                     dtype_name(ctx.out_[i]) + " but the task's output is " + dtype_name(want) + kInferNote);
            }
        }
    }
}

}  // namespace

}  // namespace hawk::opdef

namespace hawk {
void register_infer(const char* op_type, gert::InferShapeKernelFunc shape, gert::InferDataTypeKernelFunc dtype) {
    auto& e = opdef::infer_registry()[op_type ? op_type : ""];
    if (shape != nullptr) e.first = shape;
    if (dtype != nullptr) e.second = dtype;
}
}  // namespace hawk

namespace hawk::opdef {
void register_op(ops::OpDef* op) {
    registry().push_back(op);
    register_op_check(&check_op);
}
}  // namespace hawk::opdef

