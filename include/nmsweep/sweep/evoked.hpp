#pragma once

// Evoked responses (src/sweep/evoked.cpp, src/sweep/pci.cpp): the response
// of every channel (node or sensor) to a train of identical pulses,
// averaged over the pulses, and the perturbational complexity index.
//
// Window. Pulse k of the chosen stimulus starts at step
// s_k = rint(onset / dt) + rint(k P) (P the period in steps: the rule of
// nmsweep/stimulus/waveform.hpp, from each instance's own properties, swept
// ones included). A sample at step s has the lag j = floor((s - s_k + e/2) /
// e) samples (e = sample_every; with e = 1 exactly s - s_k), and pulse k's
// window holds the lags -n_pre .. n_post, n_pre = rint(pre / dt_s),
// n_post = rint(post / dt_s) (dt_s = dt e, the sampling interval). Lag 0 is
// the state at the onset, before the pulse has acted. A pulse counts when
// its whole window lies in the recorded samples (after the transient, up to
// the end of the run), when it starts before the stimulus's stop and after
// its ramp (ramped pulses are not identical); at most max_pulses count.
//
// Outputs (G = grid axes; "node" becomes "sensor" in sensor space):
//   evoked/erp [G, node, lag], evoked/network_erp [G, lag]  ("erp"): the ERP
//     E_c(j) = mean over counted pulses of x_c(s_k + j e), minus its baseline
//     b_c = the mean of E_c over the lags -n_pre .. 0; the network channel
//     is the network-mean signal; the lag scale is in ms (j dt_s);
//   features/erp_n_pulses [G] (int64, with any evoked feature): pulses
//     counted (0: none, the other outputs NaN; -1: diverged);
//   features/erp_peak_amplitude, erp_peak_latency [G, node] and network_*
//     [G]: over the lags 1 .. n_post, the lag j* of the largest |E_c(j)|
//     (the first on ties): amplitude E_c(j*) (signed), latency j* dt_s ms;
//   features/erp_decay_time [G, node] and network_* [G]: with A = |E(j*)|,
//     the last lag j_l >= j* at which |E(j)| >= A / e; the time at which
//     |E| crosses A / e between j_l and j_l + 1 (linear interpolation of |E|)
//     minus j* dt_s, in ms. For E(t) = A e^{-(t - t*) / tau} after the peak
//     this is tau. NaN when |E| is still >= A / e at the window's last lag
//     (the decay outlasts the window) or A = 0;
//   features/pci [G] ("pci"): the perturbational complexity index of
//     Casali et al. (2013), Sci Transl Med 5:198ra105, in its Lempel-Ziv form,
//     over the channels (nodes or sensors; not the network mean):
//     1. significance: B(c, j) = 1 when |E_c(j)| > k sigma_c, j = 1 .. n_post,
//        sigma_c = the standard deviation (ddof 0) of E_c over the baseline
//        lags -n_pre .. 0 (k = pci_threshold, default 3);
//     2. the binary matrix read column by column (time-major: all channels
//        of lag 1, then of lag 2, ...) as one string of length L = C n_post;
//     3. PCI = c(L) log2(L) / (L H(p)), c(L) its Lempel-Ziv (1976)
//        complexity (lz76_complexity), p the fraction of ones and
//        H(p) = -p log2 p - (1 - p) log2(1 - p) the source entropy; 0 when
//        p = 0 (no significant response) or p = 1 (H = 0).
//     Simplified from Casali et al.: they source-localise the EEG and set
//     the significance threshold per source by a non-parametric bootstrap
//     of the pre-stimulus baseline across trials (alpha = 0.01 on the
//     maximum statistic); here the channels are the model's nodes or its
//     sensors as they are, and the threshold is k baseline standard
//     deviations of the averaged response (Gaussian, per channel). A noise-free
//     periodic steady state has sigma_c = 0: every non-zero response is
//     then significant.

#include "nmsweep/analysis/sampling.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nms {

// [output.evoked]; the spec reader resolves the stimulus and the window.
struct evoked_options {
    std::string stimulus;      // the pulse_train or pulse stimulus ("": the first pulsed one)
    double pre_ms = 10;        // baseline window before each onset
    double post_ms = 0;        // response window; 0: min(200, the shortest period) ms
    double pci_threshold = 3;  // k: significance |ERP| > k sigma_baseline
    long max_pulses = 1000000; // pulses averaged at most (the first ones)
};

// The features of the family, in the order `features` lists them.
const std::vector<std::string>& evoked_features();

// `features` picks from evoked_features(); opt resolved (stimulus named,
// post_ms > 0). input_error "evoked: ..." when the window does not fit the
// samples.
std::unique_ptr<reducer> make_evoked_reducer(const std::vector<std::string>& features,
                                             const evoked_options& opt, const sampling& smp,
                                             const std::string& units);

// Lempel-Ziv (1976) complexity of a string of symbols: the number of
// components of its exhaustive history (Kaspar & Schuster 1987's
// algorithm). "0001101001000101" -> 6; n zeros -> 2 (n >= 2); (01)^n -> 3.
std::size_t lz76_complexity(const std::vector<std::uint8_t>& s);

// The normalised complexity c(L) log2(L) / (L H(p)) of a binary string
// (PCI's normalisation; 0 when H(p) = 0). Near 1 for a long random string.
double lz76_normalised(const std::vector<std::uint8_t>& s);

// PCI of an ERP matrix erp[c * n_lags + j] (lags -n_pre .. n_post, so
// n_lags = n_pre + 1 + n_post) over C channels, as above.
double pci_of_erp(const double* erp, std::size_t channels, long n_pre, long n_post, double k);

} // namespace nms
