// A __vector__ kernel in static-tensor style through the legacy tik2 namespace: UB tensors from
// LocalMemAllocator<Hardware::UB> (handed out back to back from address 0), z = x + y on half written with the
// device compiler's float16_t name. It also stores the arch macros and the CANN utility results in `info`.
#include "kernel_operator.h"

constexpr uint32_t N = 256;

extern "C" __global__ __vector__ void vector_static(GM_ADDR x, GM_ADDR y, GM_ADDR z, GM_ADDR info)
{
    tik2::InitSocState();
    tik2::LocalMemAllocator<tik2::Hardware::UB> ubAllocator;
    tik2::GlobalTensor<float16_t> xGm, yGm, zGm;
    xGm.SetGlobalBuffer((__gm__ float16_t *)x, N);
    yGm.SetGlobalBuffer((__gm__ float16_t *)y, N);
    zGm.SetGlobalBuffer((__gm__ float16_t *)z, N);
    tik2::LocalTensor<float16_t> xL = ubAllocator.Alloc<tik2::TPosition::VECIN, float16_t, N>();
    uint32_t afterX = ubAllocator.GetCurAddr();
    tik2::LocalTensor<float16_t> yL = ubAllocator.Alloc<float16_t>(N);
    tik2::LocalTensor<float16_t> zL = ubAllocator.Alloc<tik2::TPosition::LCM, float16_t>(N);
    tik2::DataCopy(xL, xGm, N);
    tik2::DataCopy(yL, yGm, N);
    tik2::SetFlag<tik2::HardEvent::MTE2_V>(EVENT_ID0);
    tik2::WaitFlag<tik2::HardEvent::MTE2_V>(EVENT_ID0);
    tik2::Add(zL, xL, yL, N);
    tik2::SetFlag<tik2::HardEvent::V_MTE3>(EVENT_ID0);
    tik2::WaitFlag<tik2::HardEvent::V_MTE3>(EVENT_ID0);
    tik2::DataCopy(zGm, zL, N);

    tik2::GlobalTensor<int32_t> infoGm;
    infoGm.SetGlobalBuffer((__gm__ int32_t *)info, 8);
    infoGm.SetValue(0, __NPU_ARCH__);
    infoGm.SetValue(1, __CCE_AICORE__);
    infoGm.SetValue(2, static_cast<int32_t>(afterX));
    infoGm.SetValue(3, static_cast<int32_t>(zL.GetPhyAddr()));
    infoGm.SetValue(4, static_cast<int32_t>(AscendC::DivCeil(1000, 32) + AscendC::AlignUp(1000, 32)));
    infoGm.SetValue(5, AscendC::IsSameType<float32_t, float>::value + 2 * AscendC::IsSameType<AscendC::int4b_t, int8_t>::value);
    infoGm.SetValue(6, static_cast<int32_t>(std::max<uint32_t>(AscendC::Ceil(7, 2), AscendC::CeilDivision(9, 4))));
    infoGm.SetValue(7, AscendC::GetTPipePtr() == nullptr ? 1 : 0);
}
