#pragma once

// Streaming reducers: they see the observable of every instance after each
// sampled step (after the transient) and keep only per-instance summaries,
// so memory does not grow with the duration. The sweep observer computes
// the observable once per block sample and hands it to every reducer;
// reducers touch only the instances of the block they are given, so blocks
// on different threads never share state.

#include "nmsweep/analysis/sampling.hpp"
#include "nmsweep/analysis/schedules.hpp"
#include "nmsweep/engine/batch.hpp"  // reduced_state
#include "nmsweep/io/text_table.hpp" // read_square_matrix (empirical FC)

#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nms {

// One output array of a reducer: per grid point, [extra dims...].
struct reducer_output {
    std::string name;                    // e.g. "features/mean"
    std::vector<std::string> extra_dims; // e.g. {"node"}; empty for network-level
    std::vector<std::size_t> extra_sizes;
    std::vector<std::vector<double>> extra_scales; // values for non-node extra dims (may be empty)
    std::string units, description;
};

// A view of the observable of one block at one sampled step:
// obs[node * lanes + lane] and the network mean net[lane].
struct obs_block {
    long step;
    std::size_t first; // index of lane 0 within the batch
    int lanes, n_valid, n_nodes;
    const double* obs;
    const double* net;
};

class reducer {
  public:
    virtual ~reducer() = default;
    // Called once per batch before reset() with the batch about to run:
    // reducers that need its inputs (the stimuli's per-instance properties,
    // prepare_stimuli) read them here.
    virtual void set_batch(const batch& /*b*/) {}
    // Called once per batch after it ran, before result(), with its final
    // states: reducers of the equations rather than of the trajectory (the
    // fixed points and their stability) compute here.
    virtual void set_final(const run_result& /*r*/) {}
    // Called once per batch before any sample: sizes its state for n instances.
    virtual void reset(std::size_t n_instances, int n_nodes) = 0;
    virtual void accumulate(const obs_block& b) = 0;
    // Reducers whose state a backend can compute where the state lives (an
    // analysis unit or a schedule analysis, nmsweep/analysis/): what it
    // needs to run it, and the state it ran (accumulate() is then not called).
    virtual bool takes_device(device_request& /*r*/) const { return false; }
    virtual void load_device(const device_state&) {}
    // Reducers whose state is per-node hemodynamics driven by the observable
    // and the co-moments (and kept samples) of their BOLD signal.
    virtual bool takes_bold(bold_params& /*p*/) const { return false; }
    virtual void load_bold(const reduced_state&) {}
    // Reducers made of parts that each take device state (the composite
    // reducer of a sensor modality): the parts' requests, and their states
    // in that order (the channels in place of the nodes).
    virtual bool takes_channels(std::vector<device_request>& /*r*/) const { return false; }
    virtual void load_channels(const std::vector<device_state>&) {}
    // Reducers of a sensor modality (the projected reducer): its projection
    // and what its parts need, and their states.
    virtual bool takes_sensors(sensor_params& /*p*/) const { return false; }
    virtual void load_sensors(const std::vector<device_state>&) {}
    virtual std::vector<reducer_output> outputs() const = 0;
    // Results of output k for instance i of the batch: extra-size values.
    virtual void result(std::size_t k, std::size_t i, double* out) const = 0;
    // Memory of the per-instance state (bytes), so that the driver can size
    // batches; 0 when small.
    virtual std::size_t bytes_per_instance(int /*n_nodes*/) const { return 0; }
    // When a device reduces and hands over (load_*) only the state the
    // outputs need, the driver says so before reset(): the reducer then keeps
    // no working state (sample rings, open FCD windows), bytes_per_instance
    // counts none, and accumulate() is a logic error.
    virtual void set_results_only(bool v) { results_only_ = v; }
    bool results_only() const { return results_only_; }
    // Output k is stored as int64 (codes, counts) rather than float64.
    virtual bool integer_output(std::size_t /*k*/) const { return false; }
    // What output k holds for a point whose integration diverged (its other
    // features are NaN; an integer output needs a code).
    virtual double diverged_value(std::size_t /*k*/) const {
        return std::numeric_limits<double>::quiet_NaN();
    }
    // Extra string attributes of output k's dataset (e.g. the meaning of codes).
    virtual std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t /*k*/) const {
        return {};
    }

  private:
    bool results_only_ = false;
};

// mean, std, min, max of the observable per node and of the network mean,
// over the samples after the transient. `features` picks a subset of
// {"mean","std","min","max"}.
std::unique_ptr<reducer> make_moments_reducer(const std::vector<std::string>& features,
                                              const std::string& units);

// Several reducers fed the same samples as one: outputs concatenated in
// order. Its outputs are known after reset() (the parts size theirs there).
std::unique_ptr<reducer> make_composite_reducer(std::vector<std::unique_ptr<reducer>> parts);

// ---- Spectra (src/sweep/spectra.cpp) --------------------------------------
// Welch's power spectral density exactly as scipy.signal.welch with its
// defaults besides nperseg: segments of nperseg samples every nperseg -
// noverlap samples (only whole segments), detrend "constant" (the segment's
// mean removed), window (Hann = scipy's periodic "hann", or "boxcar"), one-
// sided, scaling "density" (PSD = 2 |X_k|^2 / (fs sum w^2), DC and Nyquist
// not doubled), average "mean" over segments. Units: observable^2 / Hz.
struct freq_band {
    std::string name;
    double lo, hi; // Hz; a bin f belongs to the band when lo <= f < hi
};
std::vector<freq_band> default_bands(); // delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-80

struct spectra_options {
    long nperseg = 0;                // 0: min(1024, n_samples)
    long noverlap = -1;              // -1: nperseg / 2 (scipy's default)
    std::string window = "hann";     // hann | boxcar
    bool per_node = true;            // spectra/psd per node besides spectra/network_psd
    double fmax = 0;                 // > 0: store only the bins f <= fmax (peaks and bands use all)
    double peak_lo = 0, peak_hi = 0; // peak search in lo <= f <= hi; hi = 0: every bin but DC
    std::vector<freq_band> bands = default_bands();
};

// The Welch segmenting (length, step) and window for these options and
// sampling; input_error "spectra: ..." when they do not fit (the reducer
// makes the same checks; the spec reader calls this to check statically).
spectra_params plan_spectra(const spectra_options& o, const sampling& smp);

// `features` picks from {"psd", "peak_freq", "peak_power", "band_power",
// "relative_band_power"}.
// Outputs (G = grid axes, N = nodes, F = stored frequency bins):
//   spectra/psd [G, node, freq] (per_node), spectra/network_psd [G, freq],
//     the "freq" scale (Hz) in /spectra;
//   features/peak_freq, peak_power [G, node] and features/network_peak_freq,
//     network_peak_power [G]: the largest PSD bin (bin frequency, no
//     interpolation) in the peak range;
//   features/band_power_<band> [G, node], features/network_band_power_<band>
//     [G]: sum of the PSD over the band's bins times the bin width fs/nperseg.
//   features/relative_band_power_<band> [G, node], network_...: the band's
//     PSD sum over the sum across the bands' span (lowest to highest edge):
//     free of the signal's units and scale.
std::unique_ptr<reducer> make_spectra_reducer(const std::vector<std::string>& features,
                                              const spectra_options& opt, const sampling& smp,
                                              const std::string& units);

// ---- Synchrony (src/sweep/synchrony.cpp) ----------------------------------
// Kuramoto order parameter R(t) = |mean_n exp(i phi_n(t))| at every sample,
// its time mean (features/kuramoto_r) and time standard deviation (ddof 0,
// features/metastability). phase_is_observable: phi is the observable itself
// (phase models: kuramoto with observable = "theta"). Otherwise phi is the
// phase of the analytic signal of the band-passed observable, from FFT
// segments of `segment` samples every segment/2 samples: bins outside
// [band_lo, band_hi] are zeroed, positive frequencies doubled, negative ones
// zeroed, inverse FFT; only the middle half of each segment (samples
// [segment/4, 3 segment/4)) is used, so the first segment/4 and the last
// (at most 3 segment/4) samples carry no R(t). The optional phase-locking
// value features/plv [G, node, node_j] = |<exp(i (phi_a - phi_b))>_t| over the
// same samples.
struct synchrony_options {
    std::string phase = "auto";           // auto | observable | hilbert (the driver resolves auto)
    double band_lo = 8.0, band_hi = 13.0; // Hz, Hilbert path
    long segment = 0;                     // 0: min(1024, n_samples)
    std::string phase_source;             // what the phases are when not the observable (descriptions)
};
// The Hilbert path's segments (length, hop, offset) and band bins [k0, k1)
// (hilbert = true, plv = false); input_error "synchrony: ..." when they do not fit.
synchrony_params plan_hilbert(const synchrony_options& o, const sampling& smp);

// `features` picks from {"kuramoto_r", "metastability", "plv"}.
std::unique_ptr<reducer> make_synchrony_reducer(const std::vector<std::string>& features,
                                                const synchrony_options& opt, bool phase_is_observable,
                                                const sampling& smp);

// ---- Functional connectivity (src/sweep/fc.cpp) ---------------------------
// Pearson correlation of the observable between nodes over all samples,
// from streaming co-moments (Welford): features/fc [G, node, node_j]. With an
// empirical N x N FC: features/fc_fit [G] = Pearson correlation of the upper
// triangles (diagonal excluded) of the simulated and empirical matrices.
// FCD (opt-in): FC in windows of fcd_window samples every fcd_step samples;
// FCD[k, l] = Pearson correlation of the upper triangles of window FCs k and
// l; features/fcd_var [G] = variance (ddof 0) of the FCD's upper triangle
// (diagonal excluded), and with fcd_matrix the matrix itself
// features/fcd [G, window, window_j] (window centres in ms as coordinates).
struct fc_options {
    std::string empirical;            // file (resolved path), "" = none
    std::vector<double> empirical_fc; // N x N, row major, from that file
    double fcd_window_ms = 0;         // 0: an eighth of the recorded duration
    double fcd_step_ms = 0;           // 0: half the window
    bool fcd_matrix = false;
};
// The FCD windows (fcd = true); input_error "fc: ..." when they do not fit.
fc_params plan_fcd(const fc_options& o, const sampling& smp);

// `features` picks from {"fc", "fcd"}; fc_fit comes with "fc" when
// empirical_fc is given.
std::unique_ptr<reducer> make_fc_reducer(const std::vector<std::string>& features, const fc_options& opt,
                                         const sampling& smp);

// ---- Entrainment by a periodic stimulus (src/sweep/entrainment.cpp) --------
// Per instance and node (and of the network mean), from the samples after
// the transient, split by the chosen periodic stimulus (a pulse_train or a
// sine, [[stimulus]]) of that instance: "before" = the samples before its
// onset, "during" = the samples from its onset until its stop. f_s is the
// stimulus frequency, f_x the response's dominant frequency (below).
//   Welch PSDs: as spectra_options (scipy.signal.welch, periodic Hann window,
//     noverlap nperseg/2, detrend constant, one-sided density) of the before
//     and the during samples, nperseg = the option, or min(1024, samples).
//   Phases: phi_x is the analytic-signal phase of the during samples
//     band-passed by one FFT over the whole during window (bins outside
//     [f (1 - bandwidth), f (1 + bandwidth)] zeroed, widened to hold at least
//     the bins next to f; positive frequencies doubled, negative zeroed,
//     inverse FFT); the first and last `edge` of the window are dropped (the
//     filter's wrap-around). phi_s is the stimulus phase known from its
//     properties: sine 2 pi f_s (t - onset) / 1000 + phase; pulse_train
//     2 pi (s - s_k) / P, s the step, s_k the start step of the current pulse
//     and P the period in steps (phase 0 at each pulse onset, on the step
//     grid of waveform.hpp).
// Outputs (G = grid axes; network_<name> [G] for each [G, node] one):
//   features/stim_plv [G, node]: |< exp(i (phi_x - phi_s)) >|, phi_x
//     band-passed around f_s ("stim_plv");
//   features/locking_ratio [G, node]: f_x / f_s, f_x = the largest during-PSD
//     bin (DC excluded); locking_n, locking_m (int64): the p/q with
//     1 <= p, q <= max_order closest to the ratio (ties: the smallest q, then
//     p), 0 when undetermined; locking_index: |< exp(i (m phi_x - n phi_s)) >|,
//     phi_x band-passed around f_x (the n:m phase-locking value) ("locking");
//   features/stim_power [G, node, harmonic]: Welch power (PSD x bin width,
//     observable^2) of the during samples in the bins k-1 .. k+1 around
//     k = rint(h f_s / bin width), for h = 1 .. n_harmonics (a sinusoid on a
//     bin: A^2 / 2 exactly); NaN past the Nyquist frequency ("stim_power");
//   features/peak_freq_before, peak_freq_during [G, node] (Hz, the largest
//     PSD bin, DC excluded) and band_power_before, band_power_during
//     [G, node] (PSD summed over band_lo <= f < band_hi times the bin width)
//     ("rhythm_change"; NaN with fewer than 2 samples in a window).
// "entrainment" picks all four. A stimulus whose onset or stop varies over
// instances splits each instance's samples where its own onset lies.
struct entrainment_options {
    std::string stimulus;                 // its name; "": the first pulse_train or sine
    double bandwidth = 0.5;               // relative half-width of the band-passes
    double edge = 0.125;                  // fraction of the during window dropped at each end (phases)
    long max_order = 4;                   // largest n, m of the n:m ratio
    long n_harmonics = 3;                 // stim_power harmonics
    long nperseg = 0;                     // Welch segment (samples); 0: min(1024, window)
    double band_lo = 8.0, band_hi = 13.0; // rhythm band (Hz)
};
// Samples a window needs (Welch, phases); the spec check refuses fewer.
constexpr long entrainment_min_samples = 16;
// The closest p/q (1 <= p, q <= max_order) to r > 0: {p, q}; {0, 0} when r is not finite.
std::pair<int, int> best_ratio(double r, int max_order);
// `features` picks from {"entrainment", "stim_plv", "locking", "stim_power", "rhythm_change"}.
std::unique_ptr<reducer> make_entrainment_reducer(const std::vector<std::string>& features,
                                                  const entrainment_options& opt, const sampling& smp,
                                                  const std::string& units);

// ---- Attractor classification (src/sweep/attractor.cpp) -------------------
// Per instance, streaming over the samples after the transient, of the
// network-mean observable (and, with per_node, of each node's):
//   fixed point (0)  peak-to-peak max - min <= atol + rtol max(|max|, |min|);
//   periodic (1)     else, when at least min_cycles cycles were timed and
//                    they are regular: the standard deviations of the cycle
//                    periods (relative to their mean) and of the cycle maxima
//                    and minima (relative to the peak-to-peak range), each
//                    after removing a linear trend over the cycles (a cycle
//                    still converging slowly stays "periodic"), are all
//                    <= regular_tol;
//   irregular (2)    cycles that are not regular (chaos, quasi-periodicity,
//                    and also period-k orbits that cross the level k times
//                    per period);
//   diverged (3)     the integration diverged (/status/diverged_step >= 0);
//                    the driver writes this code;
//   unresolved (4)   the signal moves by more than the tolerance but fewer
//                    than min_cycles cycles were timed: slower than the
//                    record resolves (lengthen the run) - unless its range
//                    over the second half of the record is at most a quarter
//                    of the whole record's: then a fixed point approached
//                    monotonically (0; amplitude: the second half's range);
//                    also a decaying envelope too near a Hopf point (below).
// A damped oscillation is a fixed point (0) still converging: its cycles
// stop (no crossing for 3 mean periods before the end of the record: the
// oscillation fell below the fixed-point tolerance), or its envelope says
// so: per quarter of the record, the slope of ln(cycle amplitude) against
// time (decay_rate: the last such quarter's); near a Hopf point
// d(ln a)/dt = sigma - l a^2, so the quarters' (mean a^2, rate) lie on a
// line with intercept sigma. An envelope that decays in every quarter and
// lies on the line is damped for sigma < 0, converging to a cycle for
// sigma > 0, unresolved (4) when sigma is within 3 standard errors of 0.
// Without such a line: damped when the cycle amplitude halves within the
// record and keeps falling in the second half at least half as fast, in
// log, as in the first (an approach to a limit cycle levels off instead).
// Cycles: upward crossings of a level with hysteresis. The level is the
// middle of the last complete cycle's range (before one: of the running
// range) and h = hysteresis x that range; a cycle starts when the signal,
// having been below level - h, rises above level + h (crossing time
// interpolated linearly between samples). The first cycle is not timed.
// Memory per instance and channel: a fixed set of running sums, whatever
// the duration.
// Outputs [G] (network mean), and with per_node node_* [G, node]:
//   features/attractor_class  int64 codes above (attrs flag_values, flag_meanings)
//   features/amplitude        periodic: max - min of the last cycle; fixed point:
//                             max - min of the record (damped: of the last
//                             cycle); irregular, unresolved: of the record
//   features/frequency        Hz: 1 / mean cycle period (periodic, irregular);
//                             NaN for fixed points and unresolved
//   features/attractor_mean   time mean of the observable (tells fixed points apart)
//   features/decay_rate       1/s: the cycle envelope's d(ln a)/dt over the last
//                             quarter of the record with 3 cycles; with fewer than
//                             min_cycles cycles, ln(change over the last quarter /
//                             change over the third) per quarter length (NaN
//                             where neither applies, or those changes are below
//                             1e-5 of the level)
enum attractor_code : int { fixed_point = 0, periodic = 1, irregular = 2, diverged = 3, unresolved = 4 };
constexpr int n_attractor_codes = 5;
const char* attractor_class_name(int code); // "fixed_point", "periodic", ...

struct attractor_options {
    double rtol = 1e-3, atol = 1e-6; // fixed-point tolerance (atol in observable units)
    double regular_tol = 0.05;       // relative spread of periods, maxima and minima
    long min_cycles = 3;             // timed cycles needed to call a signal (a)periodic
    double hysteresis = 0.1;         // of the running range, around the level
    bool per_node = false;           // also classify each node's observable
    double cluster_tol = 0.1;        // multistability: see same_attractor
    // refine = { tol, max_points }: bisect boundaries after the grid
    // (refine.hpp). tol: a fraction of each axis's span, or per axis in its
    // units (refine_tol_axis, by axis name); max_points 0: as many as the
    // grid has points without its initial axis.
    bool refine = false;
    double refine_tol = 1e-3;
    std::vector<std::pair<std::string, double>> refine_tol_axis;
    long refine_max_points = 0;
};
std::unique_ptr<reducer> make_attractor_reducer(const attractor_options& opt, const sampling& smp,
                                                const std::string& units);

// ---- Seizure detection (src/sweep/seizure.cpp) -----------------------------
// Per instance and node (or sensor), streaming over the samples after the
// transient (analysis/seizure_tracking.hpp): a measure of the signal (level:
// the signal; line_length: |x_k - x_(k-1)| / dt in 1/s) low-passed with time
// constant window_ms (s += (1 - exp(-dt / window)) (m - s)); the node seizes
// from when s crosses `on` (upwards if on > off, downwards if on < off)
// until it crosses `off` back, crossing times interpolated between samples.
// Outputs [G, node]: features/seizure_onset, seizure_offset (the first
// seizure's, ms), seizure_count, seizure_time (ms), recruited (0/1),
// onset_rank (1 = first, ties share the lower rank, 0 = not recruited),
// onset_latency (ms after the point's first onset); [G]: n_recruited,
// first_onset, time_to_half (ms from the first onset until half the nodes,
// rounded up, were recruited), generalised (n_recruited >= generalised x
// nodes). Integer outputs hold -1 for a diverged point.
struct seizure_options {
    std::string measure = "level"; // level | line_length
    double window_ms = 0;          // low-pass time constant (0: none)
    double on = 0, off = 0;        // thresholds on the low-passed measure (on != off)
    double generalised = 0.9;      // fraction of the nodes recruited in a generalised seizure
    std::string source;            // where the rule comes from (an attribute of the outputs)
    // A recording's onsets ([output.seizure] observed) on this reducer's
    // channels, per channel: recruited 0/1 and onset (ms; NaN: time not
    // known). Empty: no observation in this space. With them, per point:
    // features/observed_jaccard (|sim & obs| / |sim | obs| of the recruited
    // sets, 1 when both are empty), observed_rank_corr (Spearman's rho of the
    // onsets over the channels recruited in both with a time, average ranks
    // for ties; NaN below 2 such channels or without spread) and
    // observed_score = jaccard x (1 + rho) / 2 (jaccard where rho is NaN).
    std::vector<int> observed_recruited;
    std::vector<double> observed_onset;
    std::string observed;     // the file (attributes)
    long top = 10;            // best points listed in the ranking (seizure maps)
};
std::unique_ptr<reducer> make_seizure_reducer(const seizure_options& opt, const sampling& smp);

// ---- Parameter ramps (src/sweep/ramp.cpp) ----------------------------------
// Quasi-static continuation by simulation): a stimulus
// that moves a parameter slowly (a piecewise waveform with target
// model.<p> / coupling.<p>, e.g. up then down) and the observable's
// extrema in consecutive windows of the ramp, recorded against the
// parameter's value, so that one run per point draws a bifurcation
// diagram, with its hysteresis loop where the system is bistable.
//
// Windows: `windows` equal windows cover the ramp's knots, [onset + first
// knot time, onset + last knot time], clipped to the recorded samples;
// a sample at time t belongs to window floor((t - start) / width).
// Outputs, per point (ramp_window scale: the window centres in ms):
//   features/ramp_max, ramp_min [G, node, ramp_window] and
//   features/network_ramp_max, network_ramp_min [G, ramp_window]: the
//     observable's extrema over each window's samples (NaN: no sample);
//   features/ramp_value [G, ramp_window]: the parameter at the window's
//     centre, base + offset (the base: the spec's value of the parameter;
//     weights: the first node with a non-zero weight);
//   features/ramp_direction [G, ramp_window]: +1 where the parameter rises
//     over the window, -1 where it falls, 0 where it is flat.

struct sweep_spec;
struct ramp_options {
    std::string stimulus; // the ramp's [[stimulus]] name ("": the first piecewise one on a parameter)
    long windows = 100;
};

// The ramp stimulus of the spec for these options; input_error "ramp: ..."
// when there is none, or it is not a piecewise waveform on a parameter.
std::size_t ramp_stimulus(const sweep_spec& s, const ramp_options& o);

std::unique_ptr<reducer> make_ramp_reducer(const sweep_spec& s, const ramp_options& o, const sampling& smp);

// Multistability (several initial conditions per grid point). Two results are
// the same attractor when they have the same class and (fixed points: only
// the level, since some may still be ringing down)
//   |amplitude_a - amplitude_b| <= cluster_tol max(amplitudes) + tol_fp,
//   |mean_a - mean_b|           <= cluster_tol max(amplitudes) + 10 tol_fp,
//   |frequency_a - frequency_b| <= cluster_tol max(frequencies) (when finite),
// with tol_fp = atol + rtol max(|mean_a|, |mean_b|), the fixed-point
// tolerance: fixed points are told apart by their level, cycles by their
// amplitude, level and frequency. All diverged results count as one
// attractor (escape). count_attractors clusters greedily (each result joins
// the first cluster whose first member it matches).
struct attractor_summary {
    int cls = fixed_point;
    double amplitude = 0, frequency = 0, mean = 0;
};
bool same_attractor(const attractor_summary& a, const attractor_summary& b, const attractor_options& opt);
std::size_t count_attractors(const std::vector<attractor_summary>& results, const attractor_options& opt);

// Boundaries between classes on a 1-D or 2-D grid of codes (C order, the
// first axis slowest): for every pair of neighbouring cells (along one axis)
// with codes a < b, the midpoint between their centres, in axis units,
// goes to the boundary named "<names[a]>_<names[b]>" (e.g.
// "fixed_point_periodic"). These midpoints are the vertices that marching
// squares puts on the 0.5 contour of a class indicator; they are sorted by
// the first coordinate, then the second. points: n x axes.size(), row major.
// Codes outside 0 .. names.size()-1 (e.g. -1: not computed) are skipped,
// and so are neighbours along a `categorical` axis (one flag per axis, or
// none): an ez axis's hypotheses have no boundary between them.
struct class_boundary {
    std::string name;
    std::vector<double> points;
    // Per point and axis, as points: half the spacing of the two cells
    // along the axis the boundary crosses between them (0 along the others).
    std::vector<double> uncertainty;
};
std::vector<class_boundary> class_boundaries(const std::vector<long>& codes,
                                             const std::vector<std::vector<double>>& axes,
                                             const std::vector<std::string>& names,
                                             const std::vector<bool>& categorical = {});

} // namespace nms
