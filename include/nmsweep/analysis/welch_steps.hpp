#pragma once

// Welch spectra on the device, the per-thread parts (NMS_HD, so that tests
// run them on the host with FFTW standing in for cuFFT). The kernels write
// each sample of projection 0 into a ring of the last `length` samples per
// channel (the nodes, then the node mean), ring[(slot * channels + c) * n +
// instance]. All instances sample at the same steps, so a segment ends for
// all of them at once; then, with b = c * n + instance:
//   welch_prepare:    seg[t * B + b] = (x_t - mean) * window[t], t < length
//   cuFFT R2C (D2Z):  X[k * B + b], k < length / 2 + 1 (istride = ostride = B)
//   welch_accumulate: psd[(c * bins + k) * n + instance] += |X[k * B + b]|^2
// exactly the host spectra reducer's periodogram sums (src/sweep/spectra.cpp:
// scipy.signal.welch's detrend "constant", the window, one-sided |X|^2).

#include "nmsweep/core/hd.hpp"

namespace nms {

// When the sample with 0-based index `sample` completes a segment of
// `length` samples taken every `step` samples.
NMS_HD bool welch_segment_ends(long sample, long length, long step) {
    return sample + 1 >= length && (sample + 1 - length) % step == 0;
}

// Series b0 .. b0 + W - 1 (a GPU thread takes one, W = 1; the host W
// adjacent ones): their segment from ring slot first_slot on, detrended and
// windowed. Ring and segments are both [t * B + b].
template <int W, class T>
NMS_HD void welch_prepare(const T* ring, long B, long length, long first_slot, const double* window, T* seg,
                          long b0) {
    double mean[W] = {};
    for (long t = 0; t < length; ++t) {
        const T* r = ring + ((first_slot + t) % length) * B + b0;
        NMS_LANES
        for (int w = 0; w < W; ++w) mean[w] += double(r[w]);
    }
    NMS_LANES
    for (int w = 0; w < W; ++w) mean[w] /= double(length);
    for (long t = 0; t < length; ++t) {
        const T* r = ring + ((first_slot + t) % length) * B + b0;
        T* out = seg + t * B + b0;
        const double wt = window[t];
        NMS_LANES
        for (int w = 0; w < W; ++w) out[w] = T((double(r[w]) - mean[w]) * wt);
    }
}

// X: interleaved (re, im) pairs, X[2 * (k * B + b)] = re; series b0 ..
// b0 + W - 1, all of channel b0 / n.
template <int W, class T>
NMS_HD void welch_accumulate(const T* X, long bins, long B, long b0, long n, double* psd) {
    const long c = b0 / n, i0 = b0 % n;
    for (long k = 0; k < bins; ++k) {
        const T* x = X + 2 * (k * B + b0);
        double* p = psd + (c * bins + k) * n + i0;
        NMS_LANES
        for (int w = 0; w < W; ++w) {
            const double re = double(x[2 * w]), im = double(x[2 * w + 1]);
            p[w] += re * re + im * im;
        }
    }
}

} // namespace nms
