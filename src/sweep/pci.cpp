// Lempel-Ziv (1976) complexity and the perturbational complexity index of
// Casali et al. (2013), Sci Transl Med 5:198ra105 (definitions and what is
// simplified: include/nmsweep/sweep/evoked.hpp).

#include "nmsweep/sweep/evoked.hpp"

#include <cmath>

namespace nms {

// Kaspar & Schuster (1987), Phys Rev A 36:842: the number of components of
// the exhaustive history of s (Lempel & Ziv 1976). l: the end of the
// history so far; a component grows while it can be copied from a start i
// inside the history; kmax: its longest copy.
std::size_t lz76_complexity(const std::vector<std::uint8_t>& s) {
    const std::size_t n = s.size();
    if (n < 2) return n;
    std::size_t c = 1, l = 1, i = 0, k = 1, kmax = 1;
    for (;;) {
        if (s[i + k - 1] == s[l + k - 1]) {
            ++k;
            if (l + k > n) {
                ++c; // the last component (a copy running to the end)
                break;
            }
            continue;
        }
        if (k > kmax) kmax = k;
        ++i;
        if (i == l) { // no start copies it further: a new component
            ++c;
            l += kmax;
            if (l + 1 > n) break;
            i = 0;
            k = 1;
            kmax = 1;
        } else {
            k = 1;
        }
    }
    return c;
}

double lz76_normalised(const std::vector<std::uint8_t>& s) {
    const std::size_t n = s.size();
    if (n < 2) return 0.0;
    std::size_t ones = 0;
    for (auto b : s) ones += b != 0 ? 1 : 0;
    const double p = double(ones) / double(n);
    if (p <= 0 || p >= 1) return 0.0;
    const double h = -p * std::log2(p) - (1 - p) * std::log2(1 - p);
    const double L = double(n);
    return double(lz76_complexity(s)) * std::log2(L) / (L * h);
}

double pci_of_erp(const double* erp, std::size_t channels, long n_pre, long n_post, double k) {
    const long n_lags = n_pre + 1 + n_post;
    std::vector<double> thr(channels);
    for (std::size_t c = 0; c < channels; ++c) {
        const double* e = erp + long(c) * n_lags;
        double m = 0, v = 0;
        for (long j = 0; j <= n_pre; ++j) m += e[j];
        m /= double(n_pre + 1);
        for (long j = 0; j <= n_pre; ++j) v += (e[j] - m) * (e[j] - m);
        thr[c] = k * std::sqrt(v / double(n_pre + 1));
    }
    std::vector<std::uint8_t> s;
    s.reserve(channels * std::size_t(n_post));
    for (long j = 1; j <= n_post; ++j) // time-major: all channels of one lag, then the next
        for (std::size_t c = 0; c < channels; ++c)
            s.push_back(std::fabs(erp[long(c) * n_lags + n_pre + j]) > thr[c] ? 1 : 0);
    return lz76_normalised(s);
}

} // namespace nms
