#include "nmsweep/models/registry.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"

#include <algorithm>

namespace nms {

std::vector<model_info> all_model_infos() {
    std::vector<model_info> out;
    for_each_model([&](auto t) { out.push_back(make_model_info<typename decltype(t)::type>()); });
    return out;
}

const model_info& find_model(const std::string& name) {
    static const std::vector<model_info> all = all_model_infos();
    std::vector<std::string> names;
    for (const auto& m : all) {
        if (m.name == name) return m;
        names.push_back(m.name);
    }
    throw input_error("unknown model '" + name + "'" + did_you_mean(name, names));
}

std::vector<std::string> coupling_names() {
    std::vector<std::string> out; // coupling_list<2> holds every coupling
    impl::visit_all([&](auto t) { out.push_back(decltype(t)::type::name); }, coupling_list<2>{});
    return out;
}

coupling_info find_coupling(const std::string& name, int n_cvar) {
    coupling_info ci;
    auto fill = [&](auto t) {
        using C = typename decltype(t)::type;
        ci.name = C::name;
        ci.doc = C::doc;
        ci.params.assign(C::params, C::params + C::n_params);
        ci.n_channels = C::n_channels;
    };
    bool ok = false;
    switch (n_cvar) {
    case 1:
        ok = visit_coupling<1>(name, fill);
        break;
    case 2:
        ok = visit_coupling<2>(name, fill);
        break;
    case 3:
        ok = visit_coupling<3>(name, fill);
        break;
    default:
        break;
    }
    if (!ok) {
        auto names = coupling_names();
        if (std::find(names.begin(), names.end(), name) != names.end())
            throw input_error("coupling '" + name + "' does not fit a model with " + std::to_string(n_cvar) +
                              " coupling variable(s)");
        throw input_error("unknown coupling '" + name + "'" + did_you_mean(name, names));
    }
    return ci;
}

std::string alias_hint(const model_info& m, const std::string& name) {
    for (const auto& a : m.aliases)
        if (name == a.alias) return std::string(" (did you mean '") + a.name + "'? " + a.note + ")";
    return "";
}

} // namespace nms
