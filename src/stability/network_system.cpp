#include "nmsweep/stability/network_system.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/stability/jacobian.hpp"

#include <map>

namespace nms::stability {

// The instance's data, and the model x coupling specific evaluations; the
// assembly of the network's matrices is generic (below).
struct network_system::ops {
    int n = 0, ns = 0, ncv = 0, nch = 0, np_model = 0, n_all = 0;
    std::vector<double> p; // [node][n_all]: model, coupling, noise parameters
    std::vector<int> row_ptr, src, delay;
    std::vector<double> weight, rowsum, initial, history;
    std::vector<std::string> names;
    double dt = 0;

    virtual ~ops() = default;
    // The source channels of every node (pre of its coupling variables).
    virtual void channels(const double* x, double* ch) const = 0;
    // f_i from the channel sums s_i.
    virtual void node_rhs(int i, const double* x, const double* s, double* f) const = 0;
    // d f_i / d x_i through dfun and post (L, ns x ns) and d f_i / d s_i (K, ns x nch).
    virtual void node_jacobian(int i, const double* x, const double* s, double* L, double* K) const = 0;
    // d pre_j / d x_j (Q, nch x ns).
    virtual void source_jacobian(int j, const double* x, double* Q) const = 0;
    // d f / d parameter k at x.
    virtual void param_derivative(int k, const double* x, const double* s, double* df) const = 0;
    // d f_i / d c_k (ns values).
    virtual void coupling_input(int i, int k, const double* x, const double* s, double* out) const = 0;
    // The pieces of node_rhs (network_system's trajectory interface).
    virtual void coupling(int i, const double* x, const double* s, double* c) const = 0;
    virtual void dfun(int i, const double* xi, const double* c, double* f) const = 0;
    virtual void bound(double* xi) const = 0;
    virtual void dfun_vjp(int i, const double* xi, const double* c, const double* w, double* gx,
                          double* gc) const = 0;
    virtual void post_vjp(int i, const double* x, const double* s, const double* w, double* gs,
                          double* gx) const = 0;

    const double* pn(int i) const { return p.data() + std::size_t(i) * n_all; }
    void sums(const double* ch, std::vector<double>& s) const {
        s.assign(std::size_t(n) * nch, 0.0);
        for (int i = 0; i < n; ++i)
            for (int e = row_ptr[i]; e < row_ptr[i + 1]; ++e)
                for (int k = 0; k < nch; ++k) s[i * nch + k] += weight[e] * ch[src[e] * nch + k];
    }
    std::vector<double> sums_at(const double* x) const {
        std::vector<double> ch(std::size_t(n) * nch), s;
        channels(x, ch.data());
        sums(ch.data(), s);
        return s;
    }
};

namespace {

template <class M, class C> struct ops_of final : network_system::ops {
    static constexpr int NS = M::n_state, NCV = M::n_cvar, NCH = C::n_channels;

    static void cvars(const double* xi, double* out) {
        for (int k = 0; k < NCV; ++k) out[k] = xi[M::cvar[k]];
    }
    void channels(const double* x, double* ch) const override {
        double cv[NCV];
        for (int j = 0; j < n; ++j) {
            cvars(x + j * NS, cv);
            C::pre(pn(j) + M::n_params, cv, ch + j * NCH);
        }
    }
    void coupling_of(int i, const double* x, const double* s, double* c) const {
        double xi[NCV];
        cvars(x + i * NS, xi);
        C::post(pn(i) + M::n_params, s + i * NCH, xi, rowsum[i], n, c);
    }
    void node_rhs(int i, const double* x, const double* s, double* f) const override {
        double c[NCV];
        coupling_of(i, x, s, c);
        M::dfun(pn(i), x + i * NS, c, f);
    }
    void node_jacobian(int i, const double* x, const double* s, double* L, double* K) const override {
        double c[NCV], xi[NCV], jx[NS * NS], jc[NS * NCV], js[NCV * NCH], jxi[NCV * NCV];
        coupling_of(i, x, s, c);
        cvars(x + i * NS, xi);
        dfun_jacobian<M>(pn(i), x + i * NS, c, jx, jc);
        post_jacobian<C, NCV>(pn(i) + M::n_params, s + i * NCH, xi, rowsum[i], n, js, jxi);
        for (int r = 0; r < NS; ++r) {
            for (int q = 0; q < NS; ++q) L[r * NS + q] = jx[r * NS + q];
            // post reads the target's own coupling variables (difference, Kuramoto)
            for (int a = 0; a < NCV; ++a)
                for (int b = 0; b < NCV; ++b) L[r * NS + M::cvar[b]] += jc[r * NCV + a] * jxi[a * NCV + b];
            for (int k = 0; k < NCH; ++k) {
                double v = 0;
                for (int a = 0; a < NCV; ++a) v += jc[r * NCV + a] * js[a * NCH + k];
                K[r * NCH + k] = v;
            }
        }
    }
    void source_jacobian(int j, const double* x, double* Q) const override {
        double cv[NCV], jp[NCH * NCV];
        cvars(x + j * NS, cv);
        pre_jacobian<C, NCV>(pn(j) + M::n_params, cv, jp);
        for (int k = 0; k < NCH * NS; ++k) Q[k] = 0;
        for (int k = 0; k < NCH; ++k)
            for (int b = 0; b < NCV; ++b) Q[k * NS + M::cvar[b]] += jp[k * NCV + b];
    }
    void coupling(int i, const double* x, const double* s, double* c) const override {
        coupling_of(i, x, s, c);
    }
    void dfun(int i, const double* xi, const double* c, double* f) const override {
        M::dfun(pn(i), xi, c, f);
    }
    void bound(double* xi) const override { M::bound(xi); }
    void dfun_vjp(int i, const double* xi, const double* c, const double* w, double* gx,
                  double* gc) const override {
        double jx[NS * NS], jc[NS * NCV];
        dfun_jacobian<M>(pn(i), xi, c, jx, jc);
        for (int r = 0; r < NS; ++r) {
            for (int q = 0; q < NS; ++q) gx[q] += w[r] * jx[r * NS + q];
            for (int a = 0; a < NCV; ++a) gc[a] += w[r] * jc[r * NCV + a];
        }
    }
    void post_vjp(int i, const double* x, const double* s, const double* w, double* gs,
                  double* gx) const override {
        double xi[NCV], js[NCV * NCH], jxi[NCV * NCV];
        cvars(x + i * NS, xi);
        post_jacobian<C, NCV>(pn(i) + M::n_params, s + i * NCH, xi, rowsum[i], n, js, jxi);
        for (int a = 0; a < NCV; ++a) {
            for (int k = 0; k < NCH; ++k) gs[k] += w[a] * js[a * NCH + k];
            for (int b = 0; b < NCV; ++b) gx[M::cvar[b]] += w[a] * jxi[a * NCV + b];
        }
    }
    void coupling_input(int i, int k, const double* x, const double* s, double* out) const override {
        double c[NCV], dc[NCV] = {};
        coupling_of(i, x, s, c);
        dc[k] = 1;
        dfun_directional<M>(pn(i), x + i * NS, c, nullptr, nullptr, dc, nullptr, out);
    }
    void param_derivative(int k, const double* x, const double* s, double* df) const override {
        if (k < M::n_params) {
            double e[M::n_params] = {};
            e[k] = 1;
            for (int i = 0; i < n; ++i) {
                double c[NCV];
                coupling_of(i, x, s, c);
                dfun_directional<M>(pn(i), x + i * NS, c, e, nullptr, nullptr, nullptr, df + i * NS);
            }
            return;
        }
        const int kc = k - M::n_params;
        if (kc >= C::n_params) { // noise amplitudes: no deterministic effect
            for (int q = 0; q < n * NS; ++q) df[q] = 0;
            return;
        }
        double e[C::n_params] = {};
        e[kc] = 1;
        // The channels' derivative (pre), summed like the channels, then post's.
        std::vector<double> dch(std::size_t(n) * NCH), ds;
        for (int j = 0; j < n; ++j) {
            double cv[NCV];
            cvars(x + j * NS, cv);
            pre_directional<C, NCV>(pn(j) + M::n_params, cv, e, nullptr, nullptr, dch.data() + j * NCH);
        }
        sums(dch.data(), ds);
        for (int i = 0; i < n; ++i) {
            double xi[NCV], c[NCV], dc[NCV];
            cvars(x + i * NS, xi);
            post_directional<C, NCV>(pn(i) + M::n_params, s + i * NCH, xi, rowsum[i], n, e,
                                     ds.data() + i * NCH, nullptr, c, dc);
            dfun_directional<M>(pn(i), x + i * NS, c, nullptr, nullptr, dc, nullptr, df + i * NS);
        }
    }
};

std::unique_ptr<network_system::ops> make_ops(const prepared& P) {
    std::unique_ptr<network_system::ops> out;
    visit_model(P.model.name, [&](auto mt) {
        using M = typename decltype(mt)::type;
        visit_coupling<M::n_cvar>(P.coupling.name, [&](auto ct) {
            using C = typename decltype(ct)::type;
            out = std::make_unique<ops_of<M, C>>();
            out->ns = M::n_state;
            out->ncv = M::n_cvar;
            out->nch = C::n_channels;
        });
    });
    if (!out) throw input_error("stability: no model " + P.model.name + " with coupling " + P.coupling.name);
    return out;
}

} // namespace

network_system::network_system(const prepared& P, std::size_t inst, double dt) : ops_(make_ops(P)) {
    ops& o = *ops_;
    n_nodes_ = o.n = int(P.n_nodes);
    n_state_ = o.ns;
    o.np_model = P.np_model;
    o.n_all = P.n_all;
    o.dt = dt;
    o.names = P.param_names;
    o.p.resize(std::size_t(o.n) * o.n_all);
    for (int i = 0; i < o.n; ++i)
        for (int k = 0; k < o.n_all; ++k)
            o.p[std::size_t(i) * o.n_all + k] = P.params[k].at(i, inst, P.n_instances);
    o.row_ptr = P.row_ptr;
    o.src = P.src;
    o.weight = P.weight;
    o.rowsum = P.rowsum;
    o.delay = P.delay;
    if (P.per_instance_delay)
        for (std::size_t e = 0; e < o.delay.size(); ++e)
            o.delay[e] = delay_steps(P.length[e], P.speed[inst], dt);
    o.initial.resize(std::size_t(size()));
    o.history.resize(std::size_t(size()));
    for (int i = 0; i < o.n; ++i)
        for (int v = 0; v < o.ns; ++v) {
            o.initial[i * o.ns + v] = P.initial[v].at(i, inst, P.n_instances);
            o.history[i * o.ns + v] = P.history[v].at(i, inst, P.n_instances);
        }
}

network_system::~network_system() = default;
network_system::network_system(network_system&&) noexcept = default;

void network_system::rhs(const double* x, double* f) const {
    const auto s = ops_->sums_at(x);
    for (int i = 0; i < n_nodes_; ++i) ops_->node_rhs(i, x, s.data(), f + i * n_state_);
}

network_linearisation network_system::linearise(const double* x) const { return assemble(x, true); }

network_linearisation network_system::assemble(const double* x, bool split) const {
    const ops& o = *ops_;
    const int ns = o.ns, nch = o.nch, N = size();
    const auto s = o.sums_at(x);
    std::vector<double> Q(std::size_t(o.n) * nch * ns), L(ns * ns), K(ns * nch);
    for (int j = 0; j < o.n; ++j) o.source_jacobian(j, x, Q.data() + std::size_t(j) * nch * ns);
    network_linearisation lin;
    lin.a0 = Eigen::MatrixXd::Zero(N, N);
    std::map<int, int> term; // delay in steps -> index in lin.delayed
    for (int i = 0; i < o.n; ++i) {
        o.node_jacobian(i, x, s.data(), L.data(), K.data());
        for (int r = 0; r < ns; ++r)
            for (int q = 0; q < ns; ++q) lin.a0(i * ns + r, i * ns + q) += L[r * ns + q];
        for (int e = o.row_ptr[i]; e < o.row_ptr[i + 1]; ++e) {
            Eigen::MatrixXd* a = &lin.a0;
            if (split && o.delay[e] > 0) {
                auto [it, fresh] = term.emplace(o.delay[e], int(lin.delayed.size()));
                if (fresh) lin.delayed.push_back({o.delay[e] * o.dt, Eigen::MatrixXd::Zero(N, N)});
                a = &lin.delayed[std::size_t(it->second)].a;
            }
            const int j = o.src[e];
            const double* Qj = Q.data() + std::size_t(j) * nch * ns;
            for (int r = 0; r < ns; ++r)
                for (int q = 0; q < ns; ++q) {
                    double v = 0;
                    for (int k = 0; k < nch; ++k) v += K[r * nch + k] * Qj[k * ns + q];
                    (*a)(i * ns + r, j * ns + q) += o.weight[e] * v;
                }
        }
    }
    return lin;
}

Eigen::MatrixXd network_linearisation::total() const {
    Eigen::MatrixXd t = a0;
    for (const auto& d : delayed) t += d.a;
    return t;
}

Eigen::MatrixXd network_system::jacobian(const double* x) const { return assemble(x, false).a0; }

int network_system::n_delays() const {
    std::map<int, int> d;
    for (int v : ops_->delay)
        if (v > 0) d[v] = 1;
    return int(d.size());
}

int network_system::param_index(const std::string& name) const {
    for (std::size_t k = 0; k < ops_->names.size(); ++k)
        if (ops_->names[k] == name) return int(k);
    return -1;
}

double network_system::param(int k) const { return ops_->p[std::size_t(k)]; }

void network_system::set_param(int k, double value) {
    for (int i = 0; i < n_nodes_; ++i) ops_->p[std::size_t(i) * ops_->n_all + k] = value;
}

Eigen::VectorXd network_system::param_derivative(const double* x, int k) const {
    Eigen::VectorXd df(size());
    const auto s = ops_->sums_at(x);
    ops_->param_derivative(k, x, s.data(), df.data());
    return df;
}

std::vector<double> network_system::coupling_input(const double* x, int node, int k) const {
    std::vector<double> out(static_cast<std::size_t>(n_state_));
    const auto s = ops_->sums_at(x);
    ops_->coupling_input(node, k, x, s.data(), out.data());
    return out;
}

std::vector<double> network_system::initial_state() const { return ops_->initial; }
std::vector<double> network_system::history_state() const { return ops_->history; }

network_system::edge_list network_system::edges() const {
    return {ops_->row_ptr, ops_->src, ops_->delay, ops_->weight};
}
int network_system::n_channels() const { return ops_->nch; }
int network_system::n_cvar() const { return ops_->ncv; }
void network_system::channels(const double* x, double* ch) const { ops_->channels(x, ch); }
void network_system::coupling(int i, const double* x, const double* s, double* c) const {
    ops_->coupling(i, x, s, c);
}
void network_system::node_dfun(int i, const double* xi, const double* c, double* f) const {
    ops_->dfun(i, xi, c, f);
}
void network_system::node_bound(double* xi) const { ops_->bound(xi); }
void network_system::node_dfun_vjp(int i, const double* xi, const double* c, const double* w, double* gx,
                                   double* gc) const {
    ops_->dfun_vjp(i, xi, c, w, gx, gc);
}
void network_system::coupling_vjp(int i, const double* x, const double* s, const double* w, double* gs,
                                  double* gx) const {
    ops_->post_vjp(i, x, s, w, gs, gx);
}
void network_system::channels_vjp(int j, const double* x, const double* w, double* gx) const {
    const int ns = ops_->ns, nch = ops_->nch;
    thread_local std::vector<double> Q; // called per node and step of an adjoint pass
    Q.resize(std::size_t(nch * ns));
    ops_->source_jacobian(j, x, Q.data());
    for (int k = 0; k < nch; ++k)
        for (int q = 0; q < ns; ++q) gx[q] += w[k] * Q[std::size_t(k * ns + q)];
}

} // namespace nms::stability
