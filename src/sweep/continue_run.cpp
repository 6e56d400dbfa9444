// `nmsweep continue SPEC` (nmsweep/sweep/continuation_run.hpp): the spec's
// network at one grid point as a system of equations (network_system), its
// branch of equilibria continued in [continuation] param, and the folds and
// Hopf points found continued in param2; one HDF5 file.

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/stability/continuation.hpp"
#include "nmsweep/stability/delay_spectrum.hpp"
#include "nmsweep/stability/network_system.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "run_output.hpp"

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace nms {
namespace {

using stability::branch;
using stability::network_system;
using stability::point_kind;

// The continuation's view of the network: p = (param[, param2]).
stability::system as_system(std::shared_ptr<network_system> net, std::vector<int> idx) {
    stability::system sys;
    sys.n = net->size();
    auto set = [net, idx](const Eigen::VectorXd& p) {
        for (std::size_t k = 0; k < idx.size(); ++k) net->set_param(idx[k], p[Eigen::Index(k)]);
    };
    sys.rhs = [net, set](const Eigen::VectorXd& x, const Eigen::VectorXd& p, Eigen::VectorXd& f) {
        set(p);
        f.resize(x.size());
        net->rhs(x.data(), f.data());
    };
    sys.jacobian = [net, set, idx](const Eigen::VectorXd& x, const Eigen::VectorXd& p, Eigen::MatrixXd& jx,
                                   Eigen::MatrixXd& jp) {
        set(p);
        jx = net->jacobian(x.data());
        jp.resize(x.size(), Eigen::Index(idx.size()));
        for (std::size_t k = 0; k < idx.size(); ++k)
            jp.col(Eigen::Index(k)) = net->param_derivative(x.data(), idx[k]);
    };
    return sys;
}

// The delay equation's rightmost roots at (x, p) (stability/delay_spectrum.hpp),
// refused up front when its discretisation would be too large.
std::function<stability::cvec(const Eigen::VectorXd&, const Eigen::VectorXd&)>
delay_spectrum(std::shared_ptr<network_system> net, std::vector<int> idx, const std::string& where) {
    stability::delay_spectrum_options d;
    d.n_wanted = 12;
    try {
        (void)stability::delay_spectrum_degree(net->size(), d);
    } catch (const std::invalid_argument& e) {
        throw input_error(where +
                          ": continuation: the network is too large for the delay equation's "
                          "spectrum (" +
                          std::string(e.what()) + "); set [continuation] delays = \"ignore\"");
    }
    return [net, idx, d](const Eigen::VectorXd& x, const Eigen::VectorXd& p) {
        for (std::size_t k = 0; k < idx.size(); ++k) net->set_param(idx[k], p[Eigen::Index(k)]);
        const auto lin = net->linearise(x.data());
        stability::cvec out;
        for (const auto& r : stability::delay_eigenvalues(lin.a0, lin.delayed, d)) out.push_back(r.value);
        return out;
    };
}

int param_of(const network_system& net, const prepared& P, const std::string& name,
             const std::string& where) {
    const int k = net.param_index(name);
    if (k < 0 || k >= P.np_model + P.np_coupling) {
        std::vector<std::string> known(P.param_names.begin(),
                                       P.param_names.begin() + P.np_model + P.np_coupling);
        throw input_error(where + ": continuation: no parameter '" + name + "' of model " + P.model.name +
                          " with coupling " + P.coupling.name + did_you_mean(name, known));
    }
    if (P.params[std::size_t(k)].varies_over_nodes())
        throw input_error(
            where + ": continuation: " + name +
            " differs between nodes in this spec; continuation varies one value for every node");
    return k;
}

// The start state: the simulated final state of the point, or its initial state.
std::vector<double> start_state(const sweep_spec& s, const batch& b, const network_system& net) {
    if (s.continuation.start == "initial") return net.initial_state();
    const run_result res = run_cpu<double>(b);
    if (res.diverged_step[0] >= 0)
        throw input_error(where_of_key(s, "continuation.start") +
                          ": continuation: the simulation of the start point " + "diverged at step " +
                          std::to_string(res.diverged_step[0]) + "; use start = \"initial\"");
    const int nn = net.n_nodes(), ns = net.n_state();
    std::vector<double> x(std::size_t(net.size()));
    for (int i = 0; i < nn; ++i)
        for (int v = 0; v < ns; ++v) x[std::size_t(i * ns + v)] = res.final_state[std::size_t(v * nn + i)];
    return x;
}

// The observable (network mean of the spec's combination) of state x.
double observable(const sweep_spec& s, const Eigen::VectorXd& x, int nn, int ns) {
    double sum = 0;
    for (int i = 0; i < nn; ++i)
        for (int v = 0; v < ns && v < int(s.observable_coef.size()); ++v)
            sum += s.observable_coef[v] * x[i * ns + v];
    return sum / nn;
}

void write_branch(h5::result_writer& w, const std::string& g, const branch& br, const sweep_spec& s,
                  const std::vector<std::string>& names, int nn, int ns) {
    const std::size_t np = br.points.size();
    std::vector<double> obs(np), state(np * std::size_t(nn * ns)), re(np), im(np), omega(np), l1(np);
    std::vector<long> unstable(np);
    std::vector<std::vector<double>> par(br.free.size(), std::vector<double>(np));
    for (std::size_t k = 0; k < np; ++k) {
        const auto& pt = br.points[k];
        obs[k] = observable(s, pt.x, nn, ns);
        for (int v = 0; v < ns; ++v)
            for (int i = 0; i < nn; ++i)
                state[(k * ns + std::size_t(v)) * nn + std::size_t(i)] = pt.x[i * ns + v];
        for (std::size_t f = 0; f < br.free.size(); ++f) par[f][k] = pt.p[br.free[f]];
        re[k] = pt.eigenvalues.empty() ? NAN : pt.eigenvalues.front().real();
        im[k] = pt.eigenvalues.empty() ? NAN : std::abs(pt.eigenvalues.front().imag());
        unstable[k] = pt.n_unstable;
        omega[k] = pt.omega / (2 * M_PI) * 1000;
        l1[k] = pt.l1;
    }
    for (std::size_t f = 0; f < br.free.size(); ++f) {
        const std::string ds = g + "/" + (f == 0 ? "param" : "param2");
        w.write_array(ds, {np}, par[f].data(), {"point"});
        w.set_attr(ds, "name", names[f]);
    }
    w.write_array(g + "/observable", {np}, obs.data(), {"point"});
    w.write_array(g + "/state", {np, std::size_t(ns), std::size_t(nn)}, state.data(),
                  {"point", "variable", "node"});
    w.write_array(g + "/n_unstable", {np}, unstable.data(), {"point"});
    w.write_array(g + "/leading_real", {np}, re.data(), {"point"});
    w.write_array(g + "/leading_imag", {np}, im.data(), {"point"});
    if (br.free.size() == 2) {
        w.write_array(g + "/frequency", {np}, omega.data(), {"point"});
        w.write_array(g + "/l1", {np}, l1.data(), {"point"});
    }
    w.set_attr(g, "closed", long(br.closed));
    const std::size_t ns_ = br.special.size();
    std::vector<long> kind(ns_), index(ns_);
    std::vector<double> sp(ns_), sp2(ns_), sobs(ns_), sf(ns_), sl1(ns_), sa(ns_);
    for (std::size_t k = 0; k < ns_; ++k) {
        const auto& q = br.special[k];
        kind[k] = long(q.kind);
        index[k] = q.index;
        sp[k] = q.p[br.free[0]];
        sp2[k] = br.free.size() > 1 ? q.p[br.free[1]] : NAN;
        sobs[k] = observable(s, q.x, nn, ns);
        sf[k] = q.kind == point_kind::hopf ? q.omega / (2 * M_PI) * 1000 : NAN;
        sl1[k] = q.l1;
        sa[k] = q.a;
    }
    if (ns_ == 0) return;
    const std::string sg = g + "/special";
    w.write_array(sg + "/kind", {ns_}, kind.data(), {"special"});
    w.set_attr(sg + "/kind", "flag_meanings",
               std::string("fold hopf branch_point cusp bogdanov_takens bautin (codes 0..5)"));
    w.write_array(sg + "/index", {ns_}, index.data(), {"special"});
    w.write_array(sg + "/param", {ns_}, sp.data(), {"special"});
    if (br.free.size() > 1) w.write_array(sg + "/param2", {ns_}, sp2.data(), {"special"});
    w.write_array(sg + "/observable", {ns_}, sobs.data(), {"special"});
    w.write_array(sg + "/frequency", {ns_}, sf.data(), {"special"});
    w.set_attr(sg + "/frequency", "units", std::string("Hz"));
    w.write_array(sg + "/l1", {ns_}, sl1.data(), {"special"});
    w.set_attr(
        sg + "/l1", "description",
        std::string("first Lyapunov coefficient (Kuznetsov; eigenvector normalised over all variables): "
                    "< 0 supercritical, > 0 subcritical"));
    w.write_array(sg + "/a", {ns_}, sa.data(), {"special"});
}

void report(const branch& br, const std::vector<std::string>& names, const std::string& what) {
    for (const auto& q : br.special) {
        std::printf("%s: %s at %s = %.9g", what.c_str(), stability::to_string(q.kind), names[0].c_str(),
                    q.p[br.free[0]]);
        if (br.free.size() > 1) std::printf(", %s = %.9g", names[1].c_str(), q.p[br.free[1]]);
        if (q.kind == point_kind::hopf)
            std::printf(" (%.6g Hz, l1 = %.3g, %s)", q.omega / (2 * M_PI) * 1000, q.l1, q.note.c_str());
        std::printf("\n");
    }
}

} // namespace

void run_continuation(const sweep_request& req, long point) {
    input_log log;
    const sweep_spec s = load_request_spec(req);
    const auto& c = s.continuation;
    if (!c.given)
        throw input_error(s.path +
                          ": nmsweep continue needs a [continuation] section (param = \"model.<p>\", "
                          "range = [low, high])");
    const connectome net = load_network(s);
    if (point < 0 || std::size_t(point) >= n_points(s))
        throw input_error("--point " + std::to_string(point) + ": the spec has " +
                          std::to_string(n_points(s)) + " grid points");
    const std::string out = req.output.empty() ? result_stem(s.output_path) + ".continuation.h5" : req.output;
    check_output_path(out, s, log.records());
    batch b = make_batch(s, net, std::size_t(point), 1);
    b.stimuli.clear(); // the equilibria of the autonomous network
    const prepared P = prepare(b);
    auto sysp = std::make_shared<network_system>(P, 0, b.dt);
    const bool delayed = sysp->n_delays() > 0 && c.delays != "ignore";
    if (delayed && c.delays == "refuse")
        throw input_error(
            where_of_key(s, "continuation.delays") +
            ": continuation: the network has delays (delays = \"refuse\"); \"pseudospectral\" takes "
            "stability from the delay equation, \"ignore\" continues the network with every delay zero");
    if (delayed && !c.param2.empty())
        throw input_error(where_of_key(s, "continuation.param2") +
                          ": continuation: curves in two parameters are not built for a network with "
                          "delays (its Hopf curves need the delay equation's extended system); remove "
                          "param2, or set [continuation] delays = \"ignore\" or network.speed = 0");
    std::vector<int> idx{param_of(*sysp, P, c.param, where_of_key(s, "continuation.param"))};
    std::vector<std::string> names{c.param};
    if (!c.param2.empty()) {
        idx.push_back(param_of(*sysp, P, c.param2, where_of_key(s, "continuation.param2")));
        names.push_back(c.param2);
    }
    Eigen::VectorXd p0(Eigen::Index(idx.size()));
    for (std::size_t k = 0; k < idx.size(); ++k) p0[Eigen::Index(k)] = sysp->param(idx[k]);
    if (p0[0] < c.range[0] || p0[0] > c.range[1])
        throw input_error(where_of_key(s, "continuation.range") + ": continuation: the start value " +
                          c.param + " = " + std::to_string(p0[0]) + " lies outside range");
    const std::vector<double> x0 = start_state(s, b, *sysp);
    auto sys = as_system(sysp, idx);
    if (delayed) sys.spectrum = delay_spectrum(sysp, idx, where_of_key(s, "continuation.delays"));
    stability::continuation_options o;
    o.h0 = c.step;
    o.h_max = c.max_step;
    o.max_points = int(c.max_points);
    o.lower = {c.range[0], c.param2.empty() ? -INFINITY : c.range2[0]};
    o.upper = {c.range[1], c.param2.empty() ? INFINITY : c.range2[1]};
    branch eq;
    std::vector<branch> curves;
    try {
        eq = stability::continue_equilibria(
            sys, Eigen::Map<const Eigen::VectorXd>(x0.data(), Eigen::Index(x0.size())), p0, 0, o);
        if (!c.param2.empty())
            for (const auto& q : eq.special) {
                if (q.kind == point_kind::fold)
                    curves.push_back(stability::continue_fold_curve(sys, q, {0, 1}, o));
                if (q.kind == point_kind::hopf)
                    curves.push_back(stability::continue_hopf_curve(sys, q, {0, 1}, o));
            }
    } catch (const std::invalid_argument& e) {
        throw input_error(s.path + ": continuation from grid point " + std::to_string(point) + " (" +
                          c.param + " = " + std::to_string(p0[0]) + ", start \"" + c.start +
                          "\"): " + e.what());
    }
    const run_identity id = identity_of(s, "double", log.records());
    h5::result_writer w = h5::result_writer::create(out, {}, net.n, net.labels, req.overwrite);
    write_provenance(w, s, net, req, id, "cpu", 1);
    const int nn = int(net.n), ns = sysp->n_state();
    write_branch(w, "continuation/equilibria", eq, s, names, nn, ns);
    w.set_attr("continuation/equilibria", "spectrum",
               std::string(delayed ? "rightmost roots of the delay equation (pseudospectral, refined)"
                                   : "eigenvalues of the Jacobian (every delay zero)"));
    for (std::size_t k = 0; k < curves.size(); ++k) {
        const std::string g = "continuation/curve_" + std::to_string(k);
        write_branch(w, g, curves[k], s, names, nn, ns);
        w.set_attr(g, "kind",
                   std::string(curves[k].free.size() == 2 && !curves[k].points.empty() &&
                                       std::isfinite(curves[k].points.front().omega)
                                   ? "hopf"
                                   : "fold"));
    }
    w.set_attr("", "grid_point", long(point));
    const long one = 1, ok = -1;
    w.write_status(0, 1, &ok);
    w.write_points("status/done", 0, 1, &one);
    w.finish();
    if (!req.quiet) {
        report(eq, names, "equilibria");
        for (const auto& cv : curves) report(cv, names, "curve");
        std::fprintf(stderr, "nmsweep: wrote %s: %zu equilibria, %zu special points, %zu curves\n",
                     out.c_str(), eq.points.size(), eq.special.size(), curves.size());
    }
}

} // namespace nms
