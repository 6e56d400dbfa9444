#include "nmsweep/sweep/batch_runner.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/models/registry.hpp"
#include "run_parts.hpp"

#include <omp.h>

#include <cmath>
#include <map>
#include <numeric>

namespace nms {

namespace {

// Keeps a call's outputs in memory, [n][extra...] each.
struct memory_sink final : point_sink {
    std::map<std::string, batch_output*> by_name;
    std::vector<long> diverged;
    void points(const std::string& name, std::size_t first, std::size_t count, const double* data) override {
        batch_output& o = *by_name.at(name);
        const std::size_t m = o.data.size() / diverged.size();
        std::copy(data, data + count * m, o.data.begin() + long(first * m));
    }
    void series(std::size_t, std::size_t, std::size_t, const double*) override {}
    void status(std::size_t first, std::size_t count, const long* d) override {
        std::copy(d, d + count, diverged.begin() + long(first));
    }
};

void refuse_grid_kinds(const sweep_spec& s, const std::string& where) {
    if (!s.hypotheses.empty() || !s.lesions.empty())
        throw input_error(where + ": the batch call gives each point's parameters; ez and lesion axes "
                                  "need a spec run (nmsweep.run)");
    if (s.initial.n_random > 0)
        throw input_error(where + ": [initial] random sets are an axis of a spec run; the batch call runs "
                                  "one initial state per point (give [initial] values, or use nmsweep.run)");
}

} // namespace

struct batch_runner::impl {
    sweep_request r;
    sweep_spec s;
    connectome net;
    std::vector<std::string> names;
    std::vector<param_ref> refs;
    std::string backend;
    int threads = 1;
    run_reducers R;
    std::unique_ptr<observations> obsv;
};

batch_runner::batch_runner(const sweep_request& r, const std::vector<std::string>& params)
    : p_(std::make_unique<impl>()) {
    impl& p = *p_;
    p.r = r;
    p.s = load_request_spec(r);
    p.net = load_network(p.s);
    if (p.r.precision.empty()) p.r.precision = p.s.precision;
    if (p.r.precision != "float" && p.r.precision != "double")
        throw input_error("precision '" + p.r.precision + "': expected float or double");
    refuse_grid_kinds(p.s, p.s.path);
    if (params.empty()) throw input_error("params: give at least one parameter name");
    for (const auto& name : params) {
        param_ref ref = parse_param_ref(name, p.s.model, p.s.coupling, p.s.stimuli);
        using k = param_ref::kind;
        if (ref.k == k::sample || ref.k == k::hypothesis || ref.k == k::lesion || ref.k == k::initial)
            throw input_error("params: '" + name + "' cannot be set per point by the batch call");
        for (const auto& other : p.names)
            if (other == name) throw input_error("params: '" + name + "' is given twice");
        p.names.push_back(name);
        p.refs.push_back(ref);
    }
    // The grid becomes the call's points (a sampler whose values the call gives).
    p.s.timeseries = {};
    p.s.sampler = {};
    p.s.sampler.kind = "batch";
    p.s.sampler.params = p.refs;
    p.s.sampler.values.assign(p.refs.size(), {});
    param_ref sr;
    sr.k = param_ref::kind::sample;
    sr.name = "sample";
    p.s.axes = {axis{"sample", "", {0.0}}};
    p.s.axis_refs = {sr};
    p.backend = choose_backend(r.backend);
    p.threads = r.threads > 0 ? r.threads : omp_get_max_threads();
    p.R = make_reducers(p.s);
    p.obsv = std::make_unique<observations>(p.s, p.net);
    p.obsv->take_reducers(p.R.all);
    for (auto& red : p.R.all) red->reset(1, int(p.net.n));
    if (p.r.precision == "double")
        reduce_on_device<double>(p.s, p.R, *p.obsv, p.backend);
    else
        reduce_on_device<float>(p.s, p.R, *p.obsv, p.backend);
}

batch_runner::~batch_runner() = default;

const std::vector<std::string>& batch_runner::params() const { return p_->names; }
std::size_t batch_runner::n_nodes() const { return p_->net.n; }
const std::vector<std::string>& batch_runner::node_labels() const { return p_->net.labels; }
const std::string& batch_runner::backend() const { return p_->backend; }
const std::string& batch_runner::precision() const { return p_->r.precision; }

std::vector<batch_output>
batch_runner::run(const double* theta, std::size_t n, const std::atomic<int>* stop,
                  const std::function<void(std::size_t, std::size_t)>& on_progress) {
    impl& p = *p_;
    const std::size_t D = p.refs.size();
    if (n == 0) throw input_error("theta: no points (0 rows)");
    for (std::size_t d = 0; d < D; ++d) {
        auto& col = p.s.sampler.values[d];
        col.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const double x = theta[i * D + d];
            if (!std::isfinite(x))
                throw input_error("theta[" + std::to_string(i) + ", " + std::to_string(d) + "] (" +
                                  p.names[d] + "): not a finite number");
            if (p.refs[d].k == param_ref::kind::seed && (x < 0 || x != std::floor(x)))
                throw input_error("theta[" + std::to_string(i) + ", " + std::to_string(d) +
                                  "] (noise.seed): expected a whole number >= 0 (value " + std::to_string(x) +
                                  ")");
            col[i] = x;
        }
    }
    p.s.sampler.n = n;
    p.s.axes[0].values.resize(n);
    std::iota(p.s.axes[0].values.begin(), p.s.axes[0].values.end(), 0.0);

    std::vector<batch_output> outs;
    for (auto& red : p.R.all) {
        red->reset(1, int(p.net.n));
        const auto ro = red->outputs();
        for (std::size_t k = 0; k < ro.size(); ++k) {
            std::size_t m = 1;
            for (auto e : ro[k].extra_sizes) m *= e;
            outs.push_back({ro[k].name, ro[k].extra_dims, ro[k].extra_sizes, ro[k].extra_scales,
                            red->integer_output(k), std::vector<double>(n * m)});
        }
    }
    const std::size_t nv = find_model(p.s.model).states.size();
    if (p.R.want_final)
        outs.push_back({"features/final_state",
                        {"variable", "node"},
                        {nv, p.net.n},
                        {},
                        false,
                        std::vector<double>(n * nv * p.net.n)});
    memory_sink sink;
    for (auto& o : outs) sink.by_name[o.name] = &o;
    sink.diverged.assign(n, -1);

    run_options opt;
    opt.threads = p.threads;
    opt.devices = p.r.devices;
    opt.stop = stop;
    const std::size_t bs = batch_size(p.r, p.s, p.net, p.R.all, p.backend, p.threads);
    for (std::size_t i = 0; i < n;) {
        const std::size_t count = std::min(bs, n - i);
        const run_result res =
            p.r.precision == "double"
                ? run_one_batch<double>(sink, p.s, p.net, p.R, *p.obsv, opt, p.backend, i, count)
                : run_one_batch<float>(sink, p.s, p.net, p.R, *p.obsv, opt, p.backend, i, count);
        if (res.interrupted)
            throw interrupted("stopped: " + std::to_string(i) + " of " + std::to_string(n) +
                              " points were done");
        i += count;
        if (on_progress) on_progress(i, n);
    }
    batch_output st{"status/diverged_step", {}, {}, {}, true, std::vector<double>(n)};
    for (std::size_t i = 0; i < n; ++i) st.data[i] = double(sink.diverged[i]);
    outs.push_back(std::move(st));
    return outs;
}

} // namespace nms
