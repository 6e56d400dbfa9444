// [output.stability] (stability_options, nmsweep/sweep/stability_feature.hpp);
// the network's size is checked once it is loaded (validate_with_network).
#include "spec_io.hpp"

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

} // namespace nms::spec_io
