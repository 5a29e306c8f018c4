// Host side of a direct-launch candidate (docs/kernel-contract.md section 9): the AscendCL calls that a
// sample's main() makes. The twin renames that main() and never runs it; these declarations only let the
// host code compile unchanged. Each call fails (returns 1) should anything ever reach it.
#ifndef HAWK_HOST_ACL_H
#define HAWK_HOST_ACL_H

#include <cstddef>
#include <cstdint>

typedef int aclError;
typedef void* aclrtStream;
typedef void* aclrtContext;
typedef void* aclrtEvent;
typedef void* aclmdlRI;
typedef int aclrtMemMallocPolicy;
typedef int aclrtMemcpyKind;
typedef int aclDataType;
typedef int aclFormat;

#define ACL_SUCCESS 0
#define ACL_ERROR_NONE 0
#define ACL_MEM_MALLOC_HUGE_FIRST 0
#define ACL_MEM_MALLOC_HUGE_ONLY 1
#define ACL_MEM_MALLOC_NORMAL_ONLY 2
#define ACL_MEMCPY_HOST_TO_HOST 0
#define ACL_MEMCPY_HOST_TO_DEVICE 1
#define ACL_MEMCPY_DEVICE_TO_HOST 2
#define ACL_MEMCPY_DEVICE_TO_DEVICE 3
#define ACL_EVENT_SYNC 1
#define ACL_FORMAT_NCHW 0
#define ACL_FORMAT_NHWC 1
#define ACL_FORMAT_ND 2
#define ACL_FORMAT_NCL 47
#define ACL_FORMAT_NCDHW 30
#define ACL_FLOAT 0
#define ACL_FLOAT16 1
#define ACL_INT8 2
#define ACL_INT32 3
#define ACL_UINT8 4
#define ACL_INT16 6
#define ACL_INT64 9
#define ACL_BF16 27

namespace hawk_host {
inline aclError never_run() { return 1; }  // host code is compiled, not run, by the twin
}  // namespace hawk_host

inline aclError aclInit(const char*) { return hawk_host::never_run(); }
inline aclError aclFinalize() { return hawk_host::never_run(); }
inline aclError aclrtSetDevice(int32_t) { return hawk_host::never_run(); }
inline aclError aclrtResetDevice(int32_t) { return hawk_host::never_run(); }
inline aclError aclrtGetDeviceCount(uint32_t*) { return hawk_host::never_run(); }
inline aclError aclrtCreateContext(aclrtContext*, int32_t) { return hawk_host::never_run(); }
inline aclError aclrtDestroyContext(aclrtContext) { return hawk_host::never_run(); }
inline aclError aclrtSetCurrentContext(aclrtContext) { return hawk_host::never_run(); }
inline aclError aclrtCreateStream(aclrtStream*) { return hawk_host::never_run(); }
inline aclError aclrtDestroyStream(aclrtStream) { return hawk_host::never_run(); }
inline aclError aclrtSynchronizeStream(aclrtStream) { return hawk_host::never_run(); }
inline aclError aclrtSynchronizeDevice() { return hawk_host::never_run(); }
inline aclError aclrtMalloc(void**, size_t, aclrtMemMallocPolicy) { return hawk_host::never_run(); }
inline aclError aclrtMallocHost(void**, size_t) { return hawk_host::never_run(); }
inline aclError aclrtFree(void*) { return hawk_host::never_run(); }
inline aclError aclrtFreeHost(void*) { return hawk_host::never_run(); }
inline aclError aclrtMemcpy(void*, size_t, const void*, size_t, aclrtMemcpyKind) { return hawk_host::never_run(); }
inline aclError aclrtMemcpyAsync(void*, size_t, const void*, size_t, aclrtMemcpyKind, aclrtStream) {
    return hawk_host::never_run();
}
inline aclError aclrtMemset(void*, size_t, int32_t, size_t) { return hawk_host::never_run(); }
inline aclError aclrtCreateEvent(aclrtEvent*) { return hawk_host::never_run(); }
inline aclError aclrtCreateEventExWithFlag(aclrtEvent*, uint32_t) { return hawk_host::never_run(); }
inline aclError aclrtDestroyEvent(aclrtEvent) { return hawk_host::never_run(); }
inline aclError aclrtRecordEvent(aclrtEvent, aclrtStream) { return hawk_host::never_run(); }
inline aclError aclrtStreamWaitEvent(aclrtStream, aclrtEvent) { return hawk_host::never_run(); }
inline aclError aclrtGetLastError(int32_t = 0) { return hawk_host::never_run(); }
inline const char* aclGetRecentErrMsg() { return "the twin does not run host code"; }

#endif  // HAWK_HOST_ACL_H
