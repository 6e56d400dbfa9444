// Welch power spectra of the observable, streamed: per instance and channel
// (the nodes, then the network mean) a ring of the last nperseg samples and
// the running sum of the periodograms, kept by the Welch schedule
// (nmsweep/analysis/channel_schedule.hpp) on either backend; this reducer
// makes the outputs from the sums. The numbers match
// scipy.signal.welch(x, fs, window, nperseg, noverlap) with its other
// defaults (detrend="constant", return_onesided=True, scaling="density",
// average="mean"); tests/test_spectra.cpp checks that against
// tests/reference/make_welch_reference.py.

#include "host_schedule.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace nms {

std::vector<freq_band> default_bands() {
    return {{"delta", 1, 4}, {"theta", 4, 8}, {"alpha", 8, 13}, {"beta", 13, 30}, {"gamma", 30, 80}};
}

spectra_params plan_spectra(const spectra_options& o, const sampling& smp) {
    spectra_params p;
    p.length = o.nperseg > 0 ? o.nperseg : std::min<long>(1024, smp.n_samples);
    const long L = p.length;
    if (L < 2)
        throw input_error("spectra: fewer than 2 samples per segment (nperseg " + std::to_string(L) + ")");
    const long nov = o.noverlap >= 0 ? o.noverlap : L / 2;
    if (nov >= L) throw input_error("spectra: noverlap must be smaller than nperseg");
    p.step = L - nov;
    if (o.window != "hann" && o.window != "boxcar")
        throw input_error("spectra: unknown window '" + o.window + "' (hann or boxcar)");
    p.hann = o.window == "hann";
    return p;
}

std::vector<double> welch_window(const spectra_params& p) {
    const long L = p.length;
    std::vector<double> w(std::size_t(std::max(0L, L)));
    for (long n = 0; n < L; ++n) // scipy.signal.get_window("hann", L) is the periodic (DFT-even) Hann window.
        w[std::size_t(n)] = p.hann ? 0.5 - 0.5 * std::cos(2 * pi * double(n) / double(L)) : 1.0;
    return w;
}

namespace {

class spectra_reducer final : public reducer {
  public:
    spectra_reducer(const std::vector<std::string>& features, const spectra_options& o, const sampling& smp,
                    std::string units)
        : opt_(o), fs_(smp.fs), n_samples_(smp.n_samples), units_(std::move(units)) {
        p_ = plan_spectra(o, smp);
        L_ = p_.length;
        step_ = p_.step;
        nf_ = L_ / 2 + 1;
        const std::vector<double> win = welch_window(p_);
        double s2 = 0;
        for (long n = 0; n < L_; ++n) s2 += win[std::size_t(n)] * win[std::size_t(n)];
        scale_ = 1.0 / (fs_ * s2);
        df_ = fs_ / double(L_);
        nf_store_ = nf_;
        if (o.fmax > 0) {
            nf_store_ = 0;
            while (nf_store_ < nf_ && freq(nf_store_) <= o.fmax) ++nf_store_;
            nf_store_ = std::max(nf_store_, 1L);
        }
        for (long k = 1; k < nf_; ++k) {
            const double f = freq(k);
            if (o.peak_hi > 0 && (f < o.peak_lo || f > o.peak_hi)) continue;
            if (peak_k0_ < 0) peak_k0_ = k;
            peak_k1_ = k + 1;
        }
        for (const auto& f : features) {
            if (f == "psd") {
                if (o.per_node) outs_.push_back({kind::psd, false, 0});
                outs_.push_back({kind::psd, true, 0});
            } else if (f == "peak_freq" || f == "peak_power") {
                outs_.push_back({f == "peak_freq" ? kind::peak_freq : kind::peak_power, false, 0});
                outs_.push_back({f == "peak_freq" ? kind::peak_freq : kind::peak_power, true, 0});
            } else if (f == "band_power" || f == "relative_band_power") {
                const kind k = f == "band_power" ? kind::band : kind::relative_band;
                for (std::size_t b = 0; b < o.bands.size(); ++b) {
                    outs_.push_back({k, false, b});
                    outs_.push_back({k, true, b});
                }
            } else {
                throw input_error("spectra: not a spectral feature: '" + f + "'");
            }
        }
    }

    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        ch_ = std::size_t(n_nodes) + 1;
        count_.assign(n, 0);
        nseg_.assign(n, 0);
        acc_.assign(n * ch_ * std::size_t(nf_), 0.0);
        device_request q;
        takes_device(q);
        run_ = std::make_unique<host_schedule>(q, n_samples_);
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        return sizeof(double) * std::size_t(n_nodes + 1) * std::size_t((results_only() ? 0 : L_ + nf_) + nf_);
    }

    // The segmenting and periodogram sums: the Welch schedule's, on a device
    // or on the host (accumulate).
    bool takes_device(device_request& r) const override {
        r.unit = false;
        r.id = unit_index<welch_analysis>(analysis_schedules{});
        r.params = params_bytes(p_);
        return true;
    }
    void load_device(const device_state& m) override {
        if (m.counters.at(0) != nf_) throw std::logic_error("spectra: device sums of the wrong length");
        const double* psd = m.d.at(0).data();
        for (int l = 0; l < m.n_valid; ++l) {
            const std::size_t i = m.first + std::size_t(l);
            nseg_[i] = m.counters[1];
            count_[i] = m.count;
            for (std::size_t c = 0; c < ch_; ++c)
                for (long k = 0; k < nf_; ++k)
                    acc_[(i * ch_ + c) * std::size_t(nf_) + std::size_t(k)] =
                        psd[(c * std::size_t(nf_) + std::size_t(k)) * std::size_t(m.stride) + std::size_t(l)];
        }
    }

    void accumulate(const obs_block& b) override {
        if (results_only()) throw std::logic_error("spectra: samples for a results-only reducer");
        run_->add(b, nn_, [this](const device_state& st) { load_device(st); });
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        const std::string u = units_.empty() ? "observable" : units_;
        std::vector<double> freqs(static_cast<std::size_t>(nf_store_));
        for (long k = 0; k < nf_store_; ++k) freqs[std::size_t(k)] = freq(k);
        const std::string how = "Welch PSD (scipy.signal.welch: " + opt_.window + " window, nperseg " +
                                std::to_string(L_) + ", noverlap " + std::to_string(L_ - step_) +
                                ", detrend constant, one-sided density, mean of segments)";
        for (const auto& o : outs_) {
            const std::string pre = o.network ? "network_" : "";
            const std::string of =
                o.network ? " of the network-mean observable" : " of the observable per node";
            std::vector<std::string> dims =
                o.network ? std::vector<std::string>{} : std::vector<std::string>{"node"};
            std::vector<std::size_t> sizes =
                o.network ? std::vector<std::size_t>{} : std::vector<std::size_t>{std::size_t(nn_)};
            std::vector<std::vector<double>> scales =
                o.network ? std::vector<std::vector<double>>{} : std::vector<std::vector<double>>{{}};
            switch (o.k) {
            case kind::psd:
                dims.push_back("freq");
                sizes.push_back(std::size_t(nf_store_));
                scales.push_back(freqs);
                out.push_back({"spectra/" + pre + "psd", dims, sizes, scales, u + "^2/Hz", how + of});
                break;
            case kind::peak_freq:
                out.push_back({"features/" + pre + "peak_freq",
                               dims,
                               sizes,
                               {},
                               "Hz",
                               "frequency of the largest Welch PSD bin (DC excluded)" + of});
                break;
            case kind::peak_power:
                out.push_back({"features/" + pre + "peak_power",
                               dims,
                               sizes,
                               {},
                               u + "^2/Hz",
                               "largest Welch PSD value (DC excluded)" + of});
                break;
            case kind::band: {
                const auto& bd = opt_.bands[o.band];
                char buf[96];
                std::snprintf(buf, sizeof buf, " in %g <= f < %g Hz", bd.lo, bd.hi);
                out.push_back(
                    {"features/" + pre + "band_power_" + bd.name,
                     dims,
                     sizes,
                     {},
                     u + "^2",
                     "band power (sum of Welch PSD bins times the bin width)" + std::string(buf) + of});
                break;
            }
            case kind::relative_band: {
                const auto& bd = opt_.bands[o.band];
                const auto [lo, hi] = bands_range();
                char buf[160];
                std::snprintf(buf, sizeof buf, " in %g <= f < %g Hz over the power in %g <= f < %g Hz", bd.lo,
                              bd.hi, lo, hi);
                out.push_back({"features/" + pre + "relative_band_power_" + bd.name,
                               dims,
                               sizes,
                               {},
                               "1",
                               "share of the band's power" + std::string(buf) + of});
                break;
            }
            }
        }
        return out;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        run_->check_done("spectra");
        const auto& o = outs_[k];
        const double nan = std::numeric_limits<double>::quiet_NaN();
        std::vector<double> psd(static_cast<std::size_t>(nf_));
        auto channel = [&](std::size_t c, double* dst) {
            const double* a = acc_.data() + (i * ch_ + c) * std::size_t(nf_);
            for (long q = 0; q < nf_; ++q) {
                const bool single = q == 0 || (L_ % 2 == 0 && q == nf_ - 1);
                psd[std::size_t(q)] =
                    nseg_[i] ? a[q] * scale_ * (single ? 1.0 : 2.0) / double(nseg_[i]) : nan;
            }
            switch (o.k) {
            case kind::psd:
                std::copy(psd.begin(), psd.begin() + nf_store_, dst);
                break;
            case kind::peak_freq:
            case kind::peak_power: {
                long best = -1;
                for (long q = peak_k0_; q >= 0 && q < peak_k1_; ++q)
                    if (best < 0 || psd[std::size_t(q)] > psd[std::size_t(best)]) best = q;
                if (best < 0 || !std::isfinite(psd[std::size_t(best)]))
                    *dst = nan;
                else
                    *dst = o.k == kind::peak_freq ? freq(best) : psd[std::size_t(best)];
                break;
            }
            case kind::band:
                *dst = power_in(psd, opt_.bands[o.band].lo, opt_.bands[o.band].hi) * df_;
                break;
            case kind::relative_band: {
                const auto [lo, hi] = bands_range();
                *dst = power_in(psd, opt_.bands[o.band].lo, opt_.bands[o.band].hi) / power_in(psd, lo, hi);
                break;
            }
            }
        };
        const std::size_t per = o.k == kind::psd ? std::size_t(nf_store_) : 1;
        if (o.network)
            channel(std::size_t(nn_), out);
        else
            for (int c = 0; c < nn_; ++c) channel(std::size_t(c), out + std::size_t(c) * per);
    }

  private:
    // Bin frequency k fs / nperseg with one rounding, so that a bin on a band
    // edge in exact arithmetic (30 Hz = 21 x 1000 / 700) is on it here too.
    double freq(long k) const { return double(k) * fs_ / double(L_); }

    // The sum of the PSD bins with lo <= f < hi.
    double power_in(const std::vector<double>& psd, double lo, double hi) const {
        double s = 0;
        for (long q = 0; q < nf_; ++q) {
            const double f = freq(q);
            if (f >= lo && f < hi) s += psd[std::size_t(q)];
        }
        return s;
    }
    // The span of the bands (lowest edge to highest): the total of relative powers.
    std::pair<double, double> bands_range() const {
        double lo = INFINITY, hi = -INFINITY;
        for (const auto& b : opt_.bands) {
            lo = std::min(lo, b.lo);
            hi = std::max(hi, b.hi);
        }
        return {lo, hi};
    }

    enum class kind { psd, peak_freq, peak_power, band, relative_band };
    struct out_desc {
        kind k;
        bool network;
        std::size_t band;
    };
    spectra_options opt_;
    double fs_, scale_ = 1, df_ = 1;
    long n_samples_;
    std::string units_;
    long L_ = 0, step_ = 1, nf_ = 0, nf_store_ = 0, peak_k0_ = -1, peak_k1_ = -1;
    std::vector<out_desc> outs_;
    std::size_t n_ = 0, ch_ = 1;
    int nn_ = 0;
    std::vector<long> count_, nseg_;
    spectra_params p_;
    std::vector<double> acc_;
    std::unique_ptr<host_schedule> run_;
};

} // namespace

std::unique_ptr<reducer> make_spectra_reducer(const std::vector<std::string>& features,
                                              const spectra_options& opt, const sampling& smp,
                                              const std::string& units) {
    return std::make_unique<spectra_reducer>(features, opt, smp, units);
}

} // namespace nms
