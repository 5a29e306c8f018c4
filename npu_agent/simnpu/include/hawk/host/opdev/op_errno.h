// CANN puts include/aclnn on the include path, so opdev/op_errno.h is aclnn/opdev/op_errno.h.
#pragma once
#include "aclnn/opdev/op_errno.h"
