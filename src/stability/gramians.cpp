#include "nmsweep/stability/gramians.hpp"

#include "nmsweep/stability/spectrum.hpp"

#include <unsupported/Eigen/MatrixFunctions>

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

namespace nms::stability {

namespace {

using Eigen::Index;
using Eigen::MatrixXcd;
using Eigen::MatrixXd;
using Eigen::VectorXcd;
using Eigen::VectorXd;
using cd = std::complex<double>;

std::string dims(const MatrixXd& m) { return std::to_string(m.rows()) + "x" + std::to_string(m.cols()); }

void check_square(const MatrixXd& a, const char* what) {
    if (a.rows() != a.cols())
        throw std::invalid_argument(std::string(what) + ": A must be square, got " + dims(a));
}

void check_rows(const MatrixXd& a, const MatrixXd& b, const char* what) {
    check_square(a, what);
    if (b.rows() != a.rows())
        throw std::invalid_argument(std::string(what) + ": B has " + std::to_string(b.rows()) +
                                    " rows, A is " + dims(a));
}

// A finite T > 0 or +infinity; NaN, 0 and negatives are refused.
void check_horizon(double t, const char* what) {
    if (!(t > 0))
        throw std::invalid_argument(std::string(what) + ": horizon must be > 0 ms or infinite_horizon");
}

MatrixXd symmetrised(const MatrixXd& m) { return (m + m.transpose()) / 2; }

double norm1(const MatrixXd& m) { return m.size() == 0 ? 0.0 : m.cwiseAbs().colwise().sum().maxCoeff(); }

struct finite_gramian_result {
    MatrixXd w; // int_0^T e^{A t} Q e^{A^T t} dt
    MatrixXd e; // e^{A T}
};

// Van Loan (1978): exp([[-A, Q], [0, A^T]] h) = [[., F12], [0, F22]] and
// W(h) = F22^T F12. Done on a short step h = T / 2^k with |A h|_1 <= 1/2, so
// the e^{-A h} inside cannot blow up rounding errors, then k doublings
// W(2t) = W(t) + e^{A t} W(t) e^{A^T t}: sums of PSD terms, no cancellation
// however long T is (Van Loan on T itself loses digits like e^{|A| T}).
finite_gramian_result finite_gramian(const MatrixXd& a, const MatrixXd& q, double t) {
    const Index n = a.rows();
    if (n == 0) return {MatrixXd(0, 0), MatrixXd(0, 0)};
    const double anorm = norm1(a);
    double h = t;
    int k = 0;
    while (anorm * h > 0.5) {
        h /= 2;
        ++k;
    }
    // Q scaled to |Q h|_1 = 1 (W is linear in Q): Pade's error is relative
    // to the norm of the whole block, so a tiny Q must not hide under A.
    const double qnorm = norm1(q);
    const double s = qnorm > 0 ? 1 / (qnorm * h) : 1.0;
    MatrixXd m = MatrixXd::Zero(2 * n, 2 * n);
    m.topLeftCorner(n, n) = -a * h;
    m.topRightCorner(n, n) = q * (s * h);
    m.bottomRightCorner(n, n) = a.transpose() * h;
    const MatrixXd f = m.exp();
    MatrixXd e = f.bottomRightCorner(n, n).transpose();
    MatrixXd w = e * f.topRightCorner(n, n);
    for (int i = 0; i < k; ++i) {
        w += e * w * e.transpose();
        e = e * e;
    }
    return {symmetrised(w / s), e};
}

MatrixXd gramian(const MatrixXd& a, const MatrixXd& q, double t) {
    return std::isinf(t) ? symmetrised(lyapunov(a, q)) : finite_gramian(a, q, t).w;
}

// v_i^T M v_i for every column v_i of v.
std::vector<double> column_forms(const MatrixXd& m, const MatrixXd& v) {
    std::vector<double> out(v.cols());
    for (Index i = 0; i < v.cols(); ++i) out[i] = v.col(i).dot(m * v.col(i));
    return out;
}

// Per-column values summed over groups (empty groups: every column alone).
std::vector<double> group_sums(const std::vector<double>& per_column, const index_groups& groups,
                               const char* what) {
    if (groups.empty()) return per_column;
    std::vector<double> out;
    for (const auto& g : groups) {
        double s = 0;
        for (int i : g) {
            if (i < 0 || i >= static_cast<int>(per_column.size()))
                throw std::invalid_argument(std::string(what) + ": group index " + std::to_string(i) +
                                            " outside 0.." + std::to_string(per_column.size() - 1));
            s += per_column[i];
        }
        out.push_back(s);
    }
    return out;
}

// Complex Schur form A = U T U^H from Eigen's real one (about 3x faster
// than ComplexSchur): the 2x2 block of each complex pair is made triangular
// by a unitary rotation whose first column is its eigenvector (as Matlab's
// rsf2csf). Blocks never touch, so each block is still real when reached.
void complex_schur(const MatrixXd& a, MatrixXcd& t, MatrixXcd& u) {
    const Eigen::RealSchur<MatrixXd> rs(a);
    if (rs.info() != Eigen::Success)
        throw std::runtime_error("lyapunov: Schur decomposition did not converge");
    t = rs.matrixT().cast<cd>();
    u = rs.matrixU().cast<cd>();
    const Index n = a.rows();
    for (Index m = n - 1; m >= 1; --m) {
        if (t(m, m - 1) == cd(0)) continue;
        const cd p = t(m - 1, m - 1), q = t(m - 1, m), s = t(m, m);
        const double r = t(m, m - 1).real();
        const cd mu = (p - s) / 2.0 + std::sqrt((p - s) * (p - s) / 4.0 + q * r); // eigenvalue - s
        const double h = std::hypot(std::abs(mu), r);
        const cd c = mu / h;
        const double sn = r / h;
        Eigen::Matrix2cd g;
        g << std::conj(c), sn, -sn, c;
        t.block(m - 1, m - 1, 2, n - m + 1) = g * t.block(m - 1, m - 1, 2, n - m + 1);
        t.block(0, m - 1, m + 1, 2) = t.block(0, m - 1, m + 1, 2) * g.adjoint();
        u.middleCols(m - 1, 2) = u.middleCols(m - 1, 2) * g.adjoint();
        t(m, m - 1) = 0;
    }
}

} // namespace

bool is_hurwitz(const MatrixXd& a) {
    for (const auto& z : eigenvalues(a))
        if (!(z.real() < 0)) return false;
    return true;
}

// Bartels-Stewart with A = U T U^H (complex Schur, T upper triangular):
// T Y + Y T^H + U^H Q U = 0 for Y = U^H X U. Column j of Y T^H is
// sum_{k >= j} conj(T(j, k)) y_k, so from the last column backwards
// (T + conj(T(j, j)) I) y_j = -(U^H Q U)_j - sum_{k > j} conj(T(j, k)) y_k,
// a triangular solve, nonsingular as lambda_i + conj(lambda_j) != 0.
MatrixXd lyapunov(const MatrixXd& a, const MatrixXd& q) {
    check_square(a, "lyapunov");
    if (q.rows() != a.rows() || q.cols() != a.cols())
        throw std::invalid_argument("lyapunov: Q is " + dims(q) + ", A is " + dims(a));
    const Index n = a.rows();
    if (n == 0) return MatrixXd(0, 0);
    MatrixXcd t, u;
    complex_schur(a, t, u);
    for (Index i = 0; i < n; ++i)
        if (!(t(i, i).real() < 0))
            throw std::invalid_argument("lyapunov: A is not Hurwitz (eigenvalue with real part " +
                                        std::to_string(t(i, i).real()) +
                                        " >= 0): no infinite-horizon Gramian; use a finite horizon");
    const MatrixXcd rhs = -(u.adjoint() * q.cast<cd>() * u);
    const MatrixXcd tt = t.transpose(); // rows of T as contiguous columns
    MatrixXcd y = MatrixXcd::Zero(n, n);
    for (Index j = n - 1; j >= 0; --j) {
        const Index m = n - 1 - j;
        VectorXcd r = rhs.col(j);
        if (m > 0) r.noalias() -= y.rightCols(m) * tt.col(j).tail(m).conjugate();
        const cd shift = std::conj(t(j, j));
        for (Index i = n - 1; i >= 0; --i) {
            const Index l = n - 1 - i;
            cd s = r(i);
            if (l > 0) s -= tt.col(i).tail(l).cwiseProduct(y.col(j).tail(l)).sum();
            y(i, j) = s / (t(i, i) + shift);
        }
    }
    return (u * y * u.adjoint()).real();
}

MatrixXd controllability_gramian(const MatrixXd& a, const MatrixXd& b, double horizon) {
    check_rows(a, b, "controllability_gramian");
    check_horizon(horizon, "controllability_gramian");
    return gramian(a, b * b.transpose(), horizon);
}

MatrixXd observability_gramian(const MatrixXd& a, const MatrixXd& c, double horizon) {
    check_square(a, "observability_gramian");
    if (c.cols() != a.cols())
        throw std::invalid_argument("observability_gramian: C has " + std::to_string(c.cols()) +
                                    " columns, A is " + dims(a));
    check_horizon(horizon, "observability_gramian");
    return gramian(a.transpose(), c.transpose() * c, horizon);
}

// trace(B_g^T M B_g) with M = int e^{A^T t} e^{A t} dt, the observability
// Gramian of C = I: one Gramian for all groups.
std::vector<double> average_controllability(const MatrixXd& a, const MatrixXd& b, double horizon,
                                            const index_groups& groups) {
    check_rows(a, b, "average_controllability");
    const MatrixXd m = observability_gramian(a, MatrixXd::Identity(a.rows(), a.cols()), horizon);
    return group_sums(column_forms(m, b), groups, "average_controllability");
}

std::vector<double> average_observability(const MatrixXd& a, const MatrixXd& c, double horizon,
                                          const index_groups& groups) {
    check_square(a, "average_observability");
    if (c.cols() != a.cols())
        throw std::invalid_argument("average_observability: C has " + std::to_string(c.cols()) +
                                    " columns, A is " + dims(a));
    const MatrixXd m = controllability_gramian(a, MatrixXd::Identity(a.rows(), a.cols()), horizon);
    return group_sums(column_forms(m, c.transpose()), groups, "average_observability");
}

double output_energy(const MatrixXd& a, const MatrixXd& c, const VectorXd& x0, double horizon) {
    if (x0.size() != a.rows())
        throw std::invalid_argument("output_energy: x0 has " + std::to_string(x0.size()) + " entries, A is " +
                                    dims(a));
    return x0.dot(observability_gramian(a, c, horizon) * x0);
}

std::vector<double> modal_controllability(const MatrixXd& a, const MatrixXd& b, double dt,
                                          const index_groups& groups) {
    check_rows(a, b, "modal_controllability");
    if (!(dt > 0) || std::isinf(dt))
        throw std::invalid_argument("modal_controllability: dt must be finite and > 0");
    if (a.rows() == 0) return group_sums(std::vector<double>(b.cols(), 0.0), groups, "modal_controllability");
    const Eigen::EigenSolver<MatrixXd> es(a);
    if (es.info() != Eigen::Success)
        throw std::runtime_error("modal_controllability: eigensolver did not converge");
    const VectorXcd& lambda = es.eigenvalues();
    if (summarise(cvec(lambda.data(), lambda.data() + lambda.size())).n_unstable > 0)
        throw std::invalid_argument("modal_controllability: A has unstable eigenvalues (1 - |mu|^2 < 0)");
    const Eigen::FullPivLU<MatrixXcd> lu(es.eigenvectors()); // unit-norm columns
    // V^-1 b loses log10 cond(V) digits; a Jordan block comes out with
    // rcond ~ eps. Beyond cond(V) = 1/sqrt(eps) fewer than half are left.
    if (!(lu.rcond() > std::sqrt(std::numeric_limits<double>::epsilon())))
        throw std::invalid_argument(
            "modal_controllability: A is (numerically) defective: eigenvector matrix has "
            "rcond " +
            std::to_string(lu.rcond()));
    const MatrixXcd gain = lu.solve(b.cast<cd>()); // modal coordinates of each input
    std::vector<double> per_column(b.cols(), 0.0);
    for (Index j = 0; j < lambda.size(); ++j) {
        // 1 - |e^{lambda dt}|^2 without cancellation for small dt; a neutral mode weighs 0.
        const double weight = std::max(0.0, -std::expm1(2 * lambda(j).real() * dt));
        for (Index i = 0; i < b.cols(); ++i) per_column[i] += weight * std::norm(gain(j, i));
    }
    return group_sums(per_column, groups, "modal_controllability");
}

namespace {

// W^+ of a symmetric PSD W through its eigendecomposition (its SVD),
// dropping eigenvalues below n eps max(eig): rank-revealing.
struct pseudo_inverse {
    explicit pseudo_inverse(const MatrixXd& w) {
        const Index n = w.rows();
        inv = VectorXd::Zero(n);
        if (n == 0) return;
        es.compute(w);
        const VectorXd& ev = es.eigenvalues(); // ascending
        const double top = ev(n - 1);
        const double cut = double(n) * std::numeric_limits<double>::epsilon() * top;
        for (Index i = 0; i < n; ++i)
            if (top > 0 && ev(i) > cut) {
                inv(i) = 1 / ev(i);
                ++rank;
            }
        condition = ev(0) > 0 ? top / ev(0) : std::numeric_limits<double>::infinity();
    }
    MatrixXd apply(const MatrixXd& d) const {
        if (inv.size() == 0) return MatrixXd::Zero(d.rows(), d.cols());
        return es.eigenvectors() * inv.asDiagonal() * (es.eigenvectors().transpose() * d);
    }
    Eigen::SelfAdjointEigenSolver<MatrixXd> es;
    VectorXd inv;
    int rank = 0;
    double condition = 0;
};

} // namespace

reach_energies reach_energy(const MatrixXd& w, const MatrixXd& d) {
    check_square(w, "reach_energy");
    if (d.rows() != w.rows())
        throw std::invalid_argument("reach_energy: D has " + std::to_string(d.rows()) + " rows, W is " +
                                    dims(w));
    const pseudo_inverse pinv(symmetrised(w));
    const MatrixXd lam = pinv.apply(d);
    reach_energies r;
    r.rank = pinv.rank;
    r.condition = pinv.condition;
    for (Index k = 0; k < d.cols(); ++k) {
        const double dn = d.col(k).norm();
        const bool reached = dn == 0 || (w * lam.col(k) - d.col(k)).norm() <= 1e-6 * dn;
        r.energy.push_back(reached ? d.col(k).dot(lam.col(k)) : std::numeric_limits<double>::infinity());
    }
    return r;
}

min_energy_control minimum_energy(const MatrixXd& a, const MatrixXd& b, const VectorXd& x0,
                                  const VectorXd& xf, double horizon, int n_intervals) {
    check_rows(a, b, "minimum_energy");
    const Index n = a.rows();
    if (x0.size() != n || xf.size() != n)
        throw std::invalid_argument("minimum_energy: x0 has " + std::to_string(x0.size()) + " and xf " +
                                    std::to_string(xf.size()) + " entries, A is " + dims(a));
    if (!(horizon > 0) || std::isinf(horizon))
        throw std::invalid_argument("minimum_energy: horizon must be finite and > 0 ms");
    if (n_intervals < 1) throw std::invalid_argument("minimum_energy: n_intervals must be >= 1");

    const finite_gramian_result g = finite_gramian(a, b * b.transpose(), horizon);
    const VectorXd d = xf - g.e * x0;
    min_energy_control r;
    const pseudo_inverse pinv(g.w);
    r.rank = pinv.rank;
    r.condition = pinv.condition;
    const VectorXd lam = pinv.apply(d);
    r.energy = d.dot(lam);
    const double dn = d.norm();
    r.residual = dn > 0 ? (g.w * lam - d).norm() / dn : 0.0;

    // u(t_k) = B^T e^{A^T (T - t_k)} lam, stepping back from t = T.
    const double h = horizon / n_intervals;
    const MatrixXd step = n > 0 ? MatrixXd((a.transpose() * h).exp()) : MatrixXd(0, 0);
    r.times = VectorXd::LinSpaced(n_intervals + 1, 0, horizon);
    r.input.resize(n_intervals + 1, b.cols());
    VectorXd v = lam;
    for (int k = n_intervals; k >= 0; --k) {
        r.input.row(k) = (b.transpose() * v).transpose();
        v = step * v;
    }
    return r;
}

} // namespace nms::stability
