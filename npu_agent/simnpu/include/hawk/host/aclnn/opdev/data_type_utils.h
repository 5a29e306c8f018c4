// CANN aclnn op-dev header (data_type_utils.h): the op-dev API lives in one twin header, hawk_opdev.h.
#pragma once
#include "aclnn/opdev/hawk_opdev.h"
