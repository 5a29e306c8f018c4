// Every vector op the twin runs on a fast path (runtime/fastmath.cpp), in float and half, in the count form (an
// odd count: a vector body and an element tail) and the full-mask form, plus both Casts: the test runs it with
// and without the fast paths and wants the same bits.
#include "kernel_operator.h"
using namespace AscendC;

constexpr int32_t N = 1024;
constexpr int32_t C = 1019;  // count form: 127 groups of 8 and a tail of 3
constexpr int32_t OPS = 23;

template <typename T> __aicore__ inline void Ops(const LocalTensor<T>& o, const LocalTensor<T>& x,
                                                 const LocalTensor<T>& y, const LocalTensor<T>& w,
                                                 const GlobalTensor<T>& z, T s, T ns)
{
    constexpr int32_t epr = 256 / sizeof(T);
    for (int32_t op = 0; op < OPS; ++op) {
        Duplicate(o, (T)0, N);
        PipeBarrier<PIPE_V>();
        switch (op) {
            case 0: Add(o, x, y, C); break;
            case 1: Sub(o, x, y, C); break;
            case 2: Mul(o, x, y, C); break;
            case 3: Div(o, x, y, C); break;
            case 4: Max(o, x, y, C); break;
            case 5: Min(o, x, y, C); break;
            case 6: Adds(o, x, s, C); break;
            case 7: Muls(o, x, ns, C); break;  // a negative-zero scalar
            case 8: Maxs(o, x, s, C); break;
            case 9: Mins(o, x, s, C); break;
            case 10: Relu(o, x, C); break;
            case 11: Abs(o, x, C); break;
            case 12: Reciprocal(o, x, C); break;
            case 13: Add(o, x, y, epr, N / epr, {1, 1, 1, 8, 8, 8}); break;  // full mask, default strides
            case 14: Mul(o, x, x, C); break;                                  // src0 == src1
            case 15: Add(o, o, y, C); break;                                  // in place
            case 16: Exp(o, x, C); break;
            case 17: Ln(o, x, C); break;
            case 18: Sqrt(o, x, C); break;
            case 19: Rsqrt(o, x, C); break;
            case 20: ReduceSum(o, y, w, C); break;
            case 21: ReduceMax(o, y, w, C, true); break;
            default: ReduceMin(o, y, w, C, true); break;
        }
        PipeBarrier<PIPE_ALL>();
        DataCopy(z[op * N], o, N);
        PipeBarrier<PIPE_ALL>();
    }
}

extern "C" __global__ __aicore__ void fast_paths(GM_ADDR x, GM_ADDR y, GM_ADDR xh, GM_ADDR yh, GM_ADDR z,
                                                 GM_ADDR zh, GM_ADDR cf, GM_ADDR ch, GM_ADDR cb, GM_ADDR cfb)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> bx, by, bo, bxh, byh, boh, bw;
    pipe.InitBuffer(bx, N * 4);
    pipe.InitBuffer(by, N * 4);
    pipe.InitBuffer(bo, N * 4);
    pipe.InitBuffer(bxh, N * 2);
    pipe.InitBuffer(byh, N * 2);
    pipe.InitBuffer(boh, N * 2);
    pipe.InitBuffer(bw, N * 4);
    GlobalTensor<float> xg, yg, zg, cfg;
    GlobalTensor<half> xhg, yhg, zhg, chg;
    xg.SetGlobalBuffer((__gm__ float *)x, N);
    yg.SetGlobalBuffer((__gm__ float *)y, N);
    zg.SetGlobalBuffer((__gm__ float *)z, N * OPS);
    cfg.SetGlobalBuffer((__gm__ float *)cf, N);
    xhg.SetGlobalBuffer((__gm__ half *)xh, N);
    yhg.SetGlobalBuffer((__gm__ half *)yh, N);
    zhg.SetGlobalBuffer((__gm__ half *)zh, N * OPS);
    chg.SetGlobalBuffer((__gm__ half *)ch, N);
    LocalTensor<float> lx = bx.Get<float>(), ly = by.Get<float>(), lo = bo.Get<float>();
    LocalTensor<half> lxh = bxh.Get<half>(), lyh = byh.Get<half>(), loh = boh.Get<half>();
    DataCopy(lx, xg, N);
    DataCopy(ly, yg, N);
    DataCopy(lxh, xhg, N);
    DataCopy(lyh, yhg, N);
    PipeBarrier<PIPE_ALL>();
    Ops<float>(lo, lx, ly, bw.Get<float>(), zg, 0.3f, -0.0f);
    Ops<half>(loh, lxh, lyh, bw.Get<half>(), zhg, (half)0.3f, (half)-0.0f);
    Duplicate(lo, 0.0f, N);
    Duplicate(loh, (half)0, N);
    PipeBarrier<PIPE_V>();
    Cast(lo, lxh, RoundMode::CAST_NONE, C);
    Cast(loh, lx, RoundMode::CAST_RINT, C);
    PipeBarrier<PIPE_ALL>();
    DataCopy(cfg, lo, N);
    DataCopy(chg, loh, N);
    PipeBarrier<PIPE_ALL>();
    // float -> bfloat16_t (CAST_RINT) and back.
    GlobalTensor<bfloat16_t> cbg;
    GlobalTensor<float> cfbg;
    cbg.SetGlobalBuffer((__gm__ bfloat16_t *)cb, N);
    cfbg.SetGlobalBuffer((__gm__ float *)cfb, N);
    LocalTensor<bfloat16_t> lob = boh.Get<bfloat16_t>();
    Duplicate(lo, 0.0f, N);
    Duplicate(loh, (half)0, N);
    PipeBarrier<PIPE_V>();
    Cast(lob, lx, RoundMode::CAST_RINT, C);
    PipeBarrier<PIPE_V>();
    Cast(lo, lob, RoundMode::CAST_NONE, C);
    PipeBarrier<PIPE_ALL>();
    DataCopy(cbg, lob, N);
    DataCopy(cfbg, lo, N);
}
