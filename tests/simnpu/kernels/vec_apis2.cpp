// Vector APIs of issue 12, round 2, against their documented A2 semantics: CreateVecIndex (count and mask forms),
// AddRelu, SubRelu, FusedMulAdd, MulAddRelu, MulAddDst (half src, float dst), Axpy<float, half>, ReduceDataBlock,
// Sort32, MrgSort (4 queues; 2 queues with ifExhaustedSuspension and GetMrgSortResult), the high-level Sort with
// Extract, GetSortLen/GetSortOffset. One output per check (tests/simnpu/test_vector_apis2.py has the numpy side).
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 256;

class VecApis2 {
public:
    __aicore__ inline VecApis2(GM_ADDR *args) : args_(args) {}
    __aicore__ inline void Run()
    {
        pipe.InitBuffer(bufA, N * 4);
        pipe.InitBuffer(bufA2, N * 4);
        pipe.InitBuffer(bufB, N * 4);
        pipe.InitBuffer(bufH, N * 2);
        pipe.InitBuffer(bufH2, N * 2);
        pipe.InitBuffer(bufS, N * 2);
        pipe.InitBuffer(bufS2, N * 2);
        pipe.InitBuffer(bufI, N * 4);
        pipe.InitBuffer(bufO, N * 8);
        pipe.InitBuffer(bufT, N * 8);
        pipe.InitBuffer(bufX, N * 8);
        LocalTensor<float> a = bufA.Get<float>(), a2 = bufA2.Get<float>(), b = bufB.Get<float>();
        LocalTensor<half> h = bufH.Get<half>(), h2 = bufH2.Get<half>();
        LocalTensor<int16_t> s1 = bufS.Get<int16_t>(), s2 = bufS2.Get<int16_t>();
        LocalTensor<uint32_t> idx = bufI.Get<uint32_t>();
        LocalTensor<float> o = bufO.Get<float>(), t = bufT.Get<float>(), x = bufX.Get<float>();
        In(0, a, N);
        In(1, a2, N);
        In(2, b, N);
        In(3, h, N);
        In(4, h2, N);
        In(5, s1, N);
        In(6, s2, N);
        In(7, idx, N);
        PipeBarrier<PIPE_ALL>();
        int k = 8;  // outputs start after the inputs

        {
            LocalTensor<int16_t> o16 = o.ReinterpretCast<int16_t>();
            CreateVecIndex(o16, (int16_t)-5, 128);                              Out(k++, o16, 128);
        }
        Duplicate(o, -1.0f, N);
        CreateVecIndex(o, 2.0f, (uint64_t)32, 2, 2, 16);                        Out(k++, o, N);  // blk 2, rep 16
        {
            LocalTensor<half> oh = o.ReinterpretCast<half>();
            AddRelu(oh, h, h2, N);                                              Out(k++, oh, N);
            LocalTensor<int16_t> o16 = o.ReinterpretCast<int16_t>();
            SubRelu(o16, s1, s2, N);                                            Out(k++, o16, N);
        }
        DataCopy(o, a2, N);
        FusedMulAdd(o, a, b, N);                                                Out(k++, o, N);  // a * o + b
        DataCopy(o, a2, N);
        MulAddRelu(o, a, b, 64, 4, {1, 1, 1, 8, 8, 8});                         Out(k++, o, N);  // mask form
        Duplicate(o, 1.0f, 64);
        MulAddDst(o, h, h2, 64);                                                Out(k++, o, 64);  // h * h2 + 1
        DataCopy(o, a, 64);
        Axpy(o, h, (half)2.0, 64);                                              Out(k++, o, 64);  // o + 2 h
        Duplicate(o, -7.0f, 64);
        ReduceDataBlock<ReduceType::SUM, float>(o, a, 64, 4, 1, 1, 8);          Out(k++, o, 32);
        {
            LocalTensor<half> oh = o.ReinterpretCast<half>();
            ReduceDataBlock<ReduceType::MAX, half>(oh, h, 128, 2, 1, 1, 8);     Out(k++, oh, 16);
        }
        Sort32(o, a, idx, 2);                                                   Out(k++, o, 128);
        Sort32(t, a, idx, 4);
        PipeBarrier<PIPE_V>();
        {
            MrgSortSrcList<float> l(t[0], t[64], t[128], t[192]);
            MrgSort4Info p;
            p.elementLengths[0] = p.elementLengths[1] = p.elementLengths[2] = p.elementLengths[3] = 32;
            p.validBit = 15;
            MrgSort(o, l, p);                                                   Out(k++, o, N);
        }
        Duplicate(o, 0.0f, 128);
        {
            MrgSortSrcList<float> l;
            l.src1 = t[0];
            l.src2 = t[64];
            uint16_t lens[4] = {32, 32, 0, 0};
            uint32_t sorted[4] = {0, 0, 0, 0};
            MrgSort<float, true>(o, l, lens, sorted, 3, 1);                     Out(k++, o, 128);
            uint16_t q1, q2, q3, q4;
            GetMrgSortResult(q1, q2, q3, q4);
            LocalTensor<int32_t> c = x.ReinterpretCast<int32_t>();
            c.SetValue(0, q1); c.SetValue(1, q2); c.SetValue(2, (int32_t)sorted[0]); c.SetValue(3, (int32_t)sorted[1]);
            c.SetValue(4, (int32_t)GetSortLen<float>(128)); c.SetValue(5, (int32_t)GetSortOffset<half>(3));
            c.SetValue(6, q3); c.SetValue(7, q4);
            Out(k++, c, 8);
        }
        {
            LocalTensor<float> concat;
            Concat(concat, a, x, 4);
            Sort<float, true>(t, concat, idx, x, 4);
            LocalTensor<uint32_t> oi = o.ReinterpretCast<uint32_t>();
            Extract(b, oi, t, 4);                                               Out(k++, b, 128);
            Out(k++, oi, 128);
        }
    }

private:
    template <typename T> __aicore__ inline void In(int k, const LocalTensor<T> &t, uint32_t n)
    {
        GlobalTensor<T> g;
        g.SetGlobalBuffer((__gm__ T *)args_[k], n);
        DataCopy(t, g, n);
    }
    template <typename T> __aicore__ inline void Out(int k, const LocalTensor<T> &t, uint32_t n)
    {
        GlobalTensor<T> g;
        g.SetGlobalBuffer((__gm__ T *)args_[k], n);
        PipeBarrier<PIPE_ALL>();
        DataCopy(g, t, n);
        PipeBarrier<PIPE_ALL>();
    }
    GM_ADDR *args_;
    TPipe pipe;
    TBuf<TPosition::VECCALC> bufA, bufA2, bufB, bufH, bufH2, bufS, bufS2, bufI, bufO, bufT, bufX;
};

extern "C" __global__ __aicore__ void vec_apis2(GM_ADDR a, GM_ADDR a2, GM_ADDR b, GM_ADDR h, GM_ADDR h2, GM_ADDR s1,
                                               GM_ADDR s2, GM_ADDR idx, GM_ADDR o0, GM_ADDR o1, GM_ADDR o2,
                                               GM_ADDR o3, GM_ADDR o4, GM_ADDR o5, GM_ADDR o6, GM_ADDR o7, GM_ADDR o8,
                                               GM_ADDR o9, GM_ADDR o10, GM_ADDR o11, GM_ADDR o12, GM_ADDR o13,
                                               GM_ADDR o14, GM_ADDR o15)
{
    GM_ADDR args[] = {a, a2, b, h, h2, s1, s2, idx, o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13,
                      o14, o15};
    VecApis2 v(args);
    v.Run();
}
