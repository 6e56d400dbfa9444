// [[sweep]] axes, [sampler] and the names they may set (parse_param_ref).
#include "spec_io.hpp"

#if __has_include(<boost/random/sobol.hpp>) && !defined(NMS_NO_SOBOL)
#include <boost/random/sobol.hpp>
#define NMS_HAVE_SOBOL 1
#else
#define NMS_HAVE_SOBOL 0
#endif

#include <numeric>
#include <random>

namespace nms::spec_io {

std::string ref_id(const param_ref& r) {
    return std::to_string(int(r.k)) + "|" + r.key + "|" + std::to_string(r.node) + "|" + r.label;
}

// Checks one swept value for its target; "" when fine.
std::string check_swept_value(const param_ref& r, double x, std::size_t n_sets) {
    if (!std::isfinite(x)) return "value " + num(x) + " is not finite";
    switch (r.k) {
    case param_ref::kind::speed:
        if (!(x > 0))
            return "conduction speed " + num(x) + " must be > 0 mm/ms (a swept speed cannot be 0 or inf)";
        break;
    case param_ref::kind::noise_all:
    case param_ref::kind::noise_var:
        if (x < 0) return "noise sigma " + num(x) + " must be >= 0";
        break;
    case param_ref::kind::seed:
        if (x < 0 || x != std::floor(x) || x >= 9007199254740992.0)
            return "seed " + num(x) + " must be an integer >= 0";
        break;
    case param_ref::kind::initial:
        if (x < 0 || x != std::floor(x) || x >= double(n_sets))
            return "initial-condition index " + num(x) + " outside 0.." + std::to_string(n_sets - 1) + " (" +
                   std::to_string(n_sets) + " set(s))";
        break;
    default:
        break;
    }
    return "";
}

std::string ref_unit(const param_ref& r, const model_info& m, const coupling_info& ci) {
    const std::string bare = r.key.substr(r.key.find('.') + 1);
    switch (r.k) {
    case param_ref::kind::model:
        if (auto p = find_param(m.params, bare)) return p->unit;
        return "";
    case param_ref::kind::coupling:
        if (auto p = find_param(ci.params, bare)) return p->unit;
        return "";
    case param_ref::kind::speed:
        return "mm/ms";
    case param_ref::kind::bold:
        return observe::bold_constant_unit(bare);
    case param_ref::kind::stimulus: {
        const std::string q = r.key.substr(r.key.rfind('.') + 1);
        if (q == "frequency") return "Hz";
        if (q == "phase") return "rad";
        if (q == "amplitude" || q == "ratio") return "";
        return "ms";
    }
    default:
        return "";
    }
}

std::vector<double> linspace(double a, double b, long n) {
    std::vector<double> v(static_cast<std::size_t>(n));
    if (n == 1) return {a};
    const double step = (b - a) / double(n - 1);
    for (long i = 0; i < n; ++i) v[std::size_t(i)] = a + double(i) * step;
    v.back() = b;
    return v;
}

std::vector<double> geomspace(double a, double b, long n) {
    if (n == 1) return {a};
    std::vector<double> v(static_cast<std::size_t>(n));
    const double sign = a < 0 ? -1.0 : 1.0;
    const double la = std::log10(std::fabs(a)), lb = std::log10(std::fabs(b));
    for (long i = 0; i < n; ++i)
        v[std::size_t(i)] = sign * std::pow(10.0, la + (lb - la) * double(i) / double(n - 1));
    v.front() = a;
    v.back() = b;
    return v;
}

void check_conflicts(const ctx& c, const std::vector<located_ref>& refs, const sweep_spec& s) {
    std::map<std::string, const located_ref*> seen;
    for (const auto& lr : refs) {
        auto id = ref_id(lr.r);
        if (auto it = seen.find(id); it != seen.end() && lr.r.k == param_ref::kind::hypothesis)
            c.fail(*lr.v, lr.section, lr.key,
                   "a second ez axis on " + lr.r.key + " (the first at " + c.at(*it->second->v) +
                       "); put the hypotheses in one axis (a file lists any set of them)");
        else if (it != seen.end())
            c.fail(*lr.v, lr.section, lr.key,
                   "'" + lr.r.name + "' is swept twice (also at " + c.at(*it->second->v) + ")");
        seen[id] = &lr;
    }
    for (const auto& a : refs) {
        if (a.r.k == param_ref::kind::noise_all && s.noise_sigma.empty())
            c.fail(*a.v, a.section, a.key,
                   "integrator.noise.sigma scales the noisy variables, but [integrator] noise names none "
                   "(set noise = { vars = [...] } or sweep noise.<var>)");
        if ((a.r.k == param_ref::kind::noise_all || a.r.k == param_ref::kind::noise_var) &&
            s.method == scheme::rk4)
            c.fail(*a.v, a.section, a.key,
                   "noise is swept but integrator.method = rk4 is deterministic; use heun or euler");
        for (const auto& b : refs) {
            if (a.r.k == b.r.k && (a.r.k == param_ref::kind::model || a.r.k == param_ref::kind::coupling) &&
                a.r.key == b.r.key && !a.r.node_entry() && b.r.node_entry())
                c.fail(*b.v, b.section, b.key,
                       "'" + b.r.name + "' and '" + a.r.name + "' (at " + c.at(*a.v) + ") both set " +
                           a.r.key + "; sweep one of them");
            if (a.r.k == param_ref::kind::hypothesis && b.r.key == a.r.key && !b.r.node_entry() &&
                b.r.k != param_ref::kind::hypothesis)
                c.fail(*b.v, b.section, b.key,
                       "'" + b.r.name + "' and the ez axis '" + a.r.name + "' (at " + c.at(*a.v) +
                           ") both set the whole " + a.r.key + "; sweep one of its entries ('" + a.r.key +
                           "[3]') instead, which applies after the hypothesis");
            if (a.r.k == param_ref::kind::noise_all && b.r.k == param_ref::kind::noise_var)
                c.fail(*b.v, b.section, b.key,
                       "'" + b.r.name + "' and 'integrator.noise.sigma' (at " + c.at(*a.v) +
                           ") both set its noise; sweep one of them");
        }
    }
}

void parse_sweeps(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P,
                  std::vector<located_ref>& all_refs) {
    if (!root.contains("sweep")) return;
    const tval& sw = root.at("sweep");
    if (sw.is_table())
        c.fail(sw, "sweep", "", "write each axis as [[sweep]] (an array of tables), not [sweep]", false);
    if (!sw.is_array()) c.fail(sw, "sweep", "", "expected [[sweep]] tables, got " + type_name(sw));
    const std::size_t n_sets = n_initial_sets(s);
    for (const auto& t : sw.as_array()) {
        reader r(c, "sweep", t);
        r.only({"param", "linspace", "logspace", "values", "ez", "lesion"});
        if (const tval* lv = r.get("lesion")) { // an axis of networks, not of a parameter
            for (const char* k : {"param", "linspace", "logspace", "values", "ez"})
                if (const tval* v = r.get(k))
                    c.fail(*v, "sweep", k,
                           "a lesion axis takes no " + std::string(k) +
                               " (its values are the lesions: lesion = { regions | each | tracts | file })");
            param_ref ref;
            s.axes.push_back(parse_lesion(c, *lv, ref, s));
            s.axis_refs.push_back(ref);
            continue;
        }
        const tval& pv = r.need("param");
        param_ref ref;
        try {
            ref = parse_param_ref(r.str(pv, "param"), s.model, s.coupling, s.stimuli);
        } catch (const input_error& e) {
            c.fail(pv, "sweep", "param", e.what());
        }
        if (ref.k == param_ref::kind::sample) c.fail(pv, "sweep", "param", "'sample' is the sampler's axis");
        axis ax;
        ax.name = ref.name;
        ax.unit = ref_unit(ref, *P.m, P.ci);
        const tval* given = nullptr;
        std::string gkey;
        for (const char* k : {"linspace", "logspace", "values"}) {
            if (const tval* v = r.get(k)) {
                if (given)
                    c.fail(*v, "sweep", k,
                           "give one of linspace, logspace or values (already " + gkey + " at " +
                               c.at(*given) + ")",
                           false);
                given = v;
                gkey = k;
            }
        }
        if (const tval* ez = r.get("ez")) {
            if (given)
                c.fail(*given, "sweep", gkey,
                       "give either ez = { ... } or one of linspace, logspace, values");
            if ((ref.k != param_ref::kind::model && ref.k != param_ref::kind::coupling) || ref.node_entry())
                c.fail(pv, "sweep", "param",
                       "an ez axis sets a whole per-node parameter: model.<p> or coupling.<p> (not a node's "
                       "entry, not '" +
                           ref.name + "')");
            ax = parse_ez(c, *ez, ref, s);
            c.note("sweep." + ref.name, pv, "sweep", "param");
            all_refs.push_back({ref, &pv, "sweep", "param"});
            s.axes.push_back(std::move(ax));
            s.axis_refs.push_back(ref);
            continue;
        }
        if (!given)
            c.fail(t, "sweep", ref.name,
                   "give one of linspace = [start, stop, n], logspace = [start, stop, n], values = [...] or "
                   "ez = { ... }",
                   false);
        if (gkey == "values") {
            ax.values = r.numbers(*given, "values");
            if (ax.values.empty()) c.fail(*given, "sweep", "values", "empty list");
        } else {
            const auto& a = r.array(*given, gkey);
            if (a.size() != 3) c.fail(*given, "sweep", gkey, "expected [start, stop, n]");
            const double lo = r.finite(a[0], gkey + "[0]"), hi = r.finite(a[1], gkey + "[1]");
            const long n = r.integer(a[2], gkey + " n");
            if (n < 1) c.fail(a[2], "sweep", gkey, "n must be >= 1");
            if (n > 100000000) c.fail(a[2], "sweep", gkey, "n is too large");
            if (gkey == "linspace") {
                ax.values = linspace(lo, hi, n);
            } else {
                if (lo == 0 || hi == 0 || (lo < 0) != (hi < 0))
                    c.fail(*given, "sweep", gkey,
                           "start and stop are the values themselves (geometric spacing): both non-zero, "
                           "same sign");
                ax.values = geomspace(lo, hi, n);
            }
        }
        for (std::size_t i = 0; i < ax.values.size(); ++i) {
            std::string err = check_swept_value(ref, ax.values[i], n_sets);
            if (!err.empty()) {
                const tval& at = gkey == "values" ? given->as_array()[i] : *given;
                c.fail(at, "sweep", gkey, ref.name + ": " + err);
            }
        }
        c.note("sweep." + ref.name, pv, "sweep", "param");
        all_refs.push_back({ref, &pv, "sweep", "param"});
        s.axes.push_back(std::move(ax));
        s.axis_refs.push_back(ref);
    }
}

void parse_sampler(const ctx& c, const tval& root, sweep_spec& s, std::vector<located_ref>& all_refs) {
    if (!root.contains("sampler")) return;
    reader r(c, "sampler", root.at("sampler"));
    r.only({"kind", "n", "seed", "ranges"});
    const tval& kv = r.need("kind");
    s.sampler.kind = r.str(kv, "kind");
    const std::vector<std::string> kinds{"uniform", "lhs", "sobol"};
    if (!contains(kinds, s.sampler.kind))
        c.fail(kv, "sampler", "kind", "unknown sampler" + did_you_mean(s.sampler.kind, kinds));
#if !NMS_HAVE_SOBOL
    if (s.sampler.kind == "sobol")
        c.fail(kv, "sampler", "kind",
               "this build has no Sobol sequences (install libboost-random-dev and rebuild)");
#endif
    const tval& nv = r.need("n");
    long n = r.integer(nv, "n");
    if (n < 1) c.fail(nv, "sampler", "n", "must be >= 1");
    if (n > 100000000) c.fail(nv, "sampler", "n", "is too large");
    s.sampler.n = std::size_t(n);
    if (const tval* sv = r.get("seed")) {
        long x = r.integer(*sv, "seed");
        if (x < 0) c.fail(*sv, "sampler", "seed", "must be >= 0");
        s.sampler.seed = std::uint64_t(x);
    }
    const tval& rv = r.need("ranges");
    reader rr(c, "sampler", rv);
    for (const auto& [k, v] : entries(rv)) {
        const std::string key = "ranges." + k;
        param_ref ref;
        try {
            ref = parse_param_ref(k, s.model, s.coupling, s.stimuli);
        } catch (const input_error& e) {
            c.fail(*v, "sampler", key, e.what(), false);
        }
        if (ref.k == param_ref::kind::seed || ref.k == param_ref::kind::initial ||
            ref.k == param_ref::kind::sample)
            c.fail(*v, "sampler", key, "'" + k + "' is discrete: sweep it with [[sweep]] values = [...]",
                   false);
        const auto x = rr.numbers(*v, key);
        if (x.size() != 2) c.fail(*v, "sampler", key, "expected [lo, hi]");
        if (x[0] > x[1]) c.fail(*v, "sampler", key, "lo > hi");
        for (double e : x) {
            std::string err = check_swept_value(ref, e, 1);
            if (!err.empty()) c.fail(*v, "sampler", key, err);
        }
        c.note("sampler." + k, *v, "sampler", key);
        all_refs.push_back({ref, v, "sampler", key});
        s.sampler.params.push_back(ref);
        s.sampler.ranges.push_back(x);
    }
    if (s.sampler.params.empty()) c.fail(rv, "sampler", "ranges", "no parameter ranges");

    // Unit-cube points u[d][i], then scaled to the ranges.
    const std::size_t D = s.sampler.params.size(), N = s.sampler.n;
    std::vector<std::vector<double>> u(D, std::vector<double>(N));
    if (s.sampler.kind == "uniform") {
        uniform_gen g(s.sampler.seed);
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t d = 0; d < D; ++d) u[d][i] = g();
    } else if (s.sampler.kind == "lhs") {
        // Latin hypercube: in each dimension every one of the N strata
        // [k/N, (k+1)/N) holds exactly one point, at a uniform position.
        uniform_gen g(s.sampler.seed);
        std::vector<std::size_t> perm(N);
        for (std::size_t d = 0; d < D; ++d) {
            std::iota(perm.begin(), perm.end(), std::size_t(0));
            for (std::size_t i = N; i > 1; --i) std::swap(perm[i - 1], perm[g.below(i)]);
            for (std::size_t i = 0; i < N; ++i) u[d][i] = (double(perm[i]) + g()) / double(N);
        }
    } else {
#if NMS_HAVE_SOBOL
        // Boost.Random's Sobol sequence (Joe-Kuo direction numbers). seed != 0 applies a random
        // digital shift (XOR of each coordinate with a seeded random word),
        // which keeps the net's stratification: randomised QMC.
        if (D > 3667) c.fail(rv, "sampler", "ranges", "Sobol sequences support at most 3667 dimensions");
        boost::random::sobol eng(D);
        std::vector<std::uint64_t> shift(D, 0);
        if (s.sampler.seed) {
            std::mt19937_64 g(s.sampler.seed);
            for (auto& x : shift) x = g();
        }
        // Point 0 is the all-zero point (as scipy.stats.qmc.Sobol), so that
        // the first 2^m points form a balanced net.
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t d = 0; d < D; ++d)
                u[d][i] = double(((i ? std::uint64_t(eng()) : 0) ^ shift[d]) >> 11) * 0x1.0p-53;
#endif
    }
    s.sampler.values.assign(D, std::vector<double>(N));
    for (std::size_t d = 0; d < D; ++d) {
        const double lo = s.sampler.ranges[d][0], hi = s.sampler.ranges[d][1];
        for (std::size_t i = 0; i < N; ++i) s.sampler.values[d][i] = std::min(hi, lo + (hi - lo) * u[d][i]);
    }
    axis ax;
    ax.name = "sample";
    ax.values.resize(N);
    std::iota(ax.values.begin(), ax.values.end(), 0.0);
    param_ref sref;
    sref.k = param_ref::kind::sample;
    sref.name = "sample";
    s.axes.insert(s.axes.begin(), std::move(ax));
    s.axis_refs.insert(s.axis_refs.begin(), sref);
}

} // namespace nms::spec_io

namespace nms {

using namespace spec_io;

param_ref parse_param_ref(const std::string& name, const std::string& model, const std::string& coupling,
                          const std::vector<stimulus_spec>& stimuli) {
    const model_info& m = find_model(model);
    const coupling_info ci = find_coupling(coupling, int(m.cvar.size()));
    param_ref r;
    r.name = name;
    std::vector<std::string> all{"network.speed", "integrator.noise.sigma", "noise.seed", "initial"};
    for (const auto& p : m.params) all.push_back("model." + std::string(p.name));
    for (const auto& p : ci.params) all.push_back("coupling." + std::string(p.name));
    for (const auto& st : m.states) all.push_back("noise." + std::string(st.name));
    const std::vector<std::string> bold_names = all_bold_constants();
    for (const auto& b : bold_names) all.push_back("bold." + b);
    for (const auto& st : stimuli)
        for (const char* q : wave_prop_names) all.push_back("stimulus." + st.stim.name + "." + q);
    auto unknown = [&](const std::string& what) -> input_error {
        return input_error("unknown sweepable name '" + what + "'" + did_you_mean(what, all));
    };
    std::string base = name;
    // Node entry: model.<p>[k] / coupling.<p>[k], k an index or a region label.
    if (auto lb = name.find('['); lb != std::string::npos) {
        if (name.back() != ']') throw input_error("'" + name + "': expected NAME[index] or NAME[\"label\"]");
        base = name.substr(0, lb);
        std::string k = name.substr(lb + 1, name.size() - lb - 2);
        auto trim = [](std::string x) {
            while (!x.empty() && x.front() == ' ') x.erase(0, 1);
            while (!x.empty() && x.back() == ' ') x.pop_back();
            return x;
        };
        k = trim(k);
        if (k.size() >= 2 && (k.front() == '"' || k.front() == '\'') && k.back() == k.front()) {
            r.label = k.substr(1, k.size() - 2);
            if (r.label.empty()) throw input_error("'" + name + "': empty region label");
        } else if (!k.empty() &&
                   std::all_of(k.begin(), k.end(), [](char ch) { return std::isdigit((unsigned char)ch); })) {
            r.node = std::stol(k);
        } else if (!k.empty()) {
            r.label = k;
        } else {
            throw input_error("'" + name + "': empty node index");
        }
        if (base.rfind("model.", 0) != 0 && base.rfind("coupling.", 0) != 0)
            throw input_error("'" + name +
                              "': only model.<p>[k] and coupling.<p>[k] select one node's entry");
    }
    if (base == "network.speed")
        r.k = param_ref::kind::speed;
    else if (base == "integrator.noise.sigma")
        r.k = param_ref::kind::noise_all;
    else if (base == "noise.seed")
        r.k = param_ref::kind::seed;
    else if (base == "initial")
        r.k = param_ref::kind::initial;
    else if (base == "sample")
        r.k = param_ref::kind::sample;
    else if (base.rfind("model.", 0) == 0) {
        r.k = param_ref::kind::model;
        std::string p = base.substr(6);
        if (!find_param(m.params, p)) {
            if (find_param(ci.params, p))
                throw input_error("model " + m.name + " has no parameter '" + p +
                                  "' (did you mean 'coupling." + p + "'?)");
            const std::string alias = alias_hint(m, p);
            throw input_error("model " + m.name + " has no parameter '" + p + "'" +
                              (alias.empty() ? did_you_mean(p, param_names(m.params)) : alias));
        }
        r.key = base;
    } else if (base.rfind("coupling.", 0) == 0) {
        r.k = param_ref::kind::coupling;
        std::string p = base.substr(9);
        if (!find_param(ci.params, p)) {
            if (find_param(m.params, p))
                throw input_error("coupling " + ci.name + " has no parameter '" + p +
                                  "' (did you mean 'model." + p + "'?)");
            throw input_error("coupling " + ci.name + " has no parameter '" + p + "'" +
                              did_you_mean(p, param_names(ci.params)));
        }
        r.key = base;
    } else if (base.rfind("bold.", 0) == 0) {
        r.k = param_ref::kind::bold;
        const std::string k = base.substr(5);
        if (!contains(bold_names, k)) {
            std::string known;
            for (const auto& b : bold_names) known += (known.empty() ? "" : " ") + b;
            throw input_error("no BOLD constant '" + k + "'" + did_you_mean(k, bold_names) +
                              " (constants: " + known + ")");
        }
        r.key = base;
    } else if (base.rfind("stimulus.", 0) == 0) {
        r.k = param_ref::kind::stimulus;
        const std::string rest = base.substr(9);
        const auto dot = rest.rfind('.');
        const std::string st = dot == std::string::npos ? rest : rest.substr(0, dot);
        const std::string q = dot == std::string::npos ? "" : rest.substr(dot + 1);
        std::vector<std::string> names;
        for (const auto& x : stimuli) names.push_back(x.stim.name);
        if (!contains(names, st))
            throw input_error("no stimulus named '" + st + "'" + did_you_mean(st, names) +
                              " (stimulus.<name>.<property>, [[stimulus]] name)");
        const std::vector<std::string> props(wave_prop_names, wave_prop_names + n_wave_props);
        if (!contains(props, q) || q == "biphasic")
            throw input_error("a stimulus has no sweepable property '" + q + "'" + did_you_mean(q, props));
        r.key = base;
    } else if (base.rfind("noise.", 0) == 0) {
        r.k = param_ref::kind::noise_var;
        std::string v = base.substr(6);
        if (state_index(m, v) < 0)
            throw input_error("model " + m.name + " has no state variable '" + v + "'" + did_you_mean(v, [&] {
                                  auto x = state_names(m);
                                  x.push_back("seed");
                                  return x;
                              }()));
        r.key = base;
    } else {
        throw unknown(base);
    }
    if (r.node_entry() && r.k != param_ref::kind::model && r.k != param_ref::kind::coupling)
        throw input_error("'" + name + "': only model and coupling parameters have per-node entries");
    return r;
}

} // namespace nms
