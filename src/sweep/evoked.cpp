// Evoked responses: per instance, the observable of every channel summed
// over the windows of the counted pulses of one stimulus, finalised into the
// ERP, its peak, latency and decay and the PCI. Definitions:
// include/nmsweep/sweep/evoked.hpp; tests/test_evoked.cpp checks them.

#include "nmsweep/sweep/evoked.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/prepared.hpp" // prepare_stimuli

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace nms {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", x);
    return b;
}

long floor_div(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

enum class out_kind { erp, n_pulses, peak_amplitude, peak_latency, decay_time, pci };

struct out_spec {
    out_kind k;
    bool network;
};

// Where the samples are, in steps: the first and last sampled steps and the
// sampling interval e (sample_every).
struct sample_grid {
    long first = 0, last = -1, every = 1;
};

class evoked_reducer final : public reducer {
  public:
    evoked_reducer(const std::vector<std::string>& features, const evoked_options& o, const sampling& smp,
                   const std::string& units)
        : opt_(o), smp_(smp), units_(units) {
        if (!(smp.dt_ms > 0)) throw input_error("evoked: the sampling interval must be > 0");
        if (!(o.pre_ms >= 0) || !(o.post_ms > 0) || !std::isfinite(o.pre_ms + o.post_ms))
            throw input_error("evoked: need pre >= 0 and post > 0 ms");
        n_pre_ = std::lround(o.pre_ms / smp.dt_ms);
        n_post_ = std::max(1L, std::lround(o.post_ms / smp.dt_ms));
        if (n_pre_ + 1 + n_post_ > smp.n_samples)
            throw input_error("evoked: the window pre + post = " + fmt(o.pre_ms + o.post_ms) +
                              " ms is longer than the " + fmt(double(smp.n_samples) * smp.dt_ms) +
                              " ms recorded after the transient");
        auto picked = [&](const char* f) {
            return std::find(features.begin(), features.end(), f) != features.end();
        };
        if (picked("erp")) outs_.insert(outs_.end(), {{out_kind::erp, false}, {out_kind::erp, true}});
        outs_.push_back({out_kind::n_pulses, true});
        const std::pair<const char*, out_kind> per_channel[] = {
            {"erp_peak_amplitude", out_kind::peak_amplitude},
            {"erp_peak_latency", out_kind::peak_latency},
            {"erp_decay_time", out_kind::decay_time}};
        for (const auto& [name, k] : per_channel)
            if (picked(name)) outs_.insert(outs_.end(), {{k, false}, {k, true}});
        if (picked("pci")) outs_.push_back({out_kind::pci, true});
    }

    void set_batch(const batch& b) override {
        const auto all = prepare_stimuli(b);
        std::size_t k = 0;
        while (k < b.stimuli.size() && b.stimuli[k].name != opt_.stimulus) ++k;
        if (k == b.stimuli.size())
            throw input_error("evoked: the batch has no stimulus named '" + opt_.stimulus + "'");
        const sample_grid g = grid_of(b.dt);
        const std::size_t n = b.n_instances;
        starts_.assign(n, {});
        double q[n_wave_props];
        for (std::size_t i = 0; i < n; ++i) {
            stimulus_props(all[k], i, n, q);
            starts_[i] = pulse_starts(all[k].kind, q, b.dt, g);
        }
        grid_ = g;
        fresh_ = true;
    }

    void reset(std::size_t n, int n_nodes) override {
        if (!fresh_) starts_.assign(n, {}); // no batch given (the result file's structure): no pulses
        if (starts_.size() != n)
            throw std::logic_error("evoked: set_batch and reset disagree on the batch size");
        fresh_ = false;
        nn_ = n_nodes;
        cursor_.assign(n, 0);
        added_.assign(n, 0);
        if (!results_only()) sum_.assign(n * std::size_t(nn_ + 1) * std::size_t(width()), 0.0);
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        return sizeof(double) * std::size_t(n_nodes + 1) * std::size_t(n_pre_ + 1 + n_post_);
    }

    void accumulate(const obs_block& b) override {
        if (results_only()) throw std::logic_error("evoked: accumulate on a results-only reducer");
        const long h = grid_.every / 2, W = width();
        for (int l = 0; l < b.n_valid; ++l) {
            const std::size_t i = b.first + std::size_t(l);
            const auto& st = starts_[i];
            std::size_t& p0 = cursor_[i];
            while (p0 < st.size() && floor_div(b.step - st[p0] + h, grid_.every) > n_post_) ++p0;
            for (std::size_t p = p0; p < st.size(); ++p) {
                const long j = floor_div(b.step - st[p] + h, grid_.every);
                if (j < -n_pre_) break; // (later pulses start later)
                if (j > n_post_) continue;
                double* s = sum_.data() + i * std::size_t(nn_ + 1) * std::size_t(W) + std::size_t(j + n_pre_);
                for (int c = 0; c < nn_; ++c)
                    s[std::size_t(c) * std::size_t(W)] +=
                        b.obs[std::size_t(c) * std::size_t(b.lanes) + std::size_t(l)];
                s[std::size_t(nn_) * std::size_t(W)] += b.net[l];
                ++added_[i];
            }
        }
    }

    std::vector<reducer_output> outputs() const override;
    void result(std::size_t k, std::size_t i, double* out) const override;

    bool integer_output(std::size_t k) const override { return outs_[k].k == out_kind::n_pulses; }
    double diverged_value(std::size_t k) const override { return integer_output(k) ? -1.0 : nan; }
    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        std::vector<std::pair<std::string, std::string>> a{
            {"stimulus", opt_.stimulus}, {"pre_ms", fmt(opt_.pre_ms)}, {"post_ms", fmt(opt_.post_ms)}};
        if (outs_[k].k == out_kind::pci) a.push_back({"pci_threshold", fmt(opt_.pci_threshold)});
        if (integer_output(k)) a.push_back({"diverged", "integer outputs hold -1 for a diverged point"});
        return a;
    }

  private:
    long width() const { return n_pre_ + 1 + n_post_; }

    sample_grid grid_of(double dt) const {
        sample_grid g;
        g.every = std::max(1L, std::lround(smp_.dt_ms / dt));
        g.first = std::lround(smp_.t0_ms / dt);
        g.last = g.first + (smp_.n_samples - 1) * g.every;
        return g;
    }

    // The counted pulses' first steps (evoked.hpp: the window inside the
    // samples, before stop, after the ramp).
    std::vector<long> pulse_starts(wave kind, const double* q, double dt, const sample_grid& g) const {
        std::vector<long> out;
        if (kind != wave::pulse_train && kind != wave::pulse) return out;
        const double s0 = std::rint(q[wp_onset] / dt);
        const double period = kind == wave::pulse ? 0.0 : 1000.0 / (q[wp_frequency] * dt);
        const double stop = q[wp_stop] < 1e300 ? std::rint(q[wp_stop] / dt) : 1e300;
        const long h = g.every / 2;
        for (long k = 0; long(out.size()) < opt_.max_pulses; ++k) {
            const double rel = std::rint(double(k) * period); // impl::pulse_start
            const double s = s0 + rel;
            if (s >= stop || s > double(g.last) || (k > 0 && period == 0.0)) break;
            if (q[wp_ramp] > 0 && rel * dt < q[wp_ramp]) continue;
            const long sk = long(s);
            if (floor_div(g.first - sk + h, g.every) <= -n_pre_ &&
                floor_div(g.last - sk + h, g.every) >= n_post_)
                out.push_back(sk);
        }
        return out;
    }

    // The baseline-corrected ERP of instance i, [channel][lag] (nn_ + 1
    // channels, the network last); false when no pulse counted.
    bool erp_of(std::size_t i, std::vector<double>& e) const;
    double channel_value(out_kind k, const double* e) const;

    evoked_options opt_;
    sampling smp_;
    std::string units_;
    long n_pre_ = 0, n_post_ = 1;
    std::vector<out_spec> outs_;
    int nn_ = 0;
    sample_grid grid_;
    bool fresh_ = false;
    std::vector<std::vector<long>> starts_;
    std::vector<std::size_t> cursor_;
    std::vector<long> added_;
    std::vector<double> sum_;
};

std::vector<reducer_output> evoked_reducer::outputs() const {
    const std::string u = units_;
    std::vector<double> lags;
    for (long j = -n_pre_; j <= n_post_; ++j) lags.push_back(double(j) * smp_.dt_ms);
    const std::string of_stim = " (stimulus '" + opt_.stimulus + "')";
    std::vector<reducer_output> out;
    for (const auto& o : outs_) {
        const std::string pre = o.network ? "network_" : "";
        const std::string of = o.network ? " of the network-mean observable" : " per node";
        std::vector<std::string> dims =
            o.network ? std::vector<std::string>{} : std::vector<std::string>{"node"};
        std::vector<std::size_t> sizes =
            o.network ? std::vector<std::size_t>{} : std::vector<std::size_t>{std::size_t(nn_)};
        auto feature = [&](const char* name, const std::string& units, const std::string& what) {
            out.push_back({std::string("features/") + pre + name, dims, sizes, {}, units, what + of});
        };
        switch (o.k) {
        case out_kind::erp: {
            auto scales =
                o.network ? std::vector<std::vector<double>>{} : std::vector<std::vector<double>>{{}};
            dims.push_back("lag");
            sizes.push_back(lags.size());
            scales.push_back(lags);
            out.push_back(
                {"evoked/" + pre + "erp", dims, sizes, scales, u,
                 "evoked response: the signal averaged over the pulses' windows, minus its mean over "
                 "the lags <= 0 (lag in ms after each pulse onset)" +
                     of_stim + of});
            break;
        }
        case out_kind::n_pulses:
            out.push_back(
                {"features/erp_n_pulses",
                 {},
                 {},
                 {},
                 "",
                 "pulses averaged: those whose whole window lies in the recorded samples" + of_stim});
            break;
        case out_kind::peak_amplitude:
            feature("erp_peak_amplitude", u, "ERP at its largest |value| after the onset (signed)");
            break;
        case out_kind::peak_latency:
            feature("erp_peak_latency", "ms", "time after the onset of the ERP's largest |value|");
            break;
        case out_kind::decay_time:
            feature("erp_decay_time", "ms",
                    "from the ERP's peak until |ERP| last falls below |peak| / e (interpolated; NaN: not "
                    "within the window)");
            break;
        case out_kind::pci:
            out.push_back(
                {"features/pci",
                 {},
                 {},
                 {},
                 "",
                 "perturbational complexity index (Casali et al. 2013): normalised Lempel-Ziv "
                 "complexity of the channels' significant ERP (|ERP| > pci_threshold x the baseline's "
                 "standard deviation), read time-major" +
                     of_stim});
            break;
        }
    }
    return out;
}

bool evoked_reducer::erp_of(std::size_t i, std::vector<double>& e) const {
    const long W = width();
    const std::size_t C = std::size_t(nn_ + 1);
    const double n = double(starts_.empty() ? 0 : starts_[i].size());
    if (n == 0) return false;
    if (added_[i] != long(starts_[i].size()) * W)
        throw std::logic_error("evoked: " + std::to_string(added_[i]) + " samples in the windows of " +
                               std::to_string(starts_[i].size()) + " pulses of " + std::to_string(W) +
                               " lags");
    const double* s = sum_.data() + i * C * std::size_t(W);
    e.assign(C * std::size_t(W), 0.0);
    for (std::size_t c = 0; c < C; ++c) {
        double base = 0;
        for (long j = 0; j <= n_pre_; ++j) base += s[c * std::size_t(W) + std::size_t(j)] / n;
        base /= double(n_pre_ + 1);
        for (long j = 0; j < W; ++j)
            e[c * std::size_t(W) + std::size_t(j)] = s[c * std::size_t(W) + std::size_t(j)] / n - base;
    }
    return true;
}

// Peak amplitude, latency or decay time of one channel's ERP e[lag].
double evoked_reducer::channel_value(out_kind k, const double* e) const {
    const double* post = e + n_pre_; // post[j], j = 0 .. n_post_
    long jp = 1;
    for (long j = 2; j <= n_post_; ++j)
        if (std::fabs(post[j]) > std::fabs(post[jp])) jp = j;
    if (k == out_kind::peak_amplitude) return post[jp];
    if (k == out_kind::peak_latency) return double(jp) * smp_.dt_ms;
    const double a = std::fabs(post[jp]), thr = a / std::exp(1.0);
    if (!(a > 0)) return nan;
    long jl = n_post_;
    while (jl > jp && std::fabs(post[jl]) < thr) --jl;
    if (jl == n_post_) return nan; // still above at the window's end
    const double x0 = std::fabs(post[jl]), x1 = std::fabs(post[jl + 1]);
    return (double(jl - jp) + (x0 - thr) / (x0 - x1)) * smp_.dt_ms;
}

void evoked_reducer::result(std::size_t k, std::size_t i, double* out) const {
    const auto& o = outs_[k];
    const long W = width();
    if (o.k == out_kind::n_pulses) {
        out[0] = double(starts_.empty() ? 0 : starts_[i].size());
        return;
    }
    thread_local std::vector<double> e;
    const bool any = erp_of(i, e);
    const std::size_t first = o.network ? std::size_t(nn_) : 0, count = o.network ? 1 : std::size_t(nn_);
    for (std::size_t c = 0; c < count; ++c) {
        const double* ec = e.data() + (first + c) * std::size_t(W);
        if (o.k == out_kind::erp) {
            for (long j = 0; j < W; ++j) out[c * std::size_t(W) + std::size_t(j)] = any ? ec[j] : nan;
        } else if (o.k == out_kind::pci) {
            out[0] = any ? pci_of_erp(e.data(), std::size_t(nn_), n_pre_, n_post_, opt_.pci_threshold) : nan;
        } else {
            out[c] = any ? channel_value(o.k, ec) : nan;
        }
    }
}

} // namespace

const std::vector<std::string>& evoked_features() {
    static const std::vector<std::string> f{"erp", "erp_peak_amplitude", "erp_peak_latency", "erp_decay_time",
                                            "pci"};
    return f;
}

std::unique_ptr<reducer> make_evoked_reducer(const std::vector<std::string>& features,
                                             const evoked_options& opt, const sampling& smp,
                                             const std::string& units) {
    return std::make_unique<evoked_reducer>(features, opt, smp, units);
}

} // namespace nms
