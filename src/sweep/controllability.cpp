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
#include <sstream>
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
    if (!o.energy_variable.empty()) {
        std::vector<std::string> names;
        for (const auto& st : m.states) names.push_back(st.name);
        if (std::find(names.begin(), names.end(), o.energy_variable) == names.end())
            throw input_error("[output.controllability] energy_variable = \"" + o.energy_variable +
                              "\": not a state variable of " + m.name +
                              did_you_mean(o.energy_variable, names));
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
enum { o_status, o_average, o_modal, o_energy, o_observability, o_response };
enum { s_ok, s_no_fixed_point, s_unstable };

class controllability_reducer final : public reducer {
  public:
    controllability_reducer(const controllability_options& o, controllability_sensors sensors)
        : opt_(o), sensors_(std::move(sensors)) {}

    void set_batch(const batch& b) override {
        prep_ = std::make_unique<prepared>(prepare(b));
        dt_ = b.dt;
        regions_ = controllability_regions(opt_, b.net, prep_->model);
        target_ = -1;
        energy_var_ = 0;
        for (std::size_t v = 0; v < prep_->model.states.size(); ++v) {
            if (prep_->model.states[v].name == opt_.target) target_ = int(v);
            if (prep_->model.states[v].name == opt_.energy_variable) energy_var_ = int(v);
        }
        if (sensors_.gain) gain_ = sensors_.gain(b.net);
    }
    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        status_.assign(n, -1);
        for (auto* m : {&avg_, &modal_, &energy_, &observability_, &response_})
            m->assign(n * std::size_t(nn_), nan);
    }
    void accumulate(const obs_block&) override {}

    void set_final(const run_result& r) override {
        const long n = long(n_);
#pragma omp parallel for schedule(dynamic, 1)
        for (long q = 0; q < n; ++q)
            if (r.diverged_step[std::size_t(q)] < 0) solve_point(r, std::size_t(q));
    }

    std::vector<reducer_output> outputs() const override {
        std::ostringstream h;
        h << "horizon " << opt_.horizon << (std::isinf(opt_.horizon) ? "" : " ms");
        const std::string horizon = h.str();
        const std::string how =
            " (target " + opt_.target + ", " + horizon + "; NaN for regions without input)";
        auto map = [&](const char* name, const std::string& what) {
            return reducer_output{name, {"node"}, {std::size_t(nn_)}, {}, "", what};
        };
        std::vector<reducer_output> out{
            {"features/controllability_status",
             {},
             {},
             {},
             "",
             "0 computed, 1 no fixed point found, 2 unstable"},
            map("features/average_controllability",
                "trace of the controllability Gramian of an input at this region" + how),
            map("features/modal_controllability", "sum_j (1 - |exp(lambda_j modal_dt)|^2) |(V^-1 b)_j|^2 (Gu "
                                                  "et al. 2015, exact discretisation)" +
                                                      how),
            map("features/minimum_energy",
                "least input energy (sum over inputs of int u^2 dt) that moves this region's " +
                    energy_name() + " one unit from the fixed point, driving every input region (" + horizon +
                    "; inf: not reachable)"),
        };
        if (sensors_.gain) {
            out.push_back(
                map("features/average_observability",
                    "trace of this region's block of the observability Gramian through the lead field "
                    "of sensors " +
                        opt_.sensors + " (" + horizon + ")"));
            out.push_back(
                map("features/sensor_response_energy",
                    "b^T W_o b: sensor energy int |y|^2 dt of the response to a unit impulse at this "
                    "region's input (sensors " +
                        opt_.sensors + ", " + horizon + "; NaN for regions without input)"));
        }
        return out;
    }
    void result(std::size_t k, std::size_t i, double* out) const override {
        if (k == o_status) {
            out[0] = status_[i];
            return;
        }
        const std::vector<double>* maps[] = {nullptr, &avg_, &modal_, &energy_, &observability_, &response_};
        for (int j = 0; j < nn_; ++j) out[j] = (*maps[k])[i * std::size_t(nn_) + std::size_t(j)];
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
        for (std::size_t c = 0; c < regions_.size(); ++c) put(avg_, q, regions_[c], avg[c]);
        solve_energy(a, b, q);
        if (sensors_.gain) solve_observability(a, b, q);
        if (!stable) return;
        try {
            const auto modal = stability::modal_controllability(a, b, opt_.modal_dt);
            for (std::size_t c = 0; c < regions_.size(); ++c) put(modal_, q, regions_[c], modal[c]);
        } catch (const std::invalid_argument&) {
            // a defective A: no eigenvector basis, modal controllability undefined (NaN)
        }
    }

    void put(std::vector<double>& m, std::size_t q, int node, double v) {
        m[q * std::size_t(nn_) + std::size_t(node)] = v;
    }

    std::string energy_name() const {
        return opt_.energy_variable.empty() ? "first state variable" : opt_.energy_variable;
    }

    // Unit displacements of every region's energy variable, reached by all inputs together.
    void solve_energy(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, std::size_t q) {
        const int ns = int(prep_->model.states.size());
        Eigen::MatrixXd d = Eigen::MatrixXd::Zero(a.rows(), nn_);
        for (int i = 0; i < nn_; ++i) d(i * ns + energy_var_, i) = 1;
        const auto r = stability::reach_energy(stability::controllability_gramian(a, b, opt_.horizon), d);
        for (int i = 0; i < nn_; ++i) put(energy_, q, i, r.energy[std::size_t(i)]);
    }

    // y = G (coef . x_i): the modality's observable through its gain.
    void solve_observability(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, std::size_t q) {
        const int ns = int(prep_->model.states.size());
        Eigen::MatrixXd c = Eigen::MatrixXd::Zero(Eigen::Index(gain_.n_sensors), a.cols());
        for (std::size_t s = 0; s < gain_.n_sensors; ++s)
            for (int i = 0; i < nn_; ++i)
                for (int v = 0; v < ns && v < int(sensors_.coef.size()); ++v)
                    c(Eigen::Index(s), i * ns + v) = gain_(s, std::size_t(i)) * sensors_.coef[std::size_t(v)];
        const Eigen::MatrixXd wo = stability::observability_gramian(a, c, opt_.horizon);
        for (int i = 0; i < nn_; ++i) put(observability_, q, i, wo.diagonal().segment(i * ns, ns).sum());
        for (std::size_t k = 0; k < regions_.size(); ++k) {
            const Eigen::VectorXd col = b.col(Eigen::Index(k));
            put(response_, q, regions_[k], col.dot(wo * col));
        }
    }

    controllability_options opt_;
    std::unique_ptr<prepared> prep_;
    double dt_ = 0.1;
    std::vector<int> regions_;
    controllability_sensors sensors_;
    observe::gain_matrix gain_;
    int target_ = -1, energy_var_ = 0;
    std::size_t n_ = 0;
    int nn_ = 0;
    std::vector<double> status_, avg_, modal_, energy_, observability_, response_;
};

} // namespace

std::unique_ptr<reducer> make_controllability_reducer(const controllability_options& o,
                                                      controllability_sensors sensors) {
    return std::make_unique<controllability_reducer>(o, std::move(sensors));
}

} // namespace nms
