// Compatibility header: the kernel-side tiling structs (TCubeTiling in hawk/matmul_tiling.h, SoftMaxTiling in
// hawk/softmax.h) are declared by kernel_operator.h.
#include "kernel_operator.h"
