// [[sweep]] ez = { ... }: axes of epileptogenic-zone hypotheses, each value a
// whole per-node parameter vector. Parsed here without the network; the
// regions are resolved against it by resolve_hypotheses (load_spec).
#include "spec_io.hpp"

#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"

#include <cctype>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

namespace nms::spec_io {

namespace {

// More would make the hypotheses' tables (H x nodes, in memory and in the
// result) larger than the runs are useful: draw some with n instead.
constexpr std::uint64_t max_hypotheses = 1000000;

// C(m, k), saturated at max_hypotheses + 1 (C(m-k+i, i) grows with i).
std::uint64_t n_subsets(std::size_t m, std::size_t k) {
    if (k > m) return 0;
    std::uint64_t c = 1;
    for (std::size_t i = 1; i <= std::min(k, m - k); ++i) {
        c = c * std::uint64_t(m - std::min(k, m - k) + i) / i;
        if (c > max_hypotheses) return max_hypotheses + 1;
    }
    return c;
}

std::string key_of(const hypothesis_axis& h, const std::string& k) { return "sweep." + h.name + ".ez." + k; }

// Rows of region labels (the zone of that row) or of numbers (the whole
// vector in node order, checked against the network later); '#' comments,
// CSV or whitespace. Errors name file:line.
void parse_hypothesis_rows(const std::string& text, const std::string& path, hypothesis_axis& h,
                           std::vector<std::vector<double>>& numeric) {
    std::istringstream f(text);
    std::string line;
    int lineno = 0, first = 0;
    while (std::getline(f, line)) {
        ++lineno;
        bool separators = false; // "," alone is an empty row, a blank line is not
        const std::vector<std::string> tok = row_tokens(line, &separators);
        const std::string at = path + ":" + std::to_string(lineno);
        if (tok.empty()) {
            if (separators) throw input_error(at + ": an empty row (no regions)");
            continue;
        }
        std::vector<double> x(tok.size());
        bool num = true;
        for (std::size_t i = 0; i < tok.size(); ++i) num = num && is_number(tok[i], &x[i]);
        if (first && num != !numeric.empty())
            throw input_error(at + ": a row of " + (num ? "numbers" : "region labels") +
                              " in a file whose rows " + (num ? "name regions" : "are numbers") +
                              " (from line " + std::to_string(first) + ")");
        if (!first) first = lineno;
        h.file_lines.push_back(lineno);
        if (num) {
            for (std::size_t i = 0; i < x.size(); ++i)
                if (!std::isfinite(x[i])) throw input_error(at + ": not a finite number: '" + tok[i] + "'");
            numeric.push_back(std::move(x));
            continue;
        }
        for (std::size_t i = 0; i < tok.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (tok[i] == tok[j])
                    throw input_error(at + ": region '" + tok[i] + "' twice in one hypothesis");
        h.file_labels.push_back(std::move(tok));
    }
    if (h.file_lines.empty()) throw input_error(path + ": no hypotheses (one per row)");
}

// ez.file: a text file or an .npy [H, N] array (float64 or float32).
void read_hypothesis_file(hypothesis_axis& h) {
    std::vector<std::vector<double>> numeric;
    if (fs::path(h.file).extension() == ".npy") {
        std::size_t rows = 0, cols = 0;
        const auto m = read_npy_matrix(h.file, "hypotheses", &rows, &cols);
        for (std::size_t r = 0; r < rows; ++r) {
            numeric.emplace_back(m.begin() + long(r * cols), m.begin() + long((r + 1) * cols));
            h.file_lines.push_back(int(r + 1));
        }
        if (rows == 0) throw input_error(h.file + ": no hypotheses (one per row)");
    } else {
        parse_hypothesis_rows(read_input_file(h.file, "hypothesis file"), h.file, h, numeric);
    }
    h.rows = std::move(numeric);
}

// ez.regions: "all", or labels and node indices.
void parse_regions(const ctx& c, const reader& r, const tval& v, hypothesis_axis& h) {
    if (v.is_string()) {
        if (v.as_string().str != "all")
            c.fail(v, "sweep", "ez.regions", "expected \"all\" or a list of region labels and node indices");
        h.all = true;
        return;
    }
    const auto& a = r.array(v, "ez.regions");
    if (a.empty()) c.fail(v, "sweep", "ez.regions", "an empty candidate set");
    for (const auto& e : a) {
        if (e.is_string()) {
            h.regions.push_back(e.as_string().str);
            h.region_nodes.push_back(-1);
        } else {
            const long i = r.integer(e, "ez.regions");
            if (i < 0) c.fail(e, "sweep", "ez.regions", "a node index must be >= 0");
            h.regions.emplace_back();
            h.region_nodes.push_back(i);
        }
        for (std::size_t j = 0; j + 1 < h.regions.size(); ++j)
            if (h.regions[j] == h.regions.back() && h.region_nodes[j] == h.region_nodes.back())
                c.fail(e, "sweep", "ez.regions", "a candidate listed twice");
        h.region_at.push_back(c.prefix(e, "sweep", "ez.regions"));
    }
}

// The axis's values: 0..H-1 once H is known (from the network for "all").
std::vector<double> indices(std::size_t n) {
    std::vector<double> v(n);
    std::iota(v.begin(), v.end(), 0.0);
    return v;
}

// k, n and seed against the candidates (m of them, 0 while unknown).
std::size_t check_counts(const ctx& c, const reader& r, const hypothesis_axis& h, std::size_t m) {
    const tval* kv = r.get("k");
    const tval* nv = r.get("n");
    if (kv && m && std::size_t(h.k) > m)
        c.fail(*kv, "sweep", "ez.k", "more than the " + std::to_string(m) + " candidate regions");
    const std::uint64_t subsets = m ? n_subsets(m, std::size_t(h.k)) : 0;
    if (nv && m && h.n_random > subsets)
        c.fail(*nv, "sweep", "ez.n",
               "more than the " + std::to_string(subsets) + " distinct " + std::to_string(h.k) +
                   "-subsets of the " + std::to_string(m) + " candidate regions");
    if (h.n_random) return h.n_random;
    if (m && subsets > max_hypotheses)
        c.fail(kv ? *kv : r.need("regions"), "sweep", kv ? "ez.k" : "ez.regions",
               "every " + std::to_string(h.k) + "-subset of " + std::to_string(m) + " regions is more than " +
                   std::to_string(max_hypotheses) + " hypotheses; draw some with n = ... and seed = ...");
    return m ? std::size_t(subsets) : 1;
}

} // namespace

bool grid_pending(const sweep_spec& s) {
    for (const auto& h : s.hypotheses)
        if (!h.resolved && h.all && !h.n_random) return true;
    for (const auto& l : s.lesions)
        if (!l.resolved && l.each_all) return true;
    return false;
}

axis parse_ez(const ctx& c, const tval& ez, param_ref& ref, sweep_spec& s) {
    if (!ez.is_table())
        c.fail(ez, "sweep", "ez",
               "expected a table { regions = ..., k = ..., value = ... } or { file = ... }");
    reader r(c, "sweep", ez);
    const std::vector<std::string> keys{"regions", "k", "n", "seed", "value", "base", "file", "name"};
    for (const auto& [k, v] : entries(ez))
        if (!contains(keys, k)) c.fail(*v, "sweep", "ez." + k, "unknown key" + did_you_mean(k, keys), false);
    hypothesis_axis h;
    h.key = ref.key;
    h.name = "ez";
    parse_axis_name(c, r, ez, "ez", h.name, s);
    for (const auto& [k, v] : entries(ez)) c.note(key_of(h, k), *v, "sweep", "ez." + k);
    if (const tval* v = r.get("value")) h.value = r.finite(*v, "ez.value"), h.has_value = true;
    if (const tval* v = r.get("base")) h.base = r.finite(*v, "ez.base"), h.has_base = true;
    const tval* rv = r.get("regions");
    const tval* fv = r.get("file");
    if (rv && fv) c.fail(*fv, "sweep", "ez.file", "give regions or file, not both", false);
    if (!rv && !fv)
        c.fail(ez, "sweep", "ez", "give regions = \"all\" | [labels or node indices], or file = \"...\"",
               false);
    std::size_t n_hyp = 0;
    if (fv) {
        for (const char* k : {"k", "n", "seed"})
            if (const tval* v = r.get(k))
                c.fail(*v, "sweep", std::string("ez.") + k,
                       "only with regions (a file lists the hypotheses)");
        h.file = resolve_path(c, r.str(*fv, "ez.file"));
        try {
            read_hypothesis_file(h);
        } catch (const input_error& e) {
            c.fail(*fv, "sweep", "ez.file", e.what(), false);
        }
        const tval* vb = r.get("value") ? r.get("value") : r.get("base");
        if (!h.rows.empty() && vb)
            c.fail(*vb, "sweep", r.get("value") ? "ez.value" : "ez.base",
                   "the rows of " + h.file +
                       " are whole vectors; value and base apply to rows naming regions");
        n_hyp = h.file_lines.size();
    } else {
        parse_regions(c, r, *rv, h);
        if (const tval* v = r.get("k")) {
            h.k = r.integer(*v, "ez.k");
            if (h.k < 1) c.fail(*v, "sweep", "ez.k", "must be >= 1 (regions per hypothesis)");
        }
        if (const tval* v = r.get("n")) {
            const long n = r.integer(*v, "ez.n");
            if (n < 1) c.fail(*v, "sweep", "ez.n", "must be >= 1");
            if (std::uint64_t(n) > max_hypotheses)
                c.fail(*v, "sweep", "ez.n", "more than " + std::to_string(max_hypotheses) + " hypotheses");
            h.n_random = std::size_t(n);
        }
        if (const tval* v = r.get("seed")) {
            if (!h.n_random) c.fail(*v, "sweep", "ez.seed", "only with n (random hypotheses)");
            const long x = r.integer(*v, "ez.seed");
            if (x < 0) c.fail(*v, "sweep", "ez.seed", "must be >= 0");
            h.seed = std::uint64_t(x);
        }
        n_hyp = check_counts(c, r, h, h.all ? 0 : h.regions.size());
    }
    if (h.rows.empty() && !h.has_value)
        c.fail(ez, "sweep", "ez.value", "required: the parameter's value in the zone's regions", false);
    ref.k = param_ref::kind::hypothesis;
    ref.name = h.name;
    axis ax;
    ax.name = h.name;
    ax.values = indices(n_hyp);
    s.hypotheses.push_back(std::move(h));
    return ax;
}

// The node a region label names, or an input_error "AT: ... (value "x")".
void parse_axis_name(const ctx& c, const reader& r, const tval& table, const std::string& key, std::string& name,
                     const sweep_spec& s) {
    if (const tval* v = r.get("name")) {
        name = r.str(*v, key + ".name");
        const bool ok = !name.empty() && !std::isdigit((unsigned char)name[0]) &&
                        std::all_of(name.begin(), name.end(),
                                    [](char ch) { return std::isalnum((unsigned char)ch) || ch == '_'; });
        if (!ok) c.fail(*v, "sweep", key + ".name", "an axis name is letters, digits and '_' (not first a digit)");
        if (name == "node" || name == "sample" || name == "initial")
            c.fail(*v, "sweep", key + ".name", "'" + name + "' is the name of another axis");
    }
    for (const auto& a : s.axes)
        if (a.name == name)
            c.fail(r.get("name") ? *r.get("name") : table, "sweep", key + ".name",
                   "a second axis named '" + name + "': give this one another name = \"...\"", false);
}

std::size_t node_named(const std::string& label, const connectome& net, const std::string& at) {
    if (net.labels.empty())
        throw input_error(at + ": the network (" + net.source +
                          ") has no region labels; give node indices (value \"" + label + "\")");
    const auto it = std::find(net.labels.begin(), net.labels.end(), label);
    if (it == net.labels.end())
        throw input_error(at + ": region '" + label + "' is not in the network (" + net.source + ")" +
                          did_you_mean(label, net.labels) + " (value \"" + label + "\")");
    return std::size_t(it - net.labels.begin());
}

std::string label_of(const connectome& net, std::size_t i) {
    return net.labels.empty() ? std::to_string(i) : net.labels[i];
}

// The run's grid, once every axis has its size.
void check_grid(const sweep_spec& s) {
    if (grid_pending(s)) return; // (another axis's size is not known yet)
    double total = 1;
    for (const auto& a : s.axes) total *= double(a.values.size());
    if (total > 1e15) throw input_error(s.path + ": the grid has " + num(total) + " points, too many");
    if (!s.timeseries.enabled) return;
    for (std::size_t i : s.timeseries.instances)
        if (i >= n_points(s))
            throw input_error(where_of(s, "output.timeseries") + ": instance " + std::to_string(i) +
                              " outside the grid 0.." + std::to_string(n_points(s) - 1));
}

} // namespace nms::spec_io

namespace nms {

using namespace spec_io;

namespace {

// The candidate nodes, in the order written.
std::vector<std::size_t> candidates(const hypothesis_axis& h, const connectome& net) {
    std::vector<std::size_t> out;
    if (h.all) {
        for (std::size_t i = 0; i < net.n; ++i) out.push_back(i);
        return out;
    }
    for (std::size_t c = 0; c < h.regions.size(); ++c) {
        std::size_t i = 0;
        if (h.region_nodes[c] < 0) {
            i = node_named(h.regions[c], net, h.region_at[c]);
        } else if (std::size_t(h.region_nodes[c]) >= net.n) {
            throw input_error(h.region_at[c] + ": node index outside 0.." + std::to_string(net.n - 1) +
                              " (the network has " + std::to_string(net.n) + " nodes) (value " +
                              std::to_string(h.region_nodes[c]) + ")");
        } else {
            i = std::size_t(h.region_nodes[c]);
        }
        if (const auto it = std::find(out.begin(), out.end(), i); it != out.end())
            throw input_error(h.region_at[c] + ": region '" + label_of(net, i) + "' (node " +
                              std::to_string(i) + ") is a candidate twice (value " +
                              (h.region_nodes[c] < 0 ? "\"" + h.regions[c] + "\"" : std::to_string(i)) + ")");
        out.push_back(i);
    }
    return out;
}

// Every k-subset of 0..m-1, in lexicographic order.
std::vector<std::vector<std::size_t>> all_subsets(std::size_t m, std::size_t k) {
    std::vector<std::vector<std::size_t>> out;
    std::vector<std::size_t> idx(k);
    std::iota(idx.begin(), idx.end(), std::size_t(0));
    for (;;) {
        out.push_back(idx);
        std::size_t i = k;
        while (i > 0 && idx[i - 1] == m - k + i - 1) --i;
        if (i == 0) return out;
        ++idx[i - 1];
        for (std::size_t j = i; j < k; ++j) idx[j] = idx[j - 1] + 1;
    }
}

// n distinct random k-subsets of 0..m-1 (each sorted), from the seed alone:
// Floyd's sampling with the spec reader's portable generator, duplicates
// drawn again; when n is more than half of them, a random choice among all.
std::vector<std::vector<std::size_t>> random_subsets(std::size_t m, std::size_t k, std::size_t n,
                                                     std::uint64_t total, std::uint64_t seed) {
    uniform_gen g(seed);
    if (2 * std::uint64_t(n) > total) {
        auto all = all_subsets(m, k);
        for (std::size_t i = 0; i < n; ++i) std::swap(all[i], all[i + g.below(all.size() - i)]);
        all.resize(n);
        return all;
    }
    std::vector<std::vector<std::size_t>> out;
    std::set<std::vector<std::size_t>> seen;
    while (out.size() < n) {
        std::vector<std::size_t> x;
        for (std::size_t j = m - k; j < m; ++j) {
            std::size_t t = std::size_t(g.below(j + 1));
            if (std::binary_search(x.begin(), x.end(), t)) t = j;
            x.insert(std::lower_bound(x.begin(), x.end(), t), t);
        }
        if (seen.insert(x).second) out.push_back(std::move(x));
    }
    return out;
}

// Subset hypotheses from regions, k, n and seed.
void resolve_regions(const sweep_spec& s, hypothesis_axis& h, const connectome& net) {
    const auto cand = candidates(h, net);
    const std::size_t m = cand.size(), k = std::size_t(h.k);
    if (k > m)
        throw input_error(where_of(s, key_of(h, "k")) + ": more than the " + std::to_string(m) +
                          " candidate regions of the network (" + net.source + ") (value " +
                          std::to_string(k) + ")");
    const std::uint64_t total = n_subsets(m, k);
    if (h.n_random > total)
        throw input_error(where_of(s, key_of(h, "n")) + ": more than the " + std::to_string(total) +
                          " distinct " + std::to_string(k) + "-subsets of the " + std::to_string(m) +
                          " candidate regions (value " + std::to_string(h.n_random) + ")");
    if (!h.n_random && total > max_hypotheses)
        throw input_error(where_of(s, key_of(h, s.where.count(key_of(h, "k")) ? "k" : "regions")) +
                          ": every " + std::to_string(k) + "-subset of " + std::to_string(m) +
                          " regions is more than " + std::to_string(max_hypotheses) +
                          " hypotheses; draw some with n = ... and seed = ... (value " + std::to_string(k) +
                          ")");
    auto subsets = h.n_random ? random_subsets(m, k, h.n_random, total, h.seed) : all_subsets(m, k);
    for (auto& x : subsets) {
        for (auto& i : x) i = cand[i];
        h.members.push_back(std::move(x));
    }
}

// Hypotheses from a file's rows of labels.
void resolve_label_rows(const sweep_spec& s, hypothesis_axis& h, const connectome& net) {
    for (std::size_t r = 0; r < h.file_labels.size(); ++r) {
        const std::string at =
            where_of(s, key_of(h, "file")) + ": " + h.file + ":" + std::to_string(h.file_lines[r]);
        std::vector<std::size_t> x;
        for (const auto& l : h.file_labels[r]) x.push_back(node_named(l, net, at));
        h.members.push_back(std::move(x));
    }
}

// Hypotheses from a file's rows of numbers: the zone is where a row differs
// from its most common value (ties: the one that comes first in the row).
void resolve_numeric_rows(const sweep_spec& s, hypothesis_axis& h, const connectome& net) {
    for (std::size_t r = 0; r < h.rows.size(); ++r) {
        const auto& row = h.rows[r];
        if (row.size() != net.n)
            throw input_error(where_of(s, key_of(h, "file")) + ": " + h.file + ":" +
                              std::to_string(h.file_lines[r]) + ": expected " + std::to_string(net.n) +
                              " values (one per node of " + net.source + "), got " +
                              std::to_string(row.size()));
        std::map<double, std::size_t> count;
        for (double x : row) ++count[x];
        double mode = row[0];
        for (double x : row)
            if (count[x] > count[mode]) mode = x;
        std::vector<std::size_t> x;
        for (std::size_t i = 0; i < row.size(); ++i)
            if (row[i] != mode) x.push_back(i);
        h.members.push_back(std::move(x));
        h.labels.push_back("row " + std::to_string(h.file_lines[r]));
    }
}

// Outside the zone: base, else the parameter as the spec gives it, else its default.
std::vector<double> base_vector(const sweep_spec& s, const hypothesis_axis& h, const connectome& net) {
    if (h.has_base) return std::vector<double>(net.n, h.base);
    if (auto it = s.params.find(h.key); it != s.params.end()) {
        const field& f = it->second;
        if (f.k == field::kind::per_node && f.v.size() != net.n)
            throw input_error(where_of(s, h.key) + ": has " + std::to_string(f.v.size()) +
                              " values, but the network (" + net.source + ") has " + std::to_string(net.n) +
                              " nodes");
        std::vector<double> v(net.n);
        for (std::size_t i = 0; i < net.n; ++i) v[i] = f.at(i, 0, 1);
        return v;
    }
    const model_info& m = find_model(s.model);
    const std::string bare = h.key.substr(h.key.find('.') + 1);
    const param_info* p = h.key.rfind("model.", 0) == 0
                              ? find_param(m.params, bare)
                              : find_param(find_coupling(s.coupling, int(m.cvar.size())).params, bare);
    return std::vector<double>(net.n, p ? p->value : 0.0);
}

} // namespace

std::vector<double> hypothesis_axis::vector_of(std::size_t h) const {
    if (!rows.empty()) return rows[h];
    std::vector<double> v = base_values;
    for (std::size_t i : members[h]) v[i] = value;
    return v;
}

const hypothesis_axis* find_hypotheses(const sweep_spec& s, const std::string& name) {
    for (const auto& h : s.hypotheses)
        if (h.name == name) return &h;
    return nullptr;
}

void resolve_hypotheses(sweep_spec& s, const connectome& net) {
    for (auto& h : s.hypotheses) {
        if (h.resolved) continue;
        h.members.clear();
        h.labels.clear();
        if (!h.rows.empty()) {
            resolve_numeric_rows(s, h, net);
        } else {
            if (h.file.empty())
                resolve_regions(s, h, net);
            else
                resolve_label_rows(s, h, net);
            h.base_values = base_vector(s, h, net);
            for (const auto& x : h.members) {
                std::string l;
                for (std::size_t i : x) l += (l.empty() ? "" : "+") + label_of(net, i);
                h.labels.push_back(l);
            }
        }
        h.resolved = true;
        for (std::size_t a = 0; a < s.axes.size(); ++a)
            if (s.axis_refs[a].k == param_ref::kind::hypothesis && s.axis_refs[a].name == h.name)
                s.axes[a].values = indices(h.size());
    }
    check_grid(s);
}

} // namespace nms
