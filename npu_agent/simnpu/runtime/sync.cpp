// Synchronisation: SetFlag/WaitFlag, barriers, vector masks.
#include "internal.h"

namespace hawk {

// ============================================================================================== sync
namespace {
void check_event(int64_t id, Site site) {
    if (id < 0 || static_cast<uint64_t>(id) >= R->cfg.event_ids) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "eventID is %lld, should be in range [0, %llu)",
              static_cast<long long>(id), static_cast<unsigned long long>(R->cfg.event_ids));
    }
}
}  // namespace

void deadlock_check(Site site, const char* when) {
    if (R->waits.empty()) return;
    const Wait& w = R->waits.front();
    Site ws{w.api, w.line};
    fault(Kind::DEADLOCK, Mem::NONE, ws,
          "%s<%s_%s> with event id %lld waits for a SetFlag that never comes before %s: pipe %s is blocked forever",
          api_name(w.api), pipe_name(w.src), pipe_name(w.dst), static_cast<long long>(w.id), when, pipe_name(w.dst));
    (void)site;
}

void set_flag(Pipe src, Pipe dst, int64_t id, Site site) {
    check_event(id, site);
    RecordEntry& e = rec(Op::SET_FLAG, src, site);
    e.ev_src = static_cast<uint8_t>(src);
    e.ev_dst = static_cast<uint8_t>(dst);
    e.event_id = static_cast<int16_t>(id);
    rec_done();
    for (auto it = R->waits.begin(); it != R->waits.end(); ++it) {
        if (it->src == src && it->dst == dst && it->id == id) {
            R->waits.erase(it);  // satisfies a wait issued earlier in program order (the waiting pipe stalled)
            return;
        }
    }
    ++R->flags[{static_cast<int>(src), static_cast<int>(dst), id}];
}

void wait_flag(Pipe src, Pipe dst, int64_t id, Site site) {
    check_event(id, site);
    RecordEntry& e = rec(Op::WAIT_FLAG, dst, site);
    e.ev_src = static_cast<uint8_t>(src);
    e.ev_dst = static_cast<uint8_t>(dst);
    e.event_id = static_cast<int16_t>(id);
    rec_done();
    auto& n = R->flags[{static_cast<int>(src), static_cast<int>(dst), id}];
    if (n > 0) {
        --n;
        return;
    }
    R->waits.push_back(Wait{src, dst, id, site.line, site.api});
}

void barrier(Pipe p, Site site) {
    RecordEntry& e = rec(Op::BARRIER, p, site);
    e.ev_src = e.ev_dst = static_cast<uint8_t>(p);
    rec_done();
    if (p == Pipe::ALL) deadlock_check(site, "PipeBarrier<PIPE_ALL> drains every pipe");
}

void set_mask(bool counter, const uint64_t mask[2], Site site) {
    // SetVectorMask writes the mask register only; the mode is SetMaskCount/SetMaskNorm's (CTRL bit 56). Its
    // MaskMode template argument only says how a length is encoded (the header did that), so `counter` is unused.
    (void)counter;
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.a0 = static_cast<uint32_t>(mask[0]);
    rec_done();
    R->mask[0] = mask[0];
    R->mask[1] = mask[1];
}
void set_mask_mode(bool counter) { R->mask_counter = counter; }
bool mask_counter_mode() { return R->mask_counter; }
void mask_get(uint64_t out[2]) {
    out[0] = R->mask[0];
    out[1] = R->mask[1];
}

// ===================================================================================== vector masks
namespace {
// AscendCUtils::SetMask<T>(int32_t len): the bits of the first len elements; 64 fills the low word, a full repeat
// (len == epr) or len >= 128 both words.
void bits_of_len(uint64_t len, uint64_t epr, uint64_t out[2]) {
    if (len == 64) {
        out[0] = ~0ull;
        out[1] = 0;
    } else if (len == epr || len >= 128) {
        out[0] = out[1] = ~0ull;
    } else if (len > 64) {
        out[0] = ~0ull;
        out[1] = (1ull << (len - 64)) - 1;
    } else {
        out[0] = (1ull << len) - 1;
        out[1] = 0;
    }
}

MaskUse from_register(uint64_t repeat, uint64_t epr, Site site) {
    MaskUse u;
    u.epr = epr;
    if (R->mask_counter) {
        u.counter = true;
        u.count = R->mask[0];
        if (u.count > 0xFFFFFFFFull) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "the mask in counter mode (SetMaskCount) is %llu elements, should be in range [0, 4294967295]",
                  static_cast<unsigned long long>(u.count));
        }
        u.repeats = (u.count + epr - 1) / epr;
        for (uint64_t i = 0; i < epr; ++i) u.active.push_back(i);
    } else {
        u.repeats = repeat;
        for (uint64_t i = 0; i < epr; ++i)
            if (mask_bit(R->mask, i)) u.active.push_back(i);
    }
    return u;
}
}  // namespace

MaskUse mask_for_repeats(const uint64_t mask[2], bool bit_mask, bool set_mask, uint64_t repeat, uint64_t epr,
                         Site site) {
    if (set_mask) {
        uint64_t reg[2] = {mask[0], mask[1]};
        if (bit_mask) {
            if (!R->mask_counter && epr <= 64 && mask[1] != 0) {
                fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                      "mask[1] is 0x%llx, should be 0 for %llu elements per repeat",
                      static_cast<unsigned long long>(mask[1]), static_cast<unsigned long long>(epr));
            }
        } else {
            if (R->mask_counter) {
                fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                      "a scalar mask (%llu) in counter mode (SetMaskCount): the API writes it to the mask register as "
                      "the bits of the first %llu elements, not as an element count; pass uint64_t mask[2] = "
                      "{count, 0}, or SetVectorMask and isSetMask=false",
                      static_cast<unsigned long long>(mask[0]), static_cast<unsigned long long>(mask[0]));
            }
            range(site, "mask", mask[0], 0, epr);
            bits_of_len(mask[0], epr, reg);
        }
        if (!R->mask_counter && (reg[0] == 0 && (epr <= 64 || reg[1] == 0))) {
            warn(site, "the mask of %s is 0, which makes it a NOP", api_name(site.api));
        }
        R->mask[0] = reg[0];
        R->mask[1] = reg[1];
    }
    return from_register(repeat, epr, site);
}

MaskUse mask_for_count_external(uint64_t epr, Site site) { return from_register(1, epr, site); }

void mask_after_count_form() {
    R->mask_counter = false;
    R->mask[0] = R->mask[1] = ~0ull;
}

}  // namespace hawk
