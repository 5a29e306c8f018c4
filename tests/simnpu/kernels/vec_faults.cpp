// The hardware checks of the vector-side APIs of issue 12; the input `mode` picks the offending call (each call
// carries its marker comment; tests/simnpu/test_vector_apis.py expects the kind, the API and the line).
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void vec_faults(GM_ADDR mode, GM_ADDR y)
{
    GlobalTensor<int32_t> modeGm;
    modeGm.SetGlobalBuffer((__gm__ int32_t *)mode, 8);
    int32_t m = modeGm.GetValue(0);
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 4096);
    LocalTensor<int16_t> s = buf.Get<int16_t>();
    LocalTensor<float> f = buf.Get<float>();
    LocalTensor<half> h = buf.Get<half>();
    LocalTensor<uint32_t> u = buf.Get<uint32_t>();
    Duplicate(s, (int16_t)1, 1024);
    if (m == 0) ShiftLeft(s, s, (int16_t)17, 128);  // FAULT shift
    if (m == 1) Gatherb(f, f, u, 1, {1, 8});  // FAULT gatherb dtype
    if (m == 2) BlockReduceSum(h[4], h, 1, 128, 1, 1, 8);  // FAULT block reduce dst alignment
    if (m == 3) Erf(f, f, 64);  // FAULT unmodelled
    if (m == 4) SetAtomicAdd<uint32_t>();  // FAULT atomic dtype
    if (m == 5) Brcb(f, f, 256, {1, 8});  // FAULT brcb repeat
    if (m == 6) {
        for (int i = 0; i < 9; ++i) GetTPipePtr()->AllocEventID<HardEvent::V_MTE3>();  // FAULT event ids
    }
    if (m == 7) {
        uint32_t off = 16;
        u.SetValue(0, off);
        PipeBarrier<PIPE_ALL>();
        LocalTensor<uint32_t> d = u[512];
        Gatherb(d, u[256], u, 1, {1, 8});  // FAULT gatherb offset alignment
    }
    if (m == 8) {
        LocalTensor<float> raw(TPosition::VECCALC, 196608 - 128, 64);
        Duplicate(raw, 1.0f, 64);  // FAULT raw tensor past the UB
    }
    GlobalTensor<float> yGm;
    yGm.SetGlobalBuffer((__gm__ float *)y, 8);
    DataCopy(yGm, f, 8);
}
