// Attractor classification, streamed: per instance and channel (the network
// mean, and with per_node every node) running extrema, a hysteresis level
// detector that times cycles, and running sums of the cycle periods, maxima,
// minima and amplitudes (with their linear trends over the cycle index).
// The rules and outputs are documented with make_attractor_reducer in
// include/nmsweep/sweep/reducers.hpp; tests/test_attractor.cpp checks them on
// synthetic signals, tests/test_bifurcation.cpp on Jansen-Rit and
// Wilson-Cowan against independent bifurcation analyses.

#include "nmsweep/analysis/unit_reducer.hpp" // load_unit_states
#include "nmsweep/core/cycle_tracker.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
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

using channel = cycle_state;

struct verdict {
    int cls;
    double amplitude, frequency, mean, rate = nan;
};

// The cycle envelope over the record, from the quarters' fits (rates in 1/ms).
struct envelope {
    double rate = nan, rate_se = nan;   // d(ln a)/dt in the last quarter with >= 3 cycles
    double sigma = nan, sigma_se = nan; // the normal form's rate at zero amplitude
    bool decaying = true;               // in every quarter with >= 3 cycles
    bool normal_form = false;           // >= 3 such quarters, on the line within their errors
};

// Rate and its standard error of one quarter (nan with fewer than 3 cycles).
void quarter_rate(const envelope_fit& f, double& r, double& se) {
    r = se = nan;
    if (f.n < 3) return;
    const double stt = f.tt - f.t * f.t / f.n, sty = f.ty - f.t * f.y / f.n, syy = f.yy - f.y * f.y / f.n;
    if (!(stt > 0)) return;
    r = sty / stt;
    const double res = std::max(0.0, syy - r * sty);
    se = std::sqrt(res / (f.n - 2) / stt);
}

// Near a Hopf point the envelope follows d(ln a)/dt = sigma - l a^2 (the
// normal form): a line through the quarters' (mean a^2, rate) whose
// intercept sigma is the growth rate of small oscillations - negative at a
// stable focus, however slowly it still rings down, positive where a cycle
// is born. Its standard error from the quarters' (least-squares weights).
envelope envelope_of(const cycle_state& c) {
    envelope e;
    double r[envelope_segments], se[envelope_segments], x[envelope_segments];
    int m = 0;
    for (const auto& f : c.env) {
        double q, qs;
        quarter_rate(f, q, qs);
        if (std::isnan(q)) continue;
        r[m] = q, se[m] = qs, x[m] = f.x / f.n;
        e.rate = q, e.rate_se = qs;
        e.decaying = e.decaying && q < 0;
        ++m;
    }
    if (m < 3) return e;
    double xm = 0, rm = 0;
    for (int k = 0; k < m; ++k) xm += x[k] / m, rm += r[k] / m;
    double sxx = 0, sxr = 0;
    for (int k = 0; k < m; ++k) sxx += (x[k] - xm) * (x[k] - xm), sxr += (x[k] - xm) * (r[k] - rm);
    if (!(sxx > 0)) return e;
    const double slope = sxr / sxx;
    e.sigma = rm - slope * xm;
    double var = 0, chi2 = 0;
    for (int k = 0; k < m; ++k) {
        // (The line's misfit allowed 2% of a rate at least: a sampling in
        // step with the cycle can make a quarter's error vanish.)
        const double w = 1.0 / m - xm * (x[k] - xm) / sxx;
        const double d = (r[k] - rm - slope * (x[k] - xm)) / std::max(se[k], 0.02 * std::abs(r[k]));
        var += w * w * se[k] * se[k];
        chi2 += d * d;
    }
    e.sigma_se = std::sqrt(var);
    // On the line (an envelope that beats or turns is not a focus), and not
    // extrapolated to a = 0 from afar: a large cycle approached from
    // outside changes its a^2 by a few per cent, and its rates say nothing
    // of small oscillations.
    const double span = *std::max_element(x, x + m) - *std::min_element(x, x + m);
    e.normal_form = chi2 <= 9.0 * (m - 2) && xm <= 10 * span;
    return e;
}

// Without cycles: the rate at which the signal's distance to where it goes
// shrinks, from its changes over the last two quarters of the record
// (x* + c e^(rt) changes by factors e^(r T/4)); 1/ms. NaN when a change is
// below 1e-5 of the level: settled, and the ratio of two such changes
// would be mostly rounding (a float sample holds ~7 digits).
double approach_rate(const cycle_state& c, double t_rec) {
    const double d3 = std::abs(c.at_3q - c.at_half), d4 = std::abs(c.prev - c.at_3q);
    const double floor = 1e-5 * (std::abs(c.prev) + 1e-300);
    if (!(d3 > floor) || !(d4 > floor)) return nan;
    return std::log(d4 / d3) / (0.25 * t_rec);
}

class attractor_reducer final : public reducer {
  public:
    attractor_reducer(const attractor_options& o, const sampling& smp, std::string units)
        : opt_(o), dt_(smp.dt_ms), n_samples_(smp.n_samples), units_(std::move(units)) {
        if (!(dt_ > 0)) throw input_error("attractor: the sampling interval must be > 0");
        cp_.atol = o.atol;
        cp_.rtol = o.rtol;
        cp_.hysteresis = o.hysteresis;
        cp_.dt = dt_;
        cp_.n_samples = n_samples_;
    }

    void reset(std::size_t n, int n_nodes) override {
        nn_ = n_nodes;
        ch_ = opt_.per_node ? std::size_t(n_nodes) + 1 : 1;
        st_.assign(n * ch_, cycle_state::start());
    }

    // The per-sample state machine runs on a device as well: the analysis
    // unit cycle_tracking, of the node mean (and every node with per_node).
    bool takes_device(device_request& r) const override {
        r.unit = true;
        r.id = unit_index<cycle_tracking>(analysis_units{});
        r.params = params_bytes(cp_);
        r.nodes = opt_.per_node;
        return true;
    }
    void load_device(const device_state& u) override { load_unit_states(u, st_, ch_); }

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
            out.push_back(
                {pre + "attractor_mean",
                 dims,
                 sizes,
                 {},
                 u,
                 "cycles: time mean after the transient; fixed points: the level at the end of the "
                 "record (the last sample, or the middle of the last cycle of a damped oscillation)" +
                     of});
            out.push_back({pre + "decay_rate",
                           dims,
                           sizes,
                           {},
                           "1/s",
                           "growth rate d(ln a)/dt of the cycle amplitude a over the last quarter of the "
                           "record with 3 cycles; with fewer cycles than min_cycles, of the signal's change "
                           "(ln of its change over the last quarter / over the third, per quarter length); "
                           "negative: converging" +
                               of});
        }
        return out;
    }

    static constexpr std::size_t per_channel = 5; // outputs per pass (network mean, nodes)
    bool integer_output(std::size_t k) const override { return k % per_channel == 0; }
    double diverged_value(std::size_t k) const override {
        return k % per_channel == 0 ? double(diverged) : nan;
    }

    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        if (k % per_channel != 0) return {};
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
                          "min_cycles cycles in the record, or a decaying envelope whose normal-form "
                          "rate sigma cannot be told from 0)"},
                {"criteria", crit}};
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        const bool node = k >= per_channel;
        const std::size_t what = k % per_channel;
        auto put = [&](const channel& c, double* dst) {
            const verdict v = classify(c);
            const double all[per_channel] = {double(v.cls), v.amplitude, v.frequency, v.mean, v.rate};
            *dst = all[what];
        };
        const channel* c = st_.data() + i * ch_;
        if (!node)
            put(c[ch_ - 1], out);
        else
            for (int n = 0; n < nn_; ++n) put(c[n], out + n);
    }

  private:
    double fp_tol(double a, double b) const { return cycle_state::tolerance(cp_, a, b); }

    void add(channel& c, double x) const { c.add(cp_, x); }

    // A fixed point's level is where the record ends (the last sample, or
    // the middle of the last cycle of a damped oscillation), not the record's
    // mean, unless the record stayed within the tolerance: starts that settle
    // late would otherwise differ by their path.
    verdict classify(const channel& c) const {
        if (c.n == 0) return {fixed_point, nan, nan, nan};
        const double ptp = c.mx - c.mn;
        if (ptp <= fp_tol(c.mx, c.mn))
            return {fixed_point, ptp, nan, c.mean}; // (within tolerance throughout)
        const double T = c.nc ? c.T.mean(c.nc) : nan;
        // Cycles that stopped (the oscillation decayed below the fixed-point
        // tolerance, or the signal settled elsewhere) long before the end.
        const double t_end = double(c.n - 1) * dt_;
        if (c.nc >= 1 && t_end - c.t_up > 3 * T) return {fixed_point, c.cmax - c.cmin, nan, c.prev};
        if (c.nc < std::max(1L, opt_.min_cycles)) {
            // Too few cycles: a monotone (or overdamped) approach to a fixed
            // point moves far less in the second half of the record than in all.
            const double ptp2 = c.mx2 - c.mn2, rate = 1000 * approach_rate(c, double(n_samples_) * dt_);
            if (ptp2 >= 0 && ptp2 <= 0.25 * ptp) return {fixed_point, ptp2, nan, c.prev, rate};
            return {unresolved, ptp, nan, c.mean, rate};
        }
        const envelope e = envelope_of(c);
        const double rate = e.rate * 1000; // 1/s
        const double f = T > 0 ? 1000.0 / T : nan;
        // An envelope that decays through the record (in every quarter; in
        // the last beyond 3 standard errors and 1% per record length) and
        // follows the normal form: a damped oscillation (sigma < 0, a fixed
        // point still ringing down), a cycle approached from outside
        // (sigma > 0), or too close to the Hopf point to tell (unresolved).
        // A growing envelope is leaving the fixed point: it is classified
        // by its cycles, as a settled one.
        const double t_rec = double(n_samples_) * dt_;
        const bool decaying =
            e.decaying && -e.rate > 3 * e.rate_se && -e.rate * t_rec > 0.01 && !std::isnan(e.sigma);
        if (decaying && e.normal_form) {
            if (e.sigma + 3 * e.sigma_se < 0) return {fixed_point, c.a_last, nan, 0.5 * (c.pmax + c.pmin), rate};
            if (e.sigma - 3 * e.sigma_se <= 0) return {unresolved, ptp, nan, c.mean, rate};
        } else if (c.A.slope(c.nc) < 0 && c.a_last <= 0.5 * c.a_first) {
            // Without the normal form: damped when the cycle amplitude
            // halves within the record and keeps falling in its second half
            // at least half as fast (in log) as in its first.
            const double mid = std::isnan(c.a_mid) ? c.a_last : c.a_mid;
            if (mid > 0 && c.a_last > 0 && std::log(c.a_last / mid) <= 0.5 * std::log(mid / c.a_first))
                return {fixed_point, c.a_last, nan, 0.5 * (c.pmax + c.pmin), rate};
        }
        const double tol = opt_.regular_tol;
        const bool regular =
            c.T.spread(c.nc) <= tol * T && c.M.spread(c.nc) <= tol * ptp && c.m.spread(c.nc) <= tol * ptp;
        if (regular) return {periodic, c.a_last, f, c.mean, rate};
        return {irregular, ptp, f, c.mean, rate};
    }

    attractor_options opt_;
    cycle_params cp_;
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
                                             const std::vector<std::string>& names,
                                             const std::vector<bool>& categorical) {
    std::vector<class_boundary> out;
    auto scale = [&](std::size_t a) { return categorical.empty() || !categorical[a]; };
    if (axes.empty() || axes.size() > 2) return out;
    const std::size_t nx = axes[0].size(), ny = axes.size() == 2 ? axes[1].size() : 1;
    if (codes.size() != nx * ny) throw std::invalid_argument("class_boundaries: codes do not match the axes");
    const long nnames = long(names.size());
    const std::size_t d = axes.size();
    // Each point: its coordinates, then their uncertainties.
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
            if (i + 1 < nx && scale(0)) {
                const double mid = 0.5 * (axes[0][i] + axes[0][i + 1]), half = 0.5 * std::fabs(axes[0][i + 1] - axes[0][i]);
                pair(p, p + ny, d == 2 ? std::vector<double>{mid, axes[1][j], half, 0} : std::vector<double>{mid, half});
            }
            if (d == 2 && j + 1 < ny && scale(1))
                pair(p, p + 1, {axes[0][i], 0.5 * (axes[1][j] + axes[1][j + 1]), 0,
                                0.5 * std::fabs(axes[1][j + 1] - axes[1][j])});
        }
    for (auto& [ab, v] : pts) {
        std::sort(v.begin(), v.end());
        class_boundary cb;
        cb.name = names[std::size_t(ab.first)] + "_" + names[std::size_t(ab.second)];
        for (const auto& w : v) {
            cb.points.insert(cb.points.end(), w.begin(), w.begin() + long(d));
            cb.uncertainty.insert(cb.uncertainty.end(), w.begin() + long(d), w.end());
        }
        out.push_back(std::move(cb));
    }
    return out;
}

} // namespace nms
