// [output] observable and the other linear combinations of state variables.
#include "spec_io.hpp"

namespace nms::spec_io {

// Linear combination of state variables and of their sines and cosines:
// "y1 - y2", "0.5*E + 0.5*I", "2 x", "-y0/3", "sin(theta)". The result has one
// coefficient per state variable, followed (only when sin/cos appear) by one
// per variable for sin(x) and one for cos(x).
std::vector<double> parse_observable(const std::string& text, const model_info& m, std::string& err) {
    std::vector<double> coef(m.states.size(), 0.0);
    const char* p = text.c_str();
    auto skip = [&] {
        while (*p == ' ' || *p == '\t') ++p;
    };
    auto is_id0 = [](char ch) { return std::isalpha((unsigned char)ch) || ch == '_'; };
    auto is_id = [](char ch) { return std::isalnum((unsigned char)ch) || ch == '_'; };
    bool first = true, any = false;
    skip();
    if (!*p) {
        err = "empty observable";
        return {};
    }
    while (*p) {
        double sign = 1;
        skip();
        if (*p == '+' || *p == '-') {
            sign = *p == '-' ? -1 : 1;
            ++p;
        } else if (!first) {
            err = std::string("expected '+' or '-' at '") + p + "'";
            return {};
        }
        first = false;
        skip();
        double c = 1;
        bool have_num = false;
        if (std::isdigit((unsigned char)*p) || *p == '.') {
            char* end = nullptr;
            c = std::strtod(p, &end);
            if (end == p) {
                err = std::string("bad number at '") + p + "'";
                return {};
            }
            p = end;
            have_num = true;
            skip();
            if (*p == '*') ++p, skip();
        }
        if (!is_id0(*p)) {
            err = have_num
                      ? "a constant term has no state variable (the observable is a linear combination of "
                        "state variables)"
                      : std::string("expected a state variable at '") + p + "'";
            return {};
        }
        const char* b = p;
        while (is_id(*p)) ++p;
        std::string var(b, p);
        skip();
        int part = 0; // 0: the variable, 1: sin of it, 2: cos of it
        if ((var == "sin" || var == "cos") && *p == '(') {
            part = var == "sin" ? 1 : 2;
            ++p;
            skip();
            const char* vb = p;
            while (is_id(*p)) ++p;
            var.assign(vb, p);
            skip();
            if (var.empty() || *p != ')') {
                err = std::string("expected '") + (part == 1 ? "sin" : "cos") + "(state variable)' at '" +
                      vb + "'";
                return {};
            }
            ++p;
            skip();
        }
        while (*p == '*' || *p == '/') {
            const bool div = *p == '/';
            ++p;
            skip();
            char* end = nullptr;
            double d = std::strtod(p, &end);
            if (end == p) {
                err = std::string("expected a number after '") + (div ? "/" : "*") + "' at '" + p + "'";
                return {};
            }
            p = end;
            if (div && d == 0) {
                err = "division by zero";
                return {};
            }
            c = div ? c / d : c * d;
            skip();
        }
        const int k = state_index(m, var);
        if (k < 0) {
            err = "model " + m.name + " has no state variable '" + var + "'" +
                  did_you_mean(var, state_names(m));
            return {};
        }
        if (part > 0 && coef.size() == m.states.size()) coef.resize(3 * m.states.size(), 0.0);
        coef[std::size_t(k) + std::size_t(part) * m.states.size()] += sign * c;
        any = true;
    }
    if (!any || std::all_of(coef.begin(), coef.end(), [](double x) { return x == 0; })) {
        err = "all coefficients are zero";
        return {};
    }
    return coef;
}

} // namespace nms::spec_io
