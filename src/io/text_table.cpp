#include "nmsweep/io/text_table.hpp"

#include "nmsweep/core/error.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace nms {

std::vector<std::vector<double>> parse_text_table(std::istream& in, const std::string& what) {
    std::vector<std::vector<double>> rows;
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        for (char& ch : line)
            if (ch == ',' || ch == ';' || ch == '\t' || ch == '\r') ch = ' ';
        std::istringstream is(line);
        std::vector<double> row;
        for (std::string t; is >> t;) {
            char* end = nullptr;
            const double x = std::strtod(t.c_str(), &end);
            if (end == t.c_str() || *end != '\0')
                throw input_error(what + ":" + std::to_string(lineno) + ": not a number: '" + t + "'");
            row.push_back(x);
        }
        if (!row.empty()) rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<double> square_matrix(const std::vector<std::vector<double>>& rows, const std::string& what,
                                  std::size_t* n_out) {
    const std::size_t n = rows.size();
    if (n == 0) throw input_error(what + ": empty matrix");
    std::vector<double> out;
    out.reserve(n * n);
    for (std::size_t i = 0; i < n; ++i) {
        if (rows[i].size() != n)
            throw input_error(what + ": matrix is not square: row " + std::to_string(i + 1) + " has " +
                              std::to_string(rows[i].size()) + " values, expected " + std::to_string(n));
        out.insert(out.end(), rows[i].begin(), rows[i].end());
    }
    if (n_out) *n_out = n;
    return out;
}

std::vector<double> read_square_matrix(const std::string& path, std::size_t* n) {
    std::ifstream f(path);
    if (!f) throw input_error(path + ": cannot open the matrix file");
    return square_matrix(parse_text_table(f, path), path, n);
}

} // namespace nms
