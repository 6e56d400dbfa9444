// Seizure detection, streamed: per instance and channel (node or sensor) the
// analysis unit seizure_tracking (a low-passed measure of the signal and a
// two-threshold state machine), finalised here into onsets, offsets,
// recruitment and its order across the channels. The rule and the outputs
// are documented with make_seizure_reducer in
// include/nmsweep/sweep/reducers.hpp; tests/test_seizure.cpp checks them.

#include "nmsweep/analysis/unit_reducer.hpp" // load_unit_states
#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace nms {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

enum output_index {
    o_onset,
    o_offset,
    o_count,
    o_time,
    o_recruited,
    o_rank,
    o_latency,
    o_n_recruited,
    o_first_onset,
    o_time_to_half,
    o_generalised,
    o_jaccard, // with an observation
    o_rank_corr,
    o_score,
};
constexpr int n_per_node = o_n_recruited;

class seizure_reducer final : public reducer {
  public:
    seizure_reducer(const seizure_options& o, const sampling& smp) : opt_(o) {
        if (!(smp.dt_ms > 0)) throw input_error("seizure: the sampling interval must be > 0");
        if (o.measure != "level" && o.measure != "line_length")
            throw input_error("seizure: measure '" + o.measure + "' is not level or line_length");
        if (!(o.window_ms >= 0) || !std::isfinite(o.on) || !std::isfinite(o.off) || o.on == o.off)
            throw input_error("seizure: need window >= 0 and finite thresholds on != off");
        p_.t0_ms = smp.t0_ms;
        p_.dt_ms = smp.dt_ms;
        p_.alpha = o.window_ms > 0 ? -std::expm1(-smp.dt_ms / o.window_ms) : 1.0;
        p_.on = o.on;
        p_.off = o.off;
        p_.line_length = o.measure == "line_length";
    }

    void reset(std::size_t n, int n_nodes) override {
        if (!opt_.observed_recruited.empty() && opt_.observed_recruited.size() != std::size_t(n_nodes))
            throw input_error("seizure: the observed onsets name " +
                              std::to_string(opt_.observed_recruited.size()) + " channels, the signal has " +
                              std::to_string(n_nodes));
        nn_ = n_nodes;
        st_.assign(n * ch(), seizure_tracking::start(p_));
    }

    bool takes_device(device_request& r) const override {
        r.unit = true;
        r.id = unit_index<seizure_tracking>(analysis_units{});
        r.params = params_bytes(p_);
        r.nodes = true;
        return true;
    }
    void load_device(const device_state& u) override { load_unit_states(u, st_, ch()); }

    std::size_t bytes_per_instance(int n_nodes) const override {
        return sizeof(seizure_state) * (std::size_t(n_nodes) + 1);
    }

    void accumulate(const obs_block& b) override {
        for (int l = 0; l < b.n_valid; ++l) {
            seizure_state* c = st_.data() + (b.first + std::size_t(l)) * ch();
            for (int node = 0; node < nn_; ++node)
                seizure_tracking::update(c[node], p_,
                                         b.obs[std::size_t(node) * std::size_t(b.lanes) + std::size_t(l)]);
            // (The network mean's channel is not used: recruitment is counted over the nodes.)
        }
    }

    std::vector<reducer_output> outputs() const override {
        const std::vector<std::string> node{"node"};
        const std::vector<std::size_t> nsz{std::size_t(nn_)};
        auto per_node = [&](const char* name, const char* units, const std::string& what) {
            return reducer_output{std::string("features/") + name, node, nsz, {}, units, what};
        };
        auto network = [&](const char* name, const char* units, const std::string& what) {
            return reducer_output{std::string("features/") + name, {}, {}, {}, units, what};
        };
        const std::string gen = fmt(opt_.generalised);
        std::vector<reducer_output> out{
            per_node("seizure_onset", "ms", "time of the first entry into the seizure state (NaN: never)"),
            per_node("seizure_offset", "ms",
                     "time of the first exit from the seizure state (NaN: never seized, or still seizing)"),
            per_node("seizure_count", "", "number of entries into the seizure state"),
            per_node("seizure_time", "ms", "time spent in the seizure state"),
            per_node("recruited", "", "1: entered the seizure state at least once"),
            per_node("onset_rank", "",
                     "order of the first onsets among the recruited nodes (1: first; ties share the lower "
                     "rank; 0: not recruited)"),
            per_node("onset_latency", "ms",
                     "first onset minus the earliest first onset of the point (NaN: not "
                     "recruited)"),
            network("n_recruited", "", "number of nodes recruited"),
            network("first_onset", "ms", "earliest first onset over the nodes (NaN: none)"),
            network(
                "time_to_half", "ms",
                "from the earliest onset until half of the nodes (rounded up) were recruited (NaN: fewer)"),
            network("generalised", "", "1: at least " + gen + " of the nodes were recruited"),
        };
        if (observed()) {
            out.push_back(
                network("observed_jaccard", "",
                        "recruited set against the observed one: |both| / |either| (1: both empty)"));
            out.push_back(
                network("observed_rank_corr", "",
                        "Spearman's rank correlation of the onsets with the observed ones, over the nodes "
                        "recruited in both with an observed time (NaN below 2)"));
            out.push_back(
                network("observed_score", "",
                        "observed_jaccard x (1 + observed_rank_corr) / 2 (observed_jaccard where the "
                        "correlation is NaN)"));
        }
        return out;
    }

    bool integer_output(std::size_t k) const override {
        return k == o_count || k == o_recruited || k == o_rank || k == o_n_recruited || k == o_generalised;
    }
    double diverged_value(std::size_t k) const override { return integer_output(k) ? -1.0 : nan; }

    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        char rule[400];
        std::snprintf(rule, sizeof rule,
                      "%s of the signal, low-passed with time constant %g ms; seizing from when it crosses "
                      "%g %s until it crosses %g back",
                      opt_.measure == "level" ? "level" : "line length |dx/dt| (1/s)", opt_.window_ms,
                      opt_.on, opt_.on > opt_.off ? "upwards" : "downwards", opt_.off);
        std::vector<std::pair<std::string, std::string>> a{{"detector", rule}};
        if (k >= o_jaccard) a.push_back({"observed", opt_.observed});
        if (!opt_.source.empty()) a.push_back({"detector_source", opt_.source});
        if (integer_output(k)) a.push_back({"diverged", "integer outputs hold -1 for a diverged point"});
        return a;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        const seizure_state* c = st_.data() + i * ch();
        if (k < n_per_node && k != o_rank && k != o_latency) {
            for (int n = 0; n < nn_; ++n) out[n] = node_value(k, c[n]);
            return;
        }
        std::vector<double> on; // recruited nodes' onsets, sorted
        for (int n = 0; n < nn_; ++n)
            if (c[n].count > 0) on.push_back(c[n].onset);
        std::sort(on.begin(), on.end());
        const double first = on.empty() ? nan : on.front();
        switch (k) {
        case o_rank:
            for (int n = 0; n < nn_; ++n)
                out[n] = c[n].count > 0
                             ? double(1 + (std::lower_bound(on.begin(), on.end(), c[n].onset) - on.begin()))
                             : 0.0;
            return;
        case o_latency:
            for (int n = 0; n < nn_; ++n) out[n] = c[n].count > 0 ? c[n].onset - first : nan;
            return;
        case o_n_recruited:
            *out = double(on.size());
            return;
        case o_first_onset:
            *out = first;
            return;
        case o_time_to_half: {
            const std::size_t half = (std::size_t(nn_) + 1) / 2;
            *out = on.size() >= half && half > 0 ? on[half - 1] - first : nan;
            return;
        }
        case o_generalised:
            *out = double(on.size()) >= opt_.generalised * double(nn_) - 1e-9 && !on.empty() ? 1.0 : 0.0;
            return;
        case o_jaccard:
            *out = jaccard(c);
            return;
        case o_rank_corr:
            *out = rank_corr(c);
            return;
        case o_score: {
            const double j = jaccard(c), rho = rank_corr(c);
            *out = std::isnan(rho) ? j : j * (1 + rho) / 2;
            return;
        }
        default:
            return;
        }
    }

  private:
    std::size_t ch() const { return std::size_t(nn_) + 1; }
    bool observed() const { return !opt_.observed_recruited.empty(); }

    double jaccard(const seizure_state* c) const {
        int both = 0, either = 0;
        for (int n = 0; n < nn_; ++n) {
            const bool a = c[n].count > 0, b = opt_.observed_recruited[std::size_t(n)] != 0;
            both += a && b;
            either += a || b;
        }
        return either ? double(both) / either : 1.0;
    }
    // Average ranks (1-based) of x, ties sharing the mean of their ranks.
    static std::vector<double> ranks(const std::vector<double>& x) {
        std::vector<std::size_t> idx(x.size());
        for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
        std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
        std::vector<double> r(x.size());
        for (std::size_t i = 0; i < idx.size();) {
            std::size_t j = i;
            while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]]) ++j;
            for (std::size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * double(i + j) + 1;
            i = j + 1;
        }
        return r;
    }
    double rank_corr(const seizure_state* c) const {
        std::vector<double> sim, obs;
        for (int n = 0; n < nn_; ++n) {
            const double o = opt_.observed_onset[std::size_t(n)];
            if (c[n].count > 0 && opt_.observed_recruited[std::size_t(n)] && !std::isnan(o))
                sim.push_back(c[n].onset), obs.push_back(o);
        }
        if (sim.size() < 2) return nan;
        const auto a = ranks(sim), b = ranks(obs);
        const double m = 0.5 * double(a.size() + 1);
        double sab = 0, saa = 0, sbb = 0;
        for (std::size_t k = 0; k < a.size(); ++k)
            sab += (a[k] - m) * (b[k] - m), saa += (a[k] - m) * (a[k] - m), sbb += (b[k] - m) * (b[k] - m);
        return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : nan;
    }
    double node_value(std::size_t k, const seizure_state& c) const {
        switch (k) {
        case o_onset:
            return c.onset;
        case o_offset:
            return c.offset;
        case o_count:
            return double(c.count);
        case o_time:
            return double(c.seizing) * p_.dt_ms;
        case o_recruited:
            return c.count > 0 ? 1.0 : 0.0;
        default:
            return nan;
        }
    }
    static std::string fmt(double x) {
        char b[32];
        std::snprintf(b, sizeof b, "%g", x);
        return b;
    }

    seizure_options opt_;
    seizure_params p_;
    int nn_ = 0;
    std::vector<seizure_state> st_;
};

} // namespace

std::unique_ptr<reducer> make_seizure_reducer(const seizure_options& opt, const sampling& smp) {
    return std::make_unique<seizure_reducer>(opt, smp);
}

} // namespace nms
