#pragma once

// The maps a run writes when every point is done, from the seizure results
// of all points (README, "Seizure detection"): per space that detects
// seizures (the regions; each sensor modality with "seizure"), the
// probability that each channel is recruited over an ez axis's hypotheses
// (or over all points), for regions the propagation probability (recruited
// while outside the hypothesis's zone), and with observed onsets the points
// ranked by their agreement with the recording.

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/spec.hpp"

namespace nms {

void write_seizure_maps(h5::result_writer& w, const sweep_spec& s);

} // namespace nms
