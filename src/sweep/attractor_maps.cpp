#include "attractor_maps.hpp"

#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>

namespace nms {

attractor_signature point_signature(const attractor_table& t, const std::vector<std::size_t>& rows,
                                    const attractor_options& o) {
    std::vector<attractor_summary> res;
    int count[n_attractor_codes] = {0};
    for (std::size_t p : rows) {
        const int c = int(t.cls[p]);
        if (c < 0 || c >= n_attractor_codes) continue;
        ++count[c];
        res.push_back({c, t.amplitude[p], t.frequency[p], t.mean[p]});
    }
    if (res.empty()) return {};
    int best = 0; // ties: the lower code
    for (int c = 1; c < n_attractor_codes; ++c)
        if (count[c] > count[best]) best = c;
    return {best, long(count_attractors(res, o))};
}

grid_layout grid_layout_of(const sweep_spec& s) {
    grid_layout g;
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        if (s.axis_refs[a].k == param_ref::kind::initial) g.initial = long(a);
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        if (long(a) != g.initial) g.other.push_back(a);
    g.n_ic = g.initial >= 0 ? s.axes[std::size_t(g.initial)].values.size() : 1;
    g.n_other = 1;
    for (auto a : g.other) g.n_other *= s.axes[a].values.size();
    return g;
}

std::vector<std::size_t> grid_layout::rows(const sweep_spec& s, std::size_t o) const {
    std::vector<std::size_t> idx(s.axes.size());
    for (std::size_t q = other.size(); q-- > 0;) {
        idx[other[q]] = o % s.axes[other[q]].values.size();
        o /= s.axes[other[q]].values.size();
    }
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < n_ic; ++k) {
        if (initial >= 0) idx[std::size_t(initial)] = k;
        std::size_t p = 0;
        for (std::size_t a = 0; a < s.axes.size(); ++a) p = p * s.axes[a].values.size() + idx[a];
        out.push_back(p);
    }
    return out;
}

void write_refined_boundaries(h5::result_writer& w, const sweep_spec& s, const refine_result& r) {
    const grid_layout g = grid_layout_of(s);
    std::vector<std::string> names, units;
    for (auto a : g.other) names.push_back(s.axes[a].name), units.push_back(s.axes[a].unit);
    const std::size_t d = g.other.size(), n = r.boundaries.size(), m = r.samples.size();
    std::vector<double> at(n * d), unc(n * d, 0.0), axis(n), lo_c(n), hi_c(n), lo_n(n), hi_n(n), ok(n);
    for (std::size_t k = 0; k < n; ++k) {
        const auto& b = r.boundaries[k];
        std::copy(b.at.begin(), b.at.end(), at.begin() + long(k * d));
        unc[k * d + b.axis] = b.uncertainty;
        axis[k] = double(b.axis);
        lo_c[k] = double(b.low.cls), hi_c[k] = double(b.high.cls);
        lo_n[k] = double(b.low.n), hi_n[k] = double(b.high.n);
        ok[k] = b.resolved ? 1.0 : 0.0;
    }
    const std::string G = "boundaries/refined/";
    const std::string cols = " (columns: the axes named in attribute 'axes', in their units)";
    w.write_array(G + "points", {n, d}, at.data(), {"boundary", "coordinate"}, {}, "",
                  "boundary points located by bisection between neighbouring grid cells whose dominant class "
                  "or number of attractors differ: the middle of the final bracket" +
                      cols);
    w.set_attr(G + "points", "axes", names);
    w.set_attr(G + "points", "axis_units", units);
    w.write_array(G + "uncertainty", {n, d}, unc.data(), {"boundary", "coordinate"}, {}, "",
                  "half the final bracket along the axis bisected (0 along the others): the boundary lies "
                  "within points +- this");
    auto column = [&](const char* name, const std::vector<double>& v, const std::string& what) {
        w.write_array(G + name, {n}, v.data(), {"boundary"}, {}, "", what);
    };
    column("axis", axis, "index (into attribute 'axes' of points) of the axis bisected");
    const std::string codes = " (0 fixed point, 1 periodic, 2 irregular, 3 diverged, 4 unresolved)";
    column("low_class", lo_c, "dominant class at the bracket's lower end" + codes);
    column("high_class", hi_c, "dominant class at the bracket's upper end" + codes);
    column("low_n_attractors", lo_n, "number of attractors at the bracket's lower end");
    column("high_n_attractors", hi_n, "number of attractors at the bracket's upper end");
    column("resolved", ok, "1: bracketed within tol; 0: max_points ran out first");
    std::vector<double> sx(m * d), sc(m), sn(m);
    for (std::size_t k = 0; k < m; ++k) {
        std::copy(r.samples[k].begin(), r.samples[k].end(), sx.begin() + long(k * d));
        sc[k] = double(r.sample_signatures[k].cls);
        sn[k] = double(r.sample_signatures[k].n);
    }
    w.write_array(G + "samples", {m, d}, sx.data(), {"sample", "coordinate"}, {}, "",
                  "every point the refinement ran, in order" + cols);
    w.set_attr(G + "samples", "axes", names);
    w.write_array(G + "samples_class", {m}, sc.data(), {"sample"}, {}, "", "dominant class" + codes);
    w.write_array(G + "samples_n_attractors", {m}, sn.data(), {"sample"}, {}, "", "number of attractors");
    w.set_attr("boundaries/refined", "rounds", long(r.rounds));
}

// Maps over the grid without its "initial" axis, when the run finishes:
// with an "initial" axis, features/n_attractors (distinct attractors among
// the initial conditions, count_attractors), features/multistable (0/1) and
// features/dominant_class (the class most initial conditions reach; ties:
// the lower code); then, when the remaining grid is 1-D or 2-D, the class
// boundaries of dominant_class (or attractor_class without an initial axis)
// as /boundaries/<class a>_<class b> [n_points, n_axes] in axis units, and
// with an initial axis /boundaries/monostable_multistable, the changes of
// n_attractors /boundaries/n_attractors_<m>_<n>, and each initial
// condition's class boundaries /boundaries/initial_<k>/<class a>_<class b>;
// each with <name>_uncertainty (class_boundaries in nmsweep/sweep/reducers.hpp).
void write_attractor_maps(h5::result_writer& w, const sweep_spec& s, const attractor_table& t) {
    if (!s.sampler.kind.empty()) return; // scattered samples: no grid to draw on
    const grid_layout L = grid_layout_of(s);
    const long ia = L.initial;
    const std::vector<std::size_t>& other = L.other;
    const std::size_t n_other = L.n_other, n_ic = L.n_ic;
    std::vector<std::size_t> shape;
    std::vector<std::string> names;
    std::vector<std::vector<double>> values;
    std::vector<bool> categorical; // ez and lesion axes: no boundary between two of their labels
    for (auto a : other) {
        categorical.push_back(s.axis_refs[a].k == param_ref::kind::hypothesis ||
                              s.axis_refs[a].k == param_ref::kind::lesion);
        shape.push_back(s.axes[a].values.size());
        names.push_back(s.axes[a].name);
        values.push_back(s.axes[a].values);
    }
    std::vector<long> codes(n_other, -1), multi(n_other, -1), counts(n_other, -1);
    if (ia >= 0) {
        std::vector<double> n_att(n_other), ms(n_other), dom(n_other);
        for (std::size_t o = 0; o < n_other; ++o) {
            const attractor_signature g = point_signature(t, L.rows(s, o), s.attractor);
            n_att[o] = double(std::max(g.n, 0L));
            ms[o] = g.n > 1 ? 1.0 : 0.0;
            dom[o] = double(g.cls);
            codes[o] = g.cls;
            multi[o] = g.cls < 0 ? -1 : (g.n > 1 ? 1 : 0);
            counts[o] = g.cls < 0 ? -1 : g.n;
        }
        const std::string how =
            "among the " + std::to_string(n_ic) +
            " initial conditions of each point (same class, amplitude, mean and frequency within "
            "cluster_tol; see the README)";
        w.write_array("features/n_attractors", shape, n_att.data(), names, {}, "",
                      "number of distinct attractors " + how);
        w.write_array("features/multistable", shape, ms.data(), names, {}, "", "1 where n_attractors > 1");
        w.write_array(
            "features/dominant_class", shape, dom.data(), names, {}, "",
            "attractor class reached by most initial conditions (ties: the lower code; 0 fixed point, 1 "
            "periodic, 2 irregular, 3 diverged, 4 unresolved)");
    } else {
        for (std::size_t o = 0; o < n_other; ++o) codes[o] = long(t.cls[o]);
    }
    if (other.empty() || other.size() > 2) return;
    std::vector<std::string> class_names;
    for (int c = 0; c < n_attractor_codes; ++c) class_names.push_back(attractor_class_name(c));
    std::vector<std::string> units;
    for (auto a : other) units.push_back(s.axes[a].unit);
    // Each boundary [n_points, n_axes] and its uncertainty (half the spacing
    // of the two cells along the axis it crosses), under boundaries/<group>.
    auto write = [&](const std::vector<class_boundary>& bs, const std::string& group,
                     const std::string& source) {
        for (const auto& b : bs) {
            const std::string name = "boundaries/" + group + b.name;
            const std::string dim = name.substr(name.rfind('/') + 1) + "_point";
            const std::size_t d = other.size(), n = b.points.size() / d;
            w.write_array(name, {n, d}, b.points.data(), {dim, "coordinate"}, {}, "",
                          "midpoints between neighbouring grid cells of different class in " + source +
                              " (columns: the axes named in attribute 'axes', in their units)");
            w.set_attr(name, "axes", names);
            w.set_attr(name, "axis_units", units);
            w.set_attr(name, "class_map", source);
            w.write_array(name + "_uncertainty", {n, d}, b.uncertainty.data(), {dim, "coordinate"}, {}, "",
                          "half the spacing of the two cells along the axis the boundary crosses there "
                          "(0 along the others): the boundary lies within midpoint +- this");
        }
    };
    write(class_boundaries(codes, values, class_names, categorical), "",
          ia >= 0 ? "features/dominant_class" : "features/attractor_class");
    if (ia < 0) return;
    write(class_boundaries(multi, values, {"monostable", "multistable"}, categorical), "",
          "features/multistable");
    long most = 0;
    for (long c : counts) most = std::max(most, c);
    std::vector<std::string> count_names;
    for (long c = 0; c <= most; ++c) count_names.push_back(std::to_string(c));
    write(class_boundaries(counts, values, count_names, categorical), "n_attractors_",
          "features/n_attractors");
    // Each initial condition's own class map (attractor_class at that start).
    for (std::size_t k = 0; k < n_ic; ++k) {
        std::vector<long> own(n_other);
        for (std::size_t o = 0; o < n_other; ++o) own[o] = long(t.cls[L.rows(s, o)[k]]);
        write(class_boundaries(own, values, class_names, categorical), "initial_" + std::to_string(k) + "/",
              "features/attractor_class at initial = " + std::to_string(k));
    }
}

} // namespace nms
