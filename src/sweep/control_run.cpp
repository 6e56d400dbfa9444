// `nmsweep control SPEC` (nmsweep/sweep/control_run.hpp): the spec's network
// at one grid point (network_system, noise left out), the [control] problem
// built from it, optimise_control, and the optimum written as an HDF5 file,
// one sampled waveform file per input and the [[stimulus]] tables that
// replay them in `nmsweep run`.

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/stability/fixed_point.hpp"
#include "nmsweep/stability/optimal_control.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/stability_feature.hpp"
#include "run_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace nms {
namespace {

namespace fs = std::filesystem;
using stability::control_problem;
using stability::network_system;

int variable_index(const model_info& m, const std::string& name) {
    for (std::size_t v = 0; v < m.states.size(); ++v)
        if (m.states[v].name == name) return int(v);
    return -1;
}

// The final state of grid point k's own run, in network_system's layout.
std::vector<double> final_state_of(const sweep_spec& s, const connectome& net, long k,
                                   const std::string& at) {
    if (k < 0 || std::size_t(k) >= n_points(s))
        throw input_error(at + ": grid point " + std::to_string(k) + " does not exist (the spec has " +
                          std::to_string(n_points(s)) + ")");
    batch b = make_batch(s, net, std::size_t(k), 1);
    b.stimuli.clear();
    const run_result r = run_cpu<double>(b);
    if (r.diverged_step[0] >= 0)
        throw input_error(at + ": the run of grid point " + std::to_string(k) + " diverged at step " +
                          std::to_string(r.diverged_step[0]));
    const std::size_t nn = b.net.n, ns = r.final_state.size() / nn;
    std::vector<double> x(nn * ns);
    for (std::size_t i = 0; i < nn; ++i)
        for (std::size_t v = 0; v < ns; ++v) x[i * ns + v] = r.final_state[v * nn + i];
    return x;
}

// The target and which components the error counts.
void set_target(const sweep_spec& s, const connectome& net, long point, const model_info& m,
                const network_system& sys, control_problem& pb) {
    const auto& o = s.control;
    const int nn = sys.n_nodes(), ns = sys.n_state();
    pb.target.assign(std::size_t(sys.size()), 0.0);
    pb.target_weight.assign(std::size_t(sys.size()), 0.0);
    if (o.target == "desynchronise") {
        pb.phase_var = m.phase_variable;
        return;
    }
    std::vector<std::string> counted = o.error_variables;
    if (o.target == "fixed_point") {
        const std::string at = where_of_key(s, "control.target");
        auto nr = stability::find_fixed_point(sys, final_state_of(s, net, point, at), 1e-10, 100);
        if (!nr.converged) nr = stability::find_fixed_point(sys, sys.initial_state(), 1e-10, 100);
        if (!nr.converged)
            throw input_error(at + ": no fixed point found from the final or the initial state (max |f| = " +
                              std::to_string(nr.residual) + ")");
        pb.target = nr.x;
    } else if (o.target_point >= 0) {
        pb.target = final_state_of(s, net, o.target_point, where_of_key(s, "control.target_point"));
    } else {
        const std::string at = where_of_key(s, "control.target_state");
        for (const auto& [name, xs] : o.target_state) {
            if (xs.size() != 1 && xs.size() != std::size_t(nn))
                throw input_error(at + ": " + name + " has " + std::to_string(xs.size()) +
                                  " values; give one, or one per node (" + std::to_string(nn) + ")");
            const int v = variable_index(m, name);
            for (int i = 0; i < nn; ++i)
                pb.target[std::size_t(i * ns + v)] = xs[xs.size() == 1 ? 0 : std::size_t(i)];
        }
        if (counted.empty())
            for (const auto& kv : o.target_state) counted.push_back(kv.first);
        for (const auto& name : counted)
            if (!o.target_state.count(name))
                throw input_error(at + ": error_variables counts " + name + ", which has no target value");
    }
    if (counted.empty())
        for (const auto& st : m.states) counted.push_back(st.name);
    for (const auto& name : counted) {
        const int v = variable_index(m, name);
        for (int i = 0; i < nn; ++i) pb.target_weight[std::size_t(i * ns + v)] = 1.0;
    }
}

// The horizon starts where the point's own run (no input, no noise) ends:
// x0 its last state, the past its states over the longest delay.
void start_from_run(const sweep_spec& s, const network_system& sys, control_problem& pb) {
    const long D = std::lround(s.duration / s.dt);
    control_problem run = pb;
    run.steps = D;
    run.window = 0;
    run.phase_var = -1;
    run.target.assign(std::size_t(sys.size()), 0.0);
    run.target_weight = run.target;
    std::vector<double> x;
    stability::control_objective(sys, run, std::vector<double>(std::size_t(D + 1) * pb.inputs.size(), 0.0),
                                 nullptr, &x);
    const auto& d = sys.edges().delay;
    const long P = std::min(D, d.empty() ? 0L : long(*std::max_element(d.begin(), d.end())));
    const std::size_t N = std::size_t(sys.size());
    pb.x0.assign(x.begin() + std::ptrdiff_t(std::size_t(D) * N),
                 x.begin() + std::ptrdiff_t(std::size_t(D + 1) * N));
    pb.zero_first = true;
    pb.past.assign(x.begin() + std::ptrdiff_t(std::size_t(D - P) * N),
                   x.begin() + std::ptrdiff_t(std::size_t(D) * N));
}

control_problem make_problem(const sweep_spec& s, const connectome& net, long point, const model_info& m,
                             const network_system& sys) {
    const auto& o = s.control;
    control_problem pb;
    const int var = variable_index(m, o.variable);
    for (int node : resolve_regions(o.regions, net, where_of_key(s, "control.regions"))) {
        for (const auto& in : pb.inputs)
            if (in.node == node)
                throw input_error(where_of_key(s, "control.regions") + ": node " + std::to_string(node) +
                                  " is named twice");
        pb.inputs.push_back({node, var});
    }
    pb.scheme =
        s.method == scheme::euler ? stability::control_scheme::euler : stability::control_scheme::heun;
    pb.dt = s.dt;
    const double duration = std::isnan(o.duration) ? s.duration : o.duration;
    pb.steps = std::lround(duration / s.dt);
    if (pb.steps < 1) throw input_error(where_of_key(s, "control.duration") + ": shorter than one step");
    pb.window = std::min(pb.steps, std::lround(o.window / s.dt));
    pb.x0 = sys.initial_state();
    pb.history = sys.history_state();
    if (o.start == "final") start_from_run(s, sys, pb);
    pb.error_weight = o.error_weight;
    pb.energy_weight = o.energy_weight;
    pb.sparsity_weight = o.sparsity_weight;
    pb.max_amplitude = o.max_amplitude;
    set_target(s, net, point, m, sys, pb);
    return pb;
}

// The spec's integration the control can mirror step by step, or why not.
void check_integration(const sweep_spec& s) {
    if (s.method == scheme::rk4)
        throw input_error(where_of_key(s, "integrator.method") +
                          ": nmsweep control integrates with euler or heun (its adjoint is exact for those); "
                          "use method = \"heun\" (value \"rk4\")");
    if (s.delayed == delayed_coupling::interpolate)
        throw input_error(where_of_key(s, "integrator.delayed_coupling") +
                          ": nmsweep control holds the delayed coupling over a step (the default, \"hold\")");
    if (!s.stimuli.empty())
        throw input_error(where_of_key(s, "control") +
                          ": nmsweep control optimises the input of the network without stimuli; remove the "
                          "[[stimulus]] tables (the replay adds the optimal input as stimuli)");
}

struct output_files {
    std::string h5, snippet;
    std::vector<std::string> waves;
};

output_files files_of(const sweep_request& req, const sweep_spec& s, const connectome& net,
                      const control_problem& pb) {
    output_files f;
    f.h5 = req.output.empty() ? result_stem(s.output_path) + ".control.h5" : req.output;
    const std::string stem = result_stem(f.h5);
    f.snippet = stem + ".stimulus.toml";
    for (const auto& in : pb.inputs) {
        std::string label = net.labels.empty() ? std::to_string(in.node) : net.labels[std::size_t(in.node)];
        for (char& ch : label)
            if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '_';
        f.waves.push_back(stem + ".input_" + std::to_string(in.node) + "_" + label + ".txt");
    }
    if (!req.overwrite)
        for (const auto& p : f.waves)
            if (fs::exists(p)) throw input_error(p + ": exists; --overwrite replaces it");
    if (!req.overwrite && fs::exists(f.snippet))
        throw input_error(f.snippet + ": exists; --overwrite replaces it");
    return f;
}

void write_waveforms(const output_files& f, const control_problem& pb, const std::vector<double>& u,
                     const model_info& m, const std::string& h5, double onset) {
    const std::size_t R = pb.inputs.size(), n = std::size_t(pb.steps + 1);
    std::ostringstream toml;
    toml << "# The optimal input of `nmsweep control` (" << h5
         << "): append these tables to the spec (same dt,\n# no noise, no [control]) with [integrator] "
            "duration = "
         << std::setprecision(17) << onset + double(pb.steps) * pb.dt << " ms to replay it.\n";
    for (std::size_t r = 0; r < R; ++r) {
        std::ostringstream w;
        w << std::setprecision(17);
        for (std::size_t k = 0; k < n; ++k) w << u[k * R + r] << "\n";
        write_text_durably(f.waves[r], w.str());
        toml << "\n[[stimulus]]\nname = \"control_" << r << "\"\nwaveform = \"sampled\"\nfile = \""
             << fs::absolute(f.waves[r]).string() << "\"\nsample_dt = " << std::setprecision(17) << pb.dt
             << "\nonset = " << onset << "\ntarget = \"" << m.states[std::size_t(pb.inputs[r].var)].name
             << "\"\nregions = [" << pb.inputs[r].node << "]\namplitude = 1.0\n";
    }
    write_text_durably(f.snippet, toml.str());
}

// [time, variable, node] from [time][node * ns + v].
std::vector<double> by_variable(const std::vector<double>& x, std::size_t nt, std::size_t nn,
                                std::size_t ns) {
    std::vector<double> out(x.size());
    for (std::size_t t = 0; t < nt; ++t)
        for (std::size_t i = 0; i < nn; ++i)
            for (std::size_t v = 0; v < ns; ++v) out[(t * ns + v) * nn + i] = x[t * nn * ns + i * ns + v];
    return out;
}

void write_result(h5::result_writer& w, const control_problem& pb, const stability::control_result& r,
                  const std::vector<double>& free_traj, const network_system& sys) {
    const std::size_t R = pb.inputs.size(), nt = std::size_t(pb.steps + 1), nn = std::size_t(sys.n_nodes()),
                      ns = std::size_t(sys.n_state());
    std::vector<double> t(nt);
    for (std::size_t k = 0; k < nt; ++k) t[k] = double(k) * pb.dt;
    w.write_array("control/time", {nt}, t.data(), {"time"});
    w.set_attr("control/time", "units", std::string("ms"));
    w.write_array("control/u", {nt, R}, r.u.data(), {"time", "input"});
    std::vector<long> nodes, vars;
    for (const auto& in : pb.inputs) nodes.push_back(in.node), vars.push_back(in.var);
    w.write_array("control/input_node", {R}, nodes.data(), {"input"});
    w.write_array("control/input_variable", {R}, vars.data(), {"input"});
    w.write_array("control/state", {nt, ns, nn}, by_variable(r.trajectory, nt, nn, ns).data(),
                  {"time", "variable", "node"});
    w.write_array("control/free_state", {nt, ns, nn}, by_variable(free_traj, nt, nn, ns).data(),
                  {"time", "variable", "node"});
    if (pb.phase_var < 0) {
        w.write_array("control/target", {1, ns, nn}, by_variable(pb.target, 1, nn, ns).data(),
                      {"one", "variable", "node"});
        w.write_array("control/target_weight", {1, ns, nn}, by_variable(pb.target_weight, 1, nn, ns).data(),
                      {"one", "variable", "node"});
    }
    const std::size_t ni = std::max<std::size_t>(r.cost_history.size(), 1);
    std::vector<double> hist = r.cost_history.empty() ? std::vector<double>{r.cost.total} : r.cost_history;
    w.write_array("control/cost_history", {ni}, hist.data(), {"iteration"});
    const std::string g = "control";
    w.set_attr(g, "cost", r.cost.total);
    w.set_attr(g, "error", r.cost.error);
    w.set_attr(g, "energy", r.cost.energy);
    w.set_attr(g, "sparsity", r.cost.sparsity);
    w.set_attr(g, "uncontrolled_cost", r.initial_cost.total);
    w.set_attr(g, "uncontrolled_error", r.initial_cost.error);
    w.set_attr(g, "iterations", long(r.iterations));
    w.set_attr(g, "converged", long(r.converged));
}

void report(const control_problem& pb, const stability::control_result& r, const connectome& net,
            const output_files& f) {
    std::printf(
        "control: error %.6g -> %.6g, cost %.6g -> %.6g (energy %.6g, sparsity %.6g), %d iterations%s\n",
        r.initial_cost.error, r.cost.error, r.initial_cost.total, r.cost.total, r.cost.energy,
        r.cost.sparsity, r.iterations, r.converged ? "" : " (not converged: raise iterations)");
    const std::size_t R = pb.inputs.size(), n = std::size_t(pb.steps + 1);
    for (std::size_t q = 0; q < R; ++q) {
        double e = 0, peak = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const double v = r.u[k * R + q];
            e += (k == 0 || k + 1 == n ? 0.5 : 1.0) * pb.dt * v * v;
            peak = std::max(peak, std::abs(v));
        }
        const int i = pb.inputs[q].node;
        std::printf("  input %zu: node %d%s%s: L2 %.6g, peak %.6g -> %s\n", q, i,
                    net.labels.empty() ? "" : " ",
                    net.labels.empty() ? "" : net.labels[std::size_t(i)].c_str(), std::sqrt(e), peak,
                    f.waves[q].c_str());
    }
    std::printf("replay: append %s to the spec\n", f.snippet.c_str());
}

} // namespace

void run_control(const sweep_request& req, long point) {
    input_log log;
    const sweep_spec s = load_request_spec(req);
    if (!s.control.given)
        throw input_error(s.path +
                          ": nmsweep control needs a [control] section (regions = [...], target = ...)");
    check_integration(s);
    const connectome net = load_network(s);
    if (point < 0 || std::size_t(point) >= n_points(s))
        throw input_error("--point " + std::to_string(point) + ": the spec has " +
                          std::to_string(n_points(s)) + " grid points");
    const model_info& m = find_model(s.model);
    batch b = make_batch(s, net, std::size_t(point), 1);
    const prepared P = prepare(b);
    const network_system sys(P, 0, b.dt);
    control_problem pb;
    stability::control_result r;
    std::vector<double> free_traj;
    output_files f;
    try {
        pb = make_problem(s, net, point, m, sys);
        f = files_of(req, s, net, pb);
        check_output_path(f.h5, s, log.records());
        stability::control_options o;
        o.max_iterations = int(s.control.iterations);
        o.tol = s.control.tol;
        r = stability::optimise_control(sys, pb, o);
        stability::control_objective(sys, pb, std::vector<double>(r.u.size(), 0.0), nullptr, &free_traj);
    } catch (const std::invalid_argument& e) {
        throw input_error(where_of_key(s, "control") + ": " + e.what());
    }
    const run_identity id = identity_of(s, "double", log.records());
    h5::result_writer w = h5::result_writer::create(f.h5, {}, net.n, net.labels, req.overwrite);
    write_provenance(w, s, net, req, id, "cpu", 1);
    write_result(w, pb, r, free_traj, sys);
    w.set_attr("", "grid_point", long(point));
    const long one = 1, ok = -1;
    w.write_status(0, 1, &ok);
    w.write_points("status/done", 0, 1, &one);
    const double onset = s.control.start == "final" ? double(std::lround(s.duration / s.dt)) * s.dt : 0.0;
    write_waveforms(f, pb, r.u, m, f.h5, onset);
    w.finish();
    if (!req.quiet) report(pb, r, net, f);
}

} // namespace nms
