// CANN puts include/aclnn on the include path, so opdev/data_type_utils.h is aclnn/opdev/data_type_utils.h.
#pragma once
#include "aclnn/opdev/data_type_utils.h"
