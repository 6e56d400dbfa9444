#include "nmsweep/stability/optimal_control.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace nms::stability {

namespace {

// The trapezoid weight of sample n of 0..K: u's L2 norms in time.
double trap(long n, long K) { return n == 0 || n == K ? 0.5 : 1.0; }

void check(const network_system& net, const control_problem& pb, std::size_t n_u) {
    auto fail = [](const std::string& m) { throw std::invalid_argument("optimal control: " + m); };
    const std::size_t N = std::size_t(net.size());
    if (pb.steps < 1) fail("the horizon must be at least one step");
    if (!(pb.dt > 0)) fail("dt must be > 0");
    if (pb.inputs.empty()) fail("no inputs");
    for (const auto& in : pb.inputs)
        if (in.node < 0 || in.node >= net.n_nodes() || in.var < 0 || in.var >= net.n_state())
            fail("an input outside the network (node " + std::to_string(in.node) + ", variable " +
                 std::to_string(in.var) + ")");
    if (pb.x0.size() != N || pb.history.size() != N)
        fail("the initial state and history need " + std::to_string(N) + " values");
    if (pb.phase_var >= net.n_state()) fail("no phase variable " + std::to_string(pb.phase_var));
    if (pb.phase_var < 0 && (pb.target.size() != N || pb.target_weight.size() != N))
        fail("the target state needs " + std::to_string(N) + " values (and weights), got " +
             std::to_string(pb.target.size()));
    if (pb.window < 0 || pb.window > pb.steps) fail("the error window must lie within the horizon");
    if (pb.past.size() % N != 0)
        fail("the past states are not whole states of " + std::to_string(N) + " values");
    if (n_u != std::size_t(pb.steps + 1) * pb.inputs.size())
        fail(
            "u needs (steps + 1) x inputs = " + std::to_string(std::size_t(pb.steps + 1) * pb.inputs.size()) +
            " values, got " + std::to_string(n_u));
}

// What the forward pass keeps for the adjoint: states x_n (and Heun's
// predictor), the channel sums s_n and couplings c_n, every node's channels.
struct tape {
    int n = 0, ns = 0, N = 0, nch = 0, ncv = 0;
    std::vector<double> x, xi, s, c, ch, hist_ch, past_ch;
    long n_past = 0;
    // The channels of step m (< 0: the past, then the history).
    const double* channels_at(long m) const {
        if (m >= 0) return &ch[std::size_t(m) * n * nch];
        if (m >= -n_past) return &past_ch[std::size_t(n_past + m) * n * nch];
        return hist_ch.data();
    }
};

void forward(const network_system& net, const control_problem& pb, const std::vector<double>& u, tape& T) {
    T.n = net.n_nodes(), T.ns = net.n_state(), T.N = net.size(), T.nch = net.n_channels(),
    T.ncv = net.n_cvar();
    const int n = T.n, ns = T.ns, N = T.N, nch = T.nch, ncv = T.ncv, R = int(pb.inputs.size());
    const long K = pb.steps;
    const bool heun = pb.scheme == control_scheme::heun;
    const auto E = net.edges();
    T.x.assign(std::size_t(K + 1) * N, 0.0);
    T.xi.assign(heun ? std::size_t(K) * N : 0, 0.0);
    T.s.assign(std::size_t(K) * n * nch, 0.0);
    T.c.assign(std::size_t(K) * n * ncv, 0.0);
    T.ch.assign(std::size_t(K + 1) * n * nch, 0.0);
    T.hist_ch.assign(std::size_t(n) * nch, 0.0);
    net.channels(pb.history.data(), T.hist_ch.data());
    T.n_past = long(pb.past.size() / std::size_t(N));
    T.past_ch.assign(std::size_t(T.n_past) * n * nch, 0.0);
    for (long k = 0; k < T.n_past; ++k)
        net.channels(&pb.past[std::size_t(k) * N], &T.past_ch[std::size_t(k) * n * nch]);
    std::copy(pb.x0.begin(), pb.x0.end(), T.x.begin());
    std::vector<double> f0(static_cast<std::size_t>(N)), f1(static_cast<std::size_t>(N));
    const double dt = pb.dt;
    for (long t = 0; t < K; ++t) {
        const double* x = &T.x[std::size_t(t) * N];
        net.channels(x, &T.ch[std::size_t(t) * n * nch]);
        double* s = &T.s[std::size_t(t) * n * nch];
        double* c = &T.c[std::size_t(t) * n * ncv];
        for (int i = 0; i < n; ++i)
            for (int e = E.row_ptr[i]; e < E.row_ptr[i + 1]; ++e) {
                const double* chm = T.channels_at(t - E.delay[e]);
                for (int k = 0; k < nch; ++k) s[i * nch + k] += E.weight[e] * chm[E.src[e] * nch + k];
            }
        for (int i = 0; i < n; ++i) {
            net.coupling(i, x, s, c + i * ncv);
            net.node_dfun(i, x + i * ns, c + i * ncv, &f0[std::size_t(i * ns)]);
        }
        for (int r = 0; r < R; ++r)
            f0[std::size_t(pb.inputs[r].node * ns + pb.inputs[r].var)] += u[std::size_t(t) * R + r];
        double* xn = &T.x[std::size_t(t + 1) * N];
        if (!heun) {
            for (int q = 0; q < N; ++q) xn[q] = x[q] + dt * f0[std::size_t(q)];
        } else {
            double* xi = &T.xi[std::size_t(t) * N];
            for (int q = 0; q < N; ++q) xi[q] = x[q] + dt * f0[std::size_t(q)];
            for (int i = 0; i < n; ++i) net.node_bound(xi + i * ns);
            for (int i = 0; i < n; ++i) net.node_dfun(i, xi + i * ns, c + i * ncv, &f1[std::size_t(i * ns)]);
            for (int r = 0; r < R; ++r)
                f1[std::size_t(pb.inputs[r].node * ns + pb.inputs[r].var)] += u[std::size_t(t + 1) * R + r];
            for (int q = 0; q < N; ++q) xn[q] = x[q] + 0.5 * dt * (f0[std::size_t(q)] + f1[std::size_t(q)]);
        }
        for (int i = 0; i < n; ++i) net.node_bound(xn + i * ns);
    }
}

// The error at one state (times `scale`), its gradient added to g (scaled) when given.
double error_at(const control_problem& pb, const tape& T, const double* x, double scale, double* g) {
    if (pb.phase_var < 0) {
        double e = 0;
        for (int q = 0; q < T.N; ++q) {
            const double d = x[q] - pb.target[std::size_t(q)];
            e += pb.target_weight[std::size_t(q)] * d * d;
            if (g) g[q] += scale * pb.error_weight * pb.target_weight[std::size_t(q)] * d;
        }
        return scale * 0.5 * pb.error_weight * e;
    }
    double X = 0, Y = 0;
    for (int j = 0; j < T.n; ++j) {
        X += std::cos(x[j * T.ns + pb.phase_var]) / T.n;
        Y += std::sin(x[j * T.ns + pb.phase_var]) / T.n;
    }
    if (g)
        for (int j = 0; j < T.n; ++j) {
            const double th = x[j * T.ns + pb.phase_var];
            g[j * T.ns + pb.phase_var] +=
                scale * pb.error_weight * 2.0 * (-X * std::sin(th) + Y * std::cos(th)) / T.n;
        }
    return scale * pb.error_weight * (X * X + Y * Y);
}

// The adjoint pass: d(error)/du into grad (which holds the energy's part).
void backward(const network_system& net, const control_problem& pb, const tape& T,
              std::vector<double>& grad) {
    const int n = T.n, ns = T.ns, N = T.N, nch = T.nch, ncv = T.ncv, R = int(pb.inputs.size());
    const long K = pb.steps, w0 = K - pb.window;
    const double dt = pb.dt, scale = 1.0 / double(pb.window + 1);
    const bool heun = pb.scheme == control_scheme::heun;
    const auto E = net.edges();
    const std::size_t uN = static_cast<std::size_t>(N);
    std::vector<double> lam(uN, 0.0), gx(uN), gxi(uN), gf0(uN), w1(uN), gc(std::size_t(n) * ncv),
        gs(static_cast<std::size_t>(nch));
    std::vector<double> gch(std::size_t(K + 1) * n * nch, 0.0); // d J / d channels of step m
    error_at(pb, T, &T.x[std::size_t(K) * N], scale, lam.data());
    auto input_of = [&](int r) { return std::size_t(pb.inputs[r].node * ns + pb.inputs[r].var); };
    for (long t = K - 1; t >= 0; --t) {
        const double* x = &T.x[std::size_t(t) * N];
        const double* s = &T.s[std::size_t(t) * n * nch];
        const double* c = &T.c[std::size_t(t) * n * ncv];
        gx = lam; // x_{t+1} = x_t + ...
        std::fill(gc.begin(), gc.end(), 0.0);
        if (heun) {
            const double* xi = &T.xi[std::size_t(t) * N];
            for (int q = 0; q < N; ++q) w1[std::size_t(q)] = 0.5 * dt * lam[std::size_t(q)];
            std::fill(gxi.begin(), gxi.end(), 0.0);
            for (int i = 0; i < n; ++i)
                net.node_dfun_vjp(i, xi + i * ns, c + i * ncv, &w1[std::size_t(i * ns)],
                                  &gxi[std::size_t(i * ns)], &gc[std::size_t(i * ncv)]);
            for (int r = 0; r < R; ++r) grad[std::size_t(t + 1) * R + r] += w1[input_of(r)];
            for (int q = 0; q < N; ++q) {
                gf0[std::size_t(q)] = 0.5 * dt * lam[std::size_t(q)] + dt * gxi[std::size_t(q)];
                gx[std::size_t(q)] += gxi[std::size_t(q)];
            }
        } else {
            for (int q = 0; q < N; ++q) gf0[std::size_t(q)] = dt * lam[std::size_t(q)];
        }
        for (int i = 0; i < n; ++i)
            net.node_dfun_vjp(i, x + i * ns, c + i * ncv, &gf0[std::size_t(i * ns)], &gx[std::size_t(i * ns)],
                              &gc[std::size_t(i * ncv)]);
        for (int r = 0; r < R; ++r) grad[std::size_t(t) * R + r] += gf0[input_of(r)];
        for (int i = 0; i < n; ++i) {
            std::fill(gs.begin(), gs.end(), 0.0);
            net.coupling_vjp(i, x, s, &gc[std::size_t(i * ncv)], gs.data(), &gx[std::size_t(i * ns)]);
            for (int e = E.row_ptr[i]; e < E.row_ptr[i + 1]; ++e) {
                const long m = t - E.delay[e];
                if (m < 0) continue; // the past is given
                for (int k = 0; k < nch; ++k)
                    gch[(std::size_t(m) * n + std::size_t(E.src[e])) * nch + k] +=
                        E.weight[e] * gs[std::size_t(k)];
            }
        }
        // Every later use of x_t's channels is on the tape by now (delays >= 0).
        for (int j = 0; j < n; ++j)
            net.channels_vjp(j, x, &gch[(std::size_t(t) * n + std::size_t(j)) * nch],
                             &gx[std::size_t(j * ns)]);
        if (t >= w0) error_at(pb, T, x, scale, gx.data());
        lam.swap(gx);
    }
}

} // namespace

control_cost control_objective(const network_system& net, const control_problem& pb,
                               const std::vector<double>& u, std::vector<double>* grad,
                               std::vector<double>* trajectory) {
    check(net, pb, u.size());
    tape T;
    forward(net, pb, u, T);
    const long K = pb.steps;
    const std::size_t R = pb.inputs.size();
    control_cost c;
    const double scale = 1.0 / double(pb.window + 1);
    for (long t = K - pb.window; t <= K; ++t)
        c.error += error_at(pb, T, &T.x[std::size_t(t) * T.N], scale, nullptr);
    std::vector<double> norm2(R, 0.0);
    if (grad) grad->assign(u.size(), 0.0);
    for (long t = 0; t <= K; ++t)
        for (std::size_t r = 0; r < R; ++r) {
            const double w = trap(t, K) * pb.dt, v = u[std::size_t(t) * R + r];
            c.energy += 0.5 * pb.energy_weight * w * v * v;
            norm2[r] += w * v * v;
            if (grad) (*grad)[std::size_t(t) * R + r] = pb.energy_weight * w * v;
        }
    for (double q : norm2) c.sparsity += pb.sparsity_weight * std::sqrt(q);
    c.total = c.error + c.energy + c.sparsity;
    if (grad) backward(net, pb, T, *grad);
    if (trajectory) *trajectory = std::move(T.x);
    return c;
}

namespace {

// The proximal step of gamma * sum_r ||u_r|| (step t) and the clip to the
// amplitude bound, in the time-weighted norm (w: trapezoid weight x dt).
void prox(std::vector<double>& v, const control_problem& pb, const std::vector<double>& w, double t) {
    const std::size_t R = pb.inputs.size(), n = v.size() / R;
    if (pb.sparsity_weight > 0)
        for (std::size_t r = 0; r < R; ++r) {
            double q = 0;
            for (std::size_t k = 0; k < n; ++k) q += w[k] * v[k * R + r] * v[k * R + r];
            const double norm = std::sqrt(q),
                         f = norm > 0 ? std::max(0.0, 1.0 - t * pb.sparsity_weight / norm) : 0.0;
            for (std::size_t k = 0; k < n; ++k) v[k * R + r] *= f;
        }
    if (std::isfinite(pb.max_amplitude))
        for (double& x : v) x = std::clamp(x, -pb.max_amplitude, pb.max_amplitude);
    if (pb.zero_first) std::fill(v.begin(), v.begin() + std::ptrdiff_t(R), 0.0);
}

} // namespace

control_result optimise_control(const network_system& net, const control_problem& pb,
                                const control_options& o, std::vector<double> u0) {
    const std::size_t R = pb.inputs.size(), n = std::size_t(pb.steps + 1);
    if (u0.empty()) u0.assign(n * R, 0.0);
    std::vector<double> w(n);
    for (std::size_t k = 0; k < n; ++k) w[k] = trap(long(k), pb.steps) * pb.dt;
    control_result res;
    prox(u0, pb, w, 0.0);
    res.initial_cost = control_objective(net, pb, u0);
    std::vector<double> u = u0, y = u0, g, z(u.size());
    double J = res.initial_cost.total, theta = 1, t = 1.0;
    int quiet = 0; // iterations in a row with a relative decrease below tol
    for (int it = 0; it < o.max_iterations; ++it) {
        const control_cost cy = control_objective(net, pb, y, &g);
        const double Fy = cy.error + cy.energy;
        control_cost cz;
        double d2 = 0;
        for (int tries = 0; tries < 60; ++tries, t *= 0.5) {
            // A gradient step in the weighted metric (g / w: the gradient in time).
            for (std::size_t k = 0; k < z.size(); ++k) z[k] = y[k] - t * g[k] / w[k / R];
            prox(z, pb, w, t);
            cz = control_objective(net, pb, z);
            double lin = 0;
            d2 = 0;
            for (std::size_t k = 0; k < z.size(); ++k) {
                const double d = z[k] - y[k];
                lin += g[k] * d;
                d2 += w[k / R] * d * d;
            }
            if (cz.error + cz.energy <= Fy + lin + 0.5 * d2 / t + 1e-12 * std::abs(Fy)) break;
        }
        res.iterations = it + 1;
        if (cz.total > J) {   // no descent from the extrapolated point: restart from u
            if (theta == 1) { // no descent even from u itself: stationary to rounding
                res.converged = true;
                break;
            }
            theta = 1;
            y = u;
            continue;
        }
        const double rel = (J - cz.total) / std::max(std::abs(J), 1e-300);
        const double theta1 = 0.5 * (1 + std::sqrt(1 + 4 * theta * theta));
        for (std::size_t k = 0; k < y.size(); ++k) y[k] = z[k] + (theta - 1) / theta1 * (z[k] - u[k]);
        theta = theta1;
        u = z;
        J = cz.total;
        res.cost_history.push_back(J);
        quiet = rel < o.tol ? quiet + 1 : 0;
        if (quiet >= 5 || d2 == 0) {
            res.converged = true;
            break;
        }
        t *= 2; // let the step grow again: backtracking only shrinks it
    }
    res.cost = control_objective(net, pb, u, nullptr, &res.trajectory);
    res.u = std::move(u);
    return res;
}

} // namespace nms::stability
