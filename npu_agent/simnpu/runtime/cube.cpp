// Cube unit: Mmad and Fixpipe (Atlas A2/A3, NPU arch 2201).
#include "internal.h"

namespace hawk {

// =============================================================================================== cube
// Layouts (docs/kernel-contract.md; the public "key fractal formats" page): Zz x Zn = Nz.
//   L0A holds A (m x k) as Zz: fractals [m1][k1], each 16 rows x c0 (row-major inside);
//   L0B holds B (k x n) as Zn: fractals [k1][n1], each 16 (n) x c0 (k), i.e. B transposed inside the fractal;
//   L0C holds C (m x n) as Nz: fractals [n1][m1] of 16 x 16, row-major inside.
// c0 = 32 bytes / element size (int4b_t: 64, two per byte). For float with kDirectionAlign the K axis of L0A is padded
// to 16 (k1 even).
// m == 1 is GEMV: A is read as K contiguous elements (ND), not as a Zz fractal row.
namespace {

// unitFlag handshake state of L0C, per 1 KB fractal (a 16x16 float/int32 block): a Mmad with unitFlag 3 releases
// the fractals it wrote to the Fixpipe; a Fixpipe with unitFlag waits for them and (3) gives them back.
enum UnitState : uint8_t { UNIT_FREE = 0, UNIT_HELD = 1, UNIT_READY = 2 };
struct UnitFlags {
    int64_t block = -1;
    Core core = Core::NONE;
    std::vector<uint8_t> state;
};
UnitFlags g_units;

std::vector<uint8_t>& unit_state() {
    if (g_units.block != g.block_idx || g_units.core != g.core) {
        g_units.block = g.block_idx;
        g_units.core = g.core;
        g_units.state.assign(mem_capacity(Mem::L0C) / 1024 + 1, UNIT_FREE);
    }
    return g_units.state;
}

void check_unit_flag(Site site, uint64_t v) {
    if (v != 0 && v != 2 && v != 3) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "unitFlag is %llu, should be 0 (off), 2 (keep the unit flags) or 3 (reset them)",
              static_cast<unsigned long long>(v));
    }
}

// QUANT_PRE scale M1 as the hardware reads it: a float with a 10-bit mantissa (bits [31:13]).
float quant_scale(uint64_t q) {
    uint32_t bits = static_cast<uint32_t>(q & 0xFFFFE000u);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

double sat(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

// One L0C element through the Fixpipe's pre-quant / ReLU stage (the public golden algorithms of fixpipe_l0c2gm).
double fix_convert(double v, int quant, uint64_t q, bool relu, bool src_int) {
    if (quant <= 2) {  // NoQuant, F322F16, F322BF16: ReLU, then the store rounds (CAST_RINT)
        return relu && v < 0 ? 0.0 : v;
    }
    const uint64_t n = (q >> 32) & 0xF, mcb = (q >> 36) & 1, offset = (q >> 37) & 0x1FF, sign = (q >> 46) & 1;
    const double m1 = quant_scale(q);
    const double m2 = relu ? 0.0 : m1;  // M2: the coefficient of negative values (0 with Normal ReLU)
    if (mcb) {
        if (src_int) {
            v = std::floor(v / std::ldexp(1.0, static_cast<int>(n)));  // arithmetic right shift
        } else {
            v = v / std::ldexp(1.0, static_cast<int>(n));
        }
        v = quant == 3 || quant == 4 ? v : std::nearbyint(sat(v, -32768, 32767));
    }
    v = v >= 0 ? v * m1 : v * m2;
    if (quant == 3 || quant == 4) return v;  // (V)DEQF16: the half store rounds
    // (V)QF322B8_PRE, (V)REQ8: round, saturate to 9 bits, add the offset, saturate to the signed / unsigned byte.
    v = std::nearbyint(sat(v, -256, 255)) + static_cast<double>(offset);
    return sign ? sat(v, -128, 127) : sat(v, 0, 255);
}

}  // namespace

void mmad(const Ref& dst, const Ref& a, const Ref& b, const Ref& bias, const MmadArgs& p, Site site) {
    need_core(Core::AIC, site);
    if (a.mem != Mem::L0A || b.mem != Mem::L0B || dst.mem != Mem::L0C) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Mmad takes A in L0A, B in L0B and C in L0C (got %s, %s, %s)",
              mem_name(a.mem), mem_name(b.mem), mem_name(dst.mem));
    }
    bool ok = (a.dt == DT::F16 && b.dt == DT::F16 && dst.dt == DT::F32) ||
              (a.dt == DT::BF16 && b.dt == DT::BF16 && dst.dt == DT::F32 && R->cfg.bf16_cube) ||
              (a.dt == DT::I8 && b.dt == DT::I8 && dst.dt == DT::I32) ||
              (a.dt == DT::F32 && b.dt == DT::F32 && dst.dt == DT::F32) ||
              (a.dt == DT::I4 && b.dt == DT::I4 && dst.dt == DT::I32);
    if (!ok) {
        char buf[200];
        std::snprintf(buf, sizeof buf, "(A, B, C) = (half, half, float) / (bfloat16_t, bfloat16_t, float)%s / "
                      "(int8_t, int8_t, int32_t) / (float, float, float) / (int4b_t, int4b_t, int32_t); got (%s, %s, %s)",
                      R->cfg.bf16_cube ? "" : " [not on this SoC]", dt_name(a.dt), dt_name(b.dt), dt_name(dst.dt));
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site, "current api support dtype combination is %s", buf);
    }
    const bool with_bias = bias.mem != Mem::NONE;
    const bool b4 = a.dt == DT::I4;
    if (with_bias && b4) {  // the bias form's dtype list (dav_c220 MmadCal with bias) has no int4b_t
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
              "Mmad with a bias tensor supports (int8_t, int8_t, int32_t) / (half, half, float) / (float, float, "
              "float) / (bfloat16_t, bfloat16_t, float); got (int4b_t, int4b_t, int32_t)");
    }
    if (b4 && p.k % 2 != 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "MmadParams.k is %llu: it must be an even number when A and "
              "B are int4b_t", static_cast<unsigned long long>(p.k));
    }
    if (with_bias) {
        if (bias.mem != Mem::BT && bias.mem != Mem::L0C) {
            fault(Kind::INVALID_PARAMETER, bias.mem, site,
                  "Failed to check bias tensor position in Mmad, supported positions are L0C Buffer(CO1)/BiasTable "
                  "Buffer(C2); got %s", mem_name(bias.mem));
        }
        if (bias.dt != dst.dt) {
            fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site, "the bias of Mmad is %s like C; got %s",
                  dt_name(dst.dt), dt_name(bias.dt));
        }
        if (bias.mem == Mem::L0C && bias.addr != dst.addr) {
            fault(Kind::UNSUPPORTED_API, Mem::L0C, site,
                  "Mmad with a CO1 bias tensor other than dst (accumulating from another L0C region) is not "
                  "modelled by the twin");
        }
    }
    check_unit_flag(site, p.unit_flag);
    range(site, "m", p.m, 0, R->cfg.mmad_max_mnk);
    range(site, "n", p.n, 0, R->cfg.mmad_max_mnk);
    range(site, "k", p.k, 0, R->cfg.mmad_max_mnk);
    const bool from_bias = !p.init_zero && p.from_bias;
    RecordEntry& e = rec(Op::INSTR, Pipe::M, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(a.dt);
    e.src_mem = static_cast<uint8_t>(Mem::L0A);
    e.dst_mem = static_cast<uint8_t>(Mem::L0C);
    e.src_addr = a.addr;
    e.dst_addr = dst.addr;
    e.a0 = static_cast<uint32_t>(p.m);
    e.a1 = static_cast<uint32_t>(p.n);
    e.a2 = static_cast<uint32_t>(p.k);
    e.flags = (p.init_zero ? 1 : 0) | (from_bias ? 2 : 0) | (p.unit_flag ? RF_UNIT_FLAG : 0) |
              (p.unit_flag == 3 ? RF_UNIT_RESET : 0);
    e.bytes = p.m * p.n * p.k;  // multiply-accumulates
    rec_done();
    if (p.m == 0 || p.n == 0 || p.k == 0) return;  // NOP
    const size_t eo = dt_size(dst.dt);
    const uint64_t bits = dt_bits(a.dt), c0 = 256 / bits, frac = 4096 / bits;  // c0 and a fractal in elements
    const bool gemv = p.m == 1;
    const uint64_t m1 = (p.m + 15) / 16, n1 = (p.n + 15) / 16, k1 = (p.k + c0 - 1) / c0;
    // K fractals per fractal row of L0A: float with kDirectionAlign pads K to 16 (pairs of 16x8 fractals).
    const uint64_t k1_row = (a.dt == DT::F32 && p.k_direction_align) ? (p.k + 15) / 16 * 2 : k1;
    uint8_t* A = gemv ? local(a, 0, (p.k * bits + 7) / 8, false, site)
                      : local(a, 0, ((m1 - 1) * k1_row + k1) * 512, false, site);
    uint8_t* B = local(b, 0, k1 * n1 * 512, false, site);
    uint8_t* C = local(dst, 0, n1 * m1 * 256 * eo, true, site, R->cfg.mmad_dst_align);
    const uint8_t* BIAS = nullptr;
    if (from_bias) {
        // The bias-tensor form names its BT tensor; the plain form with cmatrixSource reads the table from 0.
        Ref bt = with_bias ? bias : Ref{Mem::BT, dst.dt, 0, ~0ull, 0};
        BIAS = local(bt, 0, p.n * eo, false, site);
    }
    const bool integer = a.dt == DT::I8 || b4;
    const size_t es = dt_size(a.dt);
    if (timing_only()) goto unit_flags;  // checked and recorded; no arithmetic
    if (!integer && mmad_fast(MmadFast{p.m, p.n, p.k, c0, frac, k1_row, m1, n1, gemv, p.init_zero, a.dt}, A, B, C,
                              from_bias ? BIAS : nullptr)) {
        goto unit_flags;
    }
    for (uint64_t i = 0; i < p.m; ++i)
        for (uint64_t j = 0; j < p.n; ++j) {
            double acc = 0;
            int64_t iacc = 0;
            for (uint64_t k = 0; k < p.k; ++k) {  // element indices; int4b_t: two per byte, low nibble first
                uint64_t ai = gemv ? k : ((i / 16) * k1_row + k / c0) * frac + (i % 16) * c0 + k % c0;
                uint64_t bi = ((k / c0) * n1 + j / 16) * frac + (j % 16) * c0 + k % c0;
                if (b4) {
                    iacc += static_cast<int64_t>(i4_get(A, ai)) * i4_get(B, bi);
                } else if (integer) {
                    iacc += static_cast<int64_t>(static_cast<int8_t>(A[ai])) * static_cast<int8_t>(B[bi]);
                } else {
                    acc += load(a.dt, A + ai * es) * load(b.dt, B + bi * es);
                }
            }
            uint8_t* o = C + (((j / 16) * m1 + i / 16) * 256 + (i % 16) * 16 + j % 16) * eo;
            if (integer) {
                int32_t prev = 0;
                if (from_bias) {
                    std::memcpy(&prev, BIAS + j * 4, 4);
                } else if (!p.init_zero) {
                    std::memcpy(&prev, o, 4);
                }
                int32_t v = static_cast<int32_t>(prev + iacc);
                std::memcpy(o, &v, 4);
            } else {
                float prev = 0;
                if (from_bias) {
                    std::memcpy(&prev, BIAS + j * 4, 4);
                } else if (!p.init_zero) {
                    std::memcpy(&prev, o, 4);
                }
                float v = static_cast<float>(static_cast<double>(prev) + acc);
                std::memcpy(o, &v, 4);
            }
        }
unit_flags:
    if (p.unit_flag) {
        std::vector<uint8_t>& st = unit_state();
        for (uint64_t f = 0; f < n1 * m1; ++f) {
            uint64_t u = (dst.addr + f * 256 * eo) / 1024;
            if (u < st.size()) st[u] = p.unit_flag == 3 ? UNIT_READY : UNIT_HELD;
        }
    }
}

void fixpipe(const Ref& dst, const Ref& src, const Ref& quant, const FixpipeArgs& p, Site site) {
    need_core(Core::AIC, site);
    if (src.mem != Mem::L0C || (dst.mem != Mem::GM && dst.mem != Mem::L1)) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Fixpipe moves L0C (CO1) to GM or L1 (A1/B1/C1) (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    if (p.quant < 0) {
        fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
              "Fixpipe with CFG_COLUMN_MAJOR (NZ2DN) exists on Ascend 950 only, not on this architecture");
    }
    const bool to_l1 = dst.mem == Mem::L1;
    const bool nd = !p.nz_out;
    if (to_l1 && nd) {
        fault(Kind::INVALID_PARAMETER, Mem::L1, site,
              "Failed to check format in Fixpipe, when src position is L0C Buffer(CO1) and dst position is L1 "
              "Buffer(C1), format must be set as NZ (Fixpipe<T, U, CFG_NZ>)");
    }
    check_unit_flag(site, p.unit_flag);
    range(site, "nSize", p.n_size, 0, 4095);
    range(site, "mSize", p.m_size, 0, nd ? 8192 : 65535);
    range(site, "srcStride", p.src_stride, 0, 65535);
    if (nd) {
        range(site, "ndNum", p.nd_num, 0, 65535);
        range(site, "srcNdStride", p.src_nd_stride, 0, 512);
    }
    // Conversions (QuantMode_t) the A2 Fixpipe offers, and the dst types each produces.
    const DT s = src.dt, d = dst.dt;
    bool ok;
    switch (p.quant) {
        case 0: ok = d == s && !to_l1 && (s == DT::F32 || s == DT::I32); break;  // NoQuant
        case 1: ok = s == DT::F32 && d == DT::F16; break;                         // F322F16
        case 2: ok = s == DT::F32 && d == DT::BF16; break;                        // F322BF16
        case 3: case 4: ok = s == DT::I32 && d == DT::F16; break;                 // (V)DEQF16
        case 5: case 6: ok = s == DT::F32 && (d == DT::I8 || d == DT::U8); break; // (V)QF322B8_PRE
        case 7: case 8: ok = s == DT::I32 && (d == DT::I8 || d == DT::U8); break; // (V)REQ8
        default:
            fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "Fixpipe quantPre mode %d is not a mode of this architecture",
                  p.quant);
    }
    if (!ok) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
              "Fixpipe from L0C (%s) to %s (%s) with quantPre %d: supported are NoQuant float->float / "
              "int32_t->int32_t (GM only), F322F16 float->half, F322BF16 float->bfloat16_t, (V)DEQF16 "
              "int32_t->half, (V)QF322B8_PRE float->int8_t/uint8_t, (V)REQ8 int32_t->int8_t/uint8_t",
              dt_name(s), mem_name(dst.mem), dt_name(d), p.quant);
    }
    const bool vector_quant = p.quant == 4 || p.quant == 6 || p.quant == 8;
    if (vector_quant && (quant.mem != Mem::L1 || quant.dt != DT::U64)) {
        fault(Kind::INVALID_PARAMETER, quant.mem, site,
              "Fixpipe quantPre %d (a per-channel quant mode) takes a LocalTensor<uint64_t> of quant parameters in "
              "L1 (cbufWorkspace)", p.quant);
    }
    if (p.channel_split && !(s == DT::F32 && d == DT::F32 && p.nz_out)) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "isChannelSplit can be set only when src and dst are both float and the format is NZ");
    }
    if (p.channel_split ? p.n_size % 8 != 0 : (p.nz_out && p.n_size % 16 != 0)) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "nSize %llu must be a multiple of %d for an NZ output",
              static_cast<unsigned long long>(p.n_size), p.channel_split ? 8 : 16);
    }
    if (p.m_size > 0 && p.n_size > 1 && p.src_stride < p.m_size) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "srcStride %llu is less than mSize %llu (srcStride is the distance between the Z columns of the NZ "
              "source in 16-element rows: mSize rounded up to 16)",
              static_cast<unsigned long long>(p.src_stride), static_cast<unsigned long long>(p.m_size));
    }
    if (nd && p.m_size > 1 && p.dst_stride < p.n_size) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "dstStride %llu is less than nSize %llu",
              static_cast<unsigned long long>(p.dst_stride), static_cast<unsigned long long>(p.n_size));
    }
    if (!nd && p.dst_stride == 0 && p.n_size > 16) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "dstStride of an NZ output must not be 0");
    }
    const uint64_t nd_num = nd ? p.nd_num : 1;
    const size_t eo = dt_size(d), ei = dt_size(s);
    if (vector_quant) {  // the quant parameters go L1 -> Fixpipe buffer first (128 B bursts)
        RecordEntry& q = rec(Op::INSTR, Pipe::FIX, site);
        q.dtype = q.src_dtype = static_cast<uint8_t>(DT::U64);
        q.src_mem = static_cast<uint8_t>(Mem::L1);
        q.dst_mem = static_cast<uint8_t>(Mem::FB);
        q.src_addr = quant.addr;
        q.bytes = (p.n_size * 8 + 127) / 128 * 128;
        q.a0 = 1;
        q.a1 = static_cast<uint32_t>(q.bytes);
        rec_done();
        count_path(Mem::L1, Mem::FB, q.bytes);
    }
    RecordEntry& e = rec(Op::INSTR, Pipe::FIX, site);
    e.dtype = static_cast<uint8_t>(d);
    e.src_dtype = static_cast<uint8_t>(s);
    e.src_mem = static_cast<uint8_t>(Mem::L0C);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = to_l1 ? dst.addr : gm_rec_addr(dst.addr);
    e.bytes = nd_num * p.m_size * p.n_size * eo;
    e.repeats = static_cast<uint32_t>(nd_num);
    e.a0 = static_cast<uint32_t>(p.m_size);
    e.a1 = static_cast<uint32_t>(p.n_size);
    e.a2 = static_cast<uint32_t>(p.quant);
    e.flags = (p.nz_out ? 0 : RF_COUNT_FORM) | (p.unit_flag ? RF_UNIT_FLAG : 0) |
              (p.unit_flag == 3 ? RF_UNIT_RESET : 0);
    e.reserved = static_cast<uint16_t>(std::min<uint64_t>(p.dst_stride, 0xFFFF));  // dst row pitch (cycle model)
    rec_done();
    if (nd && p.nd_num == 0) warn(site, "ndNum is 0: the Fixpipe moves nothing");
    if (p.m_size == 0 || p.n_size == 0 || nd_num == 0) return;  // NOP
    count_path(Mem::L0C, dst.mem, e.bytes);
    const uint64_t groups = (p.n_size + 15) / 16;
    const uint64_t nd_step = p.src_nd_stride * 1024;  // srcNdStride counts 16 x C0_Size blocks (1 KB) on A2
    // L0C extent read: the last matrix's last Z column's last row.
    uint64_t s_ext = (nd_num - 1) * nd_step + ((groups - 1) * p.src_stride + p.m_size) * 16 * ei;
    uint8_t* S = local(src, 0, s_ext, false, site);
    const uint8_t* Q = vector_quant ? local(quant, 0, p.n_size * 8, false, site) : nullptr;
    if (p.unit_flag) {  // the handshake: wait for the fractals a Mmad with unitFlag 3 released
        std::vector<uint8_t>& st = unit_state();
        for (uint64_t t = 0; t < nd_num; ++t)
            for (uint64_t g0 = 0; g0 < groups; ++g0)
                for (uint64_t r = 0; r < p.m_size; r += 16) {
                    uint64_t u = (src.addr + t * nd_step + (g0 * p.src_stride + r) * 16 * ei) / 1024;
                    if (u < st.size() && st[u] != UNIT_READY) {
                        fault(Kind::DEADLOCK, Mem::L0C, site,
                              "Fixpipe with unitFlag %d waits for L0C fractal 0x%llx, which no Mmad with unitFlag 3 "
                              "has released (%s): the FIX pipe waits forever. Set the Mmad's unitFlag to 3 on its last "
                              "write, or use unitFlag 0 with an M_FIX event", p.unit_flag,
                              static_cast<unsigned long long>(u * 1024),
                              st[u] == UNIT_HELD ? "the last Mmad had unitFlag 2" : "written without unitFlag");
                    }
                }
        if (p.unit_flag == 3) {
            for (uint64_t t = 0; t < nd_num; ++t)
                for (uint64_t g0 = 0; g0 < groups; ++g0)
                    for (uint64_t r = 0; r < p.m_size; r += 16) {
                        uint64_t u = (src.addr + t * nd_step + (g0 * p.src_stride + r) * 16 * ei) / 1024;
                        if (u < st.size()) st[u] = UNIT_FREE;
                    }
        }
    }
    // Destination element (row i, column c) of matrix t.
    uint64_t c0d = 32 / eo < 16 ? 16 : 32 / eo;  // NZ output: 16-wide rows; b8 merges two groups (16 x 32)
    if (p.channel_split) c0d = 8;
    uint64_t d_ext;
    if (nd) {
        d_ext = ((nd_num - 1) * p.dst_nd_stride + (p.m_size - 1) * p.dst_stride + p.n_size) * eo;
    } else {
        uint64_t dgroups = (p.n_size + c0d - 1) / c0d;
        d_ext = (dgroups - 1) * p.dst_stride * 32 + p.m_size * c0d * eo;
    }
    uint8_t* D;
    if (to_l1) {
        D = local(dst, 0, d_ext, true, site);
    } else {
        check_gm_tensor(dst, 0, d_ext, true, site);
        D = gm_host(dst.addr);
    }
    const bool src_int = s == DT::I32;
    if (timing_only()) return;
    if (nd && Q == nullptr && s == DT::F32 && ((p.quant == 0 && d == DT::F32) || (p.quant == 1 && d == DT::F16)) &&
        fixpipe_fast(FixFast{nd_num, p.m_size, p.n_size, p.src_stride, nd_step, p.dst_stride, p.dst_nd_stride, p.relu,
                             d == DT::F16}, S, D)) {
        return;
    }
    for (uint64_t t = 0; t < nd_num; ++t)
        for (uint64_t i = 0; i < p.m_size; ++i)
            for (uint64_t c = 0; c < p.n_size; ++c) {
                double v = load(s, S + t * nd_step + ((c / 16) * p.src_stride * 16 + i * 16 + c % 16) * ei);
                uint64_t q = p.deq_scalar;
                if (Q) std::memcpy(&q, Q + c * 8, 8);
                v = fix_convert(v, p.quant, q, p.relu, src_int);
                uint64_t off = nd ? (t * p.dst_nd_stride + i * p.dst_stride + c) * eo
                                  : (c / c0d) * p.dst_stride * 32 + (i * c0d + c % c0d) * eo;
                store(d, D + off, v);
            }
}

}  // namespace hawk
