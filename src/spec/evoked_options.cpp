// [output.evoked]: the pulsed stimulus whose responses are averaged and the
// window (nmsweep/sweep/evoked.hpp), resolved and checked against the
// stimuli and the sampled signal.
#include "spec_io.hpp"

namespace nms::spec_io {

namespace {

bool pulsed(wave k) { return k == wave::pulse_train || k == wave::pulse; }

bool uses_evoked(const std::vector<std::string>& features) {
    for (const auto& f : features)
        if (contains(evoked_features(), f)) return true;
    return false;
}

// Where the first evoked feature was asked for ("output.features" or a
// sensor modality's), for messages.
std::string where_asked(const sweep_spec& s) {
    if (uses_evoked(s.features)) return where_of(s, "output.features");
    for (const auto& m : s.sensors)
        if (uses_evoked(m.features)) return where_of(s, "output.sensors." + m.name + ".features");
    return s.path;
}

// The shortest period (ms) the stimulus takes: as written, and over a swept
// frequency (grid axis or sampler range); infinite for a single pulse.
double shortest_period(const sweep_spec& s, const stimulus& st) {
    if (st.kind == wave::pulse) return std::numeric_limits<double>::infinity();
    double f = st.props[wp_frequency];
    const std::string key = "stimulus." + st.name + ".frequency";
    for (std::size_t a = 0; a < s.axis_refs.size(); ++a)
        if (s.axis_refs[a].key == key)
            for (double x : s.axes[a].values) f = std::max(f, x);
    for (std::size_t d = 0; d < s.sampler.params.size(); ++d)
        if (s.sampler.params[d].key == key)
            for (double x : s.sampler.ranges[d]) f = std::max(f, x);
    return 1000.0 / f;
}

} // namespace

void parse_evoked(const ctx& c, const reader& r, sweep_spec& s) {
    const std::string sec = "output.evoked";
    auto& o = s.evoked;
    const tval* tv = r.get("evoked");
    const tval *stim_v = nullptr, *window_v = nullptr;
    std::string window_key;
    if (tv) {
        reader t(c, sec, *tv);
        t.only({"stimulus", "pre", "post", "pci_threshold", "max_pulses"});
        if ((stim_v = t.get("stimulus"))) o.stimulus = t.str(*stim_v, "stimulus");
        if (const tval* v = t.get("pre")) {
            o.pre_ms = t.finite(*v, "pre");
            if (!(o.pre_ms >= 0)) c.fail(*v, sec, "pre", "must be >= 0 ms");
            window_v = v;
            window_key = "pre";
        }
        if (const tval* v = t.get("post")) {
            o.post_ms = t.finite(*v, "post");
            if (!(o.post_ms > 0)) c.fail(*v, sec, "post", "must be > 0 ms");
            window_v = v;
            window_key = "post";
        }
        if (const tval* v = t.get("pci_threshold")) {
            o.pci_threshold = t.finite(*v, "pci_threshold");
            if (!(o.pci_threshold >= 0))
                c.fail(*v, sec, "pci_threshold", "must be >= 0 (baseline standard deviations)");
        }
        if (const tval* v = t.get("max_pulses")) {
            o.max_pulses = t.integer(*v, "max_pulses");
            if (o.max_pulses < 1) c.fail(*v, sec, "max_pulses", "must be >= 1");
        }
        c.note(sec, *tv, sec, "");
    }
    bool used = uses_evoked(s.features);
    for (const auto& m : s.sensors) used = used || uses_evoked(m.features);
    if (!used) {
        if (tv)
            c.fail(
                *tv, sec, "",
                "needs an evoked feature (erp, erp_peak_amplitude, erp_peak_latency, erp_decay_time, pci) in "
                "[output] or [[output.sensors]] features",
                false);
        return;
    }
    const stimulus* st = nullptr;
    std::vector<std::string> pulsed_names;
    for (const auto& x : s.stimuli)
        if (pulsed(x.stim.kind)) pulsed_names.push_back(x.stim.name);
    for (const auto& x : s.stimuli)
        if (o.stimulus.empty() ? pulsed(x.stim.kind) : x.stim.name == o.stimulus) {
            st = &x.stim;
            break;
        }
    if (stim_v && !st)
        c.fail(*stim_v, sec, "stimulus",
               "no [[stimulus]] named '" + o.stimulus + "'" + did_you_mean(o.stimulus, pulsed_names));
    if (stim_v && !pulsed(st->kind))
        c.fail(*stim_v, sec, "stimulus",
               "the stimulus '" + o.stimulus + "' is a " + wave_names[int(st->kind)] +
                   ": evoked responses need a pulse_train or pulse");
    if (!st)
        throw input_error(
            where_asked(s) +
            ": evoked features (erp, pci, ...) need a [[stimulus]] with waveform = \"pulse_train\" "
            "or \"pulse\" (the spec has none)");
    o.stimulus = st->name;
    if (!(o.post_ms > 0)) o.post_ms = std::min(200.0, shortest_period(s, *st));
    const sampling smp = sampling_of(s);
    const double recorded = double(smp.n_samples) * smp.dt_ms;
    if (o.pre_ms + o.post_ms + smp.dt_ms > recorded) {
        const std::string msg = "the window pre + post = " + num(o.pre_ms) + " + " + num(o.post_ms) +
                                " ms does not fit in the " + num(recorded) +
                                " ms recorded after the transient";
        if (window_v) c.fail(*window_v, sec, window_key, msg);
        throw input_error(where_asked(s) + ": " + msg);
    }
}

} // namespace nms::spec_io
