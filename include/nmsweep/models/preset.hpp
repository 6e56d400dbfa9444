#pragma once

#include <initializer_list>

namespace nms {

// A named set of parameter overrides (e.g. the classical Jansen-Rit values).
struct preset_value {
    const char* name;
    double value;
};

struct preset {
    const char* name;
    const char* doc;
    std::initializer_list<preset_value> values;
};

} // namespace nms
