#include "cpu_dispatch.hpp"

#include "nmsweep/engine/batch.hpp"

#include <stdexcept>

namespace nms {

template <class T> run_result run_cpu(const batch& b, const run_options& opt, observer<T>* obs) {
    const prepared P = prepare(b);
    if (obs && obs->every < 1) throw std::invalid_argument("observer.every must be >= 1");
    run_result R;
    R.n_instances = P.n_instances;
    R.n_nodes = P.n_nodes;
    R.n_state = std::size_t(P.n_state);
    visit_model(b.model, [&](auto mt) { cpu::run_model<typename decltype(mt)::type, T>(P, b, opt, obs, R); });
    return R;
}

template run_result run_cpu<float>(const batch&, const run_options&, observer<float>*);
template run_result run_cpu<double>(const batch&, const run_options&, observer<double>*);

} // namespace nms
