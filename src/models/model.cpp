#include "models/model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"
#include "models/gbdt.hpp"
#include "models/neural.hpp"
#include "models/torch_plugin.hpp"

namespace aurum {

std::unique_ptr<Model> make_model(const std::string& kind, const nlohmann::json& params) {
    const nlohmann::json p = params.is_null() ? nlohmann::json::object() : params;
    if (kind == "gbdt") return std::make_unique<GbdtModel>(GbdtParams::from_json(p));
    if (kind == "lstm" || kind == "gnn") return make_torch_model(kind, NeuralParams::from_json(p, kind));
    throw InputError(fmt::format("model kind '{}': expected gbdt, lstm, gnn or ensemble", kind));
}

ClassificationMetrics classification_metrics(std::span<const double> p, std::span<const float> y,
                                             double threshold) {
    ClassificationMetrics m;
    m.n = p.size();
    if (m.n == 0) return m;
    double ll = 0;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < m.n; ++i) {
        const double q = std::clamp(p[i], 1e-12, 1 - 1e-12);
        const bool up = y[i] > 0.5f;
        ll -= up ? std::log(q) : std::log(1 - q);
        const bool pred = p[i] >= threshold;
        if (pred && up) ++m.tp;
        else if (pred && !up) ++m.fp;
        else if (!pred && up) ++m.fn;
        else ++m.tn;
        pos += up;
    }
    m.logloss = ll / static_cast<double>(m.n);
    m.accuracy = static_cast<double>(m.tp + m.tn) / static_cast<double>(m.n);
    m.base_rate = static_cast<double>(pos) / static_cast<double>(m.n);
    // AUC by the rank-sum (Mann-Whitney) with average ranks for ties.
    const std::size_t neg = m.n - pos;
    if (pos > 0 && neg > 0) {
        std::vector<std::size_t> order(m.n);
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] < p[b]; });
        double rank_sum = 0;
        for (std::size_t a = 0; a < m.n;) {
            std::size_t b = a;
            while (b + 1 < m.n && p[order[b + 1]] == p[order[a]]) ++b;
            const double r = 0.5 * static_cast<double>(a + b) + 1.0;
            for (std::size_t k = a; k <= b; ++k)
                if (y[order[k]] > 0.5f) rank_sum += r;
            a = b + 1;
        }
        m.auc = (rank_sum - static_cast<double>(pos) * (static_cast<double>(pos) + 1) / 2) /
                (static_cast<double>(pos) * static_cast<double>(neg));
    }
    return m;
}

} // namespace aurum
