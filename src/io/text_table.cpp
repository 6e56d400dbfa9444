#include "nmsweep/io/text_table.hpp"

#include "nmsweep/core/error.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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

namespace nms {

std::vector<double> read_npy_matrix(const std::string& path, const std::string& what, std::size_t* rows,
                                    std::size_t* cols) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw input_error(path + ": cannot open the " + what + " file");
    char magic[8];
    if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        throw input_error(path + ": not a NumPy .npy file");
    const int major = static_cast<unsigned char>(magic[6]);
    std::uint32_t hlen = 0;
    if (major == 1) {
        unsigned char b[2];
        f.read(reinterpret_cast<char*>(b), 2);
        hlen = b[0] | (std::uint32_t(b[1]) << 8);
    } else if (major == 2 || major == 3) {
        unsigned char b[4];
        f.read(reinterpret_cast<char*>(b), 4);
        hlen = b[0] | (std::uint32_t(b[1]) << 8) | (std::uint32_t(b[2]) << 16) | (std::uint32_t(b[3]) << 24);
    } else {
        throw input_error(path + ": .npy format version " + std::to_string(major) + " not supported");
    }
    std::string header(hlen, '\0');
    if (!f.read(header.data(), hlen)) throw input_error(path + ": truncated .npy header");
    auto value_of = [&](const std::string& key) {
        const auto k = header.find("'" + key + "'");
        if (k == std::string::npos) throw input_error(path + ": .npy header has no '" + key + "'");
        auto p = header.find(':', k);
        ++p;
        while (p < header.size() && header[p] == ' ') ++p;
        return p;
    };
    std::size_t p = value_of("descr");
    const std::size_t q = header.find('\'', p + 1);
    const std::string descr = header.substr(p + 1, q - p - 1);
    p = value_of("fortran_order");
    const bool fortran = header.compare(p, 4, "True") == 0;
    p = value_of("shape");
    const std::size_t close = header.find(')', p);
    std::vector<std::size_t> shape;
    {
        std::string dims = header.substr(p + 1, close - p - 1);
        for (char& ch : dims)
            if (ch == ',') ch = ' ';
        std::istringstream is(dims);
        for (std::size_t d; is >> d;) shape.push_back(d);
    }
    if (shape.size() != 2)
        throw input_error(path + ": .npy array has " + std::to_string(shape.size()) +
                          " dimensions, expected 2 (" + what + ")");
    std::size_t esz;
    if (descr == "<f8")
        esz = 8;
    else if (descr == "<f4")
        esz = 4;
    else
        throw input_error(path + ": .npy dtype '" + descr +
                          "' not supported (float64 or float32, little endian)");
    const std::size_t n = shape[0] * shape[1];
    std::vector<char> raw(n * esz);
    if (!f.read(raw.data(), std::streamsize(raw.size())))
        throw input_error(path + ": truncated .npy data (" + std::to_string(shape[0]) + " x " +
                          std::to_string(shape[1]) + " expected)");
    std::vector<double> out(n);
    for (std::size_t s = 0; s < shape[0]; ++s)
        for (std::size_t r = 0; r < shape[1]; ++r) {
            const std::size_t src = fortran ? r * shape[0] + s : s * shape[1] + r;
            double x;
            if (esz == 8) {
                std::memcpy(&x, &raw[src * 8], 8);
            } else {
                float y;
                std::memcpy(&y, &raw[src * 4], 4);
                x = y;
            }
            if (!std::isfinite(x))
                throw input_error(path + ": [" + std::to_string(s) + "][" + std::to_string(r) +
                                  "] = " + std::to_string(x) + " is not finite");
            out[s * shape[1] + r] = x;
        }
    *rows = shape[0];
    *cols = shape[1];
    return out;
}

} // namespace nms
