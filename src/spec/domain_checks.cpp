// Warnings for parameter values far outside their model's plausible domain
// (param_info::lo/hi, TVB's ranges): typically a unit slip, e.g. Jansen-Rit's
// input rate typed in 1/s (mu = 220) where the model takes 1/ms (0.22). A
// warning, not an error: exploring beyond TVB's ranges is legitimate, so
// only values more than ten domain widths away are flagged.

#include "spec_io.hpp"

#include <cmath>

namespace nms::spec_io {

namespace {

bool near_domain(const param_info& p, double x) {
    const double w = p.hi - p.lo;
    return x >= p.lo - 10 * w && x <= p.hi + 10 * w;
}

// The warning for value x of model parameter p, or "".
std::string domain_warning(const model_info& m, const param_info& p, double x) {
    if (!std::isfinite(p.lo) || !std::isfinite(p.hi) || !std::isfinite(x) || near_domain(p, x)) return "";
    const std::string unit = p.unit[0] ? std::string(" ") + p.unit : "";
    std::string w = std::string(p.name) + " = " + num(x) + " is far outside " + m.name +
                    "'s plausible range " + num(p.lo) + " .. " + num(p.hi) + unit + " (TVB's)";
    const std::string u = p.unit;
    const bool per_ms = u.find("/ms") != std::string::npos, ms = u == "ms";
    if (per_ms && near_domain(p, x / 1000))
        w += "; if it was meant per second, " + std::string(p.name) + " = " + num(x / 1000) + unit;
    else if (ms && near_domain(p, x * 1000))
        w += "; if it was meant in seconds, " + std::string(p.name) + " = " + num(x * 1000) + " ms";
    return w;
}

const param_info* model_param(const model_info& m, const std::string& key) {
    if (key.rfind("model.", 0) != 0) return nullptr;
    return find_param(m.params, key.substr(6));
}

} // namespace

void check_domains(sweep_spec& s) {
    const model_info& m = find_model(s.model);
    auto add = [&](const std::string& where, const param_info& p, const std::vector<double>& xs) {
        for (double x : xs)
            if (auto w = domain_warning(m, p, x); !w.empty()) {
                s.warnings.push_back(where + ": " + w);
                return; // one per place
            }
    };
    for (const auto& [key, f] : s.params)
        if (const param_info* p = model_param(m, key)) add(where_of(s, key), *p, f.v);
    for (const auto& h : s.hypotheses) // (an ez axis's values are indices: what it sets counts)
        if (const param_info* p = model_param(m, h.key)) {
            if (h.has_value) add(where_of(s, "sweep." + h.name + ".ez.value"), *p, {h.value});
            if (h.has_base) add(where_of(s, "sweep." + h.name + ".ez.base"), *p, {h.base});
            std::vector<double> rows;
            for (const auto& row : h.rows) rows.insert(rows.end(), row.begin(), row.end());
            add(where_of(s, "sweep." + h.name + ".ez.file"), *p, rows);
        }
    for (std::size_t a = 0; a < s.axis_refs.size() && a < s.axes.size(); ++a)
        if (const param_info* p = model_param(m, s.axis_refs[a].key);
            p && s.axis_refs[a].k != param_ref::kind::hypothesis)
            add(where_of(s, "sweep." + s.axis_refs[a].name), *p, s.axes[a].values);
    for (std::size_t k = 0; k < s.sampler.params.size() && k < s.sampler.ranges.size(); ++k)
        if (const param_info* p = model_param(m, s.sampler.params[k].key))
            add(where_of(s, "sampler." + s.sampler.params[k].name), *p, s.sampler.ranges[k]);
}

} // namespace nms::spec_io
