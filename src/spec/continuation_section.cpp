// [continuation] (continuation_spec, nmsweep/sweep/continuation_run.hpp).
#include "spec_io.hpp"

namespace nms::spec_io {

namespace {

std::array<double, 2> bounds(const ctx& c, const reader& t, const tval& v, const std::string& key) {
    if (!v.is_array() || v.as_array().size() != 2)
        c.fail(v, t.section, key, "expected [low, high], two numbers");
    const std::array<double, 2> b{t.finite(v.as_array()[0], key), t.finite(v.as_array()[1], key)};
    if (!(b[0] < b[1]))
        c.fail(v, t.section, key, "expected low < high, got [" + num(b[0]) + ", " + num(b[1]) + "]");
    return b;
}

std::string parameter(const ctx& c, const reader& t, const tval& v, const std::string& key) {
    const std::string p = t.str(v, key);
    if (p.rfind("model.", 0) != 0 && p.rfind("coupling.", 0) != 0)
        c.fail(v, t.section, key, "'" + p + "': expected model.<parameter> or coupling.<parameter>");
    return p;
}

} // namespace

void parse_continuation(const ctx& c, const tval& root, sweep_spec& s) {
    if (!root.as_table().count("continuation")) return;
    const tval& tv = root.at("continuation");
    reader t(c, "continuation", tv);
    t.only({"param", "range", "param2", "range2", "start", "step", "max_step", "max_points", "delays"});
    auto& o = s.continuation;
    o.given = true;
    o.param = parameter(c, t, t.need("param"), "param");
    o.range = bounds(c, t, t.need("range"), "range");
    if (const tval* v = t.get("param2")) {
        o.param2 = parameter(c, t, *v, "param2");
        if (o.param2 == o.param) c.fail(*v, t.section, "param2", "is the same parameter as param");
        o.range2 = bounds(c, t, t.need("range2"), "range2");
    } else if (const tval* v = t.get("range2")) {
        c.fail(*v, t.section, "range2", "given without param2");
    }
    if (const tval* v = t.get("start")) {
        o.start = t.str(*v, "start");
        if (o.start != "final" && o.start != "initial")
            c.fail(*v, t.section, "start", "'" + o.start + "': expected \"final\" or \"initial\"");
    }
    auto positive = [&](const char* key, double& dst) {
        if (const tval* v = t.get(key)) {
            dst = t.finite(*v, key);
            if (!(dst > 0)) c.fail(*v, t.section, key, "must be > 0");
        }
    };
    positive("step", o.step);
    positive("max_step", o.max_step);
    if (o.step > o.max_step)
        c.fail(tv, t.section, "step", "is larger than max_step (" + num(o.max_step) + ")", false);
    if (const tval* v = t.get("max_points")) {
        o.max_points = t.integer(*v, "max_points");
        if (o.max_points < 2 || o.max_points > 1000000)
            c.fail(*v, t.section, "max_points", "must be in 2 .. 1000000");
    }
    if (const tval* v = t.get("delays")) {
        const std::string d = t.str(*v, "delays");
        if (d != "pseudospectral" && d != "ignore" && d != "refuse")
            c.fail(*v, t.section, "delays",
                   "'" + d +
                       "': expected \"pseudospectral\" (stability from the delay equation's roots), "
                       "\"ignore\" (continue the network with every delay zero) or \"refuse\"" +
                       did_you_mean(d, {"pseudospectral", "ignore", "refuse"}));
        o.delays = d;
    }
    c.note("continuation", tv, "continuation", "");
}

} // namespace nms::spec_io
