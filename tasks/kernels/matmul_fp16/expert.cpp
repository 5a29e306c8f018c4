// Expert kernel for the fp16 matmul tasks (matmul_fp16_*): c = a @ b, a [M, K], b [K, N] (row-major, b not
// transposed), float16 operands, float32 accumulation in L0C, float16 c. Basic APIs only, synchronised with
// SetFlag / WaitFlag on static buffers at fixed addresses (no TQue), following the recipe of Huawei's basic-API
// high-performance matmul (our own code):
//   - base block 128 x 256 x 64 (one Mmad): L0A 16 KB, L0B 32 KB, L0C 128 KB of float32;
//   - big packets: one GM -> L1 copy brings STEP_KA = 8 K blocks of a (128 x 512) and STEP_KB = 4 of b
//     (256 x 256), so copies are few and long; both L1 packets are double-buffered (ping-pong), the next one is
//     fetched as soon as its buffer is free, whatever output block it belongs to;
//   - L0A / L0B ping-pong between MTE1 (LoadData) and the cube (Mmad), one event pair per buffer;
//   - unitFlag hands L0C from Mmad to Fixpipe without an M -> FIX event per output block;
//   - the output blocks are split over the AIC cores as an SM x SN grid of contiguous regions (4 x 6 at large
//     sizes), chosen by the host tiling to balance the blocks per core; every M, N, K is allowed (tails).
// b's layout: each packet of b (kLen rows of K, curN columns) is copied with one Nd2Nz of ndNum = kLen / 16
// matrices of 16 rows, the matrix stride in L1 being one row of N fractals, so L1 holds the fractals in the
// [k1][n1] order L0B wants; one LoadData2D with transpose then moves a whole K block into L0B (one entry per
// Mmad). When K is not a multiple of 16, the packet's last fractal row is zeroed first and its rows copied by
// a second Nd2Nz (a's K padding is zero from Nd2Nz's D tail), so padding cannot leak into the sums.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"
#include "tiling/platform/platform_ascendc.h"

using namespace AscendC;

constexpr uint32_t BASE_M = 128;
constexpr uint32_t BASE_N = 256;
constexpr uint32_t BASE_K = 64;
constexpr uint32_t STEP_KA = 8;
constexpr uint32_t STEP_KB = 4;
constexpr uint32_t MAX_CORES = 64;

// L1 (512 KB): a's two packets (2 x 128 KB) from 0, b's two (2 x 128 KB) after them. L0A / L0B: 32 KB slots.
constexpr uint32_t A1_ELEMS = BASE_M * BASE_K * STEP_KA;
constexpr uint32_t B1_ELEMS = BASE_N * BASE_K * STEP_KB;
constexpr uint32_t A1_ADDR = 0;
constexpr uint32_t B1_ADDR = A1_ADDR + 2 * A1_ELEMS * 2;
constexpr uint32_t L0_SLOT_BYTES = 32768;
static_assert(B1_ADDR + 2 * B1_ELEMS * 2 <= 512 * 1024, "a and b packets must fit L1 (512 KB)");
static_assert(BASE_M * BASE_K * 2 <= L0_SLOT_BYTES && BASE_K * BASE_N * 2 <= L0_SLOT_BYTES, "L0A / L0B slots");
static_assert(BASE_M * BASE_N * 4 <= 131072, "the float accumulator must fit L0C (128 KB)");
static_assert((BASE_K / 16) * (BASE_N / 16) <= 255, "one LoadData of b moves at most 255 fractals");

__aicore__ inline uint32_t CeilDiv(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
__aicore__ inline uint32_t Align16(uint32_t v) { return (v + 15) / 16 * 16; }
__aicore__ inline uint32_t MinU(uint32_t a, uint32_t b) { return a < b ? a : b; }

namespace optiling {
BEGIN_TILING_DATA_DEF(TilingData)
TILING_DATA_FIELD_DEF(uint32_t, m);
TILING_DATA_FIELD_DEF(uint32_t, k);
TILING_DATA_FIELD_DEF(uint32_t, n);
TILING_DATA_FIELD_DEF(uint32_t, splitM);
TILING_DATA_FIELD_DEF(uint32_t, singleM);
TILING_DATA_FIELD_DEF(uint32_t, singleN);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(MatmulCustom, TilingData)

// The core grid SM x SN (SM * SN <= cores) that minimises the output blocks of the busiest core; ties go to the
// grid using more cores, then to the one closest to Huawei's 4 x 6 shape (more M parts than N parts).
static ge::graphStatus TilingFunc(gert::TilingContext* context)
{
    const gert::Shape& a = context->GetInputShape(0)->GetOriginShape();
    const gert::Shape& b = context->GetInputShape(1)->GetOriginShape();
    uint32_t m = static_cast<uint32_t>(a.GetDim(0));
    uint32_t k = static_cast<uint32_t>(a.GetDim(1));
    uint32_t n = static_cast<uint32_t>(b.GetDim(1));
    if (static_cast<uint32_t>(b.GetDim(0)) != k || m == 0 || n == 0 || k == 0) {
        return ge::GRAPH_FAILED;
    }
    uint32_t cores = platform_ascendc::PlatformAscendC(context->GetPlatformInfo()).GetCoreNumAic();
    cores = cores < MAX_CORES ? cores : MAX_CORES;
    uint32_t mTiles = CeilDiv(m, BASE_M), nTiles = CeilDiv(n, BASE_N);
    uint32_t bestM = 1, bestN = 1, bestLoad = 0xffffffffu, bestUsed = 0;
    for (uint32_t sn = 1; sn <= cores && sn <= nTiles; ++sn) {
        for (uint32_t sm = 1; sm * sn <= cores && sm <= mTiles; ++sm) {
            uint32_t tm = CeilDiv(mTiles, sm), tn = CeilDiv(nTiles, sn);
            uint32_t load = tm * tn;
            uint32_t used = CeilDiv(mTiles, tm) * CeilDiv(nTiles, tn);
            bool better = load < bestLoad || (load == bestLoad && used > bestUsed) ||
                          (load == bestLoad && used == bestUsed && sm >= sn && sm < bestM);
            if (better) {
                bestM = sm;
                bestN = sn;
                bestLoad = load;
                bestUsed = used;
            }
        }
    }
    uint32_t singleM = CeilDiv(mTiles, bestM) * BASE_M;
    uint32_t singleN = CeilDiv(nTiles, bestN) * BASE_N;
    TilingData tiling;
    tiling.set_m(m);
    tiling.set_k(k);
    tiling.set_n(n);
    tiling.set_splitM(bestM);
    tiling.set_singleM(singleM);
    tiling.set_singleN(singleN);
    context->SetBlockDim(bestM * bestN);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling
IMPL_OP_OPTILING(MatmulCustom).Tiling(optiling::TilingFunc);

class KernelMatmulExpert {
public:
    __aicore__ inline void Init(GM_ADDR a, GM_ADDR b, GM_ADDR c, uint32_t m, uint32_t k, uint32_t n, uint32_t splitM,
                                uint32_t singleM, uint32_t singleN)
    {
        this->m = m;
        this->k = k;
        this->n = n;
        aGm.SetGlobalBuffer((__gm__ half*)a, uint64_t(m) * k);
        bGm.SetGlobalBuffer((__gm__ half*)b, uint64_t(k) * n);
        cGm.SetGlobalBuffer((__gm__ half*)c, uint64_t(m) * n);
        uint32_t idx = GetBlockIdx();
        mStart = (idx % splitM) * singleM;
        nStart = (idx / splitM) * singleN;
        bool empty = mStart >= m || nStart >= n;
        mEnd = empty ? 0 : MinU(mStart + singleM, m);
        nEnd = empty ? 0 : MinU(nStart + singleN, n);
        mTiles = empty ? 0 : CeilDiv(mEnd - mStart, BASE_M);
        nTiles = empty ? 0 : CeilDiv(nEnd - nStart, BASE_N);
        totalTiles = mTiles * nTiles;
        kBlocks = CeilDiv(k, BASE_K);
        packetsA = CeilDiv(kBlocks, STEP_KA);
        packetsB = CeilDiv(kBlocks, STEP_KB);
    }

    __aicore__ inline void Process()
    {
        if (totalTiles == 0) {
            return;
        }
        LocalTensor<float> c(TPosition::CO1, 0, BASE_M * BASE_N);
        // Every buffer starts free: the consumer's release events are set once up front and taken back at the end.
        // MTE1_MTE2 events 0/1 release a's L1 slots, 2/3 b's; M_MTE1 events 0/1 release the L0 slots.
        for (uint32_t s = 0; s < 2; ++s) {
            SetFlag<HardEvent::MTE1_MTE2>(s);
            SetFlag<HardEvent::MTE1_MTE2>(2 + s);
            SetFlag<HardEvent::M_MTE1>(s);
        }
        for (uint32_t s = 0; s < 2; ++s) {  // b first: its packets run out sooner
            CopyB(s);
            CopyA(s);
        }
        uint32_t pa = 0, pb = 0, step = 0;
        for (uint32_t t = 0; t < totalTiles; ++t) {
            uint32_t m0, curM, n0, curN;
            TileAt(t, m0, curM, n0, curN);
            uint32_t mAlign = Align16(curM), nAlign = Align16(curN);
            for (uint32_t kb = 0; kb < kBlocks; ++kb) {
                uint32_t ca = kb % STEP_KA, cb = kb % STEP_KB;
                bool lastA = ca == STEP_KA - 1 || kb == kBlocks - 1;
                bool lastB = cb == STEP_KB - 1 || kb == kBlocks - 1;
                uint32_t aSlot = pa % 2, bSlot = pb % 2, l0 = step % 2;
                uint32_t kLen = MinU(BASE_K, k - kb * BASE_K);
                if (ca == 0) {
                    WaitFlag<HardEvent::MTE2_MTE1>(aSlot);
                }
                if (cb == 0) {
                    WaitFlag<HardEvent::MTE2_MTE1>(2 + bSlot);
                }
                WaitFlag<HardEvent::M_MTE1>(l0);
                LocalTensor<half> a2(TPosition::A2, l0 * L0_SLOT_BYTES, BASE_M * BASE_K);
                LocalTensor<half> b2(TPosition::B2, l0 * L0_SLOT_BYTES, BASE_K * BASE_N);
                LoadA(a2, aSlot, kb / STEP_KA, ca, kLen, mAlign);
                LoadB(b2, bSlot, cb, kLen, nAlign);
                if (lastA) {
                    SetFlag<HardEvent::MTE1_MTE2>(aSlot);
                }
                if (lastB) {
                    SetFlag<HardEvent::MTE1_MTE2>(2 + bSlot);
                }
                SetFlag<HardEvent::MTE1_M>(l0);
                WaitFlag<HardEvent::MTE1_M>(l0);
                uint8_t unit = kb == kBlocks - 1 ? 3 : 2;
                // m = 1 would switch the cube to GEMV (a read as a plain vector, not Zz fractals): a one-row
                // block computes a whole fractal row instead, its padding rows never leave L0C.
                uint32_t mmadM = curM == 1 ? 16 : curM;
                Mmad(c, a2, b2, MmadParams(mmadM, curN, kLen, unit, false, kb == 0));
                SetFlag<HardEvent::M_MTE1>(l0);
                ++step;
                // Refill the L1 buffers the packets just left.
                if (lastB) {
                    CopyB(pb + 2);
                    ++pb;
                }
                if (lastA) {
                    CopyA(pa + 2);
                    ++pa;
                }
            }
            CopyOut(c, m0, curM, n0, curN, mAlign);
        }
        for (uint32_t s = 0; s < 2; ++s) {
            WaitFlag<HardEvent::MTE1_MTE2>(s);
            WaitFlag<HardEvent::MTE1_MTE2>(2 + s);
            WaitFlag<HardEvent::M_MTE1>(s);
        }
    }

private:
    // Output block t of this core (N blocks outer, M blocks inner): its first row and column and size.
    __aicore__ inline void TileAt(uint32_t t, uint32_t& m0, uint32_t& curM, uint32_t& n0, uint32_t& curN)
    {
        uint32_t nt = t / mTiles, mt = t % mTiles;
        m0 = mStart + mt * BASE_M;
        curM = MinU(BASE_M, mEnd - m0);
        n0 = nStart + nt * BASE_N;
        curN = MinU(BASE_N, nEnd - n0);
    }

    // GM -> L1 copy of a's packet p (block p / packetsA, K chunk p % packetsA) into slot p % 2, ND -> NZ:
    // 16-column groups of align16(rows) rows each; the D tail of the last group is zero.
    __aicore__ inline void CopyA(uint32_t p)
    {
        if (p >= totalTiles * packetsA) {
            return;
        }
        uint32_t slot = p % 2;
        uint32_t m0, curM, n0, curN;
        TileAt(p / packetsA, m0, curM, n0, curN);
        uint32_t k0 = (p % packetsA) * STEP_KA * BASE_K;
        uint32_t kLen = MinU(STEP_KA * BASE_K, k - k0);
        LocalTensor<half> a1(TPosition::A1, A1_ADDR + slot * A1_ELEMS * 2, A1_ELEMS);
        WaitFlag<HardEvent::MTE1_MTE2>(slot);
        DataCopy(a1, aGm[uint64_t(m0) * k + k0], Nd2NzParams(1, curM, kLen, 0, k, Align16(curM), 1, 0));
        SetFlag<HardEvent::MTE2_MTE1>(slot);
    }

    // GM -> L1 copy of b's packet p into slot p % 2 as fractals in [k1][n1] order: ndNum matrices of 16 K rows,
    // each written as one row of nAlign / 16 fractals (dstNzC0Stride 16 blocks = one fractal apart).
    __aicore__ inline void CopyB(uint32_t p)
    {
        if (p >= totalTiles * packetsB) {
            return;
        }
        uint32_t slot = p % 2;
        uint32_t m0, curM, n0, curN;
        TileAt(p / packetsB, m0, curM, n0, curN);
        uint32_t k0 = (p % packetsB) * STEP_KB * BASE_K;
        uint32_t kLen = MinU(STEP_KB * BASE_K, k - k0);
        uint32_t rowElems = Align16(curN) * 16;  // one row of fractals
        uint32_t full = kLen / 16, rest = kLen % 16;
        LocalTensor<half> b1(TPosition::B1, B1_ADDR + slot * B1_ELEMS * 2, B1_ELEMS);
        WaitFlag<HardEvent::MTE1_MTE2>(2 + slot);
        if (full > 0) {
            DataCopy(b1, bGm[uint64_t(k0) * n + n0], Nd2NzParams(full, 16, curN, 16 * n, n, 16, 1, rowElems));
        }
        if (rest > 0) {
            LocalTensor<half> tail = b1[full * rowElems];
            InitConstValue(tail, InitConstValueParams<half>(1, static_cast<uint16_t>(rowElems / 16), 0, half(0.0f)));
            PipeBarrier<PIPE_MTE2>();
            DataCopy(tail, bGm[uint64_t(k0 + full * 16) * n + n0], Nd2NzParams(1, rest, curN, 0, n, 16, 1, 0));
        }
        SetFlag<HardEvent::MTE2_MTE1>(2 + slot);
    }

    // L1 -> L0A: K block `inPacket` of a's packet `chunk` (NZ, align16(rows) rows per column group) as Zz
    // fractals [m1][k1], one load3dv2 (a 1 x mAlign "image" with packet-K channels, 1x1 filter).
    __aicore__ inline void LoadA(const LocalTensor<half>& a2, uint32_t slot, uint32_t chunk, uint32_t inPacket,
                                 uint32_t kLen, uint32_t mAlign)
    {
        LocalTensor<half> a1(TPosition::A1, A1_ADDR + slot * A1_ELEMS * 2, A1_ELEMS);
        uint32_t packetK = MinU(STEP_KA * BASE_K, k - chunk * STEP_KA * BASE_K);
        LoadData3DParamsV2<half> p;
        p.l1H = 1;
        p.l1W = mAlign;
        p.channelSize = Align16(packetK);
        p.kExtension = Align16(kLen);
        p.mExtension = mAlign;
        p.kStartPt = inPacket * BASE_K;
        p.mStartPt = 0;
        LoadData(a2, a1, p);
    }

    // L1 -> L0B: K block `inPacket` of b's packet is align16(kLen) / 16 rows of nAlign / 16 fractals, contiguous
    // in [k1][n1] order; each fractal (16 k x 16 n) is transposed into L0B's (16 n x 16 k): one LoadData2D.
    __aicore__ inline void LoadB(const LocalTensor<half>& b2, uint32_t slot, uint32_t inPacket, uint32_t kLen,
                                 uint32_t nAlign)
    {
        LocalTensor<half> b1(TPosition::B1, B1_ADDR + slot * B1_ELEMS * 2, B1_ELEMS);
        uint32_t n1 = nAlign / 16;
        LoadData(b2, b1, LoadData2DParams(inPacket * (BASE_K / 16) * n1, Align16(kLen) / 16 * n1, 1, 0, 0, true, 0));
    }

    // L0C -> GM: float accumulator to half, NZ -> ND rows of c; unitFlag 3 waits for the last Mmad's result.
    __aicore__ inline void CopyOut(const LocalTensor<float>& c, uint32_t m0, uint32_t curM, uint32_t n0, uint32_t curN,
                                   uint32_t mAlign)
    {
        FixpipeParamsV220 params;
        params.nSize = curN;
        params.mSize = curM;
        params.srcStride = mAlign;
        params.dstStride = n;
        params.quantPre = QuantMode_t::F322F16;
        params.reluEn = false;
        params.unitFlag = 3;
        Fixpipe<half, float, CFG_ROW_MAJOR>(cGm[uint64_t(m0) * n + n0], c, params);
    }

    GlobalTensor<half> aGm, bGm, cGm;
    uint32_t m = 0, k = 0, n = 0;
    uint32_t mStart = 0, mEnd = 0, nStart = 0, nEnd = 0, mTiles = 0, nTiles = 0;
    uint32_t totalTiles = 0, kBlocks = 0, packetsA = 0, packetsB = 0;
};

extern "C" __global__ __aicore__ void matmul_custom(GM_ADDR a, GM_ADDR b, GM_ADDR c, GM_ADDR workspace, GM_ADDR tiling)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    GET_TILING_DATA(t, tiling);
    KernelMatmulExpert op;
    op.Init(a, b, c, t.m, t.k, t.n, t.splitM, t.singleM, t.singleN);
    op.Process();
}
