#pragma once

// Reference files written by tests/reference/*.py: blocks "name rows cols"
// followed by their rows; '#' lines are comments.

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nms::test_ref {

struct block {
    int rows = 0, cols = 0;
    std::vector<double> values; // row-major
    double operator()(int i, int j) const { return values[std::size_t(i * cols + j)]; }
};

inline std::map<std::string, block> read_blocks(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::map<std::string, block> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream head(line);
        std::string key;
        block b;
        head >> key >> b.rows >> b.cols;
        b.values.resize(std::size_t(b.rows * b.cols));
        for (auto& v : b.values) in >> v;
        std::getline(in, line); // rest of the last row
        out[key] = b;
    }
    return out;
}

} // namespace nms::test_ref
