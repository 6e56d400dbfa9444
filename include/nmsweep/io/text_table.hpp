#pragma once

// Plain-text numeric tables (connectome matrices, empirical FC, gain
// matrices): whitespace, comma, semicolon or tab separated, '#' comments.
// Every entry must be a finite number: a token that is not a number, or is
// nan/inf or overflows, is an error naming the source, line, column and token.
// .npy arrays (2-D, float64/float32) with overflow-checked shapes.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nms {

// All non-empty rows; rows may differ in length (the caller checks).
std::vector<std::vector<double>> parse_text_table(std::string_view text, const std::string& what);

// An N x N matrix, row-major; *n receives N.
std::vector<double> square_matrix(const std::vector<std::vector<double>>& rows, const std::string& what,
                                  std::size_t* n = nullptr);
// Reads the file through read_input_file (regular files only, recorded).
std::vector<double> read_square_matrix(const std::string& path, std::size_t* n = nullptr,
                                       const std::string& what = "matrix file");

// A matrix file: .npy (as read_npy_matrix) or a text table whose rows all
// have the same length (else an error naming the row); row-major, with its
// shape in *rows, *cols. `what` names its meaning in errors.
std::vector<double> read_matrix_file(const std::string& path, const std::string& what, std::size_t* rows,
                                     std::size_t* cols);

// A 2-D NumPy .npy array (float64 or float32, little endian, C or Fortran
// order) as a row-major matrix; `what` names its meaning in errors, which
// name the file and the offending value. parse_npy_matrix takes the bytes.
std::vector<double> read_npy_matrix(const std::string& path, const std::string& what, std::size_t* rows,
                                    std::size_t* cols);
std::vector<double> parse_npy_matrix(std::string_view bytes, const std::string& path, const std::string& what,
                                     std::size_t* rows, std::size_t* cols);

} // namespace nms
