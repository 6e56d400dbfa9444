#pragma once

// Lead fields: sensors (EEG, MEG, SEEG), gain matrices sensors x regions (read
// or computed from sensor positions and region centres), and the streaming
// projection of the regions' observable into sensor space, so that the
// reducers (moments, spectra, ...) run in sensor space unchanged.
//
// Units: positions in mm (TVB's files and connectome centres). The physical
// formulas convert to metres; the gain units are stated per kind.

#include "nmsweep/sweep/reducers.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nms::observe {

using vec3 = std::array<double, 3>;

// TVB's sensor files: one sensor a line, `name x y z` (EEG, SEEG) or
// `name x y z ox oy oz` (MEG: the coil orientation), separated by spaces or
// tabs; blank lines and '#' comments ignored. Every line has the same number
// of fields. Orientations are kept as given (TVB's files hold unit vectors,
// and zero vectors for non-MEG channels such as TRIGGER).
struct sensor_set {
    std::vector<std::string> labels;
    std::vector<vec3> positions;    // mm
    std::vector<vec3> orientations; // empty unless the file has them
    std::string source;
    std::size_t size() const { return labels.size(); }
};

// Throws input_error naming the file, line and offending value (a field that
// is not a number, a wrong field count, a duplicate label, no sensors).
sensor_set read_sensors(const std::string& path);
// The same from the file's text (`path` names it in messages).
sensor_set parse_sensors(const std::string& text, const std::string& path);

// A gain (lead-field) matrix: row s, column r = contribution of region r's
// observable to sensor s.
struct gain_matrix {
    std::size_t n_sensors = 0, n_regions = 0;
    std::vector<double> values;             // [sensor][region], row-major
    std::vector<std::string> sensor_labels; // empty when unknown
    std::string units, source;
    double operator()(std::size_t s, std::size_t r) const { return values[s * n_regions + r]; }
};

// Text (rows = sensors, columns = regions; commas, semicolons, tabs or spaces;
// '#' comments; a row may start with a sensor label) or NumPy .npy (2-D,
// float64 or float32, C or Fortran order). expect_regions > 0 checks the
// number of columns. Throws input_error naming the file, line and value.
gain_matrix read_gain_matrix(const std::string& path, std::size_t expect_regions = 0);
// A text gain matrix from its text (`path` names it in messages).
gain_matrix parse_gain_text(const std::string& text, const std::string& path);

// Gain computed from geometry.
//   "dipole": potential of a unit current dipole in an infinite homogeneous
//     conductor (Sarvas 1987, eq. 12; TVB's iEEG analytic lead field):
//       g_sr = p_r . (x_s - c_r) / (4 pi sigma |x_s - c_r|^3),
//     positions converted mm -> m, sigma in S/m: g in V per A m. (TVB
//     evaluates the same formula in mm with sigma = 1, i.e. g_TVB =
//     g * sigma / 1e6.) For EEG and SEEG.
//   "magnetic_dipole": the magnetic field of the primary current of the same
//     dipole, along the coil orientation o_s (Biot-Savart, infinite medium;
//     volume currents neglected, so no spherical-head silencing of radial
//     dipoles):  g_sr = (mu0 / 4 pi) (p_r x (x_s - c_r)) . o_s / |x_s - c_r|^3,
//     in T per A m. For MEG (needs sensor orientations).
//   "inverse_square": the SEEG gain of the Epileptor studies (Proix et al.
//     2017, Jirsa et al. 2017; tvb-recon's gain_matrix_inv_square in region
//     mode): g_sr = w_r / |x_s - c_r|^2 in mm^-2, w_r = the region's weight
//     (TVB's areas.txt in tvb-recon; 1 when none given). No normalisation.
// The dipole moment p_r is the unit orientation of region r when given, else
// the radial direction from the centre of mass of all centres to c_r (a
// region at that centre of mass is an input error: give orientations).
// A sensor at a region's centre is an input error (infinite gain).
struct gain_options {
    std::string kind = "dipole";        // dipole | magnetic_dipole | inverse_square
    double sigma = 0.3;                 // S/m, dipole
    std::vector<vec3> orientations;     // per region (normalised here); empty: radial
    std::vector<double> region_weights; // per region, inverse_square; empty: 1
};
gain_matrix compute_gain(const sensor_set& sensors, const std::vector<vec3>& centres,
                         const gain_options& opt);

// EEG re-referencing of the gain (linear, so it commutes with the projection):
// "average" subtracts the mean row, a sensor label subtracts that sensor's row.
void rereference(gain_matrix& g, const std::string& reference);

// White measurement noise added to each sensor sample: deviate for (seed,
// instance, sensor, step) from the project's Philox stream (core/noise.hpp),
// variable index noise_stream_var, so that it is a pure function of those
// numbers (independent of threads and batches) and separate from the model's
// noise even with the same seed.
struct projection_noise {
    double sigma = 0; // standard deviation, sensor units; 0: none
    std::uint64_t seed = 0;
    static constexpr std::uint32_t noise_stream_var = 0x4f425356u; // "OBSV"
};

// sensor[s * lanes + l] = sum_r G[s][r] obs[r * lanes + l] (+ noise), net =
// the mean over sensors. Writes into the buffers (resized) and returns a
// block with n_nodes = sensors that points into them. instance_offset is
// the global index of the batch's first instance (for the noise counter).
obs_block project(const gain_matrix& g, const obs_block& in, std::vector<double>& obs_buf,
                  std::vector<double>& net_buf, const projection_noise& noise = {},
                  std::size_t instance_offset = 0);

struct projection_options {
    std::string group; // non-empty: output "features/mean" becomes "<group>/mean"
    projection_noise noise;
};

// A reducer running `inner` on the sensor signals. Its outputs are inner's,
// with the dims "node" / "node_j" renamed "sensor" / "sensor_j" and the
// "network" outputs meaning the mean over sensors. reset() checks that the
// network has gain.n_regions nodes.
class projected_reducer final : public reducer {
  public:
    projected_reducer(gain_matrix gain, std::unique_ptr<reducer> inner, projection_options opt = {});
    void set_batch(const batch& b) override { inner_->set_batch(b); }
    void reset(std::size_t n_instances, int n_nodes) override;
    void accumulate(const obs_block& b) override;
    std::vector<reducer_output> outputs() const override;
    void result(std::size_t k, std::size_t i, double* out) const override;
    std::size_t bytes_per_instance(int n_nodes) const override;
    bool integer_output(std::size_t k) const override { return inner_->integer_output(k); }
    double diverged_value(std::size_t k) const override { return inner_->diverged_value(k); }
    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        return inner_->output_attrs(k);
    }
    // The CUDA backend projects and reduces on the device when every part of
    // `inner` can take device state; the outputs are made here either way.
    bool takes_sensors(sensor_params& p) const override;
    void load_sensors(const std::vector<device_state>& s) override { inner_->load_channels(s); }
    void set_results_only(bool v) override {
        reducer::set_results_only(v);
        inner_->set_results_only(v);
    }
    // The global index of the current batch's first instance (the driver's
    // batch start), for the measurement noise; 0 by default.
    void set_instance_offset(std::size_t first) { offset_ = first; }
    const gain_matrix& gain() const { return gain_; }

  private:
    gain_matrix gain_;
    std::unique_ptr<reducer> inner_;
    projection_options opt_;
    std::size_t offset_ = 0;
};

std::unique_ptr<projected_reducer> make_projected_reducer(gain_matrix gain, std::unique_ptr<reducer> inner,
                                                          projection_options opt = {});

} // namespace nms::observe
