// Compatibility header: the twin declares these in kernel_operator.h (precompiled and force-included).
#include "kernel_operator.h"
