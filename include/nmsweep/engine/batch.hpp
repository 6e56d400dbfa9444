#pragma once

// The library API: a batch of N independent network instances = one model +
// one coupling + one network + per-instance parameter values. The sweep
// layer builds batches; backends run them.

#include "nmsweep/integrators/schemes.hpp"
#include "nmsweep/network/connectome.hpp"
#include "nmsweep/observe/balloon.hpp"
#include "nmsweep/stimulus/stimulus.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nms {

// A value that may vary over nodes and/or instances.
struct field {
    enum class kind { scalar, per_node, per_instance, per_node_instance };
    kind k = kind::scalar;
    std::vector<double> v{0.0}; // per_node_instance: [node][instance]

    static field scalar(double x) { return {kind::scalar, {x}}; }
    static field per_node(std::vector<double> x) { return {kind::per_node, std::move(x)}; }
    static field per_instance(std::vector<double> x) { return {kind::per_instance, std::move(x)}; }
    static field per_node_instance(std::vector<double> x) { return {kind::per_node_instance, std::move(x)}; }

    bool varies_over_nodes() const { return k == kind::per_node || k == kind::per_node_instance; }
    double at(std::size_t node, std::size_t inst, std::size_t n_inst) const {
        switch (k) {
        case kind::scalar:
            return v[0];
        case kind::per_node:
            return v[node];
        case kind::per_instance:
            return v[inst];
        default:
            return v[node * n_inst + inst];
        }
    }
};

struct batch {
    std::string model = "jansen_rit";
    std::string coupling = "linear";
    connectome net;
    double speed = 4.0; // mm/ms; <= 0 or inf: no delays
    // When true, every connection between two different nodes must be
    // delayed by at least one step (an error names the first that is not).
    bool require_delays = false;
    std::vector<double> speed_per_instance; // non-empty: each instance its own delays
    std::size_t n_instances = 1;
    // Overrides by dotted name: "model.<p>", "coupling.<p>", "noise.<state var>"
    // (additive noise sigma of that variable: increment sigma*sqrt(dt)*N(0,1)).
    std::map<std::string, field> params;
    // Initial state by variable name; also the constant history before t=0
    // unless `history` gives that variable another constant.
    std::map<std::string, field> initial;
    std::map<std::string, field> history;
    scheme method = scheme::heun;
    // When the stages see the delayed coupling (schemes.hpp): hold is TVB's.
    delayed_coupling delayed = delayed_coupling::hold;
    double dt = 0.1; // ms
    long n_steps = 1000;
    std::uint64_t seed = 0;
    std::vector<std::uint64_t> seed_per_instance; // non-empty: overrides seed
    // Global index of instance 0: the noise of instance i is keyed by
    // first_instance + i, so that a sweep split into batches (or resumed)
    // draws the same numbers as one run of all points.
    std::uint64_t first_instance = 0;
    // Time-varying inputs, summed (at most max_stimuli); a property that
    // varies over instances is params["stimulus.<name>.<property>"].
    std::vector<stimulus> stimuli;
};

// What an observer sees: the state of one block of instances after `step`
// steps, x[(v * n_nodes + node) * lanes + lane], in the run's precision.
template <class T> struct block_state {
    long step;
    std::size_t inst0; // global index of lane 0
    int lanes;         // block width (array stride)
    int n_valid;       // lanes that are real instances
    int n_nodes, n_state;
    const T* x;
    T at(int v, int node, int lane) const { return x[(long(v) * n_nodes + node) * lanes + lane]; }
};

// What a backend that computes observables itself (the GPU) hands out
// instead of whole states: after `step` steps, projection p of node n is
// obs[(p * n_nodes + n) * stride + lane] for lanes 0 .. n_valid-1, the
// instances first .. first+n_valid-1 of the batch.
template <class T> struct projected_state {
    long step;
    std::size_t first;
    long stride;
    int n_valid, n_nodes, n_proj;
    const T* obs;
};
constexpr int max_projections = 8;

// An analysis a backend may run where the state lives, over a set of
// channels (the nodes, or a sensor modality's sensors, and last their mean):
// an analysis unit (nmsweep/analysis/unit.hpp, `unit`: index `id` in
// analysis_units, updated per channel at every sample) or a schedule
// analysis (nmsweep/analysis/schedules.hpp: index `id` in
// analysis_schedules, operations over all channels after every sample);
// its params as bytes; for a unit, whether the nodes are channels besides
// their mean (else the mean alone).
struct device_request {
    bool unit = true;
    int id = -1;
    std::vector<unsigned char> params;
    bool nodes = true;
};
// Its state after the run, for instances first .. first+n_valid-1 of the
// batch, in the layout its analysis documents (stride: between channels or
// pairs; units: bytes[0] = states [channel * stride + lane], `channels` of
// them); `count` samples reduced.
struct device_state {
    std::size_t first = 0;
    long stride = 0;
    int n_valid = 0, channels = 0;
    long count = 0;
    std::vector<std::vector<unsigned char>> bytes;
    std::vector<std::vector<double>> d;
    std::vector<std::vector<float>> f;
    std::vector<long> counters;
};

// What a backend that reduces where the state lives (the GPU) hands over
// per range of instances, first .. first+n_valid-1 of the batch: the states
// of the requests of projection 0 (observer::device_requests) and of each
// sensor modality (observer::device_sensors), in their orders, and BOLD.
struct reduced_state {
    std::size_t first;
    long stride;
    int n_valid, n_nodes;
    long count; // samples reduced per instance
    std::vector<device_state> states;
    std::vector<std::vector<device_state>> sensors;
    // BOLD of projection 0: bold_count samples per instance, the nodes'
    // running means bold_mean[node * stride + lane] and co-moments
    // bold_c[pair * stride + lane] (pairs a <= b row by row), and the first
    // bold_params::n_keep samples bold_ts[(j * n_nodes + node) * stride + lane].
    long bold_count = 0;
    const double* bold_mean = nullptr;
    const double* bold_c = nullptr;
    const double* bold_ts = nullptr;
};

// BOLD (observe/balloon.hpp) of projection 0 wanted with the moments: per
// node z = gain x + offset drives a balloon from rest at the first sample,
// on the grid (input averaging, sub-steps, BOLD samples every TR); RK4 or
// Heun; the constants, or one set per instance of the batch when swept; the
// first n_keep BOLD samples kept (0: only their co-moments).
struct bold_params {
    observe::bold_grid grid;
    bool rk4 = true;
    double gain = 1, offset = 0;
    observe::balloon<double> c{};
    std::vector<observe::balloon<double>> per_instance;
    long n_keep = 0;
    int source = 0; // the projection driving it (0: the observable; k: observer channel k - 1)
};

// A sensor modality of projection 0 wanted with the moments: signals =
// gain (n_sensors x n_nodes, row major) x the nodes' values + white noise of
// noise_sigma keyed (noise_seed, instance_offset + instance, sensor,
// noise_var, step) as observe::project keys it; their mean over sensors is
// channel n_sensors; reduced as `requests` ask.
struct sensor_params {
    std::vector<double> gain;
    long n_sensors = 0;
    double noise_sigma = 0;
    std::uint64_t noise_seed = 0;
    std::uint32_t noise_var = 0;
    std::size_t instance_offset = 0;
    std::vector<device_request> requests;
    int source = 0; // the projection observed (0: the observable; k: observer channel k - 1)
};

template <class T> struct observer {
    long every = 1; // call after every `every` steps (and never at step 0)
    virtual ~observer() = default;
    // Called concurrently from different threads for different blocks.
    virtual void observe(const block_state<T>& s) = 0;
    // Observers that need only linear combinations of the state variables
    // (and of their sines and cosines) give their coefficients, each over
    // [part][variable] (part 0: x, 1: sin x, 2: cos x; at most
    // max_projections); a backend may then compute them where the state
    // lives and call observe_projected instead of observe.
    virtual std::vector<std::vector<double>> projections() const { return {}; }
    virtual void observe_projected(const projected_state<T>&) {}
    // No call is needed before this step (e.g. the transient of a sweep).
    virtual long first_needed_step() const { return 0; }
    // True when everything the observer needs is reductions of projection
    // 0 over the sampled steps (multiples of `every`) from first_needed_step
    // on: analyses (device_requests), BOLD (device_bold) and sensor
    // modalities (device_sensors): a backend may then run them itself and
    // call observe_reduced once per range of instances instead of
    // observe_projected.
    virtual bool device_reducible() const { return false; }
    virtual std::vector<device_request> device_requests() const { return {}; }
    virtual bool device_bold(bold_params& /*p*/) const { return false; }
    virtual std::vector<sensor_params> device_sensors() const { return {}; }
    virtual void observe_reduced(const reduced_state&) {}
};

// How the CUDA backend spreads a batch over GPU threads: one thread per
// instance stepping all its nodes (the whole time loop in one launch), or
// one thread per (node, instance) and one launch per step (enough threads to
// fill the GPU when the batch has few instances). automatic: instance when
// the batch alone fills half the device's resident threads, else node.
enum class gpu_mapping { automatic, instance, node };

struct run_options {
    int threads = 0;              // 0: all cores
    std::vector<int> devices;     // CUDA devices to use; empty: all visible
    std::size_t device_batch = 0; // most instances per device launch; 0: as many as fit
    gpu_mapping mapping = gpu_mapping::automatic;
    int lanes = 0; // instances per CPU block; 0: the SIMD width default
    long progress_every = 0;
    std::function<void(std::size_t instances_done)> on_block_done; // may be called concurrently
    // Set (to a signal number) when the run must stop: the backend returns at
    // the next step boundary with run_result::interrupted (its results void).
    const std::atomic<int>* stop = nullptr;
};

struct run_result {
    std::size_t n_instances = 0, n_nodes = 0, n_state = 0;
    std::vector<double> final_state; // [v][node][instance]
    std::vector<long> diverged_step; // -1: ok; else the first step whose state was not finite
    double wall_seconds = 0;
    double node_steps_per_second = 0;
    double kernel_seconds = 0; // CUDA: time inside the stepping kernels (the slowest device)
    int threads = 1;
    int lanes = 0;
    std::string backend = "cpu";
    std::string mapping; // CUDA: "instance", "node" or "instance+node" (sub-batches differed)
    bool interrupted = false; // run_options::stop was set: the results are incomplete
};

template <class T>
run_result run_cpu(const batch& b, const run_options& opt = {}, observer<T>* obs = nullptr);

// The CUDA backend: one thread per instance, state and delay ring in device
// memory, instances split over the devices of `opt` and batched to fit their
// memory. Throws input_error when the build has no CUDA backend or no device
// is usable.
template <class T>
run_result run_cuda(const batch& b, const run_options& opt = {}, observer<T>* obs = nullptr);

// Usable CUDA devices ("" when none, else e.g. "NVIDIA H200 (sm_90, 139 GiB)"
// per device); never throws.
std::vector<std::string> cuda_devices();
bool cuda_built();

// Validates names, lengths and values of a batch without running it.
void check_batch(const batch& b);

} // namespace nms
