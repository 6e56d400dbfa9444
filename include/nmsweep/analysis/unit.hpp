#pragma once

// Analysis units: per-channel streaming analyses written once for both
// backends, as node_update is for the physics. A unit U is
//
//   struct U {
//       struct params { ... };  // plain data, copied to the device as bytes
//       struct state { ... };   // plain data, one per (channel, instance)
//       NMS_HD static state start(const params&);
//       NMS_HD static void update(state&, const params&, double x);  // one sample
//       static constexpr bool featured = true;  // a family of the feature table:
//       static constexpr const char* name = "...";  // its name
//       static constexpr bool sensor_space = true;  // allowed in [[output.sensors]]
//       static params make_params(const sampling&);
//       static std::vector<unit_value> values(const std::string& units);
//       static double value(int k, const state&, const params&);  // value k's finalisation
//   };
//
// A unit that is not featured (cycle tracking) is the device half of a
// reducer that finalises its states itself (the attractor classification).
//
// The channels of a signal are its nodes (or sensors) and, last, their mean.
// The CPU sweep observer runs update() in its lane loop (unit_reducer); the
// CUDA stepping kernels run it per thread at every reduced sample, with the
// unit picked at run time from the list analysis_units (units.hpp) by its
// index, so that the stepping kernels are instantiated once for all units.

#include "nmsweep/core/hd.hpp"

#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace nms {

template <class... U> struct unit_list {};

// One result of a unit per channel (host): features/<feature> [G, node] and
// features/network_<feature> [G].
struct unit_value {
    std::string feature, units, node_description, network_description;
};

// The most units one run reduces where the state lives.
constexpr int max_device_units = 8;

// The units a backend runs, type-erased: unit k of the list is list index
// id[k], with its params and states ([channel * stride + instance]);
// ch0[k] = 0 when every node is a channel besides the mean, n_nodes when
// the mean is the only one (its state then at channel 0).
struct unit_slots {
    int n = 0;
    int id[max_device_units] = {};
    int ch0[max_device_units] = {};
    const void* params[max_device_units] = {};
    void* state[max_device_units] = {};
};

namespace detail {
template <class U> NMS_HD void unit_update_at(void* st, const void* p, long at, double x) {
    U::update(static_cast<typename U::state*>(st)[at], *static_cast<const typename U::params*>(p), x);
}
NMS_HD void unit_update_id(unit_list<>, int, void*, const void*, long, double) {}
template <class U, class... R>
NMS_HD void unit_update_id(unit_list<U, R...>, int id, void* st, const void* p, long at, double x) {
    if (id == 0)
        unit_update_at<U>(st, p, at, x);
    else
        unit_update_id(unit_list<R...>{}, id - 1, st, p, at, x);
}
} // namespace detail

// Sample x of channel c (n_nodes: the mean) of instance i into every unit
// that has that channel; stride: the instances of the batch.
template <class L> NMS_HD void update_units(const unit_slots& u, int c, long stride, long i, double x) {
    for (int k = 0; k < u.n; ++k)
        if (c >= u.ch0[k])
            detail::unit_update_id(L{}, u.id[k], u.state[k], u.params[k], (c - u.ch0[k]) * stride + i, x);
}

// Host side, by list index: the size of a unit's state, and `count` start
// states for its params (bytes).
namespace detail {
inline std::size_t unit_state_bytes(unit_list<>, int) { return 0; }
template <class U, class... R> std::size_t unit_state_bytes(unit_list<U, R...>, int id) {
    return id == 0 ? sizeof(typename U::state) : unit_state_bytes(unit_list<R...>{}, id - 1);
}
inline void unit_start_states(unit_list<>, int, const void*, std::size_t, std::vector<unsigned char>&) {}
template <class U, class... R>
void unit_start_states(unit_list<U, R...>, int id, const void* p, std::size_t count,
                       std::vector<unsigned char>& out) {
    if (id != 0) return unit_start_states(unit_list<R...>{}, id - 1, p, count, out);
    const typename U::state s0 = U::start(*static_cast<const typename U::params*>(p));
    out.resize(count * sizeof(s0));
    for (std::size_t k = 0; k < count; ++k) std::memcpy(out.data() + k * sizeof(s0), &s0, sizeof(s0));
}
} // namespace detail

template <class L> std::size_t unit_state_bytes(int id) { return detail::unit_state_bytes(L{}, id); }
template <class L>
std::vector<unsigned char> unit_start_states(int id, const void* params, std::size_t count) {
    std::vector<unsigned char> out;
    detail::unit_start_states(L{}, id, params, count, out);
    return out;
}

// A params struct as the bytes of a device request, and back.
template <class P> std::vector<unsigned char> params_bytes(const P& p) {
    static_assert(std::is_trivially_copyable_v<P>, "params are plain data");
    std::vector<unsigned char> b(sizeof(P));
    std::memcpy(b.data(), &p, sizeof(P));
    return b;
}
template <class P> P params_from(const std::vector<unsigned char>& b) {
    P p;
    std::memcpy(&p, b.data(), sizeof(P));
    return p;
}

// The index of U in list L (-1: absent).
template <class U> constexpr int unit_index(unit_list<>) { return -1; }
template <class U, class V, class... R> constexpr int unit_index(unit_list<V, R...>) {
    if constexpr (std::is_same_v<U, V>)
        return 0;
    else
        return unit_index<U>(unit_list<R...>{}) < 0 ? -1 : 1 + unit_index<U>(unit_list<R...>{});
}

} // namespace nms
