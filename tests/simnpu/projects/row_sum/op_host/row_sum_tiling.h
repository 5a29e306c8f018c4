// Test op project: y[r] = sum(x[r, :]) for x [rows, 64] float32, in the style of CANN's own operators: the compile
// info comes from a TilingParse function, the tiling from a TilingBaseClass template chosen by the registry.
#ifndef ROW_SUM_TILING_H
#define ROW_SUM_TILING_H
#include "register/tilingdata_base.h"
#include "tiling/tiling_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(RowSumTilingData)
TILING_DATA_FIELD_DEF(uint32_t, rowsPerBlock);
TILING_DATA_FIELD_DEF(uint32_t, cols);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(RowSum, RowSumTilingData)

struct RowSumCompileInfo {
    uint64_t coreNum = 0;
    uint64_t ubSize = 0;
};
}  // namespace optiling
#endif
