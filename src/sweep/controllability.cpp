// Feature `controllability` (nmsweep/sweep/stability_feature.hpp): per
// point, the linearisation x' = A x + B u at the fixed point Newton finds
// from the final state (delays set to zero), one input column per region,
// and each region's average and modal controllability
// (stability/gramians.hpp).

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/stability/fixed_point.hpp"
#include "nmsweep/stability/gramians.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/stability_feature.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace nms {

std::vector<int> controllability_regions(const controllability_options& o, const connectome& net,
                                         const model_info& m) {
    if (o.target != "coupling_input") {
        std::vector<std::string> names{"coupling_input"};
        for (const auto& st : m.states) names.push_back(st.name);
        if (std::find(names.begin(), names.end(), o.target) == names.end())
            throw input_error("[output.controllability] target = \"" + o.target +
                              "\": not coupling_input or a " + "state variable of " + m.name +
                              did_you_mean(o.target, names));
    }
    if (o.regions.empty()) {
        std::vector<int> out;
        for (std::size_t i = 0; i < net.n; ++i) out.push_back(int(i));
        return out;
    }
    return resolve_regions(o.regions, net, "[output.controllability] regions");
}

std::vector<int> resolve_regions(const std::vector<std::string>& names, const connectome& net,
                                 const std::string& at) {
    std::vector<int> out;
    for (const auto& r : names) {
        const auto it = std::find(net.labels.begin(), net.labels.end(), r);
        if (it != net.labels.end()) {
            out.push_back(int(it - net.labels.begin()));
            continue;
        }
        char* end = nullptr;
        const long k = std::strtol(r.c_str(), &end, 10);
        if (end && *end == 0 && !r.empty() && k >= 0 && std::size_t(k) < net.n) {
            out.push_back(int(k));
            continue;
        }
        throw input_error(at + ": '" + r + "' is neither a region label nor an index " + "0.." +
                          std::to_string(net.n - 1) +
                          (net.labels.empty() ? "" : did_you_mean(r, net.labels)));
    }
    return out;
}

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
enum { o_status, o_average, o_modal, n_outputs };
enum { s_ok, s_no_fixed_point, s_unstable };

class controllability_reducer final : public reducer {
  public:
    explicit controllability_reducer(const controllability_options& o) : opt_(o) {}

    void set_batch(const batch& b) override {
        prep_ = std::make_unique<prepared>(prepare(b));
        dt_ = b.dt;
        regions_ = controllability_regions(opt_, b.net, prep_->model);
        target_ = -1;
        for (std::size_t v = 0; v < prep_->model.states.size(); ++v)
            if (prep_->model.states[v].name == opt_.target) target_ = int(v);
    }
    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        status_.assign(n, -1);
        avg_.assign(n * std::size_t(nn_), nan);
        modal_.assign(n * std::size_t(nn_), nan);
    }
    void accumulate(const obs_block&) override {}

    void set_final(const run_result& r) override {
        const long n = long(n_);
#pragma omp parallel for schedule(dynamic, 1)
        for (long q = 0; q < n; ++q)
            if (r.diverged_step[std::size_t(q)] < 0) solve_point(r, std::size_t(q));
    }

    std::vector<reducer_output> outputs() const override {
        const std::string how =
            " (target " + opt_.target + ", horizon " +
            (std::isinf(opt_.horizon) ? std::string("infinite") : std::to_string(opt_.horizon)) +
            " ms; NaN for regions without input)";
        return {
            {"features/controllability_status",
             {},
             {},
             {},
             "",
             "0 computed, 1 no fixed point found, 2 unstable"},
            {"features/average_controllability",
             {"node"},
             {std::size_t(nn_)},
             {},
             "",
             "trace of the controllability Gramian of an input at this region" + how},
            {"features/modal_controllability",
             {"node"},
             {std::size_t(nn_)},
             {},
             "",
             "sum_j (1 - |exp(lambda_j modal_dt)|^2) |(V^-1 b)_j|^2 (Gu et al. 2015, exact discretisation)" +
                 how},
        };
    }
    void result(std::size_t k, std::size_t i, double* out) const override {
        if (k == o_status) {
            out[0] = status_[i];
            return;
        }
        const auto& d = k == o_average ? avg_ : modal_;
        for (int j = 0; j < nn_; ++j) out[j] = d[i * std::size_t(nn_) + std::size_t(j)];
    }
    bool integer_output(std::size_t k) const override { return k == o_status; }
    double diverged_value(std::size_t k) const override { return k == o_status ? -1 : nan; }

  private:
    void solve_point(const run_result& r, std::size_t q) {
        const stability::network_system sys(*prep_, q, dt_);
        const int ns = sys.n_state(), n = sys.size();
        std::vector<double> x0(static_cast<std::size_t>(n));
        for (int i = 0; i < nn_; ++i)
            for (int v = 0; v < ns; ++v)
                x0[std::size_t(i * ns + v)] = r.final_state[(std::size_t(v) * nn_ + i) * n_ + q];
        const auto fp = stability::find_fixed_point(sys, x0, opt_.tol, 50);
        if (!fp.converged) {
            status_[q] = s_no_fixed_point;
            return;
        }
        const Eigen::MatrixXd a = sys.jacobian(fp.x.data());
        Eigen::MatrixXd b = Eigen::MatrixXd::Zero(n, Eigen::Index(regions_.size()));
        for (std::size_t c = 0; c < regions_.size(); ++c) {
            const int i = regions_[c];
            if (target_ >= 0) {
                b(i * ns + target_, Eigen::Index(c)) = 1;
                continue;
            }
            const auto col = sys.coupling_input(fp.x.data(), i, 0);
            for (int v = 0; v < ns; ++v) b(i * ns + v, Eigen::Index(c)) = col[std::size_t(v)];
        }
        const bool stable = stability::is_hurwitz(a);
        status_[q] = stable ? s_ok : s_unstable;
        if (!stable && std::isinf(opt_.horizon)) return;
        const auto avg = stability::average_controllability(a, b, opt_.horizon);
        for (std::size_t c = 0; c < regions_.size(); ++c)
            avg_[q * std::size_t(nn_) + std::size_t(regions_[c])] = avg[c];
        if (!stable) return;
        try {
            const auto modal = stability::modal_controllability(a, b, opt_.modal_dt);
            for (std::size_t c = 0; c < regions_.size(); ++c)
                modal_[q * std::size_t(nn_) + std::size_t(regions_[c])] = modal[c];
        } catch (const std::invalid_argument&) {
            // a defective A: no eigenvector basis, modal controllability undefined (NaN)
        }
    }

    controllability_options opt_;
    std::unique_ptr<prepared> prep_;
    double dt_ = 0.1;
    std::vector<int> regions_;
    int target_ = -1;
    std::size_t n_ = 0;
    int nn_ = 0;
    std::vector<double> status_, avg_, modal_;
};

} // namespace

std::unique_ptr<reducer> make_controllability_reducer(const controllability_options& o) {
    return std::make_unique<controllability_reducer>(o);
}

} // namespace nms
