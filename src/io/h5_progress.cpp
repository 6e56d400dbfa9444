// h5::read_progress: how far a result file (a part, a merged file) is, read
// in a child process (a damaged file cannot crash the caller).

#include "h5_common.hpp"
#include "nmsweep/core/error.hpp"
#include "nmsweep/io/h5_result.hpp"
#include "nmsweep/io/isolated.hpp"

#include <sys/stat.h>

#include <ctime>
#include <sstream>

namespace nms::h5 {

using namespace detail;

namespace {

// "2026-12-07T04:11:07Z" -> seconds since the epoch (0 when malformed).
double parse_iso(const std::string& t) {
    std::tm tm{};
    if (std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return double(timegm(&tm));
}

std::string progress_in_process(const std::string& path) {
    handle f = open_read(path);
    std::ostringstream o;
    auto text = [&](const char* k) {
        return has_attr(f, k) ? attr_string(f, k, path, "the root group") : "";
    };
    auto number = [&](const char* k) {
        return has_attr(f, k) ? attr_number(f, k, path, "the root group") : -1.0;
    };
    if (text("format") != format_name) fail(path, "not an nmsweep result (no format=\"nmsweep-result\")");
    handle ds = open_dataset(f, path, "status/done");
    std::vector<std::uint8_t> m(std::size_t(product(dataset_dims(ds, path, "status/done"))));
    if (!m.empty())
        check(H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data()), path,
              "cannot read /status/done");
    handle dd = open_dataset(f, path, "status/diverged_step");
    std::vector<long long> dv(m.size());
    if (!m.empty())
        check(H5Dread(dd, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, dv.data()), path,
              "cannot read /status/diverged_step");
    std::size_t done = 0, div = 0;
    o << "runs";
    for (std::size_t i = 0; i < m.size();) {
        if (!m[i]) {
            ++i;
            continue;
        }
        std::size_t j = i;
        for (; j < m.size() && m[j]; ++j) {
            ++done;
            div += dv[j] >= 0;
        }
        o << " " << i << " " << j;
        i = j;
    }
    o << "\npoints " << m.size() << "\ndone " << done << "\ndiverged " << div << "\ncomplete "
      << number("complete") << "\nfirst " << number("shard_first") << "\nend " << number("shard_end")
      << "\ncreated " << parse_iso(text("created")) << "\nfinished " << parse_iso(text("finished"))
      << "\nshard " << text("shard") << "\nspec_sha256 " << text("spec_sha256") << "\n";
    return o.str();
}

} // namespace

progress_record read_progress(const std::string& path) {
    const std::string t =
        run_isolated([&] { return progress_in_process(path); }, path, damaged_read_deadline(path));
    progress_record r;
    r.path = path;
    std::istringstream in(t);
    for (std::string key; in >> key;) {
        if (key == "runs") {
            std::string line;
            std::getline(in, line);
            std::istringstream l(line);
            for (std::size_t a, b; l >> a >> b;) r.runs.emplace_back(a, b);
        } else if (key == "shard" || key == "spec_sha256") {
            std::string v;
            std::getline(in, v);
            (key == "shard" ? r.shard : r.spec_sha256) = v.empty() ? "" : v.substr(1);
        } else {
            double v = 0;
            in >> v;
            if (key == "points") r.points = std::size_t(v);
            if (key == "done") r.done = std::size_t(v);
            if (key == "diverged") r.diverged = std::size_t(v);
            if (key == "complete") r.complete = v == 1;
            if (key == "first") r.first = v < 0 ? 0 : std::size_t(v);
            if (key == "end") r.end = v < 0 ? r.points : std::size_t(v);
            if (key == "created") r.created = v;
            if (key == "finished") r.finished = v;
        }
    }
    if (r.end == 0 || r.end > r.points) r.end = r.points;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) r.modified = double(st.st_mtime);
    return r;
}

} // namespace nms::h5
