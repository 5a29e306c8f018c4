// The op_host side of a CANN custom-operator project (docs/kernel-contract.md section 9): OpDef and OP_ADD
// record the operator's prototype (inputs, outputs, dtypes, formats, attributes), its tiling function and its
// InferShape/InferDataType functions. Before the tiling function runs, the runtime calls check_op(): the
// prototype is compared with the task, InferShape and InferDataType are RUN on the task's input shapes and
// dtypes and their results compared with the task's outputs; a mismatch ends the run with status REJECTED
// and a message naming it. Included by register/op_def_registry.h only (not part of the precompiled header).
#ifndef HAWK_OPDEF_H
#define HAWK_OPDEF_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "hawk/tiling.h"

namespace hawk {
// The task as the runtime holds it (hawk_runtime.cpp), for the prototype check.
struct TaskTensorView {
    const char* name;
    int dtype;          // hawk.v1.DType
    size_t ndim;
    const int64_t* dims;
    bool output;
};
size_t task_tensor_count();
TaskTensorView task_tensor(size_t i);
size_t task_attr_count();
const char* task_attr_name(size_t i);
const char* task_attr_value(size_t i);
// Attribute order and values seen by every context from now on (the OpDef's declaration order, defaults filled).
void set_task_attrs(size_t n, const char* const* names, const char* const* values);
void register_op_check(void (*fn)());
[[noreturn]] void reject(const std::string& message);
void note(const std::string& message);  // a warning of the run (the result's warnings)
}  // namespace hawk

namespace gert {
// InferShape: input shapes of the task in, output shapes out (docs: gert::InferShapeContext).
class InferShapeContext {
   public:
    const Shape* GetInputShape(size_t i) const { return i < in_.size() ? &in_[i] : nullptr; }
    const Shape* GetOptionalInputShape(size_t i) const { return GetInputShape(i); }
    const Shape* GetDynamicInputShape(size_t i, size_t) const { return GetInputShape(i); }
    Shape* GetOutputShape(size_t i) { return i < out_.size() ? &out_[i] : nullptr; }
    const Tensor* GetInputTensor(size_t i) const { return i < tensors_.size() ? &tensors_[i] : nullptr; }
    const RuntimeAttrs* GetAttrs() const { return attrs_; }
    size_t GetComputeNodeInputNum() const { return in_.size(); }
    size_t GetComputeNodeOutputNum() const { return out_.size(); }
    const char* GetNodeName() const { return name_; }
    const char* GetNodeType() const { return name_; }
    std::vector<Shape> in_, out_;
    std::vector<Tensor> tensors_;
    const RuntimeAttrs* attrs_ = nullptr;
    const char* name_ = "";
};
// InferDataType: input dtypes in, output dtypes out.
class InferDataTypeContext {
   public:
    ge::DataType GetInputDataType(size_t i) const { return i < in_.size() ? in_[i] : ge::DT_UNDEFINED; }
    ge::DataType GetOptionalInputDataType(size_t i) const { return GetInputDataType(i); }
    ge::DataType GetDynamicInputDataType(size_t i, size_t) const { return GetInputDataType(i); }
    ge::DataType GetOutputDataType(size_t i) const { return i < out_.size() ? out_[i] : ge::DT_UNDEFINED; }
    ge::graphStatus SetOutputDataType(size_t i, ge::DataType dt) {
        if (i >= out_.size()) return ge::GRAPH_FAILED;
        out_[i] = dt;
        return ge::GRAPH_SUCCESS;
    }
    const RuntimeAttrs* GetAttrs() const { return attrs_; }
    const char* GetNodeName() const { return name_; }
    const char* GetNodeType() const { return name_; }
    std::vector<ge::DataType> in_, out_;
    const RuntimeAttrs* attrs_ = nullptr;
    const char* name_ = "";
};
class InferShapeRangeContext {};
}  // namespace gert

namespace ge {
class Operator {};
class AscendString {
   public:
    AscendString() = default;
    AscendString(const char* s) : s_(s ? s : "") {}  // NOLINT: implicit, as in CANN
    const char* GetString() const { return s_.c_str(); }
    std::string s_;
};
}  // namespace ge

namespace ops {
enum Option { IGNORE = 0, OPTIONAL = 1, REQUIRED = 2, DYNAMIC = 3, VIRTUAL = 4 };
enum class DependScope : int { ALL = 0, TILING = 1 };
enum class FollowType : int { ALL = 0, DTYPE = 1, FORMAT = 2, SHAPE = 3 };
enum class ItemFindPolicy : int { ITEMS_NOT_FOUND = 0 };
using OP_CHECK_FUNC = ge::graphStatus (*)(const ge::Operator&, ge::AscendString&);
using PARAM_GENERALIZE_FUNC = ge::graphStatus (*)(const ge::Operator&, const ge::AscendString&, ge::AscendString&);

class OpParamDef {
   public:
    explicit OpParamDef(const char* name) : name_(name) {}
    OpParamDef& ParamType(Option t) { type_ = t; return *this; }
    OpParamDef& DataType(std::vector<ge::DataType> v) { dtypes_ = std::move(v); return *this; }
    OpParamDef& DataTypeList(std::vector<ge::DataType> v) { dtypes_ = std::move(v); return *this; }
    OpParamDef& Format(std::vector<ge::Format> v) { formats_ = std::move(v); return *this; }
    OpParamDef& FormatList(std::vector<ge::Format> v) { formats_ = std::move(v); return *this; }
    OpParamDef& UnknownShapeFormat(std::vector<ge::Format>) { return *this; }
    OpParamDef& ValueDepend(Option, DependScope = DependScope::ALL) { return *this; }
    OpParamDef& IgnoreContiguous() { return *this; }
    OpParamDef& AutoContiguous() { return *this; }
    OpParamDef& Scalar() { return *this; }
    OpParamDef& ScalarList() { return *this; }
    OpParamDef& To(ge::DataType) { return *this; }
    OpParamDef& To(const char*) { return *this; }
    OpParamDef& Version(uint32_t) { return *this; }
    OpParamDef& InitValue(uint64_t) { return *this; }
    OpParamDef& InitValue(double) { return *this; }
    OpParamDef& OutputShapeDependOnCompute() { return *this; }
    OpParamDef& Follow(const char* other, FollowType = FollowType::ALL) { follow_ = other; return *this; }
    OpParamDef& Comment(const char*) { return *this; }
    OpParamDef& NoTransDataType() { return *this; }
    std::string name_, follow_;
    Option type_ = REQUIRED;
    std::vector<ge::DataType> dtypes_;
    std::vector<ge::Format> formats_;
};

class OpAttrDef {
   public:
    explicit OpAttrDef(const char* name) : name_(name) {}
    OpAttrDef& AttrType(Option t) { type_ = t; return *this; }
    OpAttrDef& Int(int64_t v = 0) { return def(std::to_string(v)); }
    OpAttrDef& Float(float v = 0.0f) {
        char b[64];
        std::snprintf(b, sizeof b, "%.9g", static_cast<double>(v));
        return def(b);
    }
    OpAttrDef& Bool(bool v = false) { return def(v ? "true" : "false"); }
    OpAttrDef& String(const char* v = "") { return def(v ? v : ""); }
    OpAttrDef& ListInt(std::vector<int64_t> v = {}) { return list(v); }
    OpAttrDef& ListFloat(std::vector<float> v = {}) { return list(v); }
    OpAttrDef& ListBool(std::vector<bool> v = {}) { return list(v); }
    OpAttrDef& ListListInt(std::vector<std::vector<int64_t>> = {}) { return def(""); }
    OpAttrDef& Version(uint32_t) { return *this; }
    OpAttrDef& Comment(const char*) { return *this; }
    std::string name_, default_;
    Option type_ = REQUIRED;
    bool has_default_ = false;

   private:
    OpAttrDef& def(std::string v) {
        default_ = std::move(v);
        has_default_ = true;
        return *this;
    }
    template <typename T> OpAttrDef& list(const std::vector<T>& v) {
        std::string s;
        for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
        return def(s);
    }
};

class OpAICoreConfig {
   public:
    OpAICoreConfig() = default;
    explicit OpAICoreConfig(const char*) {}
    OpParamDef& Input(const char* name) { return params_.emplace_back(name); }
    OpParamDef& Output(const char* name) { return params_.emplace_back(name); }
    OpAICoreConfig& DynamicCompileStaticFlag(bool) { return *this; }
    OpAICoreConfig& DynamicFormatFlag(bool) { return *this; }
    OpAICoreConfig& DynamicRankSupportFlag(bool) { return *this; }
    OpAICoreConfig& DynamicShapeSupportFlag(bool) { return *this; }
    OpAICoreConfig& NeedCheckSupportFlag(bool) { return *this; }
    OpAICoreConfig& PrecisionReduceFlag(bool) { return *this; }
    OpAICoreConfig& ExtendCfgInfo(const char*, const char*) { return *this; }
    std::vector<OpParamDef> params_;
};

class OpDef;
class OpAICoreDef {
   public:
    OpAICoreDef& SetTiling(gert::TilingFunc fn);
    template <typename F> OpAICoreDef& SetTilingParse(F) { return *this; }
    OpAICoreDef& SetCheckSupport(OP_CHECK_FUNC) { return *this; }
    OpAICoreDef& SetOpSelectFormat(OP_CHECK_FUNC) { return *this; }
    OpAICoreDef& SetOpSupportInfo(OP_CHECK_FUNC) { return *this; }
    OpAICoreDef& SetOpSpecInfo(OP_CHECK_FUNC) { return *this; }
    OpAICoreDef& SetParamGeneralize(PARAM_GENERALIZE_FUNC) { return *this; }
    OpAICoreDef& AddConfig(const char* soc) {
        socs_.emplace_back(soc ? soc : "");
        return *this;
    }
    OpAICoreDef& AddConfig(const char* soc, OpAICoreConfig&) { return AddConfig(soc); }
    std::vector<std::string> socs_;
    gert::TilingFunc tiling_ = nullptr;
    OpDef* op_ = nullptr;
};

class OpMC2Def {
   public:
    template <typename... A> OpMC2Def& HcclGroup(A&&...) { return *this; }
};

class OpDef {
   public:
    explicit OpDef(const char* name) : name_(name ? name : "") { aicore_.op_ = this; }
    virtual ~OpDef() = default;
    OpParamDef& Input(const char* name) { return inputs_.emplace_back(name); }
    OpParamDef& Output(const char* name) { return outputs_.emplace_back(name); }
    OpAttrDef& Attr(const char* name) { return attrs_.emplace_back(name); }
    OpDef& SetInferShape(gert::InferShapeKernelFunc f) { infer_shape_ = f; return *this; }
    OpDef& SetInferShapeRange(gert::InferShapeRangeKernelFunc) { return *this; }
    OpDef& SetInferDataType(gert::InferDataTypeKernelFunc f) { infer_dtype_ = f; return *this; }
    OpDef& Comment(const char*) { return *this; }
    OpDef& EnableFallBack() { return *this; }
    OpAICoreDef& AICore() { return aicore_; }
    OpMC2Def& MC2() { return mc2_; }
    const char* GetOpType() const { return name_.c_str(); }

    std::string name_;
    // std::deque-like stability is not needed: the chained calls finish before the next Input() call.
    std::vector<OpParamDef> inputs_, outputs_;
    std::vector<OpAttrDef> attrs_;
    gert::InferShapeKernelFunc infer_shape_ = nullptr;
    gert::InferDataTypeKernelFunc infer_dtype_ = nullptr;
    OpAICoreDef aicore_;
    OpMC2Def mc2_;
};

inline OpAICoreDef& OpAICoreDef::SetTiling(gert::TilingFunc fn) {
    tiling_ = fn;
    ::hawk::register_tiling(fn, op_ ? op_->name_.c_str() : "");
    return *this;
}
}  // namespace ops

namespace hawk::opdef {
// The runtime keeps the registered operators and checks them against the task before tiling
// (runtime/opdef.cpp, compiled once with the twin rather than in every candidate).
void register_op(ops::OpDef* op);

template <typename Op> struct OpAdd {
    explicit OpAdd(const char* name) { register_op(new Op(name)); }  // lives for the process, as in CANN
};
}  // namespace hawk::opdef

// OP_ADD(AddCustom); after the class: registers the operator (its constructor records the prototype).
#define OP_ADD(opType, ...) \
    static ::hawk::opdef::OpAdd<opType> HAWK_CONCAT(hawk_op_add_, __COUNTER__)(#opType)

#endif  // HAWK_OPDEF_H
