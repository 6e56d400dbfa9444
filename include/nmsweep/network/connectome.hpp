#pragma once

// Structural connectome: weights and tract lengths (mm), row = target,
// column = source (TVB's convention: c_i = sum_j w_ij x_j(t - d_ij)).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nms {

struct connectome {
    std::size_t n = 0;
    std::vector<double> weights;       // n*n, [target][source]
    std::vector<double> tract_lengths; // n*n, mm
    std::vector<std::string> labels;
    std::vector<std::array<double, 3>> centres; // mm, empty when unknown
    // Optional TVB extras (average_orientations.txt, areas.txt), empty when
    // the source has none: the mean orientation of each region's surface
    // normals (for dipole lead fields) and its area (mm^2).
    std::vector<std::array<double, 3>> orientations;
    std::vector<double> areas;
    std::string source; // where it came from

    double w(std::size_t i, std::size_t j) const { return weights[i * n + j]; }
    double len(std::size_t i, std::size_t j) const { return tract_lengths[i * n + j]; }
};

enum class weight_norm { none, max, row_sum };
weight_norm parse_weight_norm(const std::string& s);

// "synthetic:N" or "synthetic:N:SEED", a TVB connectivity zip or folder
// (weights.txt, tract_lengths.txt, centres.txt, and when present
// average_orientations.txt and areas.txt), or "WEIGHTS,LENGTHS" for two
// plain whitespace/CSV matrices. Throws nms::input_error on bad input.
connectome load_connectome(const std::string& spec);
connectome load_tvb_zip(const std::string& path);
// A TVB zip from its bytes (`path` names it in messages).
connectome load_tvb_zip_bytes(const std::string& bytes, const std::string& path);
connectome load_tvb_folder(const std::string& path);
connectome load_matrix_pair(const std::string& weights_path, const std::string& lengths_path);

// Seeded, distance-dependent random network: centres uniform in an
// ellipsoid the size of a human brain (~140 x 170 x 120 mm), tract lengths =
// 1.2 x Euclidean distance (fibres are not straight), connection probability
// and weight falling off exponentially with length (exponential distance
// rule, Ercsey-Ravasz et al. 2013), about 30% density, no self-connections.
// At most this many nodes (dense N x N matrices: 16 N^2 bytes; 4 GiB here).
inline constexpr std::size_t max_synthetic_nodes = 16384;
connectome synthetic_connectome(std::size_t n, std::uint64_t seed = 42);

void normalise(connectome& c, weight_norm how);

// Checks square shape, finite non-negative entries; throws with the source
// named on failure.
void validate(const connectome& c);

// Writes TVB's folder format (weights.txt, tract_lengths.txt, centres.txt).
void write_tvb_folder(const connectome& c, const std::string& dir);

} // namespace nms
