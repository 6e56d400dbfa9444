// Bisection of attractor boundaries between grid cells (refine.hpp).
#include "nmsweep/sweep/refine.hpp"

#include <algorithm>
#include <stdexcept>

namespace nms {

namespace {

struct bracket {
    std::size_t axis;
    std::vector<double> base; // coordinates; base[axis] is replaced by lo, hi
    double lo, hi;
    attractor_signature s_lo, s_hi;
};

// Brackets between neighbouring grid cells of different signature.
std::vector<bracket> initial_brackets(const std::vector<std::vector<double>>& axes,
                                      const std::vector<attractor_signature>& grid,
                                      const std::vector<bool>& categorical) {
    const std::size_t d = axes.size();
    std::size_t n = 1;
    for (const auto& a : axes) n *= a.size();
    if (grid.size() != n) throw std::invalid_argument("refine_boundaries: signatures do not match the axes");
    std::vector<std::size_t> stride(d, 1);
    for (std::size_t a = d; a-- > 1;) stride[a - 1] = stride[a] * axes[a].size();
    std::vector<bracket> out;
    for (std::size_t p = 0; p < n; ++p) {
        std::vector<double> x(d);
        for (std::size_t a = 0; a < d; ++a) x[a] = axes[a][(p / stride[a]) % axes[a].size()];
        for (std::size_t a = 0; a < d; ++a) {
            const std::size_t i = (p / stride[a]) % axes[a].size();
            if (i + 1 >= axes[a].size() || (!categorical.empty() && categorical[a])) continue;
            const auto& s0 = grid[p];
            const auto& s1 = grid[p + stride[a]];
            if (s0 == s1 || s0.cls < 0 || s1.cls < 0) continue;
            // Ordered by value, so that low/high mean the lower/higher axis value.
            const bool up = axes[a][i] < axes[a][i + 1];
            out.push_back({a, x, up ? axes[a][i] : axes[a][i + 1], up ? axes[a][i + 1] : axes[a][i],
                           up ? s0 : s1, up ? s1 : s0});
        }
    }
    return out;
}

} // namespace

refine_result refine_boundaries(const std::vector<std::vector<double>>& axes,
                                const std::vector<attractor_signature>& grid, const std::vector<double>& tol,
                                std::size_t max_points, const signature_fn& run,
                                const std::vector<bool>& categorical) {
    if (tol.size() != axes.size()) throw std::invalid_argument("refine_boundaries: one tolerance per axis");
    if (!categorical.empty() && categorical.size() != axes.size())
        throw std::invalid_argument("refine_boundaries: one categorical flag per axis");
    std::vector<bracket> all = initial_brackets(axes, grid, categorical);
    refine_result res;
    auto open = [&](const bracket& b) { return b.hi - b.lo > tol[b.axis]; };
    for (;;) {
        std::vector<std::size_t> todo;
        for (std::size_t k = 0; k < all.size(); ++k)
            if (open(all[k])) todo.push_back(k);
        const std::size_t left = max_points - res.samples.size();
        if (todo.empty() || left == 0) break;
        if (todo.size() > left) todo.resize(left); // the budget ends within this round
        std::vector<std::vector<double>> pts;
        for (std::size_t k : todo) {
            auto x = all[k].base;
            x[all[k].axis] = 0.5 * (all[k].lo + all[k].hi);
            pts.push_back(std::move(x));
        }
        const auto sig = run(pts);
        if (sig.size() != pts.size()) throw std::logic_error("refine_boundaries: one signature per point");
        ++res.rounds;
        for (std::size_t q = 0; q < todo.size(); ++q) {
            bracket& b = all[todo[q]];
            const double mid = pts[q][b.axis];
            res.samples.push_back(pts[q]);
            res.sample_signatures.push_back(sig[q]);
            if (sig[q] == b.s_lo) {
                b.lo = mid;
            } else if (sig[q] == b.s_hi) {
                b.hi = mid;
            } else { // a third signature in between: two boundaries
                bracket upper = b;
                upper.lo = mid, upper.s_lo = sig[q];
                b.hi = mid, b.s_hi = sig[q];
                all.push_back(std::move(upper)); // (may invalidate b)
            }
        }
    }
    for (const auto& b : all) {
        refined_boundary r;
        r.axis = b.axis;
        r.at = b.base;
        r.at[b.axis] = 0.5 * (b.lo + b.hi);
        r.uncertainty = 0.5 * (b.hi - b.lo);
        r.low = b.s_lo;
        r.high = b.s_hi;
        r.resolved = !open(b);
        res.boundaries.push_back(std::move(r));
    }
    return res;
}

} // namespace nms
