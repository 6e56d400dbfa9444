// [integrator]: scheme, delayed coupling, dt, duration, transient, precision, noise.
#include "spec_io.hpp"

namespace nms::spec_io {

void parse_integrator(const ctx& c, const tval& root, sweep_spec& s, const parsed_ctx& P) {
    if (!root.contains("integrator"))
        throw input_error(c.file + ": missing section [integrator] (with dt and duration in ms)");
    reader r(c, "integrator", root.at("integrator"));
    r.only({"method", "delayed_coupling", "dt", "duration", "transient", "noise", "precision"});
    if (const tval* v = r.get("precision")) {
        std::string x = r.str(*v, "precision");
        const std::vector<std::string> ok{"float", "double"};
        if (!contains(ok, x))
            c.fail(*v, "integrator", "precision", "expected float or double" + did_you_mean(x, ok));
        s.precision = x;
        c.note("integrator.precision", *v, "integrator", "precision");
    }
    if (const tval* v = r.get("method")) {
        std::string x = r.str(*v, "method");
        const std::vector<std::string> ok{"euler", "heun", "rk4"};
        if (!contains(ok, x)) c.fail(*v, "integrator", "method", "unknown method" + did_you_mean(x, ok));
        s.method = x == "euler" ? scheme::euler : x == "heun" ? scheme::heun : scheme::rk4;
        c.note("integrator.method", *v, "integrator", "method");
    }
    if (const tval* v = r.get("delayed_coupling")) {
        std::string x = r.str(*v, "delayed_coupling");
        const std::vector<std::string> ok{"hold", "interpolate"};
        if (!contains(ok, x))
            c.fail(*v, "integrator", "delayed_coupling",
                   "expected hold or interpolate" + did_you_mean(x, ok));
        s.delayed = x == "hold" ? delayed_coupling::hold : delayed_coupling::interpolate;
        c.note("integrator.delayed_coupling", *v, "integrator", "delayed_coupling");
    }
    const tval& dtv = r.need("dt");
    s.dt = r.number(dtv, "dt");
    if (!(s.dt > 0) || !std::isfinite(s.dt)) c.fail(dtv, "integrator", "dt", "must be > 0 ms");
    c.note("integrator.dt", dtv, "integrator", "dt");
    const tval& duv = r.need("duration");
    s.duration = r.number(duv, "duration");
    if (!(s.duration > 0) || !std::isfinite(s.duration))
        c.fail(duv, "integrator", "duration", "must be > 0 ms");
    c.note("integrator.duration", duv, "integrator", "duration");
    const double steps = std::nearbyint(s.duration / s.dt);
    if (steps < 1) c.fail(duv, "integrator", "duration", "shorter than one step dt = " + num(s.dt));
    if (steps > 2e9)
        c.fail(duv, "integrator", "duration", num(steps) + " steps of dt = " + num(s.dt) + " is too many");
    if (const tval* v = r.get("transient")) {
        s.transient = r.number(*v, "transient");
        if (!(s.transient >= 0) || !(s.transient < s.duration))
            c.fail(*v, "integrator", "transient", "must be in [0, duration = " + num(s.duration) + ") ms");
        if (std::nearbyint(s.transient / s.dt) >= steps)
            c.fail(*v, "integrator", "transient",
                   "leaves no step after the transient (dt = " + num(s.dt) + ")");
        c.note("integrator.transient", *v, "integrator", "transient");
    }
    if (const tval* nv = r.get("noise")) {
        reader rn(c, "integrator", *nv);
        for (const auto& [k, v] : entries(*nv))
            if (!contains({"sigma", "nsig", "vars", "seed"}, k))
                c.fail(*v, "integrator", "noise." + k,
                       "unknown key" + did_you_mean(k, {"sigma", "nsig", "vars", "seed"}), false);
        c.note("integrator.noise", *nv, "integrator", "noise");
        const tval* sv = rn.get("sigma");
        const tval* ns = rn.get("nsig");
        if (sv && ns)
            c.fail(*ns, "integrator", "noise.nsig",
                   "give either sigma or nsig (sigma = sqrt(2 nsig)), not both");
        const bool tvb = !sv && ns;
        const std::string skey = tvb ? "noise.nsig" : "noise.sigma";
        const tval* sig = sv ? sv : ns;
        auto conv = [&](const tval& v, const std::string& key) {
            double x = rn.finite(v, key);
            if (x < 0) c.fail(v, "integrator", key, "must be >= 0");
            return tvb ? std::sqrt(2 * x) : x;
        };
        const auto snames = state_names(*P.m);
        std::vector<std::string> vars;
        if (const tval* vv = rn.get("vars")) {
            if (sig && sig->is_table())
                c.fail(*vv, "integrator", "noise.vars",
                       "not with a per-variable " + skey + " table (its keys name the variables)");
            const auto& a = rn.array(*vv, "noise.vars");
            for (std::size_t i = 0; i < a.size(); ++i) {
                std::string x = rn.str(a[i], "noise.vars");
                if (state_index(*P.m, x) < 0)
                    c.fail(a[i], "integrator", "noise.vars",
                           "model " + s.model + " has no state variable '" + x + "'" +
                               did_you_mean(x, snames));
                if (contains(vars, x)) c.fail(a[i], "integrator", "noise.vars", "'" + x + "' listed twice");
                vars.push_back(x);
            }
            if (vars.empty()) c.fail(*vv, "integrator", "noise.vars", "empty list");
        }
        if (sig && sig->is_table()) {
            for (const auto& [k, v] : entries(*sig)) {
                if (state_index(*P.m, k) < 0)
                    c.fail(*v, "integrator", skey + "." + k,
                           "model " + s.model + " has no state variable '" + k + "'" +
                               did_you_mean(k, snames),
                           false);
                s.noise_sigma[k] = conv(*v, skey + "." + k);
                c.note("noise." + k, *v, "integrator", skey + "." + k);
            }
        } else {
            const double x = sig ? conv(*sig, skey) : 0.0;
            if (vars.empty()) {
                if (!sig) c.fail(*nv, "integrator", "noise", "give sigma (or nsig) and/or vars", false);
                vars = snames; // TVB: a scalar nsig applies to every state variable
            }
            for (const auto& v : vars) {
                s.noise_sigma[v] = x;
                c.note("noise." + v, sig ? *sig : *nv, "integrator", sig ? skey : "noise");
            }
        }
        if (const tval* v = rn.get("seed")) {
            long x = rn.integer(*v, "noise.seed");
            if (x < 0) c.fail(*v, "integrator", "noise.seed", "must be >= 0");
            s.seed = std::uint64_t(x);
            c.note("noise.seed", *v, "integrator", "noise.seed");
        }
    }
}

} // namespace nms::spec_io
