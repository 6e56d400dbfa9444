#include "run_parts.hpp"

#include "nmsweep/models/registry.hpp"

#include <cmath>
#include <stdexcept>

namespace nms {

template <class T>
run_result run_one_batch(point_sink& w, const sweep_spec& s, const connectome& net, run_reducers& R,
                         observations& obsv, const run_options& opt, const std::string& backend,
                         std::size_t first, std::size_t count) {
    const std::size_t nn = net.n, nv = find_model(s.model).states.size();
    batch b = make_batch(s, net, first, count);
    b.first_instance = first;
    for (auto& red : R.all) {
        red->set_batch(b);
        red->reset(count, int(nn));
    }
    obsv.prepare_batch(first, count);
    const std::vector<reducer*> rp = R.on_observable(obsv);
    std::vector<std::size_t> ts;
    for (auto k : series_points(s))
        if (k >= first && k < first + count) ts.push_back(k);
    sweep_observer<T> obs(s.observable_coef, transient_steps(s), s.sample_every, rp, first, ts,
                          s.timeseries.enabled ? s.timeseries.every : 0);
    R.add_channels(obs, obsv);
    run_result res = run_batch<T>(b, opt, &obs, backend);
    if (res.interrupted) return res; // (its results are void)
    for (auto& red : R.all) red->set_final(res);

    std::vector<double> buf;
    for (auto& red : R.all) {
        const auto outs = red->outputs();
        for (std::size_t k = 0; k < outs.size(); ++k) {
            std::size_t m = 1;
            for (auto e : outs[k].extra_sizes) m *= e;
            buf.assign(count * m, 0.0);
            for (std::size_t q = 0; q < count; ++q) {
                red->result(k, q, buf.data() + q * m);
                if (res.diverged_step[q] >= 0)
                    std::fill(buf.begin() + long(q * m), buf.begin() + long((q + 1) * m),
                              red->diverged_value(k));
            }
            w.points(outs[k].name, first, count, buf.data());
        }
    }
    if (R.want_final) {
        buf.assign(count * nv * nn, 0.0);
        for (std::size_t q = 0; q < count; ++q)
            for (std::size_t v = 0; v < nv; ++v)
                for (std::size_t n = 0; n < nn; ++n)
                    buf[(q * nv + v) * nn + n] = res.diverged_step[q] >= 0
                                                     ? std::nan("") // not a state: the run blew up
                                                     : res.final_state[(v * nn + n) * count + q];
        w.points("features/final_state", first, count, buf.data());
    }
    for (const auto& [k, series] : obs.series()) {
        if (series.size() != series_length(s) * nn)
            throw std::logic_error("time series of point " + std::to_string(k) + ": " +
                                   std::to_string(series.size() / nn) + " samples, expected " +
                                   std::to_string(series_length(s)));
        w.series(k, series_length(s), nn, series.data());
    }
    w.status(first, count, res.diverged_step.data());
    return res;
}

template run_result run_one_batch<float>(point_sink&, const sweep_spec&, const connectome&, run_reducers&,
                                         observations&, const run_options&, const std::string&, std::size_t,
                                         std::size_t);
template run_result run_one_batch<double>(point_sink&, const sweep_spec&, const connectome&, run_reducers&,
                                          observations&, const run_options&, const std::string&, std::size_t,
                                          std::size_t);

} // namespace nms
