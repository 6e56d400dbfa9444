// The schedule's lane operations (channel_schedule.hpp, each_lanes) run one
// lane per GPU thread and four lanes at a time on the host, the lanes the
// innermost vectorised loop: each lane's arithmetic must be the same either
// way. An executor that takes the lanes one by one (the device's form) and
// the host's must hand over the same states, bit for bit, for every schedule
// analysis, with a lane count that leaves a remainder (7 = 4 + 3).

#include "host_executor.hpp"
#include "nmsweep/analysis/channel_schedule.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace {

struct one_lane_executor : nms::host_executor<double> {
    template <class Op> void each_lanes(long rows, long n, const Op& op) const {
        for (long r = 0; r < rows; ++r)
            for (long i = 0; i < n; ++i) op.template lanes<1>(r, i);
    }
};

template <class Tag> nms::device_request schedule_request(const typename Tag::params& p) {
    nms::device_request q;
    q.unit = false;
    q.id = nms::unit_index<Tag>(nms::analysis_schedules{});
    q.params = nms::params_bytes(p);
    return q;
}

std::vector<nms::device_request> every_schedule(long samples) {
    nms::fc_params fp;
    fp.fcd = true;
    fp.window = 20;
    fp.step = 7;
    fp.n_windows = (samples - fp.window) / fp.step + 1;
    fp.slots = (fp.window + fp.step - 1) / fp.step;
    nms::spectra_params sp;
    sp.length = 32;
    sp.step = 16;
    nms::synchrony_params hp; // Hilbert phases of bins 1 .. 7 of 40-sample segments
    hp.hilbert = true;
    hp.length = 40;
    hp.hop = 10;
    hp.offset = 15;
    hp.k0 = 1;
    hp.k1 = 8;
    hp.plv = true;
    nms::synchrony_params pp; // the values are phases
    pp.plv = true;
    return {schedule_request<nms::fc_analysis>(fp), schedule_request<nms::welch_analysis>(sp),
            schedule_request<nms::synchrony_analysis>(hp), schedule_request<nms::synchrony_analysis>(pp)};
}

template <class X> std::vector<nms::device_state> run(long nch, long n, long samples) {
    X ex;
    nms::channel_reductions<double, X> r(ex, nch, n, every_schedule(samples));
    std::mt19937_64 rng(7);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<double> x(std::size_t((nch + 1) * n));
    for (long j = 0; j < samples; ++j) {
        for (auto& v : x) v = g(rng) + 0.3 * std::sin(0.2 * double(j)); // a shared rhythm
        r.after_sample(x.data());
    }
    return r.hand_over(0);
}

template <class V> bool same_bits(const std::vector<V>& a, const std::vector<V>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(V)) == 0;
}

TEST(lane_ops, four_lanes_at_a_time_equal_one_lane_at_a_time_bit_for_bit) {
    const long nch = 5, n = 7, samples = 200;
    const auto host = run<nms::host_executor<double>>(nch, n, samples);
    const auto one = run<one_lane_executor>(nch, n, samples);
    ASSERT_EQ(host.size(), 4u);
    ASSERT_EQ(one.size(), host.size());
    const char* names[] = {"fc", "welch", "hilbert synchrony", "phase synchrony"};
    for (std::size_t k = 0; k < host.size(); ++k) {
        SCOPED_TRACE(names[k]);
        EXPECT_EQ(host[k].counters, one[k].counters);
        ASSERT_EQ(host[k].d.size(), one[k].d.size());
        for (std::size_t a = 0; a < host[k].d.size(); ++a) {
            EXPECT_TRUE(same_bits(host[k].d[a], one[k].d[a])) << "array " << a;
            double nonzero = 0; // the arrays hold sums, not a state left at zero
            for (double v : host[k].d[a]) nonzero += v != 0;
            EXPECT_GT(nonzero, 0) << "array " << a;
        }
        ASSERT_EQ(host[k].f.size(), one[k].f.size());
        for (std::size_t a = 0; a < host[k].f.size(); ++a) EXPECT_TRUE(same_bits(host[k].f[a], one[k].f[a]));
    }
    EXPECT_EQ(host[0].counters.at(0), (samples - 20) / 7 + 1); // every FCD window closed
    EXPECT_GT(host[2].counters.at(0), 0);                       // Hilbert R at the kept times
}

} // namespace
