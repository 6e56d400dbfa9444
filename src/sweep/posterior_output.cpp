#include "posterior_output.hpp"

#include "nmsweep/fit/inference.hpp"

#include <cstdio>

namespace nms {

void write_weighted_samples(h5::result_writer& w, const weighted_samples& s, double level, bool quiet,
                            std::size_t bins) {
    const std::size_t n = s.values.size(), p = s.names.size();
    std::vector<double> flat;
    for (const auto& v : s.values) flat.insert(flat.end(), v.begin(), v.end());
    w.write_array("posterior/samples", {n, p}, flat.data(), {"sample", "parameter"}, {}, "",
                  "weighted posterior samples");
    w.set_attr("posterior/samples", "names", s.names);
    w.write_array("posterior/sample_weight", {n}, s.weights.data(), {"sample"}, {}, "",
                  "posterior weight of each sample (summing to 1)");
    for (std::size_t k = 0; k < p; ++k) {
        std::vector<double> x(n), centre(bins);
        for (std::size_t i = 0; i < n; ++i) x[i] = s.values[i][k];
        const double lo = s.lower[k], hi = s.upper[k], width = (hi - lo) / double(bins);
        for (std::size_t b = 0; b < bins; ++b) centre[b] = lo + (double(b) + 0.5) * width;
        const auto h = fit::weighted_density(x, s.weights, lo, hi, bins);
        const std::string g = "posterior/" + s.names[k] + "_";
        w.write_array(g + "marginal", {bins}, h.data(), {s.names[k]}, {centre}, "",
                      "posterior density (weighted histogram of the samples)");
        const auto ci = fit::weighted_interval(x, s.weights, level);
        const double iv[3] = {ci.lo, ci.hi, ci.mean};
        w.write_array(g + "interval", {3}, iv, {"bound"}, {{0, 1, 2}}, "",
                      "lower, upper (equal-tailed), mean");
        w.set_attr(g + "interval", "level", level);
        if (!quiet)
            std::printf("  %s: mean %.6g, %g%% interval [%.6g, %.6g]\n", s.names[k].c_str(), ci.mean,
                        100 * level, ci.lo, ci.hi);
    }
}

} // namespace nms
