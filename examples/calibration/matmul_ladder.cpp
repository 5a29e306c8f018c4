// Matmul calibration ladder: c = a @ bt^T with a [M, K], bt [N, K] (b stored transposed, K contiguous, as in
// Huawei's matmul_high_performance / matmul_basic_api_high_performance samples), float16 operands, float32
// accumulation in L0C, float16 c [M, N]. Written to docs/kernel-contract.md with basic APIs only:
//   GM --(MTE2, DataCopy Nd2Nz)--> L1 --(MTE1, LoadData)--> L0A / L0B --(M, Mmad)--> L0C --(FIX, Fixpipe)--> GM
// synchronised with SetFlag / WaitFlag on static tensors at fixed addresses (no TQue).
//
// One source, every ladder step: the build definitions below select the step (examples/calibration/
// matmul_ladder.toml lists each step's definitions with Huawei's published numbers;
// benchmarks/calibrate_matmul.py runs them). M, K and N come from the input shapes at run time, so the same
// kernel runs at test sizes and at 8192^3.
//
//   MM_BASE_M/N/K     base block (one Mmad): L0A holds BASE_M x BASE_K, L0B BASE_K x BASE_N, L0C BASE_M x BASE_N
//   MM_SPLIT_M/N      cores along M and N (block dim = SPLIT_M * SPLIT_N); block i takes M part i % SPLIT_M
//   MM_ALIGN_SPLIT    1: each core's singleM / singleN rounded up to the base block (512 B aligned GM rows of c)
//   MM_L2_ROUNDS      M is cut into ROUNDS * SPLIT_M parts, done in ROUNDS passes over all of bt, so bt
//                     stays in L2 while the cores sweep half of a (the L2 split of case 6 / scenario 2)
//   MM_STEP_KA/KB     base blocks of K per GM -> L1 copy of a / bt ("big packets")
//   MM_L1_DB          1: one L1 buffer per operand (the next copy waits until MTE1 has read the last one);
//                     2: ping-pong, the next packet is copied while the current one is consumed
//   MM_L0_DB          1 or 2 L0A/L0B buffers (ping-pong between MTE1 and the cube)
//   MM_B_FIRST        1: when a packet of each is due, copy bt before a
//   MM_UNIT_FLAG      1: Mmad / Fixpipe hand over L0C with unitFlag (2 on inner K blocks, 3 on the last) instead
//                     of an M -> FIX event per output block
// The copies stream across output blocks and rounds: the next packet is fetched as soon as its L1 buffer is
// free, whatever block it belongs to. When STEP_KA == STEP_KB the a and bt packets of one K range travel
// together under one event pair (as one K iteration of a plain pipeline), else each has its own.
#include "kernel_operator.h"
#include "register/tilingdata_base.h"

#ifndef MM_BASE_M
#define MM_BASE_M 128
#endif
#ifndef MM_BASE_N
#define MM_BASE_N 256
#endif
#ifndef MM_BASE_K
#define MM_BASE_K 64
#endif
#ifndef MM_SPLIT_M
#define MM_SPLIT_M 1
#endif
#ifndef MM_SPLIT_N
#define MM_SPLIT_N 1
#endif
#ifndef MM_ALIGN_SPLIT
#define MM_ALIGN_SPLIT 0
#endif
#ifndef MM_L2_ROUNDS
#define MM_L2_ROUNDS 1
#endif
#ifndef MM_STEP_KA
#define MM_STEP_KA 1
#endif
#ifndef MM_STEP_KB
#define MM_STEP_KB 1
#endif
#ifndef MM_L1_DB
#define MM_L1_DB 1
#endif
#ifndef MM_L0_DB
#define MM_L0_DB 2
#endif
#ifndef MM_B_FIRST
#define MM_B_FIRST 0
#endif
#ifndef MM_UNIT_FLAG
#define MM_UNIT_FLAG 0
#endif

constexpr uint32_t BASE_M = MM_BASE_M;
constexpr uint32_t BASE_N = MM_BASE_N;
constexpr uint32_t BASE_K = MM_BASE_K;
constexpr uint32_t SPLIT_M = MM_SPLIT_M;
constexpr uint32_t SPLIT_N = MM_SPLIT_N;
constexpr uint32_t ROUNDS = MM_L2_ROUNDS;
constexpr uint32_t STEP_KA = MM_STEP_KA;
constexpr uint32_t STEP_KB = MM_STEP_KB;
constexpr uint32_t L1_DB = MM_L1_DB;
constexpr uint32_t L0_DB = MM_L0_DB;
constexpr bool B_FIRST = MM_B_FIRST != 0;
constexpr bool UNIT_FLAG = MM_UNIT_FLAG != 0;
constexpr bool PAIRED = STEP_KA == STEP_KB;  // a and bt packets share their events

// L1 (512 KB): a's buffers from 0, bt's after them. L0A / L0B: buffer i at i * (64 KB / L0_DB).
constexpr uint32_t A1_ELEMS = BASE_M * BASE_K * STEP_KA;
constexpr uint32_t B1_ELEMS = BASE_N * BASE_K * STEP_KB;
constexpr uint32_t A1_ADDR = 0;
constexpr uint32_t B1_ADDR = A1_ADDR + L1_DB * A1_ELEMS * 2;
constexpr uint32_t L0_SLOT_BYTES = 65536 / L0_DB;
static_assert(BASE_M % 16 == 0 && BASE_N % 16 == 0 && BASE_K % 16 == 0, "base blocks are whole fractals");
static_assert(L1_DB == 1 || L1_DB == 2, "MM_L1_DB is 1 or 2");
static_assert(L0_DB == 1 || L0_DB == 2, "MM_L0_DB is 1 or 2");
static_assert(ROUNDS >= 1 && ROUNDS <= 4, "MM_L2_ROUNDS is 1..4");
static_assert(B1_ADDR + L1_DB * B1_ELEMS * 2 <= 512 * 1024, "a and bt packets must fit L1 (512 KB)");
static_assert(BASE_M * BASE_K * 2 <= L0_SLOT_BYTES && BASE_K * BASE_N * 2 <= L0_SLOT_BYTES, "L0A / L0B buffers");
static_assert(BASE_M * BASE_N * 4 <= 131072, "the float accumulator must fit L0C (128 KB)");
static_assert((BASE_K / 16) * (BASE_N / 16) <= 255, "one LoadData of bt moves at most 255 fractals");

__aicore__ inline uint32_t CeilDiv(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
__aicore__ inline uint32_t Align16(uint32_t v) { return (v + 15) / 16 * 16; }
__aicore__ inline uint32_t MinU(uint32_t a, uint32_t b) { return a < b ? a : b; }

namespace optiling {
BEGIN_TILING_DATA_DEF(MatmulLadderTiling)
TILING_DATA_FIELD_DEF(uint32_t, m);
TILING_DATA_FIELD_DEF(uint32_t, k);
TILING_DATA_FIELD_DEF(uint32_t, n);
TILING_DATA_FIELD_DEF(uint32_t, singleM);
TILING_DATA_FIELD_DEF(uint32_t, singleN);
END_TILING_DATA_DEF;
REGISTER_TILING_DATA_CLASS(MatmulLadder, MatmulLadderTiling)

static ge::graphStatus TilingFunc(gert::TilingContext *context)
{
    const gert::Shape &a = context->GetInputShape(0)->GetOriginShape();
    const gert::Shape &bt = context->GetInputShape(1)->GetOriginShape();
    uint32_t m = static_cast<uint32_t>(a.GetDim(0));
    uint32_t k = static_cast<uint32_t>(a.GetDim(1));
    uint32_t n = static_cast<uint32_t>(bt.GetDim(0));
    if (static_cast<uint32_t>(bt.GetDim(1)) != k || m == 0 || n == 0 || k == 0) {
        return ge::GRAPH_FAILED;
    }
    uint32_t singleM = CeilDiv(m, SPLIT_M * ROUNDS);
    uint32_t singleN = CeilDiv(n, SPLIT_N);
    if (MM_ALIGN_SPLIT) {
        singleM = CeilDiv(singleM, BASE_M) * BASE_M;
        singleN = CeilDiv(singleN, BASE_N) * BASE_N;
    }
    MatmulLadderTiling tiling;
    tiling.set_m(m);
    tiling.set_k(k);
    tiling.set_n(n);
    tiling.set_singleM(singleM);
    tiling.set_singleN(singleN);
    context->SetBlockDim(SPLIT_M * SPLIT_N);
    tiling.SaveToBuffer(context->GetRawTilingData()->GetData(), context->GetRawTilingData()->GetCapacity());
    context->GetRawTilingData()->SetDataSize(tiling.GetDataSize());
    context->GetWorkspaceSizes(1)[0] = 0;
    return ge::GRAPH_SUCCESS;
}
}  // namespace optiling

IMPL_OP_OPTILING(MatmulLadder).Tiling(optiling::TilingFunc);

class KernelMatmulLadder {
public:
    __aicore__ inline void Init(GM_ADDR a, GM_ADDR bt, GM_ADDR c, uint32_t m, uint32_t k, uint32_t n,
                                uint32_t singleM, uint32_t singleN)
    {
        this->m = m;
        this->k = k;
        this->n = n;
        aGm.SetGlobalBuffer((__gm__ half *)a, uint64_t(m) * k);
        btGm.SetGlobalBuffer((__gm__ half *)bt, uint64_t(n) * k);
        cGm.SetGlobalBuffer((__gm__ half *)c, uint64_t(m) * n);
        uint32_t idx = AscendC::GetBlockIdx();
        uint32_t nPart = idx / SPLIT_M;
        totalTiles = 0;
        for (uint32_t r = 0; r < ROUNDS; ++r) {
            uint32_t mPart = r * SPLIT_M + idx % SPLIT_M;
            mStart[r] = mPart * singleM;
            mEnd[r] = MinU(mStart[r] + singleM, m);
            nStart = nPart * singleN;
            nEnd = MinU(nStart + singleN, n);
            bool empty = mStart[r] >= m || nStart >= n;
            mTiles[r] = empty ? 0 : CeilDiv(mEnd[r] - mStart[r], BASE_M);
            nTiles[r] = empty ? 0 : CeilDiv(nEnd - nStart, BASE_N);
            totalTiles += mTiles[r] * nTiles[r];
        }
        kBlocks = CeilDiv(k, BASE_K);
        packetsA = CeilDiv(kBlocks, STEP_KA);
        packetsB = CeilDiv(kBlocks, STEP_KB);
    }

    __aicore__ inline void Process()
    {
        if (totalTiles == 0) {
            return;
        }
        AscendC::LocalTensor<float> c(AscendC::TPosition::CO1, 0, BASE_M * BASE_N);
        // Buffers start free: the consumer's release events are set once up front and taken back at the end.
        for (uint32_t s = 0; s < L1_DB; ++s) {
            AscendC::SetFlag<AscendC::HardEvent::MTE1_MTE2>(s);
            if constexpr (!PAIRED) {
                AscendC::SetFlag<AscendC::HardEvent::MTE1_MTE2>(2 + s);
            }
        }
        for (uint32_t s = 0; s < L0_DB; ++s) {
            AscendC::SetFlag<AscendC::HardEvent::M_MTE1>(s);
        }
        if constexpr (!UNIT_FLAG) {
            AscendC::SetFlag<AscendC::HardEvent::FIX_M>(0);
        }
        for (uint32_t s = 0; s < L1_DB; ++s) {
            CopyPackets(s, s, true, true);
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
                uint32_t aSlot = pa % L1_DB, bSlot = pb % L1_DB, l0 = step % L0_DB;
                uint32_t kLen = MinU(BASE_K, k - kb * BASE_K);
                if (ca == 0) {
                    AscendC::WaitFlag<AscendC::HardEvent::MTE2_MTE1>(aSlot);
                }
                if (cb == 0 && !PAIRED) {
                    AscendC::WaitFlag<AscendC::HardEvent::MTE2_MTE1>(2 + bSlot);
                }
                AscendC::WaitFlag<AscendC::HardEvent::M_MTE1>(l0);
                AscendC::LocalTensor<half> a2(AscendC::TPosition::A2, l0 * L0_SLOT_BYTES, BASE_M * BASE_K);
                AscendC::LocalTensor<half> b2(AscendC::TPosition::B2, l0 * L0_SLOT_BYTES, BASE_K * BASE_N);
                LoadA(a2, aSlot, kb / STEP_KA, ca, kLen, mAlign);
                LoadB(b2, bSlot, cb, kLen, nAlign);
                if (lastA) {
                    AscendC::SetFlag<AscendC::HardEvent::MTE1_MTE2>(aSlot);
                }
                if (lastB && !PAIRED) {
                    AscendC::SetFlag<AscendC::HardEvent::MTE1_MTE2>(2 + bSlot);
                }
                AscendC::SetFlag<AscendC::HardEvent::MTE1_M>(l0);
                AscendC::WaitFlag<AscendC::HardEvent::MTE1_M>(l0);
                if constexpr (!UNIT_FLAG) {
                    if (kb == 0) {
                        AscendC::WaitFlag<AscendC::HardEvent::FIX_M>(0);  // the last block's Fixpipe has read L0C
                    }
                }
                uint8_t unit = UNIT_FLAG ? (kb == kBlocks - 1 ? 3 : 2) : 0;
                AscendC::Mmad(c, a2, b2, AscendC::MmadParams(curM, curN, kLen, unit, false, kb == 0));
                AscendC::SetFlag<AscendC::HardEvent::M_MTE1>(l0);
                ++step;
                // Refill the buffers the packets just left.
                CopyPackets(pa + L1_DB, pb + L1_DB, lastA, lastB);
                pa += lastA ? 1 : 0;
                pb += lastB ? 1 : 0;
            }
            CopyOut(c, m0, curM, n0, curN, mAlign);
        }
        for (uint32_t s = 0; s < L1_DB; ++s) {
            AscendC::WaitFlag<AscendC::HardEvent::MTE1_MTE2>(s);
            if constexpr (!PAIRED) {
                AscendC::WaitFlag<AscendC::HardEvent::MTE1_MTE2>(2 + s);
            }
        }
        for (uint32_t s = 0; s < L0_DB; ++s) {
            AscendC::WaitFlag<AscendC::HardEvent::M_MTE1>(s);
        }
        if constexpr (!UNIT_FLAG) {
            AscendC::WaitFlag<AscendC::HardEvent::FIX_M>(0);
        }
    }

private:
    // Output block t of this core (rounds, then N blocks, then M blocks, as Huawei's basic-API sample walks
    // them): its first row and column and size.
    __aicore__ inline void TileAt(uint32_t t, uint32_t &m0, uint32_t &curM, uint32_t &n0, uint32_t &curN)
    {
        uint32_t r = 0;
        while (t >= mTiles[r] * nTiles[r]) {
            t -= mTiles[r] * nTiles[r];
            ++r;
        }
        uint32_t nt = t / mTiles[r], mt = t % mTiles[r];
        m0 = mStart[r] + mt * BASE_M;
        curM = MinU(BASE_M, mEnd[r] - m0);
        n0 = nStart + nt * BASE_N;
        curN = MinU(BASE_N, nEnd - n0);
    }

    // Copy a's packet pa (if `a`) and bt's packet pb (if `b`), bt first when asked (its packets run out
    // sooner). Paired packets go together between one wait and one set of the pair's event.
    __aicore__ inline void CopyPackets(uint32_t pa, uint32_t pb, bool a, bool b)
    {
        if constexpr (PAIRED) {
            if (!a || pa >= totalTiles * packetsA) {
                return;
            }
            AscendC::WaitFlag<AscendC::HardEvent::MTE1_MTE2>(pa % L1_DB);
            if constexpr (B_FIRST) {
                CopyB(pb);
                CopyA(pa);
            } else {
                CopyA(pa);
                CopyB(pb);
            }
            AscendC::SetFlag<AscendC::HardEvent::MTE2_MTE1>(pa % L1_DB);
        } else {
            if (B_FIRST && b) {
                CopyB(pb);
            }
            if (a) {
                CopyA(pa);
            }
            if (!B_FIRST && b) {
                CopyB(pb);
            }
        }
    }

    // GM -> L1 copy of a's packet p (this core's packets in order: block p / packetsA, K chunk p % packetsA)
    // into buffer p % L1_DB, ND -> NZ: 16-column groups of align16(rows) rows each.
    __aicore__ inline void CopyA(uint32_t p)
    {
        if (p >= totalTiles * packetsA) {
            return;
        }
        uint32_t slot = p % L1_DB;
        uint32_t m0, curM, n0, curN;
        TileAt(p / packetsA, m0, curM, n0, curN);
        uint32_t k0 = (p % packetsA) * STEP_KA * BASE_K;
        uint32_t kLen = MinU(STEP_KA * BASE_K, k - k0);
        AscendC::LocalTensor<half> a1(AscendC::TPosition::A1, A1_ADDR + slot * A1_ELEMS * 2, A1_ELEMS);
        if constexpr (!PAIRED) {
            AscendC::WaitFlag<AscendC::HardEvent::MTE1_MTE2>(slot);
        }
        AscendC::DataCopy(a1, aGm[uint64_t(m0) * k + k0],
                          AscendC::Nd2NzParams(1, curM, kLen, 0, k, Align16(curM), 1, 0));
        if constexpr (!PAIRED) {
            AscendC::SetFlag<AscendC::HardEvent::MTE2_MTE1>(slot);
        }
    }

    __aicore__ inline void CopyB(uint32_t p)
    {
        if (p >= totalTiles * packetsB) {
            return;
        }
        uint32_t slot = p % L1_DB;
        uint32_t m0, curM, n0, curN;
        TileAt(p / packetsB, m0, curM, n0, curN);
        uint32_t k0 = (p % packetsB) * STEP_KB * BASE_K;
        uint32_t kLen = MinU(STEP_KB * BASE_K, k - k0);
        AscendC::LocalTensor<half> b1(AscendC::TPosition::B1, B1_ADDR + slot * B1_ELEMS * 2, B1_ELEMS);
        if constexpr (!PAIRED) {
            AscendC::WaitFlag<AscendC::HardEvent::MTE1_MTE2>(2 + slot);
        }
        AscendC::DataCopy(b1, btGm[uint64_t(n0) * k + k0],
                          AscendC::Nd2NzParams(1, curN, kLen, 0, k, Align16(curN), 1, 0));
        if constexpr (!PAIRED) {
            AscendC::SetFlag<AscendC::HardEvent::MTE2_MTE1>(2 + slot);
        }
    }

    // L1 -> L0A: K block `inPacket` of a's packet `chunk` (NZ, align16(rows) rows per column group) as Zz
    // fractals [m1][k1], one load3dv2 (a 1 x mAlign "image" with packet-K channels, 1x1 filter).
    __aicore__ inline void LoadA(const AscendC::LocalTensor<half> &a2, uint32_t slot, uint32_t chunk,
                                 uint32_t inPacket, uint32_t kLen, uint32_t mAlign)
    {
        AscendC::LocalTensor<half> a1(AscendC::TPosition::A1, A1_ADDR + slot * A1_ELEMS * 2, A1_ELEMS);
        uint32_t packetK = MinU(STEP_KA * BASE_K, k - chunk * STEP_KA * BASE_K);
        AscendC::LoadData3DParamsV2<half> p;
        p.l1H = 1;
        p.l1W = mAlign;
        p.channelSize = Align16(packetK);
        p.kExtension = Align16(kLen);
        p.mExtension = mAlign;
        p.kStartPt = inPacket * BASE_K;
        p.mStartPt = 0;
        AscendC::LoadData(a2, a1, p);
    }

    // L1 -> L0B: bt's packet is NZ with rows = N, so K block `inPacket` is nAlign/16 fractals per 16 K, already
    // in L0B's Zn order ([k1][n1], each fractal 16 n x 16 k): one LoadData2D of contiguous fractals.
    __aicore__ inline void LoadB(const AscendC::LocalTensor<half> &b2, uint32_t slot, uint32_t inPacket,
                                 uint32_t kLen, uint32_t nAlign)
    {
        AscendC::LocalTensor<half> b1(AscendC::TPosition::B1, B1_ADDR + slot * B1_ELEMS * 2, B1_ELEMS);
        uint32_t n1 = nAlign / 16;
        AscendC::LoadData(b2, b1,
                          AscendC::LoadData2DParams(inPacket * (BASE_K / 16) * n1, Align16(kLen) / 16 * n1, 1, 0, 0,
                                                    false, 0));
    }

    // L0C -> GM: float accumulator to half, NZ -> ND rows of c.
    __aicore__ inline void CopyOut(const AscendC::LocalTensor<float> &c, uint32_t m0, uint32_t curM, uint32_t n0,
                                   uint32_t curN, uint32_t mAlign)
    {
        if constexpr (!UNIT_FLAG) {
            AscendC::SetFlag<AscendC::HardEvent::M_FIX>(0);
            AscendC::WaitFlag<AscendC::HardEvent::M_FIX>(0);
        }
        AscendC::FixpipeParamsV220 params;
        params.nSize = curN;
        params.mSize = curM;
        params.srcStride = mAlign;
        params.dstStride = n;
        params.quantPre = QuantMode_t::F322F16;
        params.reluEn = false;
        params.unitFlag = UNIT_FLAG ? 3 : 0;
        AscendC::Fixpipe<half, float, AscendC::CFG_ROW_MAJOR>(cGm[uint64_t(m0) * n + n0], c, params);
        if constexpr (!UNIT_FLAG) {
            AscendC::SetFlag<AscendC::HardEvent::FIX_M>(0);
        }
    }

    AscendC::GlobalTensor<half> aGm, btGm, cGm;
    uint32_t m = 0, k = 0, n = 0;
    uint32_t mStart[ROUNDS] = {}, mEnd[ROUNDS] = {}, mTiles[ROUNDS] = {}, nTiles[ROUNDS] = {};
    uint32_t nStart = 0, nEnd = 0;
    uint32_t totalTiles = 0, kBlocks = 0, packetsA = 0, packetsB = 0;
};

extern "C" __global__ __aicore__ void matmul_custom(GM_ADDR a, GM_ADDR bt, GM_ADDR c, GM_ADDR workspace,
                                                    GM_ADDR tiling)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIC_ONLY);
    GET_TILING_DATA(t, tiling);
    KernelMatmulLadder op;
    op.Init(a, bt, c, t.m, t.k, t.n, t.singleM, t.singleN);
    op.Process();
}
