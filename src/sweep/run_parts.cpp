#include "run_parts.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/sweep/features.hpp"

#include <algorithm>
#include <cstdio>

namespace nms {

namespace {

std::string units_of_observable(const sweep_spec& s) {
    const auto& m = find_model(s.model);
    (void)m;
    return ""; // the state variables' units are not tabulated per model yet
}

} // namespace

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

std::size_t series_length(const sweep_spec& s) { return std::size_t(n_steps(s) / s.timeseries.every); }

std::vector<std::size_t> series_points(const sweep_spec& s) {
    std::vector<std::size_t> k;
    if (s.timeseries.enabled)
        for (auto i : s.timeseries.instances)
            if (std::find(k.begin(), k.end(), i) == k.end()) k.push_back(i);
    return k;
}

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

std::vector<std::string> point_datasets(const sweep_spec& s, const run_reducers& R) {
    (void)s;
    std::vector<std::string> names;
    for (const auto& red : R.all)
        for (const auto& o : red->outputs()) names.push_back(o.name);
    if (R.want_final) names.push_back("features/final_state");
    return names;
}

attractor_table read_attractor_table(const h5::result_writer& w) {
    attractor_table t;
    t.cls = w.read_all("features/attractor_class");
    t.amplitude = w.read_all("features/amplitude");
    t.frequency = w.read_all("features/frequency");
    t.mean = w.read_all("features/attractor_mean");
    return t;
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

} // namespace nms
