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

using clock_type = std::chrono::steady_clock;

std::string human_seconds(double s) {
    char buf[64];
    if (s < 120)
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    else if (s < 7200)
        std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
    else
        std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
    return buf;
}

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

std::string units_of_observable(const sweep_spec& s) {
    const auto& m = find_model(s.model);
    (void)m;
    return ""; // the state variables' units are not tabulated per model yet
}

template <class T>
run_result run_batch(const batch& b, const run_options& opt, observer<T>* obs, const std::string& backend) {
    return backend == "cuda" ? run_cuda<T>(b, opt, obs) : run_cpu<T>(b, opt, obs);
}

// cpu | cuda | auto -> the backend that runs ("auto": the GPU when this
// build has the CUDA backend and a device is usable, else the CPU).
std::string choose_backend(const std::string& want) {
    if (want == "cpu") return "cpu";
    const bool built = cuda_built();
    const bool usable = built && !cuda_devices().empty();
    if (want == "cuda") {
        if (!built)
            throw input_error(
                "--backend cuda: this build of nmsweep has no CUDA backend (nvcc was not found when it "
                "was built); use --backend cpu or auto");
        if (!usable)
            throw input_error(
                "--backend cuda: no usable CUDA device on this machine; use --backend cpu or auto");
        return "cuda";
    }
    return usable ? "cuda" : "cpu";
}

// The reducers of a run's features, and of its observation models.
struct run_reducers {
    std::vector<std::unique_ptr<reducer>> all;
    reducer* attractor = nullptr;
    bool want_final = false;
    // Synchrony of a phase model observing its phase variable, not the
    // observable (phase_channel): fed as a channel of its own.
    reducer* synchrony = nullptr;
    std::vector<double> phase_coef;
    // The reducers on the observable, and the channels (coefficients, reducers).
    std::vector<reducer*> on_observable(const observations& obsv) const {
        std::vector<reducer*> rp;
        for (auto& red : all)
            if (red.get() != synchrony && obsv.on_observable(red.get())) rp.push_back(red.get());
        return rp;
    }
    template <class T> void add_channels(sweep_observer<T>& o, const observations& obsv) const {
        for (auto& [coef, reds] : obsv.channels()) o.add_channel(coef, reds);
        if (synchrony) o.add_channel(phase_coef, {synchrony});
    }
};

run_reducers make_reducers(const sweep_spec& s) {
    run_reducers R;
    R.want_final = std::find(s.features.begin(), s.features.end(), "final") != s.features.end();
    feature_context fc;
    fc.smp = sampling_of(s);
    fc.units = units_of_observable(s);
    fc.phase_is_observable = phase_is_observable(s);
    try {
        for (auto& m : make_feature_reducers(s, fc, s.features)) {
            if (m.family->name == "attractor") R.attractor = m.r.get();
            if (m.family->name == "synchrony" && !(R.phase_coef = phase_channel(s)).empty())
                R.synchrony = m.r.get();
            R.all.push_back(std::move(m.r));
        }
    } catch (const input_error& e) {
        throw input_error(s.path + ": [output]: " + e.what());
    }
    return R;
}

// Samples of a point's recorded series: the steps every `every` of the run.
std::size_t series_length(const sweep_spec& s) { return std::size_t(n_steps(s) / s.timeseries.every); }

std::vector<std::size_t> series_points(const sweep_spec& s) {
    std::vector<std::size_t> k;
    if (s.timeseries.enabled)
        for (auto i : s.timeseries.instances)
            if (std::find(k.begin(), k.end(), i) == k.end()) k.push_back(i);
    return k;
}

// Bytes the result file will take: every dataset is allocated when the run
// starts (h5_result.hpp), so the disk must hold them all from the start.
// The bytes of one point's results (status and every reducer output).
double point_result_bytes(const sweep_spec& s, const connectome& net,
                          const std::vector<std::unique_ptr<reducer>>& reds, bool want_final) {
    double per_point = 9; // status/diverged_step + status/done
    for (const auto& red : reds)
        for (const auto& o : red->outputs()) {
            double m = 8;
            for (auto e : o.extra_sizes) m *= double(e);
            per_point += m;
        }
    if (want_final) per_point += 8.0 * double(find_model(s.model).states.size()) * double(net.n);
    return per_point;
}

double result_bytes(const sweep_spec& s, const connectome& net,
                    const std::vector<std::unique_ptr<reducer>>& reds, bool want_final) {
    const double points = double(n_points(s));
    const double per_point = point_result_bytes(s, net, reds, want_final);
    double n_datasets = 10;
    for (const auto& red : reds) n_datasets += double(red->outputs().size());
    const double series = 8.0 * double(series_points(s).size()) * double(series_length(s)) * double(net.n);
    // + axes, gains, attributes and HDF5's structures (~6 KiB a dataset with
    // its scales), twice: the undo journal of the final writes copies them.
    return points * per_point + series + 2 * (6144 * n_datasets + (64 << 10));
}

// Refuses a run whose file cannot fit on the disk, or whose per-point
// tables cannot fit in memory, before anything is created.
void check_resources(const sweep_spec& s, const std::string& out, double file_bytes, bool resume,
                     bool attractor) {
    const double points = double(n_points(s));
    require_memory(points * (1.0 + (attractor ? 32.0 : 0.0)) + (std::size_t(64) << 20),
                   "the per-point tables of " + std::to_string(n_points(s)) + " points");
    if (resume) return; // the file exists at its full size
    const double free = double(free_disk_bytes(out));
    if (file_bytes > free)
        throw input_error(out + ": the result needs " + human_bytes(file_bytes) +
                          " on disk (its datasets are allocated when the run starts), and " +
                          human_bytes(free) + " is free there; free space, or choose a path on another disk");
}

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

std::size_t batch_size(const sweep_request& r, const sweep_spec& s, const connectome& net,
                       const std::vector<std::unique_ptr<reducer>>& reds, const std::string& backend,
                       int threads) {
    (void)s;
    if (r.batch_size > 0) return r.batch_size;
    std::size_t bs = std::max<std::size_t>(std::size_t(threads) * 64, 1024); // many blocks per thread
    // A GPU wants every thread of every multiprocessor busy: ~10^5 instances
    // (the backend splits a batch further to fit device memory).
    if (backend == "cuda") bs = std::size_t(1) << 17;
    // Spectra, Hilbert phases and FCD keep segments per instance: cap
    // their state at about 2 GiB per batch (but keep 16 instances per thread)
    std::size_t per = 0;
    for (const auto& red : reds) per += red->bytes_per_instance(int(net.n));
    // (8 GiB with a GPU: its batches must be large to fit it, and the host
    // keeps only the reducers' results then.)
    const std::size_t budget = backend == "cuda" ? std::size_t(8) << 30 : std::size_t(2) << 30;
    if (per > 0) bs = std::min(bs, std::max<std::size_t>(budget / per, std::size_t(threads) * 16));
    return bs;
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

// Whether a GPU reduces every feature on the device: the host reducers then
// keep only the state their outputs need (set here), no working state
// (sample rings, open FCD windows), which also lets the batches grow.
template <class T>
bool reduce_on_device(const sweep_spec& s, run_reducers& R, observations& obsv, const std::string& backend) {
    bool device = false;
    if (backend == "cuda" && !s.timeseries.enabled) {
        sweep_observer<T> probe(s.observable_coef, transient_steps(s), s.sample_every, R.on_observable(obsv),
                                0);
        R.add_channels(probe, obsv);
        device = probe.device_reducible();
    }
    for (auto& red : R.all) red->set_results_only(device);
    return device;
}

// The spec of a refinement round: the points (a coordinate per axis but the
// initial one) as a list sampler, each with every initial condition; only
// the attractor feature, no time series or observation models.
sweep_spec refine_round_spec(const sweep_spec& s, const grid_layout& L,
                             const std::vector<std::vector<double>>& pts) {
    sweep_spec t = s;
    t.features = {"attractor"};
    t.timeseries = {};
    t.bold.enabled = false;
    t.sensors.clear();
    t.sampler = {};
    t.sampler.kind = "refine";
    t.sampler.n = pts.size();
    for (std::size_t q = 0; q < L.other.size(); ++q) {
        t.sampler.params.push_back(s.axis_refs[L.other[q]]);
        std::vector<double> col(pts.size());
        for (std::size_t k = 0; k < pts.size(); ++k) col[k] = pts[k][q];
        t.sampler.values.push_back(std::move(col));
    }
    axis sample{"sample", "", {}};
    for (std::size_t k = 0; k < pts.size(); ++k) sample.values.push_back(double(k));
    param_ref sr;
    sr.k = param_ref::kind::sample;
    sr.name = "sample";
    t.axes = {sample};
    t.axis_refs = {sr};
    if (L.initial >= 0) {
        t.axes.push_back(s.axes[std::size_t(L.initial)]);
        t.axis_refs.push_back(s.axis_refs[std::size_t(L.initial)]);
    }
    return t;
}

// [output.attractor] refine: bisects the finished grid's boundaries
// (refine.hpp), running each round's points with all their initial
// conditions on the run's backend.
template <class T>
refine_result refine_grid(const sweep_request& r, const sweep_spec& s, const connectome& net,
                          const run_options& opt, const std::string& backend, const attractor_table& atab) {
    const grid_layout L = grid_layout_of(s);
    std::vector<std::vector<double>> axes;
    std::vector<double> tol;
    std::vector<bool> categorical; // ez and lesion axes: labels, not a scale to bisect
    long lesion = -1;              // the lesion axis among L.other
    for (auto a : L.other) {
        const param_ref::kind k = s.axis_refs[a].k;
        if (k == param_ref::kind::lesion) lesion = long(categorical.size());
        categorical.push_back(k == param_ref::kind::hypothesis || k == param_ref::kind::sample ||
                              k == param_ref::kind::lesion);
        const auto& v = s.axes[a].values;
        const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        double x = s.attractor.refine_tol * (*hi - *lo);
        for (const auto& [name, abs_tol] : s.attractor.refine_tol_axis)
            if (name == s.axes[a].name) x = abs_tol;
        axes.push_back(v);
        tol.push_back(x);
    }
    std::vector<attractor_signature> grid(L.n_other);
    for (std::size_t o = 0; o < L.n_other; ++o) grid[o] = point_signature(atab, L.rows(s, o), s.attractor);
    auto run_points = [&](std::vector<std::vector<double>> pts) {
        // Points of one lesion together, so that they share batches (and back in order at the end).
        std::vector<std::size_t> order(pts.size());
        std::iota(order.begin(), order.end(), std::size_t(0));
        if (lesion >= 0)
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return pts[a][std::size_t(lesion)] < pts[b][std::size_t(lesion)];
            });
        std::vector<std::vector<double>> sorted;
        for (std::size_t k : order) sorted.push_back(pts[k]);
        pts = std::move(sorted);
        const sweep_spec t = refine_round_spec(s, L, pts);
        run_reducers R = make_reducers(t);
        observations obsv(t, net);
        reduce_on_device<T>(t, R, obsv, backend);
        const std::size_t total = n_points(t), bs = batch_size(r, t, net, R.all, backend, opt.threads);
        attractor_table sub;
        sub.resize(total);
        for (std::size_t first = 0, count = 0; first < total; first += count) {
            count = batch_end(t, first, std::min(bs, total - first)) - first;
            batch b = make_batch(t, net, first, count);
            b.first_instance = first;
            for (auto& red : R.all) red->reset(count, int(net.n));
            obsv.prepare_batch(first, count);
            sweep_observer<T> obs(t.observable_coef, transient_steps(t), t.sample_every,
                                  R.on_observable(obsv), first);
            R.add_channels(obs, obsv);
            const run_result res = run_batch<T>(b, opt, &obs, backend);
            for (std::size_t k = 0; k < 4; ++k) {
                auto& dst = k == 0 ? sub.cls : k == 1 ? sub.amplitude : k == 2 ? sub.frequency : sub.mean;
                for (std::size_t q = 0; q < count; ++q) {
                    double x = 0;
                    R.attractor->result(k, q, &x);
                    dst[first + q] = res.diverged_step[q] >= 0 ? R.attractor->diverged_value(k) : x;
                }
            }
        }
        const grid_layout Lt = grid_layout_of(t);
        std::vector<attractor_signature> out(pts.size());
        for (std::size_t k = 0; k < pts.size(); ++k)
            out[order[k]] = point_signature(sub, Lt.rows(t, k), t.attractor);
        return out;
    };
    const std::size_t budget =
        s.attractor.refine_max_points > 0 ? std::size_t(s.attractor.refine_max_points) : L.n_other;
    return refine_boundaries(axes, grid, tol, budget, run_points, categorical);
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

// Memory a CPU run holds at its peak beyond the program's own: for each
// point of a batch, every reducer's results (bytes_per_instance when results
// only) and the results gathered for writing; for each thread, the block of
// instances it steps: the engine's buffers and the reducers' working state
// (sample rings, open windows: the rest of bytes_per_instance); for each
// point of the run, its flags and attractor summary; the time series.
struct memory_estimate {
    double per_point, peak;
    std::size_t batch;
};
memory_estimate run_memory(const sweep_spec& s, const connectome& net, const run_reducers& R, int threads) {
    const std::size_t real = s.precision == "double" ? 8 : 4;
    const estimate e = estimate_cost(s, net, real);
    memory_estimate m;
    m.batch = std::min<std::size_t>(n_points(s), batch_size({}, s, net, R.all, "cpu", threads));
    double full = 0, kept = 0;
    for (const auto& red : R.all) {
        const bool was = red->results_only();
        red->set_results_only(false);
        full += double(red->bytes_per_instance(int(net.n)));
        red->set_results_only(true);
        kept += double(red->bytes_per_instance(int(net.n)));
        red->set_results_only(was);
    }
    m.per_point = kept + point_result_bytes(s, net, R.all, R.want_final);
    const double block = 64.0 / double(real); // lanes of a CPU block (64-byte vectors at most)
    m.peak = double(m.batch) * m.per_point + double(threads) * block * (e.bytes_per_instance + full - kept) +
             48.0 * double(n_points(s)) + (e.total_bytes - e.bytes_per_instance * double(n_points(s)));
    return m;
}

double estimate_peak_memory(const std::string& spec_path, int threads) {
    const sweep_spec s = load_spec(spec_path);
    const connectome net = load_network(s);
    run_reducers R = make_reducers(s);
    observations obsv(s, net);
    obsv.take_reducers(R.all);
    for (auto& red : R.all) red->reset(1, int(net.n));
    return run_memory(s, net, R, threads).peak;
}

std::string check_spec(const std::string& spec_path) {
    input_log log;
    const sweep_spec s = load_spec(spec_path);
    const connectome net = load_network(s);
    // What `run` refuses before creating anything, `check` refuses too.
    check_output_path(s.output_path, s, log.records());
    run_reducers R = make_reducers(s);
    observations obsv(s, net);
    obsv.take_reducers(R.all);
    for (auto& red : R.all) red->reset(1, int(net.n));
    const double file_bytes = result_bytes(s, net, R.all, R.want_final);
    check_resources(s, s.output_path, file_bytes, false, R.attractor != nullptr);
    const estimate e = estimate_cost(s, net);
    const memory_estimate mem = run_memory(s, net, R, omp_get_max_threads());
    batch b = make_batch(s, net, 0, 1);
    b.net = net; // (the intact network's connections, whatever lesion point 0 has)
    const prepared P = prepare(b);
    std::ostringstream os;
    os << spec_path << ": OK\n";
    for (const auto& w : s.warnings) os << "  warning: " << w << "\n";
    os << "  model " << s.model << ", coupling " << s.coupling << ", " << net.n << " nodes (" << net.source
       << "), " << P.src.size() << " connections, longest delay " << P.max_delay << " steps\n";
    os << "  grid: ";
    const auto shape = grid_shape(s);
    const auto axes = result_axes(s);
    for (std::size_t k = 0; k < axes.size(); ++k)
        os << (k ? " x " : "") << axes[k].name << "[" << shape[k] << "]";
    os << " = " << n_points(s) << " points\n";
    for (const auto& h : s.hypotheses) {
        os << "  " << h.name << ": " << h.size() << " hypotheses of " << h.key << ": ";
        for (std::size_t k = 0; k < std::min<std::size_t>(h.size(), 5); ++k)
            os << (k ? ", " : "") << h.labels[k];
        os << (h.size() > 5 ? ", ...\n" : "\n");
    }
    for (const auto& l : s.lesions) {
        os << "  " << l.name << ": " << l.size() << " lesions: ";
        for (std::size_t k = 0; k < std::min<std::size_t>(l.size(), 5); ++k)
            os << (k ? ", " : "") << l.labels[k];
        os << (l.size() > 5 ? ", ...\n" : "\n");
    }
    os << "  " << n_steps(s) << " steps of " << s.dt << " ms (" << transient_steps(s) << " transient)\n";
    os << "  memory: about " << human_bytes(mem.peak) << " at the peak on " << omp_get_max_threads()
       << " CPU threads, beyond the program's own (" << human_bytes(mem.per_point)
       << " per point of a batch of " << mem.batch << ")\n";
    // Throughput measured on the CPU backend (bench/RESULTS.md, named cases): about 1e8
    // node-steps/s per core in float (Jansen-Rit 1.07e8, Wilson-Cowan 8.7e7), 3.4e7 in double
    // (Epileptor); networks whose delay ring outgrows the caches run slower.
    const double rate = (s.precision == "double" ? 3e7 : 8e7) * omp_get_max_threads();
    os << "  work: " << e.node_steps << " node-steps, about " << human_seconds(e.node_steps / rate) << " on "
       << omp_get_max_threads() << " CPU threads\n";
    // The GPU: which devices `--backend auto` would use (no throughput
    // estimate: no GPU number has been measured yet, bench/GPU.md).
    if (!cuda_built())
        os << "  gpu: this build has no CUDA backend (runs on the CPU)\n";
    else {
        const auto devs = cuda_devices();
        if (devs.empty()) os << "  gpu: no usable CUDA device (runs on the CPU)\n";
        for (const auto& d : devs) os << "  gpu: " << d << "\n";
    }
    if (s.bold.enabled) {
        const sampling smp = sampling_of(s);
        os << "  bold: preset " << s.bold.opt.preset << ", TR " << s.bold.opt.tr_ms << " ms, "
           << observe::bold_sample_count(s.bold.opt, smp.dt_ms, smp.n_samples)
           << " samples per point after a " << s.bold.opt.transient_ms << " ms hemodynamic transient\n";
    }
    for (const auto& m : s.sensors) {
        const sensor_model sm = make_sensor_model(s, m, net);
        os << "  sensors " << m.name << ": " << sm.gain.n_sensors << " sensors x " << sm.gain.n_regions
           << " regions, gain " << (m.gain_file ? m.gain : m.gain + " (computed)") << "\n";
    }
    os << "  output: " << s.output_path << " (" << human_bytes(file_bytes)
       << " on disk, allocated when the run starts)\n";
    return os.str();
}

} // namespace nms
