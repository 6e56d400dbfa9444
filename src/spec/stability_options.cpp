// [output.stability] (stability_options, nmsweep/sweep/stability_feature.hpp);
// the network's size is checked once it is loaded (validate_with_network).
#include "spec_io.hpp"

#include <cmath>
#include <limits>

namespace nms::spec_io {

void parse_stability(const ctx& c, const reader& r, sweep_spec& s) {
    const tval* tv = r.get("stability");
    auto& o = s.stability;
    if (tv) {
        reader t(c, "output.stability", *tv);
        t.only(
            {"starts", "tol", "max_iterations", "max_size", "delays", "degree", "delay_max_size", "n_roots"});
        if (const tval* v = t.get("starts")) {
            if (!v->is_array() || v->as_array().empty())
                c.fail(*v, t.section, "starts", "expected a list of \"final\" and/or \"initial\"");
            o.starts.clear();
            for (const auto& e : v->as_array()) {
                const std::string x = t.str(e, "starts");
                if (x != "final" && x != "initial")
                    c.fail(e, t.section, "starts", "'" + x + "': expected \"final\" or \"initial\"");
                if (std::find(o.starts.begin(), o.starts.end(), x) != o.starts.end())
                    c.fail(e, t.section, "starts", "'" + x + "' given twice");
                o.starts.push_back(x);
            }
        }
        if (const tval* v = t.get("tol")) {
            o.tol = t.finite(*v, "tol");
            if (!(o.tol > 0) || o.tol > 1e-2) c.fail(*v, t.section, "tol", "must be in (0, 0.01]");
        }
        if (const tval* v = t.get("max_iterations")) {
            o.max_iterations = t.integer(*v, "max_iterations");
            if (o.max_iterations < 1 || o.max_iterations > 10000)
                c.fail(*v, t.section, "max_iterations", "must be in 1 .. 10000");
        }
        if (const tval* v = t.get("max_size")) {
            o.max_size = t.integer(*v, "max_size");
            if (o.max_size < 1 || o.max_size > 20000)
                c.fail(*v, t.section, "max_size", "must be in 1 .. 20000");
        }
        if (const tval* v = t.get("delays")) {
            o.delays = t.str(*v, "delays");
            if (o.delays != "auto" && o.delays != "ignore" && o.delays != "pseudospectral")
                c.fail(*v, t.section, "delays",
                       "'" + o.delays + "': expected auto, ignore or pseudospectral");
        }
        if (const tval* v = t.get("degree")) {
            o.degree = t.integer(*v, "degree");
            if (o.degree < 0 || o.degree > 200)
                c.fail(*v, t.section, "degree", "must be in 0 .. 200 (0: automatic)");
        }
        if (const tval* v = t.get("delay_max_size")) {
            o.delay_max_size = t.integer(*v, "delay_max_size");
            if (o.delay_max_size < 8 || o.delay_max_size > 20000)
                c.fail(*v, t.section, "delay_max_size", "must be in 8 .. 20000");
        }
        if (const tval* v = t.get("n_roots")) {
            o.n_roots = t.integer(*v, "n_roots");
            if (o.n_roots < 1 || o.n_roots > 1000) c.fail(*v, t.section, "n_roots", "must be in 1 .. 1000");
        }
        c.note("output.stability", *tv, "output.stability", "");
    }
}

void parse_controllability(const ctx& c, const reader& r, sweep_spec& s) {
    const tval* tv = r.get("controllability");
    if (!tv) return;
    reader t(c, "output.controllability", *tv);
    t.only({"regions", "target", "horizon", "modal_dt", "tol", "energy_variable", "sensors", "inputs"});
    auto& o = s.controllability;
    if (const tval* v = t.get("regions")) {
        if (!v->is_array()) c.fail(*v, t.section, "regions", "expected a list of region labels or indices");
        for (const auto& e : v->as_array()) {
            if (e.is_integer())
                o.regions.push_back(std::to_string(e.as_integer()));
            else
                o.regions.push_back(t.str(e, "regions"));
        }
    }
    if (const tval* v = t.get("target")) o.target = t.str(*v, "target");
    if (const tval* v = t.get("horizon")) {
        if (v->is_string() && v->as_string().str == "infinite") {
            o.horizon = std::numeric_limits<double>::infinity();
        } else {
            o.horizon = t.number(*v, "horizon");
            if (!(o.horizon > 0) || std::isinf(o.horizon))
                c.fail(*v, t.section, "horizon", "expected a time > 0 in ms, or \"infinite\"");
        }
    }
    if (const tval* v = t.get("modal_dt")) {
        o.modal_dt = t.finite(*v, "modal_dt");
        if (!(o.modal_dt > 0)) c.fail(*v, t.section, "modal_dt", "must be > 0 ms");
    }
    if (const tval* v = t.get("tol")) {
        o.tol = t.finite(*v, "tol");
        if (!(o.tol > 0) || o.tol > 1e-2) c.fail(*v, t.section, "tol", "must be in (0, 0.01]");
    }
    if (const tval* v = t.get("inputs")) {
        o.inputs = t.str(*v, "inputs");
        if (o.inputs != "regions" && o.inputs != "stimulus")
            c.fail(*v, t.section, "inputs",
                   "'" + o.inputs +
                       "': expected \"regions\" (one input per region of `regions`) or "
                       "\"stimulus\" (one per [[stimulus]])" +
                       did_you_mean(o.inputs, {"regions", "stimulus"}));
        if (o.inputs == "stimulus")
            for (const char* k : {"regions", "target"})
                if (const tval* w = t.get(k))
                    c.fail(*w, t.section, k,
                           "not used with inputs = \"stimulus\" (each [[stimulus]] gives its regions and "
                           "target)");
    }
    if (const tval* v = t.get("energy_variable")) o.energy_variable = t.str(*v, "energy_variable");
    if (const tval* v = t.get("sensors")) {
        o.sensors = t.str(*v, "sensors");
        if (o.sensors.empty())
            c.fail(*v, t.section, "sensors", "expected the name of an [[output.sensors]] table");
    }
    c.note("output.controllability", *tv, "output.controllability", "");
}

} // namespace nms::spec_io
