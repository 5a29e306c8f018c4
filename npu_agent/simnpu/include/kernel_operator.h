// kernel_operator.h of the Hawk Farm Ascend C twin (simnpu): our own implementation of the documented
// Ascend C kernel API, for kernels compiled by the host C++ compiler and run on the CPU. See
// docs/kernel-contract.md for what a candidate source may use.
#ifndef HAWK_KERNEL_OPERATOR_H
#define HAWK_KERNEL_OPERATOR_H

// The standard headers CANN's own headers pull into every kernel (kernels use std:: names without including them).
#include <algorithm>
#include <array>
#include <cassert>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hawk/runtime.h"
#include "hawk/types.h"
#include "hawk/tensor.h"
#include "hawk/datacopy.h"
#include "hawk/vector.h"
#include "hawk/cube.h"
#include "hawk/tiling.h"
#include "hawk/crosscore.h"
#include "hawk/ge_type_utils.h"
#include "hawk/matmul_tiling.h"
#include "hawk/matmul.h"
#include "hawk/softmax.h"
#include "hawk/norms.h"
#include "hawk/cann_compat.h"
#include "hawk/cce.h"
#include "hawk/cann_env.h"  // last: it redefines assert after every standard header

#endif  // HAWK_KERNEL_OPERATOR_H
