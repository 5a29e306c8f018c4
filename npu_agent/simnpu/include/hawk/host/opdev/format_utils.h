// CANN puts include/aclnn on the include path, so opdev/format_utils.h is aclnn/opdev/format_utils.h.
#pragma once
#include "aclnn/opdev/format_utils.h"
