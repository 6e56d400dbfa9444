// `mpirun -n K nmsweep run SPEC` (mpi_run.hpp): ranges of points handed out
// by rank 0, one part file per rank, merged by rank 0 at the end.

#include "nmsweep/sweep/mpi_run.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/shard.hpp"

#include <mpi.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#ifndef NMS_VERSION
#define NMS_VERSION "unknown"
#endif
#ifndef NMS_GIT_REVISION
#define NMS_GIT_REVISION "unknown"
#endif

namespace nms {

bool mpi_built() { return true; }

namespace {

namespace fs = std::filesystem;
using range = std::pair<std::size_t, std::size_t>;
constexpr int tag_claim = 1, tag_range = 2;

// Idle ranks poll with sleeps instead of MPI's busy waits, so that they
// leave the cores to the ranks still computing (oversubscribed nodes).
void wait_for(MPI_Request& req) {
    for (int done = 0; MPI_Test(&req, &done, MPI_STATUS_IGNORE), !done;)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void barrier() {
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    wait_for(req);
}

// Rank 0's text to every rank.
std::string broadcast(std::string text) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    unsigned long n = text.size();
    MPI_Request req;
    MPI_Ibcast(&n, 1, MPI_UNSIGNED_LONG, 0, MPI_COMM_WORLD, &req);
    wait_for(req);
    text.resize(n);
    MPI_Ibcast(text.data(), int(n), MPI_CHAR, 0, MPI_COMM_WORLD, &req);
    wait_for(req);
    return text;
}

// What must be the same on every rank: the program (its version, revision and
// the SHA-256 of the executable itself) and the spec's text.
std::string identity_of_rank(const std::string& spec_path) {
    std::ifstream exe("/proc/self/exe", std::ios::binary);
    std::ostringstream bytes;
    bytes << exe.rdbuf();
    std::ifstream spec(spec_path, std::ios::binary);
    std::ostringstream text;
    text << spec.rdbuf();
    return std::string("nmsweep ") + NMS_VERSION + " (" + NMS_GIT_REVISION + "), executable sha256 " +
           sha256_hex(bytes.str()) + ", spec sha256 " + sha256_hex(text.str());
}

// Refuses (on every rank) a run whose ranks run different programs or specs.
void check_same_program(const std::string& spec_path, int rank) {
    const std::string mine = identity_of_rank(spec_path), first = broadcast(mine);
    int differs = mine != first, any = 0;
    MPI_Request req;
    MPI_Iallreduce(&differs, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    wait_for(req);
    if (!any) return;
    if (differs)
        std::fprintf(stderr, "nmsweep: rank %d: %s\nnmsweep: rank 0: %s\n", rank, mine.c_str(),
                     first.c_str());
    throw input_error(
        "the MPI ranks run different nmsweep executables or specs (see above); install one build "
        "where every node reads it and give every rank the same spec");
}

std::string rank_file(const std::string& out, int r) {
    const fs::path p(out);
    return (p.parent_path() / (p.stem().string() + ".rank" + std::to_string(r) + ".h5")).string();
}

// The rank files an earlier run of `out` left (killed before its merge).
std::vector<std::string> leftover_rank_files(const std::string& out) {
    const fs::path p(out);
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    const std::regex name(
        std::regex_replace(p.stem().string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
        R"(\.rank[0-9]+\.h5)");
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && std::regex_match(e.path().filename().string(), name))
            found.push_back((p.parent_path() / e.path().filename()).string());
    std::sort(found.begin(), found.end());
    return found;
}

// Rank 0's preparation: what is done already (the result and leftover rank
// files of an interrupted run, with --resume), the ranges left, cut in
// pieces small enough to balance the ranks.
std::vector<range> plan_ranges(const sweep_request& r, const std::string& out, int ranks, int threads,
                               std::vector<std::string>& earlier) {
    std::error_code ec;
    const bool have_out = fs::exists(out, ec);
    earlier = leftover_rank_files(out);
    if (!r.resume) {
        if (have_out && !r.overwrite)
            throw input_error(
                out + ": the result exists; give --overwrite to replace it, or --resume to continue it");
        if (!earlier.empty() && !r.overwrite)
            throw input_error(earlier.front() +
                              ": the rank files of an interrupted MPI run are here; give --resume "
                              "to continue that run, or --overwrite to start again");
        for (const auto& f : earlier) fs::remove(f, ec);
        earlier.clear();
    } else if (have_out) {
        earlier.insert(earlier.begin(), out);
    }
    const sweep_spec s = load_spec(r.spec_path);
    std::vector<std::uint8_t> done(n_points(s), 0);
    if (!earlier.empty()) check_campaign_files(r, earlier);
    for (const auto& f : earlier) {
        const auto d = h5::read_dataset(f, "status/done");
        for (std::size_t k = 0; k < d.size() && k < done.size(); ++k) done[k] |= d[k] != 0;
    }
    std::size_t left = std::size_t(std::count(done.begin(), done.end(), 0));
    const std::size_t cap = r.backend == "cpu" || !cuda_built() ? 1024 : std::size_t(1) << 17;
    const std::size_t unit =
        std::clamp<std::size_t>(left / (8 * std::size_t(ranks)), std::size_t(threads) * 16, cap);
    std::vector<range> out_ranges;
    for (std::size_t i = 0; i < done.size();) {
        if (done[i]) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < done.size() && !done[j] && j - i < unit) ++j;
        j = batch_end(s, i, j - i); // (one network per range)
        out_ranges.emplace_back(i, j);
        i = j;
    }
    return out_ranges;
}

// Rank 0's server: answers each worker's request with the next range, or
// an empty one when none is left; returns when every worker had its empty one.
void serve(const std::vector<range>& ranges, std::atomic<std::size_t>& next, int workers) {
    while (workers > 0) {
        int any = 0;
        MPI_Status st;
        MPI_Request req;
        MPI_Irecv(&any, 1, MPI_INT, MPI_ANY_SOURCE, tag_claim, MPI_COMM_WORLD, &req);
        for (int done = 0; MPI_Test(&req, &done, &st), !done;)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const std::size_t k = next.fetch_add(1);
        unsigned long long msg[2] = {0, 0};
        if (k < ranges.size()) {
            msg[0] = ranges[k].first;
            msg[1] = ranges[k].second;
        } else {
            --workers;
        }
        MPI_Send(msg, 2, MPI_UNSIGNED_LONG_LONG, st.MPI_SOURCE, tag_range, MPI_COMM_WORLD);
    }
}

bool ask_for_range(std::size_t& first, std::size_t& end) {
    int one = 1;
    unsigned long long msg[2];
    MPI_Request req;
    MPI_Isend(&one, 1, MPI_INT, 0, tag_claim, MPI_COMM_WORLD, &req);
    wait_for(req);
    MPI_Irecv(msg, 2, MPI_UNSIGNED_LONG_LONG, 0, tag_range, MPI_COMM_WORLD, &req);
    wait_for(req);
    first = std::size_t(msg[0]);
    end = std::size_t(msg[1]);
    return end > first;
}

int exit_status_of(const std::exception_ptr& e, int rank) {
    try {
        std::rethrow_exception(e);
    } catch (const input_error& x) {
        std::fprintf(stderr, "nmsweep: error: rank %d: %s\n", rank, x.what());
        return 2;
    } catch (const interrupted& x) {
        std::fprintf(stderr, "nmsweep: rank %d: %s\n", rank, x.what());
        return exit_interrupted;
    } catch (const std::exception& x) {
        std::fprintf(stderr, "nmsweep: internal error: rank %d: %s\n", rank, x.what());
        return 3;
    }
}

int local_ranks(int* local_rank) {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int n = 1;
    MPI_Comm_size(node, &n);
    MPI_Comm_rank(node, local_rank);
    MPI_Comm_free(&node);
    return n;
}

} // namespace

int run_sweep_mpi(const sweep_request& req) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    int rank = 0, ranks = 1, local = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const int per_node = local_ranks(&local);
    // Checks every rank agrees on (the program, the spec, rank 0's plan): a
    // failure ends every rank with exit 2 and one message.
    sweep_request r = req;
    std::string out;
    std::vector<range> ranges;
    std::vector<std::string> earlier;
    std::string error;
    try {
        if (provided < MPI_THREAD_SERIALIZED)
            throw input_error("the MPI library does not support MPI_THREAD_SERIALIZED");
        if (!req.shard.empty() || shard_from_environment())
            throw input_error(
                "an MPI run is one campaign over all its ranks: it takes no --shard (nor a Slurm "
                "job array's task); use one or the other");
        check_same_program(req.spec_path, rank);
        out = r.output.empty() ? load_spec(r.spec_path).output_path : r.output;
        // Each rank its share of the node's cores, and one GPU of the node's (round robin).
        if (r.threads <= 0) r.threads = std::max(1, omp_get_num_procs() / per_node);
        if (r.devices.empty() && r.backend != "cpu" && cuda_built()) {
            const auto devs = cuda_devices();
            if (!devs.empty()) r.devices = {local % int(devs.size())};
        }
        if (rank == 0) ranges = plan_ranges(r, out, ranks, r.threads, earlier);
    } catch (const input_error& e) {
        error = e.what();
    }
    int failed = !error.empty(), any = 0;
    MPI_Request agree;
    MPI_Iallreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &agree);
    wait_for(agree);
    if (any) {
        if (failed && (rank == 0 || error.find("different nmsweep") == std::string::npos))
            std::fprintf(stderr, "nmsweep: error: %s%s\n",
                         rank ? ("rank " + std::to_string(rank) + ": ").c_str() : "", error.c_str());
        MPI_Finalize();
        return 2;
    }
    int status = 0;
    try {
        std::atomic<std::size_t> next{0};
        std::thread server;
        if (rank == 0) server = std::thread(serve, std::cref(ranges), std::ref(next), ranks - 1);
        r.output = rank_file(out, rank);
        r.resume = fs::exists(r.output); // (a leftover of this rank: its points are not handed out again)
        r.overwrite = false;
        r.quiet = req.quiet || rank != 0;
        if (rank == 0)
            r.claim = [&](std::size_t& a, std::size_t& b) {
                const std::size_t k = next.fetch_add(1);
                if (k >= ranges.size()) return false;
                a = ranges[k].first;
                b = ranges[k].second;
                return true;
            };
        else
            r.claim = ask_for_range;
        try {
            run_sweep(r);
        } catch (...) {
            if (server.joinable()) server.detach(); // (MPI_Abort ends it)
            throw;
        }
        if (server.joinable()) server.join();
        barrier(); // every rank's file is closed
        if (rank == 0) {
            std::vector<std::string> parts = earlier;
            for (int k = 0; k < ranks; ++k) {
                const std::string f = rank_file(out, k);
                if (fs::exists(f) && std::find(parts.begin(), parts.end(), f) == parts.end())
                    parts.push_back(f);
            }
            sweep_request m = req;
            m.overwrite = true;
            m.output.clear();
            m.claim = nullptr;
            const bool complete = merge_results(out, parts, m);
            for (const auto& f : parts)
                if (f != out) fs::remove(f);
            status = complete ? 0 : exit_incomplete;
        }
    } catch (...) {
        status = exit_status_of(std::current_exception(), rank);
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, status); // the other ranks may be waiting on this one
    }
    const std::string final = broadcast(std::to_string(status));
    MPI_Finalize();
    return std::stoi(final);
}

} // namespace nms
