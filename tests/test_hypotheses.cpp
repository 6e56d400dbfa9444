// Epileptogenic-zone hypothesis axes ([[sweep]] ez = { ... }): the
// hypotheses each spec form gives, the per-node vectors make_batch sets,
// the result file's datasets, every bad input's message, and the physics
// (only the zone's node seizes).

#include "cli_util.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/refine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <string>

using namespace nms;
using namespace nms::cli_test;

namespace {

// An epileptor2d spec over `net` (uncoupled) with the given axes.
std::string spec_text(const std::string& sweeps, const std::string& net = "synthetic:6",
                      const std::string& model_extra = "") {
    return "[model]\nname = \"epileptor2d\"\n" + model_extra + "[network]\nconnectome = \"" + net +
           "\"\n[coupling]\nkind = \"linear\"\na = 0.0\n[integrator]\ndt = 0.1\nduration = 5.0\n" + sweeps +
           "[output]\nobservable = \"x1\"\nfeatures = [\"max\"]\n";
}

// The spec written as ez.toml in the test's scratch folder (files beside it).
std::string write_spec(const std::string& text) {
    const auto p = scratch() / "ez.toml";
    std::ofstream(p) << text;
    return p.string();
}

void write_file(const std::string& name, const std::string& text) { std::ofstream(scratch() / name) << text; }

sweep_spec load(const std::string& text) { return load_spec(write_spec(text)); }

// Message of the input_error that loading the spec throws ("" if none).
std::string error_of(const std::string& text) {
    try {
        load(text);
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

// 1-based line of the first line of text containing needle.
int line_of(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    return at == std::string::npos ? -1 : 1 + int(std::count(text.begin(), text.begin() + long(at), '\n'));
}

// A float64 .npy array, C order.
void write_npy(const std::string& name, std::size_t rows, std::size_t cols, const std::vector<double>& v) {
    std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                    std::to_string(cols) + "), }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::string out = "\x93NUMPY";
    out += char(1);
    out += char(0);
    out += char(h.size() & 0xff);
    out += char(h.size() >> 8);
    out += h;
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
    std::ofstream(scratch() / name, std::ios::binary) << out;
}

const std::string all_k1 = "[[sweep]]\nparam = \"model.x0\"\nez = { regions = \"all\", k = 1, value = -1.6, "
                           "base = -2.2 }\n";

// model.x0 of instance j in a batch: its per-node vector.
std::vector<double> x0_of(const batch& b, std::size_t j, std::size_t n) {
    const field& f = b.params.at("model.x0");
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = f.at(i, j, b.n_instances);
    return v;
}

std::vector<double> zone(std::size_t n, const std::set<std::size_t>& in, double value, double base) {
    std::vector<double> v(n, base);
    for (auto i : in) v[i] = value;
    return v;
}

} // namespace

TEST(ez_axis, every_single_region) {
    const sweep_spec s = load(spec_text(all_k1));
    ASSERT_EQ(s.axes.size(), 1u);
    EXPECT_EQ(s.axes[0].name, "ez");
    EXPECT_EQ(s.axes[0].unit, "");
    EXPECT_EQ(s.axes[0].values, (std::vector<double>{0, 1, 2, 3, 4, 5}));
    ASSERT_EQ(s.hypotheses.size(), 1u);
    EXPECT_EQ(s.hypotheses[0].labels, (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4", "r5"}));
    const connectome net = load_network(s);
    const batch b = make_batch(s, net, 0, 6);
    EXPECT_NO_THROW(check_batch(b));
    EXPECT_EQ(b.params.at("model.x0").k, field::kind::per_node_instance);
    for (std::size_t h = 0; h < 6; ++h) EXPECT_EQ(x0_of(b, h, 6), zone(6, {h}, -1.6, -2.2)) << h;
}

TEST(ez_axis, pairs_of_a_candidate_list_in_lexicographic_order) {
    const sweep_spec s = load(spec_text("[[sweep]]\nparam = \"model.x0\"\nez = { regions = [\"r1\", \"r3\", "
                                        "0, \"r5\"], k = 2, value = -1.5 }\n",
                                        "synthetic:6", "params = { x0 = -2.4 }\n"));
    const auto& h = s.hypotheses.at(0);
    EXPECT_EQ(h.labels, (std::vector<std::string>{"r1+r3", "r1+r0", "r1+r5", "r3+r0", "r3+r5", "r0+r5"}));
    const std::vector<std::set<std::size_t>> want{{1, 3}, {1, 0}, {1, 5}, {3, 0}, {3, 5}, {0, 5}};
    const batch b = make_batch(s, load_network(s), 0, 6);
    for (std::size_t k = 0; k < 6; ++k) EXPECT_EQ(x0_of(b, k, 6), zone(6, want[k], -1.5, -2.4)) << k;
}

TEST(ez_axis, random_subsets_are_distinct_and_reproducible) {
    auto subsets = [](long seed, long n, const std::string& net) {
        return load(spec_text("[[sweep]]\nparam = \"model.x0\"\nez = { regions = \"all\", k = 3, n = " +
                                  std::to_string(n) + ", seed = " + std::to_string(seed) +
                                  ", value = -1.6 }\n",
                              net))
            .hypotheses.at(0);
    };
    const auto a = subsets(7, 20, "synthetic:12");
    ASSERT_EQ(a.size(), 20u);
    std::set<std::vector<std::size_t>> seen;
    for (const auto& m : a.members) {
        EXPECT_EQ(m.size(), 3u);
        EXPECT_EQ(std::set<std::size_t>(m.begin(), m.end()).size(), 3u);
        EXPECT_TRUE(std::is_sorted(m.begin(), m.end())); // member order: the candidates' order
        seen.insert(m);
    }
    EXPECT_EQ(seen.size(), 20u);
    EXPECT_EQ(subsets(7, 20, "synthetic:12").labels, a.labels);
    EXPECT_NE(subsets(8, 20, "synthetic:12").labels, a.labels);
    // The same subsets on every machine (mt19937_64 and Floyd's sampling are portable).
    EXPECT_EQ(a.labels[0], "r5+r6+r7");
    EXPECT_EQ(a.labels[1], "r0+r5+r6");
    // Most of the subsets (a random choice among all of them): still distinct.
    const auto b = subsets(3, 18, "synthetic:6");
    EXPECT_EQ(std::set<std::vector<std::size_t>>(b.members.begin(), b.members.end()).size(), 18u);
}

TEST(ez_axis, file_of_label_rows_and_of_numeric_rows) {
    write_file("hyp.csv", "# one zone per row\nr1, r2\n\nr4  # a single region\n");
    const sweep_spec s =
        load(spec_text("[[sweep]]\nparam = \"model.x0\"\nez = { file = \"hyp.csv\", value = -1.7 }\n",
                       "synthetic:6", "params = { x0 = [-2.0, -2.1, -2.2, -2.3, -2.4, -2.5] }\n"));
    const auto& h = s.hypotheses.at(0);
    EXPECT_EQ(h.labels, (std::vector<std::string>{"r1+r2", "r4"}));
    const batch b = make_batch(s, load_network(s), 0, 2);
    EXPECT_EQ(x0_of(b, 0, 6),
              (std::vector<double>{-2.0, -1.7, -1.7, -2.3, -2.4, -2.5})); // base: the spec's array
    EXPECT_EQ(x0_of(b, 1, 6), (std::vector<double>{-2.0, -2.1, -2.2, -2.3, -1.7, -2.5}));

    write_file("vec.txt", "-2.2 -2.2 -1.6 -2.2 -2.2 -2.2\n-2.2,-1.8,-2.2,-2.2,-1.9,-2.2\n");
    const sweep_spec t =
        load(spec_text("[[sweep]]\nparam = \"model.x0\"\nez = { file = \"vec.txt\", name = \"v\" }\n"));
    const auto& g = t.hypotheses.at(0);
    EXPECT_EQ(t.axes[0].name, "v");
    EXPECT_EQ(g.labels, (std::vector<std::string>{"row 1", "row 2"}));
    EXPECT_EQ(g.members[0], (std::vector<std::size_t>{2}));    // differs from the row's most common value
    EXPECT_EQ(g.members[1], (std::vector<std::size_t>{1, 4})); // (the zone's values need not be equal)
    const batch c = make_batch(t, load_network(t), 0, 2);
    EXPECT_EQ(x0_of(c, 1, 6), (std::vector<double>{-2.2, -1.8, -2.2, -2.2, -1.9, -2.2}));

    write_npy("vec.npy", 2, 6, {-2.2, -2.2, -1.6, -2.2, -2.2, -2.2, -1.6, -1.6, -2.2, -2.2, -2.2, -2.2});
    const sweep_spec u = load(spec_text("[[sweep]]\nparam = \"model.x0\"\nez = { file = \"vec.npy\" }\n"));
    EXPECT_EQ(u.hypotheses.at(0).labels, (std::vector<std::string>{"row 1", "row 2"}));
    EXPECT_EQ(u.hypotheses.at(0).members[1], (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(x0_of(make_batch(u, load_network(u), 1, 1), 0, 6), zone(6, {0, 1}, -1.6, -2.2));
}

TEST(ez_axis, base_defaults_to_the_node_file_or_the_model_default) {
    write_file("x0.csv", "r2 -2.5\n");
    const std::string ez = "[[sweep]]\nparam = \"model.x0\"\nez = { regions = [\"r0\"], value = -1.2 }\n";
    const sweep_spec s =
        load(spec_text(ez, "synthetic:4", "params = { x0 = { file = \"x0.csv\", default = -2.2 } }\n"));
    EXPECT_EQ(x0_of(make_batch(s, load_network(s), 0, 1), 0, 4),
              (std::vector<double>{-1.2, -2.2, -2.5, -2.2}));
    const sweep_spec t = load(spec_text(ez, "synthetic:4")); // epileptor2d's default x0 = -1.6
    EXPECT_EQ(x0_of(make_batch(t, load_network(t), 0, 1), 0, 4),
              (std::vector<double>{-1.2, -1.6, -1.6, -1.6}));
}

TEST(ez_axis, grid_with_coupling_and_node_entry_override) {
    const sweep_spec s =
        load(spec_text(all_k1 + "[[sweep]]\nparam = \"coupling.a\"\nvalues = [0.0, 0.5, 1.0]\n"
                                "[[sweep]]\nparam = \"model.x0[2]\"\nvalues = [-3.0, -2.9]\n"));
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{6, 3, 2}));
    const connectome net = load_network(s);
    const std::size_t first = 5, count = 30;
    const batch b = make_batch(s, net, first, count);
    EXPECT_NO_THROW(check_batch(b));
    for (std::size_t j = 0; j < count; ++j) {
        const std::size_t g = first + j, h = g / 6, ia = (g / 2) % 3, ie = g % 2;
        EXPECT_DOUBLE_EQ(b.params.at("coupling.a").v[j], 0.5 * double(ia)) << g;
        auto want = zone(6, {h}, -1.6, -2.2);
        want[2] = ie ? -2.9 : -3.0; // the node entry applies after the hypothesis
        EXPECT_EQ(x0_of(b, j, 6), want) << g;
    }
}

// Two ez axes (on two parameters) and a node entry, from tests/data/specs.
TEST(ez_axis, two_axes_from_a_spec_file) {
    const sweep_spec s = load_spec(data + "/specs/good_ez.toml");
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{3, 2, 2, 1}));
    EXPECT_EQ(s.axes[1].name, "ez_coupling");
    EXPECT_EQ(s.hypotheses.at(0).labels, (std::vector<std::string>{"r2+r0", "r2+r4", "r0+r4"}));
    EXPECT_EQ(s.hypotheses.at(1).labels, (std::vector<std::string>{"r1", "r3+r5"}));
    const batch b = make_batch(s, load_network(s), 0, 12);
    EXPECT_NO_THROW(check_batch(b));
    const std::vector<std::set<std::size_t>> x0_zone{{2, 0}, {2, 4}, {0, 4}}, a_zone{{1}, {3, 5}};
    const field& a = b.params.at("coupling.a");
    for (std::size_t g = 0; g < 12; ++g) {
        auto want = zone(6, x0_zone[g / 4], -1.6, -2.2);
        want[5] = -2.5;
        EXPECT_EQ(x0_of(b, g, 6), want) << g;
        for (std::size_t i = 0; i < 6; ++i)
            EXPECT_EQ(a.at(i, g, 12), a_zone[(g / 2) % 2].count(i) ? 0.5 : 0.0);
        EXPECT_EQ(b.params.at("model.Ks").v[g], g % 2 ? -0.5 : 0.0);
    }
}

TEST(ez_axis, combines_with_a_sampler) {
    const sweep_spec s = load(spec_text(
        "[sampler]\nkind = \"lhs\"\nn = 3\nseed = 2\nranges = { \"coupling.a\" = [0.0, 1.0] }\n" + all_k1,
        "synthetic:4"));
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{3, 4}));
    const batch b = make_batch(s, load_network(s), 0, 12);
    for (std::size_t g = 0; g < 12; ++g) {
        EXPECT_DOUBLE_EQ(b.params.at("coupling.a").v[g], s.sampler.values[0][g / 4]);
        EXPECT_EQ(x0_of(b, g, 4), zone(4, {g % 4}, -1.6, -2.2)) << g;
    }
}

// The refinement and the class boundaries never cross an ez axis.
TEST(ez_axis, refinement_and_boundaries_skip_categorical_axes) {
    const std::vector<std::vector<double>> axes{{0, 1, 2}, {0.0, 1.0}};
    // Classes differ along both axes.
    const std::vector<attractor_signature> grid{{0, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 1}, {0, 1}};
    std::vector<std::vector<double>> asked;
    const auto res = refine_boundaries(axes, grid, {0.5, 0.1}, 100,
                                       [&](const std::vector<std::vector<double>>& pts) {
                                           asked.insert(asked.end(), pts.begin(), pts.end());
                                           std::vector<attractor_signature> out;
                                           for (const auto& p : pts)
                                               out.push_back({p[1] < 0.3 + 0.2 * p[0] ? 0L : 1L, 1});
                                           return out;
                                       },
                                       {true, false});
    ASSERT_FALSE(res.boundaries.empty());
    for (const auto& b : res.boundaries) EXPECT_EQ(b.axis, 1u);
    for (const auto& p : asked) EXPECT_EQ(p[0], std::floor(p[0])) << "bisected the ez axis at " << p[0];
    const auto cb = class_boundaries({0, 1, 1, 1, 0, 0}, axes, {"a", "b"}, {true, false});
    ASSERT_EQ(cb.size(), 1u);
    for (std::size_t k = 0; k < cb[0].points.size(); k += 2)
        EXPECT_EQ(cb[0].points[k], std::floor(cb[0].points[k]));
}

// A run with refinement: the attractor changes along model.Iext only under
// hypothesis 1 (x0 = -2.0 seizes from Iext ~ 2.9 on, -2.3 never); the
// brackets and map boundaries run along Iext, at the hypotheses themselves.
TEST(ez_axis, refinement_run_bisects_only_the_numeric_axis) {
    write_file("two.csv", "-2.3 -2.3\n-2.0 -2.0\n");
    const std::string spec = write_spec(
        "[model]\nname = \"epileptor2d\"\n[network]\nconnectome = \"synthetic:2\"\n[coupling]\nkind = "
        "\"linear\"\na = 0.0\n[integrator]\ndt = 0.1\nduration = 20000.0\ntransient = 2000.0\nprecision = "
        "\"double\"\n[[sweep]]\nparam = \"model.x0\"\nez = { file = \"two.csv\" }\n[[sweep]]\nparam = "
        "\"model.Iext\"\nvalues = [2.0, 2.6, 3.1, 3.6]\n[output]\nobservable = \"x1\"\nsample_every = 10\n"
        "features = [\"attractor\"]\n[output.attractor]\nrefine = { tol = 0.05, max_points = 20 }\n");
    const auto out = tmp("refine.h5");
    const auto r = sh("run -q " + spec + " -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(read(out, "features/attractor_class"), (std::vector<double>{0, 0, 0, 0, 0, 0, 1, 1}));
    std::vector<std::size_t> shape;
    const auto pts = read(out, "boundaries/refined/points", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(pts[0], 1.0);
    EXPECT_NEAR(pts[1], 2.9, 0.1);
    EXPECT_EQ(read(out, "boundaries/refined/axis"), (std::vector<double>{1.0}));
    const auto samples = read(out, "boundaries/refined/samples");
    ASSERT_FALSE(samples.empty());
    for (std::size_t k = 0; k < samples.size(); k += 2) EXPECT_EQ(samples[k], 1.0);
    EXPECT_EQ(read(out, "boundaries/fixed_point_periodic"), (std::vector<double>{1.0, 2.85}));
}

TEST(ez_axis, check_info_and_the_result_file) {
    const std::string spec = write_spec(spec_text(
        "[[sweep]]\nparam = \"model.x0\"\nez = { regions = \"all\", k = 2, value = -1.6, base = -2.2 }\n"
        "[[sweep]]\nparam = \"coupling.a\"\nvalues = [0.0, 0.1]\n",
        "synthetic:4"));
    const auto c = sh("check " + spec);
    ASSERT_EQ(c.code, 0) << c.output;
    EXPECT_NE(c.output.find("grid: ez[6] x coupling.a[2] = 12 points"), std::string::npos) << c.output;
    EXPECT_NE(c.output.find("ez: 6 hypotheses of model.x0: r0+r1, r0+r2, r0+r3, r1+r2, r1+r3, ..."),
              std::string::npos)
        << c.output;
    const auto out = tmp("ez.h5");
    const auto r = sh("run -q --threads 1 " + spec + " -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(read(out, "axes/ez"), (std::vector<double>{0, 1, 2, 3, 4, 5}));
    const std::vector<std::string> labels{"r0+r1", "r0+r2", "r0+r3", "r1+r2", "r1+r3", "r2+r3"};
    EXPECT_EQ(h5::read_strings_attr(out.string(), "axes/ez", "labels"), labels);
    std::vector<std::size_t> shape;
    const auto mask = read(out, "hypotheses/ez/mask", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{6, 4}));
    const auto values = read(out, "hypotheses/ez/values");
    for (std::size_t h = 0; h < 6; ++h)
        for (std::size_t i = 0; i < 4; ++i) {
            const bool in = labels[h].find("r" + std::to_string(i)) != std::string::npos;
            EXPECT_EQ(mask[h * 4 + i], in ? 1.0 : 0.0) << h << " " << i;
            EXPECT_EQ(values[h * 4 + i], in ? -1.6 : -2.2) << h << " " << i;
        }
    EXPECT_EQ(h5::dimension_names(out.string(), "hypotheses/ez/mask"),
              (std::vector<std::string>{"ez", "node"}));
    read(out, "features/max", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{6, 2, 4}));
    const auto info = sh("info " + out.string());
    EXPECT_NE(info.output.find("hypotheses of model.x0: r0+r1, r0+r2, r0+r3, r1+r2, r1+r3, r2+r3"),
              std::string::npos)
        << info.output;
}

// Each bad input: one input_error naming the spec file, the line, the key
// and the value; from the command line exit 2 and no result file.
TEST(ez_axis, bad_inputs_name_file_line_key_and_value) {
    struct bad {
        std::string sweep, key, value, net = "synthetic:6";
    };
    write_file("rows.csv", "r1 r2\n r1 , r1\n");
    write_file("unknown.csv", "r1\nr2 rQ\n");
    write_file("empty.csv", "r1\n,\n");
    write_file("short.csv", "-2.2 -2.2 -1.6\n");
    const std::string p = "[[sweep]]\nparam = \"model.x0\"\n";
    const std::vector<bad> cases{
        {p + "ez = { regions = [\"r1\", \"rX\"], value = -1.6 }\n", "ez.regions", "\"rX\""},
        {p + "ez = { regions = [], value = -1.6 }\n", "ez.regions", "[]"},
        {p + "ez = { file = \"empty.csv\", value = -1.6 }\n", "ez.file", "empty.csv:2"},
        {p + "ez = { regions = \"all\", k = 0, value = -1.6 }\n", "ez.k", "0"},
        {p + "ez = { regions = [\"r1\", \"r2\"], k = 3, value = -1.6 }\n", "ez.k", "3"},
        {p + "ez = { regions = \"all\", k = 5, value = -1.6 }\n", "ez.k", "5", "synthetic:4"},
        {p + "ez = { regions = [0, 1, 2, 3], k = 2, n = 7, value = -1.6 }\n", "ez.n", "7"},
        {p + "ez = { regions = \"all\", k = 2, n = 7, value = -1.6 }\n", "ez.n", "7", "synthetic:4"},
        {p + "ez = { file = \"short.csv\" }\n", "ez.file", "short.csv:1"},
        {p + "ez = { file = \"rows.csv\", value = -1.6 }\n", "ez.file", "rows.csv:2"},
        {p + "ez = { regions = [\"r1\", 1], value = -1.6 }\n", "ez.regions", "1"},
        {p + "ez = { file = \"unknown.csv\", value = -1.6 }\n", "ez.file", "rQ"},
        {"[[sweep]]\nparam = \"model.x9\"\nez = { regions = \"all\", value = -1.6 }\n", "param", "model.x9"},
        {"[[sweep]]\nparam = \"noise.seed\"\nez = { regions = \"all\", value = 1 }\n", "param", "noise.seed"},
        {"[[sweep]]\nparam = \"model.x0[2]\"\nez = { regions = \"all\", value = 1 }\n", "param",
         "model.x0[2]"},
        {p + "ez = { regions = \"all\", value = nan }\n", "ez.value", "nan"},
        {p + "ez = { regions = \"all\", value = -1.6, base = inf }\n", "ez.base", "inf"},
        {p + "linspace = [-2.2, -1.6, 3]\nez = { regions = \"all\", value = -1.6 }\n", "linspace", "[-2.2"},
        {all_k1 + p + "ez = { regions = [1], value = -1.7, name = \"ez2\" }\n", "param", "model.x0"},
        {all_k1 + p + "values = [-2.0]\n", "param", "model.x0"},
    };
    for (const auto& c : cases) {
        const std::string text = spec_text(c.sweep, c.net);
        const std::string msg = error_of(text);
        ASSERT_FALSE(msg.empty()) << c.sweep;
        const std::string key_line = c.key == "param"             ? "param"
                                     : c.key.substr(0, 2) == "ez" ? "ez = {"
                                                                  : c.key;
        // The last line naming the key: a second axis is the culprit.
        int line = -1;
        for (std::size_t at = text.find(key_line); at != std::string::npos; at = text.find(key_line, at + 1))
            line = 1 + int(std::count(text.begin(), text.begin() + long(at), '\n'));
        EXPECT_NE(msg.find("ez.toml:" + std::to_string(line) + ": [sweep] " + c.key), std::string::npos)
            << c.sweep << "\n -> " << msg;
        EXPECT_NE(msg.find(c.value), std::string::npos) << c.sweep << "\n -> " << msg;
    }
    EXPECT_NE(error_of(spec_text(cases[0].sweep)).find("did you mean"), std::string::npos);
    EXPECT_NE(error_of(spec_text(cases[11].sweep)).find("did you mean"), std::string::npos);
    EXPECT_NE(error_of(spec_text(cases[12].sweep)).find("did you mean 'x0'"), std::string::npos);
    // From the command line: exit 2, nothing written.
    const std::string spec = write_spec(spec_text(cases[0].sweep));
    const auto out = tmp("bad.h5");
    const auto r = sh("run -q " + spec + " -o " + out.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out.string() + ".partial"));
}

// Uncoupled 2-D Epileptors: x0 = -1.6 lies above the seizure threshold
// x0 = -2.062, -2.3 below it; exactly the zone's node seizes (x1 > 0).
TEST(ez_axis, only_the_zone_seizes) {
    const std::string spec = write_spec(
        "[model]\nname = \"epileptor2d\"\n[network]\nconnectome = \"synthetic:5\"\n[coupling]\nkind = "
        "\"linear\"\na = 0.0\n[integrator]\ndt = 0.1\nduration = 6000.0\nprecision = \"double\"\n"
        "[[sweep]]\nparam = \"model.x0\"\nez = { regions = \"all\", k = 1, value = -1.6, base = -2.3 }\n"
        "[output]\nobservable = \"x1\"\nfeatures = [\"max\"]\n");
    const auto out = tmp("seize.h5");
    const auto r = sh("run -q " + spec + " -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    const auto mx = read(out, "features/max");
    ASSERT_EQ(mx.size(), 25u);
    for (std::size_t h = 0; h < 5; ++h)
        for (std::size_t i = 0; i < 5; ++i) {
            if (i == h)
                EXPECT_GT(mx[h * 5 + i], 0.0) << "hypothesis " << h << ": its zone did not seize";
            else
                EXPECT_LT(mx[h * 5 + i], -1.0) << "hypothesis " << h << ": node " << i << " seized";
        }
}
