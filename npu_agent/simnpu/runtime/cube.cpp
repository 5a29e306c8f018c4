// Cube unit: Mmad and Fixpipe.
#include "internal.h"

namespace hawk {

// =============================================================================================== cube
// Layouts (docs/kernel-contract.md): L0A holds A (m x k) as fractals [m1][k1] of 16 x c0 (row-major inside);
// L0B holds B (k x n) as fractals [n1][k1] of 16(n) x c0(k) (B transposed inside each fractal); L0C holds
// C (m x n) as fractals [n1][m1] of 16 x 16 (NZ). c0 = 32 bytes / element size.
void mmad(const Ref& dst, const Ref& a, const Ref& b, const MmadArgs& p, Site site) {
    need_core(Core::AIC, site);
    if (a.mem != Mem::L0A || b.mem != Mem::L0B || dst.mem != Mem::L0C) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Mmad takes A in L0A, B in L0B and C in L0C (got %s, %s, %s)",
              mem_name(a.mem), mem_name(b.mem), mem_name(dst.mem));
    }
    bool ok = (a.dt == DT::F16 && b.dt == DT::F16 && dst.dt == DT::F32) ||
              (a.dt == DT::BF16 && b.dt == DT::BF16 && dst.dt == DT::F32 && R->cfg.bf16_cube) ||
              (a.dt == DT::I8 && b.dt == DT::I8 && dst.dt == DT::I32) ||
              (a.dt == DT::F32 && b.dt == DT::F32 && dst.dt == DT::F32);
    if (!ok) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "(A, B, C) = (half, half, float) / (bfloat16_t, bfloat16_t, float)%s / "
                      "(int8_t, int8_t, int32_t) / (float, float, float); got (%s, %s, %s)",
                      R->cfg.bf16_cube ? "" : " [not on this SoC]", dt_name(a.dt), dt_name(b.dt), dt_name(dst.dt));
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site, "current api support dtype combination is %s", buf);
    }
    range(site, "m", p.m, 0, R->cfg.mmad_max_mnk);
    range(site, "n", p.n, 0, R->cfg.mmad_max_mnk);
    range(site, "k", p.k, 0, R->cfg.mmad_max_mnk);
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
    e.flags = p.init_zero ? 1 : 0;
    e.bytes = p.m * p.n * p.k;  // multiply-accumulates
    rec_done();
    if (p.m == 0 || p.n == 0 || p.k == 0) return;
    size_t es = dt_size(a.dt), eo = dt_size(dst.dt);
    uint64_t c0 = 32 / es;
    uint64_t m1 = (p.m + 15) / 16, n1 = (p.n + 15) / 16, k1 = (p.k + c0 - 1) / c0;
    uint8_t* A = local(a, 0, m1 * k1 * 512, false, site);
    uint8_t* B = local(b, 0, n1 * k1 * 512, false, site);
    uint8_t* C = local(dst, 0, n1 * m1 * 256 * eo, true, site, R->cfg.mmad_dst_align);
    const bool integer = a.dt == DT::I8;
    for (uint64_t i = 0; i < p.m; ++i)
        for (uint64_t j = 0; j < p.n; ++j) {
            double acc = 0;
            int64_t iacc = 0;
            for (uint64_t k = 0; k < p.k; ++k) {
                uint64_t ao = ((i / 16) * k1 + k / c0) * 512 + ((i % 16) * c0 + k % c0) * es;
                uint64_t bo = ((j / 16) * k1 + k / c0) * 512 + ((j % 16) * c0 + k % c0) * es;
                if (integer) {
                    iacc += static_cast<int64_t>(static_cast<int8_t>(A[ao])) * static_cast<int8_t>(B[bo]);
                } else {
                    acc += load(a.dt, A + ao) * load(b.dt, B + bo);
                }
            }
            uint8_t* o = C + (((j / 16) * m1 + i / 16) * 256 + (i % 16) * 16 + j % 16) * eo;
            if (integer) {
                int32_t prev = 0;
                if (!p.init_zero) std::memcpy(&prev, o, 4);
                int32_t v = static_cast<int32_t>(prev + iacc);
                std::memcpy(o, &v, 4);
            } else {
                float prev = 0;
                if (!p.init_zero) std::memcpy(&prev, o, 4);
                float v = static_cast<float>(static_cast<double>(prev) + acc);
                std::memcpy(o, &v, 4);
            }
        }
}

void fixpipe(const Ref& dst, const Ref& src, const FixpipeArgs& p, Site site) {
    need_core(Core::AIC, site);
    if (src.mem != Mem::L0C || dst.mem != Mem::GM) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "Fixpipe moves L0C (CO1) to GM only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    if (p.nz_out) {
        fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "Fixpipe with CFG_NZ output is not modelled; use CFG_ROW_MAJOR");
    }
    range(site, "nSize", p.n_size, 1, 4095);
    range(site, "mSize", p.m_size, 1, 4095);
    range(site, "ndNum", p.nd_num, 1, 1);
    // QuantMode_t { NoQuant, F322F16, F322BF16, DEQF16, ... }: the dst type must match the conversion.
    DT want;
    switch (p.quant) {
        case 0: want = src.dt; break;
        case 1: want = DT::F16; break;
        case 2: want = DT::BF16; break;
        case 3: want = DT::F16; break;
        default:
            fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "Fixpipe quantPre mode %d is not modelled", p.quant);
    }
    if (dst.dt != want || (p.quant == 3 && src.dt != DT::I32) || ((p.quant == 1 || p.quant == 2) && src.dt != DT::F32)) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
              "Fixpipe quantPre %d converts %s to %s; the tensors are %s (L0C) and %s (GM)", p.quant,
              p.quant == 3 ? "int32_t" : "float", dt_name(want), dt_name(src.dt), dt_name(dst.dt));
    }
    size_t es = dt_size(dst.dt), ei = dt_size(src.dt);
    uint64_t m1 = p.src_stride;  // rows (16-element units) between adjacent Z columns of the source
    if (m1 < p.m_size) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "srcStride %llu is less than mSize %llu",
              static_cast<unsigned long long>(p.src_stride), static_cast<unsigned long long>(p.m_size));
    }
    if (p.dst_stride < p.n_size) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "dstStride %llu is less than nSize %llu",
              static_cast<unsigned long long>(p.dst_stride), static_cast<unsigned long long>(p.n_size));
    }
    RecordEntry& e = rec(Op::INSTR, Pipe::FIX, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(src.dt);
    e.src_mem = static_cast<uint8_t>(Mem::L0C);
    e.dst_mem = static_cast<uint8_t>(Mem::GM);
    e.src_addr = src.addr;
    e.dst_addr = gm_rec_addr(dst.addr);
    e.bytes = p.m_size * p.n_size * es;
    e.a0 = static_cast<uint32_t>(p.m_size);
    e.a1 = static_cast<uint32_t>(p.n_size);
    e.a2 = static_cast<uint32_t>(p.quant);
    rec_done();
    count_path(Mem::L0C, Mem::GM, p.m_size * p.n_size * es);
    uint64_t n1 = (p.n_size + 15) / 16;
    uint8_t* S = local(src, 0, ((n1 - 1) * m1 * 16 + (p.m_size - 1) * 16 + 16) * ei, false, site);
    check_gm_tensor(dst, 0, ((p.m_size - 1) * p.dst_stride + p.n_size) * es, true, site);
    uint8_t* D = reinterpret_cast<uint8_t*>(dst.addr);
    for (uint64_t i = 0; i < p.m_size; ++i)
        for (uint64_t j = 0; j < p.n_size; ++j) {
            double v = load(src.dt, S + ((j / 16) * m1 * 16 + i * 16 + j % 16) * ei);
            if (p.quant == 3) v *= p.deq_scale;
            if (p.relu && v < 0) v = 0;
            store(dst.dt, D + (i * p.dst_stride + j) * es, v);
        }
}

}  // namespace hawk
