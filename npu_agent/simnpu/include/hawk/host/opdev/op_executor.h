// CANN puts include/aclnn on the include path, so opdev/op_executor.h is aclnn/opdev/op_executor.h.
#pragma once
#include "aclnn/opdev/op_executor.h"
