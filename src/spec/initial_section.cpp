// [initial]: constants, per-node arrays, tables from CSV/.npy/HDF5 files, random sets.
#include "spec_io.hpp"

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"

#include <sstream>

namespace nms::spec_io {

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
            const bool h5 = is_hdf5(s.initial.file);
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

} // namespace nms::spec_io
