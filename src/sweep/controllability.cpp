// Feature `controllability` (nmsweep/sweep/stability_feature.hpp): per
// point, the linearisation x' = A x + B u at the fixed point Newton finds
// from the final state (delays set to zero), one input column per region,
// and each region's average and modal controllability
// (stability/gramians.hpp).

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/stability/fixed_point.hpp"
#include "nmsweep/stability/gramians.hpp"
#include "nmsweep/stimulus/waveform.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/stability_feature.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace nms {

int controllability_target(const std::string& target, const model_info& m, const coupling_info& c) {
    const int t = stimulus_target(target, m, c);
    if (t == stim_afferent)
        throw input_error("target \"afferent\" (a virtual source region) has no input direction in the "
                          "linearised network; use coupling_input, a state variable or a parameter");
    return t;
}

std::vector<int> controllability_regions(const controllability_options& o, const connectome& net,
                                         const model_info& m, const coupling_info& c) {
    const std::string at = "[output.controllability] ";
    try {
        (void)controllability_target(o.target, m, c);
    } catch (const input_error& e) {
        throw input_error(at + "target: " + e.what());
    }
    if (!o.energy_variable.empty()) {
        std::vector<std::string> names;
        for (const auto& st : m.states) names.push_back(st.name);
        if (std::find(names.begin(), names.end(), o.energy_variable) == names.end())
            throw input_error(at + "energy_variable = \"" + o.energy_variable +
                              "\": not a state variable of " + m.name +
                              did_you_mean(o.energy_variable, names));
    }
    if (o.inputs == "stimulus") return {};
    if (o.regions.empty()) {
        std::vector<int> out;
        for (std::size_t i = 0; i < net.n; ++i) out.push_back(int(i));
        return out;
    }
    return resolve_regions(o.regions, net, at + "regions");
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

// One input column: a unit waveform times weight[i] entering node i where
// `target` says (a stimulus's targets: stimulus/stimulus.hpp).
struct input_pattern {
    std::vector<double> weight; // per node
    std::string target;
    int slot = 0; // its entry in the per-input outputs
};

class controllability_reducer final : public reducer {
  public:
    controllability_reducer(const controllability_options& o, controllability_context context)
        : opt_(o), ctx_(std::move(context)) {}

    void set_batch(const batch& b) override {
        prep_ = std::make_unique<prepared>(prepare(b));
        dt_ = b.dt;
        const auto& m = prep_->model;
        const auto regions = controllability_regions(opt_, b.net, m, prep_->coupling);
        inputs_.clear();
        for (std::size_t c = 0; c < regions.size(); ++c) {
            input_pattern in{std::vector<double>(b.net.n, 0.0), opt_.target, regions[c]};
            in.weight[std::size_t(regions[c])] = 1;
            inputs_.push_back(in);
        }
        if (opt_.inputs == "stimulus")
            for (std::size_t k = 0; k < b.stimuli.size(); ++k) {
                const auto& st = b.stimuli[k];
                input_pattern in{st.weight, st.target, int(k)};
                if (in.weight.empty()) in.weight.assign(b.net.n, 1.0);
                inputs_.push_back(in);
            }
        energy_var_ = 0;
        for (std::size_t v = 0; v < m.states.size(); ++v)
            if (m.states[v].name == opt_.energy_variable) energy_var_ = int(v);
        if (ctx_.gain) gain_ = ctx_.gain(b.net);
    }
    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        width_ = opt_.inputs == "stimulus" ? int(ctx_.stimuli.size()) : nn_;
        status_.assign(n, -1);
        for (auto* m : {&avg_, &modal_, &response_}) m->assign(n * std::size_t(width_), nan);
        for (auto* m : {&energy_, &observability_}) m->assign(n * std::size_t(nn_), nan);
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
        const bool stim = opt_.inputs == "stimulus";
        const std::string what = stim ? "this stimulus's input" : "an input at this region";
        std::string names;
        for (const auto& x : ctx_.stimuli) names += (names.empty() ? "" : ", ") + x;
        const std::string how =
            stim ? " (stimuli " + names + "; " + horizon + ")"
                 : " (target " + opt_.target + ", " + horizon + "; NaN for regions without input)";
        auto per_node = [&](const char* name, const std::string& text) {
            return reducer_output{name, {"node"}, {std::size_t(nn_)}, {}, "", text};
        };
        auto per_input = [&](const char* name, const std::string& text) {
            return stim ? reducer_output{name, {"stimulus"}, {std::size_t(width_)}, {}, "", text}
                        : per_node(name, text);
        };
        std::vector<reducer_output> out{
            {"features/controllability_status",
             {},
             {},
             {},
             "",
             "0 computed, 1 no fixed point found, 2 unstable"},
            per_input("features/average_controllability",
                      "trace of the controllability Gramian of " + what + how),
            per_input("features/modal_controllability",
                      "sum_j (1 - |exp(lambda_j modal_dt)|^2) |(V^-1 b)_j|^2 (Gu et al. 2015, exact "
                      "discretisation) of " +
                          what + how),
            per_node("features/minimum_energy",
                     "least input energy (sum over inputs of int u^2 dt) that moves this region's " +
                         energy_name() + " one unit from the fixed point, every input driven (" + horizon +
                         "; inf: not reachable)"),
        };
        if (ctx_.gain) {
            out.push_back(
                per_node("features/average_observability",
                         "trace of this region's block of the observability Gramian through the lead "
                         "field of sensors " +
                             opt_.sensors + " (" + horizon + ")"));
            out.push_back(
                per_input("features/sensor_response_energy",
                          "b^T W_o b: sensor energy int |y|^2 dt of the response to a unit impulse at " +
                              what + " (sensors " + opt_.sensors + ", " + horizon + ")"));
        }
        return out;
    }
    void result(std::size_t k, std::size_t i, double* out) const override {
        if (k == o_status) {
            out[0] = status_[i];
            return;
        }
        const bool per_node = k == o_energy || k == o_observability;
        const int w = per_node ? nn_ : width_;
        const std::vector<double>* maps[] = {nullptr, &avg_, &modal_, &energy_, &observability_, &response_};
        for (int j = 0; j < w; ++j) out[j] = (*maps[k])[i * std::size_t(w) + std::size_t(j)];
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
        Eigen::MatrixXd b(n, Eigen::Index(inputs_.size()));
        for (std::size_t c = 0; c < inputs_.size(); ++c)
            b.col(Eigen::Index(c)) = column(sys, fp.x, inputs_[c]);
        const bool stable = stability::is_hurwitz(a);
        status_[q] = stable ? s_ok : s_unstable;
        if (!stable && std::isinf(opt_.horizon)) return;
        const auto avg = stability::average_controllability(a, b, opt_.horizon);
        for (std::size_t c = 0; c < inputs_.size(); ++c) put(avg_, width_, q, inputs_[c].slot, avg[c]);
        solve_energy(a, b, q);
        if (ctx_.gain) solve_observability(a, b, q);
        if (!stable) return;
        try {
            const auto modal = stability::modal_controllability(a, b, opt_.modal_dt);
            for (std::size_t c = 0; c < inputs_.size(); ++c)
                put(modal_, width_, q, inputs_[c].slot, modal[c]);
        } catch (const std::invalid_argument&) {
            // a defective A: no eigenvector basis, modal controllability undefined (NaN)
        }
    }

    // d x' / d u of a unit input through `in` at the fixed point x.
    Eigen::VectorXd column(const stability::network_system& sys, const std::vector<double>& x,
                           const input_pattern& in) const {
        const int ns = sys.n_state(), t = stimulus_target(in.target, prep_->model, prep_->coupling);
        const int ncv = int(prep_->model.cvar.size());
        Eigen::VectorXd col = Eigen::VectorXd::Zero(sys.size());
        Eigen::VectorXd dp;
        if (t >= ns + ncv) dp = sys.param_derivative(x.data(), sys.param_index(in.target));
        for (int i = 0; i < nn_; ++i) {
            const double w = in.weight[std::size_t(i)];
            if (w == 0) continue;
            if (t < ns) {
                col(i * ns + t) += w;
            } else if (t < ns + ncv) {
                const auto d = sys.coupling_input(x.data(), i, t - ns);
                for (int v = 0; v < ns; ++v) col(i * ns + v) += w * d[std::size_t(v)];
            } else { // a parameter: its value at node i moves node i's derivative only
                col.segment(i * ns, ns) += w * dp.segment(i * ns, ns);
            }
        }
        return col;
    }

    static void put(std::vector<double>& m, int width, std::size_t q, int slot, double v) {
        m[q * std::size_t(width) + std::size_t(slot)] = v;
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
        for (int i = 0; i < nn_; ++i) put(energy_, nn_, q, i, r.energy[std::size_t(i)]);
    }

    // y = G (coef . x_i): the modality's observable through its gain.
    void solve_observability(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, std::size_t q) {
        const int ns = int(prep_->model.states.size());
        Eigen::MatrixXd c = Eigen::MatrixXd::Zero(Eigen::Index(gain_.n_sensors), a.cols());
        for (std::size_t s = 0; s < gain_.n_sensors; ++s)
            for (int i = 0; i < nn_; ++i)
                for (int v = 0; v < ns && v < int(ctx_.coef.size()); ++v)
                    c(Eigen::Index(s), i * ns + v) = gain_(s, std::size_t(i)) * ctx_.coef[std::size_t(v)];
        const Eigen::MatrixXd wo = stability::observability_gramian(a, c, opt_.horizon);
        for (int i = 0; i < nn_; ++i) put(observability_, nn_, q, i, wo.diagonal().segment(i * ns, ns).sum());
        for (std::size_t k = 0; k < inputs_.size(); ++k) {
            const Eigen::VectorXd col = b.col(Eigen::Index(k));
            put(response_, width_, q, inputs_[k].slot, col.dot(wo * col));
        }
    }

    controllability_options opt_;
    controllability_context ctx_;
    std::unique_ptr<prepared> prep_;
    double dt_ = 0.1;
    std::vector<input_pattern> inputs_;
    observe::gain_matrix gain_;
    int energy_var_ = 0;
    std::size_t n_ = 0;
    int nn_ = 0, width_ = 0;
    std::vector<double> status_, avg_, modal_, energy_, observability_, response_;
};

} // namespace

std::unique_ptr<reducer> make_controllability_reducer(const controllability_options& o,
                                                      controllability_context context) {
    return std::make_unique<controllability_reducer>(o, std::move(context));
}

} // namespace nms
