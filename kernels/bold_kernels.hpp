#pragma once

// BOLD on the device, the per-thread parts (NMS_HD, so that tests run them
// on the host): the host BOLD reducer's per-sample work (src/observe/bold.cpp,
// the same arithmetic in the same order), per (node, instance) thread `at` =
// node * n + instance, on the node values x[at] the stepping kernels left:
//   bold_input:  z = gain x + offset, averaged over m samples; when a block
//                of m ends (input value g), the balloon advances n_sub steps
//                with its input linear from the previous value (from rest at
//                g = 0) and bnow = its BOLD signal;
//   bold_sample: BOLD sample j between the last two input values, kept when
//                j < n_keep; its co-moments then by fc_means / fc_row.
// bold_schedule is the host's side: which kernels run after a sample.
// The hemodynamics run in double whatever the stepping's precision: once per
// sample, not per step.

#include "nmsweep/core/hd.hpp"
#include "nmsweep/engine/batch.hpp" // bold_params
#include "nmsweep/observe/balloon.hpp"

#include <utility>

namespace nms::gpu {

struct bold_args {
    double* x = nullptr;     // balloon state [v * cs + at]: s, ln f, ln v, ln q (cs = nn * n)
    double* zprev = nullptr; // the previous input value
    double* zsum = nullptr;  // the current block's sum (m > 1)
    double* bnow = nullptr;  // BOLD at the latest input value
    double* bprev = nullptr; // at the one before
    double* y = nullptr;     // the BOLD sample being taken
    double* ts = nullptr;    // kept samples [j * cs + at], j < n_keep; or null
    const observe::balloon<double>* per = nullptr; // constants per instance, or null
    observe::balloon<double> c{};
    long cs = 0, n = 0, m = 1, n_sub = 1, n_keep = 0;
    double gain = 1, offset = 0, h = 1e-3; // h in seconds
    bool rk4 = true;
};

// The constants and sizes of `a` from the observer's request, for cs = nodes
// x n instances (the buffers are the caller's).
inline void set_bold_params(bold_args& a, const bold_params& p, long cs, long n) {
    a.c = p.c;
    a.cs = cs;
    a.n = n;
    a.m = p.grid.m;
    a.n_sub = p.grid.n_sub;
    a.n_keep = p.n_keep;
    a.gain = p.gain;
    a.offset = p.offset;
    a.h = p.grid.h_s;
    a.rk4 = p.rk4;
}

// After an input sample; g: the input value it completes, -1 when it does not
// end a block of m.
NMS_HD void bold_input(const bold_args& a, const double* xobs, long at, long g) {
    double z = a.gain * xobs[at] + a.offset;
    if (a.m > 1) {
        a.zsum[at] += z;
        if (g < 0) return;
        z = a.zsum[at] * (1.0 / double(a.m));
        a.zsum[at] = 0.0;
    }
    if (g == 0) { // the balloon starts at rest: x = 0, BOLD = 0
        a.bnow[at] = 0.0;
    } else {
        const observe::balloon<double>& c = a.per ? a.per[at % a.n] : a.c;
        double x[4];
        NMS_UNROLL for (int v = 0; v < 4; ++v) x[v] = a.x[v * a.cs + at];
        const double zp = a.zprev[at], dz = z - zp, inv = 1.0 / double(a.n_sub);
        for (long q = 0; q < a.n_sub; ++q) {
            const double z0 = zp + dz * (double(q) * inv);
            const double z1 = q + 1 == a.n_sub ? z : zp + dz * (double(q + 1) * inv);
            if (a.rk4)
                observe::balloon_rk4_step(c, x, z0, z1, a.h);
            else
                observe::balloon_heun_step(c, x, z0, z1, a.h);
        }
        NMS_UNROLL for (int v = 0; v < 4; ++v) a.x[v * a.cs + at] = x[v];
        a.bnow[at] = observe::balloon_bold(c, x);
    }
    a.zprev[at] = z;
}

// BOLD sample j: y = bprev + w (bnow - bprev), or bnow when it falls on the
// latest input value.
NMS_HD void bold_sample(const bold_args& a, long at, long j, double w, bool exact) {
    const double bn = a.bnow[at], bp = a.bprev[at];
    const double y = exact ? bn : bp + w * (bn - bp);
    a.y[at] = y;
    if (a.ts && j < a.n_keep) a.ts[j * a.cs + at] = y;
}

// The host's side after input sample k (counted from 1): input(g) runs the
// input kernel; each BOLD sample due then sample(j, w, exact, count), count
// (the samples taken, this one included) updated; then the latest BOLD
// values become the previous ones.
template <class Input, class Sample>
void bold_schedule(bold_args& a, const observe::bold_grid& gr, long k, long& count, Input&& input,
                   Sample&& sample) {
    const long g = k % gr.m == 0 ? k / gr.m - 1 : -1;
    input(g);
    if (g < 0) return;
    for (long j = count, last = gr.last_sample_at(g); j <= last; ++j) {
        bool exact = false;
        const double w = gr.weight(j, g, exact);
        sample(j, w, exact, ++count);
    }
    std::swap(a.bnow, a.bprev);
}

} // namespace nms::gpu
