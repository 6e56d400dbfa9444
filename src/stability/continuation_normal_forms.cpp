// Derivatives of the exact Jacobian by finite differences, the multilinear
// forms B and C of f, null vectors and the normal form coefficients of folds
// and Hopf points (Kuznetsov, 3rd ed., sections 3.5, 5.4 and 8.7).

#include "continuation_detail.hpp"

#include <cmath>

namespace nms::stability {

const char* to_string(point_kind k) {
    switch (k) {
    case point_kind::fold:
        return "fold";
    case point_kind::hopf:
        return "hopf";
    case point_kind::branch_point:
        return "branch_point";
    case point_kind::cusp:
        return "cusp";
    case point_kind::bogdanov_takens:
        return "bogdanov_takens";
    case point_kind::bautin:
        return "bautin";
    }
    return "?";
}

namespace detail {

using cd = std::complex<double>;

MatrixXd jx_at(const system& sys, const VectorXd& x, const VectorXd& p) {
    MatrixXd jx, jp;
    sys.jacobian(x, p, jx, jp);
    return jx;
}

MatrixXd jp_at(const system& sys, const VectorXd& x, const VectorXd& p) {
    MatrixXd jx, jp;
    sys.jacobian(x, p, jx, jp);
    return jp;
}

std::vector<MatrixXd> jacobian_derivatives(const system& sys, const VectorXd& x, const VectorXd& p,
                                           const std::vector<int>& free) {
    // second-order central differences: only Newton matrices are built from
    // these, the residuals stay exact
    std::vector<MatrixXd> d;
    for (int k = 0; k < sys.n; ++k) {
        const double h = 1e-6 * (1 + std::abs(x(k)));
        VectorXd xp = x, xm = x;
        xp(k) += h;
        xm(k) -= h;
        d.push_back((jx_at(sys, xp, p) - jx_at(sys, xm, p)) / (2 * h));
    }
    for (int j : free) {
        const double h = 1e-6 * (1 + std::abs(p(j)));
        VectorXd pp = p, pm = p;
        pp(j) += h;
        pm(j) -= h;
        d.push_back((jx_at(sys, x, pp) - jx_at(sys, x, pm)) / (2 * h));
    }
    return d;
}

namespace {

double fd_step(const VectorXd& x, const VectorXd& d) {
    const double dn = d.cwiseAbs().maxCoeff();
    return dn == 0 ? 0 : 1e-3 * (1 + x.cwiseAbs().maxCoeff()) / dn;
}

// D J(x)[d], fourth-order central difference (error ~ h^4, rounding ~ eps/h)
MatrixXd djac(const system& sys, const VectorXd& x, const VectorXd& p, const VectorXd& d) {
    const double h = fd_step(x, d);
    if (h == 0) return MatrixXd::Zero(sys.n, sys.n);
    auto j = [&](double s) { return jx_at(sys, x + s * h * d, p); };
    return (-j(2) + 8 * j(1) - 8 * j(-1) + j(-2)) / (12 * h);
}

// D^2 J(x)[d, d], fourth-order central difference
MatrixXd d2jac(const system& sys, const VectorXd& x, const VectorXd& p, const VectorXd& d) {
    const double h = fd_step(x, d);
    if (h == 0) return MatrixXd::Zero(sys.n, sys.n);
    auto j = [&](double s) { return jx_at(sys, x + s * h * d, p); };
    return (-j(2) + 16 * j(1) - 30 * j(0) + 16 * j(-1) - j(-2)) / (12 * h * h);
}

} // namespace

cvecxd form_b(const system& sys, const VectorXd& x, const VectorXd& p, const cvecxd& u, const cvecxd& v) {
    // B(u, v) = D J[v] u, linear in v = vr + i vi
    const cvecxd br = djac(sys, x, p, v.real()).cast<cd>() * u;
    const cvecxd bi = djac(sys, x, p, v.imag()).cast<cd>() * u;
    return br + cd(0, 1) * bi;
}

cvecxd form_c_sym(const system& sys, const VectorXd& x, const VectorXd& p, const cvecxd& u, const cvecxd& v) {
    // C(u, v, conj v) = C(u, vr, vr) + C(u, vi, vi): the mixed terms cancel
    const MatrixXd c = d2jac(sys, x, p, v.real()) + d2jac(sys, x, p, v.imag());
    return c.cast<cd>() * u;
}

void null_vectors(const MatrixXd& a, VectorXd& q, VectorXd& w) {
    Eigen::JacobiSVD<MatrixXd> svd(a, Eigen::ComputeFullU | Eigen::ComputeFullV);
    const int n = static_cast<int>(a.rows());
    q = svd.matrixV().col(n - 1);
    w = svd.matrixU().col(n - 1);
}

namespace {

cvecxd eigenvector_near(const MatrixXd& a, cd target) {
    Eigen::ComplexEigenSolver<Eigen::MatrixXcd> es(a.cast<cd>());
    Eigen::Index k = 0;
    (es.eigenvalues().array() - target).abs().minCoeff(&k);
    return es.eigenvectors().col(k).normalized();
}

} // namespace

void hopf_vectors(const MatrixXd& a, double omega, cvecxd& q, cvecxd& p) {
    q = eigenvector_near(a, cd(0, omega));
    p = eigenvector_near(a.transpose(), cd(0, -omega));
    p /= std::conj(p.dot(q)); // <p, q> = conj(p)^T q = 1
}

double fold_form(const system& sys, const VectorXd& x, const VectorXd& p, const VectorXd& q,
                 const VectorXd& w) {
    return 0.5 * w.dot(djac(sys, x, p, q) * q);
}

cvec roots_at(const system& sys, const VectorXd& x, const VectorXd& p) {
    return sys.spectrum ? sys.spectrum(x, p) : eigenvalues(jx_at(sys, x, p));
}

void fill_spectrum(const system& sys, cont_point& pt) {
    pt.eigenvalues = roots_at(sys, pt.x, pt.p);
    pt.n_unstable = summarise(pt.eigenvalues).n_unstable;
}

} // namespace detail

double first_lyapunov_coefficient(const system& sys, const Eigen::VectorXd& x, const Eigen::VectorXd& p,
                                  double omega) {
    using namespace detail;
    const MatrixXd a = jx_at(sys, x, p);
    cvecxd q, pv;
    hopf_vectors(a, omega, q, pv);
    const int n = sys.n;
    const cvecxd qb = q.conjugate();
    // Kuznetsov (3.20): l1 = Re(<p,C(q,q,qb)> - 2<p,B(q,A^-1 B(q,qb))> + <p,B(qb,(2iw-A)^-1 B(q,q))>) / 2w
    const cvecxd h11 = a.cast<cd>().partialPivLu().solve(form_b(sys, x, p, q, qb));
    const Eigen::MatrixXcd m20 = cd(0, 2 * omega) * Eigen::MatrixXcd::Identity(n, n) - a.cast<cd>();
    const cvecxd h20 = m20.partialPivLu().solve(form_b(sys, x, p, q, q));
    const cd val = pv.dot(form_c_sym(sys, x, p, q, q)) - 2.0 * pv.dot(form_b(sys, x, p, q, h11)) +
                   pv.dot(form_b(sys, x, p, qb, h20));
    return val.real() / (2 * omega);
}

} // namespace nms::stability
