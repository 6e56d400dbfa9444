// Entrainment of the observable by a periodic stimulus (definitions:
// entrainment_options in nmsweep/sweep/reducers.hpp). A host reducer: it
// keeps every sample after the transient of each instance and channel (the
// nodes, then the network mean), and when an instance's last sample arrives
// (in the sweep's threads) splits them at its stimulus's onset and stop and
// computes its features (entrainment_math.hpp). Not device-reducible: the
// CUDA backend observes on the host for it.

#include "entrainment_math.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace nms {

std::pair<int, int> best_ratio(double r, int max_order) {
    if (!std::isfinite(r) || !(r > 0)) return {0, 0};
    int bp = 0, bq = 0;
    double best = std::numeric_limits<double>::infinity();
    for (int q = 1; q <= max_order; ++q)
        for (int p = 1; p <= max_order; ++p) {
            const double e = std::fabs(r - double(p) / double(q));
            if (e < best - 1e-12) {
                best = e;
                bp = p;
                bq = q;
            }
        }
    return {bp, bq};
}

namespace {

const double nan = std::numeric_limits<double>::quiet_NaN();

// The per-channel values, in this order.
enum value : int {
    v_plv,
    v_ratio,
    v_n,
    v_m,
    v_index,
    v_pf_before,
    v_pf_during,
    v_bp_before,
    v_bp_during,
    v_power, // n_harmonics values from here
};

struct out_desc {
    std::string name, units, what;
    int v;          // first value
    bool network;   // network-mean channel
    bool harmonics; // n_harmonics values
    bool integer;
};

class entrainment_reducer final : public reducer {
  public:
    entrainment_reducer(const std::vector<std::string>& features, const entrainment_options& o,
                        const sampling& smp, std::string units)
        : opt_(o), smp_(smp), units_(units.empty() ? "observable" : std::move(units)) {
        auto has = [&](const char* f) {
            return std::find(features.begin(), features.end(), f) != features.end() ||
                   std::find(features.begin(), features.end(), "entrainment") != features.end();
        };
        for (const auto& f : features)
            if (f != "entrainment" && f != "stim_plv" && f != "locking" && f != "stim_power" &&
                f != "rhythm_change")
                throw input_error("entrainment: not an entrainment feature: '" + f + "'");
        nv_ = v_power + int(opt_.n_harmonics);
        const std::string u2 = units_ + "^2";
        if (has("stim_plv"))
            add("stim_plv", "1", v_plv,
                "phase-locking value |<exp(i(phi_x - phi_s))>| to the stimulus phase");
        if (has("locking")) {
            add("locking_ratio", "1", v_ratio, "response peak frequency / stimulus frequency (during)");
            add("locking_n", "1", v_n, "n of the closest n:m to the locking ratio (0: undetermined)", false,
                true);
            add("locking_m", "1", v_m, "m of the closest n:m to the locking ratio (0: undetermined)", false,
                true);
            add("locking_index", "1", v_index, "n:m phase-locking value |<exp(i(m phi_x - n phi_s))>|");
        }
        if (has("stim_power"))
            add("stim_power", u2, v_power, "Welch power at the stimulus frequency's harmonics (+-1 bin)",
                true);
        if (has("rhythm_change")) {
            add("peak_freq_before", "Hz", v_pf_before, "largest Welch PSD bin before the stimulus onset");
            add("peak_freq_during", "Hz", v_pf_during, "largest Welch PSD bin during the stimulus");
            const std::string band = " in " + num(opt_.band_lo) + " <= f < " + num(opt_.band_hi) + " Hz";
            add("band_power_before", u2, v_bp_before, "Welch band power before the stimulus onset" + band);
            add("band_power_during", u2, v_bp_during, "Welch band power during the stimulus" + band);
        }
    }

    void set_batch(const batch& b) override {
        const auto prepared = prepare_stimuli(b);
        int k = -1;
        for (std::size_t j = 0; j < b.stimuli.size() && k < 0; ++j) {
            const bool periodic = b.stimuli[j].kind == wave::pulse_train || b.stimuli[j].kind == wave::sine;
            if (opt_.stimulus.empty() ? periodic : b.stimuli[j].name == opt_.stimulus) k = int(j);
        }
        if (k < 0)
            throw input_error("entrainment: " +
                              (opt_.stimulus.empty()
                                   ? std::string("no periodic stimulus (pulse_train or sine)")
                                   : "no stimulus named '" + opt_.stimulus + "'"));
        kind_ = prepared[std::size_t(k)].kind;
        if (kind_ != wave::pulse_train && kind_ != wave::sine)
            throw input_error("entrainment: stimulus '" + b.stimuli[std::size_t(k)].name +
                              "' is not periodic (pulse_train or sine)");
        props_ = prepared[std::size_t(k)].props;
        n_batch_ = b.n_instances;
        dt_ = b.dt;
        every_ = std::max(1L, std::lround(smp_.dt_ms / b.dt));
    }

    void reset(std::size_t n, int n_nodes) override {
        // (The driver may reset() without a batch to learn the outputs: no stimulus, no values.)
        n_ = n;
        nn_ = n_nodes;
        ch_ = std::size_t(n_nodes) + 1;
        M_ = std::size_t(std::max(0L, smp_.n_samples));
        data_.assign(n * ch_ * M_, 0.0);
        count_.assign(n, 0);
        step0_.assign(n, 0);
        done_.assign(n, 0);
        values_.assign(n * ch_ * std::size_t(nv_), nan);
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        return sizeof(double) * std::size_t(n_nodes + 1) * (std::size_t(std::max(0L, smp_.n_samples)) + 16);
    }

    void accumulate(const obs_block& b) override {
        for (int l = 0; l < b.n_valid; ++l) {
            const std::size_t i = b.first + std::size_t(l);
            if (count_[i] == 0) step0_[i] = b.step;
            const std::size_t j = count_[i];
            if (j >= M_) continue;
            double* d = data_.data() + i * ch_ * M_ + j;
            for (int c = 0; c < b.n_nodes; ++c) d[std::size_t(c) * M_] = b.obs[c * b.lanes + l];
            d[std::size_t(nn_) * M_] = b.net[l];
            if (++count_[i] == M_) finish(i);
        }
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        std::vector<double> h(static_cast<std::size_t>(opt_.n_harmonics));
        for (std::size_t k = 0; k < h.size(); ++k) h[k] = double(k + 1);
        for (const auto& o : outs_) {
            reducer_output r{
                "features/" + std::string(o.network ? "network_" : "") + o.name,       {}, {}, {}, o.units,
                o.what + (o.network ? " of the network-mean observable" : " per node")};
            if (!o.network) {
                r.extra_dims.push_back("node");
                r.extra_sizes.push_back(std::size_t(nn_));
                r.extra_scales.push_back({});
            }
            if (o.harmonics) {
                r.extra_dims.push_back("harmonic");
                r.extra_sizes.push_back(h.size());
                r.extra_scales.push_back(h);
            }
            out.push_back(std::move(r));
        }
        return out;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        if (!done_[i]) const_cast<entrainment_reducer*>(this)->finish(i); // (a run cut short)
        const auto& o = outs_[k];
        const int m = o.harmonics ? int(opt_.n_harmonics) : 1;
        auto channel = [&](std::size_t c, double* dst) {
            const double* v = values_.data() + (i * ch_ + c) * std::size_t(nv_);
            for (int q = 0; q < m; ++q) dst[q] = v[o.v + q];
        };
        if (o.network)
            channel(std::size_t(nn_), out);
        else
            for (int c = 0; c < nn_; ++c) channel(std::size_t(c), out + std::size_t(c) * std::size_t(m));
    }

    bool integer_output(std::size_t k) const override { return outs_[k].integer; }
    double diverged_value(std::size_t k) const override { return outs_[k].integer ? -1.0 : nan; }
    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        if (!outs_[k].integer) return {};
        return {{"meaning", "0: undetermined (no spectral peak), -1: the integration diverged"}};
    }

  private:
    static std::string num(double x) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", x);
        return buf;
    }
    void add(const std::string& name, const std::string& units, int v, const std::string& what,
             bool harmonics = false, bool integer = false) {
        outs_.push_back({name, units, what, v, false, harmonics, integer});
        outs_.push_back({name, units, what, v, true, harmonics, integer});
    }

    // The features of instance i from its samples.
    void finish(std::size_t i) {
        done_[i] = 1;
        if (props_.size() < std::size_t(n_wave_props) * (i + 1) || n_batch_ <= i) return;
        double q[n_wave_props];
        for (int k = 0; k < n_wave_props; ++k) q[k] = props_[std::size_t(k) * n_batch_ + i];
        const long first = impl::stimulus_first_step(kind_, q, dt_),
                   end = impl::stimulus_end_step(kind_, q, dt_);
        // Samples j (steps step0 + j every) before first, and in [first, end).
        const long n = long(std::min(count_[i], M_));
        auto index_of = [&](long step) { // the first sample at or after `step`
            const long d = step - step0_[i];
            return std::clamp(d <= 0 ? 0L : (d + every_ - 1) / every_, 0L, n);
        };
        const long j_on = index_of(first), j_off = index_of(end);
        for (std::size_t c = 0; c < ch_; ++c) {
            const double* x = data_.data() + (i * ch_ + c) * M_;
            double* v = values_.data() + (i * ch_ + c) * std::size_t(nv_);
            channel(x, j_on, j_off, i, q, v);
        }
    }

    void channel(const double* x, long j_on, long j_off, std::size_t i, const double* q, double* v) {
        const double fs = smp_.fs, fs_stim = q[wp_frequency];
        const long nd = j_off - j_on;
        const auto before = impl::welch(x, j_on, fs, opt_.nperseg, plans_);
        const auto during = impl::welch(x + j_on, nd, fs, opt_.nperseg, plans_);
        v[v_pf_before] = impl::peak_frequency(before);
        v[v_bp_before] = impl::band_power(before, opt_.band_lo, opt_.band_hi);
        v[v_pf_during] = impl::peak_frequency(during);
        v[v_bp_during] = impl::band_power(during, opt_.band_lo, opt_.band_hi);
        for (long h = 0; h < opt_.n_harmonics; ++h)
            v[v_power + h] = impl::power_at(during, double(h + 1) * fs_stim);
        const double fx = v[v_pf_during];
        v[v_ratio] = fx / fs_stim;
        const auto [p, m] = best_ratio(v[v_ratio], int(opt_.max_order));
        v[v_n] = p;
        v[v_m] = m;
        if (nd < entrainment_min_samples) return;
        std::vector<double> phi_s(static_cast<std::size_t>(nd));
        for (long j = 0; j < nd; ++j)
            phi_s[std::size_t(j)] = impl::stimulus_phase(kind_, q, step0_[i] + (j_on + j) * every_, dt_);
        const double bw = opt_.bandwidth;
        v[v_plv] = plv(impl::band_phasor(x + j_on, nd, fs, fs_stim * (1 - bw), fs_stim * (1 + bw), plans_),
                       phi_s, 1, 1);
        if (p > 0)
            v[v_index] =
                plv(impl::band_phasor(x + j_on, nd, fs, fx * (1 - bw), fx * (1 + bw), plans_), phi_s, p, m);
    }

    // |< z^m exp(-i n phi_s) >| over the window without its edges.
    double plv(const std::vector<std::complex<double>>& z, const std::vector<double>& phi_s, int n,
               int m) const {
        const long N = long(z.size()), e = long(std::floor(opt_.edge * double(N)));
        std::complex<double> s(0.0, 0.0);
        long count = 0;
        for (long j = e; j < N - e; ++j) {
            if (z[std::size_t(j)] == std::complex<double>(0.0, 0.0)) continue;
            s += std::pow(z[std::size_t(j)], m) * std::polar(1.0, -double(n) * phi_s[std::size_t(j)]);
            ++count;
        }
        return count ? std::abs(s) / double(count) : nan;
    }

    entrainment_options opt_;
    sampling smp_;
    std::string units_;
    std::vector<out_desc> outs_;
    int nv_ = 0;
    wave kind_ = wave::sine;
    std::vector<double> props_;
    std::size_t n_batch_ = 0;
    double dt_ = 0.1;
    long every_ = 1;
    std::size_t n_ = 0, ch_ = 1, M_ = 0;
    int nn_ = 0;
    std::vector<double> data_, values_;
    std::vector<std::size_t> count_;
    std::vector<long> step0_;
    std::vector<char> done_;
    impl::plan_cache plans_;
};

} // namespace

std::unique_ptr<reducer> make_entrainment_reducer(const std::vector<std::string>& features,
                                                  const entrainment_options& opt, const sampling& smp,
                                                  const std::string& units) {
    return std::make_unique<entrainment_reducer>(features, opt, smp, units);
}

} // namespace nms
