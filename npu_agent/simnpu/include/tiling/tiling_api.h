// Compatibility header: the twin declares the whole documented host API in kernel_operator.h, including the
// host tiling classes of the high-level APIs (matmul_tiling::MultiCoreMatmulTiling in hawk/matmul_tiling.h,
// SoftMaxTilingFunc in hawk/softmax.h).
#include "kernel_operator.h"
