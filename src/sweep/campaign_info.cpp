// `nmsweep info` on several files or a folder: the state of a campaign.

#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/sweep/shard.hpp"
#include "run_parts.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>

namespace nms {

std::string describe_campaign(const std::vector<std::string>& args) {
    const std::vector<std::string> files = campaign_files(args);
    std::vector<h5::progress_record> parts;
    for (const auto& f : files) parts.push_back(h5::read_progress(f));
    std::ostringstream o;
    const std::size_t points = parts.front().points;
    std::set<std::string> specs;
    for (const auto& p : parts) specs.insert(p.spec_sha256);
    o << "Campaign of " << parts.size() << " files, " << points << " grid points";
    if (specs.size() == 1)
        o << " (spec sha256 " << specs.begin()->substr(0, 12) << "...)\n";
    else
        o << "\n  WARNING: these files come from " << specs.size()
          << " different specs (spec_sha256); merge refuses to join them\n";

    const double now = double(std::time(nullptr));
    std::vector<std::uint8_t> held(points, 0);
    std::size_t done = 0, diverged = 0, running = 0;
    double rate = 0;       // points per second, all parts together
    std::set<long> shards; // the shard indices present
    long shard_count = -1; // N, when every part is a shard of N
    for (const auto& p : parts) {
        for (const auto& [a, b] : p.runs)
            for (std::size_t k = a; k < b && k < points; ++k) held[k] = 1;
        done += p.done;
        diverged += p.diverged;
        const double until = p.complete && p.finished > 0 ? p.finished : p.modified;
        const double took = until - p.created;
        if (p.done > 0 && took > 0) rate += double(p.done) / took;
        running += !p.complete;
        long i = -1, n = -1;
        if (std::sscanf(p.shard.c_str(), "%ld/%ld", &i, &n) == 2) {
            shards.insert(i);
            shard_count = shard_count == -1 || shard_count == n ? n : -2;
        } else {
            shard_count = -2;
        }
        o << "  " << p.path << ": " << (p.shard.empty() ? "whole grid" : "shard " + p.shard) << ", points "
          << p.first << " .. " << (p.end ? p.end - 1 : 0) << ": " << p.done << " of " << p.end - p.first
          << " done, " << p.diverged << " diverged, "
          << (p.complete
                  ? "complete"
                  : "INCOMPLETE (last written " + human_seconds(std::max(0.0, now - p.modified)) + " ago)")
          << "\n";
    }
    std::size_t missing = 0;
    const std::string where = missing_ranges(held, missing);
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f%%",
                  points ? 100.0 * double(points - missing) / double(points) : 0.0);
    o << "Together: " << points - missing << " of " << points << " points done (" << pct << "), " << diverged
      << " diverged";
    if (missing) o << ", " << missing << " missing (points " << where << ")";
    o << ".\n";
    if (shard_count > 0 && long(shards.size()) < shard_count) {
        o << "Shards with no file:";
        int shown = 0;
        for (long i = 0; i < shard_count; ++i)
            if (!shards.count(i) && shown++ < 20) o << " " << i << "/" << shard_count;
        o << (shown > 20 ? " ...\n" : "\n");
    }
    if (missing && rate > 0)
        o << "Rate so far: " << rate * 60 << " points/min over these files; the missing points take about "
          << human_seconds(double(missing) / rate) << " at that rate"
          << (running ? ""
                      : " (no file is being written: run the missing shards, or --resume the stopped ones)")
          << ".\n";
    if (!missing)
        o << "Every point is done: nmsweep merge RESULT.h5 " << args.front()
          << (args.size() > 1 ? " ..." : "") << "\n";
    return o.str();
}

} // namespace nms
