#pragma once

// Long-range coupling functions with TVB's pre/post semantics:
//   c_i = post( sum_j w_ij * pre(x_i, x_j(t - d_ij)) ).
// Every TVB pre used here separates into a function of the delayed source
// alone combined with the (undelayed) target state, so the delay ring stores
// per-source "channels" once per step instead of evaluating pre per edge:
//   difference: sum_j w_ij (x_j - x_i)      = S - rowsum_i * x_i
//   kuramoto:   sum_j w_ij sin(x_j - x_i)   = cos x_i * S_sin - sin x_i * S_cos
// NCV is the model's number of coupling variables.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/core/param_info.hpp"

namespace nms::coupling {

// Linear (TVB coupling.Linear): c = a * sum_j w_ij x_j + b.
template <int NCV> struct linear {
    static constexpr const char* name = "linear";
    static constexpr const char* doc = "c_i = a * sum_j w_ij x_j(t - d_ij) + b";
    enum { a, b, n_params };
    static constexpr param_info params[n_params] = {
        {"a", 0.00390625, "", "global coupling strength"},
        {"b", 0.0, "", "offset"},
    };
    static constexpr int n_channels = NCV;
    template <class T> NMS_HD static void pre(const T*, const T* xj, T* ch) {
        NMS_UNROLL
        for (int k = 0; k < NCV; ++k) ch[k] = xj[k];
    }
    template <class T> NMS_HD static void post(const T* p, const T* s, const T*, T, int, T* c) {
        NMS_UNROLL
        for (int k = 0; k < NCV; ++k) c[k] = p[a] * s[k] + p[b];
    }
};

// Difference (TVB coupling.Difference): c = a * sum_j w_ij (x_j - x_i).
template <int NCV> struct difference {
    static constexpr const char* name = "difference";
    static constexpr const char* doc = "c_i = a * sum_j w_ij (x_j(t - d_ij) - x_i(t))";
    enum { a, n_params };
    static constexpr param_info params[n_params] = {
        {"a", 0.1, "", "global coupling strength"},
    };
    static constexpr int n_channels = NCV;
    template <class T> NMS_HD static void pre(const T*, const T* xj, T* ch) {
        NMS_UNROLL
        for (int k = 0; k < NCV; ++k) ch[k] = xj[k];
    }
    template <class T> NMS_HD static void post(const T* p, const T* s, const T* xi, T rowsum, int, T* c) {
        NMS_UNROLL
        for (int k = 0; k < NCV; ++k) c[k] = p[a] * (s[k] - rowsum * xi[k]);
    }
};

// Kuramoto (TVB coupling.Kuramoto): c = a * sum_j w_ij sin(x_j - x_i).
// TVB's docstring says a/N, but its code divides by the number of coupling
// variables (1), i.e. not by N; we follow the code, so that trajectories
// match, and a user wanting K/N sets a = K/N.
template <int NCV> struct kuramoto {
    static constexpr const char* name = "kuramoto";
    static constexpr const char* doc = "c_i = a * sum_j w_ij sin(x_j(t - d_ij) - x_i(t))";
    enum { a, n_params };
    static constexpr param_info params[n_params] = {
        {"a", 1.0, "", "global coupling strength (K)"},
    };
    static constexpr int n_channels = 2 * NCV;
    // cos as sin(x + pi/2): GCC fuses sin and cos of one argument into a
    // scalar cexpi call, which would stop the lane loop vectorising.
    template <class T> NMS_HD static void pre(const T*, const T* xj, T* ch) {
        NMS_UNROLL
        for (int k = 0; k < NCV; ++k) {
            ch[2 * k] = nsin(xj[k]);
            ch[2 * k + 1] = nsin(xj[k] + T(pi / 2));
        }
    }
    template <class T> NMS_HD static void post(const T* p, const T* s, const T* xi, T, int, T* c) {
        NMS_UNROLL
        for (int k = 0; k < NCV; ++k)
            c[k] = p[a] * (nsin(xi[k] + T(pi / 2)) * s[2 * k] - nsin(xi[k]) * s[2 * k + 1]);
    }
};

// Sigmoidal Jansen-Rit (TVB coupling.SigmoidalJansenRit): the source's
// firing rate from its PSP difference x_j[0] - x_j[1] (y1 - y2):
//   pre = cmin + (cmax - cmin) / (1 + exp(r (midpoint - (x_j[0] - x_j[1]))))
//   c = a * sum_j w_ij pre
template <int NCV> struct sigmoidal_jansen_rit {
    static_assert(NCV >= 2, "sigmoidal_jansen_rit needs two coupling variables");
    static constexpr const char* name = "sigmoidal_jansen_rit";
    static constexpr const char* doc =
        "c_i = a * sum_j w_ij (cmin + (cmax-cmin)/(1+exp(r (midpoint - (y1_j - y2_j)))))";
    enum { a, cmin, cmax, midpoint, r, n_params };
    static constexpr param_info params[n_params] = {
        {"a", 1.0, "", "global coupling strength"},
        {"cmin", 0.0, "1/ms", "minimum of the sigmoid"},
        {"cmax", 0.005, "1/ms", "maximum of the sigmoid (2 nu_max)"},
        {"midpoint", 6.0, "mV", "midpoint of the sigmoid"},
        {"r", 0.56, "1/mV", "steepness of the sigmoid"},
    };
    static constexpr int n_channels = 1;
    template <class T> NMS_HD static void pre(const T* p, const T* xj, T* ch) {
        ch[0] = p[cmin] + (p[cmax] - p[cmin]) / (T(1) + nexp(p[r] * (p[midpoint] - (xj[0] - xj[1]))));
    }
    template <class T> NMS_HD static void post(const T* p, const T* s, const T*, T, int, T* c) {
        c[0] = p[a] * s[0];
        for (int k = 1; k < NCV; ++k) c[k] = T(0);
    }
};

} // namespace nms::coupling
