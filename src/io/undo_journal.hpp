#pragma once

// An undo journal for the in-place writes at the end of a run (maps,
// boundaries, totals, the complete flag): before they start, every byte of
// the file outside the given untouched ranges (the datasets' raw data, which
// the end never rewrites) and the file's size are saved to the journal and
// made durable. A run killed during the end leaves the journal; restoring it
// puts those bytes back and cuts the file to its old size, which is exactly
// the sealed file the end started from. The journal is a few times the
// size of the file's metadata (KiB to MiB), not a copy of the file.
//
// Format: "NMSUNDO1", u64 size, u64 n, n x (u64 offset, u64 length), the
// saved bytes, and the SHA-256 of all that: a torn journal (killed while
// writing it, before any end write) is recognised and ignored.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nms {

using byte_range = std::pair<std::uint64_t, std::uint64_t>; // offset, length

void write_undo_journal(const std::string& file, const std::string& journal,
                        std::vector<byte_range> untouched);

// True when `path` starts like a journal (as opposed to a result file).
bool is_undo_journal(const std::string& path);

// Restores `file` from a complete journal and removes the journal; a torn
// journal is only removed. Returns true when the file was restored.
bool apply_undo_journal(const std::string& file, const std::string& journal);

} // namespace nms
