// Data movement: DataCopy (count, params, pad, Nd2Nz) and LoadData between GM, UB, L1 and L0.
#include "internal.h"

namespace hawk {

// ==================================================================================== data movement
namespace {
uint8_t* side(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    if (t.mem == Mem::GM) {
        check_gm_tensor(t, off, n, write, site);
        return reinterpret_cast<uint8_t*>(t.addr) + off;
    }
    return local(t, off, n, write, site);
}
void check_gm_elem_align(const Ref& t, Site site) {
    size_t es = dt_size(t.dt);
    if (t.mem == Mem::GM && es > 1 && t.addr % es != 0) {
        fault(Kind::MISALIGNED_ADDRESS, Mem::GM, site, "GM address 0x%llx is not aligned to the %zu-byte element size",
              static_cast<unsigned long long>(t.addr), es);
    }
}
RecordEntry& rec_copy(Site site, const Ref& dst, const Ref& src, uint64_t bytes) {
    Pipe p = copy_pipe(src.mem, dst.mem);
    RecordEntry& e = rec(Op::INSTR, p, site);
    e.dtype = static_cast<uint8_t>(dst.dt);
    e.src_dtype = static_cast<uint8_t>(src.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = bytes;
    if ((src.mem == Mem::GM && src.l2_hint == 1) || (dst.mem == Mem::GM && dst.l2_hint == 1)) e.flags |= RF_L2_BYPASS;
    if (dst.mem == Mem::GM && atomic_on()) e.flags |= RF_ATOMIC;
    count_path(src.mem, dst.mem, bytes);
    return e;
}
// GM addresses in the record are (region index << 48) | offset, so the record never holds host pointers.
}  // namespace

uint64_t gm_rec_addr(uint64_t addr) {
    for (size_t i = 0; i < R->gm.size(); ++i) {
        uint64_t b = reinterpret_cast<uint64_t>(R->gm[i].base);
        if (addr >= b && addr <= b + R->gm[i].bytes) return (static_cast<uint64_t>(i + 1) << 48) | (addr - b);
    }
    return addr & ((1ull << 48) - 1);
}
namespace {
void fix_gm_addrs(RecordEntry& e, const Ref& dst, const Ref& src) {
    if (src.mem == Mem::GM) e.src_addr = gm_rec_addr(src.addr);
    if (dst.mem == Mem::GM) e.dst_addr = gm_rec_addr(dst.addr);
}
void check_copy_route(const Ref& dst, const Ref& src, Site site) {
    if (dst.mem == Mem::GM && src.mem == Mem::GM) {
        fault(Kind::INVALID_PARAMETER, Mem::GM, site, "DataCopy from GM to GM is not a hardware data path");
    }
    if (dst.mem == Mem::L0C || src.mem == Mem::L0A || src.mem == Mem::L0B) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "no DataCopy path from %s to %s", mem_name(src.mem),
              mem_name(dst.mem));
    }
}
}  // namespace

void copy(const Ref& dst, const Ref& src, uint64_t count, Site site) {
    check_copy_route(dst, src, site);
    size_t es = dt_size(src.dt);
    uint64_t bytes = count * es;
    uint64_t blk = R->cfg.datacopy_block;
    uint64_t moved = bytes / blk * blk;
    RecordEntry& e = rec_copy(site, dst, src, moved);
    fix_gm_addrs(e, dst, src);
    e.flags |= RF_COUNT_FORM | (moved != bytes ? RF_TRUNCATED : 0);
    e.a0 = 1;
    e.a1 = static_cast<uint32_t>(moved);
    rec_done();
    if (moved != bytes) {
        warn(site, "DataCopy of %llu elements (%llu bytes) is not a multiple of %llu bytes: only %llu bytes are "
                   "moved (use DataCopyPad for the tail)",
             static_cast<unsigned long long>(count), static_cast<unsigned long long>(bytes),
             static_cast<unsigned long long>(blk), static_cast<unsigned long long>(moved));
    }
    check_gm_elem_align(dst, site);
    check_gm_elem_align(src, site);
    if (moved == 0) return;
    uint8_t* s = side(src, 0, moved, false, site);
    uint8_t* d = side(dst, 0, moved, true, site);
    if (dst.mem == Mem::GM) gm_store(d, s, moved, site);  // SetAtomicAdd/Max/Min apply to stores to GM
    else std::memmove(d, s, moved);
}

void copy_params(const Ref& dst, const Ref& src, const CopyParams& p, Site site) {
    check_copy_route(dst, src, site);
    range(site, "blockCount", p.block_count, 1, 4095);
    range(site, "blockLen", p.block_len, 1, 65535);
    range(site, "srcStride", p.src_stride, 0, 65535);
    range(site, "dstStride", p.dst_stride, 0, 65535);
    uint64_t unit = R->cfg.datacopy_block;
    uint64_t len = p.block_len * unit;
    RecordEntry& e = rec_copy(site, dst, src, p.block_count * len);
    fix_gm_addrs(e, dst, src);
    e.a0 = static_cast<uint32_t>(p.block_count);
    e.a1 = static_cast<uint32_t>(len);
    e.a2 = static_cast<uint32_t>(p.src_stride * unit);
    e.repeats = static_cast<uint32_t>(p.block_count);
    rec_done();
    check_gm_elem_align(dst, site);
    check_gm_elem_align(src, site);
    uint64_t s_step = len + p.src_stride * unit, d_step = len + p.dst_stride * unit;
    uint64_t s_ext = (p.block_count - 1) * s_step + len, d_ext = (p.block_count - 1) * d_step + len;
    uint8_t* s = side(src, 0, s_ext, false, site);
    uint8_t* d = side(dst, 0, d_ext, true, site);
    for (uint64_t b = 0; b < p.block_count; ++b) {
        if (dst.mem == Mem::GM) gm_store(d + b * d_step, s + b * s_step, len, site);
        else std::memmove(d + b * d_step, s + b * s_step, len);
    }
}

void copy_pad(const Ref& dst, const Ref& src, const CopyParams& p, const PadParams& pad_in, bool ext, Site site) {
    PadParams pad = pad_in;
    if (!pad.is_pad && dst.mem != Mem::GM && pad_value(&pad.value_bits)) pad.is_pad = true;  // SetPadValue
    if (!((dst.mem == Mem::UB || dst.mem == Mem::L1) && src.mem == Mem::GM) &&
        !(dst.mem == Mem::GM && (src.mem == Mem::UB || src.mem == Mem::L1))) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "DataCopyPad moves between GM and UB only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    size_t es = dt_size(dst.mem == Mem::GM ? src.dt : dst.dt);
    range(site, "blockCount", p.block_count, 0, 4095);
    range(site, "blockLen", p.block_len, 0, ext ? 2097151 : 65535);
    uint64_t unit = R->cfg.datacopy_block;
    uint64_t moved = p.block_count * p.block_len;
    RecordEntry& e = rec_copy(site, dst, src, moved);
    fix_gm_addrs(e, dst, src);
    e.flags |= pad.is_pad ? RF_PAD : 0;
    e.a0 = static_cast<uint32_t>(p.block_count);
    e.a1 = static_cast<uint32_t>(p.block_len);
    e.a2 = static_cast<uint32_t>(p.src_stride);
    e.repeats = static_cast<uint32_t>(p.block_count);
    rec_done();
    if (p.block_count == 0 || p.block_len == 0) return;  // NOP on A2
    if (p.block_len % es != 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "blockLen %llu bytes is not a multiple of the %zu-byte element",
              static_cast<unsigned long long>(p.block_len), es);
    }
    if (dst.mem != Mem::GM) {  // GM -> UB: each row lands padded to whole 32 B blocks
        range(site, "leftPadding", pad.left, 0, 32 / es);
        range(site, "rightPadding", pad.right, 0, 32 / es);
        uint64_t row = pad.left * es + p.block_len + pad.right * es;
        uint64_t row_ub = (row + unit - 1) / unit * unit;
        uint64_t s_step = p.block_len + p.src_stride;          // GM side in bytes
        uint64_t d_step = row_ub + p.dst_stride * unit;        // UB side in 32 B blocks
        uint8_t* s = side(src, 0, (p.block_count - 1) * s_step + p.block_len, false, site);
        uint8_t* d = side(dst, 0, (p.block_count - 1) * d_step + row_ub, true, site);
        for (uint64_t b = 0; b < p.block_count; ++b) {
            uint8_t* o = d + b * d_step;
            if (pad.is_pad) {
                for (uint64_t k = 0; k + es <= row_ub; k += es) std::memcpy(o + k, &pad.value_bits, es);
            }
            std::memmove(o + pad.left * es, s + b * s_step, p.block_len);
        }
    } else {  // UB -> GM: the padding of each UB row is dropped
        uint64_t row_ub = (p.block_len + unit - 1) / unit * unit;
        uint64_t s_step = row_ub + p.src_stride * unit;
        uint64_t d_step = p.block_len + p.dst_stride;
        uint8_t* s = side(src, 0, (p.block_count - 1) * s_step + p.block_len, false, site);
        uint8_t* d = side(dst, 0, (p.block_count - 1) * d_step + p.block_len, true, site);
        for (uint64_t b = 0; b < p.block_count; ++b) gm_store(d + b * d_step, s + b * s_step, p.block_len, site);
    }
}

void copy_nd2nz(const Ref& dst, const Ref& src, const Nd2Nz& p, Site site) {
    need_core(Core::AIC, site);
    if (src.mem != Mem::GM || dst.mem != Mem::L1) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "DataCopy with Nd2NzParams moves GM to L1 (A1/B1) only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    size_t es = dt_size(dst.dt);
    uint64_t c0 = 32 / es;
    range(site, "ndNum", p.nd_num, 0, 4095);
    range(site, "nValue", p.n, 0, 16384);
    range(site, "dValue", p.d, 0, 65535);
    range(site, "srcDValue", p.src_d, 1, 65535);
    range(site, "dstNzC0Stride", p.dst_c0_stride, 1, 16384);
    range(site, "dstNzNStride", p.dst_n_stride, 1, 16384);
    uint64_t moved = p.nd_num * p.n * p.d * es;
    RecordEntry& e = rec_copy(site, dst, src, moved);
    fix_gm_addrs(e, dst, src);
    e.a0 = static_cast<uint32_t>(p.n);
    e.a1 = static_cast<uint32_t>(p.d);
    e.a2 = static_cast<uint32_t>(p.nd_num);
    e.repeats = static_cast<uint32_t>(p.nd_num * p.n);
    rec_done();
    if (moved == 0) return;
    uint64_t d_blocks = (p.d + c0 - 1) / c0;
    uint64_t s_ext = ((p.nd_num - 1) * p.src_nd_matrix_stride + (p.n - 1) * p.src_d + p.d) * es;
    uint64_t d_ext = (p.nd_num - 1) * p.dst_nz_matrix_stride * es +
                     ((d_blocks - 1) * p.dst_c0_stride + (p.n - 1) * p.dst_n_stride) * 32 + 32;
    uint8_t* s = side(src, 0, s_ext, false, site);
    uint8_t* d = local(dst, 0, d_ext, true, site);
    for (uint64_t m = 0; m < p.nd_num; ++m)
        for (uint64_t i = 0; i < p.n; ++i)
            for (uint64_t j = 0; j < d_blocks; ++j) {
                uint8_t* o = d + m * p.dst_nz_matrix_stride * es + (j * p.dst_c0_stride + i * p.dst_n_stride) * 32;
                uint64_t cols = std::min(c0, p.d - j * c0);
                std::memmove(o, s + (m * p.src_nd_matrix_stride + i * p.src_d + j * c0) * es, cols * es);
                if (cols < c0) std::memset(o + cols * es, 0, (c0 - cols) * es);  // the D tail of a fractal row is zero
            }
}

void load2d(const Ref& dst, const Ref& src, const Load2D& p, Site site) {
    need_core(Core::AIC, site);
    if (!(dst.mem == Mem::L0A || dst.mem == Mem::L0B) || !(src.mem == Mem::L1 || src.mem == Mem::GM)) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "LoadData moves L1 (or GM) to L0A/L0B only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    range(site, "repeatTimes", p.repeat, 0, R->cfg.max_repeat);
    range(site, "srcStride", p.src_stride, 0, 65535);
    range(site, "dstGap", p.dst_gap, 0, 65535);
    const uint64_t frac = 512;
    size_t es = dt_size(dst.dt);
    RecordEntry& e = rec_copy(site, dst, src, p.repeat * frac);
    fix_gm_addrs(e, dst, src);
    e.flags |= p.transpose ? RF_TRANSPOSE : 0;
    e.repeats = static_cast<uint32_t>(p.repeat);
    e.a0 = static_cast<uint32_t>(p.start_index);
    e.a1 = static_cast<uint32_t>(p.src_stride);
    e.a2 = static_cast<uint32_t>(p.dst_gap);
    rec_done();
    if (p.repeat == 0) return;
    if (p.transpose && es != 2) {
        fault(Kind::UNSUPPORTED_DTYPE, dst.mem, site,
              "LoadData with ifTranspose supports 2-byte types (16x16 fractals); got %s", dt_name(dst.dt));
    }
    uint64_t s_ext = (p.start_index + (p.repeat - 1) * p.src_stride) * frac + frac;
    uint64_t d_ext = (p.repeat - 1) * (1 + p.dst_gap) * frac + frac;
    uint8_t* s = side(src, 0, s_ext, false, site);
    uint8_t* d = local(dst, 0, d_ext, true, site);
    for (uint64_t r = 0; r < p.repeat; ++r) {
        const uint8_t* sf = s + (p.start_index + r * p.src_stride) * frac;
        uint8_t* df = d + r * (1 + p.dst_gap) * frac;
        if (!p.transpose) {
            std::memmove(df, sf, frac);
        } else {
            uint8_t tmp[512];
            for (int i = 0; i < 16; ++i)
                for (int j = 0; j < 16; ++j) std::memcpy(tmp + (j * 16 + i) * 2, sf + (i * 16 + j) * 2, 2);
            std::memcpy(df, tmp, frac);
        }
    }
}

}  // namespace hawk
