// Synchrony of the network: the Kuramoto order parameter R(t) and, opt-in,
// pairwise phase-locking values. The phases are the observable itself (phase
// models) or those of the analytic signal of the band-passed observable,
// computed on overlapping FFT segments of which only the middle half is kept
// (the band-pass by zeroing bins is circular; its ringing is strongest at the
// segment's edges). The phases, R's moments and the PLV sums are the
// synchrony schedule's (nmsweep/analysis/channel_schedule.hpp,
// synchrony_steps.hpp) on either backend; this reducer makes the outputs.
// Definitions in include/nmsweep/sweep/reducers.hpp.

#include "host_schedule.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <stdexcept>

namespace nms {

namespace {

using cplx = std::complex<double>;

} // namespace

synchrony_params plan_hilbert(const synchrony_options& o, const sampling& smp) {
    synchrony_params p;
    p.hilbert = true;
    const long L = o.segment > 0 ? o.segment : std::min<long>(1024, smp.n_samples);
    if (L < 4) throw input_error("synchrony: the Hilbert segment needs at least 4 samples");
    p.length = L;
    p.hop = L / 2;
    p.offset = L / 4;
    p.k0 = -1;
    p.k1 = 0;
    const long nf = L / 2 + 1;
    for (long k = 0; k < nf; ++k) {
        const double f = double(k) * smp.fs / double(L);
        if (f >= o.band_lo && f <= o.band_hi) {
            if (p.k0 < 0) p.k0 = k;
            p.k1 = k + 1;
        }
    }
    if (p.k0 < 0)
        throw input_error("synchrony: the band " + std::to_string(o.band_lo) + " - " +
                          std::to_string(o.band_hi) + " Hz holds no frequency bin of a " + std::to_string(L) +
                          "-sample segment at fs = " + std::to_string(smp.fs) +
                          " Hz (widen the band or lengthen the segment)");
    return p;
}

namespace {

class synchrony_reducer final : public reducer {
  public:
    synchrony_reducer(const std::vector<std::string>& features, const synchrony_options& o, bool phase_obs,
                      const sampling& smp)
        : opt_(o), phase_obs_(phase_obs), n_samples_(smp.n_samples) {
        for (const auto& f : features) {
            if (f == "kuramoto_r")
                want_r_ = true;
            else if (f == "metastability")
                want_meta_ = true;
            else if (f == "plv")
                want_plv_ = true;
            else
                throw input_error("synchrony: not a synchrony feature: '" + f + "'");
        }
        if (!phase_obs_) {
            const synchrony_params p = plan_hilbert(o, smp);
            L_ = p.length;
            H_ = p.hop;
            off_ = p.offset;
            k0_ = p.k0;
            k1_ = p.k1;
        }
    }

    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        count_.assign(n, 0);
        rcount_.assign(n, 0);
        rmean_.assign(n, 0.0);
        rm2_.assign(n, 0.0);
        if (want_plv_) {
            plv_.assign(n * std::size_t(nn_) * std::size_t(nn_), cplx(0, 0));
            plv_count_.assign(n, 0);
        }
        device_request q;
        takes_device(q);
        run_ = std::make_unique<host_schedule>(q, n_samples_);
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        // (While a block runs, its schedule's Hilbert ring and PLV sums.)
        const std::size_t N = std::size_t(n_nodes), live = results_only() ? 0 : 1;
        std::size_t b = 0;
        if (!phase_obs_) b += live * sizeof(double) * N * std::size_t(L_);
        if (want_plv_) b += sizeof(cplx) * (N * N + live * N * (N + 1) / 2);
        return b;
    }

    // The phases, R and the PLV sums: the synchrony schedule's, on a device
    // or on the host (accumulate).
    bool takes_device(device_request& r) const override {
        synchrony_params p;
        p.hilbert = !phase_obs_;
        p.length = L_;
        p.hop = H_;
        p.offset = off_;
        p.k0 = k0_;
        p.k1 = k1_;
        p.plv = want_plv_;
        r.unit = false;
        r.id = unit_index<synchrony_analysis>(analysis_schedules{});
        r.params = params_bytes(p);
        return true;
    }
    void load_device(const device_state& m) override {
        const std::size_t N = std::size_t(nn_), S = std::size_t(m.stride);
        const double *r_mean = m.d.at(0).data(), *r_m2 = m.d.at(1).data();
        const double *plv_re = m.d.at(2).data(), *plv_im = m.d.at(3).data();
        for (int l = 0; l < m.n_valid; ++l) {
            const std::size_t i = m.first + std::size_t(l);
            count_[i] = m.count;
            rcount_[i] = m.counters.at(0);
            rmean_[i] = r_mean[l];
            rm2_[i] = r_m2[l];
            if (!want_plv_) continue;
            plv_count_[i] = m.counters.at(1);
            for (std::size_t a = 0; a < N; ++a)
                for (std::size_t c = a + 1; c < N; ++c) {
                    const std::size_t q = std::size_t(fc_pair(long(a), long(c), long(N)));
                    plv_[(i * N + a) * N + c] =
                        cplx(plv_re[q * S + std::size_t(l)], plv_im[q * S + std::size_t(l)]);
                }
        }
    }

    void accumulate(const obs_block& b) override {
        if (results_only()) throw std::logic_error("synchrony: samples for a results-only reducer");
        run_->add(b, nn_, [this](const device_state& st) { load_device(st); });
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        const std::string how =
            phase_obs_ ? "phases = " +
                             (opt_.phase_source.empty() ? std::string("the observable") : opt_.phase_source)
                       : "phases of the analytic signal of the observable band-passed to " +
                             num(opt_.band_lo) + " - " + num(opt_.band_hi) + " Hz (FFT segments of " +
                             std::to_string(L_) + " samples, middle halves)";
        if (want_r_)
            out.push_back(
                {"features/kuramoto_r",
                 {},
                 {},
                 {},
                 "",
                 "time mean of the Kuramoto order parameter R(t) = |mean_n exp(i phi_n(t))|; " + how});
        if (want_meta_)
            out.push_back({"features/metastability",
                           {},
                           {},
                           {},
                           "",
                           "time standard deviation (ddof 0) of the Kuramoto order parameter R(t); " + how});
        if (want_plv_)
            out.push_back({"features/plv",
                           {"node", "node_j"},
                           {std::size_t(nn_), std::size_t(nn_)},
                           {},
                           "",
                           "phase-locking value |mean_t exp(i (phi_node - phi_node_j))|; " + how});
        return out;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        run_->check_done("synchrony");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        std::size_t q = 0;
        if (want_r_ && q++ == k) {
            out[0] = rcount_[i] ? rmean_[i] : nan;
            return;
        }
        if (want_meta_ && q++ == k) {
            out[0] = rcount_[i] ? std::sqrt(rm2_[i] / double(rcount_[i])) : nan;
            return;
        }
        const std::size_t N = std::size_t(nn_);
        const cplx* p = plv_.data() + i * N * N;
        for (std::size_t a = 0; a < N; ++a) {
            out[a * N + a] = plv_count_[i] ? 1.0 : nan;
            for (std::size_t c = a + 1; c < N; ++c) {
                const double v = plv_count_[i] ? std::abs(p[a * N + c]) / double(plv_count_[i]) : nan;
                out[a * N + c] = out[c * N + a] = v;
            }
        }
    }

  private:
    static std::string num(double x) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", x);
        return buf;
    }

    synchrony_options opt_;
    bool phase_obs_;
    long n_samples_;
    bool want_r_ = false, want_meta_ = false, want_plv_ = false;
    long L_ = 0, H_ = 0, off_ = 0, k0_ = -1, k1_ = -1;
    std::size_t n_ = 0;
    int nn_ = 0;
    std::vector<long> count_, rcount_, plv_count_;
    std::vector<double> rmean_, rm2_;
    std::vector<cplx> plv_;
    std::unique_ptr<host_schedule> run_;
};

} // namespace

std::unique_ptr<reducer> make_synchrony_reducer(const std::vector<std::string>& features,
                                                const synchrony_options& opt, bool phase_is_observable,
                                                const sampling& smp) {
    return std::make_unique<synchrony_reducer>(features, opt, phase_is_observable, smp);
}

} // namespace nms
