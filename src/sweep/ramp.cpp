#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nms {

std::size_t ramp_stimulus(const sweep_spec& s, const ramp_options& o) {
    for (std::size_t k = 0; k < s.stimuli.size(); ++k) {
        const stimulus& st = s.stimuli[k].stim;
        const bool param = st.target.rfind("model.", 0) == 0 || st.target.rfind("coupling.", 0) == 0;
        if (!o.stimulus.empty() && st.name != o.stimulus) continue;
        if (st.kind == wave::piecewise && param) return k;
        if (!o.stimulus.empty())
            throw input_error(
                "ramp: stimulus '" + st.name +
                "' is not a ramp (a piecewise waveform whose target is model.<p> or coupling.<p>)");
    }
    if (!o.stimulus.empty()) throw input_error("ramp: no stimulus named '" + o.stimulus + "'");
    throw input_error("ramp: needs a [[stimulus]] waveform = \"piecewise\" with target = \"model.<p>\" or "
                      "\"coupling.<p>\" (the ramped parameter)");
}

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

class ramp_reducer final : public reducer {
  public:
    ramp_reducer(const sweep_spec& s, const ramp_options& o, const sampling& smp)
        : k_(ramp_stimulus(s, o)), nw_(o.windows), smp_(smp), dt_(s.dt) {
        const stimulus& st = s.stimuli[k_].stim;
        knot_t_ = st.knot_t;
        target_ = st.target;
        name_ = st.name;
        base_ = 0;
        if (auto it = s.params.find(st.target); it != s.params.end() && !it->second.v.empty()) {
            std::size_t n = 0;
            if (it->second.varies_over_nodes() && !st.weight.empty())
                while (n + 1 < st.weight.size() && st.weight[n] == 0) ++n;
            base_ = it->second.k == field::kind::per_node ? it->second.v[n] : it->second.v[0];
        } else {
            const model_info& m = find_model(s.model);
            const coupling_info ci = find_coupling(s.coupling, int(m.cvar.size()));
            const bool model = st.target.rfind("model.", 0) == 0;
            const std::string bare = st.target.substr(st.target.find('.') + 1);
            for (const auto& p : model ? m.params : ci.params)
                if (bare == p.name) base_ = p.value;
        }
        // Until a batch is set (the driver sizes outputs first): the spec's values.
        stim_.kind = st.kind;
        stim_.props.assign(st.props.begin(), st.props.end());
        stim_.shape_t = st.knot_t;
        stim_.shape_v = st.knot_v;
        n_inst_ = 1;
        for (std::size_t n = 0; n < st.weight.size(); ++n)
            if (st.weight[n] != 0) {
                weight_ = st.weight[n];
                break;
            }
    }

    void set_batch(const batch& b) override {
        const auto ps = prepare_stimuli(b);
        stim_ = ps[k_];
        n_inst_ = b.n_instances;
    }

    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        hi_.assign(n * std::size_t(nn_ + 1) * std::size_t(nw_), -std::numeric_limits<double>::infinity());
        lo_.assign(hi_.size(), std::numeric_limits<double>::infinity());
        start_.assign(n, 0);
        width_.assign(n, 1);
        for (std::size_t i = 0; i < n; ++i) {
            double q[n_wave_props];
            stimulus_props(stim_, std::min(i, n_inst_ - 1), n_inst_, q);
            const double a = q[wp_onset] + knot_t_.front(), b = q[wp_onset] + knot_t_.back();
            start_[i] = a;
            width_[i] = (b - a) / double(nw_);
        }
    }

    void accumulate(const obs_block& b) override {
        const double t = double(b.step) * dt_;
        for (int l = 0; l < b.n_valid; ++l) {
            const std::size_t i = b.first + std::size_t(l);
            const double w = std::floor((t - start_[i]) / width_[i]);
            if (!(w >= 0) || w >= double(nw_)) continue;
            double* hi = &hi_[(i * std::size_t(nn_ + 1)) * std::size_t(nw_) + std::size_t(w)];
            double* lo = &lo_[(i * std::size_t(nn_ + 1)) * std::size_t(nw_) + std::size_t(w)];
            for (int n = 0; n <= nn_; ++n) {
                const double x =
                    n < nn_ ? b.obs[std::size_t(n) * std::size_t(b.lanes) + std::size_t(l)] : b.net[l];
                hi[std::size_t(n) * std::size_t(nw_)] = std::max(hi[std::size_t(n) * std::size_t(nw_)], x);
                lo[std::size_t(n) * std::size_t(nw_)] = std::min(lo[std::size_t(n) * std::size_t(nw_)], x);
            }
        }
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<double> centres(std::size_t(nw_), nan_v);
        // (the scale of the first instance; a swept onset moves each point's windows)
        for (long w = 0; w < nw_ && n_ > 0; ++w)
            centres[std::size_t(w)] = start_[0] + (double(w) + 0.5) * width_[0];
        auto win = [&](std::string name, bool node, std::string units, std::string d) {
            reducer_output o;
            o.name = "features/" + name;
            if (node) {
                o.extra_dims = {"node", "ramp_window"};
                o.extra_sizes = {std::size_t(nn_), std::size_t(nw_)};
                o.extra_scales = {{}, centres};
            } else {
                o.extra_dims = {"ramp_window"};
                o.extra_sizes = {std::size_t(nw_)};
                o.extra_scales = {centres};
            }
            o.units = std::move(units);
            o.description = std::move(d);
            return o;
        };
        return {
            win("ramp_max", true, "", "largest observable value of each node in each window of the ramp"),
            win("ramp_min", true, "", "smallest observable value of each node in each window of the ramp"),
            win("network_ramp_max", false, "", "largest network-mean value in each window of the ramp"),
            win("network_ramp_min", false, "", "smallest network-mean value in each window of the ramp"),
            win("ramp_value", false, "", "the ramped parameter at each window's centre"),
            win("ramp_direction", false, "", "+1: the parameter rises over the window, -1: falls, 0: flat")};
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        const std::size_t W = std::size_t(nw_);
        auto ext = [&](const std::vector<double>& v, std::size_t n, std::size_t w) {
            const double x = v[(i * std::size_t(nn_ + 1) + n) * W + w];
            return std::isfinite(x) ? x : nan_v;
        };
        if (k <= 3) {
            const auto& v = k % 2 == 0 ? hi_ : lo_;
            if (k <= 1)
                for (std::size_t n = 0; n < std::size_t(nn_); ++n)
                    for (std::size_t w = 0; w < W; ++w) out[n * W + w] = ext(v, n, w);
            else
                for (std::size_t w = 0; w < W; ++w) out[w] = ext(v, std::size_t(nn_), w);
            return;
        }
        double q[n_wave_props];
        stimulus_props(stim_, i, n_inst_, q);
        const wave_shape sh = shape_of(stim_);
        auto offset = [&](double t) { // the waveform at time t (ms), on the half-step grid
            return wave_value(wave::piecewise, q, sh, std::lround(2 * t / dt_), dt_, 0, 0, 0);
        };
        for (std::size_t w = 0; w < W; ++w) {
            const double a = start_[i] + double(w) * width_[i], b = a + width_[i];
            if (k == 4)
                out[w] = base_ + weight_ * offset(a + 0.5 * width_[i]);
            else {
                const double d = offset(b) - offset(a);
                out[w] = d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0;
            }
        }
    }

    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        if (k != 4) return {};
        return {{"parameter", target_}, {"stimulus", name_}};
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        return 2 * sizeof(double) * std::size_t(n_nodes + 1) * std::size_t(nw_);
    }

  private:
    std::size_t k_;
    long nw_;
    sampling smp_;
    double dt_, base_ = 0, weight_ = 1;
    std::vector<double> knot_t_;
    std::string target_, name_;
    prepared_stimulus stim_;
    std::size_t n_inst_ = 0, n_ = 0;
    int nn_ = 0;
    std::vector<double> hi_, lo_, start_, width_;
};

} // namespace

std::unique_ptr<reducer> make_ramp_reducer(const sweep_spec& s, const ramp_options& o, const sampling& smp) {
    return std::make_unique<ramp_reducer>(s, o, smp);
}

} // namespace nms
