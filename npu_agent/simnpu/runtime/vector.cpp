// Vector unit: elementwise, scalar, unary, compare/select and cast instructions (count and mask forms).
#include "internal.h"

namespace hawk {

// ------------------------------------------------------------------------------ vector unit support
bool dt_in(DT d, std::initializer_list<DT> l) {
    for (DT x : l) if (x == d) return true;
    return false;
}
void dtype_fault(Site site, DT d, const char* supported) {
    fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
          "current api support dtype combination is %s; got %s on %s", supported, dt_name(d), R->cfg.soc.c_str());
}

namespace {
void check_vec_dtype(const VecCall& c, Site site) {
    DT d = c.dst.dt;
    auto bf16_rule = [&]() {
        if (d == DT::BF16 && !R->cfg.bf16_vector_arith)
            dtype_fault(site, d, "half / float / int16_t / int32_t (no bfloat16_t vector arithmetic on this SoC)");
    };
    switch (c.op) {
        case VOp::ADD: case VOp::SUB: case VOp::MUL: case VOp::MAX: case VOp::MIN:
        case VOp::ADDS: case VOp::MULS: case VOp::MAXS: case VOp::MINS:
            bf16_rule();
            if (!dt_in(d, {DT::F16, DT::F32, DT::I16, DT::I32, DT::BF16}))
                dtype_fault(site, d, "half / float / int16_t / int32_t");
            break;
        case VOp::DIV: case VOp::EXP: case VOp::LN: case VOp::SQRT: case VOp::RSQRT: case VOp::RECIP:
        case VOp::AXPY: case VOp::LEAKY_RELU:
            if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "half / float");
            break;
        case VOp::ABS:
            if (!dt_in(d, {DT::F16, DT::F32, DT::I16, DT::I32})) dtype_fault(site, d, "half / float / int16_t / int32_t");
            break;
        case VOp::RELU:
            if (!dt_in(d, {DT::F16, DT::F32, DT::I32})) dtype_fault(site, d, "half / float / int32_t");
            break;
        case VOp::AND: case VOp::OR: case VOp::NOT:
            if (!dt_in(d, {DT::I16, DT::U16})) dtype_fault(site, d, "int16_t / uint16_t");
            break;
        case VOp::DUP:
            if (dt_size(d) != 2 && dt_size(d) != 4) dtype_fault(site, d, "2-byte and 4-byte types");
            if (d == DT::BF16 && !R->cfg.bf16) dtype_fault(site, d, "no bfloat16_t on this SoC");
            break;
        case VOp::CMP: case VOp::CMPS: {
            DT s = c.src0.dt;
            if (!dt_in(s, {DT::F16, DT::F32, DT::I32})) dtype_fault(site, s, "src half / float / int32_t");
            if (s == DT::I32 && c.mode != 2) dtype_fault(site, s, "int32_t with CMPMODE::EQ only");
            if (c.dst.mem != Mem::NONE && !dt_in(d, {DT::U8, DT::I8, DT::U16, DT::U32, DT::U64}))
                dtype_fault(site, d, "dst uint8_t bit mask");
            break;
        }
        case VOp::SEL:
            if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "half / float");
            break;
        case VOp::TANH: case VOp::SIGMOID:
            if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "half / float");
            break;
        case VOp::SHL: case VOp::SHR: {
            if (!dt_in(d, {DT::I16, DT::U16, DT::I32, DT::U32}))
                dtype_fault(site, d, "int16_t / uint16_t / int32_t / uint32_t");
            const double w = static_cast<double>(dt_size(d) * 8);
            if (!(c.scalar >= 0 && c.scalar <= w)) {
                fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                      "scalarValue (the shift) is %g, should be in range [0, %g] for %s", c.scalar, w, dt_name(d));
            }
            break;
        }
        case VOp::COPY:
            if (!dt_in(d, {DT::I16, DT::U16, DT::F16, DT::BF16, DT::I32, DT::U32, DT::F32}))
                dtype_fault(site, d, "int16_t / uint16_t / half / bfloat16_t / int32_t / uint32_t / float");
            break;
        case VOp::CAST: break;  // checked by the pair table
        case VOp::INDEX:
            if (!dt_in(d, {DT::I16, DT::F16, DT::I32, DT::F32})) dtype_fault(site, d, "int16_t / half / int32_t / float");
            break;
        case VOp::ADD_RELU: case VOp::SUB_RELU:
            if (!dt_in(d, {DT::I16, DT::F16, DT::F32})) dtype_fault(site, d, "int16_t / half / float");
            if (c.src0.dt != d || c.src1.dt != d) dtype_fault(site, c.src0.dt, "src0, src1 and dst of one type");
            break;
        case VOp::FMA: case VOp::FMA_RELU:
            if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "half / float");
            if (c.src0.dt != d || c.src1.dt != d) dtype_fault(site, c.src0.dt, "src0, src1 and dst of one type");
            break;
        case VOp::MULADD_DST:
            if (!((d == DT::F16 && c.src0.dt == DT::F16) || (d == DT::F32 && dt_in(c.src0.dt, {DT::F16, DT::F32}))) ||
                c.src1.dt != c.src0.dt)
                dtype_fault(site, c.src0.dt, "src half / dst half, src float / dst float, src half / dst float");
            break;
    }
    if (c.op == VOp::AXPY && !(c.src0.dt == d || (d == DT::F32 && c.src0.dt == DT::F16)))
        dtype_fault(site, c.src0.dt, "src half / dst half, src float / dst float, src half / dst float");
}

// Cast's (source, destination) pairs and the RoundModes each accepts: the Atlas A2 table of Cast.md (数据类型
// 组合情况), which the 2201 implementation (dav_c220 CastIntrinsicsImpl) follows. A bit per RM value.
namespace {
constexpr uint8_t M_NONE = 1u << NONE_;
constexpr uint8_t M_ROUNDING = (1u << RINT) | (1u << FLOOR) | (1u << CEIL) | (1u << ROUND) | (1u << TRUNC);
constexpr uint8_t M_ANY = 0xFF;  // int32_t -> half: roundMode is ignored (vconv_deq with SetDeqScale)
struct CastRule {
    DT s, d;
    uint8_t modes;
};
const CastRule kCastRules[] = {
    {DT::I8, DT::F16, M_NONE},           {DT::U8, DT::F16, M_NONE},
    {DT::I16, DT::F16, M_ROUNDING | M_NONE}, {DT::I16, DT::F32, M_NONE},
    {DT::F16, DT::I8, M_ROUNDING | M_NONE},  {DT::F16, DT::U8, M_ROUNDING | M_NONE},
    {DT::F16, DT::I16, M_ROUNDING},      {DT::F16, DT::I32, M_ROUNDING},
    {DT::F16, DT::F32, M_NONE},          {DT::BF16, DT::I32, M_ROUNDING},
    {DT::BF16, DT::F32, M_NONE},         {DT::I32, DT::I16, M_NONE},
    {DT::I32, DT::F16, M_ANY},           {DT::I32, DT::F32, M_ROUNDING | M_NONE},
    {DT::I32, DT::I64, M_NONE},          {DT::F32, DT::I16, M_ROUNDING},
    {DT::F32, DT::F16, M_ROUNDING | (1u << ODD) | M_NONE},
    {DT::F32, DT::BF16, M_ROUNDING},     {DT::F32, DT::I32, M_ROUNDING},
    {DT::F32, DT::F32, M_ROUNDING},      {DT::F32, DT::I64, M_ROUNDING},
    {DT::I64, DT::I32, M_NONE},          {DT::I64, DT::F32, M_ROUNDING},
};
const CastRule* cast_rule(DT s, DT d) {
    for (const CastRule& r : kCastRules)
        if (r.s == s && r.d == d) return &r;
    return nullptr;
}
const char* const kRoundModeNames[] = {"CAST_NONE", "CAST_RINT", "CAST_FLOOR", "CAST_CEIL", "CAST_ROUND",
                                       "CAST_TRUNC", "CAST_ODD", "CAST_HYBRID"};
}  // namespace

double apply(VOp op, DT d, double a, double b, double s) {
    auto I = [&](double x) { return static_cast<int64_t>(x); };
    switch (op) {
        case VOp::ADD: return is_float(d) ? a + b : static_cast<double>(I(a) + I(b));
        case VOp::SUB: return is_float(d) ? a - b : static_cast<double>(I(a) - I(b));
        case VOp::MUL: return is_float(d) ? a * b : static_cast<double>(I(a) * I(b));
        case VOp::DIV: return fdiv(a, b);
        case VOp::MAX: return (std::isnan(a) || std::isnan(b)) ? NAN : std::max(a, b);
        case VOp::MIN: return (std::isnan(a) || std::isnan(b)) ? NAN : std::min(a, b);
        case VOp::AND: return static_cast<double>(static_cast<uint16_t>(I(a)) & static_cast<uint16_t>(I(b)));
        case VOp::OR: return static_cast<double>(static_cast<uint16_t>(I(a)) | static_cast<uint16_t>(I(b)));
        case VOp::ADDS: return is_float(d) ? a + s : static_cast<double>(I(a) + I(s));
        case VOp::MULS: return is_float(d) ? a * s : static_cast<double>(I(a) * I(s));
        case VOp::MAXS: return std::isnan(a) ? NAN : std::max(a, s);
        case VOp::MINS: return std::isnan(a) ? NAN : std::min(a, s);
        case VOp::LEAKY_RELU: return a >= 0 ? a : a * s;
        case VOp::EXP: return std::exp(a);
        case VOp::LN: return std::log(a);
        case VOp::ABS: return std::fabs(a);
        case VOp::SQRT: return std::sqrt(a);
        case VOp::RSQRT: return 1.0 / std::sqrt(a);
        case VOp::RECIP: return 1.0 / a;
        case VOp::RELU: return a > 0 ? a : 0.0;
        case VOp::NOT: return static_cast<double>(static_cast<uint16_t>(~static_cast<uint16_t>(I(a))));
        case VOp::DUP: return s;
        case VOp::AXPY: return b + a * s;  // dst = src * scalar + dst
        case VOp::TANH: return std::tanh(a);
        case VOp::SIGMOID: return 1.0 / (1.0 + std::exp(-a));
        case VOp::COPY: return a;
        default: return 0;
    }
}

// The float-valued ops whose half results are computed in float, like the hardware's transcendental units.
bool via_float(VOp op) {
    return op == VOp::EXP || op == VOp::LN || op == VOp::SQRT || op == VOp::RSQRT || op == VOp::RECIP ||
           op == VOp::DIV || op == VOp::TANH || op == VOp::SIGMOID;
}

bool cmp(int mode, double a, double b) {
    switch (mode) {  // CMPMODE { LT, GT, EQ, LE, GE, NE }
        case 0: return a < b;
        case 1: return a > b;
        case 2: return a == b;
        case 3: return a <= b;
        case 4: return a >= b;
        case 5: return a != b;
        default: return false;
    }
}

// ShiftLeft/ShiftRight on the raw bits of a 16/32-bit element (docs: signed left shifts keep the sign bit,
// signed right shifts are arithmetic, roundEn adds the last bit shifted out).
uint64_t shift(VOp op, DT d, uint64_t raw, uint64_t n, bool round) {
    const unsigned w = static_cast<unsigned>(dt_size(d) * 8);
    const uint64_t all = (uint64_t(1) << w) - 1;
    const bool sgn = d == DT::I16 || d == DT::I32;
    raw &= all;
    if (op == VOp::SHL) {
        if (!sgn) return n >= w ? 0 : (raw << n) & all;
        uint64_t sign = raw & (uint64_t(1) << (w - 1));
        return sign | ((raw << n) & (all >> 1));
    }
    if (!sgn) return n >= w ? 0 : raw >> n;
    int64_t v = static_cast<int64_t>(raw << (64 - w)) >> (64 - w);  // sign-extend
    int64_t r = v >> n;
    if (round && n > 0) r += (v >> (n - 1)) & 1;
    return static_cast<uint64_t>(r) & all;
}

// AscendCUtils::SetMask<T>(len): the mask register after a mask-form call with a continuous mask of len.
void len_to_bits(uint64_t len, uint64_t epr, uint64_t out[2]) {
    out[0] = out[1] = 0;
    if (len == epr || len >= 128) {
        out[0] = out[1] = ~0ull;
    } else if (len >= 64) {
        out[0] = ~0ull;
        out[1] = len > 64 ? (uint64_t(1) << (len - 64)) - 1 : 0;
    } else if (len > 0) {
        out[0] = (uint64_t(1) << len) - 1;
    }
}

// =========================================================================================== vector
}  // namespace

void vec(const VecCall& c0, Site site) {
    VecCall c = c0;
    const bool from_reg = (c.mode & kModeFromCmpMask) != 0;  // CMPMASK register operand (vecext.h)
    c.mode &= ~kModeFromCmpMask;
    need_core(Core::AIV, site);
    check_vec_dtype(c, site);
    DT d = c.dst.dt;
    DT s0 = c.src0.mem != Mem::NONE ? c.src0.dt : d;
    if (c.op == VOp::CAST) {
        const CastRule* rule = cast_rule(s0, d);
        if (rule == nullptr) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "no Cast from %s to %s", dt_name(s0), dt_name(d));
            dtype_fault(site, d, buf);
        }
        if ((d == DT::BF16 || s0 == DT::BF16) && !R->cfg.bf16) dtype_fault(site, DT::BF16, "no bfloat16_t on this SoC");
        if (c.mode < 0 || c.mode > 7 || !((rule->modes >> c.mode) & 1u)) {
            std::string ok;
            for (int m = 0; m < 7; ++m)
                if ((rule->modes >> m) & 1u) ok += std::string(ok.empty() ? "" : ", ") + kRoundModeNames[m];
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "Cast from %s to %s does not support RoundMode::%s (supported: %s)", dt_name(s0), dt_name(d),
                  c.mode >= 0 && c.mode <= 7 ? kRoundModeNames[c.mode] : "?", ok.c_str());
        }
    }
    const bool is_cmp = c.op == VOp::CMP || c.op == VOp::CMPS;
    const bool binary = c.op == VOp::ADD || c.op == VOp::SUB || c.op == VOp::MUL || c.op == VOp::DIV ||
                        c.op == VOp::MAX || c.op == VOp::MIN || c.op == VOp::AND || c.op == VOp::OR ||
                        c.op == VOp::CMP || c.op == VOp::SEL || c.op == VOp::ADD_RELU || c.op == VOp::SUB_RELU ||
                        c.op == VOp::FMA || c.op == VOp::FMA_RELU || c.op == VOp::MULADD_DST;
    const bool has_src0 = c.op != VOp::DUP && c.op != VOp::INDEX;
    // Ops that read dst as an operand (Axpy, FusedMulAdd, MulAddRelu, MulAddDst).
    const bool reads_dst = c.op == VOp::AXPY || c.op == VOp::FMA || c.op == VOp::FMA_RELU || c.op == VOp::MULADD_DST;
    const bool has_src1 = binary && !(c.op == VOp::SEL && c.mode == 1);
    const bool to_reg = is_cmp && c.dst.mem == Mem::NONE && from_reg;  // Compare into the CMPMASK register
    if ((c.op == VOp::TANH || c.op == VOp::SIGMOID) && c.src1.mem != Mem::NONE && c.src1.mem != Mem::UB) {
        fault(Kind::INVALID_PARAMETER, c.src1.mem, site, "sharedTmpBuffer must be a UB tensor; got %s",
              mem_name(c.src1.mem));
    }
    DT cmp_t = is_cmp ? s0 : d;  // the compute type
    size_t es_d = dt_size(d), es_s = dt_size(s0);
    size_t es_max = std::max(is_cmp ? es_s : es_d, has_src0 ? es_s : es_d);
    uint64_t epr = R->cfg.repeat_bytes / es_max;  // elements per repeat

    // Which elements run, and where each operand's element lives.
    uint64_t n_total = 0;
    uint64_t repeats = 0;
    // Mask form: which elements of which repeats run (sync.cpp: the API's mask or, with isSetMask=false, the mask
    // register; in counter mode a total count over repeats derived from it, with the API's strides).
    MaskUse mu;
    bool counter = c.count_form;  // the flat "first n elements" layout
    uint64_t count = 0;
    if (c.count_form && c.use_set_mask) {
        // Count form with isSetMask=false: one instruction of repeat 1 and default strides under the register.
        mu = mask_for_count_external(epr, site);
        if (mu.counter) {
            c.count = static_cast<int64_t>(mu.count);
        } else {
            counter = false;
            c.repeat = 1;
            c.st = Strides{};
        }
    } else if (!c.count_form) {
        mu = mask_for_repeats(c.mask, c.bit_mask, !c.use_set_mask, c.repeat, epr, site);
    }
    if (c.count_form && !c.use_set_mask) mask_after_count_form();
    const std::vector<uint64_t>& active = mu.active;
    if (counter) {
        if (c.count < 0) fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "count is %lld, must not be negative",
                               static_cast<long long>(c.count));
        count = static_cast<uint64_t>(c.count);
        if (is_cmp && c.count_form) {
            uint64_t bytes = count * es_s;
            uint64_t kept = bytes / R->cfg.compare_align * R->cfg.compare_align;
            if (kept != bytes) {
                warn(site, "%s count %llu (%llu bytes) is not a multiple of %llu bytes: the last %llu elements are "
                           "not compared",
                     api_name(site.api), static_cast<unsigned long long>(count),
                     static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(R->cfg.compare_align),
                     static_cast<unsigned long long>((bytes - kept) / es_s));
                count = kept / es_s;
            }
        }
        n_total = count;
        repeats = (count + epr - 1) / epr;
    } else {
        repeats = mu.repeats;
        if (!mu.counter) range(site, "repeatTime", c.repeat, 0, R->cfg.max_repeat);
        range(site, "dstBlkStride", c.st.dst_blk, 0, 65535);
        range(site, "src0BlkStride", c.st.src0_blk, 0, 255);
        range(site, "src1BlkStride", c.st.src1_blk, 0, 255);
        range(site, "dstRepStride", c.st.dst_rep, 0, 255);
        range(site, "src0RepStride", c.st.src0_rep, 0, 255);
        range(site, "src1RepStride", c.st.src1_rep, 0, 255);
        n_total = mu.total();
    }
    if (to_reg && repeats > 1) repeats = 1;

    RecordEntry& e = rec(Op::INSTR, Pipe::V, site);
    e.dtype = static_cast<uint8_t>(d);
    e.src_dtype = static_cast<uint8_t>(s0);
    e.flags = c.count_form ? RF_COUNT_FORM : 0;
    if (c.bit_mask) e.flags |= RF_BIT_MASK;
    e.src_mem = static_cast<uint8_t>(has_src0 ? c.src0.mem : Mem::NONE);
    e.dst_mem = static_cast<uint8_t>(c.dst.mem);
    e.src_addr = has_src0 ? c.src0.addr : 0;
    e.dst_addr = c.dst.addr;
    e.bytes = n_total * (is_cmp ? es_s : es_d);
    e.repeats = static_cast<uint32_t>(repeats);
    e.a0 = static_cast<uint32_t>(n_total);
    e.a1 = static_cast<uint32_t>(c.op);
    e.a2 = static_cast<uint32_t>(c.mode);
    // src1's local address in 32-byte units plus one (0: none), for the cycle model's UB bank-conflict check.
    if (has_src1 && c.src1.mem != Mem::GM && c.src1.addr / 32 + 1 <= 0xFFFF)
        e.reserved = static_cast<uint16_t>(c.src1.addr / 32 + 1);
    rec_done();
    if (c.count_form) {  // the count form runs in counter mode, then restores normal mode and a full mask
        R->mask_counter = false;
        R->mask[0] = R->mask[1] = ~0ull;
    }
    if (n_total == 0) return;
    const bool strided_counter = counter && !c.count_form;
    if ((c.op == VOp::SIGMOID || c.op == VOp::TANH) && counter && c.src0.mem == c.dst.mem &&
        c.src0.addr != c.dst.addr && c.src0.addr < c.dst.addr + n_total * es_d &&
        c.dst.addr < c.src0.addr + n_total * es_s) {
        // Documented: src and dst must not overlap. The result is what the A2 library's in-place sequence gives
        // (Sigmoid: Muls(dst, src, -1), then Exp, Adds 1 and Div on dst): the first pass already reads elements
        // it has overwritten.
        warn(site, "%s: src (UB 0x%llx) and dst (UB 0x%llx) overlap by part, which the documentation does not "
                   "support; the result depends on the library's instruction order",
             api_name(site.api), static_cast<unsigned long long>(c.src0.addr),
             static_cast<unsigned long long>(c.dst.addr));
        if (c.op == VOp::SIGMOID && !timing_only()) {  // timing-only: the checks below, no arithmetic
            uint8_t* db = local(c.dst, 0, n_total * es_d, true, site);
            const uint8_t* sb = local(c.src0, 0, n_total * es_s, false, site);
            for (uint64_t k = 0; k < n_total; ++k) store(d, db + k * es_d, -load(s0, sb + k * es_s));
            for (uint64_t k = 0; k < n_total; ++k) {
                double x = load(d, db + k * es_d);
                store(d, db + k * es_d, 1.0 / (1.0 + std::exp(x)));
            }
            return;
        }
    }

    // Byte offsets of element k of the flat sequence (count form) or (r, i) (mask form).
    struct Opnd {
        const Ref* t;
        size_t es;
        uint64_t blk, rep;
        uint8_t* base = nullptr;
    };
    Opnd od{&c.dst, is_cmp ? 1 : es_d, c.st.dst_blk, c.st.dst_rep};
    Opnd o0{&c.src0, es_s, c.st.src0_blk, c.st.src0_rep};
    const DT s1 = c.src1.dt != DT::NONE ? c.src1.dt : s0;
    Opnd o1{&c.src1, dt_size(s1), c.st.src1_blk, c.st.src1_rep};
    // Extents (bytes from the operand start) for the bounds check.
    auto extent = [&](const Opnd& o, bool bits) -> uint64_t {
        if (strided_counter) {
            if (bits) return (n_total + 7) / 8;
            uint64_t mx = 0;
            for (uint64_t r = repeats >= 2 ? repeats - 2 : 0; r < repeats; ++r) {
                uint64_t last = std::min(epr, n_total - r * epr);
                mx = std::max(mx, elem_off(last - 1, o.es, o.blk, o.rep, r) + o.es);
            }
            return mx;
        }
        if (counter) return bits ? (n_total + 7) / 8 : n_total * o.es;
        if (bits) return (repeats * epr + 7) / 8;
        uint64_t mx = 0;
        for (uint64_t r = repeats - (repeats > 1 ? 2 : 1); r < repeats; ++r)
            for (uint64_t k = 0; k < mu.in_repeat(r); ++k)
                mx = std::max(mx, elem_off(active[k], o.es, o.blk, o.rep, r) + o.es);
        return mx;
    };
    if (to_reg) {
        od.base = R->cmpmask;
    } else {
        od.base = local(c.dst, 0, extent(od, is_cmp), true, site);
    }
    if (has_src0) o0.base = local(c.src0, 0, extent(o0, false), false, site);
    if (has_src1) o1.base = local(c.src1, 0, extent(o1, false), false, site);
    uint8_t* selb = nullptr;
    if (c.op == VOp::SEL) {
        // The CMPMASK register: mode 0 holds the selMask bits, mode 2 the selMask's UB address, mode 1 the
        // scalar (as the device's Select loads it before vsel); the mask-less forms read what is there.
        uint64_t bits = c.mode == 0 ? epr : (counter ? n_total : repeats * epr);
        if (c.mode == 0) {
            if (!from_reg) std::memcpy(R->cmpmask, local(c.sel, 0, 16, false, site, 16), 16);
            selb = R->cmpmask;
        } else if (c.mode == 2) {
            uint32_t a = static_cast<uint32_t>(c.sel.addr);
            if (from_reg) {
                std::memcpy(&a, R->cmpmask, 4);
            } else {
                for (int k = 0; k < 4; ++k) std::memcpy(R->cmpmask + 4 * k, &a, 4);
            }
            Ref sr{};
            sr.mem = Mem::UB;
            sr.dt = DT::U8;
            sr.addr = a;
            sr.bytes = ~0ull;
            selb = local(sr, 0, (bits + 7) / 8, false, site);
        } else {
            if (from_reg) {
                c.scalar = load(d, R->cmpmask);
            } else {
                for (size_t k = 0; k + es_d <= 16; k += es_d) std::memcpy(R->cmpmask + k, &c.scalar_bits, es_d);
            }
            selb = local(c.sel, 0, (bits + 7) / 8, false, site);
        }
    }
    if (timing_only()) return;  // checked and recorded; no arithmetic
    if (is_cmp && counter && !to_reg) std::memset(od.base, 0, (n_total + 7) / 8);

    // The flat layouts (count form; a full mask with unit block and 8-block repeat strides) of the common float
    // ops run vectorised (fastmath.cpp, bit-exact), when no source partly overlaps the destination.
    if (!is_cmp && !to_reg && !reads_dst && c.op != VOp::SEL &&
        (c.op != VOp::CAST || ((c.mode == NONE_ || c.mode == RINT) && s0 != d))) {
        const bool default_strides = c.st.dst_blk == 1 && c.st.src0_blk == 1 && c.st.src1_blk == 1 &&
                                     c.st.dst_rep == 8 && c.st.src0_rep == 8 && c.st.src1_rep == 8;
        const bool flat = (counter && !strided_counter) ||
                          (!counter && !mu.counter && active.size() == epr && default_strides && es_d == es_s &&
                           epr * es_d == 8 * 32);  // a repeat is its 8 blocks: the repeats are back to back
        auto clear = [&](const Opnd& o) {
            const uint64_t a0 = o.t->addr, a1 = a0 + n_total * o.es, d0 = c.dst.addr, d1 = d0 + n_total * es_d;
            return o.t->mem != c.dst.mem || a1 <= d0 || d1 <= a0 || (a0 == d0 && o.es == es_d);
        };
        if (flat && (!has_src0 || clear(o0)) && (!has_src1 || clear(o1)) && (!has_src1 || s1 == s0) &&
            vec_fast(c.op, d, s0, od.base, has_src0 ? o0.base : nullptr, has_src1 ? o1.base : nullptr, n_total,
                     round_to(d, c.scalar))) {
            return;
        }
    }

    auto one = [&](uint64_t k, uint64_t od_off, uint64_t o0_off, uint64_t o1_off, uint64_t bit_idx, uint64_t sel_idx) {
        double a = has_src0 ? load(s0, o0.base + o0_off) : 0;
        double b = has_src1 ? load(s1, o1.base + o1_off) : 0;
        (void)k;
        if (is_cmp) {
            double rhs = c.op == VOp::CMPS ? round_to(s0, c.scalar) : b;
            bool v = cmp(c.mode, a, rhs);
            uint8_t* byte = od.base + bit_idx / 8;
            if (v) *byte |= static_cast<uint8_t>(1u << (bit_idx % 8));
            else *byte &= static_cast<uint8_t>(~(1u << (bit_idx % 8)));
            return;
        }
        if (c.op == VOp::SEL) {
            bool take0 = (selb[sel_idx / 8] >> (sel_idx % 8)) & 1u;
            double other = c.mode == 1 ? round_to(d, c.scalar) : b;
            store(d, od.base + od_off, take0 ? a : other);
            return;
        }
        if (c.op == VOp::CAST) {
            // float -> float with a rounding mode rounds to an integral value (Cast.md: the float->float row is how
            // Ascend C rounds, floors, ceils and truncates); other pairs round to the destination's precision.
            double v = s0 == d && is_float(d) ? round_integral(a, c.mode) : a;
            store(d, od.base + od_off, cast_value(d, v, c.mode));
            return;
        }
        if (c.op == VOp::DUP) {
            std::memcpy(od.base + od_off, &c.scalar_bits, es_d);
            return;
        }
        if (c.op == VOp::INDEX) {  // firstValue + the element's index (integers wrap, floats round once)
            if (is_float(d)) {
                store(d, od.base + od_off, load(d, reinterpret_cast<const uint8_t*>(&c.scalar_bits)) +
                                               static_cast<double>(k));
            } else {
                int64_t iv = static_cast<int64_t>(c.scalar) + static_cast<int64_t>(k);
                std::memcpy(od.base + od_off, &iv, es_d);
            }
            return;
        }
        const double dv = reads_dst ? load(d, od.base + od_off) : 0;
        if (c.op == VOp::FMA || c.op == VOp::FMA_RELU || c.op == VOp::MULADD_DST) {
            double v = c.op == VOp::MULADD_DST ? a * b + dv : a * dv + b;
            if (c.op == VOp::FMA_RELU) v = round_to(d, v) > 0 ? v : 0.0;
            store(d, od.base + od_off, v);
            return;
        }
        if (c.op == VOp::ADD_RELU || c.op == VOp::SUB_RELU) {
            double v = apply(c.op == VOp::ADD_RELU ? VOp::ADD : VOp::SUB, d, a, b, 0);
            if (!is_float(d)) v = static_cast<double>(static_cast<int16_t>(static_cast<int64_t>(v)));  // wraps first
            store(d, od.base + od_off, v > 0 ? v : 0.0);
            return;
        }
        if (c.op == VOp::COPY) {
            std::memmove(od.base + od_off, o0.base + o0_off, es_d);
            return;
        }
        if (c.op == VOp::SHL || c.op == VOp::SHR) {
            uint64_t raw = 0;
            std::memcpy(&raw, o0.base + o0_off, es_d);
            uint64_t v = shift(c.op, d, raw, static_cast<uint64_t>(c.scalar), c.mode == kModeRound);
            std::memcpy(od.base + od_off, &v, es_d);
            return;
        }
        if (c.op == VOp::AXPY) b = dv;
        double s = round_to(cmp_t, c.scalar);
        double v = apply(c.op, d, a, b, s);
        if (d == DT::F16 && via_float(c.op)) v = static_cast<double>(static_cast<float>(v));
        if (!is_float(d) && c.op != VOp::NOT && c.op != VOp::AND && c.op != VOp::OR) {
            // integer arithmetic wraps to the element width
            int64_t iv = static_cast<int64_t>(v);
            std::memcpy(od.base + od_off, &iv, es_d);
            return;
        }
        store(d, od.base + od_off, v);
    };

    if (strided_counter) {
        for (uint64_t k = 0; k < n_total; ++k) {
            uint64_t r = k / epr, i = k % epr;
            one(k, elem_off(i, od.es, od.blk, od.rep, r), elem_off(i, o0.es, o0.blk, o0.rep, r),
                elem_off(i, o1.es, o1.blk, o1.rep, r), k, c.mode == 0 ? i : k);
        }
    } else if (counter) {
        for (uint64_t k = 0; k < n_total; ++k) {
            uint64_t r = k / epr, i = k % epr;
            (void)r;
            uint64_t sel_idx = c.mode == 0 ? i : k;
            one(k, k * od.es, k * o0.es, k * o1.es, k, sel_idx);
        }
    } else {
        for (uint64_t r = 0; r < repeats; ++r) {
            for (uint64_t k = 0; k < mu.in_repeat(r); ++k) {
                uint64_t i = active[k];
                uint64_t bit = r * epr + i;
                one(bit, elem_off(i, od.es, od.blk, od.rep, r), elem_off(i, o0.es, o0.blk, o0.rep, r),
                    elem_off(i, o1.es, o1.blk, o1.rep, r), bit, c.mode == 0 ? i : bit);
            }
        }
    }
}

}  // namespace hawk
