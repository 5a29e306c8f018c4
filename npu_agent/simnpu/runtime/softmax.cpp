// The SoftMax family (SoftMax, SimpleSoftMax, SoftmaxFlashV2, AdjustSoftMaxRes) and its host tiling.
//
// Semantics (CANN documentation, "SoftMax"): rows of [m, k] (k the 32-byte-aligned last axis, the reductions over
// the first oriSrcK columns); max and sum outputs hold each row's value repeated over one 32-byte block; half
// inputs are computed in float and rounded once to half at the end. The record gets the vector instructions the
// library issues (Cast, reductions, Brcb, Sub, Exp, Div ...) per chunk of rows that fits the temporary buffer, all
// at the call's source line, so the cycle model costs them like the same instructions written by hand.
#include "internal.h"
#include "hawk/softmax.h"

namespace hawk {

namespace {

constexpr uint32_t kTmpExtraFloats = 64;  // per-row scratch beyond the row and its 32-byte block (library layout)

uint32_t per_block(DT d) { return static_cast<uint32_t>(32 / dt_size(d)); }

// Floats of temporary space one row needs (GetSoftMaxMinTmpSize per row).
uint32_t tmp_floats_per_row(uint32_t k, uint32_t type_size) { return 32 / type_size + k + kTmpExtraFloats; }

void rec_v(Api api, DT dt, uint64_t elems, uint64_t repeats, uint64_t addr, Site site) {
    RecordEntry& e = rec(Op::INSTR, Pipe::V, Site{api, site.line});
    e.dtype = e.src_dtype = static_cast<uint8_t>(dt);
    e.flags = RF_COUNT_FORM;
    e.src_mem = e.dst_mem = static_cast<uint8_t>(Mem::UB);
    e.src_addr = e.dst_addr = addr;
    e.bytes = elems * dt_size(dt);
    e.repeats = static_cast<uint32_t>(std::max<uint64_t>(1, repeats));
    e.a0 = static_cast<uint32_t>(elems);
    rec_done();
}

// The vector instructions of one chunk of `rows` rows of `k` columns.
void record_chunk(const SmCall& c, uint32_t rows, Site site) {
    const DT f = DT::F32;
    DT in = c.src.dt;
    uint64_t n = static_cast<uint64_t>(rows) * c.k;
    uint64_t rep = (n * 4 + 255) / 256;                       // a float pass over the chunk
    uint64_t red = static_cast<uint64_t>(rows) * ((c.k * 4 + 255) / 256);  // row reductions
    uint64_t brc = (rows + 7) / 8;
    uint64_t a = c.tmp.mem == Mem::UB ? c.tmp.addr : c.src.addr;
    if (in != f) rec_v(Api::Cast, f, n, rep, a, site);
    switch (c.kind) {
        case SmKind::SOFTMAX:
            rec_v(Api::ReduceMax, f, n, red, a, site);
            rec_v(Api::Brcb, f, rows * 8, brc, a, site);
            rec_v(Api::Sub, f, n, rep, a, site);
            rec_v(Api::Exp, f, n, rep, a, site);
            rec_v(Api::ReduceSum, f, n, red, a, site);
            rec_v(Api::Brcb, f, rows * 8, brc, a, site);
            rec_v(Api::Div, f, n, rep, a, site);
            break;
        case SmKind::SIMPLE:
            rec_v(Api::Sub, f, n, rep, a, site);
            rec_v(Api::Exp, f, n, rep, a, site);
            rec_v(Api::Div, f, n, rep, a, site);
            break;
        case SmKind::FLASH_V2:
            rec_v(Api::ReduceMax, f, n, red, a, site);
            if (c.update) rec_v(Api::Max, f, rows * 8, brc, a, site);
            rec_v(Api::Brcb, f, rows * 8, brc, a, site);
            rec_v(Api::Sub, f, n, rep, a, site);
            rec_v(Api::Exp, f, n, rep, a, site);
            rec_v(Api::ReduceSum, f, n, red, a, site);
            if (c.update) {
                rec_v(Api::Sub, f, rows * 8, brc, a, site);
                rec_v(Api::Exp, f, rows * 8, brc, a, site);
                rec_v(Api::Mul, f, rows * 8, brc, a, site);
                rec_v(Api::Add, f, rows * 8, brc, a, site);
            }
            rec_v(Api::Brcb, f, rows * 8, brc, a, site);
            break;
        case SmKind::ADJUST:
            break;
    }
    if (c.dst.dt != f) rec_v(Api::Cast, c.dst.dt, n, rep, a, site);
}

// Row r's value of a [m, 32 B] sum/max tensor.
double row_value(const Ref& t, const uint8_t* base, uint32_t r) {
    return load(t.dt, base + static_cast<uint64_t>(r) * 32);
}
void set_row_value(const Ref& t, uint8_t* base, uint32_t r, double v) {
    size_t es = dt_size(t.dt);
    for (uint32_t j = 0; j < per_block(t.dt); ++j) store(t.dt, base + static_cast<uint64_t>(r) * 32 + j * es, v);
}

uint8_t* operand(const Ref& t, uint64_t bytes, bool write, const char* what, Site site) {
    if (t.mem != Mem::UB) {
        fault(Kind::INVALID_PARAMETER, t.mem, site, "%s must be a LocalTensor in VECIN/VECCALC/VECOUT (UB), not %s",
              what, mem_name(t.mem));
    }
    return local(t, 0, bytes, write, site);
}

}  // namespace

bool softmax(const SmCall& c, Site site) {
    need_core(Core::AIV, site);
    g.last_line = site.line;
    g.last_api = site.api;
    if (c.nz) fault(Kind::UNSUPPORTED_API, Mem::NONE, site, "SoftMax APIs with isDataFormatNZ are not modelled");
    if (!dt_in(c.dst.dt, {DT::F16, DT::F32}) || (c.src.mem != Mem::NONE && c.src.dt != c.dst.dt)) {
        dtype_fault(site, c.dst.dt, "half, float");
    }
    const uint32_t m = c.m, k = c.k;
    if (m == 0 || k == 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "SoftMax shape [%u, %u] is empty (SoftMaxShapeInfo / tiling)",
              m, k);
    }
    const size_t ed = dt_size(c.dst.dt);
    if ((static_cast<uint64_t>(k) * ed) % 32) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "SoftMax srcK %u is not 32-byte aligned (%zu-byte elements); pad the last axis and give oriSrcK", k, ed);
    }
    const uint32_t ok = std::min(c.ori_k ? c.ori_k : k, k);
    const uint64_t n = static_cast<uint64_t>(m) * k;
    uint8_t* D = operand(c.dst, n * ed, true, c.kind == SmKind::ADJUST ? "softMaxRes" : "dstTensor", site);
    if (c.kind == SmKind::ADJUST) {
        const uint8_t* MX = operand(c.max, static_cast<uint64_t>(m) * 32, false, "maxTensor", site);
        size_t em = dt_size(c.max.dt);
        bool any = false;
        note_data_read("AdjustSoftMaxRes (its result says whether a row matched)", site);
        for (uint32_t r = 0; r < m && !timing_only(); ++r) {
            uint32_t bits = 0;
            std::memcpy(&bits, MX + static_cast<uint64_t>(r) * 32, em);
            if (bits != c.adjust_from) continue;
            any = true;
            for (uint32_t j = 0; j < k; ++j) store(c.dst.dt, D + (static_cast<uint64_t>(r) * k + j) * ed, c.adjust_to);
        }
        uint64_t rep = (n * ed + 255) / 256;
        rec_v(Api::Compare, c.max.dt, m * per_block(c.max.dt), (m + 7) / 8, c.max.addr, site);
        rec_v(Api::Select, c.dst.dt, n, rep, c.dst.addr, site);
        return any;
    }
    const uint8_t* S = operand(c.src, n * ed, false, "srcTensor", site);
    uint8_t *SUM = nullptr, *MAX = nullptr, *EMAX = nullptr;
    const uint8_t *ISUM = nullptr, *IMAX = nullptr;
    const bool outs = c.has_sum_max || c.kind == SmKind::FLASH_V2;
    if (outs) {
        if (c.sum.dt != c.max.dt || !dt_in(c.sum.dt, {DT::F16, DT::F32})) {
            fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
                  "sumTensor and maxTensor must have one type, half or float (got %s and %s)", dt_name(c.sum.dt),
                  dt_name(c.max.dt));
        }
        SUM = operand(c.sum, static_cast<uint64_t>(m) * 32, true, "sumTensor", site);
        MAX = operand(c.max, static_cast<uint64_t>(m) * 32, true, "maxTensor", site);
    }
    if (c.kind == SmKind::SIMPLE || (c.kind == SmKind::FLASH_V2 && c.update)) {
        ISUM = operand(c.in_sum, static_cast<uint64_t>(m) * 32, false, "inSumTensor", site);
        IMAX = operand(c.in_max, static_cast<uint64_t>(m) * 32, false, "inMaxTensor", site);
    }
    if (c.kind == SmKind::FLASH_V2 && c.update) {
        EMAX = operand(c.exp_max, static_cast<uint64_t>(m) * 32, true, "expMaxTensor", site);
    }
    // Rows per pass: what the temporary buffer holds (the tiling's splitM when it is consistent).
    const uint32_t per_row = tmp_floats_per_row(k, static_cast<uint32_t>(ed));
    uint32_t chunk = m;
    if (c.has_tmp) {
        uint64_t tmp_bytes = c.tmp.bytes;
        if (tmp_bytes < static_cast<uint64_t>(per_row) * 4) {
            fault(Kind::INVALID_PARAMETER, Mem::UB, site,
                  "sharedTmpBuffer has %llu bytes; one row of %u needs %u (GetSoftMaxMinTmpSize)",
                  static_cast<unsigned long long>(tmp_bytes), k, per_row * 4);
        }
        local(c.tmp, 0, static_cast<uint64_t>(per_row) * 4, true, site);
        chunk = static_cast<uint32_t>(std::min<uint64_t>(m, tmp_bytes / 4 / per_row));
    } else if (c.tiling.splitM) {
        chunk = std::min(m, c.tiling.splitM);
    }
    chunk = std::max<uint32_t>(1, chunk);
    std::vector<float> row(k);
    const DT od = outs ? c.sum.dt : DT::F32;
    for (uint32_t r0 = 0; r0 < m; r0 += chunk) {
        uint32_t rows = std::min(chunk, m - r0);
        record_chunk(c, rows, site);
        if (timing_only()) continue;  // checked and recorded; no arithmetic
        for (uint32_t r = r0; r < r0 + rows; ++r) {
            for (uint32_t j = 0; j < k; ++j) row[j] = static_cast<float>(load(c.src.dt, S + (uint64_t(r) * k + j) * ed));
            float mx = 0, sm = 0;
            if (c.kind == SmKind::SIMPLE) {
                mx = static_cast<float>(row_value(c.in_max, IMAX, r));
                sm = static_cast<float>(row_value(c.in_sum, ISUM, r));
            } else {
                mx = row[0];
                for (uint32_t j = 1; j < ok; ++j) mx = std::max(mx, row[j]);
            }
            float in_mx = 0, emax = 1;
            if (c.kind == SmKind::FLASH_V2 && c.update) {
                in_mx = static_cast<float>(row_value(c.in_max, IMAX, r));
                mx = std::max(mx, in_mx);
                emax = std::exp(in_mx - mx);
            }
            // exp(x - max), and its row sum over the original columns (in float, as the vector unit adds).
            double acc = 0;
            for (uint32_t j = 0; j < k; ++j) {
                row[j] = std::exp(row[j] - mx);
                if (j < ok) acc += row[j];
            }
            if (c.kind != SmKind::SIMPLE) sm = static_cast<float>(acc);
            if (c.kind == SmKind::FLASH_V2 && c.update) {
                sm = emax * static_cast<float>(row_value(c.in_sum, ISUM, r)) + sm;
            }
            const bool divide = c.kind != SmKind::FLASH_V2;
            for (uint32_t j = 0; j < k; ++j) {
                float v = divide ? row[j] / sm : row[j];
                store(c.dst.dt, D + (uint64_t(r) * k + j) * ed, v);
            }
            if (outs) {
                set_row_value(c.max, MAX, r, round_to(od, mx));
                set_row_value(c.sum, SUM, r, round_to(od, sm));
            }
            if (EMAX) set_row_value(c.exp_max, EMAX, r, emax);
        }
    }
    return true;
}

}  // namespace hawk

// ====================================================================================== host tiling
namespace AscendC {

namespace {
void last_axis(const TensorShape& s, uint32_t& m, uint32_t& k) {
    std::vector<int64_t> d = s.GetDims();
    k = d.empty() ? 0 : static_cast<uint32_t>(d.back());
    int64_t total = s.GetShapeSize();
    m = k ? static_cast<uint32_t>(total / k) : 0;
}
}  // namespace

uint32_t GetSoftMaxMaxTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize, const bool) {
    uint32_t m, k;
    last_axis(srcShape, m, k);
    if (m == 0 || (dataTypeSize != 2 && dataTypeSize != 4)) return 0;
    return m * hawk::tmp_floats_per_row(k, dataTypeSize) * 4;
}

uint32_t GetSoftMaxMinTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize, const bool) {
    uint32_t m, k;
    last_axis(srcShape, m, k);
    if (m == 0 || (dataTypeSize != 2 && dataTypeSize != 4)) return 0;
    return hawk::tmp_floats_per_row(k, dataTypeSize) * 4;
}

// The documented SoftMaxTiling: the shape, the [m, 32 B] max/sum outputs, and the rows per pass (splitM) that
// the temporary space holds (a multiple of 8 rows when not all rows fit), with the tail pass.
void SoftMaxTilingFunc(const TensorShape& srcShape, const uint32_t dataTypeSize, const uint32_t localWorkSpaceSize,
                       SoftMaxTiling& t) {
    uint32_t m, k;
    last_axis(srcShape, m, k);
    t = SoftMaxTiling{};
    if (m == 0 || k == 0 || (dataTypeSize != 2 && dataTypeSize != 4)) return;
    const uint32_t epb = 32 / dataTypeSize;
    uint32_t base = std::min(localWorkSpaceSize / 4 / hawk::tmp_floats_per_row(k, dataTypeSize), m);
    if (base < m && base > 8) base = base / 8 * 8;
    t.srcM = m;
    t.srcK = k;
    t.srcSize = m * k;
    t.outMaxM = m;
    t.outMaxK = epb;
    t.outMaxSize = m * epb;
    t.splitM = base;
    t.splitK = k;
    t.splitSize = base * k;
    t.reduceM = base;
    t.reduceK = epb;
    t.reduceSize = base * epb;
    t.rangeM = base ? m / base : 0;
    t.tailM = base ? m % base : 0;
    t.tailSplitSize = t.tailM * k;
    t.tailReduceSize = t.tailM * epb;
}

bool IsBasicBlockInSoftMax(SoftMaxTiling& t, const uint32_t dataTypeSize) {
    return dataTypeSize && t.srcK < 2048 && t.srcK >= 256 / dataTypeSize && t.srcK % 64 == 0 && t.splitM % 8 == 0;
}

uint32_t GetSoftMaxFlashV2MinTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize1, const uint32_t,
                                     const bool isUpdate, const bool, const bool) {
    uint32_t base = GetSoftMaxMinTmpSize(srcShape, dataTypeSize1, false);
    return base ? base + (isUpdate ? 2 * 32 : 0) : 0;
}

uint32_t GetSoftMaxFlashV2MaxTmpSize(const TensorShape& srcShape, const uint32_t dataTypeSize1, const uint32_t,
                                     const bool isUpdate, const bool, const bool) {
    uint32_t m, k;
    last_axis(srcShape, m, k);
    uint32_t base = GetSoftMaxMaxTmpSize(srcShape, dataTypeSize1, false);
    return base ? base + (isUpdate ? m * 2 * 32 : 0) : 0;
}

void SoftMaxFlashV2TilingFunc(const TensorShape& srcShape, const uint32_t dataTypeSize1, const uint32_t,
                              const uint32_t localWorkSpaceSize, SoftMaxTiling& t, const bool, const bool,
                              const bool) {
    SoftMaxTilingFunc(srcShape, dataTypeSize1, localWorkSpaceSize, t);
}

}  // namespace AscendC
