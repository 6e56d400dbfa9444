// `nmsweep fit SPEC` (nmsweep/sweep/fit_run.hpp): candidates of a pagmo2
// optimiser run as batches of instances (batch_runner), their features
// compared with the targets (fit/costs.hpp); the history in HDF5, the best
// parameters as [[sweep]] tables.

#include "nmsweep/core/error.hpp"
#include "nmsweep/fit/abc_smc.hpp"
#include "nmsweep/fit/costs.hpp"
#include "nmsweep/fit/optimiser.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/sweep/batch_runner.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "posterior_output.hpp"
#include "run_output.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace nms {
namespace {

// One candidate's values of an output (its [shape...] block).
std::vector<double> block(const batch_output& o, std::size_t row) {
    std::size_t m = 1;
    for (auto e : o.shape) m *= e;
    return {o.data.begin() + long(row * m), o.data.begin() + long((row + 1) * m)};
}

const batch_output& output_named(const std::vector<batch_output>& outs, const fit_target& t) {
    for (const auto& o : outs)
        if (o.name == t.feature) return o;
    std::vector<std::string> names;
    for (const auto& o : outs) names.push_back(o.name);
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw input_error(t.where + ": [[fit.target]] feature = \"" + t.feature +
                      "\": the spec's features do not give it (they give: " + list + ")");
}

// A target's cost for one candidate; input_error when shapes cannot match.
double target_cost(const fit_target& t, const batch_output& o, std::size_t row) {
    const std::vector<double> x = block(o, row);
    const std::string at = t.where + ": [[fit.target]] " + t.cost + " on " + t.feature + ": ";
    auto square = [&](const std::vector<double>& v, const char* what) {
        const auto n = std::size_t(std::llround(std::sqrt(double(v.size()))));
        if (n * n != v.size() || n < 2)
            throw input_error(at + what + " has " + std::to_string(v.size()) +
                              " values, not an N x N matrix");
        return n;
    };
    if (t.cost == "fc_correlation" || t.cost == "fc_rmse") {
        const std::size_t n = square(x, "the feature");
        if (t.rows != n)
            throw input_error(at + "the target is " + std::to_string(t.rows) + " x " +
                              std::to_string(t.cols) + ", the simulated FC " + std::to_string(n) + " x " +
                              std::to_string(n));
        for (double v : x)
            if (!std::isfinite(v)) return NAN;
        return t.cost == "fc_rmse" ? fit::fc_rmse(x, t.values, n) : 1 - fit::fc_correlation(x, t.values, n);
    }
    if (t.cost == "fcd_ks") {
        const std::size_t n = square(x, "the feature (features/fcd needs [output.fc] fcd_matrix = true)");
        std::vector<double> sim = fit::upper_triangle(x, n), ref = t.values;
        if (t.rows == t.cols && t.rows >= 2) ref = fit::upper_triangle(t.values, t.rows);
        for (double v : sim)
            if (!std::isfinite(v)) return NAN;
        return fit::ks_distance(sim, ref);
    }
    if (t.cost == "log_psd") {
        if (o.scales.empty() || o.scales.back().empty())
            throw input_error(
                at + "the feature has no frequency coordinates (use spectra/psd or spectra/network_psd)");
        const std::vector<double>& f = o.scales.back();
        const std::size_t nf = f.size(), rows = x.size() / nf;
        std::vector<double> mean(nf, 0.0); // over nodes when per node
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t k = 0; k < nf; ++k) mean[k] += x[r * nf + k] / double(rows);
        std::vector<double> tf, tp, fb, sb;
        for (std::size_t i = 0; i < t.rows; ++i) {
            tf.push_back(t.values[2 * i]);
            tp.push_back(t.values[2 * i + 1]);
        }
        for (std::size_t k = 0; k < nf; ++k)
            if (f[k] >= t.band[0] && f[k] <= t.band[1] && f[k] >= tf.front() && f[k] <= tf.back()) {
                fb.push_back(f[k]);
                sb.push_back(mean[k]);
            }
        if (fb.empty())
            throw input_error(
                at + "no simulated frequency bin lies in the band and within the target's frequencies");
        for (double v : sb)
            if (!(v > 0) || !std::isfinite(v)) return NAN;
        return fit::log_psd_distance(fb, sb, fit::interpolate(tf, tp, fb), t.band[0], t.band[1]);
    }
    // squared_error
    if (x.size() != t.values.size())
        throw input_error(at + "the feature has " + std::to_string(x.size()) +
                          " values per point, the target " + std::to_string(t.values.size()));
    double s = 0;
    for (std::size_t k = 0; k < x.size(); ++k) s += (x[k] - t.values[k]) * (x[k] - t.values[k]);
    return s / double(x.size());
}

struct fit_tables {
    std::vector<std::vector<double>> target_costs; // [eval][target]
    std::vector<double> spread;                    // [eval]: std of the cost over repeats
};

// The optimiser's dimensions and the batch call's columns: a plain parameter
// is one of each; a mapped one (a + b map[k] per region) is two dimensions
// (NAME.a, NAME.b) and one column per region (NAME[k]).
struct fit_layout {
    std::vector<std::string> dims, columns;
    std::vector<double> lower, upper;
    std::vector<const fit_parameter*> params;

    fit_layout(const fit_spec& f, std::size_t n_nodes) {
        for (const auto& p : f.parameters) {
            params.push_back(&p);
            if (p.map.empty()) {
                dims.push_back(p.name);
                columns.push_back(p.name);
                lower.push_back(p.lower);
                upper.push_back(p.upper);
                continue;
            }
            if (p.map.size() != n_nodes)
                throw input_error(p.map_file + ": the map of " + p.name + " has " +
                                  std::to_string(p.map.size()) + " values, the network " +
                                  std::to_string(n_nodes) + " regions");
            dims.insert(dims.end(), {p.name + ".a", p.name + ".b"});
            lower.insert(lower.end(), {p.lower, p.slope[0]});
            upper.insert(upper.end(), {p.upper, p.slope[1]});
            for (std::size_t k = 0; k < n_nodes; ++k)
                columns.push_back(p.name + "[" + std::to_string(k) + "]");
        }
    }
    std::vector<double> columns_of(const std::vector<double>& x) const {
        std::vector<double> out;
        std::size_t d = 0;
        for (const auto* p : params) {
            if (p->map.empty()) {
                out.push_back(x[d++]);
                continue;
            }
            for (double m : p->map) out.push_back(x[d] + x[d + 1] * m);
            d += 2;
        }
        return out;
    }
};

// ABC-SMC's sequence and its last population (the posterior samples).
void write_abc(h5::result_writer& w, const fit_layout& lay, const fit::abc_posterior& a, double level,
               bool quiet) {
    const std::size_t G = a.epsilon.size(), n = a.particles.size();
    w.write_array("fit/epsilon", {G}, a.epsilon.data(), {"abc_generation"}, {}, "",
                  "ABC tolerance of each generation (generation 0: the prior, every finite distance)");
    w.write_array("fit/acceptance", {G}, a.acceptance.data(), {"abc_generation"}, {}, "",
                  "accepted / proposed candidates per generation");
    w.set_attr("fit", "stopped", a.stopped);
    w.write_array("posterior/distance", {n}, a.distances.data(), {"sample"});
    w.set_attr("posterior", "ess", a.ess);
    w.set_attr("posterior", "epsilon", a.epsilon.back());
    if (!quiet)
        std::printf("ABC-SMC: %zu generations, tolerance %.6g, %zu particles (ess %.1f), stopped by %s\n",
                    G - 1, a.epsilon.back(), n, a.ess, a.stopped.c_str());
    write_weighted_samples(w, {lay.dims, a.particles, a.weights, lay.lower, lay.upper}, level, quiet);
}

// The best candidate's simulated features (mean over its repeats) beside each
// target's data: /fit/best_fit/target<k>/{simulated, target}.
void write_best_fit(h5::result_writer& w, const fit_spec& f, const std::vector<batch_output>& outs,
                    std::size_t repeats) {
    for (std::size_t k = 0; k < f.targets.size(); ++k) {
        const fit_target& t = f.targets[k];
        const batch_output& o = output_named(outs, t);
        std::vector<double> mean = block(o, 0);
        for (std::size_t r = 1; r < repeats; ++r) {
            const auto b = block(o, r);
            for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += b[i];
        }
        for (double& v : mean) v /= double(repeats);
        const std::string g = "fit/best_fit/target" + std::to_string(k) + "/";
        std::vector<std::vector<double>> scales(o.shape.size());
        for (std::size_t d = 0; d < o.scales.size() && d < scales.size(); ++d)
            if (o.scales[d].size() == o.shape[d]) scales[d] = o.scales[d];
        std::vector<std::string> dims = o.dims;
        for (auto& d : dims) d = "target" + std::to_string(k) + "_" + d;
        w.write_array(g + "simulated", o.shape, mean.data(), dims, scales, "",
                      t.feature + " of the best candidate (mean over its repeats)");
        w.write_array(g + "target", {t.rows, t.cols}, t.values.data(),
                      {"target" + std::to_string(k) + "_row", "target" + std::to_string(k) + "_col"}, {}, "",
                      "the target data as read");
        w.set_attr("fit/best_fit/target" + std::to_string(k), "cost", t.cost);
        w.set_attr("fit/best_fit/target" + std::to_string(k), "feature", t.feature);
        if (t.cost == "log_psd") {
            w.set_attr("fit/best_fit/target" + std::to_string(k), "band",
                       std::vector<double>{t.band[0], t.band[1]});
        }
    }
}

void write_result(const sweep_request& req, const sweep_spec& s, const connectome& net, const fit_layout& lay,
                  const std::string& out, const fit::optimisation& r, const fit_tables& tab,
                  const std::vector<long>& restart, const run_identity& id, double overhead,
                  const fit::abc_posterior* abc, const std::vector<batch_output>& best) {
    const auto& f = s.fit;
    const std::size_t ne = r.history.size(), np = lay.dims.size(), nt = f.targets.size();
    std::vector<double> x(ne * np), cost(ne), tc(ne * nt);
    std::vector<long> gen(ne);
    for (std::size_t e = 0; e < ne; ++e) {
        for (std::size_t k = 0; k < np; ++k) x[e * np + k] = r.history[e].x[k];
        cost[e] = r.history[e].cost;
        gen[e] = r.history[e].generation;
        for (std::size_t k = 0; k < nt; ++k) tc[e * nt + k] = tab.target_costs[e][k];
    }
    std::vector<std::string> costs;
    const std::vector<std::string>& names = lay.dims;
    for (const auto& t : f.targets) costs.push_back(t.cost + " " + t.feature);
    h5::result_writer w = h5::result_writer::create(out, {}, net.n, net.labels, req.overwrite);
    write_provenance(w, s, net, req, id, "cpu", 1);
    w.write_array("fit/param", {ne, np}, x.data(), {"evaluation", "parameter"});
    w.set_attr("fit/param", "names", names);
    w.write_array("fit/cost", {ne}, cost.data(), {"evaluation"});
    w.set_attr("fit/cost", "description", std::string("sum over targets of weight x cost (NaN: diverged)"));
    w.write_array("fit/target_cost", {ne, nt}, tc.data(), {"evaluation", "target"});
    w.set_attr("fit/target_cost", "targets", costs);
    w.write_array("fit/generation", {ne}, gen.data(), {"evaluation"});
    w.write_array("fit/restart", {ne}, restart.data(), {"evaluation"});
    w.set_attr("fit/restart", "description", std::string("restart k ran with seed + k"));
    if (f.repeats > 1) w.write_array("fit/cost_std", {ne}, tab.spread.data(), {"evaluation"});
    w.write_array("fit/best_param", {np}, r.best_x.data(), {"parameter"});
    w.set_attr("fit/best_param", "names", names);
    w.set_attr("fit", "best_cost", r.best_cost);
    w.set_attr("fit", "algorithm", f.algorithm);
    w.set_attr("fit", "population", long(f.population));
    w.set_attr("fit", "generations", long(f.generations));
    w.set_attr("fit", "seed", long(f.seed));
    w.set_attr("fit", "repeats", long(f.repeats));
    w.set_attr("fit", "batches", long(r.batches));
    w.set_attr("fit", "restarts", long(f.restarts));
    w.set_attr("fit", "optimiser_overhead", overhead);
    if (abc) write_abc(w, lay, *abc, f.level, req.quiet);
    if (!best.empty()) write_best_fit(w, f, best, std::size_t(f.repeats));
    const long one = 1, ok = -1;
    w.write_status(0, 1, &ok);
    w.write_points("status/done", 0, 1, &one);
    w.finish();
}

std::string best_snippet(const sweep_spec& s, const fit_layout& lay, const fit::optimisation& r) {
    std::ostringstream o;
    o << std::setprecision(17);
    o << "# nmsweep fit of " << s.path << ": the best candidate (cost " << r.best_cost
      << "). Append to the spec (without its own [[sweep]] tables) to run or simulate it.\n";
    const auto values = lay.columns_of(r.best_x);
    for (std::size_t k = 0; k < lay.columns.size(); ++k)
        o << "[[sweep]]\nparam = \"" << lay.columns[k] << "\"\nvalues = [" << values[k] << "]\n";
    return o.str();
}

// One candidate's outcome: the cost (mean over repeats), its spread and each
// target's part.
struct scored {
    double total = 0, spread = 0;
    std::vector<double> parts;
};

// The evaluations of a fit as they happen, one line each, flushed and fsynced
// after every batch: a killed fit loses at most the batch in flight, and
// `--resume` replays the (deterministic) optimiser against it, evaluating
// only what it lacks. Values in C hexadecimal floats (exact). Removed once
// the result file is written.
class fit_journal {
  public:
    // n_dims, n_targets: the values of a whole line (a torn last line is dropped).
    fit_journal(const std::string& path, const std::string& identity, bool resume, bool overwrite,
                std::size_t n_dims, std::size_t n_targets)
        : path_(path) {
        const bool exists = std::filesystem::exists(path);
        if (exists && !resume && !overwrite)
            throw input_error(path + ": the journal of an interrupted fit of this output; --resume continues "
                                     "it, --overwrite starts afresh");
        if (exists && resume) read(identity, n_dims, n_targets);
        // Written afresh (the entries read, none torn), then renamed over the old one.
        const std::string tmp = path + ".tmp";
        f_ = std::fopen(tmp.c_str(), "w");
        if (!f_) throw input_error(path + ": cannot write the fit journal");
        std::fprintf(f_, "%s\n", identity.c_str());
        for (const auto& x : order_) write(x, cache_.at(x));
        sync();
        replace_file(tmp, path);
    }
    ~fit_journal() {
        if (f_) std::fclose(f_);
    }
    fit_journal(const fit_journal&) = delete;
    fit_journal& operator=(const fit_journal&) = delete;

    const scored* find(const std::vector<double>& x) const {
        const auto it = cache_.find(x);
        return it == cache_.end() ? nullptr : &it->second;
    }
    void add(const std::vector<double>& x, const scored& r) {
        write(x, r);
        cache_[x] = r;
    }
    void sync() {
        if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0)
            throw input_error(path_ + ": cannot write the fit journal");
    }
    std::size_t replayed() const { return replayed_; }
    // After bad input: a journal without a single evaluation is not left behind.
    void drop_if_empty() {
        if (cache_.empty()) remove();
    }
    void remove() {
        if (f_) std::fclose(f_);
        f_ = nullptr;
        std::filesystem::remove(path_);
    }

  private:
    void write(const std::vector<double>& x, const scored& r) {
        for (double v : x) std::fprintf(f_, "%a ", v);
        std::fprintf(f_, "| %a %a |", r.total, r.spread);
        for (double v : r.parts) std::fprintf(f_, " %a", v);
        std::fprintf(f_, "\n");
    }
    void read(const std::string& identity, std::size_t n_dims, std::size_t n_targets) {
        std::ifstream in(path_);
        std::string line;
        if (!std::getline(in, line) || line != identity)
            throw input_error(path_ + ": this journal was written by another spec, precision or input files; "
                                      "--overwrite starts afresh");
        while (std::getline(in, line)) {
            std::istringstream is(line);
            std::vector<double> x;
            scored r;
            std::string tok;
            while (is >> tok && tok != "|") x.push_back(std::strtod(tok.c_str(), nullptr));
            if (!(is >> tok)) break; // a line cut by the kill: dropped
            r.total = std::strtod(tok.c_str(), nullptr);
            if (!(is >> tok)) break;
            r.spread = std::strtod(tok.c_str(), nullptr);
            if (!(is >> tok) || tok != "|") break;
            while (is >> tok) r.parts.push_back(std::strtod(tok.c_str(), nullptr));
            if (x.size() != n_dims || r.parts.size() != n_targets) break;
            if (!cache_.count(x)) order_.push_back(x);
            cache_[x] = r;
            ++replayed_;
        }
    }
    std::string path_;
    std::FILE* f_ = nullptr;
    std::map<std::vector<double>, scored> cache_;
    std::vector<std::vector<double>> order_; // the entries read, in their order
    std::size_t replayed_ = 0;
};

// The candidates' scores from their batch's outputs (rows: candidate-major,
// `repeats` each): per target the mean over repeats, the total its weighted
// sum, its spread over repeats; a diverged row costs NaN.
std::vector<scored> score(const fit_spec& f, const std::vector<batch_output>& outs, std::size_t n) {
    const std::size_t R = std::size_t(f.repeats);
    const auto& diverged = outs.back(); // status/diverged_step
    std::vector<const batch_output*> by_target;
    for (const auto& t : f.targets) by_target.push_back(&output_named(outs, t));
    std::vector<scored> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<double> per_repeat;
        out[i].parts.assign(f.targets.size(), 0.0);
        for (std::size_t k = 0; k < R; ++k) {
            const std::size_t row = i * R + k;
            double c = 0;
            for (std::size_t t = 0; t < f.targets.size(); ++t) {
                const double v =
                    diverged.data[row] >= 0 ? NAN : target_cost(f.targets[t], *by_target[t], row);
                out[i].parts[t] += v / double(R);
                c += f.targets[t].weight * v;
            }
            per_repeat.push_back(c);
        }
        double mean = 0, var = 0;
        for (double c : per_repeat) mean += c / double(R);
        for (double c : per_repeat) var += (c - mean) * (c - mean) / double(R > 1 ? R - 1 : 1);
        out[i].total = mean;
        out[i].spread = std::sqrt(var);
    }
    return out;
}

// ABC-SMC: its history as the fit's (one sequence, restart 0).
fit::optimisation run_abc(const fit_spec& f, const fit_layout& lay, const fit::batch_cost& cost,
                          std::unique_ptr<fit::abc_posterior>& abc, std::vector<long>& restart) {
    fit::abc_options a;
    a.population = int(f.population);
    a.generations = int(f.generations);
    a.seed = unsigned(f.seed);
    a.quantile = f.quantile;
    a.min_acceptance = f.min_acceptance;
    a.epsilon = f.epsilon;
    abc = std::make_unique<fit::abc_posterior>(fit::abc_smc(lay.lower, lay.upper, cost, a));
    fit::optimisation r;
    r.history = abc->history;
    r.batches = abc->batches;
    restart.assign(r.history.size(), 0);
    const fit::evaluation& best = fit::best_evaluation(r.history);
    r.best_x = best.x;
    r.best_cost = best.cost;
    return r;
}

// The optimiser's restarts (seeds seed, seed + 1, ...) merged into one history.
fit::optimisation run_optimiser(const fit_spec& f, const fit_layout& lay, const fit::batch_cost& cost,
                                std::vector<long>& restart) {
    fit::optimiser_options o;
    o.algorithm = f.algorithm;
    o.generations = int(f.generations);
    o.population = int(f.population);
    o.sigma0 = f.sigma0;
    for (const auto* p : lay.params) { // mapped parameters (two dimensions) start at random
        o.start.push_back(p->map.empty() ? p->start : NAN);
        if (!p->map.empty()) o.start.push_back(NAN);
    }
    fit::optimisation r;
    for (long k = 0; k < f.restarts; ++k) {
        o.seed = unsigned(f.seed + k);
        fit::optimisation one = fit::minimise(lay.lower, lay.upper, cost, o);
        for (auto& e : one.history) {
            r.history.push_back(std::move(e));
            restart.push_back(k);
        }
        r.batches += one.batches;
        r.cache_misses += one.cache_misses;
        if (k == 0 || one.best_cost < r.best_cost || std::isnan(r.best_cost)) {
            r.best_cost = one.best_cost;
            r.best_x = one.best_x;
        }
    }
    return r;
}

void report(const fit_layout& lay, const fit::optimisation& r, double total_s, double overhead,
            std::size_t replayed, const std::string& out) {
    std::printf("best cost %.6g at", r.best_cost);
    for (std::size_t k = 0; k < lay.dims.size(); ++k)
        std::printf(" %s = %.9g", lay.dims[k].c_str(), r.best_x[k]);
    std::printf("\n");
    std::printf("%zu evaluations in %d batches, %.3g s: %.3g evaluations/s, optimiser overhead %.2g%%\n",
                r.history.size(), r.batches, total_s, double(r.history.size()) / total_s, 100 * overhead);
    if (replayed > 0) std::printf("resumed: %zu evaluations from the journal\n", replayed);
    std::fprintf(stderr, "nmsweep: wrote %s and %s.best.toml\n", out.c_str(), result_stem(out).c_str());
}

// The spec fits (a [fit] section, no grid of its own); the result's path,
// checked (a new file unless --overwrite).
std::string fit_output(const sweep_request& req, const sweep_spec& s, const input_log& log) {
    if (!s.fit.given)
        throw input_error(s.path +
                          ": nmsweep fit needs a [fit] section with [[fit.parameter]] and [[fit.target]]");
    if (!s.axes.empty() && !(s.axes.size() == 1 && s.axes[0].values.size() == 1))
        throw input_error(where_of_key(s, "fit") +
                          ": nmsweep fit chooses the parameters itself; remove the spec's [[sweep]] axes and "
                          "[sampler]");
    const std::string out = req.output.empty() ? result_stem(s.output_path) + ".fit.h5" : req.output;
    check_output_path(out, s, log.records());
    if (!req.overwrite && std::filesystem::exists(out))
        throw input_error(out + " exists; --overwrite replaces it");
    return out;
}

} // namespace

void run_fit(const sweep_request& req) {
    input_log log;
    const sweep_spec s = load_request_spec(req);
    const auto& f = s.fit;
    const std::string out = fit_output(req, s, log);
    const connectome net = load_network(s);
    const fit_layout lay(f, net.n);
    std::vector<std::string> names = lay.columns;
    if (f.repeats > 1) names.push_back("noise.seed");
    std::unique_ptr<batch_runner> runner;
    try {
        runner = std::make_unique<batch_runner>(req, names);
    } catch (const input_error& e) {
        throw input_error(where_of_key(s, "fit") + ": " + e.what());
    }
    const std::size_t R = std::size_t(f.repeats);
    const double seed0 = double(s.seed);
    // Candidates (each with its repeats' noise seeds) as one batch.
    auto run_batch = [&](const std::vector<std::vector<double>>& xs) {
        std::vector<double> theta;
        for (const auto& x : xs)
            for (std::size_t k = 0; k < R; ++k) {
                const auto cols = lay.columns_of(x);
                theta.insert(theta.end(), cols.begin(), cols.end());
                if (R > 1) theta.push_back(seed0 + double(k));
            }
        return runner->run(theta.data(), xs.size() * R);
    };
    // Candidates not in the journal.
    auto evaluate = [&](const std::vector<std::vector<double>>& xs) {
        return score(f, run_batch(xs), xs.size());
    };
    const std::string journal_path = result_stem(out) + ".fit-journal";
    const run_identity id = identity_of(s, runner->precision(), log.records());
    fit_journal journal(journal_path,
                        "# nmsweep fit journal " + sha256_hex(s.text + "\n" + id.precision + "\n" +
                                                              id.noise_stream + "\n" + id.input_digests),
                        req.resume, req.overwrite, lay.dims.size(), f.targets.size());
    fit_tables tab;
    long fresh_batches = 0;
    const fit::batch_cost cost = [&](const std::vector<std::vector<double>>& xs) {
        std::vector<std::vector<double>> fresh;
        for (const auto& x : xs)
            if (!journal.find(x)) fresh.push_back(x);
        if (!fresh.empty()) {
            if (req.stop_after_batches >= 0 && fresh_batches >= req.stop_after_batches)
                throw interrupted("stopped after " + std::to_string(fresh_batches) +
                                  " batches, as if killed; " + journal_path +
                                  " holds them: --resume continues");
            const auto r = evaluate(fresh);
            for (std::size_t i = 0; i < fresh.size(); ++i) journal.add(fresh[i], r[i]);
            journal.sync();
            ++fresh_batches;
        }
        std::vector<double> total;
        for (const auto& x : xs) {
            const scored& r = *journal.find(x);
            total.push_back(r.total);
            tab.target_costs.push_back(r.parts);
            tab.spread.push_back(r.spread);
        }
        return total;
    };
    double batch_s = 0;
    std::vector<long> restart;
    const fit::batch_cost timed = [&](const std::vector<std::vector<double>>& xs) {
        const auto t = std::chrono::steady_clock::now();
        auto c = cost(xs);
        batch_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        return c;
    };
    // Bad input found while running (a target's shape, a parameter's bounds):
    // nothing written, not even an empty journal. The time outside the
    // batches is the algorithm's own.
    fit::optimisation r;
    std::unique_ptr<fit::abc_posterior> abc;
    const auto t0 = std::chrono::steady_clock::now();
    try {
        r = f.algorithm == "abc-smc" ? run_abc(f, lay, timed, abc, restart)
                                     : run_optimiser(f, lay, timed, restart);
    } catch (const std::invalid_argument& e) {
        journal.drop_if_empty();
        throw input_error(where_of_key(s, "fit") + ": " + e.what());
    } catch (const input_error&) {
        journal.drop_if_empty();
        throw;
    }
    const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double overhead = total_s > 0 ? std::max(0.0, total_s - batch_s) / total_s : 0.0;
    // The best candidate once more, for its features beside the targets.
    std::vector<batch_output> best_outs;
    if (std::isfinite(r.best_cost)) best_outs = run_batch({r.best_x});
    write_result(req, s, net, lay, out, r, tab, restart, id, overhead, abc.get(), best_outs);
    write_text_durably(result_stem(out) + ".best.toml", best_snippet(s, lay, r));
    journal.remove(); // the result file holds it all now
    if (!req.quiet) report(lay, r, total_s, overhead, journal.replayed(), out);
}

} // namespace nms
