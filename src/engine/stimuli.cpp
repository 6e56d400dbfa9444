// Stimuli of a batch checked and laid out for the backends (prepared.hpp).

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"
#include "nmsweep/engine/prepared.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace nms {

void prepare_stimuli(const batch& b, prepared& P);

namespace {

std::string num(double x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

bool pulsed(wave k) { return k == wave::pulse_train || k == wave::pulse; }

} // namespace

std::string stimulus_problem(wave kind, const double* q, double dt) {
    for (int k = 0; k < n_wave_props; ++k)
        if (std::isnan(q[k]) && k != wp_center) return std::string(wave_prop_names[k]) + " is NaN";
    if (!std::isfinite(q[wp_amplitude])) return "amplitude " + num(q[wp_amplitude]) + " is not finite";
    if (!(q[wp_onset] >= 0) || !std::isfinite(q[wp_onset]))
        return "onset " + num(q[wp_onset]) + " ms: must be >= 0";
    if (!(q[wp_stop] > q[wp_onset])) return "stop " + num(q[wp_stop]) + " ms: must be after onset";
    if (!(q[wp_ramp] >= 0) || !std::isfinite(q[wp_ramp]))
        return "ramp " + num(q[wp_ramp]) + " ms: must be >= 0";
    const double nyquist = 1000.0 / (2.0 * dt);
    if (kind == wave::pulse_train || kind == wave::sine || kind == wave::phase) {
        if (!(q[wp_frequency] > 0) || !std::isfinite(q[wp_frequency]))
            return "frequency " + num(q[wp_frequency]) + " Hz: must be > 0";
        if (q[wp_frequency] >= nyquist)
            return "frequency " + num(q[wp_frequency]) +
                   " Hz is at or above the Nyquist rate of dt = " + num(dt) + " ms (" + num(nyquist) +
                   " Hz); lower it or dt";
    }
    if (pulsed(kind)) {
        if (!(q[wp_width] >= dt * (1 - 1e-9)))
            return "width " + num(q[wp_width]) + " ms is shorter than one step (dt = " + num(dt) + " ms)";
        if (q[wp_biphasic] != 0 && q[wp_biphasic] != 1) return "biphasic must be true or false";
        if (q[wp_biphasic] == 1) {
            if (!(q[wp_ratio] > 0) || !std::isfinite(q[wp_ratio]))
                return "ratio " + num(q[wp_ratio]) + ": must be > 0";
            if (!(q[wp_gap] >= 0)) return "gap " + num(q[wp_gap]) + " ms: must be >= 0";
            if (q[wp_width] * q[wp_ratio] < dt * (1 - 1e-9))
                return "the second phase (width x ratio = " + num(q[wp_width] * q[wp_ratio]) +
                       " ms) is shorter than one step (dt = " + num(dt) + " ms)";
        }
        if (kind == wave::pulse_train) {
            const double w1 = std::max(1.0, std::rint(q[wp_width] / dt));
            double len = w1;
            if (q[wp_biphasic] == 1)
                len += std::rint(q[wp_gap] / dt) + std::max(1.0, std::rint(q[wp_width] * q[wp_ratio] / dt));
            const double period = 1000.0 / (q[wp_frequency] * dt);
            if (len > std::floor(period))
                return "a pulse of " + num(len * dt) + " ms does not fit in the period of " +
                       num(1000.0 / q[wp_frequency]) + " ms (frequency " + num(q[wp_frequency]) + " Hz)";
        }
    }
    if (kind == wave::gaussian && !(q[wp_width] > 0)) return "width " + num(q[wp_width]) + " ms: must be > 0";
    if (kind == wave::noise && !(q[wp_hold] >= 0)) return "hold " + num(q[wp_hold]) + " ms: must be >= 0";
    return "";
}

int stimulus_target(const std::string& t, const model_info& m, const coupling_info& c) {
    const int ns = int(m.states.size()), ncv = int(m.cvar.size());
    std::vector<std::string> known{"afferent"};
    if (t == "afferent") return stim_afferent;
    for (int v = 0; v < ns; ++v) {
        if (t == m.states[v].name) return v;
        known.push_back(m.states[v].name);
    }
    for (int j = 0; j < ncv; ++j) {
        const std::string name = "coupling_input." + std::string(m.states[m.cvar[j]].name);
        if (t == name || (j == 0 && t == "coupling_input")) return ns + j;
        known.push_back(j == 0 ? "coupling_input" : name);
    }
    int q = ns + ncv;
    for (const auto& p : m.params) {
        if (t == "model." + std::string(p.name)) return q;
        known.push_back("model." + std::string(p.name));
        ++q;
    }
    for (const auto& p : c.params) {
        if (t == "coupling." + std::string(p.name)) return q;
        known.push_back("coupling." + std::string(p.name));
        ++q;
    }
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw input_error("unknown target '" + t + "' for model " + m.name + did_you_mean(t, known) +
                      " (targets: " + list + ")");
}

std::vector<prepared_stimulus> prepare_stimuli(const batch& b) {
    prepared P;
    P.model = find_model(b.model);
    P.coupling = find_coupling(b.coupling, int(P.model.cvar.size()));
    P.n_nodes = b.net.n;
    P.n_instances = b.n_instances;
    prepare_stimuli(b, P);
    return P.stimuli;
}

// The stimuli of b into P; per-instance properties come from b.params
// ("stimulus.<name>.<property>"), which prepare() leaves to this.
void prepare_stimuli(const batch& b, prepared& P) {
    if (b.stimuli.size() > std::size_t(max_stimuli))
        throw input_error("stimulus: " + std::to_string(b.stimuli.size()) + " stimuli, at most " +
                          std::to_string(max_stimuli));
    const std::size_t N = b.n_instances, nn = P.n_nodes;
    for (const auto& [key, f] : b.params) {
        if (key.rfind("stimulus.", 0) != 0) continue;
        const std::string rest = key.substr(9);
        const auto dot = rest.rfind('.');
        const std::string name = rest.substr(0, dot == std::string::npos ? 0 : dot);
        const std::string prop = dot == std::string::npos ? rest : rest.substr(dot + 1);
        std::vector<std::string> names;
        for (const stimulus& s : b.stimuli) names.push_back(s.name);
        if (std::find(names.begin(), names.end(), name) == names.end())
            throw input_error("'" + key + "': no stimulus named '" + name + "'" + did_you_mean(name, names));
        std::vector<std::string> props(wave_prop_names, wave_prop_names + n_wave_props);
        if (std::find(props.begin(), props.end(), prop) == props.end())
            throw input_error("'" + key + "': a stimulus has no property '" + prop + "'" +
                              did_you_mean(prop, props));
        (void)f;
    }
    for (const stimulus& s : b.stimuli) {
        const std::string what = "stimulus '" + s.name + "'";
        prepared_stimulus ps;
        ps.kind = s.kind;
        try {
            ps.target = stimulus_target(s.target, P.model, P.coupling);
        } catch (const input_error& e) {
            throw input_error(what + ": " + e.what());
        }
        if (!s.weight.empty() && s.weight.size() != nn)
            throw input_error(what + ": " + std::to_string(s.weight.size()) + " weights, the network has " +
                              std::to_string(nn) + " nodes");
        ps.weight = s.weight.empty() ? std::vector<double>(nn, 1.0) : s.weight;
        for (double w : ps.weight)
            if (!std::isfinite(w)) throw input_error(what + ": a weight is not finite");
        ps.props.resize(std::size_t(n_wave_props) * N);
        for (int q = 0; q < n_wave_props; ++q) {
            const auto it = b.params.find("stimulus." + s.name + "." + wave_prop_names[q]);
            for (std::size_t i = 0; i < N; ++i) {
                double x = s.props[std::size_t(q)];
                if (it != b.params.end()) {
                    if (it->second.varies_over_nodes())
                        throw input_error(it->first + ": a stimulus property cannot vary over nodes");
                    x = it->second.at(0, i, N);
                }
                ps.props[std::size_t(q) * N + i] = x;
            }
        }
        for (std::size_t i = 0; i < N; ++i) {
            double* q = &ps.props[i];
            double v[n_wave_props];
            for (int k = 0; k < n_wave_props; ++k) v[k] = q[std::size_t(k) * N];
            if (std::isnan(v[wp_center]))
                ps.props[std::size_t(wp_center) * N + i] = v[wp_onset] + 4 * v[wp_width];
            const std::string e = stimulus_problem(s.kind, v, b.dt);
            if (!e.empty())
                throw input_error(what + ": " + e + (N > 1 ? " (instance " + std::to_string(i) + ")" : ""));
        }
        if (s.kind == wave::sampled) {
            if (s.samples.size() < 2 || !(s.sample_dt > 0))
                throw input_error(what + ": a sampled waveform needs at least 2 samples and sample_dt > 0");
            ps.shape_v = s.samples;
            ps.sample_dt = s.sample_dt;
        } else if (s.kind == wave::piecewise) {
            if (s.knot_t.size() < 1 || s.knot_t.size() != s.knot_v.size())
                throw input_error(what + ": piecewise needs times and values of the same length (>= 1)");
            for (std::size_t k = 1; k < s.knot_t.size(); ++k)
                if (!(s.knot_t[k] > s.knot_t[k - 1])) throw input_error(what + ": times must increase");
            ps.shape_t = s.knot_t;
            ps.shape_v = s.knot_v;
        }
        for (double x : ps.shape_v)
            if (!std::isfinite(x)) throw input_error(what + ": a waveform value is not finite");
        P.stimuli.push_back(std::move(ps));
    }
}

} // namespace nms
