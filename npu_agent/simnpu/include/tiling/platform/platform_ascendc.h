// Compatibility header: the twin declares the whole documented host API in kernel_operator.h.
#include "kernel_operator.h"
