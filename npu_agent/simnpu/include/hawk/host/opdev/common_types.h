// CANN puts include/aclnn on the include path, so opdev/common_types.h is aclnn/opdev/common_types.h.
#pragma once
#include "aclnn/opdev/common_types.h"
