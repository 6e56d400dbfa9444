#pragma once

// Bridges the engine's block observer to the reducers: computes the
// observable (a linear combination of state variables) per node and its
// network mean once per sampled step after the transient, feeds every
// reducer (and, through add_channel, other observables to their own
// reducers), and keeps decimated time series of chosen instances.

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <vector>

namespace nms {

template <class T> class sweep_observer final : public observer<T> {
  public:
    sweep_observer(std::vector<double> coef, long transient_steps, long sample_every,
                   std::vector<reducer*> reducers, std::size_t batch_first,
                   std::vector<std::size_t> ts_instances = {}, long ts_every = 0)
        : coef_(std::move(coef)), transient_(transient_steps), reducers_(std::move(reducers)),
          batch_first_(batch_first), ts_every_(ts_every) {
        this->every = sample_every;
        if (ts_every > 0) this->every = gcd(sample_every, ts_every);
        sample_every_ = sample_every;
        for (auto i : ts_instances) series_[i];
    }

    // Another observable (coefficients as the constructor's) feeding its own
    // reducers at the same sampled steps: e.g. the BOLD drive, or a sensor
    // modality's regional observable, when they differ from the main one.
    void add_channel(std::vector<double> coef, std::vector<reducer*> reducers) {
        channels_.push_back({std::move(coef), std::move(reducers)});
    }

    void observe(const block_state<T>& s) override {
        const int L = s.lanes, nn = s.n_nodes;
        const bool reduce = s.step > transient_ && s.step % sample_every_ == 0;
        const bool record = ts_every_ > 0 && s.step % ts_every_ == 0 && !series_.empty();
        if (!reduce && !record) return;
        thread_local std::vector<double> obs, net;
        compute(coef_, s, obs, net);
        if (reduce) {
            obs_block b{s.step, s.inst0, L, s.n_valid, nn, obs.data(), net.data()};
            for (auto* r : reducers_) r->accumulate(b);
            thread_local std::vector<double> cobs, cnet;
            for (const auto& ch : channels_) {
                compute(ch.coef, s, cobs, cnet);
                obs_block cb{s.step, s.inst0, L, s.n_valid, nn, cobs.data(), cnet.data()};
                for (auto* r : ch.reducers) r->accumulate(cb);
            }
        }
        if (record) {
            for (int l = 0; l < s.n_valid; ++l) {
                auto it = series_.find(batch_first_ + s.inst0 + std::size_t(l));
                if (it == series_.end()) continue;
                std::lock_guard<std::mutex> lock(mu_);
                for (int n = 0; n < nn; ++n) it->second.push_back(obs[std::size_t(n) * L + l]);
            }
        }
    }

    // The GPU backend computes the observable on the device and hands it
    // over for all instances of a device batch at once; lanes are taken in
    // chunks, in parallel, as the CPU backend's blocks would be.
    std::vector<std::vector<double>> projections() const override {
        std::vector<std::vector<double>> out{coef_};
        for (const auto& ch : channels_) out.push_back(ch.coef);
        return out;
    }
    long first_needed_step() const override { return series_.empty() || ts_every_ <= 0 ? transient_ + 1 : 0; }
    // Device analyses (at most max_device_units units and one Welch: the
    // stepping kernels keep its ring), at most one BOLD reducer, any number
    // of sensor modalities: all on the device; the other channels (another
    // observable) may hold the BOLD reducer and sensor modalities.
    bool device_reducible() const override {
        if ((ts_every_ > 0 && !series_.empty()) || reducers_.empty()) return false;
        int bold = 0, units = 0, welch = 0;
        for (const auto& ch : channels_)
            for (auto* r : ch.reducers) {
                bold_params bp;
                sensor_params sn;
                if (r->takes_bold(bp))
                    ++bold;
                else if (!r->takes_sensors(sn))
                    return false;
            }
        const int welch_id = unit_index<welch_analysis>(analysis_schedules{});
        for (auto* r : reducers_) {
            bold_params bp;
            if (device_request q; r->takes_device(q)) {
                units += q.unit ? 1 : 0;
                welch += !q.unit && q.id == welch_id ? 1 : 0;
            } else if (r->takes_bold(bp)) {
                ++bold;
            } else if (sensor_params sn; !r->takes_sensors(sn)) {
                return false;
            }
        }
        return units <= max_device_units && welch <= 1 && bold <= 1 && this->every == sample_every_;
    }
    // (Sensor modalities of the observable first, then those of the other
    // channels, each with its source projection.)
    std::vector<sensor_params> device_sensors() const override {
        std::vector<sensor_params> out;
        for_each_source([&](reducer* r, int source) {
            if (sensor_params sn; r->takes_sensors(sn)) {
                sn.source = source;
                out.push_back(std::move(sn));
            }
        });
        return out;
    }
    std::vector<device_request> device_requests() const override {
        std::vector<device_request> out;
        for (auto* r : reducers_)
            if (device_request q; r->takes_device(q)) out.push_back(std::move(q));
        return out;
    }
    bool device_bold(bold_params& p) const override {
        bool found = false;
        for_each_source([&](reducer* r, int source) {
            if (!found && r->takes_bold(p)) {
                p.source = source;
                found = true;
            }
        });
        return found;
    }
    void observe_reduced(const reduced_state& m) override {
        std::size_t k = 0,
                    q = 0; // sensor modalities and requests in device_sensors' and device_requests' order
        for (const auto& ch : channels_)
            for (auto* r : ch.reducers) {
                bold_params bp;
                if (r->takes_bold(bp)) r->load_bold(m);
            }
        for_each_source([&](reducer* r, int) {
            if (sensor_params sn; r->takes_sensors(sn)) r->load_sensors(m.sensors.at(k++));
        });
        for (auto* r : reducers_) {
            if (device_request dr; r->takes_device(dr))
                r->load_device(m.states.at(q++));
            else if (bold_params bp; r->takes_bold(bp))
                r->load_bold(m);
            // (sensor modalities: loaded above, in device_sensors' order)
        }
    }

    void observe_projected(const projected_state<T>& s) override {
        const bool reduce = s.step > transient_ && s.step % sample_every_ == 0;
        const bool record = ts_every_ > 0 && s.step % ts_every_ == 0 && !series_.empty();
        if (!reduce && !record) return;
        constexpr int W = 256;
        const int nn = s.n_nodes;
        const int n_chunks = (s.n_valid + W - 1) / W;
#pragma omp parallel for schedule(static)
        for (int c = 0; c < n_chunks; ++c) {
            const int l0 = c * W, w = std::min(W, s.n_valid - l0);
            // Projection p of lanes l0 .. l0+w-1 in double, and its node mean.
            auto widen = [&](int p, std::vector<double>& obs, std::vector<double>& net) {
                const T* src = s.obs + long(p) * nn * s.stride;
                obs.assign(std::size_t(nn) * W, 0.0);
                net.assign(std::size_t(W), 0.0);
                for (int n = 0; n < nn; ++n)
                    for (int l = 0; l < w; ++l)
                        obs[std::size_t(n) * W + l] = double(src[n * s.stride + l0 + l]);
                for (int n = 0; n < nn; ++n)
                    for (int l = 0; l < w; ++l) net[std::size_t(l)] += obs[std::size_t(n) * W + l] / nn;
            };
            thread_local std::vector<double> obs, net;
            widen(0, obs, net);
            if (reduce) {
                obs_block b{s.step, s.first + std::size_t(l0), W, w, nn, obs.data(), net.data()};
                for (auto* r : reducers_) r->accumulate(b);
                thread_local std::vector<double> cobs, cnet;
                for (std::size_t p = 0; p < channels_.size() && int(p) + 1 < s.n_proj; ++p) {
                    widen(int(p) + 1, cobs, cnet);
                    obs_block cb{s.step, s.first + std::size_t(l0), W, w, nn, cobs.data(), cnet.data()};
                    for (auto* r : channels_[p].reducers) r->accumulate(cb);
                }
            }
            if (record) {
                for (int l = 0; l < w; ++l) {
                    auto it = series_.find(batch_first_ + s.first + std::size_t(l0 + l));
                    if (it == series_.end()) continue;
                    std::lock_guard<std::mutex> lock(mu_);
                    for (int n = 0; n < nn; ++n) it->second.push_back(obs[std::size_t(n) * W + l]);
                }
            }
        }
    }

    // Decimated observable of the recorded instances: [time][node] flattened.
    const std::map<std::size_t, std::vector<double>>& series() const { return series_; }

  private:
    // Every reducer with the projection it observes (0: the observable; k:
    // channel k - 1).
    template <class F> void for_each_source(F&& f) const {
        for (auto* r : reducers_) f(r, 0);
        for (std::size_t c = 0; c < channels_.size(); ++c)
            for (auto* r : channels_[c].reducers) f(r, int(c) + 1);
    }
    struct channel {
        std::vector<double> coef;
        std::vector<reducer*> reducers;
    };
    // obs[node * lanes + lane] = sum_k coef_k term_k, net[lane] = its node mean.
    static void compute(const std::vector<double>& coef, const block_state<T>& s, std::vector<double>& obs,
                        std::vector<double>& net) {
        const int L = s.lanes, nn = s.n_nodes;
        obs.assign(std::size_t(nn) * L, 0.0);
        net.assign(std::size_t(L), 0.0);
        for (std::size_t k = 0; k < coef.size(); ++k) {
            const double c = coef[k];
            if (c == 0) continue;
            const int v = int(k % std::size_t(s.n_state));
            const std::size_t part = k / std::size_t(s.n_state); // 0: x, 1: sin x, 2: cos x
            for (int n = 0; n < nn; ++n)
                for (int l = 0; l < L; ++l) {
                    const double x = double(s.at(v, n, l));
                    obs[std::size_t(n) * L + l] += c * (part == 0   ? x
                                                        : part == 1 ? std::sin(x)
                                                                    : std::cos(x));
                }
        }
        for (int n = 0; n < nn; ++n)
            for (int l = 0; l < L; ++l) net[std::size_t(l)] += obs[std::size_t(n) * L + l] / nn;
    }
    static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }
    std::vector<channel> channels_;
    std::vector<double> coef_;
    long transient_;
    long sample_every_ = 1;
    std::vector<reducer*> reducers_;
    std::size_t batch_first_;
    long ts_every_;
    std::map<std::size_t, std::vector<double>> series_;
    std::mutex mu_;
};

} // namespace nms
