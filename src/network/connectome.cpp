#include "nmsweep/network/connectome.hpp"

#include "nmsweep/core/error.hpp"
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

std::vector<std::vector<double>> parse_matrix(std::istream& in, const std::string& what) {
    return parse_text_table(in, what);
}

std::vector<double> square(const std::vector<std::vector<double>>& rows, const std::string& what) {
    return square_matrix(rows, what);
}

void parse_centres(std::istream& in, const std::string& what, connectome& c) {
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
        c.labels.push_back(label);
        c.centres.push_back(xyz);
    }
}

// Optional per-region table: one row of `cols` numbers per region.
std::vector<std::vector<double>> parse_region_rows(std::istream& in, const std::string& what,
                                                   std::size_t cols) {
    auto rows = parse_matrix(in, what);
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i].size() != cols)
            throw input_error(what + ": row " + std::to_string(i + 1) + " has " +
                              std::to_string(rows[i].size()) + " values, expected " + std::to_string(cols));
    return rows;
}

void parse_orientations(std::istream& in, const std::string& what, connectome& c) {
    for (const auto& r : parse_region_rows(in, what, 3)) c.orientations.push_back({r[0], r[1], r[2]});
}

void parse_areas(std::istream& in, const std::string& what, connectome& c) {
    for (const auto& r : parse_region_rows(in, what, 1)) c.areas.push_back(r[0]);
}

std::string read_zip_entry(zip_t* z, const std::string& name, const std::string& path, bool required) {
    zip_int64_t idx = zip_name_locate(z, name.c_str(), ZIP_FL_NODIR);
    if (idx < 0) {
        if (required) throw input_error(path + ": the zip has no " + name);
        return {};
    }
    zip_stat_t st;
    zip_stat_index(z, idx, 0, &st);
    zip_file_t* f = zip_fopen_index(z, idx, 0);
    if (!f) throw input_error(path + ": cannot read " + name + " from the zip");
    std::string buf(st.size, '\0');
    zip_int64_t got = zip_fread(f, buf.data(), st.size);
    zip_fclose(f);
    if (got != zip_int64_t(st.size)) throw input_error(path + ": truncated " + name + " in the zip");
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
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
    if (!z) throw input_error(path + ": cannot open as a zip archive");
    connectome c;
    try {
        std::istringstream w(read_zip_entry(z, "weights.txt", path, true));
        std::istringstream t(read_zip_entry(z, "tract_lengths.txt", path, true));
        c.weights = square(parse_matrix(w, path + ":weights.txt"), path + ":weights.txt");
        c.tract_lengths = square(parse_matrix(t, path + ":tract_lengths.txt"), path + ":tract_lengths.txt");
        std::string centres = read_zip_entry(z, "centres.txt", path, false);
        if (!centres.empty()) {
            std::istringstream cs(centres);
            parse_centres(cs, path + ":centres.txt", c);
        }
        std::string orient = read_zip_entry(z, "average_orientations.txt", path, false);
        if (!orient.empty()) {
            std::istringstream os(orient);
            parse_orientations(os, path + ":average_orientations.txt", c);
        }
        std::string areas = read_zip_entry(z, "areas.txt", path, false);
        if (!areas.empty()) {
            std::istringstream as(areas);
            parse_areas(as, path + ":areas.txt", c);
        }
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
        std::ifstream f(fs::path(dir) / name);
        if (!f) throw input_error(dir + ": no readable " + name);
        return f;
    };
    connectome c;
    {
        auto w = open("weights.txt");
        c.weights = square(parse_matrix(w, dir + "/weights.txt"), dir + "/weights.txt");
        auto t = open("tract_lengths.txt");
        c.tract_lengths = square(parse_matrix(t, dir + "/tract_lengths.txt"), dir + "/tract_lengths.txt");
    }
    if (fs::exists(fs::path(dir) / "centres.txt")) {
        auto cs = open("centres.txt");
        parse_centres(cs, dir + "/centres.txt", c);
    }
    if (fs::exists(fs::path(dir) / "average_orientations.txt")) {
        auto os = open("average_orientations.txt");
        parse_orientations(os, dir + "/average_orientations.txt", c);
    }
    if (fs::exists(fs::path(dir) / "areas.txt")) {
        auto as = open("areas.txt");
        parse_areas(as, dir + "/areas.txt", c);
    }
    c.n = std::size_t(std::lround(std::sqrt(double(c.weights.size()))));
    c.source = dir;
    validate(c);
    return c;
}

connectome load_matrix_pair(const std::string& wp, const std::string& lp) {
    std::ifstream w(wp), l(lp);
    if (!w) throw input_error(wp + ": cannot open weights file");
    if (!l) throw input_error(lp + ": cannot open tract-lengths file");
    connectome c;
    c.weights = square(parse_matrix(w, wp), wp);
    c.tract_lengths = square(parse_matrix(l, lp), lp);
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
            return synthetic_connectome(std::size_t(n), seed);
        } catch (const std::logic_error&) {
            throw input_error("connectome '" + spec +
                              "': expected synthetic:N or synthetic:N:SEED with N >= 1");
        }
    }
    auto comma = spec.find(',');
    if (comma != std::string::npos) return load_matrix_pair(spec.substr(0, comma), spec.substr(comma + 1));
    if (fs::is_directory(spec)) return load_tvb_folder(spec);
    if (fs::is_regular_file(spec)) return load_tvb_zip(spec);
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
