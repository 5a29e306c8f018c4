// CANN kernel-side names the twin compiles but does not model: each entry calls one, which must end the run with
// UNSUPPORTED_API naming it (never a compile error). The kernels are otherwise plain copies.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void reg_acc_val(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 256);
    LocalTensor<float> t = buf.Get<float>();
    SetMaskCount();
    vcadd(nullptr, (__ubuf__ float*)t.GetPhyAddr(), 1, 1, 1, 8, true);  // UNMODELLED_VCADD
    uint64_t acc = GetAccVal();
    (void)acc; (void)x; (void)y;
}
