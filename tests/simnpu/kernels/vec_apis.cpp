// Vector-side APIs of issue 12 against their documented semantics: Tanh/Sigmoid, ShiftLeft/ShiftRight, Gather
// (count and mask forms), Gatherb, Brcb, BlockReduceSum/Max/Min, PairReduceSum, counter mode with isSetMask=false,
// the CMPMASK register (Compare into it, GetCmpMask, SetCmpMask, Select without a selMask), Copy, CompareScalar,
// LocalTensor(pos, addr, len), TBuf/TQue method forms, SetAtomicAdd/Max, SetPadValue, TPipe event ids.
// One output per check (tests/simnpu/test_vector_apis.py computes each expectation with numpy).
#include "kernel_operator.h"
using namespace AscendC;

constexpr uint32_t N = 256;

class VecApis {
public:
    __aicore__ inline VecApis(GM_ADDR *args) : args_(args) {}
    __aicore__ inline void Run()
    {
        pipe.InitBuffer(bufA, N * 4);
        pipe.InitBuffer(bufH, N * 2);
        pipe.InitBuffer(bufS, N * 2);
        pipe.InitBuffer(bufU, N * 4);
        pipe.InitBuffer(bufI, N * 4);
        pipe.InitBuffer(bufO, N * 4);
        pipe.InitBuffer(bufT, N * 4);
        pipe.InitBuffer(que, 1, N * 4);
        GlobalTensor<float> aGm;
        aGm.SetGlobalBuffer((__gm__ float *)args_[0], N);
        LocalTensor<float> a = bufA.Get<float>();
        LocalTensor<half> h = bufH.Get<half>();
        LocalTensor<int16_t> s16 = bufS.Get<int16_t>();
        LocalTensor<uint32_t> u32 = bufU.Get<uint32_t>();
        LocalTensor<uint32_t> idx = bufI.Get<uint32_t>();
        o = bufO.Get<float>();
        LocalTensor<float> t = bufT.Get<float>();
        DataCopy(a, aGm, N);
        In(1, h, N);
        In(2, s16, N);
        In(3, u32, N);
        In(4, idx, N);
        PipeBarrier<PIPE_ALL>();
        int k = 6;  // outputs start after the inputs a, h, s16, u32, idx, boff

        Tanh(o, a, N);                                                   Out(k++, o, N);
        {
            LocalTensor<half> oh = o.ReinterpretCast<half>();
            Tanh(oh, h, t.ReinterpretCast<uint8_t>(), N);                Out(k++, oh, N);
        }
        Sigmoid(o, a, N);                                                Out(k++, o, N);
        {
            LocalTensor<int16_t> o16 = o.ReinterpretCast<int16_t>();
            ShiftLeft(o16, s16, (int16_t)3, N);                          Out(k++, o16, N);
            ShiftRight(o16, s16, (int16_t)2, 128, 2, {1, 1, 8, 8}, true); Out(k++, o16, N);  // mask form, roundEn
            LocalTensor<uint32_t> ou = o.ReinterpretCast<uint32_t>();
            ShiftRight(ou, u32, 5u, N);                                  Out(k++, ou, N);
        }
        Gather(o, a, idx, (uint32_t)0, N);                               Out(k++, o, N);
        Duplicate(o, 0.0f, N);
        Gather(o, a, idx, (uint32_t)16, 32, 4, 8);                       Out(k++, o, N);  // mask 32 of 64, base 16
        {
            LocalTensor<uint32_t> boff = t.ReinterpretCast<uint32_t>();
            In(5, boff, 8);
            PipeBarrier<PIPE_ALL>();
            LocalTensor<uint32_t> ou = o.ReinterpretCast<uint32_t>();
            Gatherb(ou, u32, boff, 1, {1, 8});                            Out(k++, ou, 64);
        }
        Brcb(o, a, 4, {1, 8});                                           Out(k++, o, N);
        Duplicate(o, -7.0f, 64);
        BlockReduceSum(o, a, 4, 64, 1, 1, 8);                            Out(k++, o, 64);
        {
            LocalTensor<half> oh = o.ReinterpretCast<half>();
            BlockReduceMax(oh, h, 2, 128, 1, 1, 8);                      Out(k++, oh, 16);
        }
        Duplicate(o, -7.0f, 64);
        {
            uint64_t mask[2] = {0x00FF00FF00FF00FFull, 0};
            BlockReduceMin(o, a, 2, mask, 2, 1, 8);                      Out(k++, o, 32);  // odd blocks not written
        }
        PairReduceSum(o, a, 4, 64, 1, 1, 8);                             Out(k++, o, 128);
        Duplicate(o, 0.0f, N);
        SetMaskCount();
        SetVectorMask<float, MaskMode::COUNTER>(200);
        Add<float, false>(o, a, a, MASK_PLACEHOLDER, 1, {1, 1, 1, 8, 8, 8});  // counter: 200 elements, 4 repeats
        SetMaskNorm();
        ResetMask();                                                     Out(k++, o, N);
        {   // Compare into CMPMASK, Select mode 0 from it, GetCmpMask
            Duplicate(t, 0.0f, 64);
            Compare(a, t, CMPMODE::LT, 64, {1, 1, 1, 8, 8, 8});
            Select<float, SELMODE::VSEL_CMPMASK_SPR>(o, a, t, 1, {1, 1, 1, 8, 8, 8});
            LocalTensor<uint8_t> m = t[128].ReinterpretCast<uint8_t>();
            GetCmpMask(m);
            Out(k++, o, 64);
            OutU8(k++, m, 32);
        }
        {   // SetCmpMask with a scalar tensor, Select mode 1 without the scalar argument: a > 0 ? a : 2.5
            LocalTensor<uint8_t> m = t[128].ReinterpretCast<uint8_t>();
            Compares(m, a, 0.0f, CMPMODE::GT, 64);
            Duplicate(t, 2.5f, 8);
            SetCmpMask(t);
            Select(o, m, a, 1, {1, 1, 1, 8, 8, 8});                       Out(k++, o, 64);
        }
        Duplicate(o, 0.0f, N);
        Copy(o, a, 32, 4, {1, 1, 8, 8});                                  Out(k++, o, N);  // first 32 of each 64
        {
            LocalTensor<uint8_t> m = t.ReinterpretCast<uint8_t>();
            CompareScalar(m, a, 0.5f, CMPMODE::GT, N);                    OutU8(k++, m, 32);
        }
        {   // A tensor at a raw UB address past every buffer of the pipe
            LocalTensor<float> raw(TPosition::VECCALC, 150 * 1024, 64);
            DataCopy(raw, aGm, 64);
            Muls(raw, raw, 2.0f, 64);                                    Out(k++, raw, 64);
        }
        {   // TBuf with the TQue method names; TQue's AllocTensor(tensor) / DeQue(tensor) forms
            LocalTensor<float> x = bufT.AllocTensor<float>();
            Adds(x, a, 1.0f, 64);
            bufT.EnQue(x);
            LocalTensor<float> y = bufT.DeQue<float>();
            bufT.FreeTensor(y);
            LocalTensor<float> q;
            que.AllocTensor<float>(q);
            Muls(q, y, 3.0f, 64);
            que.EnQue(q);
            LocalTensor<float> r;
            que.DeQue<float>(r);
            Out(k++, r, 64);
            que.FreeTensor(r);
        }
        {   // SetAtomicAdd: out = 1 + a; SetAtomicMax through DataCopyPad: out = max(0.5, a)
            GlobalTensor<float> g;
            g.SetGlobalBuffer((__gm__ float *)args_[k], 64);
            Duplicate(o, 1.0f, 64);
            DataCopy(g, o, 64);
            PipeBarrier<PIPE_ALL>();
            SetAtomicAdd<float>();
            DataCopy(g, a, 64);
            SetAtomicNone();
            k++;
            g.SetGlobalBuffer((__gm__ float *)args_[k], 64);
            Duplicate(o, 0.5f, 64);
            DataCopy(g, o, 64);
            PipeBarrier<PIPE_ALL>();
            SetAtomicMax<float>();
            DataCopyPad(g, a, DataCopyExtParams(1, 64 * sizeof(float), 0, 0, 0));
            SetAtomicNone();
            k++;
        }
        {   // SetPadValue: 5 floats land padded to 8 with 7.0 (isPad = false)
            Duplicate(o, 0.0f, 8);
            SetPadValue(7.0f);
            DataCopyPad(o, aGm, DataCopyExtParams(1, 5 * sizeof(float), 0, 0, 0),
                        DataCopyPadExtParams<float>(false, 0, 3, 0.0f));
            Out(k++, o, 8);
        }
        {   // Event ids: [fetch, alloc, alloc, fetch, fetch after release of the first, 0, 0, 0]
            LocalTensor<int32_t> e = o.ReinterpretCast<int32_t>();
            Duplicate(e, 0, 8);
            PipeBarrier<PIPE_ALL>();
            TPipe *p = GetTPipePtr();
            int32_t f0 = p->FetchEventID(HardEvent::V_MTE3);
            int32_t a0 = p->AllocEventID<HardEvent::V_MTE3>();
            int32_t a1 = p->AllocEventID<HardEvent::V_MTE3>();
            int32_t f1 = p->FetchEventID<HardEvent::V_MTE3>();
            p->ReleaseEventID<HardEvent::V_MTE3>(a0);
            int32_t f2 = p->FetchEventID(HardEvent::V_MTE3);
            p->ReleaseEventID<HardEvent::V_MTE3>(a1);
            e.SetValue(0, f0);
            e.SetValue(1, a0);
            e.SetValue(2, a1);
            e.SetValue(3, f1);
            e.SetValue(4, f2);
            Out(k++, e, 8);
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
    __aicore__ inline void OutU8(int k, const LocalTensor<uint8_t> &t, uint32_t n) { Out(k, t, n); }
    GM_ADDR *args_;
    TPipe pipe;
    TBuf<TPosition::VECCALC> bufA, bufH, bufS, bufU, bufI, bufO, bufT;
    TQue<QuePosition::VECOUT, 1> que;
    LocalTensor<float> o;
};

#define VEC_ARGS                                                                                            \
    GM_ADDR a, GM_ADDR h, GM_ADDR s16, GM_ADDR u32, GM_ADDR idx, GM_ADDR boff, GM_ADDR o0, GM_ADDR o1,        \
        GM_ADDR o2, GM_ADDR o3, GM_ADDR o4, GM_ADDR o5, GM_ADDR o6, GM_ADDR o7, GM_ADDR o8, GM_ADDR o9,       \
        GM_ADDR o10, GM_ADDR o11, GM_ADDR o12, GM_ADDR o13, GM_ADDR o14, GM_ADDR o15, GM_ADDR o16,            \
        GM_ADDR o17, GM_ADDR o18, GM_ADDR o19, GM_ADDR o20, GM_ADDR o21, GM_ADDR o22, GM_ADDR o23, GM_ADDR o24, \
        GM_ADDR o25
extern "C" __global__ __aicore__ void vec_apis(VEC_ARGS)
{
    GM_ADDR args[] = {a, h, s16, u32, idx, boff, o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12,
                      o13, o14, o15, o16, o17, o18, o19, o20, o21, o22, o23, o24, o25};
    VecApis v(args);
    v.Run();
}
