// `nmsweep slurm`: the submit script of a sweep (slurm_script.hpp).
#include "nmsweep/sweep/slurm_script.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/mpi_run.hpp"
#include "nmsweep/sweep/plan.hpp"
#include "nmsweep/sweep/shard.hpp"
#include "nmsweep/sweep/spec.hpp"
#include "run_parts.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace nms {

namespace {

namespace fs = std::filesystem;

// The margins on the estimates. The memory estimate is tested within 1.5x of
// the measured peak (README); the time estimate is a measured mean rate that
// real networks (caches, I/O, a slow node) can miss by more.
constexpr double memory_factor = 2.0;
constexpr double memory_extra = 256.0 * (1 << 20); // the program, its libraries, HDF5's caches
constexpr double time_factor = 2.0;
constexpr double time_extra = 300.0;    // start, file allocation, the last flush
constexpr double auto_task_work = 7200; // seconds of estimated work per task when --array is left out
constexpr int max_requeues = 20;        // a task that never gets through stops being requeued

// The CPU backend's throughput that `nmsweep check` uses (check.cpp,
// check_spec; measured in bench/RESULTS.md): node-steps per second and thread.
double cpu_rate(const sweep_spec& s) { return s.precision == "double" ? 3e7 : 8e7; }

// One word for the shell: as is when it is plainly safe, else single-quoted.
std::string sq(const std::string& s) {
    const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string("_./+-:=@%,").find(c) != std::string::npos;
    });
    if (plain) return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Text inside a double-quoted shell string (a message): $ ` " \\ escaped.
std::string dq(const std::string& s) {
    std::string q;
    for (char c : s) {
        if (c == '$' || c == '`' || c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q;
}

// Paths go into the script quoted; a control character (a newline would end
// a heredoc or a comment) cannot be.
std::string checked_path(const fs::path& p, const std::string& what) {
    const std::string s = p.string();
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            throw input_error("slurm: the " + what + " path has a control character: " + s);
    return s;
}

// Partition and account names: words Slurm takes (a partition list has commas).
void check_name(const std::string& v, const std::string& option) {
    for (char c : v)
        if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("_.,-").find(c) == std::string::npos)
            throw input_error("slurm: " + option + " '" + v +
                              "': only letters, digits and _ . , - are allowed");
}

std::string job_name(const std::string& stem) {
    std::string n = "nms-";
    for (char c : stem) n += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_';
    return n;
}

std::string mem_option(double bytes) {
    const double mib = std::ceil(bytes / double(64 << 20)) * 64;
    return std::to_string(long(mib)) + "M";
}

struct layout {
    std::string exe, spec, out, logs, script, name;
    std::string part_prefix; // part_path's name of part I of N is part_prefix + "IofN.h5"
};

// Waits for nmsweep in the background so that the USR1 trap can run, and
// requeues the job when it ends with 75. `requeue_id` names the job to
// requeue, `rerun` tells how to rerun it by hand.
void run_and_requeue(std::ostream& o, const std::string& command, const std::string& requeue_id,
                     const std::string& rerun) {
    o << "# Slurm's warning before the time limit (USR1, --signal=B:) reaches this shell only: pass\n"
         "# it on to nmsweep, which stops at the next step, keeps every finished point and exits "
      << exit_interrupted
      << ".\n"
         "trap 'kill -USR1 \"$pid\" 2>/dev/null' USR1\n"
      << command << " &\n"
      << "pid=$!\n"
         "# wait returns early when the trap runs: wait again until nmsweep has ended.\n"
         "wait \"$pid\"; rc=$?\n"
         "while kill -0 \"$pid\" 2>/dev/null; do wait \"$pid\"; rc=$?; done\n"
         "if [ \"$rc\" -eq "
      << exit_interrupted
      << " ]; then\n"
         "    # Interrupted: the finished points are kept; requeued, --resume continues.\n"
         "    if [ \"${SLURM_RESTART_COUNT:-0}\" -lt "
      << max_requeues << " ] && scontrol requeue " << requeue_id
      << "; then\n"
         "        exit 0\n"
         "    fi\n"
         "    echo \"nmsweep: not requeued (after ${SLURM_RESTART_COUNT:-0} requeues); rerun with: "
      << rerun
      << "\" >&2\n"
         "fi\n"
         "exit \"$rc\"\n";
}

void resources(std::ostream& o, const slurm_request& r, const slurm_script& p, bool mpi) {
    if (!r.partition.empty()) o << "#SBATCH --partition=" << r.partition << "\n";
    if (!r.account.empty()) o << "#SBATCH --account=" << r.account << "\n";
    if (mpi) o << "#SBATCH --ntasks=" << p.tasks << "\n";
    o << "#SBATCH --cpus-per-task=" << p.cpus << "\n";
    if (mpi)
        o << "#SBATCH --mem-per-cpu=" << mem_option(p.memory_bytes / p.cpus) << "\n";
    else
        o << "#SBATCH --mem=" << mem_option(p.memory_bytes) << "\n";
    if (r.gpus > 0) o << "#SBATCH " << (mpi ? "--gpus-per-task=" : "--gpus=") << r.gpus << "\n";
    o << "#SBATCH --time=" << format_slurm_time(p.time_s) << "\n"
      << "#SBATCH --requeue\n"
      << "#SBATCH --open-mode=append\n"
      << "#SBATCH --signal=B:USR1@" << p.signal_s << "\n";
}

std::string run_command(const slurm_request& r, const slurm_script& p, const layout& L,
                        const std::string& shard) {
    std::ostringstream c;
    c << sq(L.exe) << " run " << sq(L.spec) << " -o " << sq(L.out) << shard
      << " \\\n    --resume --checkpoint-minutes " << p.checkpoint_min << " --threads " << p.cpus
      << " --backend " << (r.gpus > 0 ? "cuda" : "cpu") << " -q";
    return c.str();
}

void array_script(std::ostream& o, const slurm_request& r, const slurm_script& p, const layout& L) {
    const int n = p.tasks;
    const std::string range = n == 1 ? "0" : "0-" + std::to_string(n - 1);
    const std::string part = sq(L.part_prefix) + "${i}of" + std::to_string(n) + ".h5";
    o << "#!/usr/bin/env bash\n"
      << "# Submits the sweep " << L.spec << " to Slurm (written by `nmsweep slurm`):\n"
      << "#   a job array of " << n << " tasks, task I running share I (--shard I/" << n
      << ") of the grid into\n"
      << "#   " << L.part_prefix << "Iof" << n << ".h5, then a job that merges the parts into\n"
      << "#   " << L.out << " when the whole array has ended.\n"
      << "# Per task: " << p.cpus << " CPUs, --mem " << mem_option(p.memory_bytes) << ", --time "
      << format_slurm_time(p.time_s) << " (estimated work of a task: " << human_seconds(p.estimate_s)
      << " on " << p.cpus << " CPU threads).\n"
      << "# An interrupted task (USR1 " << p.signal_s
      << " s before the time limit, a preemption) keeps its finished\n"
      << "# points and is requeued; --resume continues its part (checkpoints every " << p.checkpoint_min
      << " min).\n"
      << "#\n"
      << "# Usage: bash " << sq(L.script) << " [TASKS]\n"
      << "#   TASKS: the array tasks to submit (default " << range << "); e.g. 1,2 reruns those shares\n"
      << "#   only, then merges all the parts again.\n"
      << "set -euo pipefail\n\n"
      << "tasks=${1:-" << range << "}\n"
      << "logs=" << sq(L.logs) << "\n"
      << "mkdir -p \"$logs\"\n\n"
      << "array_id=$(sbatch --parsable --array=\"$tasks\" --output=\"$logs/%A_%a.out\" <<'NMS_JOB'\n"
      << "#!/usr/bin/env bash\n"
      << "#SBATCH --job-name=" << L.name << "\n";
    resources(o, r, p, false);
    run_and_requeue(o, run_command(r, p, L, " --shard \"$SLURM_ARRAY_TASK_ID/" + std::to_string(n) + "\""),
                    "\"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"",
                    "bash " + dq(sq(L.script)) + " $SLURM_ARRAY_TASK_ID");
    o << "NMS_JOB\n)\n"
      << "array_id=${array_id%%;*} # --parsable: \"id\" or \"id;cluster\"\n"
      << "echo \"job array $array_id: tasks $tasks of " << n << "\"\n\n";

    // The merge: every part that exists (a task that failed early may have
    // left none; merge then says which points are missing, exit 4).
    o << "merge_id=$(sbatch --parsable --dependency=\"afterany:$array_id\" --output=\"$logs/merge_%j.out\" "
         "<<'NMS_JOB'\n"
      << "#!/usr/bin/env bash\n"
      << "#SBATCH --job-name=" << L.name << "-merge\n";
    if (!r.partition.empty()) o << "#SBATCH --partition=" << r.partition << "\n";
    if (!r.account.empty()) o << "#SBATCH --account=" << r.account << "\n";
    // The merge copies the parts' points, then runs the end of a run (maps,
    // boundaries, an attractor refinement's new points): a task's resources.
    // --requeue: a preempted merge starts again (--overwrite).
    o << "#SBATCH --cpus-per-task=" << p.cpus << "\n"
      << "#SBATCH --mem=" << mem_option(p.memory_bytes) << "\n"
      << "#SBATCH --time=" << format_slurm_time(std::max(3600L, p.time_s)) << "\n"
      << "#SBATCH --requeue\n"
      << "parts=()\n"
      << "for ((i = 0; i < " << n << "; ++i)); do\n"
      << "    part=" << part << "\n"
      << "    if [ -e \"$part\" ]; then parts+=(\"$part\"); else echo \"nmsweep: share $i left no part: "
         "$part\" >&2; fi\n"
      << "done\n"
      << "if [ ${#parts[@]} -eq 0 ]; then echo \"nmsweep: no part to merge\" >&2; exit 2; fi\n"
      << "rc=0\n"
      << sq(L.exe) << " merge --overwrite --threads " << p.cpus << " -q " << sq(L.out)
      << " \"${parts[@]}\" || rc=$?\n"
      << "if [ \"$rc\" -eq " << exit_incomplete << " ]; then\n"
      << "    echo \"nmsweep: points are missing: rerun their shares with: bash " << dq(sq(L.script))
      << " I,J (it merges again)\" >&2\n"
      << "fi\n"
      << "exit \"$rc\"\n"
      << "NMS_JOB\n)\n"
      << "merge_id=${merge_id%%;*}\n"
      << "echo \"merge job $merge_id: into " << dq(L.out) << " when job array $array_id has ended\"\n";
}

void mpi_script(std::ostream& o, const slurm_request& r, const slurm_script& p, const layout& L) {
    o << "#!/usr/bin/env bash\n"
      << "# Submits the sweep " << L.spec << " to Slurm (written by `nmsweep slurm --mpi " << p.tasks
      << "`):\n"
      << "#   one job of " << p.tasks << " MPI ranks (mpirun) sharing out the grid; rank 0 merges\n"
      << "#   their files into " << L.out << ".\n"
      << "# Per task: " << p.cpus << " CPUs, --mem-per-cpu " << mem_option(p.memory_bytes / p.cpus)
      << ", --time " << format_slurm_time(p.time_s)
      << " (estimated work of a task: " << human_seconds(p.estimate_s) << " on " << p.cpus
      << " CPU threads).\n"
      << "# An interrupted job (USR1 " << p.signal_s
      << " s before the time limit, a preemption) keeps its finished\n"
      << "# points and is requeued; --resume continues it (checkpoints every " << p.checkpoint_min
      << " min).\n"
      << "#\n"
      << "# Usage: bash " << sq(L.script) << "\n"
      << "set -euo pipefail\n\n"
      << "logs=" << sq(L.logs) << "\n"
      << "mkdir -p \"$logs\"\n\n"
      << "job_id=$(sbatch --parsable --output=\"$logs/%j.out\" <<'NMS_JOB'\n"
      << "#!/usr/bin/env bash\n"
      << "#SBATCH --job-name=" << L.name << "\n";
    resources(o, r, p, true);
    // mpirun starts one rank per task of the job (Open MPI reads Slurm's
    // allocation) and passes USR1 on to every rank (README, Campaigns).
    run_and_requeue(o, "mpirun -n " + std::to_string(p.tasks) + " " + run_command(r, p, L, ""),
                    "\"$SLURM_JOB_ID\"", "bash " + dq(sq(L.script)));
    o << "NMS_JOB\n)\n"
      << "job_id=${job_id%%;*} # --parsable: \"id\" or \"id;cluster\"\n"
      << "echo \"job $job_id: " << p.tasks << " MPI ranks into " << dq(L.out) << "\"\n";
}

fs::path default_script_path(const slurm_request& r) {
    return fs::path(r.script_path.empty() ? fs::path(r.spec_path).stem().string() + ".slurm.sh"
                                          : r.script_path);
}

} // namespace

long parse_slurm_time(const std::string& t) {
    auto bad = [&]() {
        return input_error("slurm: --time '" + t +
                           "': not a Slurm time (M, M:S, H:M:S, D-H, D-H:M or D-H:M:S, e.g. 2:00:00)");
    };
    std::string rest = t;
    long days = -1;
    const auto dash = rest.find('-');
    if (dash != std::string::npos) {
        const std::string d = rest.substr(0, dash);
        if (d.empty() || d.size() > 4 || !std::all_of(d.begin(), d.end(), ::isdigit)) throw bad();
        days = std::stol(d);
        rest = rest.substr(dash + 1);
    }
    std::vector<long> f;
    std::size_t at = 0;
    while (true) {
        const auto colon = rest.find(':', at);
        const std::string x = rest.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
        if (x.empty() || x.size() > 6 || !std::all_of(x.begin(), x.end(), ::isdigit)) throw bad();
        f.push_back(std::stol(x));
        if (colon == std::string::npos) break;
        at = colon + 1;
    }
    if (f.size() > 3) throw bad();
    long s = 0;
    if (days >= 0) { // D-H, D-H:M, D-H:M:S
        s = days * 86400 + f[0] * 3600 + (f.size() > 1 ? f[1] * 60 : 0) + (f.size() > 2 ? f[2] : 0);
    } else if (f.size() == 1) { // M
        s = f[0] * 60;
    } else if (f.size() == 2) { // M:S
        s = f[0] * 60 + f[1];
    } else { // H:M:S
        s = f[0] * 3600 + f[1] * 60 + f[2];
    }
    if (s <= 0) throw bad();
    return s;
}

std::string format_slurm_time(long seconds) {
    char b[64];
    const long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
    if (d > 0)
        std::snprintf(b, sizeof b, "%ld-%02ld:%02ld:%02ld", d, h, m, s);
    else
        std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", h, m, s);
    return b;
}

slurm_script make_slurm_script(const slurm_request& r) {
    if (r.array < 0) throw input_error("slurm: --array " + std::to_string(r.array) + ": at least 1 task");
    if (r.mpi < 0) throw input_error("slurm: --mpi " + std::to_string(r.mpi) + ": at least 1 task");
    if (r.array > 0 && r.mpi > 0) throw input_error("slurm: --array and --mpi exclude each other");
    if (r.mpi > 0 && !mpi_built())
        throw input_error(
            "slurm: --mpi: this nmsweep is built without MPI (Open MPI was not found when it was "
            "configured); use --array, or rebuild with Open MPI (libopenmpi-dev)");
    if (r.gpus < 0) throw input_error("slurm: --gpus " + std::to_string(r.gpus) + ": 0 or more");
    if (r.cpus_per_task < 0)
        throw input_error("slurm: --cpus-per-task " + std::to_string(r.cpus_per_task) + ": at least 1");
    if (r.checkpoint_minutes < 0)
        throw input_error("slurm: --checkpoint-minutes " + std::to_string(r.checkpoint_minutes) +
                          ": at least 1");
    check_name(r.partition, "--partition");
    check_name(r.account, "--account");

    slurm_script p;
    p.path = default_script_path(r).string();
    p.cpus = r.cpus_per_task > 0 ? r.cpus_per_task : 8;

    const sweep_spec s = load_spec(r.spec_path);
    const connectome net = load_network(s);
    const std::size_t points = n_points(s);
    const double work = estimate_cost(s, net, s.precision == "double" ? 8 : 4).node_steps;
    const double whole_s = work / (cpu_rate(s) * p.cpus);

    if (r.mpi > 0)
        p.tasks = r.mpi;
    else if (r.array > 0)
        p.tasks = r.array;
    else // about auto_task_work of estimated work per task, within Slurm's usual MaxArraySize
        p.tasks = int(std::clamp(std::ceil(whole_s / auto_task_work), 1.0, 1000.0));
    if (std::size_t(p.tasks) > points) {
        if (r.array > 0 || r.mpi > 0)
            throw input_error("slurm: " + std::string(r.mpi > 0 ? "--mpi " : "--array ") +
                              std::to_string(p.tasks) + ": more tasks than the grid's " +
                              std::to_string(points) + " points");
        p.tasks = int(points);
    }
    // Shares are balanced by cost, so each task has about 1/N of the work.
    p.estimate_s = whole_s / p.tasks;
    p.time_s = r.time.empty() ? long(std::ceil((time_factor * p.estimate_s + time_extra) / 60) * 60)
                              : parse_slurm_time(r.time);
    if (p.time_s < 120)
        throw input_error("slurm: --time " + r.time + ": a task needs at least 2 minutes (2:00)");
    p.signal_s = std::clamp(p.time_s / 10, 60L, 300L);
    p.checkpoint_min =
        r.checkpoint_minutes > 0 ? r.checkpoint_minutes : int(std::clamp(p.time_s / 60 / 8, 1L, 30L));
    p.memory_bytes = memory_factor * estimate_peak_memory(r.spec_path, p.cpus) + memory_extra;

    layout L;
    std::error_code ec;
    fs::path exe = r.exe_path.empty() ? fs::read_symlink("/proc/self/exe", ec) : fs::path(r.exe_path);
    if (ec) throw input_error("slurm: cannot find this executable (/proc/self/exe): " + ec.message());
    L.exe = checked_path(fs::absolute(exe).lexically_normal(), "nmsweep");
    L.spec = checked_path(fs::absolute(r.spec_path).lexically_normal(), "spec");
    const fs::path out = fs::absolute(s.output_path).lexically_normal();
    L.out = checked_path(out, "output");
    p.output = L.out;
    // The parts' names from part_path (shard.hpp), the one place that makes them.
    const std::string part0 = part_path(L.out, shard_id{0, p.tasks});
    const std::string tail0 = ".part0of" + std::to_string(p.tasks) + ".h5";
    if (part0.size() < tail0.size() || part0.compare(part0.size() - tail0.size(), tail0.size(), tail0) != 0)
        throw std::logic_error("slurm: part_path gave " + part0);
    const std::string base = part0.substr(0, part0.size() - tail0.size()); // the output less .h5
    L.part_prefix = base + ".part";
    L.logs = base + ".slurm-logs";
    L.script = checked_path(fs::absolute(p.path).lexically_normal(), "script");
    L.name = job_name(out.stem().string());

    std::ostringstream o;
    if (r.mpi > 0)
        mpi_script(o, r, p, L);
    else
        array_script(o, r, p, L);
    p.text = o.str();

    std::ostringstream w;
    w << "wrote " << p.path << ": "
      << (r.mpi > 0 ? "one job of " + std::to_string(p.tasks) + " MPI ranks"
                    : "a job array of " + std::to_string(p.tasks) + " tasks, then a merge job")
      << ", for " << L.out << "\n"
      << "  per task: " << p.cpus << " CPUs" << (r.gpus > 0 ? ", " + std::to_string(r.gpus) + " GPUs" : "")
      << ", --mem "
      << (r.mpi > 0 ? mem_option(p.memory_bytes / p.cpus) + " per CPU" : mem_option(p.memory_bytes))
      << ", --time " << format_slurm_time(p.time_s) << "; estimated work " << human_seconds(p.estimate_s)
      << " on " << p.cpus << " CPU threads" << (r.gpus > 0 ? " (with GPUs, less)" : "") << "\n";
    if (!r.time.empty() && double(p.time_s) < p.estimate_s)
        w << "  note: --time is shorter than the estimated work: tasks will be requeued (each continues "
             "with --resume)\n";
    if (p.time_s > 7 * 86400) w << "  note: over 7 days per task: more tasks (--array) give shorter ones\n";
    for (const auto& path : {L.exe, L.spec, L.out})
        if (path.rfind("/tmp/", 0) == 0)
            w << "  note: " << path << " is in /tmp, which compute nodes usually do not share\n";
    w << "  submit: bash " << sq(p.path) << "\n";
    p.summary = w.str();
    return p;
}

std::string write_slurm_script(const slurm_request& r) {
    const fs::path path = default_script_path(r);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec)) && !r.overwrite)
        throw input_error("slurm: " + path.string() + " exists; --overwrite replaces it");
    const slurm_script p = make_slurm_script(r);
    try {
        write_text_durably(path.string(), p.text, 0755);
    } catch (const input_error& e) {
        throw input_error(std::string("slurm: ") + e.what());
    }
    return p.summary;
}

} // namespace nms
