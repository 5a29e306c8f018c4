// Data movement: DataCopy (count, params, pad, Nd2Nz) and LoadData between GM, UB, L1 and L0.
#include "internal.h"

namespace hawk {

// ==================================================================================== data movement
namespace {
uint8_t* side(const Ref& t, uint64_t off, uint64_t n, bool write, Site site) {
    if (t.mem == Mem::GM) {
        check_gm_tensor(t, off, n, write, site);
        return gm_host(t.addr) + off;
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
    if (dst.mem == Mem::BT || dst.mem == Mem::FB) {  // L1 -> BT / FB: count elements, whole destination blocks
        CopyParams p;
        p.block_len = dt_bytes(dst.dt, count) / (dst.mem == Mem::BT ? 64 : 128);
        copy_bias(dst, src, p, site);
        return;
    }
    check_copy_route(dst, src, site);
    uint64_t bytes = dt_bytes(src.dt, count);  // int4b_t: two elements per byte
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
    else if (!timing_only()) std::memmove(d, s, moved);
}

void copy_params(const Ref& dst, const Ref& src, const CopyParams& p, Site site) {
    if (dst.mem == Mem::BT || dst.mem == Mem::FB) {
        copy_bias(dst, src, p, site);
        return;
    }
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
    if (dst.mem == Mem::GM) e.reserved = static_cast<uint16_t>(p.dst_stride);  // GM gap in blocks (coverage.py)
    rec_done();
    check_gm_elem_align(dst, site);
    check_gm_elem_align(src, site);
    uint64_t s_step = len + p.src_stride * unit, d_step = len + p.dst_stride * unit;
    uint64_t s_ext = (p.block_count - 1) * s_step + len, d_ext = (p.block_count - 1) * d_step + len;
    uint8_t* s = side(src, 0, s_ext, false, site);
    uint8_t* d = side(dst, 0, d_ext, true, site);
    for (uint64_t b = 0; b < p.block_count; ++b) {
        if (dst.mem == Mem::GM) gm_store(d + b * d_step, s + b * s_step, len, site);
        else if (!timing_only()) std::memmove(d + b * d_step, s + b * s_step, len);
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
    // The GM gap in bytes of a store (coverage.py); 0xFFFF: that much or more, the extent is not recorded.
    if (dst.mem == Mem::GM) e.reserved = static_cast<uint16_t>(std::min<uint64_t>(p.dst_stride, 0xFFFF));
    rec_done();
    if (p.block_count == 0 || p.block_len == 0) return;  // NOP on A2
    const DT edt = dst.mem == Mem::GM ? src.dt : dst.dt;
    if (edt == DT::I4 && dst.mem != Mem::GM && (pad.left != 0 || pad.right != 0)) {
        fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
              "DataCopyPad of int4b_t with leftPadding/rightPadding (half-byte padding) is not modelled by the twin");
    }
    if (edt == DT::I4) pad.value_bits = (pad.value_bits & 0xF) * 0x11;  // both nibbles of a padding byte
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
        // With leftPadding = rightPadding = 0, the dummy data up to the 32 B boundary repeats the block's first
        // element (DataCopyPad GMToUB 示例2), whatever isPad says; otherwise padding and dummy take paddingValue when
        // isPad (or SetPadValue), and are left as they were (the hardware's "random" values) when not.
        const bool dummy_first = pad.left == 0 && pad.right == 0 && row < row_ub && p.block_len >= es;
        if (timing_only()) return;
        for (uint64_t b = 0; b < p.block_count; ++b) {
            uint8_t* o = d + b * d_step;
            if (pad.is_pad && !dummy_first) {
                for (uint64_t k = 0; k + es <= row_ub; k += es) std::memcpy(o + k, &pad.value_bits, es);
            }
            std::memmove(o + pad.left * es, s + b * s_step, p.block_len);
            if (dummy_first) {
                for (uint64_t k = p.block_len; k + es <= row_ub; k += es) std::memcpy(o + k, o, es);
            }
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
    if (timing_only()) return;
    for (uint64_t m = 0; m < p.nd_num; ++m)
        for (uint64_t i = 0; i < p.n; ++i)
            for (uint64_t j = 0; j < d_blocks; ++j) {
                uint8_t* o = d + m * p.dst_nz_matrix_stride * es + (j * p.dst_c0_stride + i * p.dst_n_stride) * 32;
                uint64_t cols = std::min(c0, p.d - j * c0);
                std::memmove(o, s + (m * p.src_nd_matrix_stride + i * p.src_d + j * c0) * es, cols * es);
                if (cols < c0) std::memset(o + cols * es, 0, (c0 - cols) * es);  // the D tail of a fractal row is zero
            }
}

// LoadDataWithTranspose (LoadData2dTransposeParams): per repeat, one square block of the source (b16: one 16x16
// fractal; b8: two 16x32 fractals stacked into 32x32; b32: two 16x8 fractals side by side into 16x16; b4: four
// 16x64 fractals stacked into 64x64, L0B only) is transposed and split back into fractals (dstFracGap fractals
// apart), as the public pseudocode describes.
void load2d_transpose(const Ref& dst, const Ref& src, const Load2DT& p, Site site) {
    need_core(Core::AIC, site);
    if (!(dst.mem == Mem::L0A || dst.mem == Mem::L0B) || src.mem != Mem::L1) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "LoadDataWithTranspose moves L1 to L0A/L0B only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    const bool b4 = dst.dt == DT::I4;
    const size_t es = dt_size(dst.dt);
    if (es != 1 && es != 2 && es != 4) {
        fault(Kind::UNSUPPORTED_DTYPE, dst.mem, site, "LoadDataWithTranspose supports b4, b8, b16 and b32 types; got %s",
              dt_name(dst.dt));
    }
    if (b4 && dst.mem != Mem::L0B) {
        dtype_fault(site, dst.dt, "int8_t / uint8_t / half / bfloat16_t / int32_t / uint32_t / float to L0A "
                    "(int4b_t only to L0B)");
    }
    range(site, "repeatTimes", p.repeat, 0, 255);
    const uint64_t nf = b4 ? 4 : es == 2 ? 1 : 2, sq = nf * 512;
    const uint64_t R = b4 ? 64 : es == 1 ? 32 : 16;
    RecordEntry& e = rec_copy(site, dst, src, p.repeat * sq);
    e.flags |= RF_TRANSPOSE;
    e.repeats = static_cast<uint32_t>(p.repeat);
    e.a0 = static_cast<uint32_t>(p.start_index);
    e.a1 = static_cast<uint32_t>(p.src_stride);
    e.a2 = static_cast<uint32_t>(p.dst_gap);
    rec_done();
    if (p.repeat == 0) return;
    uint64_t s_ext = (p.start_index + (p.repeat - 1) * p.src_stride) * sq + sq;
    uint64_t d_ext = (p.repeat - 1) * (1 + p.dst_gap) * 512 + (nf - 1) * (1 + p.dst_frac_gap) * 512 + 512;
    uint8_t* s = local(src, 0, s_ext, false, site, 32);
    uint8_t* d = local(dst, 0, d_ext, true, site, 512);
    if (timing_only()) return;
    std::vector<uint8_t> tmp(d_ext);
    std::memcpy(tmp.data(), d, d_ext);
    for (uint64_t r = 0; r < p.repeat; ++r) {
        const uint8_t* S = s + (p.start_index + r * p.src_stride) * sq;
        uint8_t* D = tmp.data() + r * (1 + p.dst_gap) * 512;
        const uint64_t fgap = (1 + p.dst_frac_gap) * 512;
        for (uint64_t i = 0; i < R; ++i)
            for (uint64_t j = 0; j < R; ++j) {  // T[i][j] = S[j][i]
                uint64_t so, dof;
                if (b4) {  // in half bytes: 64 per fractal row
                    i4_set(D, (i / 16) * fgap * 2 + (i % 16) * 64 + j, i4_get(S, j * 64 + i));
                    continue;
                }
                if (es == 1) {
                    so = j * 32 + i;
                    dof = (i / 16) * fgap + (i % 16) * 32 + j;
                } else if (es == 2) {
                    so = (j * 16 + i) * 2;
                    dof = (i * 16 + j) * 2;
                } else {
                    so = ((i / 8) * 128 + j * 8 + i % 8) * 4;
                    dof = (j / 8) * fgap + (i * 8 + j % 8) * 4;
                }
                std::memcpy(D + dof, S + so, es);
            }
    }
    std::memcpy(d, tmp.data(), d_ext);
}

// InitConstValue / Fill: repeat x blockNum blocks (32 B in L1, 512 B in L0A/L0B) set to the value, dstGap blocks
// skipped after each repeat. MTE2 fills L1, MTE1 fills L0A/L0B.
void init_const(const Ref& dst, uint64_t repeat, uint64_t block_num, uint64_t dst_gap, uint64_t value_bits,
                Site site) {
    need_core(Core::AIC, site);
    if (dst.mem != Mem::L1 && dst.mem != Mem::L0A && dst.mem != Mem::L0B) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "InitConstValue initialises L1, L0A or L0B only (got %s)",
              mem_name(dst.mem));
    }
    if (!dt_in(dst.dt, {DT::F16, DT::BF16, DT::I16, DT::U16, DT::F32, DT::I32, DT::U32})) {
        dtype_fault(site, dst.dt, "half, int16_t, uint16_t, bfloat16_t, int32_t, uint32_t, float");
    }
    range(site, "repeatTimes", repeat, 0, 32767);
    range(site, "blockNum", block_num, 0, 32767);
    range(site, "dstGap", dst_gap, 0, 32767);
    const bool l1 = dst.mem == Mem::L1;
    const uint64_t blk = l1 ? 32 : 512;
    RecordEntry& e = rec(Op::INSTR, l1 ? Pipe::MTE2 : Pipe::MTE1, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.dst_addr = dst.addr;
    e.bytes = repeat * block_num * blk;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a0 = static_cast<uint32_t>(block_num);
    e.a1 = static_cast<uint32_t>(blk);
    e.a2 = static_cast<uint32_t>(dst_gap);
    rec_done();
    if (repeat == 0 || block_num == 0) return;  // NOP
    const uint64_t step = (block_num + dst_gap) * blk;
    uint8_t* d = local(dst, 0, (repeat - 1) * step + block_num * blk, true, site, l1 ? 32 : 512);
    const size_t es = dt_size(dst.dt);
    if (timing_only()) return;
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t o = 0; o < block_num * blk; o += es) std::memcpy(d + r * step + o, &value_bits, es);
}

// DataCopy L1 (C1) -> BiasTable (C2) or Fixpipe buffer: blockLen counts 64 B of the destination on A2 (BT);
// half converts to float on the way. srcStride is in 32 B blocks of L1, dstStride in 64 B blocks.
void copy_bias(const Ref& dst, const Ref& src, const CopyParams& p, Site site) {
    need_core(Core::AIC, site);
    if (src.mem != Mem::L1 || (dst.mem != Mem::BT && dst.mem != Mem::FB)) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "no DataCopy path from %s to %s", mem_name(src.mem),
              mem_name(dst.mem));
    }
    const bool bt = dst.mem == Mem::BT;
    if (bt && !((src.dt == dst.dt && (dst.dt == DT::F32 || dst.dt == DT::I32)) ||
                (src.dt == DT::F16 && dst.dt == DT::F32))) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::BT, site,
              "DataCopy L1 -> BiasTable: src half/int32_t/float, dst int32_t/float (half converts to float); got "
              "%s -> %s", dt_name(src.dt), dt_name(dst.dt));
    }
    range(site, "blockCount", p.block_count, 0, 4095);
    range(site, "blockLen", p.block_len, 0, 65535);
    const uint64_t unit = bt ? 64 : 128;  // destination bytes per blockLen unit
    const size_t ed = dt_size(dst.dt), esrc = dt_size(src.dt);
    const uint64_t dlen = p.block_len * unit, slen = dlen / ed * esrc;
    RecordEntry& e = rec_copy(site, dst, src, p.block_count * dlen);
    e.a0 = static_cast<uint32_t>(p.block_count);
    e.a1 = static_cast<uint32_t>(dlen);
    e.a2 = static_cast<uint32_t>(p.src_stride * 32);
    e.repeats = static_cast<uint32_t>(p.block_count);
    rec_done();
    if (p.block_count == 0 || p.block_len == 0) return;
    const uint64_t s_step = slen + p.src_stride * 32, d_step = dlen + p.dst_stride * unit;
    uint8_t* s = local(src, 0, (p.block_count - 1) * s_step + slen, false, site, 32);
    uint8_t* d = local(dst, 0, (p.block_count - 1) * d_step + dlen, true, site);
    if (timing_only()) return;
    for (uint64_t b = 0; b < p.block_count; ++b)
        for (uint64_t i = 0; i < dlen / ed; ++i) store(dst.dt, d + b * d_step + i * ed, load(src.dt, s + b * s_step + i * esrc));
}

// LoadData with LoadData3DParamsV2 (load3dv2, PIPE_MTE1): img2col of an NC1HWC0 feature map in L1 (N = 1,
// C0 = 32 bytes of elements) into L0A (Zz) or L0B, as the public LoadData(卷积数据搬运) page and its pseudo-code
// describe. The img2col matrix A has M = Ho x Wo rows (output positions) and K = C1 x Kh x Kw x C0 columns
// (column k: channel block k / (Kh Kw C0), filter point (k / C0) % (Kh Kw), channel k % C0); the instruction
// moves A[mStart, mStart + mExt) x [kStart, kStart + kExt) in whole fractals (16 rows x C0). Positions outside the
// (padded) feature map read padValue. Non-transposed L0A is Zz; with enTranspose (b16/b32 to L0A) and always to
// L0B the block is stored transposed (b16: fractal (kb, mb) holds A^T; b32: 16 x 8 fractals of A^T). int4b_t
// (to L0A, not transposed) is the b8 img2col of its bytes.
void load3d(const Ref& dst, const Ref& src, const Load3D& p_in, Site site) {
    need_core(Core::AIC, site);
    if (src.mem != Mem::L1 || (dst.mem != Mem::L0A && dst.mem != Mem::L0B)) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site,
              "LoadData with LoadData3DParamsV2 moves L1 (A1/B1) to L0A or L0B only (%s -> %s)", mem_name(src.mem),
              mem_name(dst.mem));
    }
    const DT d = dst.dt;
    const size_t es = dt_size(d);
    if (src.dt != d) dtype_fault(site, src.dt, "src and dst of one type");
    if (dst.mem == Mem::L0A && !dt_in(d, {DT::I4, DT::I8, DT::U8, DT::F16, DT::BF16, DT::I32, DT::U32, DT::F32}))
        dtype_fault(site, d, "int4b_t / int8_t / uint8_t / half / bfloat16_t / int32_t / uint32_t / float (to L0A)");
    if (dst.mem == Mem::L0B && !dt_in(d, {DT::F16, DT::BF16, DT::I32, DT::U32, DT::F32}))
        dtype_fault(site, d, "half / bfloat16_t / int32_t / uint32_t / float (to L0B; no b8/b4 on this path)");
    const bool to_b = dst.mem == Mem::L0B;
    const bool trans = to_b || p_in.transpose;
    if (dst.mem == Mem::L0A && p_in.transpose && es == 1)
        dtype_fault(site, d, "b16 / b32 types with enTranspose (no transposed b8 / b4 load3dv2 to L0A on this SoC)");
    // int4b_t moves as bytes: C0 is 64 elements = 32 bytes, so the K-axis fields (counted in elements) halve and
    // the rest is the b8 img2col; a padding byte holds padValue in both nibbles.
    Load3D p = p_in;
    if (d == DT::I4) {
        if (p.channel_size % 64 != 0) {
            fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
                  "load3dv2 of int4b_t with channelSize %llu (not a multiple of C0 = 64) is not modelled by the twin",
                  static_cast<unsigned long long>(p.channel_size));
        }
        if (p.k_start % 64 != 0) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "kStartPt %llu should be a multiple of 64 for int4b_t",
                  static_cast<unsigned long long>(p.k_start));
        }
        p.channel_size /= 2;
        p.k_start /= 2;
        p.k_ext = (p.k_ext + 1) / 2;
        p.pad_bits = (p.pad_bits & 0xF) * 0x11;
    }
    if (p.fmatrix_ctrl) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "fMatrixCtrl must be false (the only supported setting)");
    }
    if (p.small_k) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "enSmallK is no longer supported by this SoC");
    }
    range(site, "l1H", p.l1_h, 0, 32767);
    range(site, "l1W", p.l1_w, 0, 32767);
    range(site, "strideW", p.stride_w, 0, 63);
    range(site, "strideH", p.stride_h, 0, 63);
    range(site, "mStartPt", p.m_start, 0, 32767);
    const uint64_t c0 = 32 / es;
    const uint64_t fh = p.filter_h + (p.filter_size_h ? 256 : 0), fw = p.filter_w + (p.filter_size_w ? 256 : 0);
    const uint64_t m_frac = (p.m_ext + 15) / 16, kb_n = (p.k_ext + c0 - 1) / c0;
    // b32 transposed blocks pad K to 16 (two 8-column fractals); the padding is skipped, not written.
    const bool t32 = es == 4 && (to_b || p.transpose);
    const uint64_t kx32 = kb_n * 8, kp32 = (kx32 + 15) / 16 * 16;
    const uint64_t bytes = !t32 ? m_frac * kb_n * 512
                           : to_b ? ((2 * m_frac - 1) * kp32 + kx32) * 32
                                  : (((((kx32 - 1) / 16) * m_frac * 2 + 2 * m_frac - 1) * 16 + (kx32 - 1) % 16) * 8 + 8) * 4;
    RecordEntry& e = rec_copy(site, dst, src, m_frac * kb_n * 512);
    e.flags |= trans ? RF_TRANSPOSE : 0;
    e.repeats = static_cast<uint32_t>(m_frac * kb_n);
    e.a0 = static_cast<uint32_t>(p.m_ext);
    e.a1 = static_cast<uint32_t>(p_in.k_ext);
    e.a2 = static_cast<uint32_t>(p_in.channel_size);
    rec_done();
    // Documented NOPs: any of l1H, l1W, channelSize, kExtension, mExtension 0, or a zero filter dimension.
    if (p.l1_h == 0 || p.l1_w == 0 || p.channel_size == 0 || p.k_ext == 0 || p.m_ext == 0 || fh == 0 || fw == 0) return;
    if (p.channel_size % c0 != 0) {
        fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
              "load3dv2 with channelSize %llu (not a multiple of C0 = %llu for %s) is not modelled by the twin",
              static_cast<unsigned long long>(p.channel_size), static_cast<unsigned long long>(c0), dt_name(d));
    }
    if (p.k_start % c0 != 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "kStartPt %llu should be a multiple of %llu for %s",
              static_cast<unsigned long long>(p.k_start), static_cast<unsigned long long>(c0), dt_name(d));
    }
    if (p.stride_w == 0 || p.stride_h == 0 || p.dil_w == 0 || p.dil_h == 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "strideW/strideH/dilationFilterW/dilationFilterH must be >= 1");
    }
    const int64_t H = static_cast<int64_t>(p.l1_h), W = static_cast<int64_t>(p.l1_w);
    const int64_t pl = p.pad[0], pr = p.pad[1], pt = p.pad[2], pb = p.pad[3];
    const int64_t kh_d = static_cast<int64_t>((fh - 1) * p.dil_h + 1), kw_d = static_cast<int64_t>((fw - 1) * p.dil_w + 1);
    const int64_t ho = (H + pt + pb - kh_d) / static_cast<int64_t>(p.stride_h) + 1;
    const int64_t wo = (W + pl + pr - kw_d) / static_cast<int64_t>(p.stride_w) + 1;
    if (ho <= 0 || wo <= 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "the filter (%llu x %llu, dilated %lld x %lld) does not fit the padded feature map (%lld x %lld)",
              static_cast<unsigned long long>(fh), static_cast<unsigned long long>(fw), static_cast<long long>(kh_d),
              static_cast<long long>(kw_d), static_cast<long long>(H + pt + pb), static_cast<long long>(W + pl + pr));
    }
    const uint64_t c1 = p.channel_size / c0, kpts = fh * fw;
    if (p.k_start + kb_n * c0 > c1 * kpts * c0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "kStartPt + kExtension = %llu exceeds the img2col width channelSize x filterH x filterW = %llu",
              static_cast<unsigned long long>(p.k_start + p.k_ext), static_cast<unsigned long long>(c1 * kpts * c0));
    }
    const uint8_t* fm = local(src, 0, c1 * static_cast<uint64_t>(H * W) * c0 * es, false, site, 32);
    uint8_t* out = local(dst, 0, bytes, true, site, 512);
    if (timing_only()) return;
    std::vector<uint8_t> o(out, out + bytes);
    uint8_t padv[8] = {};
    std::memcpy(padv, &p.pad_bits, es);
    // Element A[m][k] (m, k relative to the moved block) of the img2col matrix.
    auto elem = [&](uint64_t m, uint64_t k) -> const uint8_t* {
        const uint64_t gm = p.m_start + m, gk = p.k_start + k;
        if (gm >= static_cast<uint64_t>(ho * wo)) return padv;  // past the last output position
        const uint64_t kb = gk / c0, ci = gk % c0, blk = kb / kpts, kp = kb % kpts;
        const int64_t oh = static_cast<int64_t>(gm) / wo, ow = static_cast<int64_t>(gm) % wo;
        const int64_t h = oh * static_cast<int64_t>(p.stride_h) + static_cast<int64_t>(kp / fw * p.dil_h) - pt;
        const int64_t w = ow * static_cast<int64_t>(p.stride_w) + static_cast<int64_t>(kp % fw * p.dil_w) - pl;
        if (h < 0 || h >= H || w < 0 || w >= W) return padv;
        return fm + (((blk * static_cast<uint64_t>(H) + static_cast<uint64_t>(h)) * static_cast<uint64_t>(W) +
                      static_cast<uint64_t>(w)) * c0 + ci) * es;
    };
    const uint64_t mb_n = m_frac;
    if (!trans) {  // Zz: fractal (mb, kb) at mb * KB + kb, 16 rows (m) x C0 columns (k)
        for (uint64_t mb = 0; mb < mb_n; ++mb)
            for (uint64_t kb = 0; kb < kb_n; ++kb)
                for (uint64_t r = 0; r < 16; ++r)
                    for (uint64_t c = 0; c < c0; ++c)
                        std::memcpy(o.data() + (((mb * kb_n + kb) * 16 + r) * c0 + c) * es, elem(mb * 16 + r, kb * c0 + c),
                                    es);
    } else if (es == 2) {  // b16: L0A fractal (kb, mb) at kb * MB + mb, L0B (mb, kb) at mb * KB + kb; inside A^T
        for (uint64_t mb = 0; mb < mb_n; ++mb)
            for (uint64_t kb = 0; kb < kb_n; ++kb) {
                const uint64_t f = to_b ? mb * kb_n + kb : kb * mb_n + mb;
                for (uint64_t c = 0; c < 16; ++c)
                    for (uint64_t r = 0; r < 16; ++r)
                        std::memcpy(o.data() + ((f * 16 + c) * 16 + r) * 2, elem(mb * 16 + r, kb * 16 + c), 2);
            }
    } else {  // b32: blocks of 8 rows of A (q = m / 8) stored as k x 8 (A^T); k padded to 16, the pad left as is
        const uint64_t kx = kb_n * 8, kp16 = (kx + 15) / 16 * 16;
        for (uint64_t q = 0; q < mb_n * 2; ++q)
            for (uint64_t k = 0; k < kx; ++k)
                for (uint64_t mc = 0; mc < 8; ++mc) {
                    uint64_t off = to_b ? (q * kp16 + k) * 8 + mc  // L0B: q major, then k
                                        : (((k / 16) * mb_n * 2 + q) * 16 + k % 16) * 8 + mc;  // L0A: k/16 major
                    std::memcpy(o.data() + off * 4, elem(q * 8 + mc, k), 4);
                }
    }
    std::memcpy(out, o.data(), bytes);
}

void load2d(const Ref& dst, const Ref& src, const Load2D& p_in, Site site) {
    need_core(Core::AIC, site);
    if (!(dst.mem == Mem::L0A || dst.mem == Mem::L0B) || !(src.mem == Mem::L1 || src.mem == Mem::GM)) {
        fault(Kind::INVALID_PARAMETER, dst.mem, site, "LoadData moves L1 (or GM) to L0A/L0B only (%s -> %s)",
              mem_name(src.mem), mem_name(dst.mem));
    }
    Load2D p = p_in;
    if (dst.dt == DT::I4 && src.mem != Mem::L1) {
        dtype_fault(site, dst.dt, "int4b_t from L1 only (GM -> L0A/L0B does not support int4b_t)");
    }
    if (dst.dt == DT::I4 && p.transpose) {  // the A2 int4 load (load_cbuf_to_c*_s4) has no transpose
        warn(site, "ifTranspose is ignored for int4b_t on this architecture (the fractals are copied as they are; "
                   "use LoadDataWithTranspose to L0B)");
        p.transpose = false;
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
    if (timing_only()) return;
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
