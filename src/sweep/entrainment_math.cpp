#include "entrainment_math.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nms::impl {

namespace {

const double nan = std::numeric_limits<double>::quiet_NaN();
constexpr long never = std::numeric_limits<long>::max() / 4;

} // namespace

const fftw_plan_holder& plan_cache::r2c(int n) {
    std::lock_guard<std::mutex> lock(m_);
    auto& p = plans_[{0, n}];
    if (!p) {
        p = std::make_unique<fftw_plan_holder>();
        p->make_r2c(n);
    }
    return *p;
}

const fftw_plan_holder& plan_cache::c2c_backward(int n) {
    std::lock_guard<std::mutex> lock(m_);
    auto& p = plans_[{1, n}];
    if (!p) {
        p = std::make_unique<fftw_plan_holder>();
        p->make_c2c(n, FFTW_BACKWARD);
    }
    return *p;
}

welch_psd welch(const double* x, long n, double fs, long nperseg, plan_cache& plans) {
    welch_psd w;
    const long L = nperseg > 0 ? nperseg : std::min<long>(1024, n);
    if (L < 2 || n < L) return w;
    const long step = L - L / 2, nf = L / 2 + 1;
    std::vector<double> win(static_cast<std::size_t>(L));
    double s2 = 0;
    for (long k = 0; k < L; ++k) { // scipy's periodic Hann window
        win[std::size_t(k)] = 0.5 - 0.5 * std::cos(2 * pi * double(k) / double(L));
        s2 += win[std::size_t(k)] * win[std::size_t(k)];
    }
    const auto& plan = plans.r2c(int(L));
    fftw_buffer<double> in;
    fftw_buffer<fftw_complex> out;
    double* a = in.get(std::size_t(L));
    fftw_complex* X = out.get(std::size_t(nf));
    w.psd.assign(std::size_t(nf), 0.0);
    long nseg = 0;
    for (long s0 = 0; s0 + L <= n; s0 += step, ++nseg) {
        double mean = 0;
        for (long k = 0; k < L; ++k) mean += x[s0 + k];
        mean /= double(L);
        for (long k = 0; k < L; ++k) a[k] = (x[s0 + k] - mean) * win[std::size_t(k)];
        plan.r2c(a, X);
        for (long k = 0; k < nf; ++k) w.psd[std::size_t(k)] += X[k][0] * X[k][0] + X[k][1] * X[k][1];
    }
    for (long k = 0; k < nf; ++k) {
        const bool single = k == 0 || (L % 2 == 0 && k == nf - 1);
        w.psd[std::size_t(k)] *= (single ? 1.0 : 2.0) / (fs * s2 * double(nseg));
    }
    w.df = fs / double(L);
    return w;
}

double peak_frequency(const welch_psd& w) {
    long best = -1;
    for (long k = 1; k < long(w.psd.size()); ++k)
        if (best < 0 || w.psd[std::size_t(k)] > w.psd[std::size_t(best)]) best = k;
    return best < 0 || !std::isfinite(w.psd[std::size_t(best)]) ? nan : double(best) * w.df;
}

double band_power(const welch_psd& w, double lo, double hi) {
    if (!w.ok()) return nan;
    double s = 0;
    for (std::size_t k = 0; k < w.psd.size(); ++k) {
        const double f = double(k) * w.df;
        if (f >= lo && f < hi) s += w.psd[k];
    }
    return s * w.df;
}

double power_at(const welch_psd& w, double f) {
    if (!w.ok() || !(f > 0)) return nan;
    const long k = std::lround(f / w.df), nf = long(w.psd.size());
    if (k + 1 >= nf) return nan;
    double s = 0;
    for (long q = std::max(0L, k - 1); q <= k + 1; ++q) s += w.psd[std::size_t(q)];
    return s * w.df;
}

std::vector<std::complex<double>> band_phasor(const double* x, long n, double fs, double lo, double hi,
                                              plan_cache& plans) {
    std::vector<std::complex<double>> z(static_cast<std::size_t>(std::max(0L, n)));
    if (n < 4) return z;
    const long nf = n / 2 + 1;
    const double df = fs / double(n), centre = 0.5 * (lo + hi);
    const long kc = std::lround(centre / df);
    fftw_buffer<double> in;
    fftw_buffer<fftw_complex> spec, full, back;
    double* a = in.get(std::size_t(n));
    fftw_complex* X = spec.get(std::size_t(nf));
    fftw_complex* Z = full.get(std::size_t(n));
    fftw_complex* y = back.get(std::size_t(n));
    std::copy(x, x + n, a);
    plans.r2c(int(n)).r2c(a, X);
    for (long k = 0; k < n; ++k) Z[k][0] = Z[k][1] = 0.0;
    for (long k = 0; k < nf; ++k) {
        const double f = double(k) * df;
        const bool in_band = (f >= lo && f <= hi) || std::labs(k - kc) <= 1;
        if (!in_band || k == 0) continue; // (the DC of a band-pass is 0)
        const double g = (n % 2 == 0 && k == n / 2) ? 1.0 : 2.0;
        Z[k][0] = g * X[k][0];
        Z[k][1] = g * X[k][1];
    }
    plans.c2c_backward(int(n)).c2c(Z, y);
    for (long k = 0; k < n; ++k) {
        const std::complex<double> c(y[k][0], y[k][1]);
        const double m = std::abs(c);
        z[std::size_t(k)] = m > 0 ? c / m : std::complex<double>(0.0, 0.0);
    }
    return z;
}

long stimulus_first_step(wave kind, const double* q, double dt) {
    if (kind == wave::pulse_train || kind == wave::pulse) return long(std::rint(q[wp_onset] / dt));
    return long(std::ceil(q[wp_onset] / dt - 1e-9)); // the first step with t >= onset
}

long stimulus_end_step(wave kind, const double* q, double dt) {
    if (!(q[wp_stop] < 1e300)) return never;
    if (kind == wave::pulse_train || kind == wave::pulse) return long(std::rint(q[wp_stop] / dt));
    return long(std::ceil(q[wp_stop] / dt - 1e-9)); // the first step with t >= stop
}

double stimulus_phase(wave kind, const double* q, long step, double dt) {
    if (step < stimulus_first_step(kind, q, dt)) return nan;
    if (kind == wave::sine)
        return 2 * pi * q[wp_frequency] * (double(step) * dt - q[wp_onset]) / 1000.0 + q[wp_phase];
    // pulse_train: the pulses of waveform.hpp (pulse k at s0 + rint(k P)).
    const double P = 1000.0 / (q[wp_frequency] * dt);
    const double pos = double(step - stimulus_first_step(kind, q, dt));
    double k = std::floor(pos / P);
    double start = std::rint(k * P);
    if (pos < start) start = std::rint((k -= 1) * P);
    if (pos >= std::rint((k + 1) * P)) start = std::rint((k += 1) * P);
    return 2 * pi * (pos - start) / P;
}

} // namespace nms::impl
