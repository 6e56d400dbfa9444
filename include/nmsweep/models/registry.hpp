#pragma once

// The list of models and couplings. Adding a model = one header in models/
// plus one entry in model_list below (CMake reads the list from here: one
// backend translation unit per model, cmake/nms_models.cmake).

#include "nmsweep/coupling/couplings.hpp"
#include "nmsweep/models/epileptor.hpp"
#include "nmsweep/models/epileptor2d.hpp"
#include "nmsweep/models/generic_2d_oscillator.hpp"
#include "nmsweep/models/jansen_rit.hpp"
#include "nmsweep/models/kuramoto.hpp"
#include "nmsweep/models/linear.hpp"
#include "nmsweep/models/montbrio.hpp"
#include "nmsweep/models/reduced_wong_wang.hpp"
#include "nmsweep/models/reduced_wong_wang_exc_inh.hpp"
#include "nmsweep/models/stuart_landau.hpp"
#include "nmsweep/models/wilson_cowan.hpp"

#include <string>
#include <type_traits>
#include <vector>

namespace nms {

template <class... Ts> struct type_list {};
template <class T> struct tag { using type = T; };

using model_list =
    type_list<models::jansen_rit, models::linear, models::wilson_cowan, models::epileptor,
              models::epileptor2d, models::kuramoto, models::stuart_landau, models::montbrio,
              models::reduced_wong_wang, models::reduced_wong_wang_exc_inh, models::generic_2d_oscillator>;

template <int NCV>
using coupling_list =
    std::conditional_t<(NCV >= 2),
                       type_list<coupling::linear<NCV>, coupling::difference<NCV>, coupling::kuramoto<NCV>,
                                 coupling::sigmoidal_jansen_rit<(NCV >= 2 ? NCV : 2)>>,
                       type_list<coupling::linear<NCV>, coupling::difference<NCV>, coupling::kuramoto<NCV>>>;

namespace impl {
template <class F, class... Ms> bool visit_by_name(const std::string& name, F&& f, type_list<Ms...>) {
    bool found = false;
    ((!found && name == Ms::name ? (f(tag<Ms>{}), found = true) : false), ...);
    return found;
}
template <class F, class... Ms> void visit_all(F&& f, type_list<Ms...>) { (f(tag<Ms>{}), ...); }
} // namespace impl

// Calls f(tag<M>{}) for the model called `name`; false when there is none.
template <class F> bool visit_model(const std::string& name, F&& f) {
    return impl::visit_by_name(name, f, model_list{});
}
template <class F> void for_each_model(F&& f) { impl::visit_all(f, model_list{}); }

// Calls f(tag<C>{}) for the coupling called `name` instantiated for a model
// with NCV coupling variables; false when there is none or it does not fit.
template <int NCV, class F> bool visit_coupling(const std::string& name, F&& f) {
    return impl::visit_by_name(name, f, coupling_list<NCV>{});
}

// Run-time descriptions, for the CLI, the spec parser and the HDF5 writer.
struct model_info {
    std::string name, tvb_name, reference, observable;
    std::vector<param_info> params;
    std::vector<state_info> states;
    std::vector<int> cvar;
    std::vector<const preset*> presets;
    int phase_variable = -1;          // a phase model: the state variable that is a phase (M::phase_variable)
    std::vector<param_alias> aliases; // other names of its parameters (M::aliases, when it has them)
    // M::rest_state when the model has one: the state at rest whose principal
    // population's activity is u in [0, 1] of its range, the other variables
    // at equilibrium with it (random starts are drawn along it).
    void (*rest_state)(const double* p, double u, double* x) = nullptr;
    // M::seizure when the model has one: its seizure detector's defaults.
    const seizure_rule* seizure = nullptr;
};
struct coupling_info {
    std::string name, doc;
    std::vector<param_info> params;
    int n_channels = 0;
};

// M::phase_variable when the model declares one (phase models), else -1.
template <class M, class = void> struct phase_variable_of : std::integral_constant<int, -1> {};
template <class M>
struct phase_variable_of<M, std::void_t<decltype(M::phase_variable)>>
    : std::integral_constant<int, M::phase_variable> {};

// M::aliases when the model declares them.
template <class M, class = void> struct aliases_of {
    static std::vector<param_alias> get() { return {}; }
};
template <class M> struct aliases_of<M, std::void_t<decltype(M::aliases)>> {
    static std::vector<param_alias> get() { return {std::begin(M::aliases), std::end(M::aliases)}; }
};

// M::rest_state when the model declares one.
template <class M, class = void> struct rest_state_of {
    static constexpr void (*get)(const double*, double, double*) = nullptr;
};
template <class M> struct rest_state_of<M, std::void_t<decltype(&M::rest_state)>> {
    static constexpr void (*get)(const double*, double, double*) = &M::rest_state;
};

// M::seizure when the model declares one.
template <class M, class = void> struct seizure_rule_of {
    static constexpr const seizure_rule* get = nullptr;
};
template <class M> struct seizure_rule_of<M, std::void_t<decltype(M::seizure)>> {
    static constexpr const seizure_rule* get = &M::seizure;
};

template <class M> model_info make_model_info() {
    model_info m;
    m.name = M::name;
    m.tvb_name = M::tvb_name;
    m.reference = M::reference;
    m.observable = M::observable;
    m.params.assign(M::params, M::params + M::n_params);
    m.states.assign(M::states, M::states + M::n_state);
    m.cvar.assign(M::cvar, M::cvar + M::n_cvar);
    for (const auto& p : M::presets) m.presets.push_back(&p);
    m.phase_variable = phase_variable_of<M>::value;
    m.aliases = aliases_of<M>::get();
    m.rest_state = rest_state_of<M>::get;
    m.seizure = seizure_rule_of<M>::get;
    return m;
}

std::vector<model_info> all_model_infos();
const model_info& find_model(const std::string& name); // throws input_error with a suggestion
// " (did you mean 'mu'? Jansen & Rit's input rate p, ...)" when `name` is an
// alias of one of m's parameters, else "".
std::string alias_hint(const model_info& m, const std::string& name);
coupling_info find_coupling(const std::string& name, int n_cvar);
std::vector<std::string> coupling_names(); // every coupling of coupling_list

} // namespace nms
