#pragma once

// The host side of every analysis unit (unit.hpp): a reducer that runs the
// unit's update in the sweep observer's lane loop, or takes the states a
// backend ran (takes_device / load_device), and finalises them into
// features/<feature> [G, node] and features/network_<feature> [G].

#include "nmsweep/analysis/units.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace nms {

// A unit's states as a device handed them over ([channel * stride + lane])
// into st[instance * ch + channel].
template <class S> void load_unit_states(const device_state& u, std::vector<S>& st, std::size_t ch) {
    const unsigned char* src = u.bytes.at(0).data();
    for (int l = 0; l < u.n_valid; ++l)
        for (std::size_t c = 0; c < ch; ++c)
            std::memcpy(&st[(u.first + std::size_t(l)) * ch + c],
                        src + (c * std::size_t(u.stride) + std::size_t(l)) * sizeof(S), sizeof(S));
}

template <class U> class unit_reducer final : public reducer {
    using state = typename U::state;

  public:
    unit_reducer(const std::vector<std::string>& picked, const sampling& smp, const std::string& units)
        : p_(U::make_params(smp)) {
        const auto all = U::values(units);
        for (const auto& f : picked)
            for (std::size_t k = 0; k < all.size(); ++k)
                if (f == all[k].feature) want_.push_back({int(k), all[k]});
    }

    void reset(std::size_t n, int n_nodes) override {
        nn_ = n_nodes;
        st_.assign(n * std::size_t(n_nodes + 1), U::start(p_));
    }

    void accumulate(const obs_block& b) override {
        const std::size_t ch = std::size_t(nn_ + 1);
        for (int l = 0; l < b.n_valid; ++l) {
            state* s = st_.data() + (b.first + std::size_t(l)) * ch;
            for (int c = 0; c < nn_; ++c) U::update(s[c], p_, b.obs[std::size_t(c) * b.lanes + l]);
            U::update(s[nn_], p_, b.net[l]);
        }
    }

    bool takes_device(device_request& r) const override {
        r.unit = true;
        r.id = unit_index<U>(analysis_units{});
        r.params = params_bytes(p_);
        r.nodes = true;
        return true;
    }
    void load_device(const device_state& u) override { load_unit_states(u, st_, std::size_t(nn_ + 1)); }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        for (const auto& w : want_) {
            out.push_back({"features/" + w.v.feature,
                           {"node"},
                           {std::size_t(nn_)},
                           {},
                           w.v.units,
                           w.v.node_description});
            out.push_back(
                {"features/network_" + w.v.feature, {}, {}, {}, w.v.units, w.v.network_description});
        }
        return out;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        const auto& w = want_[k / 2];
        const state* s = st_.data() + i * std::size_t(nn_ + 1);
        if (k % 2 == 1)
            out[0] = U::value(w.k, s[nn_], p_);
        else
            for (int c = 0; c < nn_; ++c) out[c] = U::value(w.k, s[c], p_);
    }

    std::size_t bytes_per_instance(int n_nodes) const override {
        return std::size_t(n_nodes + 1) * sizeof(state);
    }

  private:
    struct wanted {
        int k;
        unit_value v;
    };
    typename U::params p_;
    std::vector<wanted> want_;
    int nn_ = 0;
    std::vector<state> st_;
};

} // namespace nms
