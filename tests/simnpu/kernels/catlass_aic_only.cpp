// A catlass-style kernel whose class defines only the AIC specialization of its core-type operator() (the AIV one is
// declared by the primary template and never defined), and whose resource object gives every core all six buffer
// pools, UB included, as catlass's Arch::Resource does (TPipe::InitBuffer only books a pool; it touches nothing).
// No kernel type is declared: CANN infers AIC_ONLY from the cube code of the AIC build (the AIV build has no work)
// and links only the AIC build, whose call of the undefined AIV operator() is never linked. Block b computes the
// 16x16 block z[b] = A[b] x B (fp16 in, fp32 out).
#include "kernel_operator.h"

namespace Demo {
constexpr uint32_t F = 16;

struct Resource {
    AscendC::TPipe pipe;
    AscendC::TBuf<AscendC::TPosition::A1> l1;
    AscendC::TBuf<AscendC::TPosition::A2> l0a;
    AscendC::TBuf<AscendC::TPosition::B2> l0b;
    AscendC::TBuf<AscendC::TPosition::CO1> l0c;
    AscendC::TBuf<AscendC::TPosition::VECCALC> ub;
    __aicore__ inline Resource()
    {
        pipe.InitBuffer(l1, 2 * F * F * sizeof(half));
        pipe.InitBuffer(l0a, F * F * sizeof(half));
        pipe.InitBuffer(l0b, F * F * sizeof(half));
        pipe.InitBuffer(l0c, F * F * sizeof(float));
        pipe.InitBuffer(ub, 4096);
    }
};

class Matmul {
public:
    struct Params {
        GM_ADDR a;
        GM_ADDR b;
        GM_ADDR z;
    };

    template <int32_t CORE_TYPE = g_coreType>
    __aicore__ inline void operator()(Params const &params);

    template <>
    __aicore__ inline void operator()<AscendC::AIC>(Params const &params)
    {
        using namespace AscendC;
        Resource res;
        GlobalTensor<half> aGm, bGm;
        GlobalTensor<float> zGm;
        aGm.SetGlobalBuffer((__gm__ half *)params.a + GetBlockIdx() * F * F, F * F);
        bGm.SetGlobalBuffer((__gm__ half *)params.b, F * F);
        zGm.SetGlobalBuffer((__gm__ float *)params.z + GetBlockIdx() * F * F, F * F);
        LocalTensor<half> a1 = res.l1.Get<half>();
        LocalTensor<half> b1 = a1[F * F];
        DataCopy(a1, aGm, Nd2NzParams(1, F, F, 0, F, F, 1, 0));
        DataCopy(b1, bGm, Nd2NzParams(1, F, F, 0, F, F, 1, 0));
        SetFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE1>(EVENT_ID0);
        LocalTensor<half> a2 = res.l0a.Get<half>();
        LocalTensor<half> b2 = res.l0b.Get<half>();
        LoadData2DParams pa;
        pa.repeatTimes = 1;
        LoadData(a2, a1, pa);
        LoadData2DParams pb;
        pb.repeatTimes = 1;
        pb.ifTranspose = true;
        LoadData(b2, b1, pb);
        SetFlag<HardEvent::MTE1_M>(EVENT_ID0);
        WaitFlag<HardEvent::MTE1_M>(EVENT_ID0);
        LocalTensor<float> c = res.l0c.Get<float>();
        Mmad(c, a2, b2, MmadParams(F, F, F));
        SetFlag<HardEvent::M_FIX>(EVENT_ID0);
        WaitFlag<HardEvent::M_FIX>(EVENT_ID0);
        FixpipeParamsV220 fp(F, F, F, F, false);
        Fixpipe<float, float, CFG_ROW_MAJOR>(zGm, c, fp);
    }
};
}  // namespace Demo

extern "C" __global__ __aicore__ void catlass_aic_only(GM_ADDR a, GM_ADDR b, GM_ADDR z)
{
    Demo::Matmul kernel;
    kernel({a, b, z});
}
