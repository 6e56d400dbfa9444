#include "nmsweep/network/connectome.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/io/file_ops.hpp"
#include "nmsweep/io/input_file.hpp"
#include "nmsweep/io/text_table.hpp"

#include <zip.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace nms {

namespace fs = std::filesystem;

namespace {

std::vector<std::vector<double>> parse_matrix(const std::string& text, const std::string& what) {
    return parse_text_table(text, what);
}

std::vector<double> square(const std::vector<std::vector<double>>& rows, const std::string& what) {
    return square_matrix(rows, what);
}

void parse_centres(const std::string& text, const std::string& what, connectome& c) {
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        std::istringstream ls(line);
        std::string label;
        std::array<double, 3> xyz{};
        if (!(ls >> label)) continue;
        if (!(ls >> xyz[0] >> xyz[1] >> xyz[2]))
            throw input_error(what + ":" + std::to_string(lineno) + ": expected 'label x y z'");
        for (double x : xyz)
            if (!std::isfinite(x))
                throw input_error(what + ":" + std::to_string(lineno) + ": the centre of '" + label +
                                  "' is not finite");
        c.labels.push_back(label);
        c.centres.push_back(xyz);
    }
}

// Optional per-region table: one row of `cols` numbers per region.
std::vector<std::vector<double>> parse_region_rows(const std::string& in, const std::string& what,
                                                   std::size_t cols) {
    auto rows = parse_matrix(in, what);
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].size() != cols)
            throw input_error(what + ": row " + std::to_string(i + 1) + " has " +
                              std::to_string(rows[i].size()) + " values, expected " + std::to_string(cols));
    return rows;
}

void parse_orientations(const std::string& in, const std::string& what, connectome& c) {
    for (const auto& r : parse_region_rows(in, what, 3)) c.orientations.push_back({r[0], r[1], r[2]});
}

void parse_areas(const std::string& in, const std::string& what, connectome& c) {
    for (const auto& r : parse_region_rows(in, what, 1)) c.areas.push_back(r[0]);
}

std::string read_zip_entry(zip_t* z, const std::string& name, const std::string& path, bool required) {
    zip_int64_t idx = zip_name_locate(z, name.c_str(), ZIP_FL_NODIR);
    if (idx < 0) {
        if (required) throw input_error(path + ": the zip has no " + name);
        return {};
    }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, zip_uint64_t(idx), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        throw input_error(path + ": cannot read " + name + " from the zip (damaged archive)");
    // The size is what the archive claims: cap it before allocating.
    if (st.size > default_input_limit)
        throw input_error(path + ": " + name + " in the zip claims " + std::to_string(st.size) +
                          " bytes, more than the 1 GiB allowed");
    zip_file_t* f = zip_fopen_index(z, zip_uint64_t(idx), 0);
    if (!f) throw input_error(path + ": cannot read " + name + " from the zip (" + zip_strerror(z) + ")");
    std::string buf(st.size, '\0');
    zip_int64_t got = st.size ? zip_fread(f, buf.data(), st.size) : 0;
    char extra;
    const bool longer = got == zip_int64_t(st.size) && zip_fread(f, &extra, 1) > 0;
    zip_fclose(f);
    if (got != zip_int64_t(st.size) || longer)
        throw input_error(path + ": " + name + " in the zip is damaged (its size or checksum is wrong)");
    return buf;
}

} // namespace

weight_norm parse_weight_norm(const std::string& s) {
    if (s == "none" || s.empty()) return weight_norm::none;
    if (s == "max") return weight_norm::max;
    if (s == "row_sum" || s == "region") return weight_norm::row_sum;
    throw input_error("unknown weight normalisation '" + s + "' (expected none, max or row_sum)");
}

connectome load_tvb_zip(const std::string& path) {
    // The archive is read once (regular file, size cap, SHA-256 recorded) and
    // opened from memory.
    return load_tvb_zip_bytes(read_input_file(path, "connectome archive"), path);
}

connectome load_tvb_zip_bytes(const std::string& bytes, const std::string& path) {
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &zerr);
    zip_t* z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr) : nullptr;
    if (!z) {
        if (src) zip_source_free(src);
        const std::string why = zip_error_strerror(&zerr);
        zip_error_fini(&zerr);
        throw input_error(path + ": cannot open as a zip archive (" + why + ")");
    }
    zip_error_fini(&zerr);
    connectome c;
    try {
        const std::string w = read_zip_entry(z, "weights.txt", path, true);
        const std::string t = read_zip_entry(z, "tract_lengths.txt", path, true);
        c.weights = square(parse_matrix(w, path + ":weights.txt"), path + ":weights.txt");
        c.tract_lengths = square(parse_matrix(t, path + ":tract_lengths.txt"), path + ":tract_lengths.txt");
        std::string centres = read_zip_entry(z, "centres.txt", path, false);
        if (!centres.empty()) parse_centres(centres, path + ":centres.txt", c);
        std::string orient = read_zip_entry(z, "average_orientations.txt", path, false);
        if (!orient.empty()) parse_orientations(orient, path + ":average_orientations.txt", c);
        std::string areas = read_zip_entry(z, "areas.txt", path, false);
        if (!areas.empty()) parse_areas(areas, path + ":areas.txt", c);
    } catch (...) {
        zip_close(z);
        throw;
    }
    zip_close(z);
    c.n = std::size_t(std::lround(std::sqrt(double(c.weights.size()))));
    c.source = path;
    validate(c);
    return c;
}

connectome load_tvb_folder(const std::string& dir) {
    auto open = [&](const std::string& name) {
        return read_input_file((fs::path(dir) / name).string(), "connectome file");
    };
    connectome c;
    c.weights = square(parse_matrix(open("weights.txt"), dir + "/weights.txt"), dir + "/weights.txt");
    c.tract_lengths = square(parse_matrix(open("tract_lengths.txt"), dir + "/tract_lengths.txt"),
                             dir + "/tract_lengths.txt");
    std::error_code ec;
    if (fs::exists(fs::path(dir) / "centres.txt", ec))
        parse_centres(open("centres.txt"), dir + "/centres.txt", c);
    if (fs::exists(fs::path(dir) / "average_orientations.txt", ec))
        parse_orientations(open("average_orientations.txt"), dir + "/average_orientations.txt", c);
    if (fs::exists(fs::path(dir) / "areas.txt", ec)) parse_areas(open("areas.txt"), dir + "/areas.txt", c);
    c.n = std::size_t(std::lround(std::sqrt(double(c.weights.size()))));
    c.source = dir;
    validate(c);
    return c;
}

connectome load_matrix_pair(const std::string& wp, const std::string& lp) {
    connectome c;
    c.weights = square(parse_matrix(read_input_file(wp, "weights file"), wp), wp);
    c.tract_lengths = square(parse_matrix(read_input_file(lp, "tract-lengths file"), lp), lp);
    c.n = std::size_t(std::lround(std::sqrt(double(c.weights.size()))));
    c.source = wp + "," + lp;
    validate(c);
    return c;
}

connectome load_connectome(const std::string& spec) {
    if (spec.rfind("synthetic:", 0) == 0) {
        std::string rest = spec.substr(10);
        std::uint64_t seed = 42;
        auto colon = rest.find(':');
        try {
            if (colon != std::string::npos) {
                seed = std::stoull(rest.substr(colon + 1));
                rest.resize(colon);
            }
            std::size_t pos = 0;
            long n = std::stol(rest, &pos);
            if (pos != rest.size() || n < 1) throw std::invalid_argument("");
            if (n > long(max_synthetic_nodes))
                throw input_error("connectome '" + spec + "': at most " +
                                  std::to_string(max_synthetic_nodes) +
                                  " nodes in a synthetic connectome (its dense matrices would need " +
                                  human_bytes(16.0 * double(n) * double(n)) + ")");
            require_memory(16.0 * double(n) * double(n), "the synthetic connectome's weights and lengths");
            return synthetic_connectome(std::size_t(n), seed);
        } catch (const std::logic_error&) {
            throw input_error("connectome '" + spec +
                              "': expected synthetic:N or synthetic:N:SEED with N >= 1");
        }
    }
    auto comma = spec.find(',');
    if (comma != std::string::npos) return load_matrix_pair(spec.substr(0, comma), spec.substr(comma + 1));
    std::error_code ec;
    if (fs::is_directory(spec, ec)) return load_tvb_folder(spec);
    if (fs::exists(spec, ec)) return load_tvb_zip(spec); // refuses what is not a regular file
    throw input_error("connectome '" + spec +
                      "': no such file or folder (expected a TVB zip or folder, "
                      "'WEIGHTS,LENGTHS' matrix files, or synthetic:N)");
}

connectome synthetic_connectome(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    auto uniform = [&] { return double(gen() >> 11) * 0x1.0p-53; }; // portable, unlike std:: distributions
    connectome c;
    c.n = n;
    c.source = "synthetic:" + std::to_string(n) + ":" + std::to_string(seed);
    const double semi[3] = {70.0, 85.0, 60.0};
    for (std::size_t i = 0; i < n; ++i) {
        std::array<double, 3> p;
        do {
            for (int k = 0; k < 3; ++k) p[k] = (2 * uniform() - 1) * semi[k];
        } while ((p[0] / semi[0]) * (p[0] / semi[0]) + (p[1] / semi[1]) * (p[1] / semi[1]) +
                     (p[2] / semi[2]) * (p[2] / semi[2]) >
                 1.0);
        c.centres.push_back(p);
        c.labels.push_back("r" + std::to_string(i));
    }
    c.weights.assign(n * n, 0.0);
    c.tract_lengths.assign(n * n, 0.0);
    const double lambda = 40.0; // mm, decay length of the distance rule
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            if (i == j) continue;
            double d2 = 0;
            for (int k = 0; k < 3; ++k)
                d2 += (c.centres[i][k] - c.centres[j][k]) * (c.centres[i][k] - c.centres[j][k]);
            const double len = 1.2 * std::sqrt(d2);
            c.tract_lengths[i * n + j] = len;
            const double prob = 0.85 * std::exp(-len / lambda);
            const double u = uniform(), v = uniform();
            if (u < prob) c.weights[i * n + j] = std::exp(-len / lambda) * (0.5 + v);
        }
    // Tract lengths symmetric, as measured by tractography.
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) c.tract_lengths[j * n + i] = c.tract_lengths[i * n + j];
    normalise(c, weight_norm::max);
    return c;
}

void normalise(connectome& c, weight_norm how) {
    if (how == weight_norm::max) {
        double m = 0;
        for (double w : c.weights) m = std::max(m, w);
        if (m > 0)
            for (double& w : c.weights) w /= m;
    } else if (how == weight_norm::row_sum) {
        for (std::size_t i = 0; i < c.n; ++i) {
            double s = 0;
            for (std::size_t j = 0; j < c.n; ++j) s += c.weights[i * c.n + j];
            if (s > 0)
                for (std::size_t j = 0; j < c.n; ++j) c.weights[i * c.n + j] /= s;
        }
    }
}

void validate(const connectome& c) {
    const std::size_t n = c.n;
    if (c.weights.size() != n * n)
        throw input_error(c.source + ": weights has " + std::to_string(c.weights.size()) +
                          " entries, expected " + std::to_string(n) + "x" + std::to_string(n));
    if (c.tract_lengths.size() != n * n)
        throw input_error(c.source + ": tract_lengths is " +
                          std::to_string(std::lround(std::sqrt(double(c.tract_lengths.size())))) +
                          " regions but weights is " + std::to_string(n));
    auto check = [&](const std::vector<double>& m, const char* what) {
        for (std::size_t k = 0; k < m.size(); ++k)
            if (!std::isfinite(m[k]) || m[k] < 0) {
                std::ostringstream os;
                os << c.source << ": " << what << "[" << k / n << "][" << k % n << "] = " << m[k]
                   << " (must be finite and >= 0)";
                throw input_error(os.str());
            }
    };
    check(c.weights, "weights");
    check(c.tract_lengths, "tract_lengths");
    if (!c.centres.empty() && c.centres.size() != n)
        throw input_error(c.source + ": centres has " + std::to_string(c.centres.size()) +
                          " regions, weights " + std::to_string(n));
    if (!c.orientations.empty() && c.orientations.size() != n)
        throw input_error(c.source + ": average_orientations has " + std::to_string(c.orientations.size()) +
                          " regions, weights " + std::to_string(n));
    if (!c.areas.empty() && c.areas.size() != n)
        throw input_error(c.source + ": areas has " + std::to_string(c.areas.size()) + " regions, weights " +
                          std::to_string(n));
}

void write_tvb_folder(const connectome& c, const std::string& dir) {
    fs::create_directories(dir);
    auto write = [&](const char* name, const std::vector<double>& m) {
        std::ofstream f(fs::path(dir) / name);
        f.precision(17);
        for (std::size_t i = 0; i < c.n; ++i) {
            for (std::size_t j = 0; j < c.n; ++j) f << (j ? " " : "") << m[i * c.n + j];
            f << "\n";
        }
    };
    write("weights.txt", c.weights);
    write("tract_lengths.txt", c.tract_lengths);
    if (!c.centres.empty()) {
        std::ofstream f(fs::path(dir) / "centres.txt");
        f.precision(17);
        for (std::size_t i = 0; i < c.n; ++i)
            f << c.labels[i] << " " << c.centres[i][0] << " " << c.centres[i][1] << " " << c.centres[i][2]
              << "\n";
    }
}

} // namespace nms
