// The normalisation, reduction and broadcast high-level APIs (LayerNorm, LayerNormGrad, LayerNormGradBeta, RmsNorm,
// Sum, Broadcast), PopStackBuffer and their host tiling.
//
// Semantics (CANN documentation, 高阶API 归一化操作 / 归约操作 / 张量变换): rows of [B, S, H] (H 32-byte aligned);
// half data is computed in float and rounded once at the end, as the library does. Temporary space is the
// sharedTmpBuffer, or, in the forms without one, the UB the kernel's TPipe left free (the framework takes it with
// PopStackBuffer): a call with less than one row's worth is an INVALID_PARAMETER exception naming the minimum
// (Get*MaxMinTmpSize). The record gets the vector instructions the library issues per pass of as many rows as that
// space holds (Cast, Muls, ReduceSum, Brcb, Sub, Mul, Adds, Sqrt/Ln/Exp, Div, Add, Copy ...), all at the call's
// source line, so the cycle model costs them like the same instructions written by hand.
//
// The temporary-space sizes and tiling fields are the twin's own layout (the documentation fixes neither): per
// row, the float rows the documented algorithm keeps live plus one 32-byte block per row-wise result.
#include "internal.h"
#include "hawk/norms.h"

namespace hawk {

namespace {

constexpr uint32_t kBlockFloats = 8;  // one 32-byte block of float: a row's mean/variance/sum slot

uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }
uint64_t align_up(uint64_t a, uint64_t b) { return ceil_div(a, b) * b; }

// Floats of temporary space one row needs, per API (H = the row length, ts = the data's byte size).
uint32_t ln_row_floats(uint32_t h, uint32_t ts) { return (ts == 2 ? 3 : 2) * h + 2 * kBlockFloats; }
uint32_t ln_rstd_row_floats(uint32_t r, uint32_t ts) { return (ts == 2 ? 2 : 1) * r + 2 * kBlockFloats; }
uint32_t grad_row_floats(uint32_t h, uint32_t ts) { return (ts == 2 ? 6 : 4) * h + 4 * kBlockFloats; }
uint32_t grad_beta_row_floats(uint32_t h, uint32_t ts) { return ts == 2 ? 2 * h : h; }
uint32_t grad_beta_fixed_floats(uint32_t h) { return 2 * h; }  // the pd_gamma / pd_beta accumulators
uint32_t rms_row_floats(uint32_t h, uint32_t ts) { return (ts == 2 ? 2 : 1) * h + kBlockFloats; }
// Sum: one partial sum per 256-byte repeat of a row (ReduceSum's work area), at least one 32-byte block.
uint32_t sum_tmp_bytes(uint32_t n, uint32_t ts) {
    uint64_t reps = std::max<uint64_t>(1, ceil_div(static_cast<uint64_t>(n) * ts, 256));
    return static_cast<uint32_t>(align_up(reps * ts, 32));
}

void rec_v(Api api, DT dt, uint64_t elems, uint64_t addr, Site site) {
    RecordEntry& e = rec(Op::INSTR, Pipe::V, Site{api, site.line});
    e.dtype = e.src_dtype = static_cast<uint8_t>(dt);
    e.flags = RF_COUNT_FORM;
    e.src_mem = e.dst_mem = static_cast<uint8_t>(Mem::UB);
    e.src_addr = e.dst_addr = addr;
    e.bytes = elems * dt_size(dt);
    e.repeats = static_cast<uint32_t>(std::max<uint64_t>(1, ceil_div(elems * dt_size(dt), 256)));
    e.a0 = static_cast<uint32_t>(elems);
    rec_done();
}

uint8_t* operand(const Ref& t, uint64_t bytes, bool write, const char* what, Site site) {
    if (t.mem != Mem::UB) {
        fault(Kind::INVALID_PARAMETER, t.mem, site, "%s must be a LocalTensor in VECIN/VECCALC/VECOUT (UB), not %s",
              what, mem_name(t.mem));
    }
    return local(t, 0, bytes, write, site);
}

float fsum(const std::vector<float>& v, uint32_t n) {
    float acc = 0;
    for (uint32_t i = 0; i < n && i < v.size(); ++i) acc += v[i];
    return acc;
}

// The temporary space of a call: its bytes and UB address (for the record). `fixed` bytes plus `per_row` bytes a
// row; returns the rows a pass holds (at least 1, at most `rows`).
uint32_t tmp_rows(const NormCall& c, uint64_t fixed, uint64_t per_row, uint32_t rows, const char* api,
                  const char* getter, uint64_t* addr, Site site) {
    Ref t = c.tmp;
    if (!c.has_tmp) t = pipe_stack(c.pipe, static_cast<int>(AscendC::TPosition::VECCALC), DT::U8, site);
    const uint64_t need = fixed + per_row;
    if (t.bytes < need) {
        if (c.has_tmp) {
            fault(Kind::INVALID_PARAMETER, Mem::UB, site,
                  "%s: sharedTmpBuffer has %llu bytes; one row needs %llu (%s gives the minimum)", api,
                  static_cast<unsigned long long>(t.bytes), static_cast<unsigned long long>(need), getter);
        }
        fault(Kind::INVALID_PARAMETER, Mem::UB, site,
              "%s without a sharedTmpBuffer takes its temporary space from the UB the TPipe left free (%llu bytes "
              "at 0x%llx); one row needs %llu (%s gives the minimum): reserve it or pass a sharedTmpBuffer",
              api, static_cast<unsigned long long>(t.bytes), static_cast<unsigned long long>(t.addr),
              static_cast<unsigned long long>(need), getter);
    }
    local(t, 0, need, true, site);
    *addr = t.addr;
    uint64_t r = per_row ? (t.bytes - fixed) / per_row : rows;
    return static_cast<uint32_t>(std::max<uint64_t>(1, std::min<uint64_t>(rows, r)));
}

void need_float(Site site, DT d) {
    if (!dt_in(d, {DT::F16, DT::F32})) dtype_fault(site, d, "half, float");
}
void same_dtype(Site site, DT want, DT got, const char* what) {
    if (got != want) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site, "%s is %s; it must have the type of the output (%s)", what,
              dt_name(got), dt_name(want));
    }
}
void aligned_row(Site site, const char* api, uint32_t h, size_t ts) {
    if (h == 0 || (static_cast<uint64_t>(h) * ts) % 32) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "%s: the last axis (%u elements of %zu bytes) must be non-empty and 32-byte aligned (pad it with zeros)",
              api, h, ts);
    }
}
void nonzero_rows(Site site, const char* api, uint64_t rows) {
    if (rows == 0) fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "%s: the shape has no rows (check the tiling)", api);
}

// ------------------------------------------------------------------------------------------- LayerNorm
void layernorm(const NormCall& c, Site site) {
    const DT t = c.out[0].dt;
    need_float(site, t);
    for (int i = 1; i < 3; ++i) same_dtype(site, t, c.out[i].dt, i == 1 ? "outputMean" : "outputVariance");
    const char* in_names[] = {"inputX", "gamma", "beta"};
    for (int i = 0; i < 3; ++i) same_dtype(site, t, c.in[i].dt, in_names[i]);
    const uint32_t h = c.dim[2], oh = c.dim[3] && c.dim[3] < h ? c.dim[3] : h;
    const uint64_t rows = static_cast<uint64_t>(c.dim[0]) * c.dim[1];
    const size_t ts = dt_size(t);
    aligned_row(site, "LayerNorm", h, ts);
    nonzero_rows(site, "LayerNorm", rows);
    const uint8_t* X = operand(c.in[0], rows * h * ts, false, "inputX", site);
    const uint8_t* G = operand(c.in[1], h * ts, false, "gamma", site);
    const uint8_t* B = operand(c.in[2], h * ts, false, "beta", site);
    uint8_t* Y = operand(c.out[0], rows * h * ts, true, "output", site);
    uint8_t* M = operand(c.out[1], rows * ts, true, "outputMean", site);
    uint8_t* V = operand(c.out[2], rows * ts, true, "outputVariance", site);
    uint64_t ta = 0;
    const uint32_t chunk = tmp_rows(c, 0, ln_row_floats(h, static_cast<uint32_t>(ts)) * 4ull, static_cast<uint32_t>(rows),
                                    "LayerNorm", "GetLayerNormMaxMinTmpSize", &ta, site);
    const float recip = c.recip > 0 ? c.recip : 1.0f / static_cast<float>(oh);
    const float eps = static_cast<float>(c.eps);
    std::vector<float> x(h), d(h), g(h), b(h);
    for (uint32_t j = 0; j < h; ++j) {
        g[j] = static_cast<float>(load(t, G + j * ts));
        b[j] = static_cast<float>(load(t, B + j * ts));
    }
    for (uint64_t r0 = 0; r0 < rows; r0 += chunk) {
        const uint64_t n = std::min<uint64_t>(chunk, rows - r0);
        const uint64_t e = n * h, blk = n * kBlockFloats;
        if (t != DT::F32) rec_v(Api::Cast, DT::F32, e, ta, site);
        for (Api a : {Api::Muls, Api::ReduceSum}) rec_v(a, DT::F32, e, ta, site);
        rec_v(Api::Brcb, DT::F32, blk, ta, site);
        for (Api a : {Api::Sub, Api::Mul, Api::Muls, Api::ReduceSum}) rec_v(a, DT::F32, e, ta, site);
        for (Api a : {Api::Adds, Api::Ln, Api::Muls, Api::Exp, Api::Brcb}) rec_v(a, DT::F32, blk, ta, site);
        for (Api a : {Api::Mul, Api::Mul, Api::Add}) rec_v(a, DT::F32, e, ta, site);
        if (t != DT::F32) rec_v(Api::Cast, t, e + 2 * n, ta, site);
        for (uint64_t r = r0; r < r0 + n && !timing_only(); ++r) {  // timing-only: no arithmetic
            for (uint32_t j = 0; j < h; ++j) x[j] = static_cast<float>(load(t, X + (r * h + j) * ts));
            for (uint32_t j = 0; j < h; ++j) d[j] = x[j] * recip;
            const float mean = fsum(d, oh);
            for (uint32_t j = 0; j < h; ++j) {
                d[j] = x[j] - mean;
                x[j] = d[j] * d[j] * recip;
            }
            const float var = fsum(x, oh);
            const float rstd = 1.0f / std::sqrt(var + eps);
            for (uint32_t j = 0; j < h; ++j) store(t, Y + (r * h + j) * ts, d[j] * rstd * g[j] + b[j]);
            store(t, M + r * ts, mean);
            store(t, V + r * ts, var);
        }
    }
}

// [A, R] with rstd: gamma/beta of type U (at least the precision of x), float mean and rstd.
void layernorm_rstd(const NormCall& c, Site site) {
    const DT t = c.out[0].dt, u = c.in[1].dt;
    need_float(site, t);
    same_dtype(site, t, c.in[0].dt, "inputX");
    if (!dt_in(u, {DT::F16, DT::F32}) || c.in[2].dt != u || (t == DT::F32 && u != DT::F32)) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site,
              "LayerNorm: gamma and beta (%s, %s) must share one type of at least the precision of inputX (%s)",
              dt_name(u), dt_name(c.in[2].dt), dt_name(t));
    }
    if (c.out[1].dt != DT::F32 || c.out[2].dt != DT::F32) {
        fault(Kind::UNSUPPORTED_DTYPE, Mem::NONE, site, "LayerNorm: outputMean and outputRstd must be float");
    }
    const uint64_t rows = c.dim[0];
    const uint32_t rp = c.dim[2] ? c.dim[2] : c.dim[1], r_len = std::min(c.dim[1] ? c.dim[1] : rp, rp);
    const size_t ts = dt_size(t), us = dt_size(u);
    aligned_row(site, "LayerNorm", rp, ts);
    nonzero_rows(site, "LayerNorm", rows);
    const uint8_t* X = operand(c.in[0], rows * rp * ts, false, "inputX", site);
    const uint8_t* G = c.no_gamma ? nullptr : operand(c.in[1], r_len * us, false, "gamma", site);
    const uint8_t* B = c.no_beta ? nullptr : operand(c.in[2], r_len * us, false, "beta", site);
    uint8_t* Y = operand(c.out[0], rows * rp * ts, true, "output", site);
    uint8_t* M = operand(c.out[1], rows * 4, true, "outputMean", site);
    uint8_t* RS = operand(c.out[2], rows * 4, true, "outputRstd", site);
    uint64_t ta = 0;
    const uint32_t chunk = tmp_rows(c, 0, ln_rstd_row_floats(rp, static_cast<uint32_t>(ts)) * 4ull,
                                    static_cast<uint32_t>(rows), "LayerNorm", "GetLayerNormMaxMinTmpSize", &ta, site);
    const float recip = c.recip > 0 ? c.recip : 1.0f / static_cast<float>(r_len);
    const float eps = static_cast<float>(c.eps);
    std::vector<float> x(rp), d(rp);
    for (uint64_t r0 = 0; r0 < rows; r0 += chunk) {
        const uint64_t n = std::min<uint64_t>(chunk, rows - r0);
        const uint64_t e = n * rp;
        if (t != DT::F32) rec_v(Api::Cast, DT::F32, e, ta, site);
        for (Api a : {Api::Muls, Api::Add, Api::WholeReduceSum, Api::Sub, Api::Mul, Api::Add, Api::WholeReduceSum})
            rec_v(a, DT::F32, e, ta, site);
        rec_v(Api::Rsqrt, DT::F32, n * kBlockFloats, ta, site);
        for (Api a : {Api::Sub, Api::Mul, Api::Mul, Api::Add}) rec_v(a, DT::F32, e, ta, site);
        if (t != DT::F32) rec_v(Api::Cast, t, e, ta, site);
        for (uint64_t r = r0; r < r0 + n && !timing_only(); ++r) {  // timing-only: no arithmetic
            for (uint32_t j = 0; j < r_len; ++j) x[j] = static_cast<float>(load(t, X + (r * rp + j) * ts));
            for (uint32_t j = 0; j < r_len; ++j) d[j] = x[j] * recip;
            const float mean = fsum(d, r_len);
            for (uint32_t j = 0; j < r_len; ++j) {
                d[j] = x[j] - mean;
                x[j] = d[j] * d[j] * recip;
            }
            const float rstd = 1.0f / std::sqrt(fsum(x, r_len) + eps);
            for (uint32_t j = 0; j < r_len; ++j) {
                float y = d[j] * rstd;
                if (G) y *= static_cast<float>(load(u, G + j * us));
                if (B) y += static_cast<float>(load(u, B + j * us));
                store(t, Y + (r * rp + j) * ts, y);
            }
            store(DT::F32, M + r * 4, mean);
            store(DT::F32, RS + r * 4, rstd);
        }
    }
}

// ----------------------------------------------------------------------------------------- LayerNormGrad
void layernorm_grad(const NormCall& c, Site site) {
    const DT t = c.out[0].dt;
    need_float(site, t);
    same_dtype(site, t, c.out[1].dt, "resForGamma");
    const char* in_names[] = {"inputDy", "inputX", "inputVariance", "inputMean", "inputGamma"};
    for (int i = 0; i < 5; ++i) same_dtype(site, t, c.in[i].dt, in_names[i]);
    const uint32_t h = c.dim[2], oh = c.dim[3] && c.dim[3] < h ? c.dim[3] : h;
    const uint64_t rows = static_cast<uint64_t>(c.dim[0]) * c.dim[1];
    const size_t ts = dt_size(t);
    aligned_row(site, "LayerNormGrad", h, ts);
    nonzero_rows(site, "LayerNormGrad", rows);
    const uint8_t* DY = operand(c.in[0], rows * h * ts, false, "inputDy", site);
    const uint8_t* X = operand(c.in[1], rows * h * ts, false, "inputX", site);
    const uint8_t* VAR = operand(c.in[2], rows * ts, false, "inputVariance", site);
    const uint8_t* MEAN = operand(c.in[3], rows * ts, false, "inputMean", site);
    const uint8_t* G = operand(c.in[4], h * ts, false, "inputGamma", site);
    uint8_t* PDX = operand(c.out[0], rows * h * ts, true, "outputPdX", site);
    uint8_t* RES = operand(c.out[1], rows * h * ts, true, "resForGamma", site);
    uint64_t ta = 0;
    const uint32_t chunk = tmp_rows(c, 0, grad_row_floats(h, static_cast<uint32_t>(ts)) * 4ull,
                                    static_cast<uint32_t>(rows), "LayerNormGrad", "GetLayerNormGradMaxMinTmpSize",
                                    &ta, site);
    const float eps = static_cast<float>(c.eps);
    const float inv_h = 1.0f / static_cast<float>(oh);
    std::vector<float> g(h), pdxl(h), xm(h), a(h), b(h);
    for (uint32_t j = 0; j < h; ++j) g[j] = static_cast<float>(load(t, G + j * ts));
    for (uint64_t r0 = 0; r0 < rows; r0 += chunk) {
        const uint64_t n = std::min<uint64_t>(chunk, rows - r0);
        const uint64_t e = n * h, blk = n * kBlockFloats;
        if (t != DT::F32) rec_v(Api::Cast, DT::F32, 3 * e, ta, site);
        rec_v(Api::Mul, DT::F32, e, ta, site);                                  // pd_xl = dy * gamma
        rec_v(Api::Brcb, DT::F32, blk, ta, site);
        rec_v(Api::Sub, DT::F32, e, ta, site);                                  // x - mean
        for (Api op : {Api::Adds, Api::Sqrt, Api::Div, Api::Mul, Api::Mul}) rec_v(op, DT::F32, blk, ta, site);
        for (Api op : {Api::Mul, Api::Mul, Api::Muls, Api::ReduceSum}) rec_v(op, DT::F32, e, ta, site);  // pd_var
        for (Api op : {Api::Mul, Api::Muls, Api::ReduceSum, Api::Muls, Api::ReduceSum}) rec_v(op, DT::F32, e, ta, site);
        rec_v(Api::Mul, DT::F32, e, ta, site);                                  // res_for_gamma
        for (Api op : {Api::Brcb, Api::Brcb}) rec_v(op, DT::F32, blk, ta, site);
        for (Api op : {Api::Mul, Api::Mul, Api::Add, Api::Add}) rec_v(op, DT::F32, e, ta, site);  // pd_x
        if (t != DT::F32) rec_v(Api::Cast, t, 2 * e, ta, site);
        for (uint64_t r = r0; r < r0 + n && !timing_only(); ++r) {  // timing-only: no arithmetic
            const float var = static_cast<float>(load(t, VAR + r * ts));
            const float mean = static_cast<float>(load(t, MEAN + r * ts));
            const float rs = 1.0f / std::sqrt(var + eps);   // (var + eps)^-0.5
            const float rs3 = rs * rs * rs;                  // (var + eps)^-1.5
            for (uint32_t j = 0; j < h; ++j) {
                pdxl[j] = static_cast<float>(load(t, DY + (r * h + j) * ts)) * g[j];
                xm[j] = static_cast<float>(load(t, X + (r * h + j) * ts)) - mean;
                a[j] = -0.5f * pdxl[j] * xm[j] * rs3;
                b[j] = -pdxl[j] * rs;
            }
            const float pd_var = fsum(a, oh);
            for (uint32_t j = 0; j < h; ++j) a[j] = -2.0f * xm[j];
            const float pd_mean = fsum(b, oh) + pd_var * inv_h * fsum(a, oh);
            for (uint32_t j = 0; j < h; ++j) {
                store(t, PDX + (r * h + j) * ts, pdxl[j] * rs + pd_var * (2.0f * inv_h) * xm[j] + pd_mean * inv_h);
                store(t, RES + (r * h + j) * ts, xm[j] * rs);
            }
        }
    }
}

void layernorm_grad_beta(const NormCall& c, Site site) {
    const DT t = c.out[0].dt;
    need_float(site, t);
    same_dtype(site, t, c.out[1].dt, "outputPdBeta");
    same_dtype(site, t, c.in[0].dt, "resForGamma");
    same_dtype(site, t, c.in[1].dt, "inputDy");
    const uint32_t h = c.dim[2];
    const uint64_t rows = static_cast<uint64_t>(c.dim[0]) * c.dim[1];
    const size_t ts = dt_size(t);
    aligned_row(site, "LayerNormGradBeta", h, ts);
    nonzero_rows(site, "LayerNormGradBeta", rows);
    const uint8_t* RES = operand(c.in[0], rows * h * ts, false, "resForGamma", site);
    const uint8_t* DY = operand(c.in[1], rows * h * ts, false, "inputDy", site);
    uint8_t* PG = operand(c.out[0], h * ts, true, "outputPdGamma", site);
    uint8_t* PB = operand(c.out[1], h * ts, true, "outputPdBeta", site);
    uint64_t ta = 0;
    const uint32_t chunk = tmp_rows(c, grad_beta_fixed_floats(h) * 4ull,
                                    grad_beta_row_floats(h, static_cast<uint32_t>(ts)) * 4ull,
                                    static_cast<uint32_t>(rows), "LayerNormGradBeta",
                                    "GetLayerNormGradBetaMaxMinTmpSize", &ta, site);
    std::vector<float> pg(h, 0.0f), pb(h, 0.0f);
    rec_v(Api::Duplicate, DT::F32, 2ull * h, ta, site);
    for (uint64_t r0 = 0; r0 < rows; r0 += chunk) {
        const uint64_t n = std::min<uint64_t>(chunk, rows - r0);
        if (t != DT::F32) rec_v(Api::Cast, DT::F32, 2 * n * h, ta, site);
        rec_v(Api::Mul, DT::F32, n * h, ta, site);
        for (uint64_t k = 0; k < 2 * n; ++k) rec_v(Api::Add, DT::F32, h, ta, site);  // row-wise accumulation
        for (uint64_t r = r0; r < r0 + n && !timing_only(); ++r) {  // timing-only: no arithmetic
            for (uint32_t j = 0; j < h; ++j) {
                const float dy = static_cast<float>(load(t, DY + (r * h + j) * ts));
                pg[j] += dy * static_cast<float>(load(t, RES + (r * h + j) * ts));
                pb[j] += dy;
            }
        }
    }
    if (t != DT::F32) rec_v(Api::Cast, t, 2ull * h, ta, site);
    for (uint32_t j = 0; j < h; ++j) {
        store(t, PG + j * ts, pg[j]);
        store(t, PB + j * ts, pb[j]);
    }
}

// ----------------------------------------------------------------------------------------------- RmsNorm
void rmsnorm(const NormCall& c, Site site) {
    const DT t = c.out[0].dt;
    need_float(site, t);
    same_dtype(site, t, c.in[0].dt, "srcLocal");
    same_dtype(site, t, c.in[1].dt, "gammaLocal");
    const uint32_t h = c.dim[2], oh = c.dim[3] && c.dim[3] < h ? c.dim[3] : h;
    const uint64_t rows = static_cast<uint64_t>(c.dim[0]) * c.dim[1];
    const size_t ts = dt_size(t);
    aligned_row(site, "RmsNorm", h, ts);
    nonzero_rows(site, "RmsNorm", rows);
    const uint8_t* X = operand(c.in[0], rows * h * ts, false, "srcLocal", site);
    const uint8_t* G = operand(c.in[1], h * ts, false, "gammaLocal", site);
    uint8_t* Y = operand(c.out[0], rows * h * ts, true, "dstLocal", site);
    if (c.out[0].addr < c.in[1].addr + h * ts && c.in[1].addr < c.out[0].addr + rows * h * ts) {
        warn(site, "RmsNorm: dstLocal and gammaLocal overlap, which the documentation forbids");
    }
    uint64_t ta = 0;
    const uint32_t chunk = tmp_rows(c, 0, rms_row_floats(h, static_cast<uint32_t>(ts)) * 4ull,
                                    static_cast<uint32_t>(rows), "RmsNorm", "GetRmsNormMaxMinTmpSize", &ta, site);
    const float recip = c.recip > 0 ? c.recip : 1.0f / static_cast<float>(oh);
    const float eps = static_cast<float>(c.eps);
    std::vector<float> g(h), x(h), sq(h);
    for (uint32_t j = 0; j < h; ++j) g[j] = static_cast<float>(load(t, G + j * ts));
    for (uint64_t r0 = 0; r0 < rows; r0 += chunk) {
        const uint64_t n = std::min<uint64_t>(chunk, rows - r0);
        const uint64_t e = n * h, blk = n * kBlockFloats;
        if (t != DT::F32) rec_v(Api::Cast, DT::F32, e, ta, site);
        for (Api a : {Api::Mul, Api::Muls, Api::ReduceSum}) rec_v(a, DT::F32, e, ta, site);
        for (Api a : {Api::Adds, Api::Sqrt, Api::Div, Api::Brcb}) rec_v(a, DT::F32, blk, ta, site);
        for (Api a : {Api::Mul, Api::Mul}) rec_v(a, DT::F32, e, ta, site);
        if (t != DT::F32) rec_v(Api::Cast, t, e, ta, site);
        for (uint64_t r = r0; r < r0 + n && !timing_only(); ++r) {  // timing-only: no arithmetic
            for (uint32_t j = 0; j < h; ++j) {
                x[j] = static_cast<float>(load(t, X + (r * h + j) * ts));
                sq[j] = x[j] * x[j] * recip;
            }
            const float rstd = 1.0f / std::sqrt(fsum(sq, oh) + eps);
            for (uint32_t j = 0; j < h; ++j) store(t, Y + (r * h + j) * ts, x[j] * rstd * g[j]);
        }
    }
}

// --------------------------------------------------------------------------------------------------- Sum
void sum(const NormCall& c, Site site) {
    const DT t = c.out[0].dt;
    need_float(site, t);
    same_dtype(site, t, c.in[0].dt, "srcTensor");
    const uint32_t outter = c.dim[0], inner = c.dim[1], n = c.dim[2];
    const size_t ts = dt_size(t);
    aligned_row(site, "Sum", inner, ts);
    if (n == 0 || n > inner || outter == 0) {
        fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
              "Sum: SumParams{outter %u, inner %u, n %u} must have 1 <= n <= inner and outter >= 1", outter, inner, n);
    }
    const uint8_t* S = operand(c.in[0], static_cast<uint64_t>(outter) * inner * ts, false, "srcTensor", site);
    uint8_t* D = operand(c.out[0], static_cast<uint64_t>(outter) * ts, true, "dstTensor", site);
    const uint64_t s_end = c.in[0].addr + static_cast<uint64_t>(outter) * inner * ts;
    if (c.out[0].addr < s_end && c.in[0].addr < c.out[0].addr + outter * ts) {
        warn(site, "Sum: srcTensor and dstTensor overlap, which the documentation forbids");
    }
    uint64_t ta = 0;
    tmp_rows(c, sum_tmp_bytes(n, static_cast<uint32_t>(ts)), 0, outter, "Sum", "GetSumMaxMinTmpSize", &ta, site);
    const uint64_t reps = ceil_div(static_cast<uint64_t>(n) * ts, 256);
    rec_v(Api::WholeReduceSum, t, static_cast<uint64_t>(outter) * n, c.in[0].addr, site);
    if (reps > 1) rec_v(Api::WholeReduceSum, t, outter * reps, ta, site);
    for (uint32_t r = 0; r < outter && !timing_only(); ++r) {
        float acc = 0;
        for (uint32_t j = 0; j < n; ++j) acc += static_cast<float>(load(t, S + (static_cast<uint64_t>(r) * inner + j) * ts));
        store(t, D + static_cast<uint64_t>(r) * ts, acc);
    }
}

// ---------------------------------------------------------------------------------------------- Broadcast
void broadcast(const NormCall& c, Site site) {
    const DT t = c.out[0].dt;
    if (!dt_in(t, {DT::I8, DT::U8, DT::F16, DT::F32})) dtype_fault(site, t, "int8_t, uint8_t, half, float");
    same_dtype(site, t, c.in[0].dt, "srcLocal");
    const uint32_t dim = c.dim[0], axis = c.dim[1];
    const size_t ts = dt_size(t);
    uint64_t m, k, src_n;
    if (dim == 1) {
        if (c.src_shape[0] != 1 && c.src_shape[0] != c.dst_shape[0]) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site, "Broadcast: srcShape [%u] cannot broadcast to [%u]",
                  c.src_shape[0], c.dst_shape[0]);
        }
        m = 1;
        k = c.dst_shape[0];
        src_n = c.src_shape[0];
    } else {
        m = c.dst_shape[0];
        k = c.dst_shape[1];
        const bool ok = axis == 0 ? (c.src_shape[0] == 1 && c.src_shape[1] == k)
                                  : (c.src_shape[1] == 1 && c.src_shape[0] == m);
        if (!ok) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "Broadcast<dim 2, axis %u>: srcShape [%u, %u] does not broadcast to dstShape [%u, %u] along axis %u",
                  axis, c.src_shape[0], c.src_shape[1], c.dst_shape[0], c.dst_shape[1], axis);
        }
        if (axis == 0 && (k * ts) % 32) {
            fault(Kind::INVALID_PARAMETER, Mem::NONE, site,
                  "Broadcast<dim 2, axis 0>: srcShape[1] (%llu elements of %zu bytes) must be 32-byte aligned",
                  static_cast<unsigned long long>(k), ts);
        }
        src_n = axis == 0 ? k : m;
    }
    if (m == 0 || k == 0) return;
    const uint8_t* S = operand(c.in[0], src_n * ts, false, "srcLocal", site);
    // Read the whole source first: kernels broadcast row 0 over the tensor in place (src == dst), which the
    // library's copy order supports for axis 0.
    std::vector<uint8_t> src(S, S + src_n * ts);
    uint8_t* D = operand(c.out[0], m * k * ts, true, "dstLocal", site);
    if (c.has_tmp) local(c.tmp, 0, 0, true, site);
    for (uint64_t i = 0; i < m && !timing_only(); ++i) {
        for (uint64_t j = 0; j < k; ++j) {
            const uint64_t s = dim == 1 ? (src_n == 1 ? 0 : j) : (axis == 0 ? j : i);
            std::memcpy(D + (i * k + j) * ts, src.data() + s * ts, ts);
        }
    }
    const uint64_t ta = c.has_tmp ? c.tmp.addr : c.out[0].addr;
    if (dim == 2 && axis == 1) {
        rec_v(Api::Brcb, t, m * (32 / ts), ta, site);
        const uint64_t kp = align_up(k * ts, 32) / ts;
        rec_v(Api::Copy, t, m * kp, c.out[0].addr, site);
        if (kp != k) rec_v(Api::GatherMask, t, m * k, c.out[0].addr, site);
    } else {
        rec_v(Api::Copy, t, m * k, c.out[0].addr, site);
    }
}

}  // namespace

void norm(const NormCall& c, Site site) {
    need_core(Core::AIV, site);
    g.last_line = site.line;
    g.last_api = site.api;
    switch (c.kind) {
        case NormKind::LAYERNORM: layernorm(c, site); break;
        case NormKind::LAYERNORM_RSTD: layernorm_rstd(c, site); break;
        case NormKind::LN_GRAD: layernorm_grad(c, site); break;
        case NormKind::LN_GRAD_BETA: layernorm_grad_beta(c, site); break;
        case NormKind::RMSNORM: rmsnorm(c, site); break;
        case NormKind::SUM: sum(c, site); break;
        case NormKind::BROADCAST: broadcast(c, site); break;
    }
}

}  // namespace hawk

// ====================================================================================== host tiling
namespace AscendC {

namespace {
// {B, S, H[, original H]} (or any rank: the last axis is H, the others are rows).
struct Bsh {
    uint32_t b = 0, s = 0, h = 0, oh = 0;
    uint64_t rows() const { return static_cast<uint64_t>(b) * s; }
};
Bsh bsh(const TensorShape& shape) {
    std::vector<int64_t> d = shape.GetDims();
    Bsh r;
    if (d.size() >= 3) {
        r.b = static_cast<uint32_t>(d[0]);
        r.s = static_cast<uint32_t>(d[1]);
        r.h = static_cast<uint32_t>(d[2]);
        r.oh = d.size() > 3 ? static_cast<uint32_t>(d[3]) : r.h;
    } else if (d.size() == 2) {
        r.b = 1;
        r.s = static_cast<uint32_t>(d[0]);
        r.h = r.oh = static_cast<uint32_t>(d[1]);
    } else if (d.size() == 1) {
        r.b = r.s = 1;
        r.h = r.oh = static_cast<uint32_t>(d[0]);
    }
    return r;
}
bool type_ok(uint32_t ts) { return ts == 2 || ts == 4; }
// Rows a pass holds in `bytes` of temporary space (at least 1 when any row fits, 0 otherwise).
uint32_t rows_in(uint64_t bytes, uint64_t fixed, uint64_t per_row, uint64_t rows) {
    if (per_row == 0 || bytes < fixed + per_row) return 0;
    return static_cast<uint32_t>(std::min<uint64_t>(rows, (bytes - fixed) / per_row));
}
}  // namespace

void GetLayerNormMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool, uint32_t& maxValue,
                               uint32_t& minValue) {
    Bsh s = bsh(srcShape);
    maxValue = minValue = 0;
    if (!type_ok(typeSize) || s.rows() == 0 || s.h == 0) return;
    const uint64_t per_row = hawk::ln_row_floats(s.h, typeSize) * 4ull;
    minValue = static_cast<uint32_t>(per_row);
    maxValue = static_cast<uint32_t>(per_row * s.rows());
}

void GetLayerNormMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool isReuseSource,
                               const bool isComputeRstd, const bool, uint32_t& maxValue, uint32_t& minValue) {
    if (!isComputeRstd) {
        GetLayerNormMaxMinTmpSize(srcShape, typeSize, isReuseSource, maxValue, minValue);
        return;
    }
    std::vector<int64_t> d = srcShape.GetDims();
    maxValue = minValue = 0;
    if (!type_ok(typeSize) || d.size() < 2) return;
    const uint64_t a = static_cast<uint64_t>(d[0]), r = static_cast<uint64_t>(d[1]);
    const uint64_t rp = hawk::align_up(r * typeSize, 32) / typeSize;
    const uint64_t per_row = hawk::ln_rstd_row_floats(static_cast<uint32_t>(rp), typeSize) * 4ull;
    minValue = static_cast<uint32_t>(per_row);
    maxValue = static_cast<uint32_t>(per_row * a);
}

void GetLayerNormNDTilingInfo(const TensorShape& srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                              const bool, LayerNormTiling& t) {
    Bsh s = bsh(srcShape);
    t = LayerNormTiling{};
    if (!type_ok(typeSize) || s.rows() == 0 || s.h == 0) return;
    const uint64_t rows = s.rows();
    const uint32_t row_floats = hawk::ln_row_floats(s.h, typeSize);
    uint32_t n = rows_in(stackBufferSize, 0, row_floats * 4ull, rows);
    if (n == 0) n = 1;
    t.bLength = s.b;
    t.sLength = s.s;
    t.hLength = s.h;
    t.originalHLength = s.oh;
    t.inputXSize = static_cast<uint32_t>(rows * s.h);
    t.meanVarSize = static_cast<uint32_t>(rows);
    t.numberOfTmpBuf = typeSize == 2 ? 3 : 2;
    t.tmpBufSize = stackBufferSize / 4;
    t.oneTmpSize = n * s.h;
    t.firstTmpStartPos = 0;
    t.secondTmpStartPos = t.oneTmpSize;
    t.thirdTmpStartPos = typeSize == 2 ? 2 * t.oneTmpSize : t.oneTmpSize;
    t.meanTmpTensorPos = t.numberOfTmpBuf * t.oneTmpSize;
    t.meanTmpTensorSize = n * hawk::kBlockFloats;
    t.varianceTmpTensorPos = t.meanTmpTensorPos + t.meanTmpTensorSize;
    t.varianceTmpTensorSize = t.meanTmpTensorSize;
    t.loopRound = static_cast<uint32_t>(rows / n);
    t.inputRoundSize = n * s.h;
    t.inputTailSize = static_cast<uint32_t>(rows % n) * s.h;
    t.inputTailPos = t.loopRound * t.inputRoundSize;
    t.meanVarRoundSize = n;
    t.meanVarTailSize = static_cast<uint32_t>(rows % n);
    t.meanVarTailPos = t.loopRound * n;
    t.bshCurLength = n * s.h;
    t.bsCurLength = n;
    t.lastDimValueBack = s.oh ? 1.0f / static_cast<float>(s.oh) : 0.0f;
}

void GetLayerNormNDTillingInfo(const TensorShape& srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                               const bool isReuseSource, LayerNormTiling& tilling) {
    GetLayerNormNDTilingInfo(srcShape, stackBufferSize, typeSize, isReuseSource, tilling);
}

void GetLayerNormNDTilingInfo(const TensorShape& srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                              const bool, const bool, LayerNormSeparateTiling& t) {
    std::vector<int64_t> d = srcShape.GetDims();
    t = LayerNormSeparateTiling{};
    if (!type_ok(typeSize) || d.size() < 2 || d[0] <= 0 || d[1] <= 0) return;
    const uint32_t a = static_cast<uint32_t>(d[0]), r = static_cast<uint32_t>(d[1]);
    const uint32_t rp = static_cast<uint32_t>(hawk::align_up(static_cast<uint64_t>(r) * typeSize, 32) / typeSize);
    uint32_t n = rows_in(stackBufferSize, 0, hawk::ln_rstd_row_floats(rp, typeSize) * 4ull, a);
    if (n == 0) n = 1;
    uint32_t head = 1;
    while (head * 2 <= r) head *= 2;
    uint32_t halvings = 0;
    for (uint32_t w = head; w > 64; w /= 2) ++halvings;
    t.aLength = a;
    t.rLength = r;
    t.halfAddRepeatTimes = halvings;
    t.rHeadLength = head;
    t.k2Rec = 1.0f / static_cast<float>(head);
    t.k2RRec = static_cast<float>(head) / static_cast<float>(r);
    t.inputXSize = a * rp;
    t.meanVarSize = a;
    t.numberOfTmpBuf = typeSize == 2 ? 2 : 1;
    t.tmpBufSize = stackBufferSize / 4;
    t.oneTmpSize = n * rp;
    t.secondTmpStartPos = t.oneTmpSize;
    t.thirdTmpStartPos = t.numberOfTmpBuf * t.oneTmpSize;
    t.varianceTmpTensorPos = t.thirdTmpStartPos;
    t.varianceTmpTensorSize = n * hawk::kBlockFloats;
    t.loopRound = a / n;
    t.inputRoundSize = n * rp;
    t.inputTailSize = (a % n) * rp;
    t.inputTailPos = t.loopRound * t.inputRoundSize;
    t.meanVarRoundSize = n;
    t.meanVarTailSize = a % n;
    t.meanVarTailPos = t.loopRound * n;
    t.arCurLength = n * rp;
    t.aCurLength = n;
    t.rValueBack = 1.0f / static_cast<float>(r);
}

void GetLayerNormGradMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool,
                                   uint32_t& maxValue, uint32_t& minValue) {
    Bsh s = bsh(srcShape);
    maxValue = minValue = 0;
    if (!type_ok(typeSize) || s.rows() == 0 || s.h == 0) return;
    const uint64_t per_row = hawk::grad_row_floats(s.h, typeSize) * 4ull;
    minValue = static_cast<uint32_t>(per_row);
    maxValue = static_cast<uint32_t>(per_row * s.rows());
}

// stackBufferSize in elements (floats), as documented for the Grad tilings.
void GetLayerNormGradNDTilingInfo(const TensorShape srcShape, const uint32_t stackBufferSize, const uint32_t typeSize,
                                  const bool, LayerNormGradTiling& t) {
    Bsh s = bsh(srcShape);
    t = LayerNormGradTiling{};
    if (!type_ok(typeSize) || s.rows() == 0 || s.h == 0) return;
    const uint64_t rows = s.rows();
    uint32_t n = rows_in(stackBufferSize * 4ull, 0, hawk::grad_row_floats(s.h, typeSize) * 4ull, rows);
    if (n == 0) n = 1;
    t.stackBufferSize = stackBufferSize;
    t.bLength = s.b;
    t.sLength = s.s;
    t.hLength = s.h;
    t.originalHLength = s.oh;
    t.oneCalSize = n * s.h;
    t.nohCalSize = n;
    t.loopNum = static_cast<uint32_t>(rows / n);
    t.tailSize = static_cast<uint32_t>(rows % n) * s.h;
    t.nohTailSize = static_cast<uint32_t>(rows % n);
    t.numberOfTmpBuf = typeSize == 2 ? 6 : 4;
    t.bshLength = static_cast<uint32_t>(rows * s.h);
    t.bsLength = static_cast<uint32_t>(rows);
    t.lastDimValueBack = s.oh ? 1.0f / static_cast<float>(s.oh) : 0.0f;
}

void GetLayerNormGradBetaMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, const bool,
                                       uint32_t& maxValue, uint32_t& minValue) {
    Bsh s = bsh(srcShape);
    maxValue = minValue = 0;
    if (!type_ok(typeSize) || s.rows() == 0 || s.h == 0) return;
    const uint64_t fixed = hawk::grad_beta_fixed_floats(s.h) * 4ull;
    const uint64_t per_row = hawk::grad_beta_row_floats(s.h, typeSize) * 4ull;
    minValue = static_cast<uint32_t>(fixed + per_row);
    maxValue = static_cast<uint32_t>(fixed + per_row * s.rows());
}

void GetLayerNormGradBetaNDTilingInfo(const TensorShape srcShape, const uint32_t stackBufferSize,
                                      const uint32_t typeSize, const bool, LayerNormGradBetaTiling& t) {
    Bsh s = bsh(srcShape);
    t = LayerNormGradBetaTiling{};
    if (!type_ok(typeSize) || s.rows() == 0 || s.h == 0) return;
    const uint64_t rows = s.rows();
    const uint64_t fixed = hawk::grad_beta_fixed_floats(s.h);
    uint32_t n = rows_in(stackBufferSize * 4ull, fixed * 4, hawk::grad_beta_row_floats(s.h, typeSize) * 4ull, rows);
    if (n == 0) n = 1;
    t.stackBufferSize = stackBufferSize;
    t.bLength = s.b;
    t.sLength = s.s;
    t.hLength = s.h;
    t.originalHLength = s.oh;
    t.bshLength = static_cast<uint32_t>(rows * s.h);
    t.bsLength = static_cast<uint32_t>(rows);
    t.oneCalSize = n * s.h;
    t.numberOfTmpBuf = typeSize == 2 ? 4 : 2;
    t.loopRound = static_cast<uint32_t>(rows / n);
    t.inputTailSize = static_cast<uint32_t>(rows % n) * s.h;
    t.inputTailPos = t.loopRound * t.oneCalSize;
    t.bsTailSize = static_cast<uint32_t>(rows % n);
    t.bshCurLength = n * s.h;
    t.bsCurLength = n;
    t.gammaTempTensorPos = 0;
    t.betaTempTensorPos = s.h;
    t.inputDyTmpTensorPos = 2 * s.h;
    t.resForGammaTmpTensorPos = 2 * s.h + (typeSize == 2 ? t.oneCalSize : 0);
}

bool GetRmsNormMaxMinTmpSize(const TensorShape& srcShape, const uint32_t typeSize, uint32_t& maxValue,
                             uint32_t& minValue, const bool isBasicBlock) {
    Bsh s = bsh(srcShape);
    maxValue = minValue = 0;
    if (!type_ok(typeSize) || s.rows() == 0 || s.h == 0) return false;
    if (isBasicBlock && (s.h % 64 != 0 || s.h >= 2048 || s.rows() % 8 != 0)) return false;
    const uint64_t per_row = hawk::rms_row_floats(s.h, typeSize) * 4ull;
    minValue = static_cast<uint32_t>(per_row * (isBasicBlock ? 8 : 1));
    maxValue = static_cast<uint32_t>(per_row * s.rows());
    return true;
}

bool GetRmsNormTilingInfo(const TensorShape& srcShape, const TensorShape& originSrcShape,
                          const uint32_t stackBufferByteSize, const uint32_t typeSize, RmsNormTiling& t,
                          const bool isBasicBlock) {
    Bsh s = bsh(srcShape), o = bsh(originSrcShape);
    uint32_t mx = 0, mn = 0;
    if (!GetRmsNormMaxMinTmpSize(srcShape, typeSize, mx, mn, isBasicBlock) || stackBufferByteSize < mn) return false;
    if (o.rows() != s.rows() || o.h == 0 || o.h > s.h) return false;
    const uint64_t rows = s.rows();
    // One pass runs its row-wise steps as one repeat per row: at most 255 rows (the repeat limit).
    uint32_t n = std::min<uint32_t>(rows_in(stackBufferByteSize, 0, hawk::rms_row_floats(s.h, typeSize) * 4ull, rows),
                                    255);
    if (isBasicBlock) n = n / 8 * 8;
    if (n == 0) return false;
    t = RmsNormTiling{};
    t.bLength = s.b;
    t.sLength = s.s;
    t.hLength = s.h;
    t.originalHLength = o.h;
    t.reciprocalOfHLength = 1.0f / static_cast<float>(o.h);
    t.mainBshLength = n * s.h;
    t.mainBsLength = n;
    t.mainBsLengthAlign = static_cast<uint32_t>(hawk::align_up(n, hawk::kBlockFloats));
    t.loopRound = static_cast<uint32_t>(rows / n);
    t.inputTailPos = t.loopRound * t.mainBshLength;
    t.tailBshLength = static_cast<uint32_t>(rows % n) * s.h;
    t.tailBsLength = static_cast<uint32_t>(rows % n);
    return true;
}

void GetSumMaxMinTmpSize(const uint32_t n, const uint32_t typeSize, const bool, uint32_t& maxValue,
                         uint32_t& minValue) {
    maxValue = minValue = type_ok(typeSize) && n ? hawk::sum_tmp_bytes(n, typeSize) : 0;
}

// Axis 1 ([m, 1] -> [m, k]): one 32-byte block per row for Brcb (8 rows a pass at least), and for a k that is not
// 32-byte aligned the aligned rows GatherMask compacts; axis 0 copies and needs none.
void GetBroadCastMaxMinTmpSize(const platform_ascendc::PlatformAscendC&, const TensorShape& srcShape,
                               const TensorShape& dstShape, uint32_t typeSize, const bool, uint32_t& maxValue,
                               uint32_t& minValue) {
    std::vector<int64_t> s = srcShape.GetDims(), d = dstShape.GetDims();
    maxValue = minValue = 0;
    if (s.size() != 2 || d.size() != 2 || typeSize == 0 || s[1] != 1 || d[1] == 1) return;
    const uint64_t m = static_cast<uint64_t>(d[0]), k = static_cast<uint64_t>(d[1]);
    const uint64_t kp = hawk::align_up(k * typeSize, 32);
    const uint64_t gather = kp != k * typeSize ? kp : 0;
    minValue = static_cast<uint32_t>(8 * 32 + 8 * gather);
    maxValue = static_cast<uint32_t>(hawk::align_up(m, 8) * 32 + m * gather);
    minValue = std::min(minValue, maxValue);
}

}  // namespace AscendC
