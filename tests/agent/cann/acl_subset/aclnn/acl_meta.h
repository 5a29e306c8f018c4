// The aclnn tensor API the op-package launcher calls, declared by us from the public aclnn API reference
// (aclCreateTensor / aclDestroyTensor and the opaque types). NOT CANN's header; see acl/acl.h for what it proves.
#pragma once
#include "acl/acl.h"

typedef struct aclTensor aclTensor;
typedef struct aclOpExecutor aclOpExecutor;
typedef int32_t aclnnStatus;

#ifdef __cplusplus
extern "C" {
#endif
aclTensor *aclCreateTensor(const int64_t *viewDims, uint64_t viewDimsNum, aclDataType dataType, const int64_t *stride,
                           int64_t offset, aclFormat format, const int64_t *storageDims, uint64_t storageDimsNum,
                           void *tensorData);
aclnnStatus aclDestroyTensor(const aclTensor *tensor);
#ifdef __cplusplus
}
#endif
