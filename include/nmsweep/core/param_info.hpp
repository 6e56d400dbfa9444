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
    double lo, hi;  // TVB's state_variable_range, for documentation
};

} // namespace nms
