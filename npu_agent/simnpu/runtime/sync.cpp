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
    RecordEntry& e = rec(Op::SCALAR, Pipe::S, site);
    e.a0 = static_cast<uint32_t>(mask[0]);
    rec_done();
    R->mask_counter = counter;
    R->mask[0] = mask[0];
    R->mask[1] = mask[1];
}
void set_mask_mode(bool counter) { R->mask_counter = counter; }
bool mask_counter_mode() { return R->mask_counter; }
void mask_get(uint64_t out[2]) {
    out[0] = R->mask[0];
    out[1] = R->mask[1];
}

}  // namespace hawk
