// The feature table (include/nmsweep/sweep/features.hpp). A new analysis is
// one row here plus its own files.

#include "nmsweep/sweep/features.hpp"

#include "nmsweep/analysis/unit_reducer.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <algorithm>

namespace nms {

namespace {

bool has(const std::vector<std::string>& v, const char* x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

void check_spectra(const sweep_spec& s, const feature_context& fc, const std::vector<std::string>&) {
    plan_spectra(s.spectra, fc.smp);
}
std::unique_ptr<reducer> make_spectra(const sweep_spec& s, const feature_context& fc,
                                      const std::vector<std::string>& picked) {
    return make_spectra_reducer(picked, s.spectra, fc.smp, fc.units);
}

// Sensor signals are not phases: their synchrony always takes the phases of
// the analytic signal.
synchrony_options synchrony_for(const sweep_spec& s, const feature_context& fc) {
    synchrony_options o = s.synchrony;
    if (fc.sensor_space) o.phase = "hilbert";
    return o;
}
void check_synchrony(const sweep_spec& s, const feature_context& fc, const std::vector<std::string>&) {
    if (!fc.phase_is_observable) plan_hilbert(synchrony_for(s, fc), fc.smp);
}
std::unique_ptr<reducer> make_synchrony(const sweep_spec& s, const feature_context& fc,
                                        const std::vector<std::string>& picked) {
    synchrony_options o = synchrony_for(s, fc);
    if (!fc.sensor_space && !phase_channel(s).empty()) {
        const auto& m = find_model(s.model);
        o.phase_source = std::string("the phase variable ") + m.states[std::size_t(m.phase_variable)].name +
                         " (not the observable)";
    }
    return make_synchrony_reducer(picked, o, fc.phase_is_observable, fc.smp);
}

// An empirical FC is region space: no fc_fit in sensor space.
fc_options fc_for(const sweep_spec& s, const feature_context& fc) {
    fc_options o = s.fc;
    if (fc.sensor_space) {
        o.empirical.clear();
        o.empirical_fc.clear();
    }
    return o;
}
void check_fc(const sweep_spec& s, const feature_context& fc, const std::vector<std::string>& picked) {
    if (has(picked, "fcd")) plan_fcd(fc_for(s, fc), fc.smp);
}
std::unique_ptr<reducer> make_fc(const sweep_spec& s, const feature_context& fc,
                                 const std::vector<std::string>& picked) {
    return make_fc_reducer(picked, fc_for(s, fc), fc.smp);
}

std::unique_ptr<reducer> make_seizure(const sweep_spec& s, const feature_context& fc,
                                      const std::vector<std::string>&) {
    return make_seizure_reducer(fc.seizure ? *fc.seizure : s.seizure, fc.smp);
}

// ---- evoked (nmsweep/sweep/evoked.hpp) ----
std::unique_ptr<reducer> make_evoked(const sweep_spec& s, const feature_context& fc,
                                     const std::vector<std::string>& picked) {
    return make_evoked_reducer(picked, s.evoked, fc.smp, fc.units);
}
// ---- end evoked ----

std::unique_ptr<reducer> make_attractor(const sweep_spec& s, const feature_context& fc,
                                        const std::vector<std::string>&) {
    return make_attractor_reducer(s.attractor, fc.smp, fc.units);
}

void check_ramp(const sweep_spec& s, const feature_context&, const std::vector<std::string>&) {
    (void)ramp_stimulus(s, s.ramp);
}
std::unique_ptr<reducer> make_ramp(const sweep_spec& s, const feature_context& fc,
                                   const std::vector<std::string>&) {
    return make_ramp_reducer(s, s.ramp, fc.smp);
}

std::unique_ptr<reducer> make_stability(const sweep_spec& s, const feature_context&,
                                        const std::vector<std::string>&) {
    return make_stability_reducer(s.stability, int(find_model(s.model).states.size()));
}

std::unique_ptr<reducer> make_controllability(const sweep_spec& s, const feature_context&,
                                              const std::vector<std::string>&) {
    controllability_context out;
    for (const auto& st : s.stimuli) out.stimuli.push_back(st.stim.name);
    for (const auto& m : s.sensors)
        if (m.name == s.controllability.sensors) {
            out.coef = m.observable_coef;
            out.gain = [s, m](const connectome& net) { return make_sensor_model(s, m, net).gain; };
        }
    return make_controllability_reducer(s.controllability, std::move(out));
}

std::unique_ptr<reducer> make_entrainment(const sweep_spec& s, const feature_context& fc,
                                          const std::vector<std::string>& picked) {
    return make_entrainment_reducer(picked, s.entrainment, fc.smp, fc.units);
}

// The family of an analysis unit: its features, where allowed, its reducer.
template <class U>
std::unique_ptr<reducer> make_unit(const sweep_spec&, const feature_context& fc,
                                   const std::vector<std::string>& picked) {
    return std::make_unique<unit_reducer<U>>(picked, fc.smp, fc.units);
}
template <class U> feature_family unit_family() {
    feature_family f{U::name, {}, "", U::sensor_space, {}, nullptr, make_unit<U>};
    for (const auto& v : U::values("")) f.features.push_back(v.feature);
    return f;
}
template <class U> void add_unit(std::vector<feature_family>& t) {
    if constexpr (U::featured) t.push_back(unit_family<U>());
}
template <class... U> void add_units(std::vector<feature_family>& t, unit_list<U...>) {
    (add_unit<U>(t), ...);
}

} // namespace

const std::vector<feature_family>& feature_table() {
    static const std::vector<feature_family> t = [] {
        std::vector<feature_family> v; // the units first (moments), then:
        add_units(v, analysis_units{});
        const std::vector<feature_family> rest = {
            // name, features, options table, sensor space, segmented, check, make
            {"final", {"final"}, "", false, {}, nullptr, nullptr},
            {"spectra",
             {"psd", "peak_freq", "peak_power", "band_power", "relative_band_power"},
             "output.spectra",
             true,
             {"psd", "peak_freq", "peak_power", "band_power", "relative_band_power"},
             check_spectra,
             make_spectra},
            {"synchrony",
             {"kuramoto_r", "metastability", "plv"},
             "output.synchrony",
             true,
             {"kuramoto_r", "metastability", "plv"},
             check_synchrony,
             make_synchrony},
            {"fc", {"fc", "fcd"}, "output.fc", true, {"fcd"}, check_fc, make_fc},
            // (its options and stimulus are checked by the spec reader: src/spec/entrainment_options.cpp)
            {"entrainment",
             {"entrainment", "stim_plv", "locking", "stim_power", "rhythm_change"},
             "output.entrainment",
             false,
             {"entrainment", "stim_plv", "locking", "stim_power", "rhythm_change"},
             nullptr,
             make_entrainment},
            {"attractor", {"attractor"}, "output.attractor", false, {}, nullptr, make_attractor},
            {"seizure", {"seizure"}, "output.seizure", true, {}, nullptr, make_seizure},
            {"ramp", {"ramp"}, "output.ramp", false, {}, check_ramp, make_ramp},
            // fixed points and their eigenvalues, from the equations (src/sweep/stability.cpp)
            {"stability", {"stability"}, "output.stability", false, {}, nullptr, make_stability},
            {"controllability",
             {"controllability"},
             "output.controllability",
             false,
             {},
             nullptr,
             make_controllability},
            // evoked responses (the spec reader checks [output.evoked]):
            {"evoked", evoked_features(), "output.evoked", true, {}, nullptr, make_evoked},
        };
        v.insert(v.end(), rest.begin(), rest.end());
        return v;
    }();
    return t;
}

const feature_family* family_of(const std::string& f) {
    for (const auto& fam : feature_table())
        if (std::find(fam.features.begin(), fam.features.end(), f) != fam.features.end()) return &fam;
    return nullptr;
}

std::vector<std::string> picked_of(const feature_family& fam, const std::vector<std::string>& features) {
    std::vector<std::string> out;
    for (const auto& f : features)
        if (std::find(fam.features.begin(), fam.features.end(), f) != fam.features.end()) out.push_back(f);
    return out;
}

const std::vector<std::string>& known_features() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> v;
        for (const auto& fam : feature_table()) v.insert(v.end(), fam.features.begin(), fam.features.end());
        return v;
    }();
    return all;
}

const std::vector<std::string>& sensor_features() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> v;
        for (const auto& fam : feature_table())
            if (fam.sensor_space) v.insert(v.end(), fam.features.begin(), fam.features.end());
        return v;
    }();
    return all;
}

void check_features(const sweep_spec& s, const feature_context& fc, const std::vector<std::string>& features,
                    std::vector<std::string>& short_of_samples) {
    short_of_samples.clear();
    if (fc.smp.n_samples < 4)
        for (const auto& f : features)
            if (const auto* fam = family_of(f); fam && has(fam->segmented, f.c_str()))
                short_of_samples.push_back(f);
    if (!short_of_samples.empty()) return;
    for (const auto& fam : feature_table()) {
        const auto picked = picked_of(fam, features);
        if (!picked.empty() && fam.check) fam.check(s, fc, picked);
    }
}

bool phase_is_observable(const sweep_spec& s) {
    if (s.synchrony.phase == "observable") return true;
    if (s.synchrony.phase == "hilbert") return false;
    return find_model(s.model).phase_variable >= 0;
}

std::vector<double> phase_channel(const sweep_spec& s) {
    const auto& m = find_model(s.model);
    if (s.synchrony.phase != "auto" || m.phase_variable < 0) return {};
    std::vector<double> coef(m.states.size(), 0.0);
    coef[std::size_t(m.phase_variable)] = 1.0;
    if (s.observable_coef == coef) return {}; // the observable is the phase
    return coef;
}

std::vector<made_reducer> make_feature_reducers(const sweep_spec& s, const feature_context& fc,
                                                const std::vector<std::string>& features) {
    std::vector<made_reducer> out;
    for (const auto& fam : feature_table()) {
        const auto picked = picked_of(fam, features);
        if (picked.empty() || !fam.make) continue;
        out.push_back({&fam, fam.make(s, fc, picked)});
    }
    return out;
}

} // namespace nms
