// [output.seizure] and a sensor modality's seizure = { ... }: the seizure
// detector's rule (seizure_options in nmsweep/sweep/reducers.hpp), with the
// model's own rule (M::seizure) where the spec leaves a key out.
#include "spec_io.hpp"

#include "nmsweep/io/input_file.hpp"

#include <sstream>

namespace nms::spec_io {

namespace {

// Rows "label [onset ms]" of a recording's onsets; a first row whose second
// column is not a number is a header. Errors name file:line.
void parse_observed_rows(const std::string& text, observed_onsets& o) {
    std::istringstream f(text);
    std::string line;
    int lineno = 0;
    while (std::getline(f, line)) {
        ++lineno;
        const auto tok = row_tokens(line);
        if (tok.empty()) continue;
        const std::string at = o.file + ":" + std::to_string(lineno);
        if (tok.size() > 2)
            throw input_error(at + ": expected 'label [onset ms]', got " + std::to_string(tok.size()) +
                              " columns");
        double t = std::nan("");
        if (tok.size() == 2 && !is_number(tok[1], &t)) {
            if (o.labels.empty() && lineno == 1) continue; // a header
            throw input_error(at + ": onset '" + tok[1] + "' is not a number (ms)");
        }
        if (tok.size() == 2 && !std::isfinite(t))
            throw input_error(at + ": onset '" + tok[1] + "' is not finite");
        o.labels.push_back(tok[0]);
        o.lines.push_back(lineno);
        o.onset.push_back(t);
    }
    if (o.labels.empty()) throw input_error(o.file + ": no onsets (rows 'label [onset ms]')");
}

} // namespace

// Keys of one detector table over `o` (which holds the defaults).
void parse_seizure_table(const ctx& c, const tval& tv, const std::string& sec, const std::string& pre,
                         seizure_options& o, bool network_keys) {
    reader t(c, sec, tv);
    std::vector<std::string> keys{"measure", "window", "on", "off"};
    if (network_keys) keys.insert(keys.end(), {"generalised", "observed", "top"});
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
    if (const tval* v = t.get("top")) {
        o.top = t.integer(*v, pre + "top");
        if (o.top < 1) c.fail(*v, sec, pre + "top", "must be >= 1 (points listed in the ranking)");
    }
    if (o.on == o.off)
        c.fail(tv, sec, pre + "on",
               "on and off must differ (on > off: seizing above on; on < off: below); both are " + num(o.on),
               false);
    if (t.get("on") || t.get("off") || mv || t.get("window"))
        o.source = "the spec's [" + sec + "]" + (pre.empty() ? "" : " " + pre.substr(0, pre.size() - 1));
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
        const reader rt(c, "output.seizure", t);
        if (const tval* v = rt.get("observed")) {
            s.observed.file = resolve_path(c, rt.str(*v, "observed"));
            try {
                parse_observed_rows(read_input_file(s.observed.file, "observed onsets"), s.observed);
            } catch (const input_error& e) {
                c.fail(*v, "output.seizure", "observed", e.what(), false);
            }
            c.note("output.seizure.observed", *v, "output.seizure", "observed");
            o.observed = s.observed.file;
        }
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

namespace nms {

namespace {

// Channels named, or numbered 0..n-1 when they have no names.
struct channel_space {
    std::string what;
    std::vector<std::string> names;
    std::size_t n;
};

// The channel of each observed label; -1 where absent.
std::vector<long> match_labels(const observed_onsets& o, const channel_space& sp) {
    std::vector<long> at;
    for (const auto& l : o.labels) {
        const auto it = std::find(sp.names.begin(), sp.names.end(), l);
        double x = 0;
        if (it != sp.names.end())
            at.push_back(long(it - sp.names.begin()));
        else if (sp.names.empty() && spec_io::is_number(l, &x) && x >= 0 && x < double(sp.n) &&
                 x == std::floor(x))
            at.push_back(long(x));
        else
            at.push_back(-1);
    }
    return at;
}

// The observation on `n` channels; repeated labels are errors.
void fill(const observed_onsets& o, const std::vector<long>& at, std::size_t n, seizure_options& dst) {
    dst.observed_recruited.assign(n, 0);
    dst.observed_onset.assign(n, std::nan(""));
    std::vector<int> row_of(n, -1);
    for (std::size_t r = 0; r < at.size(); ++r) {
        const auto c = std::size_t(at[r]);
        if (row_of[c] >= 0)
            throw input_error(o.file + ":" + std::to_string(o.lines[r]) + ": '" + o.labels[r] +
                              "' again (first on line " + std::to_string(o.lines[std::size_t(row_of[c])]) +
                              ")");
        row_of[c] = int(r);
        dst.observed_recruited[c] = 1;
        dst.observed_onset[c] = o.onset[r];
    }
    dst.observed = o.file;
}

} // namespace

void resolve_observed(sweep_spec& s, const connectome& net) {
    const observed_onsets& o = s.observed;
    if (o.file.empty()) return;
    const bool regions_wanted =
        std::find(s.features.begin(), s.features.end(), "seizure") != s.features.end();
    // The space whose names match every label: the regions first, then the
    // contacts of each modality that detects seizures.
    std::vector<channel_space> spaces;
    if (regions_wanted)
        spaces.push_back({"the regions of the connectome (" + net.source + ")", net.labels, net.n});
    std::vector<sensor_spec*> mods;
    for (auto& m : s.sensors)
        if (std::find(m.features.begin(), m.features.end(), "seizure") != m.features.end()) {
            const auto gain = make_sensor_model(s, m, net).gain;
            spaces.push_back(
                {"the contacts of [[output.sensors]] '" + m.name + "'", gain.sensor_labels, gain.n_sensors});
            mods.push_back(&m);
        }
    const std::string where = where_of_key(s, "output.seizure.observed");
    if (spaces.empty())
        throw input_error(where + ": observed onsets need \"seizure\" in [output] features or in a sensor "
                                  "modality's features");
    std::size_t best = 0, best_hits = 0;
    for (std::size_t k = 0; k < spaces.size(); ++k) {
        const auto at = match_labels(o, spaces[k]);
        const std::size_t hits =
            std::size_t(std::count_if(at.begin(), at.end(), [](long a) { return a >= 0; }));
        if (hits == at.size()) {
            seizure_options& dst =
                regions_wanted && k == 0 ? s.seizure : mods[k - (regions_wanted ? 1 : 0)]->seizure;
            fill(o, at, spaces[k].n, dst);
            return;
        }
        if (hits > best_hits) best = k, best_hits = hits;
    }
    const channel_space& sp = spaces[best];
    const auto at = match_labels(o, sp);
    for (std::size_t r = 0; r < at.size(); ++r)
        if (at[r] < 0)
            throw input_error(o.file + ":" + std::to_string(o.lines[r]) + ": '" + o.labels[r] +
                              "' is not one of " + sp.what +
                              (sp.names.empty()
                                   ? " (no labels: number them 0.." + std::to_string(sp.n - 1) + ")"
                                   : did_you_mean(o.labels[r], sp.names)) +
                              " (every label of " + where + " must name a channel of one space)");
}

} // namespace nms
