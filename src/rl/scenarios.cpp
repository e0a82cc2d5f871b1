#include "rl/scenarios.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/enum_table.hpp"
#include "core/error.hpp"
#include "data/market_store.hpp"
#include "data/synthetic_market.hpp"

namespace aurum {

namespace {

constexpr EnumTable<Scenario, 4> kScenarios{{{{Scenario::Bull, "bull"},
                                              {Scenario::Bear, "bear"},
                                              {Scenario::FlashCrash, "flash-crash"},
                                              {Scenario::Ranging, "ranging"}}}};

constexpr TimeMs kScenarioStart = 1704067200000LL; // 2024-01-01

/// Scales every price of bar k by f(k): a gap between bars where f changes.
void crash(BarSeries& b) {
    const std::size_t n = b.size(), at = n * 6 / 10, fall = 6, recover = 60;
    for (std::size_t k = at; k < n; ++k) {
        double f = 0.6;
        if (k < at + fall) f = 1.0 - 0.4 * static_cast<double>(k - at + 1) / fall;
        else if (k < at + fall + recover)
            f = 0.6 + 0.2 * static_cast<double>(k - at - fall) / recover;
        else f = 0.8;
        b.open[k] *= f;
        b.high[k] *= f;
        b.low[k] *= f;
        b.close[k] *= f;
    }
}

} // namespace

std::string to_string(Scenario s) { return kScenarios.name(s); }

Scenario parse_scenario(const std::string& text) { return kScenarios.parse(text, "--scenario"); }

BarSeries scenario_bars(Scenario s, std::uint64_t seed, int days) {
    InstrumentRegistry reg;
    SynthConfig c = SynthConfig::defaults(reg, {"BTC/USDT"}, Timeframe(4 * kMsPerHour),
                                          kScenarioStart, days, seed, false);
    SynthRegime shape = SynthRegime::Ranging;
    if (s == Scenario::Bull) shape = SynthRegime::Bull;
    if (s == Scenario::Bear) shape = SynthRegime::Bear;
    const SynthRegimeParams p = c.regimes[static_cast<int>(shape)];
    for (auto& r : c.regimes) r = p;
    BarSeries b = std::move(generate_synthetic_market(c).series[0]);
    if (s == Scenario::FlashCrash) crash(b);
    return b;
}

double regime_trend_action(std::span<const float> obs, const ObsLayout& layout) {
    const auto is = [&](Regime r) { return obs[layout.regime() + static_cast<int>(r)] > 0.5f; };
    if (is(Regime::Bull)) return 1.0;
    if (is(Regime::Ranging)) return 0.5;
    return 0.0;
}

MarketTape scenario_tape(Scenario s, std::uint64_t seed, int days,
                         const std::string& feature_set) {
    if (days < 120 || days > 3650)
        throw InputError(fmt::format("--days {}: must be between 120 and 3650", days));
    const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    InstrumentRegistry reg;
    MarketTape tape = build_market_tape(reg.get("BTC/USDT"), scenario_bars(s, seed, days),
                                        fc.get(feature_set));
    if (tape.first_ready + 2 > tape.bars.size())
        throw InputError(fmt::format("--days {}: too short for the features' warm-up", days));
    return tape;
}

namespace {

/// The report of one episode of `tape` from bar `start`.
SimulationReport episode_report(const MarketTape& tape, std::size_t start, EnvConfig config,
                                const ActionFn& policy, const ExecutionFn& execution) {
    EpisodeReport e = run_policy_episode(tape, start, std::move(config), policy, execution);
    SimulationReport r;
    r.decisions = e.decisions;
    r.from = e.from;
    r.to = e.to;
    r.shield = e.shield;
    r.metrics = std::move(e.metrics);
    r.buy_hold_return = e.buy_hold_return;
    r.targets = std::move(e.targets);
    r.regimes = std::move(e.regimes);
    r.positions = std::move(e.positions);
    r.times = std::move(e.times);
    r.limit_bps = std::move(e.limit_bps);
    r.execution = e.execution;
    const std::vector<double>& curve = e.result.curve.equity; // bar start, then one per step
    for (std::size_t k = 0; k < r.times.size(); ++k) {
        r.close.push_back(tape.bars.close[start + k]);
        r.equity.push_back(k + 1 < curve.size() ? curve[k + 1] : curve.back());
    }
    return r;
}

} // namespace

SimulationReport simulate_scenario(Scenario s, std::uint64_t seed, int days, EnvConfig config,
                                   const ActionFn& policy, const std::string& feature_set,
                                   const ExecutionFn& execution) {
    const MarketTape tape = scenario_tape(s, seed, days, feature_set);
    SimulationReport r =
        episode_report(tape, tape.first_ready, std::move(config), policy, execution);
    r.label = to_string(s);
    r.market = fmt::format("synthetic BTC/USDT 4h, seed {}", seed);
    r.scenario = s;
    r.seed = seed;
    return r;
}

const std::vector<HistoryWindow>& named_history_windows() {
    static const std::vector<HistoryWindow> w{
        {"bull-2023q1", *parse_time("2023-01-01"), *parse_time("2023-04-01")},
        {"bear-2022", *parse_time("2022-01-01"), *parse_time("2023-01-01")},
        {"crash-2020-03", *parse_time("2020-02-15"), *parse_time("2020-04-15")},
        {"ranging-2023q3", *parse_time("2023-07-01"), *parse_time("2023-10-01")}};
    return w;
}

std::optional<HistoryWindow> parse_history_window(const std::string& text) {
    for (const HistoryWindow& w : named_history_windows())
        if (w.name == text) return w;
    const auto dots = text.find("..");
    if (dots == std::string::npos) return std::nullopt;
    const auto from = parse_time(text.substr(0, dots)), to = parse_time(text.substr(dots + 2));
    if (!from || !to || *to <= *from)
        throw InputError(fmt::format("--scenario '{}': expected FROM..TO dates with TO after "
                                     "FROM (e.g. 2022-05-01..2022-07-01)",
                                     text));
    return HistoryWindow{text, *from, *to};
}

SimulationReport simulate_history(MarketStore& store, const Instrument& instrument, Timeframe tf,
                                  const HistoryWindow& window, EnvConfig config,
                                  const ActionFn& policy, const std::string& feature_set,
                                  const ExecutionFn& execution) {
    const TimeMs warm = 400 * tf.ms();
    BarSeries bars = store.load_bars(instrument.symbol, tf, {window.from - warm, window.to});
    if (bars.empty())
        throw InputError(fmt::format("--scenario {}: the store has no {} bars of {} before {} "
                                     "(import them first)",
                                     window.name, tf.name(), instrument.symbol,
                                     format_time(window.to)));
    const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    const MarketTape tape = build_market_tape(instrument, std::move(bars), fc.get(feature_set));
    std::size_t start = tape.first_ready;
    while (start < tape.bars.size() && tape.bars.time[start] < window.from) ++start;
    if (start + 2 > tape.bars.size())
        throw InputError(fmt::format("--scenario {}: the store holds {} {} bars of {} up to {} "
                                     "({} of them warm-up), too few to simulate",
                                     window.name, tape.bars.size(), tf.name(),
                                     instrument.symbol, format_time(window.to), tape.first_ready));
    SimulationReport r = episode_report(tape, start, std::move(config), policy, execution);
    r.label = window.name;
    r.market = fmt::format("{} {} from the store", instrument.symbol, tf.name());
    return r;
}

nlohmann::json shield_json(const ShieldStats& s) {
    return {{"actions", s.actions},
            {"invalid", s.invalid},
            {"orders", s.orders},
            {"denied", s.denied},
            {"reduced", s.reduced},
            {"breaker_closes", s.flattens},
            {"halts", s.halts},
            {"interventions", s.interventions()},
            {"max_entry_exposure", s.max_entry_exposure},
            {"entries_past_halt", s.entries_past_halt},
            {"max_drawdown", s.max_drawdown}};
}

nlohmann::json simulation_json(const SimulationReport& r) {
    nlohmann::json regimes = nlohmann::json::array();
    for (Regime g : r.regimes)
        regimes.push_back(to_string(g));
    return {{"scenario", r.label},
            {"market", r.market},
            {"seed", r.seed},
            {"decisions", r.decisions},
            {"from", r.from},
            {"to", r.to},
            {"total_return", r.metrics.total_return},
            {"buy_hold_return", r.buy_hold_return},
            {"sharpe", r.metrics.sharpe},
            {"max_drawdown", r.metrics.max_drawdown},
            {"trades", r.metrics.trades},
            {"shield", shield_json(r.shield)},
            {"execution",
             {{"parent_orders", r.execution.parents},
              {"limit_orders", r.execution.limits},
              {"forced_fills", r.execution.forced},
              {"mean_shortfall_bps", r.execution.mean_shortfall_bps()}}},
            {"series",
             {{"time", r.times},
              {"close", r.close},
              {"regime", regimes},
              {"target", r.targets},
              {"position", r.positions},
              {"limit_bps", r.limit_bps},
              {"equity", r.equity}}}};
}

} // namespace aurum
