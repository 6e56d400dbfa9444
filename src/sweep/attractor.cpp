// Attractor classification, streamed: per instance and channel (the network
// mean, and with per_node every node) running extrema, a hysteresis level
// detector that times cycles, and running sums of the cycle periods, maxima,
// minima and amplitudes (with their linear trends over the cycle index).
// The rules and outputs are documented with make_attractor_reducer in
// include/nmsweep/sweep/reducers.hpp; tests/test_attractor.cpp checks them on
// synthetic signals, tests/test_bifurcation.cpp on Jansen-Rit and
// Wilson-Cowan against independent bifurcation analyses.

#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>

namespace nms {

const char* attractor_class_name(int code) {
    switch (code) {
    case fixed_point:
        return "fixed_point";
    case periodic:
        return "periodic";
    case irregular:
        return "irregular";
    case diverged:
        return "diverged";
    case unresolved:
        return "unresolved";
    default:
        return "unknown";
    }
}

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

// Running sums of a series v_k over the cycles k = 0, 1, ..., shifted by the
// first value (v0) so that slow drifts of a large value lose no precision.
struct series {
    double v0 = 0, s = 0, ss = 0, sk = 0;
    void add(long k, double v) {
        if (k == 0) v0 = v;
        const double d = v - v0;
        s += d;
        ss += d * d;
        sk += double(k) * d;
    }
    double mean(long n) const { return v0 + s / double(n); }
    // Slope per cycle of the least-squares line (0 for n < 2).
    double slope(long n) const {
        if (n < 2) return 0;
        const double N = double(n), mk = (N - 1) / 2, vk = (N * N - 1) / 12;
        return (sk / N - mk * s / N) / vk;
    }
    // Standard deviation about the least-squares line over k (about the mean
    // when fewer than 6 cycles: a line through 3-5 points hides too much).
    double spread(long n) const {
        if (n < 2) return 0;
        const double N = double(n), md = s / N;
        double var = ss / N - md * md;
        if (n >= 6) {
            const double mk = (N - 1) / 2, vk = (N * N - 1) / 12, cov = sk / N - mk * md;
            var -= cov * cov / vk;
        }
        return std::sqrt(std::max(0.0, var));
    }
};

struct channel {
    long n = 0;
    double mean = 0, mn = inf, mx = -inf, prev = nan;
    int st = 0;    // -1 below level - h, +1 above level + h, 0 not yet armed
    long n_up = 0; // upward crossings
    double t_up = 0, cmax = -inf, cmin = inf;
    double pmax = nan, pmin = nan; // extrema of the last complete cycle
    double mx2 = -inf, mn2 = inf;  // extrema over the second half of the record
    long nc = 0;                   // timed cycles
    series T, M, m, A;
    double a_first = nan, a_mid = nan, a_last = nan;
};

struct verdict {
    int cls;
    double amplitude, frequency, mean;
};

class attractor_reducer final : public reducer {
  public:
    attractor_reducer(const attractor_options& o, const sampling& smp, std::string units)
        : opt_(o), dt_(smp.dt_ms), n_samples_(smp.n_samples), units_(std::move(units)) {
        if (!(dt_ > 0)) throw input_error("attractor: the sampling interval must be > 0");
    }

    void reset(std::size_t n, int n_nodes) override {
        nn_ = n_nodes;
        ch_ = opt_.per_node ? std::size_t(n_nodes) + 1 : 1;
        st_.assign(n * ch_, channel{});
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        return sizeof(channel) * (opt_.per_node ? std::size_t(n_nodes) + 1 : 1);
    }

    void accumulate(const obs_block& b) override {
        for (int l = 0; l < b.n_valid; ++l) {
            const std::size_t i = b.first + std::size_t(l);
            channel* c = st_.data() + i * ch_;
            add(c[ch_ - 1], b.net[l]);
            if (opt_.per_node)
                for (int node = 0; node < nn_; ++node)
                    add(c[node], b.obs[std::size_t(node) * std::size_t(b.lanes) + std::size_t(l)]);
        }
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        const std::string u = units_;
        const std::string codes = " (0 fixed point, 1 periodic, 2 irregular, 3 diverged, 4 unresolved)";
        for (int pass = 0; pass < (opt_.per_node ? 2 : 1); ++pass) {
            const bool node = pass == 1;
            const std::string pre = node ? "features/node_" : "features/";
            const std::string of = node ? " of each node's observable" : " of the network-mean observable";
            std::vector<std::string> dims =
                node ? std::vector<std::string>{"node"} : std::vector<std::string>{};
            std::vector<std::size_t> sizes =
                node ? std::vector<std::size_t>{std::size_t(nn_)} : std::vector<std::size_t>{};
            out.push_back({pre + "attractor_class", dims, sizes, {}, "", "attractor class" + codes + of});
            out.push_back({pre + "amplitude",
                           dims,
                           sizes,
                           {},
                           u,
                           "peak-to-peak amplitude (periodic: of the last cycle)" + of});
            out.push_back({pre + "frequency",
                           dims,
                           sizes,
                           {},
                           "Hz",
                           "1 / mean cycle period (NaN for fixed points and unresolved)" + of});
            out.push_back({pre + "attractor_mean", dims, sizes, {}, u, "time mean after the transient" + of});
        }
        return out;
    }

    bool integer_output(std::size_t k) const override { return k % 4 == 0; }
    double diverged_value(std::size_t k) const override { return k % 4 == 0 ? double(diverged) : nan; }

    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        if (k % 4 != 0) return {};
        std::string meanings;
        for (int c = 0; c < n_attractor_codes; ++c)
            meanings += std::string(c ? " " : "") + attractor_class_name(c);
        char crit[400];
        std::snprintf(
            crit, sizeof crit,
            "fixed point: max - min <= %g + %g max(|max|, |min|); periodic: >= %ld timed cycles whose "
            "periods, maxima and minima (detrended) spread <= %g; level hysteresis %g",
            opt_.atol, opt_.rtol, opt_.min_cycles, opt_.regular_tol, opt_.hysteresis);
        return {{"flag_meanings", meanings},
                {"codes", "0 fixed point, 1 periodic, 2 irregular, 3 diverged, 4 unresolved (fewer than "
                          "min_cycles cycles in the record)"},
                {"criteria", crit}};
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        const bool node = k >= 4;
        const int what = int(k % 4);
        auto put = [&](const channel& c, double* dst) {
            const verdict v = classify(c);
            *dst = what == 0 ? double(v.cls) : what == 1 ? v.amplitude : what == 2 ? v.frequency : v.mean;
        };
        const channel* c = st_.data() + i * ch_;
        if (!node)
            put(c[ch_ - 1], out);
        else
            for (int n = 0; n < nn_; ++n) put(c[n], out + n);
    }

  private:
    double fp_tol(double a, double b) const {
        return opt_.atol + opt_.rtol * std::max(std::fabs(a), std::fabs(b));
    }

    void add(channel& c, double x) const {
        if (!std::isfinite(x)) return;
        const double t = double(c.n) * dt_;
        ++c.n;
        c.mean += (x - c.mean) / double(c.n);
        c.mn = std::min(c.mn, x);
        c.mx = std::max(c.mx, x);
        c.cmax = std::max(c.cmax, x);
        c.cmin = std::min(c.cmin, x);
        if (2 * c.n > n_samples_) {
            c.mx2 = std::max(c.mx2, x);
            c.mn2 = std::min(c.mn2, x);
        }
        // The band follows the last complete cycle (so that a decaying or
        // growing oscillation keeps being timed), or the running range before.
        const bool cyc = !std::isnan(c.pmax);
        const double hi = cyc ? c.pmax : c.mx, lo = cyc ? c.pmin : c.mn;
        const double range = hi - lo;
        if (range > fp_tol(hi, lo)) {
            const double level = 0.5 * (hi + lo), h = opt_.hysteresis * range;
            const double up = level + h;
            if (x < level - h) {
                c.st = -1;
            } else if (x > up) {
                if (c.st == -1) {
                    double frac = x != c.prev ? (up - c.prev) / (x - c.prev) : 1.0;
                    frac = std::clamp(frac, 0.0, 1.0);
                    const double tc = t - dt_ + frac * dt_;
                    ++c.n_up;
                    if (c.n_up >= 2) c.pmax = c.cmax, c.pmin = c.cmin;
                    if (c.n_up >= 3) { // the cycle from crossing n_up-1 (>= 2) to this one
                        const double a = c.cmax - c.cmin;
                        c.T.add(c.nc, tc - c.t_up);
                        c.M.add(c.nc, c.cmax);
                        c.m.add(c.nc, c.cmin);
                        c.A.add(c.nc, a);
                        if (c.nc == 0) c.a_first = a;
                        if (std::isnan(c.a_mid) && 2 * c.n >= n_samples_) c.a_mid = a;
                        c.a_last = a;
                        ++c.nc;
                    }
                    c.t_up = tc;
                    c.cmax = c.cmin = x;
                }
                c.st = 1;
            }
        }
        c.prev = x;
    }

    verdict classify(const channel& c) const {
        if (c.n == 0) return {fixed_point, nan, nan, nan};
        const double ptp = c.mx - c.mn;
        if (ptp <= fp_tol(c.mx, c.mn)) return {fixed_point, ptp, nan, c.mean};
        const double T = c.nc ? c.T.mean(c.nc) : nan;
        // Cycles that stopped (the oscillation decayed below the fixed-point
        // tolerance, or the signal settled elsewhere) long before the end.
        const double t_end = double(c.n - 1) * dt_;
        if (c.nc >= 1 && t_end - c.t_up > 3 * T) return {fixed_point, c.cmax - c.cmin, nan, c.mean};
        if (c.nc < std::max(1L, opt_.min_cycles)) {
            // Too few cycles: a monotone (or overdamped) approach to a fixed
            // point moves far less in the second half of the record than in all.
            const double ptp2 = c.mx2 - c.mn2;
            if (ptp2 >= 0 && ptp2 <= 0.25 * ptp) return {fixed_point, ptp2, nan, c.mean};
            return {unresolved, ptp, nan, c.mean};
        }
        // A damped oscillation: the cycle amplitude halves within the record
        // and keeps falling in its second half at least half as fast (in log)
        // as in its first (an approach to a cycle levels off instead).
        if (c.A.slope(c.nc) < 0 && c.a_last <= 0.5 * c.a_first) {
            const double mid = std::isnan(c.a_mid) ? c.a_last : c.a_mid;
            if (mid > 0 && c.a_last > 0 && std::log(c.a_last / mid) <= 0.5 * std::log(mid / c.a_first))
                return {fixed_point, c.a_last, nan, c.mean};
        }
        const double f = T > 0 ? 1000.0 / T : nan;
        const double tol = opt_.regular_tol;
        const bool regular =
            c.T.spread(c.nc) <= tol * T && c.M.spread(c.nc) <= tol * ptp && c.m.spread(c.nc) <= tol * ptp;
        if (regular) return {periodic, c.a_last, f, c.mean};
        return {irregular, ptp, f, c.mean};
    }

    attractor_options opt_;
    double dt_;
    long n_samples_;
    std::string units_;
    int nn_ = 0;
    std::size_t ch_ = 1;
    std::vector<channel> st_;
};

} // namespace

std::unique_ptr<reducer> make_attractor_reducer(const attractor_options& opt, const sampling& smp,
                                                const std::string& units) {
    return std::make_unique<attractor_reducer>(opt, smp, units);
}

bool same_attractor(const attractor_summary& a, const attractor_summary& b, const attractor_options& opt) {
    if (a.cls != b.cls) return false;
    if (a.cls == diverged) return true;
    auto finite_or0 = [](double x) { return std::isfinite(x) ? std::fabs(x) : 0.0; };
    const double tol_fp = opt.atol + opt.rtol * std::max(finite_or0(a.mean), finite_or0(b.mean));
    const double amp = std::max(finite_or0(a.amplitude), finite_or0(b.amplitude));
    // Fixed points (some perhaps still ringing down) differ by their level only.
    if (a.cls == fixed_point) return std::fabs(a.mean - b.mean) <= opt.cluster_tol * amp + 10 * tol_fp;
    if (std::isfinite(a.amplitude) && std::isfinite(b.amplitude) &&
        std::fabs(a.amplitude - b.amplitude) > opt.cluster_tol * amp + tol_fp)
        return false;
    if (std::isfinite(a.mean) && std::isfinite(b.mean) &&
        std::fabs(a.mean - b.mean) > opt.cluster_tol * amp + 10 * tol_fp)
        return false;
    if (std::isfinite(a.frequency) && std::isfinite(b.frequency) &&
        std::fabs(a.frequency - b.frequency) > opt.cluster_tol * std::max(a.frequency, b.frequency))
        return false;
    if (std::isfinite(a.frequency) != std::isfinite(b.frequency)) return false;
    return true;
}

std::size_t count_attractors(const std::vector<attractor_summary>& results, const attractor_options& opt) {
    std::vector<const attractor_summary*> reps;
    for (const auto& r : results) {
        bool found = false;
        for (const auto* p : reps)
            if (same_attractor(*p, r, opt)) {
                found = true;
                break;
            }
        if (!found) reps.push_back(&r);
    }
    return reps.size();
}

std::vector<class_boundary> class_boundaries(const std::vector<long>& codes,
                                             const std::vector<std::vector<double>>& axes,
                                             const std::vector<std::string>& names) {
    std::vector<class_boundary> out;
    if (axes.empty() || axes.size() > 2) return out;
    const std::size_t nx = axes[0].size(), ny = axes.size() == 2 ? axes[1].size() : 1;
    if (codes.size() != nx * ny) throw std::invalid_argument("class_boundaries: codes do not match the axes");
    const long nnames = long(names.size());
    std::map<std::pair<long, long>, std::vector<std::vector<double>>> pts;
    auto pair = [&](std::size_t p, std::size_t q, std::vector<double> where) {
        long a = codes[p], b = codes[q];
        if (a == b || a < 0 || b < 0 || a >= nnames || b >= nnames) return;
        if (a > b) std::swap(a, b);
        pts[{a, b}].push_back(std::move(where));
    };
    for (std::size_t i = 0; i < nx; ++i)
        for (std::size_t j = 0; j < ny; ++j) {
            const std::size_t p = i * ny + j;
            if (i + 1 < nx) {
                std::vector<double> w{0.5 * (axes[0][i] + axes[0][i + 1])};
                if (axes.size() == 2) w.push_back(axes[1][j]);
                pair(p, p + ny, std::move(w));
            }
            if (axes.size() == 2 && j + 1 < ny)
                pair(p, p + 1, {axes[0][i], 0.5 * (axes[1][j] + axes[1][j + 1])});
        }
    for (auto& [ab, v] : pts) {
        std::sort(v.begin(), v.end());
        class_boundary cb;
        cb.name = names[std::size_t(ab.first)] + "_" + names[std::size_t(ab.second)];
        for (const auto& w : v) cb.points.insert(cb.points.end(), w.begin(), w.end());
        out.push_back(std::move(cb));
    }
    return out;
}

} // namespace nms
