// [output]: path, observable, features, sampling, time series, and the
// analysis and observation tables below it.
#include "spec_io.hpp"

namespace nms::spec_io {

void parse_output(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P) {
    s.observable = P.m->observable;
    s.features = {"mean", "std", "min", "max", "final"};
    {
        fs::path stem = fs::path(c.file).stem();
        s.output_path = (stem.empty() ? std::string("sweep") : stem.string()) + ".h5";
    }
    std::string err;
    if (!root.contains("output")) {
        s.observable_coef = parse_observable(s.observable, *P.m, err);
        if (!err.empty()) throw input_error(c.file + ": default observable of model " + s.model + ": " + err);
        parse_bold(c, nullptr, s, P); // a swept bold.<constant> needs [output.bold]
        return;
    }
    reader r(c, "output", root.at("output"));
    r.only({"path", "observable", "features", "sample_every", "timeseries", "spectra", "synchrony", "fc",
            "attractor", "seizure", "bold", "sensors", "ramp", "entrainment", "evoked", "stability",
            "controllability"});
    if (const tval* v = r.get("path")) {
        s.output_path = r.str(*v, "path");
        if (s.output_path.empty()) c.fail(*v, "output", "path", "empty");
        c.note("output.path", *v, "output", "path");
    }
    if (const tval* v = r.get("observable")) {
        s.observable = r.str(*v, "observable");
        s.observable_coef = parse_observable(s.observable, *P.m, err);
        if (!err.empty()) c.fail(*v, "output", "observable", err);
        c.note("output.observable", *v, "output", "observable");
    } else {
        s.observable_coef = parse_observable(s.observable, *P.m, err);
    }
    if (const tval* v = r.get("features")) {
        s.features.clear();
        const auto& a = r.array(*v, "features");
        for (const auto& e : a) {
            std::string f = r.str(e, "features");
            if (!contains(known_features(), f))
                c.fail(e, "output", "features", "unknown feature" + did_you_mean(f, known_features()));
            if (contains(s.features, f)) c.fail(e, "output", "features", "'" + f + "' listed twice");
            s.features.push_back(f);
        }
        c.note("output.features", *v, "output", "features");
    }
    const long steps = n_steps(s);
    if (const tval* v = r.get("sample_every")) {
        s.sample_every = r.integer(*v, "sample_every");
        if (s.sample_every < 1) c.fail(*v, "output", "sample_every", "must be >= 1 step");
        if (s.sample_every > steps - transient_steps(s))
            c.fail(*v, "output", "sample_every",
                   "longer than the recorded part of the run (" + std::to_string(steps - transient_steps(s)) +
                       " steps)");
        c.note("output.sample_every", *v, "output", "sample_every");
    }
    if (const tval* tv = r.get("timeseries")) {
        reader rt(c, "output", *tv);
        for (const auto& [k, v] : entries(*tv))
            if (k != "every" && k != "instances")
                c.fail(*v, "output", "timeseries." + k,
                       "unknown key" + did_you_mean(k, {"every", "instances"}), false);
        s.timeseries.enabled = true;
        s.timeseries.every = s.sample_every;
        if (const tval* v = rt.get("every")) {
            s.timeseries.every = rt.integer(*v, "timeseries.every");
            if (s.timeseries.every < 1) c.fail(*v, "output", "timeseries.every", "must be >= 1 step");
        }
        s.timeseries.instances = {0};
        if (const tval* v = rt.get("instances")) {
            s.timeseries.instances.clear();
            const auto& a = rt.array(*v, "timeseries.instances");
            const std::size_t N = n_points(s);
            for (const auto& e : a) {
                long i = rt.integer(e, "timeseries.instances");
                if (i < 0 || (std::size_t(i) >= N && !grid_pending(s))) // (else once the network is read)
                    c.fail(e, "output", "timeseries.instances",
                           "instance outside the grid 0.." + std::to_string(N - 1));
                s.timeseries.instances.push_back(std::size_t(i));
            }
            if (a.empty()) c.fail(*v, "output", "timeseries.instances", "empty list");
        }
        c.note("output.timeseries", *tv, "output", "timeseries");
    }
    parse_analysis(c, r, s);
    parse_bold(c, r.get("bold"), s, P);
    parse_sensors(c, r, s, P);
    parse_evoked(c, r, s); // (after the sensors: their features may be evoked ones)
    if (s.features.empty() && !s.bold.enabled && s.sensors.empty() && !s.timeseries.enabled)
        throw input_error(where_of(s, "output.features") +
                          ": empty: the run would store nothing; list at least one feature (e.g. [\"mean\", "
                          "\"std\"]), or add [output.bold], [[output.sensors]] or timeseries");
}

} // namespace nms::spec_io
