#include "observation.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/features.hpp"

#include <algorithm>

namespace nms {

observations::observations(const sweep_spec& s, const connectome& net) : s_(s) {
    const sampling smp = sampling_of(s);
    if (s.bold.enabled) {
        try {
            owned_.push_back(observe::make_bold_reducer(s.bold.opt, smp.dt_ms, int(net.n)));
        } catch (const input_error& e) {
            auto it = s.where.find("output.bold");
            throw input_error((it != s.where.end() ? it->second : s.path + ": [output.bold]") + ": " +
                              e.what());
        }
        bold_ = owned_.back().get();
        entries_.push_back({bold_, s.bold.drive_coef, s.bold.drive_coef == s.observable_coef});
    }
    for (const auto& m : s.sensors) {
        sensor_model sm = make_sensor_model(s, m, net);
        std::vector<std::unique_ptr<reducer>> parts;
        try {
            feature_context fc;
            fc.smp = smp;
            fc.sensor_space = true;
            fc.seizure = &m.seizure;
            for (auto& made : make_feature_reducers(s, fc, m.features)) parts.push_back(std::move(made.r));
        } catch (const input_error& e) {
            auto it = s.where.find("output.sensors." + m.name);
            throw input_error((it != s.where.end() ? it->second : s.path + ": [output.sensors]") + ": " +
                              e.what());
        }
        observe::projection_options po;
        po.group = "sensors/" + m.name;
        po.noise = m.noise;
        auto pr = observe::make_projected_reducer(sm.gain, make_composite_reducer(std::move(parts)), po);
        projected_.push_back(pr.get());
        entries_.push_back({pr.get(), m.observable_coef, m.observable_coef == s.observable_coef});
        owned_.push_back(std::move(pr));
        models_.push_back(std::move(sm));
    }
}

void observations::take_reducers(std::vector<std::unique_ptr<reducer>>& out) {
    for (auto& r : owned_) out.push_back(std::move(r));
    owned_.clear();
}

bool observations::on_observable(const reducer* r) const {
    for (const auto& e : entries_)
        if (e.r == r) return e.main;
    return true;
}

std::vector<std::pair<std::vector<double>, std::vector<reducer*>>> observations::channels() const {
    std::vector<std::pair<std::vector<double>, std::vector<reducer*>>> out;
    for (const auto& e : entries_) {
        if (e.main) continue;
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& c) { return c.first == e.coef; });
        if (it == out.end())
            out.push_back({e.coef, {e.r}});
        else
            it->second.push_back(e.r);
    }
    return out;
}

void observations::write_static(h5::result_writer& w) const {
    if (s_.bold.enabled) {
        const auto& o = s_.bold.opt;
        const auto k = observe::resolve_bold_constants(o.preset, o.overrides);
        w.set_attr("bold", "preset", o.preset);
        w.set_attr("bold", "drive", s_.bold.drive.empty() ? s_.observable : s_.bold.drive);
        w.set_attr("bold", "drive_scale", o.input_gain);
        w.set_attr("bold", "drive_offset", o.input_offset);
        w.set_attr("bold", "method", o.method);
        w.set_attr("bold", "dt_ms", o.dt_ms);
        w.set_attr("bold", "tr_ms", o.tr_ms);
        w.set_attr("bold", "transient_ms", o.transient_ms);
        const std::pair<const char*, double> c[] = {{"kappa", k.kappa}, {"gamma", k.gamma}, {"tau", k.tau},
                                                    {"alpha", k.alpha}, {"rho", k.rho},     {"V0", k.V0},
                                                    {"k1", k.k1},       {"k2", k.k2},       {"k3", k.k3}};
        for (const auto& [name, value] : c) w.set_attr("bold", name, value);
        for (const auto& [name, value] : o.overrides) w.set_attr("bold", name, value);
        w.set_attr(
            "bold", "description",
            "Balloon-Windkessel BOLD signal change (a fraction) driven per node by z = drive_scale * drive + "
            "drive_offset (1/s^2); constants in seconds (kappa, gamma 1/s; tau s); swept bold.<constant> "
            "axes override these per point");
    }
    for (std::size_t q = 0; q < s_.sensors.size(); ++q) {
        const auto& m = s_.sensors[q];
        const auto& sm = models_[q];
        const std::string g = "sensors/" + m.name;
        const auto& G = sm.gain;
        w.write_array(g + "/gain", {G.n_sensors, G.n_regions}, G.values.data(), {"sensor", "node"}, {},
                      G.units,
                      "lead field: sensor signal = sum over nodes of gain x the node's observable" +
                          std::string(m.reference.empty() ? "" : " (re-referenced: " + m.reference + ")") +
                          "; " + G.source);
        if (!sm.sensors.positions.empty()) {
            std::vector<double> pos;
            for (const auto& p : sm.sensors.positions) pos.insert(pos.end(), p.begin(), p.end());
            w.write_array(g + "/positions", {sm.sensors.size(), 3}, pos.data(), {"sensor", "xyz"}, {}, "mm",
                          "sensor positions (x, y, z) from " + sm.sensors.source);
        }
        if (!sm.sensors.orientations.empty()) {
            std::vector<double> ori;
            for (const auto& p : sm.sensors.orientations) ori.insert(ori.end(), p.begin(), p.end());
            w.write_array(g + "/orientations", {sm.sensors.size(), 3}, ori.data(), {"sensor", "xyz"}, {}, "",
                          "sensor (coil) orientations from " + sm.sensors.source);
        }
        if (!G.sensor_labels.empty()) w.set_attr(g + "/sensor", "labels", G.sensor_labels);
        w.set_attr(g + "/sensor", "description",
                   std::string("sensor index; attribute labels holds the sensor names"));
        w.set_attr(g, "gain", m.gain_file ? m.gain : "computed: " + m.gain);
        if (!m.sensors.empty()) w.set_attr(g, "sensors", m.sensors);
        if (m.gain == "dipole") w.set_attr(g, "conductivity_S_per_m", m.conductivity);
        if (!m.gain_file && m.gain != "inverse_square") w.set_attr(g, "orientations", m.orientations);
        if (m.gain == "inverse_square") w.set_attr(g, "region_weights", m.region_weights);
        w.set_attr(g, "reference", m.reference.empty() ? std::string("none") : m.reference);
        w.set_attr(g, "observable", m.observable.empty() ? s_.observable : m.observable);
        w.set_attr(g, "noise_sigma", m.noise.sigma);
        w.set_attr(g, "noise_seed", long(m.noise.seed));
        w.set_attr(g, "gain_units", G.units);
        w.set_attr(
            g, "description",
            "sensor space: signals = gain x the regional observable + white noise (noise_sigma); features "
            "as in /features and /spectra, per sensor; network_* = of the mean over sensors");
    }
}

void observations::prepare_batch(std::size_t first, std::size_t count) const {
    for (auto* p : projected_) p->set_instance_offset(first);
    if (bold_) {
        auto k = bold_instance_constants(s_, first, count);
        if (!k.empty()) observe::set_bold_instance_constants(*bold_, k);
    }
}

} // namespace nms
