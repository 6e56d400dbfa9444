// Synchrony of the network: the Kuramoto order parameter R(t) and, opt-in,
// pairwise phase-locking values. The phases are the observable itself (phase
// models) or those of the analytic signal of the band-passed observable,
// computed on overlapping FFT segments of which only the middle half is kept
// (the band-pass by zeroing bins is circular; its ringing is strongest at the
// segment's edges). Definitions in include/nmsweep/sweep/reducers.hpp.

#include "fft_util.hpp"
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
        : opt_(o), phase_obs_(phase_obs), fs_(smp.fs) {
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
            fwd_.make_r2c(int(L_));
            inv_.make_c2c(int(L_), FFTW_BACKWARD);
        }
    }

    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        count_.assign(n, 0);
        rcount_.assign(n, 0);
        rmean_.assign(n, 0.0);
        rm2_.assign(n, 0.0);
        ring_.assign(phase_obs_ || results_only() ? 0 : n * std::size_t(nn_) * std::size_t(L_), 0.0);
        if (want_plv_) {
            plv_.assign(n * std::size_t(nn_) * std::size_t(nn_), cplx(0, 0));
            plv_count_.assign(n, 0);
        }
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        std::size_t b = 0;
        if (!phase_obs_ && !results_only()) b += sizeof(double) * std::size_t(n_nodes) * std::size_t(L_);
        if (want_plv_) b += sizeof(cplx) * std::size_t(n_nodes) * std::size_t(n_nodes);
        return b;
    }

    // The CUDA backend makes the phases, R and the PLV sums on the device
    // (kernels/synchrony_kernels.hpp, the same segments and band) and hands
    // over the state; the outputs are made here either way.
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
                    const std::size_t q =
                        std::size_t(long(a) * long(N) - long(a) * (long(a) - 1) / 2) + (c - a);
                    plv_[(i * N + a) * N + c] =
                        cplx(plv_re[q * S + std::size_t(l)], plv_im[q * S + std::size_t(l)]);
                }
        }
    }

    void accumulate(const obs_block& b) override {
        if (results_only()) throw std::logic_error("synchrony: samples for a results-only reducer");
        if (phase_obs_)
            accumulate_phase(b);
        else
            accumulate_hilbert(b);
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        const std::string how =
            phase_obs_ ? std::string("phases = the observable")
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

    void push_r(std::size_t i, double r) {
        const double k = double(++rcount_[i]);
        const double d = r - rmean_[i];
        rmean_[i] += d / k;
        rm2_[i] += d * (r - rmean_[i]);
    }

    // Pairwise sums of u_a conj(u_b) over `nt` samples, u laid out [node][t].
    void add_plv(std::size_t i, const cplx* u, std::size_t nt) {
        const std::size_t N = std::size_t(nn_);
        cplx* p = plv_.data() + i * N * N;
        for (std::size_t a = 0; a < N; ++a)
            for (std::size_t c = a + 1; c < N; ++c) {
                double re = 0, im = 0;
                const cplx* ua = u + a * nt;
                const cplx* uc = u + c * nt;
                for (std::size_t t = 0; t < nt; ++t) {
                    re += ua[t].real() * uc[t].real() + ua[t].imag() * uc[t].imag();
                    im += ua[t].imag() * uc[t].real() - ua[t].real() * uc[t].imag();
                }
                p[a * N + c] += cplx(re, im);
            }
        plv_count_[i] += long(nt);
    }

    void accumulate_phase(const obs_block& b) {
        static thread_local std::vector<cplx> u;
        const std::size_t N = std::size_t(nn_);
        u.resize(N);
        for (int l = 0; l < b.n_valid; ++l) {
            const std::size_t i = b.first + std::size_t(l);
            ++count_[i];
            cplx s(0, 0);
            for (std::size_t n = 0; n < N; ++n) {
                const double ph = b.obs[n * std::size_t(b.lanes) + std::size_t(l)];
                u[n] = cplx(std::cos(ph), std::sin(ph));
                s += u[n];
            }
            push_r(i, std::abs(s) / double(N));
            if (want_plv_) add_plv(i, u.data(), 1);
        }
    }

    void accumulate_hilbert(const obs_block& b) {
        static thread_local impl::fftw_buffer<double> seg_buf;
        static thread_local impl::fftw_buffer<fftw_complex> spec_buf, z_in_buf, z_buf;
        static thread_local std::vector<cplx> sum, u;
        const std::size_t L = std::size_t(L_), N = std::size_t(nn_), H = std::size_t(H_);
        for (int l = 0; l < b.n_valid; ++l) {
            const std::size_t i = b.first + std::size_t(l);
            const long j = count_[i]++;
            const std::size_t pos = std::size_t(j % L_);
            double* ring = ring_.data() + i * N * L;
            for (std::size_t n = 0; n < N; ++n)
                ring[n * L + pos] = b.obs[n * std::size_t(b.lanes) + std::size_t(l)];
            if (j + 1 < L_ || (j + 1 - L_) % H_ != 0) continue;
            // Segment j+1-L .. j is complete; its middle half gets phases.
            double* seg = seg_buf.get(L);
            fftw_complex* X = spec_buf.get(L / 2 + 1);
            fftw_complex* Z = z_in_buf.get(L);
            fftw_complex* z = z_buf.get(L);
            sum.assign(H, cplx(0, 0));
            if (want_plv_) u.resize(N * H);
            const std::size_t start = (pos + 1) % L;
            for (std::size_t n = 0; n < N; ++n) {
                const double* r = ring + n * L;
                std::copy(r + start, r + L, seg);
                std::copy(r, r + start, seg + (L - start));
                fwd_.r2c(seg, X);
                std::fill(&Z[0][0], &Z[0][0] + 2 * L, 0.0);
                for (long k = k0_; k < k1_; ++k) {
                    const double g = (k == 0 || (L_ % 2 == 0 && k == L_ / 2)) ? 1.0 : 2.0;
                    Z[k][0] = g * X[k][0];
                    Z[k][1] = g * X[k][1];
                }
                inv_.c2c(Z, z);
                for (std::size_t t = 0; t < H; ++t) {
                    const cplx a(z[off_ + long(t)][0], z[off_ + long(t)][1]);
                    const double m = std::abs(a);
                    const cplx v = m > 0 ? a / m : cplx(0, 0);
                    sum[t] += v;
                    if (want_plv_) u[n * H + t] = v;
                }
            }
            for (std::size_t t = 0; t < H; ++t) push_r(i, std::abs(sum[t]) / double(N));
            if (want_plv_) add_plv(i, u.data(), H);
        }
    }

    synchrony_options opt_;
    bool phase_obs_;
    double fs_;
    bool want_r_ = false, want_meta_ = false, want_plv_ = false;
    long L_ = 0, H_ = 0, off_ = 0, k0_ = -1, k1_ = -1;
    impl::fftw_plan_holder fwd_, inv_;
    std::size_t n_ = 0;
    int nn_ = 0;
    std::vector<long> count_, rcount_, plv_count_;
    std::vector<double> rmean_, rm2_, ring_;
    std::vector<cplx> plv_;
};

} // namespace

std::unique_ptr<reducer> make_synchrony_reducer(const std::vector<std::string>& features,
                                                const synchrony_options& opt, bool phase_is_observable,
                                                const sampling& smp) {
    return std::make_unique<synchrony_reducer>(features, opt, phase_is_observable, smp);
}

} // namespace nms
