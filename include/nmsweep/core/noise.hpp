#pragma once

// Counter-based normal deviates. The deviate for (seed, instance, node,
// variable, step) is a pure function of those numbers (DESIGN.md, Noise), so
// results do not depend on thread count, batch size or backend.
//
// Stream definition (version 1, keep stable: results files record it):
//   key = { seed & 0xffffffff, seed >> 32 }
//   ctr = { step, instance, node, variable / 4 }
//   (u0,u1,u2,u3) = Philox4x32-10(ctr, key)
//   z0,z1 = Box-Muller(u0,u1); z2,z3 = Box-Muller(u2,u3); deviate = z[variable % 4]
// Box-Muller: a = pi * uneg11(u0), r = sqrt(-2 log(u01(u1))), (z_a, z_b) = r * (sin a, sin(a + pi/2)).

#include "nmsweep/core/hd.hpp"

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

namespace nms {

constexpr int noise_stream_version = 1;

template <class T>
NMS_HD void box_muller(std::uint32_t u0, std::uint32_t u1, T& za, T& zb) {
    const T ang = T(pi) * r123::uneg11<T>(u0);
    const T r = nsqrt(T(-2) * nlog(r123::u01<T>(u1)));
    za = r * nsin(ang);
    // cos as a shifted sin: keeps the pair two plain vectorisable calls
    // (GCC would fuse sin+cos into a scalar sincos call).
    zb = r * nsin(ang + T(pi / 2));
}

// The four raw 32-bit words for variables 4*group .. 4*group+3 (returned by
// value: GCC vectorises a loop over instances calling this, not one writing
// through an output pointer).
NMS_HD r123::Philox4x32::ctr_type philox_words(std::uint64_t seed, std::uint32_t instance, std::uint32_t node,
                                               std::uint32_t group, std::uint32_t step) {
    r123::Philox4x32 rng;
    r123::Philox4x32::ctr_type c = {{step, instance, node, group}};
    r123::Philox4x32::key_type k = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
    return rng(c, k);
}

// Four deviates for variables 4*group .. 4*group+3.
template <class T>
NMS_HD void normal4(std::uint64_t seed, std::uint32_t instance, std::uint32_t node,
                    std::uint32_t group, std::uint32_t step, T z[4]) {
    const auto u = philox_words(seed, instance, node, group, step);
    box_muller<T>(u.v[0], u.v[1], z[0], z[1]);
    box_muller<T>(u.v[2], u.v[3], z[2], z[3]);
}

template <class T>
NMS_HD T normal(std::uint64_t seed, std::uint32_t instance, std::uint32_t node,
                std::uint32_t var, std::uint32_t step) {
    T z[4];
    normal4<T>(seed, instance, node, var / 4, step, z);
    return z[var % 4];
}

} // namespace nms
