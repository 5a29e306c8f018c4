// CANN puts include/aclnn on the include path, so opdev/op_log.h is aclnn/opdev/op_log.h.
#pragma once
#include "aclnn/opdev/op_log.h"
