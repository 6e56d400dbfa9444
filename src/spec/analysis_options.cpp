// [output.spectra], [output.synchrony], [output.fc], [output.attractor].
#include "spec_io.hpp"

namespace nms::spec_io {

// [output.attractor] refine = { tol = x | { axis = x, ... }, max_points = n }.
static void parse_refine(const ctx& c, const tval& v, sweep_spec& s) {
    const std::string sec = "output.attractor";
    if (!v.is_table()) c.fail(v, sec, "refine", "expected a table { tol = ..., max_points = ... }");
    reader t(c, sec, v);
    t.only({"tol", "max_points"});
    auto& o = s.attractor;
    o.refine = true;
    if (!s.sampler.kind.empty())
        c.fail(v, sec, "refine", "needs a grid: a [sampler]'s scattered points have no neighbours to bisect");
    if (const tval* tv = t.get("tol")) {
        if (tv->is_table()) {
            for (const auto& [axis_name, x] : entries(*tv)) {
                const std::string name = axis_name; // (a lambda cannot capture a structured binding in C++17)
                const std::string key = "refine.tol." + name;
                const bool axis = std::any_of(s.axes.begin(), s.axes.end(),
                                              [&](const nms::axis& a) { return a.name == name; });
                if (find_hypotheses(s, name))
                    c.fail(*x, sec, key, "the ez axis '" + name + "' lists hypotheses: it is never bisected");
                if (find_lesions(s, name))
                    c.fail(*x, sec, key,
                           "the lesion axis '" + name + "' lists lesions: it is never bisected");
                if (!axis || name == "initial") {
                    std::vector<std::string> names;
                    for (const auto& a : s.axes)
                        if (a.name != "initial" && !find_hypotheses(s, a.name) && !find_lesions(s, a.name))
                            names.push_back(a.name);
                    c.fail(*x, sec, key, "not an axis of the grid" + did_you_mean(name, names));
                }
                const double tol = t.finite(*x, key);
                if (!(tol > 0)) c.fail(*x, sec, key, "must be > 0 (in the axis's units)");
                o.refine_tol_axis.emplace_back(name, tol);
            }
        } else {
            o.refine_tol = t.finite(*tv, "refine.tol");
            if (!(o.refine_tol > 0 && o.refine_tol < 1))
                c.fail(*tv, sec, "refine.tol", "must be in (0, 1): a fraction of each axis's span");
        }
    }
    if (const tval* mv = t.get("max_points")) {
        o.refine_max_points = t.integer(*mv, "refine.max_points");
        if (o.refine_max_points < 1) c.fail(*mv, sec, "refine.max_points", "must be >= 1");
    }
    if (std::find(s.features.begin(), s.features.end(), "attractor") == s.features.end())
        c.fail(v, sec, "refine", "needs \"attractor\" in [output] features");
}

// [output.attractor]: the classification's tolerances.
static void parse_attractor_options(const ctx& c, const reader& r, sweep_spec& s) {
    if (const tval* tv = r.get("attractor")) {
        reader t(c, "output.attractor", *tv);
        t.only(
            {"rtol", "atol", "regular_tol", "min_cycles", "hysteresis", "per_node", "cluster_tol", "refine"});
        auto& o = s.attractor;
        auto nonneg = [&](const char* key, double& dst, double hi) {
            if (const tval* v = t.get(key)) {
                dst = t.finite(*v, key);
                if (!(dst >= 0) || dst > hi) c.fail(*v, t.section, key, "must be in 0 .. " + num(hi));
            }
        };
        nonneg("rtol", o.rtol, 1.0);
        nonneg("atol", o.atol, 1e300);
        nonneg("regular_tol", o.regular_tol, 1.0);
        nonneg("cluster_tol", o.cluster_tol, 10.0);
        nonneg("hysteresis", o.hysteresis, 0.45);
        if (const tval* v = t.get("min_cycles")) {
            o.min_cycles = t.integer(*v, "min_cycles");
            if (o.min_cycles < 1) c.fail(*v, t.section, "min_cycles", "must be >= 1");
        }
        if (const tval* v = t.get("per_node")) {
            if (!v->is_boolean())
                c.fail(*v, t.section, "per_node", "expected true or false, got " + type_name(*v));
            o.per_node = v->as_boolean();
        }
        if (const tval* v = t.get("refine")) parse_refine(c, *v, s);
        c.note("output.attractor", *tv, "output.attractor", "");
    }
}

// [output.spectra], [output.synchrony], [output.fc] (and [output.attractor]): options of the analysis
// reducers (include/nmsweep/sweep/reducers.hpp), checked against the sampled
// signal (fs = 1000 / (dt sample_every) Hz, M samples after the transient).
void parse_analysis(const ctx& c, const reader& r, sweep_spec& s) {
    const sampling smp = sampling_of(s);
    const long M = smp.n_samples;
    const double nyq = smp.fs / 2;
    auto boolean = [&](const reader& t, const tval& v, const std::string& key) {
        if (!v.is_boolean()) c.fail(v, t.section, key, "expected true or false, got " + type_name(v));
        return v.as_boolean();
    };
    auto range = [&](const reader& t, const tval& v, const std::string& key, double hi_max) {
        const auto x = t.numbers(v, key);
        if (x.size() != 2) c.fail(v, t.section, key, "expected [lo, hi] in Hz");
        if (!(x[0] >= 0 && x[0] < x[1])) c.fail(v, t.section, key, "need 0 <= lo < hi");
        if (hi_max > 0 && x[0] >= hi_max)
            c.fail(v, t.section, key,
                   "starts above the Nyquist frequency " + num(hi_max) +
                       " Hz of the samples (fs = " + num(smp.fs) + " Hz: 1000 / (dt sample_every))");
        return x;
    };
    auto samples = [&](const reader& t, const tval& v, const std::string& key, long lo) {
        const long n = t.integer(v, key);
        if (n < lo) c.fail(v, t.section, key, "must be >= " + std::to_string(lo) + " samples");
        if (n > M)
            c.fail(v, t.section, key,
                   "longer than the " + std::to_string(M) +
                       " samples after the transient (duration - transient) / (dt sample_every)");
        return n;
    };
    if (const tval* tv = r.get("spectra")) {
        reader t(c, "output.spectra", *tv);
        t.only({"nperseg", "noverlap", "window", "per_node", "fmax", "peak_range", "bands"});
        auto& o = s.spectra;
        if (const tval* v = t.get("nperseg")) o.nperseg = samples(t, *v, "nperseg", 2);
        const long L = o.nperseg > 0 ? o.nperseg : std::min<long>(1024, M);
        if (const tval* v = t.get("noverlap")) {
            o.noverlap = t.integer(*v, "noverlap");
            if (o.noverlap < 0 || o.noverlap >= L)
                c.fail(*v, t.section, "noverlap", "must be in 0 .. nperseg - 1 = " + std::to_string(L - 1));
        }
        if (const tval* v = t.get("window")) {
            o.window = t.str(*v, "window");
            if (o.window != "hann" && o.window != "boxcar")
                c.fail(*v, t.section, "window",
                       "unknown window" + did_you_mean(o.window, {"hann", "boxcar"}));
        }
        if (const tval* v = t.get("per_node")) o.per_node = boolean(t, *v, "per_node");
        if (const tval* v = t.get("fmax")) {
            o.fmax = t.finite(*v, "fmax");
            if (!(o.fmax > 0)) c.fail(*v, t.section, "fmax", "must be > 0 Hz");
        }
        if (const tval* v = t.get("peak_range")) {
            const auto x = range(t, *v, "peak_range", nyq);
            o.peak_lo = x[0];
            o.peak_hi = x[1];
        }
        if (const tval* v = t.get("bands")) {
            reader tb(c, "output.spectra", *v);
            o.bands.clear();
            for (const auto& [name, bv] : entries(*v)) {
                const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
                    return std::isalnum((unsigned char)ch) || ch == '_';
                });
                if (!ok)
                    c.fail(*bv, t.section, "bands." + name, "band names may hold letters, digits and '_'",
                           false);
                const auto x = range(tb, *bv, "bands." + name, 0);
                o.bands.push_back({name, x[0], x[1]});
            }
            if (o.bands.empty()) c.fail(*v, t.section, "bands", "empty table");
        }
        c.note("output.spectra", *tv, "output.spectra", "");
    }
    if (const tval* tv = r.get("synchrony")) {
        reader t(c, "output.synchrony", *tv);
        t.only({"phase", "band", "segment"});
        auto& o = s.synchrony;
        if (const tval* v = t.get("phase")) {
            o.phase = t.str(*v, "phase");
            const std::vector<std::string> ok{"auto", "observable", "hilbert"};
            if (!contains(ok, o.phase))
                c.fail(*v, t.section, "phase",
                       "expected auto, observable or hilbert" + did_you_mean(o.phase, ok));
        }
        if (const tval* v = t.get("band")) {
            const auto x = range(t, *v, "band", nyq);
            o.band_lo = x[0];
            o.band_hi = x[1];
        }
        if (const tval* v = t.get("segment")) o.segment = samples(t, *v, "segment", 4);
        c.note("output.synchrony", *tv, "output.synchrony", "");
    }
    if (const tval* tv = r.get("fc")) {
        reader t(c, "output.fc", *tv);
        t.only({"empirical", "fcd_window", "fcd_step", "fcd_matrix"});
        auto& o = s.fc;
        if (const tval* v = t.get("empirical")) {
            o.empirical = resolve_path(c, t.str(*v, "empirical"));
            try {
                std::size_t n = 0;
                o.empirical_fc = read_square_matrix(o.empirical, &n);
            } catch (const input_error& e) {
                c.fail(*v, t.section, "empirical", e.what(), false);
            }
            c.note("output.fc.empirical", *v, "output.fc", "empirical");
        }
        const double recorded = double(M) * smp.dt_ms;
        if (const tval* v = t.get("fcd_window")) {
            o.fcd_window_ms = t.finite(*v, "fcd_window");
            if (!(o.fcd_window_ms >= 3 * smp.dt_ms) || o.fcd_window_ms > recorded)
                c.fail(*v, t.section, "fcd_window",
                       "must be 3 samples (" + num(3 * smp.dt_ms) + " ms) .. the recorded " + num(recorded) +
                           " ms");
        }
        if (const tval* v = t.get("fcd_step")) {
            o.fcd_step_ms = t.finite(*v, "fcd_step");
            if (!(o.fcd_step_ms >= smp.dt_ms))
                c.fail(*v, t.section, "fcd_step", "must be >= one sample (" + num(smp.dt_ms) + " ms)");
        }
        if (const tval* v = t.get("fcd_matrix")) o.fcd_matrix = boolean(t, *v, "fcd_matrix");
        c.note("output.fc", *tv, "output.fc", "");
    }
    parse_attractor_options(c, r, s);
    if (const tval* tv = r.get("ramp")) {
        reader t(c, "output.ramp", *tv);
        t.only({"stimulus", "windows"});
        if (const tval* v = t.get("stimulus")) s.ramp.stimulus = t.str(*v, "stimulus");
        if (const tval* v = t.get("windows")) {
            s.ramp.windows = t.integer(*v, "windows");
            if (s.ramp.windows < 1 || s.ramp.windows > 100000)
                c.fail(*v, t.section, "windows", "must be in 1 .. 100000");
        }
        c.note("output.ramp", *tv, "output.ramp", "");
    }
    parse_seizure(c, r, s);
    parse_entrainment(c, r, s);
    parse_stability(c, r, s);
    parse_controllability(c, r, s);
    // The families' own checks (e.g. a band without a frequency bin), from the table.
    feature_context fc;
    fc.smp = smp;
    fc.phase_is_observable = phase_is_observable(s);
    std::vector<std::string> short_of;
    try {
        check_features(s, fc, s.features, short_of);
    } catch (const input_error& e) {
        throw input_error(c.file + ": [output] " + e.what());
    }
    // Segments need enough samples whatever the options.
    if (!short_of.empty())
        throw input_error(c.file +
                          ": [output] features: spectra and synchrony need at least 4 samples after the "
                          "transient, the run records " +
                          std::to_string(M));
}

} // namespace nms::spec_io

namespace nms {

sampling sampling_of(const sweep_spec& s) {
    sampling smp;
    const long se = std::max(1L, s.sample_every);
    smp.dt_ms = s.dt * double(se);
    smp.fs = 1000.0 / smp.dt_ms;
    const long t0 = transient_steps(s) / se + 1; // first sampled step, in units of sample_every
    smp.n_samples = std::max(0L, n_steps(s) / se - transient_steps(s) / se);
    smp.t0_ms = double(t0) * smp.dt_ms;
    return smp;
}

} // namespace nms
