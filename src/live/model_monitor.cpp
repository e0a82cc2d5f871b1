#include "live/model_monitor.hpp"

#include <map>

#include <fmt/format.h>

#include "core/config.hpp"
#include "models/model.hpp"

namespace aurum {

using nlohmann::json;

MonitorConfig load_monitor_config(const std::filesystem::path& path) {
    MonitorConfig c;
    if (!std::filesystem::exists(path)) return c;
    const ConfigNode root = ConfigNode::load_file(path.string());
    root.allow_keys({"monitor"});
    const ConfigNode m = root.child("monitor");
    m.allow_keys({"accuracy_drop_points", "min_predictions", "window", "drift_psi", "drift_share",
                  "drift_window", "drift_min_bars"});
    c.accuracy_drop_points = m.get_in_range("accuracy_drop_points", c.accuracy_drop_points, 0, 100);
    c.min_predictions = static_cast<int>(m.get_int("min_predictions", c.min_predictions));
    if (c.min_predictions < 1) m.fail("min_predictions", "must be >= 1");
    c.window = static_cast<int>(m.get_int("window", c.window));
    if (c.window < c.min_predictions) m.fail("window", "must be >= min_predictions");
    c.drift_psi = m.get_in_range("drift_psi", c.drift_psi, 0.001, 10);
    c.drift_share = m.get_in_range("drift_share", c.drift_share, 0, 1);
    c.drift_min_bars = static_cast<int>(m.get_int("drift_min_bars", c.drift_min_bars));
    if (c.drift_min_bars < 10) m.fail("drift_min_bars", "must be >= 10");
    c.drift_window = static_cast<int>(m.get_int("drift_window", c.drift_window));
    if (c.drift_window < c.drift_min_bars) m.fail("drift_window", "must be >= drift_min_bars");
    return c;
}

json accuracy_monitor(const std::vector<PredictionOutcome>& outcomes, const ExpectationLookup& lookup,
                      const MonitorConfig& cfg) {
    // Newest last: the rolling window is the tail of each group.
    std::map<std::pair<std::string, std::string>, std::vector<const PredictionOutcome*>> groups;
    for (const auto& o : outcomes) groups[{o.model, o.symbol}].push_back(&o);
    json models = json::array(), degraded = json::array();
    for (auto& [key, all] : groups) {
        const std::size_t first = all.size() > static_cast<std::size_t>(cfg.window)
                                      ? all.size() - static_cast<std::size_t>(cfg.window)
                                      : 0;
        std::vector<double> p;
        std::vector<float> y;
        std::array<std::array<double, 3>, 5> bins{}; // sum p, sum up, n
        for (std::size_t k = first; k < all.size(); ++k) {
            p.push_back(all[k]->p_up);
            y.push_back(all[k]->up ? 1.0f : 0.0f);
            auto& b = bins[std::min<std::size_t>(4, static_cast<std::size_t>(all[k]->p_up * 5))];
            b[0] += all[k]->p_up;
            b[1] += all[k]->up;
            b[2] += 1;
        }
        const ClassificationMetrics m = classification_metrics(p, y);
        json calib = json::array();
        for (std::size_t i = 0; i < bins.size(); ++i)
            if (bins[i][2] > 0)
                calib.push_back({{"bin", fmt::format("{:.1f}-{:.1f}", i * 0.2, (i + 1) * 0.2)},
                                 {"n", static_cast<int>(bins[i][2])},
                                 {"mean_p_up", bins[i][0] / bins[i][2]},
                                 {"share_up", bins[i][1] / bins[i][2]}});
        const auto e = lookup ? lookup(key.first) : std::nullopt;
        json row{{"model", key.first}, {"symbol", key.second}, {"n", m.n},
                 {"hit_rate_pct", m.accuracy * 100}, {"auc", m.auc}, {"calibration", calib},
                 {"from", all[first]->time}, {"to", all.back()->time},
                 {"wf_accuracy_pct", e ? json(e->wf_accuracy * 100) : json(nullptr)},
                 {"wf_auc", e ? json(e->wf_auc) : json(nullptr)}};
        std::string why;
        if (static_cast<int>(m.n) < cfg.min_predictions)
            row["judged"] = false;
        else if (e && e->wf_accuracy > 0) {
            row["judged"] = true;
            const double drop = e->wf_accuracy * 100 - m.accuracy * 100;
            if (drop > cfg.accuracy_drop_points)
                why = fmt::format("hit rate {:.1f}% is {:.1f} points below the walk-forward {:.1f}% "
                                  "(limit {:.0f}) over the last {} predictions",
                                  m.accuracy * 100, drop, e->wf_accuracy * 100,
                                  cfg.accuracy_drop_points, m.n);
        } else {
            row["judged"] = false; // no walk-forward expectation to compare with
        }
        row["degraded"] = !why.empty();
        row["reason"] = why;
        if (!why.empty()) degraded.push_back(key.first + " on " + key.second + ": " + why);
        models.push_back(std::move(row));
    }
    return {{"models", models}, {"degraded", degraded},
            {"thresholds", {{"accuracy_drop_points", cfg.accuracy_drop_points},
                            {"min_predictions", cfg.min_predictions}, {"window", cfg.window}}}};
}

} // namespace aurum
