#include "models/models_config.hpp"

#include <fmt/format.h>

#include "core/config.hpp"
#include "core/error.hpp"
#include "models/gbdt.hpp"
#include "models/neural.hpp"

namespace aurum {

namespace {

nlohmann::json yaml_scalars_to_json(const ConfigNode& node) {
    nlohmann::json j = nlohmann::json::object();
    if (!node.defined()) return j;
    for (const auto& k : node.keys()) {
        const ConfigNode c = node.child(k);
        const auto& raw = c.raw();
        if (!raw.IsScalar()) node.fail(k, "expected a scalar value");
        const std::string s = raw.as<std::string>();
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end && *end == '\0' && !s.empty()) j[k] = v;
        else if (s == "true" || s == "false") j[k] = s == "true";
        else j[k] = s;
    }
    return j;
}

} // namespace

const std::string& default_models_yaml() {
    static const std::string text = R"(# Aurum Edge model training, validation, decision policy and gating (docs/models.md).
feature_set: default          # a set from config/features.yaml
labels:
  method: fixed               # fixed | triple-barrier
  horizon: 6                  # bars the label looks ahead
  dead_zone: 0.0              # fixed: a return must exceed this to count as "up"
  pt_mult: 2.0                # triple-barrier: profit-take in horizon-scaled volatility units
  sl_mult: 1.0                # triple-barrier: stop-loss
  vol_window: 20
walkforward:
  folds: 5
  scheme: expanding           # expanding | rolling | kfold
  initial_train_fraction: 0.5 # share of history before the first test window
  rolling_train_bars: 0       # rolling: training window length
  embargo_bars: -1            # after each test window; -1 = the label horizon
  validation_fraction: 0.2    # tail of each training window for early stopping + calibration
  min_train_rows: 200
  min_test_rows: 30
calibration: platt            # none | platt | isotonic
models:
  gbdt:
    max_depth: 4
    eta: 0.05
    rounds: 400
    early_stopping: 30
    subsample: 0.8
    colsample_bytree: 0.8
    min_child_weight: 5
    nthread: 2
    seed: 42
  lstm:
    seq_len: 16
    hidden: 32
    epochs: 30
    batch: 128
    lr: 0.003
    patience: 5
    threads: 1
    seed: 42
  gnn:
    hidden: 32
    layers: 1
    epochs: 30
    batch: 128
    lr: 0.003
    patience: 5
    threads: 1
    seed: 42
  ensemble:
    members: [gbdt, lstm, gnn]
policy:
  threshold: 0.70             # enter when calibrated P(up) >= threshold ...
  exit_threshold: 0.50        # ... and expected value after costs > 0; exit below this
  max_hold_bars: 0            # 0 = label horizon
  allow_short: false
costs:
  fee: 0.001                  # per side
  spread_bps: 2
  slippage_bps: 2
leakage:
  max_feature_auc: 0.70
  max_oos_auc: 0.75
  chance_band: 0.05
  shuffle_seed: 7
gating:
  min_sharpe: 1.0             # walk-forward out-of-sample Sharpe must exceed this
  max_drawdown: 0.20          # and max drawdown stay below this
  min_trades: 20
  beat_buy_hold: true         # Sharpe above buy-and-hold of the same bars
  require_clean_leakage: true
)";
    return text;
}

const nlohmann::json& ModelsConfig::params_for(const std::string& kind) const {
    if (kind == "gbdt") return gbdt;
    if (kind == "lstm") return lstm;
    if (kind == "gnn") return gnn;
    throw InputError(fmt::format("model kind '{}': expected gbdt, lstm or gnn", kind));
}

ModelsConfig ModelsConfig::load(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) return parse(default_models_yaml(), "<built-in models.yaml>");
    const ConfigNode root = ConfigNode::load_file(file.string());
    return parse(YAML::Dump(root.raw()), file.string());
}

ModelsConfig ModelsConfig::parse(const std::string& yaml, const std::string& file) {
    const ConfigNode root = ConfigNode::parse(yaml, file);
    ModelsConfig c;
    if (!root.defined()) return c;
    root.allow_keys({"feature_set", "labels", "walkforward", "calibration", "models", "policy",
                     "costs", "leakage", "gating"});
    c.feature_set = root.get_string("feature_set", c.feature_set);
    if (auto l = root.child("labels"); l.defined()) {
        l.allow_keys({"method", "horizon", "dead_zone", "pt_mult", "sl_mult", "vol_window"});
        c.labels.method = l.get_string("method", c.labels.method);
        if (c.labels.method != "fixed" && c.labels.method != "triple-barrier")
            l.fail("method", "expected fixed or triple-barrier, got '" + c.labels.method + "'");
        c.labels.horizon = static_cast<int>(l.get_int("horizon", c.labels.horizon));
        if (c.labels.horizon < 1) l.fail("horizon", "must be >= 1");
        c.labels.dead_zone = l.get_non_negative("dead_zone", c.labels.dead_zone);
        c.labels.pt_mult = l.get_positive("pt_mult", c.labels.pt_mult);
        c.labels.sl_mult = l.get_positive("sl_mult", c.labels.sl_mult);
        c.labels.vol_window = static_cast<int>(l.get_int("vol_window", c.labels.vol_window));
    }
    if (auto w = root.child("walkforward"); w.defined()) {
        w.allow_keys({"folds", "scheme", "initial_train_fraction", "rolling_train_bars",
                      "embargo_bars", "validation_fraction", "min_train_rows", "min_test_rows"});
        c.split.folds = static_cast<int>(w.get_int("folds", c.split.folds));
        if (c.split.folds < 1 || c.split.folds > 100) w.fail("folds", "must be in [1, 100]");
        try {
            c.split.scheme = parse_window_scheme(w.get_string("scheme", "expanding"));
        } catch (const InputError& e) {
            w.fail("scheme", e.what());
        }
        c.split.initial_train_fraction =
            w.get_in_range("initial_train_fraction", c.split.initial_train_fraction, 0.05, 0.95);
        c.split.rolling_train_times = static_cast<std::size_t>(w.get_int("rolling_train_bars", 0));
        c.embargo_bars = static_cast<int>(w.get_int("embargo_bars", c.embargo_bars));
        c.validation_fraction = w.get_in_range("validation_fraction", c.validation_fraction, 0.05, 0.5);
        c.split.min_train_rows = static_cast<std::size_t>(w.get_int("min_train_rows", 200));
        c.split.min_test_rows = static_cast<std::size_t>(w.get_int("min_test_rows", 30));
    } else {
        c.split.min_train_rows = 200;
        c.split.min_test_rows = 30;
    }
    if (root.has("calibration")) {
        try {
            c.calibration = parse_calibration(root.get_string("calibration"));
        } catch (const InputError& e) {
            root.fail("calibration", e.what());
        }
    }
    if (auto m = root.child("models"); m.defined()) {
        m.allow_keys({"gbdt", "lstm", "gnn", "ensemble"});
        c.gbdt = yaml_scalars_to_json(m.child("gbdt"));
        c.lstm = yaml_scalars_to_json(m.child("lstm"));
        c.gnn = yaml_scalars_to_json(m.child("gnn"));
        // Validate hyper-parameters now so a typo fails before any training.
        try {
            GbdtParams::from_json(c.gbdt);
        } catch (const InputError& e) {
            m.fail("gbdt", e.what());
        }
        for (const char* k : {"lstm", "gnn"}) {
            try {
                NeuralParams::from_json(k == std::string("lstm") ? c.lstm : c.gnn, k);
            } catch (const InputError& e) {
                m.fail(k, e.what());
            }
        }
        if (auto e = m.child("ensemble"); e.defined()) {
            e.allow_keys({"members"});
            c.ensemble_members = e.get_strings("members");
            for (const auto& k : c.ensemble_members)
                if (k != "gbdt" && k != "lstm" && k != "gnn")
                    e.fail("members", "unknown member '" + k + "' (expected gbdt, lstm, gnn)");
            if (c.ensemble_members.empty()) e.fail("members", "needs at least one member");
        }
    }
    if (auto p = root.child("policy"); p.defined()) {
        p.allow_keys({"threshold", "exit_threshold", "max_hold_bars", "allow_short"});
        c.policy.threshold = p.get_in_range("threshold", c.policy.threshold, 0.5, 1.0);
        c.policy.exit_threshold = p.get_in_range("exit_threshold", c.policy.exit_threshold, 0.0, 1.0);
        if (c.policy.exit_threshold > c.policy.threshold)
            p.fail("exit_threshold", "must not exceed threshold");
        c.policy.max_hold_bars = static_cast<int>(p.get_int("max_hold_bars", 0));
        c.policy.allow_short = p.get_bool("allow_short", false);
    }
    if (auto k = root.child("costs"); k.defined()) {
        k.allow_keys({"fee", "spread_bps", "slippage_bps"});
        c.costs.fee = k.get_in_range("fee", c.costs.fee, 0.0, 0.05);
        c.costs.spread_bps = k.get_in_range("spread_bps", c.costs.spread_bps, 0.0, 1000.0);
        c.costs.slippage_bps = k.get_in_range("slippage_bps", c.costs.slippage_bps, 0.0, 1000.0);
    }
    if (auto l = root.child("leakage"); l.defined()) {
        l.allow_keys({"max_feature_auc", "max_oos_auc", "chance_band", "shuffle_seed"});
        c.leakage.max_feature_auc = l.get_in_range("max_feature_auc", c.leakage.max_feature_auc, 0.5, 1.0);
        c.leakage.max_oos_auc = l.get_in_range("max_oos_auc", c.leakage.max_oos_auc, 0.5, 1.0);
        c.leakage.chance_band = l.get_in_range("chance_band", c.leakage.chance_band, 0.0, 0.5);
        c.leakage.shuffle_seed = static_cast<unsigned>(l.get_int("shuffle_seed", 7));
    }
    if (auto g = root.child("gating"); g.defined()) {
        g.allow_keys({"min_sharpe", "max_drawdown", "min_trades", "beat_buy_hold", "require_clean_leakage"});
        c.gating.min_sharpe = g.get_double("min_sharpe", c.gating.min_sharpe);
        c.gating.max_drawdown = g.get_in_range("max_drawdown", c.gating.max_drawdown, 0.0, 1.0);
        c.gating.min_trades = static_cast<int>(g.get_int("min_trades", c.gating.min_trades));
        c.gating.beat_buy_hold = g.get_bool("beat_buy_hold", true);
        c.gating.require_clean_leakage = g.get_bool("require_clean_leakage", true);
    }
    return c;
}

nlohmann::json ModelsConfig::to_json() const {
    return {{"feature_set", feature_set},
            {"labels", {{"method", labels.method}, {"horizon", labels.horizon},
                        {"dead_zone", labels.dead_zone}, {"pt_mult", labels.pt_mult},
                        {"sl_mult", labels.sl_mult}, {"vol_window", labels.vol_window}}},
            {"walkforward", {{"folds", split.folds}, {"scheme", to_string(split.scheme)},
                             {"initial_train_fraction", split.initial_train_fraction},
                             {"embargo_bars", embargo_bars},
                             {"validation_fraction", validation_fraction}}},
            {"calibration", to_string(calibration)},
            {"models", {{"gbdt", gbdt}, {"lstm", lstm}, {"gnn", gnn},
                        {"ensemble", {{"members", ensemble_members}}}}},
            {"policy", {{"threshold", policy.threshold}, {"exit_threshold", policy.exit_threshold},
                        {"max_hold_bars", policy.max_hold_bars}, {"allow_short", policy.allow_short}}},
            {"costs", {{"fee", costs.fee}, {"spread_bps", costs.spread_bps},
                       {"slippage_bps", costs.slippage_bps}}},
            {"gating", {{"min_sharpe", gating.min_sharpe}, {"max_drawdown", gating.max_drawdown},
                        {"min_trades", gating.min_trades}, {"beat_buy_hold", gating.beat_buy_hold}}}};
}

} // namespace aurum
