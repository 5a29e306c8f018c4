// tiling/tiling_templates_registry.h as CANN's operators use it: REGISTER_TILING_TEMPLATE(op_type, Class, priority)
// registers a TilingBaseClass subclass for an operator; TilingRegistry::GetInstance().DoTilingImpl(context) tries
// the operator's classes from the lowest priority number up and returns the status of the first whose DoTiling()
// is not GRAPH_PARAM_INVALID ("does not apply"), GRAPH_FAILED when none applies. The registry is one per process
// (a function-local static), shared by every op_host translation unit. Our own code.
#ifndef HAWK_TILING_TILING_TEMPLATES_REGISTRY_H
#define HAWK_TILING_TILING_TEMPLATES_REGISTRY_H

#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "tiling/tiling_base.h"

namespace optiling {

template <typename T> std::unique_ptr<TilingBaseClass> TILING_CLASS(gert::TilingContext* context) {
    return std::unique_ptr<T>(new (std::nothrow) T(context));
}
using TilingClassCase = std::unique_ptr<TilingBaseClass> (*)(gert::TilingContext*);

class TilingCases {
   public:
    explicit TilingCases(std::string op_type) : op_type_(std::move(op_type)) {}
    template <typename T> void AddTiling(int32_t priority) {
        if (cases_.find(priority) == cases_.end()) cases_[priority] = TILING_CLASS<T>;
    }
    const std::map<int32_t, TilingClassCase>& GetTilingCases() { return cases_; }

   private:
    std::map<int32_t, TilingClassCase> cases_;
    const std::string op_type_;
};

class TilingRegistry {
   public:
    TilingRegistry() = default;
    static TilingRegistry& GetInstance() {
        static TilingRegistry registry;
        return registry;
    }
    std::shared_ptr<TilingCases> RegisterOp(const std::string& op_type) {
        auto& c = registry_map_[op_type];
        if (c == nullptr) c = std::make_shared<TilingCases>(op_type);
        return c;
    }
    ge::graphStatus DoTilingImpl(gert::TilingContext* context) {
        for (auto& kv : GetTilingTemplates(context->GetNodeType())) {
            std::unique_ptr<TilingBaseClass> t = kv.second(context);
            if (t == nullptr) continue;
            ge::graphStatus st = t->DoTiling();
            if (st != ge::GRAPH_PARAM_INVALID) return st;
        }
        return ge::GRAPH_FAILED;
    }
    ge::graphStatus DoTilingImpl(gert::TilingContext* context, const std::vector<int32_t>& priorities) {
        const auto& cases = GetTilingTemplates(context->GetNodeType());
        for (int32_t p : priorities) {
            auto it = cases.find(p);
            if (it == cases.end()) continue;
            std::unique_ptr<TilingBaseClass> t = it->second(context);
            if (t != nullptr && t->DoTiling() == ge::GRAPH_SUCCESS) return ge::GRAPH_SUCCESS;
        }
        return ge::GRAPH_FAILED;
    }
    const std::map<int32_t, TilingClassCase>& GetTilingTemplates(const std::string& op_type) {
        auto it = registry_map_.find(op_type);
        return it == registry_map_.end() ? empty_ : it->second->GetTilingCases();
    }

   private:
    std::map<std::string, std::shared_ptr<TilingCases>> registry_map_;
    const std::map<int32_t, TilingClassCase> empty_{};
};

class Register {
   public:
    explicit Register(std::string op_type) : op_type_(std::move(op_type)) {}
    template <typename T> Register& tiling(int32_t priority) {
        TilingRegistry::GetInstance().RegisterOp(op_type_)->AddTiling<T>(priority);
        return *this;
    }

   private:
    const std::string op_type_;
};

}  // namespace optiling

// op_type is a string ("AddCustom"); a lower priority number is tried first.
#define REGISTER_TILING_TEMPLATE(op_type, class_name, priority)                                        \
    static ::optiling::Register HAWK_CONCAT(hawk_tiling_template_, __COUNTER__) =                       \
        ::optiling::Register(op_type).tiling<class_name>(priority)
// The newer spelling takes the op type without quotes.
#define REGISTER_OPS_TILING_TEMPLATE(op_type, class_name, priority) \
    REGISTER_TILING_TEMPLATE(#op_type, class_name, priority)

#endif  // HAWK_TILING_TILING_TEMPLATES_REGISTRY_H
