#include "run_parts.hpp"

#include "nmsweep/core/error.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace nms {

namespace {

// The spec of a refinement round: the points (a coordinate per axis but the
// initial one) as a list sampler, each with every initial condition; only
// the attractor feature, no time series or observation models.
sweep_spec refine_round_spec(const sweep_spec& s, const grid_layout& L,
                             const std::vector<std::vector<double>>& pts) {
    sweep_spec t = s;
    t.features = {"attractor"};
    t.timeseries = {};
    t.bold.enabled = false;
    t.sensors.clear();
    t.sampler = {};
    t.sampler.kind = "refine";
    t.sampler.n = pts.size();
    for (std::size_t q = 0; q < L.other.size(); ++q) {
        t.sampler.params.push_back(s.axis_refs[L.other[q]]);
        std::vector<double> col(pts.size());
        for (std::size_t k = 0; k < pts.size(); ++k) col[k] = pts[k][q];
        t.sampler.values.push_back(std::move(col));
    }
    axis sample{"sample", "", {}};
    for (std::size_t k = 0; k < pts.size(); ++k) sample.values.push_back(double(k));
    param_ref sr;
    sr.k = param_ref::kind::sample;
    sr.name = "sample";
    t.axes = {sample};
    t.axis_refs = {sr};
    if (L.initial >= 0) {
        t.axes.push_back(s.axes[std::size_t(L.initial)]);
        t.axis_refs.push_back(s.axis_refs[std::size_t(L.initial)]);
    }
    return t;
}

} // namespace

template <class T>
refine_result refine_grid(const sweep_request& r, const sweep_spec& s, const connectome& net,
                          const run_options& opt, const std::string& backend, const attractor_table& atab) {
    const grid_layout L = grid_layout_of(s);
    std::vector<std::vector<double>> axes;
    std::vector<double> tol;
    std::vector<bool> categorical; // ez and lesion axes: labels, not a scale to bisect
    long lesion = -1;              // the lesion axis among L.other
    for (auto a : L.other) {
        const param_ref::kind k = s.axis_refs[a].k;
        if (k == param_ref::kind::lesion) lesion = long(categorical.size());
        categorical.push_back(k == param_ref::kind::hypothesis || k == param_ref::kind::sample ||
                              k == param_ref::kind::lesion);
        const auto& v = s.axes[a].values;
        const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        double x = s.attractor.refine_tol * (*hi - *lo);
        for (const auto& [name, abs_tol] : s.attractor.refine_tol_axis)
            if (name == s.axes[a].name) x = abs_tol;
        axes.push_back(v);
        tol.push_back(x);
    }
    std::vector<attractor_signature> grid(L.n_other);
    for (std::size_t o = 0; o < L.n_other; ++o) grid[o] = point_signature(atab, L.rows(s, o), s.attractor);
    auto run_points = [&](std::vector<std::vector<double>> pts) {
        // Points of one lesion together, so that they share batches (and back in order at the end).
        std::vector<std::size_t> order(pts.size());
        std::iota(order.begin(), order.end(), std::size_t(0));
        if (lesion >= 0)
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return pts[a][std::size_t(lesion)] < pts[b][std::size_t(lesion)];
            });
        std::vector<std::vector<double>> sorted;
        for (std::size_t k : order) sorted.push_back(pts[k]);
        pts = std::move(sorted);
        const sweep_spec t = refine_round_spec(s, L, pts);
        run_reducers R = make_reducers(t);
        observations obsv(t, net);
        reduce_on_device<T>(t, R, obsv, backend);
        const std::size_t total = n_points(t), bs = batch_size(r, t, net, R.all, backend, opt.threads);
        attractor_table sub;
        sub.resize(total);
        for (std::size_t first = 0, count = 0; first < total; first += count) {
            count = batch_end(t, first, std::min(bs, total - first)) - first;
            batch b = make_batch(t, net, first, count);
            b.first_instance = first;
            for (auto& red : R.all) {
                red->set_batch(b);
                red->reset(count, int(net.n));
            }
            obsv.prepare_batch(first, count);
            sweep_observer<T> obs(t.observable_coef, transient_steps(t), t.sample_every,
                                  R.on_observable(obsv), first);
            R.add_channels(obs, obsv);
            const run_result res = run_batch<T>(b, opt, &obs, backend);
            if (res.interrupted) // (a refinement is redone whole on --resume)
                throw interrupted(std::string("stopped by ") + strsignal(stop_requested.load()) +
                                  " while refining the boundaries; every grid point is in the file: rerun "
                                  "with --resume to refine");
            for (std::size_t k = 0; k < 4; ++k) {
                auto& dst = k == 0 ? sub.cls : k == 1 ? sub.amplitude : k == 2 ? sub.frequency : sub.mean;
                for (std::size_t q = 0; q < count; ++q) {
                    double x = 0;
                    R.attractor->result(k, q, &x);
                    dst[first + q] = res.diverged_step[q] >= 0 ? R.attractor->diverged_value(k) : x;
                }
            }
        }
        const grid_layout Lt = grid_layout_of(t);
        std::vector<attractor_signature> out(pts.size());
        for (std::size_t k = 0; k < pts.size(); ++k)
            out[order[k]] = point_signature(sub, Lt.rows(t, k), t.attractor);
        return out;
    };
    const std::size_t budget =
        s.attractor.refine_max_points > 0 ? std::size_t(s.attractor.refine_max_points) : L.n_other;
    return refine_boundaries(axes, grid, tol, budget, run_points, categorical);
}

template refine_result refine_grid<float>(const sweep_request&, const sweep_spec&, const connectome&,
                                          const run_options&, const std::string&, const attractor_table&);
template refine_result refine_grid<double>(const sweep_request&, const sweep_spec&, const connectome&,
                                           const run_options&, const std::string&, const attractor_table&);

} // namespace nms
