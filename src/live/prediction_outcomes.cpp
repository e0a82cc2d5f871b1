#include "live/prediction_outcomes.hpp"

#include <array>
#include <map>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/timeframe.hpp"
#include "models/models_config.hpp"
#include "models/registry.hpp"

namespace aurum {

ExpectationLookup registry_expectations(const std::filesystem::path& registry_root) {
    auto cache = std::make_shared<std::map<std::string, std::optional<ModelExpectation>>>();
    return [registry_root, cache](const std::string& label) -> std::optional<ModelExpectation> {
        if (auto it = cache->find(label); it != cache->end()) return it->second;
        std::optional<ModelExpectation> e;
        try {
            if (const auto id = parse_model_label(label)) {
                ModelRegistry reg(registry_root, nullptr);
                const ModelRecord rec = reg.get(id->first, id->second);
                ModelExpectation x;
                const std::string yaml = rec.extra.value("models_yaml", std::string());
                if (!yaml.empty()) {
                    const ModelsConfig cfg = ModelsConfig::parse(yaml, rec.dir.string() + "/models.yaml");
                    x.horizon = cfg.labels.horizon;
                    x.threshold = cfg.policy.threshold;
                }
                const auto wf = rec.metrics.value("walkforward", nlohmann::json::object());
                x.wf_accuracy = wf.value("oos_accuracy", 0.0);
                x.wf_auc = wf.value("oos_auc", 0.0);
                e = x;
            }
        } catch (const std::exception& ex) {
            spdlog::debug("prediction outcomes: model '{}' not in the registry ({})", label, ex.what());
        }
        (*cache)[label] = e;
        return e;
    };
}

int resolve_outcomes(StateStore& store, MarketStore& market, const SessionRecord& session,
                     TimeMs now, const ExpectationLookup& lookup) {
    Database& db = store.db();
    const std::array<SqlValue, 1> sid{SqlValue{session.id}};
    std::set<std::pair<TimeMs, std::string>> done;
    for (const auto& r : db.query("SELECT time, symbol FROM live_prediction_outcomes WHERE "
                                  "session_id = $1",
                                  sid))
        done.emplace(r.as_int(0), r.as_string(1));
    const Timeframe tf = Timeframe::parse(session.timeframe).value_or(Timeframe(kMsPerHour));
    std::map<std::string, BarSeries> bars;
    std::vector<PredictionOutcome> fresh;
    for (const auto& p : store.predictions(session.id)) {
        if (done.count({p.time, p.symbol})) continue;
        const auto detail = nlohmann::json::parse(p.detail, nullptr, false);
        // An rl agent's decision stores its target, not a P(up): nothing to score.
        if (detail.is_object() && detail.value("kind", "") == "rl") continue;
        const std::string model = detail.is_object() ? detail.value("model", "") : "";
        const ModelExpectation e = lookup ? lookup(model).value_or(ModelExpectation{}) : ModelExpectation{};
        if (p.time + static_cast<TimeMs>(e.horizon + 1) * tf.ms() > now) continue; // not closed yet
        auto it = bars.find(p.symbol);
        if (it == bars.end())
            it = bars.emplace(p.symbol, market.load_bars(p.symbol, tf, {INT64_MIN, now})).first;
        const BarSeries& b = it->second;
        const std::size_t k = b.lower_bound(p.time);
        if (k >= b.size() || b.time[k] != p.time) continue;
        const std::size_t j = k + static_cast<std::size_t>(e.horizon);
        if (j >= b.size() || b.time[j] + tf.ms() > now) continue;
        PredictionOutcome o;
        o.session_id = session.id;
        o.time = p.time;
        o.symbol = p.symbol;
        o.model = model;
        o.p_up = p.value;
        o.horizon = e.horizon;
        o.resolved_at = b.time[j] + tf.ms();
        o.realized_return = b.close[j] / b.close[k] - 1;
        o.up = o.realized_return > 0;
        fresh.push_back(std::move(o));
    }
    if (fresh.empty()) return 0;
    Transaction tx(db);
    for (const auto& o : fresh) {
        const std::array<SqlValue, 9> v{SqlValue{o.session_id}, SqlValue{o.time}, SqlValue{o.symbol},
                                        SqlValue{o.model}, SqlValue{o.p_up},
                                        SqlValue{static_cast<std::int64_t>(o.horizon)},
                                        SqlValue{o.resolved_at}, SqlValue{o.realized_return},
                                        SqlValue{static_cast<std::int64_t>(o.up)}};
        db.exec("INSERT INTO live_prediction_outcomes (session_id, time, symbol, model, p_up, "
                "horizon, resolved_at, realized_return, up) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                "$8, $9) ON CONFLICT (session_id, time, symbol) DO NOTHING",
                v);
    }
    tx.commit();
    return static_cast<int>(fresh.size());
}

std::vector<PredictionOutcome> load_outcomes(StateStore& store, const std::string& session_id) {
    const std::array<SqlValue, 1> sid{SqlValue{session_id}};
    std::vector<PredictionOutcome> out;
    for (const auto& r : store.db().query(
             "SELECT time, symbol, model, p_up, horizon, resolved_at, realized_return, up FROM "
             "live_prediction_outcomes WHERE session_id = $1 ORDER BY time, symbol",
             sid)) {
        PredictionOutcome o;
        o.session_id = session_id;
        o.time = r.as_int(0);
        o.symbol = r.as_string(1);
        o.model = r.as_string(2);
        o.p_up = r.as_double(3);
        o.horizon = static_cast<int>(r.as_int(4));
        o.resolved_at = r.as_int(5);
        o.realized_return = r.as_double(6);
        o.up = r.as_int(7) != 0;
        out.push_back(std::move(o));
    }
    return out;
}

} // namespace aurum
