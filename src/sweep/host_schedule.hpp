#pragma once

// An analysis (a schedule analysis: FC, Welch, synchrony, or a unit)
// run on the CPU: the device's schedule (channel_schedule.hpp) with the host
// executor, one per block of instances the observer hands over (a CPU block,
// or a chunk of a device batch's lanes), so that the arithmetic the GPU runs
// is the arithmetic the CPU runs. After a block's last sample its state is
// handed over to the reducer exactly as a device would hand it over
// (load_device), and the block's schedule is dropped.

#include "host_executor.hpp"
#include "nmsweep/analysis/channel_schedule.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace nms {

class host_schedule {
  public:
    // The analysis `q` asks for, over n_samples samples per instance.
    host_schedule(device_request q, long n_samples) : q_(std::move(q)), n_samples_(n_samples) {}

    // A block's sample of nch channels (obs: the nodes' values, net: their
    // mean); its state goes to load(device_state) once the block is done.
    // The block's lanes run as sub-blocks of `sub` lanes (padding lanes
    // skipped): every lane's arithmetic is its own, and a schedule's
    // segments and spectra (per-thread scratch, the size of its ring) then
    // stay a fraction of the block's rings.
    template <class Load> void add(const obs_block& b, long nch, Load&& load) {
        for (int l0 = 0; l0 < b.n_valid; l0 += sub)
            add_lanes(b, l0, std::min(sub, b.n_valid - l0), nch, load);
    }

    // Samples were fed to a block that has not been handed over (a caller
    // that stopped short of n_samples): its results would be missing.
    void check_done(const char* who) const {
        std::lock_guard<std::mutex> lock(mu_);
        if (!blocks_.empty())
            throw std::logic_error(std::string(who) +
                                   ": a block of instances got fewer samples than planned");
    }

  private:
    static constexpr int sub = 4;

    // Lanes l0 .. l0 + w - 1 of block b, as a block of their own.
    template <class Load> void add_lanes(const obs_block& b, int l0, int w, long nch, Load&& load) {
        const std::size_t first = b.first + std::size_t(l0);
        block& k = find(first, w, nch);
        for (long c = 0; c < nch; ++c)
            std::copy(b.obs + c * b.lanes + l0, b.obs + c * b.lanes + l0 + w, k.x.begin() + c * w);
        std::copy(b.net + l0, b.net + l0 + w, k.x.begin() + nch * w);
        k.r->after_sample(k.x.data());
        if (k.r->count < n_samples_) return;
        device_state st = std::move(k.r->hand_over(first).at(0));
        load(st);
        std::lock_guard<std::mutex> lock(mu_);
        blocks_.erase(first);
    }

    using executor = host_executor<double>;
    struct block {
        executor ex;
        std::unique_ptr<channel_reductions<double, executor>> r;
        std::vector<double> x; // this sample's channels, [c * lanes + lane], the mean last
    };
    block& find(std::size_t first, int lanes, long nch) {
        std::lock_guard<std::mutex> lock(mu_);
        auto& k = blocks_[first];
        if (!k) {
            k = std::make_unique<block>();
            k->r = std::make_unique<channel_reductions<double, executor>>(k->ex, nch, lanes,
                                                                          std::vector<device_request>{q_});
            k->x.resize(std::size_t((nch + 1) * lanes));
        }
        return *k;
    }

    device_request q_;
    long n_samples_;
    mutable std::mutex mu_;
    std::unordered_map<std::size_t, std::unique_ptr<block>> blocks_;
};

} // namespace nms
