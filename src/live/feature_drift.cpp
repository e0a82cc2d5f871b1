#include "live/feature_drift.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/timeframe.hpp"
#include "models/training_pipeline.hpp"

namespace aurum {

using nlohmann::json;

double population_stability(std::span<const double> ref, std::span<const double> live, int bins) {
    if (ref.empty() || live.empty() || bins < 1) return 0.0;
    std::vector<double> sorted(ref.begin(), ref.end());
    std::sort(sorted.begin(), sorted.end());
    // Quantile edges with linear interpolation (numpy's default), equal edges merged.
    std::vector<double> edges;
    for (int k = 0; k <= bins; ++k) {
        const double pos = static_cast<double>(k) / bins * static_cast<double>(sorted.size() - 1);
        const auto lo = static_cast<std::size_t>(pos);
        const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
        const double e = sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
        if (edges.empty() || e > edges.back()) edges.push_back(e);
    }
    if (edges.size() < 2) return 0.0; // a constant reference: nothing to compare
    const std::size_t nb = edges.size() - 1;
    // Bin of v: [e_k, e_k+1) with the last bin closed; live values clipped into the range.
    auto bin_of = [&](double v) {
        v = std::clamp(v, edges.front(), edges.back());
        const auto it = std::upper_bound(edges.begin(), edges.end(), v);
        return std::min<std::size_t>(static_cast<std::size_t>(it - edges.begin()) - 1, nb - 1);
    };
    std::vector<double> e(nb, 0.0), a(nb, 0.0);
    for (double v : sorted) e[bin_of(v)] += 1;
    for (double v : live) a[bin_of(v)] += 1;
    double psi = 0;
    for (std::size_t k = 0; k < nb; ++k) {
        const double pe = e[k] / static_cast<double>(sorted.size()) + 1e-6;
        const double pa = a[k] / static_cast<double>(live.size()) + 1e-6;
        psi += (pa - pe) * std::log(pa / pe);
    }
    return psi;
}

double ks_statistic(std::span<const double> ref, std::span<const double> live) {
    if (ref.empty() || live.empty()) return 0.0;
    std::vector<double> a(ref.begin(), ref.end()), b(live.begin(), live.end());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::size_t i = 0, j = 0;
    double d = 0;
    while (i < a.size() && j < b.size()) {
        const double v = std::min(a[i], b[j]);
        while (i < a.size() && a[i] == v) ++i;
        while (j < b.size() && b[j] == v) ++j;
        d = std::max(d, std::fabs(static_cast<double>(i) / static_cast<double>(a.size()) -
                                  static_cast<double>(j) / static_cast<double>(b.size())));
    }
    return d;
}

namespace {

/// Bars loaded before a live window so the slowest indicator is warm at its first bar.
constexpr TimeMs kWarmupBars = 400;

/// The model's feature columns over the bars opened in `range` (warm-up loaded before it): the
/// computed rows and which of them fall in `range`.
struct Window {
    Dataset data;
    std::vector<std::size_t> rows;
    TimeMs tf = 0;
    TimeMs first_open() const { return data.t[rows.front()] - tf; }
    TimeMs last_close() const { return data.t[rows.back()]; }
};

Window window_features(MarketStore& market, const InstrumentRegistry& instruments,
                       const Workspace& ws, const ModelRecord& m, const std::string& symbol,
                       Timeframe tf, TimeRange range, TimeMs warmup) {
    ModelsConfig cfg;
    cfg.feature_set = m.feature_set_name;
    const TimeRange load{range.from - warmup, range.to};
    Window w;
    w.tf = tf.ms();
    w.data = prepare_data(market, instruments, ws, {symbol}, tf, load, cfg, false).dataset;
    if (!m.feature_set_id.empty() && w.data.feature_set_id != m.feature_set_id)
        throw InputError(fmt::format("{} v{}: feature set '{}' changed since the model was trained "
                                     "(ID {} now, {} then); drift against it means nothing: "
                                     "retrain the model",
                                     m.name, m.version, m.feature_set_name, w.data.feature_set_id,
                                     m.feature_set_id));
    for (std::size_t r = 0; r < w.data.rows(); ++r)
        if (range.contains(w.data.t[r] - tf.ms())) w.rows.push_back(r); // t is the bar's close
    return w;
}

std::vector<double> column(const Window& w, std::size_t j) {
    std::vector<double> v;
    v.reserve(w.rows.size());
    for (std::size_t r : w.rows) v.push_back(w.data.at(r, j));
    return v;
}

} // namespace

json feature_drift(MarketStore& market, const InstrumentRegistry& instruments, const Workspace& ws,
                   const DriftRequest& rq, const MonitorConfig& cfg) {
    const ModelRecord& m = rq.model;
    const auto tf = Timeframe::parse(m.timeframe);
    if (!tf) throw InputError(fmt::format("{} v{}: timeframe '{}' unreadable", m.name, m.version, m.timeframe));
    instruments.get(rq.symbol); // an unknown symbol is refused by name
    const Window ref = window_features(market, instruments, ws, m, rq.symbol, *tf,
                                       {m.data_from, m.data_to}, 0);
    const Window live = window_features(market, instruments, ws, m, rq.symbol, *tf, rq.live,
                                        kWarmupBars * tf->ms());
    for (const auto& [d, what] : {std::pair{&ref, "training"}, std::pair{&live, "live"}})
        if (d->rows.size() < static_cast<std::size_t>(cfg.drift_min_bars))
            throw InputError(fmt::format("{} v{} on {}: the {} window has {} complete rows (need "
                                         "at least {}: drift_min_bars in config/monitor.yaml)",
                                         m.name, m.version, rq.symbol, what, d->rows.size(),
                                         cfg.drift_min_bars));
    json features = json::array();
    std::vector<std::pair<double, std::string>> drifted; // PSI, "name 0.41"
    const std::size_t cols = ref.data.cols;
    const auto& names = ref.data.feature_names;
    for (std::size_t j = 0; j < cols; ++j) {
        const auto a = column(ref, j), b = column(live, j);
        const double psi = population_stability(a, b);
        const bool flag = psi > cfg.drift_psi;
        if (flag) drifted.emplace_back(psi, fmt::format("{} {:.2f}", names[j], psi));
        features.push_back({{"name", names[j]}, {"psi", psi},
                            {"ks", ks_statistic(a, b)}, {"drifted", flag}});
    }
    std::stable_sort(features.begin(), features.end(),
                     [](const json& x, const json& y) { return x["psi"] > y["psi"]; });
    std::stable_sort(drifted.begin(), drifted.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    const double share = static_cast<double>(drifted.size()) / static_cast<double>(cols);
    const bool degraded = share > cfg.drift_share;
    std::string why;
    if (degraded) {
        why = fmt::format("{} of {} features drifted (PSI > {:.2f}; limit {:.0f}%):", drifted.size(),
                          cols, cfg.drift_psi, cfg.drift_share * 100);
        for (std::size_t k = 0; k < drifted.size() && k < 5; ++k) why += (k ? ", " : " ") + drifted[k].second;
        if (drifted.size() > 5) why += ", ...";
    }
    return json{{"model", fmt::format("{} v{}", m.name, m.version)},
                {"symbol", rq.symbol},
                {"training", {{"from", ref.first_open()}, {"to", ref.last_close()}, {"rows", ref.rows.size()}}},
                {"live", {{"from", live.first_open()}, {"to", live.last_close()}, {"rows", live.rows.size()}}},
                {"features", features},
                {"drifted", drifted.size()},
                {"drifted_share", share},
                {"degraded", degraded},
                {"reason", why}};
}

json session_drift(StateStore& store, MarketStore& market, const InstrumentRegistry& instruments,
                   const Workspace& ws, const std::string& session_id, bool keep) {
    const MonitorConfig cfg = load_monitor_config(ws.config_file("monitor.yaml"));
    const auto session = store.session(session_id);
    if (!session) throw InputError("--session: no session '" + session_id + "'");
    const auto tf = Timeframe::parse(session->timeframe).value_or(Timeframe());
    // The model versions the session's predictions came from, and its last bar per pair.
    std::map<std::pair<std::string, std::string>, TimeMs> last;
    for (const auto& p : store.predictions(session_id)) {
        const json d = json::parse(p.detail, nullptr, false);
        const std::string label = d.is_object() ? d.value("model", "") : "";
        if (!label.empty()) last[{label, p.symbol}] = std::max(last[{label, p.symbol}], p.time);
    }
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    json models = json::array(), degraded = json::array(), skipped = json::array();
    for (const auto& [key, t] : last) {
        const auto& [label, symbol] = key;
        try {
            const auto id = parse_model_label(label);
            if (!id) throw InputError("not a registry version");
            DriftRequest rq{registry.get(id->first, id->second), symbol, {}};
            rq.live.to = t + tf.ms();
            rq.live.from = std::max(session->trade_from, rq.live.to - cfg.drift_window * tf.ms());
            json row = feature_drift(market, instruments, ws, rq, cfg);
            if (row["degraded"].get<bool>())
                degraded.push_back(label + " on " + symbol + ": " + row["reason"].get<std::string>());
            models.push_back(std::move(row));
        } catch (const InputError& e) {
            skipped.push_back(label + " on " + symbol + ": " + e.what());
        }
    }
    json verdict{{"session", session_id}, {"models", models}, {"degraded", degraded},
                 {"skipped", skipped}, {"psi_limit", cfg.drift_psi}, {"share_limit", cfg.drift_share}};
    if (keep) store.put_kv(kModelDriftKey, json{{"session", session_id}, {"verdict", verdict}}.dump());
    return verdict;
}

} // namespace aurum
