// ModelStrategy: bar-by-bar predictions equal the batch (walk-forward) predictions over the
// feature matrix, a backtest with it equals the backtest of the walk-forward's `signals`, top
// contributions are XGBoost's, model swaps and missing models behave, feature-set refusal.
#include <cmath>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include "backtest/engine.hpp"
#include "backtest/strategies.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "data/import.hpp"
#include "features/labels.hpp"
#include "models/dataset_builder.hpp"
#include "models/ensemble.hpp"
#include "models/gbdt.hpp"
#include "models/model_strategy.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

BarSeries load_csv(const std::filesystem::path& path, const std::string& symbol, TimeRange range) {
    BarSeries all;
    ImportOptions opt;
    opt.symbol = symbol;
    opt.timeframe = Timeframe(4 * kMsPerHour);
    all.symbol = symbol;
    all.timeframe = opt.timeframe;
    parse_file(path.string(), opt, [&](const BarSeries& chunk) {
        for (std::size_t i = 0; i < chunk.size(); ++i)
            all.push_back(chunk.at(i));
    });
    return all.slice(range);
}

/// A random walk with a weak planted momentum (so a model has something to find).
BarSeries synthetic(const std::string& symbol, std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(0.0, 0.01);
    BarSeries b;
    b.symbol = symbol;
    b.timeframe = Timeframe(4 * kMsPerHour);
    double price = 2000, drift = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double open = price;
        const double r = z(rng) + drift;
        drift = 0.3 * r;
        price *= std::exp(r);
        b.push_back({make_time(2022, 1, 1) + static_cast<TimeMs>(i) * 4 * kMsPerHour, open,
                     std::max(open, price) * 1.002, std::min(open, price) * 0.998, price,
                     100.0 + 50.0 * std::fabs(z(rng)) * 100});
    }
    return b;
}

ModelsConfig test_config() {
    ModelsConfig c = ModelsConfig::parse(default_models_yaml(), "test");
    c.gbdt = {
        {"rounds", 40}, {"max_depth", 3}, {"eta", 0.1}, {"early_stopping", 10}, {"nthread", 1}};
    c.policy.threshold = 0.55; // enough entries to compare trades
    return c;
}

const FeatureSetDef& default_set() {
    static const FeatureConfig fc =
        FeatureConfig::parse(FeatureConfig::default_yaml(), "<built-in features.yaml>");
    return fc.get("default");
}

FeatureMatrix features_of(const BarSeries& bars) {
    FeatureContext ctx;
    ctx.symbol = bars.symbol;
    ctx.timeframe = bars.timeframe;
    return build_feature_matrix(bars, default_set(), ctx);
}

/// Trains `kind` on the first `share` of the bars' labelled rows and wraps it as a LiveModel.
std::shared_ptr<LiveModel> train_live(const BarSeries& bars, const std::string& kind, double share,
                                      const ModelsConfig& cfg, int version = 1) {
    FixedHorizonParams lp;
    lp.horizon = cfg.labels.horizon;
    const Dataset d = build_dataset({{features_of(bars), fixed_horizon_labels(bars, lp)}});
    const auto rows = all_rows(static_cast<std::size_t>(static_cast<double>(d.rows()) * share));
    auto m = std::make_shared<LiveModel>();
    m->trained = train_model(d, rows, kind, cfg);
    m->config = cfg;
    m->features = default_set();
    m->record.name = kind + "-test";
    m->record.version = version;
    m->record.kind = kind;
    m->record.symbols = {bars.symbol};
    m->record.timeframe = "4h";
    m->record.feature_set_name = "default";
    m->record.feature_set_id = d.feature_set_id;
    m->gbdt = dynamic_cast<const GbdtModel*>(m->trained.model.get());
    m->ensemble = dynamic_cast<const EnsembleModel*>(m->trained.model.get());
    return m;
}

struct Collect final : PredictionSink {
    struct Row {
        TimeMs time;
        std::string symbol;
        double p, target;
        std::vector<std::pair<std::string, double>> top;
        std::string model, reason;
        std::optional<EnsembleVote> vote;
    };
    std::vector<Row> rows;
    std::vector<std::string> notices;
    void on_prediction(const PredictionEvent& e) override {
        Row r{e.time, *e.symbol, e.p_up, e.target, {}, e.model->label(), *e.reason, std::nullopt};
        for (std::size_t k = 0; k < e.n_top; ++k)
            r.top.emplace_back(*e.top[k].name, e.top[k].value);
        if (e.vote) r.vote = *e.vote;
        rows.push_back(std::move(r));
    }
    void on_notice(const std::string& t) override { notices.push_back(t); }
};

/// The walk-forward path for one model: batch predictions over the feature matrix, the policy
/// row by row, target records stamped with the bar's open time.
struct BatchPath {
    std::vector<TimeMs> time;
    std::vector<double> p;
    SignalSeries signals;
};
BatchPath batch_path(const LiveModel& m, const BarSeries& bars) {
    const FeatureMatrix fm = features_of(bars);
    const Dataset d = features_only_dataset({fm});
    BatchPath out;
    out.p = m.trained.predict(d, all_rows(d.rows()));
    DecisionPolicy pol(m.config.policy, m.config.costs, m.trained.edge, m.config.labels.horizon);
    std::vector<SignalSeries::Record> rec;
    for (std::size_t i = 0; i < d.rows(); ++i) {
        out.time.push_back(fm.time[i]);
        rec.push_back({fm.time[i], bars.symbol, pol.step(out.p[i]).target});
    }
    out.signals = SignalSeries::from_records(rec, SignalSeries::Kind::Target);
    return out;
}

SizingConfig sizing() {
    SizingConfig s;
    s.mode = SizingConfig::Mode::EquityFraction;
    s.fraction = 0.98;
    return s;
}

void expect_same_trades(const BacktestResult& a, const BacktestResult& b) {
    ASSERT_EQ(a.trades.size(), b.trades.size());
    for (std::size_t k = 0; k < a.trades.size(); ++k) {
        EXPECT_EQ(a.trades[k].entry_time, b.trades[k].entry_time) << k;
        EXPECT_EQ(a.trades[k].exit_time, b.trades[k].exit_time) << k;
        EXPECT_EQ(a.trades[k].qty, b.trades[k].qty) << k;
        EXPECT_EQ(a.trades[k].entry_price, b.trades[k].entry_price) << k;
        EXPECT_EQ(a.trades[k].exit_price, b.trades[k].exit_price) << k;
    }
    EXPECT_EQ(a.final_equity, b.final_equity);
    EXPECT_EQ(a.orders_submitted, b.orders_submitted);
}

} // namespace

TEST(ModelStrategy, real_btc_bar_by_bar_equals_batch_predictions_and_backtest_equals_signals) {
    AURUM_REQUIRE_SHARED_DATA(csv, "crypto/binance/BTCUSDT_4h.csv");
    const BarSeries bars =
        load_csv(csv, "BTC/USDT", {make_time(2023, 1, 1), make_time(2024, 3, 1)});
    ASSERT_GT(bars.size(), 2000u);
    const ModelsConfig cfg = test_config();
    // Trained on the first half; the second half is out of sample, as in a walk-forward fold.
    const auto model = train_live(bars, "gbdt", 0.5, cfg);
    const BatchPath batch = batch_path(*model, bars);

    const std::vector<Instrument> inst{InstrumentRegistry().get("BTC/USDT")};
    const BacktestConfig bt = backtest_config(cfg, 1);
    Collect sink;
    ModelStrategy live({{"BTC/USDT", model}}, sizing(), &sink);
    const auto a = run_backtest(inst, {&bars}, live, bt);

    ASSERT_EQ(sink.rows.size(), batch.p.size());
    std::size_t differ = 0;
    for (std::size_t k = 0; k < batch.p.size(); ++k) {
        EXPECT_EQ(sink.rows[k].time, batch.time[k]);
        differ += sink.rows[k].p != batch.p[k]; // bit for bit, not approximately
    }
    EXPECT_EQ(differ, 0u);

    StrategySpec spec;
    spec.name = "signals";
    spec.sizing = sizing();
    spec.signals = std::make_shared<SignalSeries>(batch.signals);
    auto signals = make_strategy(spec);
    const auto b = run_backtest(inst, {&bars}, *signals, bt);
    ASSERT_GE(a.trades.size(), 5u) << "the comparison needs trades";
    expect_same_trades(a, b);
}

TEST(ModelStrategy, top_features_are_the_largest_xgboost_contributions) {
    const BarSeries bars = synthetic("BTC/USDT", 1200, 5);
    const ModelsConfig cfg = test_config();
    const auto model = train_live(bars, "gbdt", 0.6, cfg);
    Collect sink;
    ModelStrategy live({{"BTC/USDT", model}}, sizing(), &sink);
    run_backtest({InstrumentRegistry().get("BTC/USDT")}, {&bars}, live, backtest_config(cfg, 1));
    const Dataset d = features_only_dataset({features_of(bars)});
    ASSERT_EQ(sink.rows.size(), d.rows());
    const std::vector<std::size_t> probe{0, d.rows() / 2, d.rows() - 1};
    const auto contrib = model->gbdt->contributions(d, probe);
    for (std::size_t k = 0; k < probe.size(); ++k) {
        const auto& row = sink.rows[probe[k]];
        ASSERT_EQ(row.top.size(), 5u);
        std::vector<std::pair<double, std::string>> ref;
        for (std::size_t j = 0; j < d.cols; ++j)
            ref.emplace_back(std::fabs(contrib[k][j]), d.feature_names[j]);
        std::sort(ref.rbegin(), ref.rend());
        for (std::size_t t = 0; t < 5; ++t) {
            // The live contributions come from the compiled trees: XGBoost's within 1e-6.
            EXPECT_NEAR(std::fabs(row.top[t].second), ref[t].first, 1e-6) << t;
            if (t > 0) {
                EXPECT_GE(std::fabs(row.top[t - 1].second), std::fabs(row.top[t].second));
            }
        }
        EXPECT_FALSE(row.reason.empty());
        EXPECT_EQ(row.model, "gbdt-test v1");
    }
}

TEST(ModelStrategy, generic_model_path_matches_batch_for_an_ensemble) {
    const BarSeries bars = synthetic("BTC/USDT", 1000, 9);
    ModelsConfig cfg = test_config();
    cfg.ensemble_members = {"gbdt"};
    const auto model = train_live(bars, "ensemble", 0.6, cfg);
    ASSERT_EQ(model->gbdt, nullptr);
    const BatchPath batch = batch_path(*model, bars);
    Collect sink;
    ModelStrategy live({{"BTC/USDT", model}}, sizing(), &sink);
    run_backtest({InstrumentRegistry().get("BTC/USDT")}, {&bars}, live, backtest_config(cfg, 1));
    ASSERT_EQ(sink.rows.size(), batch.p.size());
    for (std::size_t k = 0; k < batch.p.size(); ++k)
        ASSERT_EQ(sink.rows[k].p, batch.p[k]) << k;
    EXPECT_FALSE(sink.rows.back().top.empty()); // global importance for non-GBDT models
}

TEST(ModelStrategy, ensemble_predictions_carry_each_members_vote_and_the_agreement) {
    const BarSeries bars = synthetic("BTC/USDT", 700, 11);
    ModelsConfig cfg = test_config();
    cfg.ensemble_members = {"gbdt", "lstm"};
    cfg.lstm = {{"seq_len", 8}, {"hidden", 8}, {"epochs", 3}, {"batch", 64}};
    const auto model = train_live(bars, "ensemble", 0.6, cfg);
    ASSERT_NE(model->ensemble, nullptr);
    const BatchPath batch = batch_path(*model, bars);
    Collect sink;
    ModelStrategy live({{"BTC/USDT", model}}, sizing(), &sink);
    run_backtest({InstrumentRegistry().get("BTC/USDT")}, {&bars}, live, backtest_config(cfg, 1));
    ASSERT_EQ(sink.rows.size(), batch.p.size());
    const auto& w = model->ensemble->weights();
    ASSERT_EQ(w.size(), 2u);
    for (std::size_t k = 0; k < sink.rows.size(); ++k) {
        const auto& r = sink.rows[k];
        // The vote path predicts what the batch does (torch may sum a batch in another order).
        ASSERT_NEAR(r.p, batch.p[k], 1e-6) << k;
        ASSERT_TRUE(r.vote) << k;
        const EnsembleVote& v = *r.vote;
        ASSERT_EQ(v.members, (std::vector<std::string>{"gbdt", "lstm"}));
        // The ensemble's P(up) is the weighted vote; the reported P(up) is it, calibrated.
        double raw = 0, agree = 0;
        for (std::size_t m = 0; m < 2; ++m) raw += w[m] * v.member_p[m];
        for (std::size_t m = 0; m < 2; ++m)
            if ((v.member_p[m] >= 0.5) == (raw >= 0.5)) agree += w[m];
        EXPECT_NEAR(v.p, raw, 1e-12) << k;
        EXPECT_NEAR(v.agreement, agree, 1e-12) << k;
        EXPECT_EQ(r.p, model->trained.calibrator.apply(v.p)) << k;
    }
}

TEST(ModelStrategy, symbol_without_model_is_never_traded_and_said_once) {
    const BarSeries btc = synthetic("BTC/USDT", 900, 1);
    BarSeries eth = synthetic("ETH/USDT", 900, 2);
    const ModelsConfig cfg = test_config();
    const auto model = train_live(btc, "gbdt", 0.6, cfg);
    Collect sink;
    ModelStrategy live({{"BTC/USDT", model}}, sizing(), &sink);
    const InstrumentRegistry reg;
    BacktestConfig bt = backtest_config(cfg, 2);
    bt.record_fills = true;
    const auto r = run_backtest({reg.get("BTC/USDT"), reg.get("ETH/USDT")}, {&btc, &eth}, live, bt);
    ASSERT_EQ(sink.notices.size(), 1u);
    EXPECT_NE(sink.notices[0].find("ETH/USDT: no production model"), std::string::npos);
    for (const auto& row : sink.rows)
        EXPECT_EQ(row.symbol, "BTC/USDT");
    for (const auto& f : r.fills)
        EXPECT_EQ(f.instrument, 0u) << "ETH was traded";
    EXPECT_GT(r.fills.size(), 0u);
}

namespace {
/// Swaps the model before the first step at or after `at`, as the daemon does between bars.
struct SwapAt final : Strategy {
    ModelStrategy& inner;
    std::shared_ptr<const LiveModel> next;
    TimeMs at;
    bool done = false;
    SwapAt(ModelStrategy& s, std::shared_ptr<const LiveModel> n, TimeMs t)
        : inner(s), next(std::move(n)), at(t) {}
    std::string name() const override { return "swap"; }
    void on_start(StrategyContext& c) override { inner.on_start(c); }
    void on_bar(StrategyContext& c, InstrumentId i) override {
        if (!done && c.bars(i).last_time() >= at) {
            EXPECT_EQ(inner.swap_model(next), std::vector<std::string>{"BTC/USDT"});
            done = true;
        }
        inner.on_bar(c, i);
    }
};
} // namespace

TEST(ModelStrategy, swap_applies_from_the_next_bar_with_the_new_models_predictions) {
    const BarSeries bars = synthetic("BTC/USDT", 1000, 3);
    const ModelsConfig cfg = test_config();
    const auto m1 = train_live(bars, "gbdt", 0.5, cfg, 1);
    ModelsConfig cfg2 = cfg;
    cfg2.gbdt["max_depth"] = 2;
    const auto m2 = train_live(bars, "gbdt", 0.7, cfg2, 2);
    const BatchPath b1 = batch_path(*m1, bars), b2 = batch_path(*m2, bars);
    const TimeMs at = b1.time[b1.time.size() / 2];
    Collect sink;
    ModelStrategy live({{"BTC/USDT", m1}}, sizing(), &sink);
    SwapAt s(live, m2, at);
    run_backtest({InstrumentRegistry().get("BTC/USDT")}, {&bars}, s, backtest_config(cfg, 1));
    ASSERT_EQ(sink.rows.size(), b1.p.size());
    std::size_t before = 0, after = 0;
    for (std::size_t k = 0; k < sink.rows.size(); ++k) {
        if (sink.rows[k].time < at) {
            EXPECT_EQ(sink.rows[k].p, b1.p[k]);
            EXPECT_EQ(sink.rows[k].model, "gbdt-test v1");
            ++before;
        } else {
            EXPECT_EQ(sink.rows[k].p, b2.p[k]);
            EXPECT_EQ(sink.rows[k].model, "gbdt-test v2");
            ++after;
        }
    }
    EXPECT_GT(before, 100u);
    EXPECT_GT(after, 100u);
    EXPECT_EQ(live.model_for("BTC/USDT")->record.version, 2);
}

TEST(ModelStrategy, registry_load_refuses_another_feature_set_and_resolves_production) {
    test::TempDir dir;
    const BarSeries bars = synthetic("BTC/USDT", 800, 4);
    const ModelsConfig cfg = test_config();
    auto m = train_live(bars, "gbdt", 0.8, cfg);
    ModelRegistry reg(dir / "registry", nullptr);
    ModelRecord rec = m->record;
    rec.name = "gbdt-BTCUSDT-4h";
    rec.extra = {
        {"calibrator", m->trained.calibrator.to_json()},
        {"edge", {{"avg_up", m->trained.edge.avg_up}, {"avg_down", m->trained.edge.avg_down}}}};
    rec.gating = {{"passed", false}};
    rec =
        reg.register_model(rec, [&](const std::filesystem::path& p) { m->trained.model->save(p); });

    // No production version yet: nothing resolves, and a named model without one is refused.
    EXPECT_TRUE(resolve_models(reg, {"BTC/USDT"}, "4h", {}).empty());
    EXPECT_THROW(resolve_models(reg, {"BTC/USDT"}, "4h", {"gbdt-BTCUSDT-4h", 0, "gbdt"}),
                 InputError);
    EXPECT_THROW(resolve_models(reg, {"BTC/USDT"}, "4h", {"nope", 0, "gbdt"}), InputError);
    EXPECT_THROW(resolve_models(reg, {"BTC/USDT"}, "1h", {"gbdt-BTCUSDT-4h", 1, "gbdt"}),
                 InputError);
    reg.promote("gbdt-BTCUSDT-4h", 1, true, make_time(2024, 1, 1));
    const auto resolved = resolve_models(reg, {"BTC/USDT", "ETH/USDT"}, "4h", {});
    ASSERT_EQ(resolved.size(), 1u);
    EXPECT_EQ(resolved.at("BTC/USDT").version, 1);

    const FeatureConfig same = FeatureConfig::parse(FeatureConfig::default_yaml(), "features.yaml");
    const auto loaded = LiveModel::load(resolved.at("BTC/USDT"), same);
    EXPECT_NE(loaded->gbdt, nullptr);
    EXPECT_EQ(loaded->label(), "gbdt-BTCUSDT-4h v1");

    // The same set name with another definition: a different ID, refused by name.
    const FeatureConfig other = FeatureConfig::parse(
        "sets:\n  default:\n    features:\n      - {indicator: rsi, period: 14}\n",
        "features.yaml");
    try {
        LiveModel::load(resolved.at("BTC/USDT"), other);
        FAIL() << "a model on another feature set was accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("feature set"), std::string::npos) << e.what();
    }
}

TEST(ModelStrategy, a_swapped_policy_carries_the_open_position_and_its_age) {
    ModelsConfig cfg = test_config();
    cfg.policy.max_hold_bars = 3;
    const EdgeEstimate edge{0.02, -0.01};
    DecisionPolicy old(cfg.policy, cfg.costs, edge, 6);
    ASSERT_EQ(old.step(0.9).target, 1.0);
    ASSERT_EQ(old.step(0.9).target, 1.0); // held 1 bar
    DecisionPolicy next(cfg.policy, cfg.costs, edge, 6);
    next.resume(old.position(), old.held());
    EXPECT_EQ(next.position(), 1.0);
    EXPECT_EQ(next.step(0.9).target, 1.0); // held 2 bars
    const Decision out = next.step(0.9);   // held 3 bars: the max hold exits
    EXPECT_EQ(out.target, 0.0);
    EXPECT_NE(out.reason.find("max 3"), std::string::npos) << out.reason;
    EXPECT_TRUE(next.step(0.5, false).reason.empty()); // no words when not asked
}

TEST(ModelStrategy, sequence_model_bar_by_bar_matches_batch_from_its_rolling_history) {
    const BarSeries bars = synthetic("BTC/USDT", 700, 21);
    ModelsConfig cfg = test_config();
    cfg.lstm = {{"seq_len", 8}, {"hidden", 8}, {"epochs", 2}, {"batch", 64}, {"threads", 1}};
    const auto model = train_live(bars, "lstm", 0.6, cfg);
    const BatchPath batch = batch_path(*model, bars);
    Collect sink;
    ModelStrategy live({{"BTC/USDT", model}}, sizing(), &sink);
    run_backtest({InstrumentRegistry().get("BTC/USDT")}, {&bars}, live, backtest_config(cfg, 1));
    ASSERT_EQ(sink.rows.size(), batch.p.size());
    double worst = 0;
    for (std::size_t k = 0; k < batch.p.size(); ++k) {
        EXPECT_EQ(sink.rows[k].time, batch.time[k]);
        worst = std::max(worst, std::fabs(sink.rows[k].p - batch.p[k]));
    }
    // The same sequences; libtorch's float32 one-row forward pass rounds differently from the
    // batched one (measured ~7e-7), which is the only difference.
    EXPECT_LT(worst, 1e-5);
}

TEST(ModelStrategy, cross_asset_model_sees_every_symbols_bar_of_the_step) {
    const BarSeries btc = synthetic("BTC/USDT", 700, 31);
    const BarSeries eth = synthetic("ETH/USDT", 700, 32);
    ModelsConfig cfg = test_config();
    cfg.gnn = {{"hidden", 8}, {"epochs", 2}, {"batch", 64}, {"threads", 1}};
    FixedHorizonParams lp;
    lp.horizon = cfg.labels.horizon;
    const Dataset d = build_dataset({{features_of(btc), fixed_horizon_labels(btc, lp)},
                                     {features_of(eth), fixed_horizon_labels(eth, lp)}});
    auto m = std::make_shared<LiveModel>();
    m->trained = train_model(d, all_rows(d.rows() * 6 / 10), "gnn", cfg);
    m->config = cfg;
    m->features = default_set();
    m->record.name = "gnn-test";
    m->record.version = 1;
    m->record.kind = "gnn";
    m->record.symbols = {"BTC/USDT", "ETH/USDT"};
    m->record.feature_set_id = d.feature_set_id;

    const Dataset all = features_only_dataset({features_of(btc), features_of(eth)});
    const auto p = m->trained.predict(all, all_rows(all.rows()));
    std::map<std::pair<TimeMs, std::string>, double> batch;
    for (std::size_t i = 0; i < all.rows(); ++i)
        batch[{all.t[i] - btc.timeframe.ms(), all.symbols[static_cast<std::size_t>(all.sym[i])]}] =
            p[i];

    Collect sink;
    ModelStrategy live({{"BTC/USDT", m}, {"ETH/USDT", m}}, sizing(), &sink);
    const InstrumentRegistry reg;
    run_backtest({reg.get("BTC/USDT"), reg.get("ETH/USDT")}, {&btc, &eth}, live,
                 backtest_config(cfg, 2));
    ASSERT_EQ(sink.rows.size(), batch.size());
    for (const auto& r : sink.rows) {
        const auto it = batch.find({r.time, r.symbol});
        ASSERT_NE(it, batch.end()) << r.symbol << " " << r.time;
        EXPECT_NEAR(r.p, it->second, 1e-5) << r.symbol << " " << format_time(r.time);
    }
}

// A cross-asset set (ETH with BTC/USDT as reference) through the one feature context builder:
// the live model reads the reference bars from the store and predicts exactly the batch values;
// without a store the symbol is not traded (and nothing throws between bars).
TEST(ModelStrategy, cross_asset_feature_set_trades_live_with_reference_bars_from_the_store) {
    AURUM_REQUIRE_SHARED_DATA(btc_csv, "crypto/binance/BTCUSDT_4h.csv");
    AURUM_REQUIRE_SHARED_DATA(eth_csv, "crypto/binance/ETHUSDT_4h.csv");
    const TimeRange range{make_time(2023, 1, 1), make_time(2024, 1, 1)};
    const BarSeries btc = load_csv(btc_csv, "BTC/USDT", range);
    const BarSeries eth = load_csv(eth_csv, "ETH/USDT", range);
    test::TempDir dir;
    auto store = open_market_store((dir.path() / "m.db").string());
    store->upsert_bars(btc);
    store->upsert_bars(eth);

    static const FeatureConfig fc =
        FeatureConfig::parse(FeatureConfig::default_yaml(), "<built-in features.yaml>");
    const FeatureSetDef& cross = fc.get("cross_btc");
    const FeatureInputs inputs{store.get(), nullptr, nullptr};
    const FeatureMatrix fm = build_feature_matrix(
        eth, cross, build_feature_context(cross, "ETH/USDT", eth.timeframe, false, inputs));
    ASSERT_EQ(fm.cols(), default_set().column_names().size() + 5); // + ret, vol, trend, corr, beta

    const ModelsConfig cfg = test_config();
    FixedHorizonParams lp;
    lp.horizon = cfg.labels.horizon;
    const Dataset d = build_dataset({{fm, fixed_horizon_labels(eth, lp)}});
    auto m = std::make_shared<LiveModel>();
    m->trained = train_model(d, all_rows(d.rows() / 2), "gbdt", cfg);
    m->config = cfg;
    m->features = cross;
    m->record.name = "gbdt-cross";
    m->record.version = 1;
    m->record.symbols = {"ETH/USDT"};
    m->record.feature_set_id = d.feature_set_id;
    m->gbdt = dynamic_cast<const GbdtModel*>(m->trained.model.get());
    const Dataset all = features_only_dataset({fm});
    const auto batch = m->trained.predict(all, all_rows(all.rows()));

    const std::vector<Instrument> inst{InstrumentRegistry().get("ETH/USDT")};
    Collect sink;
    ModelStrategy live({{"ETH/USDT", m}}, sizing(), &sink);
    live.set_feature_inputs(inputs);
    run_backtest(inst, {&eth}, live, backtest_config(cfg, 1));
    ASSERT_EQ(sink.rows.size(), batch.size());
    std::size_t differ = 0;
    for (std::size_t k = 0; k < batch.size(); ++k) differ += sink.rows[k].p != batch[k];
    EXPECT_EQ(differ, 0u) << "bit for bit, as the batch path";

    Collect none;
    ModelStrategy blind({{"ETH/USDT", m}}, sizing(), &none);
    const auto r = run_backtest(inst, {&eth}, blind, backtest_config(cfg, 1));
    EXPECT_TRUE(none.rows.empty());
    EXPECT_EQ(r.orders_submitted, 0u);
}

// The reference bars grow in real time: appended from the store, never re-read from the start.
TEST(ModelStrategy, reference_bars_are_appended_as_the_store_grows) {
    test::TempDir dir;
    auto store = open_market_store((dir.path() / "m.db").string());
    const BarSeries btc = synthetic("BTC/USDT", 300, 41);
    store->upsert_bars(btc.slice({INT64_MIN, btc.time[200]}));
    static const FeatureConfig fc =
        FeatureConfig::parse(FeatureConfig::default_yaml(), "<built-in features.yaml>");
    FeatureContext ctx = build_feature_context(fc.get("cross_btc"), "ETH/USDT", btc.timeframe,
                                               false, {store.get(), nullptr, nullptr});
    ASSERT_EQ(ctx.references.at("BTC/USDT").size(), 200u);
    store->upsert_bars(btc);
    EXPECT_EQ(append_new_reference_bars(ctx, *store), 100u);
    EXPECT_EQ(ctx.references.at("BTC/USDT").size(), 300u);
    EXPECT_EQ(ctx.references.at("BTC/USDT").time.back(), btc.time.back());
    EXPECT_EQ(append_new_reference_bars(ctx, *store), 0u);
    // A set that needs reference bars the store does not have: refused, naming them.
    auto empty = open_market_store((dir.path() / "e.db").string());
    try {
        build_feature_context(fc.get("cross_btc"), "ETH/USDT", btc.timeframe, false,
                              {empty.get(), nullptr, nullptr});
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("BTC/USDT 4h bars"), std::string::npos) << e.what();
    }
    // External series have no live source: refused with the reason.
    const auto gap = live_feature_gap(fc.get("onchain"));
    ASSERT_TRUE(gap.has_value());
    EXPECT_NE(gap->find("coinmetrics:btc:CapMVRVCur"), std::string::npos);
    EXPECT_FALSE(live_feature_gap(fc.get("cross_btc")).has_value());
}
