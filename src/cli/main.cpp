// nmsweep command line: run, merge, simulate, check, info, models, plot.
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/models/registry.hpp"
#include "nmsweep/sweep/continuation_run.hpp"
#include "nmsweep/sweep/control_run.hpp"
#include "nmsweep/sweep/driver.hpp"
#include "nmsweep/sweep/fit_run.hpp"
#include "nmsweep/sweep/infer_run.hpp"
#include "nmsweep/sweep/mpi_run.hpp"
#include "nmsweep/sweep/shard.hpp"
#include "slurm_command.hpp"

#include <CLI/CLI.hpp>
#include <hdf5.h>

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace {

void print_model(const nms::model_info& m, bool full) {
    std::printf("%s", m.name.c_str());
    if (!m.tvb_name.empty()) std::printf("  (TVB: %s)", m.tvb_name.c_str());
    std::printf("\n  state: ");
    for (std::size_t i = 0; i < m.states.size(); ++i) std::printf("%s%s", i ? ", " : "", m.states[i].name);
    std::printf("   coupling variables: ");
    for (std::size_t i = 0; i < m.cvar.size(); ++i)
        std::printf("%s%s", i ? ", " : "", m.states[m.cvar[i]].name);
    std::printf("   observable: %s\n", m.observable.c_str());
    if (!full) return;
    std::printf("  parameters:\n");
    for (const auto& p : m.params) std::printf("    %-12s %12g %-8s %s\n", p.name, p.value, p.unit, p.doc);
    std::printf("  initial state (default), TVB's range, random starts' box%s:\n",
                m.rest_state ? " (random alone: the rest curve, README)" : "");
    for (const auto& s : m.states)
        std::printf("    %-12s %12g   [%g, %g]   [%g, %g]\n", s.name, s.initial, s.lo, s.hi,
                    std::isnan(s.start_lo) ? s.lo : s.start_lo, std::isnan(s.start_lo) ? s.hi : s.start_hi);
    if (!m.presets.empty()) {
        std::printf("  presets:\n");
        for (const auto* p : m.presets) {
            std::printf("    %-12s %s:", p->name, p->doc);
            for (const auto& v : p->values) std::printf(" %s=%g", v.name, v.value);
            std::printf("\n");
        }
    }
    if (m.seizure)
        std::printf(
            "  seizure detector ([output.seizure] defaults): measure %s, window %g ms, on %g, off %g\n"
            "    (%s)\n",
            m.seizure->measure, m.seizure->window_ms, m.seizure->on, m.seizure->off, m.seizure->why);
    std::printf("  reference: %s\n", m.reference.c_str());
}

// `nmsweep plot ...`: replaces this process with python3 running
// nmsweep_plot.py from the folder of this executable (CMake copies it there),
// passing the arguments on. The script says what it needs (matplotlib, h5py,
// numpy) when they are missing.
int exec_plot(const std::vector<std::string>& args) {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path script = exe.parent_path() / "nmsweep_plot.py";
    if (ec || !std::filesystem::exists(script)) {
        std::fprintf(
            stderr,
            "nmsweep: error: plot: %s not found next to the nmsweep executable (rebuild or reinstall)\n",
            script.string().c_str());
        return 2;
    }
    // A damaged file crashes HDF5 (also inside h5py): read it once safely here.
    if (!args.empty() && args[0].size() && args[0][0] != '-' &&
        std::filesystem::is_regular_file(args[0], ec)) {
        try {
            nms::h5::describe(args[0]);
        } catch (const nms::input_error& e) {
            std::fprintf(stderr, "nmsweep: error: plot: %s\n", e.what());
            return 2;
        }
    }
    std::vector<std::string> all{"python3", script.string()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : all) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::fflush(stdout);
    execvp("python3", cargv.data());
    std::fprintf(
        stderr,
        "nmsweep: error: plot needs python3 with matplotlib, h5py and numpy (cannot run python3: %s); "
        "install them (cmake/setup-debian.sh does) and retry\n",
        std::strerror(errno));
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    // HDF5: no library clean-up at exit (after a failed write it crashes
    // closing the file again; every result is made durable explicitly
    // before, see h5_result.hpp), and no HDF5 file locks, whatever the
    // environment says: nmsweep holds its own (they would clash).
    H5dont_atexit();
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
    CLI::App app{"nmsweep: parameter sweeps of neural mass network models"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(NMS_VERSION));

    nms::sweep_request req;
    auto add_common = [&](CLI::App* c) {
        c->add_option("spec", req.spec_path, "sweep spec (TOML)")->required();
        c->add_option("-o,--output", req.output, "result file (overrides [output] path)");
        c->add_option("--backend", req.backend, "cpu, cuda or auto")
            ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
        // More threads than cores only adds contention; the bound keeps a typo
        // (40000) from exhausting the OpenMP runtime.
        const int max_threads = std::max(64, 8 * omp_get_num_procs());
        c->add_option("--threads", req.threads, "CPU threads (default: all cores)")
            ->check(CLI::Range(1, max_threads));
        c->add_option("--devices", req.devices, "CUDA devices to use, e.g. 0,1 (default: all visible)")
            ->delimiter(',');
        c->add_option("--gpu-mapping", req.gpu_mapping,
                      "CUDA threads per instance: instance (one), node (one per node), auto (by the device "
                      "and batch size)")
            ->check(CLI::IsMember({"auto", "instance", "node"}));
        c->add_option("--precision", req.precision, "float or double")
            ->check(CLI::IsMember({"float", "double"}));
        c->add_flag("--overwrite", req.overwrite, "replace an existing result file");
        c->add_flag("-q,--quiet", req.quiet, "no progress output");
    };
    auto* run = app.add_subcommand("run", "run a sweep: every grid point, features into one HDF5 file");
    add_common(run);
    run->add_flag("--resume", req.resume, "continue an interrupted run in its result file");
    run->add_option("--batch-size", req.batch_size, "instances per batch (default: automatic)");
    run->add_option("--shard", req.shard,
                    "I/N: run shard I (0 .. N-1) of N into the part file <out>.part<I>of<N>.h5 (default: the "
                    "task of a Slurm job array, else the whole grid)");
    run->add_option("--checkpoint-minutes", req.checkpoint_minutes,
                    "the longest a batch may run: the work a stop or kill can lose (default 10; 0: no bound)")
        ->check(CLI::Range(0.0, 1e6));
    run->add_option("--stop-after-batches", req.stop_after_batches,
                    "testing: stop as if killed after N batches")
        ->group("");
    long every = 1;
    auto* sim =
        app.add_subcommand("simulate", "one parameter point, full time series of all state variables");
    add_common(sim);
    sim->add_option("--every", every, "keep every N-th step (default 1)");
    sim->add_option("--point", req.point, "grid point to simulate (flat index, C order; default 0)");
    std::string merged;
    std::vector<std::string> parts;
    auto* merge = app.add_subcommand(
        "merge", "merge the parts of a campaign (shards, incomplete results) into one result file");
    merge->add_option("out", merged, "the merged result file (HDF5)")->required();
    merge->add_option("parts", parts, "part files, or folders of *.part<I>of<N>.h5 files")->required();
    merge->add_option("--spec", req.spec_path, "the spec (default: the path recorded in the parts)");
    merge->add_option("--threads", req.threads, "CPU threads for the attractor refinement, if any");
    merge->add_flag("--overwrite", req.overwrite, "replace an existing merged file");
    merge->add_flag("-q,--quiet", req.quiet, "no progress output");
    std::string file;
    auto* cont = app.add_subcommand(
        "continue", "continue the equilibria of the network in [continuation] param (folds, Hopf points; "
                    "with param2 their curves) into one HDF5 file");
    cont->add_option("spec", req.spec_path, "sweep spec (TOML) with a [continuation] section")->required();
    cont->add_option("-o,--output", req.output, "result file (default: <output path>.continuation.h5)");
    long cont_point = 0;
    cont->add_option("--point", cont_point, "grid point whose parameters start it (flat index; default 0)");
    cont->add_flag("--overwrite", req.overwrite, "replace an existing result file");
    cont->add_flag("-q,--quiet", req.quiet, "no report of the special points");
    auto* ctl = app.add_subcommand(
        "control",
        "the input on [control] regions that drives the network to a target at least cost (adjoint "
        "gradients); HDF5, waveform files and the [[stimulus]] tables that replay it");
    ctl->add_option("spec", req.spec_path, "sweep spec (TOML) with a [control] section")->required();
    ctl->add_option("-o,--output", req.output, "result file (default: <output path>.control.h5)");
    long ctl_point = 0;
    ctl->add_option("--point", ctl_point, "grid point whose network is controlled (flat index; default 0)");
    ctl->add_flag("--overwrite", req.overwrite, "replace existing output files");
    ctl->add_flag("-q,--quiet", req.quiet, "no report");
    auto* fit = app.add_subcommand(
        "fit", "the [[fit.parameter]] values that bring the features closest to [[fit.target]] (pagmo2 "
               "optimisers, a generation per batch); HDF5 history and the best values as [[sweep]] tables");
    fit->add_option("spec", req.spec_path, "sweep spec (TOML) with a [fit] section")->required();
    fit->add_option("-o,--output", req.output, "result file (default: <output path>.fit.h5)");
    fit->add_option("--threads", req.threads, "CPU threads (default: all cores)");
    fit->add_option("--precision", req.precision, "float | double (default: the spec's)");
    fit->add_flag("--resume", req.resume, "continue an interrupted fit from its journal (OUT.fit-journal)");
    fit->add_option("--stop-after-batches", req.stop_after_batches,
                    "testing: stop as if killed after N batches")
        ->group("");
    fit->add_flag("--overwrite", req.overwrite, "replace existing output files (and an old journal)");
    fit->add_flag("-q,--quiet", req.quiet, "no report");
    nms::infer_request inf;
    auto* infer = app.add_subcommand(
        "infer",
        "the posterior over a finished run's points given observed summaries (synthetic likelihood over "
        "noise-seed replicates, or a Gaussian noise model): marginals, credible intervals, log evidence");
    infer->add_option("result", inf.result, "a complete result file (HDF5)")->required();
    infer->add_option("--target", inf.targets,
                      "FEATURE=FILE or FEATURE=v1,v2,...: observed values of a feature");
    infer->add_option("--targets", inf.targets_file, "a file of FEATURE=VALUES lines ('#' comments)");
    infer->add_option("--sigma", inf.sigmas, "FEATURE=S: a Gaussian noise model of sd S on that feature");
    infer->add_option("--replicates", inf.replicates,
                      "the axis of noise seeds (default: noise.seed if present)");
    infer->add_option("--shrinkage", inf.shrinkage,
                      "of the covariance towards its diagonal, in [0, 1] (default 0)");
    infer->add_option("--level", inf.level, "credible intervals (default 0.9)");
    infer->add_option("-o,--output", inf.output, "posterior file (default: <result>.infer.h5)");
    infer->add_flag("--overwrite", inf.overwrite, "replace an existing posterior file");
    infer->add_flag("-q,--quiet", inf.quiet, "no report");
    auto* check = app.add_subcommand("check", "validate a spec; print grid size, memory and time estimates");
    check->add_option("spec", req.spec_path, "sweep spec (TOML)")->required();
    std::vector<std::string> info_files;
    auto* info =
        app.add_subcommand("info", "describe a result file, or a campaign's files (parts, a folder of them)");
    info->add_option("file", info_files,
                     "result file (HDF5); several files or a folder: the campaign's state")
        ->required();
    std::string model_name;
    auto* models = app.add_subcommand("models", "list models with their variables, parameters and defaults");
    models->add_option("name", model_name, "one model, in full");
    auto* plot =
        app.add_subcommand("plot", "PNG plots of a result: nmsweep plot OUT.h5 WHAT [options] -o FILE.png "
                                   "(WHAT: map, classes, bifurcation, spectrum, sync, fc; "
                                   "`nmsweep plot -h` for the options)");
    plot->prefix_command();
    plot->set_help_flag();
    plot->allow_extras();
    nms::slurm_request slurm_req;
    auto* slurm = nms::add_slurm_command(app, slurm_req);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every bad option is bad input (2).
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (*plot) return exec_plot(plot->remaining());
    if (*run || *merge) nms::catch_stop_signals();
    try {
        if (*run && nms::mpi_launched()) return nms::run_sweep_mpi(req);
        if (*run)
            nms::run_sweep(req);
        else if (*merge)
            return nms::merge_results(merged, parts, req) ? 0 : nms::exit_incomplete;
        else if (*sim)
            nms::simulate_point(req, every);
        else if (*cont)
            nms::run_continuation(req, cont_point);
        else if (*ctl)
            nms::run_control(req, ctl_point);
        else if (*fit)
            nms::run_fit(req);
        else if (*infer)
            nms::run_infer(inf);
        else if (*check)
            std::cout << nms::check_spec(req.spec_path);
        else if (*info)
            std::cout << (info_files.size() == 1 && !std::filesystem::is_directory(info_files[0])
                              ? nms::h5::describe(info_files[0])
                              : nms::describe_campaign(info_files));
        else if (*slurm)
            std::cout << nms::write_slurm_script(slurm_req);
        else if (*models) {
            if (!model_name.empty())
                print_model(nms::find_model(model_name), true);
            else
                for (const auto& m : nms::all_model_infos()) print_model(m, false);
        }
    } catch (const nms::input_error& e) {
        std::fprintf(stderr, "nmsweep: error: %s\n", e.what());
        return 2;
    } catch (const nms::interrupted& e) {
        std::fprintf(stderr, "nmsweep: %s\n", e.what());
        return nms::exit_interrupted;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr,
                     "nmsweep: error: out of memory; use a smaller --batch-size or grid, or a machine with "
                     "more memory (finished points are kept: --resume continues)\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nmsweep: internal error: %s\n", e.what());
        return 3;
    }
    return 0;
}
