// [[stimulus]] tables: waveform, properties, target and spatial pattern
// (nmsweep/stimulus/). Properties are checked here with their file:line;
// the pattern is resolved against the network by resolve_stimuli.

#include "spec_io.hpp"

#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"

namespace nms::spec_io {

namespace {

std::string key_of(const stimulus_spec& st, const std::string& k) {
    return "stimulus." + st.stim.name + "." + k;
}

// The keys a waveform reads besides the common ones.
std::vector<std::string> shape_keys(wave w) {
    switch (w) {
    case wave::pulse_train:
        return {"frequency", "width", "biphasic", "gap", "ratio"};
    case wave::pulse:
        return {"width", "biphasic", "gap", "ratio"};
    case wave::sine:
    case wave::phase:
        return {"frequency", "phase"};
    case wave::gaussian:
        return {"width", "center"};
    case wave::noise:
        return {"hold"};
    case wave::sampled:
        return {"samples", "file", "sample_dt"};
    case wave::piecewise:
        return {"times", "values"};
    default:
        return {};
    }
}

std::vector<double> read_samples(const ctx& c, const reader& r, const tval& v) {
    const std::string path = resolve_path(c, r.str(v, "file"));
    try {
        if (fs::path(path).extension() == ".npy") {
            std::size_t rows = 0, cols = 0;
            auto x = read_npy_matrix(path, "stimulus waveform", &rows, &cols);
            if (rows != 1 && cols != 1)
                throw input_error(path + ": a " + std::to_string(rows) + " x " + std::to_string(cols) +
                                  " array; expected one value per sample");
            return x;
        }
        std::vector<double> out;
        for (const auto& row : parse_text_table(read_input_file(path, "stimulus waveform"), path))
            out.insert(out.end(), row.begin(), row.end());
        return out;
    } catch (const input_error& e) {
        c.fail(v, r.section, "file", e.what(), false);
    }
}

void parse_pattern(const ctx& c, const reader& r, stimulus_spec& st, sweep_spec& s) {
    const tval* given = nullptr;
    for (const char* k : {"regions", "weights", "gain"}) {
        const tval* v = r.get(k);
        if (!v) continue;
        if (given)
            c.fail(*v, r.section, k, "give one of regions, weights or gain (a spatial pattern)", false);
        given = v;
    }
    if (const tval* v = r.get("regions")) {
        for (const auto& x : r.array(*v, "regions")) {
            if (x.is_integer())
                st.regions.push_back(std::to_string(x.as_integer()));
            else
                st.regions.push_back(r.str(x, "regions"));
        }
        if (st.regions.empty()) c.fail(*v, r.section, "regions", "no regions");
        c.note(key_of(st, "regions"), *v, r.section, "regions");
    }
    if (const tval* v = r.get("weights")) {
        c.note(key_of(st, "weights"), *v, r.section, "weights");
        if (v->is_table()) {
            // Rows in node order give the weights here; rows "label value" go to
            // s.node_tables, which resolve_node_tables turns into s.params[key] in
            // node order for resolve_stimuli, which replaces st.weights then.
            const field f = parse_node_file(c, *v, r.section, "weights", key_of(st, "weights"), s);
            st.weights = f.v;
        } else {
            st.weights = r.numbers(*v, "weights");
        }
    }
    if (const tval* v = r.get("gain")) {
        st.gain_file = resolve_path(c, r.str(*v, "gain"));
        c.note(key_of(st, "gain"), *v, r.section, "gain");
        const tval& e = r.need("electrodes");
        c.note(key_of(st, "electrodes"), e, r.section, "electrodes");
        if (e.is_table()) {
            for (const auto& [label, x] : entries(e)) {
                st.electrode_labels.push_back(label);
                st.electrodes.push_back(r.finite(*x, "electrodes." + label));
            }
        } else {
            st.electrodes = r.numbers(e, "electrodes");
        }
        if (st.electrodes.empty()) c.fail(e, r.section, "electrodes", "no electrode currents");
    } else if (const tval* e = r.get("electrodes")) {
        c.fail(*e, r.section, "electrodes", "electrodes need gain = \"leadfield file\"", false);
    }
}

void parse_one(const ctx& c, const tval& t, std::size_t index, const parsed_ctx& P, sweep_spec& s) {
    reader r(c, "stimulus", t);
    stimulus_spec st;
    stimulus& m = st.stim;
    m.name = "stim" + std::to_string(index + 1);
    if (const tval* v = r.get("name")) {
        m.name = r.str(*v, "name");
        if (m.name.empty() || !std::all_of(m.name.begin(), m.name.end(), [](char ch) {
                return std::isalnum((unsigned char)ch) || ch == '_';
            }))
            c.fail(*v, "stimulus", "name", "letters, digits and '_' only");
        for (const auto& o : s.stimuli)
            if (o.stim.name == m.name) c.fail(*v, "stimulus", "name", "two stimuli named '" + m.name + "'");
    }
    const tval& wv = r.need("waveform");
    const std::string wname = r.str(wv, "waveform");
    const std::vector<std::string> kinds(wave_names, wave_names + n_waves);
    const auto wit = std::find(kinds.begin(), kinds.end(), wname);
    if (wit == kinds.end())
        c.fail(wv, "stimulus", "waveform", "unknown waveform" + did_you_mean(wname, kinds));
    m.kind = wave(wit - kinds.begin());
    c.note(key_of(st, "waveform"), wv, "stimulus", "waveform");

    std::vector<std::string> allowed{"name", "waveform", "target",  "amplitude", "onset",     "stop",
                                     "ramp", "regions",  "weights", "gain",      "electrodes"};
    for (const auto& k : shape_keys(m.kind)) allowed.push_back(k);
    for (const auto& [k, v] : entries(t))
        if (!contains(allowed, k)) {
            if (std::find(wave_prop_names, wave_prop_names + n_wave_props, k) !=
                    wave_prop_names + n_wave_props ||
                k == "samples" || k == "file" || k == "sample_dt" || k == "times" || k == "values")
                c.fail(*v, "stimulus", k, "has no meaning for waveform '" + wname + "'", false);
            c.fail(*v, "stimulus", k, "unknown key" + did_you_mean(k, allowed), false);
        }

    if (const tval* v = r.get("target")) {
        m.target = r.str(*v, "target");
        try {
            (void)stimulus_target(m.target, *P.m, P.ci);
        } catch (const input_error& e) {
            c.fail(*v, "stimulus", "target", e.what(), false);
        }
        c.note(key_of(st, "target"), *v, "stimulus", "target");
    } else {
        try {
            (void)stimulus_target(m.target, *P.m, P.ci);
        } catch (const input_error& e) {
            c.fail(t, "stimulus", "target", e.what(), false);
        }
    }
    for (int q = 0; q < n_wave_props; ++q) {
        const std::string k = wave_prop_names[q];
        const tval* v = r.get(k);
        if (!v) continue;
        if (q == wp_biphasic) {
            if (!v->is_boolean()) c.fail(*v, "stimulus", k, "expected true or false");
            m.props[q] = v->as_boolean() ? 1 : 0;
        } else {
            m.props[q] = q == wp_stop ? r.number(*v, k) : r.finite(*v, k);
        }
        c.note(key_of(st, k), *v, "stimulus", k);
    }
    for (const char* k : {"frequency", "width"}) {
        const auto need = shape_keys(m.kind);
        if (contains(need, k) && !r.get(k))
            c.fail(t, "stimulus", k, "waveform '" + wname + "' needs " + k, false);
    }
    if (m.kind == wave::sampled) {
        const tval* sv = r.get("samples");
        const tval* fv = r.get("file");
        if (!sv == !fv) c.fail(t, "stimulus", "samples", "give samples = [...] or file = \"...\"", false);
        m.samples = sv ? r.numbers(*sv, "samples") : read_samples(c, r, *fv);
        const tval& dv = r.need("sample_dt");
        m.sample_dt = r.finite(dv, "sample_dt");
        if (!(m.sample_dt > 0)) c.fail(dv, "stimulus", "sample_dt", "must be > 0 ms");
        const tval& where = sv ? *sv : *fv;
        const std::string key = sv ? "samples" : "file";
        if (m.samples.size() < 2) c.fail(where, "stimulus", key, "at least 2 samples", false);
        for (double x : m.samples)
            if (!std::isfinite(x)) c.fail(where, "stimulus", key, "a sample is not finite", false);
        const double span = double(m.samples.size() - 1) * m.sample_dt;
        if (std::isinf(m.props[wp_stop])) {
            m.props[wp_stop] = m.props[wp_onset] + span + m.sample_dt;
        } else if (m.props[wp_stop] - m.props[wp_onset] > span + 1e-9 * m.sample_dt) {
            const long want =
                long(std::floor((m.props[wp_stop] - m.props[wp_onset]) / m.sample_dt + 1e-9)) + 1;
            c.fail(where, "stimulus", key,
                   "has " + std::to_string(m.samples.size()) + " samples, but onset " +
                       num(m.props[wp_onset]) + " to stop " + num(m.props[wp_stop]) + " ms every " +
                       num(m.sample_dt) + " ms needs " + std::to_string(want),
                   false);
        }
    }
    if (m.kind == wave::piecewise) {
        const tval& tv = r.need("times");
        const tval& vv = r.need("values");
        m.knot_t = r.numbers(tv, "times");
        m.knot_v = r.numbers(vv, "values");
        if (m.knot_t.empty()) c.fail(tv, "stimulus", "times", "no knots");
        if (m.knot_t.size() != m.knot_v.size())
            c.fail(vv, "stimulus", "values",
                   std::to_string(m.knot_v.size()) + " values for " + std::to_string(m.knot_t.size()) +
                       " times");
        for (std::size_t k = 1; k < m.knot_t.size(); ++k)
            if (!(m.knot_t[k] > m.knot_t[k - 1])) c.fail(tv, "stimulus", "times", "times must increase");
    }
    std::array<double, n_wave_props> q = m.props;
    if (std::isnan(q[wp_center])) q[wp_center] = q[wp_onset] + 4 * q[wp_width];
    const std::string e = stimulus_problem(m.kind, q.data(), s.dt);
    if (!e.empty()) {
        const std::string k = e.substr(0, e.find(' '));
        const tval* v = r.get(k);
        if (!v && e.rfind("a pulse", 0) == 0) v = r.get("width");
        if (!v && e.rfind("the second", 0) == 0) v = r.get("ratio");
        c.fail(v ? *v : t, "stimulus", v ? k : "", e, v != nullptr);
    }
    parse_pattern(c, r, st, s);
    s.stimuli.push_back(std::move(st));
}

} // namespace

void parse_stimuli(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P) {
    const auto& tab = root.as_table();
    auto it = tab.find("stimulus");
    if (it == tab.end()) return;
    const tval& v = it->second;
    if (v.is_table()) c.fail(v, "stimulus", "", "write [[stimulus]] (an array of tables)", false);
    if (!v.is_array()) c.fail(v, "stimulus", "", "expected [[stimulus]] tables, got " + type_name(v));
    const auto& a = v.as_array();
    if (a.size() > std::size_t(max_stimuli))
        c.fail(a[max_stimuli], "stimulus", "", "at most " + std::to_string(max_stimuli) + " stimuli", false);
    for (std::size_t k = 0; k < a.size(); ++k) parse_one(c, a[k], k, P, s);
}

// A swept stimulus property: every axis value checked as the engine will.
void check_stimulus_axis(const ctx& c, const located_ref& lr, const std::vector<double>& values,
                         const sweep_spec& s) {
    const std::string rest = lr.r.key.substr(9);
    const auto dot = rest.rfind('.');
    const std::string name = rest.substr(0, dot), prop = rest.substr(dot + 1);
    for (const auto& st : s.stimuli) {
        if (st.stim.name != name) continue;
        const int q = int(std::find(wave_prop_names, wave_prop_names + n_wave_props, prop) - wave_prop_names);
        for (double x : values) {
            std::array<double, n_wave_props> p = st.stim.props;
            p[std::size_t(q)] = x;
            if (std::isnan(p[wp_center])) p[wp_center] = p[wp_onset] + 4 * p[wp_width];
            const std::string e = stimulus_problem(st.stim.kind, p.data(), s.dt);
            if (!e.empty())
                c.fail(*lr.v, lr.section, lr.key,
                       "stimulus '" + name + "': " + e + " at " + prop + " = " + num(x), false);
        }
    }
}

} // namespace nms::spec_io

namespace nms {

using namespace spec_io;

void resolve_stimuli(sweep_spec& s, const connectome& net) {
    const std::size_t n = net.n;
    for (auto& st : s.stimuli) {
        stimulus& m = st.stim;
        auto at = [&](const std::string& k) { return where_of(s, "stimulus." + m.name + "." + k); };
        if (!st.regions.empty()) {
            m.weight.assign(n, 0.0);
            for (const auto& r : st.regions) {
                std::size_t node = 0;
                if (!r.empty() && std::all_of(r.begin(), r.end(),
                                              [](char ch) { return std::isdigit((unsigned char)ch); })) {
                    node = std::stoul(r);
                    if (node >= n)
                        throw input_error(at("regions") + ": node " + r +
                                          " does not exist (the network has " + std::to_string(n) +
                                          " nodes)");
                } else {
                    node = node_named(r, net, at("regions"));
                }
                m.weight[node] = 1.0;
            }
        } else if (auto p = s.params.find("stimulus." + m.name + ".weights"); p != s.params.end()) {
            m.weight = p->second.v; // a file by label, resolve_node_tables put it here in node order
            s.params.erase(p);
        } else if (!st.weights.empty()) {
            if (st.weights.size() != n)
                throw input_error(at("weights") + ": " + std::to_string(st.weights.size()) +
                                  " weights, the network has " + std::to_string(n) + " nodes");
            m.weight = st.weights;
        } else if (!st.gain_file.empty()) {
            observe::gain_matrix g;
            try {
                g = observe::read_gain_matrix(st.gain_file, n);
            } catch (const input_error& e) {
                throw input_error(at("gain") + ": " + e.what());
            }
            std::vector<double> e(g.n_sensors, 0.0);
            if (!st.electrode_labels.empty()) {
                if (g.sensor_labels.empty())
                    throw input_error(at("electrodes") + ": the lead field " + st.gain_file +
                                      " names no sensors; give one current per row instead");
                for (std::size_t k = 0; k < st.electrode_labels.size(); ++k) {
                    const auto f =
                        std::find(g.sensor_labels.begin(), g.sensor_labels.end(), st.electrode_labels[k]);
                    if (f == g.sensor_labels.end())
                        throw input_error(at("electrodes") + ": no sensor '" + st.electrode_labels[k] +
                                          "' in " + st.gain_file +
                                          did_you_mean(st.electrode_labels[k], g.sensor_labels));
                    e[std::size_t(f - g.sensor_labels.begin())] = st.electrodes[k];
                }
            } else {
                if (st.electrodes.size() != g.n_sensors)
                    throw input_error(at("electrodes") + ": " + std::to_string(st.electrodes.size()) +
                                      " currents, the lead field has " + std::to_string(g.n_sensors) +
                                      " sensors");
                e = st.electrodes;
            }
            // Reciprocity: the field a current pattern drives in region r is
            // the lead field's column r weighted by the currents (G^T e).
            m.weight.assign(n, 0.0);
            for (std::size_t q = 0; q < g.n_sensors; ++q)
                for (std::size_t r = 0; r < n; ++r) m.weight[r] += g(q, r) * e[q];
        }
    }
}

} // namespace nms
