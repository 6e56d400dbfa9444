// Lesion axes ([[sweep]] lesion = { ... }, virtual resection): the lesions
// each spec form gives, the networks make_batch builds (removed rows and
// columns, cut tracts, the rest bit for bit), batches that never mix two
// lesions (any axis order, refinement, resume), the result file, every bad
// input's message, and the physics (a resection stops the seizure's spread).

#include "cli_util.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/plan.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

using namespace nms;
using namespace nms::cli_test;

namespace {

void write_file(const std::string& name, const std::string& text) { std::ofstream(scratch() / name) << text; }

// A labelled network (TVB folder "net"): the chain rHC - rAMYG - rPHC - rTP -
// lHC with weights 2, 1, 0.5, 0.5, one asymmetric entry (rPHC -> rHC 0.25)
// and lIns without connections.
void write_net() {
    fs::create_directories(scratch() / "net");
    write_file("net/weights.txt", "0 2 0.25 0 0 0\n"
                                  "2 0 1 0 0 0\n"
                                  "0 1 0 0.5 0 0\n"
                                  "0 0 0.5 0 0.5 0\n"
                                  "0 0 0 0.5 0 0\n"
                                  "0 0 0 0 0 0\n");
    std::string len;
    for (int i = 0; i < 6; ++i) {
        for (int j = 0; j < 6; ++j) len += std::to_string(i == j ? 0 : 10 + 7 * std::abs(i - j)) + " ";
        len += "\n";
    }
    write_file("net/tract_lengths.txt", len);
    write_file("net/centres.txt",
               "rHC 10 0 0\nrAMYG 20 0 0\nrPHC 30 0 0\nrTP 40 0 0\nlHC -10 0 0\nlIns -20 0 0\n");
}

// An epileptor2d spec on the labelled network with the given axes.
std::string spec_text(const std::string& sweeps, const std::string& normalise = "none",
                      const std::string& model_extra = "") {
    return "[model]\nname = \"epileptor2d\"\n" + model_extra +
           "[network]\nconnectome = \"net\"\nspeed = 2.0\nnormalise = \"" + normalise +
           "\"\n[coupling]\nkind = \"difference\"\na = 1.0\n[integrator]\ndt = 0.1\nduration = 5.0\n" +
           sweeps + "[output]\nobservable = \"x1\"\nfeatures = [\"max\"]\n";
}

std::string write_spec(const std::string& text) {
    write_net();
    const auto p = scratch() / "lesion.toml";
    std::ofstream(p) << text;
    return p.string();
}

sweep_spec load(const std::string& text) { return load_spec(write_spec(text)); }

std::string error_of(const std::string& text) {
    try {
        load(text);
    } catch (const input_error& e) {
        return e.what();
    }
    return "";
}

// Weight (i, j) of the network under a lesion: removed nodes' rows and
// columns and cut tracts are 0, everything else as in the intact one.
double lesioned_w(const connectome& net, std::size_t i, std::size_t j, const std::set<std::size_t>& removed,
                  const std::set<std::pair<std::size_t, std::size_t>>& cut) {
    if (removed.count(i) || removed.count(j)) return 0;
    if (cut.count({std::min(i, j), std::max(i, j)})) return 0;
    return net.w(i, j);
}

const std::string mixed_file = "# one lesion per row\nrAMYG\nrHC, lHC\nrPHC--rTP  # a tract\n";
const std::string mixed_axis = "[[sweep]]\nlesion = { file = \"lesions.txt\", intact = true }\n";

} // namespace

TEST(lesion_axis, each_spec_form) {
    sweep_spec s = load(spec_text("[[sweep]]\nlesion = { regions = [[\"rHC\"], [\"rAMYG\", 2], []] }\n"));
    ASSERT_EQ(s.axes.size(), 1u);
    EXPECT_EQ(s.axes[0].name, "lesion");
    EXPECT_EQ(s.axes[0].values, (std::vector<double>{0, 1, 2}));
    EXPECT_EQ(s.lesions.at(0).labels, (std::vector<std::string>{"-rHC", "-rAMYG -rPHC", "intact"}));
    EXPECT_EQ(s.lesions[0].removed[1], (std::vector<std::size_t>{1, 2}));

    s = load(spec_text("[[sweep]]\nlesion = { each = [\"rTP\", 0], name = \"resection\" }\n"));
    EXPECT_EQ(s.axes[0].name, "resection");
    EXPECT_EQ(s.lesions[0].labels, (std::vector<std::string>{"intact", "-rTP", "-rHC"}));

    s = load(spec_text("[[sweep]]\nlesion = { each = \"all\", intact = false }\n"));
    EXPECT_EQ(s.lesions[0].labels, (std::vector<std::string>{"-rHC", "-rAMYG", "-rPHC", "-rTP", "-lHC"}));
    ASSERT_EQ(s.warnings.size(), 1u); // lIns has no connections: left out
    EXPECT_NE(s.warnings[0].find("lIns"), std::string::npos) << s.warnings[0];

    s = load(
        spec_text("[[sweep]]\nlesion = { tracts = [[[\"rAMYG\", \"rHC\"]], [[\"rPHC\", 3], [1, 2]]] }\n"));
    EXPECT_EQ(s.lesions[0].labels,
              (std::vector<std::string>{"cut rHC--rAMYG", "cut rPHC--rTP cut rAMYG--rPHC"}));
    EXPECT_EQ(s.lesions[0].cut[0], (std::vector<std::pair<std::size_t, std::size_t>>{{0, 1}}));

    write_file("lesions.txt", mixed_file + "rHC 3--4\n");
    s = load(spec_text(mixed_axis));
    EXPECT_EQ(s.lesions[0].labels, (std::vector<std::string>{"intact", "-rAMYG", "-rHC -lHC", "cut rPHC--rTP",
                                                             "-rHC cut rTP--lHC"}));
}

// A lesion axis between two others: each instance's network is its lesion's
// (after normalisation, the rest of the weights and every tract length
// unchanged), batches end where the lesion changes.
TEST(lesion_axis, make_batch_builds_each_lesions_network) {
    write_file("lesions.txt", mixed_file);
    const sweep_spec s =
        load(spec_text("[[sweep]]\nparam = \"coupling.a\"\nvalues = [0.0, 0.5]\n" + mixed_axis +
                           "[[sweep]]\nparam = \"model.x0\"\nvalues = [-2.2, -2.1]\n",
                       "row_sum"));
    EXPECT_EQ(grid_shape(s), (std::vector<std::size_t>{2, 4, 2}));
    const connectome net = load_network(s);
    EXPECT_EQ(net.w(0, 1), 2.0 / 2.25); // normalised first
    const std::vector<std::set<std::size_t>> removed{{}, {1}, {0, 4}, {}};
    const std::vector<std::set<std::pair<std::size_t, std::size_t>>> cut{{}, {}, {}, {{2, 3}}};
    batch b0 = make_batch(s, net, 0, 1);
    const prepared intact = prepare(b0);
    std::map<std::pair<int, int>, int> delay; // (target, source) -> steps, intact
    for (int i = 0; i < 6; ++i)
        for (int e = intact.row_ptr[std::size_t(i)]; e < intact.row_ptr[std::size_t(i) + 1]; ++e)
            delay[{i, intact.src[std::size_t(e)]}] = intact.delay[std::size_t(e)];
    for (std::size_t g = 0; g < 16; ++g) {
        const std::size_t k = (g / 2) % 4;
        EXPECT_EQ(network_index(s, g), k) << g;
        const batch b = make_batch(s, net, g, 1);
        for (std::size_t i = 0; i < 6; ++i)
            for (std::size_t j = 0; j < 6; ++j)
                EXPECT_EQ(b.net.w(i, j), lesioned_w(net, i, j, removed[k], cut[k]))
                    << g << ": " << i << ", " << j;
        EXPECT_EQ(b.net.tract_lengths, net.tract_lengths);
        const prepared P = prepare(b);
        for (int i = 0; i < 6; ++i)
            for (int e = P.row_ptr[std::size_t(i)]; e < P.row_ptr[std::size_t(i) + 1]; ++e)
                EXPECT_EQ(P.delay[std::size_t(e)], delay.at({i, P.src[std::size_t(e)]})) << g;
    }
    // Not renormalised: rAMYG's neighbours' rows no longer sum to 1.
    const batch b = make_batch(s, net, 2, 2);
    EXPECT_DOUBLE_EQ(b.net.w(2, 3), 0.5 / 1.5);
    EXPECT_THROW(make_batch(s, net, 1, 2), std::logic_error); // lesions 0 and 1
    EXPECT_EQ(batch_end(s, 0, 16), 2u);
    EXPECT_EQ(batch_end(s, 3, 13), 4u);
    EXPECT_EQ(batch_end(s, 4, 1), 5u);
    EXPECT_EQ(batch_end(s, 14, 2), 16u);
}

namespace {

// `nmsweep run` through the library (CPU) with a batch size; results under the scratch folder.
std::string run_api(const std::string& spec, const std::string& name, std::size_t batch_size,
                    long stop_after = -1, bool resume = false) {
    sweep_request r;
    r.spec_path = spec;
    r.output = (scratch() / name).string();
    r.backend = "cpu";
    r.threads = 2;
    r.batch_size = batch_size;
    r.stop_after_batches = stop_after;
    r.resume = resume;
    r.overwrite = !resume;
    r.quiet = true;
    run_sweep(r);
    return r.output;
}

} // namespace

// Batches of 3 over a grid whose lesion changes every 2 points (make_batch
// would refuse a mixed batch): the same numbers as batches of 1, also when
// the run is killed and resumed.
TEST(lesion_axis, runs_split_batches_at_lesion_changes) {
    write_file("lesions.txt", mixed_file);
    std::string text = spec_text("[[sweep]]\nparam = \"coupling.a\"\nvalues = [0.0, 0.5]\n" + mixed_axis +
                                     "[[sweep]]\nparam = 'model.x0[\"rHC\"]'\nvalues = [-2.2, -1.6]\n",
                                 "none", "params = { Kvf = 1.0 }\n");
    text.replace(text.find("[\"max\"]"), 7, "[\"mean\"]");
    const std::string spec = write_spec(text);
    const auto one = run_api(spec, "one.h5", 1);
    const auto three = run_api(spec, "three.h5", 3);
    EXPECT_EQ(read(three, "features/mean"), read(one, "features/mean"));
    run_api(spec, "resumed.h5", 3, 2); // killed after two batches
    EXPECT_EQ(read(fs::path(scratch() / "resumed.h5"), "status/done"),
              (std::vector<double>{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    const auto resumed = run_api(spec, "resumed.h5", 3, -1, true);
    EXPECT_EQ(read(resumed, "features/mean"), read(one, "features/mean"));
    // The lesions matter: removing rAMYG (x0 -1.6) changes rHC's (x0 -2.2) trajectory (a = 0.5, Kvf = 1).
    const auto mean = read(one, "features/mean");
    EXPECT_NE(mean[(1 * 8 + 0 * 2 + 0) * 6 + 0], mean[(1 * 8 + 1 * 2 + 0) * 6 + 0]);
    EXPECT_EQ(mean[(0 * 8 + 0 * 2 + 0) * 6 + 0], mean[(0 * 8 + 1 * 2 + 0) * 6 + 0]); // (a = 0: no coupling)
}

TEST(lesion_axis, check_info_simulate_and_the_result_file) {
    write_file("lesions.txt", mixed_file);
    const std::string spec =
        write_spec(spec_text("[[sweep]]\nparam = \"coupling.a\"\nvalues = [0.0, 0.1]\n" + mixed_axis));
    const auto c = sh("check " + spec);
    ASSERT_EQ(c.code, 0) << c.output;
    EXPECT_NE(c.output.find("grid: coupling.a[2] x lesion[4] = 8 points"), std::string::npos) << c.output;
    EXPECT_NE(c.output.find("lesion: 4 lesions: intact, -rAMYG, -rHC -lHC, cut rPHC--rTP"), std::string::npos)
        << c.output;
    EXPECT_NE(c.output.find("9 connections"), std::string::npos) << c.output; // the intact network's
    const auto out = tmp("lesion.h5");
    const auto r = sh("run -q --threads 1 " + spec + " -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(read(out, "axes/lesion"), (std::vector<double>{0, 1, 2, 3}));
    EXPECT_EQ(h5::read_strings_attr(out.string(), "axes/lesion", "labels"),
              (std::vector<std::string>{"intact", "-rAMYG", "-rHC -lHC", "cut rPHC--rTP"}));
    std::vector<std::size_t> shape;
    EXPECT_EQ(read(out, "lesions/lesion/removed", &shape),
              (std::vector<double>{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(shape, (std::vector<std::size_t>{4, 6}));
    EXPECT_EQ(h5::dimension_names(out.string(), "lesions/lesion/removed"),
              (std::vector<std::string>{"lesion", "node"}));
    EXPECT_EQ(read(out, "lesions/lesion/cut", &shape), (std::vector<double>{3, 2, 3}));
    EXPECT_EQ(shape, (std::vector<std::size_t>{1, 3}));
    const auto rw = read(out, "lesions/lesion/removed_weight");
    const double total = 2 * 2 + 2 * 1 + 0.25 + 4 * 0.5;
    EXPECT_EQ(rw[0], 0.0);
    EXPECT_DOUBLE_EQ(rw[1], (2 * 2 + 2 * 1) / total);
    EXPECT_DOUBLE_EQ(rw[2], (2 * 2 + 0.25 + 2 * 0.5) / total);
    EXPECT_DOUBLE_EQ(rw[3], 1.0 / total);
    read(out, "features/max", &shape);
    EXPECT_EQ(shape, (std::vector<std::size_t>{2, 4, 6}));
    const auto info = sh("info " + out.string());
    EXPECT_NE(info.output.find(
                  "lesions of the network: intact, -rAMYG, -rHC -lHC, cut rPHC--rTP (/lesions/lesion)"),
              std::string::npos)
        << info.output;
    // simulate a point on the lesion axis: its label, and its network (rAMYG removed, coupling 0.1).
    const auto sim = tmp("sim.h5");
    const auto q = sh("simulate -q --point 5 " + spec + " -o " + sim.string());
    ASSERT_EQ(q.code, 0) << q.output;
    EXPECT_EQ(h5::read_string_attr(sim.string(), "parameters", "lesion.label"), "-rAMYG");
    const auto st = read(sim, "timeseries/state", &shape);
    const auto mx = read(out, "features/max");
    double x1max = -1e300; // rHC's x1 (variable 0)
    for (std::size_t t = 0; t < shape[0]; ++t) x1max = std::max(x1max, st[t * shape[1] * 6 + 0]);
    EXPECT_FLOAT_EQ(x1max, mx[5 * 6 + 0]);
}

// Each bad input: one input_error naming the spec file, the line, the key
// and the value; from the command line exit 2 and no result file.
TEST(lesion_axis, bad_inputs_name_file_line_key_and_value) {
    struct bad {
        std::string sweep, key, value;
    };
    write_file("unknown.txt", "rHC\nrAMYG rPHX\n");
    write_file("removed.txt", "rHC rHC--rAMYG\n");
    write_file("twice.txt", "rTP, rTP\n");
    const std::string l = "[[sweep]]\nlesion = ";
    const std::vector<bad> cases{
        {l + "{ regions = [[\"rHC\"], [\"rAMYC\"]] }\n", "lesion.regions", "\"rAMYC\""},
        {l + "{ regions = [[9]] }\n", "lesion.regions", "9"},
        {l + "{ each = [] }\n", "lesion.each", "[]"},
        {l + "{ regions = [[\"lIns\"]] }\n", "lesion.regions", "\"lIns\""},
        {l + "{ tracts = [[[\"rHC\", \"rTP\"]]] }\n", "lesion.tracts", "[\"rHC\", \"rTP\"]"},
        {l + "{ regions = [[\"rHC\", \"rPHC\", \"rTP\"]] }\n", "lesion.regions", "-rHC -rPHC -rTP"},
        {l + "{ regions = [[\"rHC\", \"rHC\"]] }\n", "lesion.regions", "\"rHC\""},
        {l + "{ regions = [[\"rHC\", 0]] }\n", "lesion.regions", "0"},
        {l + "{ tracts = [[[\"rHC\", \"rAMYG\"], [1, 0]]] }\n", "lesion.tracts", "[1, 0]"},
        {l + "{ tracts = [[[\"rHC\", \"rHC\"]]] }\n", "lesion.tracts", "[\"rHC\", \"rHC\"]"},
        {l + "{ regions = [[\"rHC\"], [0]] }\n", "lesion.regions", "-rHC"},
        {l + "{ regions = [[]], intact = true }\n", "lesion.regions", "intact"},
        {l + "{ regions = [\"rHC\", \"rAMYG\"] }\n", "lesion.regions", "\"rHC\""},
        {l + "{ file = \"unknown.txt\" }\n", "lesion.file", "unknown.txt:2"},
        {l + "{ file = \"unknown.txt\" }\n", "lesion.file", "\"rPHX\""},
        {l + "{ file = \"removed.txt\" }\n", "lesion.file", "\"rHC--rAMYG\""},
        {l + "{ file = \"twice.txt\" }\n", "lesion.file", "twice.txt:1"},
        {l + "{ regions = [[\"rHC\"]], each = \"all\" }\n", "lesion.each", ""},
        {l + "{ edges = [[[\"rHC\", \"rAMYG\"]]] }\n", "lesion.edges", "tracts = "},
        {l + "{ each = \"all\", intact = 1 }\n", "lesion.intact", "1"},
        {l + "{ each = \"all\" }\n" + l + "{ each = [\"rHC\"], name = \"second\" }\n", "lesion", "{...}"},
        {"[[sweep]]\nparam = \"model.x0\"\nlesion = { each = \"all\" }\n", "param", "\"model.x0\""},
        {"[[sweep]]\nlinspace = [0, 1, 3]\nlesion = { each = \"all\" }\n", "linspace", "[0, 1, 3]"},
        {"[[sweep]]\nvalues = [1]\nlesion = { each = \"all\" }\n", "values", "[1]"},
        {l + "{ each = \"all\", name = \"node\" }\n", "lesion.name", "\"node\""},
    };
    for (const auto& c : cases) {
        const std::string text = spec_text(c.sweep);
        const std::string msg = error_of(text);
        ASSERT_FALSE(msg.empty()) << c.sweep;
        // The line: the last one naming the key (a second axis is the culprit);
        // every lesion.* key is on its inline table's line.
        const std::string needle = c.key.rfind("lesion", 0) == 0 ? "lesion = {" : c.key + " =";
        int line = -1;
        for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
            line = 1 + int(std::count(text.begin(), text.begin() + long(at), '\n'));
        EXPECT_NE(msg.find("lesion.toml:" + std::to_string(line) + ": [sweep] " + c.key), std::string::npos)
            << c.sweep << "\n -> " << msg;
        EXPECT_NE(msg.find(c.value), std::string::npos) << c.sweep << "\n -> " << msg;
    }
    EXPECT_NE(error_of(spec_text(cases[0].sweep)).find("did you mean 'rAMYG'"), std::string::npos);
    EXPECT_NE(error_of(spec_text(cases[14].sweep)).find("did you mean 'rPHC'"), std::string::npos);
    // From the command line: exit 2, nothing written.
    const std::string spec = write_spec(spec_text(cases[3].sweep));
    const auto out = tmp("bad.h5");
    const auto r = sh("run -q " + spec + " -o " + out.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out.string() + ".partial"));
}

namespace {
// The chain EZ(0) - 1 - 2 - 3 (weights 1, 10 mm apart) of test_seizure and
// an isolated pair 4 - 5, as "w.txt,l.txt" (no labels: node indices).
const std::string chain_w = "0 1 0 0 0 0\n1 0 1 0 0 0\n0 1 0 1 0 0\n0 0 1 0 0 0\n0 0 0 0 0 1\n0 0 0 0 1 0\n";
const std::string chain_l =
    "0 10 0 0 0 0\n10 0 10 0 0 0\n0 10 0 10 0 0\n0 0 10 0 0 0\n0 0 0 0 0 10\n0 0 0 0 10 0\n";
} // namespace

// The validation: permittivity coupling (Ks = -2) recruits the
// whole chain from the EZ; removing the bridge (node 1) or cutting tract
// 0-1 stops the spread, removing node 4 (unrelated: the isolated pair)
// leaves the chain's onsets bit for bit.
TEST(lesion_axis, resection_stops_the_spread) {
    write_file("w.txt", chain_w);
    write_file("l.txt", chain_l);
    write_file("resections.txt", "1\n0--1\n4\n");
    const std::string spec = (scratch() / "chain.toml").string();
    std::ofstream(spec)
        << "[model]\nname = \"epileptor2d\"\nparams = { x0 = [-1.6, -2.2, -2.2, -2.2, -2.2, -2.2], "
           "Ks = -2.0 }\n[network]\nconnectome = \"w.txt,l.txt\"\nspeed = 4.0\n[coupling]\nkind = "
           "\"difference\"\na = 1.0\n[integrator]\ndt = 0.1\nduration = 10000.0\nprecision = "
           "\"double\"\n[[sweep]]\nlesion = { file = \"resections.txt\", intact = true }\n"
           "[output]\nobservable = \"x1\"\nfeatures = [\"seizure\"]\nsample_every = 10\n";
    const auto out = run_api(spec, "chain.h5", 0);
    EXPECT_EQ(h5::read_strings_attr(out, "axes/lesion", "labels"),
              (std::vector<std::string>{"intact", "-1", "cut 0--1", "-4"}));
    const auto rec = read(out, "features/recruited");
    const auto onset = read(out, "features/seizure_onset");
    ASSERT_EQ(rec.size(), 24u);
    auto row = [&](const std::vector<double>& v, std::size_t k) {
        return std::vector<double>(v.begin() + long(6 * k), v.begin() + long(6 * k + 4));
    };
    EXPECT_EQ(row(rec, 0), (std::vector<double>{1, 1, 1, 1})); // intact: the chain is recruited
    EXPECT_EQ(row(rec, 1),
              (std::vector<double>{1, 0, 0, 0})); // bridge removed (node 1 itself is disconnected)
    EXPECT_EQ(row(rec, 2), (std::vector<double>{1, 0, 0, 0})); // tract 0-1 cut
    EXPECT_EQ(row(onset, 3), row(onset, 0));                   // unrelated region removed: same onsets
    for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(rec[6 * k + 4] + rec[6 * k + 5], 0.0) << k;
}

// The boundary refinement never bisects a lesion axis, and each round's
// points (of several lesions) run in batches of one lesion each: linear
// coupling a = 0, so every lesion has the same boundary along Iext (2.9,
// see test_hypotheses).
TEST(lesion_axis, refinement_runs_each_lesion_in_its_own_batches) {
    write_file("w3.txt", "0 1 0\n1 0 1\n0 1 0\n");
    write_file("l3.txt", "0 10 0\n10 0 10\n0 10 0\n");
    const std::string spec = (scratch() / "refine.toml").string();
    std::ofstream(spec)
        << "[model]\nname = \"epileptor2d\"\nparams = { x0 = -2.0 }\n[network]\nconnectome = "
           "\"w3.txt,l3.txt\"\n[coupling]\nkind = \"linear\"\na = 0.0\n[integrator]\ndt = 0.1\n"
           "duration = 20000.0\ntransient = 2000.0\nprecision = \"double\"\n[[sweep]]\nparam = "
           "\"model.Iext\"\nvalues = [2.0, 2.6, 3.1, 3.6]\n[[sweep]]\nlesion = { each = [0, 2] }\n"
           "[output]\nobservable = \"x1\"\nsample_every = 10\nfeatures = [\"attractor\"]\n"
           "[output.attractor]\nrefine = { tol = 0.05, max_points = 30 }\n";
    const auto out = run_api(spec, "refine.h5", 0);
    EXPECT_EQ(read(out, "features/attractor_class"),
              (std::vector<double>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}));
    std::vector<std::size_t> shape;
    const auto pts = read(out, "boundaries/refined/points", &shape);
    ASSERT_EQ(shape, (std::vector<std::size_t>{3, 2}));
    for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_NEAR(pts[2 * k], 2.9, 0.1);
        EXPECT_EQ(pts[2 * k], pts[0]) << "the lesions (coupling 0) cannot move the boundary";
        EXPECT_EQ(pts[2 * k + 1], double(k));
    }
    EXPECT_EQ(read(out, "boundaries/refined/axis"), (std::vector<double>{0, 0, 0}));
    const auto samples = read(out, "boundaries/refined/samples");
    for (std::size_t k = 1; k < samples.size(); k += 2) EXPECT_EQ(samples[k], std::floor(samples[k]));
}
