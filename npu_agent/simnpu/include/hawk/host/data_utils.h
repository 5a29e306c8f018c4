// Host side of a direct-launch candidate: the file helpers of Huawei's samples (data_utils.h), declared so an
// unchanged sample main() compiles. A candidate that ships its own data_utils.h uses that one instead (this
// directory is searched last). The twin never runs host code; these do nothing.
#ifndef HAWK_HOST_DATA_UTILS_H
#define HAWK_HOST_DATA_UTILS_H

#include <cstddef>
#include <cstdio>
#include <string>

#ifndef ERROR_LOG
#define ERROR_LOG(fmt, ...) ((void)0)
#endif
#ifndef INFO_LOG
#define INFO_LOG(fmt, ...) ((void)0)
#endif
#ifndef WARN_LOG
#define WARN_LOG(fmt, ...) ((void)0)
#endif

inline bool ReadFile(const std::string&, size_t&, void*, size_t) { return false; }
inline bool WriteFile(const std::string&, const void*, size_t) { return false; }

#endif  // HAWK_HOST_DATA_UTILS_H
