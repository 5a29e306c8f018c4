// CANN puts include/aclnn on the include path, so opdev/shape_utils.h is aclnn/opdev/shape_utils.h.
#pragma once
#include "aclnn/opdev/shape_utils.h"
