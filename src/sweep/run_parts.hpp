#pragma once

// The pieces of a run shared by the driver (driver.cpp), the attractor
// refinement (refine_run.cpp), `check` (check.cpp) and `merge` (merge.cpp):
// the reducers of a spec's features, batch sizes, the result's size on disk.

#include "attractor_maps.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/network/connectome.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/refine.hpp"
#include "observation.hpp"
#include "sweep_observer.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace nms {

using clock_type = std::chrono::steady_clock;

std::string human_seconds(double s);

template <class T>
run_result run_batch(const batch& b, const run_options& opt, observer<T>* obs, const std::string& backend) {
    return backend == "cuda" ? run_cuda<T>(b, opt, obs) : run_cpu<T>(b, opt, obs);
}

// cpu | cuda | auto -> the backend that runs ("auto": the GPU when this
// build has the CUDA backend and a device is usable, else the CPU).
std::string choose_backend(const std::string& want);

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

run_reducers make_reducers(const sweep_spec& s);

// Samples of a point's recorded series: the steps every `every` of the run.
std::size_t series_length(const sweep_spec& s);
std::vector<std::size_t> series_points(const sweep_spec& s);

// The bytes of one point's results (status and every reducer output).
double point_result_bytes(const sweep_spec& s, const connectome& net,
                          const std::vector<std::unique_ptr<reducer>>& reds, bool want_final);
// Bytes the result file will take: every dataset is allocated when the run
// starts (h5_result.hpp), so the disk must hold them all from the start.
double result_bytes(const sweep_spec& s, const connectome& net,
                    const std::vector<std::unique_ptr<reducer>>& reds, bool want_final);

// Refuses a run whose file cannot fit on the disk, or whose per-point
// tables cannot fit in memory, before anything is created.
void check_resources(const sweep_spec& s, const std::string& out, double file_bytes, bool resume,
                     bool attractor);

// Instances per batch (r.batch_size, or by the backend and the reducers' state).
std::size_t batch_size(const sweep_request& r, const sweep_spec& s, const connectome& net,
                       const std::vector<std::unique_ptr<reducer>>& reds, const std::string& backend,
                       int threads);

// Whether a GPU reduces every feature on the device: the host reducers then
// keep only the state their outputs need (set here), no working state
// (sample rings, open FCD windows), which also lets the batches grow.
template <class T>
inline bool reduce_on_device(const sweep_spec& s, run_reducers& R, observations& obsv,
                             const std::string& backend) {
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

// Where a batch's results go: the result file (file_sink), or memory (the
// batch call of the Python package, batch_runner.hpp).
struct point_sink {
    virtual ~point_sink() = default;
    // Grid points first..first+count-1, laid out [count][extra...].
    virtual void points(const std::string& name, std::size_t first, std::size_t count,
                        const double* data) = 0;
    // The recorded series of grid point `point`: [samples][n_nodes].
    virtual void series(std::size_t point, std::size_t samples, std::size_t n_nodes, const double* data) = 0;
    virtual void status(std::size_t first, std::size_t count, const long* diverged_step) = 0;
};

struct file_sink final : point_sink {
    explicit file_sink(h5::result_writer& w) : w(w) {}
    void points(const std::string& name, std::size_t first, std::size_t count, const double* data) override {
        w.write_points(name, first, count, data);
    }
    void series(std::size_t point, std::size_t samples, std::size_t n_nodes, const double* data) override {
        w.write_array("timeseries/point_" + std::to_string(point), {samples, n_nodes}, data,
                      {"time", "node"});
    }
    void status(std::size_t first, std::size_t count, const long* diverged_step) override {
        w.write_status(first, count, diverged_step);
    }
    h5::result_writer& w;
};

// Runs points first .. first+count-1 of s's grid on `backend` and hands
// their results (not yet marked done) to `out`: every reducer output, the
// final state, the recorded series, the status. Diverged points get each
// output's diverged value.
template <class T>
run_result run_one_batch(point_sink& out, const sweep_spec& s, const connectome& net, run_reducers& R,
                         observations& obsv, const run_options& opt, const std::string& backend,
                         std::size_t first, std::size_t count);

// Set to the signal number by SIGTERM, SIGINT or SIGUSR1 during a run
// (driver.cpp); backends stop at the next step boundary (run_options::stop).
extern std::atomic<int> stop_requested;

// The grid-shaped datasets a batch writes (status/diverged_step apart).
std::vector<std::string> point_datasets(const sweep_spec& s, const run_reducers& R);

// The attractor results of every point, from the result file.
attractor_table read_attractor_table(const h5::result_writer& w);

// merge.cpp: copies the points done in each part (and not in `done`) into
// w, data then flags, and sets them in `done`; returns how many diverged.
std::size_t copy_parts(h5::result_writer& w, const std::vector<std::string>& parts,
                       const std::vector<std::string>& datasets, const std::vector<std::size_t>& series,
                       std::size_t series_len, std::size_t n_nodes, std::vector<std::uint8_t>& done);

// [output.attractor] refine: bisects the finished grid's boundaries
// (refine.hpp), running each round's points with all their initial
// conditions on the run's backend.
template <class T>
refine_result refine_grid(const sweep_request& r, const sweep_spec& s, const connectome& net,
                          const run_options& opt, const std::string& backend, const attractor_table& atab);

} // namespace nms
