#pragma once

// The arithmetic of the entrainment reducer (entrainment.cpp) on one
// channel's stored samples: Welch PSDs as scipy.signal.welch's, band-passed
// analytic signals by one FFT over a window, and the stimulus phase known
// from its properties (definitions: entrainment_options in
// nmsweep/sweep/reducers.hpp). FFTW plans, one per length and kind, are
// made once and shared by the threads (fft_util.hpp).

#include "fft_util.hpp"
#include "nmsweep/stimulus/waveform.hpp"

#include <complex>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace nms::impl {

// FFTW plans by (kind, length), made on first use under a lock.
class plan_cache {
  public:
    const fftw_plan_holder& r2c(int n);
    const fftw_plan_holder& c2c_backward(int n);

  private:
    std::mutex m_;
    std::map<std::pair<int, int>, std::unique_ptr<fftw_plan_holder>> plans_;
};

struct welch_psd {
    std::vector<double> psd; // one-sided density, nperseg / 2 + 1 bins
    double df = 0;           // bin width (Hz)
    bool ok() const { return !psd.empty(); }
};

// Welch's PSD of x[0 .. n) (periodic Hann window, noverlap L/2, detrend
// constant, density, mean of segments) with L = nperseg, or min(1024, n)
// when nperseg is 0; empty when n < max(L, 2).
welch_psd welch(const double* x, long n, double fs, long nperseg, plan_cache& plans);

// The largest bin of psd (DC excluded) as a frequency; NaN when none.
double peak_frequency(const welch_psd& w);
// Sum of psd bins with lo <= f < hi times the bin width.
double band_power(const welch_psd& w, double lo, double hi);
// Sum of the bins k-1 .. k+1 around k = rint(f / df) times df; NaN past Nyquist.
double power_at(const welch_psd& w, double f);

// The analytic signal of x[0 .. n) band-passed to [lo, hi] Hz (widened to
// the bins next to the centre (lo + hi) / 2 when narrower), normalised to
// unit modulus (0 where it vanishes).
std::vector<std::complex<double>> band_phasor(const double* x, long n, double fs, double lo, double hi,
                                              plan_cache& plans);

// The phase of a periodic stimulus (pulse_train, sine) with properties q at
// step `step` (time step dt ms); NaN before its onset.
double stimulus_phase(wave kind, const double* q, long step, double dt);

// The first step of a stimulus (its onset on the step grid) and the first
// step after it (its stop; a very large number when it never stops).
long stimulus_first_step(wave kind, const double* q, double dt);
long stimulus_end_step(wave kind, const double* q, double dt);

} // namespace nms::impl
