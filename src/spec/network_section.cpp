// [network]: the connectome, conduction speed, weight normalisation.
#include "spec_io.hpp"

namespace nms::spec_io {

void parse_network(const ctx& c, const tval& root, sweep_spec& s) {
    if (!root.contains("network"))
        throw input_error(c.file +
                          ": missing section [network] (with connectome = \"synthetic:N\" or a path)");
    reader r(c, "network", root.at("network"));
    r.only({"connectome", "speed", "normalise"});
    const tval& cv = r.need("connectome");
    std::string cs = r.str(cv, "connectome");
    c.note("network.connectome", cv, "network", "connectome");
    if (cs.rfind("synthetic:", 0) == 0) {
        s.connectome = cs;
    } else if (auto comma = cs.find(','); comma != std::string::npos) {
        std::string w = resolve_path(c, cs.substr(0, comma)), l = resolve_path(c, cs.substr(comma + 1));
        for (const auto& p : {w, l})
            if (!fs::is_regular_file(p)) c.fail(cv, "network", "connectome", "no such file: " + p);
        s.connectome = w + "," + l;
    } else if (cs.empty()) {
        c.fail(cv, "network", "connectome", "empty");
    } else {
        s.connectome = resolve_path(c, cs);
        if (!fs::exists(s.connectome))
            c.fail(cv, "network", "connectome",
                   "no such file or folder: " + s.connectome +
                       " (expected a TVB zip or folder, \"WEIGHTS,LENGTHS\" or \"synthetic:N[:SEED]\")");
    }
    if (const tval* v = r.get("speed")) {
        c.note("network.speed", *v, "network", "speed");
        if (v->is_string()) {
            std::string x = v->as_string().str;
            if (x != "inf" && x != "infinity" && x != "Inf")
                c.fail(*v, "network", "speed", "expected a number in mm/ms or \"inf\"");
            s.speed = std::numeric_limits<double>::infinity();
        } else {
            s.speed = r.number(*v, "speed");
            if (std::isnan(s.speed) || s.speed < 0)
                c.fail(*v, "network", "speed", "must be > 0 mm/ms (0 or inf: no delays)");
        }
    }
    if (const tval* v = r.get("normalise")) {
        std::string x = r.str(*v, "normalise");
        const std::vector<std::string> ok{"none", "max", "row_sum"};
        if (!contains(ok, x))
            c.fail(*v, "network", "normalise", "unknown normalisation" + did_you_mean(x, ok));
        s.normalise = parse_weight_norm(x);
        c.note("network.normalise", *v, "network", "normalise");
    }
}

} // namespace nms::spec_io
