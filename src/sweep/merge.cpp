// `nmsweep merge`: the parts of a campaign (shards, MPI ranks' files, or
// incomplete results of the same run) into one result file whose datasets
// are those of one uncut run, bit for bit. The merged file is built by the
// run's own code (driver.cpp, with its points copied from the parts instead
// of computed) at OUT.merging and renamed to OUT at the end: a merge killed
// at any moment leaves the parts and any earlier OUT untouched.

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/shard.hpp"
#include "run_output.hpp"
#include "run_parts.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace nms {

namespace fs = std::filesystem;

namespace {

// Which points each part holds; refuses overlapping parts and parts of
// different grids. Returns the union.
std::vector<std::uint8_t> held_points(const std::vector<std::string>& parts) {
    std::vector<std::uint8_t> held;
    std::vector<std::size_t> owner;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        const auto done = h5::read_dataset(parts[p], "status/done");
        if (p == 0) {
            held.assign(done.size(), 0);
            owner.assign(done.size(), 0);
        } else if (done.size() != held.size()) {
            throw input_error(parts[p] + ": merge: its grid has " + std::to_string(done.size()) +
                              " points, " + parts[0] + "'s has " + std::to_string(held.size()) +
                              "; merge only the parts of one run");
        }
        std::size_t overlap = 0, first = 0, other = 0;
        for (std::size_t k = 0; k < done.size(); ++k) {
            if (done[k] == 0) continue;
            if (held[k] && overlap++ == 0) {
                first = k;
                other = owner[k];
            }
            held[k] = 1;
            owner[k] = p;
        }
        if (overlap)
            throw input_error(parts[p] + ": merge: " + std::to_string(overlap) +
                              " of its points (the first: " + std::to_string(first) + ") are also done in " +
                              parts[other] + "; merge parts that do not overlap (each point from one part)");
    }
    return held;
}

} // namespace

std::size_t copy_parts(h5::result_writer& w, const std::vector<std::string>& parts,
                       const std::vector<std::string>& datasets, const std::vector<std::size_t>& series,
                       std::size_t series_len, std::size_t n_nodes, std::vector<std::uint8_t>& done) {
    std::size_t diverged = 0;
    std::vector<double> real;
    std::vector<long> whole;
    for (const auto& part : parts) {
        const h5::point_reader in(part, w.grid_shape());
        std::vector<std::size_t> per(datasets.size());
        std::vector<bool> integer(datasets.size());
        double bytes = 8;
        for (std::size_t d = 0; d < datasets.size(); ++d) {
            per[d] = in.per_point(datasets[d]);
            integer[d] = in.integer(datasets[d]);
            bytes += 8.0 * double(per[d]);
        }
        // Chunks of about 256 MiB of data.
        const std::size_t chunk = std::max<std::size_t>(1, std::size_t(double(256 << 20) / bytes));
        const auto mask = h5::read_dataset(part, "status/done");
        for (std::size_t i = 0; i < mask.size();) {
            if (mask[i] == 0 || done[i]) {
                ++i;
                continue;
            }
            if (stop_requested.load())
                throw interrupted(w.path() +
                                  ": merge stopped by a signal; the parts are unchanged: rerun it");
            std::size_t j = i;
            while (j < mask.size() && j - i < chunk && mask[j] != 0 && !done[j]) ++j;
            const std::size_t n = j - i;
            for (std::size_t d = 0; d < datasets.size(); ++d) {
                if (integer[d]) {
                    whole.resize(n * per[d]);
                    in.read(datasets[d], i, n, whole.data());
                    w.write_points(datasets[d], i, n, whole.data());
                } else {
                    real.resize(n * per[d]);
                    in.read(datasets[d], i, n, real.data());
                    w.write_points(datasets[d], i, n, real.data());
                }
            }
            whole.resize(n);
            in.read("status/diverged_step", i, n, whole.data());
            w.write_status(i, n, whole.data());
            for (long s : whole) diverged += s >= 0;
            for (std::size_t k : series)
                if (k >= i && k < j) {
                    const std::string name = "timeseries/point_" + std::to_string(k);
                    const auto v = h5::read_dataset(part, name);
                    w.write_array(name, {series_len, n_nodes}, v.data(), {"time", "node"});
                }
            w.mark_done(i, n); // (data first, then the flags: h5_result.hpp)
            std::fill(done.begin() + long(i), done.begin() + long(j), 1);
            i = j;
        }
    }
    return diverged;
}

void check_campaign_files(const sweep_request& r, const std::vector<std::string>& files) {
    input_log log;
    const sweep_spec s = load_spec(r.spec_path);
    (void)load_network(s); // (its files are inputs of the run)
    const run_identity id = identity_of(s, r.precision.empty() ? s.precision : r.precision, log.records());
    for (const auto& f : files) {
        h5::read_through(f);
        check_recorded_run(f, "--resume", s, id);
    }
}

bool merge_results(const std::string& out, const std::vector<std::string>& args, const sweep_request& req) {
    const std::vector<std::string> parts = campaign_files(args);
    if (parts.empty()) throw input_error("merge: no parts given");
    std::error_code ec;
    if (fs::exists(out, ec) && !req.overwrite)
        throw input_error(out +
                          ": merge: the file exists; give --overwrite to replace it (nothing was changed)");
    for (const auto& p : parts) h5::read_through(p); // a damaged part: one clear error, no crash
    const std::vector<std::uint8_t> held = held_points(parts);
    if (std::count(held.begin(), held.end(), 1) == 0)
        throw input_error("merge: the parts hold no finished points yet; nothing to merge");

    sweep_request r = req;
    if (r.spec_path.empty()) r.spec_path = h5::read_string_attr(parts[0], "", "spec_path");
    r.precision = h5::read_string_attr(parts[0], "", "precision");
    r.output = out + ".merging"; // renamed to out when written
    r.overwrite = true;          // (a killed merge's leftover)
    r.resume = false;
    r.shard.clear();
    r.merge_parts = parts;
    r.quiet = true;
    const bool complete = run_sweep(r);
    fs::rename(r.output, out, ec);
    if (ec)
        throw input_error(out + ": merge: cannot move " + r.output + " into place (" + ec.message() + ")");
    if (complete && !req.quiet)
        std::fprintf(stderr, "nmsweep: merged %zu parts into %s: %zu points\n", parts.size(), out.c_str(),
                     held.size());
    if (complete) return true;
    std::size_t n_missing = 0;
    const std::string ranges = missing_ranges(held, n_missing);
    std::fprintf(stderr,
                 "nmsweep: %s is incomplete: %zu of %zu points are in no part (points %s); run their shards, "
                 "then merge again, or complete it with: nmsweep run SPEC --resume -o %s\n",
                 out.c_str(), n_missing, held.size(), ranges.c_str(), out.c_str());
    return false;
}

} // namespace nms
