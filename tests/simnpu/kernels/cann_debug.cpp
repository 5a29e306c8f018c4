// The debug interfaces of a CANN build: AscendC::printf / PRINTF / DumpTensor write to the kernel's output,
// a failing assert or ascendc_assert ends the run naming the kernel line, and ASSERT is compiled out as in the
// NPU build (even in the `x = n ASSERT(...)` spelling some public kernels have).
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 64;

__aicore__ inline void CopyThrough(GM_ADDR x, GM_ADDR y, bool dump)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, N * sizeof(float));
    GlobalTensor<float> xGm, yGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, N);
    yGm.SetGlobalBuffer((__gm__ float *)y, N);
    LocalTensor<float> t = buf.Get<float>();
    DataCopy(t, xGm, N);
    SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
    if (dump) DumpTensor(t, 5, 4);
    SetFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
    DataCopy(yGm, t, N);
}

extern "C" __global__ __aicore__ void debug_print(GM_ADDR x, GM_ADDR y)
{
    half h = 1.5;
    printf("value %d half %f\n", 42, h);
    PRINTF("tag %s\n", "abc");
    CopyThrough(x, y, true);
}

extern "C" __global__ __aicore__ void debug_assert_pass(GM_ADDR x, GM_ADDR y)
{
    uint32_t tileNum = GetBlockNum();
    uint32_t kept = tileNum ASSERT(tileNum > 4 && "compiled out on the NPU");
    ASSERT(kept > 4 && "compiled out on the NPU");
    ASCENDC_ASSERT(kept > 4, { KERNEL_LOG(KERNEL_ERROR, "compiled out on the NPU"); });
    ascendc_assert(x != nullptr, "x is %p\n", x);
    assert(y != nullptr);
    CopyThrough(x, y, false);
}

extern "C" __global__ __aicore__ void debug_assert_fmt(GM_ADDR x, GM_ADDR y)
{
    int32_t tileNum = 10;
    ascendc_assert(tileNum != 10, "The tileNum value is %d.\n", tileNum);  // FAIL_FMT
    CopyThrough(x, y, false);
}

extern "C" __global__ __aicore__ void debug_assert_plain(GM_ADDR x, GM_ADDR y)
{
    CopyThrough(x, y, false);
    assert(GetBlockNum() > 4 && "block dim too small!");  // FAIL_PLAIN
}
