// Data layout transforms on the vector unit: Transpose (16 x 16 of 2-byte elements), TransDataTo5HD (the scatter
// transpose of 16 UB blocks per repeat, the instruction behind the CCE scatter_vnchwconv_b8/b16/b32) and GatherMask
// (vreducev2: keep the elements a bit pattern selects, packed). Semantics from the public Ascend C documentation
// (Transpose.md, TransDataTo5HD.md, GatherMask.md; Atlas A2).
#include "internal.h"

namespace hawk {

namespace {
RecordEntry& rec_layout(Site site, DT dt, Mem dst, uint64_t dst_addr, Mem src, uint64_t src_addr, uint64_t elems,
                        uint64_t repeats) {
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dt);
    e.src_mem = static_cast<uint8_t>(src);
    e.dst_mem = static_cast<uint8_t>(dst);
    e.src_addr = src_addr;
    e.dst_addr = dst_addr;
    e.bytes = elems * dt_size(dt);
    e.repeats = static_cast<uint32_t>(repeats);
    e.a0 = static_cast<uint32_t>(elems);
    return e;
}
void need_ub(const Ref& t, const char* what, Site site) {
    if (t.mem != Mem::UB) {
        fault(Kind::INVALID_PARAMETER, t.mem, site, "%s must be a UB tensor (VECIN/VECCALC/VECOUT); got %s", what,
              mem_name(t.mem));
    }
}
// One 32-byte block at a UB byte address (an address register or list entry, not a tensor: only the UB bound and
// the 32-byte alignment apply).
uint8_t* ub_block(uint64_t addr, bool write, Site site) {
    Ref r;
    r.mem = Mem::UB;
    r.dt = DT::U8;
    r.addr = addr;
    r.bytes = ~0ull;
    return local(r, 0, 32, write, site);
}
}  // namespace

// ============================================================================================ Transpose
void transpose16(const Ref& dst, const Ref& src, Site site) {
    need_core(Core::AIV, site);
    need_ub(dst, "dst", site);
    need_ub(src, "src", site);
    if (!dt_in(dst.dt, {DT::I16, DT::U16, DT::F16})) dtype_fault(site, dst.dt, "int16_t / uint16_t / half");
    if (dt_size(src.dt) != 2) dtype_fault(site, src.dt, "src of the same type as dst");
    RecordEntry& e = rec_layout(site, dst.dt, dst.mem, dst.addr, src.mem, src.addr, 256, 2);
    (void)e;
    rec_done();
    const uint8_t* s = local(src, 0, 512, false, site);
    uint8_t* d = local(dst, 0, 512, true, site);
    uint8_t tmp[512];
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) std::memcpy(tmp + (i * 16 + j) * 2, s + (j * 16 + i) * 2, 2);
    std::memcpy(d, tmp, 512);
}

// ======================================================================================= TransDataTo5HD
// Per repeat, 16 source blocks and 16 destination blocks (32 B each). b16: destination block j holds element j of
// every source block; b32: element j of source blocks 0-7 fills destination block 2j, of blocks 8-15 block 2j+1;
// b8: element j (+16 with srcHighHalf) of every source block fills the low (or, with dstHighHalf, high) half of
// destination block j. Repeat r adds r x the repeat strides (in blocks) to every address; with repeatTimes 1 the
// addresses already start one stride in (TransDataTo5HD.md, repeatTimes).
void trans5hd(const uint64_t dst[16], const uint64_t src[16], DT dt, uint64_t repeat, uint64_t dst_rep,
              uint64_t src_rep, bool dst_high, bool src_high, Site site) {
    need_core(Core::AIV, site);
    if (!dt_in(dt, {DT::I8, DT::U8, DT::I16, DT::U16, DT::F16, DT::I32, DT::U32, DT::F32}))
        dtype_fault(site, dt, "int8_t / uint8_t / int16_t / uint16_t / half / int32_t / uint32_t / float");
    range(site, "repeatTimes", repeat, 0, R->cfg.max_repeat);
    range(site, "dstRepStride", dst_rep, 0, 65535);
    range(site, "srcRepStride", src_rep, 0, 65535);
    const size_t es = dt_size(dt);
    rec_layout(site, dt, Mem::UB, dst[0], Mem::UB, src[0], repeat * 512 / es, repeat);
    rec_done();
    const uint64_t blk = 32;
    for (uint64_t r = 0; r < repeat; ++r) {
        const uint64_t k = repeat == 1 ? 1 : r;
        uint8_t in[16][32];
        for (int i = 0; i < 16; ++i) std::memcpy(in[i], ub_block(src[i] + k * src_rep * blk, false, site), 32);
        uint8_t* out[16];
        for (int j = 0; j < 16; ++j) out[j] = ub_block(dst[j] + k * dst_rep * blk, true, site);
        if (es == 2) {
            for (int j = 0; j < 16; ++j)
                for (int i = 0; i < 16; ++i) std::memcpy(out[j] + 2 * i, in[i] + 2 * j, 2);
        } else if (es == 4) {
            for (int j = 0; j < 8; ++j)
                for (int h = 0; h < 2; ++h)
                    for (int i = 0; i < 8; ++i) std::memcpy(out[2 * j + h] + 4 * i, in[8 * h + i] + 4 * j, 4);
        } else {
            const int so = src_high ? 16 : 0, dof = dst_high ? 16 : 0;
            for (int j = 0; j < 16; ++j)
                for (int i = 0; i < 16; ++i) out[j][dof + i] = in[i][so + j];
        }
    }
}

// ============================================================================================ GatherMask
// Repeat r reads src0 with the block / repeat strides (normal mode: one 256-byte repeat; counter mode, A2: `mask`
// elements per repeat) and keeps element i when bit i of the pattern is set: a built-in pattern (1: even indices,
// 2: odd, 3-6: index 0-3 of every four, 7: all) or the bits of src1, read from src1 + r x src1RepeatStride blocks.
// The kept elements are written one after another from dst; their number is rsvdCnt (GatherMask.md). The mask
// register is the caller's: the Ascend C API sets it afterwards as its implementation does.
uint64_t gather_mask(const Ref& dst, const Ref& src0, const Ref& src1, int pattern, bool reduce_mode, uint64_t mask,
                     uint64_t repeat, uint64_t src0_blk, uint64_t src0_rep, uint64_t src1_rep, Site site) {
    need_core(Core::AIV, site);
    need_ub(dst, "dst", site);
    need_ub(src0, "src0", site);
    const DT d = dst.dt;
    if (!dt_in(d, {DT::I16, DT::U16, DT::F16, DT::BF16, DT::I32, DT::U32, DT::F32}))
        dtype_fault(site, d, "int16_t / uint16_t / half / bfloat16_t / int32_t / uint32_t / float");
    if (dt_size(src0.dt) != dt_size(d)) dtype_fault(site, src0.dt, "src0 of the same type as dst");
    const size_t es = dt_size(d);
    const bool user = src1.mem != Mem::NONE;  // a src1Pattern tensor (vreducev2 patternMode 0)
    if (user) {
        need_ub(src1, "src1Pattern", site);
        const DT want = es == 2 ? DT::U16 : DT::U32;
        if (src1.dt != want)
            dtype_fault(site, src1.dt, es == 2 ? "a uint16_t src1Pattern with 2-byte src0 / dst"
                                               : "a uint32_t src1Pattern with 4-byte src0 / dst");
    } else {
        range(site, "src1Pattern", static_cast<uint64_t>(pattern), 1, 7);
    }
    range(site, "repeatTimes", repeat, 0, R->cfg.max_repeat);
    range(site, "src0BlockStride", src0_blk, 0, 255);
    range(site, "src0RepeatStride", src0_rep, 0, 65535);
    range(site, "src1RepeatStride", src1_rep, 0, 255);
    if (reduce_mode) range(site, "mask (reduceMode = true)", mask, 1, 0xFFFFFFFFull);
    const uint64_t epr = R->cfg.repeat_bytes / es;
    const uint64_t per = reduce_mode ? mask : epr;  // elements of one repeat
    RecordEntry& e = rec_layout(site, d, dst.mem, dst.addr, src0.mem, src0.addr, repeat * per, repeat);
    e.a1 = static_cast<uint32_t>(user ? 0 : pattern);
    rec_done();
    // With a src1Pattern tensor the kept count (rsvdCnt, and dst's extent) depends on the data.
    if (user) note_data_read("GatherMask with a src1Pattern tensor (rsvdCnt counts its bits)", site);
    uint64_t kept = 0;
    if (repeat > 0 && per > 0) {
        const uint8_t* s = local(src0, 0, elem_off(per - 1, es, src0_blk, src0_rep, repeat - 1) + es, false, site);
        const uint8_t* p = nullptr;
        if (user) p = local(src1, 0, (repeat - 1) * src1_rep * 32 + (per + 7) / 8, false, site);
        std::vector<uint8_t> out;
        out.reserve(repeat * per * es);
        for (uint64_t r = 0; r < repeat; ++r) {
            for (uint64_t i = 0; i < per; ++i) {
                bool take;
                switch (user ? 0 : pattern) {
                    case 0: take = (p[r * src1_rep * 32 + i / 8] >> (i % 8)) & 1u; break;
                    case 1: take = i % 2 == 0; break;
                    case 2: take = i % 2 == 1; break;
                    case 7: take = true; break;
                    default: take = i % 4 == static_cast<uint64_t>(pattern - 3); break;
                }
                if (!take) continue;
                const uint8_t* x = s + elem_off(i, es, src0_blk, src0_rep, r);
                out.insert(out.end(), x, x + es);
            }
        }
        kept = out.size() / es;
        if (kept) std::memcpy(local(dst, 0, out.size(), true, site), out.data(), out.size());
    }
    R->rsvd_cnt = static_cast<int64_t>(kept);
    return kept;
}

}  // namespace hawk
