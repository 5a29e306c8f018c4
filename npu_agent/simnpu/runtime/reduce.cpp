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

void block_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es, epb = 32 / es;
    std::vector<bool> on(epr, false);
    if (bit_mask) {
        for (uint64_t i = 0; i < epr; ++i) on[i] = mask_bit(mask, i);
    } else {
        range(site, "mask", mask[0], 1, epr);
        for (uint64_t i = 0; i < mask[0]; ++i) on[i] = true;
    }
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * epr * es;
    e.repeats = static_cast<uint32_t>(repeat);
    e.a1 = static_cast<uint32_t>(op);
    rec_done();
    if (repeat == 0) return;
    uint8_t* s = local(src, 0, (repeat - 1) * src_rep * 32 + 7 * src_blk * 32 + 32, false, site);
    uint8_t* d = local(dst, 0, (repeat - 1) * dst_rep * 32 + 8 * es, true, site);
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t b = 0; b < 8; ++b) {
            std::vector<double> vals;
            std::vector<uint64_t> idx;
            for (uint64_t k = 0; k < epb; ++k)
                if (on[b * epb + k]) {
                    vals.push_back(load(dst.dt, s + elem_off(b * epb + k, es, src_blk, src_rep, r)));
                    idx.push_back(k);
                }
            if (vals.empty()) continue;
            store(dst.dt, d + r * dst_rep * 32 + b * es, fold(op, dst.dt, vals, idx).first);
        }
}

void brcb(const Ref& dst, const Ref& src, uint64_t repeat, uint64_t dst_blk, uint64_t dst_rep, Site site) {
    need_core(Core::AIV, site);
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    size_t es = dt_size(dst.dt);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = repeat * 8 * 32;
    e.repeats = static_cast<uint32_t>(repeat);
    rec_done();
    if (repeat == 0) return;
    uint8_t* s = local(src, 0, repeat * 8 * es, false, site);
    uint8_t* d = local(dst, 0, ((repeat - 1) * dst_rep + 7 * dst_blk) * 32 + 32, true, site);
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t b = 0; b < 8; ++b)
            for (uint64_t k = 0; k < 32 / es; ++k)
                std::memcpy(d + ((r * dst_rep) + b * dst_blk) * 32 + k * es, s + (r * 8 + b) * es, es);
}

}  // namespace hawk
