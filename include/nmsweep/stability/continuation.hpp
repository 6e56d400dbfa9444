#pragma once

// Numerical continuation of equilibria (Keller's pseudo-arclength method) on a
// generic callback interface: branches of equilibria in one parameter with
// their folds, Hopf and branch points located, and curves of folds and of Hopf
// points in two parameters with cusp, Bogdanov-Takens and Bautin points.
// Normal form coefficients follow Kuznetsov, Elements of Applied Bifurcation
// Theory (3rd ed.): eigenvectors normalised <q,q> = 1, <p,q> = 1.

#include "nmsweep/stability/spectrum.hpp"

#include <Eigen/Dense>

#include <array>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace nms::stability {

// f(x, p) with x in R^n and p all parameters of the model (the continuation
// varies those named by index). The Jacobians are exact (from AD).
struct system {
    int n = 0;
    std::function<void(const Eigen::VectorXd& x, const Eigen::VectorXd& p, Eigen::VectorXd& f)> rhs;
    // jx = df/dx (n x n), jp = df/dp (n x p.size(): a column for every parameter)
    std::function<void(const Eigen::VectorXd& x, const Eigen::VectorXd& p, Eigen::MatrixXd& jx,
                       Eigen::MatrixXd& jp)>
        jacobian;
    // The characteristic roots that decide stability at an equilibrium, in
    // place of the eigenvalues of df/dx (empty: those eigenvalues). A delay
    // equation gives its rightmost roots: folds stay where they are (the
    // equilibria and their zero root do not depend on the delays), while
    // stability and Hopf points (located where a complex pair of these roots
    // crosses the axis) are the delay equation's; its Hopf points carry no
    // l1 (NaN, note "delayed") and curves of them are not continued.
    std::function<cvec(const Eigen::VectorXd& x, const Eigen::VectorXd& p)> spectrum;
};

struct continuation_options {
    double h0 = 1e-2;    // first arclength step
    double h_min = 1e-7; // a step that fails below this ends the direction
    double h_max = 0.1;
    double grow = 1.5;    // step factor after a fast Newton convergence
    int fast_newton = 3;  // iterations counted as fast
    int max_newton = 10;  // corrector iterations per step
    double tol = 1e-11;   // corrector tolerance (residual and update, max norm)
    int max_points = 500; // per direction
    bool both_directions = true;
    // bounds of the free parameter(s), in the order of `free`
    std::array<double, 2> lower{-std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity()};
    std::array<double, 2> upper{std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::infinity()};
    bool detect = true; // detect and locate special points
};

enum class point_kind { fold, hopf, branch_point, cusp, bogdanov_takens, bautin };
const char* to_string(point_kind k);

struct cont_point {
    Eigen::VectorXd x;
    Eigen::VectorXd p; // all parameters
    cvec eigenvalues;  // of df/dx, largest real part first
    int n_unstable = 0;
    // curves of Hopf points: frequency (rad per time unit) and l1; curves of
    // folds: the fold's quadratic coefficient a. NaN where not defined.
    double omega = std::numeric_limits<double>::quiet_NaN();
    double l1 = std::numeric_limits<double>::quiet_NaN();
    double a = std::numeric_limits<double>::quiet_NaN();
};

struct special_point {
    point_kind kind = point_kind::fold;
    // lies between points[index] and points[index + 1] of its branch; a
    // Bogdanov-Takens point that ends a Hopf curve is its first or last point
    int index = 0;
    Eigen::VectorXd x, p;
    cvec eigenvalues;
    double omega = std::numeric_limits<double>::quiet_NaN(); // Hopf: frequency
    double l1 = std::numeric_limits<double>::quiet_NaN();    // Hopf: first Lyapunov coefficient
    // fold: 0.5 <p, B(q,q)>, q with its largest component positive
    double a = std::numeric_limits<double>::quiet_NaN();
    std::string note;       // "supercritical" / "subcritical" for Hopf points
    Eigen::VectorXd vector; // fold: null vector q; Hopf: Re of the eigenvector (seeds curves)
};

struct branch {
    std::vector<int> free; // indices of the varied parameters
    std::vector<cont_point> points;
    std::vector<special_point> special;
    bool closed = false; // a closed curve (isola): the last point repeats the first
};

// Branch of equilibria through (x0, p0), varying p[free]. Throws
// std::invalid_argument when Newton from x0 does not reach an equilibrium or
// when df/dx is singular there.
branch continue_equilibria(const system& sys, const Eigen::VectorXd& x0, const Eigen::VectorXd& p0, int free,
                           const continuation_options& opt = {});

// Curve of folds / Hopf points through a point located by
// continue_equilibria, varying p[free[0]] and p[free[1]].
branch continue_fold_curve(const system& sys, const special_point& fold, std::array<int, 2> free,
                           const continuation_options& opt = {});
branch continue_hopf_curve(const system& sys, const special_point& hopf, std::array<int, 2> free,
                           const continuation_options& opt = {});

// Kuznetsov's first Lyapunov coefficient at a Hopf point with frequency
// omega > 0, with A q = i omega q, |q| = 1 over all n components (its value
// scales with that normalisation, its sign does not). B and C are
// fourth-order central differences of the exact Jacobian (about 8 digits on
// smooth f; exact up to rounding for polynomials of degree <= 5).
double first_lyapunov_coefficient(const system& sys, const Eigen::VectorXd& x, const Eigen::VectorXd& p,
                                  double omega);

} // namespace nms::stability
