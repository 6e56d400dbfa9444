#pragma once

namespace nms {

// The sampled signal every analysis reducer sees: fs = 1000 / (dt *
// sample_every) Hz (dt in ms), and n_samples samples per instance after the
// transient (steps t with transient < t <= n_steps and t % sample_every == 0).
struct sampling {
    double fs = 1000.0; // Hz
    long n_samples = 0;
    double t0_ms = 0;   // time of the first sample (ms)
    double dt_ms = 1.0; // time between samples (ms)
};

} // namespace nms
