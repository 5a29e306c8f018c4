// A constexpr constructor that fills its array member in the body (catlass's Coord): C++20 allows it (P1331) and
// CANN's device compiler (clang) accepts it in C++17; GCC's C++17 refuses it when it is evaluated as a constant,
// so the twin compiles such a kernel as C++20. z = x * kShape.idx[1] (3).
#include "kernel_operator.h"
using namespace AscendC;

template <int RANK>
struct Coord {
    constexpr explicit Coord(const uint32_t (&v)[RANK])
    {
        for (int i = 0; i < RANK; ++i) {
            idx[i] = v[i];
        }
    }
    uint32_t idx[RANK];
};

constexpr Coord<2> MakeCoord(uint32_t a, uint32_t b)
{
    uint32_t v[2] = {a, b};
    return Coord<2>(v);
}

struct Shape {
    static constexpr Coord<2> kShape = MakeCoord(2, 3);
};

extern "C" __global__ __aicore__ void constexpr_ctor(GM_ADDR x, GM_ADDR z)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 256 * sizeof(float));
    LocalTensor<float> t = buf.Get<float>();
    GlobalTensor<float> xGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float *)x, 256);
    zGm.SetGlobalBuffer((__gm__ float *)z, 256);
    DataCopy(t, xGm, 256);
    SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
    WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
    Muls(t, t, static_cast<float>(Shape::kShape.idx[1]), 256);
    SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
    WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
    DataCopy(zGm, t, 256);
}
