// The TOML reading layer: values rendered for messages, tables in file order,
// names and paths.
#include "spec_io.hpp"

#include <filesystem>
#include <sstream>

namespace nms::spec_io {

std::string num(double x) {
    std::ostringstream os;
    os.precision(10);
    os << x;
    return os.str();
}

bool is_hdf5(const std::string& path) {
    const auto ext = std::filesystem::path(path).extension().string();
    return ext == ".h5" || ext == ".hdf5";
}

// A short rendering of a TOML value for messages.
std::string show(const tval& v, int depth) {
    switch (v.type()) {
    case toml::value_t::string: {
        const std::string& t = v.as_string().str;
        return "\"" + (t.size() > 200
                           ? t.substr(0, 200) + "...\" (" + std::to_string(t.size()) + " characters)"
                           : t + "\"");
    }
    case toml::value_t::integer:
        return std::to_string(v.as_integer());
    case toml::value_t::floating:
        return num(v.as_floating());
    case toml::value_t::boolean:
        return v.as_boolean() ? "true" : "false";
    case toml::value_t::array: {
        const auto& a = v.as_array();
        std::string out = "[";
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (i == 6 || depth > 1) {
                out += (i ? ", " : "") + std::string("... ") + std::to_string(a.size()) + " values";
                break;
            }
            out += (i ? ", " : "") + show(a[i], depth + 1);
        }
        return out + "]";
    }
    case toml::value_t::table:
        return "{...}";
    default:
        return toml::format(v);
    }
}

std::string type_name(const tval& v) {
    switch (v.type()) {
    case toml::value_t::string:
        return "a string";
    case toml::value_t::integer:
        return "an integer";
    case toml::value_t::floating:
        return "a number";
    case toml::value_t::boolean:
        return "a boolean";
    case toml::value_t::array:
        return "an array";
    case toml::value_t::table:
        return "a table";
    default:
        return "a date/time";
    }
}

// Table entries in file order (toml11 stores tables unordered).
std::vector<std::pair<std::string, const tval*>> entries(const tval& t) {
    std::vector<std::pair<std::string, const tval*>> out;
    for (const auto& [k, v] : t.as_table()) out.emplace_back(k, &v);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        const auto la = a.second->location(), lb = b.second->location();
        if (la.line() != lb.line()) return la.line() < lb.line(); // toml11 lines: order is kept
        if (la.column() != lb.column()) return la.column() < lb.column();
        return a.first < b.first;
    });
    return out;
}

// Error context: the file and where each key was, for messages.

std::vector<std::string> state_names(const model_info& m) {
    std::vector<std::string> out;
    for (const auto& s : m.states) out.push_back(s.name);
    return out;
}
std::vector<std::string> param_names(const std::vector<param_info>& ps) {
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.name);
    return out;
}
int state_index(const model_info& m, const std::string& name) {
    for (std::size_t i = 0; i < m.states.size(); ++i)
        if (name == m.states[i].name) return int(i);
    return -1;
}
const param_info* find_param(const std::vector<param_info>& ps, const std::string& name) {
    for (const auto& p : ps)
        if (name == p.name) return &p;
    return nullptr;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

std::string resolve_path(const ctx& c, const std::string& p) {
    fs::path x(p);
    if (x.is_relative()) x = c.dir / x;
    return x.lexically_normal().string();
}

} // namespace nms::spec_io
