#include "nmsweep/observe/leadfield.hpp"

#include "nmsweep/io/text_table.hpp"

#include "nmsweep/core/error.hpp"
#include "nmsweep/core/noise.hpp"
#include "nmsweep/io/input_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace nms::observe {

namespace {

std::string fmt(double x) {
    std::ostringstream os;
    os.precision(10);
    os << x;
    return os.str();
}

std::string where(const std::string& path, long line) { return path + ":" + std::to_string(line) + ": "; }

// Fields of a line split on spaces, tabs, commas and semicolons, after
// stripping a '#' comment and a trailing '\r'.
std::vector<std::string> fields(std::string line) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    std::vector<std::string> out;
    std::string cur;
    for (char ch : line) {
        if (ch == ' ' || ch == '\t' || ch == ',' || ch == ';' || ch == '\r' || ch == '\n') {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += ch;
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

bool parse_number(const std::string& s, double& x) {
    errno = 0;
    char* end = nullptr;
    x = std::strtod(s.c_str(), &end);
    return end && *end == '\0' && end != s.c_str() && errno != ERANGE && std::isfinite(x);
}

double norm(const vec3& a) { return std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

} // namespace

sensor_set read_sensors(const std::string& path) {
    return parse_sensors(read_input_file(path, "sensor file"), path);
}

sensor_set parse_sensors(const std::string& text, const std::string& path) {
    std::istringstream f(text);
    sensor_set s;
    s.source = path;
    std::string line;
    long ln = 0;
    std::size_t width = 0;
    long first_line = 0;
    std::map<std::string, long> seen;
    static const char* names[] = {"x", "y", "z", "ox", "oy", "oz"};
    while (std::getline(f, line)) {
        ++ln;
        const auto fl = fields(line);
        if (fl.empty()) continue;
        if (fl.size() != 4 && fl.size() != 7)
            throw input_error(where(path, ln) +
                              "expected 'name x y z' (EEG, SEEG) or 'name x y z ox oy oz' (MEG), got " +
                              std::to_string(fl.size()) + " fields");
        if (width == 0) {
            width = fl.size();
            first_line = ln;
        } else if (fl.size() != width) {
            throw input_error(where(path, ln) + std::to_string(fl.size()) + " fields, but line " +
                              std::to_string(first_line) + " has " + std::to_string(width));
        }
        double v[6] = {0, 0, 0, 0, 0, 0};
        for (std::size_t k = 1; k < fl.size(); ++k)
            if (!parse_number(fl[k], v[k - 1]))
                throw input_error(where(path, ln) + "'" + fl[k] + "' is not a finite number (" +
                                  names[k - 1] + " of sensor '" + fl[0] + "')");
        if (auto it = seen.find(fl[0]); it != seen.end())
            throw input_error(where(path, ln) + "sensor '" + fl[0] + "' already defined on line " +
                              std::to_string(it->second));
        seen[fl[0]] = ln;
        s.labels.push_back(fl[0]);
        s.positions.push_back({v[0], v[1], v[2]});
        if (width == 7) s.orientations.push_back({v[3], v[4], v[5]});
    }
    if (s.labels.empty()) throw input_error(path + ": no sensors");
    return s;
}

namespace {

gain_matrix read_npy(const std::string& path) {
    gain_matrix g;
    g.values = read_npy_matrix(path, "gain matrix (sensors x regions)", &g.n_sensors, &g.n_regions);
    g.source = path;
    return g;
}

} // namespace

gain_matrix parse_gain_text(const std::string& text, const std::string& path) {
    std::istringstream f(text);
    gain_matrix g;
    g.source = path;
    std::string line;
    long ln = 0, first_line = 0;
    bool labelled = false;
    while (std::getline(f, line)) {
        ++ln;
        auto fl = fields(line);
        if (fl.empty()) continue;
        double x;
        const bool has_label = !parse_number(fl[0], x);
        if (g.n_sensors == 0) {
            labelled = has_label;
            g.n_regions = fl.size() - (labelled ? 1 : 0);
            first_line = ln;
            if (g.n_regions == 0) throw input_error(where(path, ln) + "a sensor label but no gains");
        } else if (has_label != labelled) {
            throw input_error(
                where(path, ln) +
                (labelled ? "no sensor label, but line " : "'" + fl[0] + "' is not a number (and line ") +
                std::to_string(first_line) + (labelled ? " has one" : " has no sensor label)"));
        }
        const std::size_t off = labelled ? 1 : 0;
        if (fl.size() - off != g.n_regions)
            throw input_error(where(path, ln) + std::to_string(fl.size() - off) + " values, but line " +
                              std::to_string(first_line) + " has " + std::to_string(g.n_regions));
        if (labelled) g.sensor_labels.push_back(fl[0]);
        for (std::size_t k = off; k < fl.size(); ++k) {
            if (!parse_number(fl[k], x))
                throw input_error(where(path, ln) + "'" + fl[k] + "' is not a finite number (column " +
                                  std::to_string(k - off + 1) + ")");
            g.values.push_back(x);
        }
        ++g.n_sensors;
    }
    if (g.n_sensors == 0) throw input_error(path + ": no gain values");
    return g;
}

gain_matrix read_gain_matrix(const std::string& path, std::size_t expect_regions) {
    const bool npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
    gain_matrix g = npy ? read_npy(path) : parse_gain_text(read_input_file(path, "gain matrix file"), path);
    if (expect_regions > 0 && g.n_regions != expect_regions)
        throw input_error(path + ": the gain matrix has " + std::to_string(g.n_regions) +
                          " columns (regions), but the network has " + std::to_string(expect_regions) +
                          " nodes");
    return g;
}

gain_matrix compute_gain(const sensor_set& sensors, const std::vector<vec3>& centres,
                         const gain_options& opt) {
    const std::size_t S = sensors.size(), R = centres.size();
    const std::string src = sensors.source.empty() ? "sensors" : sensors.source;
    if (R == 0) throw input_error("gain: no region centres (the connectome has none)");
    if (opt.kind != "dipole" && opt.kind != "magnetic_dipole" && opt.kind != "inverse_square")
        throw input_error("gain: kind '" + opt.kind +
                          "' (expected dipole, magnetic_dipole or inverse_square)");
    if (opt.kind == "dipole" && !(opt.sigma > 0))
        throw input_error("gain: sigma = " + fmt(opt.sigma) + " S/m must be > 0");
    if (opt.kind == "magnetic_dipole" && sensors.orientations.size() != S)
        throw input_error(src + ": magnetic_dipole gain needs sensor orientations ('name x y z ox oy oz')");
    if (!opt.orientations.empty() && opt.orientations.size() != R)
        throw input_error("gain: " + std::to_string(opt.orientations.size()) + " region orientations for " +
                          std::to_string(R) + " regions");
    if (!opt.region_weights.empty() && opt.region_weights.size() != R)
        throw input_error("gain: " + std::to_string(opt.region_weights.size()) + " region weights for " +
                          std::to_string(R) + " regions");

    // Dipole orientations: given (normalised) or radial from the centre of mass.
    std::vector<vec3> p(R);
    if (opt.kind != "inverse_square") {
        vec3 com{0, 0, 0};
        for (const auto& c : centres)
            for (int d = 0; d < 3; ++d) com[d] += c[d] / double(R);
        for (std::size_t r = 0; r < R; ++r) {
            vec3 u = opt.orientations.empty()
                         ? vec3{centres[r][0] - com[0], centres[r][1] - com[1], centres[r][2] - com[2]}
                         : opt.orientations[r];
            const double n = norm(u);
            if (!(n > 1e-9 * (1 + norm(centres[r]))))
                throw input_error(opt.orientations.empty()
                                      ? "gain: region " + std::to_string(r) +
                                            " lies at the centre of mass of the centres, so it has no radial "
                                            "direction: give region orientations"
                                      : "gain: orientation of region " + std::to_string(r) + " is zero");
            for (int d = 0; d < 3; ++d) p[r][d] = u[d] / n;
        }
    }

    gain_matrix g;
    g.n_sensors = S;
    g.n_regions = R;
    g.sensor_labels = sensors.labels;
    g.source = "computed (" + opt.kind + ") from " + src;
    g.values.resize(S * R);
    const double mm = 1e-3; // mm -> m
    if (opt.kind == "dipole")
        g.units = "V/(A m)";
    else if (opt.kind == "magnetic_dipole")
        g.units = "T/(A m)";
    else
        g.units = "1/mm^2";
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t r = 0; r < R; ++r) {
            const auto& x = sensors.positions[s];
            const vec3 a{x[0] - centres[r][0], x[1] - centres[r][1], x[2] - centres[r][2]}; // mm
            const double d = norm(a);
            if (!(d > 0))
                throw input_error(src + ": sensor '" + sensors.labels[s] + "' lies at the centre of region " +
                                  std::to_string(r) + " (infinite gain)");
            double v;
            if (opt.kind == "inverse_square") {
                v = (opt.region_weights.empty() ? 1.0 : opt.region_weights[r]) / (d * d);
            } else if (opt.kind == "dipole") {
                const double pa = p[r][0] * a[0] + p[r][1] * a[1] + p[r][2] * a[2];
                v = pa * mm / (4 * nms::pi * opt.sigma * std::pow(d * mm, 3));
            } else {
                const vec3 c{p[r][1] * a[2] - p[r][2] * a[1], p[r][2] * a[0] - p[r][0] * a[2],
                             p[r][0] * a[1] - p[r][1] * a[0]}; // p x a
                const auto& o = sensors.orientations[s];
                const double co = c[0] * o[0] + c[1] * o[1] + c[2] * o[2];
                v = 1e-7 * co * mm / std::pow(d * mm, 3); // mu0 / 4 pi = 1e-7 T m / A
            }
            g.values[s * R + r] = v;
        }
    return g;
}

void rereference(gain_matrix& g, const std::string& reference) {
    const std::size_t S = g.n_sensors, R = g.n_regions;
    std::vector<double> ref(R, 0.0);
    if (reference == "average") {
        for (std::size_t s = 0; s < S; ++s)
            for (std::size_t r = 0; r < R; ++r) ref[r] += g.values[s * R + r] / double(S);
    } else {
        const auto it = std::find(g.sensor_labels.begin(), g.sensor_labels.end(), reference);
        if (it == g.sensor_labels.end())
            throw input_error("reference '" + reference + "': no such sensor" +
                              (g.sensor_labels.empty() ? " (the gain matrix has no sensor labels)" : "") +
                              " (expected 'average' or a sensor label)");
        const std::size_t k = std::size_t(it - g.sensor_labels.begin());
        std::copy(g.values.begin() + long(k * R), g.values.begin() + long((k + 1) * R), ref.begin());
    }
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t r = 0; r < R; ++r) g.values[s * R + r] -= ref[r];
}

obs_block project(const gain_matrix& g, const obs_block& in, std::vector<double>& obs_buf,
                  std::vector<double>& net_buf, const projection_noise& noise, std::size_t instance_offset) {
    const std::size_t S = g.n_sensors, R = g.n_regions, L = std::size_t(in.lanes);
    if (std::size_t(in.n_nodes) != R)
        throw input_error("projection: the gain matrix has " + std::to_string(R) + " regions, the network " +
                          std::to_string(in.n_nodes) + " nodes");
    obs_buf.assign(S * L, 0.0);
    net_buf.assign(L, 0.0);
    const std::size_t V = std::size_t(in.n_valid);
    for (std::size_t s = 0; s < S; ++s) {
        double* out = &obs_buf[s * L];
        const double* row = &g.values[s * R];
        for (std::size_t r = 0; r < R; ++r) {
            const double w = row[r];
            if (w == 0) continue;
            const double* x = &in.obs[r * L];
            for (std::size_t l = 0; l < V; ++l) out[l] += w * x[l];
        }
        if (noise.sigma > 0)
            for (std::size_t l = 0; l < V; ++l)
                out[l] +=
                    noise.sigma * normal<double>(noise.seed, std::uint32_t(instance_offset + in.first + l),
                                                 std::uint32_t(s), projection_noise::noise_stream_var,
                                                 std::uint32_t(in.step));
        for (std::size_t l = 0; l < V; ++l) net_buf[l] += out[l] / double(S);
    }
    return obs_block{in.step, in.first, in.lanes, in.n_valid, int(S), obs_buf.data(), net_buf.data()};
}

projected_reducer::projected_reducer(gain_matrix gain, std::unique_ptr<reducer> inner, projection_options opt)
    : gain_(std::move(gain)), inner_(std::move(inner)), opt_(std::move(opt)) {
    if (!inner_) throw input_error("projection: no reducer to run in sensor space");
    if (gain_.n_sensors == 0 || gain_.n_regions == 0 ||
        gain_.values.size() != gain_.n_sensors * gain_.n_regions)
        throw input_error("projection: empty or malformed gain matrix" +
                          (gain_.source.empty() ? std::string() : " (" + gain_.source + ")"));
    if (!(opt_.noise.sigma >= 0) || !std::isfinite(opt_.noise.sigma))
        throw input_error("projection: noise sigma = " + fmt(opt_.noise.sigma) + " must be >= 0");
}

void projected_reducer::reset(std::size_t n_instances, int n_nodes) {
    if (std::size_t(n_nodes) != gain_.n_regions)
        throw input_error((gain_.source.empty() ? std::string("gain matrix") : gain_.source) + ": " +
                          std::to_string(gain_.n_regions) + " regions (columns), but the network has " +
                          std::to_string(n_nodes) + " nodes");
    inner_->reset(n_instances, int(gain_.n_sensors));
}

void projected_reducer::accumulate(const obs_block& b) {
    thread_local std::vector<double> obs, net;
    inner_->accumulate(project(gain_, b, obs, net, opt_.noise, offset_));
}

std::vector<reducer_output> projected_reducer::outputs() const {
    auto outs = inner_->outputs();
    for (auto& o : outs) {
        for (auto& d : o.extra_dims) {
            if (d == "node")
                d = "sensor";
            else if (d == "node_j")
                d = "sensor_j";
        }
        if (!opt_.group.empty()) {
            const auto slash = o.name.find('/');
            o.name = opt_.group + "/" + (slash == std::string::npos ? o.name : o.name.substr(slash + 1));
        }
        o.description = "sensor space (" + std::to_string(gain_.n_sensors) + " sensors" +
                        (gain_.source.empty() ? std::string() : ", gain " + gain_.source) +
                        "; 'network' = mean over sensors): " + o.description;
    }
    return outs;
}

void projected_reducer::result(std::size_t k, std::size_t i, double* out) const { inner_->result(k, i, out); }

std::size_t projected_reducer::bytes_per_instance(int) const {
    return inner_->bytes_per_instance(int(gain_.n_sensors));
}

bool projected_reducer::takes_sensors(sensor_params& p) const {
    if (!inner_->takes_channels(p.requests)) return false;
    p.gain = gain_.values;
    p.n_sensors = long(gain_.n_sensors);
    p.noise_sigma = opt_.noise.sigma;
    p.noise_seed = opt_.noise.seed;
    p.noise_var = projection_noise::noise_stream_var;
    p.instance_offset = offset_;
    return true;
}

std::unique_ptr<projected_reducer> make_projected_reducer(gain_matrix gain, std::unique_ptr<reducer> inner,
                                                          projection_options opt) {
    return std::make_unique<projected_reducer>(std::move(gain), std::move(inner), std::move(opt));
}

} // namespace nms::observe
