// `nmsweep infer` (nmsweep/sweep/infer_run.hpp): the posterior over a result's
// points from its features and observed summaries.

#include "nmsweep/sweep/infer_run.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/fit/inference.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"
#include "posterior_output.hpp"
#include "run_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <sstream>

namespace nms {
namespace {

struct target {
    std::string feature; // dataset path
    std::vector<double> observed;
    std::size_t per_point = 0; // values of the dataset per grid point
    std::vector<double> data;  // [points][per_point]
    double sigma = 0;          // > 0: Gaussian noise model
};

std::pair<std::string, std::string> split(const std::string& s, const std::string& what) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
        throw input_error(what + " '" + s + "': expected FEATURE=VALUE");
    return {s.substr(0, eq), s.substr(eq + 1)};
}

// "1.5,2,3" as numbers, or the values of a table file.
std::vector<double> observed_values(const std::string& v) {
    std::vector<double> out;
    std::stringstream ss(v);
    bool numbers = true;
    for (std::string tok; std::getline(ss, tok, ',');) {
        char* end = nullptr;
        const double x = std::strtod(tok.c_str(), &end);
        if (tok.empty() || !end || *end != 0 || !std::isfinite(x)) {
            numbers = false;
            break;
        }
        out.push_back(x);
    }
    if (numbers) return out;
    std::size_t rows = 0, cols = 0;
    out = read_matrix_file(v, "observed summaries", &rows, &cols);
    if (out.empty()) throw input_error(v + ": no values");
    return out;
}

// The FEATURE=VALUES lines of a --targets file (blank lines and '#' comments skipped).
std::vector<std::string> targets_in_file(const std::string& path) {
    std::vector<std::string> out;
    std::istringstream in(read_input_file(path, "targets file"));
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        std::string compact; // without the comment and any blanks
        for (char ch : line.substr(0, line.find('#')))
            if (ch != ' ' && ch != '\t' && ch != '\r') compact += ch;
        if (compact.empty()) continue;
        if (compact.find('=') == std::string::npos || compact.front() == '=' || compact.back() == '=')
            throw input_error(path + ":" + std::to_string(n) + ": '" + compact +
                              "': expected FEATURE=VALUES");
        out.push_back(compact);
    }
    return out;
}

// The index of the "sample" axis of a [sampler] run among the axes, or -1.
long sampler_axis(const std::string& path, const std::vector<h5::axis_desc>& axes) {
    for (std::size_t a = 0; a < axes.size(); ++a)
        if (axes[a].name == "sample") {
            try {
                (void)h5::read_strings_attr(path, "samples", "names");
                return long(a);
            } catch (const std::exception&) {
                std::fprintf(stderr,
                             "nmsweep: %s: its samples predate their recorded ranges; the sample axis "
                             "is treated as an index\n",
                             path.c_str());
            }
        }
    return -1;
}

// A sampler's points as weighted samples: it draws uniformly over its ranges
// (uniform, lhs, sobol), the prior, so each point's weight is its posterior
// probability (its likelihood, normalised).
weighted_samples samples_of(const std::string& path, const std::vector<double>& weight) {
    weighted_samples s;
    s.names = h5::read_strings_attr(path, "samples", "names");
    s.lower = h5::read_numbers_attr(path, "samples", "lower");
    s.upper = h5::read_numbers_attr(path, "samples", "upper");
    s.weights = weight;
    s.values.assign(weight.size(), {});
    for (const auto& n : s.names) {
        const auto v = h5::read_dataset(path, "samples/" + n);
        for (std::size_t i = 0; i < v.size() && i < weight.size(); ++i) s.values[i].push_back(v[i]);
    }
    return s;
}

} // namespace

void run_infer(const infer_request& req) {
    const std::string& path = req.result;
    h5::read_through(path); // a damaged file fails here, in a child process
    std::vector<std::string> axis_names;
    std::vector<h5::axis_desc> axes;
    std::vector<std::size_t> shape;
    std::vector<double> done;
    try {
        axis_names = h5::read_strings_attr(path, "", "axes");
        for (const auto& n : axis_names) {
            axes.push_back({n, "", h5::read_dataset(path, "axes/" + n)});
            shape.push_back(axes.back().values.size());
        }
        done = h5::read_dataset(path, "status/done");
    } catch (const input_error&) {
        throw;
    } catch (const std::exception& e) {
        throw input_error(path + ": not an nmsweep result file (" + e.what() + ")");
    }
    const std::size_t n_points =
        std::accumulate(shape.begin(), shape.end(), std::size_t(1), std::multiplies<>());
    const auto undone = std::size_t(std::count(done.begin(), done.end(), 0.0));
    if (undone > 0)
        throw input_error(
            path + ": " + std::to_string(undone) + " of " + std::to_string(n_points) +
            " points are not done; a posterior over part of a grid would be wrong (run --resume first)");
    std::vector<std::string> targets = req.targets;
    if (!req.targets_file.empty()) {
        const auto more = targets_in_file(req.targets_file);
        targets.insert(targets.end(), more.begin(), more.end());
    }
    if (targets.empty())
        throw input_error("infer: give at least one --target FEATURE=VALUES (or --targets FILE)");
    if (!(req.level > 0 && req.level < 1)) throw input_error("infer: --level must be in (0, 1)");
    if (!(req.shrinkage >= 0 && req.shrinkage <= 1))
        throw input_error("infer: --shrinkage must be in [0, 1]");

    // The replicate axis.
    std::string rep = req.replicates;
    if (rep.empty() && std::count(axis_names.begin(), axis_names.end(), "noise.seed")) rep = "noise.seed";
    long r_axis = -1;
    if (!rep.empty()) {
        const auto it = std::find(axis_names.begin(), axis_names.end(), rep);
        if (it == axis_names.end())
            throw input_error("infer: --replicates " + rep + ": the result has no such axis");
        r_axis = long(it - axis_names.begin());
    }
    const std::size_t R = r_axis >= 0 ? shape[std::size_t(r_axis)] : 1;

    std::vector<target> tg;
    std::size_t d = 0;
    for (const auto& t : targets) {
        auto [name, value] = split(t, "--target");
        target x;
        x.feature = name.find('/') == std::string::npos ? "features/" + name : name;
        std::vector<std::size_t> ds;
        try {
            x.data = h5::read_dataset(path, x.feature, &ds);
        } catch (const std::exception&) {
            throw input_error("--target " + name + ": " + path + " has no dataset " + x.feature);
        }
        if (ds.size() < shape.size() || !std::equal(shape.begin(), shape.end(), ds.begin()))
            throw input_error("--target " + name + ": " + x.feature + " is not grid-shaped");
        x.per_point = x.data.size() / n_points;
        try {
            x.observed = observed_values(value);
        } catch (const input_error& e) {
            throw input_error("--target " + name + ": " + e.what());
        }
        if (x.observed.size() != x.per_point)
            throw input_error("--target " + name + ": " + std::to_string(x.observed.size()) +
                              " observed values, " + x.feature + " has " + std::to_string(x.per_point) +
                              " per point");
        d += x.per_point;
        tg.push_back(std::move(x));
    }
    for (const auto& s : req.sigmas) {
        auto [name, value] = split(s, "--sigma");
        const std::string f = name.find('/') == std::string::npos ? "features/" + name : name;
        auto it = std::find_if(tg.begin(), tg.end(), [&](const target& t) { return t.feature == f; });
        if (it == tg.end()) throw input_error("--sigma " + name + ": not one of the --target features");
        char* end = nullptr;
        it->sigma = std::strtod(value.c_str(), &end);
        if (!end || *end != 0 || !(it->sigma > 0) || !std::isfinite(it->sigma))
            throw input_error("--sigma " + s + ": expected a number > 0");
    }
    const bool gaussian = !req.sigmas.empty();
    if (gaussian && std::any_of(tg.begin(), tg.end(), [](const target& t) { return !(t.sigma > 0); }))
        throw input_error("--sigma: give one for every --target (a Gaussian noise model on each summary)");
    if (!gaussian && R < 2)
        throw input_error(
            "infer: the synthetic likelihood needs replicates: an axis over noise seeds (e.g. "
            "[[sweep]] param = \"noise.seed\"), named by --replicates; or --sigma for a Gaussian model");
    if (!gaussian && req.shrinkage == 0 && R <= d)
        throw input_error(
            "infer: " + std::to_string(R) + " replicates for " + std::to_string(d) +
            " summaries: the covariance is singular; use more seeds than summaries, or --shrinkage");

    // Reduced grid: every axis but the replicates'.
    std::vector<h5::axis_desc> raxes;
    std::vector<std::size_t> rshape;
    for (std::size_t a = 0; a < axes.size(); ++a)
        if (long(a) != r_axis) {
            raxes.push_back(axes[a]);
            rshape.push_back(shape[a]);
        }
    const std::size_t K = n_points / R;
    std::vector<std::vector<std::vector<double>>> sims(K, std::vector<std::vector<double>>(R));
    for (std::size_t i = 0; i < n_points; ++i) {
        std::size_t rest = i, red = 0, j = 0, stride = 1;
        for (long a = long(shape.size()) - 1; a >= 0; --a) {
            const std::size_t idx = rest % shape[std::size_t(a)];
            rest /= shape[std::size_t(a)];
            if (a == r_axis) {
                j = idx;
                continue;
            }
            red += idx * stride;
            stride *= shape[std::size_t(a)];
        }
        auto& row = sims[red][j];
        for (const auto& t : tg)
            row.insert(row.end(), t.data.begin() + long(i * t.per_point),
                       t.data.begin() + long((i + 1) * t.per_point));
    }
    std::vector<double> observed, sigma;
    for (const auto& t : tg) {
        observed.insert(observed.end(), t.observed.begin(), t.observed.end());
        sigma.insert(sigma.end(), t.per_point, t.sigma);
    }
    std::vector<double> loglik(K);
    for (std::size_t k = 0; k < K; ++k) {
        if (gaussian) {
            std::vector<double> mean(d, 0.0);
            for (const auto& row : sims[k])
                for (std::size_t q = 0; q < d; ++q) mean[q] += row[q] / double(R);
            loglik[k] = fit::gaussian_log_likelihood(mean, sigma, observed);
        } else {
            loglik[k] = fit::synthetic_log_likelihood(sims[k], observed, req.shrinkage);
        }
    }
    fit::grid_posterior post;
    try {
        post = fit::posterior_on_points(loglik);
    } catch (const std::invalid_argument& e) {
        throw input_error(path + ": " + e.what());
    }

    const std::string out = req.output.empty() ? result_stem(path) + ".infer.h5" : req.output;
    std::size_t n_nodes = 1;
    std::vector<std::string> labels;
    try {
        n_nodes = h5::read_dataset(path, "axes/node").size();
    } catch (const std::exception&) {
    }
    h5::result_writer w = h5::result_writer::create(out, raxes, n_nodes, labels, req.overwrite);
    w.add_dataset("posterior/log_likelihood", {}, {}, false, "",
                  gaussian ? "Gaussian noise model on the summaries" : "synthetic likelihood (Wood 2010)");
    w.add_dataset("posterior/weight", {}, {}, false, "",
                  "posterior probability of the point (uniform prior)");
    w.write_points("posterior/log_likelihood", 0, K, loglik.data());
    w.write_points("posterior/weight", 0, K, post.weight.data());
    if (!req.quiet)
        std::printf("log evidence %.6g (ess %.1f of %zu points, %s likelihood)\n", post.log_evidence,
                    post.ess, K, gaussian ? "Gaussian" : "synthetic");
    const long s_axis = sampler_axis(path, raxes);
    for (std::size_t a = 0; a < raxes.size(); ++a) {
        const auto m = fit::marginal(post.weight, rshape, a);
        if (long(a) == s_axis) {
            write_weighted_samples(w, samples_of(path, m), req.level, req.quiet);
            continue;
        }
        std::vector<std::size_t> order(m.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(),
                  [&](auto x, auto y) { return raxes[a].values[x] < raxes[a].values[y]; });
        std::vector<double> v, p;
        for (auto o : order) {
            v.push_back(raxes[a].values[o]);
            p.push_back(m[o]);
        }
        const std::string g = "posterior/" + raxes[a].name + "_";
        w.write_array(g + "marginal", {m.size()}, m.data(), {raxes[a].name});
        bool ascending = true;
        for (std::size_t k = 1; k < v.size(); ++k) ascending = ascending && v[k] > v[k - 1];
        if (!ascending || v.size() < 2) continue; // (an index axis of repeated values: no interval)
        const auto ci = fit::credible_interval(v, p, req.level);
        const double iv[3] = {ci.lo, ci.hi, ci.mean};
        w.write_array(g + "interval", {3}, iv, {"bound"}, {{0, 1, 2}}, "",
                      "lower, upper (equal-tailed), mean");
        w.set_attr(g + "interval", "level", req.level);
        if (!req.quiet)
            std::printf("  %s: mean %.6g, %g%% interval [%.6g, %.6g]\n", raxes[a].name.c_str(), ci.mean,
                        100 * req.level, ci.lo, ci.hi);
    }
    w.set_attr("posterior", "log_evidence", post.log_evidence);
    w.set_attr("posterior", "ess", post.ess);
    w.set_attr("posterior", "source", path);
    const std::vector<long> ok(K, -1), one(K, 1);
    w.write_status(0, K, ok.data());
    w.write_points("status/done", 0, K, one.data());
    w.finish();
    if (!req.quiet) std::fprintf(stderr, "nmsweep: wrote %s\n", out.c_str());
}

} // namespace nms
