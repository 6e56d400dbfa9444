// [[sweep]] lesion = { ... }: an axis of virtual resections, each value a set
// of removed regions and cut tracts. Parsed here without the network;
// resolve_lesions (load_spec) resolves the regions against it and refuses
// lesions that change nothing, or leave nothing.
#include "spec_io.hpp"

#include "nmsweep/io/input_file.hpp"

#include <cctype>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

namespace nms::spec_io {

namespace {

using element = lesion_axis::element;
using site = lesion_axis::site;

// "sweep.<name>.lesion[.<key>]": where s.where keeps the axis's keys.
std::string key_of(const lesion_axis& l, const std::string& k) {
    return "sweep." + l.name + ".lesion" + (k.empty() ? "" : "." + k);
}

bool same_site(const site& a, const site& b) { return a.label == b.label && a.node == b.node; }

// A region as written: a label or a node index.
site parse_site(const ctx& c, const reader& r, const tval& v, const std::string& key) {
    site out;
    if (v.is_string()) {
        out.label = v.as_string().str;
        if (out.label.empty()) c.fail(v, "sweep", key, "an empty region label");
        return out;
    }
    if (!v.is_integer() && !v.is_floating())
        c.fail(v, "sweep", key, "expected a region label or a node index, got " + type_name(v));
    out.node = r.integer(v, key);
    if (out.node < 0) c.fail(v, "sweep", key, "a node index must be >= 0");
    return out;
}

element region_element(const ctx& c, const reader& r, const tval& v, const std::string& key) {
    element e;
    e.a = parse_site(c, r, v, key);
    e.at = c.prefix(v, "sweep", key);
    e.as_put = show(v);
    return e;
}

// A tract [a, b], as written.
element tract_element(const ctx& c, const reader& r, const tval& v, const std::string& key) {
    const auto& p = r.array(v, key);
    if (p.size() != 2) c.fail(v, "sweep", key, "a tract is a pair [a, b] of region labels or node indices");
    element e;
    e.tract = true;
    e.a = parse_site(c, r, p[0], key);
    e.b = parse_site(c, r, p[1], key);
    if (same_site(e.a, e.b)) c.fail(v, "sweep", key, "a tract joins two different regions");
    e.at = c.prefix(v, "sweep", key);
    e.as_put = show(v);
    return e;
}

// The same region or tract (either direction) twice in one value, as written.
bool repeated(const std::vector<element>& value, const element& e) {
    for (const auto& x : value)
        if (x.tract == e.tract && ((same_site(x.a, e.a) && (!e.tract || same_site(x.b, e.b))) ||
                                   (e.tract && same_site(x.a, e.b) && same_site(x.b, e.a))))
            return true;
    return false;
}

// regions = [[...], ...] or tracts = [[[a, b], ...], ...]: one value per inner list.
void parse_values(const ctx& c, const reader& r, const tval& v, const std::string& key, lesion_axis& l) {
    const auto& outer = r.array(v, key);
    if (outer.empty()) c.fail(v, "sweep", key, "no lesions (one list per value; [] is the intact network)");
    const bool tracts = key == "lesion.tracts";
    for (const auto& inner : outer) {
        if (!inner.is_array())
            c.fail(inner, "sweep", key,
                   tracts
                       ? "each value is a list of tracts: [[\"a\", \"b\"], ...]"
                       : "each value is a list of regions: [[\"rHC\"], [\"rAMYG\", \"rPHC\"]] (one value per "
                         "region: each = [...])");
        std::vector<element> value;
        for (const auto& x : inner.as_array()) {
            const element e = tracts ? tract_element(c, r, x, key) : region_element(c, r, x, key);
            if (repeated(value, e))
                c.fail(x, "sweep", key,
                       std::string(tracts ? "a tract" : "a region") + " listed twice in one lesion");
            value.push_back(e);
        }
        l.written.push_back(std::move(value));
        l.value_at.push_back(c.prefix(inner, "sweep", key));
    }
}

// each = "all" | [...]: one value per candidate region.
void parse_each(const ctx& c, const reader& r, const tval& v, lesion_axis& l) {
    if (v.is_string()) {
        if (v.as_string().str != "all")
            c.fail(v, "sweep", "lesion.each", "expected \"all\" or a list of region labels and node indices");
        l.each_all = true;
        return;
    }
    const auto& a = r.array(v, "lesion.each");
    if (a.empty()) c.fail(v, "sweep", "lesion.each", "an empty candidate set");
    for (const auto& x : a) {
        const element e = region_element(c, r, x, "lesion.each");
        for (const auto& w : l.written)
            if (same_site(w[0].a, e.a)) c.fail(x, "sweep", "lesion.each", "a candidate listed twice");
        l.written.push_back({e});
        l.value_at.push_back(e.at);
    }
}

// One token of a lesion file: a region, or a tract "a--b" (labels may hold
// single dashes: FreeSurfer's "ctx-lh-insula").
site file_site(const std::string& t, const std::string& at) {
    if (t.empty()) throw input_error(at + ": a tract needs two regions, as a--b");
    site s;
    if (std::all_of(t.begin(), t.end(), [](char ch) { return std::isdigit((unsigned char)ch); }))
        s.node = std::stol(t);
    else
        s.label = t;
    return s;
}

// file: one lesion per row, regions and a--b tracts separated by commas or
// blanks, '#' comments. Errors name file:line.
void parse_lesion_rows(const std::string& text, const std::string& where, lesion_axis& l) {
    std::istringstream f(text);
    std::string line;
    int lineno = 0;
    while (std::getline(f, line)) {
        ++lineno;
        if (auto c = line.find('#'); c != std::string::npos) line.resize(c);
        bool separators = false;
        for (char& ch : line) {
            separators = separators || ch == ',' || ch == ';';
            if (ch == ',' || ch == ';' || ch == '\t' || ch == '\r') ch = ' ';
        }
        const std::string at = where + ": " + l.file + ":" + std::to_string(lineno);
        std::istringstream is(line);
        std::vector<element> value;
        for (std::string tok; is >> tok;) {
            element e;
            e.at = at;
            e.as_put = "\"" + tok + "\"";
            const auto dash = tok.find("--");
            e.tract = dash != std::string::npos;
            e.a = file_site(tok.substr(0, dash), at + " (value " + e.as_put + ")");
            if (e.tract) {
                e.b = file_site(tok.substr(dash + 2), at + " (value " + e.as_put + ")");
                if (same_site(e.a, e.b))
                    throw input_error(at + ": a tract joins two different regions (value " + e.as_put + ")");
            }
            if (repeated(value, e))
                throw input_error(at + ": " + (e.tract ? "a tract" : "a region") +
                                  " listed twice in one lesion (value " + e.as_put + ")");
            value.push_back(std::move(e));
        }
        if (value.empty()) {
            if (separators) throw input_error(at + ": an empty row (intact = true adds the intact network)");
            continue;
        }
        l.written.push_back(std::move(value));
        l.value_at.push_back(at);
    }
    if (l.written.empty()) throw input_error(where + ": " + l.file + ": no lesions (one per row)");
}

// The lesions of one of regions, each, tracts or file; returns which.
std::string parse_form(const ctx& c, const reader& r, const tval& lv, lesion_axis& l) {
    std::string form;
    for (const char* k : {"regions", "each", "tracts", "file"})
        if (const tval* v = r.get(k)) {
            if (!form.empty())
                c.fail(*v, "sweep", std::string("lesion.") + k,
                       "give one of regions, each, tracts or file (already " + form +
                           "; a file can mix regions and tracts)",
                       false);
            form = k;
        }
    if (form.empty())
        c.fail(lv, "sweep", "lesion",
               "give regions = [[...], ...], each = \"all\" | [...], tracts = [[[a, b], ...], ...] or file = "
               "\"...\"",
               false);
    const tval& fv = r.need(form);
    if (form == "regions" || form == "tracts") parse_values(c, r, fv, "lesion." + form, l);
    if (form == "each") parse_each(c, r, fv, l);
    if (form == "file") {
        l.file = resolve_path(c, r.str(fv, "lesion.file"));
        std::string text;
        try {
            text = read_input_file(l.file, "lesion file");
        } catch (const input_error& e) {
            c.fail(fv, "sweep", "lesion.file", e.what());
        }
        parse_lesion_rows(text, c.prefix(fv, "sweep", "lesion.file"), l);
    }
    return form;
}

} // namespace

axis parse_lesion(const ctx& c, const tval& lv, param_ref& ref, sweep_spec& s) {
    if (!lv.is_table())
        c.fail(lv, "sweep", "lesion",
               "expected a table { regions | each | tracts | file = ..., intact, name }");
    if (!s.lesions.empty())
        c.fail(lv, "sweep", "lesion",
               "a second lesion axis (the first at " + where_of(s, key_of(s.lesions[0], "")) +
                   "); put every lesion in one axis (a file can list any set of them)");
    reader r(c, "sweep", lv);
    const std::vector<std::string> keys{"regions", "each", "tracts", "file", "intact", "name"};
    for (const auto& [k, v] : entries(lv))
        if (!contains(keys, k))
            c.fail(*v, "sweep", "lesion." + k,
                   "unknown key" + (k == "edges" ? "; cut tracts with tracts = [[[\"a\", \"b\"], ...], ...]"
                                                 : did_you_mean(k, keys)),
                   false);
    lesion_axis l;
    parse_axis_name(c, r, lv, "lesion", l.name, s);
    c.note(key_of(l, ""), lv, "sweep", "lesion");
    for (const auto& [k, v] : entries(lv)) c.note(key_of(l, k), *v, "sweep", "lesion." + k);
    const std::string form = parse_form(c, r, lv, l);
    l.intact = form == "each";
    if (const tval* v = r.get("intact")) {
        if (!v->is_boolean()) c.fail(*v, "sweep", "lesion.intact", "expected true or false");
        l.intact = v->as_boolean();
    }
    ref.k = param_ref::kind::lesion;
    ref.name = l.name;
    axis ax;
    ax.name = l.name;
    ax.values.resize(l.each_all ? 1 : l.written.size() + (l.intact ? 1 : 0));
    std::iota(ax.values.begin(), ax.values.end(), 0.0);
    s.lesions.push_back(std::move(l));
    return ax;
}

} // namespace nms::spec_io

namespace nms {

using namespace spec_io;

namespace {

// Off-diagonal links (a weight != 0 between two regions) of node i.
bool has_links(const connectome& net, std::size_t i) {
    for (std::size_t j = 0; j < net.n; ++j)
        if (j != i && (net.w(i, j) != 0 || net.w(j, i) != 0)) return true;
    return false;
}

std::size_t count_links(const connectome& net) {
    std::size_t m = 0;
    for (std::size_t i = 0; i < net.n; ++i)
        for (std::size_t j = 0; j < net.n; ++j) m += i != j && net.w(i, j) != 0;
    return m;
}

// Links lesion k removes (region removals and cuts never overlap: resolve
// refuses a cut at a removed region).
std::size_t links_removed(const lesion_axis& l, std::size_t k, const connectome& net) {
    std::vector<char> gone(net.n, 0);
    for (std::size_t i : l.removed[k]) gone[i] = 1;
    std::size_t m = 0;
    for (std::size_t i = 0; i < net.n; ++i)
        for (std::size_t j = 0; j < net.n; ++j) m += i != j && (gone[i] || gone[j]) && net.w(i, j) != 0;
    for (const auto& [i, j] : l.cut[k]) m += (net.w(i, j) != 0) + (net.w(j, i) != 0);
    return m;
}

std::size_t node_of_site(const site& x, const connectome& net, const std::string& at,
                         const std::string& as_put) {
    if (x.node < 0) return node_named(x.label, net, at);
    if (std::size_t(x.node) >= net.n)
        throw input_error(at + ": node index outside 0.." + std::to_string(net.n - 1) + " (the network has " +
                          std::to_string(net.n) + " nodes) (value " + as_put + ")");
    return std::size_t(x.node);
}

// One value's elements as nodes, each checked: it must disconnect something.
void resolve_value(lesion_axis& l, std::size_t v, const connectome& net) {
    std::vector<std::size_t> removed;
    std::vector<std::pair<std::size_t, std::size_t>> cut;
    for (const auto& e : l.written[v]) {
        const std::string val = " (value " + e.as_put + ")";
        const std::size_t a = node_of_site(e.a, net, e.at, e.as_put);
        if (!e.tract) {
            if (std::find(removed.begin(), removed.end(), a) != removed.end())
                throw input_error(e.at + ": region '" + label_of(net, a) + "' (node " + std::to_string(a) +
                                  ") listed twice in one lesion" + val);
            if (!has_links(net, a))
                throw input_error(e.at + ": region '" + label_of(net, a) + "' (node " + std::to_string(a) +
                                  ") has no connections: removing it disconnects nothing" + val);
            removed.push_back(a);
            continue;
        }
        const std::size_t b = node_of_site(e.b, net, e.at, e.as_put);
        const std::pair<std::size_t, std::size_t> t{std::min(a, b), std::max(a, b)};
        const std::string name = label_of(net, a) + "--" + label_of(net, b);
        if (a == b) throw input_error(e.at + ": a tract joins two different regions" + val);
        if (std::find(cut.begin(), cut.end(), t) != cut.end())
            throw input_error(e.at + ": the tract " + name + " listed twice in one lesion" + val);
        if (net.w(a, b) == 0 && net.w(b, a) == 0)
            throw input_error(e.at + ": the tract " + name +
                              " has weight 0 both ways: cutting it disconnects nothing" + val);
        cut.push_back(t);
    }
    for (std::size_t q = 0, c = 0; q < l.written[v].size(); ++q) {
        const element& e = l.written[v][q];
        if (!e.tract) continue;
        for (std::size_t i : {cut[c].first, cut[c].second})
            if (std::find(removed.begin(), removed.end(), i) != removed.end())
                throw input_error(e.at + ": the tract ends at region '" + label_of(net, i) +
                                  "', which this lesion removes already (value " + e.as_put + ")");
        ++c;
    }
    l.removed.push_back(std::move(removed));
    l.cut.push_back(std::move(cut));
}

std::string label_for(const lesion_axis& l, std::size_t k, const connectome& net) {
    std::string out;
    for (std::size_t i : l.removed[k]) out += (out.empty() ? "-" : " -") + label_of(net, i);
    for (const auto& [i, j] : l.cut[k])
        out += (out.empty() ? "cut " : " cut ") + label_of(net, i) + "--" + label_of(net, j);
    return out.empty() ? "intact" : out;
}

// each = "all": every region with connections (the others are left out, with a warning).
void expand_all(sweep_spec& s, lesion_axis& l, const connectome& net) {
    const std::string at = where_of(s, key_of(l, "each"));
    std::string left_out;
    std::size_t n_left = 0;
    l.written.clear();
    l.value_at.clear();
    for (std::size_t i = 0; i < net.n; ++i) {
        if (!has_links(net, i)) {
            if (++n_left <= 5) left_out += (left_out.empty() ? "" : ", ") + label_of(net, i);
            continue;
        }
        element e;
        e.a.node = long(i);
        e.at = at;
        e.as_put = "\"all\"";
        l.written.push_back({e});
        l.value_at.push_back(at);
    }
    if (l.written.empty())
        throw input_error(at + ": no region of the network (" + net.source +
                          ") has connections (value \"all\")");
    if (n_left)
        s.warnings.push_back(at + ": " + std::to_string(n_left) +
                             " region(s) without connections left out (" + left_out +
                             (n_left > 5 ? ", ..." : "") + "): removing them disconnects nothing");
}

void resolve_one(sweep_spec& s, lesion_axis& l, const connectome& net) {
    if (l.each_all) expand_all(s, l, net);
    l.removed.clear();
    l.cut.clear();
    l.labels.clear();
    std::vector<std::string> at;
    if (l.intact) {
        l.removed.emplace_back();
        l.cut.emplace_back();
        at.push_back(where_of(s, key_of(l, s.where.count(key_of(l, "intact")) ? "intact" : "")));
    }
    for (std::size_t v = 0; v < l.written.size(); ++v) {
        resolve_value(l, v, net);
        at.push_back(l.value_at[v]);
    }
    const std::size_t links = count_links(net);
    std::map<std::pair<std::vector<std::size_t>, std::vector<std::pair<std::size_t, std::size_t>>>,
             std::size_t>
        seen;
    for (std::size_t k = 0; k < l.removed.size(); ++k) {
        l.labels.push_back(label_for(l, k, net));
        if (!l.removed[k].empty() || !l.cut[k].empty())
            if (links_removed(l, k, net) == links)
                throw input_error(at[k] + ": the lesion " + l.labels[k] +
                                  " disconnects everything: no connection of the network is left (value " +
                                  l.labels[k] + ")");
        auto r = l.removed[k];
        auto c = l.cut[k];
        std::sort(r.begin(), r.end());
        std::sort(c.begin(), c.end());
        const auto [it, fresh] = seen.emplace(std::make_pair(r, c), k);
        if (!fresh)
            throw input_error(at[k] + ": the same lesion as value " + std::to_string(it->second) + " (" +
                              l.labels[it->second] + ") (value " + l.labels[k] + ")");
    }
    l.resolved = true;
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        if (s.axis_refs[a].k == param_ref::kind::lesion) {
            s.axes[a].values.resize(l.size());
            std::iota(s.axes[a].values.begin(), s.axes[a].values.end(), 0.0);
        }
}

} // namespace

void lesion_axis::apply(std::size_t k, connectome& net) const {
    const std::size_t n = net.n;
    for (std::size_t i : removed.at(k))
        for (std::size_t j = 0; j < n; ++j) net.weights[i * n + j] = net.weights[j * n + i] = 0;
    for (const auto& [i, j] : cut.at(k)) net.weights[i * n + j] = net.weights[j * n + i] = 0;
}

const lesion_axis* find_lesions(const sweep_spec& s, const std::string& name) {
    for (const auto& l : s.lesions)
        if (l.name == name) return &l;
    return nullptr;
}

void resolve_lesions(sweep_spec& s, const connectome& net) {
    for (auto& l : s.lesions)
        if (!l.resolved) resolve_one(s, l, net);
    check_grid(s);
}

} // namespace nms
