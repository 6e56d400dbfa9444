#include "nmsweep/sweep/driver.hpp"

#include "attractor_maps.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/core/noise.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/features.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/shard.hpp"
#include "observation.hpp"
#include "run_output.hpp"
#include "run_parts.hpp"
#include "seizure_maps.hpp"
#include "sweep_observer.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
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
    if (!s.sampler.kind.empty()) { // what `nmsweep infer` needs to weigh the samples
        std::vector<std::string> names;
        std::vector<double> lo, hi;
        for (std::size_t k = 0; k < s.sampler.params.size(); ++k) {
            names.push_back(s.sampler.params[k].name);
            lo.push_back(s.sampler.ranges[k][0]);
            hi.push_back(s.sampler.ranges[k][1]);
        }
        w.set_attr("samples", "names", names);
        w.set_attr("samples", "lower", lo);
        w.set_attr("samples", "upper", hi);
        w.set_attr("samples", "kind", s.sampler.kind);
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

// What a run adds up for the result's provenance.
struct run_totals {
    clock_type::time_point t0 = clock_type::now();
    double node_steps = 0;
    long diverged = 0;              // diverged points, including those of an earlier run being resumed
    std::set<std::string> mappings; // CUDA: the mappings the batches ran with
};

// The points this process fills: the whole grid, or a shard's range.
struct point_range {
    std::size_t first = 0, end = 0;
    shard_id shard;
};

point_range range_of(const sweep_spec& s, const connectome& net, const shard_id& shard) {
    point_range g{0, n_points(s), shard};
    if (!shard) return g;
    const auto b = shard_bounds(point_costs(s, net), shard.count);
    g.first = b[std::size_t(shard.index)];
    g.end = b[std::size_t(shard.index) + 1];
    return g;
}

// A part file records its shard; resuming it as another shard (or a part
// as the whole run) would mix ranges.
void check_shard(const h5::result_writer& w, const point_range& g) {
    const std::string was = w.string_attr("", "shard", "");
    const std::string now =
        g.shard ? std::to_string(g.shard.index) + "/" + std::to_string(g.shard.count) : "";
    if (was != now)
        throw input_error(w.path() + ": --resume: the file holds " +
                          (was.empty() ? std::string("a whole run") : "shard " + was) + ", this run is " +
                          (now.empty() ? std::string("the whole run") : "shard " + now));
}

// The batch size that keeps a batch within --checkpoint-minutes (the work a
// stop or a kill can lose), from the seconds per point measured so far.
class checkpoint_sizer {
  public:
    checkpoint_sizer(const sweep_request& r, std::size_t base, double guess_s_per_point, int threads)
        : base_(base), minutes_(r.checkpoint_minutes), s_per_point_(guess_s_per_point),
          floor_(std::min(base, std::size_t(std::max(threads, 1)) * 16)) {}
    std::size_t next() const {
        if (minutes_ <= 0 || !(s_per_point_ > 0)) return base_;
        const double fit = minutes_ * 60 / s_per_point_;
        return fit >= double(base_) ? base_ : std::max(floor_, std::size_t(fit));
    }
    void measured(double seconds, std::size_t points) {
        if (points > 0 && seconds > 0) s_per_point_ = seconds / double(points);
    }

  private:
    std::size_t base_;
    double minutes_, s_per_point_;
    std::size_t floor_;
};

[[noreturn]] void throw_interrupted(const std::string& out, std::size_t done, std::size_t total) {
    throw interrupted("stopped by " + std::string(strsignal(stop_requested.load())) + ": " +
                      std::to_string(done) + " of " + std::to_string(total) + " points are in " + out +
                      "; rerun with --resume to continue");
}

// Computes the points of [g.first, g.end) not yet done, batch by batch, each
// marked done once its data are durable.
template <class T>
void compute_points(const sweep_request& r, h5::result_writer& w, const sweep_spec& s, const connectome& net,
                    run_reducers& R, observations& obsv, const run_options& opt, const std::string& backend,
                    const point_range& g, std::vector<std::uint8_t>& done, run_totals& tot) {
    const double work_per_point = double(net.n) * double(n_steps(s));
    std::size_t n_done = std::size_t(std::count(done.begin() + long(g.first), done.begin() + long(g.end), 1));
    progress prog(g.end - g.first, work_per_point, r.quiet);
    prog.set_start(n_done);
    // (the rates `check` assumes per CPU thread; a GPU's first batch is its own size)
    const double guess =
        backend == "cuda" ? 0 : work_per_point / ((s.precision == "double" ? 3e7 : 8e7) * opt.threads);
    checkpoint_sizer sizer(r, batch_size(r, s, net, R.all, backend, opt.threads), guess, opt.threads);
    long batches = 0;
    // The points of [a, b) not yet done, batch by batch; false: stop (--stop-after-batches).
    auto run_range = [&](std::size_t a, std::size_t b) {
        for (std::size_t i = a; i < b;) {
            if (done[i]) {
                ++i;
                continue;
            }
            if (stop_requested.load()) throw_interrupted(w.path(), n_done, g.end - g.first);
            const std::size_t end = batch_end(s, i, std::min(sizer.next(), b - i)); // (one network per batch)
            std::size_t j = i;
            while (j < end && !done[j]) ++j;
            const std::size_t count = j - i;
            const auto t0 = clock_type::now();
            file_sink sink(w);
            run_result res = run_one_batch<T>(sink, s, net, R, obsv, opt, backend, i, count);
            if (res.interrupted) throw_interrupted(w.path(), n_done, g.end - g.first);
            sizer.measured(std::chrono::duration<double>(clock_type::now() - t0).count(), count);
            if (!res.mapping.empty()) tot.mappings.insert(res.mapping);
            tot.node_steps += double(count) * work_per_point;
            w.mark_done(i, count); // the points' data are durable before they count as done
            for (long d : res.diverged_step) tot.diverged += d >= 0;
            std::fill(done.begin() + long(i), done.begin() + long(j), 1);
            n_done += count;
            prog.update(n_done, n_done == g.end - g.first);
            if (r.on_progress) r.on_progress(n_done, g.end - g.first);
            i = j;
            if (r.stop_after_batches >= 0 && ++batches >= r.stop_after_batches && n_done < g.end - g.first)
                return false; // as if killed: the file stays incomplete
        }
        return true;
    };
    if (!r.claim) {
        run_range(g.first, g.end);
        return;
    }
    for (std::size_t a = 0, b = 0; r.claim(a, b);)
        if (!run_range(a, b)) return;
}

// All points done: the maps of the whole grid (refinement, attractor and
// seizure maps) and the run's totals, under the writer's undo journal.
template <class T>
void finish_result(const sweep_request& r, h5::result_writer& w, const sweep_spec& s, const connectome& net,
                   const run_reducers& R, const run_options& opt, const std::string& backend,
                   const point_range& g, const attractor_table& atab, run_totals& tot) {
    refine_result refined;
    if (!g.shard && R.attractor && s.attractor.refine) {
        if (!r.quiet) std::fprintf(stderr, "nmsweep: refining the attractor boundaries\n");
        refined = refine_grid<T>(r, s, net, opt, backend, atab);
        std::size_t ok = 0;
        for (const auto& b : refined.boundaries) ok += b.resolved;
        if (!r.quiet)
            std::fprintf(stderr,
                         "nmsweep: %zu boundaries (%zu within tol) from %zu more points in %zu rounds\n",
                         refined.boundaries.size(), ok, refined.samples.size(), refined.rounds);
        tot.node_steps +=
            double(net.n) * double(n_steps(s)) * double(refined.samples.size() * grid_layout_of(s).n_ic);
    }
    w.begin_final_writes();
    if (!g.shard) { // (a part holds a range: the maps belong to the merged file)
        if (R.attractor) write_attractor_maps(w, s, atab);
        if (R.attractor && s.attractor.refine) write_refined_boundaries(w, s, refined);
        write_seizure_maps(w, s);
    }
    const double wall = std::chrono::duration<double>(clock_type::now() - tot.t0).count();
    w.set_attr("", "wall_seconds", wall);
    w.set_attr("", "node_steps_per_second", wall > 0 ? tot.node_steps / wall : 0.0);
    w.set_attr("", "diverged_points", tot.diverged);
    if (!tot.mappings.empty()) {
        std::string m;
        for (const auto& k : tot.mappings) m += (m.empty() ? "" : ",") + k;
        w.set_attr("", "gpu_mapping", m);
    }
    w.finish();
    if (r.quiet) return;
    std::fprintf(stderr, "nmsweep: wrote %s: %zu points, %ld diverged, %.1f s, %.2e node-steps/s\n",
                 w.path().c_str(), g.end - g.first, tot.diverged, wall,
                 wall > 0 ? tot.node_steps / wall : 0.0);
    if (g.shard)
        std::fprintf(stderr,
                     "nmsweep: part %ld of %ld (points %zu .. %zu); when all parts are done: nmsweep "
                     "merge RESULT.h5 %s ...\n",
                     g.shard.index, g.shard.count, g.first, g.end - 1, w.path().c_str());
}

// --resume of a finished run (a requeued job that had finished): nothing
// to do, when the file is this run's.
bool already_complete(const std::string& out, const sweep_spec& s, const run_identity& id, bool quiet) {
    // A run killed while finishing left an undo journal: until resume()
    // applies it the file may not even open (h5_result.hpp).
    std::error_code ec;
    if (std::filesystem::exists(out + ".partial", ec)) return false;
    h5::read_through(out); // (a damaged file: one clear error)
    if (h5::read_number_attr(out, "", "complete") != 1) return false;
    check_recorded_run(out, "--resume", s, id);
    if (!quiet) std::fprintf(stderr, "nmsweep: %s is complete: nothing to resume\n", out.c_str());
    return true;
}

// Opens the result: a new file with its whole structure, or the file of an
// interrupted run (--resume) after checking it is this run's.
template <class T>
h5::result_writer open_result(const sweep_request& r, const sweep_spec& s, const connectome& net,
                              run_reducers& R, const observations& obsv, const run_identity& id,
                              const std::string& out, bool resume, const point_range& g,
                              const std::string& backend, int threads) {
    h5::result_writer w =
        resume ? h5::result_writer::resume(out)
               : h5::result_writer::create(out, result_axes(s), net.n, net.labels, r.overwrite);
    if (resume) {
        check_resumable(w, s, id);
        check_shard(w, g);
        return w;
    }
    write_provenance(w, s, net, r, id, backend, threads);
    if (g.shard) {
        w.set_attr("", "shard", std::to_string(g.shard.index) + "/" + std::to_string(g.shard.count));
        w.set_attr("", "shard_first", long(g.first));
        w.set_attr("", "shard_end", long(g.end));
    }
    if (!r.merge_parts.empty()) w.set_attr("", "merged_from", r.merge_parts);
    write_structure<T>(w, s, net, R, obsv);
    w.seal();
    return w;
}

template <class T>
bool run_sweep_t(const sweep_request& r, const sweep_spec& s, const connectome& net,
                 const std::vector<input_record>& inputs, const shard_id& shard) {
    const std::string backend = choose_backend(r.backend);
    std::string out = r.output.empty() ? s.output_path : r.output;
    if (shard) out = part_path(out, shard);
    const int threads = r.threads > 0 ? r.threads : omp_get_max_threads();
    const run_identity id = identity_of(s, r.precision, inputs);
    check_output_path(out, s, inputs);
    std::error_code ec;
    const bool resume = r.resume && std::filesystem::exists(out, ec);
    if (r.resume && !resume && !r.quiet)
        std::fprintf(stderr, "nmsweep: nothing to resume at %s: starting the run\n", out.c_str());
    const point_range g = range_of(s, net, shard);
    if (resume && already_complete(out, s, id, r.quiet)) return true;
    for (const auto& p : r.merge_parts) check_recorded_run(p, "merge", s, id);

    // Reducers (built before the file, so that a bad option leaves none behind).
    run_reducers R = make_reducers(s);
    // [output.bold] and [[output.sensors]]: their reducers join the others.
    observations obsv(s, net);
    obsv.take_reducers(R.all);
    for (auto& red : R.all) red->reset(1, int(net.n));
    check_resources(s, out, result_bytes(s, net, R.all, R.want_final), resume, R.attractor != nullptr);
    h5::result_writer w = open_result<T>(r, s, net, R, obsv, id, out, resume, g, backend, threads);

    run_totals tot;
    std::vector<std::uint8_t> done = w.done_mask();
    if (resume) {
        const auto d = w.read_all("status/diverged_step");
        for (std::size_t k = g.first; k < g.end; ++k) tot.diverged += done[k] && d[k] >= 0;
    }
    reduce_on_device<T>(s, R, obsv, backend);
    run_options opt;
    opt.threads = threads;
    opt.devices = r.devices;
    opt.stop = &stop_requested;
    opt.mapping = r.gpu_mapping == "node"       ? gpu_mapping::node
                  : r.gpu_mapping == "instance" ? gpu_mapping::instance
                                                : gpu_mapping::automatic;
    if (!r.merge_parts.empty())
        tot.diverged += long(copy_parts(w, r.merge_parts, point_datasets(s, R), series_points(s),
                                        series_length(s), net.n, done));
    else
        compute_points<T>(r, w, s, net, R, obsv, opt, backend, g, done, tot);
    if (r.claim) return false; // an MPI rank's part: the merge finishes the result
    if (std::count(done.begin() + long(g.first), done.begin() + long(g.end), 1) != long(g.end - g.first))
        return false;     // (merge: parts missing)
    attractor_table atab; // every point's attractor results, for the maps at the end
    if (R.attractor && !g.shard) atab = read_attractor_table(w);
    finish_result<T>(r, w, s, net, R, opt, backend, g, atab, tot);
    return true;
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

std::atomic<int> stop_requested{0};

namespace {

// SIGTERM (Slurm's preemption and time limit), SIGINT (Ctrl-C) and SIGUSR1
// (Slurm's warning, --signal): stop at the next step boundary. A second
// signal of the same kind kills at once (SA_RESETHAND): the file is safe.
void on_stop_signal(int sig) { stop_requested.store(sig); }

} // namespace

void catch_stop_signals() {
    // Once: installing again would re-arm a handler a first signal reset, and
    // the second signal would no longer kill.
    static std::atomic<bool> installed{false};
    if (installed.exchange(true)) return;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGUSR1}) sigaction(sig, &sa, nullptr);
}

sweep_spec load_request_spec(const sweep_request& r) {
    return r.spec_text.empty() ? load_spec(r.spec_path) : load_spec_text(r.spec_text, r.spec_path);
}

void request_stop(int signal_number) { stop_requested.store(signal_number); }

bool run_sweep(const sweep_request& req) {
    input_log log; // every input file the spec names, for the result's provenance
    const sweep_spec s = load_request_spec(req);
    print_warnings(s);
    const connectome net = load_network(s);
    sweep_request r = req;
    if (r.precision.empty()) r.precision = s.precision;
    // --shard I/N, or the task of a Slurm job array (a merge is never a shard)
    const shard_id shard = !r.shard.empty()        ? parse_shard(r.shard)
                           : r.merge_parts.empty() ? shard_from_environment()
                                                   : shard_id{};
    if (shard.count > long(n_points(s)))
        throw input_error("shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) +
                          ": the grid has only " + std::to_string(n_points(s)) +
                          " points; use at most that many shards");
    // The command line installed the handlers at its start (a signal while the
    // inputs were read is kept); an embedding program's earlier stop is cleared.
    if (r.catch_signals)
        catch_stop_signals();
    else
        stop_requested.store(0);
    if (r.precision == "double") return run_sweep_t<double>(r, s, net, log.records(), shard);
    return run_sweep_t<float>(r, s, net, log.records(), shard);
}

void simulate_point(const sweep_request& req, long every) {
    input_log log;
    const sweep_spec s = load_request_spec(req);
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
