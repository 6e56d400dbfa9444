// Reading result files: dataset and attribute helpers, and the plain-language
// description behind `nmsweep info`.
#include "nmsweep/io/h5_result.hpp"

#include "h5_common.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/isolated.hpp"
#include "undo_journal.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

namespace nms::h5 {

using namespace detail;

// ---------------------------------------------------------------- reading

std::vector<double> read_dataset(const std::string& path, const std::string& name,
                                 std::vector<std::size_t>* shape) {
    handle f = open_read(path);
    handle ds = open_dataset(f, path, name);
    check_numeric_type(ds, path, normalise(name));
    auto dims = dataset_dims(ds, path, normalise(name));
    std::vector<double> out(static_cast<std::size_t>(product(dims)));
    if (!out.empty())
        check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), path,
              "cannot read '/" + normalise(name) + "'");
    if (shape) shape->assign(dims.begin(), dims.end());
    return out;
}

std::string read_string_attr(const std::string& path, const std::string& object, const std::string& key) {
    handle f = open_read(path);
    handle o = open_object(f, path, object);
    return attr_string(o, key, path, where_str(object));
}

std::vector<std::string> read_strings_attr(const std::string& path, const std::string& object,
                                           const std::string& key) {
    handle f = open_read(path);
    handle o = open_object(f, path, object);
    return get_attr(o, key, path, where_str(object)).strings;
}

double read_number_attr(const std::string& path, const std::string& object, const std::string& key) {
    handle f = open_read(path);
    handle o = open_object(f, path, object);
    return attr_number(o, key, path, where_str(object));
}

std::vector<double> read_numbers_attr(const std::string& path, const std::string& object,
                                      const std::string& key) {
    handle f = open_read(path);
    handle o = open_object(f, path, object);
    const attr_value v = get_attr(o, key, path, where_str(object));
    if (v.kind == attr_value::real) return v.reals;
    if (v.kind == attr_value::integer) return {v.ints.begin(), v.ints.end()};
    throw input_error(path + ": attribute '" + key + "' of " + where_str(object) + " is not numeric");
}

std::vector<std::string> dimension_names(const std::string& path, const std::string& name) {
    handle f = open_read(path);
    handle ds = open_dataset(f, path, name);
    return dim_names_of(ds, dataset_dims(ds, path, normalise(name)).size());
}

// ---------------------------------------------------------------- describe

namespace {

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string list_values(const std::vector<double>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + num(v[i]);
    return s;
}

std::string describe_values(const std::vector<double>& v) {
    if (v.empty()) return "no values";
    if (v.size() == 1) return "1 value: " + num(v[0]);
    std::string s = std::to_string(v.size()) + " values";
    if (v.size() <= 6) return s + ": " + list_values(v);
    double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    s += " from " + num(v.front()) + " to " + num(v.back());
    double step = (v.back() - v.front()) / double(v.size() - 1);
    bool even = true, geom = v.front() > 0;
    for (std::size_t i = 1; i < v.size(); ++i) {
        if (std::abs((v[i] - v[i - 1]) - step) > 1e-9 * std::max(std::abs(hi), std::abs(lo)) + 1e-300)
            even = false;
        if (!(v[i] > 0) || std::abs(v[i] / v[i - 1] - v[1] / v[0]) > 1e-9) geom = false;
    }
    if (even)
        s += ", evenly spaced (step " + num(step) + ")";
    else if (geom)
        s += ", log-spaced (ratio " + num(v[1] / v[0]) + ")";
    return s;
}

std::string attr_text(const attr_value& v) {
    std::string s;
    auto open = v.scalar ? "" : "[", close = v.scalar ? "" : "]";
    s += open;
    switch (v.kind) {
    case attr_value::text:
        for (std::size_t i = 0; i < v.strings.size(); ++i) s += (i ? ", " : "") + v.strings[i];
        break;
    case attr_value::integer:
        for (std::size_t i = 0; i < v.ints.size(); ++i) s += (i ? ", " : "") + std::to_string(v.ints[i]);
        break;
    case attr_value::real:
        for (std::size_t i = 0; i < v.reals.size(); ++i) s += (i ? ", " : "") + num(v.reals[i]);
        break;
    default:
        return "(a value of a type not shown here)";
    }
    return s + close;
}

struct attr_list_ctx {
    std::vector<std::string> names;
};
herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* data) {
    static_cast<attr_list_ctx*>(data)->names.emplace_back(name);
    return 0;
}
std::vector<std::string> attr_names(hid_t obj) {
    attr_list_ctx ctx;
    hsize_t idx = 0;
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &ctx);
    H5Eclear2(H5E_DEFAULT);
    return ctx.names;
}

struct link_list_ctx {
    std::vector<std::string> names;
};
herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* data) {
    static_cast<link_list_ctx*>(data)->names.emplace_back(name);
    return 0;
}

// All datasets below `group` (depth first, by name).
// A damaged file may link a group into itself: each object is visited
// once (by address), and no deeper than 32 groups.
void walk(hid_t file, const std::string& group, std::vector<std::string>& out, std::set<haddr_t>& seen,
          int depth = 0) {
    if (depth > 32) return;
    handle g(H5Gopen2(file, group.empty() ? "/" : abs_path(group).c_str(), H5P_DEFAULT), H5Gclose);
    if (!g) return;
    H5O_info_t gi;
    if (H5Oget_info2(g, &gi, H5O_INFO_BASIC) < 0 || !seen.insert(gi.addr).second) return;
    link_list_ctx ctx;
    hsize_t idx = 0;
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_link, &ctx);
    for (auto& n : ctx.names) {
        std::string p = join(group, n);
        handle o(H5Oopen(file, abs_path(p).c_str(), H5P_DEFAULT), H5Oclose);
        if (!o) continue;
        H5I_type_t t = H5Iget_type(o);
        if (t == H5I_GROUP)
            walk(file, p, out, seen, depth + 1);
        else if (t == H5I_DATASET)
            out.push_back(p);
    }
    H5Eclear2(H5E_DEFAULT);
}

std::string type_name(hid_t ds) {
    handle t(H5Dget_type(ds), H5Tclose);
    if (!t) return "?";
    std::size_t sz = H5Tget_size(t);
    switch (H5Tget_class(t)) {
    case H5T_FLOAT:
        return sz == 4 ? "float32" : "float64";
    case H5T_INTEGER:
        return std::string(H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(8 * sz);
    case H5T_STRING:
        return "string";
    default:
        return "other";
    }
}

// The axes named by the root's "axes" attribute, with their values and units.
std::vector<axis_desc> read_axes(hid_t f, const std::string& path) {
    std::vector<axis_desc> axes;
    if (has_attr(f, "axes")) {
        for (auto& n : get_attr(f, "axes", path, "the root group").strings) {
            axis_desc a;
            a.name = n;
            std::string norm = "axes/" + n;
            if (exists(f, norm)) {
                handle ds = open_dataset(f, path, norm);
                auto d = dataset_dims(ds, path, norm);
                a.values.resize(static_cast<std::size_t>(product(d)));
                check_numeric_type(ds, path, norm);
                if (!a.values.empty())
                    H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data());
                if (has_attr(ds, "units")) a.unit = attr_string(ds, "units", path, "'/" + norm + "'");
            }
            axes.push_back(std::move(a));
        }
    }
    return axes;
}

// Done and diverged points, and the state line of our own files.
void describe_progress(hid_t f, const std::string& path, bool ours, std::size_t& n_points,
                       std::ostringstream& o) {
    auto root_has = [&](const char* k) { return has_attr(f, k); };
    std::size_t done = 0, diverged = 0;
    bool have_done = exists(f, "status/done");
    if (have_done) {
        handle ds = open_dataset(f, path, "status/done");
        std::vector<std::uint8_t> m(static_cast<std::size_t>(product(dataset_dims(ds, path, "status/done"))));
        if (!m.empty()) H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data());
        std::vector<long long> dv;
        if (exists(f, "status/diverged_step")) {
            handle dd = open_dataset(f, path, "status/diverged_step");
            dv.resize(static_cast<std::size_t>(product(dataset_dims(dd, path, "status/diverged_step"))));
            if (!dv.empty()) H5Dread(dd, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, dv.data());
        }
        for (std::size_t i = 0; i < m.size(); ++i) {
            if (!m[i]) continue;
            ++done;
            if (i < dv.size() && dv[i] >= 0) ++diverged;
        }
        n_points = m.size();
    }
    H5Eclear2(H5E_DEFAULT);
    if (ours) {
        bool complete = root_has("complete") && attr_number(f, "complete", path, "the root group") != 0;
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.1f%%", n_points ? 100.0 * double(done) / double(n_points) : 0.0);
        if (root_has("shard")) { // a part of a campaign: its range counts
            const auto first = std::size_t(attr_number(f, "shard_first", path, "the root group"));
            const auto end = std::size_t(attr_number(f, "shard_end", path, "the root group"));
            o << "Part: shard " << attr_string(f, "shard", path, "the root group")
              << " of a campaign, points " << first << " .. " << end - 1 << " of the grid's " << n_points
              << " (`nmsweep merge RESULT.h5 PARTS...` joins the parts).\n";
            o << "State: " << (complete ? "complete" : "INCOMPLETE (stopped or still running)") << "; "
              << done << " of its " << end - first << " points finished.\n";
        } else if (complete)
            o << "State: complete; " << done << " of " << n_points << " parameter points finished.\n";
        else
            o << "State: INCOMPLETE (the run stopped or is still running); " << done << " of " << n_points
              << " parameter points finished (" << pct << "). Resuming the run fills in the rest.\n";
        if (have_done) {
            if (diverged)
                o << "Diverged: " << diverged << " of the " << done
                  << " finished points blew up numerically (see /status/diverged_step for the step); their "
                     "features are not meaningful.\n";
            else if (done)
                o << "Diverged: none of the finished points.\n";
        }
    }
}

// An axis of labelled values (an ez axis's hypotheses, a lesion axis's
// lesions): how many, the first few.
void describe_axis_labels(hid_t f, const std::string& path, const std::string& name, std::ostringstream& o) {
    const std::string norm = "axes/" + name;
    if (!exists(f, norm)) return;
    handle ds = open_dataset(f, path, norm);
    const bool lesions = exists(f, "lesions/" + name + "/removed");
    if (!has_attr(ds, "parameter") && !lesions) return;
    if (lesions)
        o << "    lesions of the network";
    else
        o << "    hypotheses of " << attr_string(ds, "parameter", path, "'/" + norm + "'");
    if (has_attr(ds, "labels")) {
        const auto labels = get_attr(ds, "labels", path, "'/" + norm + "'").strings;
        const std::size_t show = labels.size() <= 6 ? labels.size() : 5;
        o << ": ";
        for (std::size_t i = 0; i < show; ++i) o << (i ? ", " : "") << labels[i];
        if (show < labels.size()) o << ", ... , " << labels.back();
    }
    o << " (/" << (lesions ? "lesions/" : "hypotheses/") << name << ")\n";
}

// The points that agree best with observed seizure onsets (seizure maps'
// ranking), per space that has one.
void describe_rankings(hid_t f, const std::string& path, std::ostringstream& o) {
    std::vector<std::string> names;
    std::set<haddr_t> seen;
    walk(f, "", names, seen);
    const std::string tail = "seizure/ranking/score";
    for (const auto& n : names) {
        if (n.size() < tail.size() || n.compare(n.size() - tail.size(), tail.size(), tail) != 0) continue;
        const std::string g = n.substr(0, n.size() - 6); // ".../ranking"
        handle ds = open_dataset(f, path, n);
        check_numeric_type(ds, path, n);
        std::vector<double> score(std::size_t(product(dataset_dims(ds, path, n))));
        if (!score.empty())
            check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, score.data()), path,
                  "cannot read '/" + n + "'");
        handle grp = open_object(f, path, g);
        std::vector<std::string> labels;
        if (has_attr(grp, "labels")) labels = get_attr(grp, "labels", path, "'/" + g + "'").strings;
        o << "Seizure onsets: the " << score.size() << " points that agree best with "
          << (has_attr(grp, "observed") ? attr_string(grp, "observed", path, "'/" + g + "'")
                                        : std::string("the recording"))
          << " (/" << g << "):\n";
        for (std::size_t r = 0; r < score.size(); ++r)
            o << "  " << r + 1 << ". score " << num(score[r]) << "  " << (r < labels.size() ? labels[r] : "")
              << "\n";
    }
}

// The grid's axes and the network's nodes.
void describe_grid(hid_t f, const std::string& path, const std::vector<axis_desc>& axes, std::size_t n_points,
                   std::ostringstream& o) {
    if (!axes.empty()) {
        o << "Grid: " << n_points << " parameter points = ";
        for (std::size_t i = 0; i < axes.size(); ++i) o << (i ? " x " : "") << axes[i].values.size();
        o << " (" << (axes.size() == 1 ? "one axis" : "axes in storage order, the first varies slowest")
          << "):\n";
        for (auto& a : axes) {
            o << "  " << a.name << " [" << (a.unit.empty() ? "no unit" : a.unit)
              << "]: " << describe_values(a.values) << "\n";
            describe_axis_labels(f, path, a.name, o);
        }
    }
    if (exists(f, "axes/node")) {
        handle ds = open_dataset(f, path, "axes/node");
        auto d = dataset_dims(ds, path, "axes/node");
        o << "Nodes: " << product(d) << " regions";
        if (has_attr(ds, "labels")) {
            auto labels = get_attr(ds, "labels", path, "'/axes/node'").strings;
            o << ": ";
            std::size_t show = labels.size() <= 10 ? labels.size() : 8;
            for (std::size_t i = 0; i < show; ++i) o << (i ? ", " : "") << labels[i];
            if (show < labels.size()) o << ", ... , " << labels.back();
        }
        o << "\n";
    }
}

// Every dataset but the coordinates already described.
void describe_datasets(hid_t f, const std::string& path, const std::vector<axis_desc>& axes,
                       std::ostringstream& o) {
    std::vector<std::string> names;
    std::set<haddr_t> seen;
    walk(f, "", names, seen);
    o << "Data (name, type, shape, dimensions, units, meaning):\n";
    for (auto& n : names) {
        if (n.rfind("axes/", 0) == 0) continue;
        handle ds = open_dataset(f, path, n);
        bool scale = H5DSis_scale(ds) > 0;
        H5Eclear2(H5E_DEFAULT);
        std::string leaf = leaf_of(n);
        if (scale && (leaf == "node" ||
                      std::any_of(axes.begin(), axes.end(), [&](auto& a) { return a.name == leaf; })))
            continue;
        auto dims = dataset_dims(ds, path, n);
        o << "  /" << n << "  " << type_name(ds) << "  " << shape_str(dims);
        auto dn = dim_names_of(ds, dims.size());
        if (!dims.empty() && !scale) {
            o << "  (";
            for (std::size_t i = 0; i < dn.size(); ++i) o << (i ? ", " : "") << (dn[i].empty() ? "?" : dn[i]);
            o << ")";
        }
        if (has_attr(ds, "units")) {
            std::string u = attr_string(ds, "units", path, "'/" + n + "'");
            if (!u.empty()) o << "  [" << u << "]";
        }
        if (scale) {
            check_numeric_type(ds, path, n);
            std::vector<double> v(static_cast<std::size_t>(product(dims)));
            if (!v.empty()) H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
            o << "  coordinate: " << describe_values(v);
        }
        if (has_attr(ds, "description")) o << "  - " << attr_string(ds, "description", path, "'/" + n + "'");
        o << "\n";
    }
}

// The fixed parameters' group.
void describe_parameters(hid_t f, const std::string& path, std::ostringstream& o) {
    if (exists(f, "parameters")) {
        handle g = open_object(f, path, "parameters");
        std::vector<std::string> keys;
        for (auto& k : attr_names(g))
            if (k != "description" && (k.size() < 6 || k.compare(k.size() - 6, 6, ".units") != 0))
                keys.push_back(k);
        if (!keys.empty()) {
            o << "Fixed parameters:\n";
            for (auto& k : keys) {
                o << "  " << k << " = " << attr_text(get_attr(g, k, path, "'/parameters'"));
                if (has_attr(g, k + ".units"))
                    o << " " << attr_string(g, k + ".units", path, "'/parameters'");
                o << "\n";
            }
        }
    }
}

// Provenance: every other root attribute; multi-line text last.
void describe_provenance(hid_t f, const std::string& path, bool ours, std::ostringstream& o) {
    std::vector<std::pair<std::string, std::string>> long_text;
    bool header = false;
    for (auto& k : attr_names(f)) {
        if (ours && (k == "format" || k == "format_version" || k == "complete" || k == "axes" ||
                     k == "model" || k == "coupling"))
            continue;
        attr_value v = get_attr(f, k, path, "the root group");
        std::string t = attr_text(v);
        if (v.kind == attr_value::text && t.find('\n') != std::string::npos) {
            long_text.emplace_back(k, t);
            continue;
        }
        if (!header) o << "Provenance and other attributes:\n";
        header = true;
        o << "  " << k << ": " << t << "\n";
    }
    for (auto& [k, t] : long_text) {
        o << k << ":\n";
        std::istringstream in(t);
        std::string line;
        while (std::getline(in, line)) o << "  | " << line << "\n";
    }
}

} // namespace

std::string describe_in_process(const std::string& path) {
    handle f = open_read(path);
    std::ostringstream o;
    auto root_has = [&](const char* k) { return has_attr(f, k); };
    bool ours = root_has("format") && attr_string(f, "format", path, "the root group") == format_name;
    if (!ours) {
        o << path << ": an HDF5 file, but not an nmsweep result (no format=\"" << format_name
          << "\" attribute); its contents:\n";
    } else {
        long ver =
            root_has("format_version") ? long(attr_number(f, "format_version", path, "the root group")) : 0;
        o << path << ": an nmsweep sweep result (format version " << ver << ").\n";
    }
    const std::vector<axis_desc> axes = read_axes(f, path);
    std::size_t n_points = 1;
    for (auto& a : axes) n_points *= a.values.size();
    describe_progress(f, path, ours, n_points, o);
    for (const char* k : {"model", "coupling"})
        if (root_has(k))
            o << (k[0] == 'm' ? "Model: " : "Coupling: ") << attr_text(get_attr(f, k, path, "/")) << "\n";
    describe_grid(f, path, axes, n_points, o);
    describe_datasets(f, path, axes, o);
    describe_rankings(f, path, o);
    describe_parameters(f, path, o);
    describe_provenance(f, path, ours, o);
    return o.str();
}

// Every attribute of the root and of every dataset, and every dataset's
// values, read as the writer and the readers read them (integers as int64,
// flags as uint8, the rest as double): what --resume will touch.
static std::string read_through_in_process(const std::string& path) {
    handle f = open_read(path);
    std::vector<std::string> names;
    std::set<haddr_t> seen;
    walk(f, "", names, seen);
    const auto size = std::filesystem::file_size(path);
    auto attrs = [&](hid_t obj, const std::string& where) {
        for (auto& k : attr_names(obj)) get_attr(obj, k, path, where);
    };
    attrs(f, "the root group");
    for (auto& n : names) {
        handle ds = open_dataset(f, path, n);
        attrs(ds, "'/" + n + "'");
        double count = 1;
        for (auto d : dataset_dims(ds, path, n)) count *= double(d);
        if (count > double(size)) fail(path, "'/" + n + "' claims more values than the file holds");
        handle t(H5Dget_type(ds), H5Tclose);
        const H5T_class_t cls = t ? H5Tget_class(t) : H5T_NO_CLASS;
        if (cls != H5T_INTEGER && cls != H5T_FLOAT) continue; // strings: read by their attributes' readers
        // As double (read_all, plots) and, integers, as int64 or uint8 flags:
        // a damaged datatype may crash one conversion and not another.
        std::vector<double> v(static_cast<std::size_t>(count));
        std::vector<long long> iv(cls == H5T_INTEGER ? v.size() : 0);
        const hid_t as_int = H5Tget_size(t) == 1 ? H5T_NATIVE_UINT8 : H5T_NATIVE_LLONG;
        if (v.empty()) continue;
        check_numeric_type(ds, path, n);
        check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), path,
              "cannot read '/" + n + "'");
        if (!iv.empty())
            check(H5Dread(ds, as_int, H5S_ALL, H5S_ALL, H5P_DEFAULT, iv.data()), path,
                  "cannot read '/" + n + "'");
    }
    return "";
}

std::string describe(const std::string& path) {
    std::error_code ec;
    // The end of a run killed while finishing is undone by --resume, not here:
    // until then the file may not open.
    const std::string journal = path + ".partial";
    if (std::filesystem::exists(path, ec) && std::filesystem::exists(journal, ec) && is_undo_journal(journal))
        return path +
               ": an nmsweep result whose run was stopped while writing its final results (maps, "
               "totals); every point is finished. `nmsweep run SPEC --resume -o " +
               path + "` restores the file from " + journal + " and finishes it.\n";
    return run_isolated([&] { return describe_in_process(path); }, path, damaged_read_deadline(path));
}

void read_through(const std::string& path) {
    run_isolated([&] { return read_through_in_process(path); }, path, damaged_read_deadline(path));
}

std::vector<double> read_input_dataset(const std::string& path, const std::string& name,
                                       std::vector<std::size_t>* shape) {
    const std::string bytes = read_input_file(path, "HDF5 data file");
    // Parsed in a child (a damaged file may crash HDF5), from the very bytes
    // that were read and hashed: [rank][dims...][values], native u64/doubles.
    const std::string packed = run_isolated(
        [&] {
            quiet();
            handle f(H5LTopen_file_image(const_cast<char*>(bytes.data()), bytes.size(),
                                         H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE),
                     H5Fclose);
            if (!f) fail(path, "not a readable HDF5 file");
            handle ds = open_dataset(f, path, name);
            auto dims = dataset_dims(ds, path, normalise(name));
            double n = 1;
            for (auto d : dims) n *= double(d);
            if (n > double(bytes.size())) // a value takes at least one byte of the file
                throw input_error(path + ": dataset '" + name + "' claims " + std::to_string(n) +
                                  " values, more than the file can hold");
            std::vector<double> v(static_cast<std::size_t>(n));
            check_numeric_type(ds, path, name);
            if (!v.empty())
                check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), path,
                      "cannot read '" + name + "'");
            std::string out;
            const std::uint64_t rank = dims.size();
            out.append(reinterpret_cast<const char*>(&rank), 8);
            for (std::uint64_t d : dims) out.append(reinterpret_cast<const char*>(&d), 8);
            out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
            return out;
        },
        path);
    std::uint64_t rank = 0;
    std::memcpy(&rank, packed.data(), 8);
    std::vector<std::size_t> dims(rank);
    std::size_t n = 1;
    for (std::size_t k = 0; k < rank; ++k) {
        std::uint64_t d;
        std::memcpy(&d, packed.data() + 8 + 8 * k, 8);
        dims[k] = std::size_t(d);
        n *= dims[k];
    }
    std::vector<double> out(n);
    std::memcpy(out.data(), packed.data() + 8 + 8 * rank, n * sizeof(double));
    if (shape) *shape = dims;
    return out;
}

} // namespace nms::h5
