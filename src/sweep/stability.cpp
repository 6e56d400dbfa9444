// Feature `stability` (nmsweep/sweep/stability_feature.hpp): per point,
// Newton's method on the deterministic network (noise and stimuli left
// out) from each chosen start, then the spectrum of the linearisation at
// the fixed point it found.

#include "nmsweep/stability/delay_spectrum.hpp"
#include "nmsweep/stability/fixed_point.hpp"
#include "nmsweep/stability/network_system.hpp"
#include "nmsweep/stability/spectrum.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/stability_feature.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace nms {
namespace {

using stability::network_system;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Outputs per start: found (int), residual, distance, leading real and
// imaginary part, unstable directions (int), frequency, fixed point.
enum { o_found, o_residual, o_distance, o_re, o_im, o_unstable, o_freq, o_method, o_point, n_outputs };

// How the spectrum was computed (output features/spectrum_method).
enum { m_ode, m_delay, m_delay_unrefined, m_delay_ignored };
const char* method_codes =
    "0 no delays: eigenvalues of the Jacobian; 1 delays: rightmost roots of the "
    "linearised delay equation (pseudospectral, Breda-Maset-Vermiglio, Newton-refined); "
    "2 as 1, but the leading root did not refine (a discretisation artefact is "
    "possible: raise degree); 3 delays ignored (the network exceeds delay_max_size, or "
    "delays = \"ignore\"): eigenvalues of the Jacobian with every delay set to zero";

class stability_reducer final : public reducer {
  public:
    stability_reducer(const stability_options& o, int n_state) : opt_(o), ns_(n_state) {}

    void set_batch(const batch& b) override {
        prep_ = std::make_unique<prepared>(prepare(b));
        dt_ = b.dt;
    }
    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        // integer outputs: -1 until a fixed point's spectrum sets them
        for (int k = 0; k < n_outputs; ++k)
            data_[k].assign(n * per_point(k), k == o_unstable || k == o_method ? -1.0 : nan);
    }
    void accumulate(const obs_block&) override {}

    void set_final(const run_result& r) override {
        const long n = long(n_);
#pragma omp parallel for schedule(dynamic, 1)
        for (long q = 0; q < n; ++q)
            if (r.diverged_step[std::size_t(q)] < 0) solve_point(r, std::size_t(q));
    }

    std::vector<reducer_output> outputs() const override {
        const std::vector<std::string> d{"start"};
        const std::vector<std::size_t> s{opt_.starts.size()};
        const std::string from = " (per start: " + starts_text() + ")";
        return {
            {"features/fixed_point_found",
             d,
             s,
             {},
             "",
             "1: Newton converged to a fixed point from this start, 0: not" + from},
            {"features/fixed_point_residual",
             d,
             s,
             {},
             "state/ms",
             "max |f(x)| at Newton's last iterate" + from},
            {"features/fixed_point_distance",
             d,
             s,
             {},
             "state",
             "max |x* - x_start|: how far the start was from the fixed point" + from},
            {"features/leading_eigenvalue_real",
             d,
             s,
             {},
             "1/ms",
             "largest real part of the linearisation's eigenvalues at the fixed point" + from},
            {"features/leading_eigenvalue_imag",
             d,
             s,
             {},
             "rad/ms",
             "imaginary part of that eigenvalue (>= 0)" + from},
            {"features/n_unstable", d, s, {}, "", "eigenvalues with positive real part" + from},
            {"features/leading_pair_frequency",
             d,
             s,
             {},
             "Hz",
             "imaginary part / 2 pi of the complex pair with the largest real part (NaN: none)" + from},
            {"features/spectrum_method",
             d,
             s,
             {},
             "",
             std::string("how the spectrum was computed: ") + method_codes},
            {"features/fixed_point",
             {"start", "variable", "node"},
             {opt_.starts.size(), std::size_t(ns_), std::size_t(nn_)},
             {},
             "state",
             "the fixed point (NaN when not found)" + from},
        };
    }
    void result(std::size_t k, std::size_t i, double* out) const override {
        const std::size_t m = per_point(int(k));
        for (std::size_t j = 0; j < m; ++j) out[j] = data_[k][i * m + j];
    }
    bool integer_output(std::size_t k) const override {
        return k == o_found || k == o_unstable || k == o_method;
    }
    double diverged_value(std::size_t k) const override { return integer_output(k) ? -1 : nan; }
    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        std::vector<std::pair<std::string, std::string>> a{{"starts", starts_text()}};
        if (k == o_found) a.push_back({"codes", "1 found, 0 Newton did not converge, -1 the run diverged"});
        if (k == o_unstable || k == o_method)
            a.push_back({"codes", "-1: no fixed point found from this start (or the run diverged)"});
        return a;
    }

  private:
    std::size_t per_point(int k) const {
        return opt_.starts.size() * (k == o_point ? std::size_t(ns_) * std::size_t(nn_) : 1);
    }
    std::string starts_text() const {
        std::string t;
        for (const auto& s : opt_.starts) t += (t.empty() ? "" : ", ") + s;
        return t;
    }

    void solve_point(const run_result& r, std::size_t q) {
        const network_system sys(*prep_, q, dt_);
        const int n = sys.size();
        for (std::size_t st = 0; st < opt_.starts.size(); ++st) {
            std::vector<double> x0(static_cast<std::size_t>(n));
            if (opt_.starts[st] == "initial") {
                x0 = sys.initial_state();
            } else { // final_state is [v][node][instance]
                for (int i = 0; i < nn_; ++i)
                    for (int v = 0; v < ns_; ++v)
                        x0[std::size_t(i * ns_ + v)] = r.final_state[(std::size_t(v) * nn_ + i) * n_ + q];
            }
            const auto nr = stability::find_fixed_point(sys, x0, opt_.tol, opt_.max_iterations);
            const std::size_t at = q * opt_.starts.size() + st;
            data_[o_found][at] = nr.converged ? 1 : 0;
            data_[o_residual][at] = nr.residual;
            if (!nr.converged) continue;
            double dist = 0;
            for (int k = 0; k < n; ++k) dist = std::max(dist, std::abs(nr.x[k] - x0[k]));
            data_[o_distance][at] = dist;
            int method = m_ode;
            const auto ev = spectrum(sys, nr.x, method);
            data_[o_method][at] = method;
            const auto sm = stability::summarise(ev);
            data_[o_re][at] = sm.leading.real();
            data_[o_im][at] = std::abs(sm.leading.imag());
            data_[o_unstable][at] = sm.n_unstable;
            data_[o_freq][at] = sm.frequency_hz > 0 ? sm.frequency_hz : nan;
            double* fp = data_[o_point].data() + at * std::size_t(n);
            for (int v = 0; v < ns_; ++v)
                for (int i = 0; i < nn_; ++i) fp[v * nn_ + i] = nr.x[std::size_t(i * ns_ + v)];
        }
    }

    // The eigenvalues at fixed point x, by the method the options and the
    // network's delays call for.
    stability::cvec spectrum(const network_system& sys, const std::vector<double>& x, int& method) const {
        const bool delayed = sys.n_delays() > 0;
        if (delayed && opt_.delays != "ignore") {
            stability::delay_spectrum_options d;
            d.degree = int(opt_.degree);
            d.n_wanted = int(opt_.n_roots);
            d.max_size = std::size_t(opt_.delay_max_size);
            try {
                (void)stability::delay_spectrum_degree(sys.size(), d); // fits?
                const auto lin = sys.linearise(x.data());
                const auto roots = stability::delay_eigenvalues(lin.a0, lin.delayed, d);
                stability::cvec ev;
                for (const auto& r : roots) ev.push_back(r.value);
                method = roots.empty() || roots.front().refined ? m_delay : m_delay_unrefined;
                return ev;
            } catch (const std::invalid_argument&) {
                // too large ("pseudospectral" was checked against the network with the spec)
            }
        }
        method = delayed ? m_delay_ignored : m_ode;
        return stability::eigenvalues(sys.jacobian(x.data()));
    }

    stability_options opt_;
    int ns_ = 1, nn_ = 0;
    std::unique_ptr<prepared> prep_;
    double dt_ = 0.1;
    std::size_t n_ = 0;
    std::vector<double> data_[n_outputs];
};

} // namespace

std::unique_ptr<reducer> make_stability_reducer(const stability_options& o, int n_state) {
    return std::make_unique<stability_reducer>(o, n_state);
}

} // namespace nms
