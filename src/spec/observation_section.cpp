// [output.bold] and [[output.sensors]]: what a recording would observe.
#include "spec_io.hpp"

#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"

namespace nms::spec_io {

// Every constant name of every BOLD preset (sweepable as bold.<name>).
std::vector<std::string> all_bold_constants() {
    std::vector<std::string> out;
    for (const auto& p : observe::bold_presets())
        for (const auto& n : observe::bold_constant_names(p))
            if (!contains(out, n)) out.push_back(n);
    return out;
}

// "bold: tr = 0 ms must be > 0" -> "tr = 0 ms must be > 0" (the section is in the prefix already).
std::string strip_bold(const std::string& msg) { return msg.rfind("bold: ", 0) == 0 ? msg.substr(6) : msg; }

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
}

// [output.bold]: the Balloon-Windkessel observation (nmsweep/observe/bold.hpp).
// Runs after [output] observable and the sweeps are known: checks the swept
// bold.<constant> values against the preset too.
void parse_bold(const ctx& c, const tval* tv, sweep_spec& s, const parsed_ctx& P) {
    auto& b = s.bold;
    const sampling smp = sampling_of(s);
    const std::string sec = "output.bold";
    if (tv) {
        reader t(c, sec, *tv);
        b.enabled = true;
        auto& o = b.opt;
        if (const tval* v = t.get("preset")) {
            o.preset = t.str(*v, "preset");
            if (!contains(observe::bold_presets(), o.preset))
                c.fail(*v, sec, "preset",
                       "unknown preset" + did_you_mean(o.preset, observe::bold_presets()) +
                           " (known: " + joined(observe::bold_presets()) + ")");
        }
        const auto consts = observe::bold_constant_names(o.preset);
        std::vector<std::string> allowed{"preset", "drive", "scale",     "offset",     "method",
                                         "dt",     "tr",    "transient", "timeseries", "empirical_fc"};
        for (const auto& k : consts) allowed.push_back(k);
        for (const auto& [k, v] : entries(*tv))
            if (!contains(allowed, k) && contains(all_bold_constants(), k))
                c.fail(*v, sec, k,
                       "not a constant of preset '" + o.preset + "' (its constants: " + joined(consts) + ")");
        t.only(allowed);
        for (const auto& k : consts) {
            const tval* v = t.get(k);
            if (!v) continue;
            o.overrides[k] = t.finite(*v, k);
            try {
                observe::resolve_bold_constants(o.preset, o.overrides);
            } catch (const input_error& e) {
                c.fail(*v, sec, k, strip_bold(e.what()));
            }
            c.note(sec + "." + k, *v, sec, k);
        }
        if (const tval* v = t.get("drive")) {
            b.drive = t.str(*v, "drive");
            std::string err;
            b.drive_coef = parse_observable(b.drive, *P.m, err);
            if (!err.empty()) c.fail(*v, sec, "drive", err);
        }
        if (const tval* v = t.get("scale")) o.input_gain = t.finite(*v, "scale");
        if (const tval* v = t.get("offset")) o.input_offset = t.finite(*v, "offset");
        if (const tval* v = t.get("method")) {
            o.method = t.str(*v, "method");
            if (o.method != "rk4" && o.method != "heun")
                c.fail(*v, sec, "method", "expected rk4 or heun" + did_you_mean(o.method, {"rk4", "heun"}));
        }
        auto positive_ms = [&](const char* key, double& dst, bool allow_zero) {
            if (const tval* v = t.get(key)) {
                dst = t.finite(*v, key);
                if (allow_zero ? !(dst >= 0) : !(dst > 0))
                    c.fail(*v, sec, key, std::string("must be ") + (allow_zero ? ">= 0" : "> 0") + " ms");
                c.note(sec + "." + key, *v, sec, key);
            }
        };
        positive_ms("dt", o.dt_ms, false);
        positive_ms("tr", o.tr_ms, false);
        positive_ms("transient", o.transient_ms, true);
        if (const tval* v = t.get("timeseries")) {
            if (!v->is_boolean())
                c.fail(*v, sec, "timeseries", "expected true or false, got " + type_name(*v));
            o.keep_timeseries = v->as_boolean();
        }
        if (const tval* v = t.get("empirical_fc")) {
            o.empirical_source = resolve_path(c, t.str(*v, "empirical_fc"));
            try {
                std::size_t n = 0;
                o.empirical_fc = read_square_matrix(o.empirical_source, &n);
            } catch (const input_error& e) {
                c.fail(*v, sec, "empirical_fc", e.what(), false);
            }
            c.note(sec + ".empirical_fc", *v, sec, "empirical_fc");
        }
        o.n_samples = smp.n_samples;
        o.t0_ms = smp.t0_ms;
        std::vector<double> emp;
        std::swap(emp, o.empirical_fc); // the size is checked against the network later
        try {
            observe::make_bold_reducer(o, smp.dt_ms, 1);
        } catch (const input_error& e) {
            c.fail(*tv, sec, "", strip_bold(e.what()), false);
        }
        std::swap(emp, o.empirical_fc);
        const long nb = observe::bold_sample_count(o, smp.dt_ms, smp.n_samples);
        if (nb < 2) {
            const tval* v = t.get("tr") ? t.get("tr") : tv;
            c.fail(*v, sec, "tr",
                   "the run gives " + std::to_string(nb) + " BOLD sample(s): the features see " +
                       num(double(smp.n_samples) * smp.dt_ms) +
                       " ms (duration - transient), the BOLD transient is " + num(o.transient_ms) +
                       " ms and TR " + num(o.tr_ms) +
                       " ms; lengthen [integrator] duration or shorten [output.bold] transient or tr",
                   false);
        }
        c.note(sec, *tv, sec, "");
    }
    if (b.drive_coef.empty()) b.drive_coef = s.observable_coef;

    // Swept constants: [output.bold] must exist, the name belong to its
    // preset, and every value give valid constants.
    auto check = [&](const param_ref& ref, const std::vector<double>& values, const std::string& note) {
        if (ref.k != param_ref::kind::bold) return;
        const std::string w = where_of(s, note);
        if (!b.enabled)
            throw input_error(w + ": '" + ref.name +
                              "' sweeps a BOLD constant, but the spec has no [output.bold]");
        const std::string k = ref.key.substr(5);
        const auto consts = observe::bold_constant_names(b.opt.preset);
        if (!contains(consts, k))
            throw input_error(w + ": '" + ref.name + "' is not a constant of BOLD preset '" + b.opt.preset +
                              "' (its constants: " + joined(consts) + ")");
        for (double x : values) {
            auto ov = b.opt.overrides;
            ov[k] = x;
            try {
                observe::resolve_bold_constants(b.opt.preset, ov);
            } catch (const input_error& e) {
                throw input_error(w + ": " + ref.name + ": " + strip_bold(e.what()) + " (value " + num(x) +
                                  ")");
            }
        }
    };
    for (std::size_t a = 0; a < s.axes.size(); ++a)
        check(s.axis_refs[a], s.axes[a].values, "sweep." + s.axes[a].name);
    for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
        check(s.sampler.params[d], s.sampler.ranges[d], "sampler." + s.sampler.params[d].name);
}

// noise = { sigma, seed } of a sensor modality.
static void parse_sensor_noise(const ctx& c, const std::string& sec, const tval& v, sensor_spec& m) {
    reader rn(c, sec, v);
    for (const auto& [k, x] : entries(v))
        if (k != "sigma" && k != "seed")
            c.fail(*x, sec, "noise." + k, "unknown key" + did_you_mean(k, {"sigma", "seed"}), false);
    if (const tval* x = rn.get("sigma")) {
        m.noise.sigma = rn.finite(*x, "noise.sigma");
        if (m.noise.sigma < 0) c.fail(*x, sec, "noise.sigma", "must be >= 0 (sensor units)");
    }
    if (const tval* x = rn.get("seed")) {
        const long sd = rn.integer(*x, "noise.seed");
        if (sd < 0) c.fail(*x, sec, "noise.seed", "must be >= 0");
        m.noise.seed = std::uint64_t(sd);
    }
}

// [[output.sensors]]: one table per modality (nmsweep/observe/leadfield.hpp).
// Files are read here so that a bad one fails before the run; what needs the
// network (centres, region count, labels) is checked by make_sensor_model.
void parse_sensors(const ctx& c, const reader& r, sweep_spec& s, const parsed_ctx& P) {
    const tval* tv = r.get("sensors");
    if (!tv) return;
    const std::string sec = "output.sensors";
    if (tv->is_table())
        c.fail(*tv, sec, "",
               "write each modality as [[output.sensors]] (an array of tables), not [output.sensors]", false);
    if (!tv->is_array()) c.fail(*tv, sec, "", "expected [[output.sensors]] tables, got " + type_name(*tv));
    const std::vector<std::string> kinds{"dipole", "magnetic_dipole", "inverse_square"};
    for (const auto& t : tv->as_array()) {
        reader rt(c, sec, t);
        rt.only({"name", "sensors", "gain", "conductivity", "orientations", "region_weights", "reference",
                 "noise", "observable", "features", "seizure"});
        sensor_spec m;
        const tval& nv = rt.need("name");
        m.name = rt.str(nv, "name");
        const bool ok = !m.name.empty() && std::all_of(m.name.begin(), m.name.end(), [](char ch) {
            return std::isalnum((unsigned char)ch) || ch == '_' || ch == '-';
        });
        if (!ok)
            c.fail(nv, sec, "name", "names may hold letters, digits, '_' and '-' (it names /sensors/<name>)");
        for (const auto& o : s.sensors)
            if (o.name == m.name)
                c.fail(nv, sec, "name", "two [[output.sensors]] tables named '" + m.name + "'");
        const std::string id = sec + "." + m.name;
        c.note(id, nv, sec, "name = \"" + m.name + "\"");
        auto note = [&](const tval& v, const std::string& key) { c.note(id + "." + key, v, sec, key); };
        if (const tval* v = rt.get("sensors")) {
            m.sensors = resolve_path(c, rt.str(*v, "sensors"));
            try {
                observe::read_sensors(m.sensors);
            } catch (const input_error& e) {
                c.fail(*v, sec, "sensors", e.what(), false);
            }
            note(*v, "sensors");
        }
        const tval* gv = rt.get("gain");
        if (gv) {
            const std::string g = rt.str(*gv, "gain");
            if (contains(kinds, g)) {
                m.gain = g;
            } else {
                const bool looks_like_file =
                    g.find('.') != std::string::npos || g.find('/') != std::string::npos;
                if (!looks_like_file)
                    c.fail(*gv, sec, "gain",
                           "expected dipole, magnetic_dipole, inverse_square or a gain-matrix file (.csv, "
                           ".txt, .npy)" +
                               did_you_mean(g, kinds));
                m.gain = resolve_path(c, g);
                m.gain_file = true;
                try {
                    observe::read_gain_matrix(m.gain);
                } catch (const input_error& e) {
                    c.fail(*gv, sec, "gain", e.what(), false);
                }
            }
            note(*gv, "gain");
        }
        if (!m.gain_file && m.sensors.empty())
            c.fail(t, sec, "sensors",
                   "required key is missing: gain = \"" + m.gain +
                       "\" computes the gain from sensor positions (or give gain = \"<matrix file>\")",
                   false);
        if (const tval* v = rt.get("conductivity")) {
            if (m.gain != "dipole") c.fail(*v, sec, "conductivity", "only used by gain = \"dipole\"");
            m.conductivity = rt.finite(*v, "conductivity");
            if (!(m.conductivity > 0)) c.fail(*v, sec, "conductivity", "must be > 0 S/m");
        }
        if (const tval* v = rt.get("orientations")) {
            if (m.gain != "dipole" && m.gain != "magnetic_dipole")
                c.fail(*v, sec, "orientations", "only used by gain = \"dipole\" or \"magnetic_dipole\"");
            m.orientations = rt.str(*v, "orientations");
            const std::vector<std::string> okv{"auto", "radial", "connectome"};
            if (!contains(okv, m.orientations))
                c.fail(*v, sec, "orientations",
                       "expected auto, radial or connectome" + did_you_mean(m.orientations, okv));
            note(*v, "orientations");
        }
        if (const tval* v = rt.get("region_weights")) {
            if (m.gain != "inverse_square")
                c.fail(*v, sec, "region_weights", "only used by gain = \"inverse_square\"");
            m.region_weights = rt.str(*v, "region_weights");
            if (m.region_weights != "none" && m.region_weights != "areas")
                c.fail(*v, sec, "region_weights",
                       "expected none or areas" + did_you_mean(m.region_weights, {"none", "areas"}));
            note(*v, "region_weights");
        }
        if (const tval* v = rt.get("reference")) {
            m.reference = rt.str(*v, "reference");
            if (m.reference.empty())
                c.fail(*v, sec, "reference", "empty (use \"average\" or a sensor label)");
            note(*v, "reference");
        }
        if (const tval* v = rt.get("noise")) parse_sensor_noise(c, sec, *v, m);
        if (const tval* v = rt.get("observable")) {
            m.observable = rt.str(*v, "observable");
            std::string err;
            m.observable_coef = parse_observable(m.observable, *P.m, err);
            if (!err.empty()) c.fail(*v, sec, "observable", err);
        } else {
            m.observable_coef = s.observable_coef;
        }
        m.features = {"psd", "peak_freq", "band_power"};
        if (const tval* v = rt.get("features")) {
            m.features.clear();
            for (const auto& e : rt.array(*v, "features")) {
                const std::string f = rt.str(e, "features");
                if (!contains(sensor_features(), f))
                    c.fail(e, sec, "features",
                           (contains(known_features(), f)
                                ? "not available in sensor space"
                                : "unknown feature" + did_you_mean(f, sensor_features())) +
                               std::string(" (sensor features: ") + joined(sensor_features()) + ")");
                if (contains(m.features, f)) c.fail(e, sec, "features", "'" + f + "' listed twice");
                m.features.push_back(f);
            }
            if (m.features.empty()) c.fail(*v, sec, "features", "empty list");
            note(*v, "features");
        }
        m.seizure = s.seizure;
        if (const tval* v = rt.get("seizure")) {
            parse_seizure_table(c, *v, sec, "seizure.", m.seizure, false);
            if (!contains(m.features, "seizure"))
                c.fail(*v, sec, "seizure", "needs \"seizure\" in this modality's features", false);
        } else if (contains(m.features, "seizure") && s.seizure.on == s.seizure.off) {
            c.fail(t, sec, "features",
                   "'seizure': model " + s.model +
                       " has no seizure rule of its own: give seizure = { measure, on, off } here or "
                       "[output.seizure]",
                   false);
        }
        feature_context fc;
        fc.smp = sampling_of(s);
        fc.sensor_space = true;
        fc.seizure = &m.seizure;
        std::vector<std::string> short_of;
        try {
            // The shared [output.spectra] / [output.synchrony] / [output.fc] options must suit
            // the sensor features too.
            check_features(s, fc, m.features, short_of);
        } catch (const input_error& e) {
            throw input_error(c.file + ": [output.sensors] " + e.what());
        }
        if (!short_of.empty())
            c.fail(t, sec, "features",
                   "'" + short_of[0] + "' needs at least 4 samples after the transient, the run records " +
                       std::to_string(fc.smp.n_samples),
                   false);
        s.sensors.push_back(std::move(m));
    }
}

} // namespace nms::spec_io
