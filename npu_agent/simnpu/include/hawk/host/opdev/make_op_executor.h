// CANN puts include/aclnn on the include path, so opdev/make_op_executor.h is aclnn/opdev/make_op_executor.h.
#pragma once
#include "aclnn/opdev/make_op_executor.h"
