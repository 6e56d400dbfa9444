#include "nmsweep/io/text_table.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/input_file.hpp"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace nms {

namespace {

bool is_separator(char c) { return c == ' ' || c == ',' || c == ';' || c == '\t' || c == '\r' || c == '\f'; }

std::string at(const std::string& what, std::size_t line, std::size_t col) {
    return what + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

} // namespace

std::vector<std::vector<double>> parse_text_table(std::string_view text, const std::string& what) {
    std::vector<std::vector<double>> rows;
    std::size_t lineno = 0, pos = 0;
    std::string tok;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        const std::size_t line_start = pos;
        pos = eol + 1;
        ++lineno;
        if (auto h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
        std::vector<double> row;
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && is_separator(line[i])) ++i;
            if (i == line.size()) break;
            std::size_t j = i;
            while (j < line.size() && !is_separator(line[j])) ++j;
            tok.assign(line.substr(i, j - i));
            const std::size_t col = i + 1;
            if (tok.find('\0') != std::string::npos)
                throw input_error(at(what, lineno, col) + "a NUL byte (is this a binary file?)");
            errno = 0;
            char* end = nullptr;
            const double x = std::strtod(tok.c_str(), &end);
            if (end == tok.c_str() || *end != '\0')
                throw input_error(at(what, lineno, col) + "not a number: '" + tok + "'");
            if (!std::isfinite(x) || (errno == ERANGE && std::abs(x) > 1))
                throw input_error(at(what, lineno, col) + "'" + tok + "' is not a finite number");
            row.push_back(x);
            i = j;
        }
        (void)line_start;
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

std::vector<double> read_square_matrix(const std::string& path, std::size_t* n, const std::string& what) {
    return square_matrix(parse_text_table(read_input_file(path, what), path), path, n);
}

std::vector<double> read_npy_matrix(const std::string& path, const std::string& what, std::size_t* rows,
                                    std::size_t* cols) {
    return parse_npy_matrix(read_input_file(path, what + " file"), path, what, rows, cols);
}

std::vector<double> read_matrix_file(const std::string& path, const std::string& what, std::size_t* rows,
                                     std::size_t* cols) {
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".npy") == 0)
        return read_npy_matrix(path, what, rows, cols);
    const auto table = parse_text_table(read_input_file(path, what + " file"), path);
    std::vector<double> out;
    *rows = table.size();
    *cols = table.empty() ? 0 : table[0].size();
    for (std::size_t i = 0; i < table.size(); ++i) {
        if (table[i].size() != *cols)
            throw input_error(path + ": row " + std::to_string(i + 1) + " has " +
                              std::to_string(table[i].size()) + " values, the first " +
                              std::to_string(*cols));
        out.insert(out.end(), table[i].begin(), table[i].end());
    }
    return out;
}

namespace {

// The value text after 'key': in the header dict, or an error.
std::size_t npy_value(const std::string& header, const std::string& key, const std::string& path) {
    const auto k = header.find("'" + key + "'");
    if (k == std::string::npos) throw input_error(path + ": .npy header has no '" + key + "'");
    auto p = header.find(':', k);
    if (p == std::string::npos) throw input_error(path + ": malformed .npy header near '" + key + "'");
    ++p;
    while (p < header.size() && header[p] == ' ') ++p;
    return p;
}

// "(3, 4)" -> {3, 4}; every dimension checked against overflow.
std::vector<std::uint64_t> npy_shape(const std::string& header, const std::string& path) {
    std::size_t p = npy_value(header, "shape", path);
    if (p >= header.size() || header[p] != '(') throw input_error(path + ": malformed .npy shape");
    const std::size_t close = header.find(')', p);
    if (close == std::string::npos) throw input_error(path + ": malformed .npy shape");
    std::vector<std::uint64_t> shape;
    std::size_t i = p + 1;
    while (i < close) {
        while (i < close && (header[i] == ' ' || header[i] == ',')) ++i;
        if (i == close) break;
        std::uint64_t d = 0;
        std::size_t digits = 0;
        while (i < close && header[i] >= '0' && header[i] <= '9') {
            if (d > (std::numeric_limits<std::uint64_t>::max() - 9) / 10)
                throw input_error(path + ": .npy shape has a dimension too large to be real");
            d = d * 10 + std::uint64_t(header[i] - '0');
            ++i, ++digits;
        }
        if (digits == 0)
            throw input_error(path + ": malformed .npy shape '" + header.substr(p, close - p + 1) + "'");
        shape.push_back(d);
    }
    return shape;
}

} // namespace

std::vector<double> parse_npy_matrix(std::string_view bytes, const std::string& path, const std::string& what,
                                     std::size_t* rows, std::size_t* cols) {
    if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view("\x93NUMPY", 6))
        throw input_error(path + ": not a NumPy .npy file");
    const int major = static_cast<unsigned char>(bytes[6]);
    std::size_t hlen = 0, off = 0;
    auto u8 = [&](std::size_t i) { return std::size_t(static_cast<unsigned char>(bytes[i])); };
    if (major == 1) {
        hlen = u8(8) | (u8(9) << 8);
        off = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw input_error(path + ": truncated .npy header");
        hlen = u8(8) | (u8(9) << 8) | (u8(10) << 16) | (u8(11) << 24);
        off = 12;
    } else {
        throw input_error(path + ": .npy format version " + std::to_string(major) + " not supported");
    }
    if (hlen > bytes.size() - off) throw input_error(path + ": truncated .npy header");
    const std::string header(bytes.substr(off, hlen));
    off += hlen;
    std::size_t p = npy_value(header, "descr", path);
    if (p >= header.size() || (header[p] != '\'' && header[p] != '"'))
        throw input_error(path + ": malformed .npy dtype");
    const std::size_t q = header.find(header[p], p + 1);
    if (q == std::string::npos) throw input_error(path + ": malformed .npy dtype");
    const std::string descr = header.substr(p + 1, q - p - 1);
    p = npy_value(header, "fortran_order", path);
    const bool fortran = header.compare(p, 4, "True") == 0;
    const auto shape = npy_shape(header, path);
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
    const std::uint64_t avail = bytes.size() - off;
    const std::string dims = std::to_string(shape[0]) + " x " + std::to_string(shape[1]);
    // Compare sizes by division: shape[0] * shape[1] * esz may overflow.
    if (shape[0] != 0 && (shape[1] > avail / esz / shape[0] || shape[0] * shape[1] * esz != avail))
        throw input_error(path + ": .npy data has " + std::to_string(avail) + " bytes, but the header says " +
                          dims + " values of " + std::to_string(esz) + " bytes");
    if (shape[0] == 0 || shape[1] == 0) throw input_error(path + ": .npy array is empty (" + dims + ")");
    const std::size_t n0 = std::size_t(shape[0]), n1 = std::size_t(shape[1]);
    const char* raw = bytes.data() + off;
    std::vector<double> out(n0 * n1);
    for (std::size_t s = 0; s < n0; ++s)
        for (std::size_t r = 0; r < n1; ++r) {
            const std::size_t src = fortran ? r * n0 + s : s * n1 + r;
            double x;
            if (esz == 8) {
                std::memcpy(&x, raw + src * 8, 8);
            } else {
                float y;
                std::memcpy(&y, raw + src * 4, 4);
                x = y;
            }
            if (!std::isfinite(x))
                throw input_error(path + ": [" + std::to_string(s) + "][" + std::to_string(r) +
                                  "] = " + std::to_string(x) + " is not finite");
            out[s * n1 + r] = x;
        }
    *rows = n0;
    *cols = n1;
    return out;
}

} // namespace nms
