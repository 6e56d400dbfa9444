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
    template <class Load> void add(const obs_block& b, long nch, Load&& load) {
        block& k = find(b, nch);
        const std::size_t L = std::size_t(b.lanes), C = std::size_t(nch);
        std::copy(b.obs, b.obs + C * L, k.x.begin());
        std::copy(b.net, b.net + L, k.x.begin() + long(C * L));
        k.r->after_sample(k.x.data());
        if (k.r->count < n_samples_) return;
        device_state st = std::move(k.r->hand_over(b.first).at(0));
        st.n_valid = b.n_valid; // (the block's padding lanes aside)
        load(st);
        std::lock_guard<std::mutex> lock(mu_);
        blocks_.erase(b.first);
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
    using executor = host_executor<double>;
    struct block {
        executor ex;
        std::unique_ptr<channel_reductions<double, executor>> r;
        std::vector<double> x; // this sample's channels, [c * lanes + lane], the mean last
    };
    block& find(const obs_block& b, long nch) {
        std::lock_guard<std::mutex> lock(mu_);
        auto& k = blocks_[b.first];
        if (!k) {
            k = std::make_unique<block>();
            k->r = std::make_unique<channel_reductions<double, executor>>(k->ex, nch, b.lanes,
                                                                          std::vector<device_request>{q_});
            k->x.resize(std::size_t((nch + 1) * b.lanes));
        }
        return *k;
    }

    device_request q_;
    long n_samples_;
    mutable std::mutex mu_;
    std::unordered_map<std::size_t, std::unique_ptr<block>> blocks_;
};

} // namespace nms
