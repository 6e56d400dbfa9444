#pragma once

// The feature table: every name [output].features (and [[output.sensors]]
// features) accepts, grouped into the analysis that computes it, with its
// options table, where it is allowed, how many samples it needs, how its
// options are checked (statically: no reducer is built) and how its reducer
// is made. The spec reader, the driver and the observation models read this
// table and nothing else (src/sweep/features.cpp).

#include "nmsweep/sweep/reducers.hpp"

#include <memory>
#include <string>
#include <vector>

namespace nms {

struct sweep_spec;

// What a reducer is made for: the sampled signal, its units, and whether it
// observes a sensor modality's signals (no region-space extras such as an
// empirical FC; phases from the Hilbert transform).
struct feature_context {
    sampling smp;
    std::string units;
    bool sensor_space = false;
    bool phase_is_observable = false; // synchrony of a phase model's phase variable
    const seizure_options* seizure = nullptr; // a sensor modality's detector (else [output.seizure])
};

struct feature_family {
    std::string name;                  // "spectra"
    std::vector<std::string> features; // the names it computes, in the order `features` lists them
    std::string options;               // its options table ("output.spectra"); "" when none
    bool sensor_space = false;         // allowed in [[output.sensors]] features
    // Features that need segments or windows: at least 4 samples after the transient.
    std::vector<std::string> segmented;
    // Checks the options against the sampled signal without building
    // anything; throws input_error "<family>: ..." (nullptr: nothing to check).
    void (*check)(const sweep_spec& s, const feature_context& fc,
                  const std::vector<std::string>& picked) = nullptr;
    // The reducer of the `picked` features (nullptr: written by the driver, e.g. final).
    std::unique_ptr<reducer> (*make)(const sweep_spec& s, const feature_context& fc,
                                     const std::vector<std::string>& picked) = nullptr;
};

// Every family, in the order its reducers run and write.
const std::vector<feature_family>& feature_table();

// The family computing feature f; nullptr when none.
const feature_family* family_of(const std::string& f);

// The features of `features` that `fam` computes, in their order.
std::vector<std::string> picked_of(const feature_family& fam, const std::vector<std::string>& features);

// Every name in the table, and those allowed in sensor space.
const std::vector<std::string>& known_features();
const std::vector<std::string>& sensor_features();

// Checks the options of every family `features` uses against the sampled
// signal (at least 4 samples for segmented features: else the names of
// those it found, in `short_of_samples`, and no other check); throws
// input_error "<family>: ..." from a family's check.
void check_features(const sweep_spec& s, const feature_context& fc, const std::vector<std::string>& features,
                    std::vector<std::string>& short_of_samples);

// The reducers of `features` (their families', in table order), each made
// for `fc`; throws input_error "<family>: ...".
struct made_reducer {
    const feature_family* family;
    std::unique_ptr<reducer> r;
};
std::vector<made_reducer> make_feature_reducers(const sweep_spec& s, const feature_context& fc,
                                                const std::vector<std::string>& features);

// Whether synchrony takes its input itself as the phase: asked for
// ([output.synchrony] phase = "observable"), or ("auto") a phase model,
// whose synchrony then observes its phase variable whatever the observable
// (phase_channel).
bool phase_is_observable(const sweep_spec& s);
// The projection synchrony observes instead of the observable: a phase
// model's phase variable when phase = "auto" and the observable is another
// function of the state (Kuramoto's default sin(theta)); else empty.
std::vector<double> phase_channel(const sweep_spec& s);

} // namespace nms
