// The Matmul high-level API: Matmul objects run with the cube primitives, and the host tiling algorithm
// (matmul_tiling::MatmulApiTiling / MultiCoreMatmulTiling::GetTiling).
//
// One C block (baseM x baseN) of an Iterate: for each baseK slice of K, the A and B tiles go GM -> L1 with
// copy_nd2nz (MTE2), L1 -> L0A/L0B (MTE1), and Mmad accumulates into L0C (M); GetTensorC moves L0C out with
// fixpipe (FIX). Everything is checked and recorded by the same functions hand-written cube kernels use.
// In L0A/L0B each c0-wide K slice is a self-contained fractal run ([m1] and [n1] fractals), and one Mmad runs
// per K slice: that layout means the same under either fractal order of L0B, so this file does not depend on it.
// Called from an AIV block (MIX kernels), the cube work runs on the memories of the AIC core of that block
// (AicScope) and is recorded as AIC entries; a C or operand in UB crosses through GM as on the hardware.
#include "internal.h"
#include "hawk/matmul.h"

namespace hawk {

namespace {

uint64_t al(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }
uint64_t cdiv(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a : 0; }

// The cube work of a Matmul runs on the AIC core's memories, whatever core the calling block runs on.
struct AicScope {
    Core saved;
    uint64_t saved_phys = 0;
    bool switched = false;
    AicScope() : saved(g.core) {
        if (g.core != Core::AIC && !R->cfg.coupled) {
            saved_phys = current_phys();
            g.core = Core::AIC;
            bind_core_memories(current_ai_core());
            switched = true;
        }
    }
    ~AicScope() {
        if (switched) {
            g.core = saved;
            bind_core_memories(saved_phys);
        }
    }
    AicScope(const AicScope&) = delete;
    AicScope& operator=(const AicScope&) = delete;
};

// GM the library uses for C blocks bound for UB and for operands that live in UB (the system workspace on the
// hardware; a harness allocation here so a kernel that asks for no workspace still runs).
// Slot 0: C blocks bound for UB; 1 and 2: A and B operands that live in UB.
uint8_t* scratch(int slot, uint64_t bytes) {
    static uint8_t* buf[3] = {};
    static uint64_t cap[3] = {};
    if (bytes > cap[slot]) {
        cap[slot] = std::max<uint64_t>(al(bytes, 4096), 1u << 16);
        buf[slot] = static_cast<uint8_t*>(std::calloc(1, cap[slot]));
        if (buf[slot] == nullptr) throw std::bad_alloc();
        R->gm.push_back({buf[slot], cap[slot], "matmul workspace"});
    }
    return buf[slot];
}

Ref gm_ref(uint8_t* p, DT dt, uint64_t bytes) {
    Ref r;
    r.mem = Mem::GM;
    r.dt = dt;
    r.addr = reinterpret_cast<uint64_t>(p);
    r.bytes = bytes;
    return r;
}

Ref local_ref(Mem m, DT dt, uint64_t addr, uint64_t bytes) {
    Ref r;
    r.mem = m;
    r.dt = dt;
    r.addr = addr;
    r.bytes = bytes;
    return r;
}

DT acc_dt(DT a) { return a == DT::I8 ? DT::I32 : DT::F32; }

bool is_ub_pos(int32_t pos) {
    auto p = static_cast<AscendC::TPosition>(pos);
    return p == AscendC::TPosition::VECIN || p == AscendC::TPosition::VECOUT || p == AscendC::TPosition::VECCALC;
}

// The AIC-side pipe holding the buffers of every Matmul object of the current block that has no AIC pipe of
// its own (objects used from AIV code: on the hardware the AIC core's own TPipe holds them).
int aic_pipe(Site site) {
    static int pipe = -1;
    static int64_t block = -1;
    static size_t pipes_size = 0;
    if (block != g.block_idx || pipe < 0 || pipe >= static_cast<int>(R->pipes.size()) || !R->pipes[pipe].alive ||
        R->pipes.size() < pipes_size) {
        pipe = pipe_create();
        block = g.block_idx;
    }
    pipes_size = R->pipes.size();
    (void)site;
    return pipe;
}

struct Shape {
    int64_t M, N, Ka, Kb, ldc, sm, sn, sk, bm, bn, bk;
};

Shape shape_of(const MmObj& o) {
    const auto& t = o.t;
    Shape s;
    s.M = o.org_m ? o.org_m : t.M;
    s.N = o.org_n ? o.org_n : t.N;
    s.Ka = o.org_ka ? o.org_ka : t.Ka;
    s.Kb = o.org_kb ? o.org_kb : t.Kb;
    s.ldc = o.org_kc ? o.org_kc : s.N;
    s.sm = o.single_m ? o.single_m : t.singleCoreM;
    s.sn = o.single_n ? o.single_n : t.singleCoreN;
    s.sk = o.single_k ? o.single_k : t.singleCoreK;
    s.bm = t.baseM;
    s.bn = t.baseN;
    s.bk = t.baseK;
    return s;
}

void need_setup(const MmObj& o, Site site) {
    if (!o.has_tiling) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "Matmul used before Init: pass its TCubeTiling to REGIST_MATMUL_OBJ or call Init(&tiling)");
    }
    if (!o.a_set || !o.b_set) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "Matmul::Iterate/IterateAll before SetTensorA and SetTensorB");
    }
}

// One MTE1 load of an L1 tile into L0A/L0B as c0-wide K slices of 16-row fractals; `src_off(r, k)` is the byte
// offset in L1 of row r (M for A, N for B) and column k of the tile.
template <typename F>
void mte1_load(const Ref& dst, const Ref& l1, uint64_t rows, uint64_t ks, bool trans, uint64_t src_extent, F src_off,
               Site site) {
    size_t es = dt_size(dst.dt);
    uint64_t c0 = 32 / es, r1 = cdiv(rows, 16), k1 = cdiv(ks, c0);
    uint64_t bytes = r1 * k1 * 512;
    RecordEntry& e = rec(Op::INSTR, Pipe::MTE1, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(l1.dt);
    e.src_mem = static_cast<uint8_t>(Mem::L1);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = l1.addr;
    e.dst_addr = dst.addr;
    e.bytes = bytes;
    e.repeats = static_cast<uint32_t>(r1 * k1);
    if (trans) e.flags |= RF_TRANSPOSE;
    rec_done();
    count_path(Mem::L1, dst.mem, bytes);
    uint8_t* D = local(dst, 0, bytes, true, site);
    const uint8_t* S = local(l1, 0, src_extent, false, site);
    for (uint64_t s = 0; s < k1; ++s)
        for (uint64_t f = 0; f < r1; ++f) {
            uint8_t* frac = D + (s * r1 + f) * 512;
            for (uint64_t r = 0; r < 16; ++r)
                for (uint64_t c = 0; c < c0; ++c) {
                    uint64_t row = f * 16 + r, k = s * c0 + c;
                    uint8_t* o = frac + (r * c0 + c) * es;
                    if (row < rows && k < ks) {
                        std::memcpy(o, S + src_off(row, k), es);
                    } else {
                        std::memset(o, 0, es);
                    }
                }
        }
}

// Moves `bytes` of GM (or UB, through GM) into L1 as one MTE2 copy, for the bias row.
void bias_to_l0c(MmObj& o, const Shape& s, int64_t n0, int64_t bn, int64_t bm, Site site) {
    size_t eb = dt_size(o.bias.dt);
    uint64_t bytes = static_cast<uint64_t>(bn) * eb;
    const uint8_t* src = nullptr;
    if (o.bias.mem == Mem::GM) {
        check_gm_tensor(o.bias, n0 * eb, bytes, false, site);
        src = gm_host(o.bias.addr) + n0 * eb;
    } else {
        fault(Kind::UNSUPPORTED_API, o.bias.mem, site, "Matmul::SetBias with a bias in %s is not modelled (GM only)",
              mem_name(o.bias.mem));
    }
    // GM -> L1 (MTE2), L1 -> BT (MTE1), then the first Mmad adds it (L0C starts as the bias row, as with BT).
    Ref l1 = local_ref(Mem::L1, o.bias.dt, o.l1_bias, al(bytes, 32));
    RecordEntry& e = rec(Op::INSTR, Pipe::MTE2, Site{Api::DataCopy, site.line});
    e.dtype = e.src_dtype = static_cast<uint8_t>(o.bias.dt);
    e.src_mem = static_cast<uint8_t>(Mem::GM);
    e.dst_mem = static_cast<uint8_t>(Mem::L1);
    e.src_addr = gm_rec_addr(o.bias.addr + n0 * eb);
    e.dst_addr = l1.addr;
    e.bytes = bytes;
    e.a0 = 1;
    e.a1 = static_cast<uint32_t>(bytes);
    rec_done();
    count_path(Mem::GM, Mem::L1, bytes);
    std::memcpy(local(l1, 0, bytes, true, site), src, bytes);
    Ref bt = local_ref(Mem::BT, DT::F32, o.bt, al(bn, 16) * 4);
    RecordEntry& e2 = rec(Op::INSTR, Pipe::MTE1, Site{Api::LoadData, site.line});
    e2.dtype = static_cast<uint8_t>(DT::F32);
    e2.src_dtype = static_cast<uint8_t>(o.bias.dt);
    e2.src_mem = static_cast<uint8_t>(Mem::L1);
    e2.dst_mem = static_cast<uint8_t>(Mem::BT);
    e2.src_addr = l1.addr;
    e2.dst_addr = bt.addr;
    e2.bytes = bn * 4;
    rec_done();
    count_path(Mem::L1, Mem::BT, bn * 4);
    const uint8_t* B = local(l1, 0, bytes, false, site);
    uint8_t* T = local(bt, 0, bn * 4, true, site);
    DT acc = acc_dt(o.a_dt);
    for (int64_t j = 0; j < bn; ++j) store(acc == DT::I32 ? DT::I32 : DT::F32, T + j * 4, load(o.bias.dt, B + j * eb));
    uint64_t m1 = cdiv(bm, 16);
    Ref c = local_ref(Mem::L0C, acc, o.l0c, cdiv(bn, 16) * m1 * 1024);
    uint8_t* C = local(c, 0, c.bytes, true, site);
    for (int64_t i = 0; i < bm; ++i)
        for (int64_t j = 0; j < bn; ++j) std::memcpy(C + (((j / 16) * m1 + i / 16) * 256 + (i % 16) * 16 + j % 16) * 4,
                                                    T + j * 4, 4);
    (void)s;
}

void block_coords(const MmObj& o, const Shape& s, int32_t idx, int64_t& m0, int64_t& n0, int64_t& bm, int64_t& bn) {
    int64_t mb = cdiv(s.sm, s.bm), nb = cdiv(s.sn, s.bn);
    int64_t mi, ni;
    if (o.t.iterateOrder == 1) {
        ni = idx % nb;
        mi = idx / nb;
    } else {
        mi = idx % mb;
        ni = idx / mb;
    }
    m0 = mi * s.bm;
    n0 = ni * s.bn;
    bm = std::min<int64_t>(s.bm, s.sm - m0);
    bn = std::min<int64_t>(s.bn, s.sn - n0);
}

// Computes the C block `o.iter` into L0C.
void compute_block(MmObj& o, bool partial, Site site) {
    Shape s = shape_of(o);
    int64_t m0, n0, bm, bn;
    block_coords(o, s, o.iter, m0, n0, bm, bn);
    AicScope scope;
    size_t ea = dt_size(o.a_dt), eb = dt_size(o.b_dt);
    uint64_t c0 = 32 / ea;
    DT acc = acc_dt(o.a_dt);
    bool bias = o.bias_on && o.t.isBias != 0;
    if (o.bias_on && o.t.isBias == 0 && g.block_idx == 0 && o.iter == 0) {
        warn(site, "Matmul::SetBias with a tiling whose isBias is 0: the bias is ignored, as on the hardware");
    }
    if (bias) bias_to_l0c(o, s, n0, bn, bm, site);
    uint64_t m1 = cdiv(bm, 16), n1 = cdiv(bn, 16);
    Ref l1a = local_ref(Mem::L1, o.a_dt, o.l1_a, o.l1_a_bytes);
    Ref l1b = local_ref(Mem::L1, o.b_dt, o.l1_b, o.l1_b_bytes);
    // GM -> L1 (ND -> NZ) in groups of stepKa (stepKb) base K slices, as the tiling sizes L1; a group still in L1
    // from the previous block (the whole K fits one group) is not loaded again.
    const int64_t gka = s.bk * std::max<int32_t>(1, o.t.stepKa), gkb = s.bk * std::max<int32_t>(1, o.t.stepKb);
    uint64_t a_rows = 0, b_rows = 0;  // NZ column-block heights of the A and B groups in L1
    int64_t a_k0 = -1, b_k0 = -1;     // K offset of the groups in L1
    for (int64_t k0 = 0; k0 < s.sk; k0 += s.bk) {
        int64_t bk = std::min<int64_t>(s.bk, s.sk - k0);
        uint64_t k1 = cdiv(bk, c0);
        if (a_k0 < 0 || k0 >= a_k0 + gka) {
            a_k0 = k0 / gka * gka;
            int64_t gk = std::min<int64_t>(gka, s.sk - a_k0);
            a_rows = !o.a_trans ? al(bm, 16) : al(gk, 16);
            if (!(o.cache_a_m == m0 && o.cache_a_k == a_k0 && o.cache_a_n == bm)) {
                Nd2Nz pa;
                Ref asrc = o.a;
                if (!o.a_trans) {  // A is [M, Ka]
                    pa.n = bm; pa.d = gk; pa.src_d = s.Ka;
                    asrc.addr += (m0 * s.Ka + a_k0) * ea;
                } else {  // A is stored transposed, [Ka, M]
                    pa.n = gk; pa.d = bm; pa.src_d = s.M;
                    asrc.addr += (a_k0 * s.M + m0) * ea;
                }
                pa.dst_c0_stride = a_rows;
                pa.dst_n_stride = 1;
                asrc.bytes = o.a.bytes > asrc.addr - o.a.addr ? o.a.bytes - (asrc.addr - o.a.addr) : 0;
                copy_nd2nz(l1a, asrc, pa, Site{Api::DataCopy, site.line});
                o.cache_a_m = m0;
                o.cache_a_k = a_k0;
                o.cache_a_n = bm;
            }
        }
        if (b_k0 < 0 || k0 >= b_k0 + gkb) {
            b_k0 = k0 / gkb * gkb;
            int64_t gk = std::min<int64_t>(gkb, s.sk - b_k0);
            b_rows = !o.b_trans ? al(gk, 16) : al(bn, 16);
            if (!(o.cache_b_n == n0 && o.cache_b_k == b_k0 && o.cache_b_m == bn)) {
                Nd2Nz pb;
                Ref bsrc = o.b;
                if (!o.b_trans) {  // B is [Kb, N]
                    pb.n = gk; pb.d = bn; pb.src_d = s.N;
                    bsrc.addr += (b_k0 * s.N + n0) * eb;
                } else {  // B is stored transposed, [N, Kb]
                    pb.n = bn; pb.d = gk; pb.src_d = s.Kb;
                    bsrc.addr += (n0 * s.Kb + b_k0) * eb;
                }
                pb.dst_c0_stride = b_rows;
                pb.dst_n_stride = 1;
                bsrc.bytes = o.b.bytes > bsrc.addr - o.b.addr ? o.b.bytes - (bsrc.addr - o.b.addr) : 0;
                copy_nd2nz(l1b, bsrc, pb, Site{Api::DataCopy, site.line});
                o.cache_b_n = n0;
                o.cache_b_k = b_k0;
                o.cache_b_m = bn;
            }
        }
        const uint64_t ka = k0 - a_k0, kb = k0 - b_k0;  // the slice's K offset inside the groups
        // L1 -> L0A / L0B.
        Ref l0a = local_ref(Mem::L0A, o.a_dt, o.l0a, m1 * k1 * 512);
        Ref l0b = local_ref(Mem::L0B, o.b_dt, o.l0b, n1 * k1 * 512);
        if (!o.a_trans) {
            mte1_load(l0a, l1a, bm, bk, false, cdiv(ka + bk, c0) * a_rows * 32,
                      [&](uint64_t m, uint64_t k) { k += ka; return ((k / c0) * a_rows + m) * 32 + (k % c0) * ea; },
                      Site{Api::LoadData, site.line});
        } else {
            mte1_load(l0a, l1a, bm, bk, true, cdiv(bm, c0) * a_rows * 32,
                      [&](uint64_t m, uint64_t k) { k += ka; return ((m / c0) * a_rows + k) * 32 + (m % c0) * ea; },
                      Site{Api::LoadData, site.line});
        }
        if (!o.b_trans) {
            mte1_load(l0b, l1b, bn, bk, true, cdiv(bn, c0) * b_rows * 32,
                      [&](uint64_t n, uint64_t k) { k += kb; return ((n / c0) * b_rows + k) * 32 + (n % c0) * eb; },
                      Site{Api::LoadData, site.line});
        } else {
            mte1_load(l0b, l1b, bn, bk, false, cdiv(kb + bk, c0) * b_rows * 32,
                      [&](uint64_t n, uint64_t k) { k += kb; return ((k / c0) * b_rows + n) * 32 + (k % c0) * eb; },
                      Site{Api::LoadData, site.line});
        }
        // One Mmad per c0-wide K slice.
        Ref c = local_ref(Mem::L0C, acc, o.l0c, n1 * m1 * 1024);
        for (uint64_t sl = 0; sl < k1; ++sl) {
            MmadArgs ma;
            ma.m = bm;
            ma.n = bn;
            ma.k = std::min<uint64_t>(c0, bk - sl * c0);
            ma.init_zero = k0 == 0 && sl == 0 && !bias && !partial;
            Ref a = l0a, b = l0b;
            a.addr += sl * m1 * 512;
            a.bytes = m1 * 512;
            b.addr += sl * n1 * 512;
            b.bytes = n1 * 512;
            mmad(c, a, b, Ref{}, ma, Site{Api::Mmad, site.line});
        }
    }
}

int quant_of(DT acc, DT c, Site site) {
    if (acc == DT::F32 && c == DT::F32) return 0;
    if (acc == DT::F32 && c == DT::F16) return 1;
    if (acc == DT::F32 && c == DT::BF16) return 2;
    if (acc == DT::I32 && c == DT::I32) return 0;
    fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "Matmul with a %s C from a %s accumulator is not modelled",
          dt_name(c), dt_name(acc));
}

// L0C block -> `dst` (GM) at row stride `ld` elements, adding to it when `atomic`.
void fixpipe_to_gm(MmObj& o, Ref dst, int64_t bm, int64_t bn, int64_t ld, int atomic, Site site) {
    DT acc = acc_dt(o.a_dt);
    size_t ec = dt_size(o.c_dt);
    FixpipeArgs fa;
    fa.n_size = bn;
    fa.m_size = bm;
    fa.src_stride = al(bm, 16);
    fa.dst_stride = ld;
    fa.quant = quant_of(acc, o.c_dt, site);
    fa.relu = o.relu;
    Ref src = local_ref(Mem::L0C, acc, o.l0c, cdiv(bn, 16) * al(bm, 16) * 64);
    std::vector<double> old;
    uint64_t ext = ((bm - 1) * ld + bn) * ec;
    if (atomic) {
        if (atomic != 1) {
            fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "Matmul enAtomic %d (max/min) is not modelled; 1 (add) is",
                  atomic);
        }
        check_gm_tensor(dst, 0, ext, true, site);
        const uint8_t* D = gm_host(dst.addr);
        old.resize(bm * bn);
        for (int64_t i = 0; i < bm; ++i)
            for (int64_t j = 0; j < bn; ++j) old[i * bn + j] = load(o.c_dt, D + (i * ld + j) * ec);
    }
    {
        AicScope scope;
        fixpipe(dst, src, Ref{}, fa, Site{Api::Fixpipe, site.line});
    }
    if (atomic) {
        uint8_t* D = gm_host(dst.addr);
        for (int64_t i = 0; i < bm; ++i)
            for (int64_t j = 0; j < bn; ++j) {
                uint8_t* p = D + (i * ld + j) * ec;
                store(o.c_dt, p, round_to(o.c_dt, load(o.c_dt, p) + old[i * bn + j]));
            }
    }
}

// L0C block -> UB at byte offset `off` of `dst`, rows `ld` elements apart, through GM (FIX then MTE2).
void fixpipe_to_ub(MmObj& o, const Ref& dst, uint64_t off, int64_t bm, int64_t bn, int64_t ld, Site site) {
    size_t ec = dt_size(o.c_dt);
    int64_t row = al(bn, 32 / ec);
    uint8_t* ws = scratch(0, bm * row * ec + 64);
    fixpipe_to_gm(o, gm_ref(ws, o.c_dt, bm * row * ec), bm, bn, row, 0, site);
    Ref d = dst;
    d.addr += off;
    d.bytes = dst.bytes > off ? dst.bytes - off : 0;
    CopyParams cp;
    cp.block_count = bm;
    cp.block_len = row * ec / 32;
    cp.src_stride = 0;
    cp.dst_stride = (ld - row) * ec / 32;
    if (ld == row) {
        cp.block_count = 1;
        cp.block_len = bm * row * ec / 32;
    }
    copy_params(d, gm_ref(ws, o.c_dt, bm * row * ec), cp, Site{Api::DataCopy, site.line});
}

}  // namespace

[[noreturn]] void mm_unsupported(const char* what, Site site) {
    fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "%s is not modelled by the twin", what);
}

// REGIST_MATMUL_OBJ on the AIC core of a MIX kernel: the real macro serves the AIV cores' requests and returns.
// The twin runs the cube work from the AIV calls on their AI Core's AIC memories, so the AIC's own copy of the
// kernel returns at once, as on the hardware.
bool mm_server_returns() { return g.core == Core::AIC && launch_mixed(); }

}  // namespace hawk
// Defined (weak) by lib/matmul_intf.h when the kernel uses the Matmul API without ASCENDC_CUBE_ONLY.
extern "C" __attribute__((weak)) const int hawk_matmul_client_kernel;
namespace hawk {
// True when the candidate is, on a CANN build, a MIX (1 AIC : 2 AIV) kernel because it uses the Matmul API as a
// client (lib/matmul_intf.h without ASCENDC_CUBE_ONLY). For the MIX execution to pick its default kernel type.
bool mm_mix_kernel() { return &hawk_matmul_client_kernel != nullptr; }

namespace {
uint8_t* g_sys_ws = nullptr;
bool g_sys_ws_set = false;
}  // namespace
uint8_t* sys_workspace() { return g_sys_ws_set ? g_sys_ws : R->workspace; }
void set_sys_workspace(uint8_t* ws) {
    g_sys_ws = ws;
    g_sys_ws_set = true;
}

void mm_init(MmObj& o, const AscendC::tiling::TCubeTiling* tiling, int pipe, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    if (tiling == nullptr) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "Matmul::Init was given no TCubeTiling");
    }
    std::memcpy(static_cast<void*>(&o.t), tiling, sizeof o.t);
    const auto& t = o.t;
    o.pipe = pipe;
    // Dtypes (A, B) and C.
    DT a = o.a_dt, b = o.b_dt;
    bool ok = (a == b) && (a == DT::F16 || a == DT::F32 || a == DT::I8 || (a == DT::BF16 && R->cfg.bf16_cube));
    if (!ok) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
              "current api support dtype combination is A/B = half/half, bfloat16_t/bfloat16_t, float/float, "
              "int8_t/int8_t; got %s/%s", dt_name(a), dt_name(b));
    }
    quant_of(acc_dt(a), o.c_dt, site);
    if (o.a_fmt != static_cast<int32_t>(CubeFormat::ND) || o.b_fmt != static_cast<int32_t>(CubeFormat::ND)) {
        mm_unsupported("Matmul with an A or B format other than CubeFormat::ND", site);
    }
    if (o.c_fmt != static_cast<int32_t>(CubeFormat::ND) && o.c_fmt != static_cast<int32_t>(CubeFormat::ND_ALIGN)) {
        mm_unsupported("Matmul with a C format other than CubeFormat::ND / ND_ALIGN", site);
    }
    // The tiling, as the documentation constrains it.
    struct F { const char* name; int32_t v; };
    for (F f : {F{"M", t.M}, F{"N", t.N}, F{"Ka", t.Ka}, F{"Kb", t.Kb}, F{"singleCoreM", t.singleCoreM},
                F{"singleCoreN", t.singleCoreN}, F{"singleCoreK", t.singleCoreK}, F{"baseM", t.baseM},
                F{"baseN", t.baseN}, F{"baseK", t.baseK}, F{"depthA1", t.depthA1}, F{"depthB1", t.depthB1},
                F{"stepM", t.stepM}, F{"stepN", t.stepN}, F{"stepKa", t.stepKa}, F{"stepKb", t.stepKb}}) {
        if (f.v <= 0) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "TCubeTiling.%s is %d; it must be positive (a tiling from MultiCoreMatmulTiling::GetTiling that "
                  "returned -1, or an incomplete hand-made one?)", f.name, f.v);
        }
    }
    size_t ea = dt_size(a);
    uint64_t c0 = 32 / ea;
    if (t.baseM % 16 || t.baseN % 16 || t.baseK % c0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "TCubeTiling baseM %d and baseN %d must be multiples of 16 and baseK %d of %llu", t.baseM, t.baseN,
              t.baseK, static_cast<unsigned long long>(c0));
    }
    uint64_t l0a = static_cast<uint64_t>(t.baseM) * t.baseK * ea;
    uint64_t l0b = static_cast<uint64_t>(t.baseK) * t.baseN * ea;
    uint64_t l0c = static_cast<uint64_t>(t.baseM) * t.baseN * 4;
    // L1 as the documentation sizes it, and at least what one tile takes in either orientation.
    auto tile = [&](uint64_t rows) {
        return std::max(cdiv(t.baseK, c0) * al(rows, 16) * 32, cdiv(rows, c0) * al(t.baseK, 16) * 32);
    };
    uint64_t a1 = std::max<uint64_t>(static_cast<uint64_t>(t.depthA1) * t.baseM * t.baseK * ea, tile(t.baseM));
    uint64_t b1 = std::max<uint64_t>(static_cast<uint64_t>(t.depthB1) * t.baseN * t.baseK * ea, tile(t.baseN));
    uint64_t c1 = t.isBias ? al(static_cast<uint64_t>(t.baseN) * 4, 64) : 0;
    // Buffers: in the kernel's pipe when it runs on the AIC core, else in the AIC core's own pipe.
    const bool on_aic = g.core == Core::AIC || R->cfg.coupled;
    AicScope scope;
    int p = on_aic && pipe >= 0 ? pipe : aic_pipe(site);
    Site s{Api::InitBuffer, site.line};
    auto buf = [&](AscendC::TPosition pos, uint64_t len) {
        int id = pipe_init_tbuf(p, static_cast<int>(pos), len, s);
        return R->tbufs[id].addr;
    };
    o.l1_a = buf(AscendC::TPosition::A1, a1);
    o.l1_b = buf(AscendC::TPosition::B1, b1);
    o.l1_a_bytes = a1;
    o.l1_b_bytes = b1;
    if (c1) o.l1_bias = buf(AscendC::TPosition::C1, c1);
    o.l0a = buf(AscendC::TPosition::A2, l0a * (t.dbL0A > 1 ? 2 : 1));
    o.l0b = buf(AscendC::TPosition::B2, l0b * (t.dbL0B > 1 ? 2 : 1));
    o.l0c = buf(AscendC::TPosition::CO1, l0c * (t.dbL0C > 1 ? 2 : 1));
    if (c1) o.bt = buf(AscendC::TPosition::C2, c1);
    o.buf_block = g.block_idx;
    o.cache_a_m = o.cache_b_n = -1;
    o.has_tiling = true;
    o.iter = -1;
    o.c_ready = false;
    o.ended = false;
}

void mm_set_operand(MmObj& o, int which, const Ref& r, bool trans, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    Ref v = r;
    if (r.mem == Mem::UB) {
        // An operand in UB crosses to the cube core through GM (MTE3 on the AIV core).
        if (which == 2) mm_unsupported("Matmul::SetBias with a bias in UB", site);
        uint64_t bytes = al(r.bytes, 32);
        uint8_t* dst = scratch(1 + which, bytes + 64);
        copy(gm_ref(dst, r.dt, bytes), r, bytes / dt_size(r.dt), Site{Api::DataCopy, site.line});
        v = gm_ref(dst, r.dt, bytes);
    } else if (r.mem != Mem::GM) {
        mm_unsupported("Matmul::SetTensorA/SetTensorB/SetBias with an operand in L1 (TSCM) or L0", site);
    }
    switch (which) {
        case 0:
            o.a = v;
            o.a_set = true;
            o.a_trans = trans || o.a_trans_type;
            break;
        case 1:
            o.b = v;
            o.b_set = true;
            o.b_trans = trans || o.b_trans_type;
            break;
        default:
            o.bias = v;
            o.bias_on = true;
            break;
    }
    o.iter = -1;
    o.c_ready = false;
    o.cache_a_m = o.cache_b_n = -1;
}

bool mm_iterate(MmObj& o, bool partial_sum, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    need_setup(o, site);
    Shape s = shape_of(o);
    if (s.sm <= 0 || s.sn <= 0 || s.sk <= 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "Matmul single-core shape %lld x %lld x %lld is empty",
              static_cast<long long>(s.sm), static_cast<long long>(s.sn), static_cast<long long>(s.sk));
    }
    o.m_blocks = static_cast<int32_t>(cdiv(s.sm, s.bm));
    o.n_blocks = static_cast<int32_t>(cdiv(s.sn, s.bn));
    int32_t next = o.iter + 1;
    if (next >= o.m_blocks * o.n_blocks) {
        o.iter = -1;  // the next Iterate starts a new pass
        o.c_ready = false;
        return false;
    }
    o.iter = next;
    compute_block(o, partial_sum, site);
    o.c_ready = true;
    return true;
}

void mm_get_c(MmObj& o, const Ref& dst, int atomic, bool sequential, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    if (!o.c_ready) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "Matmul::GetTensorC without a C block: call Iterate first");
    }
    Shape s = shape_of(o);
    int64_t m0, n0, bm, bn;
    block_coords(o, s, o.iter, m0, n0, bm, bn);
    size_t ec = dt_size(o.c_dt);
    if (dst.mem == Mem::GM) {
        Ref d = dst;
        int64_t ld = s.ldc;
        if (sequential) {
            ld = bn;
        } else {
            d.addr += (m0 * s.ldc + n0) * ec;
            d.bytes = dst.bytes > (m0 * s.ldc + n0) * ec ? dst.bytes - (m0 * s.ldc + n0) * ec : 0;
        }
        fixpipe_to_gm(o, d, bm, bn, ld, atomic, site);
    } else if (dst.mem == Mem::UB) {
        if (atomic) mm_unsupported("Matmul::GetTensorC to UB with enAtomic", site);
        fixpipe_to_ub(o, dst, 0, bm, bn, al(bn, 32 / ec), site);
    } else {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Matmul::GetTensorC to %s: C goes to GM or to UB (VECIN)",
              mem_name(dst.mem));
    }
}

void mm_iterate_all(MmObj& o, const Ref& dst, int atomic, bool sequential, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    need_setup(o, site);
    o.iter = -1;
    o.c_ready = false;
    if (dst.mem == Mem::GM) {
        while (mm_iterate(o, false, site)) mm_get_c(o, dst, atomic, sequential, site);
        return;
    }
    if (dst.mem != Mem::UB) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Matmul::IterateAll to %s: C goes to GM or to UB (VECIN)",
              mem_name(dst.mem));
    }
    if (atomic) mm_unsupported("Matmul::IterateAll to UB with enAtomic", site);
    Shape s = shape_of(o);
    size_t ec = dt_size(o.c_dt);
    int64_t ld = al(s.sn, 32 / ec);
    while (mm_iterate(o, false, site)) {
        int64_t m0, n0, bm, bn;
        block_coords(o, s, o.iter, m0, n0, bm, bn);
        fixpipe_to_ub(o, dst, (m0 * ld + n0) * ec, bm, bn, ld, site);
    }
}

void mm_end(MmObj& o, Site site) {
    (void)site;
    o.ended = true;
    o.iter = -1;
    o.c_ready = false;
}

// ================================================================================= host tiling algorithm
namespace {
int64_t dtype_bytes(int32_t d) {
    switch (d) {
        case ge::DT_FLOAT: case ge::DT_INT32: case ge::DT_UINT32: return 4;
        case ge::DT_FLOAT16: case ge::DT_BF16: case ge::DT_INT16: case ge::DT_UINT16: return 2;
        case ge::DT_INT8: case ge::DT_UINT8: return 1;
        default: return 0;
    }
}

struct Split {
    int64_t m_dim, n_dim, sm, sn;
};

// Splits M and N over the cores. Documented intent (Matmul Tiling): balance the blocks over `cores` and keep
// each core's compute per byte loaded high. Large problems (M >= 128, M*N above ~26214 elements per core) use
// every core, choosing the factor pair with the best compute intensity over its base blocks, then the one
// leaving the wider operand unsplit; small problems may use fewer cores.
Split choose_split(int64_t M, int64_t N, int64_t K, int64_t cores, int64_t bm_fix, int64_t bn_fix) {
    auto mk = [&](int64_t md, int64_t nd) {
        Split s{md, nd, static_cast<int64_t>(cdiv(M, md)), static_cast<int64_t>(cdiv(N, nd))};
        if (md > 1) s.sm = al(s.sm, 16);
        if (nd > 1) s.sn = al(s.sn, 16);
        s.m_dim = cdiv(M, s.sm);
        s.n_dim = cdiv(N, s.sn);
        return s;
    };
    if (cores <= 1) return mk(1, 1);
    struct Score {
        Split s;
        double intensity, cycles, band;
    };
    auto score = [&](int64_t md, int64_t nd) {
        Split s = mk(md, nd);
        int64_t bm = bm_fix > 0 ? bm_fix : (s.sm >= 128 ? 128 : al(s.sm, 16));
        int64_t bn = bn_fix > 0 ? bn_fix : (s.sn >= 256 ? 256 : al(s.sn, 16));
        double cyc = 0, mem = 0;
        for (int64_t m0 = 0; m0 < s.sm; m0 += bm)
            for (int64_t n0 = 0; n0 < s.sn; n0 += bn) {
                double a = static_cast<double>(std::min(bm, s.sm - m0)), b = static_cast<double>(std::min(bn, s.sn - n0));
                cyc += a * b;
                mem += a + b;
            }
        double band = static_cast<double>((cores - md) * bm + (cores - nd) * bn) / static_cast<double>((bm + bn) * cores);
        return Score{s, mem > 0 ? cyc / mem : 0, cyc * static_cast<double>(K), band};
    };
    auto better = [](const Score& x, const Score& y) {
        if (std::fabs(x.intensity - y.intensity) > 1e-6) return x.intensity > y.intensity;
        if (std::fabs(x.cycles - y.cycles) < 0.01 * y.cycles) return x.band > y.band;
        return x.cycles < y.cycles;
    };
    const int64_t mn_limit = 26214;
    if (M >= 128 && M * N > mn_limit * cores) {
        Score best{};
        bool have = false;
        for (int64_t md = 1; md <= cores; ++md) {
            if (cores % md) continue;
            Score sc = score(md, cores / md);
            if (!have || better(sc, best)) best = sc, have = true;
        }
        return best.s;
    }
    if (M <= 128 && N >= 128 * cores) return mk(1, cores);
    if (N <= 256 && M >= 128 * cores) return mk(cores, 1);
    // Small: the fewest cycles on the busiest core, then the least data loaded in total.
    Split best = mk(1, 1);
    double best_t = 1e300, best_load = 1e300;
    for (int64_t used = cores; used >= 1; --used)
        for (int64_t md = 1; md <= used; ++md) {
            if (used % md) continue;
            Split s = mk(md, used / md);
            if (s.m_dim * s.n_dim > cores) continue;
            double t = static_cast<double>(al(s.sm, 16) * al(s.sn, 16));
            double load = static_cast<double>(K) * static_cast<double>(M * s.n_dim + N * s.m_dim);
            if (t < best_t * 0.999 || (t <= best_t * 1.001 && load < best_load)) {
                best = s;
                best_t = t;
                best_load = load;
            }
        }
    return best;
}
}  // namespace

int64_t mm_tiling(MmTilingParams& p, AscendC::tiling::TCubeTiling& t) {
    t = AscendC::tiling::TCubeTiling{};
    const Config& c = R->cfg;
    int64_t ea = dtype_bytes(p.a.dtype), eb = dtype_bytes(p.b.dtype);
    if (ea == 0 || eb == 0 || ea != eb) return -1;
    int64_t M = p.m > 0 ? p.m : p.org_m, N = p.n > 0 ? p.n : p.org_n, K = p.k > 0 ? p.k : p.org_ka;
    if (M <= 0 || N <= 0 || K <= 0) return -1;
    int64_t orgM = p.org_m > 0 ? p.org_m : M, orgN = p.org_n > 0 ? p.org_n : N;
    int64_t orgKa = p.org_ka > 0 ? p.org_ka : K, orgKb = p.org_kb > 0 ? p.org_kb : orgKa;
    int64_t c0 = 32 / ea;
    auto mem = [&](Mem m) { return static_cast<int64_t>(c.mem[static_cast<int>(m)].bytes); };
    int64_t L1 = p.l1 > 0 ? std::min(p.l1, mem(Mem::L1)) : mem(Mem::L1);
    int64_t L0C = p.l0c > 0 ? std::min(p.l0c, mem(Mem::L0C)) : mem(Mem::L0C);
    int64_t L0A = mem(Mem::L0A), L0B = mem(Mem::L0B);
    if (L1 <= 0 || L0A <= 0 || L0B <= 0 || L0C <= 0) return -1;
    int64_t cores = p.multi ? std::max<int32_t>(1, p.dim) : 1;
    // Single-core shape.
    Split sp;
    if (p.single_m > 0 || p.single_n > 0) {
        sp.sm = p.single_m > 0 ? p.single_m : M;
        sp.sn = p.single_n > 0 ? p.single_n : N;
        sp.m_dim = cdiv(M, sp.sm);
        sp.n_dim = cdiv(N, sp.sn);
        if (sp.m_dim * sp.n_dim > cores) return -1;
    } else {
        sp = choose_split(M, N, K, cores, p.base_m, p.base_n);
    }
    int64_t sk = p.single_k > 0 ? p.single_k : K;
    // Base block: 128 x 256 x (128 bytes of K) by default, shrunk to the single-core shape and the L0 buffers.
    int64_t bm = p.base_m > 0 ? p.base_m : std::min<int64_t>(128, al(sp.sm, 16));
    int64_t bn = p.base_n > 0 ? p.base_n : std::min<int64_t>(256, al(sp.sn, 16));
    int64_t bk = p.base_k > 0 ? p.base_k : std::min<int64_t>(128 / ea, al(sk, c0));
    if (bm % 16 || bn % 16 || bk % c0 || bm <= 0 || bn <= 0 || bk <= 0) return -1;
    while (p.base_n <= 0 && bm * bn * 4 > L0C && bn > 16) bn -= 16;
    while (p.base_m <= 0 && bm * bn * 4 > L0C && bm > 16) bm -= 16;
    if (bm * bn * 4 > L0C) return -1;
    while (p.base_k <= 0 && (bm * bk * ea * 2 > L0A || bk * bn * eb * 2 > L0B) && bk > c0) bk -= c0;
    if (bm * bk * ea > L0A || bk * bn * eb > L0B) return -1;
    int64_t db_a = bm * bk * ea * 2 <= L0A ? 2 : 1, db_b = bk * bn * eb * 2 <= L0B ? 2 : 1;
    int64_t db_c = p.db_l0c && bm * bn * 4 * 2 <= L0C ? 2 : 1;
    // L1: as much of K as fits (double-buffered when it can), one base block of M and N.
    int64_t k_iter = cdiv(sk, bk);
    int64_t a_blk = bm * bk * ea, b_blk = bn * bk * eb;
    int64_t bias = p.bias_on ? al(bn * 4, 64) : 0;
    int64_t step_ka = k_iter, step_kb = k_iter;
    while ((step_ka * a_blk + step_kb * b_blk) * 2 + bias > L1 && (step_ka > 1 || step_kb > 1)) {
        if (step_ka * a_blk >= step_kb * b_blk && step_ka > 1) {
            step_ka = cdiv(step_ka, 2);
        } else if (step_kb > 1) {
            step_kb = cdiv(step_kb, 2);
        } else {
            step_ka = cdiv(step_ka, 2);
        }
    }
    int64_t db1 = (step_ka * a_blk + step_kb * b_blk) * 2 + bias <= L1 ? 2 : 1;
    if (step_ka * a_blk + step_kb * b_blk + bias > L1) return -1;
    t.usedCoreNum = static_cast<int32_t>(sp.m_dim * sp.n_dim);
    t.M = static_cast<int32_t>(orgM);
    t.N = static_cast<int32_t>(orgN);
    t.Ka = static_cast<int32_t>(orgKa);
    t.Kb = static_cast<int32_t>(orgKb);
    t.singleCoreM = static_cast<int32_t>(sp.sm);
    t.singleCoreN = static_cast<int32_t>(sp.sn);
    t.singleCoreK = static_cast<int32_t>(sk);
    t.baseM = static_cast<int32_t>(bm);
    t.baseN = static_cast<int32_t>(bn);
    t.baseK = static_cast<int32_t>(bk);
    t.depthA1 = static_cast<int32_t>(step_ka * db1);
    t.depthB1 = static_cast<int32_t>(step_kb * db1);
    t.stepM = 1;
    t.stepN = 1;
    t.stepKa = static_cast<int32_t>(step_ka);
    t.stepKb = static_cast<int32_t>(step_kb);
    t.isBias = p.bias_on ? 1 : 0;
    t.transLength = is_ub_pos(p.c.pos) ? static_cast<int32_t>(bm * bn * 4) : 0;
    t.iterateOrder = p.traverse == static_cast<int32_t>(matmul_tiling::MatrixTraverse::FIRSTN) ? 1 : 0;
    t.shareMode = 0;
    t.shareL1Size = static_cast<int32_t>((step_ka * a_blk + step_kb * b_blk) * db1 + bias);
    t.shareL0CSize = static_cast<int32_t>(bm * bn * 4 * db_c);
    t.shareUbSize = 0;
    t.batchM = p.batch_m;
    t.batchN = p.batch_n;
    t.singleBatchM = 1;
    t.singleBatchN = 1;
    t.dbL0A = static_cast<int32_t>(db_a);
    t.dbL0B = static_cast<int32_t>(db_b);
    t.dbL0C = static_cast<int32_t>(db_c);
    t.BatchNum = p.batch_num;
    p.out_m = t.singleCoreM;
    p.out_n = t.singleCoreN;
    p.out_k = t.singleCoreK;
    p.out_cores = t.usedCoreNum;
    p.out_base_m = t.baseM;
    p.out_base_n = t.baseN;
    p.out_base_k = t.baseK;
    return 0;
}

}  // namespace hawk
