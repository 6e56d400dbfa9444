// The plan of a run: the grid, the initial-condition sets, the batches of
// instances, the checks that need the network, and the cost estimate.

#include "nmsweep/sweep/plan.hpp"

#include "../spec/spec_io.hpp" // num, find_param

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/suggest.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/stability/delay_spectrum.hpp"

#include <Random123/philox.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nms {

using spec_io::find_param;
using spec_io::num;

namespace {

// Uniform deviate in [0, 1) for (seed, set, var, node) by Philox; tag
// separates the offsets within strata from the strata's order.
double ic_uniform(std::uint64_t seed, std::uint32_t set, std::uint32_t var, std::uint32_t node,
                  std::uint32_t tag = 0x1c5e7u) {
    r123::Philox4x32 rng;
    r123::Philox4x32::ctr_type c = {{set, var, node, tag}};
    r123::Philox4x32::key_type k = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
    const auto r = rng(c, k);
    const std::uint64_t x = (std::uint64_t(r.v[0]) << 32) | r.v[1];
    return double(x >> 11) * 0x1.0p-53;
}

// Random initial states as a Latin hypercube over the sets: for each
// variable and node the n starts take one value in each of n equal strata of
// [0, 1) (strata in a random order, a uniform offset within each), so that a
// few starts cover the whole range; eight independent draws leave a
// quarter of it empty one time in ten. u[k] for set k.
std::vector<double> ic_strata(std::uint64_t seed, std::uint32_t var, std::uint32_t node, std::size_t n) {
    std::vector<std::uint32_t> order(n);
    for (std::size_t k = 0; k < n; ++k) order[k] = std::uint32_t(k);
    for (std::size_t k = n; k-- > 1;) { // Fisher-Yates
        const double u = ic_uniform(seed, std::uint32_t(k), var, node, 0x5a1bu);
        std::swap(order[k], order[std::min(k, std::size_t(u * double(k + 1)))]);
    }
    std::vector<double> out(n);
    for (std::size_t k = 0; k < n; ++k)
        out[k] = (order[k] + ic_uniform(seed, std::uint32_t(k), var, node)) / double(n);
    return out;
}

// The box random starts are drawn in: the spec's ranges, else the model's
// start box (param_info.hpp), else TVB's range.
std::pair<double, double> start_box(const sweep_spec& s, const model_info& m, std::size_t v) {
    const state_info& st = m.states[v];
    if (auto rg = s.initial.random_ranges.find(st.name); rg != s.initial.random_ranges.end())
        return rg->second;
    if (!std::isnan(st.start_lo)) return {st.start_lo, st.start_hi};
    return {st.lo, st.hi};
}

// Random starts on the model's rest curve: a model with rest_state, a spec
// with random = { n } alone (ranges, a table or fixed variables: the box).
bool rest_starts(const sweep_spec& s, const model_info& m) {
    return m.rest_state && s.initial.n_random && s.initial.random_ranges.empty() && s.initial.table.empty() &&
           s.initial.values.empty();
}

// Start k at node i: activity u_k,i (a Latin hypercube over the starts, per
// node), the rest of the state at equilibrium with it at the instance's own
// parameters (models/*.hpp rest_state). Every fixed point of an isolated
// node lies on that curve and cycles wind around its unstable ones, so a
// few starts reach each basin; a box does not (Jansen-Rit's alpha cycle
// takes 10-30% of its attractors' box near the first Hopf point).
void place_rest_starts(const sweep_spec& s, const model_info& m, const std::vector<double>& ic, batch& b) {
    const std::size_t n = b.net.n, count = b.n_instances, ns = m.states.size();
    std::vector<std::vector<double>> u(n);
    for (std::size_t i = 0; i < n; ++i)
        u[i] = ic_strata(s.initial.random_seed, 0, std::uint32_t(i), n_initial_sets(s));
    std::vector<const field*> pf(m.params.size(), nullptr);
    for (std::size_t k = 0; k < m.params.size(); ++k)
        if (auto it = b.params.find("model." + std::string(m.params[k].name)); it != b.params.end())
            pf[k] = &it->second;
    std::vector<std::vector<double>> x(ns, std::vector<double>(n * count));
    std::vector<double> p(m.params.size()), xs(ns);
    for (std::size_t j = 0; j < count; ++j)
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t k = 0; k < p.size(); ++k)
                p[k] = pf[k] ? pf[k]->at(i, j, count) : m.params[k].value;
            m.rest_state(p.data(), u[i][std::size_t(ic[j])], xs.data());
            for (std::size_t v = 0; v < ns; ++v) x[v][i * count + j] = xs[v];
        }
    for (std::size_t v = 0; v < ns; ++v)
        b.initial[m.states[v].name] = field::per_node_instance(std::move(x[v]));
}

long node_of(const sweep_spec& s, const param_ref& r, const connectome& net) {
    const std::string w = s.where.count("sweep." + r.name) ? s.where.at("sweep." + r.name)
                                                           : where_of_key(s, "sampler." + r.name);
    if (r.node >= 0) {
        if (std::size_t(r.node) >= net.n)
            throw input_error(w + ": '" + r.name + "': node index " + std::to_string(r.node) +
                              " outside 0.." + std::to_string(net.n - 1) + " (the network has " +
                              std::to_string(net.n) + " nodes)");
        return r.node;
    }
    for (std::size_t i = 0; i < net.labels.size(); ++i)
        if (net.labels[i] == r.label) return long(i);
    throw input_error(w + ": '" + r.name + "': the network has no region labelled '" + r.label + "'" +
                      did_you_mean(r.label, net.labels));
}

// The batch's one lesion (every instance's value `of`) on its network.
void apply_lesion(const sweep_spec& s, const std::vector<double>& of, connectome& net) {
    if (s.lesions.empty() || !s.lesions[0].resolved)
        throw std::logic_error("make_batch: the lesion axis is not resolved (resolve_lesions)");
    for (double x : of)
        if (x != of[0])
            throw std::logic_error("make_batch: a batch mixes lesions " + num(of[0]) + " and " + num(x) +
                                   " (it shares one network: end it with batch_end)");
    s.lesions[0].apply(std::size_t(of[0]), net);
}

} // namespace

std::size_t network_index(const sweep_spec& s, std::size_t point) {
    if (s.lesions.empty()) return 0;
    const auto idx = grid_index(s, point);
    for (std::size_t a = 0; a < s.axes.size(); ++a) {
        if (s.axis_refs[a].k == param_ref::kind::lesion) return std::size_t(s.axes[a].values[idx[a]]);
        if (s.axis_refs[a].k == param_ref::kind::sample) // (a refinement round's points)
            for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
                if (s.sampler.params[d].k == param_ref::kind::lesion)
                    return std::size_t(s.sampler.values[d][idx[a]]);
    }
    return 0;
}

std::size_t batch_end(const sweep_spec& s, std::size_t first, std::size_t limit) {
    if (s.lesions.empty()) return first + limit;
    const std::size_t k = network_index(s, first);
    std::size_t j = first + 1;
    while (j < first + limit && network_index(s, j) == k) ++j;
    return j;
}

connectome load_network(const sweep_spec& s) {
    try {
        connectome net = load_connectome(s.connectome);
        normalise(net, s.normalise);
        return net;
    } catch (const input_error& e) {
        throw input_error(where_of_key(s, "network.connectome") + ": " + e.what());
    }
}

namespace {

// Every speed the run uses (the fixed one, each value of a speed axis, the
// low end of a sampled range): its longest delay must fit the ring limit,
// and the rings of the CPU threads must fit in memory. Named by its key.
void check_delays(const sweep_spec& s, const connectome& net) {
    double maxlen = 0;
    for (std::size_t k = 0; k < net.weights.size(); ++k)
        if (net.weights[k] != 0 && k / net.n != k % net.n) maxlen = std::max(maxlen, net.tract_lengths[k]);
    if (maxlen == 0) return;
    const auto& m = find_model(s.model);
    auto check = [&](double v, const std::string& where) {
        if (!(v > 0) || std::isinf(v)) return;
        const double d = std::nearbyint(maxlen / v / s.dt);
        if (!(d <= double(max_delay_steps)))
            throw input_error(where + ": at " + num(v) + " mm/ms the longest tract (" + num(maxlen) +
                              " mm) is a delay of " + num(d) + " steps of " + num(s.dt) +
                              " ms, more than the " + std::to_string(max_delay_steps) +
                              " allowed; increase the speed or dt");
        double ring = 1;
        while (ring < d + 2) ring *= 2;
        // CPU: one ring of 16 lanes per thread, in the run's precision (rk4
        // with interpolate: also each step's mid-step channels).
        const double width = s.delayed == delayed_coupling::interpolate && s.method == scheme::rk4 ? 2 : 1;
        const double bytes = ring * width * double(m.cvar.size()) * double(net.n) * 16.0 *
                             (s.precision == "double" ? 8.0 : 4.0) * double(omp_get_max_threads());
        try {
            require_memory(bytes, "the delay rings (" + num(d) + " steps at " + num(v) + " mm/ms)");
        } catch (const input_error& e) {
            throw input_error(where + ": " + e.what() + "; increase the speed or dt");
        }
    };
    check(s.speed, where_of_key(s, "network.speed"));
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        if (s.axis_refs[a].k == param_ref::kind::speed)
            for (double v : s.axes[a].values) check(v, where_of_key(s, "sweep." + s.axes[a].name));
    for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
        if (s.sampler.params[d].k == param_ref::kind::speed)
            check(s.sampler.ranges[d][0], where_of_key(s, "sampler." + s.sampler.params[d].name));
}

} // namespace

void validate_with_network(const sweep_spec& s, const connectome& net) {
    const std::size_t n = net.n;
    auto check_len = [&](const std::string& key, const field& f) {
        if (f.k == field::kind::per_node && f.v.size() != n)
            throw input_error(where_of_key(s, key) + ": has " + std::to_string(f.v.size()) +
                              " values, but the network (" + net.source + ") has " + std::to_string(n) +
                              " nodes");
    };
    for (const auto& [k, f] : s.params) check_len(k, f);
    for (const auto& [k, f] : s.initial.values) check_len("initial." + k, f);
    if (!s.initial.table.empty() && s.initial.table.size() != n)
        throw input_error(where_of_key(s, "initial.file") + ": " + s.initial.file + " has " +
                          std::to_string(s.initial.table.size()) + " rows, but the network has " +
                          std::to_string(n) + " nodes (one row per node)");
    if (!s.fc.empirical_fc.empty() && s.fc.empirical_fc.size() != n * n) {
        const std::string k =
            std::to_string(std::size_t(std::llround(std::sqrt(double(s.fc.empirical_fc.size())))));
        throw input_error(where_of_key(s, "output.fc.empirical") + ": " + s.fc.empirical + " is a " + k +
                          " x " + k + " matrix, but the network (" + net.source + ") has " +
                          std::to_string(n) + " nodes");
    }
    if (!s.bold.opt.empirical_fc.empty() && s.bold.opt.empirical_fc.size() != n * n) {
        const std::string k =
            std::to_string(std::size_t(std::llround(std::sqrt(double(s.bold.opt.empirical_fc.size())))));
        throw input_error(where_of_key(s, "output.bold.empirical_fc") + ": " + s.bold.opt.empirical_source +
                          " is a " + k + " x " + k + " matrix, but the network (" + net.source + ") has " +
                          std::to_string(n) + " nodes");
    }
    for (const auto& m : s.sensors) make_sensor_model(s, m, net);
    check_delays(s, net);
    const std::size_t nv = find_model(s.model).states.size();
    if (std::find(s.features.begin(), s.features.end(), "stability") != s.features.end() &&
        long(n * nv) > s.stability.max_size)
        throw input_error(
            where_of_key(s, "output.features") + ": stability: the network has " + std::to_string(n * nv) +
            " state variables (" + std::to_string(n) + " nodes x " + std::to_string(nv) +
            "), more than [output.stability] max_size = " + std::to_string(s.stability.max_size) +
            " for the dense eigenvalue solver (its time grows as size^3 per point); raise "
            "max_size knowingly or use a smaller network");
    if (std::find(s.features.begin(), s.features.end(), "controllability") != s.features.end()) {
        if (long(n * nv) > s.stability.max_size)
            throw input_error(where_of_key(s, "output.features") + ": controllability: the network has " +
                              std::to_string(n * nv) +
                              " state variables, more than [output.stability] max_size = " +
                              std::to_string(s.stability.max_size));
        try {
            const auto& m = find_model(s.model);
            const auto c = find_coupling(s.coupling, int(m.cvar.size()));
            (void)controllability_regions(s.controllability, net, m, c);
            if (s.controllability.inputs == "stimulus") {
                if (s.stimuli.empty())
                    throw input_error("[output.controllability] inputs = \"stimulus\": the spec has no "
                                      "[[stimulus]]");
                for (const auto& st : s.stimuli) {
                    try {
                        (void)controllability_target(st.stim.target, m, c);
                    } catch (const input_error& e) {
                        throw input_error("[output.controllability] inputs = \"stimulus\": stimulus '" +
                                          st.stim.name + "': " + e.what());
                    }
                }
            }
        } catch (const input_error& e) {
            throw input_error(where_of_key(s, "output.controllability") + ": " + e.what());
        }
        if (const auto& name = s.controllability.sensors; !name.empty()) {
            std::vector<std::string> names;
            for (const auto& m : s.sensors) names.push_back(m.name);
            if (std::find(names.begin(), names.end(), name) == names.end())
                throw input_error(
                    where_of_key(s, "output.controllability.sensors") +
                    ": [output.controllability] sensors = \"" + name +
                    "\": no [[output.sensors]] table has that name" +
                    (names.empty() ? std::string(" (there is none)") : did_you_mean(name, names)));
        }
    }
    if (std::find(s.features.begin(), s.features.end(), "stability") != s.features.end() &&
        s.stability.delays == "pseudospectral") {
        stability::delay_spectrum_options d;
        d.degree = int(s.stability.degree);
        d.n_wanted = int(s.stability.n_roots);
        d.max_size = std::size_t(s.stability.delay_max_size);
        try {
            (void)stability::delay_spectrum_degree(int(n * nv), d);
        } catch (const std::invalid_argument& e) {
            throw input_error(where_of_key(s, "output.stability.delays") +
                              ": stability: delays = \"pseudospectral\" cannot be used for this network: " +
                              e.what() + "; raise delay_max_size, lower degree, or use delays = \"auto\"");
        }
    }
    for (const auto& r : s.axis_refs)
        if (r.node_entry()) node_of(s, r, net);
    for (const auto& r : s.sampler.params)
        if (r.node_entry()) node_of(s, r, net);
    try {
        check_batch(make_batch(s, net, 0, 1));
    } catch (const input_error& e) {
        // Point at the key the engine complains about, when we know it.
        std::string msg = e.what(), best;
        for (const auto& [k, w] : s.where)
            if (msg.rfind(k, 0) == 0 && k.size() > best.size()) best = k;
        if (best.empty()) { // e.g. "network: the longest delay ..." -> the section's first noted key
            const std::string sec = msg.substr(0, msg.find_first_of(".: "));
            for (const auto& [k, w] : s.where)
                if (k.rfind(sec + ".", 0) == 0) {
                    best = k;
                    break;
                }
        }
        throw input_error((best.empty() ? s.path : s.where.at(best)) + ": " + msg);
    }
}

std::size_t n_points(const sweep_spec& s) {
    std::size_t n = 1;
    for (const auto& a : s.axes) n *= a.values.size();
    return n;
}

std::vector<std::size_t> grid_shape(const sweep_spec& s) {
    std::vector<std::size_t> out;
    for (const auto& a : s.axes) out.push_back(a.values.size());
    return out;
}

long n_steps(const sweep_spec& s) { return long(std::llround(s.duration / s.dt)); }
long transient_steps(const sweep_spec& s) { return long(std::llround(s.transient / s.dt)); }

std::size_t n_initial_sets(const sweep_spec& s) { return s.initial.n_random ? s.initial.n_random : 1; }

std::vector<std::map<std::string, field>> initial_sets(const sweep_spec& s, const connectome& net) {
    const model_info& m = find_model(s.model);
    const std::size_t n = net.n;
    if (!s.initial.table.empty() && s.initial.table.size() != n)
        throw input_error(where_of_key(s, "initial.file") + ": " + std::to_string(s.initial.table.size()) +
                          " rows for a network of " + std::to_string(n) + " nodes");
    std::vector<std::map<std::string, field>> sets(n_initial_sets(s));
    // u[v][i][k]: set k's position within variable v's box at node i.
    std::vector<std::vector<std::vector<double>>> u(s.initial.n_random ? m.states.size() : 0);
    for (std::size_t v = 0; v < u.size(); ++v)
        for (std::size_t i = 0; i < n; ++i)
            u[v].push_back(ic_strata(s.initial.random_seed, std::uint32_t(v), std::uint32_t(i), sets.size()));
    for (std::size_t k = 0; k < sets.size(); ++k) {
        for (std::size_t v = 0; v < m.states.size(); ++v) {
            const std::string name = m.states[v].name;
            field f = field::scalar(m.states[v].initial);
            if (auto it = s.initial.values.find(name); it != s.initial.values.end()) {
                f = it->second;
            } else if (!s.initial.table.empty()) {
                std::vector<double> col(n);
                for (std::size_t i = 0; i < n; ++i) col[i] = s.initial.table[i][v];
                f = field::per_node(std::move(col));
            } else if (s.initial.n_random) {
                const auto [lo, hi] = start_box(s, m, v);
                std::vector<double> col(n);
                for (std::size_t i = 0; i < n; ++i) col[i] = lo + (hi - lo) * u[v][i][k];
                f = field::per_node(std::move(col));
            }
            sets[k][name] = std::move(f);
        }
    }
    return sets;
}

std::vector<std::size_t> grid_index(const sweep_spec& s, std::size_t point) {
    std::vector<std::size_t> idx(s.axes.size());
    for (std::size_t a = s.axes.size(); a-- > 0;) {
        const std::size_t len = s.axes[a].values.size();
        idx[a] = point % len;
        point /= len;
    }
    return idx;
}

batch make_batch(const sweep_spec& s, const connectome& net, std::size_t first, std::size_t count) {
    const std::size_t N = n_points(s);
    if (count == 0 || first >= N || count > N - first)
        throw input_error("make_batch: instances " + std::to_string(first) + " .. " +
                          std::to_string(first + count) + " - 1 are not inside the grid of " +
                          std::to_string(N) + " points");
    const model_info& m = find_model(s.model);
    const coupling_info ci = find_coupling(s.coupling, int(m.cvar.size()));
    const std::size_t n = net.n;

    batch b;
    b.model = s.model;
    b.coupling = s.coupling;
    b.net = net;
    b.speed = s.speed;
    b.n_instances = count;
    b.method = s.method;
    b.delayed = s.delayed;
    b.dt = s.dt;
    b.n_steps = n_steps(s);
    b.seed = s.seed;
    b.params = s.params;
    for (const auto& [var, sig] : s.noise_sigma) b.params["noise." + var] = field::scalar(sig);
    for (const auto& st : s.stimuli) b.stimuli.push_back(st.stim);

    // Swept values per instance.
    std::map<std::string, std::vector<double>> whole, noise_var, hyp;
    std::map<std::string, std::map<long, std::vector<double>>> entry;
    std::vector<double> speed, noise_all, seed, ic, lesion;
    auto slot = [&](std::vector<double>& v) -> std::vector<double>& {
        if (v.empty()) v.assign(count, 0.0);
        return v;
    };
    std::map<std::string, long> node_cache;
    auto apply = [&](const param_ref& r, double x, std::size_t j) {
        switch (r.k) {
        case param_ref::kind::model:
        case param_ref::kind::coupling:
            if (r.node_entry()) {
                auto it = node_cache.find(r.name);
                if (it == node_cache.end()) it = node_cache.emplace(r.name, node_of(s, r, net)).first;
                slot(entry[r.key][it->second])[j] = x;
            } else {
                slot(whole[r.key])[j] = x;
            }
            break;
        case param_ref::kind::speed:
            slot(speed)[j] = x;
            break;
        case param_ref::kind::noise_all:
            slot(noise_all)[j] = x;
            break;
        case param_ref::kind::noise_var:
            slot(noise_var[r.key])[j] = x;
            break;
        case param_ref::kind::seed:
            slot(seed)[j] = x;
            break;
        case param_ref::kind::initial:
            slot(ic)[j] = x;
            break;
        case param_ref::kind::sample:
            break;
        case param_ref::kind::bold:
            break; // the observation, not the engine (bold_instance_constants)
        case param_ref::kind::stimulus:
            slot(whole[r.key])[j] = x;
            break;
        case param_ref::kind::hypothesis:
            slot(hyp[r.name])[j] = x;
            break;
        case param_ref::kind::lesion:
            slot(lesion)[j] = x;
            break;
        }
    };
    for (std::size_t j = 0; j < count; ++j) {
        const auto idx = grid_index(s, first + j);
        for (std::size_t a = 0; a < s.axes.size(); ++a) {
            const param_ref& r = s.axis_refs[a];
            const double x = s.axes[a].values[idx[a]];
            if (r.k == param_ref::kind::sample) {
                for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
                    apply(s.sampler.params[d], s.sampler.values[d][idx[a]], j);
            } else {
                apply(r, x, j);
            }
        }
    }

    if (!lesion.empty()) apply_lesion(s, lesion, b.net);
    for (auto& [key, v] : whole) b.params[key] = field::per_instance(std::move(v));
    // ez axes: hypothesis h's whole vector; node entries below override it.
    for (const auto& [name, h_of] : hyp) {
        const hypothesis_axis* h = find_hypotheses(s, name);
        if (!h || !h->resolved)
            throw std::logic_error("make_batch: the ez axis '" + name +
                                   "' is not resolved (resolve_hypotheses)");
        std::vector<double> v(n * count);
        for (std::size_t j = 0; j < count; ++j) {
            const auto x = h->vector_of(std::size_t(h_of[j]));
            for (std::size_t i = 0; i < n; ++i) v[i * count + j] = x[i];
        }
        b.params[h->key] = field::per_node_instance(std::move(v));
    }
    for (auto& [key, nodes] : entry) {
        field base;
        if (auto it = b.params.find(key); it != b.params.end()) {
            base = it->second;
        } else {
            const std::string bare = key.substr(key.find('.') + 1);
            const param_info* p =
                key.rfind("model.", 0) == 0 ? find_param(m.params, bare) : find_param(ci.params, bare);
            base = field::scalar(p ? p->value : 0.0);
        }
        if (base.k == field::kind::per_node && base.v.size() != n)
            throw input_error(where_of_key(s, key) + ": has " + std::to_string(base.v.size()) +
                              " values, the network has " + std::to_string(n) + " nodes");
        std::vector<double> v(n * count);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < count; ++j) v[i * count + j] = base.at(i, j, count);
        for (const auto& [node, vals] : nodes)
            for (std::size_t j = 0; j < count; ++j) v[std::size_t(node) * count + j] = vals[j];
        b.params[key] = field::per_node_instance(std::move(v));
    }
    if (!speed.empty()) b.speed_per_instance = std::move(speed);
    if (!seed.empty()) {
        b.seed_per_instance.resize(count);
        for (std::size_t j = 0; j < count; ++j) b.seed_per_instance[j] = std::uint64_t(seed[j]);
    }
    if (!noise_all.empty()) {
        double ref = 0;
        for (const auto& [var, sig] : s.noise_sigma) ref = std::max(ref, sig);
        for (const auto& [var, sig] : s.noise_sigma) {
            const double rel = ref > 0 ? sig / ref : 1.0;
            std::vector<double> v(count);
            for (std::size_t j = 0; j < count; ++j) v[j] = noise_all[j] * rel;
            b.params["noise." + var] = field::per_instance(std::move(v));
        }
    }
    for (auto& [key, v] : noise_var) b.params[key] = field::per_instance(std::move(v));

    const bool ic_swept = !ic.empty();
    if (ic_swept || n_initial_sets(s) > 1 || !s.initial.values.empty() || !s.initial.table.empty()) {
        const auto sets = initial_sets(s, net);
        if (!ic_swept) {
            b.initial = sets[0];
        } else {
            for (const auto& st : m.states) {
                const std::string name = st.name;
                bool all_scalar = true;
                for (const auto& set : sets) all_scalar = all_scalar && !set.at(name).varies_over_nodes();
                if (all_scalar) {
                    std::vector<double> v(count);
                    for (std::size_t j = 0; j < count; ++j) v[j] = sets[std::size_t(ic[j])].at(name).v[0];
                    b.initial[name] = field::per_instance(std::move(v));
                } else {
                    std::vector<double> v(n * count);
                    for (std::size_t j = 0; j < count; ++j) {
                        const field& f = sets[std::size_t(ic[j])].at(name);
                        for (std::size_t i = 0; i < n; ++i) v[i * count + j] = f.at(i, 0, 1);
                    }
                    b.initial[name] = field::per_node_instance(std::move(v));
                }
            }
        }
        if (ic_swept && rest_starts(s, m)) place_rest_starts(s, m, ic, b);
    }
    return b;
}

estimate estimate_cost(const sweep_spec& s, const connectome& net, std::size_t real_size) {
    const model_info& m = find_model(s.model);
    const coupling_info ci = find_coupling(s.coupling, int(m.cvar.size()));
    const double n = double(net.n), R = double(real_size);
    const double N = double(n_points(s)), steps = double(n_steps(s));

    // Slowest speed of the run -> longest delay -> ring length.
    double vmin = s.speed;
    bool speed_swept = false;
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        if (s.axis_refs[a].k == param_ref::kind::speed) {
            speed_swept = true;
            for (double v : s.axes[a].values) vmin = std::min(vmin, v);
        }
    for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
        if (s.sampler.params[d].k == param_ref::kind::speed) {
            speed_swept = true;
            vmin = std::min(vmin, s.sampler.ranges[d][0]);
        }
    double maxlen = 0, nnz = 0;
    for (std::size_t k = 0; k < net.weights.size(); ++k)
        if (net.weights[k] != 0) {
            maxlen = std::max(maxlen, net.tract_lengths[k]);
            nnz += 1;
        }
    const int max_delay = delay_steps(maxlen, vmin, s.dt);
    double ring = 1;
    while (ring < max_delay + 2) ring *= 2;

    const double stages = s.method == scheme::euler ? 2 : s.method == scheme::heun ? 4 : 6;
    const double ncv = double(m.cvar.size()), ns = double(m.states.size());
    // rk4 with interpolate also keeps each step's mid-step channels.
    const double width = s.delayed == delayed_coupling::interpolate && s.method == scheme::rk4 ? 2 : 1;
    double per_inst = R * (ring * width * ncv * n + stages * ns * n);
    // Per-instance parameters and initial state.
    double swept = 0;
    auto count_ref = [&](const param_ref& r) {
        if (r.node_entry() || r.k == param_ref::kind::hypothesis)
            swept += n;
        else if (r.k == param_ref::kind::initial)
            swept += ns * n;
        else
            swept += 1;
    };
    for (const auto& r : s.axis_refs)
        if (r.k != param_ref::kind::sample) count_ref(r);
    for (const auto& r : s.sampler.params) count_ref(r);
    per_inst += R * (swept + double(ci.params.size() + m.params.size()));
    if (speed_swept) per_inst += 4 * nnz; // per-instance integer delays
    // (The reducers' memory is theirs to tell: reducer::bytes_per_instance.)

    estimate e;
    e.bytes_per_instance = per_inst;
    e.total_bytes = per_inst * N;
    if (s.timeseries.enabled)
        e.total_bytes +=
            R * n * std::floor(steps / double(s.timeseries.every)) * double(s.timeseries.instances.size());
    e.node_steps = N * n * steps;
    return e;
}

sensor_model make_sensor_model(const sweep_spec& s, const sensor_spec& m, const connectome& net) {
    const std::string id = "output.sensors." + m.name;
    auto at = [&](const std::string& key) {
        auto it = s.where.find(id + "." + key);
        if (it != s.where.end()) return it->second;
        it = s.where.find(id);
        return it != s.where.end() ? it->second : s.path + ": [output.sensors] " + key;
    };
    sensor_model out;
    try {
        if (!m.sensors.empty()) out.sensors = observe::read_sensors(m.sensors);
    } catch (const input_error& e) {
        throw input_error(at("sensors") + ": " + e.what());
    }
    const std::size_t S = out.sensors.size();
    if (m.gain_file) {
        try {
            out.gain = observe::read_gain_matrix(m.gain, net.n);
        } catch (const input_error& e) {
            throw input_error(at("gain") + ": " + e.what());
        }
        if (S > 0) {
            if (out.gain.n_sensors != S)
                throw input_error(at("gain") + ": " + m.gain + " has " + std::to_string(out.gain.n_sensors) +
                                  " rows (sensors), but " + m.sensors + " has " + std::to_string(S) +
                                  " sensors");
            if (!out.gain.sensor_labels.empty() && out.gain.sensor_labels != out.sensors.labels)
                throw input_error(at("gain") + ": the sensor labels of " + m.gain + " differ from those of " +
                                  m.sensors + " (same sensors, same order expected)");
            out.gain.sensor_labels = out.sensors.labels;
        }
    } else {
        if (net.centres.empty())
            throw input_error(at("gain") + ": gain = \"" + m.gain +
                              "\" needs region centres, but the connectome (" + net.source +
                              ") has none (a TVB zip or folder with centres.txt, or synthetic:N)");
        observe::gain_options go;
        go.kind = m.gain;
        go.sigma = m.conductivity;
        if (m.gain != "inverse_square") {
            if (m.orientations == "connectome" && net.orientations.empty())
                throw input_error(at("orientations") + ": the connectome (" + net.source +
                                  ") has no region orientations (average_orientations.txt); use \"radial\"");
            if (m.orientations != "radial") go.orientations = net.orientations;
        } else if (m.region_weights == "areas") {
            if (net.areas.empty())
                throw input_error(at("region_weights") + ": the connectome (" + net.source +
                                  ") has no region areas (areas.txt); use \"none\"");
            go.region_weights = net.areas;
        }
        try {
            out.gain = observe::compute_gain(out.sensors, net.centres, go);
        } catch (const input_error& e) {
            throw input_error(at("gain") + ": " + e.what());
        }
    }
    if (!m.reference.empty()) {
        try {
            observe::rereference(out.gain, m.reference);
        } catch (const input_error& e) {
            throw input_error(at("reference") + ": " + e.what());
        }
    }
    return out;
}

std::vector<observe::bold_constants> bold_instance_constants(const sweep_spec& s, std::size_t first,
                                                             std::size_t count) {
    bool any = false;
    for (const auto& r : s.axis_refs) any = any || r.k == param_ref::kind::bold;
    for (const auto& r : s.sampler.params) any = any || r.k == param_ref::kind::bold;
    if (!any || !s.bold.enabled) return {};
    std::vector<observe::bold_constants> out;
    out.reserve(count);
    for (std::size_t j = 0; j < count; ++j) {
        const auto idx = grid_index(s, first + j);
        auto ov = s.bold.opt.overrides;
        for (std::size_t a = 0; a < s.axes.size(); ++a) {
            const param_ref& r = s.axis_refs[a];
            if (r.k == param_ref::kind::bold) ov[r.key.substr(5)] = s.axes[a].values[idx[a]];
            if (r.k == param_ref::kind::sample)
                for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
                    if (s.sampler.params[d].k == param_ref::kind::bold)
                        ov[s.sampler.params[d].key.substr(5)] = s.sampler.values[d][idx[a]];
        }
        out.push_back(observe::resolve_bold_constants(s.bold.opt.preset, ov));
    }
    return out;
}

} // namespace nms
