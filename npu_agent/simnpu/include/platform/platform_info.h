// Compatibility header: fe::PlatFormInfos and the platform queries are declared by kernel_operator.h.
#include "kernel_operator.h"
