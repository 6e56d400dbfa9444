// [output.entrainment] (entrainment_options, nmsweep/sweep/reducers.hpp) and
// the static checks of the entrainment features: a periodic [[stimulus]] to
// observe, and enough samples after the transient before its onset and
// during it, for every onset and stop the sweep gives it.
#include "../sweep/entrainment_math.hpp"
#include "spec_io.hpp"

namespace nms::spec_io {

namespace {

const std::vector<std::string> family = {"entrainment", "stim_plv", "locking", "stim_power", "rhythm_change"};

bool periodic(const stimulus& m) { return m.kind == wave::pulse_train || m.kind == wave::sine; }

// The values property `prop` of stimulus `name` takes: its own, or a sweep
// axis's, or a sampler's range ends.
std::vector<double> values_of(const sweep_spec& s, const stimulus& m, int prop) {
    const std::string key = "stimulus." + m.name + "." + wave_prop_names[prop];
    for (std::size_t a = 0; a < s.axes.size() && a < s.axis_refs.size(); ++a)
        if (s.axis_refs[a].key == key) return s.axes[a].values;
    for (std::size_t k = 0; k < s.sampler.params.size() && k < s.sampler.ranges.size(); ++k)
        if (s.sampler.params[k].key == key) return s.sampler.ranges[k];
    return {m.props[std::size_t(prop)]};
}

// Sampled steps t (transient < t <= n_steps, t % every == 0) in [a, b).
long samples_in(const sweep_spec& s, long a, long b) {
    const long se = std::max(1L, s.sample_every);
    const long lo = std::max(a, transient_steps(s) + 1), hi = std::min(b, n_steps(s) + 1);
    if (hi <= lo) return 0;
    auto multiples_below = [&](long x) { return x <= 0 ? 0 : (x - 1) / se + 1; }; // multiples of se in [0, x)
    return multiples_below(hi) - multiples_below(lo);
}

void check_windows(const sweep_spec& s, const stimulus& m, bool before) {
    const long need = std::max(entrainment_min_samples, s.entrainment.nperseg);
    const std::string at_onset = where_of(s, "stimulus." + m.name + ".onset");
    const std::string where = at_onset != s.path ? at_onset : where_of(s, "output.features");
    for (double onset : values_of(s, m, wp_onset))
        for (double stop : values_of(s, m, wp_stop)) {
            auto q = m.props;
            q[wp_onset] = onset;
            q[wp_stop] = stop;
            const long first = impl::stimulus_first_step(m.kind, q.data(), s.dt);
            const long end = impl::stimulus_end_step(m.kind, q.data(), s.dt);
            const long nb = samples_in(s, 0, first), nd = samples_in(s, first, end);
            const std::string at = "stimulus '" + m.name + "' (onset " + num(onset) + " ms, stop " +
                                   num(stop) + " ms, transient " + num(s.transient) + " ms, duration " +
                                   num(s.duration) + " ms)";
            if (before && nb < need)
                throw input_error(
                    where + ": entrainment: " + std::to_string(nb) +
                    " samples after the transient before the onset of " + at + ", at least " +
                    std::to_string(need) +
                    " needed for the rhythm before it (rhythm_change): start the stimulus later "
                    "or shorten the transient");
            if (nd < need)
                throw input_error(where + ": entrainment: " + std::to_string(nd) +
                                  " samples after the transient during " + at + ", at least " +
                                  std::to_string(need) + " needed");
        }
}

void parse_options(const ctx& c, const tval& tv, entrainment_options& o, double nyq) {
    reader t(c, "output.entrainment", tv);
    t.only({"stimulus", "bandwidth", "edge", "max_order", "n_harmonics", "nperseg", "band"});
    if (const tval* v = t.get("stimulus")) o.stimulus = t.str(*v, "stimulus");
    auto real = [&](const char* key, double& dst, double lo, double hi) {
        if (const tval* v = t.get(key)) {
            dst = t.finite(*v, key);
            if (!(dst > lo && dst < hi))
                c.fail(*v, t.section, key, "must be in (" + num(lo) + ", " + num(hi) + ")");
        }
    };
    real("bandwidth", o.bandwidth, 0.0, 1.0);
    real("edge", o.edge, -1e-300, 0.5);
    t.integer_in("max_order", o.max_order, 1, 16);
    t.integer_in("n_harmonics", o.n_harmonics, 1, 32);
    t.integer_in("nperseg", o.nperseg, entrainment_min_samples, 1L << 24);
    if (const tval* v = t.get("band")) {
        const auto x = t.numbers(*v, "band");
        if (x.size() != 2 || !(x[0] >= 0 && x[0] < x[1]))
            c.fail(*v, t.section, "band", "expected [lo, hi] in Hz with 0 <= lo < hi");
        if (x[0] >= nyq)
            c.fail(*v, t.section, "band", "starts above the Nyquist frequency " + num(nyq) + " Hz");
        o.band_lo = x[0];
        o.band_hi = x[1];
    }
}

} // namespace

void parse_entrainment(const ctx& c, const reader& r, sweep_spec& s) {
    const tval* tv = r.get("entrainment");
    if (tv) {
        parse_options(c, *tv, s.entrainment, sampling_of(s).fs / 2);
        c.note("output.entrainment", *tv, "output.entrainment", "");
    }
    std::vector<std::string> picked;
    for (const auto& f : s.features)
        if (contains(family, f)) picked.push_back(f);
    if (picked.empty()) return;
    const auto& o = s.entrainment;
    const stimulus* m = nullptr;
    for (const auto& st : s.stimuli)
        if (!m && (o.stimulus.empty() ? periodic(st.stim) : st.stim.name == o.stimulus)) m = &st.stim;
    if (!o.stimulus.empty()) {
        const tval& v = tv->as_table().at("stimulus");
        std::vector<std::string> names;
        for (const auto& st : s.stimuli) names.push_back(st.stim.name);
        if (!m)
            c.fail(v, "output.entrainment", "stimulus",
                   "no [[stimulus]] of that name" + did_you_mean(o.stimulus, names));
        if (!periodic(*m))
            c.fail(v, "output.entrainment", "stimulus",
                   "stimulus '" + o.stimulus + "' is a " + wave_names[int(m->kind)] +
                       ": entrainment needs a periodic one (pulse_train or sine)");
    } else if (!m) {
        throw input_error(
            where_of(s, "output.features") + ": entrainment features (" + picked.front() +
            ") need a periodic [[stimulus]] (waveform = \"pulse_train\" or \"sine\"); the spec has " +
            (s.stimuli.empty() ? std::string("none") : "no periodic one"));
    }
    check_windows(s, *m, contains(picked, "rhythm_change") || contains(picked, "entrainment"));
}

} // namespace nms::spec_io
