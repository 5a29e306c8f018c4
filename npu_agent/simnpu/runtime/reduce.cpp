// Reductions: ReduceSum/Max/Min, WholeReduce*, BlockReduce*, Brcb.
#include "internal.h"

namespace hawk {

// ======================================================================================= reductions
namespace {
void reduce_dtype(Site site, DT d) {
    if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "src and dst both: half / float");
}
void write_index(DT d, uint8_t* p, uint64_t idx) {
    if (dt_size(d) == 2) {
        uint16_t v = static_cast<uint16_t>(idx);
        std::memcpy(p, &v, 2);
    } else {
        uint32_t v = static_cast<uint32_t>(idx);
        std::memcpy(p, &v, 4);
    }
}
// Sum, max or min over `vals` in the element type (sums accumulate in float, the result is rounded once).
}  // namespace

std::pair<double, uint64_t> fold(VOp op, DT d, const std::vector<double>& vals, const std::vector<uint64_t>& idx) {
    double acc = op == VOp::ADD ? 0.0 : vals[0];
    uint64_t at = idx.empty() ? 0 : idx[0];
    for (size_t i = 0; i < vals.size(); ++i) {
        double v = vals[i];
        if (op == VOp::ADD) acc = static_cast<float>(acc + v);
        else if (op == VOp::MAX ? v > acc : v < acc) {
            acc = v;
            at = idx[i];
        }
    }
    return {round_to(d, acc), at};
}

void reduce(VOp op, const Ref& dst, const Ref& src, const Ref& work, uint64_t count, bool cal_index, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    size_t es = dt_size(dst.dt);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.flags = RF_COUNT_FORM;
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = count * es;
    e.repeats = static_cast<uint32_t>((count * es + R->cfg.repeat_bytes - 1) / R->cfg.repeat_bytes);
    e.a0 = static_cast<uint32_t>(count);
    e.a1 = static_cast<uint32_t>(op);
    rec_done();
    if (static_cast<int64_t>(count) <= 0) return;
    uint8_t* s = local(src, 0, count * es, false, site);
    if (work.mem != Mem::NONE) local(work, 0, es, true, site);
    uint8_t* d = local(dst, 0, (cal_index ? 2 : 1) * es, true, site);
    std::vector<double> vals(count);
    std::vector<uint64_t> idx(count);
    for (uint64_t i = 0; i < count; ++i) {
        vals[i] = load(dst.dt, s + i * es);
        idx[i] = i;
    }
    auto [v, at] = fold(op, dst.dt, vals, idx);
    store(dst.dt, d, v);
    if (cal_index) write_index(dst.dt, d + es, at);
}

void reduce_mask(VOp op, const Ref& dst, const Ref& src, const Ref& work, const uint64_t mask[2], bool bit_mask,
                 uint64_t repeat, uint64_t src_rep, bool cal_index, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "srcRepStride", src_rep, 0, 255);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    std::vector<uint64_t> active;
    if (bit_mask) {
        for (uint64_t i = 0; i < epr; ++i) if (mask_bit(mask, i)) active.push_back(i);
    } else {
        range(site, "mask", mask[0], 1, epr);
        for (uint64_t i = 0; i < mask[0]; ++i) active.push_back(i);
    }
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * active.size() * es;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a0 = static_cast<uint32_t>(repeat * active.size());
    e.a1 = static_cast<uint32_t>(op);
    rec_done();
    if (repeat == 0 || active.empty()) return;
    uint64_t ext = 0;
    for (uint64_t i : active) ext = std::max(ext, elem_off(i, es, 1, src_rep, repeat - 1) + es);
    uint8_t* s = local(src, 0, ext, false, site);
    if (work.mem != Mem::NONE) local(work, 0, es, true, site);
    uint8_t* d = local(dst, 0, (cal_index ? 2 : 1) * es, true, site);
    std::vector<double> vals;
    std::vector<uint64_t> idx;
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t i : active) {
            vals.push_back(load(dst.dt, s + elem_off(i, es, 1, src_rep, r)));
            idx.push_back(r * epr + i);
        }
    auto [v, at] = fold(op, dst.dt, vals, idx);
    store(dst.dt, d, v);
    if (cal_index) write_index(dst.dt, d + es, at);
}

void whole_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, int order, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "srcBlkStride", src_blk, 0, 255);
    range(site, "srcRepStride", src_rep, 0, 255);
    range(site, "dstRepStride", dst_rep, 0, 255);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    std::vector<uint64_t> active;
    if (bit_mask) {
        for (uint64_t i = 0; i < epr; ++i) if (mask_bit(mask, i)) active.push_back(i);
    } else {
        range(site, "mask", mask[0], 1, epr);
        for (uint64_t i = 0; i < mask[0]; ++i) active.push_back(i);
    }
    // Per repeat: Sum writes one value; Max/Min write (value, index), (index, value), value or index.
    const bool sum = op == VOp::ADD;
    const uint64_t per = sum ? 1 : (order == 2 || order == 3 ? 1 : 2);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * active.size() * es;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a0 = static_cast<uint32_t>(repeat * active.size());
    e.a1 = static_cast<uint32_t>(op);
    e.a2 = static_cast<uint32_t>(order);
    rec_done();
    if (repeat == 0 || active.empty()) return;
    uint64_t ext = 0;
    for (uint64_t i : active) ext = std::max(ext, elem_off(i, es, src_blk, src_rep, repeat - 1) + es);
    uint8_t* s = local(src, 0, ext, false, site);
    // dstRepStride counts elements for Sum and (value, index) pairs for Max/Min.
    uint64_t dst_step = dst_rep * per * es;
    uint8_t* d = local(dst, 0, (repeat - 1) * dst_step + per * es, true, site);
    for (uint64_t r = 0; r < repeat; ++r) {
        std::vector<double> vals;
        std::vector<uint64_t> idx;
        for (uint64_t i : active) {
            vals.push_back(load(dst.dt, s + elem_off(i, es, src_blk, src_rep, r)));
            idx.push_back(i);
        }
        auto [v, at] = fold(op, dst.dt, vals, idx);
        uint8_t* o = d + r * dst_step;
        if (sum || order == 2) {
            store(dst.dt, o, v);
        } else if (order == 3) {
            write_index(dst.dt, o, at);
        } else if (order == 0) {
            store(dst.dt, o, v);
            write_index(dst.dt, o + es, at);
        } else {
            write_index(dst.dt, o, at);
            store(dst.dt, o + es, v);
        }
    }
}

// ------------------------------------------------------------ BlockReduce*, PairReduceSum, Brcb (vecapi)
namespace {
// The elements one repeat of a BlockReduce/PairReduce uses: the mask argument (isSetMask=true; it is also
// written to the mask register, as AscendCUtils::SetMask does), or the register: a bit mask in normal mode,
// an element count in counter mode (the repeat count then follows from it).
struct RepeatMask {
    bool counter = false;
    uint64_t count = 0;
    uint64_t bits[2] = {0, 0};
    bool on(uint64_t r, uint64_t i, uint64_t epr) const {
        return counter ? r * epr + i < count : mask_bit(bits, i);
    }
};
RepeatMask repeat_mask(const uint64_t mask[2], bool bit_mask, bool use_set_mask, uint64_t epr, uint64_t* repeat,
                       Site site) {
    RepeatMask m;
    if (!use_set_mask) {
        if (bit_mask) {
            if (epr <= 64 && mask[1] != 0)
                fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "mask[1] is 0x%llx, should be 0 for %llu elements "
                      "per repeat", static_cast<unsigned long long>(mask[1]), static_cast<unsigned long long>(epr));
            m.bits[0] = mask[0];
            m.bits[1] = mask[1];
        } else {
            range(site, "mask", mask[0], 0, epr);
            const uint64_t len = mask[0];
            if (len == epr || len >= 128) {
                m.bits[0] = m.bits[1] = ~0ull;
            } else if (len >= 64) {
                m.bits[0] = ~0ull;
                m.bits[1] = len > 64 ? (uint64_t(1) << (len - 64)) - 1 : 0;
            } else if (len > 0) {
                m.bits[0] = (uint64_t(1) << len) - 1;
            }
        }
        R->mask[0] = m.bits[0];
        R->mask[1] = m.bits[1];
        if (!R->mask_counter) return m;
        warn(site, "a mask-form call with isSetMask=true in counter mode: the mask register 0x%llx is read as "
                   "the element count", static_cast<unsigned long long>(m.bits[0]));
    }
    if (R->mask_counter) {
        m.counter = true;
        m.count = R->mask[0];
        *repeat = (m.count + epr - 1) / epr;
    } else {
        m.bits[0] = R->mask[0];
        m.bits[1] = R->mask[1];
    }
    return m;
}
RecordEntry& rec_reduce(Site site, const Ref& dst, const Ref& src, uint64_t repeat, uint64_t elems, VOp op,
                        bool counter) {
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = elems * dt_size(dst.dt);
    e.repeats = static_cast<uint32_t>(repeat);
    e.a0 = static_cast<uint32_t>(elems);
    e.a1 = static_cast<uint32_t>(op);
    e.flags = counter ? RF_COUNT_FORM : 0;
    return e;
}
// Binary-tree reduction of one 32 B block, each step rounded to the element type (the documented vcgadd order);
// masked-out elements take no part (a lone operand passes up unchanged).
bool tree(VOp op, DT d, std::vector<double> v, std::vector<bool> on, double* out) {
    while (v.size() > 1) {
        std::vector<double> nv;
        std::vector<bool> non;
        for (size_t i = 0; i + 1 < v.size(); i += 2) {
            if (on[i] && on[i + 1]) {
                double a = v[i], b = v[i + 1];
                double r = op == VOp::ADD ? a + b
                           : (std::isnan(a) || std::isnan(b)) ? NAN
                           : op == VOp::MAX ? std::max(a, b) : std::min(a, b);
                nv.push_back(round_to(d, r));
                non.push_back(true);
            } else {
                nv.push_back(on[i] ? v[i] : v[i + 1]);
                non.push_back(on[i] || on[i + 1]);
            }
        }
        v.swap(nv);
        on.swap(non);
    }
    *out = v[0];
    return on[0];
}
}  // namespace

void block_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, bool use_set_mask,
                  uint64_t repeat, uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    if (src.dt != dst.dt) dtype_fault(site, src.dt, "src and dst both: half / float");
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es, epb = 32 / es;
    RepeatMask m = repeat_mask(mask, bit_mask, use_set_mask, epr, &repeat, site);
    if (!m.counter) range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "dstRepStride", dst_rep, 0, 65535);
    range(site, "srcBlkStride", src_blk, 0, 65535);
    range(site, "srcRepStride", src_rep, 0, 65535);
    rec_reduce(site, dst, src, repeat, m.counter ? m.count : repeat * epr, op, m.counter);
    rec_done();
    if (repeat == 0) return;
    // dstRepStride counts one repeat's results (8 elements: 16 B for half, 32 B for float); dst needs that alignment.
    const uint64_t d_step = dst_rep * 8 * es;
    local(dst, 0, 0, true, site, 8 * es);
    local(src, 0, 0, false, site);
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t b = 0; b < 8; ++b) {
            std::vector<double> vals(epb, 0.0);
            std::vector<bool> on(epb, false);
            bool any = false;
            for (uint64_t k = 0; k < epb; ++k) {
                uint64_t i = b * epb + k;
                if (!m.on(r, i, epr)) continue;
                vals[k] = load(dst.dt, local(src, elem_off(i, es, src_blk, src_rep, r), es, false, site));
                on[k] = any = true;
            }
            if (!any) continue;  // A2: a block with no active element leaves its result as it was
            double v;
            tree(op, dst.dt, vals, on, &v);
            store(dst.dt, local(dst, r * d_step + b * es, es, true, site, 8 * es), v);
        }
}

void pair_reduce(const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, bool use_set_mask,
                 uint64_t repeat, uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    if (src.dt != dst.dt) dtype_fault(site, src.dt, "src and dst both: half / float");
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    RepeatMask m = repeat_mask(mask, bit_mask, use_set_mask, epr, &repeat, site);
    if (!m.counter) range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "dstRepStride", dst_rep, 0, 65535);
    range(site, "srcBlkStride", src_blk, 0, 65535);
    range(site, "srcRepStride", src_rep, 0, 65535);
    RecordEntry& e = rec_reduce(site, dst, src, repeat, m.counter ? m.count : repeat * epr, VOp::ADD, m.counter);
    e.a2 = 1;  // pair reduction
    rec_done();
    if (repeat == 0) return;
    const uint64_t d_step = dst_rep * (R->cfg.repeat_bytes / 2);  // one repeat's results: 128 B
    local(dst, 0, 0, true, site);
    local(src, 0, 0, false, site);
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t j = 0; j < epr / 2; ++j) {
            bool on0 = m.on(r, 2 * j, epr), on1 = m.on(r, 2 * j + 1, epr);
            if (!on0 && !on1) continue;  // A2: a pair with no active element is not written
            double a = on0 ? load(dst.dt, local(src, elem_off(2 * j, es, src_blk, src_rep, r), es, false, site)) : 0;
            double b = on1 ? load(dst.dt, local(src, elem_off(2 * j + 1, es, src_blk, src_rep, r), es, false, site))
                           : 0;
            double v = on0 && on1 ? round_to(dst.dt, a + b) : (on0 ? a : b);
            store(dst.dt, local(dst, r * d_step + j * es, es, true, site), v);
        }
}

void brcb(const Ref& dst, const Ref& src, uint64_t repeat, uint64_t dst_blk, uint64_t dst_rep, Site site) {
    need_core(Core::AIV, site);
    if (!dt_in(dst.dt, {DT::I16, DT::U16, DT::F16, DT::BF16, DT::I32, DT::U32, DT::F32}))
        dtype_fault(site, dst.dt, "int16_t / uint16_t / half / bfloat16_t / int32_t / uint32_t / float");
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "dstBlkStride", dst_blk, 0, 65535);
    range(site, "dstRepStride", dst_rep, 0, 65535);
    size_t es = dt_size(dst.dt);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * 8 * 32;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a0 = static_cast<uint32_t>(repeat * 8);
    rec_done();
    if (repeat == 0) return;  // a NOP on A2
    if (dst_blk == 0) {
        warn(site, "dstBlkStride 0 is undefined behaviour on the device (the reference pseudo-code takes it as 1)");
        dst_blk = 1;
    }
    if (src.mem == dst.mem && src.addr == dst.addr)
        warn(site, "src and dst are the same address, which Brcb does not support");
    uint8_t* s = local(src, 0, repeat * 8 * es, false, site);
    uint8_t* d = local(dst, 0, ((repeat - 1) * dst_rep + 7 * dst_blk) * 32 + 32, true, site);
    std::vector<uint8_t> in(s, s + repeat * 8 * es);  // the source is read whole before any block is written
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t b = 0; b < 8; ++b)
            for (uint64_t k = 0; k < 32 / es; ++k)
                std::memcpy(d + ((r * dst_rep) + b * dst_blk) * 32 + k * es, in.data() + (r * 8 + b) * es, es);
}

}  // namespace hawk
