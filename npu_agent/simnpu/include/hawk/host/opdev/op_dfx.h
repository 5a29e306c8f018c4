// CANN puts include/aclnn on the include path, so opdev/op_dfx.h is aclnn/opdev/op_dfx.h.
#pragma once
#include "aclnn/opdev/op_dfx.h"
