#include "nmsweep/sweep/reducers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nms {

namespace {

// Per (instance, channel) running moments. Channels are the nodes and, last,
// the network mean. Welford's update keeps the variance accurate when the
// mean is large compared with the fluctuations (e.g. Jansen-Rit's y1 - y2).
class moments_reducer final : public reducer {
  public:
    moments_reducer(std::vector<std::string> f, std::string units)
        : want_(std::move(f)), units_(std::move(units)) {}

    void reset(std::size_t n, int n_nodes) override {
        n_ = n;
        nn_ = n_nodes;
        const std::size_t m = n * std::size_t(n_nodes + 1);
        count_.assign(n, 0);
        mean_.assign(m, 0.0);
        m2_.assign(m, 0.0);
        min_.assign(m, std::numeric_limits<double>::infinity());
        max_.assign(m, -std::numeric_limits<double>::infinity());
    }

    void accumulate(const obs_block& b) override {
        const int ch = nn_ + 1;
        for (int l = 0; l < b.n_valid; ++l) {
            const std::size_t i = b.first + std::size_t(l);
            const double k = double(++count_[i]);
            for (int c = 0; c < ch; ++c) {
                const double x = c < nn_ ? b.obs[std::size_t(c) * b.lanes + l] : b.net[l];
                const std::size_t j = i * ch + c;
                const double d = x - mean_[j];
                mean_[j] += d / k;
                m2_[j] += d * (x - mean_[j]);
                min_[j] = std::min(min_[j], x);
                max_[j] = std::max(max_[j], x);
            }
        }
    }

    bool takes_moments() const override { return true; }
    void load_moments(const moments_state& m) override {
        const int ch = nn_ + 1;
        for (int l = 0; l < m.n_valid; ++l) {
            const std::size_t i = m.first + std::size_t(l);
            count_[i] = m.count;
            for (int c = 0; c < ch; ++c) {
                const std::size_t j = i * ch + c, s = std::size_t(c) * std::size_t(m.stride) + std::size_t(l);
                mean_[j] = m.mean[s];
                m2_[j] = m.m2[s];
                min_[j] = m.min[s];
                max_[j] = m.max[s];
            }
        }
    }

    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        for (const auto& f : want_) {
            const std::string what = f == "std"    ? "standard deviation"
                                     : f == "mean" ? "mean"
                                     : f == "min"  ? "minimum"
                                                   : "maximum";
            out.push_back({"features/" + f,
                           {"node"},
                           {std::size_t(nn_)},
                           {},
                           units_,
                           what + " of the observable per node after the transient"});
            out.push_back({"features/network_" + f,
                           {},
                           {},
                           {},
                           units_,
                           what + " of the network-mean observable after the transient"});
        }
        return out;
    }

    void result(std::size_t k, std::size_t i, double* out) const override {
        const std::string& f = want_[k / 2];
        const bool network = k % 2 == 1;
        const int ch = nn_ + 1;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        auto value = [&](int c) {
            const std::size_t j = i * ch + c;
            if (count_[i] == 0) return nan;
            if (f == "mean") return mean_[j];
            if (f == "std")
                return std::sqrt(m2_[j] / double(count_[i])); // population std, as numpy's default
            if (f == "min") return min_[j];
            return max_[j];
        };
        if (network)
            out[0] = value(nn_);
        else
            for (int c = 0; c < nn_; ++c) out[c] = value(c);
    }

  private:
    std::vector<std::string> want_;
    std::string units_;
    std::size_t n_ = 0;
    int nn_ = 0;
    std::vector<long> count_;
    std::vector<double> mean_, m2_, min_, max_;
};

// Several reducers fed the same samples, seen as one (outputs concatenated):
// e.g. the features of one sensor modality, projected once.
class composite_reducer final : public reducer {
  public:
    explicit composite_reducer(std::vector<std::unique_ptr<reducer>> parts) : parts_(std::move(parts)) {}
    void reset(std::size_t n, int n_nodes) override {
        index_.clear();
        for (std::size_t p = 0; p < parts_.size(); ++p) {
            parts_[p]->reset(n, n_nodes);
            const std::size_t k = parts_[p]->outputs().size();
            for (std::size_t q = 0; q < k; ++q) index_.emplace_back(p, q);
        }
    }
    void accumulate(const obs_block& b) override {
        for (auto& p : parts_) p->accumulate(b);
    }
    std::vector<reducer_output> outputs() const override {
        std::vector<reducer_output> out;
        for (const auto& p : parts_)
            for (auto& o : p->outputs()) out.push_back(std::move(o));
        return out;
    }
    void result(std::size_t k, std::size_t i, double* out) const override {
        parts_[index_[k].first]->result(index_[k].second, i, out);
    }
    std::size_t bytes_per_instance(int n_nodes) const override {
        std::size_t b = 0;
        for (const auto& p : parts_) b += p->bytes_per_instance(n_nodes);
        return b;
    }
    bool integer_output(std::size_t k) const override {
        return parts_[index_[k].first]->integer_output(index_[k].second);
    }
    double diverged_value(std::size_t k) const override {
        return parts_[index_[k].first]->diverged_value(index_[k].second);
    }
    std::vector<std::pair<std::string, std::string>> output_attrs(std::size_t k) const override {
        return parts_[index_[k].first]->output_attrs(index_[k].second);
    }
    // Every part takes device state of one kind (moments any number of
    // times, units up to max_device_units, the others once).
    bool takes_channels(channel_plan& p) const override {
        p = {};
        for (const auto& r : parts_) {
            spectra_params sp;
            fc_params fp;
            synchrony_params yp;
            if (r->takes_moments())
                p.moments = true;
            else if (!p.spectra && r->takes_spectra(sp))
                p.spectra = true, p.sp = sp;
            else if (!p.fc && r->takes_fc(fp))
                p.fc = true, p.fp = fp;
            else if (!p.sync && r->takes_synchrony(yp))
                p.sync = true, p.yp = yp;
            else if (unit_request u; int(p.units.size()) < max_device_units && r->takes_unit(u))
                p.units.push_back(std::move(u));
            else
                return false;
        }
        return true;
    }
    void load_channels(const moments_state& m) override {
        int u = 0; // units in takes_channels' order
        for (auto& r : parts_) {
            spectra_params sp;
            fc_params fp;
            synchrony_params yp;
            if (r->takes_moments())
                r->load_moments(m);
            else if (r->takes_spectra(sp))
                r->load_spectra(m);
            else if (r->takes_fc(fp))
                r->load_fc(m);
            else if (r->takes_synchrony(yp))
                r->load_synchrony(m);
            else if (unit_request ur; r->takes_unit(ur))
                r->load_unit(m.units[u++]);
        }
    }
    void set_results_only(bool v) override {
        reducer::set_results_only(v);
        for (auto& r : parts_) r->set_results_only(v);
    }

  private:
    std::vector<std::unique_ptr<reducer>> parts_;
    std::vector<std::pair<std::size_t, std::size_t>> index_; // output k -> (part, its output)
};

} // namespace

std::unique_ptr<reducer> make_composite_reducer(std::vector<std::unique_ptr<reducer>> parts) {
    return std::make_unique<composite_reducer>(std::move(parts));
}

std::unique_ptr<reducer> make_moments_reducer(const std::vector<std::string>& features,
                                              const std::string& units) {
    return std::make_unique<moments_reducer>(features, units);
}

} // namespace nms
