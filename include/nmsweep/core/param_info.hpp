#pragma once

#include <limits>

namespace nms {

// Static description of one parameter (model, coupling or noise).
struct param_info {
    const char* name;
    double value;     // default
    const char* unit; // "" when dimensionless
    const char* doc;
    // Its plausible domain, TVB's parameter range where TVB has the model
    // (values far outside it draw a warning, spec_checks.cpp); unbounded
    // when none is known.
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
};

// Another name a parameter goes by in the literature (Jansen & Rit's p is
// TVB's mu), with how the two relate: a spec that uses it is told.
struct param_alias {
    const char* alias;
    const char* name;
    const char* note;
};

// Static description of one state variable.
struct state_info {
    const char* name;
    double initial; // default initial value (and constant history)
    double lo, hi;  // TVB's state_variable_range
    // Where random initial states are drawn (the variables a spec's ranges
    // leave out; all of them for a model without a rest curve): a box around
    // the model's attractors over its parameter domain (NaN: lo, hi). TVB's
    // ranges can be far wider than the dynamics (Jansen-Rit's y1 in +-500
    // mV, its attractors within 0..30), and a few starts drawn there rarely
    // land in a small basin.
    double start_lo = std::numeric_limits<double>::quiet_NaN();
    double start_hi = std::numeric_limits<double>::quiet_NaN();
};

} // namespace nms

namespace nms {

// A model's seizure detector ([output.seizure] defaults, made for its
// default observable; analysis/seizure_tracking.hpp): a measure of the
// signal (level: the signal itself; line_length: |dx/dt| in 1/s), smoothed
// over `window_ms`, seizing from when it crosses `on` until it crosses `off`
// back (on > off: seizing above; on < off: below).
struct seizure_rule {
    const char* measure;
    double window_ms, on, off;
    const char* why; // where the thresholds come from
};

} // namespace nms
