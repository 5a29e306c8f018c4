// The raw CCE intrinsics layer (include/hawk/cce.h): the registers only intrinsics reach (VA0..VA7 of
// scatter_vnchwconv, ACC_VAL of an accumulating vcadd), and UNSUPPORTED_API for intrinsics the twin does not model.
// Every modelled intrinsic runs on the runtime of the Ascend C API it underlies (vector.cpp, reduce.cpp,
// datamove.cpp, transform.cpp), with that API's checks and record entries.
#include "internal.h"

namespace hawk {

void va_set(int reg, const uint64_t addrs[8], Site site) {
    range(site, "VA register", static_cast<uint64_t>(reg), 0, 7);
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.a0 = static_cast<uint32_t>(reg);
    rec_done();
    std::memcpy(R->va[reg], addrs, sizeof(R->va[reg]));
}

void va_get(int reg, uint64_t out[8]) { std::memcpy(out, R->va[reg & 7], sizeof(R->va[0])); }

// vcadd with the accumulate flag: the sum of every element the mask register selects over all repeats (normal
// mode: the register's bits in each of `repeat` repeats; counter mode: its count of elements) goes to the ACC_VAL
// register, which get_acc_val / GetAccVal read (ReduceSumImpl on 2201 is built on it).
void reduce_acc(const Ref& src, uint64_t repeat, uint64_t src_blk, uint64_t src_rep, Site site) {
    need_core(Core::AIV, site);
    if (!dt_in(src.dt, {DT::F16, DT::F32})) dtype_fault(site, src.dt, "half / float");
    range(site, "srcBlkStride", src_blk, 0, 65535);
    range(site, "srcRepStride", src_rep, 0, 65535);
    const size_t es = dt_size(src.dt);
    const uint64_t epr = R->cfg.repeat_bytes / es;
    const uint64_t none[2] = {0, 0};
    MaskUse u = mask_for_repeats(none, true, false, repeat, epr, site);
    if (!u.counter) range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = e.src_dtype = static_cast<uint8_t>(src.dt);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.src_addr = src.addr;
    e.bytes = u.total() * es;
    e.repeats = static_cast<uint32_t>(u.repeats);
    e.a0 = static_cast<uint32_t>(u.total());
    e.a1 = static_cast<uint32_t>(VOp::ADD);
    rec_done();
    std::vector<double> vals;
    std::vector<uint64_t> idx;
    if (u.repeats > 0 && u.total() > 0) {
        uint64_t ext = 0;
        for (uint64_t r = u.repeats - (u.repeats > 1 ? 2 : 1); r < u.repeats; ++r)
            for (uint64_t k = 0; k < u.in_repeat(r); ++k)
                ext = std::max(ext, elem_off(u.active[k], es, src_blk, src_rep, r) + es);
        const uint8_t* s = local(src, 0, ext, false, site);
        for (uint64_t r = 0; r < u.repeats; ++r)
            for (uint64_t k = 0; k < u.in_repeat(r); ++k) {
                vals.push_back(load(src.dt, s + elem_off(u.active[k], es, src_blk, src_rep, r)));
                idx.push_back(r * epr + u.active[k]);
            }
    }
    double v = vals.empty() ? 0.0 : fold(VOp::ADD, src.dt, vals, idx).first;
    uint8_t bits[8] = {};
    store(src.dt, bits, v);
    std::memcpy(&R->acc_val, bits, 8);
}

int64_t acc_val() {
    note_data_read("GetAccVal / get_acc_val (the sum a reduction left in ACC_VAL)", Site{Api::None, g.last_line});
    return R->acc_val;
}
int64_t rsvd_cnt() { return R->rsvd_cnt; }

void unsupported_intrinsic(const char* name, Site site) {
    fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
          "%s is a CCE intrinsic (a device-compiler builtin) that the twin does not model yet "
          "(docs/kernel-contract.md lists the intrinsics it models)",
          name);
}

}  // namespace hawk
