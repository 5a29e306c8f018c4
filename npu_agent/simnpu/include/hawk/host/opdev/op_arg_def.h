// CANN puts include/aclnn on the include path, so opdev/op_arg_def.h is aclnn/opdev/op_arg_def.h.
#pragma once
#include "aclnn/opdev/op_arg_def.h"
