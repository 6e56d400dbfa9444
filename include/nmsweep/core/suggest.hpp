#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace nms {

// Levenshtein distance, for "did you mean" hints on misspelt names.
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// " (did you mean 'x'?)" for the nearest candidate within a few edits, else
// a list of what is valid.
inline std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::string::npos;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(name, c);
        if (d < best_d) best_d = d, best = c;
    }
    if (!best.empty() && best_d <= std::max<std::size_t>(2, name.size() / 3))
        return " (did you mean '" + best + "'?)";
    std::string all;
    for (const auto& c : candidates) all += (all.empty() ? "" : ", ") + c;
    return " (valid: " + all + ")";
}

} // namespace nms
