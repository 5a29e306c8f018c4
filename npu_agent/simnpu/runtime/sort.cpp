// Sorting on the vector unit (Atlas A2): Sort32 (vbitsort), MrgSort (vmrgsort4) and its exhausted-suspension
// counts, and the pieces of the high-level Sort (full merge) and Extract. Semantics from the public Ascend C
// documentation (Sort32.md, MrgSort.md, GetMrgSortResult.md, high-level Sort/Extract): a sorted element is an
// 8-byte pair, score in the low bytes (float, or half + 2 reserved bytes), uint32_t index in the high 4 bytes;
// descending by score, equal scores keep their input order (the earlier element, the lower queue first).
#include "internal.h"

namespace hawk {

namespace {
constexpr uint64_t kPair = 8;   // bytes of one (score, index) pair
constexpr uint64_t kSort32 = 32;

struct Pair {
    double score;
    uint8_t raw[8];
};

void ub_operand(const Ref& t, const char* what, Site site) {
    if (t.mem != Mem::UB) {
        fault(Kind::INVALID_PARAMETER, t.mem, site, "%s must be a UB tensor (VECIN/VECCALC/VECOUT); got %s", what,
              mem_name(t.mem));
    }
}
void score_type(const Ref& t, Site site) {
    if (!dt_in(t.dt, {DT::F16, DT::F32})) dtype_fault(site, t.dt, "half / float");
}
void aligned(const Ref& t, uint64_t align, const char* what, Site site) {
    if (t.addr % align != 0) {
        fault(Kind::MISALIGNED_ADDRESS, t.mem, site, "%s at UB 0x%llx is not %llu-byte aligned", what,
              static_cast<unsigned long long>(t.addr), static_cast<unsigned long long>(align));
    }
}
RecordEntry& rec_sort(Site site, const Ref& dst, const Ref& src, uint64_t pairs, uint64_t repeats) {
    RecordEntry& e = rec_operands(Op::INSTR, Pipe::V, site, dst, src);
    e.bytes = pairs * kPair;
    e.repeats = static_cast<uint32_t>(repeats);
    e.a0 = static_cast<uint32_t>(pairs);
    return e;
}
double pair_score(DT d, const uint8_t* p) { return load(d, p); }
// Descending, stable: NaN sorts like the largest score (the comparator must stay a strict weak order).
bool before(double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a > b;
}
}  // namespace

void sort32(const Ref& dst, const Ref& src0, const Ref& src1, int64_t repeat, Site site) {
    need_core(Core::AIV, site);
    ub_operand(dst, "dst", site);
    ub_operand(src0, "src0", site);
    ub_operand(src1, "src1", site);
    score_type(dst, site);
    if (src0.dt != dst.dt) dtype_fault(site, src0.dt, "src0 and dst of one type (half / float)");
    if (src1.dt != DT::U32 && src1.dt != DT::I32) dtype_fault(site, src1.dt, "src1 uint32_t");
    range(site, "repeatTime", static_cast<uint64_t>(repeat), 0, R->cfg.max_repeat);
    const size_t es = dt_size(dst.dt);
    aligned(dst, 32, "dst", site);
    aligned(src0, 32, "src0", site);
    aligned(src1, 32, "src1", site);
    const uint64_t n = static_cast<uint64_t>(repeat) * kSort32;
    rec_sort(site, dst, src0, n, static_cast<uint64_t>(repeat));
    rec_done();
    if (repeat == 0) return;  // a NOP on A2
    const uint8_t* s = local(src0, 0, n * es, false, site);
    const uint8_t* ix = local(src1, 0, n * 4, false, site);
    std::vector<uint8_t> sc(s, s + n * es), id(ix, ix + n * 4);  // inputs may share the UB with dst
    uint8_t* d = local(dst, 0, n * kPair, true, site);
    for (uint64_t r = 0; r < static_cast<uint64_t>(repeat); ++r) {
        uint64_t order[kSort32];
        for (uint64_t i = 0; i < kSort32; ++i) order[i] = i;
        const uint8_t* rs = sc.data() + r * kSort32 * es;
        std::stable_sort(order, order + kSort32, [&](uint64_t a, uint64_t b) {
            return before(load(dst.dt, rs + a * es), load(dst.dt, rs + b * es));
        });
        for (uint64_t i = 0; i < kSort32; ++i) {
            uint8_t* p = d + (r * kSort32 + i) * kPair;
            std::memset(p, 0, kPair);
            std::memcpy(p, rs + order[i] * es, es);
            std::memcpy(p + 4, id.data() + (r * kSort32 + order[i]) * 4, 4);
        }
    }
}

void mrgsort(const Ref& dst, const Ref src[4], const uint16_t len[4], bool exhausted, uint16_t valid, int64_t repeat,
             uint32_t sorted[4], Site site) {
    need_core(Core::AIV, site);
    ub_operand(dst, "dst", site);
    score_type(dst, site);
    if (valid != 3 && valid != 7 && valid != 15) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "validBit is %u, should be 3 (2 queues), 7 (3 queues) or 15 (4 queues)", valid);
    }
    const int nq = valid == 3 ? 2 : valid == 7 ? 3 : 4;
    range(site, "repeatTimes", static_cast<uint64_t>(repeat), 0, R->cfg.max_repeat);
    aligned(dst, 32, "dst", site);
    for (int q = 0; q < nq; ++q) {
        ub_operand(src[q], "a source queue", site);
        if (src[q].dt != dst.dt) dtype_fault(site, src[q].dt, "source queues and dst of one type (half / float)");
        aligned(src[q], 8, "a source queue", site);
        range(site, "elementLengths", len[q], 0, 4095);
    }
    // repeatTimes applies only to 4 equal, contiguous queues merged without suspension (MrgSort.md).
    uint64_t reps = static_cast<uint64_t>(repeat);
    if (reps > 1) {
        bool ok = nq == 4 && !exhausted;
        for (int q = 1; q < 4 && ok; ++q)
            ok = len[q] == len[0] && src[q].addr == src[0].addr + static_cast<uint64_t>(q) * len[0] * kPair;
        if (!ok) {
            warn(site, "MrgSort repeatTimes %llu takes effect only for 4 equal, contiguous queues with validBit 15 and "
                       "ifExhaustedSuspension false; it runs once",
                 static_cast<unsigned long long>(reps));
            reps = 1;
        }
    }
    uint64_t per_rep = 0;
    for (int q = 0; q < nq; ++q) per_rep += len[q];
    rec_sort(site, dst, src[0], per_rep * reps, (per_rep * reps * kPair + 255) / 256);
    rec_done();
    if (exhausted) note_data_read("MrgSort with ifExhaustedSuspension (how much it merges depends on the data)", site);
    if (reps == 0) return;  // a NOP on A2
    const DT d = dst.dt;
    uint16_t taken[4] = {0, 0, 0, 0};
    std::vector<uint8_t> out;
    for (uint64_t r = 0; r < reps; ++r) {
        std::vector<uint8_t> qd[4];
        for (int q = 0; q < nq; ++q) {
            const uint64_t shift = r * per_rep * kPair;
            Ref s = src[q];
            s.addr += shift;
            const uint8_t* p = local(s, 0, len[q] * kPair, false, site);
            qd[q].assign(p, p + len[q] * kPair);
            for (uint64_t i = 1; i < len[q]; ++i) {
                if (before(pair_score(d, p + i * kPair), pair_score(d, p + (i - 1) * kPair))) {
                    warn(site, "source queue %d of MrgSort is not sorted in descending order (pair %llu): the merge "
                               "result is not sorted either", q + 1, static_cast<unsigned long long>(i));
                    break;
                }
            }
        }
        uint64_t pos[4] = {0, 0, 0, 0};
        for (;;) {
            int best = -1;
            double bs = 0;
            for (int q = 0; q < nq; ++q) {
                if (pos[q] >= len[q]) continue;
                double v = pair_score(d, qd[q].data() + pos[q] * kPair);
                if (best < 0 || before(v, bs)) {
                    best = q;
                    bs = v;
                }
            }
            if (best < 0) break;
            out.insert(out.end(), qd[best].data() + pos[best] * kPair, qd[best].data() + (pos[best] + 1) * kPair);
            ++pos[best];
            if (exhausted && pos[best] == len[best]) break;  // a queue ran out: the instruction stops
        }
        for (int q = 0; q < 4; ++q) taken[q] = static_cast<uint16_t>(pos[q]);
    }
    uint8_t* dp = local(dst, 0, out.size(), true, site);
    std::memcpy(dp, out.data(), out.size());
    if (exhausted) {
        for (int q = 0; q < 4; ++q) R->mrgsort_counts[q] = taken[q];
        if (sorted != nullptr)
            for (int q = 0; q < 4; ++q) sorted[q] = taken[q];
    }
}

void mrgsort_result(uint16_t out[4]) {
    for (int q = 0; q < 4; ++q) out[q] = R->mrgsort_counts[q];
}

void sort_full(const Ref& dst, const Ref& tmp, int64_t repeat, Site site) {
    // The library merges the Sort32 runs with MrgSort through tmp; the result is the stable descending order of all.
    ub_operand(tmp, "tmp", site);
    const uint64_t n = static_cast<uint64_t>(repeat) * kSort32;
    rec_sort(site, dst, dst, n, (n * kPair + 255) / 256);
    rec_done();
    if (n <= kSort32) return;
    uint8_t* d = local(dst, 0, n * kPair, true, site);
    std::vector<Pair> v(n);
    for (uint64_t i = 0; i < n; ++i) {
        std::memcpy(v[i].raw, d + i * kPair, kPair);
        v[i].score = pair_score(dst.dt, v[i].raw);
    }
    std::stable_sort(v.begin(), v.end(), [](const Pair& a, const Pair& b) { return before(a.score, b.score); });
    for (uint64_t i = 0; i < n; ++i) std::memcpy(d + i * kPair, v[i].raw, kPair);
}

void sort_extract(const Ref& dst_val, const Ref& dst_idx, const Ref& sorted, int64_t repeat, Site site) {
    need_core(Core::AIV, site);
    ub_operand(dst_val, "dstValue", site);
    ub_operand(dst_idx, "dstIndex", site);
    ub_operand(sorted, "sorted", site);
    score_type(dst_val, site);
    if (sorted.dt != dst_val.dt) dtype_fault(site, sorted.dt, "sorted and dstValue of one type (half / float)");
    range(site, "repeatTime", static_cast<uint64_t>(repeat), 0, R->cfg.max_repeat);
    const uint64_t n = static_cast<uint64_t>(repeat) * kSort32;  // 32 pairs (64 float / 128 half elements) a repeat
    const size_t es = dt_size(dst_val.dt);
    rec_sort(site, dst_val, sorted, n, static_cast<uint64_t>(repeat) * 2);
    rec_done();
    if (n == 0) return;
    const uint8_t* s = local(sorted, 0, n * kPair, false, site);
    std::vector<uint8_t> in(s, s + n * kPair);
    uint8_t* dv = local(dst_val, 0, n * es, true, site);
    for (uint64_t i = 0; i < n; ++i) std::memcpy(dv + i * es, in.data() + i * kPair, es);
    uint8_t* di = local(dst_idx, 0, n * 4, true, site);
    for (uint64_t i = 0; i < n; ++i) std::memcpy(di + i * 4, in.data() + i * kPair + 4, 4);
}

}  // namespace hawk
