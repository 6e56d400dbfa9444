// Functional connectivity: Pearson correlations between the nodes'
// observables from streaming co-moments (Welford's update, accurate when the
// mean is large compared with the fluctuations), the fit to an empirical FC,
// and opt-in FC dynamics (FCD) from windowed FCs. The co-moments and the
// windows' FCs are the FC schedule's (nmsweep/analysis/channel_schedule.hpp,
// fc_steps.hpp) on either backend; this reducer makes the outputs from them.
// Definitions in include/nmsweep/sweep/reducers.hpp.

#include "host_schedule.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace nms {

namespace {

// Pearson correlation of two equally long vectors (NaN when either is
// constant or holds a NaN).
double pearson(const double* x, const double* y, std::size_t n) {
    double mx = 0, my = 0;
    for (std::size_t k = 0; k < n; ++k) mx += x[k], my += y[k];
    mx /= double(n);
    my /= double(n);
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const double a = x[k] - mx, b = y[k] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    return sxy / std::sqrt(sxx * syy);
}

// Correlation (a, b) from co-moments C (N x N, the upper triangle).
double corr(std::size_t N, const double* C, std::size_t a, std::size_t b) {
    if (a > b) std::swap(a, b);
    return C[a * N + b] / std::sqrt(C[a * N + a] * C[b * N + b]);
}

} // namespace

fc_params plan_fcd(const fc_options& o, const sampling& smp) {
    fc_params p;
    p.fcd = true;
    const long M = smp.n_samples;
    const long W = o.fcd_window_ms > 0 ? long(std::llround(o.fcd_window_ms / smp.dt_ms)) : M / 8;
    const long S = o.fcd_step_ms > 0 ? long(std::llround(o.fcd_step_ms / smp.dt_ms)) : W / 2;
    if (W < 3) throw input_error("fc: the FCD window holds fewer than 3 samples");
    if (S < 1) throw input_error("fc: the FCD step is shorter than one sample");
    if (W > M)
        throw input_error("fc: the FCD window (" + std::to_string(W) + " samples) is longer than the " +
                          std::to_string(M) + " samples after the transient");
    p.window = W;
    p.step = S;
    p.n_windows = (M - W) / S + 1;
    p.slots = (W + S - 1) / S;
    return p;
}

namespace {

class fc_reducer final : public reducer {
  public:
    fc_reducer(const std::vector<std::string>& features, const fc_options& o, const sampling& smp)
        : opt_(o), smp_(smp) {
        for (const auto& f : features) {
            if (f == "fc")
                want_fc_ = true;
            else if (f == "fcd")
                want_fcd_ = true;
            else
                throw input_error("fc: not a functional-connectivity feature: '" + f + "'");
        }
        want_fit_ = want_fc_ && !o.empirical_fc.empty();
        if (want_fcd_) {
            const fc_params p = plan_fcd(o, smp);
            W_ = p.window;
            S_ = p.step;
            nw_ = p.n_windows;
            slots_ = p.slots;
        }
    }

    void reset(std::size_t n, int n_nodes) override {
        const std::size_t N = std::size_t(n_nodes);
        if (want_fit_ && opt_.empirical_fc.size() != N * N)
            throw input_error(opt_.empirical + ": the empirical FC is not " + std::to_string(N) + " x " +
                              std::to_string(N) + " (the network's size)");
        n_ = n;
        nn_ = n_nodes;
        np_ = N * (N - 1) / 2;
        count_.assign(n, 0);
        mean_.assign(n * N, 0.0);
        C_.assign(n * N * N, 0.0);
        if (want_fcd_) {
            store_.assign(n * std::size_t(nw_) * np_, 0.0f);
            done_.assign(n, 0);
        }
        device_request q;
        takes_device(q);
        run_ = std::make_unique<host_schedule>(q, smp_.n_samples);
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        const std::size_t N = std::size_t(n_nodes);
        // (The schedule's co-moments while a block runs: the upper triangles.)
        const std::size_t live = results_only() ? 0 : 1 + (want_fcd_ ? std::size_t(slots_) : 0);
        std::size_t b = sizeof(double) * (N * (N + 1) + live * (N * (N + 1) / 2 + 3 * N));
        if (want_fcd_) b += sizeof(float) * std::size_t(nw_) * N * (N - 1) / 2 * (results_only() ? 1 : 2);
        return b;
    }

    // The co-moments, those of the FCD windows and the windows' FCs: the FC
    // schedule's, on a device or on the host (accumulate); the FCD matrix is
    // made here from the windows' FCs.
    bool takes_device(device_request& r) const override {
        fc_params p;
        p.fcd = want_fcd_;
        p.window = W_;
        p.step = S_;
        p.n_windows = nw_;
        p.slots = slots_;
        r.unit = false;
        r.id = unit_index<fc_analysis>(analysis_schedules{});
        r.params = params_bytes(p);
        return true;
    }
    void load_device(const device_state& m) override {
        const std::size_t N = std::size_t(nn_), S = std::size_t(m.stride);
        const double *fc_mean = m.d.at(0).data(), *fc_c = m.d.at(1).data();
        for (int l = 0; l < m.n_valid; ++l) {
            const std::size_t i = m.first + std::size_t(l);
            count_[i] = m.count;
            std::size_t q = 0; // pairs a <= b row by row
            for (std::size_t a = 0; a < N; ++a) {
                mean_[i * N + a] = fc_mean[a * S + std::size_t(l)];
                for (std::size_t c = a; c < N; ++c) C_[(i * N + a) * N + c] = fc_c[q++ * S + std::size_t(l)];
            }
            if (!want_fcd_) continue;
            done_[i] = m.counters.at(0);
            for (long k = 0; k < done_[i]; ++k)
                for (std::size_t p = 0; p < np_; ++p)
                    store_[(i * std::size_t(nw_) + std::size_t(k)) * np_ + p] =
                        m.f.at(0)[(std::size_t(k) * np_ + p) * S + std::size_t(l)];
        }
    }

    void accumulate(const obs_block& b) override {
        if (results_only()) throw std::logic_error("fc: samples for a results-only reducer");
        run_->add(b, nn_, [this](const device_state& st) { load_device(st); });
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        const std::size_t N = std::size_t(nn_);
        if (want_fc_)
            out.push_back(
                {"features/fc",
                 {"node", "node_j"},
                 {N, N},
                 {},
                 "",
                 "Pearson correlation of the observable between nodes over the samples after the transient"});
        if (want_fit_)
            out.push_back(
                {"features/fc_fit",
                 {},
                 {},
                 {},
                 "",
                 "Pearson correlation of the upper triangles (diagonal excluded) of the simulated FC and the "
                 "empirical FC in " +
                     opt_.empirical});
        if (want_fcd_) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "windows of %ld samples (%g ms) every %ld samples (%g ms)", W_,
                          double(W_) * smp_.dt_ms, S_, double(S_) * smp_.dt_ms);
            out.push_back({"features/fcd_var",
                           {},
                           {},
                           {},
                           "",
                           "variance (ddof 0) of the upper triangle (diagonal excluded) of the FCD matrix; " +
                               std::string(buf)});
            if (opt_.fcd_matrix) {
                std::vector<double> centre(static_cast<std::size_t>(nw_));
                for (long k = 0; k < nw_; ++k)
                    centre[std::size_t(k)] =
                        smp_.t0_ms + (double(k * S_) + 0.5 * double(W_ - 1)) * smp_.dt_ms;
                out.push_back(
                    {"features/fcd",
                     {"window", "window_j"},
                     {std::size_t(nw_), std::size_t(nw_)},
                     {centre, centre},
                     "",
                     "FCD: Pearson correlation of the upper triangles of windowed FCs (coordinates: window "
                     "centres in ms); " +
                         std::string(buf)});
            }
        }
        return out;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        run_->check_done("fc");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const std::size_t N = std::size_t(nn_);
        std::size_t q = 0;
        if (want_fc_ && q++ == k) {
            fc_matrix(i, out);
            return;
        }
        if (want_fit_ && q++ == k) {
            std::vector<double> fc(N * N), a, b;
            fc_matrix(i, fc.data());
            for (std::size_t r = 0; r < N; ++r)
                for (std::size_t c = r + 1; c < N; ++c) {
                    a.push_back(fc[r * N + c]);
                    b.push_back(opt_.empirical_fc[r * N + c]);
                }
            out[0] = a.size() >= 2 ? pearson(a.data(), b.data(), a.size()) : nan;
            return;
        }
        const std::size_t nw = std::size_t(nw_);
        std::vector<double> fcd(nw * nw, nan);
        if (done_[i] == nw_) {
            std::vector<double> u(np_), v(np_);
            for (std::size_t r = 0; r < nw; ++r) {
                const float* x = store_.data() + (i * nw + r) * np_;
                std::copy(x, x + np_, u.begin());
                fcd[r * nw + r] = 1.0;
                for (std::size_t c = r + 1; c < nw; ++c) {
                    const float* y = store_.data() + (i * nw + c) * np_;
                    std::copy(y, y + np_, v.begin());
                    fcd[r * nw + c] = fcd[c * nw + r] = pearson(u.data(), v.data(), np_);
                }
            }
        }
        if (want_fcd_ && q++ == k) { // fcd_var
            std::vector<double> t;
            for (std::size_t r = 0; r < nw; ++r)
                for (std::size_t c = r + 1; c < nw; ++c) t.push_back(fcd[r * nw + c]);
            if (t.empty()) {
                out[0] = nan;
                return;
            }
            double m = 0;
            for (double z : t) m += z;
            m /= double(t.size());
            double s = 0;
            for (double z : t) s += (z - m) * (z - m);
            out[0] = s / double(t.size());
            return;
        }
        std::copy(fcd.begin(), fcd.end(), out);
    }

  private:
    void fc_matrix(std::size_t i, double* out) const {
        const std::size_t N = std::size_t(nn_);
        const double* C = C_.data() + i * N * N;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t a = 0; a < N; ++a) {
            out[a * N + a] = count_[i] > 1 && C[a * N + a] > 0 ? 1.0 : nan;
            for (std::size_t c = a + 1; c < N; ++c)
                out[a * N + c] = out[c * N + a] = count_[i] > 1 ? corr(N, C, a, c) : nan;
        }
    }

    fc_options opt_;
    sampling smp_;
    bool want_fc_ = false, want_fit_ = false, want_fcd_ = false;
    long W_ = 0, S_ = 1, nw_ = 0, slots_ = 1;
    std::size_t n_ = 0, np_ = 0;
    int nn_ = 0;
    std::vector<long> count_, done_;
    std::vector<double> mean_, C_;
    std::vector<float> store_;
    std::unique_ptr<host_schedule> run_;
};

} // namespace

std::unique_ptr<reducer> make_fc_reducer(const std::vector<std::string>& features, const fc_options& opt,
                                         const sampling& smp) {
    return std::make_unique<fc_reducer>(features, opt, smp);
}

} // namespace nms
