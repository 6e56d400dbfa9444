// [fit], [[fit.parameter]], [[fit.target]] (fit_spec, nmsweep/sweep/fit_run.hpp).
// Parameter names and feature shapes are checked once the run is set up
// (run_fit), the rest here.
#include "nmsweep/fit/optimiser.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"
#include "spec_io.hpp"

#include <cmath>

namespace nms::spec_io {

namespace {

const std::vector<std::string> costs{"fc_correlation", "fc_rmse", "fcd_ks", "log_psd", "squared_error"};

// A 1-D or 2-D dataset of an HDF5 file; every value finite.
std::vector<double> read_h5_target(const std::string& path, const std::string& dataset, std::size_t* rows,
                                   std::size_t* cols) {
    std::vector<std::size_t> shape;
    std::vector<double> v;
    try {
        v = h5::read_input_dataset(path, dataset, &shape);
    } catch (const std::exception& e) {
        throw input_error(path + ": cannot read dataset '" + dataset + "' (" + e.what() + ")");
    }
    if (shape.empty() || shape.size() > 2)
        throw input_error(path + ": dataset '" + dataset + "' has " + std::to_string(shape.size()) +
                          " dimensions, expected 1 or 2");
    *rows = shape.size() == 2 ? shape[0] : 1;
    *cols = shape.back();
    for (std::size_t k = 0; k < v.size(); ++k)
        if (!std::isfinite(v[k]))
            throw input_error(path + ": dataset '" + dataset + "' entry " + std::to_string(k) + " is " +
                              num(v[k]) + " (finite values expected)");
    return v;
}

// A target's data: a CSV/text table, a .npy matrix or an HDF5 dataset; every value finite.
void read_target_file(const ctx& c, const reader& t, const tval& v, fit_target& g) {
    g.file = resolve_path(c, t.str(v, "file"));
    const tval* dv = t.get("dataset");
    if (dv) g.dataset = t.str(*dv, "dataset");
    if (is_hdf5(g.file) && !dv)
        c.fail(v, t.section, "file", g.file + " is HDF5: name its dataset (dataset = \"features/fc\")");
    if (dv && !is_hdf5(g.file)) c.fail(*dv, t.section, "dataset", "only for an HDF5 file (.h5, .hdf5)");
    try {
        g.values = dv ? read_h5_target(g.file, g.dataset, &g.rows, &g.cols)
                      : read_matrix_file(g.file, "fit target", &g.rows, &g.cols);
    } catch (const input_error& e) {
        c.fail(dv ? *dv : v, t.section, dv ? "dataset" : "file", e.what(), false);
    }
    if (g.values.empty()) c.fail(v, t.section, "file", g.file + ": no values");
}

fit_target parse_target(const ctx& c, const tval& tv) {
    reader t(c, "fit.target", tv);
    t.only({"cost", "feature", "file", "dataset", "value", "values", "weight", "band"});
    fit_target g;
    g.where = c.at(tv);
    const tval& cv = t.need("cost");
    g.cost = t.str(cv, "cost");
    if (!contains(costs, g.cost)) c.fail(cv, t.section, "cost", "unknown cost" + did_you_mean(g.cost, costs));
    const std::string fallback = g.cost == "fcd_ks"          ? "features/fcd"
                                 : g.cost == "log_psd"       ? "spectra/network_psd"
                                 : g.cost == "squared_error" ? ""
                                                             : "features/fc";
    if (const tval* v = t.get("feature"))
        g.feature = t.str(*v, "feature");
    else if (fallback.empty())
        c.fail(tv, t.section, "feature",
               "required key is missing (the dataset compared, e.g. features/peak_freq)", false);
    else
        g.feature = fallback;
    const int given = (t.get("file") != nullptr) + (t.get("value") != nullptr) + (t.get("values") != nullptr);
    if (given != 1) c.fail(tv, t.section, "file", "give exactly one of file, value, values", false);
    if (const tval* v = t.get("file")) read_target_file(c, t, *v, g);
    if (const tval* v = t.get("value")) {
        g.values = {t.finite(*v, "value")};
        g.rows = g.cols = 1;
    }
    if (const tval* v = t.get("values")) {
        g.values = t.numbers(*v, "values");
        if (g.values.empty()) c.fail(*v, t.section, "values", "empty");
        g.rows = 1;
        g.cols = g.values.size();
    }
    if (const tval* v = t.get("weight")) {
        g.weight = t.finite(*v, "weight");
        if (!(g.weight > 0)) c.fail(*v, t.section, "weight", "must be > 0");
    }
    if (const tval* v = t.get("band")) {
        if (g.cost != "log_psd") c.fail(*v, t.section, "band", "only used by cost = \"log_psd\"");
        const auto b = t.numbers(*v, "band");
        if (b.size() != 2 || !(b[0] >= 0 && b[0] < b[1]))
            c.fail(*v, t.section, "band", "expected [low, high] in Hz with 0 <= low < high");
        g.band = {b[0], b[1]};
    }
    if (g.cost == "log_psd" && g.cols != 2)
        c.fail(tv, t.section, "file",
               "log_psd needs rows of (frequency in Hz, power): got " + std::to_string(g.cols) + " columns",
               false);
    if (g.cost == "log_psd")
        for (std::size_t i = 0; i < g.rows; ++i)
            if (!(g.values[i * 2 + 1] > 0))
                c.fail(tv, t.section, "file",
                       "power " + num(g.values[i * 2 + 1]) + " at " + num(g.values[i * 2]) +
                           " Hz: must be > 0 (its log is taken)",
                       false);
    if ((g.cost == "fc_correlation" || g.cost == "fc_rmse") && (g.rows != g.cols || g.rows < 2))
        c.fail(tv, t.section, "file",
               g.cost + " needs a square N x N matrix (N >= 2): got " + std::to_string(g.rows) + " x " +
                   std::to_string(g.cols),
               false);
    return g;
}

fit_parameter parse_parameter(const ctx& c, const tval& tv) {
    reader t(c, "fit.parameter", tv);
    t.only({"name", "bounds", "map", "slope_bounds", "start"});
    fit_parameter p;
    p.name = t.str(t.need("name"), "name");
    const tval& bv = t.need("bounds");
    const auto b = t.numbers(bv, "bounds");
    if (b.size() != 2 || !(b[0] < b[1]))
        c.fail(bv, t.section, "bounds", "expected [low, high] with low < high");
    p.lower = b[0];
    p.upper = b[1];
    if (const tval* v = t.get("start")) {
        p.start = t.finite(*v, "start");
        if (t.get("map")) c.fail(*v, t.section, "start", "not with a map (its a and b start at random)");
        if (!(p.start >= p.lower && p.start <= p.upper))
            c.fail(*v, t.section, "start",
                   num(p.start) + " lies outside the bounds [" + num(p.lower) + ", " + num(p.upper) + "]");
    }
    if (const tval* v = t.get("map")) {
        if (p.name.find('[') != std::string::npos ||
            (p.name.rfind("model.", 0) != 0 && p.name.rfind("coupling.", 0) != 0))
            c.fail(*v, t.section, "map",
                   "a map sets one model.<p> or coupling.<p> per region; '" + p.name +
                       "' is not such a parameter");
        p.map_file = resolve_path(c, t.str(*v, "map"));
        try {
            std::size_t rows = 0, cols = 0;
            p.map = read_matrix_file(p.map_file, "fit map", &rows, &cols);
        } catch (const input_error& e) {
            c.fail(*v, t.section, "map", e.what(), false);
        }
        if (p.map.empty()) c.fail(*v, t.section, "map", p.map_file + ": no values");
        const tval& sv = t.need("slope_bounds");
        const auto sb = t.numbers(sv, "slope_bounds");
        if (sb.size() != 2 || !(sb[0] < sb[1]))
            c.fail(sv, t.section, "slope_bounds", "expected [low, high] with low < high");
        p.slope = {sb[0], sb[1]};
    } else if (const tval* v = t.get("slope_bounds")) {
        c.fail(*v, t.section, "slope_bounds", "given without map");
    }
    c.note("fit.parameter." + p.name, tv, "fit.parameter", "name = \"" + p.name + "\"");
    return p;
}

} // namespace

void parse_fit(const ctx& c, const tval& root, sweep_spec& s) {
    if (!root.as_table().count("fit")) return;
    const tval& tv = root.at("fit");
    reader t(c, "fit", tv);
    t.only({"algorithm", "generations", "population", "seed", "sigma0", "repeats", "restarts", "parameter",
            "target", "quantile", "min_acceptance", "epsilon", "level"});
    auto& o = s.fit;
    o.given = true;
    if (const tval* v = t.get("algorithm")) {
        o.algorithm = t.str(*v, "algorithm");
        auto names = fit::optimiser_names();
        names.push_back("abc-smc");
        if (!contains(names, o.algorithm))
            c.fail(*v, t.section, "algorithm", "unknown optimiser" + did_you_mean(o.algorithm, names));
    }
    t.integer_in("generations", o.generations, 0, 100000);
    t.integer_in("population", o.population, 2, 100000);
    t.integer_in("seed", o.seed, 0, 4294967295L);
    t.integer_in("repeats", o.repeats, 1, 1000);
    t.integer_in("restarts", o.restarts, 1, 1000);
    if (const tval* v = t.get("sigma0")) {
        o.sigma0 = t.finite(*v, "sigma0");
        if (!(o.sigma0 > 0 && o.sigma0 <= 1))
            c.fail(*v, t.section, "sigma0", "must be in (0, 1] (a fraction of each range)");
    }
    auto open_unit = [&](const char* key, double& x, bool zero_ok, bool one_ok) {
        const tval* v = t.get(key);
        if (!v) return;
        x = t.finite(*v, key);
        if (!((zero_ok ? x >= 0 : x > 0) && (one_ok ? x <= 1 : x < 1)))
            c.fail(*v, t.section, key,
                   std::string("must be in ") + (zero_ok ? "[0" : "(0") + ", 1" + (one_ok ? "]" : ")"));
    };
    open_unit("quantile", o.quantile, false, false);
    open_unit("min_acceptance", o.min_acceptance, false, true);
    open_unit("level", o.level, false, false);
    if (const tval* v = t.get("epsilon")) {
        o.epsilon = t.finite(*v, "epsilon");
        if (!(o.epsilon >= 0)) c.fail(*v, t.section, "epsilon", "must be >= 0 (an ABC tolerance)");
    }
    if (o.algorithm == "abc-smc" && o.restarts > 1)
        c.fail(t.need("restarts"), t.section, "restarts",
               "abc-smc runs one sequence (use a larger population)");
    const tval& pv = t.need("parameter");
    for (const auto& e : t.array(pv, "parameter")) {
        o.parameters.push_back(parse_parameter(c, e));
        for (std::size_t k = 0; k + 1 < o.parameters.size(); ++k)
            if (o.parameters[k].name == o.parameters.back().name)
                c.fail(e, "fit.parameter", "name", "'" + o.parameters.back().name + "' given twice");
    }
    if (o.parameters.empty()) c.fail(pv, t.section, "parameter", "no [[fit.parameter]]");
    for (const auto& p : o.parameters)
        if (o.algorithm == "abc-smc" && !std::isnan(p.start))
            c.fail(pv, t.section, "parameter",
                   p.name +
                       ": start is for the optimisers; abc-smc draws its first generation from the prior",
                   false);

    const tval& gv = t.need("target");
    for (const auto& e : t.array(gv, "target")) o.targets.push_back(parse_target(c, e));
    if (o.targets.empty()) c.fail(gv, t.section, "target", "no [[fit.target]]");
    c.note("fit", tv, "fit", "");
}

} // namespace nms::spec_io
