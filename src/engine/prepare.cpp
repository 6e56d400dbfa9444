#include "nmsweep/engine/prepared.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace nms {

namespace {

std::string num(double x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

} // namespace

int delay_steps(double length, double speed, double dt) {
    if (!(speed > 0) || std::isinf(speed)) return 0;
    const double d = std::nearbyint(length / speed / dt);
    // Checked before the cast: a tiny speed or a huge length must not wrap.
    if (!(d <= double(max_delay_steps)))
        throw input_error("network: a tract of " + num(length) + " mm at " + num(speed) +
                          " mm/ms is a delay of " + num(d) + " steps of " + num(dt) + " ms, more than the " +
                          std::to_string(max_delay_steps) + " allowed; increase network.speed or dt");
    return int(d);
}

namespace {

void check_field(const std::string& what, const field& f, std::size_t n_nodes, std::size_t n_inst) {
    std::size_t want = 1;
    const char* shape = "1 value";
    switch (f.k) {
    case field::kind::scalar:
        want = 1;
        break;
    case field::kind::per_node:
        want = n_nodes;
        shape = "one value per node";
        break;
    case field::kind::per_instance:
        want = n_inst;
        shape = "one value per instance";
        break;
    case field::kind::per_node_instance:
        want = n_nodes * n_inst;
        shape = "nodes x instances values";
        break;
    }
    if (f.v.size() != want)
        throw input_error(what + ": has " + std::to_string(f.v.size()) + " values, expected " +
                          std::to_string(want) + " (" + shape + ", " + std::to_string(n_nodes) + " nodes)");
    for (double x : f.v)
        if (!std::isfinite(x)) throw input_error(what + ": value " + num(x) + " is not finite");
}

} // namespace

void prepare_stimuli(const batch& b, prepared& P); // stimuli.cpp

void check_batch(const batch& b) { (void)prepare(b); }

prepared prepare(const batch& b) {
    prepared P;
    P.model = find_model(b.model);
    P.n_cvar = int(P.model.cvar.size());
    P.coupling = find_coupling(b.coupling, P.n_cvar);
    P.np_model = int(P.model.params.size());
    P.np_coupling = int(P.coupling.params.size());
    P.n_state = int(P.model.states.size());
    P.n_all = P.np_model + P.np_coupling + P.n_state;
    P.n_channels = P.coupling.n_channels;
    P.n_instances = b.n_instances;
    if (b.n_instances == 0) throw input_error("batch: n_instances must be >= 1");
    if (!(b.dt > 0) || !std::isfinite(b.dt))
        throw input_error("integrator.dt = " + num(b.dt) + ": must be > 0");
    if (b.n_steps < 0) throw input_error("integrator: number of steps " + std::to_string(b.n_steps) + " < 0");
    validate(b.net);
    P.n_nodes = b.net.n;

    for (const auto& p : P.model.params) {
        P.param_names.push_back("model." + std::string(p.name));
        P.params.push_back(field::scalar(p.value));
    }
    for (const auto& p : P.coupling.params) {
        P.param_names.push_back("coupling." + std::string(p.name));
        P.params.push_back(field::scalar(p.value));
    }
    for (const auto& s : P.model.states) {
        P.param_names.push_back("noise." + std::string(s.name));
        P.params.push_back(field::scalar(0.0));
    }
    for (const auto& [name, f] : b.params) {
        if (name.rfind("stimulus.", 0) == 0) continue; // prepare_stimuli
        auto it = std::find(P.param_names.begin(), P.param_names.end(), name);
        if (it == P.param_names.end())
            throw input_error("unknown parameter '" + name + "' for model " + P.model.name +
                              " with coupling " + P.coupling.name + did_you_mean(name, P.param_names));
        check_field(name, f, P.n_nodes, P.n_instances);
        P.params[std::size_t(it - P.param_names.begin())] = f;
    }
    for (int v = 0; v < P.n_state; ++v) {
        const auto& f = P.params[std::size_t(P.np_model + P.np_coupling + v)];
        bool any = false;
        for (double x : f.v) {
            if (x < 0)
                throw input_error("noise." + std::string(P.model.states[v].name) + ": sigma " + num(x) +
                                  " < 0");
            any = any || x > 0;
        }
        if (any) P.noise_vars.push_back(v);
    }
    P.noisy = !P.noise_vars.empty();
    if (P.noisy && b.method == scheme::rk4)
        throw input_error("integrator.method = rk4 is deterministic; use heun or euler with noise");

    for (const auto& s : P.model.states) P.initial.push_back(field::scalar(s.initial));
    for (const auto& [name, f] : b.initial) {
        const std::string& key = name; // (a structured binding cannot be captured in C++17)
        auto it = std::find_if(P.model.states.begin(), P.model.states.end(),
                               [&](const state_info& s) { return key == s.name; });
        if (it == P.model.states.end()) {
            std::vector<std::string> names;
            for (const auto& s : P.model.states) names.push_back(s.name);
            throw input_error("initial state: model " + P.model.name + " has no state variable '" + name +
                              "'" + did_you_mean(name, names));
        }
        check_field("initial." + name, f, P.n_nodes, P.n_instances);
        P.initial[std::size_t(it - P.model.states.begin())] = f;
    }

    P.history = P.initial;
    for (const auto& [name, f] : b.history) {
        const std::string& key = name;
        auto it = std::find_if(P.model.states.begin(), P.model.states.end(),
                               [&](const state_info& s) { return key == s.name; });
        if (it == P.model.states.end())
            throw input_error("history: model " + P.model.name + " has no state variable '" + name + "'");
        check_field("history." + name, f, P.n_nodes, P.n_instances);
        P.history[std::size_t(it - P.model.states.begin())] = f;
    }

    // Network: per-target input lists.
    const std::size_t n = P.n_nodes;
    if (!b.speed_per_instance.empty()) {
        if (b.speed_per_instance.size() != b.n_instances)
            throw input_error("network.speed: " + std::to_string(b.speed_per_instance.size()) +
                              " per-instance values, expected " + std::to_string(b.n_instances));
        for (double v : b.speed_per_instance)
            if (!(v > 0) || std::isinf(v))
                throw input_error("network.speed = " + num(v) + ": must be > 0 mm/ms and finite");
        P.per_instance_delay = true;
        P.speed = b.speed_per_instance;
    } else if (std::isnan(b.speed)) {
        throw input_error("network.speed is NaN");
    }
    P.row_ptr.assign(1, 0);
    P.rowsum.assign(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            const double w = b.net.w(i, j);
            if (w == 0) continue;
            P.src.push_back(int(j));
            P.weight.push_back(w);
            P.length.push_back(b.net.len(i, j));
            P.rowsum[i] += w;
            int d = 0;
            if (P.per_instance_delay) {
                for (double v : P.speed) d = std::max(d, delay_steps(b.net.len(i, j), v, b.dt));
            } else {
                d = delay_steps(b.net.len(i, j), b.speed, b.dt);
            }
            if (b.require_delays && i != j) {
                int dmin = d;
                if (P.per_instance_delay)
                    for (double v : P.speed) dmin = std::min(dmin, delay_steps(b.net.len(i, j), v, b.dt));
                if (dmin < 1) {
                    std::ostringstream os;
                    os << "network: the connection from node " << j;
                    if (j < b.net.labels.size()) os << " (" << b.net.labels[j] << ")";
                    os << " to node " << i;
                    if (i < b.net.labels.size()) os << " (" << b.net.labels[i] << ")";
                    os << " has tract length " << b.net.len(i, j) << " mm, a delay shorter than one step of "
                       << b.dt << " ms at the given speed, and delays are required";
                    throw input_error(os.str());
                }
            }
            P.delay.push_back(d);
            P.max_delay = std::max(P.max_delay, d);
        }
        P.row_ptr.push_back(int(P.src.size()));
    }
    if (P.max_delay > max_delay_steps)
        throw input_error("network: the longest delay is " + std::to_string(P.max_delay) +
                          " steps; increase network.speed or dt");
    P.ring_len = 1;
    while (P.ring_len < P.max_delay + 2) P.ring_len *= 2;
    prepare_stimuli(b, P);
    return P;
}

} // namespace nms
