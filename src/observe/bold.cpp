#include "nmsweep/observe/bold.hpp"

#include "nmsweep/analysis/fc_steps.hpp"
#include "nmsweep/core/error.hpp"
#include "simd_math.hpp" // libmvec declarations of exp (src/backends/cpu)

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

// libmvec's vector expm1, so that the lane loops below call it (glibc declares
// it only under -ffast-math; see simd_math.hpp).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
extern "C" {
#pragma omp declare simd notinbranch
double expm1(double) noexcept;
}
#endif

namespace nms::observe {

namespace {

const double nan = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double x) {
    std::ostringstream os;
    os.precision(10);
    os << x;
    return os.str();
}

struct preset_def {
    const char* name;
    std::vector<std::pair<const char*, double>> base; // every overridable name, in documentation order
};

const std::vector<preset_def>& preset_table() {
    static const std::vector<preset_def> t = {
        {"friston2003",
         {{"kappa", 0.65},
          {"gamma", 0.41},
          {"tau", 0.98},
          {"alpha", 0.32},
          {"rho", 0.34},
          {"V0", 0.02},
          {"k1", nan},
          {"k2", nan},
          {"k3", nan}}},
        {"stephan2007",
         {{"kappa", 0.65},
          {"gamma", 0.41},
          {"tau", 0.98},
          {"alpha", 0.32},
          {"rho", 0.4},
          {"V0", 0.04},
          {"theta0", 40.3},
          {"r0", 25.0},
          {"epsilon", 1.43},
          {"TE", 0.04},
          {"k1", nan},
          {"k2", nan},
          {"k3", nan}}},
    };
    return t;
}

} // namespace

std::vector<std::string> bold_presets() {
    std::vector<std::string> v;
    for (const auto& p : preset_table()) v.push_back(p.name);
    return v;
}

std::vector<std::string> bold_constant_names(const std::string& preset) {
    std::vector<std::string> v;
    for (const auto& p : preset_table())
        if (preset == p.name)
            for (const auto& b : p.base) v.push_back(b.first);
    return v;
}

std::string bold_constant_unit(const std::string& name) {
    if (name == "kappa" || name == "gamma" || name == "theta0" || name == "r0") return "1/s";
    if (name == "tau" || name == "TE") return "s";
    return "";
}

bold_constants resolve_bold_constants(const std::string& preset,
                                      const std::map<std::string, double>& overrides) {
    const preset_def* def = nullptr;
    for (const auto& p : preset_table())
        if (preset == p.name) def = &p;
    if (!def) {
        std::string known;
        for (const auto& p : preset_table()) known += std::string(known.empty() ? "" : ", ") + p.name;
        throw input_error("bold: unknown preset '" + preset + "' (known: " + known + ")");
    }
    std::map<std::string, double> v;
    for (const auto& [name, value] : def->base) v[name] = value;
    for (const auto& [name, value] : overrides) {
        if (!v.count(name)) {
            std::string known;
            for (const auto& b : def->base) known += std::string(known.empty() ? "" : " ") + b.first;
            throw input_error("bold: unknown constant '" + name + "' for preset '" + preset +
                              "' (known: " + known + ")");
        }
        if (!std::isfinite(value))
            throw input_error("bold: constant '" + name + "' = " + fmt(value) + " is not finite");
        v[name] = value;
    }
    bold_constants k{};
    k.kappa = v["kappa"];
    k.gamma = v["gamma"];
    k.tau = v["tau"];
    k.alpha = v["alpha"];
    k.rho = v["rho"];
    k.V0 = v["V0"];
    auto positive = [&](const char* name, double x) {
        if (!(x > 0)) throw input_error(std::string("bold: ") + name + " = " + fmt(x) + " must be > 0");
    };
    positive("kappa", k.kappa);
    positive("tau", k.tau);
    positive("alpha", k.alpha);
    if (!(k.rho > 0 && k.rho < 1)) throw input_error("bold: rho = " + fmt(k.rho) + " must lie in (0, 1)");
    if (!(k.gamma >= 0)) throw input_error("bold: gamma = " + fmt(k.gamma) + " must be >= 0");
    if (preset == "friston2003") {
        k.k1 = 7.0 * k.rho;
        k.k2 = 2.0;
        k.k3 = 2.0 * k.rho - 0.2;
    } else { // stephan2007
        positive("theta0", v["theta0"]);
        positive("TE", v["TE"]);
        k.k1 = 4.3 * v["theta0"] * k.rho * v["TE"];
        k.k2 = v["epsilon"] * v["r0"] * k.rho * v["TE"];
        k.k3 = 1.0 - v["epsilon"];
    }
    if (overrides.count("k1")) k.k1 = v["k1"];
    if (overrides.count("k2")) k.k2 = v["k2"];
    if (overrides.count("k3")) k.k3 = v["k3"];
    return k;
}

namespace {

class bold_reducer final : public reducer {
  public:
    bold_reducer(const bold_options& o, double sample_ms, int n_nodes)
        : opt_(o), gr_(make_bold_grid(o, sample_ms)), nn_(n_nodes) {
        if (n_nodes <= 0) throw input_error("bold: the network has no nodes");
        if (o.method != "rk4" && o.method != "heun")
            throw input_error("bold: method '" + o.method + "' (expected rk4 or heun)");
        if (!std::isfinite(o.input_gain) || !std::isfinite(o.input_offset))
            throw input_error("bold: input gain and offset must be finite");
        rk4_ = o.method == "rk4";
        c_ = balloon_of<double>(resolve_bold_constants(o.preset, o.overrides));
        const std::size_t N = std::size_t(n_nodes);
        if (!o.empirical_fc.empty() && o.empirical_fc.size() != N * N) {
            const std::string src = o.empirical_source.empty() ? "the empirical FC" : o.empirical_source;
            throw input_error("bold: " + src + " has " + std::to_string(o.empirical_fc.size()) +
                              " entries, expected " + std::to_string(N) + " x " + std::to_string(N));
        }
        if (o.keep_timeseries) {
            n_ts_ = bold_sample_count(o, sample_ms, o.n_samples);
            if (n_ts_ <= 0)
                throw input_error("bold: keep_timeseries: " + std::to_string(o.n_samples) + " samples of " +
                                  fmt(sample_ms) + " ms give no BOLD sample after the transient of " +
                                  fmt(o.transient_ms) + " ms (TR " + fmt(o.tr_ms) + " ms)");
            const double origin = o.t0_ms + 0.5 * double(gr_.m - 1) * sample_ms + o.transient_ms;
            times_.resize(std::size_t(n_ts_));
            for (long j = 0; j < n_ts_; ++j) times_[std::size_t(j)] = origin + double(j) * o.tr_ms;
        }
        ntri_ = N * (N + 1) / 2;
    }

    // State layout: instance fastest (x_[(v * N + node) * n + i], zprev_,
    // zsum_, bprev_ [node * n + i]), so that the lanes of a block are
    // contiguous and the step loop over them vectorises.
    void reset(std::size_t n, int n_nodes) override {
        if (n_nodes != nn_)
            throw input_error("bold: reducer built for " + std::to_string(nn_) + " nodes, reset with " +
                              std::to_string(n_nodes));
        n_ = n;
        per_.clear();
        const std::size_t N = std::size_t(nn_);
        x_.assign(4 * N * n, 0.0);
        zprev_.assign(N * n, 0.0);
        zsum_.assign(gr_.m > 1 ? N * n : 0, 0.0);
        bprev_.assign(N * n, 0.0);
        nsamp_.assign(n, 0);
        ngrid_.assign(n, 0);
        nbold_.assign(n, 0);
        mean_.assign(n * N, 0.0);
        co_.assign(n * ntri_, 0.0);
        ts_.assign(opt_.keep_timeseries ? n * std::size_t(n_ts_) * N : 0, nan);
    }

    // The CUDA backend runs the hemodynamics and the co-moments on the device
    // (kernels/bold_kernels.hpp) and hands over the co-moments and the kept
    // samples; the outputs are made here either way.
    bool takes_bold(bold_params& p) const override {
        p.grid = gr_;
        p.rk4 = rk4_;
        p.gain = opt_.input_gain;
        p.offset = opt_.input_offset;
        p.c = c_;
        p.per_instance = per_;
        p.n_keep = opt_.keep_timeseries ? n_ts_ : 0;
        return true;
    }
    void load_bold(const reduced_state& m) override {
        const std::size_t N = std::size_t(nn_), S = std::size_t(m.stride);
        for (int l = 0; l < m.n_valid; ++l) {
            const std::size_t i = m.first + std::size_t(l);
            nbold_[i] = m.bold_count;
            for (std::size_t a = 0; a < N; ++a) mean_[i * N + a] = m.bold_mean[a * S + std::size_t(l)];
            for (std::size_t q = 0; q < ntri_; ++q) co_[i * ntri_ + q] = m.bold_c[q * S + std::size_t(l)];
            const long kept = std::min(m.bold_count, n_ts_);
            for (long j = 0; opt_.keep_timeseries && j < kept; ++j)
                for (std::size_t a = 0; a < N; ++a)
                    ts_[(i * std::size_t(n_ts_) + std::size_t(j)) * N + a] =
                        m.bold_ts[(std::size_t(j) * N + a) * S + std::size_t(l)];
        }
    }

    // Every lane of a block receives the same sequence of samples, so the
    // counters (and the branches on them) are uniform across the block.
    void accumulate(const obs_block& b) override {
        const std::size_t N = std::size_t(nn_), n = n_, L = std::size_t(b.n_valid), i0 = b.first;
        if (L == 0) return;
        thread_local std::vector<double> z, bnow, y;
        z.resize(N * L);
        bnow.resize(N * L);
        y.resize(N);
        const double gain = opt_.input_gain, offset = opt_.input_offset;
        for (std::size_t nd = 0; nd < N; ++nd)
            for (std::size_t l = 0; l < L; ++l)
                z[nd * L + l] = gain * b.obs[nd * std::size_t(b.lanes) + l] + offset;
        const long k = ++nsamp_[i0];
        for (std::size_t l = 1; l < L; ++l) nsamp_[i0 + l] = k;
        if (gr_.m > 1) { // average m samples into one input value
            for (std::size_t nd = 0; nd < N; ++nd) {
                double* zs = &zsum_[nd * n + i0];
                for (std::size_t l = 0; l < L; ++l) zs[l] += z[nd * L + l];
            }
            if (k % gr_.m != 0) return;
            const double inv_m = 1.0 / double(gr_.m);
            for (std::size_t nd = 0; nd < N; ++nd) {
                double* zs = &zsum_[nd * n + i0];
                for (std::size_t l = 0; l < L; ++l) {
                    z[nd * L + l] = zs[l] * inv_m;
                    zs[l] = 0.0;
                }
            }
        }
        const long g = ngrid_[i0];
        for (std::size_t l = 0; l < L; ++l) ngrid_[i0 + l] = g + 1;
        if (g == 0) { // the balloon starts at rest: x = 0, BOLD = 0
            std::fill(bnow.begin(), bnow.end(), 0.0);
        } else {
            for (std::size_t nd = 0; nd < N; ++nd) {
                if (rk4_)
                    step_lanes<true>(nd, i0, L, &z[nd * L], &bnow[nd * L]);
                else
                    step_lanes<false>(nd, i0, L, &z[nd * L], &bnow[nd * L]);
            }
        }
        // BOLD samples due in (t_{g-1}, t_g]
        const long jmax = gr_.last_sample_at(g);
        for (long j = nbold_[i0]; j <= jmax; ++j) {
            bool exact = false;
            const double w = gr_.weight(j, g, exact);
            for (std::size_t l = 0; l < L; ++l) {
                for (std::size_t nd = 0; nd < N; ++nd) {
                    const double bn = bnow[nd * L + l], bp = bprev_[nd * n + i0 + l];
                    y[nd] = exact ? bn : bp + w * (bn - bp);
                }
                record(i0 + l, j, y.data());
            }
        }
        for (std::size_t nd = 0; nd < N; ++nd)
            for (std::size_t l = 0; l < L; ++l) {
                zprev_[nd * n + i0 + l] = z[nd * L + l];
                bprev_[nd * n + i0 + l] = bnow[nd * L + l];
            }
    }

    std::vector<reducer_output> outputs() const override {
        const std::size_t N = std::size_t(nn_);
        std::vector<reducer_output> out;
        out.push_back({"bold/fc",
                       {"node", "node_j"},
                       {N, N},
                       {},
                       "",
                       "Pearson correlation between the nodes' BOLD signals (Balloon-Windkessel, preset " +
                           opt_.preset + ", TR " + fmt(opt_.tr_ms) +
                           " ms, after a hemodynamic transient of " + fmt(opt_.transient_ms) + " ms)"});
        if (!opt_.empirical_fc.empty())
            out.push_back(
                {"bold/fc_fit",
                 {},
                 {},
                 {},
                 "",
                 "Pearson correlation of the upper triangles of bold/fc and the empirical FC" +
                     (opt_.empirical_source.empty() ? std::string() : " (" + opt_.empirical_source + ")")});
        if (opt_.keep_timeseries)
            out.push_back({"bold/timeseries",
                           {"time", "node"},
                           {std::size_t(n_ts_), N},
                           {times_, {}},
                           "",
                           "BOLD signal change (fraction of the resting signal) every TR; time in ms"});
        return out;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        const std::size_t N = std::size_t(nn_);
        if (k == 0) return fc(i, out);
        if (k == 1 && !opt_.empirical_fc.empty()) {
            std::vector<double> sim(N * N);
            fc(i, sim.data());
            out[0] = pearson_upper(sim, opt_.empirical_fc, N);
            return;
        }
        const std::size_t len = std::size_t(n_ts_) * N;
        std::copy(ts_.begin() + long(i * len), ts_.begin() + long((i + 1) * len), out);
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        const std::size_t N = std::size_t(n_nodes);
        return sizeof(double) * (N * (4 + 2 + (gr_.m > 1 ? 1 : 0) + 1) + N * (N + 1) / 2 +
                                 (opt_.keep_timeseries ? std::size_t(n_ts_) * N : 0)) +
               3 * sizeof(long);
    }

    // Pearson correlation of the strict upper triangles of two N x N matrices.
    static double pearson_upper(const std::vector<double>& a, const std::vector<double>& b, std::size_t N) {
        double sa = 0, sb = 0;
        std::size_t m = 0;
        for (std::size_t r = 0; r < N; ++r)
            for (std::size_t c = r + 1; c < N; ++c) {
                sa += a[r * N + c];
                sb += b[r * N + c];
                ++m;
            }
        if (m < 2) return nan;
        const double ma = sa / double(m), mb = sb / double(m);
        double cab = 0, caa = 0, cbb = 0;
        for (std::size_t r = 0; r < N; ++r)
            for (std::size_t c = r + 1; c < N; ++c) {
                const double da = a[r * N + c] - ma, db = b[r * N + c] - mb;
                cab += da * db;
                caa += da * da;
                cbb += db * db;
            }
        if (!(caa > 0) || !(cbb > 0)) return nan;
        return cab / std::sqrt(caa * cbb);
    }

  private:
    // Advances node nd of lanes i0 .. i0+L-1 over one input interval (n_sub
    // steps, input linear from zprev to z) and writes the BOLD signal.
    template <bool RK4>
    void step_lanes(std::size_t nd, std::size_t i0, std::size_t L, const double* z, double* out) {
        const std::size_t n = n_, N = std::size_t(nn_);
        double* x0 = &x_[(0 * N + nd) * n + i0];
        double* x1 = &x_[(1 * N + nd) * n + i0];
        double* x2 = &x_[(2 * N + nd) * n + i0];
        double* x3 = &x_[(3 * N + nd) * n + i0];
        const double* zp = &zprev_[nd * n + i0];
        const balloon<double> c = c_;
        const long n_sub = gr_.n_sub;
        const double h = gr_.h_s, inv = 1.0 / double(n_sub);
        // One loop for fixed and swept constants (a set per lane), over whole
        // groups of 8 lanes (the last lane repeated): a short block's last
        // lanes, or swept constants, would otherwise run scalar code, whose
        // libm expm1 differs in the last bit from libmvec's vector one, and
        // a point's BOLD would depend on where its batch was cut or on
        // whether its constants were swept.
        const std::size_t Lp = (L + 7) / 8 * 8;
        thread_local std::vector<double> pad;
        thread_local std::vector<balloon<double>> cpad;
        pad.resize(7 * Lp);
        cpad.resize(Lp);
        for (std::size_t l = 0; l < Lp; ++l) cpad[l] = per_.empty() ? c : per_[i0 + std::min(l, L - 1)];
        const balloon<double>* cl = cpad.data();
        double* const p[7] = {pad.data(),          pad.data() + Lp,     pad.data() + 2 * Lp,
                              pad.data() + 3 * Lp, pad.data() + 4 * Lp, pad.data() + 5 * Lp,
                              pad.data() + 6 * Lp};
        const double* const src[6] = {x0, x1, x2, x3, z, zp};
        for (int a = 0; a < 6; ++a)
            for (std::size_t l = 0; l < Lp; ++l) p[a][l] = src[a][std::min(l, L - 1)];
        const double *pz = p[4], *pzp = p[5];
        for (long q = 0; q < n_sub; ++q) { // lanes innermost: GCC vectorises only innermost loops here
            const double f0 = double(q) * inv, f1 = double(q + 1) * inv;
            const bool last = q + 1 == n_sub;
#pragma omp simd
            for (std::size_t l = 0; l < Lp; ++l) {
                const double dz = pz[l] - pzp[l];
                const double z0 = pzp[l] + dz * f0;
                const double z1 = last ? pz[l] : pzp[l] + dz * f1;
                advance_lane<RK4>(cl[l], p[0], p[1], p[2], p[3], l, z0, z1, h);
            }
        }
#pragma omp simd
        for (std::size_t l = 0; l < Lp; ++l) p[6][l] = bold_lane(cl[l], p[0], p[1], p[2], p[3], l);
        double* const dst[5] = {x0, x1, x2, x3, out};
        const int from[5] = {0, 1, 2, 3, 6};
        for (int a = 0; a < 5; ++a) std::copy(p[from[a]], p[from[a]] + L, dst[a]);
    }

  public:
    void set_instance_constants(const std::vector<bold_constants>& k) {
        if (k.empty()) {
            per_.clear();
            return;
        }
        if (k.size() != n_)
            throw input_error("bold: " + std::to_string(k.size()) + " constant sets for a batch of " +
                              std::to_string(n_) + " instances");
        per_.resize(k.size());
        for (std::size_t i = 0; i < k.size(); ++i) per_[i] = balloon_of<double>(k[i]);
    }

  private:
    // One lane's step on the instance-fastest state (called in SIMD loops, as
    // the engine's node_update).
    template <bool RK4>
    NMS_HD static void advance_lane(const balloon<double>& c, double* x0, double* x1, double* x2, double* x3,
                                    std::size_t l, double z0, double z1, double h) {
        double x[4] = {x0[l], x1[l], x2[l], x3[l]};
        if constexpr (RK4)
            balloon_rk4_step(c, x, z0, z1, h);
        else
            balloon_heun_step(c, x, z0, z1, h);
        x0[l] = x[0];
        x1[l] = x[1];
        x2[l] = x[2];
        x3[l] = x[3];
    }
    NMS_HD static double bold_lane(const balloon<double>& c, const double* x0, const double* x1,
                                   const double* x2, const double* x3, std::size_t l) {
        const double x[4] = {x0[l], x1[l], x2[l], x3[l]};
        return balloon_bold(c, x);
    }

    std::size_t tri(std::size_t a, std::size_t b) const {
        return std::size_t(fc_pair(long(a), long(b), nn_));
    }

    void record(std::size_t i, long j, const double* y) {
        const std::size_t N = std::size_t(nn_);
        if (opt_.keep_timeseries && j < n_ts_)
            std::copy(y, y + N, &ts_[(i * std::size_t(n_ts_) + std::size_t(j)) * N]);
        // Welford co-moments, the FC schedule's update (fc_steps.hpp; one
        // instance: stride 1), as the device's BOLD co-moments.
        const double k = double(++nbold_[i]);
        double* mu = &mean_[i * N];
        double* co = &co_[i * ntri_];
        thread_local std::vector<double> d, e;
        d.resize(N);
        e.resize(N);
        for (long a = 0; a < nn_; ++a) fc_means(y, mu, d.data(), e.data(), k, a);
        for (long a = 0; a < nn_; ++a) fc_row<1>(d.data(), e.data(), co, a, nn_, 1, 0);
    }

    void fc(std::size_t i, double* out) const {
        const std::size_t N = std::size_t(nn_);
        const double* co = &co_[i * ntri_];
        for (std::size_t a = 0; a < N; ++a)
            for (std::size_t b = a; b < N; ++b) {
                double r = nan;
                const double va = co[tri(a, a)], vb = co[tri(b, b)];
                if (nbold_[i] >= 2 && va > 0 && vb > 0) r = a == b ? 1.0 : co[tri(a, b)] / std::sqrt(va * vb);
                out[a * N + b] = out[b * N + a] = r;
            }
    }

    bold_options opt_;
    bold_grid gr_;
    int nn_;
    bool rk4_ = true;
    balloon<double> c_;
    std::vector<balloon<double>> per_; // per instance of the batch, when set
    long n_ts_ = 0;
    std::vector<double> times_;
    std::size_t ntri_ = 0, n_ = 0;
    std::vector<double> x_, zprev_, zsum_, bprev_, mean_, co_, ts_;
    std::vector<long> nsamp_, ngrid_, nbold_;
};

} // namespace

bold_grid make_bold_grid(const bold_options& o, double sample_ms) {
    if (!(sample_ms > 0) || !std::isfinite(sample_ms))
        throw input_error("bold: sample interval " + fmt(sample_ms) + " ms must be > 0");
    if (!(o.dt_ms > 0) || !std::isfinite(o.dt_ms))
        throw input_error("bold: dt = " + fmt(o.dt_ms) + " ms must be > 0");
    if (!(o.tr_ms > 0) || !std::isfinite(o.tr_ms))
        throw input_error("bold: tr = " + fmt(o.tr_ms) + " ms must be > 0");
    if (!(o.transient_ms >= 0) || !std::isfinite(o.transient_ms))
        throw input_error("bold: transient = " + fmt(o.transient_ms) + " ms must be >= 0");
    bold_grid g;
    g.m = sample_ms < o.dt_ms ? std::max(1L, std::lround(o.dt_ms / sample_ms)) : 1L;
    g.H = double(g.m) * sample_ms;
    g.n_sub = std::max(1L, long(std::ceil(g.H / o.dt_ms - 1e-9)));
    g.h_s = g.H / double(g.n_sub) * 1e-3; // ms -> s: the balloon's constants are per second
    g.tol = 1e-9 * g.H;
    g.transient_ms = o.transient_ms;
    g.tr_ms = o.tr_ms;
    return g;
}

long bold_sample_count(const bold_options& opt, double sample_ms, long n_samples) {
    const bold_grid gr = make_bold_grid(opt, sample_ms);
    const long G = n_samples / gr.m;
    if (G <= 0) return 0;
    return gr.last_sample_at(G - 1) + 1;
}

std::unique_ptr<reducer> make_bold_reducer(const bold_options& opt, double sample_ms, int n_nodes) {
    return std::make_unique<bold_reducer>(opt, sample_ms, n_nodes);
}

void set_bold_instance_constants(reducer& r, const std::vector<bold_constants>& per_instance) {
    auto* b = dynamic_cast<bold_reducer*>(&r);
    if (!b) throw std::logic_error("set_bold_instance_constants: not a BOLD reducer");
    b->set_instance_constants(per_instance);
}

} // namespace nms::observe
