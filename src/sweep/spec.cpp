// Sweep specification: TOML -> sweep_spec -> batches. Format and naming in
// include/nmsweep/sweep/spec.hpp. Every message names the file, the line (from
// toml11's source locations), the section, the key and the offending value.

#include "nmsweep/sweep/spec.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"
#include "nmsweep/models/registry.hpp"
#include "toml_guard.hpp"

#include <Random123/philox.h>
#include <omp.h>
#include <toml.hpp>

// Sobol sequences come from Boost.Random (Debian: libboost-random-dev, header
// only); without it [sampler] kind = "sobol" is refused with a message.
#if __has_include(<boost/random/sobol.hpp>) && !defined(NMS_NO_SOBOL)
#include <boost/random/sobol.hpp>
#define NMS_HAVE_SOBOL 1
#else
#define NMS_HAVE_SOBOL 0
#endif

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

namespace fs = std::filesystem;

namespace nms {

namespace {

using tval = toml::value;

std::string num(double x) {
    std::ostringstream os;
    os.precision(10);
    os << x;
    return os.str();
}

// A short rendering of a TOML value for messages.
std::string show(const tval& v, int depth = 0) {
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
struct ctx {
    std::string file;
    fs::path dir; // folder of the spec, for relative paths
    std::map<std::string, std::string>* where = nullptr;
    const guarded_toml* text = nullptr; // original line numbers

    int line(const tval& v) const {
        const int l = int(v.location().line());
        return text ? text->original_line(std::size_t(l)) : l;
    }
    std::string at(const tval& v) const { return file + ":" + std::to_string(line(v)); }
    std::string prefix(const tval& v, const std::string& section, const std::string& key) const {
        return at(v) + ": [" + section + "]" + (key.empty() ? "" : " " + key);
    }
    [[noreturn]] void fail(const tval& v, const std::string& section, const std::string& key,
                           const std::string& msg, bool with_value = true) const {
        throw input_error(prefix(v, section, key) + ": " + msg +
                          (with_value ? " (value " + show(v) + ")" : ""));
    }
    void note(const std::string& name, const tval& v, const std::string& section,
              const std::string& key) const {
        (*where)[name] = prefix(v, section, key);
    }
};

// One TOML table being read; unknown keys are errors.
struct reader {
    const ctx& c;
    std::string section;
    const tval* t; // the table

    reader(const ctx& cx, std::string sec, const tval& table) : c(cx), section(std::move(sec)), t(&table) {
        if (!table.is_table()) c.fail(table, section, "", "expected a table, got " + type_name(table));
    }
    void only(const std::vector<std::string>& allowed) const {
        for (const auto& [k, v] : entries(*t))
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
                c.fail(*v, section, k, "unknown key" + did_you_mean(k, allowed), false);
    }
    const tval* get(const std::string& key) const {
        const auto& tab = t->as_table();
        auto it = tab.find(key);
        return it == tab.end() ? nullptr : &it->second;
    }
    const tval& need(const std::string& key) const {
        if (const tval* v = get(key)) return *v;
        c.fail(*t, section, key, "required key is missing", false);
    }

    std::string str(const tval& v, const std::string& key) const {
        if (!v.is_string()) c.fail(v, section, key, "expected a string, got " + type_name(v));
        return v.as_string().str;
    }
    double number(const tval& v, const std::string& key) const {
        if (v.is_integer()) return double(v.as_integer());
        if (v.is_floating()) return v.as_floating();
        c.fail(v, section, key, "expected a number, got " + type_name(v));
    }
    double finite(const tval& v, const std::string& key) const {
        double x = number(v, key);
        if (!std::isfinite(x)) c.fail(v, section, key, "must be finite");
        return x;
    }
    long integer(const tval& v, const std::string& key) const {
        if (v.is_integer()) return long(v.as_integer());
        if (v.is_floating() && std::isfinite(v.as_floating()) &&
            v.as_floating() == std::floor(v.as_floating()) && std::fabs(v.as_floating()) < 9e15)
            return long(v.as_floating());
        c.fail(v, section, key, "expected an integer, got " + type_name(v));
    }
    const toml::array& array(const tval& v, const std::string& key) const {
        if (!v.is_array()) c.fail(v, section, key, "expected an array, got " + type_name(v));
        return v.as_array();
    }
    std::vector<double> numbers(const tval& v, const std::string& key) const {
        std::vector<double> out;
        const auto& a = array(v, key);
        for (std::size_t i = 0; i < a.size(); ++i)
            out.push_back(finite(a[i], key + "[" + std::to_string(i) + "]"));
        return out;
    }
    // A number (scalar) or an array of numbers (one per node).
    field value_field(const tval& v, const std::string& key) const {
        if (v.is_integer() || v.is_floating()) return field::scalar(finite(v, key));
        if (v.is_array()) {
            auto x = numbers(v, key);
            if (x.empty()) c.fail(v, section, key, "empty per-node array");
            return field::per_node(std::move(x));
        }
        c.fail(v, section, key,
               "expected a number or an array of numbers (one per node), got " + type_name(v));
    }
};

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

// Linear combination of state variables and of their sines and cosines:
// "y1 - y2", "0.5*E + 0.5*I", "2 x", "-y0/3", "sin(theta)". The result has one
// coefficient per state variable, followed (only when sin/cos appear) by one
// per variable for sin(x) and one for cos(x).
std::vector<double> parse_observable(const std::string& text, const model_info& m, std::string& err) {
    std::vector<double> coef(m.states.size(), 0.0);
    const char* p = text.c_str();
    auto skip = [&] {
        while (*p == ' ' || *p == '\t') ++p;
    };
    auto is_id0 = [](char ch) { return std::isalpha((unsigned char)ch) || ch == '_'; };
    auto is_id = [](char ch) { return std::isalnum((unsigned char)ch) || ch == '_'; };
    bool first = true, any = false;
    skip();
    if (!*p) {
        err = "empty observable";
        return {};
    }
    while (*p) {
        double sign = 1;
        skip();
        if (*p == '+' || *p == '-') {
            sign = *p == '-' ? -1 : 1;
            ++p;
        } else if (!first) {
            err = std::string("expected '+' or '-' at '") + p + "'";
            return {};
        }
        first = false;
        skip();
        double c = 1;
        bool have_num = false;
        if (std::isdigit((unsigned char)*p) || *p == '.') {
            char* end = nullptr;
            c = std::strtod(p, &end);
            if (end == p) {
                err = std::string("bad number at '") + p + "'";
                return {};
            }
            p = end;
            have_num = true;
            skip();
            if (*p == '*') ++p, skip();
        }
        if (!is_id0(*p)) {
            err = have_num
                      ? "a constant term has no state variable (the observable is a linear combination of "
                        "state variables)"
                      : std::string("expected a state variable at '") + p + "'";
            return {};
        }
        const char* b = p;
        while (is_id(*p)) ++p;
        std::string var(b, p);
        skip();
        int part = 0; // 0: the variable, 1: sin of it, 2: cos of it
        if ((var == "sin" || var == "cos") && *p == '(') {
            part = var == "sin" ? 1 : 2;
            ++p;
            skip();
            const char* vb = p;
            while (is_id(*p)) ++p;
            var.assign(vb, p);
            skip();
            if (var.empty() || *p != ')') {
                err = std::string("expected '") + (part == 1 ? "sin" : "cos") + "(state variable)' at '" +
                      vb + "'";
                return {};
            }
            ++p;
            skip();
        }
        while (*p == '*' || *p == '/') {
            const bool div = *p == '/';
            ++p;
            skip();
            char* end = nullptr;
            double d = std::strtod(p, &end);
            if (end == p) {
                err = std::string("expected a number after '") + (div ? "/" : "*") + "' at '" + p + "'";
                return {};
            }
            p = end;
            if (div && d == 0) {
                err = "division by zero";
                return {};
            }
            c = div ? c / d : c * d;
            skip();
        }
        const int k = state_index(m, var);
        if (k < 0) {
            err = "model " + m.name + " has no state variable '" + var + "'" +
                  did_you_mean(var, state_names(m));
            return {};
        }
        if (part > 0 && coef.size() == m.states.size()) coef.resize(3 * m.states.size(), 0.0);
        coef[std::size_t(k) + std::size_t(part) * m.states.size()] += sign * c;
        any = true;
    }
    if (!any || std::all_of(coef.begin(), coef.end(), [](double x) { return x == 0; })) {
        err = "all coefficients are zero";
        return {};
    }
    return coef;
}

// Per-node table: one row per node, one column per state variable.
std::vector<std::vector<double>> parse_ic_table(const std::string& text, const std::string& path,
                                                const model_info& m) {
    std::istringstream f(text);
    std::vector<int> cols; // column -> state index
    std::vector<std::vector<double>> rows;
    std::string line;
    int lineno = 0;
    while (std::getline(f, line)) {
        ++lineno;
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        for (char& ch : line)
            if (ch == ',' || ch == ';' || ch == '\t' || ch == '\r') ch = ' ';
        std::istringstream is(line);
        std::vector<std::string> tok;
        for (std::string t; is >> t;) tok.push_back(t);
        if (tok.empty()) continue;
        auto is_num = [](const std::string& t) {
            char* end = nullptr;
            std::strtod(t.c_str(), &end);
            return end && *end == 0;
        };
        if (cols.empty() && rows.empty() && !std::all_of(tok.begin(), tok.end(), is_num)) {
            for (const auto& t : tok) {
                int k = state_index(m, t);
                if (k < 0)
                    throw input_error(path + ":" + std::to_string(lineno) + ": header: model " + m.name +
                                      " has no state variable '" + t + "'" + did_you_mean(t, state_names(m)));
                if (std::find(cols.begin(), cols.end(), k) != cols.end())
                    throw input_error(path + ":" + std::to_string(lineno) + ": header: column '" + t +
                                      "' twice");
                cols.push_back(k);
            }
            continue;
        }
        if (cols.empty())
            for (std::size_t k = 0; k < m.states.size(); ++k) cols.push_back(int(k));
        if (tok.size() != cols.size())
            throw input_error(path + ":" + std::to_string(lineno) + ": row has " +
                              std::to_string(tok.size()) + " columns, expected " +
                              std::to_string(cols.size()) + " (one per state variable)");
        std::vector<double> row(m.states.size());
        for (std::size_t k = 0; k < m.states.size(); ++k) row[k] = m.states[k].initial;
        for (std::size_t j = 0; j < tok.size(); ++j) {
            char* end = nullptr;
            double x = std::strtod(tok[j].c_str(), &end);
            if (!end || *end || !std::isfinite(x))
                throw input_error(path + ":" + std::to_string(lineno) + ": not a finite number: '" + tok[j] +
                                  "'");
            row[std::size_t(cols[j])] = x;
        }
        rows.push_back(std::move(row));
    }
    if (rows.empty()) throw input_error(path + ": no rows in the initial-condition file");
    return rows;
}

// Binary per-node tables: a NumPy .npy file or a 2-D HDF5 dataset, one row
// per node, one column per state variable in the model's order.
std::vector<std::vector<double>> read_ic_binary(const std::string& path, const std::string& dataset,
                                                const model_info& m) {
    std::size_t rows = 0, cols = 0;
    std::vector<double> v;
    const auto ext = std::filesystem::path(path).extension().string();
    if (ext == ".npy") {
        v = read_npy_matrix(path, "initial state (nodes x state variables)", &rows, &cols);
    } else {
        std::vector<std::size_t> shape;
        try {
            v = h5::read_input_dataset(path, dataset, &shape);
        } catch (const std::exception& e) {
            throw input_error(path + ": cannot read dataset '" + dataset + "' (" + e.what() + ")");
        }
        if (shape.size() != 2)
            throw input_error(path + ": dataset '" + dataset + "' has " + std::to_string(shape.size()) +
                              " dimensions, expected 2 (nodes x state variables)");
        rows = shape[0];
        cols = shape[1];
    }
    if (cols != m.states.size())
        throw input_error(path + ": " + std::to_string(cols) + " columns, expected " +
                          std::to_string(m.states.size()) + " (one per state variable of " + m.name +
                          ", in the order " +
                          [&] {
                              std::string s;
                              for (const auto& st : m.states)
                                  s += (s.empty() ? "" : " ") + std::string(st.name);
                              return s;
                          }() +
                          ")");
    std::vector<std::vector<double>> table(rows, std::vector<double>(cols));
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) {
            const double x = v[r * cols + c];
            if (!std::isfinite(x))
                throw input_error(path + ": row " + std::to_string(r) + ", " + m.states[c].name +
                                  ": not finite");
            table[r][c] = x;
        }
    if (table.empty()) throw input_error(path + ": no rows in the initial-condition file");
    return table;
}

// Reproducible uniform deviates (portable, unlike std:: distributions).
struct uniform_gen {
    std::mt19937_64 g;
    explicit uniform_gen(std::uint64_t seed) : g(seed) {}
    double operator()() { return double(g() >> 11) * 0x1.0p-53; }
    std::uint64_t below(std::uint64_t n) { // unbiased integer in [0, n)
        const std::uint64_t lim =
            std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
        for (;;) {
            std::uint64_t x = g();
            if (x < lim) return x % n;
        }
    }
};

// Uniform deviate in [0, 1) for (seed, set, var, node) by Philox.
double ic_uniform(std::uint64_t seed, std::uint32_t set, std::uint32_t var, std::uint32_t node) {
    r123::Philox4x32 rng;
    r123::Philox4x32::ctr_type c = {{set, var, node, 0x1c5e7u}};
    r123::Philox4x32::key_type k = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
    const auto r = rng(c, k);
    const std::uint64_t x = (std::uint64_t(r.v[0]) << 32) | r.v[1];
    return double(x >> 11) * 0x1.0p-53;
}

struct located_ref {
    param_ref r;
    const tval* v;
    std::string section, key;
};

std::string ref_id(const param_ref& r) {
    return std::to_string(int(r.k)) + "|" + r.key + "|" + std::to_string(r.node) + "|" + r.label;
}

// Checks one swept value for its target; "" when fine.
std::string check_swept_value(const param_ref& r, double x, std::size_t n_sets) {
    if (!std::isfinite(x)) return "value " + num(x) + " is not finite";
    switch (r.k) {
    case param_ref::kind::speed:
        if (!(x > 0))
            return "conduction speed " + num(x) + " must be > 0 mm/ms (a swept speed cannot be 0 or inf)";
        break;
    case param_ref::kind::noise_all:
    case param_ref::kind::noise_var:
        if (x < 0) return "noise sigma " + num(x) + " must be >= 0";
        break;
    case param_ref::kind::seed:
        if (x < 0 || x != std::floor(x) || x >= 9007199254740992.0)
            return "seed " + num(x) + " must be an integer >= 0";
        break;
    case param_ref::kind::initial:
        if (x < 0 || x != std::floor(x) || x >= double(n_sets))
            return "initial-condition index " + num(x) + " outside 0.." + std::to_string(n_sets - 1) + " (" +
                   std::to_string(n_sets) + " set(s))";
        break;
    default:
        break;
    }
    return "";
}

std::string ref_unit(const param_ref& r, const model_info& m, const coupling_info& ci) {
    const std::string bare = r.key.substr(r.key.find('.') + 1);
    switch (r.k) {
    case param_ref::kind::model:
        if (auto p = find_param(m.params, bare)) return p->unit;
        return "";
    case param_ref::kind::coupling:
        if (auto p = find_param(ci.params, bare)) return p->unit;
        return "";
    case param_ref::kind::speed:
        return "mm/ms";
    case param_ref::kind::bold:
        return observe::bold_constant_unit(bare);
    default:
        return "";
    }
}

std::vector<double> linspace(double a, double b, long n) {
    std::vector<double> v(static_cast<std::size_t>(n));
    if (n == 1) return {a};
    const double step = (b - a) / double(n - 1);
    for (long i = 0; i < n; ++i) v[std::size_t(i)] = a + double(i) * step;
    v.back() = b;
    return v;
}

std::vector<double> geomspace(double a, double b, long n) {
    if (n == 1) return {a};
    std::vector<double> v(static_cast<std::size_t>(n));
    const double sign = a < 0 ? -1.0 : 1.0;
    const double la = std::log10(std::fabs(a)), lb = std::log10(std::fabs(b));
    for (long i = 0; i < n; ++i)
        v[std::size_t(i)] = sign * std::pow(10.0, la + (lb - la) * double(i) / double(n - 1));
    v.front() = a;
    v.back() = b;
    return v;
}

// Every constant name of every BOLD preset (sweepable as bold.<name>).
std::vector<std::string> all_bold_constants() {
    std::vector<std::string> out;
    for (const auto& p : observe::bold_presets())
        for (const auto& n : observe::bold_constant_names(p))
            if (!contains(out, n)) out.push_back(n);
    return out;
}

struct parsed_ctx {
    const model_info* m = nullptr;
    coupling_info ci;
};

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
                std::string hint = did_you_mean(k, mnames);
                if (find_param(P.ci.params, k))
                    hint = " (it is a parameter of coupling " + P.ci.name + ": set it in [coupling])";
                c.fail(*v, "model", key, "model " + s.model + " has no parameter '" + k + "'" + hint, false);
            }
            s.params["model." + k] = rp.value_field(*v, key);
            c.note("model." + k, *v, "model", key);
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

void parse_integrator(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P) {
    if (!root.contains("integrator"))
        throw input_error(c.file + ": missing section [integrator] (with dt and duration in ms)");
    reader r(c, "integrator", root.at("integrator"));
    r.only({"method", "dt", "duration", "transient", "noise", "precision"});
    if (const tval* v = r.get("precision")) {
        std::string x = r.str(*v, "precision");
        const std::vector<std::string> ok{"float", "double"};
        if (!contains(ok, x))
            c.fail(*v, "integrator", "precision", "expected float or double" + did_you_mean(x, ok));
        s.precision = x;
        c.note("integrator.precision", *v, "integrator", "precision");
    }
    if (const tval* v = r.get("method")) {
        std::string x = r.str(*v, "method");
        const std::vector<std::string> ok{"euler", "heun", "rk4"};
        if (!contains(ok, x)) c.fail(*v, "integrator", "method", "unknown method" + did_you_mean(x, ok));
        s.method = x == "euler" ? scheme::euler : x == "heun" ? scheme::heun : scheme::rk4;
        c.note("integrator.method", *v, "integrator", "method");
    }
    const tval& dtv = r.need("dt");
    s.dt = r.number(dtv, "dt");
    if (!(s.dt > 0) || !std::isfinite(s.dt)) c.fail(dtv, "integrator", "dt", "must be > 0 ms");
    c.note("integrator.dt", dtv, "integrator", "dt");
    const tval& duv = r.need("duration");
    s.duration = r.number(duv, "duration");
    if (!(s.duration > 0) || !std::isfinite(s.duration))
        c.fail(duv, "integrator", "duration", "must be > 0 ms");
    c.note("integrator.duration", duv, "integrator", "duration");
    const double steps = std::nearbyint(s.duration / s.dt);
    if (steps < 1) c.fail(duv, "integrator", "duration", "shorter than one step dt = " + num(s.dt));
    if (steps > 2e9)
        c.fail(duv, "integrator", "duration", num(steps) + " steps of dt = " + num(s.dt) + " is too many");
    if (const tval* v = r.get("transient")) {
        s.transient = r.number(*v, "transient");
        if (!(s.transient >= 0) || !(s.transient < s.duration))
            c.fail(*v, "integrator", "transient", "must be in [0, duration = " + num(s.duration) + ") ms");
        if (std::nearbyint(s.transient / s.dt) >= steps)
            c.fail(*v, "integrator", "transient",
                   "leaves no step after the transient (dt = " + num(s.dt) + ")");
        c.note("integrator.transient", *v, "integrator", "transient");
    }
    if (const tval* nv = r.get("noise")) {
        reader rn(c, "integrator", *nv);
        for (const auto& [k, v] : entries(*nv))
            if (!contains({"sigma", "nsig", "vars", "seed"}, k))
                c.fail(*v, "integrator", "noise." + k,
                       "unknown key" + did_you_mean(k, {"sigma", "nsig", "vars", "seed"}), false);
        c.note("integrator.noise", *nv, "integrator", "noise");
        const tval* sv = rn.get("sigma");
        const tval* ns = rn.get("nsig");
        if (sv && ns)
            c.fail(*ns, "integrator", "noise.nsig",
                   "give either sigma or nsig (sigma = sqrt(2 nsig)), not both");
        const bool tvb = !sv && ns;
        const std::string skey = tvb ? "noise.nsig" : "noise.sigma";
        const tval* sig = sv ? sv : ns;
        auto conv = [&](const tval& v, const std::string& key) {
            double x = rn.finite(v, key);
            if (x < 0) c.fail(v, "integrator", key, "must be >= 0");
            return tvb ? std::sqrt(2 * x) : x;
        };
        const auto snames = state_names(*P.m);
        std::vector<std::string> vars;
        if (const tval* vv = rn.get("vars")) {
            if (sig && sig->is_table())
                c.fail(*vv, "integrator", "noise.vars",
                       "not with a per-variable " + skey + " table (its keys name the variables)");
            const auto& a = rn.array(*vv, "noise.vars");
            for (std::size_t i = 0; i < a.size(); ++i) {
                std::string x = rn.str(a[i], "noise.vars");
                if (state_index(*P.m, x) < 0)
                    c.fail(a[i], "integrator", "noise.vars",
                           "model " + s.model + " has no state variable '" + x + "'" +
                               did_you_mean(x, snames));
                if (contains(vars, x)) c.fail(a[i], "integrator", "noise.vars", "'" + x + "' listed twice");
                vars.push_back(x);
            }
            if (vars.empty()) c.fail(*vv, "integrator", "noise.vars", "empty list");
        }
        if (sig && sig->is_table()) {
            for (const auto& [k, v] : entries(*sig)) {
                if (state_index(*P.m, k) < 0)
                    c.fail(*v, "integrator", skey + "." + k,
                           "model " + s.model + " has no state variable '" + k + "'" +
                               did_you_mean(k, snames),
                           false);
                s.noise_sigma[k] = conv(*v, skey + "." + k);
                c.note("noise." + k, *v, "integrator", skey + "." + k);
            }
        } else {
            const double x = sig ? conv(*sig, skey) : 0.0;
            if (vars.empty()) {
                if (!sig) c.fail(*nv, "integrator", "noise", "give sigma (or nsig) and/or vars", false);
                vars = snames; // TVB: a scalar nsig applies to every state variable
            }
            for (const auto& v : vars) {
                s.noise_sigma[v] = x;
                c.note("noise." + v, sig ? *sig : *nv, "integrator", sig ? skey : "noise");
            }
        }
        if (const tval* v = rn.get("seed")) {
            long x = rn.integer(*v, "noise.seed");
            if (x < 0) c.fail(*v, "integrator", "noise.seed", "must be >= 0");
            s.seed = std::uint64_t(x);
            c.note("noise.seed", *v, "integrator", "noise.seed");
        }
    }
}

void parse_initial(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P) {
    if (!root.contains("initial")) return;
    reader r(c, "initial", root.at("initial"));
    std::vector<std::string> allowed = state_names(*P.m);
    allowed.push_back("file");
    allowed.push_back("dataset");
    allowed.push_back("random");
    r.only(allowed);
    for (const auto& [k, v] : entries(*r.t)) {
        if (k == "dataset") {
            if (!r.t->contains("file")) c.fail(*v, "initial", k, "needs file = \"....h5\"");
        } else if (k == "file") {
            s.initial.file = resolve_path(c, r.str(*v, k));
            c.note("initial.file", *v, "initial", k);
            const auto ext = std::filesystem::path(s.initial.file).extension().string();
            const bool h5 = ext == ".h5" || ext == ".hdf5";
            std::string dataset = "initial";
            if (r.t->contains("dataset")) {
                if (!h5)
                    c.fail(r.t->at("dataset"), "initial", "dataset", "only for an HDF5 file (.h5, .hdf5)");
                dataset = r.str(r.t->at("dataset"), "dataset");
            }
            try {
                s.initial.table =
                    h5 || ext == ".npy"
                        ? read_ic_binary(s.initial.file, dataset, *P.m)
                        : parse_ic_table(read_input_file(s.initial.file, "initial-condition file"),
                                         s.initial.file, *P.m);
            } catch (const input_error& e) {
                c.fail(*v, "initial", k, e.what());
            }
        } else if (k == "random") {
            reader rr(c, "initial", *v);
            for (const auto& [k2, v2] : entries(*v))
                if (k2 != "n" && k2 != "seed" && k2 != "ranges")
                    c.fail(*v2, "initial", "random." + k2,
                           "unknown key" + did_you_mean(k2, {"n", "seed", "ranges"}), false);
            const tval& nv = rr.need("n");
            long n = rr.integer(nv, "random.n");
            if (n < 1 || n > 100000000) c.fail(nv, "initial", "random.n", "must be >= 1");
            s.initial.n_random = std::size_t(n);
            if (const tval* sv = rr.get("seed")) {
                long x = rr.integer(*sv, "random.seed");
                if (x < 0) c.fail(*sv, "initial", "random.seed", "must be >= 0");
                s.initial.random_seed = std::uint64_t(x);
            }
            // ranges = { var = [lo, hi], ... }: draw these variables in [lo, hi]
            // instead of the model's state range (e.g. near the attractors).
            if (const tval* rv = rr.get("ranges")) {
                if (!rv->is_table())
                    c.fail(*rv, "initial", "random.ranges", "expected a table { var = [lo, hi], ... }");
                const auto snames = state_names(*P.m);
                for (const auto& [var, bv] : entries(*rv)) {
                    const std::string key = "random.ranges." + var;
                    if (state_index(*P.m, var) < 0)
                        c.fail(*bv, "initial", key,
                               "model " + s.model + " has no state variable '" + var + "'" +
                                   did_you_mean(var, snames),
                               false);
                    const auto x = rr.numbers(*bv, key);
                    if (x.size() != 2 || !(x[0] <= x[1]))
                        c.fail(*bv, "initial", key, "expected [lo, hi] with lo <= hi");
                    s.initial.random_ranges[var] = {x[0], x[1]};
                }
            }
            c.note("initial.random", *v, "initial", k);
        } else {
            s.initial.values[k] = r.value_field(*v, k);
            c.note("initial." + k, *v, "initial", k);
        }
    }
    if (!s.initial.file.empty() && s.initial.n_random)
        c.fail(r.need("random"), "initial", "random", "give either file or random, not both", false);
}

void check_conflicts(const ctx& c, const std::vector<located_ref>& refs, const sweep_spec& s) {
    std::map<std::string, const located_ref*> seen;
    for (const auto& lr : refs) {
        auto id = ref_id(lr.r);
        if (auto it = seen.find(id); it != seen.end())
            c.fail(*lr.v, lr.section, lr.key,
                   "'" + lr.r.name + "' is swept twice (also at " + c.at(*it->second->v) + ")");
        seen[id] = &lr;
    }
    for (const auto& a : refs) {
        if (a.r.k == param_ref::kind::noise_all && s.noise_sigma.empty())
            c.fail(*a.v, a.section, a.key,
                   "integrator.noise.sigma scales the noisy variables, but [integrator] noise names none "
                   "(set noise = { vars = [...] } or sweep noise.<var>)");
        if ((a.r.k == param_ref::kind::noise_all || a.r.k == param_ref::kind::noise_var) &&
            s.method == scheme::rk4)
            c.fail(*a.v, a.section, a.key,
                   "noise is swept but integrator.method = rk4 is deterministic; use heun or euler");
        for (const auto& b : refs) {
            if (a.r.k == b.r.k && (a.r.k == param_ref::kind::model || a.r.k == param_ref::kind::coupling) &&
                a.r.key == b.r.key && !a.r.node_entry() && b.r.node_entry())
                c.fail(*b.v, b.section, b.key,
                       "'" + b.r.name + "' and '" + a.r.name + "' (at " + c.at(*a.v) + ") both set " +
                           a.r.key + "; sweep one of them");
            if (a.r.k == param_ref::kind::noise_all && b.r.k == param_ref::kind::noise_var)
                c.fail(*b.v, b.section, b.key,
                       "'" + b.r.name + "' and 'integrator.noise.sigma' (at " + c.at(*a.v) +
                           ") both set its noise; sweep one of them");
        }
    }
}

void parse_sweeps(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P,
                  std::vector<located_ref>& all_refs) {
    if (!root.contains("sweep")) return;
    const tval& sw = root.at("sweep");
    if (sw.is_table())
        c.fail(sw, "sweep", "", "write each axis as [[sweep]] (an array of tables), not [sweep]", false);
    if (!sw.is_array()) c.fail(sw, "sweep", "", "expected [[sweep]] tables, got " + type_name(sw));
    const std::size_t n_sets = n_initial_sets(s);
    for (const auto& t : sw.as_array()) {
        reader r(c, "sweep", t);
        r.only({"param", "linspace", "logspace", "values"});
        const tval& pv = r.need("param");
        param_ref ref;
        try {
            ref = parse_param_ref(r.str(pv, "param"), s.model, s.coupling);
        } catch (const input_error& e) {
            c.fail(pv, "sweep", "param", e.what());
        }
        if (ref.k == param_ref::kind::sample) c.fail(pv, "sweep", "param", "'sample' is the sampler's axis");
        axis ax;
        ax.name = ref.name;
        ax.unit = ref_unit(ref, *P.m, P.ci);
        const tval* given = nullptr;
        std::string gkey;
        for (const char* k : {"linspace", "logspace", "values"}) {
            if (const tval* v = r.get(k)) {
                if (given)
                    c.fail(*v, "sweep", k,
                           "give one of linspace, logspace or values (already " + gkey + " at " +
                               c.at(*given) + ")",
                           false);
                given = v;
                gkey = k;
            }
        }
        if (!given)
            c.fail(t, "sweep", ref.name,
                   "give one of linspace = [start, stop, n], logspace = [start, stop, n] or values = [...]",
                   false);
        if (gkey == "values") {
            ax.values = r.numbers(*given, "values");
            if (ax.values.empty()) c.fail(*given, "sweep", "values", "empty list");
        } else {
            const auto& a = r.array(*given, gkey);
            if (a.size() != 3) c.fail(*given, "sweep", gkey, "expected [start, stop, n]");
            const double lo = r.finite(a[0], gkey + "[0]"), hi = r.finite(a[1], gkey + "[1]");
            const long n = r.integer(a[2], gkey + " n");
            if (n < 1) c.fail(a[2], "sweep", gkey, "n must be >= 1");
            if (n > 100000000) c.fail(a[2], "sweep", gkey, "n is too large");
            if (gkey == "linspace") {
                ax.values = linspace(lo, hi, n);
            } else {
                if (lo == 0 || hi == 0 || (lo < 0) != (hi < 0))
                    c.fail(*given, "sweep", gkey,
                           "start and stop are the values themselves (geometric spacing): both non-zero, "
                           "same sign");
                ax.values = geomspace(lo, hi, n);
            }
        }
        for (std::size_t i = 0; i < ax.values.size(); ++i) {
            std::string err = check_swept_value(ref, ax.values[i], n_sets);
            if (!err.empty()) {
                const tval& at = gkey == "values" ? given->as_array()[i] : *given;
                c.fail(at, "sweep", gkey, ref.name + ": " + err);
            }
        }
        c.note("sweep." + ref.name, pv, "sweep", "param");
        all_refs.push_back({ref, &pv, "sweep", "param"});
        s.axes.push_back(std::move(ax));
        s.axis_refs.push_back(ref);
    }
}

void parse_sampler(const ctx& c, const tval& root, sweep_spec& s, std::vector<located_ref>& all_refs) {
    if (!root.contains("sampler")) return;
    reader r(c, "sampler", root.at("sampler"));
    r.only({"kind", "n", "seed", "ranges"});
    const tval& kv = r.need("kind");
    s.sampler.kind = r.str(kv, "kind");
    const std::vector<std::string> kinds{"uniform", "lhs", "sobol"};
    if (!contains(kinds, s.sampler.kind))
        c.fail(kv, "sampler", "kind", "unknown sampler" + did_you_mean(s.sampler.kind, kinds));
#if !NMS_HAVE_SOBOL
    if (s.sampler.kind == "sobol")
        c.fail(kv, "sampler", "kind",
               "this build has no Sobol sequences (install libboost-random-dev and rebuild)");
#endif
    const tval& nv = r.need("n");
    long n = r.integer(nv, "n");
    if (n < 1) c.fail(nv, "sampler", "n", "must be >= 1");
    if (n > 100000000) c.fail(nv, "sampler", "n", "is too large");
    s.sampler.n = std::size_t(n);
    if (const tval* sv = r.get("seed")) {
        long x = r.integer(*sv, "seed");
        if (x < 0) c.fail(*sv, "sampler", "seed", "must be >= 0");
        s.sampler.seed = std::uint64_t(x);
    }
    const tval& rv = r.need("ranges");
    reader rr(c, "sampler", rv);
    for (const auto& [k, v] : entries(rv)) {
        const std::string key = "ranges." + k;
        param_ref ref;
        try {
            ref = parse_param_ref(k, s.model, s.coupling);
        } catch (const input_error& e) {
            c.fail(*v, "sampler", key, e.what(), false);
        }
        if (ref.k == param_ref::kind::seed || ref.k == param_ref::kind::initial ||
            ref.k == param_ref::kind::sample)
            c.fail(*v, "sampler", key, "'" + k + "' is discrete: sweep it with [[sweep]] values = [...]",
                   false);
        const auto x = rr.numbers(*v, key);
        if (x.size() != 2) c.fail(*v, "sampler", key, "expected [lo, hi]");
        if (x[0] > x[1]) c.fail(*v, "sampler", key, "lo > hi");
        for (double e : x) {
            std::string err = check_swept_value(ref, e, 1);
            if (!err.empty()) c.fail(*v, "sampler", key, err);
        }
        c.note("sampler." + k, *v, "sampler", key);
        all_refs.push_back({ref, v, "sampler", key});
        s.sampler.params.push_back(ref);
        s.sampler.ranges.push_back(x);
    }
    if (s.sampler.params.empty()) c.fail(rv, "sampler", "ranges", "no parameter ranges");

    // Unit-cube points u[d][i], then scaled to the ranges.
    const std::size_t D = s.sampler.params.size(), N = s.sampler.n;
    std::vector<std::vector<double>> u(D, std::vector<double>(N));
    if (s.sampler.kind == "uniform") {
        uniform_gen g(s.sampler.seed);
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t d = 0; d < D; ++d) u[d][i] = g();
    } else if (s.sampler.kind == "lhs") {
        // Latin hypercube: in each dimension every one of the N strata
        // [k/N, (k+1)/N) holds exactly one point, at a uniform position.
        uniform_gen g(s.sampler.seed);
        std::vector<std::size_t> perm(N);
        for (std::size_t d = 0; d < D; ++d) {
            std::iota(perm.begin(), perm.end(), std::size_t(0));
            for (std::size_t i = N; i > 1; --i) std::swap(perm[i - 1], perm[g.below(i)]);
            for (std::size_t i = 0; i < N; ++i) u[d][i] = (double(perm[i]) + g()) / double(N);
        }
    } else {
#if NMS_HAVE_SOBOL
        // Boost.Random's Sobol sequence (Joe-Kuo direction numbers). seed != 0 applies a random
        // digital shift (XOR of each coordinate with a seeded random word),
        // which keeps the net's stratification: randomised QMC.
        if (D > 3667) c.fail(rv, "sampler", "ranges", "Sobol sequences support at most 3667 dimensions");
        boost::random::sobol eng(D);
        std::vector<std::uint64_t> shift(D, 0);
        if (s.sampler.seed) {
            std::mt19937_64 g(s.sampler.seed);
            for (auto& x : shift) x = g();
        }
        // Point 0 is the all-zero point (as scipy.stats.qmc.Sobol), so that
        // the first 2^m points form a balanced net.
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t d = 0; d < D; ++d)
                u[d][i] = double(((i ? std::uint64_t(eng()) : 0) ^ shift[d]) >> 11) * 0x1.0p-53;
#endif
    }
    s.sampler.values.assign(D, std::vector<double>(N));
    for (std::size_t d = 0; d < D; ++d) {
        const double lo = s.sampler.ranges[d][0], hi = s.sampler.ranges[d][1];
        for (std::size_t i = 0; i < N; ++i) s.sampler.values[d][i] = std::min(hi, lo + (hi - lo) * u[d][i]);
    }
    axis ax;
    ax.name = "sample";
    ax.values.resize(N);
    std::iota(ax.values.begin(), ax.values.end(), 0.0);
    param_ref sref;
    sref.k = param_ref::kind::sample;
    sref.name = "sample";
    s.axes.insert(s.axes.begin(), std::move(ax));
    s.axis_refs.insert(s.axis_refs.begin(), sref);
}

// [output.spectra], [output.synchrony], [output.fc]: options of the analysis
// reducers (include/nmsweep/sweep/reducers.hpp), checked against the sampled
// signal (fs = 1000 / (dt sample_every) Hz, M samples after the transient).
void parse_analysis(const ctx& c, const reader& r, sweep_spec& s) {
    const sampling smp = sampling_of(s);
    const long M = smp.n_samples;
    const double nyq = smp.fs / 2;
    auto boolean = [&](const reader& t, const tval& v, const std::string& key) {
        if (!v.is_boolean()) c.fail(v, t.section, key, "expected true or false, got " + type_name(v));
        return v.as_boolean();
    };
    auto range = [&](const reader& t, const tval& v, const std::string& key, double hi_max) {
        const auto x = t.numbers(v, key);
        if (x.size() != 2) c.fail(v, t.section, key, "expected [lo, hi] in Hz");
        if (!(x[0] >= 0 && x[0] < x[1])) c.fail(v, t.section, key, "need 0 <= lo < hi");
        if (hi_max > 0 && x[0] >= hi_max)
            c.fail(v, t.section, key,
                   "starts above the Nyquist frequency " + num(hi_max) +
                       " Hz of the samples (fs = " + num(smp.fs) + " Hz: 1000 / (dt sample_every))");
        return x;
    };
    auto samples = [&](const reader& t, const tval& v, const std::string& key, long lo) {
        const long n = t.integer(v, key);
        if (n < lo) c.fail(v, t.section, key, "must be >= " + std::to_string(lo) + " samples");
        if (n > M)
            c.fail(v, t.section, key,
                   "longer than the " + std::to_string(M) +
                       " samples after the transient (duration - transient) / (dt sample_every)");
        return n;
    };
    if (const tval* tv = r.get("spectra")) {
        reader t(c, "output.spectra", *tv);
        t.only({"nperseg", "noverlap", "window", "per_node", "fmax", "peak_range", "bands"});
        auto& o = s.spectra;
        if (const tval* v = t.get("nperseg")) o.nperseg = samples(t, *v, "nperseg", 2);
        const long L = o.nperseg > 0 ? o.nperseg : std::min<long>(1024, M);
        if (const tval* v = t.get("noverlap")) {
            o.noverlap = t.integer(*v, "noverlap");
            if (o.noverlap < 0 || o.noverlap >= L)
                c.fail(*v, t.section, "noverlap", "must be in 0 .. nperseg - 1 = " + std::to_string(L - 1));
        }
        if (const tval* v = t.get("window")) {
            o.window = t.str(*v, "window");
            if (o.window != "hann" && o.window != "boxcar")
                c.fail(*v, t.section, "window",
                       "unknown window" + did_you_mean(o.window, {"hann", "boxcar"}));
        }
        if (const tval* v = t.get("per_node")) o.per_node = boolean(t, *v, "per_node");
        if (const tval* v = t.get("fmax")) {
            o.fmax = t.finite(*v, "fmax");
            if (!(o.fmax > 0)) c.fail(*v, t.section, "fmax", "must be > 0 Hz");
        }
        if (const tval* v = t.get("peak_range")) {
            const auto x = range(t, *v, "peak_range", nyq);
            o.peak_lo = x[0];
            o.peak_hi = x[1];
        }
        if (const tval* v = t.get("bands")) {
            reader tb(c, "output.spectra", *v);
            o.bands.clear();
            for (const auto& [name, bv] : entries(*v)) {
                const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
                    return std::isalnum((unsigned char)ch) || ch == '_';
                });
                if (!ok)
                    c.fail(*bv, t.section, "bands." + name, "band names may hold letters, digits and '_'",
                           false);
                const auto x = range(tb, *bv, "bands." + name, 0);
                o.bands.push_back({name, x[0], x[1]});
            }
            if (o.bands.empty()) c.fail(*v, t.section, "bands", "empty table");
        }
        c.note("output.spectra", *tv, "output.spectra", "");
    }
    if (const tval* tv = r.get("synchrony")) {
        reader t(c, "output.synchrony", *tv);
        t.only({"phase", "band", "segment"});
        auto& o = s.synchrony;
        if (const tval* v = t.get("phase")) {
            o.phase = t.str(*v, "phase");
            const std::vector<std::string> ok{"auto", "observable", "hilbert"};
            if (!contains(ok, o.phase))
                c.fail(*v, t.section, "phase",
                       "expected auto, observable or hilbert" + did_you_mean(o.phase, ok));
        }
        if (const tval* v = t.get("band")) {
            const auto x = range(t, *v, "band", nyq);
            o.band_lo = x[0];
            o.band_hi = x[1];
        }
        if (const tval* v = t.get("segment")) o.segment = samples(t, *v, "segment", 4);
        c.note("output.synchrony", *tv, "output.synchrony", "");
    }
    if (const tval* tv = r.get("fc")) {
        reader t(c, "output.fc", *tv);
        t.only({"empirical", "fcd_window", "fcd_step", "fcd_matrix"});
        auto& o = s.fc;
        if (const tval* v = t.get("empirical")) {
            o.empirical = resolve_path(c, t.str(*v, "empirical"));
            try {
                std::size_t n = 0;
                o.empirical_fc = read_square_matrix(o.empirical, &n);
            } catch (const input_error& e) {
                c.fail(*v, t.section, "empirical", e.what(), false);
            }
            c.note("output.fc.empirical", *v, "output.fc", "empirical");
        }
        const double recorded = double(M) * smp.dt_ms;
        if (const tval* v = t.get("fcd_window")) {
            o.fcd_window_ms = t.finite(*v, "fcd_window");
            if (!(o.fcd_window_ms >= 3 * smp.dt_ms) || o.fcd_window_ms > recorded)
                c.fail(*v, t.section, "fcd_window",
                       "must be 3 samples (" + num(3 * smp.dt_ms) + " ms) .. the recorded " + num(recorded) +
                           " ms");
        }
        if (const tval* v = t.get("fcd_step")) {
            o.fcd_step_ms = t.finite(*v, "fcd_step");
            if (!(o.fcd_step_ms >= smp.dt_ms))
                c.fail(*v, t.section, "fcd_step", "must be >= one sample (" + num(smp.dt_ms) + " ms)");
        }
        if (const tval* v = t.get("fcd_matrix")) o.fcd_matrix = boolean(t, *v, "fcd_matrix");
        c.note("output.fc", *tv, "output.fc", "");
    }
    if (const tval* tv = r.get("attractor")) {
        reader t(c, "output.attractor", *tv);
        t.only({"rtol", "atol", "regular_tol", "min_cycles", "hysteresis", "per_node", "cluster_tol"});
        auto& o = s.attractor;
        auto nonneg = [&](const char* key, double& dst, double hi) {
            if (const tval* v = t.get(key)) {
                dst = t.finite(*v, key);
                if (!(dst >= 0) || dst > hi) c.fail(*v, t.section, key, "must be in 0 .. " + num(hi));
            }
        };
        nonneg("rtol", o.rtol, 1.0);
        nonneg("atol", o.atol, 1e300);
        nonneg("regular_tol", o.regular_tol, 1.0);
        nonneg("cluster_tol", o.cluster_tol, 10.0);
        nonneg("hysteresis", o.hysteresis, 0.45);
        if (const tval* v = t.get("min_cycles")) {
            o.min_cycles = t.integer(*v, "min_cycles");
            if (o.min_cycles < 1) c.fail(*v, t.section, "min_cycles", "must be >= 1");
        }
        if (const tval* v = t.get("per_node")) o.per_node = boolean(t, *v, "per_node");
        c.note("output.attractor", *tv, "output.attractor", "");
    }
    // The reducers check the rest (e.g. a band without a frequency bin).
    auto has = [&](std::initializer_list<const char*> names) {
        for (const char* n : names)
            if (contains(s.features, n)) return true;
        return false;
    };
    try {
        if (M >= 4 && has({"psd", "peak_freq", "peak_power", "band_power"}))
            make_spectra_reducer({"psd"}, s.spectra, smp, "");
        if (M >= 4 && has({"kuramoto_r", "metastability", "plv"}) && s.synchrony.phase != "observable" &&
            !(s.synchrony.phase == "auto" && s.model == "kuramoto"))
            make_synchrony_reducer({"kuramoto_r"}, s.synchrony, false, smp);
        if (M >= 4 && has({"fcd"})) make_fc_reducer({"fcd"}, s.fc, smp);
    } catch (const input_error& e) {
        throw input_error(c.file + ": [output] " + e.what());
    }
    // Segments need enough samples whatever the options.
    if (M < 4 && std::any_of(s.features.begin(), s.features.end(), [](const std::string& f) {
            return f == "psd" || f == "peak_freq" || f == "peak_power" || f == "band_power" || f == "plv" ||
                   f == "kuramoto_r" || f == "metastability" || f == "fcd";
        }))
        throw input_error(c.file +
                          ": [output] features: spectra and synchrony need at least 4 samples after the "
                          "transient, the run records " +
                          std::to_string(M));
}

std::string where_of(const sweep_spec& s, const std::string& key);

// "bold: tr = 0 ms must be > 0" -> "tr = 0 ms must be > 0" (the section is in the prefix already).
std::string strip_bold(const std::string& msg) { return msg.rfind("bold: ", 0) == 0 ? msg.substr(6) : msg; }

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
}

// [output.bold]: the Balloon-Windkessel observation (nmsweep/observe/bold.hpp).
// Runs after [output] observable and the sweeps are known: checks the swept
// bold.<constant> values against the preset too.
void parse_bold(const ctx& c, const tval* tv, sweep_spec& s, const parsed_ctx& P) {
    auto& b = s.bold;
    const sampling smp = sampling_of(s);
    const std::string sec = "output.bold";
    if (tv) {
        reader t(c, sec, *tv);
        b.enabled = true;
        auto& o = b.opt;
        if (const tval* v = t.get("preset")) {
            o.preset = t.str(*v, "preset");
            if (!contains(observe::bold_presets(), o.preset))
                c.fail(*v, sec, "preset",
                       "unknown preset" + did_you_mean(o.preset, observe::bold_presets()) +
                           " (known: " + joined(observe::bold_presets()) + ")");
        }
        const auto consts = observe::bold_constant_names(o.preset);
        std::vector<std::string> allowed{"preset", "drive", "scale",     "offset",     "method",
                                         "dt",     "tr",    "transient", "timeseries", "empirical_fc"};
        for (const auto& k : consts) allowed.push_back(k);
        for (const auto& [k, v] : entries(*tv))
            if (!contains(allowed, k) && contains(all_bold_constants(), k))
                c.fail(*v, sec, k,
                       "not a constant of preset '" + o.preset + "' (its constants: " + joined(consts) + ")");
        t.only(allowed);
        for (const auto& k : consts) {
            const tval* v = t.get(k);
            if (!v) continue;
            o.overrides[k] = t.finite(*v, k);
            try {
                observe::resolve_bold_constants(o.preset, o.overrides);
            } catch (const input_error& e) {
                c.fail(*v, sec, k, strip_bold(e.what()));
            }
            c.note(sec + "." + k, *v, sec, k);
        }
        if (const tval* v = t.get("drive")) {
            b.drive = t.str(*v, "drive");
            std::string err;
            b.drive_coef = parse_observable(b.drive, *P.m, err);
            if (!err.empty()) c.fail(*v, sec, "drive", err);
        }
        if (const tval* v = t.get("scale")) o.input_gain = t.finite(*v, "scale");
        if (const tval* v = t.get("offset")) o.input_offset = t.finite(*v, "offset");
        if (const tval* v = t.get("method")) {
            o.method = t.str(*v, "method");
            if (o.method != "rk4" && o.method != "heun")
                c.fail(*v, sec, "method", "expected rk4 or heun" + did_you_mean(o.method, {"rk4", "heun"}));
        }
        auto positive_ms = [&](const char* key, double& dst, bool allow_zero) {
            if (const tval* v = t.get(key)) {
                dst = t.finite(*v, key);
                if (allow_zero ? !(dst >= 0) : !(dst > 0))
                    c.fail(*v, sec, key, std::string("must be ") + (allow_zero ? ">= 0" : "> 0") + " ms");
                c.note(sec + "." + key, *v, sec, key);
            }
        };
        positive_ms("dt", o.dt_ms, false);
        positive_ms("tr", o.tr_ms, false);
        positive_ms("transient", o.transient_ms, true);
        if (const tval* v = t.get("timeseries")) {
            if (!v->is_boolean())
                c.fail(*v, sec, "timeseries", "expected true or false, got " + type_name(*v));
            o.keep_timeseries = v->as_boolean();
        }
        if (const tval* v = t.get("empirical_fc")) {
            o.empirical_source = resolve_path(c, t.str(*v, "empirical_fc"));
            try {
                std::size_t n = 0;
                o.empirical_fc = read_square_matrix(o.empirical_source, &n);
            } catch (const input_error& e) {
                c.fail(*v, sec, "empirical_fc", e.what(), false);
            }
            c.note(sec + ".empirical_fc", *v, sec, "empirical_fc");
        }
        o.n_samples = smp.n_samples;
        o.t0_ms = smp.t0_ms;
        std::vector<double> emp;
        std::swap(emp, o.empirical_fc); // the size is checked against the network later
        try {
            observe::make_bold_reducer(o, smp.dt_ms, 1);
        } catch (const input_error& e) {
            c.fail(*tv, sec, "", strip_bold(e.what()), false);
        }
        std::swap(emp, o.empirical_fc);
        const long nb = observe::bold_sample_count(o, smp.dt_ms, smp.n_samples);
        if (nb < 2) {
            const tval* v = t.get("tr") ? t.get("tr") : tv;
            c.fail(*v, sec, "tr",
                   "the run gives " + std::to_string(nb) + " BOLD sample(s): the features see " +
                       num(double(smp.n_samples) * smp.dt_ms) +
                       " ms (duration - transient), the BOLD transient is " + num(o.transient_ms) +
                       " ms and TR " + num(o.tr_ms) +
                       " ms; lengthen [integrator] duration or shorten [output.bold] transient or tr",
                   false);
        }
        c.note(sec, *tv, sec, "");
    }
    if (b.drive_coef.empty()) b.drive_coef = s.observable_coef;

    // Swept constants: [output.bold] must exist, the name belong to its
    // preset, and every value give valid constants.
    auto check = [&](const param_ref& ref, const std::vector<double>& values, const std::string& note) {
        if (ref.k != param_ref::kind::bold) return;
        const std::string w = where_of(s, note);
        if (!b.enabled)
            throw input_error(w + ": '" + ref.name +
                              "' sweeps a BOLD constant, but the spec has no [output.bold]");
        const std::string k = ref.key.substr(5);
        const auto consts = observe::bold_constant_names(b.opt.preset);
        if (!contains(consts, k))
            throw input_error(w + ": '" + ref.name + "' is not a constant of BOLD preset '" + b.opt.preset +
                              "' (its constants: " + joined(consts) + ")");
        for (double x : values) {
            auto ov = b.opt.overrides;
            ov[k] = x;
            try {
                observe::resolve_bold_constants(b.opt.preset, ov);
            } catch (const input_error& e) {
                throw input_error(w + ": " + ref.name + ": " + strip_bold(e.what()) + " (value " + num(x) +
                                  ")");
            }
        }
    };
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        check(s.axis_refs[a], s.axes[a].values, "sweep." + s.axes[a].name);
    for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
        check(s.sampler.params[d], s.sampler.ranges[d], "sampler." + s.sampler.params[d].name);
}

const std::vector<std::string>& sensor_features() {
    static const std::vector<std::string> f{
        "mean",       "std",        "min",           "max", "psd", "peak_freq", "peak_power",
        "band_power", "kuramoto_r", "metastability", "plv", "fc",  "fcd"};
    return f;
}

// [[output.sensors]]: one table per modality (nmsweep/observe/leadfield.hpp).
// Files are read here so that a bad one fails before the run; what needs the
// network (centres, region count, labels) is checked by make_sensor_model.
void parse_sensors(const ctx& c, const reader& r, sweep_spec& s, const parsed_ctx& P) {
    const tval* tv = r.get("sensors");
    if (!tv) return;
    const std::string sec = "output.sensors";
    if (tv->is_table())
        c.fail(*tv, sec, "",
               "write each modality as [[output.sensors]] (an array of tables), not [output.sensors]", false);
    if (!tv->is_array()) c.fail(*tv, sec, "", "expected [[output.sensors]] tables, got " + type_name(*tv));
    const std::vector<std::string> kinds{"dipole", "magnetic_dipole", "inverse_square"};
    for (const auto& t : tv->as_array()) {
        reader rt(c, sec, t);
        rt.only({"name", "sensors", "gain", "conductivity", "orientations", "region_weights", "reference",
                 "noise", "observable", "features"});
        sensor_spec m;
        const tval& nv = rt.need("name");
        m.name = rt.str(nv, "name");
        const bool ok = !m.name.empty() && std::all_of(m.name.begin(), m.name.end(), [](char ch) {
            return std::isalnum((unsigned char)ch) || ch == '_' || ch == '-';
        });
        if (!ok)
            c.fail(nv, sec, "name", "names may hold letters, digits, '_' and '-' (it names /sensors/<name>)");
        for (const auto& o : s.sensors)
            if (o.name == m.name)
                c.fail(nv, sec, "name", "two [[output.sensors]] tables named '" + m.name + "'");
        const std::string id = sec + "." + m.name;
        c.note(id, nv, sec, "name = \"" + m.name + "\"");
        auto note = [&](const tval& v, const std::string& key) { c.note(id + "." + key, v, sec, key); };
        if (const tval* v = rt.get("sensors")) {
            m.sensors = resolve_path(c, rt.str(*v, "sensors"));
            try {
                observe::read_sensors(m.sensors);
            } catch (const input_error& e) {
                c.fail(*v, sec, "sensors", e.what(), false);
            }
            note(*v, "sensors");
        }
        const tval* gv = rt.get("gain");
        if (gv) {
            const std::string g = rt.str(*gv, "gain");
            if (contains(kinds, g)) {
                m.gain = g;
            } else {
                const bool looks_like_file =
                    g.find('.') != std::string::npos || g.find('/') != std::string::npos;
                if (!looks_like_file)
                    c.fail(*gv, sec, "gain",
                           "expected dipole, magnetic_dipole, inverse_square or a gain-matrix file (.csv, "
                           ".txt, .npy)" +
                               did_you_mean(g, kinds));
                m.gain = resolve_path(c, g);
                m.gain_file = true;
                try {
                    observe::read_gain_matrix(m.gain);
                } catch (const input_error& e) {
                    c.fail(*gv, sec, "gain", e.what(), false);
                }
            }
            note(*gv, "gain");
        }
        if (!m.gain_file && m.sensors.empty())
            c.fail(t, sec, "sensors",
                   "required key is missing: gain = \"" + m.gain +
                       "\" computes the gain from sensor positions (or give gain = \"<matrix file>\")",
                   false);
        if (const tval* v = rt.get("conductivity")) {
            if (m.gain != "dipole") c.fail(*v, sec, "conductivity", "only used by gain = \"dipole\"");
            m.conductivity = rt.finite(*v, "conductivity");
            if (!(m.conductivity > 0)) c.fail(*v, sec, "conductivity", "must be > 0 S/m");
        }
        if (const tval* v = rt.get("orientations")) {
            if (m.gain != "dipole" && m.gain != "magnetic_dipole")
                c.fail(*v, sec, "orientations", "only used by gain = \"dipole\" or \"magnetic_dipole\"");
            m.orientations = rt.str(*v, "orientations");
            const std::vector<std::string> okv{"auto", "radial", "connectome"};
            if (!contains(okv, m.orientations))
                c.fail(*v, sec, "orientations",
                       "expected auto, radial or connectome" + did_you_mean(m.orientations, okv));
            note(*v, "orientations");
        }
        if (const tval* v = rt.get("region_weights")) {
            if (m.gain != "inverse_square")
                c.fail(*v, sec, "region_weights", "only used by gain = \"inverse_square\"");
            m.region_weights = rt.str(*v, "region_weights");
            if (m.region_weights != "none" && m.region_weights != "areas")
                c.fail(*v, sec, "region_weights",
                       "expected none or areas" + did_you_mean(m.region_weights, {"none", "areas"}));
            note(*v, "region_weights");
        }
        if (const tval* v = rt.get("reference")) {
            m.reference = rt.str(*v, "reference");
            if (m.reference.empty())
                c.fail(*v, sec, "reference", "empty (use \"average\" or a sensor label)");
            note(*v, "reference");
        }
        if (const tval* v = rt.get("noise")) {
            reader rn(c, sec, *v);
            for (const auto& [k, x] : entries(*v))
                if (k != "sigma" && k != "seed")
                    c.fail(*x, sec, "noise." + k, "unknown key" + did_you_mean(k, {"sigma", "seed"}), false);
            if (const tval* x = rn.get("sigma")) {
                m.noise.sigma = rn.finite(*x, "noise.sigma");
                if (m.noise.sigma < 0) c.fail(*x, sec, "noise.sigma", "must be >= 0 (sensor units)");
            }
            if (const tval* x = rn.get("seed")) {
                const long sd = rn.integer(*x, "noise.seed");
                if (sd < 0) c.fail(*x, sec, "noise.seed", "must be >= 0");
                m.noise.seed = std::uint64_t(sd);
            }
        }
        if (const tval* v = rt.get("observable")) {
            m.observable = rt.str(*v, "observable");
            std::string err;
            m.observable_coef = parse_observable(m.observable, *P.m, err);
            if (!err.empty()) c.fail(*v, sec, "observable", err);
        } else {
            m.observable_coef = s.observable_coef;
        }
        m.features = {"psd", "peak_freq", "band_power"};
        if (const tval* v = rt.get("features")) {
            m.features.clear();
            for (const auto& e : rt.array(*v, "features")) {
                const std::string f = rt.str(e, "features");
                if (!contains(sensor_features(), f))
                    c.fail(e, sec, "features",
                           (contains(known_features(), f)
                                ? "not available in sensor space"
                                : "unknown feature" + did_you_mean(f, sensor_features())) +
                               std::string(" (sensor features: ") + joined(sensor_features()) + ")");
                if (contains(m.features, f)) c.fail(e, sec, "features", "'" + f + "' listed twice");
                m.features.push_back(f);
            }
            if (m.features.empty()) c.fail(*v, sec, "features", "empty list");
            note(*v, "features");
        }
        const long M = sampling_of(s).n_samples;
        for (const auto& f : m.features)
            if (M < 4 && f != "mean" && f != "std" && f != "min" && f != "max" && f != "fc")
                c.fail(t, sec, "features",
                       "'" + f + "' needs at least 4 samples after the transient, the run records " +
                           std::to_string(M),
                       false);
        s.sensors.push_back(std::move(m));
    }
    // The shared [output.spectra] / [output.synchrony] / [output.fc] options must suit the sensor features
    // too.
    const sampling smp = sampling_of(s);
    try {
        for (const auto& m : s.sensors) {
            auto has = [&](std::initializer_list<const char*> names) {
                for (const char* n : names)
                    if (contains(m.features, n)) return true;
                return false;
            };
            if (smp.n_samples >= 4 && has({"psd", "peak_freq", "peak_power", "band_power"}))
                make_spectra_reducer({"psd"}, s.spectra, smp, "");
            if (smp.n_samples >= 4 && has({"kuramoto_r", "metastability", "plv"}) &&
                s.synchrony.phase != "observable")
                make_synchrony_reducer({"kuramoto_r"}, s.synchrony, false, smp);
            if (smp.n_samples >= 4 && has({"fcd"})) make_fc_reducer({"fcd"}, s.fc, smp);
        }
    } catch (const input_error& e) {
        throw input_error(c.file + ": [output.sensors] " + e.what());
    }
}

void parse_output(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P) {
    s.observable = P.m->observable;
    s.features = {"mean", "std", "min", "max", "final"};
    {
        fs::path stem = fs::path(c.file).stem();
        s.output_path = (stem.empty() ? std::string("sweep") : stem.string()) + ".h5";
    }
    std::string err;
    if (!root.contains("output")) {
        s.observable_coef = parse_observable(s.observable, *P.m, err);
        if (!err.empty()) throw input_error(c.file + ": default observable of model " + s.model + ": " + err);
        parse_bold(c, nullptr, s, P); // a swept bold.<constant> needs [output.bold]
        return;
    }
    reader r(c, "output", root.at("output"));
    r.only({"path", "observable", "features", "sample_every", "timeseries", "spectra", "synchrony", "fc",
            "attractor", "bold", "sensors"});
    if (const tval* v = r.get("path")) {
        s.output_path = r.str(*v, "path");
        if (s.output_path.empty()) c.fail(*v, "output", "path", "empty");
        c.note("output.path", *v, "output", "path");
    }
    if (const tval* v = r.get("observable")) {
        s.observable = r.str(*v, "observable");
        s.observable_coef = parse_observable(s.observable, *P.m, err);
        if (!err.empty()) c.fail(*v, "output", "observable", err);
        c.note("output.observable", *v, "output", "observable");
    } else {
        s.observable_coef = parse_observable(s.observable, *P.m, err);
    }
    if (const tval* v = r.get("features")) {
        s.features.clear();
        const auto& a = r.array(*v, "features");
        for (const auto& e : a) {
            std::string f = r.str(e, "features");
            if (!contains(known_features(), f))
                c.fail(e, "output", "features", "unknown feature" + did_you_mean(f, known_features()));
            if (contains(s.features, f)) c.fail(e, "output", "features", "'" + f + "' listed twice");
            s.features.push_back(f);
        }
        c.note("output.features", *v, "output", "features");
    }
    const long steps = n_steps(s);
    if (const tval* v = r.get("sample_every")) {
        s.sample_every = r.integer(*v, "sample_every");
        if (s.sample_every < 1) c.fail(*v, "output", "sample_every", "must be >= 1 step");
        if (s.sample_every > steps - transient_steps(s))
            c.fail(*v, "output", "sample_every",
                   "longer than the recorded part of the run (" + std::to_string(steps - transient_steps(s)) +
                       " steps)");
        c.note("output.sample_every", *v, "output", "sample_every");
    }
    if (const tval* tv = r.get("timeseries")) {
        reader rt(c, "output", *tv);
        for (const auto& [k, v] : entries(*tv))
            if (k != "every" && k != "instances")
                c.fail(*v, "output", "timeseries." + k,
                       "unknown key" + did_you_mean(k, {"every", "instances"}), false);
        s.timeseries.enabled = true;
        s.timeseries.every = s.sample_every;
        if (const tval* v = rt.get("every")) {
            s.timeseries.every = rt.integer(*v, "timeseries.every");
            if (s.timeseries.every < 1) c.fail(*v, "output", "timeseries.every", "must be >= 1 step");
        }
        s.timeseries.instances = {0};
        if (const tval* v = rt.get("instances")) {
            s.timeseries.instances.clear();
            const auto& a = rt.array(*v, "timeseries.instances");
            const std::size_t N = n_points(s);
            for (const auto& e : a) {
                long i = rt.integer(e, "timeseries.instances");
                if (i < 0 || std::size_t(i) >= N)
                    c.fail(e, "output", "timeseries.instances",
                           "instance outside the grid 0.." + std::to_string(N - 1));
                s.timeseries.instances.push_back(std::size_t(i));
            }
            if (a.empty()) c.fail(*v, "output", "timeseries.instances", "empty list");
        }
        c.note("output.timeseries", *tv, "output", "timeseries");
    }
    parse_analysis(c, r, s);
    parse_bold(c, r.get("bold"), s, P);
    parse_sensors(c, r, s, P);
    if (s.features.empty() && !s.bold.enabled && s.sensors.empty() && !s.timeseries.enabled)
        throw input_error(where_of(s, "output.features") +
                          ": empty: the run would store nothing; list at least one feature (e.g. [\"mean\", "
                          "\"std\"]), or add [output.bold], [[output.sensors]] or timeseries");
}

// The message prefix for a key noted while parsing, or the file alone.
std::string where_of(const sweep_spec& s, const std::string& key) {
    auto it = s.where.find(key);
    return it != s.where.end() ? it->second : s.path;
}

long node_of(const sweep_spec& s, const param_ref& r, const connectome& net) {
    const std::string w =
        s.where.count("sweep." + r.name) ? s.where.at("sweep." + r.name) : where_of(s, "sampler." + r.name);
    if (r.node >= 0) {
        if (std::size_t(r.node) >= net.n)
            throw input_error(w + ": '" + r.name + "': node index " + std::to_string(r.node) +
                              " outside 0.." + std::to_string(net.n - 1) + " (the network has " +
                              std::to_string(net.n) + " nodes)");
        return r.node;
    }
    for (std::size_t i = 0; i < net.labels.size(); ++i)
        if (net.labels[i] == r.label) return long(i);
    throw input_error(w + ": '" + r.name + "': the network has no region labelled '" + r.label + "'" +
                      did_you_mean(r.label, net.labels));
}

} // namespace

std::string where_of_key(const sweep_spec& s, const std::string& key) { return where_of(s, key); }

std::vector<std::vector<double>> parse_initial_table(const std::string& text, const std::string& path,
                                                     const std::string& model) {
    return parse_ic_table(text, path, find_model(model));
}

const std::vector<std::string>& known_features() {
    static const std::vector<std::string> f{"mean",      "std",        "min", "max",        "final",
                                            "peak_freq", "peak_power", "psd", "kuramoto_r", "metastability",
                                            "fc",        "band_power", "plv", "fcd",        "attractor"};
    return f;
}

sampling sampling_of(const sweep_spec& s) {
    sampling smp;
    const long se = std::max(1L, s.sample_every);
    smp.dt_ms = s.dt * double(se);
    smp.fs = 1000.0 / smp.dt_ms;
    const long t0 = transient_steps(s) / se + 1; // first sampled step, in units of sample_every
    smp.n_samples = std::max(0L, n_steps(s) / se - transient_steps(s) / se);
    smp.t0_ms = double(t0) * smp.dt_ms;
    return smp;
}

param_ref parse_param_ref(const std::string& name, const std::string& model, const std::string& coupling) {
    const model_info& m = find_model(model);
    const coupling_info ci = find_coupling(coupling, int(m.cvar.size()));
    param_ref r;
    r.name = name;
    std::vector<std::string> all{"network.speed", "integrator.noise.sigma", "noise.seed", "initial"};
    for (const auto& p : m.params) all.push_back("model." + std::string(p.name));
    for (const auto& p : ci.params) all.push_back("coupling." + std::string(p.name));
    for (const auto& st : m.states) all.push_back("noise." + std::string(st.name));
    const std::vector<std::string> bold_names = all_bold_constants();
    for (const auto& b : bold_names) all.push_back("bold." + b);
    auto unknown = [&](const std::string& what) -> input_error {
        return input_error("unknown sweepable name '" + what + "'" + did_you_mean(what, all));
    };
    std::string base = name;
    // Node entry: model.<p>[k] / coupling.<p>[k], k an index or a region label.
    if (auto lb = name.find('['); lb != std::string::npos) {
        if (name.back() != ']') throw input_error("'" + name + "': expected NAME[index] or NAME[\"label\"]");
        base = name.substr(0, lb);
        std::string k = name.substr(lb + 1, name.size() - lb - 2);
        auto trim = [](std::string x) {
            while (!x.empty() && x.front() == ' ') x.erase(0, 1);
            while (!x.empty() && x.back() == ' ') x.pop_back();
            return x;
        };
        k = trim(k);
        if (k.size() >= 2 && (k.front() == '"' || k.front() == '\'') && k.back() == k.front()) {
            r.label = k.substr(1, k.size() - 2);
            if (r.label.empty()) throw input_error("'" + name + "': empty region label");
        } else if (!k.empty() &&
                   std::all_of(k.begin(), k.end(), [](char ch) { return std::isdigit((unsigned char)ch); })) {
            r.node = std::stol(k);
        } else if (!k.empty()) {
            r.label = k;
        } else {
            throw input_error("'" + name + "': empty node index");
        }
        if (base.rfind("model.", 0) != 0 && base.rfind("coupling.", 0) != 0)
            throw input_error("'" + name +
                              "': only model.<p>[k] and coupling.<p>[k] select one node's entry");
    }
    if (base == "network.speed")
        r.k = param_ref::kind::speed;
    else if (base == "integrator.noise.sigma")
        r.k = param_ref::kind::noise_all;
    else if (base == "noise.seed")
        r.k = param_ref::kind::seed;
    else if (base == "initial")
        r.k = param_ref::kind::initial;
    else if (base == "sample")
        r.k = param_ref::kind::sample;
    else if (base.rfind("model.", 0) == 0) {
        r.k = param_ref::kind::model;
        std::string p = base.substr(6);
        if (!find_param(m.params, p)) {
            if (find_param(ci.params, p))
                throw input_error("model " + m.name + " has no parameter '" + p +
                                  "' (did you mean 'coupling." + p + "'?)");
            throw input_error("model " + m.name + " has no parameter '" + p + "'" +
                              did_you_mean(p, param_names(m.params)));
        }
        r.key = base;
    } else if (base.rfind("coupling.", 0) == 0) {
        r.k = param_ref::kind::coupling;
        std::string p = base.substr(9);
        if (!find_param(ci.params, p)) {
            if (find_param(m.params, p))
                throw input_error("coupling " + ci.name + " has no parameter '" + p +
                                  "' (did you mean 'model." + p + "'?)");
            throw input_error("coupling " + ci.name + " has no parameter '" + p + "'" +
                              did_you_mean(p, param_names(ci.params)));
        }
        r.key = base;
    } else if (base.rfind("bold.", 0) == 0) {
        r.k = param_ref::kind::bold;
        const std::string k = base.substr(5);
        if (!contains(bold_names, k)) {
            std::string known;
            for (const auto& b : bold_names) known += (known.empty() ? "" : " ") + b;
            throw input_error("no BOLD constant '" + k + "'" + did_you_mean(k, bold_names) +
                              " (constants: " + known + ")");
        }
        r.key = base;
    } else if (base.rfind("noise.", 0) == 0) {
        r.k = param_ref::kind::noise_var;
        std::string v = base.substr(6);
        if (state_index(m, v) < 0)
            throw input_error("model " + m.name + " has no state variable '" + v + "'" + did_you_mean(v, [&] {
                                  auto x = state_names(m);
                                  x.push_back("seed");
                                  return x;
                              }()));
        r.key = base;
    } else {
        throw unknown(base);
    }
    if (r.node_entry() && r.k != param_ref::kind::model && r.k != param_ref::kind::coupling)
        throw input_error("'" + name + "': only model and coupling parameters have per-node entries");
    return r;
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

    const std::vector<std::string> sections{"description", "model", "network", "coupling", "integrator",
                                            "initial",     "sweep", "sampler", "output"};
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

    std::vector<located_ref> refs;
    parse_sampler(c, root, s, refs);
    parse_sweeps(c, root, s, P, refs);
    check_conflicts(c, refs, s);
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
    return s;
}

sweep_spec load_spec(const std::string& path) {
    sweep_spec s = parse_spec(read_input_file(path, "spec file", max_spec_bytes), path);
    connectome net = load_network(s);
    validate_with_network(s, net);
    return s;
}

connectome load_network(const sweep_spec& s) {
    try {
        connectome net = load_connectome(s.connectome);
        normalise(net, s.normalise);
        return net;
    } catch (const input_error& e) {
        throw input_error(where_of(s, "network.connectome") + ": " + e.what());
    }
}

namespace {

// Every speed the run uses (the fixed one, each value of a speed axis, the
// low end of a sampled range): its longest delay must fit the ring limit,
// and the rings of the CPU threads must fit in memory. Named by its key.
void check_delays(const sweep_spec& s, const connectome& net) {
    double maxlen = 0;
    for (std::size_t k = 0; k < net.weights.size(); ++k)
        if (net.weights[k] != 0 && k / net.n != k % net.n) maxlen = std::max(maxlen, net.tract_lengths[k]);
    if (maxlen == 0) return;
    const auto& m = find_model(s.model);
    auto check = [&](double v, const std::string& where) {
        if (!(v > 0) || std::isinf(v)) return;
        const double d = std::nearbyint(maxlen / v / s.dt);
        if (!(d <= double(max_delay_steps)))
            throw input_error(where + ": at " + num(v) + " mm/ms the longest tract (" + num(maxlen) +
                              " mm) is a delay of " + num(d) + " steps of " + num(s.dt) +
                              " ms, more than the " + std::to_string(max_delay_steps) +
                              " allowed; increase the speed or dt");
        double ring = 1;
        while (ring < d + 2) ring *= 2;
        // CPU: one ring of 16 lanes per thread, in the run's precision.
        const double bytes = ring * double(m.cvar.size()) * double(net.n) * 16.0 *
                             (s.precision == "double" ? 8.0 : 4.0) * double(omp_get_max_threads());
        try {
            require_memory(bytes, "the delay rings (" + num(d) + " steps at " + num(v) + " mm/ms)");
        } catch (const input_error& e) {
            throw input_error(where + ": " + e.what() + "; increase the speed or dt");
        }
    };
    check(s.speed, where_of(s, "network.speed"));
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        if (s.axis_refs[a].k == param_ref::kind::speed)
            for (double v : s.axes[a].values) check(v, where_of(s, "sweep." + s.axes[a].name));
    for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
        if (s.sampler.params[d].k == param_ref::kind::speed)
            check(s.sampler.ranges[d][0], where_of(s, "sampler." + s.sampler.params[d].name));
}

} // namespace

void validate_with_network(const sweep_spec& s, const connectome& net) {
    const std::size_t n = net.n;
    auto check_len = [&](const std::string& key, const field& f) {
        if (f.k == field::kind::per_node && f.v.size() != n)
            throw input_error(where_of(s, key) + ": has " + std::to_string(f.v.size()) +
                              " values, but the network (" + net.source + ") has " + std::to_string(n) +
                              " nodes");
    };
    for (const auto& [k, f] : s.params) check_len(k, f);
    for (const auto& [k, f] : s.initial.values) check_len("initial." + k, f);
    if (!s.initial.table.empty() && s.initial.table.size() != n)
        throw input_error(where_of(s, "initial.file") + ": " + s.initial.file + " has " +
                          std::to_string(s.initial.table.size()) + " rows, but the network has " +
                          std::to_string(n) + " nodes (one row per node)");
    if (!s.fc.empirical_fc.empty() && s.fc.empirical_fc.size() != n * n) {
        const std::string k =
            std::to_string(std::size_t(std::llround(std::sqrt(double(s.fc.empirical_fc.size())))));
        throw input_error(where_of(s, "output.fc.empirical") + ": " + s.fc.empirical + " is a " + k + " x " +
                          k + " matrix, but the network (" + net.source + ") has " + std::to_string(n) +
                          " nodes");
    }
    if (!s.bold.opt.empirical_fc.empty() && s.bold.opt.empirical_fc.size() != n * n) {
        const std::string k =
            std::to_string(std::size_t(std::llround(std::sqrt(double(s.bold.opt.empirical_fc.size())))));
        throw input_error(where_of(s, "output.bold.empirical_fc") + ": " + s.bold.opt.empirical_source +
                          " is a " + k + " x " + k + " matrix, but the network (" + net.source + ") has " +
                          std::to_string(n) + " nodes");
    }
    for (const auto& m : s.sensors) make_sensor_model(s, m, net);
    check_delays(s, net);
    for (const auto& r : s.axis_refs)
        if (r.node_entry()) node_of(s, r, net);
    for (const auto& r : s.sampler.params)
        if (r.node_entry()) node_of(s, r, net);
    try {
        check_batch(make_batch(s, net, 0, 1));
    } catch (const input_error& e) {
        // Point at the key the engine complains about, when we know it.
        std::string msg = e.what(), best;
        for (const auto& [k, w] : s.where)
            if (msg.rfind(k, 0) == 0 && k.size() > best.size()) best = k;
        if (best.empty()) { // e.g. "network: the longest delay ..." -> the section's first noted key
            const std::string sec = msg.substr(0, msg.find_first_of(".: "));
            for (const auto& [k, w] : s.where)
                if (k.rfind(sec + ".", 0) == 0) {
                    best = k;
                    break;
                }
        }
        throw input_error((best.empty() ? s.path : s.where.at(best)) + ": " + msg);
    }
}

std::size_t n_points(const sweep_spec& s) {
    std::size_t n = 1;
    for (const auto& a : s.axes) n *= a.values.size();
    return n;
}

std::vector<std::size_t> grid_shape(const sweep_spec& s) {
    std::vector<std::size_t> out;
    for (const auto& a : s.axes) out.push_back(a.values.size());
    return out;
}

long n_steps(const sweep_spec& s) { return long(std::llround(s.duration / s.dt)); }
long transient_steps(const sweep_spec& s) { return long(std::llround(s.transient / s.dt)); }

std::size_t n_initial_sets(const sweep_spec& s) { return s.initial.n_random ? s.initial.n_random : 1; }

std::vector<std::map<std::string, field>> initial_sets(const sweep_spec& s, const connectome& net) {
    const model_info& m = find_model(s.model);
    const std::size_t n = net.n;
    if (!s.initial.table.empty() && s.initial.table.size() != n)
        throw input_error(where_of(s, "initial.file") + ": " + std::to_string(s.initial.table.size()) +
                          " rows for a network of " + std::to_string(n) + " nodes");
    std::vector<std::map<std::string, field>> sets(n_initial_sets(s));
    for (std::size_t k = 0; k < sets.size(); ++k) {
        for (std::size_t v = 0; v < m.states.size(); ++v) {
            const std::string name = m.states[v].name;
            field f = field::scalar(m.states[v].initial);
            if (auto it = s.initial.values.find(name); it != s.initial.values.end()) {
                f = it->second;
            } else if (!s.initial.table.empty()) {
                std::vector<double> col(n);
                for (std::size_t i = 0; i < n; ++i) col[i] = s.initial.table[i][v];
                f = field::per_node(std::move(col));
            } else if (s.initial.n_random) {
                double lo = m.states[v].lo, hi = m.states[v].hi;
                if (auto rg = s.initial.random_ranges.find(name); rg != s.initial.random_ranges.end())
                    lo = rg->second.first, hi = rg->second.second;
                std::vector<double> col(n);
                for (std::size_t i = 0; i < n; ++i)
                    col[i] = lo + (hi - lo) * ic_uniform(s.initial.random_seed, std::uint32_t(k),
                                                         std::uint32_t(v), std::uint32_t(i));
                f = field::per_node(std::move(col));
            }
            sets[k][name] = std::move(f);
        }
    }
    return sets;
}

std::vector<std::size_t> grid_index(const sweep_spec& s, std::size_t point) {
    std::vector<std::size_t> idx(s.axes.size());
    for (std::size_t a = s.axes.size(); a-- > 0;) {
        const std::size_t len = s.axes[a].values.size();
        idx[a] = point % len;
        point /= len;
    }
    return idx;
}

batch make_batch(const sweep_spec& s, const connectome& net, std::size_t first, std::size_t count) {
    const std::size_t N = n_points(s);
    if (count == 0 || first >= N || count > N - first)
        throw input_error("make_batch: instances " + std::to_string(first) + " .. " +
                          std::to_string(first + count) + " - 1 are not inside the grid of " +
                          std::to_string(N) + " points");
    const model_info& m = find_model(s.model);
    const coupling_info ci = find_coupling(s.coupling, int(m.cvar.size()));
    const std::size_t n = net.n;

    batch b;
    b.model = s.model;
    b.coupling = s.coupling;
    b.net = net;
    b.speed = s.speed;
    b.n_instances = count;
    b.method = s.method;
    b.dt = s.dt;
    b.n_steps = n_steps(s);
    b.seed = s.seed;
    b.params = s.params;
    for (const auto& [var, sig] : s.noise_sigma) b.params["noise." + var] = field::scalar(sig);

    // Swept values per instance.
    std::map<std::string, std::vector<double>> whole, noise_var;
    std::map<std::string, std::map<long, std::vector<double>>> entry;
    std::vector<double> speed, noise_all, seed, ic;
    auto slot = [&](std::vector<double>& v) -> std::vector<double>& {
        if (v.empty()) v.assign(count, 0.0);
        return v;
    };
    std::map<std::string, long> node_cache;
    auto apply = [&](const param_ref& r, double x, std::size_t j) {
        switch (r.k) {
        case param_ref::kind::model:
        case param_ref::kind::coupling:
            if (r.node_entry()) {
                auto it = node_cache.find(r.name);
                if (it == node_cache.end()) it = node_cache.emplace(r.name, node_of(s, r, net)).first;
                slot(entry[r.key][it->second])[j] = x;
            } else {
                slot(whole[r.key])[j] = x;
            }
            break;
        case param_ref::kind::speed:
            slot(speed)[j] = x;
            break;
        case param_ref::kind::noise_all:
            slot(noise_all)[j] = x;
            break;
        case param_ref::kind::noise_var:
            slot(noise_var[r.key])[j] = x;
            break;
        case param_ref::kind::seed:
            slot(seed)[j] = x;
            break;
        case param_ref::kind::initial:
            slot(ic)[j] = x;
            break;
        case param_ref::kind::sample:
            break;
        case param_ref::kind::bold:
            break; // the observation, not the engine (bold_instance_constants)
        }
    };
    for (std::size_t j = 0; j < count; ++j) {
        const auto idx = grid_index(s, first + j);
        for (std::size_t a = 0; a < s.axes.size(); ++a) {
            const param_ref& r = s.axis_refs[a];
            const double x = s.axes[a].values[idx[a]];
            if (r.k == param_ref::kind::sample) {
                for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
                    apply(s.sampler.params[d], s.sampler.values[d][idx[a]], j);
            } else {
                apply(r, x, j);
            }
        }
    }

    for (auto& [key, v] : whole) b.params[key] = field::per_instance(std::move(v));
    for (auto& [key, nodes] : entry) {
        field base;
        if (auto it = b.params.find(key); it != b.params.end()) {
            base = it->second;
        } else {
            const std::string bare = key.substr(key.find('.') + 1);
            const param_info* p =
                key.rfind("model.", 0) == 0 ? find_param(m.params, bare) : find_param(ci.params, bare);
            base = field::scalar(p ? p->value : 0.0);
        }
        if (base.k == field::kind::per_node && base.v.size() != n)
            throw input_error(where_of(s, key) + ": has " + std::to_string(base.v.size()) +
                              " values, the network has " + std::to_string(n) + " nodes");
        std::vector<double> v(n * count);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < count; ++j) v[i * count + j] = base.at(i, j, count);
        for (const auto& [node, vals] : nodes)
            for (std::size_t j = 0; j < count; ++j) v[std::size_t(node) * count + j] = vals[j];
        b.params[key] = field::per_node_instance(std::move(v));
    }
    if (!speed.empty()) b.speed_per_instance = std::move(speed);
    if (!seed.empty()) {
        b.seed_per_instance.resize(count);
        for (std::size_t j = 0; j < count; ++j) b.seed_per_instance[j] = std::uint64_t(seed[j]);
    }
    if (!noise_all.empty()) {
        double ref = 0;
        for (const auto& [var, sig] : s.noise_sigma) ref = std::max(ref, sig);
        for (const auto& [var, sig] : s.noise_sigma) {
            const double rel = ref > 0 ? sig / ref : 1.0;
            std::vector<double> v(count);
            for (std::size_t j = 0; j < count; ++j) v[j] = noise_all[j] * rel;
            b.params["noise." + var] = field::per_instance(std::move(v));
        }
    }
    for (auto& [key, v] : noise_var) b.params[key] = field::per_instance(std::move(v));

    const bool ic_swept = !ic.empty();
    if (ic_swept || n_initial_sets(s) > 1 || !s.initial.values.empty() || !s.initial.table.empty()) {
        const auto sets = initial_sets(s, net);
        if (!ic_swept) {
            b.initial = sets[0];
        } else {
            for (const auto& st : m.states) {
                const std::string name = st.name;
                bool all_scalar = true;
                for (const auto& set : sets) all_scalar = all_scalar && !set.at(name).varies_over_nodes();
                if (all_scalar) {
                    std::vector<double> v(count);
                    for (std::size_t j = 0; j < count; ++j) v[j] = sets[std::size_t(ic[j])].at(name).v[0];
                    b.initial[name] = field::per_instance(std::move(v));
                } else {
                    std::vector<double> v(n * count);
                    for (std::size_t j = 0; j < count; ++j) {
                        const field& f = sets[std::size_t(ic[j])].at(name);
                        for (std::size_t i = 0; i < n; ++i) v[i * count + j] = f.at(i, 0, 1);
                    }
                    b.initial[name] = field::per_node_instance(std::move(v));
                }
            }
        }
    }
    return b;
}

estimate estimate_cost(const sweep_spec& s, const connectome& net, std::size_t real_size) {
    const model_info& m = find_model(s.model);
    const coupling_info ci = find_coupling(s.coupling, int(m.cvar.size()));
    const double n = double(net.n), R = double(real_size);
    const double N = double(n_points(s)), steps = double(n_steps(s));

    // Slowest speed of the run -> longest delay -> ring length.
    double vmin = s.speed;
    bool speed_swept = false;
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        if (s.axis_refs[a].k == param_ref::kind::speed) {
            speed_swept = true;
            for (double v : s.axes[a].values) vmin = std::min(vmin, v);
        }
    for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
        if (s.sampler.params[d].k == param_ref::kind::speed) {
            speed_swept = true;
            vmin = std::min(vmin, s.sampler.ranges[d][0]);
        }
    double maxlen = 0, nnz = 0;
    for (std::size_t k = 0; k < net.weights.size(); ++k)
        if (net.weights[k] != 0) {
            maxlen = std::max(maxlen, net.tract_lengths[k]);
            nnz += 1;
        }
    const int max_delay = delay_steps(maxlen, vmin, s.dt);
    double ring = 1;
    while (ring < max_delay + 2) ring *= 2;

    const double stages = s.method == scheme::euler ? 2 : s.method == scheme::heun ? 4 : 6;
    const double ncv = double(m.cvar.size()), ns = double(m.states.size());
    double per_inst = R * (ring * ncv * n + stages * ns * n);
    // Per-instance parameters and initial state.
    double swept = 0;
    auto count_ref = [&](const param_ref& r) {
        if (r.node_entry())
            swept += n;
        else if (r.k == param_ref::kind::initial)
            swept += ns * n;
        else
            swept += 1;
    };
    for (const auto& r : s.axis_refs)
        if (r.k != param_ref::kind::sample) count_ref(r);
    for (const auto& r : s.sampler.params) count_ref(r);
    per_inst += R * (swept + double(ci.params.size() + m.params.size()));
    if (speed_swept) per_inst += 4 * nnz; // per-instance integer delays
    // Reducer accumulators (double), a few per feature and node.
    per_inst += 8.0 * 3.0 * double(s.features.size()) * n;

    estimate e;
    e.bytes_per_instance = per_inst;
    e.total_bytes = per_inst * N;
    if (s.timeseries.enabled)
        e.total_bytes +=
            R * n * std::floor(steps / double(s.timeseries.every)) * double(s.timeseries.instances.size());
    e.node_steps = N * n * steps;
    return e;
}

sensor_model make_sensor_model(const sweep_spec& s, const sensor_spec& m, const connectome& net) {
    const std::string id = "output.sensors." + m.name;
    auto at = [&](const std::string& key) {
        auto it = s.where.find(id + "." + key);
        if (it != s.where.end()) return it->second;
        it = s.where.find(id);
        return it != s.where.end() ? it->second : s.path + ": [output.sensors] " + key;
    };
    sensor_model out;
    try {
        if (!m.sensors.empty()) out.sensors = observe::read_sensors(m.sensors);
    } catch (const input_error& e) {
        throw input_error(at("sensors") + ": " + e.what());
    }
    const std::size_t S = out.sensors.size();
    if (m.gain_file) {
        try {
            out.gain = observe::read_gain_matrix(m.gain, net.n);
        } catch (const input_error& e) {
            throw input_error(at("gain") + ": " + e.what());
        }
        if (S > 0) {
            if (out.gain.n_sensors != S)
                throw input_error(at("gain") + ": " + m.gain + " has " + std::to_string(out.gain.n_sensors) +
                                  " rows (sensors), but " + m.sensors + " has " + std::to_string(S) +
                                  " sensors");
            if (!out.gain.sensor_labels.empty() && out.gain.sensor_labels != out.sensors.labels)
                throw input_error(at("gain") + ": the sensor labels of " + m.gain + " differ from those of " +
                                  m.sensors + " (same sensors, same order expected)");
            out.gain.sensor_labels = out.sensors.labels;
        }
    } else {
        if (net.centres.empty())
            throw input_error(at("gain") + ": gain = \"" + m.gain +
                              "\" needs region centres, but the connectome (" + net.source +
                              ") has none (a TVB zip or folder with centres.txt, or synthetic:N)");
        observe::gain_options go;
        go.kind = m.gain;
        go.sigma = m.conductivity;
        if (m.gain != "inverse_square") {
            if (m.orientations == "connectome" && net.orientations.empty())
                throw input_error(at("orientations") + ": the connectome (" + net.source +
                                  ") has no region orientations (average_orientations.txt); use \"radial\"");
            if (m.orientations != "radial") go.orientations = net.orientations;
        } else if (m.region_weights == "areas") {
            if (net.areas.empty())
                throw input_error(at("region_weights") + ": the connectome (" + net.source +
                                  ") has no region areas (areas.txt); use \"none\"");
            go.region_weights = net.areas;
        }
        try {
            out.gain = observe::compute_gain(out.sensors, net.centres, go);
        } catch (const input_error& e) {
            throw input_error(at("gain") + ": " + e.what());
        }
    }
    if (!m.reference.empty()) {
        try {
            observe::rereference(out.gain, m.reference);
        } catch (const input_error& e) {
            throw input_error(at("reference") + ": " + e.what());
        }
    }
    return out;
}

std::vector<observe::bold_constants> bold_instance_constants(const sweep_spec& s, std::size_t first,
                                                             std::size_t count) {
    bool any = false;
    for (const auto& r : s.axis_refs) any = any || r.k == param_ref::kind::bold;
    for (const auto& r : s.sampler.params) any = any || r.k == param_ref::kind::bold;
    if (!any || !s.bold.enabled) return {};
    std::vector<observe::bold_constants> out;
    out.reserve(count);
    for (std::size_t j = 0; j < count; ++j) {
        const auto idx = grid_index(s, first + j);
        auto ov = s.bold.opt.overrides;
        for (std::size_t a = 0; a < s.axes.size(); ++a) {
            const param_ref& r = s.axis_refs[a];
            if (r.k == param_ref::kind::bold) ov[r.key.substr(5)] = s.axes[a].values[idx[a]];
            if (r.k == param_ref::kind::sample)
                for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
                    if (s.sampler.params[d].k == param_ref::kind::bold)
                        ov[s.sampler.params[d].key.substr(5)] = s.sampler.values[d][idx[a]];
        }
        out.push_back(observe::resolve_bold_constants(s.bold.opt.preset, ov));
    }
    return out;
}

} // namespace nms
