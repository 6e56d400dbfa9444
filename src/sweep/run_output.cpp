#include "run_output.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/noise.hpp"
#include "nmsweep/engine/prepared.hpp"
#include "nmsweep/io/file_ops.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#ifndef NMS_VERSION
#define NMS_VERSION "unknown"
#endif
#ifndef NMS_GIT_REVISION
#define NMS_GIT_REVISION "unknown"
#endif

namespace nms {

namespace fs = std::filesystem;

run_identity identity_of(const sweep_spec& s, const std::string& precision,
                         const std::vector<input_record>& inputs) {
    run_identity id;
    id.precision = precision.empty() ? s.precision : precision;
    id.noise_stream = std::string("philox4x32-10 v") + std::to_string(noise_stream_version);
    for (const auto& f : inputs) {
        std::error_code ec;
        const fs::path abs = fs::absolute(f.path, ec);
        id.input_digests += f.sha256 + "  " + (ec ? f.path : abs.lexically_normal().string()) + "\n";
    }
    return id;
}

void check_output_path(const std::string& out, const sweep_spec& s, const std::vector<input_record>& inputs) {
    const std::string where = where_of_key(s, "output.path");
    if (out.empty()) throw input_error(where + ": the output path is empty");
    std::error_code ec;
    const fs::path p(out);
    if (out.back() == '/' || fs::is_directory(p, ec))
        throw input_error(where + ": the output path '" + out + "' is a folder; give a file name (e.g. " +
                          (p / "result.h5").lexically_normal().string() + ")");
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    if (!fs::is_directory(dir, ec))
        throw input_error(where + ": the folder '" + dir.string() + "' of the output path does not exist");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw input_error(where + ": cannot write in the folder '" + dir.string() + "' of the output path (" +
                          std::strerror(errno) + ")");
    if (same_file(out, s.path))
        throw input_error(where + ": the output path '" + out + "' is the spec itself; choose another path");
    for (const auto& f : inputs)
        if (same_file(out, f.path))
            throw input_error(where + ": the output path '" + out + "' is an input file of the run (" +
                              f.path + "); choose another path");
}

namespace {

// The same spec text, precision, noise stream and input file contents as
// the run recorded in `file` (attr: its root attributes); `verb` and `fix`
// make the message.
template <class Attr>
void check_same_run(const std::string& file, const std::string& verb, Attr attr, const sweep_spec& s,
                    const run_identity& id, const std::string& fix) {
    if (attr("spec") != s.text)
        throw input_error(file + ": " + verb + ": the result was made from a different spec than " + s.path +
                          fix);
    if (attr("precision") != id.precision)
        throw input_error(file + ": " + verb + ": the result was computed in " + attr("precision") +
                          " precision, this run would use " + id.precision + " (give --precision " +
                          attr("precision") + ")" + fix);
    if (attr("noise_stream") != id.noise_stream)
        throw input_error(file + ": " + verb + ": the result used the noise stream " + attr("noise_stream") +
                          ", this nmsweep generates " + id.noise_stream + fix);
    const std::string old = attr("input_sha256");
    if (old != id.input_digests) {
        std::string what;
        std::istringstream b(id.input_digests);
        for (std::string x, y; std::getline(b, y);) {
            bool same = false;
            std::istringstream a2(old);
            while (std::getline(a2, x)) same = same || x == y;
            if (!same) what += "\n  now:    " + y;
        }
        throw input_error(file + ": " + verb +
                          ": the input files differ from those the result was made from (SHA-256  file):" +
                          what + "\n  recorded:\n" + old + "restore the inputs" + fix);
    }
}

} // namespace

void check_resumable(const h5::result_writer& w, const sweep_spec& s, const run_identity& id) {
    auto attr = [&](const char* key) { return w.string_attr("", key, "(none recorded)"); };
    check_same_run(w.path(), "--resume", attr, s, id,
                   "; run without --resume (and with --overwrite) to start again");
}

void check_recorded_run(const std::string& part, const std::string& verb, const sweep_spec& s,
                        const run_identity& id) {
    auto attr = [&](const char* key) {
        try {
            return h5::read_string_attr(part, "", key);
        } catch (const input_error&) {
            return std::string("(none recorded)");
        }
    };
    check_same_run(part, verb, attr, s, id,
                   verb == "merge"
                       ? "; merge only the parts of one run (its spec, precision and inputs as they were)"
                       : "; run without --resume (and with --overwrite) to start again");
}

void write_provenance(h5::result_writer& w, const sweep_spec& s, const connectome& net,
                      const sweep_request& r, const run_identity& id, const std::string& backend,
                      int threads) {
    w.set_attr("", "model", s.model);
    w.set_attr("", "coupling", s.coupling);
    w.set_attr("", "spec", s.text);
    w.set_attr("", "spec_sha256", sha256_hex(s.text));
    w.set_attr("", "spec_path", std::filesystem::absolute(s.path).string());
    w.set_attr("", "connectome", net.source);
    w.set_attr("", "observable", s.observable);
    w.set_attr("", "nmsweep_version", std::string(NMS_VERSION));
    w.set_attr("", "git_revision", std::string(NMS_GIT_REVISION));
    w.set_attr("", "backend", backend);
    w.set_attr("", "precision", id.precision);
    w.set_attr("", "input_sha256", id.input_digests);
    w.set_attr("", "threads", long(threads));
    if (backend == "cuda") {
        const auto all = cuda_devices();
        std::vector<std::string> used;
        if (r.devices.empty())
            used = all;
        else
            for (int d : r.devices) used.push_back(std::to_string(d) + ": " + all.at(std::size_t(d)));
        w.set_attr("", "devices", used);
    }
    w.set_attr("", "noise_stream", id.noise_stream);
    w.set_attr("", "dt_ms", s.dt);
    w.set_attr("", "duration_ms", s.duration);
    w.set_attr("", "transient_ms", s.transient);
    w.set_attr("", "speed_mm_per_ms", s.speed);
    // The fixed parameter table: every model and coupling parameter of the
    // first point (swept ones vary; see /axes).
    batch b0 = make_batch(s, net, 0, 1);
    prepared P = prepare(b0);
    for (std::size_t k = 0; k < P.param_names.size(); ++k) {
        const field& f = P.params[k];
        if (f.k == field::kind::scalar) {
            std::string units;
            if (int(k) < P.np_model)
                units = P.model.params[k].unit;
            else if (int(k) < P.np_model + P.np_coupling)
                units = P.coupling.params[k - std::size_t(P.np_model)].unit;
            w.set_parameter(P.param_names[k], f.v[0], units);
        }
    }
}

std::vector<h5::axis_desc> result_axes(const sweep_spec& s) {
    // With a sampler, its "sample" axis (0 .. n-1) leads the grid axes.
    std::vector<h5::axis_desc> axes;
    for (const auto& a : s.axes) axes.push_back({a.name, a.unit, a.values});
    return axes;
}

namespace {

// The unit of a model.<p> or coupling.<p> parameter.
std::string unit_of(const sweep_spec& s, const std::string& key) {
    const model_info& m = find_model(s.model);
    const coupling_info ci = find_coupling(s.coupling, int(m.cvar.size()));
    const std::string bare = key.substr(key.find('.') + 1);
    for (const auto& p : key.rfind("model.", 0) == 0 ? m.params : ci.params)
        if (bare == p.name) return p.unit;
    return "";
}

} // namespace

void write_hypotheses(h5::result_writer& w, const sweep_spec& s, std::size_t n_nodes) {
    for (const auto& h : s.hypotheses) {
        const std::string ax = "axes/" + h.name, g = "hypotheses/" + h.name + "/";
        // (An attribute holds at most 64 KiB, 16 bytes per string here: past
        // that the mask names each zone.)
        const bool labelled = h.size() <= 4000;
        if (labelled) w.set_attr(ax, "labels", h.labels);
        w.set_attr(ax, "description",
                   "index of the epileptogenic-zone hypothesis that sets " + h.key + " (" +
                       (labelled ? "attribute labels: its regions joined by '+'; " : "") + g +
                       "mask and values)");
        w.set_attr(ax, "parameter", h.key);
        const std::size_t H = h.size();
        std::vector<long> mask(H * n_nodes, 0);
        std::vector<double> values(H * n_nodes);
        for (std::size_t k = 0; k < H; ++k) {
            for (std::size_t i : h.members[k]) mask[k * n_nodes + i] = 1;
            const auto v = h.vector_of(k);
            std::copy(v.begin(), v.end(), values.begin() + long(k * n_nodes));
        }
        w.write_array(
            g + "mask", {H, n_nodes}, mask.data(), {h.name, "node"}, {}, "",
            "1 where the node is in the hypothesis's epileptogenic zone (axis " + h.name + ")" +
                (h.rows.empty() ? "" : " (where its row differs from the row's most common value)"));
        w.write_array(g + "values", {H, n_nodes}, values.data(), {h.name, "node"}, {}, unit_of(s, h.key),
                      "the value of " + h.key + " at each node under each hypothesis");
        w.set_attr(g + "values", "parameter", h.key);
    }
}

namespace {

// The sum of the weights lesion k sets to 0 (its regions' rows and columns, its tracts).
double weight_removed(const lesion_axis& l, std::size_t k, const connectome& net) {
    std::vector<char> gone(net.n, 0);
    for (std::size_t i : l.removed[k]) gone[i] = 1;
    double x = 0;
    for (std::size_t i : l.removed[k])
        for (std::size_t j = 0; j < net.n; ++j) x += net.w(i, j) + (gone[j] ? 0.0 : net.w(j, i));
    for (const auto& [i, j] : l.cut[k]) x += net.w(i, j) + net.w(j, i);
    return x;
}

} // namespace

void write_lesions(h5::result_writer& w, const sweep_spec& s, const connectome& net) {
    const std::size_t n = net.n;
    double total = 0;
    for (double x : net.weights) total += x;
    for (const auto& l : s.lesions) {
        const std::string ax = "axes/" + l.name, g = "lesions/" + l.name + "/";
        const bool labelled = l.size() <= 4000; // (an attribute holds at most 64 KiB)
        if (labelled) w.set_attr(ax, "labels", l.labels);
        w.set_attr(
            ax, "description",
            "index of the lesion of the network (" +
                std::string(labelled ? "attribute labels: intact, -<removed region>, cut <a>--<b>; " : "") +
                g + "removed and cut)");
        const std::size_t L = l.size();
        std::vector<long> removed(L * n, 0), cut;
        std::vector<double> weight(L, 0.0);
        for (std::size_t k = 0; k < L; ++k) {
            for (std::size_t i : l.removed[k]) removed[k * n + i] = 1;
            for (const auto& [i, j] : l.cut[k]) cut.insert(cut.end(), {long(k), long(i), long(j)});
            weight[k] = total > 0 ? weight_removed(l, k, net) / total : 0.0;
        }
        w.write_array(
            g + "removed", {L, n}, removed.data(), {l.name, "node"}, {}, "",
            "1 where the lesion removes the node: its weights in and out are 0 (its own dynamics still "
            "run)");
        w.write_array(
            g + "cut", {cut.size() / 3, 3}, cut.data(), {"tract", "column"}, {}, "",
            "the tracts each lesion cuts (w_ij and w_ji set to 0), one per row: lesion index, node, "
            "node_j (node < node_j)");
        w.set_attr(g + "cut", "columns", std::vector<std::string>{l.name, "node", "node_j"});
        w.write_array(
            g + "removed_weight", {L}, weight.data(), {l.name}, {}, "",
            "the fraction of the network's total weight (after normalisation) the lesion sets to 0");
    }
}

std::string result_stem(const std::string& path) {
    const std::size_t n = path.size();
    return n > 3 && path.compare(n - 3, 3, ".h5") == 0 ? path.substr(0, n - 3) : path;
}

} // namespace nms
