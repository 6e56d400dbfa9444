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

template <class T>
NMS_HD void welch_prepare(const T* ring, long channels_x_n, long length, long first_slot,
                          const double* window, T* seg, long B, long b) {
    double mean = 0;
    for (long t = 0; t < length; ++t) mean += double(ring[((first_slot + t) % length) * channels_x_n + b]);
    mean /= double(length);
    for (long t = 0; t < length; ++t)
        seg[t * B + b] = T((double(ring[((first_slot + t) % length) * channels_x_n + b]) - mean) * window[t]);
}

// X: interleaved (re, im) pairs, X[2 * (k * B + b)] = re.
template <class T> NMS_HD void welch_accumulate(const T* X, long bins, long B, long b, long n, double* psd) {
    const long c = b / n, i = b % n;
    for (long k = 0; k < bins; ++k) {
        const double re = double(X[2 * (k * B + b)]), im = double(X[2 * (k * B + b) + 1]);
        psd[(c * bins + k) * n + i] += re * re + im * im;
    }
}

} // namespace nms
