// The aclnn L0 interface of GeGluV2 as CANN's ops package declares it (level0/geglu_v2.h): x split in two along
// `dim`, y = gelu(one half) * the other, plus gelu's output (approximate 0: erf, 1: tanh; activateLeft: which half
// goes through gelu). A CANN op project may define it in its own op_host/*_l0.cpp.
#ifndef HAWK_HOST_LEVEL0_GEGLU_V2_H
#define HAWK_HOST_LEVEL0_GEGLU_V2_H

#include <tuple>

#include "opdev/op_executor.h"

namespace l0op {
std::tuple<aclTensor*, aclTensor*> GeGluV2(const aclTensor* self, int64_t dim, int64_t approximate, bool activateLeft,
                                           aclOpExecutor* executor);
}  // namespace l0op

#endif  // HAWK_HOST_LEVEL0_GEGLU_V2_H
