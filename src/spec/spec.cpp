// Sweep specification: TOML -> sweep_spec, one file per section (src/spec/).
// Every message names the file, the line (from toml11's source locations),
// the section, the key and the offending value.

#include "spec_io.hpp"
#include "toml_guard.hpp"

#include "nmsweep/io/input_file.hpp"

#include <numeric>
#include <sstream>

namespace nms::spec_io {

// The message prefix for a key noted while parsing, or the file alone.
std::string where_of(const sweep_spec& s, const std::string& key) {
    auto it = s.where.find(key);
    return it != s.where.end() ? it->second : s.path;
}

} // namespace nms::spec_io

namespace nms {

using namespace spec_io;

std::string where_of_key(const sweep_spec& s, const std::string& key) { return where_of(s, key); }

std::vector<std::vector<double>> parse_initial_table(const std::string& text, const std::string& path,
                                                     const std::string& model) {
    return parse_ic_table(text, path, find_model(model));
}

sweep_spec parse_spec(const std::string& text, const std::string& path_for_messages) {
    sweep_spec s;
    s.path = path_for_messages;
    s.text = text;
    ctx c;
    c.file = path_for_messages;
    c.where = &s.where;
    {
        std::error_code ec;
        fs::path abs = path_for_messages.empty() ? fs::current_path() : fs::absolute(path_for_messages, ec);
        c.dir = path_for_messages.empty() ? abs : abs.parent_path();
    }

    const guarded_toml guarded = guard_toml(text, path_for_messages);
    c.text = &guarded;
    tval root;
    try {
        std::istringstream is(guarded.text);
        root = toml::parse(is, path_for_messages);
    } catch (const toml::syntax_error& e) {
        std::string msg = e.what();
        if (msg.rfind("[error] ", 0) == 0) msg.erase(0, 8);
        if (msg.rfind("toml::", 0) == 0)
            if (auto colon = msg.find(": "); colon != std::string::npos) msg.erase(0, colon + 2);
        throw input_error(path_for_messages + ":" +
                          std::to_string(guarded.original_line(e.location().line())) +
                          ": TOML syntax error: " + msg);
    } catch (const std::exception& e) {
        throw input_error(path_for_messages + ": TOML: " + e.what());
    }

    const std::vector<std::string> sections{"description", "model",    "network",      "coupling",
                                            "integrator",  "initial",  "sweep",        "sampler",
                                            "output",      "stimulus", "continuation", "control", "fit"};
    for (const auto& [k, v] : entries(root)) {
        if (!contains(sections, k)) c.fail(*v, k, "", "unknown section" + did_you_mean(k, sections), false);
        if (k == "description" && !v->is_string()) c.fail(*v, "description", "", "expected a string");
    }

    parsed_ctx P;
    parse_model(c, root, s, P);
    parse_coupling(c, root, s, P);
    parse_network(c, root, s);
    parse_integrator(c, root, s, P);
    parse_initial(c, root, s, P);
    parse_stimuli(c, root, s, P);

    std::vector<located_ref> refs;
    parse_sampler(c, root, s, refs);
    parse_sweeps(c, root, s, P, refs);
    check_conflicts(c, refs, s);
    for (const auto& lr : refs) {
        if (lr.r.k != param_ref::kind::stimulus) continue;
        for (std::size_t a = 0; a < s.axes.size(); ++a)
            if (s.axis_refs[a].name == lr.r.name) check_stimulus_axis(c, lr, s.axes[a].values, s);
        for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
            if (s.sampler.params[d].name == lr.r.name) check_stimulus_axis(c, lr, s.sampler.ranges[d], s);
    }
    if (s.initial.n_random && std::none_of(s.axis_refs.begin(), s.axis_refs.end(), [](const param_ref& r) {
            return r.k == param_ref::kind::initial;
        })) {
        axis ax;
        ax.name = "initial";
        ax.values.resize(s.initial.n_random);
        std::iota(ax.values.begin(), ax.values.end(), 0.0);
        param_ref ir;
        ir.k = param_ref::kind::initial;
        ir.name = "initial";
        s.axes.push_back(std::move(ax));
        s.axis_refs.push_back(ir);
    }
    {
        double total = 1;
        for (const auto& a : s.axes) total *= double(a.values.size());
        if (total > 1e15) throw input_error(c.file + ": the grid has " + num(total) + " points, too many");
    }
    if (s.method == scheme::rk4 &&
        std::any_of(s.noise_sigma.begin(), s.noise_sigma.end(), [](const auto& kv) { return kv.second > 0; }))
        throw input_error(
            where_of(s, "integrator.method") +
            ": rk4 is deterministic, but [integrator] noise is set; use heun or euler (value \"rk4\")");

    parse_output(c, root, s, P);
    parse_continuation(c, root, s);
    parse_control(c, root, s);
    parse_fit(c, root, s);
    check_domains(s);
    return s;
}

sweep_spec load_spec(const std::string& path) {
    return load_spec_text(read_input_file(path, "spec file", max_spec_bytes), path);
}

sweep_spec load_spec_text(const std::string& text, const std::string& path) {
    sweep_spec s = parse_spec(text, path);
    connectome net = load_network(s);
    resolve_node_tables(s, net);
    resolve_stimuli(s, net);
    resolve_hypotheses(s, net);
    resolve_lesions(s, net);
    resolve_observed(s, net);
    validate_with_network(s, net);
    return s;
}

} // namespace nms
