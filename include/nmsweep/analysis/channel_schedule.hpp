#pragma once

// The per-sample schedule of the reductions of one set of channels, written
// once and run by an executor X: the CUDA backend's (a launch per step,
// cuFFT; kernels/cuda_engine.cuh) or the host's (a loop with one iteration
// per GPU thread, FFTW; src/sweep/host_executor.hpp), which the CPU sweep
// runs per block of instances (src/sweep/host_schedule.hpp). From the
// channels' values x[c * n + i] (c < nch) and their mean x[nch * n + i],
// after every sample: the analysis units, FC (+FCD), Welch spectra and
// synchrony. The arithmetic is the units' update and the per-thread NMS_HD
// functions of fc_steps.hpp, synchrony_steps.hpp and welch_steps.hpp.
//
// An executor X provides: X::buffer<V> (zeros(n), assign(host vector), p,
// n, download()), X::scratch<V>(slot) (zeros(n), get(): contents that live
// within one operation), each(count, op) calling op(g) for g < count (a GPU
// thread each), each_lanes(rows, n, op) calling op.lanes<W>(r, i0) for
// lanes i0 .. i0 + W - 1 of each row r < rows (a GPU thread per lane, W = 1;
// the host takes W adjacent lanes at once, its innermost, vectorised loop:
// each lane's arithmetic is the same either way), zero(p, n), and
// make_r2c(L, B) / make_inverse(L, B):
// batched FFTs of B series laid out [t * B + b] (run(in, out) / run(z), in
// place).

#include "nmsweep/analysis/fc_steps.hpp"
#include "nmsweep/analysis/synchrony_steps.hpp"
#include "nmsweep/analysis/welch_steps.hpp"

#include "nmsweep/analysis/schedules.hpp"
#include "nmsweep/analysis/units.hpp"
#include "nmsweep/engine/batch.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

namespace nms {

// ---- Operations: op(g), one per GPU thread g; or op.lanes<W>(row, i0), one
// per GPU thread for each lane of each row, W lanes at a time on the host --

template <class T> struct ring_store_op {
    const double* x;
    T* ring;
    long B, slot;
    NMS_HD void operator()(long b) const { ring_store(x, ring, B, slot, b); }
};
template <class T> struct welch_prepare_op {
    const T* ring;
    long length, first_slot;
    const double* window;
    T* seg;
    long B, n;
    template <int W> NMS_HD void lanes(long r, long i0) const {
        welch_prepare<W>(ring, B, length, first_slot, window, seg, r * n + i0);
    }
};
template <class T> struct welch_accumulate_op {
    const T* X;
    long bins, B, n;
    double* psd;
    template <int W> NMS_HD void lanes(long r, long i0) const {
        welch_accumulate<W>(X, bins, B, r * n + i0, n, psd);
    }
};
struct fc_means_op {
    const double* x;
    double *mean, *d, *e;
    double k;
    NMS_HD void operator()(long g) const { fc_means(x, mean, d, e, k, g); }
};
struct fc_rows_op {
    const double *d, *e;
    double* C;
    long nn, n;
    template <int W> NMS_HD void lanes(long a, long i0) const { fc_row<W>(d, e, C, a, nn, n, i0); }
};
struct fcd_close_op {
    const double* C;
    float* fc;
    long nn, n;
    template <int W> NMS_HD void lanes(long a, long i0) const { fcd_close_row<W>(C, fc, a, nn, n, i0); }
};
struct order_op {
    const double* x;
    long nn, n;
    double k;
    double *r_mean, *r_m2;
    NMS_HD void operator()(long i) const { order_sample(x, nn, n, i, k, r_mean, r_m2); }
};
struct plv_phase_op {
    const double* x;
    long nn, n;
    double *re, *im;
    template <int W> NMS_HD void lanes(long a, long i0) const { plv_phase_row<W>(x, nn, n, a, i0, re, im); }
};
template <class T> struct hilbert_prepare_op {
    const T* ring;
    long L, first;
    T* seg;
    long B, n;
    template <int W> NMS_HD void lanes(long r, long i0) const {
        hilbert_prepare<W>(ring, L, first, seg, B, r * n + i0);
    }
};
template <class T> struct hilbert_mask_op {
    T* Z;
    long L, B, k0, k1, n;
    template <int W> NMS_HD void lanes(long r, long i0) const { hilbert_mask<W>(Z, L, B, k0, k1, r * n + i0); }
};
template <class T> struct hilbert_normalize_op {
    T* z;
    long B, off, hop, n;
    template <int W> NMS_HD void lanes(long r, long i0) const {
        hilbert_normalize<W>(z, B, off, hop, r * n + i0);
    }
};
template <class T> struct hilbert_order_op {
    const T* u;
    long nn, n, off, hop, base;
    double *r_mean, *r_m2;
    template <int W> NMS_HD void lanes(long, long i0) const {
        hilbert_order<W>(u, nn * n, nn, n, off, hop, base, i0, r_mean, r_m2);
    }
};
template <class T> struct hilbert_plv_op {
    const T* u;
    long nn, n, off, hop;
    double *re, *im;
    template <int W> NMS_HD void lanes(long a, long i0) const {
        hilbert_plv_row<W>(u, nn * n, nn, n, off, hop, a, i0, re, im);
    }
};

// The header of a state handed over: instances first .. first + n - 1, n
// apart, `channels` channels, `count` samples.
inline device_state state_header(std::size_t first, long n, long channels, long count) {
    device_state s;
    s.first = first;
    s.stride = n;
    s.n_valid = int(n);
    s.channels = int(channels);
    s.count = count;
    return s;
}

// ---- Analysis units (nmsweep/analysis/unit.hpp) ----------------------------

// Sample x[c * n + i] of every channel c (the mean last) into the units.
struct units_op {
    const double* x;
    unit_slots u;
    long n;
    NMS_HD void operator()(long g) const { update_units<analysis_units>(u, int(g / n), n, g % n, x[g]); }
};

// The params and states of the units `req` asks for (unit requests only),
// for nch channels and their mean of n instances, where the executor keeps
// them.
template <class X> struct unit_buffers {
    template <class V> using buf = typename X::template buffer<V>;
    std::vector<device_request> req;
    long nch, n;
    buf<unsigned char> params[max_device_units], state[max_device_units];
    unit_slots slots;

    unit_buffers(const std::vector<device_request>& r, long nch_, long n_) : nch(nch_), n(n_) {
        for (const auto& q : r)
            if (q.unit) req.push_back(q);
        if (req.size() > std::size_t(max_device_units)) throw std::logic_error("too many analysis units");
        slots.n = int(req.size());
        for (int k = 0; k < slots.n; ++k) {
            const auto& q = req[std::size_t(k)];
            params[k].assign(q.params);
            state[k].assign(
                unit_start_states<analysis_units>(q.id, q.params.data(), std::size_t(channels(k) * n)));
            slots.id[k] = q.id;
            slots.ch0[k] = q.nodes ? 0 : int(nch);
            slots.params[k] = params[k].p;
            slots.state[k] = state[k].p;
        }
    }
    long channels(int k) const { return req[std::size_t(k)].nodes ? nch + 1 : 1; }

    // Bytes per instance.
    static std::size_t bytes(long nch, const std::vector<device_request>& r) {
        std::size_t b = 0;
        for (const auto& q : r)
            if (q.unit) b += std::size_t(q.nodes ? nch + 1 : 1) * unit_state_bytes<analysis_units>(q.id);
        return b;
    }

    // Unit k's states, for instances first .. first + n - 1.
    device_state hand_over(int k, std::size_t first, long count) const {
        device_state s = state_header(first, n, channels(k), count);
        s.bytes.push_back(state[k].download());
        return s;
    }
};

// ---- Schedule analyses (nmsweep/analysis/schedules.hpp) ---------------------

// One schedule analysis of nch channels (and their mean) of n instances:
// operations after every sample j (from 0) of x[c * n + i], and its state.
template <class T> struct schedule {
    virtual ~schedule() = default;
    virtual void after_sample(const double* x, long j) = 0;
    virtual void hand_over(device_state& s) const = 0;
};

// Co-moments of the whole record, and of every open FCD window.
template <class T, class X> struct fc_schedule final : schedule<T> {
    template <class V> using buf = typename X::template buffer<V>;
    X& ex;
    long nch, n, cs, pairs, fcd_words;
    fc_params fp;
    buf<double> fmean, fd, fe, fcm, wmean, wc;
    buf<float> fcd;
    std::vector<long> wcount;
    long fcd_closed = 0;

    fc_schedule(X& x, long nch_, long n_, const fc_params& p)
        : ex(x), nch(nch_), n(n_), cs(nch_ * n_), pairs(fc_pairs(nch_)), fcd_words(fcd_pairs(nch_) * n_),
          fp(p) {
        fmean.zeros(std::size_t(cs));
        fd.zeros(std::size_t(cs));
        fe.zeros(std::size_t(cs));
        fcm.zeros(std::size_t(pairs * n));
        if (!fp.fcd) return;
        wmean.zeros(std::size_t(fp.slots * cs));
        wc.zeros(std::size_t(fp.slots * pairs * n));
        fcd.zeros(std::size_t(fp.n_windows * fcd_words));
        wcount.assign(std::size_t(fp.slots), 0);
    }
    static std::size_t bytes(long nch, const fc_params& p) {
        const std::size_t c = std::size_t(nch), pr = std::size_t(fc_pairs(nch));
        std::size_t b = (3 * c + pr) * sizeof(double);
        if (p.fcd)
            b += std::size_t(p.slots) * (c + pr) * sizeof(double) +
                 std::size_t(p.n_windows) * std::size_t(fcd_pairs(nch)) * sizeof(float);
        return b;
    }
    void after_sample(const double* x, long j) override {
        ex.each(cs, fc_means_op{x, fmean.p, fd.p, fe.p, double(j + 1)});
        ex.each_lanes(nch, n, fc_rows_op{fd.p, fe.p, fcm.p, nch, n});
        if (!fp.fcd) return;
        long k_lo, k_hi;
        fcd_windows(j, fp.window, fp.step, fp.n_windows, k_lo, k_hi);
        for (long k = k_lo; k <= k_hi; ++k) {
            const std::size_t s = std::size_t(k % fp.slots);
            double* wm = wmean.p + s * std::size_t(cs);
            double* C = wc.p + s * std::size_t(pairs * n);
            if (j == k * fp.step) { // the window opens
                wcount[s] = 0;
                ex.zero(wm, std::size_t(cs));
                ex.zero(C, std::size_t(pairs * n));
            }
            ex.each(cs, fc_means_op{x, wm, fd.p, fe.p, double(++wcount[s])});
            ex.each_lanes(nch, n, fc_rows_op{fd.p, fe.p, C, nch, n});
            if (j == k * fp.step + fp.window - 1) { // the window closes
                ex.each_lanes(nch, n, fcd_close_op{C, fcd.p + std::size_t(k * fcd_words), nch, n});
                ++fcd_closed;
            }
        }
    }
    void hand_over(device_state& s) const override {
        s.d = {fmean.download(), fcm.download()};
        s.f = {fcd.download()};
        s.counters = {fcd_closed};
    }
};

// Segments of L samples every `step` (Welch), the channels and their mean.
template <class T, class X> struct welch_schedule final : schedule<T> {
    template <class V> using buf = typename X::template buffer<V>;
    X& ex;
    long n, B, L, bins, n_segments = 0;
    spectra_params sp;
    buf<T> ring;
    typename X::template scratch<T> seg{0}, Xf{1}; // within segment() only
    buf<double> psd, win;
    std::unique_ptr<typename X::r2c> fft;

    welch_schedule(X& x, long nch, long n_, const spectra_params& p)
        : ex(x), n(n_), B((nch + 1) * n_), L(p.length), bins(p.length / 2 + 1), sp(p) {
        ring.zeros(std::size_t(L * B));
        seg.zeros(std::size_t(L * B));
        Xf.zeros(std::size_t(2 * bins * B));
        psd.zeros(std::size_t(bins * B));
        win.assign(welch_window(sp));
        fft = ex.make_r2c(L, B);
    }
    // Ring, segments, spectra and about as much for cuFFT's work area, sums in double.
    static std::size_t bytes(long nch, const spectra_params& p) {
        return std::size_t(nch + 1) *
               (std::size_t(p.length) * sizeof(T) * 4 + std::size_t(p.length / 2 + 1) * 8);
    }
    // The ring is filled elsewhere (the stepping kernels, for the nodes):
    // only the segment ending at sample smp.
    void segment(long smp) {
        T *s = seg.get(), *f = Xf.get();
        ex.each_lanes(B / n, n, welch_prepare_op<T>{ring.p, L, (smp + 1) % L, win.p, s, B, n});
        fft->run(s, f);
        ex.each_lanes(B / n, n, welch_accumulate_op<T>{f, bins, B, n, psd.p});
        ++n_segments;
    }
    void after_sample(const double* x, long j) override {
        ex.each(B, ring_store_op<T>{x, ring.p, B, j % L});
        if (segment_ends(j, L, sp.step)) segment(j);
    }
    void hand_over(device_state& s) const override {
        s.d = {psd.download()};
        s.counters = {bins, n_segments};
    }
};

// The Kuramoto order parameter (and PLV) of the channels' phases: the
// values themselves, or those of their analytic signal, segment by segment.
template <class T, class X> struct synchrony_schedule final : schedule<T> {
    template <class V> using buf = typename X::template buffer<V>;
    X& ex;
    long nch, n, cs, pairs;
    synchrony_params yp;
    buf<double> rmean, rm2, pre, pim;
    buf<T> hring;
    typename X::template scratch<T> hseg{0}, hz{1}; // within a segment only
    std::unique_ptr<typename X::r2c> hfwd;
    std::unique_ptr<typename X::inverse> hinv;
    long r_count = 0, plv_count = 0;

    synchrony_schedule(X& x, long nch_, long n_, const synchrony_params& p)
        : ex(x), nch(nch_), n(n_), cs(nch_ * n_), pairs(fc_pairs(nch_)), yp(p) {
        rmean.zeros(std::size_t(n));
        rm2.zeros(std::size_t(n));
        if (yp.plv) {
            pre.zeros(std::size_t(pairs * n));
            pim.zeros(std::size_t(pairs * n));
        }
        if (!yp.hilbert) return;
        const long L = yp.length;
        hring.zeros(std::size_t(L * cs));
        hseg.zeros(std::size_t(L * cs));
        hz.zeros(std::size_t(2 * L * cs));
        hfwd = ex.make_r2c(L, cs);
        hinv = ex.make_inverse(L, cs);
    }
    // R's moments; PLV sums; Hilbert ring, segments, spectra (2), cuFFT's work areas (~2).
    static std::size_t bytes(long nch, const synchrony_params& p) {
        const std::size_t pr = std::size_t(fc_pairs(nch));
        return 2 * sizeof(double) + (p.plv ? 2 * pr * sizeof(double) : 0) +
               (p.hilbert ? 6 * std::size_t(nch) * std::size_t(p.length) * sizeof(T) : 0);
    }
    void after_sample(const double* x, long j) override {
        if (yp.hilbert) return hilbert_after(x, j);
        r_count = j + 1; // the values are the phases
        ex.each(n, order_op{x, nch, n, double(r_count), rmean.p, rm2.p});
        if (yp.plv) ex.each_lanes(nch, n, plv_phase_op{x, nch, n, pre.p, pim.p});
        plv_count = yp.plv ? r_count : 0;
    }
    void hilbert_after(const double* x, long j) {
        const long L = yp.length;
        ex.each(cs, ring_store_op<T>{x, hring.p, cs, j % L});
        if (!segment_ends(j, L, yp.hop)) return;
        T *s = hseg.get(), *z = hz.get();
        ex.each_lanes(nch, n, hilbert_prepare_op<T>{hring.p, L, (j + 1) % L, s, cs, n});
        hfwd->run(s, z);
        ex.each_lanes(nch, n, hilbert_mask_op<T>{z, L, cs, yp.k0, yp.k1, n});
        hinv->run(z);
        ex.each_lanes(nch, n, hilbert_normalize_op<T>{z, cs, yp.offset, yp.hop, n});
        ex.each_lanes(1, n, hilbert_order_op<T>{z, nch, n, yp.offset, yp.hop, r_count, rmean.p, rm2.p});
        r_count += yp.hop;
        if (!yp.plv) return;
        ex.each_lanes(nch, n, hilbert_plv_op<T>{z, nch, n, yp.offset, yp.hop, pre.p, pim.p});
        plv_count += yp.hop;
    }
    void hand_over(device_state& s) const override {
        s.d = {rmean.download(), rm2.download(), pre.download(), pim.download()};
        s.counters = {r_count, plv_count};
    }
};

// Which schedule implements an analysis tag (one line per analysis, next to it).
template <class Tag, class T, class X> struct schedule_of;
template <class T, class X> struct schedule_of<fc_analysis, T, X> { using type = fc_schedule<T, X>; };
template <class T, class X> struct schedule_of<welch_analysis, T, X> { using type = welch_schedule<T, X>; };
template <class T, class X> struct schedule_of<synchrony_analysis, T, X> {
    using type = synchrony_schedule<T, X>;
};

namespace detail {
template <class T, class X>
std::unique_ptr<schedule<T>> make_schedule(unit_list<>, int, X&, long, long, const device_request&) {
    throw std::logic_error("unknown schedule analysis");
}
template <class T, class X, class Tag, class... R>
std::unique_ptr<schedule<T>> make_schedule(unit_list<Tag, R...>, int id, X& ex, long nch, long n,
                                           const device_request& q) {
    if (id != 0) return make_schedule<T, X>(unit_list<R...>{}, id - 1, ex, nch, n, q);
    using S = typename schedule_of<Tag, T, X>::type;
    return std::make_unique<S>(ex, nch, n, params_from<typename Tag::params>(q.params));
}
template <class T, class X> std::size_t schedule_bytes(unit_list<>, int, long, const device_request&) {
    return 0;
}
template <class T, class X, class Tag, class... R>
std::size_t schedule_bytes(unit_list<Tag, R...>, int id, long nch, const device_request& q) {
    if (id != 0) return schedule_bytes<T, X>(unit_list<R...>{}, id - 1, nch, q);
    return schedule_of<Tag, T, X>::type::bytes(nch, params_from<typename Tag::params>(q.params));
}
} // namespace detail

// The schedule analysis of a request, and its bytes per instance.
template <class T, class X>
std::unique_ptr<schedule<T>> make_schedule(X& ex, long nch, long n, const device_request& q) {
    return detail::make_schedule<T, X>(analysis_schedules{}, q.id, ex, nch, n, q);
}
template <class T, class X> std::size_t schedule_bytes(long nch, const device_request& q) {
    return q.unit ? 0 : detail::schedule_bytes<T, X>(analysis_schedules{}, q.id, nch, q);
}

// ---- The schedule of a channel set -------------------------------------------

// Everything `req` asks of nch channels (x[c * n + i], the mean last) of n
// instances after every sample: the units (units_op) and the schedule
// analyses, handed over in the requests' order.
template <class T, class X> struct channel_reductions {
    X& ex;
    long nch, n;
    std::vector<device_request> req;
    unit_buffers<X> units;
    std::vector<std::unique_ptr<schedule<T>>> sched; // the schedule requests, in order
    long count = 0;                                  // samples seen

    channel_reductions(X& x, long nch_, long n_, const std::vector<device_request>& r)
        : ex(x), nch(nch_), n(n_), req(r), units(r, nch_, n_) {
        for (const auto& q : req)
            if (!q.unit) sched.push_back(make_schedule<T, X>(ex, nch, n, q));
    }
    static std::size_t bytes(long nch, const std::vector<device_request>& r) {
        std::size_t b = unit_buffers<X>::bytes(nch, r);
        for (const auto& q : r) b += schedule_bytes<T, X>(nch, q);
        return b;
    }
    void after_sample(const double* x) {
        const long j = count++; // this sample, from 0
        if (units.slots.n) ex.each((nch + 1) * n, units_op{x, units.slots, n});
        for (auto& s : sched) s->after_sample(x, j);
    }
    // The states, in the requests' order, for instances first .. first + n - 1.
    std::vector<device_state> hand_over(std::size_t first) const {
        std::vector<device_state> out;
        int u = 0;
        std::size_t k = 0;
        for (const auto& q : req) {
            if (q.unit) {
                out.push_back(units.hand_over(u++, first, count));
                continue;
            }
            device_state s = state_header(first, n, nch + 1, count);
            sched[k++]->hand_over(s);
            out.push_back(std::move(s));
        }
        return out;
    }
};

} // namespace nms
