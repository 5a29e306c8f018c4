// tiling/tiling_api.h: the host tiling of the high-level APIs. The twin declares the APIs themselves in
// kernel_operator.h (matmul_tiling::MultiCoreMatmulTiling in hawk/matmul_tiling.h, SoftMaxTilingFunc in
// hawk/softmax.h, the normalisation tilings in hawk/norms.h); as on CANN, their tiling structs enter `optiling`
// only through this header, so an op's own BEGIN_TILING_DATA_DEF(LayerNormTiling) does not clash without it.
#include "kernel_operator.h"

#ifndef HAWK_TILING_API_H
#define HAWK_TILING_API_H
namespace optiling {
using ::AscendC::tiling::SoftMaxTiling;
using ::AscendC::tiling::LogSoftMaxTiling;
}  // namespace optiling
namespace optiling {
using ::AscendC::tiling::LayerNormTiling;
using ::AscendC::tiling::LayerNormSeparateTiling;
using ::AscendC::tiling::LayerNormGradTiling;
using ::AscendC::tiling::LayerNormGradBetaTiling;
using ::AscendC::tiling::RmsNormTiling;
}  // namespace optiling

#endif  // HAWK_TILING_API_H
