#include "models/walkforward.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backtest/strategies.hpp"
#include "core/error.hpp"
#include "models/ensemble.hpp"
#include "models/purged_split.hpp"

namespace aurum {

std::vector<double> TrainedModel::predict(const Dataset& d, std::span<const std::size_t> rows) const {
    return calibrator.apply(model->predict_proba(d, rows));
}

namespace {

std::unique_ptr<Model> new_model(const std::string& kind, const ModelsConfig& cfg) {
    if (kind == "ensemble") {
        std::vector<std::pair<std::string, nlohmann::json>> members;
        for (const auto& k : cfg.ensemble_members) members.emplace_back(k, cfg.params_for(k));
        return std::make_unique<EnsembleModel>(members, cfg.calibration);
    }
    return make_model(kind, cfg.params_for(kind));
}

std::vector<float> labels_of(const Dataset& d, std::span<const std::size_t> rows) {
    std::vector<float> y;
    y.reserve(rows.size());
    for (std::size_t i : rows) y.push_back(d.y[i]);
    return y;
}

double auc_se(std::size_t pos, std::size_t neg) {
    // Standard error of the AUC under the null (Hanley & McNeil, AUC = 0.5).
    if (pos == 0 || neg == 0) return 0.5;
    return std::sqrt(static_cast<double>(pos + neg + 1) / (12.0 * static_cast<double>(pos) * static_cast<double>(neg)));
}

} // namespace

TrainedModel train_model(const Dataset& d, std::span<const std::size_t> rows,
                         const std::string& kind, const ModelsConfig& cfg) {
    const std::vector<std::size_t> all(rows.begin(), rows.end());
    auto [fit, valid] = purged_holdout(all, d.t, d.t1, cfg.validation_fraction);
    if (fit.empty() || valid.empty())
        throw InputError(fmt::format("too little data to train {}: {} rows leave no validation part",
                                     kind, rows.size()));
    d.require_two_classes(fit);
    TrainedModel tm;
    tm.kind = kind;
    tm.model = new_model(kind, cfg);
    tm.model->fit(d, fit, valid);
    // The ensemble calibrates its members itself.
    tm.calibrator = Calibrator(kind == "ensemble" ? CalibrationMethod::None : cfg.calibration);
    const auto yv = labels_of(d, valid);
    tm.calibrator.fit(tm.model->predict_proba(d, valid), yv);
    tm.valid_metrics = classification_metrics(tm.predict(d, valid), yv);
    tm.train_metrics = classification_metrics(tm.predict(d, fit), labels_of(d, fit));
    tm.edge = EdgeEstimate::from_training(d, fit);
    tm.fit_rows = fit.size();
    tm.valid_rows = valid.size();
    return tm;
}

BacktestConfig backtest_config(const ModelsConfig& cfg, std::size_t) {
    BacktestConfig b;
    b.initial_capital = 10000;
    b.fill.fees.maker = cfg.costs.fee;
    b.fill.fees.taker = cfg.costs.fee;
    b.fill.spread.mode = SpreadModel::Mode::FixedBps;
    b.fill.spread.fixed_bps = cfg.costs.spread_bps;
    b.fill.slippage.fixed_bps = cfg.costs.slippage_bps;
    b.allow_short = cfg.policy.allow_short;
    b.record_fills = false;
    return b;
}

std::vector<std::pair<std::string, double>> feature_label_auc(const Dataset& d,
                                                              std::span<const std::size_t> rows) {
    std::vector<std::pair<std::string, double>> out;
    const auto y = labels_of(d, rows);
    std::vector<double> col(rows.size());
    for (std::size_t j = 0; j < d.cols; ++j) {
        for (std::size_t k = 0; k < rows.size(); ++k) col[k] = d.at(rows[k], j);
        const double auc = classification_metrics(col, y).auc;
        out.emplace_back(d.feature_names[j], std::max(auc, 1 - auc));
    }
    return out;
}

namespace {

/// Backtests target signals over bars with open time in [from, to) of every symbol.
std::pair<BacktestResult, Metrics> backtest_span(const MarketData& m, const SignalSeries& sig,
                                                 TimeMs from, TimeMs to, const ModelsConfig& cfg,
                                                 const BacktestRunner& runner,
                                                 std::vector<BarSeries>& keep) {
    keep.clear();
    for (const auto& b : m.bars) keep.push_back(b.slice({from, to}));
    std::vector<const BarSeries*> ptrs;
    for (const auto& b : keep) {
        if (b.empty())
            throw InputError(fmt::format("no {} bars of {} in the test window {} .. {}",
                                         b.timeframe.name(), b.symbol, format_time(from), format_time(to)));
        ptrs.push_back(&b);
    }
    StrategySpec spec;
    spec.name = "signals";
    spec.sizing.mode = SizingConfig::Mode::EquityFraction;
    // Leave room for fees and spread so an all-in entry is not rejected for cash.
    spec.sizing.fraction = 0.98 / static_cast<double>(m.bars.size());
    spec.signals = std::make_shared<SignalSeries>(sig);
    auto strategy = make_strategy(spec);
    auto result = runner.run(m.instruments, ptrs, *strategy, backtest_config(cfg, m.bars.size()));
    auto metrics = compute_metrics(result, ptrs);
    return {std::move(result), std::move(metrics)};
}

double mean_buy_hold_sharpe(const Metrics& m) {
    if (m.buy_hold.empty()) return 0;
    double s = 0;
    for (const auto& b : m.buy_hold) s += b.sharpe;
    return s / static_cast<double>(m.buy_hold.size());
}

double mean_buy_hold_return(const Metrics& m) {
    if (m.buy_hold.empty()) return 0;
    double s = 0;
    for (const auto& b : m.buy_hold) s += b.total_return;
    return s / static_cast<double>(m.buy_hold.size());
}

} // namespace

WalkForwardResult run_walkforward(const Dataset& d, const MarketData& market,
                                  const std::string& kind, const ModelsConfig& cfg,
                                  const BacktestRunner& runner) {
    d.validate();
    if (market.bars.size() != std::max<std::size_t>(1, d.symbols.size()) ||
        market.instruments.size() != market.bars.size())
        throw InputError("walk-forward: bars and instruments must match the dataset's symbols");
    const Timeframe tf = market.bars.front().timeframe;
    WalkForwardResult r;
    r.kind = kind;
    r.symbols = d.symbols;
    r.timeframe = tf;
    r.rows = d.rows();
    r.data_from = d.t.front();
    r.data_to = d.t.back();
    r.risk = runner.risk_label();

    SplitConfig split = cfg.split;
    const int embargo_bars = cfg.embargo_bars >= 0 ? cfg.embargo_bars : cfg.labels.horizon;
    split.embargo = static_cast<TimeMs>(embargo_bars) * tf.ms();
    const auto folds = purged_walk_forward(d.t, d.t1, split);
    d.require_two_classes(all_rows(d.rows()));

    std::vector<SignalSeries::Record> all_records;
    std::vector<double> shuffled_p;
    std::vector<float> shuffled_y, oos_y;
    std::vector<double> train_p;
    std::vector<float> train_y;
    std::mt19937_64 rng(cfg.leakage.shuffle_seed);
    std::vector<BarSeries> scratch;
    for (const auto& f : folds) {
        spdlog::info("walk-forward {} fold {}/{}: train {} rows, test {} rows from {}", kind,
                     f.index + 1, folds.size(), f.train.size(), f.test.size(), format_time(f.test_from));
        FoldReport fr;
        fr.index = f.index;
        fr.train_from = d.t[f.train.front()];
        fr.train_to = d.t[f.train.back()];
        fr.test_from = f.test_from;
        fr.test_to = d.t[f.test.back()];
        fr.train_rows = f.train.size();
        fr.test_rows = f.test.size();
        fr.purged = f.purged;
        fr.embargoed = f.embargoed;
        fr.overlaps = count_overlaps(f, d.t, d.t1);
        r.leakage.t1_overlaps += fr.overlaps;

        TrainedModel tm = train_model(d, f.train, kind, cfg);
        const auto p = tm.predict(d, f.test);
        const auto yt = labels_of(d, f.test);
        fr.test = classification_metrics(p, yt);
        fr.train = tm.train_metrics;
        fr.best_iteration = tm.model->learning_curve().best_iteration;
        {
            const auto ptrain = tm.predict(d, f.train);
            const auto ytrain = labels_of(d, f.train);
            train_p.insert(train_p.end(), ptrain.begin(), ptrain.end());
            train_y.insert(train_y.end(), ytrain.begin(), ytrain.end());
        }
        r.oos_p.insert(r.oos_p.end(), p.begin(), p.end());
        oos_y.insert(oos_y.end(), yt.begin(), yt.end());
        for (std::size_t i : f.test) r.oos_time.push_back(d.t[i]);

        // Shuffled-label control: the same model kind (an ensemble too, members and weights
        // included) trained on permuted training labels must not predict.
        {
            Dataset shuffled = d;
            std::vector<float> ys = labels_of(d, f.train);
            std::shuffle(ys.begin(), ys.end(), rng);
            for (std::size_t k = 0; k < f.train.size(); ++k) shuffled.y[f.train[k]] = ys[k];
            TrainedModel ctl = train_model(shuffled, f.train, kind, cfg);
            const auto ps = ctl.predict(d, f.test);
            fr.shuffled_auc = classification_metrics(ps, yt).auc;
            shuffled_p.insert(shuffled_p.end(), ps.begin(), ps.end());
            shuffled_y.insert(shuffled_y.end(), yt.begin(), yt.end());
        }

        // Decisions: one policy per symbol, reset at the start of each fold.
        std::vector<DecisionPolicy> policies;
        for (std::size_t s = 0; s < market.bars.size(); ++s)
            policies.emplace_back(cfg.policy, cfg.costs, tm.edge, cfg.labels.horizon);
        std::vector<SignalSeries::Record> records;
        for (std::size_t k = 0; k < f.test.size(); ++k) {
            const std::size_t i = f.test[k];
            auto& pol = policies[static_cast<std::size_t>(d.sym[i])];
            const double before = pol.position();
            const Decision dec = pol.step(p[k]);
            if (before == 0 && dec.target != 0) ++r.entries;
            records.push_back({d.t[i] - tf.ms(), market.bars[static_cast<std::size_t>(d.sym[i])].symbol,
                               dec.target});
        }
        const TimeMs from = f.test_from - tf.ms();
        const TimeMs to = d.t[f.test.back()]; // open of the bar after the last decision bar + 1 bar
        const auto sig = SignalSeries::from_records(records, SignalSeries::Kind::Target);
        auto [res, met] = backtest_span(market, sig, from, to + tf.ms(), cfg, runner, scratch);
        fr.backtest = met;
        fr.buy_hold_sharpe = mean_buy_hold_sharpe(met);
        fr.buy_hold_return = mean_buy_hold_return(met);
        all_records.insert(all_records.end(), records.begin(), records.end());
        if (&f == &folds.back()) {
            r.importance = tm.model->importance();
            r.curve = tm.model->learning_curve();
        }
        r.folds.push_back(std::move(fr));
    }

    // Stitched OOS: every fold's signals through one engine over the whole OOS span.
    const TimeMs oos_from = folds.front().test_from - tf.ms();
    const TimeMs oos_to = d.t[folds.back().test.back()] + tf.ms();
    const auto sig = SignalSeries::from_records(all_records, SignalSeries::Kind::Target);
    auto [res, met] = backtest_span(market, sig, oos_from, oos_to, cfg, runner, scratch);
    r.backtest = met;
    r.equity = res.curve;
    std::vector<const BarSeries*> ptrs;
    for (const auto& b : scratch) ptrs.push_back(&b);
    r.buy_hold_equity = buy_hold_curve(res, ptrs);
    r.buy_hold_sharpe = mean_buy_hold_sharpe(met);

    // Leakage controls.
    r.oos = classification_metrics(r.oos_p, oos_y);
    const auto train_all = classification_metrics(train_p, train_y);
    LeakageReport& L = r.leakage;
    L.train_accuracy = train_all.accuracy;
    L.train_auc = train_all.auc;
    L.test_accuracy = r.oos.accuracy;
    L.test_auc = r.oos.auc;
    const auto sh = classification_metrics(shuffled_p, shuffled_y);
    L.shuffled_auc = sh.auc;
    const std::size_t pos = sh.tp + sh.fn, neg = sh.tn + sh.fp;
    L.shuffled_band = std::max(cfg.leakage.chance_band, 3 * auc_se(pos, neg));
    L.shuffled_ok = std::abs(sh.auc - 0.5) <= L.shuffled_band;
    if (!L.shuffled_ok)
        L.flags.push_back(fmt::format("shuffled-label control scored AUC {:.3f}, outside chance "
                                      "0.5 +- {:.3f}: the pipeline leaks labels",
                                      sh.auc, L.shuffled_band));
    if (L.t1_overlaps > 0)
        L.flags.push_back(fmt::format("{} training samples have labels reaching into their test window",
                                      L.t1_overlaps));
    for (const auto& [name, auc] : feature_label_auc(d, folds.front().train))
        if (auc > cfg.leakage.max_feature_auc) L.suspicious_features.emplace_back(name, auc);
    for (const auto& [name, auc] : L.suspicious_features)
        L.flags.push_back(fmt::format("feature '{}' alone predicts the label with AUC {:.3f} "
                                      "(> {:.2f}): look-ahead suspected",
                                      name, auc, cfg.leakage.max_feature_auc));
    L.oos_implausible = r.oos.auc > cfg.leakage.max_oos_auc;
    if (L.oos_implausible)
        L.flags.push_back(fmt::format("out-of-sample AUC {:.3f} > {:.2f} is implausible for market "
                                      "data: check features for future information",
                                      r.oos.auc, cfg.leakage.max_oos_auc));
    return r;
}

} // namespace aurum
