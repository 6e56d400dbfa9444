#pragma once

// Shards of a campaign: `nmsweep run SPEC --shard I/N`, or one task of a
// Slurm job array, runs a contiguous range of the grid (flat C order) and
// writes a part file with the whole result's layout; `nmsweep merge` joins
// the parts. The ranges balance the estimated work, not the point counts.

#include "nmsweep/network/connectome.hpp"
#include "nmsweep/sweep/spec.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nms {

struct shard_id {
    long index = 0, count = 0; // 0 <= index < count; count 0: no shard (the whole grid)
    explicit operator bool() const { return count > 0; }
};

// "I/N" (0-based I); input_error naming the option on a malformed or out-of-range value.
shard_id parse_shard(const std::string& text);

// The Slurm job array this process is a task of (SLURM_ARRAY_TASK_ID,
// _MIN, _STEP, _COUNT), or no shard outside an array; input_error when the
// variables are inconsistent.
shard_id shard_from_environment();

// The part file of a shard: <out stem>.part<I>of<N>.h5 beside `out`.
std::string part_path(const std::string& out, const shard_id& id);

// The files of a campaign as given (merge, info): files as they are, a
// folder as its *.part<I>of<N>.h5 files in name order; input_error for a
// missing path, a folder without parts or a file given twice.
std::vector<std::string> campaign_files(const std::vector<std::string>& args);

// A campaign's state from its files (`nmsweep info` on several files or a
// folder): each file's range and progress, the points no file holds, the
// shards never started, and the time left at the rate so far.
std::string describe_campaign(const std::vector<std::string>& args);

// "a .. b" runs of the points not held (the first five, then "..."), and
// how many they are (merge and info name the points still missing).
std::string missing_ranges(const std::vector<std::uint8_t>& held, std::size_t& n_missing);

// The estimated work of each grid point, in node-steps plus edge-steps: the
// lesions of a lesion axis change the edges a point integrates; everything
// else a spec can sweep costs the same per point.
std::vector<double> point_costs(const sweep_spec& s, const connectome& net);

// The first point of each of N shards and the end: N + 1 bounds, shard k
// runs [bounds[k], bounds[k+1]); every shard's share of the cost is as close
// to 1/N of the total as a contiguous cut allows.
std::vector<std::size_t> shard_bounds(const std::vector<double>& cost, long n);

} // namespace nms
