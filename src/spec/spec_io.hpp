#pragma once

// The spec reader's shared layer (src/spec/): toml11 values with file:line
// context (ctx, reader), and the section parsers parse_spec calls in order.
// One file per section; nothing here is public API (nmsweep/sweep/spec.hpp).

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/sweep/features.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "toml_guard.hpp"

#include <toml.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace nms::spec_io {

namespace fs = std::filesystem;
using tval = toml::value;

std::string num(double x);

// A path naming an HDF5 file (.h5, .hdf5): its dataset must be named.
bool is_hdf5(const std::string& path);
// A short rendering of a TOML value for messages.
std::string show(const tval& v, int depth = 0);
std::string type_name(const tval& v);
// Table entries in file order (toml11 stores tables unordered).
std::vector<std::pair<std::string, const tval*>> entries(const tval& t);

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
    // An optional integer key in [lo, hi]: dst keeps its default when absent.
    void integer_in(const char* key, long& dst, long lo, long hi) const {
        if (const tval* v = get(key)) {
            dst = integer(*v, key);
            if (dst < lo || dst > hi)
                c.fail(*v, section, key, "must be in " + std::to_string(lo) + " .. " + std::to_string(hi));
        }
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

// Reproducible uniform deviates (portable, unlike std:: distributions:
// mt19937_64's output is fixed by the standard).
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

std::vector<std::string> state_names(const model_info& m);
std::vector<std::string> param_names(const std::vector<param_info>& ps);
int state_index(const model_info& m, const std::string& name);
const param_info* find_param(const std::vector<param_info>& ps, const std::string& name);
bool contains(const std::vector<std::string>& v, const std::string& x);
// A path relative to the spec's folder.
std::string resolve_path(const ctx& c, const std::string& p);

// Coefficients of a linear combination of state variables (and of their
// sines and cosines): observable.cpp. err says what is wrong when empty.
std::vector<double> parse_observable(const std::string& text, const model_info& m, std::string& err);

// The tokens of one row of a small text table (node_file.cpp): '#' starts
// a comment; commas, semicolons and tabs separate like blanks (*separators:
// whether the row had a comma or semicolon). is_number: a whole token is one.
std::vector<std::string> row_tokens(std::string line, bool* separators = nullptr);
bool is_number(const std::string& t, double* x);

// A per-node parameter from a file (node_file.cpp): { file = "x0.csv" } with
// one value per row in node order (or an .npy vector), or rows "label value"
// with an optional default = x; the latter kept in s.node_tables[name] (its
// field, returned, is a placeholder until resolve_node_tables).
field parse_node_file(const ctx& c, const tval& v, const std::string& section, const std::string& key,
                      const std::string& name, sweep_spec& s);

// Per-node initial tables (initial_section.cpp).
std::vector<std::vector<double>> parse_ic_table(const std::string& text, const std::string& path,
                                                const model_info& m);

// The model and coupling, known once [model] and [coupling] are read.
struct parsed_ctx {
    const model_info* m = nullptr;
    coupling_info ci;
};

// A swept name with where it was written.
struct located_ref {
    param_ref r;
    const tval* v;
    std::string section, key;
};

// Every constant name of every BOLD preset (sweepable as bold.<name>).
std::vector<std::string> all_bold_constants();

// The message prefix for a key noted while parsing, or the file alone.
std::string where_of(const sweep_spec& s, const std::string& key);
// Warnings (sweep_spec::warnings) for model parameter values far outside
// their plausible domain (domain_checks.cpp).
void check_domains(sweep_spec& s);

// The sections, in the order parse_spec reads them.
void parse_model(const ctx& c, const tval& root, sweep_spec& s, parsed_ctx& P);
void parse_coupling(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P);
void parse_network(const ctx& c, const tval& root, sweep_spec& s);
void parse_integrator(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P);
void parse_initial(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P);
void parse_sampler(const ctx& c, const tval& root, sweep_spec& s, std::vector<located_ref>& all_refs);
void parse_sweeps(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P,
                  std::vector<located_ref>& all_refs);
void check_conflicts(const ctx& c, const std::vector<located_ref>& refs, const sweep_spec& s);
// [[stimulus]] tables (stimulus_section.cpp), read before the axes; a swept
// stimulus property's values checked as the engine will check them.
void parse_stimuli(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P);
void check_stimulus_axis(const ctx& c, const located_ref& lr, const std::vector<double>& values,
                         const sweep_spec& s);
// A [[sweep]] table's ez = { ... } (ez_axis.cpp): appends to s.hypotheses
// and returns the axis (values 0..H-1, or {0} until resolve_hypotheses when
// H needs the network). `ref` is the parameter; it becomes the axis's ref.
axis parse_ez(const ctx& c, const tval& ez, param_ref& ref, sweep_spec& s);
// Whether the grid's size is known only once the network is (an ez axis
// over regions = "all"): parse-time checks of instance indices wait.
bool grid_pending(const sweep_spec& s);
// A [[sweep]] table's lesion = { ... } (lesion_axis.cpp): appends to
// s.lesions and returns the axis (values 0..L-1, or {0} until
// resolve_lesions for each = "all"); `ref` becomes the axis's ref.
axis parse_lesion(const ctx& c, const tval& lesion, param_ref& ref, sweep_spec& s);
// Shared by the ez and lesion axes (ez_axis.cpp): the node a region label
// names, or an input_error "AT: ... (value \"label\")" with a did-you-mean;
// a node's label (its index when the network has none); the grid's size
// and the time series' instances, once every axis has its size.
std::size_t node_named(const std::string& label, const connectome& net, const std::string& at);
// An index axis's optional name = "..." in its table (`key`: "ez", "lesion";
// `name` holds the default): letters, digits and '_', not another axis's.
void parse_axis_name(const ctx& c, const reader& r, const tval& table, const std::string& key,
                     std::string& name, const sweep_spec& s);
std::string label_of(const connectome& net, std::size_t i);
void check_grid(const sweep_spec& s);
void parse_output(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P);
// Below [output]: analysis_options.cpp, observation_section.cpp.
void parse_analysis(const ctx& c, const reader& r, sweep_spec& s);
// seizure_section.cpp: [output.seizure] over the model's rule, and one
// detector table's keys over `o` (pre: the keys' prefix in messages).
void parse_seizure(const ctx& c, const reader& r, sweep_spec& s);
// [output.entrainment] and the stimulus the entrainment features observe (entrainment_options.cpp).
void parse_entrainment(const ctx& c, const reader& r, sweep_spec& s);
void parse_stability(const ctx& c, const reader& r, sweep_spec& s);
void parse_controllability(const ctx& c, const reader& r, sweep_spec& s);
void parse_continuation(const ctx& c, const tval& root, sweep_spec& s);
void parse_control(const ctx& c, const tval& root, sweep_spec& s);
void parse_fit(const ctx& c, const tval& root, sweep_spec& s);
void parse_seizure_table(const ctx& c, const tval& tv, const std::string& sec, const std::string& pre,
                         seizure_options& o, bool network_keys);
void parse_bold(const ctx& c, const tval* tv, sweep_spec& s, const parsed_ctx& P);
void parse_sensors(const ctx& c, const reader& r, sweep_spec& s, const parsed_ctx& P);
// evoked_options.cpp: [output.evoked], and the stimulus evoked features need.
void parse_evoked(const ctx& c, const reader& r, sweep_spec& s);

} // namespace nms::spec_io
