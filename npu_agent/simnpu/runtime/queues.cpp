// Resources: TPipe, TQue, TBuf — buffer layout, allocation, EnQue/DeQue/FreeTensor.
#include "internal.h"

namespace hawk {

// ======================================================================================== TPipe etc.
Mem position_mem(int position) {
    switch (static_cast<AscendC::TPosition>(position)) {
        case AscendC::TPosition::A1: case AscendC::TPosition::B1: case AscendC::TPosition::C1:
        case AscendC::TPosition::TSCM: return Mem::L1;
        case AscendC::TPosition::A2: return Mem::L0A;
        case AscendC::TPosition::B2: return Mem::L0B;
        case AscendC::TPosition::CO1: return Mem::L0C;
        case AscendC::TPosition::C2: return Mem::BT;
        case AscendC::TPosition::CO2: return R->cfg.co2_mem;
        case AscendC::TPosition::VECIN: case AscendC::TPosition::VECOUT: case AscendC::TPosition::VECCALC:
        case AscendC::TPosition::SPM: return Mem::UB;
        case AscendC::TPosition::C2PIPE2GM: return Mem::FB;
        default: return Mem::NONE;
    }
}

namespace {
const char* pos_name(int p) {
    static const char* const n[] = {"GM", "A1", "A2", "B1", "B2", "C1", "C2", "CO1", "CO2", "VECIN", "VECOUT",
                                    "VECCALC", "SPM", "TSCM", "C2PIPE2GM", "C2PIPE2LOCAL"};
    return p >= 0 && p < 16 ? n[p] : "?";
}
}  // namespace

std::pair<Pipe, Pipe> queue_pipes(int position) {
    switch (static_cast<AscendC::TPosition>(position)) {
        case AscendC::TPosition::VECIN: return {Pipe::MTE2, Pipe::V};
        case AscendC::TPosition::VECOUT: return {Pipe::V, Pipe::MTE3};
        case AscendC::TPosition::VECCALC: return {Pipe::V, Pipe::V};
        case AscendC::TPosition::A1: case AscendC::TPosition::B1: case AscendC::TPosition::C1:
            return {Pipe::MTE2, Pipe::MTE1};
        case AscendC::TPosition::A2: case AscendC::TPosition::B2: case AscendC::TPosition::C2:
            return {Pipe::MTE1, Pipe::M};
        case AscendC::TPosition::CO1: return {Pipe::M, Pipe::FIX};
        case AscendC::TPosition::CO2: return {Pipe::FIX, Pipe::MTE3};
        default: return {Pipe::S, Pipe::S};
    }
}
namespace {
uint64_t reserve(int pipe, int position, uint64_t bytes, uint64_t count, Site site, Mem* mem_out) {
    Mem m = position_mem(position);
    if (m == Mem::NONE || m == Mem::GM) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "TPosition %s has no on-chip buffer on %s", pos_name(position),
              R->cfg.soc.c_str());
    }
    // A buffer of a memory this core does not have is only bookkeeping, as in CANN's TPipe::InitBuffer (catlass's
    // Resource gives every core all six pools); touching it faults (checker.cpp local: WRONG_CORE_TYPE).
    if (pipe < 0 || pipe >= static_cast<int>(R->pipes.size()) || !R->pipes[pipe].alive) {
        fault(Kind::INVALID_PARAMETER, m, site, "InitBuffer on a TPipe that no longer exists");
    }
    PipeRec& pr = R->pipes[pipe];
    uint64_t al = std::max<uint64_t>(mem_align(m), 32);
    uint64_t len = (bytes + al - 1) / al * al;
    uint64_t base = (pr.cursor[static_cast<int>(m)] + al - 1) / al * al;
    uint64_t end = base + len * count;
    pr.nbuf += count;
    if (pr.nbuf > R->cfg.max_pipe_buffers) {
        fault(Kind::TOO_MANY_BUFFERS, m, site, "Total buffer num managed by TPipe is %llu, should be in range (0, %llu]",
              static_cast<unsigned long long>(pr.nbuf), static_cast<unsigned long long>(R->cfg.max_pipe_buffers));
    }
    if (end > mem_usable(m)) {
        fault(Kind::OUT_OF_BOUNDS, m, site,
              "buffer size is %llu, exceeds the limit %llu: InitBuffer of %llu x %llu bytes at %s offset %llu brings "
              "the TPipe's %s total to %llu bytes",
              static_cast<unsigned long long>(end), static_cast<unsigned long long>(mem_usable(m)),
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(len), mem_name(m),
              static_cast<unsigned long long>(base), mem_name(m), static_cast<unsigned long long>(end));
    }
    const uint64_t kept = mem_mix_reserved(m);
    if (kept != 0 && end > mem_usable(m) - kept && pr.cursor[static_cast<int>(m)] <= mem_usable(m) - kept) {
        // CANN's TPipe does not check this on the device (its limit is an ASCENDC_ASSERT of the CPU-debug build), and
        // kernels that lay buffers over the whole memory run (catlass books all of L1 and UB); the bytes are the
        // framework's, so a kernel that writes them may corrupt what it keeps there.
        warn(site, "the TPipe's %s buffers end at %llu bytes, inside the last %llu bytes a fused Cube+Vector kernel "
                   "leaves to the framework (usable: %llu)", mem_name(m), static_cast<unsigned long long>(end),
             static_cast<unsigned long long>(kept), static_cast<unsigned long long>(mem_usable(m) - kept));
    }
    pr.cursor[static_cast<int>(m)] = end;
    if (core_has(m)) R->peak[static_cast<int>(m)] = std::max(R->peak[static_cast<int>(m)], end);
    *mem_out = m;
    return base;
}
Queue& queue(int q, Site site) {
    if (q < 0 || q >= static_cast<int>(R->queues.size())) {
        fault(Kind::QUEUE_MISUSE, Mem::NONE, site, "%s on a TQue that was never given buffers by TPipe::InitBuffer",
              api_name(site.api));
    }
    return R->queues[q];
}
}  // namespace

int pipe_create() {
    R->pipes.emplace_back();
    R->pipes.back().alive = true;
    return static_cast<int>(R->pipes.size()) - 1;
}
void pipe_destroy(int pipe) {
    if (pipe >= 0 && pipe < static_cast<int>(R->pipes.size())) R->pipes[pipe].alive = false;
}
void pipe_reset(int pipe) {
    if (pipe >= 0 && pipe < static_cast<int>(R->pipes.size())) {
        PipeRec& p = R->pipes[pipe];
        std::memset(p.cursor, 0, sizeof p.cursor);
        p.nbuf = 0;
    }
}

// PopStackBuffer: all of the position's memory the TPipe has not handed out (from its cursor, aligned, to the
// usable end); no TPipe, or nothing left, gives an empty tensor (mem NONE) and the API returns false.
Ref pipe_stack(int pipe, int position, DT dt, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    Ref r;
    Mem m = position_mem(position);
    if (m == Mem::NONE || m == Mem::GM) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "PopStackBuffer: TPosition %s has no on-chip memory",
              pos_name(position));
    }
    if (!core_has(m)) {
        fault(Kind::WRONG_CORE_TYPE, m, site, "TPosition %s (%s) is not on the %s core", pos_name(position),
              mem_name(m), g.core == Core::AIV ? "AIV" : "AIC");
    }
    // Without a live TPipe nothing is handed out yet: the whole memory.
    uint64_t al = std::max<uint64_t>(mem_align(m), 32);
    bool live = pipe >= 0 && pipe < static_cast<int>(R->pipes.size()) && R->pipes[pipe].alive;
    uint64_t base = live ? (R->pipes[pipe].cursor[static_cast<int>(m)] + al - 1) / al * al : 0;
    if (base >= mem_usable(m)) return r;
    r.mem = m;
    r.dt = dt;
    r.addr = base;
    r.bytes = mem_usable(m) - base;
    return r;
}

int pipe_init_queue(int pipe, int position, int depth, uint64_t num, uint64_t len, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    if (num == 0 || len == 0) {
        fault(Kind::INVALID_PARAMETER, position_mem(position), site, "InitBuffer num is %llu and len is %llu; both must "
              "be positive", static_cast<unsigned long long>(num), static_cast<unsigned long long>(len));
    }
    if (num > R->cfg.max_queue_per_position) {
        fault(Kind::TOO_MANY_BUFFERS, position_mem(position), site,
              "current size is %llu, max buffer number in same queue position is %llu",
              static_cast<unsigned long long>(num), static_cast<unsigned long long>(R->cfg.max_queue_per_position));
    }
    Mem m;
    uint64_t base = reserve(pipe, position, len, num, site, &m);
    uint64_t al = std::max<uint64_t>(mem_align(m), 32);
    uint64_t stride = (len + al - 1) / al * al;
    Queue q;
    q.pipe = pipe;
    q.position = position;
    q.mem = m;
    q.depth = depth;
    q.len = len;
    q.line = site.line;
    std::tie(q.producer, q.consumer) = queue_pipes(position);
    for (uint64_t i = 0; i < num; ++i) {
        Buffer b;
        b.addr = base + i * stride;
        q.bufs.push_back(b);
    }
    R->queues.push_back(q);
    RecordEntry& e = rec(Op::INIT_BUFFER, Pipe::S, site);
    e.a0 = static_cast<uint32_t>(num);
    e.a1 = static_cast<uint32_t>(len);
    e.a2 = static_cast<uint32_t>(position);
    e.dst_mem = static_cast<uint8_t>(m);
    e.dst_addr = base;
    e.bytes = stride * num;
    e.event_id = static_cast<int16_t>(R->queues.size() - 1);
    rec_done();
    return static_cast<int>(R->queues.size()) - 1;
}

int pipe_init_tbuf(int pipe, int position, uint64_t len, Site site) {
    g.last_line = site.line;
    g.last_api = site.api;
    if (len == 0) fault(Kind::INVALID_PARAMETER, position_mem(position), site, "InitBuffer len is 0");
    Mem m;
    uint64_t base = reserve(pipe, position, len, 1, site, &m);
    TBufRec t;
    t.pipe = pipe;
    t.mem = m;
    t.addr = base;
    t.len = len;
    R->tbufs.push_back(t);
    RecordEntry& e = rec(Op::INIT_BUFFER, Pipe::S, site);
    e.a0 = 1;
    e.a1 = static_cast<uint32_t>(len);
    e.a2 = static_cast<uint32_t>(position);
    e.dst_mem = static_cast<uint8_t>(m);
    e.dst_addr = base;
    e.bytes = len;
    e.event_id = -1;
    rec_done();
    return static_cast<int>(R->tbufs.size()) - 1;
}

Ref tbuf_get(int buf, DT dt, uint64_t offset_bytes, uint64_t len_bytes, Site site) {
    if (buf < 0 || buf >= static_cast<int>(R->tbufs.size())) {
        fault(Kind::QUEUE_MISUSE, Mem::NONE, site, "TBuf::Get on a TBuf that was never given memory by InitBuffer");
    }
    const TBufRec& t = R->tbufs[buf];
    Ref r;
    r.mem = t.mem;
    r.dt = dt;
    r.addr = t.addr + offset_bytes;
    uint64_t avail = t.len > offset_bytes ? t.len - offset_bytes : 0;
    r.bytes = len_bytes == ~0ull ? avail : len_bytes;
    if (len_bytes != ~0ull && offset_bytes + len_bytes > t.len) {
        warn(site, "TBuf view of %llu bytes at offset %llu exceeds the %llu-byte buffer",
             static_cast<unsigned long long>(len_bytes), static_cast<unsigned long long>(offset_bytes),
             static_cast<unsigned long long>(t.len));
    }
    return r;
}

Ref que_alloc(int qi, DT dt, Site site) {
    Queue& q = queue(qi, site);
    // Buffers are handed out in a ring, as TQueBind::AllocBuffer does: the cursor moves on at every probe, so
    // with 2 buffers consecutive AllocTensor calls alternate (ping-pong) even when the other buffer was freed.
    int slot = -1;
    for (size_t n = 0; n < q.bufs.size() && slot < 0; ++n) {
        size_t i = q.cursor;
        q.cursor = (q.cursor + 1) % q.bufs.size();
        if (!q.bufs[i].allocated) slot = static_cast<int>(i);
    }
    if (slot < 0) {
        fault(Kind::DEADLOCK, q.mem, site,
              "AllocTensor: all %zu buffers of the %s queue (InitBuffer at line %u) are in use and none will be freed "
              "(FreeTensor missing?)",
              q.bufs.size(), pos_name(q.position), q.line);
    }
    uint64_t& outst = R->outstanding[q.position & 31];
    if (outst + 1 > R->cfg.max_queue_per_position) {
        fault(Kind::TOO_MANY_BUFFERS, q.mem, site,
              "current size is %llu, max buffer number in same queue position is %llu (TPosition %s)",
              static_cast<unsigned long long>(outst + 1),
              static_cast<unsigned long long>(R->cfg.max_queue_per_position), pos_name(q.position));
    }
    ++outst;
    Buffer& b = q.bufs[slot];
    RecordEntry& e = rec(Op::ALLOC, q.producer, site);
    e.ev_src = static_cast<uint8_t>(q.consumer);
    e.ev_dst = static_cast<uint8_t>(q.producer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.a1 = b.used ? 1 : 0;
    e.dst_mem = static_cast<uint8_t>(q.mem);
    e.dst_addr = b.addr;
    e.bytes = q.len;
    rec_done();
    b.allocated = true;
    Ref r;
    r.mem = q.mem;
    r.dt = dt;
    r.addr = b.addr;
    r.bytes = q.len;
    return r;
}

namespace {
int find_slot(Queue& q, const Ref& t) {
    for (size_t i = 0; i < q.bufs.size(); ++i)
        if (q.bufs[i].addr == t.addr) return static_cast<int>(i);
    return -1;
}
}  // namespace

void que_enque(int qi, const Ref& t, Site site) {
    Queue& q = queue(qi, site);
    int slot = find_slot(q, t);
    if (slot < 0 || !q.bufs[slot].allocated) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "EnQue of a tensor that was not allocated from this %s queue",
              pos_name(q.position));
    }
    if (q.depth > 0 && static_cast<int>(q.fifo.size()) >= q.depth) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "EnQue on a full queue: it already holds %zu tensors (depth %d)",
              q.fifo.size(), q.depth);
    }
    q.bufs[slot].queued = true;
    q.fifo.push_back(slot);
    RecordEntry& e = rec(Op::ENQUE, q.producer, site);
    e.ev_src = static_cast<uint8_t>(q.producer);
    e.ev_dst = static_cast<uint8_t>(q.consumer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.dst_mem = static_cast<uint8_t>(q.mem);
    e.dst_addr = q.bufs[slot].addr;
    rec_done();
}

Ref que_deque(int qi, DT dt, Site site) {
    Queue& q = queue(qi, site);
    if (q.fifo.empty()) {
        fault(Kind::DEQUE_EMPTY, q.mem, site,
              "DeQue on the empty %s queue (InitBuffer at line %u): no EnQue precedes it, so the consumer pipe %s "
              "would wait forever",
              pos_name(q.position), q.line, pipe_name(q.consumer));
    }
    int slot = q.fifo.front();
    q.fifo.pop_front();
    q.bufs[slot].queued = false;
    RecordEntry& e = rec(Op::DEQUE, q.consumer, site);
    e.ev_src = static_cast<uint8_t>(q.producer);
    e.ev_dst = static_cast<uint8_t>(q.consumer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.src_mem = static_cast<uint8_t>(q.mem);
    e.src_addr = q.bufs[slot].addr;
    rec_done();
    Ref r;
    r.mem = q.mem;
    r.dt = dt;
    r.addr = q.bufs[slot].addr;
    r.bytes = q.len;
    return r;
}

void que_free(int qi, const Ref& t, Site site) {
    Queue& q = queue(qi, site);
    int slot = find_slot(q, t);
    if (slot < 0) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "FreeTensor of a tensor that does not belong to this %s queue",
              pos_name(q.position));
    }
    if (!q.bufs[slot].allocated) {
        fault(Kind::QUEUE_MISUSE, q.mem, site, "FreeTensor of a buffer that is not allocated (freed twice?)");
    }
    if (q.bufs[slot].queued) {
        for (auto it = q.fifo.begin(); it != q.fifo.end(); ++it)
            if (*it == slot) {
                q.fifo.erase(it);
                break;
            }
        q.bufs[slot].queued = false;
    }
    q.bufs[slot].allocated = false;
    q.bufs[slot].used = true;
    uint64_t& outst = R->outstanding[q.position & 31];
    if (outst) --outst;
    RecordEntry& e = rec(Op::FREE, q.consumer, site);
    e.ev_src = static_cast<uint8_t>(q.consumer);
    e.ev_dst = static_cast<uint8_t>(q.producer);
    e.event_id = static_cast<int16_t>(qi);
    e.a0 = static_cast<uint32_t>(slot);
    e.src_mem = static_cast<uint8_t>(q.mem);
    e.src_addr = q.bufs[slot].addr;
    rec_done();
}

int que_count(int qi) {
    return qi >= 0 && qi < static_cast<int>(R->queues.size()) ? static_cast<int>(R->queues[qi].fifo.size()) : 0;
}
int que_free_slots(int qi) {
    if (qi < 0 || qi >= static_cast<int>(R->queues.size())) return 0;
    int n = 0;
    for (auto& b : R->queues[qi].bufs) n += b.allocated ? 0 : 1;
    return n;
}
int64_t alloc_event_id(int, int) { return 0; }

}  // namespace hawk
