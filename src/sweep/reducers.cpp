#include "nmsweep/sweep/reducers.hpp"

#include "nmsweep/analysis/unit_reducer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nms {

namespace {

// Several reducers fed the same samples, seen as one (outputs concatenated):
// e.g. the features of one sensor modality, projected once.
class composite_reducer final : public reducer {
  public:
    explicit composite_reducer(std::vector<std::unique_ptr<reducer>> parts) : parts_(std::move(parts)) {}
    void set_batch(const batch& b) override {
        for (auto& part : parts_) part->set_batch(b);
    }
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
    // Every part takes device state (units up to max_device_units).
    bool takes_channels(std::vector<device_request>& r) const override {
        r.clear();
        int units = 0;
        for (const auto& part : parts_) {
            device_request q;
            if (!part->takes_device(q)) return false;
            units += q.unit ? 1 : 0;
            r.push_back(std::move(q));
        }
        return units <= max_device_units;
    }
    void load_channels(const std::vector<device_state>& s) override {
        for (std::size_t k = 0; k < parts_.size(); ++k) parts_[k]->load_device(s.at(k));
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
    return std::make_unique<unit_reducer<moments>>(features, sampling{}, units);
}

} // namespace nms
