#pragma once

// Plain-text numeric tables (connectome matrices, empirical FC, gain
// matrices): whitespace, comma, semicolon or tab separated, '#' comments.
// Errors name the source, the line and the offending token.

#include <istream>
#include <string>
#include <vector>

namespace nms {

// All non-empty rows; rows may differ in length (the caller checks).
std::vector<std::vector<double>> parse_text_table(std::istream& in, const std::string& what);

// An N x N matrix, row-major; *n receives N.
std::vector<double> square_matrix(const std::vector<std::vector<double>>& rows, const std::string& what,
                                  std::size_t* n = nullptr);
std::vector<double> read_square_matrix(const std::string& path, std::size_t* n = nullptr);

// A 2-D NumPy .npy array (float64 or float32, little endian, C or Fortran
// order) as a row-major matrix; `what` names its meaning in errors, which
// name the file and the offending value.
std::vector<double> read_npy_matrix(const std::string& path, const std::string& what, std::size_t* rows,
                                    std::size_t* cols);

} // namespace nms
