#include "nmsweep/stability/spectrum.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nms::stability {

void sort_by_real_part(cvec& ev) {
    std::stable_sort(ev.begin(), ev.end(), [](const auto& a, const auto& b) {
        if (a.real() != b.real()) return a.real() > b.real();
        return a.imag() > b.imag();
    });
}

cvec eigenvalues(const Eigen::MatrixXd& a) {
    if (a.rows() == 0) return {};
    Eigen::EigenSolver<Eigen::MatrixXd> es(a, false);
    const auto& v = es.eigenvalues();
    cvec ev(v.data(), v.data() + v.size());
    sort_by_real_part(ev);
    return ev;
}

spectrum_summary summarise(const cvec& ev, double tol) {
    spectrum_summary s;
    s.leading_pair_real = std::numeric_limits<double>::quiet_NaN();
    if (ev.empty()) return s;
    s.leading = ev.front();
    bool pair = false;
    for (const auto& z : ev) {
        if (z.real() > tol) ++s.n_unstable;
        // A pair's members differ only in the sign of the imaginary part;
        // count the frequency of the first with imag > 0 (largest real part).
        if (!pair && z.imag() > tol) {
            pair = true;
            s.frequency_hz = z.imag() / (2 * M_PI) * 1000.0;
            s.leading_pair_real = z.real();
        }
    }
    return s;
}

} // namespace nms::stability
