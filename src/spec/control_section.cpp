// [control] (control_spec, nmsweep/sweep/control_run.hpp).
#include "spec_io.hpp"

namespace nms::spec_io {

namespace {

// `name` is a state variable of the model, or a message at `at` naming the ones there are.
void check_variable(const ctx& c, const std::string& section, const std::string& key, const tval& at,
                    const std::string& name, const model_info& m) {
    std::vector<std::string> names;
    for (const auto& st : m.states) names.push_back(st.name);
    if (std::find(names.begin(), names.end(), name) == names.end())
        c.fail(at, section, key,
               "'" + name + "' is not a state variable of " + m.name + did_you_mean(name, names), false);
}

std::string state_variable(const ctx& c, const reader& t, const tval& v, const std::string& key,
                           const model_info& m) {
    const std::string name = t.str(v, key);
    check_variable(c, t.section, key, v, name, m);
    return name;
}

double non_negative(const ctx& c, const reader& t, const char* key, double dflt) {
    const tval* v = t.get(key);
    if (!v) return dflt;
    const double x = t.finite(*v, key);
    if (!(x >= 0)) c.fail(*v, t.section, key, "must be >= 0");
    return x;
}

void parse_target(const ctx& c, const reader& t, control_spec& o, const model_info& m) {
    if (const tval* v = t.get("target")) {
        o.target = t.str(*v, "target");
        if (o.target != "state" && o.target != "fixed_point" && o.target != "desynchronise")
            c.fail(*v, t.section, "target", "expected \"state\", \"fixed_point\" or \"desynchronise\"");
        c.note("control.target", *v, "control", "target");
    }
    const tval* ts = t.get("target_state");
    const tval* tp = t.get("target_point");
    if (o.target == "state" && !ts == !tp)
        c.fail(*t.t, t.section, "target_state",
               "target = \"state\" needs target_state = { <variable> = value or [one per node] } or "
               "target_point = <grid point>",
               false);
    if (o.target != "state" && (ts || tp))
        c.fail(ts ? *ts : *tp, t.section, ts ? "target_state" : "target_point",
               "only with target = \"state\"", false);
    if (ts) {
        reader r(c, "control.target_state", *ts);
        for (const auto& [k, val] : entries(*ts)) {
            check_variable(c, r.section, k, *val, k, m);
            std::vector<double> xs;
            if (val->is_array())
                for (const auto& e : val->as_array()) xs.push_back(r.finite(e, k));
            else
                xs.push_back(r.finite(*val, k));
            if (xs.empty()) c.fail(*val, r.section, k, "an empty list");
            o.target_state[k] = xs;
        }
        c.note("control.target_state", *ts, "control", "target_state");
    }
    if (tp) {
        o.target_point = t.integer(*tp, "target_point");
        if (o.target_point < 0) c.fail(*tp, t.section, "target_point", "must be >= 0");
        c.note("control.target_point", *tp, "control", "target_point");
    }
    if (o.target == "desynchronise" && m.phase_variable < 0)
        c.fail(*t.get("target"), t.section, "target",
               "desynchronise needs a phase model (kuramoto); " + m.name + " has no phase variable");
    if (const tval* v = t.get("error_variables")) {
        if (!v->is_array()) c.fail(*v, t.section, "error_variables", "expected a list of state variables");
        for (const auto& e : v->as_array())
            o.error_variables.push_back(state_variable(c, t, e, "error_variables", m));
    }
}

} // namespace

void parse_control(const ctx& c, const tval& root, sweep_spec& s) {
    if (!root.as_table().count("control")) return;
    const tval& tv = root.at("control");
    reader t(c, "control", tv);
    t.only({"regions", "variable", "duration", "start", "target", "target_state", "target_point",
            "error_variables", "window", "error_weight", "energy_weight", "sparsity_weight", "max_amplitude",
            "iterations", "tol"});
    const model_info& m = find_model(s.model);
    auto& o = s.control;
    o.given = true;
    const tval& rv = t.need("regions");
    if (!rv.is_array() || rv.as_array().empty())
        c.fail(rv, t.section, "regions", "expected a list of region labels or node indices");
    for (const auto& e : rv.as_array()) {
        if (e.is_integer())
            o.regions.push_back(std::to_string(e.as_integer()));
        else
            o.regions.push_back(t.str(e, "regions"));
    }
    c.note("control.regions", rv, "control", "regions");
    // Required: where an input enters is the model's anatomy (Jansen-Rit's afferent input drives y4).
    o.variable = state_variable(c, t, t.need("variable"), "variable", m);
    if (const tval* v = t.get("duration")) {
        o.duration = t.finite(*v, "duration");
        if (!(o.duration > 0)) c.fail(*v, t.section, "duration", "must be > 0 ms");
        c.note("control.duration", *v, "control", "duration");
    }
    if (const tval* v = t.get("start")) {
        o.start = t.str(*v, "start");
        if (o.start != "final" && o.start != "initial")
            c.fail(*v, t.section, "start", "expected \"final\" (the end of the point's run) or \"initial\"");
    }
    parse_target(c, t, o, m);
    o.window = non_negative(c, t, "window", 0);
    o.error_weight = non_negative(c, t, "error_weight", o.error_weight);
    o.energy_weight = non_negative(c, t, "energy_weight", o.energy_weight);
    o.sparsity_weight = non_negative(c, t, "sparsity_weight", o.sparsity_weight);
    if (const tval* v = t.get("max_amplitude")) {
        o.max_amplitude = t.number(*v, "max_amplitude");
        if (!(o.max_amplitude > 0)) c.fail(*v, t.section, "max_amplitude", "must be > 0");
    }
    if (!(o.error_weight > 0)) c.fail(tv, t.section, "error_weight", "must be > 0", false);
    if (const tval* v = t.get("iterations")) {
        o.iterations = t.integer(*v, "iterations");
        if (o.iterations < 1 || o.iterations > 1000000)
            c.fail(*v, t.section, "iterations", "must be in 1 .. 1000000");
    }
    if (const tval* v = t.get("tol")) {
        o.tol = t.finite(*v, "tol");
        if (!(o.tol > 0 && o.tol < 1)) c.fail(*v, t.section, "tol", "must be in (0, 1)");
    }
    c.note("control", tv, "control", "");
}

} // namespace nms::spec_io
