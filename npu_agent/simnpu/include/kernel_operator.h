// kernel_operator.h of the Hawk Farm Ascend C twin (simnpu): our own implementation of the documented
// Ascend C kernel API, for kernels compiled by the host C++ compiler and run on the CPU. See
// docs/kernel-contract.md for what a candidate source may use.
#ifndef HAWK_KERNEL_OPERATOR_H
#define HAWK_KERNEL_OPERATOR_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hawk/runtime.h"
#include "hawk/types.h"
#include "hawk/tensor.h"
#include "hawk/datacopy.h"
#include "hawk/vector.h"
#include "hawk/cube.h"
#include "hawk/tiling.h"
#include "hawk/matmul_tiling.h"
#include "hawk/matmul.h"
#include "hawk/softmax.h"

#endif  // HAWK_KERNEL_OPERATOR_H
