#include "nmsweep/sweep/shard.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/engine/batch.hpp"
#include "nmsweep/sweep/plan.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>

namespace nms {

namespace {

// A whole non-negative number, or -1.
long whole(const std::string& t) {
    if (t.empty() || t.size() > 12 || t.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stol(t);
}

long env_long(const char* name) {
    const char* v = std::getenv(name);
    return v ? whole(v) : -2; // -2: unset, -1: not a number
}

} // namespace

shard_id parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    const long i = slash == std::string::npos ? -1 : whole(text.substr(0, slash));
    const long n = slash == std::string::npos ? -1 : whole(text.substr(slash + 1));
    if (i < 0 || n < 1)
        throw input_error("--shard " + text +
                          ": expected I/N, the shard I (0 .. N-1) of N, e.g. --shard 0/4");
    if (i >= n)
        throw input_error("--shard " + text + ": the shard index must be 0 .. " + std::to_string(n - 1) +
                          " (shards count from 0)");
    return {i, n};
}

shard_id shard_from_environment() {
    const long id = env_long("SLURM_ARRAY_TASK_ID");
    if (id == -2) return {};
    const long count = env_long("SLURM_ARRAY_TASK_COUNT"), lo = env_long("SLURM_ARRAY_TASK_MIN");
    long step = env_long("SLURM_ARRAY_TASK_STEP");
    if (step == -2) step = 1;
    if (id < 0 || count < 1 || lo < 0 || step < 1 || id < lo || (id - lo) % step != 0 ||
        (id - lo) / step >= count)
        throw input_error(
            "the Slurm job array environment is inconsistent (SLURM_ARRAY_TASK_ID, _MIN, _STEP, _COUNT): "
            "expected TASK_ID = MIN + k * STEP with 0 <= k < COUNT; give --shard I/N explicitly");
    return {(id - lo) / step, count};
}

std::string part_path(const std::string& out, const shard_id& id) {
    const std::filesystem::path p(out);
    std::string stem = p.stem().string();
    if (p.extension() != ".h5") stem = p.filename().string();
    const std::string name =
        stem + ".part" + std::to_string(id.index) + "of" + std::to_string(id.count) + ".h5";
    return (p.parent_path() / name).string();
}

std::vector<std::string> campaign_files(const std::vector<std::string>& args) {
    namespace fs = std::filesystem;
    static const std::regex part_name(R"(.*\.part[0-9]+of[0-9]+\.h5)");
    std::vector<std::string> parts;
    for (const auto& a : args) {
        std::error_code ec;
        if (fs::is_directory(a, ec)) {
            std::vector<std::string> found;
            for (const auto& e : fs::directory_iterator(a, ec))
                if (e.is_regular_file() && std::regex_match(e.path().filename().string(), part_name))
                    found.push_back(e.path().string());
            if (found.empty()) throw input_error(a + ": no part files (*.part<I>of<N>.h5) in this folder");
            std::sort(found.begin(), found.end());
            parts.insert(parts.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(a, ec)) {
            parts.push_back(a);
        } else {
            throw input_error(a + ": no such part file or folder");
        }
    }
    for (std::size_t i = 0; i < parts.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (fs::equivalent(parts[i], parts[j]))
                throw input_error(parts[i] + ": the same file is given twice");
    return parts;
}

std::string missing_ranges(const std::vector<std::uint8_t>& held, std::size_t& n_missing) {
    std::string out;
    std::size_t shown = 0;
    n_missing = 0;
    for (std::size_t i = 0; i < held.size();) {
        if (held[i]) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < held.size() && !held[j]) ++j;
        n_missing += j - i;
        if (shown++ < 5)
            out += (out.empty() ? "" : ", ") + std::to_string(i) + (j - i > 1 ? " .. " + std::to_string(j - 1) : "");
        i = j;
    }
    if (shown > 5) out += ", ...";
    return out;
}

std::vector<double> point_costs(const sweep_spec& s, const connectome& net) {
    const std::size_t P = n_points(s);
    // Per node-step: the node's update (~4 edges' worth of arithmetic) and
    // one gather per incoming edge.
    auto cost_of = [&](const connectome& c) {
        double edges = 0;
        for (double w : c.weights) edges += w != 0;
        return double(n_steps(s)) * (4.0 * double(c.n) + edges);
    };
    std::vector<double> cost(P, cost_of(net));
    if (s.lesions.empty()) return cost;
    std::map<std::size_t, double> by_network; // a lesion's cost, computed once
    for (std::size_t k = 0; k < P; ++k) {
        const std::size_t g = network_index(s, k);
        auto it = by_network.find(g);
        if (it == by_network.end()) it = by_network.emplace(g, cost_of(make_batch(s, net, k, 1).net)).first;
        cost[k] = it->second;
    }
    return cost;
}

std::vector<std::size_t> shard_bounds(const std::vector<double>& cost, long n) {
    double total = 0;
    for (double c : cost) total += c;
    std::vector<std::size_t> b(std::size_t(n) + 1, cost.size());
    b[0] = 0;
    double before = 0; // the cost of points 0 .. k-1
    std::size_t k = 0;
    for (long i = 1; i < n; ++i) {
        const double target = total * double(i) / double(n);
        while (k < cost.size() && before + 0.5 * cost[k] < target) before += cost[k++];
        b[std::size_t(i)] = k;
    }
    return b;
}

} // namespace nms
