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
void set_spr(DT dt, double v, uint64_t at) {
    R->spr_set = true;
    R->spr_value = v;
    R->spr_index = at;
    R->spr_dt = dt;
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

namespace {
// fold over the flat elements 0 .. n-1 of T, without the vectors: acc = float(acc + v) is the float sum.
template <typename T> std::pair<double, uint64_t> fold_flat(VOp op, const uint8_t* s, uint64_t n) {
    const T* x = reinterpret_cast<const T*>(s);
    if (op == VOp::ADD) {
        float acc = 0.0f;
        for (uint64_t i = 0; i < n; ++i) acc += static_cast<float>(x[i]);
        return {acc, 0};
    }
    double acc = static_cast<double>(static_cast<float>(x[0]));
    uint64_t at = 0;
    for (uint64_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(static_cast<float>(x[i]));
        if (op == VOp::MAX ? v > acc : v < acc) {
            acc = v;
            at = i;
        }
    }
    return {acc, at};
}

// ReduceSum's count form runs in counter mode only on 2201 (ReduceSumImpl<T, isSetMask>: set_mask_count, vcadd with
// the accumulate flag); elsewhere isSetMask has no effect (ReduceSum.md 约束说明).
bool reduce_sum_counter_impl() { return R->cfg.npu_arch == 2201; }

// The destination's alignment (ReduceRepeat.md 表3, which ReduceSum/Max/Min refer to): one element for a value, a
// (value, index) pair for Max/Min with index, 4 bytes for an index alone (a uint32_t).
uint64_t reduce_dst_align(VOp op, size_t es, bool pair, bool only_index) {
    if (only_index) return 4;
    return op == VOp::ADD || !pair ? es : 2 * es;
}
}  // namespace

void reduce(VOp op, const Ref& dst, const Ref& src, const Ref& work, uint64_t count, bool cal_index, Site site,
            bool set_mask) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    // isSetMask=false (ReduceSum on 2201): `count` is ignored and the instruction runs with the mask register and
    // mode as SetMaskCount/SetVectorMask left them: counter mode sums the register's count of elements, normal mode
    // the first repeat's masked elements.
    const bool external = op == VOp::ADD && !set_mask && reduce_sum_counter_impl();
    std::vector<uint64_t> elems;
    if (external) {
        MaskUse u = mask_for_count_external(epr, site);
        if (u.counter) {
            for (uint64_t i = 0; i < u.count; ++i) elems.push_back(i);
        } else {
            elems = u.active;
        }
    }
    // The count form reads elements 0 .. n-1 (`elems` lists them only when the mask register chose them).
    uint64_t n = external ? elems.size() : static_cast<int64_t>(count) > 0 ? count : 0;
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    e.flags = RF_COUNT_FORM;
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.src_addr = src.addr;
    e.dst_addr = dst.addr;
    e.bytes = n * es;
    e.repeats = static_cast<uint32_t>((n * es + R->cfg.repeat_bytes - 1) / R->cfg.repeat_bytes);
    e.a0 = static_cast<uint32_t>(n);
    e.a1 = static_cast<uint32_t>(op);
    rec_done();
    if (op == VOp::ADD && !external && reduce_sum_counter_impl()) mask_after_count_form();
    if (n == 0) return;
    uint8_t* s = local(src, 0, ((external ? elems.back() : n - 1) + 1) * es, false, site);
    if (work.mem != Mem::NONE && !external) local(work, 0, es, true, site);
    uint8_t* d = local(dst, 0, (cal_index ? 2 : 1) * es, true, site, reduce_dst_align(op, es, cal_index, false));
    if (timing_only()) {  // no data: the registers are set, their values are not (reading them is data-dependent)
        if (op != VOp::ADD) set_spr(dst.dt, 0.0, 0);
        return;
    }
    double v;
    uint64_t at = 0;
    if (!external && (dst.dt == DT::F32 || dst.dt == DT::F16) && !R->cfg.generic_math) {
        // The elements are 0 .. n-1: fold them in place (float sums are what fold's float-rounded sums are).
        std::tie(v, at) = dst.dt == DT::F32 ? fold_flat<float>(op, s, n) : fold_flat<_Float16>(op, s, n);
        v = round_to(dst.dt, v);
    } else {
        if (!external) {
            elems.resize(n);
            for (uint64_t i = 0; i < n; ++i) elems[i] = i;
        }
        std::vector<double> vals(n);
        for (uint64_t k = 0; k < n; ++k) vals[k] = load(dst.dt, s + elems[k] * es);
        std::tie(v, at) = fold(op, dst.dt, vals, elems);
    }
    store(dst.dt, d, v);
    if (cal_index) write_index(dst.dt, d + es, at);
    if (op != VOp::ADD) set_spr(dst.dt, v, at);
    if (op == VOp::ADD && reduce_sum_counter_impl()) {  // vcadd's accumulator: GetAccVal / GetReduceRepeatSumSpr
        uint8_t bits[8] = {};
        store(dst.dt, bits, v);
        std::memcpy(&R->acc_val, bits, 8);
    }
}

void reduce_mask(VOp op, const Ref& dst, const Ref& src, const Ref& work, const uint64_t mask[2], bool bit_mask,
                 uint64_t repeat, uint64_t src_rep, bool cal_index, Site site) {
    // ReduceSum/Max/Min's mask form has no isSetMask: it always sets its own masks (ReduceSum.md); repeatTime may
    // exceed 255 (up to INT32_MAX) and srcRepStride is in [0, 65535].
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "repeatTime", repeat, 0, 0x7FFFFFFFull);
    range(site, "srcRepStride", src_rep, 0, 65535);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    std::vector<uint64_t> active;
    if (bit_mask) {
        for (uint64_t i = 0; i < epr; ++i) if (mask_bit(mask, i)) active.push_back(i);
    } else {
        range(site, "mask", mask[0], 0, epr);
        for (uint64_t i = 0; i < mask[0]; ++i) active.push_back(i);
    }
    RecordEntry& e = rec_operands(Op::INSTR, Pipe::V, site, dst, src);
    e.src_dtype = e.dtype;
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
    uint8_t* d = local(dst, 0, (cal_index ? 2 : 1) * es, true, site, reduce_dst_align(op, es, cal_index, false));
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
    if (op != VOp::ADD) set_spr(dst.dt, v, at);
}

void whole_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, int order, Site site, bool set_mask) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "srcBlkStride", src_blk, 0, 65535);
    range(site, "srcRepStride", src_rep, 0, 65535);
    range(site, "dstRepStride", dst_rep, 0, 65535);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    MaskUse u = mask_for_repeats(mask, bit_mask, set_mask, repeat, epr, site);
    if (!u.counter) range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    // Per repeat: Sum writes one value; Max/Min write (value, index), (index, value), the value, or the index alone
    // as a uint32_t. dstRepStride counts these units (ReduceRepeat.md 表3).
    const bool sum = op == VOp::ADD;
    const bool only_index = !sum && order == 3;
    const bool pair = !sum && (order == 0 || order == 1);
    const uint64_t unit = only_index ? 4 : (pair ? 2 : 1) * es;
    RecordEntry& e = rec_operands(Op::INSTR, Pipe::V, site, dst, src);
    e.src_dtype = e.dtype;
    e.bytes = u.total() * es;
    e.repeats = static_cast<uint32_t>(u.repeats);
    e.a0 = static_cast<uint32_t>(u.total());
    e.a1 = static_cast<uint32_t>(op);
    e.a2 = static_cast<uint32_t>(order);
    rec_done();
    if (u.repeats == 0 || u.total() == 0) return;
    uint64_t ext = 0;
    for (uint64_t r = u.repeats - (u.repeats > 1 ? 2 : 1); r < u.repeats; ++r)
        for (uint64_t k = 0; k < u.in_repeat(r); ++k)
            ext = std::max(ext, elem_off(u.active[k], es, src_blk, src_rep, r) + es);
    uint8_t* s = local(src, 0, ext, false, site);
    uint64_t dst_step = dst_rep * unit;
    uint8_t* d = local(dst, 0, (u.repeats - 1) * dst_step + unit, true, site,
                       reduce_dst_align(op, es, pair, only_index));
    bool spr_any = false;
    double spr_v = 0;
    uint64_t spr_at = 0;
    for (uint64_t r = 0; r < u.repeats; ++r) {
        std::vector<double> vals;
        std::vector<uint64_t> idx;
        for (uint64_t k = 0; k < u.in_repeat(r); ++k) {
            vals.push_back(load(dst.dt, s + elem_off(u.active[k], es, src_blk, src_rep, r)));
            idx.push_back(u.active[k]);
        }
        if (vals.empty()) continue;
        auto [v, at] = fold(op, dst.dt, vals, idx);
        // The register keeps the extreme over all repeats (the first one on a tie) with its index over the whole
        // operand (repeat * elements per repeat + index in the repeat).
        if (!sum && (!spr_any || (op == VOp::MAX ? v > spr_v : v < spr_v))) {
            spr_any = true;
            spr_v = v;
            spr_at = r * epr + at;
        }
        uint8_t* o = d + r * dst_step;
        if (sum || order == 2) {
            store(dst.dt, o, v);
        } else if (only_index) {
            uint32_t i32 = static_cast<uint32_t>(at);
            std::memcpy(o, &i32, 4);
        } else if (order == 0) {
            store(dst.dt, o, v);
            write_index(dst.dt, o + es, at);
        } else {
            write_index(dst.dt, o, at);
            store(dst.dt, o + es, v);
        }
    }
    if (spr_any) set_spr(dst.dt, spr_v, spr_at);
}

// GetReduceRepeatMaxMinSpr / GetReduceMaxMinCount: the register's value, and its index stored in the element type's
// bits (a uint16_t for half, a uint32_t for float), as documented.
void reduce_spr(DT dt, void* value, void* index, Site site) {
    if (!R->spr_set) {
        warn(site, "%s reads the max/min register before any ReduceMax/ReduceMin/WholeReduceMax/WholeReduceMin "
                   "set it (it reads 0)", api_name(site.api));
    }
    if (R->spr_set && R->spr_dt != dt) {
        warn(site, "%s reads the register as %s, but the last reduction was %s (the documentation requires the "
                   "reduction's type)", api_name(site.api), dt_name(dt), dt_name(R->spr_dt));
    }
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.dtype = static_cast<uint8_t>(dt);
    e.bytes = 2 * dt_size(dt);
    rec_done();
    note_data_read("GetReduceMaxMinSpr (the max/min a reduction left)", site);
    const size_t es = dt_size(dt);
    uint8_t v[8] = {}, i[8] = {};
    store(dt, v, R->spr_set ? R->spr_value : 0.0);
    if (es == 2) {
        const uint16_t x = static_cast<uint16_t>(R->spr_index);
        std::memcpy(i, &x, 2);
    } else {
        const uint32_t x = static_cast<uint32_t>(R->spr_index);
        std::memcpy(i, &x, 4);
    }
    if (value) std::memcpy(value, v, es);
    if (index) std::memcpy(index, i, es);
}

// ------------------------------------------------------------------------------ BlockReduce*, PairReduceSum
namespace {
RecordEntry& rec_reduce(Site site, const Ref& dst, const Ref& src, const MaskUse& u, VOp op) {
    const uint64_t es = dt_size(dst.dt), epr = R->cfg.repeat_bytes / es;
    RecordEntry& e = rec_operands(Op::INSTR, Pipe::V, site, dst, src);
    e.src_dtype = e.dtype;
    e.bytes = u.repeats * epr * es;
    e.repeats = static_cast<uint32_t>(u.repeats);
    e.a0 = static_cast<uint32_t>(u.total());
    e.a1 = static_cast<uint32_t>(op);
    e.flags = u.counter ? RF_COUNT_FORM : 0;
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

void block_reduce(VOp op, const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                  uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site, bool set_mask) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    range(site, "srcBlkStride", src_blk, 0, 65535);
    range(site, "srcRepStride", src_rep, 0, 65535);
    range(site, "dstRepStride", dst_rep, 0, 65535);
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es, epb = 32 / es;
    MaskUse u = mask_for_repeats(mask, bit_mask, set_mask, repeat, epr, site);
    if (!u.counter) range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    // One result per 32-byte block, 8 per repeat; dstRepStride counts 8 results (16 B for half, 32 B for float), and
    // that is also the destination's alignment (ReduceDataBlock.md).
    const uint64_t rep_unit = 8 * es;
    RecordEntry& e = rec_reduce(site, dst, src, u, op);
    rec_done();
    if (u.repeats == 0 || u.total() == 0) return;
    uint8_t* s = local(src, 0, (u.repeats - 1) * src_rep * 32 + 7 * src_blk * 32 + 32, false, site);
    uint8_t* d = local(dst, 0, (u.repeats - 1) * dst_rep * rep_unit + 8 * es, true, site, rep_unit);
    (void)e;
    for (uint64_t r = 0; r < u.repeats; ++r) {
        std::vector<bool> on(epr, false);
        for (uint64_t k = 0; k < u.in_repeat(r); ++k) on[u.active[k]] = true;
        for (uint64_t b = 0; b < 8; ++b) {
            std::vector<double> vals(epb, 0.0);
            std::vector<bool> bon(epb, false);
            bool any = false;
            for (uint64_t k = 0; k < epb; ++k)
                if (on[b * epb + k]) {
                    vals[k] = load(dst.dt, s + elem_off(b * epb + k, es, src_blk, src_rep, r));
                    bon[k] = any = true;
                }
            if (!any) continue;  // A2: a block with no active element leaves its result as it was
            double v;
            tree(op, dst.dt, vals, bon, &v);
            store(dst.dt, d + r * dst_rep * rep_unit + b * es, v);
        }
    }
}

void pair_reduce(const Ref& dst, const Ref& src, const uint64_t mask[2], bool bit_mask, uint64_t repeat,
                 uint64_t dst_rep, uint64_t src_blk, uint64_t src_rep, Site site, bool set_mask) {
    need_core(Core::AIV, site);
    reduce_dtype(site, dst.dt);
    if (src.dt != dst.dt) dtype_fault(site, src.dt, "src and dst both: half / float");
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    MaskUse u = mask_for_repeats(mask, bit_mask, set_mask, repeat, epr, site);
    if (!u.counter) range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    range(site, "dstRepStride", dst_rep, 0, 65535);
    range(site, "srcBlkStride", src_blk, 0, 65535);
    range(site, "srcRepStride", src_rep, 0, 65535);
    RecordEntry& e = rec_reduce(site, dst, src, u, VOp::ADD);
    e.a2 = 1;  // pair reduction
    rec_done();
    if (u.repeats == 0 || u.total() == 0) return;
    const uint64_t d_step = dst_rep * (R->cfg.repeat_bytes / 2);  // one repeat's results: 128 B
    local(dst, 0, 0, true, site);
    local(src, 0, 0, false, site);
    for (uint64_t r = 0; r < u.repeats; ++r) {
        std::vector<bool> on(epr, false);
        for (uint64_t k = 0; k < u.in_repeat(r); ++k) on[u.active[k]] = true;
        for (uint64_t j = 0; j < epr / 2; ++j) {
            bool on0 = on[2 * j], on1 = on[2 * j + 1];
            if (!on0 && !on1) continue;  // A2: a pair with no active element is not written
            double a = on0 ? load(dst.dt, local(src, elem_off(2 * j, es, src_blk, src_rep, r), es, false, site)) : 0;
            double b = on1 ? load(dst.dt, local(src, elem_off(2 * j + 1, es, src_blk, src_rep, r), es, false, site))
                           : 0;
            double v = on0 && on1 ? round_to(dst.dt, a + b) : (on0 ? a : b);
            store(dst.dt, local(dst, r * d_step + j * es, es, true, site), v);
        }
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
    RecordEntry& e = rec_operands(Op::INSTR, Pipe::V, site, dst, src);
    e.src_dtype = e.dtype;
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
