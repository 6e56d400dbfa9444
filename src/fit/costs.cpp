#include "nmsweep/fit/costs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace nms::fit {

namespace {

void need_finite(const std::vector<double>& v, const char* what) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
            throw std::invalid_argument(std::string(what) + ": entry " + std::to_string(i) + " is " +
                                        std::to_string(v[i]) + " (finite values expected)");
}

void same_size(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
    if (a.size() != b.size())
        throw std::invalid_argument(std::string(what) + ": " + std::to_string(a.size()) + " and " +
                                    std::to_string(b.size()) + " values");
}

double mean(const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

// Both upper triangles, checked.
std::pair<std::vector<double>, std::vector<double>> triangles(const std::vector<double>& sim,
                                                              const std::vector<double>& target,
                                                              std::size_t n, const char* what) {
    if (n < 2)
        throw std::invalid_argument(std::string(what) + ": n = " + std::to_string(n) + " (>= 2 needed)");
    if (sim.size() != n * n || target.size() != n * n)
        throw std::invalid_argument(std::string(what) + ": matrices of " + std::to_string(sim.size()) +
                                    " and " + std::to_string(target.size()) + " entries, " +
                                    std::to_string(n) + " x " + std::to_string(n) + " expected");
    auto a = upper_triangle(sim, n), b = upper_triangle(target, n);
    need_finite(a, what);
    need_finite(b, what);
    return {a, b};
}

} // namespace

std::vector<double> upper_triangle(const std::vector<double>& m, std::size_t n) {
    if (m.size() != n * n)
        throw std::invalid_argument("upper_triangle: " + std::to_string(m.size()) + " entries for " +
                                    std::to_string(n) + " x " + std::to_string(n));
    std::vector<double> out;
    out.reserve(n * (n - (n > 0)) / 2);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) out.push_back(m[i * n + j]);
    return out;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    same_size(a, b, "pearson");
    if (a.size() < 2)
        throw std::invalid_argument("pearson: " + std::to_string(a.size()) + " values (>= 2 needed)");
    need_finite(a, "pearson");
    need_finite(b, "pearson");
    const double ma = mean(a), mb = mean(b);
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a[i] - ma, y = b[i] - mb;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if (saa == 0 || sbb == 0) return std::numeric_limits<double>::quiet_NaN();
    return std::clamp(sab / std::sqrt(saa * sbb), -1.0, 1.0);
}

double fc_correlation(const std::vector<double>& sim, const std::vector<double>& target, std::size_t n) {
    const auto [a, b] = triangles(sim, target, n, "fc_correlation");
    return pearson(a, b);
}

double fc_rmse(const std::vector<double>& sim, const std::vector<double>& target, std::size_t n) {
    const auto [a, b] = triangles(sim, target, n, "fc_rmse");
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return std::sqrt(s / double(a.size()));
}

double fc_mean_difference(const std::vector<double>& sim, const std::vector<double>& target, std::size_t n) {
    const auto [a, b] = triangles(sim, target, n, "fc_mean_difference");
    return std::abs(mean(a) - mean(b));
}

double ks_distance(std::vector<double> a, std::vector<double> b) {
    if (a.empty() || b.empty()) throw std::invalid_argument("ks_distance: an empty sample");
    need_finite(a, "ks_distance");
    need_finite(b, "ks_distance");
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    const double na = double(a.size()), nb = double(b.size());
    std::size_t i = 0, j = 0;
    double d = 0;
    while (i < a.size() && j < b.size()) {
        const double x = std::min(a[i], b[j]); // next distinct value: step past all its copies
        while (i < a.size() && a[i] == x) ++i;
        while (j < b.size() && b[j] == x) ++j;
        d = std::max(d, std::abs(double(i) / na - double(j) / nb));
    }
    return d; // once one sample is exhausted the gap only shrinks
}

double log_psd_distance(const std::vector<double>& freqs, const std::vector<double>& sim,
                        const std::vector<double>& target, double low, double high) {
    same_size(freqs, sim, "log_psd_distance (frequencies, simulated)");
    same_size(freqs, target, "log_psd_distance (frequencies, target)");
    if (!(low <= high)) throw std::invalid_argument("log_psd_distance: band low > high");
    double s = 0;
    std::size_t m = 0;
    for (std::size_t k = 0; k < freqs.size(); ++k) {
        if (freqs[k] < low || freqs[k] > high) continue;
        if (!(sim[k] > 0) || !(target[k] > 0) || !std::isfinite(sim[k]) || !std::isfinite(target[k]))
            throw std::invalid_argument("log_psd_distance: power at " + std::to_string(freqs[k]) + " Hz is " +
                                        std::to_string(sim[k]) + " (simulated) and " +
                                        std::to_string(target[k]) + " (target); finite values > 0 expected");
        const double r = std::log10(sim[k] / target[k]);
        s += r * r;
        ++m;
    }
    if (m == 0)
        throw std::invalid_argument("log_psd_distance: no frequency bin in [" + std::to_string(low) + ", " +
                                    std::to_string(high) + "] Hz");
    return std::sqrt(s / double(m));
}

std::vector<double> interpolate(const std::vector<double>& x, const std::vector<double>& y,
                                const std::vector<double>& at) {
    same_size(x, y, "interpolate");
    if (x.size() < 2) throw std::invalid_argument("interpolate: fewer than 2 samples");
    need_finite(x, "interpolate");
    need_finite(y, "interpolate");
    for (std::size_t k = 1; k < x.size(); ++k)
        if (!(x[k] > x[k - 1])) throw std::invalid_argument("interpolate: abscissae not strictly ascending");
    std::vector<double> out;
    out.reserve(at.size());
    for (double t : at) {
        if (!(t >= x.front() && t <= x.back()))
            throw std::invalid_argument("interpolate: " + std::to_string(t) + " lies outside [" +
                                        std::to_string(x.front()) + ", " + std::to_string(x.back()) + "]");
        const std::size_t k = std::min<std::size_t>(
            std::size_t(std::upper_bound(x.begin(), x.end(), t) - x.begin()), x.size() - 1);
        const double w = (t - x[k - 1]) / (x[k] - x[k - 1]);
        out.push_back(y[k - 1] + w * (y[k] - y[k - 1]));
    }
    return out;
}

} // namespace nms::fit
