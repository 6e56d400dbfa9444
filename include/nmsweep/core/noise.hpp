#pragma once

// Counter-based normal deviates. The deviate for (seed, instance, node,
// variable, step) is a pure function of those numbers (DESIGN.md, Noise), so
// results do not depend on thread count, batch size or backend.
//
// Stream definition (version 2, keep stable: results files record it):
//   key = { seed & 0xffffffff, seed >> 32 }
//   ctr = { step / 4, instance, node, variable }
//   (u0,u1,u2,u3) = Philox4x32-10(ctr, key)
//   (z0,z1) = Box-Muller(u0,u1), (z2,z3) = Box-Muller(u2,u3)
//   deviate = z[step % 4]
// Box-Muller: a = pi * uneg11(ua), r = sqrt(-2 log(u01(ub))),
//   (z_a, z_b) = r * (sin a, sin(a + pi/2)).
// One Philox call serves four steps of one variable, so that a model with
// one noisy variable pays a quarter of a call per node-step.

#include "nmsweep/core/hd.hpp"

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

namespace nms {

constexpr int noise_stream_version = 2;

template <class T> NMS_HD void box_muller(std::uint32_t u0, std::uint32_t u1, T& za, T& zb) {
    const T ang = T(pi) * r123::uneg11<T>(u0);
    const T r = nsqrt(T(-2) * nlog(r123::u01<T>(u1)));
    za = r * nsin(ang);
    // cos as a shifted sin: keeps the pair two plain vectorisable calls
    // (GCC would fuse sin+cos into a scalar sincos call).
    zb = r * nsin(ang + T(pi / 2));
}

// The four raw 32-bit words of (seed, instance, node, variable, step block)
// (returned by value: GCC vectorises a loop over instances calling this,
// not one writing through an output pointer).
NMS_HD r123::Philox4x32::ctr_type philox_words(std::uint64_t seed, std::uint32_t instance, std::uint32_t node,
                                               std::uint32_t var, std::uint32_t step_block) {
    r123::Philox4x32 rng;
    r123::Philox4x32::ctr_type c = {{step_block, instance, node, var}};
    r123::Philox4x32::key_type k = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
    return rng(c, k);
}

// The deviates of steps 4b .. 4b+3 of one variable.
template <class T>
NMS_HD void normal4(std::uint64_t seed, std::uint32_t instance, std::uint32_t node, std::uint32_t var,
                    std::uint32_t step_block, T z[4]) {
    const auto u = philox_words(seed, instance, node, var, step_block);
    box_muller<T>(u.v[0], u.v[1], z[0], z[1]);
    box_muller<T>(u.v[2], u.v[3], z[2], z[3]);
}

template <class T>
NMS_HD T normal(std::uint64_t seed, std::uint32_t instance, std::uint32_t node, std::uint32_t var,
                std::uint32_t step) {
    const auto u = philox_words(seed, instance, node, var, step >> 2);
    T za, zb;
    if (step & 2u)
        box_muller<T>(u.v[2], u.v[3], za, zb);
    else
        box_muller<T>(u.v[0], u.v[1], za, zb);
    return (step & 1u) ? zb : za;
}

} // namespace nms
