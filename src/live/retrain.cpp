#include "live/retrain.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "models/training_pipeline.hpp"
#include "runtime/engine_stack.hpp"

namespace aurum {

using nlohmann::json;

json RetrainResult::to_json() const {
    return json{{"name", name},
                {"kind", kind},
                {"symbols", symbols},
                {"version", version},
                {"gating_passed", passed},
                {"promoted", promoted},
                {"production_before", production_before},
                {"production_after", production_after},
                {"outcome", line}};
}

RetrainRequest resolve_retrain(const RetrainRequest& req, MarketStore& store,
                               const InstrumentRegistry& instruments) {
    RetrainRequest r = req;
    static const std::vector<std::string> kinds{"all", "gbdt", "lstm", "gnn", "ensemble"};
    if (std::find(kinds.begin(), kinds.end(), r.model) == kinds.end())
        throw InputError(fmt::format("retrain: --model '{}': expected all, gbdt, lstm, gnn or "
                                     "ensemble",
                                     r.model));
    if (r.reason.find_first_not_of(" \t") == std::string::npos)
        throw InputError("retrain: --reason is required (it goes into the audit log)");
    if (r.symbols.empty() || r.timeframe.empty()) {
        // The running (or latest) session's market.
        StateStore st(store.database());
        std::optional<SessionRecord> s;
        if (auto id = st.get_kv("active_session"))
            s = st.session(*id);
        if (!s)
            s = st.latest_session();
        if (!s)
            throw InputError("retrain: no trading session to take symbols and timeframe from; "
                             "give --symbols BTC/USDT,ETH/USDT --timeframe 4h");
        if (r.symbols.empty()) {
            std::stringstream ss(s->symbols);
            for (std::string x; std::getline(ss, x, ',');)
                if (!x.empty())
                    r.symbols.push_back(x);
        }
        if (r.timeframe.empty())
            r.timeframe = s->timeframe;
    }
    const Timeframe tf = Timeframe::parse_or_throw(r.timeframe);
    r.timeframe = tf.name();
    const auto series = store.list_series();
    for (auto& sym : r.symbols) {
        sym = normalize_symbol(sym);
        instruments.get(sym); // unknown instrument: InputError naming it
        const auto it = std::find_if(series.begin(), series.end(), [&](const SeriesInfo& x) {
            return x.symbol == sym && x.timeframe == tf;
        });
        if (it == series.end() || it->rows < 100) {
            std::string have;
            for (const auto& x : series)
                if (x.timeframe == tf)
                    have += (have.empty() ? "" : ", ") + x.symbol;
            throw InputError(fmt::format("retrain: unknown symbol '{}': {} {} bars in the store "
                                         "(need at least 100; the store has {} bars of: {})",
                                         sym, it == series.end() ? 0 : it->rows, tf.name(),
                                         tf.name(), have.empty() ? "none" : have));
        }
    }
    return r;
}

namespace {

int production_version(ModelRegistry& reg, const std::string& name) {
    if (reg.list(name).empty())
        return 0;
    const auto p = reg.production(name);
    return p ? p->version : 0;
}

std::string first_failure(const GatingVerdict& v) {
    for (const auto& r : v.rules) {
        if (r.passed)
            continue;
        if (r.name == "sharpe")
            return fmt::format("Sharpe {:.2f} <= {:.2f}", r.actual, r.threshold);
        if (r.name == "max_drawdown")
            return fmt::format("max drawdown {:.1f}% >= {:.1f}%", r.actual * 100,
                               r.threshold * 100);
        return r.detail;
    }
    return "";
}

} // namespace

std::vector<RetrainResult> run_retrain(MarketStore& store, const InstrumentRegistry& instruments,
                                       const Workspace& ws, const RetrainRequest& req,
                                       const Clock& clock) {
    // Jobs: per-asset models per symbol; the graph model once over all symbols.
    std::vector<std::pair<std::string, std::vector<std::string>>> jobs;
    const std::vector<std::string> kinds =
        req.model == "all" ? std::vector<std::string>{"gbdt", "lstm", "ensemble", "gnn"}
                           : std::vector<std::string>{req.model};
    for (const auto& k : kinds) {
        if (k == "gnn") {
            jobs.emplace_back(k, req.symbols);
        } else {
            for (const auto& s : req.symbols)
                jobs.emplace_back(k, std::vector<std::string>{s});
        }
    }
    const Timeframe tf = Timeframe::parse_or_throw(req.timeframe);
    ModelRegistry registry(ws.models_dir() / "registry", &store.database());
    StateStore audit(store.database());
    std::vector<RetrainResult> out;
    for (const auto& [kind, symbols] : jobs) {
        RetrainResult r;
        r.kind = kind;
        r.symbols = symbols;
        r.name = default_model_name(kind, symbols, tf.name());
        r.production_before = production_version(registry, r.name);
        TrainRequest tr;
        tr.kind = kind;
        tr.symbols = symbols;
        tr.timeframe = tf;
        tr.range = req.range;
        tr.promote = true; // exactly `aurum train --promote`: only when gating passes
        // Retrained as it was trained: with the label method of its latest version.
        if (!registry.list(r.name).empty()) tr.labels = label_method_of(registry.get(r.name, 0));
        tr.force = req.force;
        // Gating judges with the limits that will trade the model (as `aurum train`).
        const SpecBacktestRunner runner(
            parse_risk_option("risk", "", ws.config_file("risk.yaml").string()));
        tr.runner = &runner;
        spdlog::info("retrain {} ({}): {}", r.name, req.reason, req.force ? "--force" : "gated");
        const TrainOutcome o = run_training(store, instruments, ws, tr, clock);
        r.version = o.record ? o.record->version : 0;
        r.passed = o.verdict.passed;
        r.production_after = production_version(registry, r.name);
        r.promoted = r.production_after == r.version && r.version != r.production_before;
        const std::string before =
            r.production_before ? fmt::format("v{}", r.production_before) : "none";
        if (r.promoted)
            r.line = fmt::format(
                "{} v{}: gating {}; promoted to production (was {})", r.name, r.version,
                r.passed ? "PASSED" : "FAILED (" + first_failure(o.verdict) + "), FORCED", before);
        else
            r.line = fmt::format("{} v{}: gating FAILED ({}); production unchanged ({})", r.name,
                                 r.version, first_failure(o.verdict), before);
        audit.audit(clock.now(), "retrain", req.reason, r.to_json().dump(), r.line);
        spdlog::info("{}", r.line);
        out.push_back(std::move(r));
    }
    return out;
}

DaemonModels DaemonModels::from_health(const nlohmann::json& h) {
    DaemonModels d;
    if (!h.contains("model")) return d;
    const auto& m = h["model"];
    if (m.contains("models"))
        for (const auto& x : m["models"]) {
            if (x["model"].is_null())
                d.uncovered.insert(x["symbol"].get<std::string>());
            else
                d.in_use.insert(x["model"].get<std::string>());
        }
    if (m.contains("selection")) {
        d.selection = m["selection"].value("model", d.selection);
        d.pinned_version = m["selection"].value("version", 0);
    }
    return d;
}

bool hot_swap_wanted(const RetrainResult& r, const DaemonModels& d) {
    if (!r.promoted || d.pinned_version > 0) return false;
    if (d.selection != "production" && d.selection != r.name) return false;
    bool wanted = d.in_use.count(r.name) > 0;
    for (const auto& s : r.symbols) wanted = wanted || d.uncovered.count(s) > 0;
    return wanted;
}

} // namespace aurum
