// CANN's impl/dav_c220/kernel_operator_reg_others_impl.h (special-register accessors of the A2 core), which some
// public kernels include: GetSubBlockDim / GetSubBlockId are declared with the rest of the kernel API
// (hawk/cann_compat.h); the other registers it reads are not modelled.
#include "kernel_operator.h"
