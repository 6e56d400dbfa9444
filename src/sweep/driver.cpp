#include "nmsweep/sweep/driver.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/noise.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/spec.hpp"
#include "observation.hpp"
#include "sweep_observer.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#ifndef NMS_VERSION
#define NMS_VERSION "unknown"
#endif
#ifndef NMS_GIT_REVISION
#define NMS_GIT_REVISION "unknown"
#endif

namespace nms {

namespace {

using clock_type = std::chrono::steady_clock;

std::string human_bytes(double b) {
    const char* u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int k = 0;
    while (b >= 1024 && k < 4) b /= 1024, ++k;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f %s", b, u[k]);
    return buf;
}

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

std::vector<h5::axis_desc> result_axes(const sweep_spec& s) {
    std::vector<h5::axis_desc> axes;
    if (!s.sampler.kind.empty()) {
        std::vector<double> idx(s.sampler.n);
        for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = double(i);
        axes.push_back({"sample", "", idx});
    } else {
        for (const auto& a : s.axes) axes.push_back({a.name, a.unit, a.values});
    }
    return axes;
}

std::string units_of_observable(const sweep_spec& s) {
    const auto& m = find_model(s.model);
    (void)m;
    return ""; // the state variables' units are not tabulated per model yet
}

void write_provenance(h5::result_writer& w, const sweep_spec& s, const connectome& net,
                      const sweep_request& r, const std::string& backend, int threads) {
    w.set_attr("", "model", s.model);
    w.set_attr("", "coupling", s.coupling);
    w.set_attr("", "spec", s.text);
    w.set_attr("", "spec_path", std::filesystem::absolute(s.path).string());
    w.set_attr("", "connectome", net.source);
    w.set_attr("", "observable", s.observable);
    w.set_attr("", "nmsweep_version", std::string(NMS_VERSION));
    w.set_attr("", "git_revision", std::string(NMS_GIT_REVISION));
    w.set_attr("", "backend", backend);
    w.set_attr("", "precision", r.precision);
    w.set_attr("", "threads", long(threads));
    if (backend == "cuda") {
        const auto all = cuda_devices();
        std::vector<std::string> used;
        if (r.devices.empty())
            used = all;
        else
            for (int d : r.devices) used.push_back(std::to_string(d) + ": " + all.at(std::size_t(d)));
        w.set_attr("", "devices", used);
    }
    w.set_attr("", "noise_stream", std::string("philox4x32-10 v") + std::to_string(noise_stream_version));
    w.set_attr("", "dt_ms", s.dt);
    w.set_attr("", "duration_ms", s.duration);
    w.set_attr("", "transient_ms", s.transient);
    w.set_attr("", "speed_mm_per_ms", s.speed);
    // The fixed parameter table: every model and coupling parameter of the
    // first point (swept ones vary; see /axes).
    batch b0 = make_batch(s, net, 0, 1);
    prepared P = prepare(b0);
    for (std::size_t k = 0; k < P.param_names.size(); ++k) {
        const field& f = P.params[k];
        if (f.k == field::kind::scalar) {
            std::string units;
            if (int(k) < P.np_model)
                units = P.model.params[k].unit;
            else if (int(k) < P.np_model + P.np_coupling)
                units = P.coupling.params[k - std::size_t(P.np_model)].unit;
            w.set_parameter(P.param_names[k], f.v[0], units);
        }
    }
}

// Whether the synchrony reducer takes the observable as the phase: asked
// for, or ("auto") a phase model whose observable is its phase variable.
bool phase_is_observable(const sweep_spec& s) {
    if (s.synchrony.phase == "observable") return true;
    if (s.synchrony.phase == "hilbert") return false;
    if (s.model != "kuramoto") return false;
    const auto& m = find_model(s.model);
    if (s.observable_coef.size() != m.states.size()) return false; // sin/cos terms
    for (std::size_t v = 0; v < m.states.size(); ++v)
        if (s.observable_coef[v] != (std::string(m.states[v].name) == "theta" ? 1.0 : 0.0)) return false;
    return true;
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

// Network-level attractor results of every grid point, kept by the driver
// for the maps written when the run finishes (a few doubles per point).
struct attractor_table {
    std::vector<double> cls, amplitude, frequency, mean;
    void resize(std::size_t n) {
        cls.assign(n, -1);
        amplitude.assign(n, std::nan(""));
        frequency.assign(n, std::nan(""));
        mean.assign(n, std::nan(""));
    }
};

// Maps over the grid without its "initial" axis, when the run finishes:
// with an "initial" axis, features/n_attractors (distinct attractors among
// the initial conditions, count_attractors), features/multistable (0/1) and
// features/dominant_class (the class most initial conditions reach; ties:
// the lower code); then, when the remaining grid is 1-D or 2-D, the class
// boundaries of dominant_class (or attractor_class without an initial axis)
// as /boundaries/<class a>_<class b> [n_points, n_axes] in axis units, and
// with an initial axis /boundaries/monostable_multistable
// (class_boundaries in nmsweep/sweep/reducers.hpp).
void write_attractor_maps(h5::result_writer& w, const sweep_spec& s, const attractor_table& t) {
    if (!s.sampler.kind.empty()) return; // scattered samples: no grid to draw on
    const std::size_t na = s.axes.size();
    long ia = -1;
    for (std::size_t a = 0; a < na; ++a)
        if (s.axis_refs[a].k == param_ref::kind::initial) ia = long(a);
    std::vector<std::size_t> other;
    for (std::size_t a = 0; a < na; ++a)
        if (long(a) != ia) other.push_back(a);
    std::vector<std::size_t> shape;
    std::vector<std::string> names;
    std::vector<std::vector<double>> values;
    std::size_t n_other = 1;
    for (auto a : other) {
        shape.push_back(s.axes[a].values.size());
        names.push_back(s.axes[a].name);
        values.push_back(s.axes[a].values);
        n_other *= s.axes[a].values.size();
    }
    const std::size_t n_ic = ia >= 0 ? s.axes[std::size_t(ia)].values.size() : 1;
    // Grid point of (other-axes point o, initial condition k), C order.
    auto point = [&](std::size_t o, std::size_t k) {
        std::vector<std::size_t> idx(na);
        for (std::size_t q = other.size(); q-- > 0;) {
            idx[other[q]] = o % shape[q];
            o /= shape[q];
        }
        if (ia >= 0) idx[std::size_t(ia)] = k;
        std::size_t p = 0;
        for (std::size_t a = 0; a < na; ++a) p = p * s.axes[a].values.size() + idx[a];
        return p;
    };
    std::vector<long> codes(n_other, -1), multi(n_other, -1);
    if (ia >= 0) {
        std::vector<double> n_att(n_other), ms(n_other), dom(n_other);
        for (std::size_t o = 0; o < n_other; ++o) {
            std::vector<attractor_summary> res;
            int count[n_attractor_codes] = {0};
            for (std::size_t k = 0; k < n_ic; ++k) {
                const std::size_t p = point(o, k);
                const int c = int(t.cls[p]);
                if (c < 0 || c >= n_attractor_codes) continue;
                ++count[c];
                res.push_back({c, t.amplitude[p], t.frequency[p], t.mean[p]});
            }
            const std::size_t n = count_attractors(res, s.attractor);
            int best = 0;
            for (int c = 1; c < n_attractor_codes; ++c)
                if (count[c] > count[best]) best = c;
            n_att[o] = double(n);
            ms[o] = n > 1 ? 1.0 : 0.0;
            dom[o] = res.empty() ? -1.0 : double(best);
            codes[o] = res.empty() ? -1 : best;
            multi[o] = res.empty() ? -1 : (n > 1 ? 1 : 0);
        }
        const std::string how =
            "among the " + std::to_string(n_ic) +
            " initial conditions of each point (same class, amplitude, mean and frequency within "
            "cluster_tol; see the README)";
        w.write_array("features/n_attractors", shape, n_att.data(), names, {}, "",
                      "number of distinct attractors " + how);
        w.write_array("features/multistable", shape, ms.data(), names, {}, "", "1 where n_attractors > 1");
        w.write_array(
            "features/dominant_class", shape, dom.data(), names, {}, "",
            "attractor class reached by most initial conditions (ties: the lower code; 0 fixed point, 1 "
            "periodic, 2 irregular, 3 diverged, 4 unresolved)");
    } else {
        for (std::size_t o = 0; o < n_other; ++o) codes[o] = long(t.cls[o]);
    }
    if (other.empty() || other.size() > 2) return;
    std::vector<std::string> class_names;
    for (int c = 0; c < n_attractor_codes; ++c) class_names.push_back(attractor_class_name(c));
    auto write = [&](const std::vector<class_boundary>& bs, const std::string& source) {
        for (const auto& b : bs) {
            const std::string name = "boundaries/" + b.name;
            const std::size_t d = other.size();
            w.write_array(name, {b.points.size() / d, d}, b.points.data(), {b.name + "_point", "coordinate"},
                          {}, "",
                          "midpoints between neighbouring grid cells of different class in " + source +
                              " (columns: the axes named in attribute 'axes', in their units)");
            w.set_attr(name, "axes", names);
            std::vector<std::string> units;
            for (auto a : other) units.push_back(s.axes[a].unit);
            w.set_attr(name, "axis_units", units);
            w.set_attr(name, "class_map", source);
        }
    };
    write(class_boundaries(codes, values, class_names),
          ia >= 0 ? "features/dominant_class" : "features/attractor_class");
    if (ia >= 0)
        write(class_boundaries(multi, values, {"monostable", "multistable"}), "features/multistable");
}

template <class T> void run_sweep_t(const sweep_request& r, const sweep_spec& s, const connectome& net) {
    const std::string backend = choose_backend(r.backend);
    const std::string out = r.output.empty() ? s.output_path : r.output;
    const std::size_t total = n_points(s);
    const int threads = r.threads > 0 ? r.threads : omp_get_max_threads();

    long n_div = 0; // diverged points, including those of an earlier run being resumed
    if (r.resume && std::filesystem::exists(out)) {
        const auto d = h5::read_dataset(out, "status/diverged_step");
        const auto dn = h5::read_dataset(out, "status/done");
        for (std::size_t k = 0; k < d.size(); ++k) n_div += dn[k] > 0 && d[k] >= 0;
        const std::string old = h5::read_string_attr(out, "", "spec");
        if (old != s.text)
            throw input_error(out + ": --resume: the result was made from a different spec than " + s.path);
    }
    // Reducers (built before the file, so that a bad option leaves none behind).
    std::vector<std::string> moments, spectral, synchrony, fcf;
    bool want_final = false, want_attractor = false;
    for (const auto& f : s.features) {
        if (f == "final")
            want_final = true;
        else if (f == "attractor")
            want_attractor = true;
        else if (f == "psd" || f == "peak_freq" || f == "peak_power" || f == "band_power")
            spectral.push_back(f);
        else if (f == "kuramoto_r" || f == "metastability" || f == "plv")
            synchrony.push_back(f);
        else if (f == "fc" || f == "fcd")
            fcf.push_back(f);
        else
            moments.push_back(f);
    }
    const sampling smp = sampling_of(s);
    std::vector<std::unique_ptr<reducer>> reducers;
    try {
        if (!moments.empty()) reducers.push_back(make_moments_reducer(moments, units_of_observable(s)));
        if (!spectral.empty())
            reducers.push_back(make_spectra_reducer(spectral, s.spectra, smp, units_of_observable(s)));
        if (!synchrony.empty())
            reducers.push_back(make_synchrony_reducer(synchrony, s.synchrony, phase_is_observable(s), smp));
        if (!fcf.empty()) reducers.push_back(make_fc_reducer(fcf, s.fc, smp));
        if (want_attractor)
            reducers.push_back(make_attractor_reducer(s.attractor, smp, units_of_observable(s)));
    } catch (const input_error& e) {
        throw input_error(s.path + ": [output]: " + e.what());
    }

    h5::result_writer w =
        r.resume ? h5::result_writer::resume(out)
                 : h5::result_writer::create(out, result_axes(s), net.n, net.labels, r.overwrite);
    if (!r.resume) {
        write_provenance(w, s, net, r, backend, threads);
        if (!s.sampler.kind.empty()) {
            for (std::size_t k = 0; k < s.sampler.params.size(); ++k) {
                const auto& v = s.sampler.values[k];
                w.write_array("samples/" + s.sampler.params[k].name, {v.size()}, v.data(), {"sample"});
            }
        }
    }
    reducer* attractor_red = want_attractor ? reducers.back().get() : nullptr;
    // [output.bold] and [[output.sensors]]: their reducers join the others.
    observations obsv(s, net);
    obsv.take_reducers(reducers);

    const auto& model = find_model(s.model);
    const std::size_t nv = model.states.size(), nn = net.n;
    for (auto& red : reducers) {
        red->reset(1, int(nn));
        const auto outs = red->outputs();
        for (std::size_t k = 0; k < outs.size(); ++k) {
            const auto& o = outs[k];
            w.add_dataset(o.name, o.extra_dims, o.extra_sizes, red->integer_output(k), o.units, o.description,
                          o.extra_scales);
            for (const auto& [key, value] : red->output_attrs(k)) w.set_attr(o.name, key, value);
        }
    }
    if (!r.resume) obsv.write_static(w);
    // The attractor results of every point, for the maps at the end (those
    // of an interrupted run come back from its file).
    attractor_table atab;
    if (attractor_red) {
        atab.resize(total);
        if (r.resume) {
            atab.cls = h5::read_dataset(out, "features/attractor_class");
            atab.amplitude = h5::read_dataset(out, "features/amplitude");
            atab.frequency = h5::read_dataset(out, "features/frequency");
            atab.mean = h5::read_dataset(out, "features/attractor_mean");
        }
    }
    if (want_final)
        w.add_dataset("features/final_state", {"variable", "node"}, {nv, nn}, false, "",
                      "state of every variable at the end of the run (variables in model order)");

    std::vector<std::uint8_t> done = w.done_mask();
    std::size_t n_done = std::size_t(std::count(done.begin(), done.end(), 1));
    const long steps = n_steps(s);
    const double work_per_point = double(nn) * double(steps);
    progress prog(total, work_per_point, r.quiet);
    prog.set_start(n_done);

    // A GPU that reduces every feature on the device hands the host reducers
    // only the state their outputs need: they then keep no working state
    // (sample rings, open FCD windows), which also lets the batches grow.
    bool device_reduced = false;
    if (backend == "cuda" && !s.timeseries.enabled) {
        std::vector<reducer*> rp;
        for (auto& red : reducers)
            if (obsv.on_observable(red.get())) rp.push_back(red.get());
        sweep_observer<T> probe(s.observable_coef, transient_steps(s), s.sample_every, rp, 0);
        for (auto& [coef, reds] : obsv.channels()) probe.add_channel(coef, reds);
        device_reduced = probe.moments_only();
    }
    for (auto& red : reducers) red->set_results_only(device_reduced);

    std::size_t bs = r.batch_size;
    if (bs == 0) {
        bs = std::max<std::size_t>(std::size_t(threads) * 64, 1024); // many blocks per thread
        // A GPU wants every thread of every multiprocessor busy: ~10^5 instances
        // (the backend splits a batch further to fit device memory).
        if (backend == "cuda") bs = std::size_t(1) << 17;
        // Spectra, Hilbert phases and FCD keep segments per instance: cap
        // their state at about 2 GiB per batch (but keep 16 instances per thread)
        std::size_t per = 0;
        for (const auto& red : reducers) per += red->bytes_per_instance(int(nn));
        // (8 GiB with a GPU: its batches must be large to fill it, and the host
        // keeps only the reducers' results then.)
        const std::size_t budget = backend == "cuda" ? std::size_t(8) << 30 : std::size_t(2) << 30;
        if (per > 0) bs = std::min(bs, std::max<std::size_t>(budget / per, std::size_t(threads) * 16));
    }
    run_options opt;
    opt.threads = threads;
    opt.devices = r.devices;
    opt.mapping = r.gpu_mapping == "node"       ? gpu_mapping::node
                  : r.gpu_mapping == "instance" ? gpu_mapping::instance
                                                : gpu_mapping::automatic;
    std::set<std::string> mappings; // CUDA: the mappings the batches ran with
    std::atomic<std::size_t> in_batch{0};
    opt.on_block_done = [&](std::size_t d) { in_batch = d; };

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
        while (j < total && !done[j] && j - i < bs) ++j;
        const std::size_t count = j - i;
        batch b = make_batch(s, net, i, count);
        b.first_instance = i;
        for (auto& red : reducers) red->reset(count, int(nn));
        obsv.prepare_batch(i, count);
        std::vector<reducer*> rp;
        for (auto& red : reducers)
            if (obsv.on_observable(red.get())) rp.push_back(red.get());
        std::vector<std::size_t> ts;
        if (s.timeseries.enabled)
            for (auto k : s.timeseries.instances)
                if (k >= i && k < j) ts.push_back(k);
        sweep_observer<T> obs(s.observable_coef, transient_steps(s), s.sample_every, rp, i, ts,
                              s.timeseries.enabled ? s.timeseries.every : 0);
        for (auto& [coef, reds] : obsv.channels()) obs.add_channel(coef, reds);
        run_result res = run_batch<T>(b, opt, &obs, backend);
        if (!res.mapping.empty()) mappings.insert(res.mapping);
        node_steps += double(count) * work_per_point;

        // Results of this batch.
        std::vector<double> buf;
        for (auto& red : reducers) {
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
                if (red.get() == attractor_red && k < 4) {
                    auto& dst = k == 0   ? atab.cls
                                : k == 1 ? atab.amplitude
                                : k == 2 ? atab.frequency
                                         : atab.mean;
                    std::copy(buf.begin(), buf.begin() + long(count), dst.begin() + long(i));
                }
                w.write_points(outs[k].name, i, count, buf.data());
            }
        }
        if (want_final) {
            buf.assign(count * nv * nn, 0.0);
            for (std::size_t q = 0; q < count; ++q)
                for (std::size_t v = 0; v < nv; ++v)
                    for (std::size_t n = 0; n < nn; ++n)
                        buf[(q * nv + v) * nn + n] = res.final_state[(v * nn + n) * count + q];
            w.write_points("features/final_state", i, count, buf.data());
            if (i == 0 || batches == 0) {
                std::vector<std::string> names;
                for (const auto& st : model.states) names.push_back(st.name);
                w.set_attr("features/final_state", "variables", names);
            }
        }
        for (const auto& [k, series] : obs.series()) {
            const std::size_t nt = series.size() / nn;
            w.write_array("timeseries/point_" + std::to_string(k), {nt, nn}, series.data(), {"time", "node"});
        }
        w.write_status(i, count, res.diverged_step.data());
        w.mark_done(i, count);
        for (long d : res.diverged_step) n_div += d >= 0;
        std::fill(done.begin() + long(i), done.begin() + long(j), 1);
        n_done += count;
        prog.update(n_done, n_done == total);
        i = j;
        if (r.stop_after_batches >= 0 && ++batches >= r.stop_after_batches && n_done < total) {
            w.flush();
            return; // as if killed: the file stays incomplete
        }
    }
    if (attractor_red) write_attractor_maps(w, s, atab);
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
void simulate_t(const sweep_request& r, const sweep_spec& s, const connectome& net, long every) {
    // One point with every state variable recorded: the CPU backend (a GPU
    // would idle all but one thread).
    const std::string backend = "cpu";
    const std::string out = r.output.empty() ? s.output_path : r.output;
    if (r.point >= n_points(s))
        throw input_error("--point " + std::to_string(r.point) + ": the spec has " +
                          std::to_string(n_points(s)) + " grid points (0 .. " +
                          std::to_string(n_points(s) - 1) + ")");
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
    run_result res = run_cpu<T>(b, opt, &rec);
    h5::result_writer w = h5::result_writer::create(out, {}, nn, net.labels, r.overwrite);
    write_provenance(w, s, net, r, backend, 1);
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
        for (std::size_t k = 0; k < axes.size(); ++k)
            w.set_parameter(axes[k].name, axes[k].values[idx[k]], axes[k].unit);
    }
    w.write_status(0, 1, res.diverged_step.data());
    w.mark_done(0, 1);
    w.finish();
    if (!r.quiet)
        std::fprintf(stderr, "nmsweep: wrote %s: %zu samples of %zu variables x %zu nodes%s\n", out.c_str(),
                     rec.time.size(), nv, nn, res.diverged_step[0] >= 0 ? " (DIVERGED)" : "");
}

} // namespace

void run_sweep(const sweep_request& req) {
    const sweep_spec s = load_spec(req.spec_path);
    const connectome net = load_network(s);
    sweep_request r = req;
    if (r.precision.empty()) r.precision = s.precision;
    if (r.precision == "double")
        run_sweep_t<double>(r, s, net);
    else
        run_sweep_t<float>(r, s, net);
}

void simulate_point(const sweep_request& req, long every) {
    const sweep_spec s = load_spec(req.spec_path);
    const connectome net = load_network(s);
    sweep_request r = req;
    if (r.precision.empty()) r.precision = s.precision;
    if (r.precision == "double")
        simulate_t<double>(r, s, net, every);
    else
        simulate_t<float>(r, s, net, every);
}

std::string check_spec(const std::string& spec_path) {
    const sweep_spec s = load_spec(spec_path);
    const connectome net = load_network(s);
    const estimate e = estimate_cost(s, net);
    const batch b = make_batch(s, net, 0, 1);
    const prepared P = prepare(b);
    std::ostringstream os;
    os << spec_path << ": OK\n";
    os << "  model " << s.model << ", coupling " << s.coupling << ", " << net.n << " nodes (" << net.source
       << "), " << P.src.size() << " connections, longest delay " << P.max_delay << " steps\n";
    os << "  grid: ";
    const auto shape = grid_shape(s);
    const auto axes = result_axes(s);
    for (std::size_t k = 0; k < axes.size(); ++k)
        os << (k ? " x " : "") << axes[k].name << "[" << shape[k] << "]";
    os << " = " << n_points(s) << " points\n";
    os << "  " << n_steps(s) << " steps of " << s.dt << " ms (" << transient_steps(s) << " transient)\n";
    os << "  memory: " << human_bytes(e.bytes_per_instance) << " per point, " << human_bytes(e.total_bytes)
       << " if all points ran at once (they run in batches)\n";
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
    os << "  output: " << s.output_path << "\n";
    return os.str();
}

} // namespace nms
