// [model] (name, preset, parameters) and [coupling].
#include "spec_io.hpp"

namespace nms::spec_io {

void parse_model(const ctx& c, const tval& root, sweep_spec& s, parsed_ctx& P) {
    if (!root.contains("model"))
        throw input_error(c.file + ": missing section [model] (with name = \"...\")");
    reader r(c, "model", root.at("model"));
    r.only({"name", "preset", "params"});
    const tval& nv = r.need("name");
    s.model = r.str(nv, "name");
    {
        std::vector<std::string> names;
        for (const auto& mi : all_model_infos()) names.push_back(mi.name);
        if (!contains(names, s.model))
            c.fail(nv, "model", "name", "unknown model" + did_you_mean(s.model, names));
    }
    P.m = &find_model(s.model);
    c.note("model.name", nv, "model", "name");

    // Coupling kind is needed to tell model from coupling parameters.
    std::string kind = "linear";
    const tval* kv = nullptr;
    if (root.contains("coupling")) {
        reader rc(c, "coupling", root.at("coupling"));
        if ((kv = rc.get("kind"))) kind = rc.str(*kv, "kind");
    }
    try {
        P.ci = find_coupling(kind, int(P.m->cvar.size()));
    } catch (const input_error& e) {
        std::string msg = e.what();
        if (kv) c.fail(*kv, "coupling", "kind", msg);
        throw input_error(c.file + ": [coupling] kind: default 'linear': " + msg);
    }
    s.coupling = P.ci.name;
    if (kv) c.note("coupling.kind", *kv, "coupling", "kind");

    if (const tval* pv = r.get("preset")) {
        s.preset = r.str(*pv, "preset");
        const preset* found = nullptr;
        std::vector<std::string> names;
        for (const preset* p : P.m->presets) {
            names.push_back(p->name);
            if (s.preset == p->name) found = p;
        }
        if (!found)
            c.fail(*pv, "model", "preset",
                   "model " + s.model + " has no preset" + did_you_mean(s.preset, names));
        for (const auto& pv2 : found->values) {
            if (find_param(P.m->params, pv2.name))
                s.params["model." + std::string(pv2.name)] = field::scalar(pv2.value);
            else if (find_param(P.ci.params, pv2.name))
                s.params["coupling." + std::string(pv2.name)] = field::scalar(pv2.value);
        }
        c.note("model.preset", *pv, "model", "preset");
    }
    if (const tval* pt = r.get("params")) {
        if (!pt->is_table())
            c.fail(*pt, "model", "params", "expected a table { name = value, ... }, got " + type_name(*pt));
        reader rp(c, "model", *pt);
        const auto mnames = param_names(P.m->params);
        for (const auto& [k, v] : entries(*pt)) {
            const std::string key = "params." + k;
            if (!find_param(P.m->params, k)) {
                std::string hint = alias_hint(*P.m, k);
                if (hint.empty()) hint = did_you_mean(k, mnames);
                if (find_param(P.ci.params, k))
                    hint = " (it is a parameter of coupling " + P.ci.name + ": set it in [coupling])";
                c.fail(*v, "model", key, "model " + s.model + " has no parameter '" + k + "'" + hint, false);
            }
            c.note("model." + k, *v, "model", key);
            s.params["model." + k] = v->is_table() ? parse_node_file(c, *v, "model", key, "model." + k, s)
                                                   : rp.value_field(*v, key);
        }
    }
}

void parse_coupling(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P) {
    if (!root.contains("coupling")) return;
    reader r(c, "coupling", root.at("coupling"));
    std::vector<std::string> allowed{"kind"};
    for (const auto& p : P.ci.params) allowed.push_back(p.name);
    for (const auto& [k, v] : entries(*r.t)) {
        if (k == "kind") continue;
        if (!find_param(P.ci.params, k)) {
            std::string hint = did_you_mean(k, allowed);
            if (find_param(P.m->params, k))
                hint = " (it is a parameter of model " + s.model + ": set it in [model] params)";
            c.fail(*v, "coupling", k,
                   "unknown key: coupling " + P.ci.name + " has no parameter '" + k + "'" + hint, false);
        }
        s.params["coupling." + k] = r.value_field(*v, k);
        c.note("coupling." + k, *v, "coupling", k);
    }
}

} // namespace nms::spec_io
