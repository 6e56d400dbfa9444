#pragma once

// Floating-point work per node-step, counted rather than estimated: the
// per-node update both backends run (node_update: coupling post, the
// scheme's dfun evaluations, the coupling channels of the new state) is run
// once on the host with a number type that counts its arithmetic. Added by
// hand: the input sums (one FMA = 2 flops per input and channel) and the
// noise (per noisy variable and step: one Box-Muller half from
// core/noise.hpp, ~9 flops + log, sqrt and 2 sin, and sigma x sqrt(dt) x z).
// Special functions are counted apart (their cost depends on the libm).

#include "nmsweep/engine/node_update.hpp"

#include <cmath>
#include <vector>

namespace nms::bench {

struct op_counts {
    long flops = 0;   // + - * / (an FMA in the source counts as 2)
    long special = 0; // exp, log, sqrt, sin, cos, tanh, pow
};
inline op_counts& counts() {
    static op_counts c;
    return c;
}

struct counted {
    double v = 0;
    constexpr counted() = default;
    constexpr counted(double x) : v(x) {}
};
inline counted operator+(counted a, counted b) { return ++counts().flops, counted(a.v + b.v); }
inline counted operator-(counted a, counted b) { return ++counts().flops, counted(a.v - b.v); }
inline counted operator*(counted a, counted b) { return ++counts().flops, counted(a.v * b.v); }
inline counted operator/(counted a, counted b) { return ++counts().flops, counted(a.v / b.v); }
inline counted operator-(counted a) { return counted(-a.v); }
inline counted& operator+=(counted& a, counted b) { return a = a + b; }
inline counted& operator-=(counted& a, counted b) { return a = a - b; }
inline counted& operator*=(counted& a, counted b) { return a = a * b; }
inline counted& operator/=(counted& a, counted b) { return a = a / b; }
inline bool operator<(counted a, counted b) { return a.v < b.v; }
inline bool operator>(counted a, counted b) { return a.v > b.v; }
inline bool operator<=(counted a, counted b) { return a.v <= b.v; }
inline bool operator>=(counted a, counted b) { return a.v >= b.v; }
inline bool operator==(counted a, counted b) { return a.v == b.v; }
inline bool operator!=(counted a, counted b) { return a.v != b.v; }
inline counted special(double x) { return ++counts().special, counted(x); }
inline counted nexp(counted x) { return special(std::exp(x.v)); }
inline counted nlog(counted x) { return special(std::log(x.v)); }
inline counted nsqrt(counted x) { return special(std::sqrt(x.v)); }
inline counted nsin(counted x) { return special(std::sin(x.v)); }
inline counted ncos(counted x) { return special(std::cos(x.v)); }
inline counted ntanh(counted x) { return special(std::tanh(x.v)); }
inline counted npow(counted x, counted y) { return special(std::pow(x.v, y.v)); }
inline counted nabs(counted x) { return counted(std::fabs(x.v)); }
inline bool nfinite(counted x) { return std::isfinite(x.v); }

struct node_step_work {
    double flops = 0;   // per node-step
    double special = 0; // special-function calls per node-step
};

// Work of one node-step of model M with coupling C and scheme S, with
// `inputs` delayed inputs per node and `noisy_vars` variables with noise.
template <class M, class C, scheme S>
node_step_work count_node_step(const std::vector<double>& params, double inputs, int noisy_vars) {
    constexpr int NP = n_all_params<M, C>, NS = M::n_state, NCH = C::n_channels;
    std::vector<counted> p(NP);
    for (int k = 0; k < NP && k < int(params.size()); ++k) p[std::size_t(k)] = params[std::size_t(k)];
    const counted* pp[NP];
    for (int k = 0; k < NP; ++k) pp[k] = &p[std::size_t(k)];
    counted x[NS], acc[NCH], dW[NS], ring[NCH];
    counted* xc = nullptr; // (a float run's compensation adds 3 flops per variable: not counted here)
    for (int v = 0; v < NS; ++v) x[v] = 0.1 * (v + 1), dW[v] = 0;
    for (int c = 0; c < NCH; ++c) acc[c] = 0.2;
    counts() = {};
    const bool noisy = noisy_vars > 0 && S != scheme::rk4;
    if constexpr (S != scheme::rk4) {
        if (noisy)
            node_update<M, C, S, true>(pp, 0, x, 1, xc, acc, 1, dW, 1, ring, 1, counted(1.0), 8,
                                       counted(0.1));
    }
    if (!noisy)
        node_update<M, C, S, false>(pp, 0, x, 1, xc, acc, 1, dW, 1, ring, 1, counted(1.0), 8, counted(0.1));
    node_step_work w;
    w.flops = double(counts().flops) + 2.0 * inputs * NCH + NCH; // + the input FMAs, two partial sums merged
    w.special = double(counts().special);
    if (noisy) {
        w.flops += 11.0 * noisy_vars; // Box-Muller half + sigma x sqrt(dt) x z
        w.special += 4.0 * noisy_vars;
    }
    return w;
}

} // namespace nms::bench
