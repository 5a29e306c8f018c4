// Raw CCE intrinsics (hawk/cce.h) and the layout APIs they share a runtime with (Transpose, TransDataTo5HD,
// GatherMask), CANN's pointer-level Impl functions and PopStackBuffer. UB operands are `(__ubuf__ T*)GetPhyAddr()`
// as public kernels write them; every vector intrinsic runs under the mask register set by set_vector_mask.
#include "kernel_operator.h"
using namespace AscendC;

#define UBF(t) ((__ubuf__ float*)(t).GetPhyAddr())
#define UBH(t) ((__ubuf__ half*)(t).GetPhyAddr())
#define UBS(t) ((__ubuf__ int16_t*)(t).GetPhyAddr())

constexpr uint64_t FULL = ~uint64_t(0);

// a, b: float [256]; h: half [256]; s1, s2: int16 [256].
extern "C" __global__ __aicore__ void cce_vector(GM_ADDR a, GM_ADDR b, GM_ADDR h, GM_ADDR s1, GM_ADDR s2,
                                                 GM_ADDR add, GM_ADDR exph, GM_ADDR muls, GM_ADDR conv, GM_ADDR cmp,
                                                 GM_ADDR cnt, GM_ADDR orr, GM_ADDR bsum, GM_ADDR acc)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 16 * 1024);
    LocalTensor<float> ua = buf.GetWithOffset<float>(256, 0);
    LocalTensor<float> ub = buf.GetWithOffset<float>(256, 1024);
    LocalTensor<half> uh = buf.GetWithOffset<half>(256, 2048);
    LocalTensor<int16_t> us1 = buf.GetWithOffset<int16_t>(256, 2560);
    LocalTensor<int16_t> us2 = buf.GetWithOffset<int16_t>(256, 3072);
    LocalTensor<float> oadd = buf.GetWithOffset<float>(256, 4096);
    LocalTensor<half> oexp = buf.GetWithOffset<half>(256, 5120);
    LocalTensor<float> omuls = buf.GetWithOffset<float>(256, 5632);
    LocalTensor<half> oconv = buf.GetWithOffset<half>(256, 6656);
    LocalTensor<uint8_t> ocmp = buf.GetWithOffset<uint8_t>(32, 7168);
    LocalTensor<float> ocnt = buf.GetWithOffset<float>(256, 7680);
    LocalTensor<int16_t> oor = buf.GetWithOffset<int16_t>(256, 8704);
    LocalTensor<float> obsum = buf.GetWithOffset<float>(32, 9216);
    LocalTensor<float> work = buf.GetWithOffset<float>(64, 9344);
    LocalTensor<float> red = buf.GetWithOffset<float>(8, 9600);

    copy_gm_to_ubuf(UBF(ua), (__gm__ float*)a, 0, 1, 32, 0, 0);
    copy_gm_to_ubuf(UBF(ub), (__gm__ float*)b, 0, 1, 32, 0, 0);
    copy_gm_to_ubuf(UBH(uh), (__gm__ half*)h, 0, 1, 16, 0, 0);
    copy_gm_to_ubuf(UBS(us1), (__gm__ int16_t*)s1, 0, 2, 8, 0, 0);  // two bursts of 8 blocks
    copy_gm_to_ubuf(UBS(us2), (__gm__ int16_t*)s2, 0, 1, 16, 0, 0);
    set_flag(PIPE_MTE2, PIPE_V, EVENT_ID0);
    wait_flag(PIPE_MTE2, PIPE_V, EVENT_ID0);

    set_vector_mask(FULL, FULL);
    vadd(UBF(oadd), UBF(ua), UBF(ub), 4, 1, 1, 1, 8, 8, 8);
    vector_dup(UBH(oexp), (half)0, 2, 1, 1, 8, 8);
    pipe_barrier(PIPE_V);
    set_vector_mask(0, 0xFF);  // the first 8 elements of every repeat
    vexp(UBH(oexp), UBH(uh), 2, 1, 1, 8, 8);
    set_vector_mask(FULL, FULL);
    vmuls(UBF(omuls), UBF(ua), 3.0f, 4, 1, 1, 8, 8);
    vconv_f322f16r(UBH(oconv), UBF(ua), 4, 1, 1, 4, 8);
    vcmpv_lt((__ubuf__ uint8_t*)ocmp.GetPhyAddr(), UBF(ua), UBF(ub), 4, 1, 1, 1, 8, 8, 8);
    vector_dup(UBF(ocnt), -1.0f, 4, 1, 1, 8, 8);
    pipe_barrier(PIPE_V);
    set_mask_count();
    set_vector_mask(0, 100);  // counter mode: 100 elements, the repeat count is ignored
    vadds(UBF(ocnt), UBF(ua), 1.0f, 1, 1, 1, 8, 8);
    set_mask_norm();
    set_vector_mask(FULL, FULL);
    vor(UBS(oor), UBS(us1), UBS(us2), 2, 1, 1, 1, 8, 8, 8);
    vcgadd(UBF(obsum), UBF(ua), 4, 1, 1, 8);
    vcadd(nullptr, UBF(ua), 4, 1, 1, 8, true);  // accumulate: the sum of every element into ACC_VAL
    set_flag(PIPE_V, PIPE_S, EVENT_ID0);
    wait_flag(PIPE_V, PIPE_S, EVENT_ID0);
    int64_t accBits = get_acc_val();
    float total = *reinterpret_cast<float*>(&accBits);
    ReduceSum<float>(red, ua, work, 100);
    set_flag(PIPE_V, PIPE_S, EVENT_ID1);
    wait_flag(PIPE_V, PIPE_S, EVENT_ID1);
    float first100 = GetReduceRepeatSumSpr<float>();

    set_flag(PIPE_V, PIPE_MTE3, EVENT_ID0);
    wait_flag(PIPE_V, PIPE_MTE3, EVENT_ID0);
    copy_ubuf_to_gm((__gm__ float*)add, UBF(oadd), 0, 1, 32, 0, 0);
    copy_ubuf_to_gm((__gm__ half*)exph, UBH(oexp), 0, 1, 16, 0, 0);
    copy_ubuf_to_gm((__gm__ float*)muls, UBF(omuls), 0, 1, 32, 0, 0);
    copy_ubuf_to_gm((__gm__ half*)conv, UBH(oconv), 0, 1, 16, 0, 0);
    copy_ubuf_to_gm((__gm__ uint8_t*)cmp, (__ubuf__ uint8_t*)ocmp.GetPhyAddr(), 0, 1, 1, 0, 0);
    copy_ubuf_to_gm((__gm__ float*)cnt, UBF(ocnt), 0, 1, 32, 0, 0);
    copy_ubuf_to_gm((__gm__ int16_t*)orr, UBS(oor), 0, 1, 16, 0, 0);
    copy_ubuf_to_gm((__gm__ float*)bsum, UBF(obsum), 0, 1, 4, 0, 0);
    GlobalTensor<float> accGm;
    accGm.SetGlobalBuffer((__gm__ float*)acc, 8);
    accGm.SetValue(0, total);
    accGm.SetValue(1, first100);
}

// s: int16 [512] (S = s[:512] as 16 x 32), f: float [256] (F as 16 x 16).
extern "C" __global__ __aicore__ void cce_transpose(GM_ADDR s, GM_ADDR f, GM_ADDR t16, GM_ADDR nchw16,
                                                    GM_ADDR nchw32, GM_ADDR api1)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 8 * 1024);
    LocalTensor<int16_t> us = buf.GetWithOffset<int16_t>(512, 0);
    LocalTensor<float> uf = buf.GetWithOffset<float>(256, 1024);
    LocalTensor<int16_t> ot = buf.GetWithOffset<int16_t>(256, 2048);
    LocalTensor<int16_t> o16 = buf.GetWithOffset<int16_t>(512, 2560);
    LocalTensor<float> o32 = buf.GetWithOffset<float>(256, 3584);
    LocalTensor<int16_t> oapi = buf.GetWithOffset<int16_t>(256, 4608);
    copy_gm_to_ubuf(UBS(us), (__gm__ int16_t*)s, 0, 1, 32, 0, 0);
    copy_gm_to_ubuf(UBF(uf), (__gm__ float*)f, 0, 1, 32, 0, 0);
    set_flag(PIPE_MTE2, PIPE_V, EVENT_ID0);
    wait_flag(PIPE_MTE2, PIPE_V, EVENT_ID0);

    vtranspose((__ubuf__ uint16_t*)ot.GetPhyAddr(), (__ubuf__ uint16_t*)us.GetPhyAddr());  // s[:256] as 16 x 16

    // b16: source block i = row i of S (repeat r: columns 16r..16r+15), destination block j = row j of S^T.
    uint64_t d[16], src[16];
    for (int i = 0; i < 16; ++i) {
        src[i] = us.GetPhyAddr() + i * 64;
        d[i] = o16.GetPhyAddr() + i * 32;
    }
    set_va_reg_sb(VA0, d);
    set_va_reg_sb(VA1, d + 8);
    set_va_reg_sb(VA2, src);
    set_va_reg_sb(VA3, src + 8);
    scatter_vnchwconv_b16(VA0, VA2, 2, 16, 1);
    // b32: source block i = row i of F (repeat r: columns 8r..8r+7); two destination blocks per column.
    for (int i = 0; i < 16; ++i) {
        src[i] = uf.GetPhyAddr() + i * 64;
        d[i] = o32.GetPhyAddr() + i * 32;
    }
    set_va_reg_sb(VA4, d);
    set_va_reg_sb(VA5, d + 8);
    set_va_reg_sb(VA6, src);
    set_va_reg_sb(VA7, src + 8);
    scatter_vnchwconv_b32(VA4, VA6, 2, 16, 1);
    // The API with repeatTimes 1: the addresses start one repeat stride in (16 blocks: s[256:512]).
    for (int i = 0; i < 16; ++i) {
        src[i] = us.GetPhyAddr() + i * 32;
        d[i] = oapi.GetPhyAddr() + i * 32;
    }
    TransDataTo5HDParams p(false, false, 1, 0, 16);
    TransDataTo5HD<int16_t>(d, src, p);

    set_flag(PIPE_V, PIPE_MTE3, EVENT_ID0);
    wait_flag(PIPE_V, PIPE_MTE3, EVENT_ID0);
    copy_ubuf_to_gm((__gm__ int16_t*)t16, UBS(ot), 0, 1, 16, 0, 0);
    copy_ubuf_to_gm((__gm__ int16_t*)nchw16, UBS(o16), 0, 1, 32, 0, 0);
    copy_ubuf_to_gm((__gm__ float*)nchw32, UBF(o32), 0, 1, 32, 0, 0);
    copy_ubuf_to_gm((__gm__ int16_t*)api1, UBS(oapi), 0, 1, 16, 0, 0);
}

// h: half [256]; f: float [128]; pat: int32 [8] (the user pattern's bits).
extern "C" __global__ __aicore__ void gather_mask(GM_ADDR h, GM_ADDR f, GM_ADDR pat, GM_ADDR odd, GM_ADDR even,
                                                  GM_ADDR user, GM_ADDR fourth, GM_ADDR counts)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 8 * 1024);
    LocalTensor<half> uh = buf.GetWithOffset<half>(256, 0);
    LocalTensor<float> uf = buf.GetWithOffset<float>(128, 512);
    LocalTensor<uint32_t> up = buf.GetWithOffset<uint32_t>(8, 1024);
    LocalTensor<half> oodd = buf.GetWithOffset<half>(128, 1536);
    LocalTensor<float> oeven = buf.GetWithOffset<float>(64, 2048);
    LocalTensor<float> ouser = buf.GetWithOffset<float>(128, 2560);
    LocalTensor<float> ofourth = buf.GetWithOffset<float>(32, 3072);
    GlobalTensor<half> hGm;
    GlobalTensor<float> fGm;
    GlobalTensor<uint32_t> pGm;
    hGm.SetGlobalBuffer((__gm__ half*)h, 256);
    fGm.SetGlobalBuffer((__gm__ float*)f, 128);
    pGm.SetGlobalBuffer((__gm__ uint32_t*)pat, 8);
    DataCopy(uh, hGm, 256);
    DataCopy(uf, fGm, 128);
    DataCopy(up, pGm, 8);
    SetFlag<HardEvent::MTE2_V>(0);
    WaitFlag<HardEvent::MTE2_V>(0);
    Duplicate(ouser, 0.0f, 128);
    PipeBarrier<PIPE_V>();

    uint64_t rsvd[4] = {0, 0, 0, 0};
    uint8_t odds = 2, evens = 1;
    uint16_t rep = 2;
    GatherMask(oodd, uh, odds, false, 0, {1, rep, 8, 0}, rsvd[0]);   // 2 repeats of 128 halves, odd indices
    GatherMask(oeven, uf, evens, false, 0, {1, rep, 8, 0}, rsvd[1]);  // 2 repeats of 64 floats, even indices
    // Counter mode (A2): 40 elements per repeat, repeats 64 floats apart, the same 40 pattern bits each repeat.
    GatherMask(ouser, uf, up, true, 40, {1, rep, 8, 0}, rsvd[2]);
    // The intrinsic under the mask register (normal mode), built-in pattern 3: index 0 of every four.
    vreducev2((__ubuf__ uint32_t*)ofourth.GetPhyAddr(), (__ubuf__ uint32_t*)uf.GetPhyAddr(),
              (__ubuf__ uint32_t*)uf.GetPhyAddr(), 2, 1, 3, 8, 0);
    rsvd[3] = get_rsvd_cnt();
    int64_t remain = GetGatherMaskRemainCount();

    SetFlag<HardEvent::V_MTE3>(0);
    WaitFlag<HardEvent::V_MTE3>(0);
    GlobalTensor<half> oddGm;
    GlobalTensor<float> evenGm, userGm, fourthGm;
    GlobalTensor<int32_t> cntGm;
    oddGm.SetGlobalBuffer((__gm__ half*)odd, 128);
    evenGm.SetGlobalBuffer((__gm__ float*)even, 64);
    userGm.SetGlobalBuffer((__gm__ float*)user, 128);
    fourthGm.SetGlobalBuffer((__gm__ float*)fourth, 32);
    cntGm.SetGlobalBuffer((__gm__ int32_t*)counts, 8);
    DataCopy(oddGm, oodd, 128);
    DataCopy(evenGm, oeven, 64);
    DataCopy(userGm, ouser, 128);
    DataCopy(fourthGm, ofourth, 32);
    for (int i = 0; i < 4; ++i) cntGm.SetValue(i, static_cast<int32_t>(rsvd[i]));
    cntGm.SetValue(4, static_cast<int32_t>(remain));
}

// PopStackBuffer (the UB the TPipe has not handed out), CANN's DuplicateImpl / DataCopyUB2GMImpl on raw pointers.
extern "C" __global__ __aicore__ void impl_helpers(GM_ADDR x, GM_ADDR y, GM_ADDR info)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1000);  // rounded up to 1024
    LocalTensor<float> pop;
    bool ok = PopStackBuffer<float, TPosition::LCM>(pop);
    DuplicateImpl<float>((__ubuf__ float*)pop.GetPhyAddr(), 2.5f, 64);
    event_t e = static_cast<event_t>(GetTPipePtr()->FetchEventID(HardEvent::V_MTE3));
    set_flag(PIPE_V, PIPE_MTE3, e);
    wait_flag(PIPE_V, PIPE_MTE3, e);
    DataCopyUB2GMImpl((__gm__ float*)y, (__ubuf__ float*)pop.GetPhyAddr(), {1, 8, 0, 0});
    GlobalTensor<int32_t> infoGm;
    infoGm.SetGlobalBuffer((__gm__ int32_t*)info, 8);
    infoGm.SetValue(0, ok ? 1 : 0);
    infoGm.SetValue(1, static_cast<int32_t>(pop.GetPhyAddr()));
    infoGm.SetValue(2, static_cast<int32_t>(pop.GetSize()));
    (void)x;
}

// Intrinsics the twin does not model, and an argument form of a modelled one: they compile, and a call ends the
// run with UNSUPPORTED_API naming the intrinsic.
extern "C" __global__ __aicore__ void cce_unmodelled(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<uint16_t> t = buf.Get<uint16_t>();
    Duplicate(t, (uint16_t)0, 256);  // UNMODELLED_LINE
    vgather((__ubuf__ uint16_t*)t.GetPhyAddr(), (__ubuf__ uint32_t*)t.GetPhyAddr(), 0u, (uint16_t)8, (uint8_t)1);
    (void)x; (void)y;
}

extern "C" __global__ __aicore__ void cce_other_form(GM_ADDR x, GM_ADDR y)
{
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<float> t = buf.Get<float>();
    Duplicate(t, 0.0f, 64);  // OTHER_FORM_LINE
    uint64_t config = 1;  // the packed-config form of vadd
    vadd(UBF(t), UBF(t), UBF(t), config);
    (void)x; (void)y;
}

extern "C" __global__ __aicore__ void cce_unmodelled_cube(GM_ADDR x, GM_ADDR y)
{
    int64_t status = get_status();  // UNMODELLED_GET_STATUS
    mad(nullptr, nullptr, nullptr, 16, 16, 16, false);
    (void)status; (void)x; (void)y;
}
