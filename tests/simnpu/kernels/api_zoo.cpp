// Vector and data-movement APIs in their count and mask/repeat forms, and the documented silent behaviours.
// One output per check (tests/simnpu/test_apis.py computes each expectation with numpy).
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 256;

class Zoo {
public:
    __aicore__ inline Zoo(GM_ADDR *args) : args_(args) {}
    __aicore__ inline void Run()
    {
        pipe.InitBuffer(bufA, N * 4);
        pipe.InitBuffer(bufB, N * 4);
        pipe.InitBuffer(bufH, N * 2);
        pipe.InitBuffer(bufO, N * 4);
        pipe.InitBuffer(bufO2, N * 4);
        pipe.InitBuffer(bufM, 64);
        pipe.InitBuffer(bufW, N * 4);
        aGm.SetGlobalBuffer((__gm__ float *)args_[0], N);
        bGm.SetGlobalBuffer((__gm__ float *)args_[1], N);
        hGm.SetGlobalBuffer((__gm__ half *)args_[2], N);
        a = bufA.Get<float>();
        b = bufB.Get<float>();
        h = bufH.Get<half>();
        o = bufO.Get<float>();
        o2 = bufO2.Get<float>();
        DataCopy(a, aGm, N);
        DataCopy(b, bGm, N);
        DataCopy(h, hGm, N);
        PipeBarrier<PIPE_ALL>();
        int k = 3;  // outputs start after the inputs a, b, h

        Sub(o, a, b, N);                                         Out(k++, o, N);
        Mul(o, a, b, 64, 4, {1, 1, 1, 8, 8, 8});                 Out(k++, o, N);  // mask form
        Div(o, a, b, N);                                         Out(k++, o, N);
        Max(o, a, b, N);                                         Out(k++, o, N);
        Mins(o, a, 0.25f, N);                                    Out(k++, o, N);
        Maxs(o, a, -0.25f, 64, 4, {1, 1, 8, 8});                 Out(k++, o, N);  // mask form
        Abs(o, a, N); Sqrt(o, o, N);                             Out(k++, o, N);
        Abs(o, a, N); Adds(o, o, 1.0f, N); Ln(o, o, N);          Out(k++, o, N);
        Reciprocal(o, b, N);                                     Out(k++, o, N);
        Rsqrt(o, b, N);                                          Out(k++, o, N);
        Relu(o, a, N);                                           Out(k++, o, N);
        DataCopy(o, a, N);  // UB -> UB
        Duplicate(o, 3.0f, 32, 4, 1, 8);                         Out(k++, o, N);  // mask form: first 32 of 64
        {   // Exp on half, bit-mask form: only the even elements of each 128-element repeat
            LocalTensor<half> oh = o.ReinterpretCast<half>();
            Duplicate(oh, (half)0.0, N);
            uint64_t mask[2] = {0x5555555555555555ull, 0x5555555555555555ull};
            Exp(oh, h, mask, 2, {1, 1, 8, 8});                   OutH(k++, oh, N);
        }
        {   // Cast float -> half with CAST_FLOOR, count form
            LocalTensor<half> oh = o.ReinterpretCast<half>();
            Muls(o2, a, 1000.3f, N);
            Cast(oh, o2, RoundMode::CAST_FLOOR, N);              OutH(k++, oh, N);
        }
        {   // Cast half -> int32 with CAST_ROUND, mask form (64 elements per repeat)
            LocalTensor<half> hh = o2.ReinterpretCast<half>();
            Muls(hh, h, (half)10.0, N);
            LocalTensor<int32_t> oi = o.ReinterpretCast<int32_t>();
            Cast(oi, hh, RoundMode::CAST_ROUND, 64, 4, {1, 1, 8, 4});
            OutI(k++, oi, N);
        }
        {   // Cast float -> bfloat16_t with CAST_RINT
            LocalTensor<bfloat16_t> ob = o.ReinterpretCast<bfloat16_t>();
            Cast(ob, a, RoundMode::CAST_RINT, N);
            GlobalTensor<bfloat16_t> g;
            g.SetGlobalBuffer((__gm__ bfloat16_t *)args_[k++], N);
            DataCopy(g, ob, N);
        }
        LocalTensor<uint8_t> m = bufM.Get<uint8_t>();
        Compare(m, a, b, CMPMODE::LT, N);
        Select(o, m, a, b, SELMODE::VSEL_TENSOR_TENSOR_MODE, N); Out(k++, o, N);  // min(a, b)
        Compares(m, a, 0.0f, CMPMODE::GT, N);
        Select(o, m, a, 0.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, N); Out(k++, o, N);  // relu(a)
        {   // ReduceMax / ReduceMin with index: [max, min, argmax bits, argmin bits, 0, 0, 0, 0]
            LocalTensor<float> w = bufW.Get<float>();
            Duplicate(o2, 0.0f, 64);
            ReduceMax(o2, a, w, N, true);
            ReduceMin(o2[8], a, w, N, true);
            PipeBarrier<PIPE_ALL>();
            o.SetValue(0, o2.GetValue(0));
            o.SetValue(1, o2.GetValue(8));
            LocalTensor<uint32_t> idx = o2.ReinterpretCast<uint32_t>();
            o.ReinterpretCast<uint32_t>().SetValue(2, idx.GetValue(1));
            o.ReinterpretCast<uint32_t>().SetValue(3, idx.GetValue(9));
            for (int i = 4; i < 8; ++i) o.SetValue(i, 0.0f);
            Out(k++, o, 8);
        }
        Duplicate(o, 0.0f, 16);
        WholeReduceMax<float>(o, a, 64, 4, 1, 1, 8, ReduceOrder::ORDER_ONLY_VALUE);
        WholeReduceSum<float>(o[8], a, 64, 4, 1, 1, 8);          Out(k++, o, 16);  // 4 maxima, 4 sums
        {   // DataCopy with DataCopyParams: every other 32-byte block of a
            DataCopy(o, aGm, DataCopyParams(16, 1, 1, 0));       Out(k++, o, 128);
        }
        {   // DataCopyPad both ways: 10 floats (40 bytes), padded to 16 in UB, +1, written back unpadded
            DataCopyExtParams p(1, 10 * sizeof(float), 0, 0, 0);
            DataCopyPad(o, aGm, p, DataCopyPadExtParams<float>(true, 0, 6, 7.0f));
            Adds(o, o, 1.0f, 16);
            GlobalTensor<float> g;
            g.SetGlobalBuffer((__gm__ float *)args_[k++], 10);
            DataCopyPad(g, o, p);
        }
        {   // Silent: DataCopy of 20 halfs (40 bytes) moves only the first 32 bytes
            LocalTensor<half> oh = o.ReinterpretCast<half>();
            DataCopy(oh, hGm, 20);
            GlobalTensor<half> g;
            g.SetGlobalBuffer((__gm__ half *)args_[k++], 20);
            DataCopy(g, oh, 20);
        }
        {   // Silent: Compare of 100 floats (400 bytes) compares 64 and leaves the tail bits as they were
            LocalTensor<uint16_t> m16 = m.ReinterpretCast<uint16_t>();
            Duplicate(m16, (uint16_t)0xFFFF, 16);
            Compare(m, a, b, CMPMODE::LT, 100);
            GlobalTensor<uint8_t> g;
            g.SetGlobalBuffer((__gm__ uint8_t *)args_[k++], 32);
            DataCopy(g, m, 32);
        }
        {   // Scalar GM access and ReinterpretCast: [a[5], a[7] * 2, bits of h[1] as float, 0...]
            float v5 = aGm.GetValue(5);
            float v7 = aGm.GetValue(7);
            LocalTensor<uint16_t> hb = h.ReinterpretCast<uint16_t>();
            GlobalTensor<float> g;
            g.SetGlobalBuffer((__gm__ float *)args_[k++], 8);
            g.SetValue(0, v5);
            g.SetValue(1, v7 * 2.0f);
            g.SetValue(2, static_cast<float>(hb.GetValue(1)));
            for (int i = 3; i < 8; ++i) g.SetValue(i, 0.0f);
        }
        {   // Silent: AllocTensor returns what the buffer held (here the values written through the first tensor)
            TQue<QuePosition::VECOUT, 1> q;
            pipe.InitBuffer(q, 1, 64 * sizeof(float));
            LocalTensor<float> t = q.AllocTensor<float>();
            Duplicate(t, 42.0f, 64);
            q.FreeTensor(t);
            LocalTensor<float> u = q.AllocTensor<float>();
            Out(k++, u, 64);
            q.FreeTensor(u);
        }
    }

private:
    __aicore__ inline void Out(int k, const LocalTensor<float> &t, uint32_t n)
    {
        GlobalTensor<float> g;
        g.SetGlobalBuffer((__gm__ float *)args_[k], n);
        DataCopy(g, t, n);
    }
    __aicore__ inline void OutH(int k, const LocalTensor<half> &t, uint32_t n)
    {
        GlobalTensor<half> g;
        g.SetGlobalBuffer((__gm__ half *)args_[k], n);
        DataCopy(g, t, n);
    }
    __aicore__ inline void OutI(int k, const LocalTensor<int32_t> &t, uint32_t n)
    {
        GlobalTensor<int32_t> g;
        g.SetGlobalBuffer((__gm__ int32_t *)args_[k], n);
        DataCopy(g, t, n);
    }
    GM_ADDR *args_;
    TPipe pipe;
    TBuf<TPosition::VECCALC> bufA, bufB, bufH, bufO, bufO2, bufM, bufW;
    GlobalTensor<float> aGm, bGm;
    GlobalTensor<half> hGm;
    LocalTensor<float> a, b, o, o2;
    LocalTensor<half> h;
};

#define ZOO_ARGS                                                                                            \
    GM_ADDR a, GM_ADDR b, GM_ADDR h, GM_ADDR o0, GM_ADDR o1, GM_ADDR o2, GM_ADDR o3, GM_ADDR o4, GM_ADDR o5,   \
        GM_ADDR o6, GM_ADDR o7, GM_ADDR o8, GM_ADDR o9, GM_ADDR o10, GM_ADDR o11, GM_ADDR o12, GM_ADDR o13,  \
        GM_ADDR o14, GM_ADDR o15, GM_ADDR o16, GM_ADDR o17, GM_ADDR o18, GM_ADDR o19, GM_ADDR o20, GM_ADDR o21, \
        GM_ADDR o22, GM_ADDR o23, GM_ADDR o24, GM_ADDR o25
extern "C" __global__ __aicore__ void api_zoo(ZOO_ARGS)
{
    GM_ADDR args[] = {a, b, h, o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13, o14, o15, o16, o17,
                      o18, o19, o20, o21, o22, o23, o24, o25};
    Zoo zoo(args);
    zoo.Run();
}
