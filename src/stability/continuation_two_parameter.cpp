// Curves of folds and of Hopf points in two parameters by the standard
// extended systems (Kuznetsov 3rd ed., sec. 10.2), with cusp and
// Bogdanov-Takens points on fold curves, Bogdanov-Takens and Bautin points on
// Hopf curves.
//   fold: f = 0, A v = 0, <c, v> = 1                  y = (x, v, pa, pb)
//   Hopf: f = 0, (A^2 + k I) v = 0, <c, v> = 1, <d, v> = 0,  y = (x, v, k, pa, pb)
// with k = omega^2; k passes through 0 at a Bogdanov-Takens point, where the
// Hopf curve turns into a curve of neutral saddles (k < 0). The references c
// and d follow v from point to point.

#include "continuation_detail.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>

namespace nms::stability {

using namespace detail;

namespace {

struct refs {
    VectorXd c, d;
};

VectorXd params_of(const VectorXd& p0, std::array<int, 2> free, double a, double b) {
    VectorXd p = p0;
    p(free[0]) = a;
    p(free[1]) = b;
    return p;
}

void check_start(const special_point& sp, std::array<int, 2> free, const continuation_options& opt) {
    for (int k : free)
        if (k < 0 || k >= sp.p.size())
            throw std::invalid_argument("continuation: a free parameter index is out of range");
    if (free[0] == free[1]) throw std::invalid_argument("continuation: the two free parameters must differ");
    for (int j = 0; j < 2; ++j)
        if (!(sp.p(free[j]) >= opt.lower[j] && sp.p(free[j]) <= opt.upper[j]))
            throw std::invalid_argument("continuation: the start parameters lie outside the bounds");
}

// rows 0..n-1 of both extended systems: f and its Jacobian
void equilibrium_rows(const system& sys, const VectorXd& x, const VectorXd& p, std::array<int, 2> free,
                      int pcol, VectorXd& g, MatrixXd& jg, MatrixXd& jx) {
    MatrixXd jp;
    VectorXd f(sys.n);
    sys.rhs(x, p, f);
    sys.jacobian(x, p, jx, jp);
    g.head(sys.n) = f;
    jg.block(0, 0, sys.n, sys.n) = jx;
    jg.col(pcol).head(sys.n) = jp.col(free[0]);
    jg.col(pcol + 1).head(sys.n) = jp.col(free[1]);
}

curve_problem fold_problem(const system& sys, const VectorXd& p0, std::array<int, 2> free,
                           const continuation_options& opt) {
    const int n = sys.n;
    auto r = std::make_shared<refs>();
    curve_problem pb;
    pb.dim = 2 * n + 2;
    pb.eval = [&sys, p0, free, n, r](const VectorXd& y, VectorXd& g, MatrixXd& jg) {
        const VectorXd x = y.head(n), v = y.segment(n, n);
        const VectorXd p = params_of(p0, free, y(2 * n), y(2 * n + 1));
        g.setZero(2 * n + 1);
        jg.setZero(2 * n + 1, 2 * n + 2);
        MatrixXd a;
        equilibrium_rows(sys, x, p, free, 2 * n, g, jg, a);
        const auto da = jacobian_derivatives(sys, x, p, {free[0], free[1]});
        g.segment(n, n) = a * v;
        for (int k = 0; k < n; ++k) jg.col(k).segment(n, n) = da[k] * v;
        jg.block(n, n, n, n) = a;
        jg.col(2 * n).segment(n, n) = da[n] * v;
        jg.col(2 * n + 1).segment(n, n) = da[n + 1] * v;
        g(2 * n) = r->c.dot(v) - 1;
        jg.block(2 * n, n, 1, n) = r->c.transpose();
    };
    pb.accept = [n, r](const VectorXd& y) { r->c = y.segment(n, n) / y.segment(n, n).squaredNorm(); };
    pb.inside = [n, opt](const VectorXd& y) {
        return y(2 * n) >= opt.lower[0] && y(2 * n) <= opt.upper[0] && y(2 * n + 1) >= opt.lower[1] &&
               y(2 * n + 1) <= opt.upper[1];
    };
    return pb;
}

curve_problem hopf_problem(const system& sys, const VectorXd& p0, std::array<int, 2> free,
                           const continuation_options& opt) {
    const int n = sys.n;
    auto r = std::make_shared<refs>();
    curve_problem pb;
    pb.dim = 2 * n + 3;
    pb.eval = [&sys, p0, free, n, r](const VectorXd& y, VectorXd& g, MatrixXd& jg) {
        const VectorXd x = y.head(n), v = y.segment(n, n);
        const double k2 = y(2 * n);
        const VectorXd p = params_of(p0, free, y(2 * n + 1), y(2 * n + 2));
        g.setZero(2 * n + 2);
        jg.setZero(2 * n + 2, 2 * n + 3);
        MatrixXd a;
        equilibrium_rows(sys, x, p, free, 2 * n + 1, g, jg, a);
        const auto da = jacobian_derivatives(sys, x, p, {free[0], free[1]});
        const VectorXd av = a * v;
        g.segment(n, n) = a * av + k2 * v;
        // d(A^2 v) = dA (A v) + A (dA v)
        auto col = [&](int k) { return VectorXd(da[k] * av + a * (da[k] * v)); };
        for (int k = 0; k < n; ++k) jg.col(k).segment(n, n) = col(k);
        jg.block(n, n, n, n) = a * a + k2 * MatrixXd::Identity(n, n);
        jg.col(2 * n).segment(n, n) = v;
        jg.col(2 * n + 1).segment(n, n) = col(n);
        jg.col(2 * n + 2).segment(n, n) = col(n + 1);
        g(2 * n) = r->c.dot(v) - 1;
        g(2 * n + 1) = r->d.dot(v);
        jg.block(2 * n, n, 1, n) = r->c.transpose();
        jg.block(2 * n + 1, n, 1, n) = r->d.transpose();
    };
    pb.accept = [&sys, p0, free, n, r](const VectorXd& y) {
        const VectorXd v = y.segment(n, n);
        r->c = v / v.squaredNorm();
        // d: the direction of the invariant plane span{v, A v} normal to v
        const VectorXd av = jx_at(sys, y.head(n), params_of(p0, free, y(2 * n + 1), y(2 * n + 2))) * v;
        const VectorXd d = av - av.dot(v) / v.squaredNorm() * v;
        if (d.norm() > 1e-8 * av.norm() || r->d.size() == 0) r->d = d.normalized();
    };
    pb.inside = [n, opt](const VectorXd& y) {
        return y(2 * n + 1) >= opt.lower[0] && y(2 * n + 1) <= opt.upper[0] && y(2 * n + 2) >= opt.lower[1] &&
               y(2 * n + 2) <= opt.upper[1];
    };
    return pb;
}

cont_point point_of(const system& sys, const VectorXd& y, const VectorXd& p0, std::array<int, 2> free,
                    int pcol) {
    cont_point pt;
    pt.x = y.head(sys.n);
    pt.p = params_of(p0, free, y(pcol), y(pcol + 1));
    fill_spectrum(sys, pt);
    return pt;
}

special_point special_of(const cont_point& pt, point_kind kind, int index) {
    special_point sp;
    sp.kind = kind;
    sp.index = index;
    sp.x = pt.x;
    sp.p = pt.p;
    sp.eigenvalues = pt.eigenvalues;
    sp.omega = pt.omega;
    sp.l1 = pt.l1;
    sp.a = pt.a;
    return sp;
}

// ---- fold curves ----

// left null vector of A oriented along ref (continuity along the curve)
VectorXd left_null(const system& sys, const cont_point& pt, const VectorXd& ref) {
    VectorXd q, w;
    null_vectors(jx_at(sys, pt.x, pt.p), q, w);
    return ref.size() && w.dot(ref) < 0 ? VectorXd(-w) : w;
}

struct fold_tests {
    double cusp, bt;
};

fold_tests fold_values(const system& sys, const cont_point& pt, const VectorXd& v, const VectorXd& w) {
    const VectorXd q = v.normalized();
    return {fold_form(sys, pt.x, pt.p, q, w), w.dot(q)};
}

void detect_fold_curve(const system& sys, const curve_problem& pb, const traced& tr, const VectorXd& p0,
                       std::array<int, 2> free, const continuation_options& opt, branch& out) {
    const int n = sys.n;
    std::vector<VectorXd> ws;
    std::vector<fold_tests> tv;
    for (size_t i = 0; i < tr.y.size(); ++i) {
        ws.push_back(left_null(sys, out.points[i], i ? ws.back() : VectorXd()));
        tv.push_back(fold_values(sys, out.points[i], tr.y[i].segment(n, n), ws.back()));
        out.points[i].a = tv.back().cusp / tv.back().bt;
    }
    if (!opt.detect) return;
    for (int i = 0; i + 1 < static_cast<int>(tr.y.size()); ++i) {
        for (int kind = 0; kind < 2; ++kind) {
            const bool cusp = kind == 0;
            const double f0 = cusp ? tv[i].cusp : tv[i].bt, f1 = cusp ? tv[i + 1].cusp : tv[i + 1].bt;
            if (!changes_sign(f0, f1)) continue;
            pb.accept(tr.y[i]);
            const VectorXd wref = ws[i];
            auto psi = [&, wref](const VectorXd& y, const VectorXd&) {
                const cont_point pt = point_of(sys, y, p0, free, 2 * n);
                const fold_tests t = fold_values(sys, pt, y.segment(n, n), left_null(sys, pt, wref));
                return cusp ? t.cusp : t.bt;
            };
            const VectorXd y = locate(pb, tr, i, psi, opt);
            cont_point pt = point_of(sys, y, p0, free, 2 * n);
            const fold_tests t = fold_values(sys, pt, y.segment(n, n), left_null(sys, pt, wref));
            pt.a = cusp ? t.cusp / t.bt : NAN; // a diverges at a Bogdanov-Takens point (<w, q> = 0)
            out.special.push_back(special_of(pt, cusp ? point_kind::cusp : point_kind::bogdanov_takens, i));
        }
    }
}

} // namespace

branch continue_fold_curve(const system& sys, const special_point& fold, std::array<int, 2> free,
                           const continuation_options& opt) {
    if (sys.spectrum)
        throw std::invalid_argument(
            "continuation: curves of folds and Hopf points of a delay equation are not built (its Hopf "
            "curves need the characteristic equation's extended system)");
    check_start(fold, free, opt);
    if (fold.kind != point_kind::fold && fold.kind != point_kind::cusp &&
        fold.kind != point_kind::bogdanov_takens)
        throw std::invalid_argument(
            "continuation: a fold curve starts from a fold, cusp or Bogdanov-Takens point");
    const int n = sys.n;
    VectorXd q, w;
    null_vectors(jx_at(sys, fold.x, fold.p), q, w);
    VectorXd y0(2 * n + 2);
    y0 << fold.x, q, fold.p(free[0]), fold.p(free[1]);
    const curve_problem pb = fold_problem(sys, fold.p, free, opt);
    pb.accept(y0);
    const traced tr = trace(pb, y0, opt);
    branch out;
    out.free = {free[0], free[1]};
    out.closed = tr.closed;
    for (const auto& y : tr.y) out.points.push_back(point_of(sys, y, fold.p, free, 2 * n));
    detect_fold_curve(sys, pb, tr, fold.p, free, opt, out);
    return out;
}

// ---- Hopf curves ----

namespace {

void hopf_values(const system& sys, cont_point& pt, double k2) {
    pt.omega = std::sqrt(std::max(k2, 0.0));
    pt.l1 = pt.omega > 0 ? first_lyapunov_coefficient(sys, pt.x, pt.p, pt.omega) : NAN;
}

// Ends the curve at the first Bogdanov-Takens point (k = 0) on either side of
// the start: beyond it lie neutral saddles. The located point replaces the
// first point past it.
traced cut_at_bt(const curve_problem& pb, const traced& tr, int kcol, const continuation_options& opt,
                 std::vector<bool>& bt_end) {
    auto k = [&](int i) { return tr.y[i](kcol); };
    auto psi = [kcol](const VectorXd& y, const VectorXd&) { return y(kcol); };
    int hi = static_cast<int>(tr.y.size()) - 1, lo = 0;
    bt_end = {false, false};
    for (int i = tr.start; i + 1 < static_cast<int>(tr.y.size()); ++i)
        if (k(i + 1) <= 0) {
            hi = i + 1;
            bt_end[1] = true;
            break;
        }
    for (int i = tr.start; i > 0; --i)
        if (k(i - 1) <= 0) {
            lo = i - 1;
            bt_end[0] = true;
            break;
        }
    traced out;
    out.start = tr.start - lo;
    out.closed = tr.closed && !bt_end[0] && !bt_end[1];
    for (int i = lo; i <= hi; ++i) {
        out.y.push_back(tr.y[i]);
        out.t.push_back(tr.t[i]);
    }
    VectorXd g;
    MatrixXd jg;
    auto replace = [&](int seg, int at) {
        pb.accept(tr.y[seg]);
        out.y[at] = locate(pb, tr, seg, psi, opt);
        pb.eval(out.y[at], g, jg);
        out.t[at] = tangent(jg, &tr.t[seg]);
    };
    if (bt_end[1]) replace(hi - 1, hi - lo);
    if (bt_end[0]) replace(lo, 0);
    return out;
}

} // namespace

branch continue_hopf_curve(const system& sys, const special_point& hopf, std::array<int, 2> free,
                           const continuation_options& opt) {
    if (sys.spectrum)
        throw std::invalid_argument(
            "continuation: curves of folds and Hopf points of a delay equation are not built (its Hopf "
            "curves need the characteristic equation's extended system)");
    check_start(hopf, free, opt);
    if (hopf.kind != point_kind::hopf && hopf.kind != point_kind::bautin)
        throw std::invalid_argument("continuation: a Hopf curve starts from a Hopf or Bautin point");
    if (!(hopf.omega > 0)) throw std::invalid_argument("continuation: a Hopf point needs omega > 0");
    const int n = sys.n;
    cvecxd q, pv;
    hopf_vectors(jx_at(sys, hopf.x, hopf.p), hopf.omega, q, pv);
    // a real vector of the invariant plane (|q| = 1: one part has norm >= 1/sqrt 2)
    const VectorXd v = q.real().norm() >= q.imag().norm() ? VectorXd(q.real()) : VectorXd(q.imag());
    VectorXd y0(2 * n + 3);
    y0 << hopf.x, v, hopf.omega * hopf.omega, hopf.p(free[0]), hopf.p(free[1]);
    const curve_problem pb = hopf_problem(sys, hopf.p, free, opt);
    pb.accept(y0);
    std::vector<bool> bt_end;
    const traced tr = cut_at_bt(pb, trace(pb, y0, opt), 2 * n, opt, bt_end);
    branch out;
    out.free = {free[0], free[1]};
    out.closed = tr.closed;
    for (const auto& y : tr.y) {
        out.points.push_back(point_of(sys, y, hopf.p, free, 2 * n + 1));
        hopf_values(sys, out.points.back(), y(2 * n));
    }
    const int last = static_cast<int>(out.points.size()) - 1;
    for (int end = 0; end < 2; ++end) // omega = 0 and l1 undefined at a Bogdanov-Takens point
        if (bt_end[end]) {
            out.points[end ? last : 0].omega = 0;
            out.points[end ? last : 0].l1 = NAN;
        }
    if (bt_end[0]) out.special.push_back(special_of(out.points[0], point_kind::bogdanov_takens, 0));
    for (int i = 0; i < last && opt.detect; ++i) {
        const double a = out.points[i].l1, b = out.points[i + 1].l1;
        if (!changes_sign(a, b)) continue;
        pb.accept(tr.y[i]);
        auto psi = [&](const VectorXd& y, const VectorXd&) {
            cont_point pt = point_of(sys, y, hopf.p, free, 2 * n + 1);
            hopf_values(sys, pt, y(2 * n));
            return pt.l1;
        };
        const VectorXd y = locate(pb, tr, i, psi, opt);
        cont_point pt = point_of(sys, y, hopf.p, free, 2 * n + 1);
        hopf_values(sys, pt, y(2 * n));
        out.special.push_back(special_of(pt, point_kind::bautin, i));
    }
    if (bt_end[1]) out.special.push_back(special_of(out.points[last], point_kind::bogdanov_takens, last - 1));
    return out;
}

} // namespace nms::stability
