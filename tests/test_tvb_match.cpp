// nmsweep against The Virtual Brain: every case in tests/data/tvb_ref (see
// tests/tvb_reference/README.md) is rebuilt from its json metadata and run on
// the CPU backend.
//  * double vs `<case>_f64hist.txt` (TVB with float64 history and weights):
//    same equations, same Heun, same delays, so the only differences are
//    rounding (FMA contraction, libmvec exp/sin, summation order).
//  * float vs `<case>.txt` (stock TVB, float32 history buffer): a float run
//    is accurate to a few float ulps of the state per step, amplified by the
//    dynamics; the tolerance is per case (see kFloatTol below).
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/models/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace nms;

namespace {

// ---- a minimal JSON reader (objects, arrays, numbers, strings, bools, null) ----
struct json {
    enum class type { null, boolean, number, string, array, object } t = type::null;
    bool b = false;
    double num = 0;
    std::string str;
    std::vector<json> arr;
    std::map<std::string, json> obj;

    const json& operator[](const std::string& k) const {
        auto it = obj.find(k);
        if (it == obj.end()) throw std::runtime_error("json: no key '" + k + "'");
        return it->second;
    }
    bool has(const std::string& k) const { return obj.count(k) != 0; }
    double as_number() const {
        if (t == type::boolean) return b ? 1.0 : 0.0;
        if (t != type::number) throw std::runtime_error("json: not a number");
        return num;
    }
};

struct json_parser {
    const std::string& s;
    std::size_t i = 0;
    void ws() {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    [[noreturn]] void fail(const char* what) {
        throw std::runtime_error(std::string("json: ") + what + " at offset " + std::to_string(i));
    }
    std::string string_lit() {
        if (s[i] != '"') fail("expected string");
        std::string out;
        for (++i; i < s.size() && s[i] != '"'; ++i) {
            if (s[i] == '\\') {
                ++i;
                if (s[i] == 'n')
                    out += '\n';
                else if (s[i] == 't')
                    out += '\t';
                else if (s[i] == 'u') {
                    out += '?';
                    i += 4;
                } else
                    out += s[i];
            } else {
                out += s[i];
            }
        }
        ++i;
        return out;
    }
    json value() {
        ws();
        json v;
        if (i >= s.size()) fail("unexpected end");
        const char ch = s[i];
        if (ch == '{') {
            v.t = json::type::object;
            ++i;
            ws();
            if (s[i] == '}') {
                ++i;
                return v;
            }
            for (;;) {
                ws();
                std::string k = string_lit();
                ws();
                if (s[i++] != ':') fail("expected ':'");
                v.obj[k] = value();
                ws();
                if (s[i] == ',') {
                    ++i;
                    continue;
                }
                if (s[i] == '}') {
                    ++i;
                    return v;
                }
                fail("expected ',' or '}'");
            }
        }
        if (ch == '[') {
            v.t = json::type::array;
            ++i;
            ws();
            if (s[i] == ']') {
                ++i;
                return v;
            }
            for (;;) {
                v.arr.push_back(value());
                ws();
                if (s[i] == ',') {
                    ++i;
                    continue;
                }
                if (s[i] == ']') {
                    ++i;
                    return v;
                }
                fail("expected ',' or ']'");
            }
        }
        if (ch == '"') {
            v.t = json::type::string;
            v.str = string_lit();
            return v;
        }
        if (s.compare(i, 4, "true") == 0) {
            v.t = json::type::boolean;
            v.b = true;
            i += 4;
            return v;
        }
        if (s.compare(i, 5, "false") == 0) {
            v.t = json::type::boolean;
            i += 5;
            return v;
        }
        if (s.compare(i, 4, "null") == 0) {
            i += 4;
            return v;
        }
        // Python's json writes Infinity/NaN for non-finite floats.
        if (s.compare(i, 8, "Infinity") == 0) {
            v.t = json::type::number;
            v.num = INFINITY;
            i += 8;
            return v;
        }
        if (s.compare(i, 9, "-Infinity") == 0) {
            v.t = json::type::number;
            v.num = -INFINITY;
            i += 9;
            return v;
        }
        char* end = nullptr;
        v.num = std::strtod(s.c_str() + i, &end);
        if (end == s.c_str() + i) fail("bad value");
        v.t = json::type::number;
        i = std::size_t(end - s.c_str());
        return v;
    }
};

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

json load_json(const std::string& path) {
    const std::string text = slurp(path);
    json_parser p{text};
    return p.value();
}

// Rows of a reference file: t, then x[var][node] var-major.
std::vector<std::vector<double>> load_rows(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::vector<std::vector<double>> rows;
    std::string line;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream is(line);
        std::vector<double> r;
        double x;
        while (is >> x) r.push_back(x);
        rows.push_back(std::move(r));
    }
    return rows;
}

// "SigmoidalJansenRit" -> "sigmoidal_jansen_rit"
std::string snake(const std::string& camel) {
    std::string out;
    for (char c : camel) {
        if (std::isupper(static_cast<unsigned char>(c))) {
            if (!out.empty()) out += '_';
            out += char(std::tolower(static_cast<unsigned char>(c)));
        } else {
            out += c;
        }
    }
    return out;
}

// TVB parameters that the TVB dfun never reads, so nmsweep leaves them out.
const std::set<std::string> kUnusedTvbParams = {"p_min", "p_max", "s", "Gamma", "sigma_noise"};

const std::string kData = NMS_TEST_DATA;

struct tvb_case {
    json meta;
    batch b;
    std::size_t n_nodes = 0, n_state = 0;
    std::vector<long> saved_steps; // engine step index of each reference row
};

tvb_case load_case(const std::string& name) {
    tvb_case C;
    C.meta = load_json(kData + "/tvb_ref/" + name + ".json");
    const json& m = C.meta;
    const std::string tvb_model = m["model"].str;
    std::string model;
    for (const auto& mi : all_model_infos())
        if (mi.tvb_name == tvb_model) model = mi.name;
    if (model.empty()) throw std::runtime_error("no nmsweep model for TVB's " + tvb_model);
    const model_info& mi = find_model(model);

    batch& b = C.b;
    b.model = model;
    b.coupling = snake(m["coupling"].str);
    b.net = load_connectome(kData + "/conn8");
    b.speed = m["conduction_speed_mm_per_ms"].as_number();
    b.dt = m["dt"].as_number();
    b.n_steps = long(m["n_steps"].as_number());
    if (m["integrator"].str != "HeunDeterministic") throw std::runtime_error("unexpected integrator");
    b.method = scheme::heun;

    // Model parameters: every TVB parameter must exist in nmsweep under the
    // same name (or be one TVB's dfun does not use).
    for (const auto& [k, v] : m["model_parameters"].obj) {
        const std::string& key = k; // (a structured binding cannot be captured in C++17)
        const bool known = std::any_of(mi.params.begin(), mi.params.end(),
                                       [&](const param_info& p) { return key == p.name; });
        if (!known) {
            if (!kUnusedTvbParams.count(k))
                throw std::runtime_error(model + ": TVB parameter " + k + " missing");
            continue;
        }
        b.params["model." + k] = field::scalar(v.as_number());
    }
    for (const auto& [k, v] : m["coupling_parameters"].obj)
        b.params["coupling." + k] = field::scalar(v.as_number());

    // State variables in TVB's order must be nmsweep's order.
    const auto& sv = m["state_variables"].arr;
    C.n_state = sv.size();
    C.n_nodes = std::size_t(m["n_nodes"].as_number());
    if (C.n_state != mi.states.size()) throw std::runtime_error(model + ": state count differs from TVB");
    for (std::size_t v = 0; v < C.n_state; ++v) {
        if (sv[v].str != mi.states[v].name)
            throw std::runtime_error(model + ": state " + sv[v].str + " misnamed");
        std::vector<double> x0;
        for (const auto& e : m["initial_state"][sv[v].str].arr) x0.push_back(e.as_number());
        if (x0.size() != C.n_nodes) throw std::runtime_error("initial_state size");
        b.initial[sv[v].str] = field::per_node(x0); // also the constant history, as in the reference
    }
    // Same cvar as TVB.
    const auto& cv = m["cvar"].arr;
    if (cv.size() != mi.cvar.size()) throw std::runtime_error(model + ": cvar count differs");
    for (std::size_t k = 0; k < cv.size(); ++k)
        if (int(cv[k].as_number()) != mi.cvar[k]) throw std::runtime_error(model + ": cvar differs");

    const long first = long(m["first_saved_raw_step"].as_number());
    const long every = long(m["save_every"].as_number());
    const long n_rows = long(m["n_rows"].as_number());
    for (long r = 0; r < n_rows; ++r) C.saved_steps.push_back(first + r * every);
    return C;
}

// Records the state of instance 0 after every step.
template <class T> struct recorder : observer<T> {
    std::size_t n_nodes, n_state;
    std::vector<std::vector<double>> steps; // steps[s-1][v*n_nodes + node]
    std::mutex mu;
    recorder(std::size_t nn, std::size_t ns, long n_steps)
        : n_nodes(nn), n_state(ns), steps(std::size_t(n_steps)) {
        this->every = 1;
    }
    void observe(const block_state<T>& s) override {
        if (s.inst0 != 0) return;
        std::vector<double> row(n_state * n_nodes);
        for (std::size_t v = 0; v < n_state; ++v)
            for (std::size_t n = 0; n < n_nodes; ++n) row[v * n_nodes + n] = double(s.at(int(v), int(n), 0));
        std::lock_guard<std::mutex> lock(mu);
        steps[std::size_t(s.step - 1)] = std::move(row);
    }
};

struct comparison {
    double max_abs = 0;          // max |engine - reference|
    double max_rel = 0;          // max |engine - reference| / scale of that variable
    std::string worst;           // where max_rel occurs
    std::vector<double> var_rel; // max_rel per state variable
};

template <class T> comparison compare(const tvb_case& C, const std::string& ref_file) {
    recorder<T> rec(C.n_nodes, C.n_state, C.b.n_steps);
    run_options opt;
    opt.threads = 1;
    auto res = run_cpu<T>(C.b, opt, &rec);
    EXPECT_EQ(res.diverged_step[0], -1);
    const auto rows = load_rows(kData + "/tvb_ref/" + ref_file);
    EXPECT_EQ(rows.size(), C.saved_steps.size());
    // Scale of each variable: its largest magnitude in the reference (at least 1e-3).
    std::vector<double> scale(C.n_state, 1e-3);
    for (const auto& r : rows)
        for (std::size_t v = 0; v < C.n_state; ++v)
            for (std::size_t n = 0; n < C.n_nodes; ++n)
                scale[v] = std::max(scale[v], std::abs(r[1 + v * C.n_nodes + n]));
    comparison out;
    out.var_rel.assign(C.n_state, 0.0);
    for (std::size_t k = 0; k < rows.size() && k < C.saved_steps.size(); ++k) {
        const long s = C.saved_steps[k];
        EXPECT_NEAR(rows[k][0], double(s) * C.b.dt, 1e-9) << "time column";
        const auto& got = rec.steps[std::size_t(s - 1)];
        for (std::size_t v = 0; v < C.n_state; ++v)
            for (std::size_t n = 0; n < C.n_nodes; ++n) {
                const double ref = rows[k][1 + v * C.n_nodes + n];
                const double e = std::abs(got[v * C.n_nodes + n] - ref);
                out.max_abs = std::max(out.max_abs, e);
                out.var_rel[v] = std::max(out.var_rel[v], std::isnan(e) ? INFINITY : e / scale[v]);
                if (e / scale[v] > out.max_rel || std::isnan(e)) {
                    out.max_rel = std::isnan(e) ? INFINITY : e / scale[v];
                    out.worst = "step " + std::to_string(s) + " var " + C.meta["state_variables"].arr[v].str +
                                " node " + std::to_string(n);
                }
            }
    }
    return out;
}

// Tolerances, relative to each variable's range in the reference.
// double vs f64hist: rounding only; observed <= 1.3e-13 (Epileptor) and
// <= 1e-15 elsewhere.
constexpr double kDoubleTol = 1e-11;
// float vs stock TVB: the float state carries ~6e-8 relative rounding per
// step, amplified by the dynamics; observed <= 1.3e-6 for all but the
// Epileptor. The Epileptor's x2/y2 subsystem fires a fast spike near step
// 870 whose timing is very sensitive: in double, perturbing the initial
// state by 1e-7 (relative) moves the step-1000 state by 2.5e-5, and the
// float run differs from stock TVB (and from our double run) by up to 3.6e-3
// in x2 during the spike. Its other variables (x1, y1, z, g; observed
// <= 7.1e-6) are checked at the tighter kFloatTolEpileptorSlow.
const std::map<std::string, double> kFloatTol = {
    {"jansen_rit", 1e-5},   {"generic2d", 1e-5},         {"kuramoto", 1e-5},
    {"epileptor", 2e-2},    {"epileptor_coupled", 2e-2}, {"rww", 1e-5},
    {"wilson_cowan", 1e-5}, {"sup_hopf", 1e-5},          {"mpr", 1e-5},
};
constexpr double kFloatTolEpileptorSlow = 5e-5;

class tvb_match : public ::testing::TestWithParam<std::string> {};

TEST_P(tvb_match, double_matches_tvb_float64_history) {
    const std::string name = GetParam();
    const tvb_case C = load_case(name);
    const comparison c = compare<double>(C, C.meta["files"]["float64_history"].str);
    std::printf("[tvb %-18s] double vs f64hist: max abs %.3g, max rel %.3g (%s)\n", name.c_str(), c.max_abs,
                c.max_rel, c.worst.c_str());
    EXPECT_LE(c.max_rel, kDoubleTol) << "worst at " << c.worst;
}

TEST_P(tvb_match, float_matches_stock_tvb) {
    const std::string name = GetParam();
    const tvb_case C = load_case(name);
    const comparison c = compare<float>(C, C.meta["files"]["stock"].str);
    std::printf("[tvb %-18s] float vs stock:    max abs %.3g, max rel %.3g (%s); per variable:", name.c_str(),
                c.max_abs, c.max_rel, c.worst.c_str());
    for (std::size_t v = 0; v < C.n_state; ++v)
        std::printf(" %s %.2g", C.meta["state_variables"].arr[v].str.c_str(), c.var_rel[v]);
    std::printf("\n");
    EXPECT_LE(c.max_rel, kFloatTol.at(name)) << "worst at " << c.worst;
    if (C.b.model == "epileptor")
        for (int v : {0, 1, 2, 5})
            EXPECT_LE(c.var_rel[std::size_t(v)], kFloatTolEpileptorSlow) << "variable " << v;
}

// The engine's integer delays are TVB's idelays (rint((L / v) / dt)).
TEST_P(tvb_match, delays_equal_tvb_idelays) {
    const tvb_case C = load_case(GetParam());
    const prepared P = prepare(C.b);
    const auto& id = C.meta["idelays"].arr;
    for (std::size_t i = 0; i < C.n_nodes; ++i)
        for (int e = P.row_ptr[i]; e < P.row_ptr[i + 1]; ++e)
            EXPECT_EQ(P.delay[std::size_t(e)], int(id[i].arr[std::size_t(P.src[std::size_t(e)])].as_number()))
                << "edge " << P.src[std::size_t(e)] << " -> " << i;
}

INSTANTIATE_TEST_SUITE_P(cases, tvb_match,
                         ::testing::Values("jansen_rit", "generic2d", "kuramoto", "epileptor",
                                           "epileptor_coupled", "rww", "wilson_cowan", "sup_hopf", "mpr"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// TVB's indexing (tvb_conventions.md 4.2): the step that produces x[n] reads
// the source at x[n-1-d]. Node 0 ramps (no inputs, c = b = 1, gamma = 0,
// Euler, dt = 1: x0[n] = 100 + n for n >= 0, 100 before), node 1 receives
// node 0 with d = 3, so its increment on step n is 1 + x0[n - 4]:
// 101, 101, 101, 101, 102, 103 for n = 1..6 (x[n - d] would give 102 at n = 4).
TEST(tvb_conventions, delayed_input_reads_step_n_minus_1_minus_d) {
    batch b;
    b.model = "linear";
    b.coupling = "linear";
    b.net.n = 2;
    b.net.weights = {0, 0, 1, 0}; // w[1][0] = 1: 0 -> 1
    b.net.tract_lengths = {0, 3, 3, 0};
    b.net.source = "test:2";
    b.speed = 1.0;
    b.dt = 1.0;
    b.n_steps = 6;
    b.method = scheme::euler;
    b.params["model.gamma"] = field::scalar(0.0);
    b.params["coupling.a"] = field::scalar(1.0);
    b.params["coupling.b"] = field::scalar(1.0);
    b.initial["x"] = field::per_node({100.0, 0.0});
    recorder<double> rec(2, 1, b.n_steps);
    run_cpu<double>(b, {}, &rec);
    const double want[6] = {101, 101, 101, 101, 102, 103};
    double prev = 0;
    for (int n = 0; n < 6; ++n) {
        EXPECT_DOUBLE_EQ(rec.steps[std::size_t(n)][0], 100.0 + n + 1);
        EXPECT_DOUBLE_EQ(rec.steps[std::size_t(n)][1] - prev, want[n]) << "step " << n + 1;
        prev = rec.steps[std::size_t(n)][1];
    }
}

} // namespace
