// nmsweep._core: the engine for the Python package (nanobind). The package's
// Python layer (src/python/nmsweep/) builds specs, reads result files into
// xarray and turns InputError into SpecError; this module runs the engine
// with the GIL released, in a worker thread, so that Ctrl-C (KeyboardInterrupt)
// stops a run at its next step boundary and a progress callback runs on the
// caller's thread.

#include "nmsweep/core/error.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/sweep/batch_runner.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

// The state a worker thread shares with the caller's thread.
struct worker_state {
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::exception_ptr error;
    std::atomic<std::size_t> done{0}, total{0};
    std::atomic<int> stop{0};
};

// The one thread the engine runs on: long-lived, so that its OpenMP thread
// team persists between calls (a new thread per call would build a new team:
// ~16 ms a call on 2 cores). Calls from several Python threads take turns.
class engine_thread {
  public:
    static engine_thread& get() {
        static engine_thread* e = new engine_thread; // (never destroyed: it may outlive the interpreter)
        return *e;
    }
    void submit(std::function<void()> f) {
        std::unique_lock<std::mutex> lk(m_);
        idle_.wait(lk, [&] { return !task_; });
        task_ = std::move(f);
        ready_.notify_one();
    }

  private:
    engine_thread() : t_([this] { loop(); }) { t_.detach(); }
    void loop() {
        for (;;) {
            std::function<void()> f;
            {
                std::unique_lock<std::mutex> lk(m_);
                ready_.wait(lk, [&] { return bool(task_); });
                f = std::move(task_);
                task_ = nullptr; // the slot is free for the next call (which waits for f's end itself)
                idle_.notify_one();
            }
            f();
        }
    }
    std::mutex m_;
    std::condition_variable ready_, idle_;
    std::function<void()> task_;
    std::thread t_;
};

// Runs `work` on the engine thread while the caller's thread (GIL released)
// waits; every 100 ms it takes the GIL to run Python's signal handlers
// (Ctrl-C: `stop` is called, the engine stops at its next step boundary)
// and to call progress(done, total) when it changed. Rethrows the worker's
// exception.
template <class Work, class Stop>
void run_in_worker(worker_state& st, Work work, Stop stop, nb::object progress) {
    auto task = [&] {
        try {
            work();
        } catch (...) {
            st.error = std::current_exception();
        }
        std::lock_guard<std::mutex> lk(st.m);
        st.finished = true;
        st.cv.notify_all();
    };
    {
        nb::gil_scoped_release nogil; // (submit may wait for another Python thread's call)
        engine_thread::get().submit(task);
    }
    bool stopping = false;
    std::size_t shown = std::size_t(-1);
    std::exception_ptr callback_error;
    auto poll = [&] {
        nb::gil_scoped_acquire gil;
        if (!stopping && PyErr_CheckSignals() != 0) {
            PyErr_Clear(); // (the worker's interrupted is raised instead, with what was kept)
            stopping = true;
            stop();
        }
        const std::size_t d = st.done.load();
        if (progress.is_valid() && !progress.is_none() && d != shown && st.total.load() > 0 &&
            !callback_error) {
            shown = d;
            try {
                progress(d, st.total.load());
            } catch (nb::python_error& e) { // a failing callback stops the run; its error is raised
                // (Ctrl-C while the callback ran: a stop like any other, Interrupted raised)
                if (!e.matches(PyExc_KeyboardInterrupt)) callback_error = std::current_exception();
                stopping = true;
                stop();
            }
        }
    };
    {
        nb::gil_scoped_release nogil;
        std::unique_lock<std::mutex> lk(st.m);
        while (!st.finished) {
            st.cv.wait_for(lk, std::chrono::milliseconds(100));
            if (st.finished) break;
            lk.unlock();
            poll();
            lk.lock();
        }
    }
    if (callback_error) std::rethrow_exception(callback_error);
    if (st.error) std::rethrow_exception(st.error);
    if (progress.is_valid() && !progress.is_none() && st.done.load() != shown && st.total.load() > 0)
        progress(st.done.load(), st.total.load());
}

nb::dict param_dict(const nms::param_info& p) {
    nb::dict d;
    d["name"] = p.name;
    d["default"] = p.value;
    d["unit"] = p.unit;
    d["description"] = p.doc;
    d["lo"] = p.lo;
    d["hi"] = p.hi;
    return d;
}

nb::dict model_dict(const nms::model_info& m) {
    nb::dict d;
    d["name"] = m.name;
    d["tvb_name"] = m.tvb_name;
    d["reference"] = m.reference;
    d["observable"] = m.observable;
    nb::list params, states, cvars, presets;
    for (const auto& p : m.params) params.append(param_dict(p));
    for (const auto& s : m.states) {
        nb::dict sd;
        sd["name"] = s.name;
        sd["initial"] = s.initial;
        sd["lo"] = s.lo;
        sd["hi"] = s.hi;
        states.append(sd);
    }
    for (int c : m.cvar) cvars.append(m.states[std::size_t(c)].name);
    for (const auto* p : m.presets) {
        nb::dict pd, values;
        pd["name"] = p->name;
        pd["description"] = p->doc;
        for (const auto& v : p->values) values[v.name] = v.value;
        pd["values"] = values;
        presets.append(pd);
    }
    d["parameters"] = params;
    d["states"] = states;
    d["coupling_variables"] = cvars;
    d["presets"] = presets;
    d["phase_variable"] = m.phase_variable >= 0
                              ? nb::object(nb::str(m.states[std::size_t(m.phase_variable)].name))
                              : nb::none();
    return d;
}

nb::list couplings(int n_cvar) {
    nb::list out;
    for (const auto& name : nms::coupling_names()) {
        const auto c = nms::find_coupling(name, n_cvar);
        nb::dict d;
        d["name"] = c.name;
        d["description"] = c.doc;
        nb::list params;
        for (const auto& p : c.params) params.append(param_dict(p));
        d["parameters"] = params;
        out.append(d);
    }
    return out;
}

nms::sweep_request request(const std::string& text, const std::string& path) {
    nms::sweep_request r;
    r.spec_text = text;
    r.spec_path = path;
    r.quiet = true;
    r.catch_signals = false;
    return r;
}

bool run(const std::string& text, const std::string& path, const std::string& output,
         const std::string& backend, const std::string& precision, int threads, std::size_t batch_size,
         bool overwrite, bool resume, double checkpoint_minutes, nb::object progress) {
    nms::sweep_request r = request(text, path);
    r.output = output;
    r.backend = backend;
    r.precision = precision;
    r.threads = threads;
    r.batch_size = batch_size;
    r.overwrite = overwrite;
    r.resume = resume;
    r.checkpoint_minutes = checkpoint_minutes;
    worker_state st;
    r.on_progress = [&st](std::size_t done, std::size_t total) {
        st.total = total;
        st.done = done;
    };
    bool complete = false;
    run_in_worker(
        st, [&] { complete = nms::run_sweep(r); }, [] { nms::request_stop(SIGINT); }, progress);
    return complete;
}

void simulate(const std::string& text, const std::string& path, const std::string& output, std::size_t point,
              long every, const std::string& precision, bool overwrite) {
    nms::sweep_request r = request(text, path);
    r.output = output;
    r.point = point;
    r.precision = precision;
    r.overwrite = overwrite;
    worker_state st;
    run_in_worker(
        st, [&] { nms::simulate_point(r, every); }, [] {}, nb::none());
}

// The spec fully read and validated (the network loaded): its warnings.
std::vector<std::string> validate(const std::string& text, const std::string& path) {
    nb::gil_scoped_release nogil;
    return nms::load_request_spec(request(text, path)).warnings;
}

std::string check(const std::string& text, const std::string& path) {
    nms::sweep_request r = request(text, path);
    nb::gil_scoped_release nogil;
    return nms::check_spec(r);
}

// Owns a vector's data for NumPy.
template <class T> nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& v, std::vector<std::size_t> shape) {
    auto* owned = new std::vector<T>(std::move(v));
    nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
    return nb::ndarray<nb::numpy, T>(owned->data(), shape.size(), shape.data(), owner);
}

class batch {
  public:
    batch(const std::string& text, const std::string& path, const std::vector<std::string>& params,
          const std::string& backend, const std::string& precision, int threads, std::size_t batch_size) {
        nms::sweep_request r = request(text, path);
        r.backend = backend;
        r.precision = precision;
        r.threads = threads;
        r.batch_size = batch_size;
        nb::gil_scoped_release nogil;
        runner_ = std::make_unique<nms::batch_runner>(r, params);
    }

    // theta: float64 [n, len(params)], C order (the Python layer checks it).
    nb::list run(nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu> theta,
                 nb::object progress) {
        if (theta.shape(1) != runner_->params().size())
            throw nms::input_error("theta: expected " + std::to_string(runner_->params().size()) +
                                   " columns (one per parameter), got " + std::to_string(theta.shape(1)));
        const std::size_t n = theta.shape(0);
        const double* data = theta.data();
        std::vector<nms::batch_output> outs;
        worker_state st;
        st.total = n;
        run_in_worker(
            st,
            [&] {
                outs = runner_->run(data, n, &st.stop, [&st](std::size_t d, std::size_t) { st.done = d; });
            },
            [&st] { st.stop.store(SIGINT); }, progress);
        nb::list result;
        for (auto& o : outs) {
            std::vector<std::size_t> shape{n};
            shape.insert(shape.end(), o.shape.begin(), o.shape.end());
            nb::list dims;
            for (const auto& d : o.dims) dims.append(d);
            nb::object array;
            if (o.integer) {
                std::vector<std::int64_t> v(o.data.begin(), o.data.end());
                array = nb::cast(to_numpy(std::move(v), shape));
            } else {
                array = nb::cast(to_numpy(std::move(o.data), shape));
            }
            result.append(nb::make_tuple(o.name, dims, array));
        }
        return result;
    }

    const std::vector<std::string>& params() const { return runner_->params(); }
    const std::vector<std::string>& node_labels() const { return runner_->node_labels(); }
    const std::string& backend() const { return runner_->backend(); }
    const std::string& precision() const { return runner_->precision(); }

  private:
    std::unique_ptr<nms::batch_runner> runner_;
};

} // namespace

NB_MODULE(_core, m) {
    m.doc() = "nmsweep's engine (use the nmsweep package, not this module)";
    nb::exception<nms::input_error>(m, "InputError", PyExc_ValueError);
    nb::exception<nms::interrupted>(m, "Interrupted", PyExc_KeyboardInterrupt);

    m.def(
        "models",
        [] {
            nb::list out;
            for (const auto& mi : nms::all_model_infos()) out.append(model_dict(mi));
            return out;
        },
        "Every built-in model, as dicts.");
    m.def(
        "model", [](const std::string& name) { return model_dict(nms::find_model(name)); }, "name"_a,
        "One model, as a dict (InputError with a suggestion for an unknown name).");
    m.def("couplings", &couplings, "n_cvar"_a = 1, "Every coupling function with its parameters.");
    m.def("validate", &validate, "text"_a, "path"_a,
          "Reads and validates a spec as every command does; returns its warnings.");
    m.def("check", &check, "text"_a, "path"_a,
          "Validates a spec; returns the summary `nmsweep check` prints.");
    m.def("run", &run, "text"_a, "path"_a, "output"_a, "backend"_a, "precision"_a, "threads"_a,
          "batch_size"_a, "overwrite"_a, "resume"_a, "checkpoint_minutes"_a, "progress"_a.none(),
          "Runs a sweep into a result file; returns whether every point is done.");
    m.def("simulate", &simulate, "text"_a, "path"_a, "output"_a, "point"_a, "every"_a, "precision"_a,
          "overwrite"_a, "One grid point's full time series into a file.");
    m.def("version", [] { return std::string(NMS_VERSION); });

    nb::class_<batch>(m, "Batch", "A spec prepared once, run at many parameter points.")
        .def(nb::init<const std::string&, const std::string&, const std::vector<std::string>&,
                      const std::string&, const std::string&, int, std::size_t>(),
             "text"_a, "path"_a, "params"_a, "backend"_a, "precision"_a, "threads"_a, "batch_size"_a)
        .def("run", &batch::run, "theta"_a, "progress"_a.none() = nb::none(),
             "Runs the rows of theta; returns [(name, dims, array)], arrays [n, ...].")
        .def_prop_ro("params", &batch::params)
        .def_prop_ro("node_labels", &batch::node_labels)
        .def_prop_ro("backend", &batch::backend)
        .def_prop_ro("precision", &batch::precision);
}
