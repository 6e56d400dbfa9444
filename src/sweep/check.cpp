#include "run_parts.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/input_file.hpp"
#include "run_output.hpp"

#include <omp.h>

#include <algorithm>
#include <sstream>

namespace nms {

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
    sweep_request r;
    r.spec_path = spec_path;
    return check_spec(r);
}

std::string check_spec(const sweep_request& r) {
    const std::string& spec_path = r.spec_path;
    input_log log;
    const sweep_spec s = load_request_spec(r);
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
