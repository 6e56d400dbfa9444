#pragma once

// The per-sample schedule of the device reductions of one set of channels,
// written once and run by an executor X: the CUDA backend's (a launch per
// step, cuFFT; cuda_engine.cuh) or the host's (a loop with one iteration per
// GPU thread, FFTW; host_executor.hpp, which the tests use). From the
// channels' values x[c * n + i] (c < nch) and, with units or spectra,
// their mean x[nch * n + i], after every sample: FC (+FCD) and synchrony of
// the nodes' observable (whose analysis units and Welch ring the stepping
// kernels keep), or all of `plan` for a sensor modality's signals. The
// arithmetic is the units' update and the per-thread NMS_HD functions of
// fc_kernels.hpp, synchrony_kernels.hpp and welch_kernels.hpp.
//
// An executor X provides: X::buffer<V> (zeros(n), assign(host vector), p,
// n, download()), each(count, op) calling op(g) for g < count (a GPU thread
// each), zero(p, n), and make_r2c(L, B) / make_inverse(L, B): batched FFTs
// of B series laid out [t * B + b] (run(in, out) / run(z), in place).

#include "fc_kernels.hpp"
#include "synchrony_kernels.hpp"
#include "welch_kernels.hpp"

#include "nmsweep/analysis/units.hpp"
#include "nmsweep/engine/batch.hpp"

#include <cmath>
#include <memory>
#include <vector>

namespace nms::gpu {

// ---- One operation per GPU thread (g: the thread's index) -----------------

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
    long B;
    NMS_HD void operator()(long b) const { welch_prepare(ring, B, length, first_slot, window, seg, B, b); }
};
template <class T> struct welch_accumulate_op {
    const T* X;
    long bins, B, n;
    double* psd;
    NMS_HD void operator()(long b) const { welch_accumulate(X, bins, B, b, n, psd); }
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
    NMS_HD void operator()(long g) const { fc_row(d, e, C, g / n, nn, n, g % n); }
};
struct fcd_close_op {
    const double* C;
    float* fc;
    long nn, n;
    NMS_HD void operator()(long g) const { fcd_close_row(C, fc, g / n, nn, n, g % n); }
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
    NMS_HD void operator()(long g) const { plv_phase_row(x, nn, n, g / n, g % n, re, im); }
};
template <class T> struct hilbert_prepare_op {
    const T* ring;
    long L, first;
    T* seg;
    long B;
    NMS_HD void operator()(long b) const { hilbert_prepare(ring, L, first, seg, B, b); }
};
template <class T> struct hilbert_mask_op {
    T* Z;
    long L, B, k0, k1;
    NMS_HD void operator()(long b) const { hilbert_mask(Z, L, B, k0, k1, b); }
};
template <class T> struct hilbert_normalize_op {
    T* z;
    long B, off, hop;
    NMS_HD void operator()(long b) const { hilbert_normalize(z, B, off, hop, b); }
};
template <class T> struct hilbert_order_op {
    const T* u;
    long nn, n, off, hop, base;
    double *r_mean, *r_m2;
    NMS_HD void operator()(long i) const { hilbert_order(u, nn * n, nn, n, off, hop, base, i, r_mean, r_m2); }
};
template <class T> struct hilbert_plv_op {
    const T* u;
    long nn, n, off, hop;
    double *re, *im;
    NMS_HD void operator()(long g) const {
        hilbert_plv_row(u, nn * n, nn, n, off, hop, g / n, g % n, re, im);
    }
};

// ---- Analysis units (nmsweep/analysis/unit.hpp) ----------------------------

// Sample x[c * n + i] of every channel c (the mean last) into the units.
struct units_op {
    const double* x;
    unit_slots u;
    long n;
    NMS_HD void operator()(long g) const { update_units<analysis_units>(u, int(g / n), n, g % n, x[g]); }
};

// The params and states of the units `req` asks for, for nch channels and
// their mean of n instances, where the executor keeps them.
template <class X> struct unit_buffers {
    template <class V> using buf = typename X::template buffer<V>;
    std::vector<unit_request> req;
    long nch, n;
    buf<unsigned char> params[max_device_units], state[max_device_units];
    unit_slots slots;

    unit_buffers(const std::vector<unit_request>& r, long nch_, long n_) : req(r), nch(nch_), n(n_) {
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
    static std::size_t bytes(long nch, const std::vector<unit_request>& r) {
        std::size_t b = 0;
        for (const auto& q : r)
            b += std::size_t(q.nodes ? nch + 1 : 1) * unit_state_bytes<analysis_units>(q.id);
        return b;
    }

    // The states, downloaded (h keeps them), as views for instances first ..
    // first + n - 1.
    void hand_over(std::vector<std::vector<unsigned char>>& h, std::vector<unit_states>& out,
                   std::size_t first) const {
        h.assign(req.size(), {});
        out.clear();
        for (int k = 0; k < slots.n; ++k) {
            h[std::size_t(k)] = state[k].download();
            out.push_back(
                {req[std::size_t(k)].id, first, n, int(n), int(channels(k)), h[std::size_t(k)].data()});
        }
    }
};

// ---- The schedule ----------------------------------------------------------

template <class T, class X> struct channel_reductions {
    template <class V> using buf = typename X::template buffer<V>;
    X& ex;
    long nch, n, cs, B; // channels, instances, nch x n, (nch + 1) x n
    channel_plan plan;
    long count = 0; // samples seen
    buf<double> psd, win, fmean, fd, fe, fcm, wmean, wc, rmean, rm2, pre, pim;
    buf<T> wring, wseg, wX, hring, hseg, hz;
    buf<float> fcd;
    std::unique_ptr<typename X::r2c> wfft, hfwd;
    std::unique_ptr<typename X::inverse> hinv;
    std::vector<long> wcount;
    std::unique_ptr<unit_buffers<X>> units;
    long pairs, fcd_words, bins = 0, n_segments = 0, fcd_closed = 0, r_count = 0, plv_count = 0;

    channel_reductions(X& x, long nch_, long n_, const channel_plan& p)
        : ex(x), nch(nch_), n(n_), cs(nch_ * n_), B((nch_ + 1) * n_), plan(p), pairs(fc_pairs(nch_)),
          fcd_words(fcd_pairs(nch_) * n_) {
        if (plan.spectra) {
            const long L = plan.sp.length;
            bins = L / 2 + 1;
            wring.zeros(std::size_t(L * B));
            wseg.zeros(std::size_t(L * B));
            wX.zeros(std::size_t(2 * bins * B));
            psd.zeros(std::size_t(bins * B));
            win.assign(plan.sp.window);
            wfft = ex.make_r2c(L, B);
        }
        if (plan.fc) {
            fmean.zeros(std::size_t(cs));
            fd.zeros(std::size_t(cs));
            fe.zeros(std::size_t(cs));
            fcm.zeros(std::size_t(pairs * n));
            if (plan.fp.fcd) {
                wmean.zeros(std::size_t(plan.fp.slots * cs));
                wc.zeros(std::size_t(plan.fp.slots * pairs * n));
                fcd.zeros(std::size_t(plan.fp.n_windows * fcd_words));
                wcount.assign(std::size_t(plan.fp.slots), 0);
            }
        }
        if (!plan.units.empty()) units = std::make_unique<unit_buffers<X>>(plan.units, nch, n);
        if (plan.sync) {
            rmean.zeros(std::size_t(n));
            rm2.zeros(std::size_t(n));
            if (plan.yp.plv) {
                pre.zeros(std::size_t(pairs * n));
                pim.zeros(std::size_t(pairs * n));
            }
            if (plan.yp.hilbert) {
                const long L = plan.yp.length;
                hring.zeros(std::size_t(L * cs));
                hseg.zeros(std::size_t(L * cs));
                hz.zeros(std::size_t(2 * L * cs));
                hfwd = ex.make_r2c(L, cs);
                hinv = ex.make_inverse(L, cs);
            }
        }
    }

    // Bytes per instance for nch channels (the device's memory budget).
    static std::size_t bytes(long nch, const channel_plan& p) {
        const std::size_t c = std::size_t(nch), pr = std::size_t(fc_pairs(nch));
        std::size_t b = 0;
        b += unit_buffers<X>::bytes(nch, p.units);
        if (p.spectra) // ring, segments, spectra and about as much for cuFFT's work area, sums in double
            b += (c + 1) * (std::size_t(p.sp.length) * sizeof(T) * 4 + std::size_t(p.sp.length / 2 + 1) * 8);
        if (p.fc) b += (3 * c + pr) * sizeof(double);
        if (p.fc && p.fp.fcd)
            b += std::size_t(p.fp.slots) * (c + pr) * sizeof(double) +
                 std::size_t(p.fp.n_windows) * std::size_t(fcd_pairs(nch)) * sizeof(float);
        if (p.sync) { // R's moments; PLV sums; Hilbert ring, segments, spectra (2), cuFFT's work areas (~2)
            b += 2 * sizeof(double) + (p.yp.plv ? 2 * pr * sizeof(double) : 0);
            if (p.yp.hilbert) b += 6 * c * std::size_t(p.yp.length) * sizeof(T);
        }
        return b;
    }

    void after_sample(const double* x) {
        const long j = count++; // this sample, from 0
        if (units) ex.each(B, units_op{x, units->slots, n});
        if (plan.spectra) welch_after(x, j);
        if (plan.fc) fc_after(x, j);
        if (plan.sync && !plan.yp.hilbert) { // the observable is the phase
            r_count = j + 1;
            ex.each(n, order_op{x, nch, n, double(r_count), rmean.p, rm2.p});
            if (plan.yp.plv) ex.each(cs, plv_phase_op{x, nch, n, pre.p, pim.p});
            plv_count = plan.yp.plv ? r_count : 0;
        }
        if (plan.sync && plan.yp.hilbert) hilbert_after(x, j);
    }

    // The state, downloaded (h keeps it), into m's fields.
    struct host_state {
        std::vector<double> psd, fmean, fcm, rmean, rm2, pre, pim;
        std::vector<float> fcd;
        std::vector<std::vector<unsigned char>> units;
        std::vector<unit_states> unit_views;
    };
    void hand_over(host_state& h, reduced_state& m) const {
        h.psd = psd.download();
        h.fmean = fmean.download();
        h.fcm = fcm.download();
        h.rmean = rmean.download();
        h.rm2 = rm2.download();
        h.pre = pre.download();
        h.pim = pim.download();
        h.fcd = fcd.download();
        if (units || plan.spectra || plan.fc || plan.sync) m.count = count; // (else: the caller's)
        if (plan.spectra) {
            m.psd = h.psd.data();
            m.psd_bins = bins;
            m.psd_segments = n_segments;
        }
        if (plan.fc) {
            m.fc_mean = h.fmean.data();
            m.fc_c = h.fcm.data();
            m.fcd_fc = h.fcd.data();
            m.fcd_closed = fcd_closed;
        }
        if (units) {
            units->hand_over(h.units, h.unit_views, m.first);
            m.units = h.unit_views.data();
            m.n_units = int(h.unit_views.size());
        }
        if (plan.sync) {
            m.r_count = r_count;
            m.plv_count = plv_count;
            m.r_mean = h.rmean.data();
            m.r_m2 = h.rm2.data();
            m.plv_re = h.pre.data();
            m.plv_im = h.pim.data();
        }
    }

  private:
    // Segments of L samples every `step` (Welch), the channels and their mean.
    void welch_after(const double* x, long j) {
        const long L = plan.sp.length;
        ex.each(B, ring_store_op<T>{x, wring.p, B, j % L});
        if (!segment_ends(j, L, plan.sp.step)) return;
        ex.each(B, welch_prepare_op<T>{wring.p, L, (j + 1) % L, win.p, wseg.p, B});
        wfft->run(wseg.p, wX.p);
        ex.each(B, welch_accumulate_op<T>{wX.p, bins, B, n, psd.p});
        ++n_segments;
    }

    // Co-moments of the whole record, and of every open FCD window.
    void fc_after(const double* x, long j) {
        ex.each(cs, fc_means_op{x, fmean.p, fd.p, fe.p, double(j + 1)});
        ex.each(cs, fc_rows_op{fd.p, fe.p, fcm.p, nch, n});
        if (!plan.fp.fcd) return;
        const fc_params& fp = plan.fp;
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
            ex.each(cs, fc_rows_op{fd.p, fe.p, C, nch, n});
            if (j == k * fp.step + fp.window - 1) { // the window closes
                ex.each(cs, fcd_close_op{C, fcd.p + std::size_t(k * fcd_words), nch, n});
                ++fcd_closed;
            }
        }
    }

    // Phases of the analytic signal, segment by segment.
    void hilbert_after(const double* x, long j) {
        const synchrony_params& yp = plan.yp;
        const long L = yp.length;
        ex.each(cs, ring_store_op<T>{x, hring.p, cs, j % L});
        if (!segment_ends(j, L, yp.hop)) return;
        ex.each(cs, hilbert_prepare_op<T>{hring.p, L, (j + 1) % L, hseg.p, cs});
        hfwd->run(hseg.p, hz.p);
        ex.each(cs, hilbert_mask_op<T>{hz.p, L, cs, yp.k0, yp.k1});
        hinv->run(hz.p);
        ex.each(cs, hilbert_normalize_op<T>{hz.p, cs, yp.offset, yp.hop});
        ex.each(n, hilbert_order_op<T>{hz.p, nch, n, yp.offset, yp.hop, r_count, rmean.p, rm2.p});
        r_count += yp.hop;
        if (yp.plv) {
            ex.each(cs, hilbert_plv_op<T>{hz.p, nch, n, yp.offset, yp.hop, pre.p, pim.p});
            plv_count += yp.hop;
        }
    }
};

} // namespace nms::gpu
