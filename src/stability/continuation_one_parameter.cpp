// Branches of equilibria in one parameter and the folds, Hopf points and
// branch points on them.

#include "continuation_detail.hpp"

#include <cmath>
#include <stdexcept>

namespace nms::stability {

using namespace detail;

namespace {

bool is_complex(std::complex<double> z) { return std::abs(z.imag()) > 1e-9 * (1 + std::abs(z)); }

// Sign of the bialternate product det(2A (.) I) = prod_{i<j} (l_i + l_j): a
// complex pair contributes the sign of its real part, two real eigenvalues
// the sign of their sum, every other factor comes with its conjugate.
int bialternate_sign(const cvec& ev) {
    int s = 1;
    for (size_t i = 0; i < ev.size(); ++i) {
        if (is_complex(ev[i])) {
            if (ev[i].imag() > 0 && ev[i].real() < 0) s = -s;
            continue;
        }
        for (size_t j = i + 1; j < ev.size(); ++j)
            if (!is_complex(ev[j]) && ev[i].real() + ev[j].real() < 0) s = -s;
    }
    return s;
}

// complex pairs in the right half plane
int unstable_pairs(const cvec& ev) {
    int c = 0;
    for (const auto& z : ev) c += is_complex(z) && z.imag() > 0 && z.real() > 0;
    return c;
}

// imaginary part of the complex eigenvalue nearest the imaginary axis
double crossing_frequency(const cvec& ev) {
    double best = INFINITY, w = 0;
    for (const auto& z : ev)
        if (is_complex(z) && z.imag() > 0 && std::abs(z.real()) < best)
            best = std::abs(z.real()), w = z.imag();
    return w;
}

curve_problem equilibrium_problem(const system& sys, const Eigen::VectorXd& p0, int free,
                                  const continuation_options& opt) {
    curve_problem pb;
    const int n = sys.n;
    pb.dim = n + 1;
    pb.eval = [&sys, p0, free, n](const VectorXd& y, VectorXd& g, MatrixXd& jg) {
        VectorXd p = p0;
        p(free) = y(n);
        MatrixXd jx, jp;
        g.resize(n);
        sys.rhs(y.head(n), p, g);
        sys.jacobian(y.head(n), p, jx, jp);
        jg.resize(n, n + 1);
        jg.leftCols(n) = jx;
        jg.col(n) = jp.col(free);
    };
    pb.inside = [n, opt](const VectorXd& y) { return y(n) >= opt.lower[0] && y(n) <= opt.upper[0]; };
    return pb;
}

special_point make_special(const system& sys, point_kind kind, int index, const VectorXd& y,
                           const VectorXd& p0, int free) {
    special_point sp;
    sp.kind = kind;
    sp.index = index;
    sp.x = y.head(sys.n);
    sp.p = p0;
    sp.p(free) = y(sys.n);
    sp.eigenvalues = roots_at(sys, sp.x, sp.p);
    return sp;
}

void fold_details(const system& sys, special_point& sp) {
    VectorXd q, w;
    null_vectors(jx_at(sys, sp.x, sp.p), q, w);
    Eigen::Index k = 0;
    q.cwiseAbs().maxCoeff(&k);
    if (q(k) < 0) q = -q; // orientation: largest component of q positive
    sp.vector = q;
    sp.a = fold_form(sys, sp.x, sp.p, q, w) / w.dot(q);
}

void hopf_details(const system& sys, special_point& sp) {
    sp.omega = crossing_frequency(sp.eigenvalues);
    if (sys.spectrum) { // a delay equation: the ODE's normal form does not apply
        sp.note = "delayed";
        return;
    }
    sp.l1 = first_lyapunov_coefficient(sys, sp.x, sp.p, sp.omega);
    sp.note = sp.l1 < 0 ? "supercritical" : (sp.l1 > 0 ? "subcritical" : "degenerate");
    cvecxd q, pv;
    hopf_vectors(jx_at(sys, sp.x, sp.p), sp.omega, q, pv);
    sp.vector = q.real();
}

double bordered_det(const curve_problem& pb, const VectorXd& y, const VectorXd& t) {
    VectorXd g;
    MatrixXd jg;
    pb.eval(y, g, jg);
    MatrixXd a(pb.dim, pb.dim);
    a.topRows(pb.dim - 1) = jg;
    a.row(pb.dim - 1) = t.transpose();
    return a.partialPivLu().determinant();
}

void detect(const system& sys, const curve_problem& pb, const traced& tr, const Eigen::VectorXd& p0, int free,
            const continuation_options& opt, branch& out) {
    const int n = sys.n;
    for (int i = 0; i + 1 < static_cast<int>(tr.y.size()); ++i) {
        const cvec& e0 = out.points[i].eigenvalues;
        const cvec& e1 = out.points[i + 1].eigenvalues;
        if (changes_sign(tr.t[i](n), tr.t[i + 1](n))) {
            auto psi = [n](const VectorXd&, const VectorXd& t) { return t(n); };
            special_point sp = make_special(sys, point_kind::fold, i, locate(pb, tr, i, psi, opt), p0, free);
            fold_details(sys, sp);
            out.special.push_back(sp);
        } else if (changes_sign(bordered_det(pb, tr.y[i], tr.t[i]),
                                bordered_det(pb, tr.y[i + 1], tr.t[i + 1]))) {
            auto psi = [&pb](const VectorXd& y, const VectorXd& t) { return bordered_det(pb, y, t); };
            out.special.push_back(
                make_special(sys, point_kind::branch_point, i, locate(pb, tr, i, psi, opt), p0, free));
        }
        // a Hopf point changes the bialternate sign and moves a complex pair
        // across the axis; a neutral saddle (l, -l real) changes only the sign
        // (a delay equation's root list is truncated, so its product is not
        // formed: there a pair must cross, changing the unstable count by two
        // per pair, unlike two real roots that meet and leave as a pair)
        const int pairs = unstable_pairs(e1) - unstable_pairs(e0);
        const bool crossed = sys.spectrum
                                 ? out.points[i + 1].n_unstable - out.points[i].n_unstable == 2 * pairs
                                 : bialternate_sign(e0) != bialternate_sign(e1);
        if (crossed && pairs != 0) {
            const double w = 0.5 * (crossing_frequency(e0) + crossing_frequency(e1));
            auto psi = [&sys, &p0, free, n, w](const VectorXd& y, const VectorXd&) {
                VectorXd p = p0;
                p(free) = y(n);
                const cvec ev = roots_at(sys, y.head(n), p);
                double best = INFINITY, re = 0;
                for (const auto& z : ev)
                    if (z.imag() > 0 && std::abs(z - std::complex<double>(0, w)) < best)
                        best = std::abs(z - std::complex<double>(0, w)), re = z.real();
                return re;
            };
            special_point sp = make_special(sys, point_kind::hopf, i, locate(pb, tr, i, psi, opt), p0, free);
            hopf_details(sys, sp);
            out.special.push_back(sp);
        }
    }
}

} // namespace

branch continue_equilibria(const system& sys, const Eigen::VectorXd& x0, const Eigen::VectorXd& p0, int free,
                           const continuation_options& opt) {
    if (free < 0 || free >= p0.size())
        throw std::invalid_argument("continuation: the free parameter index is out of range");
    if (!(p0(free) >= opt.lower[0] && p0(free) <= opt.upper[0]))
        throw std::invalid_argument("continuation: the start parameter lies outside the bounds");
    const VectorXd x = newton_equilibrium(sys, x0, p0);
    const curve_problem pb = equilibrium_problem(sys, p0, free, opt);
    VectorXd y0(sys.n + 1);
    y0 << x, p0(free);
    const traced tr = trace(pb, y0, opt);
    branch out;
    out.free = {free};
    out.closed = tr.closed;
    for (const auto& y : tr.y) {
        cont_point pt;
        pt.x = y.head(sys.n);
        pt.p = p0;
        pt.p(free) = y(sys.n);
        fill_spectrum(sys, pt);
        out.points.push_back(pt);
    }
    if (opt.detect) detect(sys, pb, tr, p0, free, opt, out);
    return out;
}

} // namespace nms::stability
