#include "nmsweep/sweep/driver.hpp"

#include "attractor_maps.hpp"
#include "seizure_maps.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/core/noise.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/features.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "observation.hpp"
#include "run_output.hpp"
#include "sweep_observer.hpp"
#include "run_parts.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <set>
#include <sstream>

namespace nms {

namespace {

// Progress: a bar on a terminal, plain lines every 10 s otherwise.
class progress {
  public:
    progress(std::size_t total, double node_steps_per_point, bool quiet)
        : total_(total), work_(node_steps_per_point), quiet_(quiet), tty_(isatty(fileno(stderr))),
          t0_(clock_type::now()), last_(t0_) {}
    void update(std::size_t done, bool force = false) {
        if (quiet_) return;
        const auto now = clock_type::now();
        const double since = std::chrono::duration<double>(now - last_).count();
        if (!force && since < (tty_ ? 0.2 : 10.0)) return;
        last_ = now;
        const double el = std::chrono::duration<double>(now - t0_).count();
        const double rate = el > 0 ? double(done - start_) * work_ / el : 0;
        const double eta = done > start_ ? el * double(total_ - done) / double(done - start_) : 0;
        const double frac = total_ ? double(done) / double(total_) : 1;
        if (tty_) {
            const int w = 30, f = int(frac * w);
            std::fprintf(stderr, "\r[%s%s] %zu/%zu points  %.2e node-steps/s  ETA %s   ",
                         std::string(f, '#').c_str(), std::string(w - f, '.').c_str(), done, total_, rate,
                         human_seconds(eta).c_str());
            if (done == total_) std::fprintf(stderr, "\n");
        } else {
            std::fprintf(stderr, "nmsweep: %zu/%zu points (%.0f%%), %.2e node-steps/s, ETA %s\n", done,
                         total_, 100 * frac, rate, human_seconds(eta).c_str());
        }
        std::fflush(stderr);
    }
    void set_start(std::size_t s) { start_ = s; }

  private:
    std::size_t total_, start_ = 0;
    double work_;
    bool quiet_, tty_;
    clock_type::time_point t0_, last_;
};

// Creates every dataset of a new result: its structure is then final.
template <class T>
void write_structure(h5::result_writer& w, const sweep_spec& s, const connectome& net, run_reducers& R,
                     const observations& obsv) {
    const auto& model = find_model(s.model);
    const std::size_t nv = model.states.size(), nn = net.n;
    if (!s.sampler.kind.empty())
        for (std::size_t k = 0; k < s.sampler.params.size(); ++k) {
            const auto& v = s.sampler.values[k];
            w.write_array("samples/" + s.sampler.params[k].name, {v.size()}, v.data(), {"sample"});
        }
    for (auto& red : R.all) {
        red->reset(1, int(nn));
        const auto outs = red->outputs();
        for (std::size_t k = 0; k < outs.size(); ++k) {
            const auto& o = outs[k];
            w.add_dataset(o.name, o.extra_dims, o.extra_sizes, red->integer_output(k), o.units, o.description,
                          o.extra_scales);
            for (const auto& [key, value] : red->output_attrs(k)) w.set_attr(o.name, key, value);
        }
    }
    obsv.write_static(w);
    write_hypotheses(w, s, nn);
    write_lesions(w, s, net);
    if (R.want_final) {
        w.add_dataset("features/final_state", {"variable", "node"}, {nv, nn}, false, "",
                      "state of every variable at the end of the run (variables in model order)");
        std::vector<std::string> names;
        for (const auto& st : model.states) names.push_back(st.name);
        w.set_attr("features/final_state", "variables", names);
    }
    const std::vector<double> nan_series(series_length(s) * nn, std::nan(""));
    for (auto k : series_points(s))
        w.write_array("timeseries/point_" + std::to_string(k), {series_length(s), nn}, nan_series.data(),
                      {"time", "node"});
}

// Runs points first .. first+count-1 and writes their results (not yet
// marked done); diverged points get each output's diverged value.
template <class T>
run_result run_one_batch(h5::result_writer& w, const sweep_spec& s, const connectome& net, run_reducers& R,
                         observations& obsv, const run_options& opt, const std::string& backend,
                         std::size_t first, std::size_t count, attractor_table& atab) {
    const std::size_t nn = net.n, nv = find_model(s.model).states.size();
    batch b = make_batch(s, net, first, count);
    b.first_instance = first;
    for (auto& red : R.all) red->reset(count, int(nn));
    obsv.prepare_batch(first, count);
    const std::vector<reducer*> rp = R.on_observable(obsv);
    std::vector<std::size_t> ts;
    for (auto k : series_points(s))
        if (k >= first && k < first + count) ts.push_back(k);
    sweep_observer<T> obs(s.observable_coef, transient_steps(s), s.sample_every, rp, first, ts,
                          s.timeseries.enabled ? s.timeseries.every : 0);
    R.add_channels(obs, obsv);
    run_result res = run_batch<T>(b, opt, &obs, backend);

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
            if (red.get() == R.attractor && k < 4) {
                auto& dst = k == 0 ? atab.cls : k == 1 ? atab.amplitude : k == 2 ? atab.frequency : atab.mean;
                std::copy(buf.begin(), buf.begin() + long(count), dst.begin() + long(first));
            }
            w.write_points(outs[k].name, first, count, buf.data());
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
        w.write_points("features/final_state", first, count, buf.data());
    }
    for (const auto& [k, series] : obs.series()) {
        if (series.size() != series_length(s) * nn)
            throw std::logic_error("time series of point " + std::to_string(k) + ": " +
                                   std::to_string(series.size() / nn) + " samples, expected " +
                                   std::to_string(series_length(s)));
        w.write_array("timeseries/point_" + std::to_string(k), {series_length(s), nn}, series.data(),
                      {"time", "node"});
    }
    w.write_status(first, count, res.diverged_step.data());
    return res;
}

template <class T>
void run_sweep_t(const sweep_request& r, const sweep_spec& s, const connectome& net,
                 const std::vector<input_record>& inputs) {
    const std::string backend = choose_backend(r.backend);
    const std::string out = r.output.empty() ? s.output_path : r.output;
    const std::size_t total = n_points(s);
    const int threads = r.threads > 0 ? r.threads : omp_get_max_threads();
    const run_identity id = identity_of(s, r.precision, inputs);
    check_output_path(out, s, inputs);
    std::error_code ec;
    bool resume = r.resume && std::filesystem::exists(out, ec);
    if (r.resume && !resume && !r.quiet)
        std::fprintf(stderr, "nmsweep: nothing to resume at %s: starting the run\n", out.c_str());

    // Reducers (built before the file, so that a bad option leaves none behind).
    run_reducers R = make_reducers(s);
    // [output.bold] and [[output.sensors]]: their reducers join the others.
    observations obsv(s, net);
    obsv.take_reducers(R.all);
    for (auto& red : R.all) red->reset(1, int(net.n));
    check_resources(s, out, result_bytes(s, net, R.all, R.want_final), resume, R.attractor != nullptr);

    h5::result_writer w =
        resume ? h5::result_writer::resume(out)
               : h5::result_writer::create(out, result_axes(s), net.n, net.labels, r.overwrite);
    if (resume) check_resumable(w, s, id);
    if (!resume) {
        write_provenance(w, s, net, r, id, backend, threads);
        write_structure<T>(w, s, net, R, obsv);
        w.seal();
    }
    // The attractor results of every point, for the maps at the end (those
    // of an interrupted run come back from its file).
    attractor_table atab;
    if (R.attractor) {
        atab.resize(total);
        if (resume) {
            atab.cls = w.read_all("features/attractor_class");
            atab.amplitude = w.read_all("features/amplitude");
            atab.frequency = w.read_all("features/frequency");
            atab.mean = w.read_all("features/attractor_mean");
        }
    }
    std::vector<std::uint8_t> done = w.done_mask();
    long n_div = 0; // diverged points, including those of an earlier run being resumed
    if (resume) {
        const auto d = w.read_all("status/diverged_step");
        for (std::size_t k = 0; k < d.size(); ++k) n_div += done[k] && d[k] >= 0;
    }
    std::size_t n_done = std::size_t(std::count(done.begin(), done.end(), 1));
    const double work_per_point = double(net.n) * double(n_steps(s));
    progress prog(total, work_per_point, r.quiet);
    prog.set_start(n_done);

    reduce_on_device<T>(s, R, obsv, backend);

    const std::size_t bs = batch_size(r, s, net, R.all, backend, threads);
    run_options opt;
    opt.threads = threads;
    opt.devices = r.devices;
    opt.mapping = r.gpu_mapping == "node"       ? gpu_mapping::node
                  : r.gpu_mapping == "instance" ? gpu_mapping::instance
                                                : gpu_mapping::automatic;
    std::set<std::string> mappings; // CUDA: the mappings the batches ran with

    const auto t0 = clock_type::now();
    double node_steps = 0;
    long batches = 0;
    std::size_t i = 0;
    while (i < total) {
        if (done[i]) {
            ++i;
            continue;
        }
        std::size_t j = i;
        const std::size_t end = batch_end(s, i, std::min(bs, total - i)); // (one network per batch)
        while (j < end && !done[j]) ++j;
        const std::size_t count = j - i;
        run_result res = run_one_batch<T>(w, s, net, R, obsv, opt, backend, i, count, atab);
        if (!res.mapping.empty()) mappings.insert(res.mapping);
        node_steps += double(count) * work_per_point;
        w.mark_done(i, count); // the points' data are durable before they count as done
        for (long d : res.diverged_step) n_div += d >= 0;
        std::fill(done.begin() + long(i), done.begin() + long(j), 1);
        n_done += count;
        prog.update(n_done, n_done == total);
        i = j;
        if (r.stop_after_batches >= 0 && ++batches >= r.stop_after_batches && n_done < total)
            return; // as if killed: the file stays incomplete
    }
    // Refinement runs when the grid is done (again on resume: its points are
    // not marked done one by one, and it takes a fraction of the grid's time).
    refine_result refined;
    if (R.attractor && s.attractor.refine) {
        if (!r.quiet) std::fprintf(stderr, "nmsweep: refining the attractor boundaries\n");
        refined = refine_grid<T>(r, s, net, opt, backend, atab);
        std::size_t ok = 0;
        for (const auto& b : refined.boundaries) ok += b.resolved;
        if (!r.quiet)
            std::fprintf(stderr,
                         "nmsweep: %zu boundaries (%zu within tol) from %zu more points in %zu rounds\n",
                         refined.boundaries.size(), ok, refined.samples.size(), refined.rounds);
        node_steps += work_per_point * double(refined.samples.size() * grid_layout_of(s).n_ic);
    }
    w.begin_final_writes();
    if (R.attractor) write_attractor_maps(w, s, atab);
    if (R.attractor && s.attractor.refine) write_refined_boundaries(w, s, refined);
    write_seizure_maps(w, s);
    const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    w.set_attr("", "wall_seconds", wall);
    w.set_attr("", "node_steps_per_second", wall > 0 ? node_steps / wall : 0.0);
    w.set_attr("", "diverged_points", n_div);
    if (!mappings.empty()) {
        std::string m;
        for (const auto& k : mappings) m += (m.empty() ? "" : ",") + k;
        w.set_attr("", "gpu_mapping", m);
    }
    w.finish();
    if (!r.quiet) {
        std::fprintf(stderr, "nmsweep: wrote %s: %zu points, %ld diverged, %.1f s, %.2e node-steps/s\n",
                     out.c_str(), total, n_div, wall, wall > 0 ? node_steps / wall : 0.0);
    }
}

template <class T>
void simulate_t(const sweep_request& r, const sweep_spec& s, const connectome& net, long every,
                const std::vector<input_record>& inputs) {
    // One point with every state variable recorded: the CPU backend (a GPU
    // would idle all but one thread).
    const std::string backend = "cpu";
    const std::string out = r.output.empty() ? s.output_path : r.output;
    if (r.point >= n_points(s))
        throw input_error("--point " + std::to_string(r.point) + ": the spec has " +
                          std::to_string(n_points(s)) + " grid points (0 .. " +
                          std::to_string(n_points(s) - 1) + ")");
    check_output_path(out, s, inputs);
    const run_identity id = identity_of(s, r.precision, inputs);
    batch b = make_batch(s, net, r.point, 1);
    b.first_instance = r.point;
    const auto& model = find_model(s.model);
    const std::size_t nv = model.states.size(), nn = net.n;
    struct recorder final : observer<T> {
        std::vector<double> data;
        std::vector<double> time;
        double dt = 0;
        void observe(const block_state<T>& st) override {
            time.push_back(double(st.step) * dt);
            for (int v = 0; v < st.n_state; ++v)
                for (int n = 0; n < st.n_nodes; ++n) data.push_back(double(st.at(v, n, 0)));
        }
    } rec;
    rec.every = std::max(1L, every);
    rec.dt = s.dt;
    run_options opt;
    opt.threads = 1;
    const double steps = double(n_steps(s) / rec.every);
    require_memory(8.0 * steps * double(nv * nn) * 2, "the time series of every variable");
    if (8.0 * steps * double(nv * nn) > double(free_disk_bytes(out)))
        throw input_error(out + ": the time series need " + human_bytes(8.0 * steps * double(nv * nn)) +
                          " on disk, and " + human_bytes(double(free_disk_bytes(out))) + " is free there");
    run_result res = run_cpu<T>(b, opt, &rec);
    // Written whole, then moved into place by finish(): the file appears complete or not at all.
    h5::result_writer w = h5::result_writer::create(out, {}, nn, net.labels, r.overwrite);
    write_provenance(w, s, net, r, id, backend, 1);
    std::vector<double> var_idx(nv);
    for (std::size_t v = 0; v < nv; ++v) var_idx[v] = double(v);
    std::vector<std::string> var_names;
    for (const auto& st : model.states) var_names.push_back(st.name);
    w.write_array("timeseries/time", {rec.time.size()}, rec.time.data(), {"time"});
    w.write_array("timeseries/state", {rec.time.size(), nv, nn}, rec.data.data(),
                  {"time", "variable", "node"});
    w.set_attr("timeseries/state", "variables", var_names);
    w.set_attr("timeseries/time", "units", std::string("ms"));
    w.set_attr("", "diverged_step", res.diverged_step[0]);
    w.set_attr("", "grid_point", long(r.point));
    {
        const auto idx = grid_index(s, r.point);
        const auto axes = result_axes(s);
        for (std::size_t k = 0; k < axes.size(); ++k) {
            w.set_parameter(axes[k].name, axes[k].values[idx[k]], axes[k].unit);
            if (const hypothesis_axis* h = find_hypotheses(s, axes[k].name))
                w.set_attr("parameters", axes[k].name + ".label", h->labels[idx[k]]);
            if (const lesion_axis* l = find_lesions(s, axes[k].name))
                w.set_attr("parameters", axes[k].name + ".label", l->labels[idx[k]]);
        }
    }
    w.write_status(0, 1, res.diverged_step.data());
    const long one = 1;
    w.write_points("status/done", 0, 1, &one);
    w.finish();
    if (!r.quiet)
        std::fprintf(stderr, "nmsweep: wrote %s: %zu samples of %zu variables x %zu nodes%s\n", out.c_str(),
                     rec.time.size(), nv, nn, res.diverged_step[0] >= 0 ? " (DIVERGED)" : "");
}

// The spec's warnings on stderr (also with -q: they may explain a result).
void print_warnings(const sweep_spec& s) {
    for (const auto& w : s.warnings) std::fprintf(stderr, "nmsweep: warning: %s\n", w.c_str());
}

} // namespace

void run_sweep(const sweep_request& req) {
    input_log log; // every input file the spec names, for the result's provenance
    const sweep_spec s = load_spec(req.spec_path);
    print_warnings(s);
    const connectome net = load_network(s);
    sweep_request r = req;
    if (r.precision.empty()) r.precision = s.precision;
    if (r.precision == "double")
        run_sweep_t<double>(r, s, net, log.records());
    else
        run_sweep_t<float>(r, s, net, log.records());
}

void simulate_point(const sweep_request& req, long every) {
    input_log log;
    const sweep_spec s = load_spec(req.spec_path);
    print_warnings(s);
    const connectome net = load_network(s);
    sweep_request r = req;
    if (r.precision.empty()) r.precision = s.precision;
    if (r.precision == "double")
        simulate_t<double>(r, s, net, every, log.records());
    else
        simulate_t<float>(r, s, net, every, log.records());
}

} // namespace nms
