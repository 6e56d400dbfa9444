#include "attractor_maps.hpp"

#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>

namespace nms {

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
    const std::size_t na = s.axes.size();
    long ia = -1;
    for (std::size_t a = 0; a < na; ++a)
        if (s.axis_refs[a].k == param_ref::kind::initial) ia = long(a);
    std::vector<std::size_t> other;
    for (std::size_t a = 0; a < na; ++a)
        if (long(a) != ia) other.push_back(a);
    std::vector<std::size_t> shape;
    std::vector<std::string> names;
    std::vector<std::vector<double>> values;
    std::size_t n_other = 1;
    for (auto a : other) {
        shape.push_back(s.axes[a].values.size());
        names.push_back(s.axes[a].name);
        values.push_back(s.axes[a].values);
        n_other *= s.axes[a].values.size();
    }
    const std::size_t n_ic = ia >= 0 ? s.axes[std::size_t(ia)].values.size() : 1;
    // Grid point of (other-axes point o, initial condition k), C order.
    auto point = [&](std::size_t o, std::size_t k) {
        std::vector<std::size_t> idx(na);
        for (std::size_t q = other.size(); q-- > 0;) {
            idx[other[q]] = o % shape[q];
            o /= shape[q];
        }
        if (ia >= 0) idx[std::size_t(ia)] = k;
        std::size_t p = 0;
        for (std::size_t a = 0; a < na; ++a) p = p * s.axes[a].values.size() + idx[a];
        return p;
    };
    std::vector<long> codes(n_other, -1), multi(n_other, -1), counts(n_other, -1);
    if (ia >= 0) {
        std::vector<double> n_att(n_other), ms(n_other), dom(n_other);
        for (std::size_t o = 0; o < n_other; ++o) {
            std::vector<attractor_summary> res;
            int count[n_attractor_codes] = {0};
            for (std::size_t k = 0; k < n_ic; ++k) {
                const std::size_t p = point(o, k);
                const int c = int(t.cls[p]);
                if (c < 0 || c >= n_attractor_codes) continue;
                ++count[c];
                res.push_back({c, t.amplitude[p], t.frequency[p], t.mean[p]});
            }
            const std::size_t n = count_attractors(res, s.attractor);
            int best = 0;
            for (int c = 1; c < n_attractor_codes; ++c)
                if (count[c] > count[best]) best = c;
            n_att[o] = double(n);
            ms[o] = n > 1 ? 1.0 : 0.0;
            dom[o] = res.empty() ? -1.0 : double(best);
            codes[o] = res.empty() ? -1 : best;
            multi[o] = res.empty() ? -1 : (n > 1 ? 1 : 0);
            counts[o] = res.empty() ? -1 : long(n);
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
    auto write = [&](const std::vector<class_boundary>& bs, const std::string& group, const std::string& source) {
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
    write(class_boundaries(codes, values, class_names), "",
          ia >= 0 ? "features/dominant_class" : "features/attractor_class");
    if (ia < 0) return;
    write(class_boundaries(multi, values, {"monostable", "multistable"}), "", "features/multistable");
    long most = 0;
    for (long c : counts) most = std::max(most, c);
    std::vector<std::string> count_names;
    for (long c = 0; c <= most; ++c) count_names.push_back(std::to_string(c));
    write(class_boundaries(counts, values, count_names), "n_attractors_", "features/n_attractors");
    // Each initial condition's own class map (attractor_class at that start).
    for (std::size_t k = 0; k < n_ic; ++k) {
        std::vector<long> own(n_other);
        for (std::size_t o = 0; o < n_other; ++o) own[o] = long(t.cls[point(o, k)]);
        write(class_boundaries(own, values, class_names), "initial_" + std::to_string(k) + "/",
              "features/attractor_class at initial = " + std::to_string(k));
    }
}

} // namespace nms
