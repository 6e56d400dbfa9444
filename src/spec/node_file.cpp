// Per-node parameters from files: node order or keyed by region label.
#include "spec_io.hpp"

#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"

#include <set>
#include <sstream>

namespace nms::spec_io {

std::vector<std::string> row_tokens(std::string line, bool* separators) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    bool sep = false;
    for (char& ch : line) {
        sep = sep || ch == ',' || ch == ';';
        if (ch == ',' || ch == ';' || ch == '\t' || ch == '\r') ch = ' ';
    }
    if (separators) *separators = sep;
    std::istringstream is(line);
    std::vector<std::string> tok;
    for (std::string w; is >> w;) tok.push_back(w);
    return tok;
}

bool is_number(const std::string& t, double* x) {
    char* end = nullptr;
    *x = std::strtod(t.c_str(), &end);
    return end && end != t.c_str() && *end == 0;
}

namespace {

// Rows of one value (node order) or "label value" (keyed); a header row
// whose value is not a number is skipped. Errors name file:line.
void parse_rows(const std::string& text, const std::string& path, node_table& t,
                std::vector<double>& ordered) {
    std::istringstream f(text);
    std::string line;
    int lineno = 0, width = 0;
    bool first = true;
    while (std::getline(f, line)) {
        ++lineno;
        const std::vector<std::string> tok = row_tokens(line);
        if (tok.empty()) continue;
        const std::string where = path + ":" + std::to_string(lineno);
        double x = 0;
        const bool num = is_number(tok.back(), &x);
        if (first && !num && tok.size() <= 2) { // a header: "x0" or "label,x0"
            first = false;
            continue;
        }
        first = false;
        if (tok.size() > 2 || (width && int(tok.size()) != width))
            throw input_error(where + ": expected " +
                              (width == 1 ? std::string("one value per row (node order)")
                                          : std::string("'label value' per row")) +
                              ", got " + std::to_string(tok.size()) + " columns");
        width = int(tok.size());
        if (!num || !std::isfinite(x))
            throw input_error(where + ": not a finite number: '" + tok.back() + "'");
        if (width == 1) {
            ordered.push_back(x);
        } else {
            t.labels.push_back(tok[0]);
            t.lines.push_back(lineno);
            t.values.push_back(x);
        }
    }
    if (ordered.empty() && t.labels.empty()) throw input_error(path + ": no values");
}

} // namespace

field parse_node_file(const ctx& c, const tval& v, const std::string& section, const std::string& key,
                      const std::string& name, sweep_spec& s) {
    reader r(c, section, v);
    for (const auto& [k, x] : entries(v))
        if (k != "file" && k != "default")
            c.fail(*x, section, key + "." + k, "unknown key" + did_you_mean(k, {"file", "default"}), false);
    node_table t;
    t.file = resolve_path(c, r.str(r.need("file"), key + ".file"));
    std::vector<double> ordered;
    try {
        if (std::filesystem::path(t.file).extension() == ".npy") {
            std::size_t rows = 0, cols = 0;
            ordered = read_npy_matrix(t.file, "per-node values of " + name, &rows, &cols);
            if (rows != 1 && cols != 1)
                throw input_error(t.file + ": a " + std::to_string(rows) + " x " + std::to_string(cols) +
                                  " array; expected one value per node (n x 1 or 1 x n)");
        } else {
            parse_rows(read_input_file(t.file, "per-node parameter file"), t.file, t, ordered);
        }
    } catch (const input_error& e) {
        c.fail(r.need("file"), section, key + ".file", e.what(), false);
    }
    if (const tval* d = r.get("default")) {
        if (!ordered.empty())
            c.fail(*d, section, key + ".default", "only for a file whose rows name regions ('label value')");
        t.has_default = true;
        t.fallback = r.finite(*d, key + ".default");
    }
    if (!ordered.empty()) return field::per_node(std::move(ordered));
    // (a placeholder the parse-time checks see; resolve_node_tables puts the
    // values in node order once the network is loaded)
    const field placeholder = field::scalar(t.has_default ? t.fallback : t.values[0]);
    s.node_tables[name] = std::move(t);
    return placeholder;
}

} // namespace nms::spec_io

namespace nms {

void resolve_node_tables(sweep_spec& s, const connectome& net) {
    for (const auto& [name, t] : s.node_tables) {
        std::vector<double> v(net.n);
        std::vector<int> row_of(net.n, -1);
        for (std::size_t r = 0; r < t.labels.size(); ++r) {
            const std::string at = t.file + ":" + std::to_string(t.lines[r]);
            const auto it = std::find(net.labels.begin(), net.labels.end(), t.labels[r]);
            if (it == net.labels.end())
                throw input_error(at + ": region '" + t.labels[r] + "' is not in the network (" + net.source +
                                  ")" + did_you_mean(t.labels[r], net.labels));
            const std::size_t i = std::size_t(it - net.labels.begin());
            if (row_of[i] >= 0)
                throw input_error(at + ": region '" + t.labels[r] + "' again (first on line " +
                                  std::to_string(t.lines[std::size_t(row_of[i])]) + ")");
            row_of[i] = int(r);
            v[i] = t.values[r];
        }
        for (std::size_t i = 0; i < net.n; ++i)
            if (row_of[i] < 0) {
                if (!t.has_default)
                    throw input_error(where_of_key(s, name) + ": region '" + net.labels[i] +
                                      "' has no value in " + t.file +
                                      " (list every region, or give default = ...)");
                v[i] = t.fallback;
            }
        s.params[name] = field::per_node(std::move(v));
    }
    s.node_tables.clear();
}

} // namespace nms
