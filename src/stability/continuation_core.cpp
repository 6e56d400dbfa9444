// Generic pseudo-arclength tracing (Keller): Euler predictor along the unit
// tangent, Newton corrector in the hyperplane normal to it, adaptive step.

#include "continuation_detail.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace nms::stability::detail {

VectorXd tangent(const MatrixXd& jg, const VectorXd* ref) {
    // The last column of Q in jg^T = QR spans the null space of a full-rank jg.
    const int m = static_cast<int>(jg.cols());
    Eigen::HouseholderQR<MatrixXd> qr(jg.transpose());
    VectorXd t = qr.householderQ() * VectorXd::Unit(m, m - 1);
    t.normalize();
    if (ref && t.dot(*ref) < 0) t = -t;
    return t;
}

bool correct(const curve_problem& pb, const VectorXd& y_pred, const VectorXd& t,
             const continuation_options& opt, VectorXd& y, int* iterations) {
    const int m = pb.dim;
    VectorXd g;
    MatrixXd jg;
    MatrixXd a(m, m);
    VectorXd r(m);
    y = y_pred;
    for (int it = 1; it <= opt.max_newton; ++it) {
        pb.eval(y, g, jg);
        a.topRows(m - 1) = jg;
        a.row(m - 1) = t.transpose();
        r.head(m - 1) = g;
        r(m - 1) = t.dot(y - y_pred);
        const VectorXd dy = a.partialPivLu().solve(r);
        if (!dy.allFinite()) return false;
        y -= dy;
        const double scale = 1 + y.cwiseAbs().maxCoeff();
        if (dy.cwiseAbs().maxCoeff() <= opt.tol * scale && g.cwiseAbs().maxCoeff() <= 1e3 * opt.tol * scale) {
            if (iterations) *iterations = it;
            return true;
        }
        if (dy.norm() > 1e3 * (1 + (y_pred - y).norm())) return false; // diverging
    }
    return false;
}

namespace {

// One direction from y0 with initial tangent t0 (both given).
traced trace_one(const curve_problem& pb, const VectorXd& y0, const VectorXd& t0,
                 const continuation_options& opt) {
    traced out;
    out.y.push_back(y0);
    out.t.push_back(t0);
    double h = opt.h0;
    VectorXd g, y;
    MatrixXd jg;
    while (static_cast<int>(out.y.size()) < opt.max_points) {
        const VectorXd& yc = out.y.back();
        const VectorXd& tc = out.t.back();
        int its = 0;
        bool ok = correct(pb, yc + h * tc, tc, opt, y, &its);
        VectorXd tn;
        if (ok) {
            pb.eval(y, g, jg);
            tn = tangent(jg, &tc);
            // a sharp turn means the corrector jumped to another curve
            ok = tn.dot(tc) > 0.9 && (y - yc).norm() < 2 * h;
        }
        if (!ok) {
            h *= 0.5;
            if (h < opt.h_min) break;
            continue;
        }
        if (pb.inside && !pb.inside(y)) break;
        // back at the start, through its normal plane in the same sense: a
        // closed curve, closed by a copy of the start
        if (out.y.size() > 2 && t0.dot(yc - y0) < 0 && t0.dot(y - y0) >= 0 && (y - y0).norm() < 2 * h) {
            out.y.push_back(y0);
            out.t.push_back(t0);
            out.closed = true;
            break;
        }
        if (pb.accept) pb.accept(y);
        out.y.push_back(y);
        out.t.push_back(tn);
        if (its <= opt.fast_newton) h = std::min(h * opt.grow, opt.h_max);
    }
    return out;
}

} // namespace

traced trace(const curve_problem& pb, const VectorXd& y0, const continuation_options& opt) {
    VectorXd g;
    MatrixXd jg;
    pb.eval(y0, g, jg);
    VectorXd t0 = tangent(jg, nullptr);
    // the first direction goes towards increasing last unknown (the last free parameter)
    const int m = pb.dim;
    if (t0(m - 1) < 0 || (t0(m - 1) == 0 && t0(0) < 0)) t0 = -t0;
    traced fwd = trace_one(pb, y0, t0, opt);
    if (!opt.both_directions || fwd.closed) return fwd;
    if (pb.accept) pb.accept(y0); // the references of the start again
    traced bwd = trace_one(pb, y0, -t0, opt);
    traced out;
    for (int i = static_cast<int>(bwd.y.size()) - 1; i >= 1; --i) {
        out.y.push_back(bwd.y[i]);
        out.t.push_back(-bwd.t[i]);
    }
    out.start = static_cast<int>(out.y.size());
    out.y.insert(out.y.end(), fwd.y.begin(), fwd.y.end());
    out.t.insert(out.t.end(), fwd.t.begin(), fwd.t.end());
    return out;
}

VectorXd locate(const curve_problem& pb, const traced& tr, int i,
                const std::function<double(const VectorXd&, const VectorXd&)>& psi,
                const continuation_options& opt) {
    const VectorXd& y0 = tr.y[i];
    const VectorXd& y1 = tr.y[i + 1];
    const VectorXd& t0 = tr.t[i];
    const double h = t0.dot(y1 - y0); // arclength coordinate of y1 in t0's frame
    VectorXd g, y;
    MatrixXd jg;
    // psi at the point s along t0 (linear interpolation as the predictor)
    auto eval_at = [&](double s, VectorXd& yy) {
        if (!correct(pb, y0 + (s / h) * (y1 - y0), t0, opt, yy))
            return std::numeric_limits<double>::quiet_NaN();
        pb.eval(yy, g, jg);
        return psi(yy, tangent(jg, &t0));
    };
    double sa = 0, sb = h;
    double fa = psi(y0, t0), fb = psi(y1, tr.t[i + 1]);
    VectorXd best = std::abs(fa) < std::abs(fb) ? y0 : y1;
    int side = 0;
    // Illinois regula falsi: superlinear and bracketing
    for (int it = 0; it < 100 && std::abs(sb - sa) > 1e-14 * (1 + std::abs(h)); ++it) {
        double s = (sa * fb - sb * fa) / (fb - fa);
        if (!(s > std::min(sa, sb) && s < std::max(sa, sb))) s = 0.5 * (sa + sb);
        const double fs = eval_at(s, y);
        if (!std::isfinite(fs)) break;
        best = y;
        if (fs == 0) break;
        if ((fs > 0) == (fb > 0)) {
            sb = s;
            fb = fs;
            if (side == -1) fa *= 0.5;
            side = -1;
        } else {
            sa = s;
            fa = fs;
            if (side == 1) fb *= 0.5;
            side = 1;
        }
    }
    return best;
}

VectorXd newton_equilibrium(const system& sys, const VectorXd& x0, const VectorXd& p) {
    if (x0.size() != sys.n) throw std::invalid_argument("continuation: the start state has the wrong size");
    VectorXd x = x0, f(sys.n);
    MatrixXd jx, jp;
    sys.rhs(x, p, f);
    const double res0 = f.cwiseAbs().maxCoeff();
    bool converged = false;
    for (int it = 0; it < 50 && !converged && x.allFinite(); ++it) {
        sys.jacobian(x, p, jx, jp);
        const VectorXd dx = jx.fullPivLu().solve(f);
        x -= dx;
        sys.rhs(x, p, f);
        const double scale = 1 + x.cwiseAbs().maxCoeff();
        converged = dx.cwiseAbs().maxCoeff() <= 1e-12 * scale && f.cwiseAbs().maxCoeff() <= 1e-10 * scale;
    }
    if (!converged) {
        std::ostringstream msg;
        msg << "continuation: Newton from the start state did not converge to an equilibrium (residual "
               "max|f| = "
            << res0 << " at the start); the start must be (close to) an equilibrium";
        throw std::invalid_argument(msg.str());
    }
    sys.jacobian(x, p, jx, jp);
    const VectorXd sv = jx.jacobiSvd().singularValues();
    if (sv(0) == 0 || sv(sys.n - 1) <= 1e-10 * sv(0)) {
        std::ostringstream msg;
        msg << "continuation: the Jacobian df/dx is singular at the start equilibrium (smallest singular "
               "value "
            << sv(sys.n - 1) << "); start away from a fold or branch point";
        throw std::invalid_argument(msg.str());
    }
    return x;
}

} // namespace nms::stability::detail
