#pragma once

// What a spec's text must satisfy before toml11 parses it. toml11 (3.7)
// recurses once per nesting level of arrays and inline tables and once per
// component of a dotted key, so deep input exhausts the stack; and it looks
// for comments around every value by scanning the value's whole line, so a
// long one-line array costs time quadratic in its length. The guard:
// - refuses specs over max_spec_bytes, nesting deeper than max_toml_depth,
//   keys of more than max_key_parts components, and NUL bytes, naming the
//   file, line and column;
// - breaks array lines longer than ~1000 characters after a comma (a newline
//   is valid there) and keeps a map back to the original line numbers, which
//   every message must use (original_line).

#include <cstddef>
#include <string>
#include <vector>

namespace nms {

inline constexpr std::size_t max_spec_bytes = std::size_t(64) << 20;
inline constexpr int max_toml_depth = 64;
inline constexpr int max_key_parts = 64;

struct guarded_toml {
    std::string text;         // what toml11 parses
    std::vector<int> line_of; // line_of[k - 1]: original line of line k of `text`
    int original_line(std::size_t line) const {
        return line >= 1 && line <= line_of.size() ? line_of[line - 1] : int(line);
    }
};

// Throws input_error "path:line:column: ..." when the text breaks a limit.
guarded_toml guard_toml(const std::string& text, const std::string& path);

} // namespace nms
