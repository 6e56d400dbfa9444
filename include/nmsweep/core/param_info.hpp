#pragma once

namespace nms {

// Static description of one parameter (model, coupling or noise).
struct param_info {
    const char* name;
    double value;     // default
    const char* unit; // "" when dimensionless
    const char* doc;
};

// Static description of one state variable.
struct state_info {
    const char* name;
    double initial; // default initial value (and constant history)
    double lo, hi;  // TVB's state_variable_range, for documentation
};

} // namespace nms
