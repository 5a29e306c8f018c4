// ge::TypeUtils and ge::GetSizeByDataType (graph/utils/type_utils.h, graph/types.h): the data-type helpers host
// tiling functions call to turn a tensor's ge::DataType into a name or an element size.
#ifndef HAWK_GE_TYPE_UTILS_H
#define HAWK_GE_TYPE_UTILS_H

#include <cstdint>
#include <string>

#include "hawk/tiling.h"

namespace ge {
namespace detail {
struct DataTypeInfo {
    DataType type;
    const char* name;
    int size;  // bytes; sub-byte types are kDataTypeSizeBitOffset + bits, as CANN encodes them; -1 no fixed size
};
constexpr int kDataTypeSizeBitOffset = 1000;
inline const DataTypeInfo* data_types(size_t& n) {
    static const DataTypeInfo t[] = {
        {DT_FLOAT, "DT_FLOAT", 4}, {DT_FLOAT16, "DT_FLOAT16", 2}, {DT_INT8, "DT_INT8", 1},
        {DT_INT32, "DT_INT32", 4}, {DT_UINT8, "DT_UINT8", 1}, {DT_INT16, "DT_INT16", 2},
        {DT_UINT16, "DT_UINT16", 2}, {DT_UINT32, "DT_UINT32", 4}, {DT_INT64, "DT_INT64", 8},
        {DT_UINT64, "DT_UINT64", 8}, {DT_DOUBLE, "DT_DOUBLE", 8}, {DT_BOOL, "DT_BOOL", 1},
        {DT_STRING, "DT_STRING", -1}, {DT_DUAL_SUB_INT8, "DT_DUAL_SUB_INT8", 1},
        {DT_DUAL_SUB_UINT8, "DT_DUAL_SUB_UINT8", 1}, {DT_COMPLEX64, "DT_COMPLEX64", 8},
        {DT_COMPLEX128, "DT_COMPLEX128", 16}, {DT_QINT8, "DT_QINT8", 1}, {DT_QINT16, "DT_QINT16", 2},
        {DT_QINT32, "DT_QINT32", 4}, {DT_QUINT8, "DT_QUINT8", 1}, {DT_QUINT16, "DT_QUINT16", 2},
        {DT_RESOURCE, "DT_RESOURCE", 8}, {DT_STRING_REF, "DT_STRING_REF", -1}, {DT_DUAL, "DT_DUAL", 5},
        {DT_VARIANT, "DT_VARIANT", 8}, {DT_BF16, "DT_BF16", 2}, {DT_UNDEFINED, "DT_UNDEFINED", -1},
        {DT_INT4, "DT_INT4", kDataTypeSizeBitOffset + 4}, {DT_UINT1, "DT_UINT1", kDataTypeSizeBitOffset + 1},
        {DT_INT2, "DT_INT2", kDataTypeSizeBitOffset + 2}, {DT_UINT2, "DT_UINT2", kDataTypeSizeBitOffset + 2},
    };
    n = sizeof(t) / sizeof(t[0]);
    return t;
}
inline const DataTypeInfo* find(DataType d) {
    size_t n = 0;
    const DataTypeInfo* t = data_types(n);
    for (size_t i = 0; i < n; ++i)
        if (t[i].type == d) return &t[i];
    return nullptr;
}
}  // namespace detail

// Element size in bytes (-1 for types without one).
inline int GetSizeByDataType(DataType data_type) {
    const detail::DataTypeInfo* i = detail::find(data_type);
    return i ? i->size : -1;
}

class TypeUtils {
   public:
    static std::string DataTypeToSerialString(DataType data_type) {
        const detail::DataTypeInfo* i = detail::find(data_type);
        return i ? i->name : "UNDEFINED";
    }
    static DataType SerialStringToDataType(const std::string& str) {
        size_t n = 0;
        const detail::DataTypeInfo* t = detail::data_types(n);
        for (size_t i = 0; i < n; ++i)
            if (str == t[i].name) return t[i].type;
        return DT_UNDEFINED;
    }
    static bool GetDataTypeLength(DataType data_type, uint32_t& length) {
        int size = GetSizeByDataType(data_type);
        if (size <= 0 || size >= detail::kDataTypeSizeBitOffset) return false;
        length = static_cast<uint32_t>(size);
        return true;
    }
    static std::string FormatToSerialString(Format format) {
        switch (format) {
            case FORMAT_NCHW: return "NCHW";
            case FORMAT_NHWC: return "NHWC";
            case FORMAT_ND: return "ND";
            case FORMAT_FRACTAL_NZ: return "FRACTAL_NZ";
        }
        return "RESERVED";
    }
};
}  // namespace ge

#endif  // HAWK_GE_TYPE_UTILS_H
