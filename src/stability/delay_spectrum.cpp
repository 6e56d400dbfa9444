#include "nmsweep/stability/delay_spectrum.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace nms::stability {

namespace {

using cplx = std::complex<double>;
using cmat = Eigen::MatrixXcd;
using cvecx = Eigen::VectorXcd;

constexpr int min_degree = 4;
constexpr int max_newton_steps = 30;
constexpr int inverse_iterations = 4;
// Generator eigenvalues closer than this (relative) are one cluster: copies
// of a repeated root, which may all refine to the same root.
constexpr double cluster_tol = 1e-6;

// Validated problem: delays > 0 (zero delays folded into a0), the largest
// delay and the scale used for relative residuals.
struct problem {
    Eigen::MatrixXd a0;
    std::vector<delayed_term> terms;
    double tau_max = 0;
    double scale = 0;
};

problem validate(const Eigen::MatrixXd& a0, const std::vector<delayed_term>& terms) {
    if (a0.rows() != a0.cols()) throw std::invalid_argument("delay_eigenvalues: A0 must be square");
    problem p{a0, {}, 0, a0.norm()};
    for (const auto& t : terms) {
        if (t.a.rows() != a0.rows() || t.a.cols() != a0.cols())
            throw std::invalid_argument("delay_eigenvalues: every A_k must have the size of A0");
        if (!std::isfinite(t.tau) || t.tau < 0)
            throw std::invalid_argument("delay_eigenvalues: delays must be finite and >= 0, got " +
                                        std::to_string(t.tau));
        p.scale += t.a.norm();
        if (t.tau == 0) {
            p.a0 += t.a;
        } else {
            p.terms.push_back(t);
            p.tau_max = std::max(p.tau_max, t.tau);
        }
    }
    return p;
}

// Chebyshev extremal nodes x_j = cos(j pi / M) on [-1, 1] (x_0 = 1).
Eigen::VectorXd cheb_nodes(int m) {
    Eigen::VectorXd x(m + 1);
    for (int j = 0; j <= m; ++j) x(j) = std::cos(M_PI * j / m);
    return x;
}

// Chebyshev differentiation matrix on those nodes (Trefethen, Spectral
// Methods in MATLAB, cheb.m); the diagonal as negative row sums for accuracy.
Eigen::MatrixXd cheb_diff(const Eigen::VectorXd& x) {
    const int m = static_cast<int>(x.size()) - 1;
    auto c = [m](int i) { return ((i == 0 || i == m) ? 2.0 : 1.0) * ((i % 2) ? -1.0 : 1.0); };
    Eigen::MatrixXd d = Eigen::MatrixXd::Zero(m + 1, m + 1);
    for (int i = 0; i <= m; ++i)
        for (int j = 0; j <= m; ++j)
            if (i != j) d(i, j) = c(i) / c(j) / (x(i) - x(j));
    for (int i = 0; i <= m; ++i) d(i, i) = -d.row(i).sum();
    return d;
}

// Lagrange basis l_j(s), j = 0..M, at a point s of [-1, 1] (barycentric
// formula with the Chebyshev weights (-1)^j, halved at the ends).
Eigen::VectorXd lagrange_at(const Eigen::VectorXd& x, double s) {
    const int m = static_cast<int>(x.size()) - 1;
    Eigen::VectorXd l = Eigen::VectorXd::Zero(m + 1);
    for (int j = 0; j <= m; ++j)
        if (s == x(j)) {
            l(j) = 1;
            return l;
        }
    for (int j = 0; j <= m; ++j) {
        const double w = ((j % 2) ? -1.0 : 1.0) * ((j == 0 || j == m) ? 0.5 : 1.0);
        l(j) = w / (s - x(j));
    }
    return l / l.sum();
}

// The discretised infinitesimal generator, n(M+1) square. The nodes
// theta_j = tau_max (x_j - 1) / 2 run from 0 to -tau_max.
Eigen::MatrixXd generator(const problem& p, int m) {
    const Eigen::Index n = p.a0.rows();
    const Eigen::VectorXd x = cheb_nodes(m);
    const Eigen::MatrixXd d = cheb_diff(x) * (2.0 / p.tau_max);
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n * (m + 1), n * (m + 1));
    g.topLeftCorner(n, n) = p.a0; // l_j(0) = delta_j0 since theta_0 = 0
    for (const auto& t : p.terms) {
        const Eigen::VectorXd l = lagrange_at(x, 1.0 - 2.0 * t.tau / p.tau_max);
        for (int j = 0; j <= m; ++j)
            if (l(j) != 0) g.block(0, j * n, n, n) += l(j) * t.a;
    }
    for (int i = 1; i <= m; ++i)
        for (int j = 0; j <= m; ++j) g.block(i * n, j * n, n, n).diagonal().setConstant(d(i, j));
    return g;
}

// Delta(lambda) and its derivative I + sum_k tau_k A_k exp(-lambda tau_k).
void characteristic(const problem& p, cplx lambda, cmat& delta, cmat& ddelta) {
    const Eigen::Index n = p.a0.rows();
    delta = -p.a0.cast<cplx>();
    delta.diagonal().array() += lambda;
    ddelta = cmat::Identity(n, n);
    for (const auto& t : p.terms) {
        const cplx e = std::exp(-lambda * t.tau);
        delta -= e * t.a;
        ddelta += (t.tau * e) * t.a;
    }
}

// The smallest singular value of Delta and its right singular vector by
// inverse iteration on Delta^H Delta (one LU; converges in a step or two
// when Delta is nearly singular, as it is near a root). ||Delta v|| with
// ||v|| = 1 is an upper bound of sigma_min, so the residual reported is
// honest even when the iteration stops early.
double smallest_singular(const cmat& delta, cvecx* v_out = nullptr) {
    const Eigen::PartialPivLU<cmat> lu(delta);
    // A fixed start with no special direction (ones could be orthogonal to the answer).
    cvecx v(delta.cols());
    for (Eigen::Index i = 0; i < v.size(); ++i) v(i) = std::polar(1.0, 2.399963 * static_cast<double>(i + 1));
    v.normalize();
    for (int it = 0; it < inverse_iterations; ++it) {
        cvecx w = lu.solve(lu.adjoint().solve(v));
        if (!w.allFinite() || w.norm() == 0) {
            // Singular to working precision (an exact root): take the SVD's null vector.
            const Eigen::JacobiSVD<cmat> svd(delta, Eigen::ComputeFullV);
            v = svd.matrixV().col(delta.cols() - 1);
            break;
        }
        v = w.normalized();
    }
    if (v_out) *v_out = v;
    return (delta * v).norm();
}

struct newton_result {
    cplx lambda;
    bool converged;
};

// Newton on F(v, lambda) = [Delta(lambda) v; c^H v - 1] with c the start
// vector (the right singular vector of Delta(mu) for its smallest singular
// value): quadratic convergence to a simple root, no eigenvectors of the
// big generator needed.
newton_result newton(const problem& p, cplx mu, double tol) {
    const Eigen::Index n = p.a0.rows();
    cmat delta, ddelta;
    characteristic(p, mu, delta, ddelta);
    cvecx v;
    smallest_singular(delta, &v);
    const cvecx c = v;
    cplx lambda = mu;
    cmat jac(n + 1, n + 1);
    cvecx rhs(n + 1);
    for (int it = 0; it < max_newton_steps; ++it) {
        if (it > 0) characteristic(p, lambda, delta, ddelta);
        jac.topLeftCorner(n, n) = delta;
        jac.topRightCorner(n, 1) = ddelta * v;
        jac.bottomLeftCorner(1, n) = c.adjoint();
        jac(n, n) = 0;
        rhs.head(n) = -(delta * v);
        rhs(n) = 1.0 - c.dot(v);
        const cvecx step = jac.partialPivLu().solve(rhs);
        if (!step.allFinite()) return {lambda, false};
        v += step.head(n);
        lambda += step(n);
        if (std::abs(step(n)) <= tol * std::max(1.0, std::abs(lambda))) return {lambda, true};
    }
    return {lambda, false};
}

double residual(const problem& p, cplx lambda) {
    cmat delta, ddelta;
    characteristic(p, lambda, delta, ddelta);
    return smallest_singular(delta) / (std::abs(lambda) + p.scale + std::numeric_limits<double>::min());
}

// Half the distance from ev[i] to the nearest discretised eigenvalue outside
// its cluster: a refined root farther than that belongs to a neighbour.
double capture_radius(const cvec& ev, std::size_t i) {
    const double near = cluster_tol * std::max(1.0, std::abs(ev[i]));
    double r = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < ev.size(); ++j) {
        const double d = std::abs(ev[j] - ev[i]);
        if (d > near) r = std::min(r, d);
    }
    return 0.5 * r;
}

delay_eigenvalue refine(const problem& p, const cvec& ev, std::size_t i, const delay_spectrum_options& opt) {
    const cplx mu = ev[i];
    delay_eigenvalue out{mu, false, 0};
    const newton_result nr = opt.refine ? newton(p, mu, opt.tol) : newton_result{mu, false};
    if (nr.converged && std::abs(nr.lambda - mu) < capture_radius(ev, i)) {
        out.value = nr.lambda;
        // A real start stays real in exact arithmetic (Delta is real there).
        if (mu.imag() == 0) out.value.imag(0);
        out.refined = true;
    }
    out.residual = residual(p, out.value);
    return out;
}

// The count of rightmost eigenvalues kept: n_wanted, one more when the cut
// would split a conjugate pair.
std::size_t wanted_count(const cvec& ev, int n_wanted) {
    std::size_t k = std::min<std::size_t>(ev.size(), static_cast<std::size_t>(std::max(n_wanted, 0)));
    if (k > 0 && k < ev.size() && ev[k - 1].imag() > 0 && ev[k] == std::conj(ev[k - 1])) ++k;
    return k;
}

} // namespace

int delay_spectrum_degree(int n, const delay_spectrum_options& opt) {
    const std::size_t cap = opt.max_size;
    const auto size = [n](int m) { return static_cast<std::size_t>(n) * static_cast<std::size_t>(m + 1); };
    if (opt.degree > 0) {
        if (size(opt.degree) > cap)
            throw std::invalid_argument("delay_eigenvalues: n(M+1) = " + std::to_string(size(opt.degree)) +
                                        " exceeds max_size = " + std::to_string(cap) +
                                        " (dense eigenvalues of that size are too slow)");
        return opt.degree;
    }
    int m = std::max(24, 2 * std::max(opt.n_wanted, 1) / std::max(n, 1) + 16);
    if (size(m) > cap) m = static_cast<int>(cap / static_cast<std::size_t>(std::max(n, 1))) - 1;
    if (m < min_degree || size(m) > cap)
        throw std::invalid_argument("delay_eigenvalues: n(M+1) = " + std::to_string(size(min_degree)) +
                                    " at the smallest degree M = " + std::to_string(min_degree) +
                                    " exceeds max_size = " + std::to_string(cap) +
                                    " (n = " + std::to_string(n) + ")");
    return m;
}

std::vector<delay_eigenvalue> delay_eigenvalues(const Eigen::MatrixXd& a0,
                                                const std::vector<delayed_term>& terms,
                                                const delay_spectrum_options& opt) {
    const problem p = validate(a0, terms);
    const int n = static_cast<int>(p.a0.rows());
    if (n == 0) return {};
    if (p.terms.empty() && static_cast<std::size_t>(n) > opt.max_size)
        throw std::invalid_argument("delay_eigenvalues: n = " + std::to_string(n) +
                                    " exceeds max_size = " + std::to_string(opt.max_size));
    // Without delays the generator is A0 itself.
    const cvec ev =
        p.terms.empty() ? eigenvalues(p.a0) : eigenvalues(generator(p, delay_spectrum_degree(n, opt)));
    const std::size_t k = wanted_count(ev, opt.n_wanted);
    std::vector<delay_eigenvalue> out;
    out.reserve(k);
    for (std::size_t i = 0; i < k; ++i) {
        // The lower member of a pair is the conjugate of the upper one.
        if (i > 0 && ev[i].imag() < 0 && ev[i] == std::conj(ev[i - 1])) {
            out.push_back({std::conj(out.back().value), out.back().refined, out.back().residual});
            continue;
        }
        out.push_back(refine(p, ev, i, opt));
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        if (a.value.real() != b.value.real()) return a.value.real() > b.value.real();
        return a.value.imag() > b.value.imag();
    });
    return out;
}

} // namespace nms::stability
