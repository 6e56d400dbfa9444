#pragma once

// Schedule analyses: analyses over all the channels of a set or over
// segments of the record (FC and FCD, Welch spectra, synchrony), which a
// backend runs as operations after every sample (channel_schedule.hpp)
// rather than inside the stepping kernels as it runs the units (unit.hpp).
// Each is a tag with its plain-data params (copied as bytes); its host
// reducer asks for it (reducer::takes_device) and reads back the arrays its
// device half hands over (device_state: the layouts below, S = its stride,
// l = the lane).

#include "nmsweep/analysis/unit.hpp" // unit_list

#include <algorithm>
#include <vector>

namespace nms {

// FC of the channels; with FCD, also the FCs of windows of `window` samples
// every `step` samples (n_windows in all, at most `slots` open at once).
struct fc_params {
    bool fcd = false;
    long window = 0, step = 1, n_windows = 0, slots = 1;
};

// The FCD windows (W samples every S, nw in all) that sample j (counted from
// 0) falls in: k_lo .. k_hi (empty when k_lo > k_hi). Window k opens at
// sample k S and closes at k S + W - 1.
inline void fcd_windows(long j, long W, long S, long nw, long& k_lo, long& k_hi) {
    k_hi = std::min(j / S, nw - 1);
    k_lo = std::max(0L, (j - W + S) / S); // the smallest k with k S + W > j
}

// Synchrony: the phases are the channels' values themselves, or (hilbert)
// those of their analytic signal band-passed to the bins [k0, k1) of
// segments of `length` samples every `hop` samples, of which the times
// [offset, offset + hop) are kept; PLV too when plv.
struct synchrony_params {
    bool hilbert = false;
    long length = 0, hop = 0, offset = 0, k0 = 0, k1 = 0;
    bool plv = false;
};

// Welch spectra: segments of `length` samples every `step` samples, the
// segment's mean removed, times the window (Hann, periodic, or boxcar),
// |FFT|^2 summed per channel (the channels and their mean).
struct spectra_params {
    long length = 0, step = 0;
    bool hann = true;
};
// The window's values (src/sweep/spectra.cpp; host and device use these).
std::vector<double> welch_window(const spectra_params& p);

// d = {running means [node * S + l], co-moments [pair * S + l], pairs (a, b)
// with a <= b row by row}; f = {the closed windows' FCs [(k * fcd_pairs + q)
// * S + l], upper triangles without the diagonal}; counters = {windows closed}.
struct fc_analysis {
    using params = fc_params;
};
// d = {|X_k|^2 summed over the segments [(channel * bins + k) * S + l]};
// counters = {bins, segments}.
struct welch_analysis {
    using params = spectra_params;
};
// d = {mean of R [l], its sum of squared deviations [l], PLV sums re, im
// [pair * S + l] (pairs as fc's)}; counters = {R's count, PLV's count}.
struct synchrony_analysis {
    using params = synchrony_params;
};

using analysis_schedules = unit_list<fc_analysis, welch_analysis, synchrony_analysis>;

} // namespace nms
