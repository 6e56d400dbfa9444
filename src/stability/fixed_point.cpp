#include "nmsweep/stability/fixed_point.hpp"

#include <algorithm>
#include <cmath>

namespace nms::stability {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double a : v) m = std::max(m, std::abs(a));
    return m;
}

} // namespace

newton_result find_fixed_point(const network_system& sys, std::vector<double> x, double tol,
                               long max_iterations) {
    const int n = sys.size();
    std::vector<double> f(static_cast<std::size_t>(n)), fn(f);
    auto resid = [&](const std::vector<double>& y, std::vector<double>& out) {
        sys.rhs(y.data(), out.data());
        double r = max_abs(out);
        for (double v : y) r = std::isfinite(v) ? r : nan;
        return r;
    };
    newton_result res;
    double r = resid(x, f);
    for (; res.iterations <= max_iterations; ++res.iterations) {
        if (!std::isfinite(r)) break;
        if (r <= tol * (1 + max_abs(x))) {
            res.converged = true;
            break;
        }
        const Eigen::MatrixXd J = sys.jacobian(x.data());
        const Eigen::Map<const Eigen::VectorXd> fv(f.data(), n);
        Eigen::PartialPivLU<Eigen::MatrixXd> lu(J);
        Eigen::VectorXd dx = lu.rcond() > 1e-13
                                 ? Eigen::VectorXd(lu.solve(-fv))
                                 : Eigen::VectorXd(J.completeOrthogonalDecomposition().solve(-fv));
        double lambda = 1;
        std::vector<double> xn(x);
        double rn = nan;
        for (; lambda > 1e-6; lambda /= 2) {
            for (int k = 0; k < n; ++k) xn[k] = x[k] + lambda * dx[k];
            rn = resid(xn, fn);
            if (std::isfinite(rn) && rn < (1 - 1e-4 * lambda) * r) break;
        }
        if (!(lambda > 1e-6)) break; // no descent: not converging from here
        x.swap(xn);
        f.swap(fn);
        r = rn;
    }
    res.residual = r;
    res.x = std::move(x);
    return res;
}

} // namespace nms::stability
