// A __cube__ kernel (runs on AIC cores without KERNEL_TASK_TYPE_DEFAULT) in static-tensor style: every local
// tensor comes from a LocalMemAllocator of its physical memory, no TPipe. int8 A (16 x 32) times B given
// transposed (16 x 32), one fractal each, int32 result out through Fixpipe.
#include "kernel_operator.h"

extern "C" __global__ __cube__ void cube_static(GM_ADDR a, GM_ADDR bt, GM_ADDR c)
{
    AscendC::InitSocState();
    AscendC::LocalMemAllocator<AscendC::Hardware::L1> l1Allocator;
    AscendC::LocalMemAllocator<AscendC::Hardware::L0A> l0aAllocator;
    AscendC::LocalMemAllocator<AscendC::Hardware::L0B> l0bAllocator;
    AscendC::LocalMemAllocator<AscendC::Hardware::L0C> l0cAllocator;
    AscendC::GlobalTensor<int8_t> aGm, bGm;
    aGm.SetGlobalBuffer((__gm__ int8_t *)a, 512);
    bGm.SetGlobalBuffer((__gm__ int8_t *)bt, 512);
    AscendC::GlobalTensor<int32_t> cGm;
    cGm.SetGlobalBuffer((__gm__ int32_t *)c, 256);
    AscendC::LocalTensor<int8_t> aL1 = l1Allocator.Alloc<AscendC::TPosition::A1, int8_t, 512>();
    AscendC::LocalTensor<int8_t> bL1 = l1Allocator.Alloc<AscendC::TPosition::B1, int8_t>(512);
    AscendC::LocalTensor<int8_t> aL0 = l0aAllocator.Alloc<int8_t, 512>();
    AscendC::LocalTensor<int8_t> bL0 = l0bAllocator.Alloc<int8_t>(512);
    AscendC::LocalTensor<int32_t> cL0 = l0cAllocator.Alloc<int32_t>(256);
    AscendC::DataCopy(aL1, aGm, 512);
    AscendC::DataCopy(bL1, bGm, 512);
    AscendC::SetFlag<AscendC::HardEvent::MTE2_MTE1>(EVENT_ID0);
    AscendC::WaitFlag<AscendC::HardEvent::MTE2_MTE1>(EVENT_ID0);
    AscendC::LoadData2DParams p;
    p.repeatTimes = 1;
    AscendC::LoadData(aL0, aL1, p);
    AscendC::LoadData(bL0, bL1, p);
    AscendC::SetFlag<AscendC::HardEvent::MTE1_M>(EVENT_ID0);
    AscendC::WaitFlag<AscendC::HardEvent::MTE1_M>(EVENT_ID0);
    AscendC::Mmad(cL0, aL0, bL0, AscendC::MmadParams(16, 16, 32));
    AscendC::SetFlag<AscendC::HardEvent::M_FIX>(EVENT_ID0);
    AscendC::WaitFlag<AscendC::HardEvent::M_FIX>(EVENT_ID0);
    AscendC::Fixpipe<int32_t, int32_t, AscendC::CFG_ROW_MAJOR>(cGm, cL0, AscendC::FixpipeParamsV220(16, 16, 16, 16, false));
}
