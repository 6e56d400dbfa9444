#pragma once

// Everything a device reduces for an observer that is device_reducible(),
// for one device batch (instances i0 .. i0 + n - 1): set up from the
// observer, run after every reduced sample, handed back to it once. Written
// once over an executor X (nmsweep/analysis/channel_schedule.hpp): the CUDA backend's
// run_range and the host tests run this same code.
//
// Projection 0 of the nodes: its analysis units and Welch ring are updated
// by the stepping kernels (attach() points them at their buffers); FC and
// synchrony after every sample from the node values the stepping leaves in
// `net` (channel_reductions); Welch segments at the steps segment_stops()
// lists. Sensor modalities: signals projected from the node values (of
// projection 0 or another), then every reduction of their plan. BOLD: the
// hemodynamics and the co-moments of the BOLD samples.

#include "bold_kernels.hpp"
#include "instance_kernels.hpp" // project_node
#include "nmsweep/analysis/channel_schedule.hpp"
#include "nmsweep/analysis/welch_steps.hpp"
#include "sensor_kernels.hpp"

#include "nmsweep/engine/batch.hpp"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace nms::gpu {

// Projection q of every node from the state between steps.
template <class A> struct project_nodes_op {
    A a;
    int q;
    double* out;
    NMS_HD void operator()(long g) const { out[g] = project_node(a, q, int(g / a.n), int(g % a.n)); }
};
struct project_sensors_op {
    sensor_args sa;
    const double* x;
    double* y;
    long step;
    NMS_HD void operator()(long g) const { project_sensor(sa, x, y, g / sa.n, g % sa.n, step); }
};
struct sensor_mean_op {
    sensor_args sa;
    double* y;
    NMS_HD void operator()(long i) const { sensor_mean(sa, y, i); }
};
struct bold_input_op {
    bold_args ba;
    const double* x;
    long g;
    NMS_HD void operator()(long at) const { bold_input(ba, x, at, g); }
};
struct bold_sample_op {
    bold_args ba;
    long j;
    double w;
    bool exact;
    NMS_HD void operator()(long at) const { bold_sample(ba, at, j, w, exact); }
};

template <class T, class X> class device_analyses {
    template <class V> using buf = typename X::template buffer<V>;
    using reductions = channel_reductions<T, X>;

  public:
    device_analyses(X& ex, observer<T>& obs, std::size_t i0, long nn, long n, int n_proj, bool by_node)
        : ex_(ex), obs_(obs), i0_(i0), nn_(nn), n_(n), cs_(nn * n), req0_(obs.device_requests()),
          red0_(ex, nn, n, after_sample_requests(req0_)), units0_(req0_, nn, n) {
        for (const auto& sp : obs.device_sensors()) add_sensors(sp);
        bold_ = obs.device_bold(bp_);
        if (bold_) set_up_bold();
        per_sample_ = !red0_.sched.empty() || bold_ || !sens_.empty();
        if (by_node || per_sample_) net_.zeros(std::size_t(cs_));
        proj_.resize(std::size_t(std::max(1, n_proj)));
        if (bold_) need_source(bp_.source);
        for (const auto& s : sens_) need_source(s->source);
        for (const auto& q : req0_)
            if (is_welch(q))
                welch0_ = std::make_unique<welch>(ex, nn, n, params_from<spectra_params>(q.params));
        every_ = obs.every;
        first_ = (std::max<long>(1, obs.first_needed_step()) + every_ - 1) / every_ * every_;
    }

    // Points the stepping kernels' arguments at the units, the node values
    // and the Welch ring, and sets the reduced samples.
    template <class A> void attach(A& a) const {
        a.reduce = true;
        a.every = int(every_);
        a.reduce_first = first_;
        a.units = units0_.slots;
        a.net = net_.n ? net_.p : nullptr;
        if (welch0_) {
            a.seg_ring = welch0_->ring.p;
            a.seg_len = welch0_->L;
        }
    }
    // Whether schedule operations follow every reduced sample (else the
    // stepping kernels do all of it).
    bool per_sample() const { return per_sample_; }

    // After the reduced sample at step `step` (a's state and net hold it).
    template <class A> void after_sample(const A& a, long step) {
        red0_.after_sample(net_.p);
        for (std::size_t q = 1; q < proj_.size(); ++q)
            if (proj_[q]) ex_.each(cs_, project_nodes_op<A>{a, int(q), proj_[q]->p});
        for (auto& s : sens_) {
            ex_.each(s->sa.S * n_, project_sensors_op{s->sa, source(s->source), s->y.p, step});
            ex_.each(n_, sensor_mean_op{s->sa, s->y.p});
            s->red->after_sample(s->y.p);
        }
        if (bold_) bold_after(source(bp_.source));
    }

    // The steps after which a Welch segment ends, with the sample index (from
    // 0) it ends at, up to `steps`.
    std::vector<std::pair<long, long>> segment_stops(long steps) const {
        std::vector<std::pair<long, long>> out;
        if (welch0_)
            for (long smp = welch0_->L - 1; first_ + smp * every_ <= steps; smp += welch0_->sp.step)
                out.push_back({first_ + smp * every_, smp});
        return out;
    }
    // The Welch segment ending at sample smp (its ring is full).
    void welch_segment(long smp) { welch0_->segment(smp); }

    // Everything reduced, after `steps` steps, to the observer.
    void hand_over(long steps) {
        const long reduced = steps >= first_ ? (steps - first_) / every_ + 1 : 0;
        const std::vector<double> bmean = bmean_.download(), bc = bc_.download(), bts = bts_.download();
        reduced_state m{i0_, n_, int(n_), int(nn_), reduced};
        std::vector<device_state> after = red0_.hand_over(i0_);
        int u = 0;
        std::size_t k = 0;
        for (const auto& q : req0_) {
            if (q.unit) {
                m.states.push_back(units0_.hand_over(u++, i0_, reduced));
            } else if (is_welch(q)) {
                device_state s{i0_, n_, int(n_), int(nn_ + 1), reduced};
                welch0_->hand_over(s);
                m.states.push_back(std::move(s));
            } else {
                after.at(k).count = reduced;
                m.states.push_back(std::move(after.at(k++)));
            }
        }
        for (auto& s : sens_) m.sensors.push_back(s->red->hand_over(i0_));
        m.bold_count = bold_count_;
        m.bold_mean = bmean.data();
        m.bold_c = bc.data();
        m.bold_ts = bts.data();
        obs_.observe_reduced(m);
    }

  private:
    using welch = welch_schedule<T, X>;
    static bool is_welch(const device_request& q) {
        return !q.unit && q.id == unit_index<welch_analysis>(analysis_schedules{});
    }
    // The nodes' schedule analyses run after every sample (Welch aside: the
    // stepping kernels fill its ring).
    static std::vector<device_request> after_sample_requests(const std::vector<device_request>& r) {
        std::vector<device_request> out;
        for (const auto& q : r)
            if (!q.unit && !is_welch(q)) out.push_back(q);
        return out;
    }
    struct sensor_set {
        sensor_args sa;
        buf<double> gain, y;
        std::unique_ptr<reductions> red;
        int source = 0;
    };
    void add_sensors(const sensor_params& sp) {
        auto s = std::make_unique<sensor_set>();
        s->gain.assign(sp.gain);
        s->y.zeros(std::size_t((sp.n_sensors + 1) * n_));
        s->sa = {s->gain.p,      nn_,           sp.n_sensors, n_,
                 sp.noise_sigma, sp.noise_seed, sp.noise_var, std::uint64_t(sp.instance_offset + i0_)};
        s->red = std::make_unique<reductions>(ex_, sp.n_sensors, n_, sp.requests);
        s->source = sp.source;
        sens_.push_back(std::move(s));
    }
    // Node values of another projection than the observable (q > 0), for
    // BOLD or a sensor modality.
    void need_source(int q) {
        if (q > 0 && !proj_[std::size_t(q)]) {
            proj_[std::size_t(q)] = std::make_unique<buf<double>>();
            proj_[std::size_t(q)]->zeros(std::size_t(cs_));
        }
    }
    const double* source(int q) const { return q == 0 ? net_.p : proj_[std::size_t(q)]->p; }

    void set_up_bold() {
        const std::size_t cs = std::size_t(cs_);
        bx_.zeros(4 * cs);
        for (auto* d : {&bz_, &bb0_, &bb1_, &by_, &bmean_, &bd_, &be_}) d->zeros(cs);
        if (bp_.grid.m > 1) bzs_.zeros(cs);
        bc_.zeros(std::size_t(fc_pairs(nn_) * n_));
        bts_.zeros(std::size_t(bp_.n_keep) * cs);
        if (!bp_.per_instance.empty())
            bper_.assign(std::vector<observe::balloon<double>>(bp_.per_instance.begin() + long(i0_),
                                                               bp_.per_instance.begin() + long(i0_) + n_));
        ba_.x = bx_.p;
        ba_.zprev = bz_.p;
        ba_.zsum = bzs_.p;
        ba_.bnow = bb0_.p;
        ba_.bprev = bb1_.p;
        ba_.y = by_.p;
        ba_.ts = bp_.n_keep ? bts_.p : nullptr;
        ba_.per = bp_.per_instance.empty() ? nullptr : bper_.p;
        set_bold_params(ba_, bp_, cs_, n_);
    }
    void bold_after(const double* x) {
        bold_schedule(
            ba_, bp_.grid, ++bold_k_, bold_count_,
            [&](long g) {
                ex_.each(cs_, bold_input_op{ba_, x, g});
            },
            [&](long j, double w, bool exact, long count) {
                ex_.each(cs_, bold_sample_op{ba_, j, w, exact});
                ex_.each(cs_, fc_means_op{by_.p, bmean_.p, bd_.p, be_.p, double(count)});
                ex_.each_lanes(nn_, n_, fc_rows_op{bd_.p, be_.p, bc_.p, nn_, n_});
            });
    }

    X& ex_;
    observer<T>& obs_;
    std::size_t i0_;
    long nn_, n_, cs_;
    std::vector<device_request> req0_;
    reductions red0_;
    unit_buffers<X> units0_;
    std::vector<std::unique_ptr<sensor_set>> sens_;
    bold_params bp_;
    bool bold_ = false, per_sample_ = false;
    bold_args ba_;
    buf<double> bx_, bz_, bzs_, bb0_, bb1_, by_, bmean_, bd_, be_, bc_, bts_;
    buf<observe::balloon<double>> bper_;
    long bold_k_ = 0, bold_count_ = 0;
    buf<double> net_;
    std::vector<std::unique_ptr<buf<double>>> proj_;
    std::unique_ptr<welch> welch0_;
    long every_ = 1, first_ = 0;
};

} // namespace nms::gpu
