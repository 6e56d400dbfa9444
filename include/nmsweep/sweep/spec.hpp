#pragma once

// The sweep specification: a TOML file (format in DESIGN.md, "A sweep spec",
// and the reference below) becomes a validated sweep_spec, and any range of
// its grid points becomes an nms::batch for a backend.
//
// Reference (every key not listed here is an error, with a did-you-mean):
//
//   description = "..."                      optional free text
//   [model]       name (required), preset, params = { p = x | [per-node] }
//   [network]     connectome (required: "synthetic:N[:SEED]", a TVB zip or
//                 folder, or "WEIGHTS,LENGTHS"; relative paths resolve
//                 against the spec file's folder), speed (mm/ms, default 3.0
//                 as TVB; 0 or inf or "inf": no delays), normalise
//                 (none | max | row_sum, default none)
//   [coupling]    kind (default "linear"), then any coupling parameter by name
//   [integrator]  method (euler | heun | rk4, default heun), dt (ms, required),
//                 duration (ms, required), transient (ms, default 0),
//                 noise = { sigma = x | { var = x, ... }, vars = [...], seed = k }
//                 or nsig in place of sigma (TVB: sigma = sqrt(2 nsig)); a
//                 scalar sigma without vars applies to every state variable,
//                 as TVB's scalar nsig does; delayed_coupling (hold |
//                 interpolate, default hold: TVB's coupling held over a step)
//   [initial]     <var> = x | [per-node], file = "ic.csv" (one row per node,
//                 one column per state variable, CSV or whitespace, '#'
//                 comments, optional header row of variable names),
//                 random = { n = N, seed = k, ranges = { var = [lo, hi] } }:
//                 N initial conditions drawn uniformly in each variable's
//                 state_info range (or its `ranges` entry), independently
//                 per node (explicit <var> values still apply to every set)
//   [[sweep]]     param = NAME and one of linspace = [start, stop, n]
//                 (numpy.linspace, endpoint included), logspace = [start, stop, n]
//                 (numpy.geomspace: start and stop are the values themselves,
//                 non-zero, same sign), values = [...]; or, for a per-node
//                 model.<p> / coupling.<p>, ez = { regions = "all" | [labels
//                 or node indices], k (default 1), n, seed, value, base,
//                 name } (every k-subset of the candidates in lexicographic
//                 order, or n distinct random ones; value in the subset, base
//                 elsewhere, default the spec's own value) or ez = { file =
//                 "hyp.csv" | "hyp.npy", value, base, name } (one hypothesis
//                 per row: region labels, or N numbers = the whole vector):
//                 an index axis (default name "ez") of hypotheses;
//                 or, without param, lesion = { regions = [[labels or node
//                 indices], ...] } (each value removes a set of regions, []
//                 = intact), { each = "all" | [labels or indices] } (one
//                 region per value), { tracts = [[[a, b], ...], ...] } (each
//                 value cuts a set of tracts) or { file = "lesions.txt" }
//                 (one value per row: regions and a--b tracts), with intact
//                 (prepend the intact network; default true for each, false
//                 otherwise) and name (default "lesion"): an index axis of
//                 virtual resections, applied to the normalised weights
//                 (lesion_axis below); at most one
//   [sampler]     kind (uniform | lhs | sobol), n, seed, ranges = { NAME = [lo, hi] }
//   [output]      path (default: the spec's stem + ".h5", relative to the
//                 current directory), observable (linear combination of state
//                 variables, default model_info::observable), features,
//                 sample_every (default 1), timeseries = { every, instances }
//   [output.spectra]   nperseg, noverlap (samples), window (hann | boxcar),
//                 per_node (bool), fmax (Hz), peak_range = [lo, hi] (Hz),
//                 bands = { name = [lo, hi], ... } (replace the defaults)
//   [output.synchrony] phase (auto | observable | hilbert), band = [lo, hi]
//                 (Hz, default [8, 13]), segment (samples)
//   [output.fc]   empirical = "fc.csv" (N x N; relative to the spec),
//                 fcd_window, fcd_step (ms), fcd_matrix (bool)
//   [output.attractor] rtol, atol (fixed-point tolerance), regular_tol,
//                 min_cycles, hysteresis, per_node (bool), cluster_tol
//   [output.seizure] measure (level | line_length), window (ms), on, off,
//                 generalised (fraction); the model's rule (M::seizure) fills
//                 in what it leaves out
//   [output.entrainment] stimulus (a [[stimulus]] name), bandwidth, edge,
//                 max_order, n_harmonics, nperseg, band = [lo, hi]
//                 (meaning and defaults: spectra_options, synchrony_options,
//                 fc_options, attractor_options, seizure_options,
//                 entrainment_options in
//                 nmsweep/sweep/reducers.hpp)
//   [output.bold] the Balloon-Windkessel BOLD signal of every node
//                 (nmsweep/observe/bold.hpp): preset (friston2003 |
//                 stephan2007), any constant of the preset by name (kappa,
//                 gamma, tau, alpha, rho, V0, k1, k2, k3; theta0, r0,
//                 epsilon, TE), drive (expression like observable, default
//                 the observable), scale, offset (z = scale drive + offset,
//                 in 1/s^2), method (rk4 | heun), dt (ms, hemodynamic
//                 step), tr (ms), transient (ms, from the first sample the
//                 features see), timeseries (bool), empirical_fc = "fc.csv"
//   [[output.sensors]] one table per modality (nmsweep/observe/leadfield.hpp):
//                 name, sensors (TVB sensor file), gain (dipole |
//                 magnetic_dipole | inverse_square | a CSV/text or .npy
//                 file), conductivity (S/m, dipole), orientations (auto |
//                 radial | connectome), region_weights (none | areas,
//                 inverse_square), reference (average | a sensor label),
//                 noise = { sigma, seed }, observable, features, seizure =
//                 { measure, window, on, off } (over [output.seizure])
//
// Sweepable NAMEs: model.<p>, coupling.<p>, model.<p>[k] / coupling.<p>[k]
// (k a node index or a region label, quoted or not: model.x0["rHC"]),
// network.speed, integrator.noise.sigma (scales every noisy variable keeping
// their ratios), noise.<var>, noise.seed (repeats), initial (index into the
// initial-condition set). An ez axis sets the whole vector of its parameter;
// node entries of the same parameter (model.x0[3]) apply after it. A lesion
// axis changes the network: the points of a batch share one lesion.
//
// Grid order: the sampler's "sample" axis (if any) first, then the [[sweep]]
// axes in file order, then an automatic "initial" axis when [initial].random
// is given and no [[sweep]] names "initial". Axes multiply out in C order
// (first slowest); instance g of the run is grid point g.

#include "nmsweep/engine/batch.hpp"
#include "nmsweep/network/connectome.hpp"
#include "nmsweep/observe/bold.hpp"
#include "nmsweep/observe/leadfield.hpp"
#include "nmsweep/sweep/continuation_run.hpp"
#include "nmsweep/sweep/control_run.hpp"
#include "nmsweep/sweep/fit_run.hpp"
#include "nmsweep/sweep/evoked.hpp"
#include "nmsweep/sweep/reducers.hpp"
#include "nmsweep/sweep/stability_feature.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace nms {

struct axis {
    std::string name, unit;
    std::vector<double> values;
};

// A sweepable name, parsed.
struct param_ref {
    enum class kind {
        model,      // model.<p>          (key "model.<p>")
        coupling,   // coupling.<p>       (key "coupling.<p>")
        speed,      // network.speed
        noise_all,  // integrator.noise.sigma
        noise_var,  // noise.<var>        (key "noise.<var>")
        seed,       // noise.seed
        initial,    // initial
        sample,     // the sampler's "sample" axis
        bold,       // bold.<constant>    (key "bold.<constant>"; [output.bold])
        hypothesis, // an ez axis: name = the axis, key = "model.<p>" / "coupling.<p>"
        lesion,     // a lesion axis: name = the axis, key = ""
        stimulus    // stimulus.<name>.<property> (key the same; [[stimulus]])
    };
    kind k = kind::model;
    std::string name;  // as written by the user
    std::string key;   // batch parameter key, e.g. "model.mu", "noise.y4"
    long node = -1;    // model/coupling node entry given by index
    std::string label; // model/coupling node entry given by region label
    bool node_entry() const { return node >= 0 || !label.empty(); }
};

struct sampler_spec {
    std::string kind; // "" when the spec has no [sampler]
    std::size_t n = 0;
    std::uint64_t seed = 0;                  // sobol: 0 = plain sequence, else a seeded random digital shift
    std::vector<param_ref> params;           // in file order
    std::vector<std::vector<double>> ranges; // [param] = {lo, hi}
    std::vector<std::vector<double>> values; // [param][sample]
};

struct initial_spec {
    std::map<std::string, field> values;    // per state variable: scalar or per_node
    std::string file;                       // resolved path, "" when none
    std::vector<std::vector<double>> table; // from file: [node][state var, model order]
    std::size_t n_random = 0;               // 0: no random sets
    std::uint64_t random_seed = 0;
    std::map<std::string, std::pair<double, double>> random_ranges; // var -> [lo, hi] (else the state range)
};

struct timeseries_spec {
    bool enabled = false;
    long every = 1;                     // steps between stored samples
    std::vector<std::size_t> instances; // grid points whose series are stored
};

// [output.bold]
struct bold_spec {
    bool enabled = false;
    observe::bold_options
        opt;           // preset, constants, step, TR, transient, timeseries, drive scale/offset, empirical FC
    std::string drive; // as written; "" = the [output] observable
    std::vector<double> drive_coef; // its coefficients (the observable's when drive is "")
};

// One [[output.sensors]] table: sensor-space signals = gain x the regional
// observable (+ white measurement noise), fed to the reducers named in
// features; results under /sensors/<name>/.
struct sensor_spec {
    std::string name;
    std::string sensors;                 // resolved TVB sensor file, "" = none (gain from a file)
    std::string gain = "dipole";         // dipole | magnetic_dipole | inverse_square | resolved file path
    bool gain_file = false;              // gain is a file
    double conductivity = 0.3;           // S/m (dipole)
    std::string orientations = "auto";   // auto | radial | connectome
    std::string region_weights = "none"; // none | areas (inverse_square)
    std::string reference;               // "" (none) | average | a sensor label
    observe::projection_noise noise;
    std::vector<std::string> features;
    std::string observable; // as written; "" = the [output] observable
    std::vector<double> observable_coef;
    // seizure = { ... }: the detector on this modality's signals ([output.seizure]'s where it
    // leaves a key out).
    seizure_options seizure;
};

// A per-node parameter read from a file whose rows name regions
// ([model] params = { x0 = { file = "x0.csv", default = -2.2 } }): resolved
// against the connectome's labels by load_spec (resolve_node_tables).
struct node_table {
    std::string file;                // resolved path
    std::vector<std::string> labels; // one per row
    std::vector<int> lines;          // each row's line in the file
    std::vector<double> values;
    bool has_default = false;
    double fallback = 0; // default: the value of regions the file leaves out
};

// An axis of epileptogenic-zone hypotheses ([[sweep]] ez = {...}): value h
// (0..H-1) sets the whole per-node vector of `key` to hypothesis h. Parsed
// without the network; resolve_hypotheses (load_spec) resolves the regions
// and fills members, rows, base and labels.
struct hypothesis_axis {
    std::string name; // the axis ("ez")
    std::string key;  // "model.x0"
    // As written ("FILE:LINE: [sweep] ez.<key>" of each for messages):
    bool all = false;                   // regions = "all"
    std::vector<std::string> regions;   // candidates by label ("" where by index)
    std::vector<long> region_nodes;     // candidates by node index (-1 where by label)
    std::vector<std::string> region_at; // where each candidate is written
    long k = 1;
    std::size_t n_random = 0; // 0: every k-subset
    std::uint64_t seed = 0;
    bool has_value = false, has_base = false;
    double value = 0, base = 0;
    std::string file;                                  // resolved path, "" = none
    std::vector<std::vector<std::string>> file_labels; // rows naming regions
    std::vector<int> file_lines;                       // each row's line (npy: row number)
    // Resolved:
    bool resolved = false;
    std::vector<std::vector<std::size_t>> members; // [h]: the zone's nodes, in member order
    std::vector<std::vector<double>> rows;         // [h][node] whole vectors (numeric rows)
    std::vector<double> base_values;               // [node] outside the zone (subset hypotheses)
    std::vector<std::string> labels;               // [h] "rHC+rAMYG", "row 3"
    std::size_t size() const { return labels.size(); }
    std::vector<double> vector_of(std::size_t h) const; // hypothesis h's value per node
};

// [output.seizure] observed = "onsets.csv": a recording's onsets, rows
// "label [onset ms]" (a label alone: recruited, time unknown; channels not
// listed: not recruited), read by the spec reader and resolved by load_spec
// (resolve_observed) against the region labels or a sensor modality's
// contacts (one with "seizure" in its features).
struct observed_onsets {
    std::string file; // resolved path, "" = none
    std::vector<std::string> labels;
    std::vector<int> lines;
    std::vector<double> onset; // NaN: no time given
};

// An axis of virtual resections ([[sweep]] lesion = {...}): value k
// (0..L-1) removes regions (zeroes their rows and columns of the weights:
// they neither receive nor send coupling, but their own dynamics still run)
// and cuts tracts (zeroes w_ij and w_ji). Applied by make_batch to the
// network after normalisation, so the remaining weights, and all tract
// lengths, keep their values. Parsed without the network; resolve_lesions
// (load_spec) resolves the regions and fills removed, cut and labels.
struct lesion_axis {
    // One region or tract as written: a region label ("" when by index) or
    // node index (-1 when by label); a tract has both ends.
    struct site {
        std::string label;
        long node = -1;
    };
    struct element {
        bool tract = false;
        site a, b;          // b: the tract's other end
        std::string at;     // "FILE:LINE: [sweep] lesion.<key>" (file rows: "...: FILE:LINE")
        std::string as_put; // the value for messages (""rHC"", "["rHC", 4]")
    };
    std::string name = "lesion";
    std::vector<std::vector<element>> written; // [value]: what it removes and cuts
    std::vector<std::string> value_at;         // [value]: where it is written
    bool each_all = false;                     // each = "all": one value per connected region
    bool intact = false;                       // value 0 is the intact network
    std::string file;                          // resolved path, "" = none
    // Resolved:
    bool resolved = false;
    std::vector<std::vector<std::size_t>> removed;                     // [k] removed nodes
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> cut; // [k] tracts cut, i < j
    std::vector<std::string> labels;                                   // [k] "intact", "-rHC", "cut a--b"
    std::size_t size() const { return labels.size(); }
    // Lesion k on a network (its weights only).
    void apply(std::size_t k, connectome& net) const;
};

// [[stimulus]]: a stimulus and its spatial pattern as written; the
// pattern becomes stim.weight in resolve_stimuli (load_spec), once the
// network's labels are known.
struct stimulus_spec {
    stimulus stim;
    std::vector<std::string> regions;          // labels or node indices: weight 1 there
    std::vector<double> weights;               // per node, given inline or by file
    std::string gain_file;                     // a lead field: weight = gain^T electrodes
    std::vector<double> electrodes;            // per sensor (its current)
    std::vector<std::string> electrode_labels; // or by sensor label (electrodes then in this order)
};

struct sweep_spec {
    std::string path; // the spec file, as given
    std::string text; // its full text (stored in the results)

    std::string model, preset;
    // "model.<p>" and "coupling.<p>" -> value (scalar or per_node): the
    // preset's values, then [model].params, then [coupling] keys.
    std::map<std::string, field> params;
    // Parameters given by region label in a file ("model.x0" -> its table):
    // params holds a placeholder until resolve_node_tables.
    std::map<std::string, node_table> node_tables;

    std::string connectome; // resolved: absolute paths, or "synthetic:..."
    double speed = 3.0;     // mm/ms; 0 or inf: no delays
    weight_norm normalise = weight_norm::none;

    std::string coupling = "linear";

    scheme method = scheme::heun;
    delayed_coupling delayed = delayed_coupling::hold;
    std::string precision = "float"; // float | double (the command line's --precision overrides)
    double dt = 0.1, duration = 1000.0, transient = 0.0; // ms
    std::map<std::string, double> noise_sigma; // state var -> sigma; the keys are the noisy variables
    std::uint64_t seed = 0;

    initial_spec initial;

    std::vector<axis> axes;           // the grid, first axis slowest
    std::vector<param_ref> axis_refs; // what each axis sets
    sampler_spec sampler;
    std::vector<hypothesis_axis> hypotheses; // the ez axes, in axis order
    std::vector<lesion_axis> lesions;        // the lesion axis (at most one)
    std::vector<stimulus_spec> stimuli;      // [[stimulus]], summed

    std::string output_path;
    std::string observable;              // as written (or the model's default)
    std::vector<double> observable_coef; // one coefficient per state variable
    std::vector<std::string> features;
    long sample_every = 1;
    timeseries_spec timeseries;
    spectra_options spectra;                 // [output.spectra]
    entrainment_options entrainment;         // [output.entrainment]
    synchrony_options synchrony;             // [output.synchrony]
    fc_options fc;                           // [output.fc]
    attractor_options attractor;             // [output.attractor]
    ramp_options ramp;                       // [output.ramp]
    seizure_options seizure;                 // [output.seizure] (the model's rule where it leaves a key out)
    observed_onsets observed;                // [output.seizure] observed (resolved into a seizure_options)
    bold_spec bold;                          // [output.bold]
    std::vector<sensor_spec> sensors;        // [[output.sensors]]
    evoked_options evoked;                   // [output.evoked] (resolved: stimulus named, post_ms > 0)
    stability_options stability;             // [output.stability]
    controllability_options controllability; // [output.controllability]
    continuation_spec continuation;          // [continuation] (nmsweep continue)
    control_spec control;                    // [control] (nmsweep control)
    fit_spec fit;                            // [fit] (nmsweep fit)

    // "section.key" -> "FILE:LINE" of that key, for messages raised after
    // parsing (e.g. once the network is loaded).
    std::map<std::string, std::string> where;
    // What the user should see but that is not an error ("FILE:LINE: [section]
    // key: ..."), e.g. a parameter far outside its plausible domain.
    std::vector<std::string> warnings;
};

// Reads, parses and fully validates a spec: also loads the network to check
// per-node lengths and region labels, and runs check_batch on a one-instance
// batch so that engine-level errors surface here. Throws nms::input_error
// "FILE:LINE: [section] key: message (value ...)".
sweep_spec load_spec(const std::string& path);
// The same from the spec's text (the Python package's Spec): `path` names it
// in messages, and its folder resolves relative paths.
sweep_spec load_spec_text(const std::string& text, const std::string& path);

// Per-node parameters keyed by region label (node_tables) become per_node
// fields of s.params in the network's node order. Throws input_error naming
// the file and line of an unknown or repeated label, or the region left
// without a value.
void resolve_node_tables(sweep_spec& s, const connectome& net);

// [output.seizure] observed: the onsets' labels matched to the regions (or,
// failing that, to the contacts of a sensor modality with "seizure") and
// put, per channel, into that space's seizure_options. Throws input_error
// naming the file and line of a label found in neither, or repeated.
void resolve_observed(sweep_spec& s, const connectome& net);

// The ez axes' regions (labels and node indices) against the network: fills
// each hypothesis_axis's members, rows, base and labels, and the axis's
// values 0..H-1. Throws input_error naming the spec key (or the hypothesis
// file's row), the bad value and a did-you-mean. After resolve_node_tables
// (the default base is the parameter's resolved value).
void resolve_hypotheses(sweep_spec& s, const connectome& net);
// The ez axis of that name (nullptr if none).
const hypothesis_axis* find_hypotheses(const sweep_spec& s, const std::string& name);

// The lesion axis's regions and tracts against the network (after
// normalisation): fills removed, cut and labels, and the axis's values
// 0..L-1. Throws input_error naming the spec key (or the file's row) and the
// bad value: an unknown region (with a did-you-mean), a node index out of
// range, a region or tract listed twice in one value, a lesion that
// disconnects nothing (a region without connections, a tract of weight 0)
// or everything (no connection left), the same lesion twice.
void resolve_lesions(sweep_spec& s, const connectome& net);
// The lesion axis of that name (nullptr if none).
const lesion_axis* find_lesions(const sweep_spec& s, const std::string& name);

// Parses and validates everything that does not need the network.
// `path_for_messages` names the file in messages; its folder resolves
// relative paths.
sweep_spec parse_spec(const std::string& text, const std::string& path_for_messages);

// Parses a sweepable name against the spec's model and coupling; throws
// input_error (without a location) with a did-you-mean.
// stimuli: the spec's [[stimulus]] names (stimulus.<name>.<property>).
param_ref parse_param_ref(const std::string& name, const std::string& model, const std::string& coupling,
                          const std::vector<stimulus_spec>& stimuli = {});

// [[stimulus]] patterns against the network: regions, per-node weights
// (also from a file by label) and lead fields become each stimulus's
// weights. Throws input_error naming the file, line and key.
void resolve_stimuli(sweep_spec& s, const connectome& net);

// The sampled signal the features see: fs, number of samples after the
// transient, time of the first sample.
sampling sampling_of(const sweep_spec& s);

// "file:line: [section] key" of a key noted while parsing ("output.path"),
// or the spec's path when the key was not in the spec: the prefix of errors
// found after parsing.
std::string where_of_key(const sweep_spec& s, const std::string& key);

// An initial-state table (`[initial] file` as CSV/text): one row per node,
// columns in the model's order or named by a header; from the file's text.
std::vector<std::vector<double>> parse_initial_table(const std::string& text, const std::string& path,
                                                     const std::string& model);

} // namespace nms
