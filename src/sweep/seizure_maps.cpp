#include "seizure_maps.hpp"

#include "nmsweep/sweep/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace nms {

namespace {

// One space's results: dataset prefix, group of its maps, channel dim.
struct seizure_space {
    std::string prefix, group, channel;
    long top;
    bool observed, regions;
};

std::vector<seizure_space> spaces_of(const sweep_spec& s) {
    std::vector<seizure_space> out;
    auto has = [](const std::vector<std::string>& f) {
        return std::find(f.begin(), f.end(), "seizure") != f.end();
    };
    if (has(s.features))
        out.push_back(
            {"features/", "seizure", "node", s.seizure.top, !s.seizure.observed_recruited.empty(), true});
    for (const auto& m : s.sensors)
        if (has(m.features))
            out.push_back({"sensors/" + m.name + "/", "sensors/" + m.name + "/seizure", "sensor",
                           s.seizure.top, !m.seizure.observed_recruited.empty(), false});
    return out;
}

// What point p is, axis by axis ("ez=rHC+rAMYG, model.Ks=-1").
std::string point_label(const sweep_spec& s, std::size_t p) {
    const auto idx = grid_index(s, p);
    std::string out;
    for (std::size_t a = 0; a < s.axes.size(); ++a) {
        std::string v;
        if (const hypothesis_axis* h = find_hypotheses(s, s.axes[a].name)) {
            v = h->labels.at(idx[a]);
        } else {
            char b[32];
            std::snprintf(b, sizeof b, "%g", s.axes[a].values[idx[a]]);
            v = b;
        }
        out += (a ? ", " : "") + s.axes[a].name + "=" + v;
    }
    return out;
}

// Recruitment over the ez axis (e >= 0) or over all points: [other..., channel].
void write_probabilities(h5::result_writer& w, const sweep_spec& s, const seizure_space& sp, std::size_t n_ch,
                         const std::vector<double>& rec) {
    long e = -1;
    for (std::size_t a = 0; a < s.axes.size() && e < 0; ++a)
        if (s.axis_refs[a].k == param_ref::kind::hypothesis) e = long(a);
    std::vector<std::string> dims;
    std::vector<std::size_t> shape;
    std::size_t n_other = 1;
    if (e >= 0)
        for (std::size_t a = 0; a < s.axes.size(); ++a)
            if (long(a) != e)
                dims.push_back(s.axes[a].name), shape.push_back(s.axes[a].values.size()),
                    n_other *= s.axes[a].values.size();
    dims.push_back(sp.channel);
    shape.push_back(n_ch);
    const hypothesis_axis* hyp = e >= 0 ? find_hypotheses(s, s.axes[std::size_t(e)].name) : nullptr;
    const bool prop = hyp && sp.regions;
    std::vector<double> r(n_other * n_ch, 0), nr(r.size(), 0), q(r.size(), 0), nq(r.size(), 0);
    const std::size_t G = n_points(s);
    for (std::size_t p = 0; p < G; ++p) {
        const auto idx = grid_index(s, p);
        std::size_t o = 0; // (without an ez axis every point pools into one)
        for (std::size_t a = 0; a < s.axes.size() && e >= 0; ++a)
            if (long(a) != e) o = o * s.axes[a].values.size() + idx[a];
        std::vector<char> in_zone(n_ch, 0);
        if (prop)
            for (auto i : hyp->members.at(idx[std::size_t(e)])) in_zone[i] = 1;
        for (std::size_t i = 0; i < n_ch; ++i) {
            const double x = rec[p * n_ch + i];
            if (!(x >= 0)) continue; // diverged (-1) or not run
            r[o * n_ch + i] += x, nr[o * n_ch + i] += 1;
            if (prop && !in_zone[i]) q[o * n_ch + i] += x, nq[o * n_ch + i] += 1;
        }
    }
    for (std::size_t k = 0; k < r.size(); ++k) {
        r[k] = nr[k] > 0 ? r[k] / nr[k] : std::nan("");
        q[k] = nq[k] > 0 ? q[k] / nq[k] : std::nan("");
    }
    const std::string over =
        hyp ? "over the hypotheses of the " + hyp->name + " axis" : "over every point of the grid";
    w.write_array(sp.group + "/recruitment_probability", shape, r.data(), dims, {}, "",
                  "fraction of the points " + over + " in which the " + sp.channel +
                      " was recruited (diverged points left out)");
    if (prop)
        w.write_array(
            sp.group + "/propagation_probability", shape, q.data(), dims, {}, "",
            "fraction of the hypotheses of the " + hyp->name +
                " axis that leave the node out of their zone in which it was recruited: the propagation "
                "zone");
}

// The best `top` points by observed_score (NaN last; ties: the earlier point).
void write_ranking(h5::result_writer& w, const sweep_spec& s, const seizure_space& sp) {
    const auto score = w.read_all(sp.prefix + "observed_score");
    const auto jac = w.read_all(sp.prefix + "observed_jaccard");
    const auto rho = w.read_all(sp.prefix + "observed_rank_corr");
    std::vector<std::size_t> order(score.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    auto key = [&](std::size_t p) { return std::isnan(score[p]) ? -HUGE_VAL : score[p]; };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
    order.resize(std::min<std::size_t>(order.size(), std::size_t(std::max(1L, sp.top))));
    const std::size_t k = order.size(), d = s.axes.size();
    std::vector<long> point(k), index(k * d);
    std::vector<double> sc(k), jc(k), rc(k);
    std::vector<std::string> labels;
    for (std::size_t r = 0; r < k; ++r) {
        const std::size_t p = order[r];
        point[r] = long(p);
        sc[r] = score[p], jc[r] = jac[p], rc[r] = rho[p];
        const auto idx = grid_index(s, p);
        for (std::size_t a = 0; a < d; ++a) index[r * d + a] = long(idx[a]);
        labels.push_back(point_label(s, p));
    }
    const std::string g = sp.group + "/ranking";
    w.write_array(g + "/point", {k}, point.data(), {"rank"}, {}, "",
                  "grid points (flat C-order index) in order of observed_score, best first");
    w.write_array(g + "/score", {k}, sc.data(), {"rank"}, {}, "", "their observed_score");
    w.write_array(g + "/jaccard", {k}, jc.data(), {"rank"}, {}, "", "their observed_jaccard");
    w.write_array(g + "/rank_corr", {k}, rc.data(), {"rank"}, {}, "", "their observed_rank_corr");
    if (d > 0) {
        std::vector<std::string> names;
        for (const auto& a : s.axes) names.push_back(a.name);
        w.write_array(g + "/index", {k, d}, index.data(), {"rank", "axis"}, {}, "",
                      "their index along each axis (columns: the attribute axes)");
        w.set_attr(g + "/index", "axes", names);
    }
    std::size_t bytes = 0;
    for (const auto& l : labels) bytes += l.size() + 16;
    if (bytes < 60000) w.set_attr(g, "labels", labels); // (an attribute holds 64 KiB)
    w.set_attr(g, "observed", s.observed.file);
    w.set_attr(
        g, "description",
        "the points whose seizures agree best with the observed onsets (observed_score = Jaccard index of "
        "the recruited sets x (1 + Spearman's rho of the onsets) / 2)");
}

} // namespace

void write_seizure_maps(h5::result_writer& w, const sweep_spec& s) {
    const std::size_t G = n_points(s);
    for (const auto& sp : spaces_of(s)) {
        const auto rec = w.read_all(sp.prefix + "recruited");
        if (G == 0 || rec.size() % G) continue;
        write_probabilities(w, s, sp, rec.size() / G, rec);
        if (sp.observed) write_ranking(w, s, sp);
    }
}

} // namespace nms
