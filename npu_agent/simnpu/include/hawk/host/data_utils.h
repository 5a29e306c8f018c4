// Host side of a direct-launch candidate: the file helpers of Huawei's samples (data_utils.h), for a sample that
// does not bring its own (this directory is searched last). The twin hands the kernel the task's tensors itself
// (docs/kernel-contract.md section 9) and the sandbox forbids writing files, so these read nothing and write
// nothing, and succeed: ReadFile zero-fills the buffer and reports it full; WriteFile keeps nothing; PrintData
// prints as the samples' helper does.
#ifndef HAWK_HOST_DATA_UTILS_H
#define HAWK_HOST_DATA_UTILS_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "acl/acl.h"

#ifndef ERROR_LOG
#define ERROR_LOG(fmt, ...) ((void)0)
#endif
#ifndef INFO_LOG
#define INFO_LOG(fmt, ...) ((void)0)
#endif
#ifndef WARN_LOG
#define WARN_LOG(fmt, ...) ((void)0)
#endif

typedef enum {
#ifndef DT_UNDEFINED  // a direct-launch build defines CANN's DT_* numbers as macros (hawk_task.h)
    DT_UNDEFINED = -1,
#endif
    FLOAT = 0,
    HALF = 1,
    INT8_T = 2,
    INT32_T = 3,
    UINT8_T = 4,
    INT16_T = 6,
    UINT16_T = 7,
    UINT32_T = 8,
    INT64_T = 9,
    UINT64_T = 10,
    DOUBLE = 11,
    BOOL = 12,
    BF16 = 27
} printDataType;

inline bool ReadFile(const std::string&, size_t& fileSize, void* buffer, size_t bufferSize) {
    if (buffer != nullptr) std::memset(buffer, 0, bufferSize);
    fileSize = bufferSize;
    return true;
}

inline bool WriteFile(const std::string&, const void*, size_t) { return true; }

template <typename T> inline void DoPrintData(const T* data, size_t count, size_t elementsPerRow) {
    for (size_t i = 0; i < count; ++i) {
        std::printf("%10g", static_cast<double>(data[i]));
        if (elementsPerRow && i % elementsPerRow == elementsPerRow - 1) std::printf("\n");
    }
}

inline void PrintData(const void* data, size_t count, printDataType dataType, size_t elementsPerRow = 16) {
    if (data == nullptr) return;
    switch (dataType) {
        case BOOL: DoPrintData(static_cast<const bool*>(data), count, elementsPerRow); break;
        case INT8_T: DoPrintData(static_cast<const int8_t*>(data), count, elementsPerRow); break;
        case UINT8_T: DoPrintData(static_cast<const uint8_t*>(data), count, elementsPerRow); break;
        case INT16_T: DoPrintData(static_cast<const int16_t*>(data), count, elementsPerRow); break;
        case UINT16_T: DoPrintData(static_cast<const uint16_t*>(data), count, elementsPerRow); break;
        case INT32_T: DoPrintData(static_cast<const int32_t*>(data), count, elementsPerRow); break;
        case UINT32_T: DoPrintData(static_cast<const uint32_t*>(data), count, elementsPerRow); break;
        case INT64_T: DoPrintData(static_cast<const int64_t*>(data), count, elementsPerRow); break;
        case UINT64_T: DoPrintData(static_cast<const uint64_t*>(data), count, elementsPerRow); break;
        case FLOAT: DoPrintData(static_cast<const float*>(data), count, elementsPerRow); break;
        case DOUBLE: DoPrintData(static_cast<const double*>(data), count, elementsPerRow); break;
        case HALF: {
            const aclFloat16* h = static_cast<const aclFloat16*>(data);
            for (size_t i = 0; i < count; ++i) {
                std::printf("%10g", static_cast<double>(aclFloat16ToFloat(h[i])));
                if (elementsPerRow && i % elementsPerRow == elementsPerRow - 1) std::printf("\n");
            }
            break;
        }
        default: std::printf("PrintData: unsupported data type %d\n", static_cast<int>(dataType));
    }
    std::printf("\n");
}

#endif  // HAWK_HOST_DATA_UTILS_H
