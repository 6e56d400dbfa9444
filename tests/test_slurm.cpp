// `nmsweep slurm`: the submit script it writes, without a cluster. The
// script is parsed by bash, its job scripts run with stand-ins for sbatch,
// scontrol and nmsweep (the requeue on exit 75, USR1 passed on to the run,
// the merge of the parts that exist), and its resources follow the estimates.
// The real cluster: tests/slurm/slurm_cluster.py.
#include "cli_util.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/mpi_run.hpp"
#include "nmsweep/sweep/shard.hpp"
#include "nmsweep/sweep/slurm_script.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using namespace nms::cli_test;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void put(const fs::path& p, const std::string& text, bool executable = false) {
    std::ofstream(p) << text;
    if (executable) fs::permissions(p, fs::perms::owner_all);
}

// A single-quoted shell word.
std::string shq(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs a shell command line in `dir`; exit code and stdout + stderr.
result shell(const fs::path& dir, const std::string& cmd) {
    const fs::path log = dir / "shell.txt";
    const std::string line =
        "cd " + shq(dir.string()) + " && { " + cmd + "; } > " + shq(log.string()) + " 2>&1";
    const int rc = std::system(line.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(log)};
}

// The job scripts the submit script passes to sbatch (its heredocs).
std::vector<std::string> job_scripts(const std::string& text) {
    std::vector<std::string> jobs;
    const std::string open = "<<'NMS_JOB'\n", close = "\nNMS_JOB\n";
    for (auto at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
        at += open.size();
        const auto end = text.find(close, at);
        if (end == std::string::npos) break;
        jobs.push_back(text.substr(at, end - at + 1));
        at = end;
    }
    return jobs;
}

// small_jr.toml in the scratch folder with some text swapped, its result
// beside it (the estimates only read the spec).
fs::path local_spec(const std::string& name, std::vector<std::pair<std::string, std::string>> swaps = {}) {
    std::string t = slurp(data + "/cli/small_jr.toml");
    const fs::path p = scratch() / name;
    swaps.emplace_back("path = \"small_jr.h5\"", "path = \"" + (scratch() / p.stem()).string() + ".h5\"");
    for (const auto& [from, to] : swaps) {
        const auto at = t.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) t.replace(at, from.size(), to);
    }
    put(p, t);
    return p;
}

long sbatch_time(const std::string& job) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(job, m, std::regex("#SBATCH --time=(\\S+)")));
    return m.empty() ? 0 : nms::parse_slurm_time(m[1]);
}

} // namespace

TEST(slurm, script_parses_and_names_the_array_the_requeue_and_the_merge) {
    const fs::path dir = scratch();
    fs::remove(dir / "small_jr.slurm.sh");
    fs::copy_file(data + "/cli/small_jr.toml", dir / "small_jr.toml", fs::copy_options::overwrite_existing);
    // A relative spec path, the script by its default name in the current folder.
    const result r = shell(dir, bin + " slurm small_jr.toml --array 3 --cpus-per-task 2 --partition short");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("a job array of 3 tasks"), std::string::npos) << r.output;
    const fs::path script = dir / "small_jr.slurm.sh";
    ASSERT_TRUE(fs::exists(script)) << r.output;
    EXPECT_EQ(shell(dir, "bash -n small_jr.slurm.sh").code, 0);
    const std::string text = slurp(script);
    const auto jobs = job_scripts(text);
    ASSERT_EQ(jobs.size(), 2u) << text;
    for (const auto& j : jobs) {
        put(dir / "job.sh", j);
        EXPECT_EQ(shell(dir, "bash -n job.sh").code, 0) << j;
    }
    const std::string &task = jobs[0], &merge = jobs[1];
    // The array 0-2, each task its share; the absolute executable and spec.
    EXPECT_NE(text.find("tasks=${1:-0-2}"), std::string::npos);
    EXPECT_NE(text.find("sbatch --parsable --array=\"$tasks\""), std::string::npos);
    const std::string exe = fs::canonical(bin).string(), spec = (dir / "small_jr.toml").string();
    const std::string out = (dir / "small_jr.h5").string();
    EXPECT_NE(task.find(exe + " run " + spec + " -o " + out + " --shard \"$SLURM_ARRAY_TASK_ID/3\""),
              std::string::npos)
        << task;
    EXPECT_NE(task.find("--resume --checkpoint-minutes "), std::string::npos);
    EXPECT_NE(task.find("--threads 2 --backend cpu -q"), std::string::npos);
    EXPECT_NE(task.find("#SBATCH --requeue\n"), std::string::npos);
    EXPECT_NE(merge.find("#SBATCH --requeue\n"), std::string::npos);
    EXPECT_NE(task.find("#SBATCH --partition=short\n"), std::string::npos);
    EXPECT_NE(task.find("#SBATCH --cpus-per-task=2\n"), std::string::npos);
    EXPECT_TRUE(std::regex_search(task, std::regex("#SBATCH --signal=B:USR1@[0-9]+\n")));
    EXPECT_TRUE(std::regex_search(task, std::regex("#SBATCH --mem=[0-9]+M\n")));
    EXPECT_NE(task.find("if [ \"$rc\" -eq 75 ]"), std::string::npos);
    EXPECT_NE(task.find("scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""),
              std::string::npos);
    // The merge after the whole array, of the three parts beside the output.
    EXPECT_NE(text.find("--dependency=\"afterany:$array_id\""), std::string::npos);
    EXPECT_NE(merge.find(exe + " merge --overwrite --threads 2 -q " + out + " \"${parts[@]}\""),
              std::string::npos)
        << merge;
    EXPECT_NE(merge.find("for ((i = 0; i < 3; ++i))"), std::string::npos);
    EXPECT_NE(merge.find((dir / "small_jr").string() + ".part${i}of3.h5"), std::string::npos);
    EXPECT_EQ(nms::part_path(out, nms::shard_id{1, 3}), (dir / "small_jr.part1of3.h5").string());
}

// The submit script run with a stand-in sbatch: the array, then the merge
// that depends on it; TASKS reruns some shares.
TEST(slurm, submit_script_submits_the_array_then_the_merge) {
    const fs::path dir = scratch(), bins = dir / "bin";
    fs::create_directories(bins);
    // sbatch: keeps each call's options and job script, answers ids 700, 701, ...
    put(bins / "sbatch",
        "#!/usr/bin/env bash\n"
        "n=$(ls sbatch_*.args 2>/dev/null | wc -l)\n"
        "echo \"$*\" > sbatch_$n.args\ncat > sbatch_$n.job\n"
        "[ $n -eq 0 ] && echo \"$((700 + n));cluster\" || echo $((700 + n))\n",
        true);
    nms::slurm_request req;
    req.spec_path = local_spec("submit.toml").string();
    req.array = 4;
    req.script_path = (dir / "submit.sh").string();
    req.overwrite = true;
    nms::write_slurm_script(req);
    for (const char* tasks : {"", "1,3"}) {
        shell(dir, "rm -f sbatch_*");
        const result r = shell(dir, "PATH='" + bins.string() + "':$PATH bash submit.sh " + tasks);
        ASSERT_EQ(r.code, 0) << r.output;
        const std::string a0 = slurp(dir / "sbatch_0.args"), a1 = slurp(dir / "sbatch_1.args");
        EXPECT_NE(a0.find(std::string("--array=") + (*tasks ? tasks : "0-3")), std::string::npos) << a0;
        EXPECT_NE(a1.find("--dependency=afterany:700 "), std::string::npos) << a1;
        EXPECT_NE(slurp(dir / "sbatch_0.job").find("--shard \"$SLURM_ARRAY_TASK_ID/4\""), std::string::npos);
        EXPECT_NE(slurp(dir / "sbatch_1.job").find(" merge "), std::string::npos);
        EXPECT_NE(r.output.find("job array 700"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("merge job 701"), std::string::npos) << r.output;
    }
}

// A task's job script with stand-ins for nmsweep and scontrol: USR1 to the
// job's shell (Slurm's --signal=B:USR1) reaches nmsweep, whose exit 75
// requeues the task; other statuses pass through; requeues are bounded.
TEST(slurm, task_passes_usr1_on_and_requeues_itself_on_75) {
    const fs::path dir = scratch(), bins = dir / "bin";
    fs::create_directories(bins);
    put(bins / "scontrol", "#!/usr/bin/env bash\necho \"$*\" >> scontrol.args\n", true);
    // nmsweep: exits with $FAKE_RC at once, or waits for USR1 and exits 75.
    put(dir / "fake_nmsweep",
        "#!/usr/bin/env bash\necho \"$*\" > nmsweep.args\n"
        "[ -n \"${FAKE_RC:-}\" ] && exit $FAKE_RC\n"
        "trap 'echo usr1 > got_usr1; exit 75' USR1\ntouch started\n"
        "while :; do sleep 0.05; done\n",
        true);
    nms::slurm_request req;
    req.spec_path = local_spec("task.toml").string();
    req.exe_path = (dir / "fake_nmsweep").string();
    req.array = 3;
    req.checkpoint_minutes = 7;
    const auto jobs = job_scripts(nms::make_slurm_script(req).text);
    ASSERT_EQ(jobs.size(), 2u);
    put(dir / "task.sh", jobs[0]);
    const std::string env = "PATH='" + bins.string() + "':$PATH SLURM_ARRAY_JOB_ID=41 SLURM_ARRAY_TASK_ID=2 ";
    auto clean = [&] { shell(dir, "rm -f scontrol.args nmsweep.args got_usr1 started"); };

    clean();
    result r = shell(dir, env + "bash task.sh & p=$!; for i in $(seq 200); do [ -e started ] && break; "
                                "sleep 0.05; done; kill -USR1 $p; wait $p");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(fs::exists(dir / "got_usr1")) << r.output;
    EXPECT_EQ(slurp(dir / "scontrol.args"), "requeue 41_2\n");
    EXPECT_NE(slurp(dir / "nmsweep.args").find("--shard 2/3 --resume --checkpoint-minutes 7 "),
              std::string::npos)
        << slurp(dir / "nmsweep.args");

    for (int rc : {0, 2, 3}) {
        clean();
        r = shell(dir, env + "FAKE_RC=" + std::to_string(rc) + " bash task.sh");
        EXPECT_EQ(r.code, rc) << r.output;
        EXPECT_FALSE(fs::exists(dir / "scontrol.args")) << rc;
    }
    clean();
    r = shell(dir, env + "FAKE_RC=75 SLURM_RESTART_COUNT=20 bash task.sh");
    EXPECT_EQ(r.code, 75) << r.output;
    EXPECT_FALSE(fs::exists(dir / "scontrol.args"));
    EXPECT_NE(r.output.find("not requeued"), std::string::npos) << r.output;

    // The merge job: the parts that exist, in share order; 4 (points missing) passes through.
    put(dir / "merge.sh", jobs[1]);
    const fs::path out = dir / "task.h5";
    const std::string stem = (dir / "task").string();
    for (int i = 0; i < 3; ++i) fs::remove(stem + ".part" + std::to_string(i) + "of3.h5");
    put(stem + ".part0of3.h5", "");
    put(stem + ".part2of3.h5", "");
    clean();
    r = shell(dir, "FAKE_RC=4 bash merge.sh");
    EXPECT_EQ(r.code, 4) << r.output;
    EXPECT_EQ(slurp(dir / "nmsweep.args"), "merge --overwrite --threads 8 -q " + out.string() + " " + stem +
                                               ".part0of3.h5 " + stem + ".part2of3.h5\n");
    EXPECT_NE(r.output.find("share 1 left no part"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("points are missing"), std::string::npos) << r.output;
}

// Time from the work estimate / N with a margin (4x the points: about 4x the
// time; 2x the tasks: about half), memory from check's peak estimate.
TEST(slurm, resources_follow_the_estimates) {
    auto grid = [](const std::string& name, int n) {
        return local_spec(name,
                          {{"synthetic:8:3", "synthetic:76:3"},
                           {"linspace = [0.0, 10.0, 3]", "linspace = [0.0, 10.0, " + std::to_string(n) + "]"},
                           {"duration = 300.0", "duration = 1e7"}});
    };
    const fs::path base = grid("base.toml", 1024), big = grid("big.toml", 4096);
    nms::slurm_request req;
    req.spec_path = base.string();
    req.array = 4;
    req.cpus_per_task = 4;
    const auto a = nms::make_slurm_script(req);
    req.spec_path = big.string();
    const auto b = nms::make_slurm_script(req);
    req.array = 8;
    const auto b8 = nms::make_slurm_script(req);
    ASSERT_GT(a.estimate_s, 3600) << "the margin's constant part must not dominate";
    EXPECT_NEAR(b.estimate_s / a.estimate_s, 4.0, 1e-9);
    const double ratio = double(b.time_s) / double(a.time_s);
    EXPECT_GT(ratio, 3.6);
    EXPECT_LT(ratio, 4.1);
    EXPECT_NEAR(double(b8.time_s) / double(b.time_s), 0.5, 0.05);
    EXPECT_GE(double(a.time_s), 2 * a.estimate_s);
    const auto jobs = job_scripts(a.text);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(sbatch_time(jobs[0]), a.time_s);
    EXPECT_GE(a.memory_bytes, 1.5 * nms::estimate_peak_memory(base.string(), 4));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(jobs[0], m, std::regex("#SBATCH --mem=([0-9]+)M")));
    EXPECT_GE(std::stod(m[1]) * 1024 * 1024, a.memory_bytes);
    EXPECT_LT(std::stod(m[1]) * 1024 * 1024, a.memory_bytes + 64.0 * 1024 * 1024);
    // The checkpoints and the warning before the limit scale with the limit.
    EXPECT_EQ(a.checkpoint_min, std::min(30L, a.time_s / 60 / 8));
    EXPECT_EQ(a.signal_s, std::min(300L, a.time_s / 10));
    // A given --time is taken as it is; shorter than the work: a note.
    req.time = "1-00:30:00";
    EXPECT_EQ(nms::make_slurm_script(req).time_s, 86400 + 1800);
    req.time = "10:00";
    EXPECT_NE(nms::make_slurm_script(req).summary.find("shorter than the estimated work"), std::string::npos);
    // Left out, --array gives about 2 h of estimated work per task.
    req.time.clear();
    req.array = 0;
    const auto auto_n = nms::make_slurm_script(req);
    EXPECT_LE(auto_n.estimate_s, 7200.0);
    EXPECT_GT(auto_n.estimate_s, 3600.0);
}

// Paths with spaces, quotes and $ reach sbatch's messages and nmsweep intact.
TEST(slurm, odd_paths_reach_nmsweep_intact) {
    const fs::path dir = scratch() / "a b'c$d\"e", bins = scratch() / "bin";
    fs::create_directories(dir);
    fs::create_directories(bins);
    put(bins / "sbatch", "#!/usr/bin/env bash\ncat > /dev/null\necho 7\n", true);
    // nmsweep: each argument on a line of its own.
    put(dir / "fake nmsweep", "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > args\nexit 0\n", true);
    std::string toml_out;
    for (char c : (dir / "out put.h5").string())
        toml_out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
    std::string text = slurp(data + "/cli/small_jr.toml");
    text.replace(text.find("path = \"small_jr.h5\""), std::string("path = \"small_jr.h5\"").size(),
                 "path = \"" + toml_out + "\"");
    put(dir / "my spec.toml", text);
    nms::slurm_request req;
    req.spec_path = (dir / "my spec.toml").string();
    req.exe_path = (dir / "fake nmsweep").string();
    req.script_path = (dir / "sub mit.sh").string();
    req.array = 2;
    req.overwrite = true;
    nms::write_slurm_script(req);
    EXPECT_EQ(shell(dir, "bash -n 'sub mit.sh'").code, 0);
    const std::string out = (dir / "out put.h5").string(), part0 = (dir / "out put.part0of2.h5").string(),
                      part1 = (dir / "out put.part1of2.h5").string();
    result r = shell(dir, "PATH=" + shq(bins.string()) + ":$PATH bash 'sub mit.sh'");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("merge job 7: into " + out + " when"), std::string::npos) << r.output;

    const auto jobs = job_scripts(slurp(dir / "sub mit.sh"));
    ASSERT_EQ(jobs.size(), 2u);
    put(dir / "task.sh", jobs[0]);
    put(dir / "merge.sh", jobs[1]);
    r = shell(dir, "SLURM_ARRAY_TASK_ID=1 bash task.sh");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(slurp(dir / "args")
                  .substr(0, 200)
                  .find("run\n" + req.spec_path + "\n-o\n" + out + "\n--shard\n1/2\n"),
              0u)
        << slurp(dir / "args");
    put(part0, "");
    put(part1, "");
    r = shell(dir, "bash merge.sh");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(slurp(dir / "args"),
              "merge\n--overwrite\n--threads\n8\n-q\n" + out + "\n" + part0 + "\n" + part1 + "\n");
}

TEST(slurm, mpi_is_one_job_of_k_ranks) {
    nms::slurm_request req;
    req.spec_path = local_spec("mpi.toml").string();
    req.mpi = 4;
    req.gpus = 1;
    if (!nms::mpi_built()) {
        EXPECT_THROW(nms::make_slurm_script(req), nms::input_error);
        GTEST_SKIP() << "this build has no MPI: --mpi is refused";
    }
    const auto s = nms::make_slurm_script(req);
    const auto jobs = job_scripts(s.text);
    ASSERT_EQ(jobs.size(), 1u) << s.text;
    EXPECT_NE(jobs[0].find("#SBATCH --ntasks=4\n"), std::string::npos);
    EXPECT_NE(jobs[0].find("#SBATCH --cpus-per-task=8\n"), std::string::npos);
    EXPECT_NE(jobs[0].find("#SBATCH --gpus-per-task=1\n"), std::string::npos);
    EXPECT_TRUE(std::regex_search(jobs[0], std::regex("#SBATCH --mem-per-cpu=[0-9]+M\n")));
    EXPECT_NE(jobs[0].find("mpirun -n 4 /"), std::string::npos);
    EXPECT_NE(jobs[0].find("--resume --checkpoint-minutes "), std::string::npos);
    EXPECT_NE(jobs[0].find("--threads 8 --backend cuda -q"), std::string::npos);
    EXPECT_NE(jobs[0].find("scontrol requeue \"$SLURM_JOB_ID\""), std::string::npos);
    EXPECT_EQ(jobs[0].find("--shard"), std::string::npos);
    EXPECT_EQ(s.text.find("--array"), std::string::npos);
    EXPECT_EQ(s.text.find("merge --"), std::string::npos);
    const fs::path p = scratch() / "mpi.sh";
    put(p, s.text);
    EXPECT_EQ(shell(scratch(), "bash -n mpi.sh").code, 0);
}

TEST(slurm, bad_input_exits_2_and_keeps_an_existing_script) {
    const fs::path dir = scratch();
    const std::string spec = local_spec("bad.toml").string();
    const fs::path script = dir / "s.sh";
    fs::remove(script);
    for (const std::string& args : {"--array 0", "--array -2", "--array 13", "--mpi 13", "--array 2 --mpi 2",
                                    "--time 2h", "--time 1:00", "--cpus-per-task 0", "--partition 'a b'"}) {
        const result r = sh("slurm " + spec + " -o " + script.string() + " " + args);
        EXPECT_EQ(r.code, 2) << args << ": " << r.output;
        EXPECT_FALSE(fs::exists(script)) << args;
    }
    EXPECT_NE(sh("slurm " + spec + " -o " + script.string() + " --array 13").output.find("more tasks than"),
              std::string::npos);
    EXPECT_EQ(sh("slurm " + dir.string() + "/missing.toml -o " + script.string()).code, 2);
    put(script, "mine\n");
    result r = sh("slurm " + spec + " -o " + script.string() + " --array 2");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("exists; --overwrite replaces it"), std::string::npos) << r.output;
    EXPECT_EQ(slurp(script), "mine\n");
    r = sh("slurm " + spec + " -o " + script.string() + " --array 2 --overwrite");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(slurp(script).find("tasks=${1:-0-1}"), std::string::npos);
}

TEST(slurm, time_formats) {
    EXPECT_EQ(nms::parse_slurm_time("90"), 90 * 60);
    EXPECT_EQ(nms::parse_slurm_time("5:30"), 5 * 60 + 30);
    EXPECT_EQ(nms::parse_slurm_time("2:00:00"), 7200);
    EXPECT_EQ(nms::parse_slurm_time("1-12"), 86400 + 12 * 3600);
    EXPECT_EQ(nms::parse_slurm_time("1-0:30"), 86400 + 1800);
    EXPECT_EQ(nms::parse_slurm_time("2-01:02:03"), 2 * 86400 + 3723);
    for (const char* bad : {"", "0", "2h", "1:2:3:4", "-1", "1-", "1-2:3:4:5", "a:00", ":30", "1 :00"})
        EXPECT_THROW(nms::parse_slurm_time(bad), nms::input_error) << bad;
    EXPECT_EQ(nms::format_slurm_time(7200), "2:00:00");
    EXPECT_EQ(nms::format_slurm_time(61), "0:01:01");
    EXPECT_EQ(nms::format_slurm_time(86400 + 3723), "1-01:02:03");
}
