// [output.seizure] and a sensor modality's seizure = { ... }: the seizure
// detector's rule (seizure_options in nmsweep/sweep/reducers.hpp), with the
// model's own rule (M::seizure) where the spec leaves a key out.
#include "spec_io.hpp"

namespace nms::spec_io {

// Keys of one detector table over `o` (which holds the defaults).
void parse_seizure_table(const ctx& c, const tval& tv, const std::string& sec, const std::string& pre,
                         seizure_options& o, bool network_keys) {
    reader t(c, sec, tv);
    std::vector<std::string> keys{"measure", "window", "on", "off"};
    if (network_keys) keys.push_back("generalised");
    for (const auto& [k, v] : entries(tv))
        if (!contains(keys, k)) c.fail(*v, sec, pre + k, "unknown key" + did_you_mean(k, keys), false);
    const tval* mv = t.get("measure");
    if (mv) {
        const std::string m = t.str(*mv, pre + "measure");
        if (m != "level" && m != "line_length")
            c.fail(*mv, sec, pre + "measure",
                   "expected level or line_length" + did_you_mean(m, {"level", "line_length"}));
        // Thresholds of another measure do not carry over.
        if (m != o.measure && (!t.get("on") || !t.get("off")))
            c.fail(*mv, sec, pre + "measure",
                   "a measure other than the default (" + o.measure +
                       ") needs its own on and off thresholds");
        o.measure = m;
    }
    if (const tval* v = t.get("window")) {
        o.window_ms = t.finite(*v, pre + "window");
        if (o.window_ms < 0) c.fail(*v, sec, pre + "window", "must be >= 0 ms (0: no smoothing)");
    }
    if (const tval* v = t.get("on")) o.on = t.finite(*v, pre + "on");
    if (const tval* v = t.get("off")) o.off = t.finite(*v, pre + "off");
    if (const tval* v = t.get("generalised")) {
        o.generalised = t.finite(*v, pre + "generalised");
        if (!(o.generalised > 0 && o.generalised <= 1))
            c.fail(*v, sec, pre + "generalised", "must be a fraction of the nodes in (0, 1]");
    }
    if (o.on == o.off)
        c.fail(tv, sec, pre + "on",
               "on and off must differ (on > off: seizing above on; on < off: below); both are " + num(o.on),
               false);
    if (t.get("on") || t.get("off") || mv || t.get("window")) o.source = "[" + sec + "] at " + c.at(tv);
}

// [output.seizure] over the model's rule; an error when "seizure" is
// asked for and neither gives thresholds.
void parse_seizure(const ctx& c, const reader& r, sweep_spec& s) {
    const model_info& m = find_model(s.model);
    auto& o = s.seizure;
    if (m.seizure) {
        o.measure = m.seizure->measure;
        o.window_ms = m.seizure->window_ms;
        o.on = m.seizure->on;
        o.off = m.seizure->off;
        o.source = "model " + m.name + "'s rule for its observable " + m.observable + ": " + m.seizure->why;
    }
    const tval* tv = r.get("seizure");
    if (tv) {
        const tval& t = *tv;
        if (!m.seizure && (!t.is_table() || !t.contains("on") || !t.contains("off")))
            c.fail(t, "output.seizure", "",
                   "model " + m.name + " has no seizure rule of its own: give measure, on and off", false);
        parse_seizure_table(c, t, "output.seizure", "", o, true);
        c.note("output.seizure", t, "output.seizure", "");
    }
    if (!contains(s.features, "seizure")) return;
    if (!m.seizure && !tv)
        throw input_error(where_of(s, "output.features") + ": 'seizure': model " + m.name +
                          " has no seizure rule of its own: give [output.seizure] measure, on and off");
    if (m.seizure && s.observable != m.observable && (!tv || !tv->contains("on")))
        s.warnings.push_back(where_of(s, "output.features") + ": 'seizure' uses model " + m.name +
                             "'s thresholds, made for its observable " + m.observable +
                             ", on the observable " + s.observable +
                             ": check them ([output.seizure] on, off)");
}

} // namespace nms::spec_io
