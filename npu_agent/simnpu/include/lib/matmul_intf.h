// Compatibility header: the twin declares the Matmul high-level API (hawk/matmul.h) in kernel_operator.h.
#ifndef HAWK_LIB_MATMUL_INTF_H
#define HAWK_LIB_MATMUL_INTF_H
#include "kernel_operator.h"
#ifndef ASCENDC_CUBE_ONLY
// On a CANN build a kernel that includes this header without ASCENDC_CUBE_ONLY is a MIX kernel (1 AIC : 2 AIV,
// the Matmul object a client of the AIC core). The runtime reads this marker (hawk::mm_mix_kernel) so that MIX
// execution can default to that kernel type.
extern "C" __attribute__((weak)) const int hawk_matmul_client_kernel = 1;
#endif
#endif  // HAWK_LIB_MATMUL_INTF_H
