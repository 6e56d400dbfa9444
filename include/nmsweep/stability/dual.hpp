#pragma once

// Forward-mode automatic differentiation. A dual number v + d e (e^2 = 0)
// carries one directional derivative through the models' and couplings'
// NMS_HD templates (instantiated with T = dual), so every Jacobian is exact
// to rounding without a derivative written per model. Branches (x < 0 ? ..)
// compare values and differentiate the branch taken, as the model does.

#include "nmsweep/core/hd.hpp"

#include <cmath>

namespace nms {

struct dual {
    double v = 0, d = 0;
    constexpr dual() = default;
    // Implicit: the models write constants as T(2), T(pi / 2).
    constexpr dual(double x) : v(x) {}
    constexpr dual(double x, double dx) : v(x), d(dx) {}

    dual& operator+=(dual b) { return *this = {v + b.v, d + b.d}; }
    dual& operator-=(dual b) { return *this = {v - b.v, d - b.d}; }
    dual& operator*=(dual b) { return *this = {v * b.v, d * b.v + v * b.d}; }
    dual& operator/=(dual b) { return *this = {v / b.v, (d * b.v - v * b.d) / (b.v * b.v)}; }
};

inline dual operator+(dual a) { return a; }
inline dual operator-(dual a) { return {-a.v, -a.d}; }
inline dual operator+(dual a, dual b) { return a += b; }
inline dual operator-(dual a, dual b) { return a -= b; }
inline dual operator*(dual a, dual b) { return a *= b; }
inline dual operator/(dual a, dual b) { return a /= b; }
inline bool operator<(dual a, dual b) { return a.v < b.v; }
inline bool operator>(dual a, dual b) { return a.v > b.v; }
inline bool operator<=(dual a, dual b) { return a.v <= b.v; }
inline bool operator>=(dual a, dual b) { return a.v >= b.v; }
inline bool operator==(dual a, dual b) { return a.v == b.v; }
inline bool operator!=(dual a, dual b) { return a.v != b.v; }

// The math wrappers of core/hd.hpp, each with its derivative.
inline dual nexp(dual a) {
    const double e = std::exp(a.v);
    return {e, e * a.d};
}
inline dual nlog(dual a) { return {std::log(a.v), a.d / a.v}; }
inline dual nsqrt(dual a) {
    const double s = std::sqrt(a.v);
    return {s, a.d / (2 * s)};
}
inline dual nsin(dual a) { return {std::sin(a.v), std::cos(a.v) * a.d}; }
inline dual ncos(dual a) { return {std::cos(a.v), -std::sin(a.v) * a.d}; }
inline dual ntanh(dual a) {
    const double t = std::tanh(a.v);
    return {t, (1 - t * t) * a.d};
}
inline dual nabs(dual a) { return a.v < 0 ? -a : a; }
inline dual nhypot(dual a, dual b) {
    const double h = std::hypot(a.v, b.v);
    return {h, h > 0 ? (a.v * a.d + b.v * b.d) / h : 0.0};
}
inline dual npow(dual a, dual b) {
    const double r = std::pow(a.v, b.v);
    // d(a^b) = b a^(b-1) da + a^b ln(a) db; the second term only where b varies.
    const double db = b.d != 0 ? r * std::log(a.v) * b.d : 0.0;
    return {r, b.v * std::pow(a.v, b.v - 1) * a.d + db};
}
inline bool nfinite(dual a) { return std::isfinite(a.v) && std::isfinite(a.d); }

} // namespace nms
