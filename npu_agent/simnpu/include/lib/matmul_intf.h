// Compatibility header: the twin declares the Matmul high-level API (hawk/matmul.h) in kernel_operator.h.
// ASCENDC_CUBE_ONLY needs no handling: a kernel whose blocks run on AIC cores runs its Matmul objects in place.
#include "kernel_operator.h"
