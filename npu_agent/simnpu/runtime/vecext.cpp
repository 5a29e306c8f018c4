// Vector-side extras: Gather/Gatherb, the CMPMASK register (GetCmpMask/SetCmpMask), atomic GM stores
// (SetAtomicAdd/Max/Min/None), SetPadValue, TPipe event ids, and UNSUPPORTED_API for documented APIs the twin
// does not model. Semantics from the public Ascend C documentation (Atlas A2).
#include "internal.h"

namespace hawk {

// ============================================================================================= Gather
namespace {
RecordEntry& rec_vec(Site site, const Ref& dst, const Ref& src, uint64_t elems, uint64_t repeats, VOp op) {
    RecordEntry& e = rec_operands(Op::INSTR, Pipe::V, site, dst, src);
    e.bytes = elems * dt_size(dst.dt);
    e.repeats = static_cast<uint32_t>(repeats);
    e.a0 = static_cast<uint32_t>(elems);
    e.a1 = static_cast<uint32_t>(op);
    return e;
}
void ub_only(const Ref& t, const char* what, Site site) {
    if (t.mem != Mem::UB) {
        fault(Kind::INVALID_PARAMETER, t.mem, site, "%s must be a UB tensor (VECIN/VECCALC/VECOUT); got %s", what,
              mem_name(t.mem));
    }
}
// The element at byte offset `off` from src, checked against the UB (offsets may point anywhere in the UB).
const uint8_t* src_at(const Ref& src, uint64_t off, size_t es, Site site) {
    if (off % es != 0) {
        warn(site, "offset %llu bytes is not a multiple of the %zu-byte element: the data lands shifted",
             static_cast<unsigned long long>(off), es);
    }
    Ref r = src;
    r.bytes = ~0ull;  // an offset past the tensor is legal; only the UB bound applies
    r.addr = src.addr + off / es * es;
    return local(r, 0, es, false, site, 1);
}
}  // namespace

void gather(const Ref& dst, const Ref& src, const Ref& offset, uint64_t base, const uint64_t mask[2], bool bit_mask,
            bool count_form, uint64_t count, uint64_t repeat, uint64_t dst_rep, Site site) {
    need_core(Core::AIV, site);
    ub_only(dst, "dst", site);
    ub_only(src, "src", site);
    ub_only(offset, "srcOffset", site);
    if (!dt_in(dst.dt, {DT::I16, DT::U16, DT::F16, DT::BF16, DT::I32, DT::U32, DT::F32}))
        dtype_fault(site, dst.dt, "int16_t / uint16_t / half / bfloat16_t / int32_t / uint32_t / float");
    if (src.dt != dst.dt) dtype_fault(site, src.dt, "src and dst of the same type");
    size_t es = dt_size(dst.dt);
    uint64_t epr = R->cfg.repeat_bytes / es;
    std::vector<uint64_t> active;
    uint64_t repeats = repeat, n = 0;
    bool counter = count_form;
    if (!count_form) {
        range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
        if (bit_mask) {
            if (epr <= 64 && mask[1] != 0)
                fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "mask[1] is 0x%llx, should be 0 for %zu-byte elements",
                      static_cast<unsigned long long>(mask[1]), es);
            for (uint64_t i = 0; i < epr; ++i) if (mask_bit(mask, i)) active.push_back(i);
        } else {
            range(site, "mask", mask[0], 0, epr);
            for (uint64_t i = 0; i < mask[0]; ++i) active.push_back(i);
        }
        n = repeats * active.size();
    } else {
        n = count;
        repeats = (count + epr - 1) / epr;
    }
    RecordEntry& e = rec_vec(site, dst, src, n, repeats, VOp::COPY);
    e.flags = counter ? RF_COUNT_FORM : 0;
    if (bit_mask) e.flags |= RF_BIT_MASK;
    rec_done();
    if (n == 0) return;  // count or repeatTime 0: a NOP on A2
    local(dst, 0, 0, true, site);
    local(src, 0, 0, false, site);
    const uint8_t* off = local(offset, 0, (counter ? n : repeats * epr) * 4, false, site);
    auto one = [&](uint64_t k, uint64_t dst_off) {
        uint32_t o;
        std::memcpy(&o, off + k * 4, 4);
        const uint8_t* s = src_at(src, base + o, es, site);
        uint8_t* d = local(dst, dst_off, es, true, site);
        std::memcpy(d, s, es);
    };
    if (counter) {
        for (uint64_t k = 0; k < n; ++k) one(k, k * es);
    } else {
        for (uint64_t r = 0; r < repeats; ++r)
            for (uint64_t i : active) one(r * epr + i, r * dst_rep * 32 + i * es);
    }
}

void gatherb(const Ref& dst, const Ref& src, const Ref& offset, uint64_t repeat, uint64_t dst_blk, uint64_t dst_rep,
             Site site) {
    need_core(Core::AIV, site);
    ub_only(dst, "dst", site);
    ub_only(src, "src", site);
    ub_only(offset, "offset", site);
    if (!dt_in(dst.dt, {DT::U16, DT::U32})) dtype_fault(site, dst.dt, "uint16_t / uint32_t");
    range(site, "repeatTime", repeat, 0, R->cfg.max_repeat);
    if (dst_blk == 0) dst_blk = 1;  // documented: 0 is taken as 1
    RecordEntry& e = rec_vec(site, dst, src, repeat * 8 * 32 / dt_size(dst.dt), repeat, VOp::COPY);
    e.a2 = 1;  // block gather
    rec_done();
    if (repeat == 0) return;
    const uint8_t* off = local(offset, 0, repeat * 8 * 4, false, site);
    local(dst, 0, 0, true, site);
    for (uint64_t r = 0; r < repeat; ++r)
        for (uint64_t b = 0; b < 8; ++b) {
            uint32_t o;
            std::memcpy(&o, off + (r * 8 + b) * 4, 4);
            if ((src.addr + o) % 32 != 0) {
                fault(Kind::MISALIGNED_ADDRESS, Mem::UB, site,
                      "Gatherb block %llu of repeat %llu: src + offset %u = UB 0x%llx is not 32-byte aligned",
                      static_cast<unsigned long long>(b), static_cast<unsigned long long>(r), o,
                      static_cast<unsigned long long>(src.addr + o));
            }
            Ref s = src;
            s.bytes = ~0ull;
            s.addr = src.addr + o;
            const uint8_t* sp = local(s, 0, 32, false, site);
            uint8_t* dp = local(dst, (r * dst_rep + b * dst_blk) * 32, 32, true, site);
            std::memmove(dp, sp, 32);
        }
}

// ==================================================================================== CMPMASK register
void cmpmask_set(const Ref& src, Site site) {
    need_core(Core::AIV, site);
    ub_only(src, "src", site);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.src_mem = static_cast<uint8_t>(src.mem);
    e.src_addr = src.addr;
    e.bytes = 16;
    e.dtype = e.src_dtype = static_cast<uint8_t>(src.dt);
    rec_done();
    std::memcpy(R->cmpmask, local(src, 0, 16, false, site, 16), 16);
}

void cmpmask_get(const Ref& dst, Site site) {
    need_core(Core::AIV, site);
    ub_only(dst, "dst", site);
    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dst_mem = static_cast<uint8_t>(dst.mem);
    e.dst_addr = dst.addr;
    e.bytes = 16;
    e.dtype = e.src_dtype = static_cast<uint8_t>(dst.dt);
    rec_done();
    std::memcpy(local(dst, 0, 16, true, site, 16), R->cmpmask, 16);
}

// ===================================================================================== atomic stores
void set_atomic(int op, DT dt, Site site) {
    // The CCE set_atomic_add/max/min choose only the operation (DT::NONE): the type stays (float by default).
    if (op > 0 && dt == DT::NONE) dt = R->atomic_dt != DT::NONE ? R->atomic_dt : DT::F32;
    if (op != 0) {
        if (!dt_in(dt, {DT::I8, DT::I16, DT::F16, DT::BF16, DT::I32, DT::F32}))
            dtype_fault(site, dt, "int8_t / int16_t / half / bfloat16_t / int32_t / float");
        if (dt == DT::BF16 && !R->cfg.bf16) dtype_fault(site, dt, "no bfloat16_t on this SoC");
    }
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.dtype = static_cast<uint8_t>(dt);
    e.a0 = static_cast<uint32_t>(op < 0 ? R->atomic_op : op);
    rec_done();
    if (op >= 0) R->atomic_op = op;
    if (op != 0) R->atomic_dt = dt;
}

bool atomic_on() { return R->atomic_op != 0; }

void gm_store(uint8_t* dst, const uint8_t* src, uint64_t n, Site site) {
    if (R->atomic_op == 0) {
        if (timing_only()) return;
        std::memmove(dst, src, n);
        return;
    }
    DT d = R->atomic_dt;
    size_t es = dt_size(d);
    if (n % es != 0) {
        fault(Kind::INVALID_PARAMETER, Mem::GM, site,
              "an atomic store of %llu bytes is not a whole number of %s elements",
              static_cast<unsigned long long>(n), dt_name(d));
    }
    if (timing_only()) return;
    for (uint64_t k = 0; k < n; k += es) {
        double a = load(d, dst + k), b = load(d, src + k);
        double v;
        if (R->atomic_op == 1) {
            v = a + b;
            if (!is_float(d)) {  // integer sums wrap to the element width
                int64_t iv = static_cast<int64_t>(a) + static_cast<int64_t>(b);
                std::memcpy(dst + k, &iv, es);
                continue;
            }
        } else if (R->atomic_op == 2) {
            v = (std::isnan(a) || std::isnan(b)) ? NAN : std::max(a, b);
        } else {
            v = (std::isnan(a) || std::isnan(b)) ? NAN : std::min(a, b);
        }
        store(d, dst + k, v);
    }
}

// ========================================================================================= SetPadValue
void set_pad_value(uint64_t bits, DT dt, Site site) {
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.dtype = static_cast<uint8_t>(dt);
    rec_done();
    R->pad_value_set = true;
    R->pad_value_bits = bits;
}

bool pad_value(uint64_t* bits) {
    if (!R->pad_value_set) return false;
    *bits = R->pad_value_bits;
    return true;
}

// =========================================================================================== event ids
int64_t event_id(int pipe, int evt, int op, int64_t id, Site site) {
    uint32_t& busy = R->event_busy[{pipe, evt}];
    const uint64_t n = std::min<uint64_t>(R->cfg.event_ids, 32);
    if (op == 2) {
        if (id < 0 || static_cast<uint64_t>(id) >= n) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "ReleaseEventID of event id %lld, should be in [0, %llu)",
                  static_cast<long long>(id), static_cast<unsigned long long>(n));
        }
        busy &= ~(1u << id);
        return id;
    }
    for (uint64_t i = 0; i < n; ++i) {
        if (!(busy & (1u << i))) {
            if (op == 1) busy |= 1u << i;
            return static_cast<int64_t>(i);
        }
    }
    fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
          "%s: all %llu event ids of this HardEvent are allocated (AllocEventID without ReleaseEventID)",
          op == 1 ? "AllocEventID" : "FetchEventID", static_cast<unsigned long long>(n));
}

// ================================================================================== not modelled APIs
void unsupported_api(const char* name, Site site) {
    fault(Kind::UNSUPPORTED_API, Mem::NONE, site,
          "%s is a documented Ascend C API that the twin does not model yet (docs/kernel-contract.md lists what it "
          "models)",
          name);
}

}  // namespace hawk
