#include "models/training_pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "features/feature_context.hpp"
#include "features/feature_set.hpp"
#include "features/feature_store.hpp"
#include "features/labels.hpp"
#include "models/dataset_builder.hpp"
#include "models/ensemble.hpp"
#include "models/gbdt.hpp"
#include "models/model_report.hpp"

namespace aurum {

namespace fs = std::filesystem;

namespace {

std::string models_yaml_text(const Workspace& ws) {
    const fs::path p = ws.config_file("models.yaml");
    return fs::exists(p) ? read_file(p) : default_models_yaml();
}

ModelsConfig models_config(const Workspace& ws) {
    const fs::path p = ws.config_file("models.yaml");
    return ModelsConfig::parse(models_yaml_text(ws), fs::exists(p) ? p.string() : "<built-in models.yaml>");
}

std::string experiment_id(TimeMs now, const std::string& name) {
    const CivilTime c = civil_from_time(now);
    return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}-{}", c.year, c.month, c.day, c.hour, c.minute,
                       c.second, name);
}

nlohmann::json wf_metrics_json(const WalkForwardResult& wf) {
    nlohmann::json folds = nlohmann::json::array();
    for (const auto& f : wf.folds)
        folds.push_back({{"fold", f.index + 1}, {"test_from", format_iso(f.test_from)},
                         {"test_to", format_iso(f.test_to)}, {"train_rows", f.train_rows},
                         {"test_rows", f.test_rows}, {"purged", f.purged}, {"embargoed", f.embargoed},
                         {"train_accuracy", f.train.accuracy}, {"test_accuracy", f.test.accuracy},
                         {"test_auc", f.test.auc}, {"shuffled_auc", f.shuffled_auc},
                         {"trades", f.backtest.trades}, {"sharpe", f.backtest.sharpe},
                         {"max_drawdown", f.backtest.max_drawdown},
                         {"total_return", f.backtest.total_return}});
    auto finite = [](double v) { return std::isfinite(v) ? v : 0.0; };
    return {{"walkforward", {{"sharpe", finite(wf.backtest.sharpe)},
                             {"max_drawdown", finite(wf.backtest.max_drawdown)},
                             {"total_return", finite(wf.backtest.total_return)},
                             {"trades", wf.backtest.trades},
                             {"win_rate", finite(wf.backtest.win_rate)},
                             {"buy_hold_sharpe", finite(wf.buy_hold_sharpe)},
                             {"oos_accuracy", wf.oos.accuracy},
                             {"oos_auc", wf.oos.auc},
                             {"oos_logloss", wf.oos.logloss}}},
            {"leakage", {{"shuffled_auc", wf.leakage.shuffled_auc},
                         {"t1_overlaps", wf.leakage.t1_overlaps},
                         {"train_accuracy", wf.leakage.train_accuracy},
                         {"test_accuracy", wf.leakage.test_accuracy},
                         {"flags", wf.leakage.flags}}},
            {"folds", folds}};
}

std::unique_ptr<Model> empty_model(const std::string& kind) {
    if (kind == "ensemble")
        return std::make_unique<EnsembleModel>(
            std::vector<std::pair<std::string, nlohmann::json>>{{"gbdt", nlohmann::json::object()}});
    return make_model(kind, nlohmann::json::object());
}


/// The labels of `cfg` computed from `bars` (no stored set).
LabelSet computed_labels(const BarSeries& bars, const LabelConfig& cfg) {
    if (cfg.method == "fixed") {
        FixedHorizonParams p;
        p.horizon = cfg.horizon;
        p.dead_zone = cfg.dead_zone;
        p.vol_window = cfg.vol_window;
        return fixed_horizon_labels(bars, p);
    }
    TripleBarrierParams p;
    p.horizon = cfg.horizon;
    p.pt_mult = cfg.pt_mult;
    p.sl_mult = cfg.sl_mult;
    p.vol_window = cfg.vol_window;
    return triple_barrier_labels(bars, p);
}

/// The stored set of `method` for the symbol of `bars`, cut to them: no sample before the first
/// bar and none whose outcome needs a bar after the last (a retrain up to a session's clock never
/// sees later prices through a label). nullopt when `aurum labels build` stored none.
std::optional<LabelSet> stored_labels(FeatureStore& fstore, const std::string& symbol,
                                      const BarSeries& bars, const std::string& method) {
    bool found = false;
    for (const auto& i : fstore.list_labels())
        found = found || (i.symbol == symbol && i.timeframe == bars.timeframe && i.method == method);
    if (!found || bars.size() == 0) return std::nullopt;
    const LabelSet all = fstore.load_labels(symbol, bars.timeframe, method);
    LabelSet l = all;
    l.time.clear();
    l.t1.clear();
    l.label.clear();
    l.ret.clear();
    l.barrier.clear();
    l.side.clear();
    for (std::size_t k = 0; k < all.size(); ++k) {
        if (all.time[k] < bars.time.front() || all.t1[k] > bars.time.back()) continue;
        l.time.push_back(all.time[k]);
        l.t1.push_back(all.t1[k]);
        l.label.push_back(all.label[k]);
        l.ret.push_back(all.ret[k]);
        l.barrier.push_back(all.barrier[k]);
        l.side.push_back(all.side[k]);
    }
    return l;
}

/// The label settings a stored set was made with ("horizon=24;pt_mult=2;..."): the walk-forward
/// embargo, the decision policy's holding time and the model's models.yaml snapshot follow them.
LabelConfig label_config_of(const LabelSet& l, LabelConfig base) {
    std::map<std::string, std::string> kv;
    std::size_t pos = 0;
    while (pos < l.params.size()) {
        const std::size_t end = std::min(l.params.find(';', pos), l.params.size());
        const std::string item = l.params.substr(pos, end - pos);
        if (const auto eq = item.find('='); eq != std::string::npos)
            kv[item.substr(0, eq)] = item.substr(eq + 1);
        pos = end + 1;
    }
    base.method = to_string(l.method);
    try {
        if (kv.count("horizon")) base.horizon = std::stoi(kv["horizon"]);
        if (kv.count("vol_window")) base.vol_window = std::stoi(kv["vol_window"]);
        if (kv.count("pt_mult")) base.pt_mult = std::stod(kv["pt_mult"]);
        if (kv.count("sl_mult")) base.sl_mult = std::stod(kv["sl_mult"]);
        if (kv.count("dead_zone")) base.dead_zone = std::stod(kv["dead_zone"]);
    } catch (const std::exception&) {
        throw InputError(fmt::format("stored {} labels of {}: unreadable parameters '{}'; rebuild "
                                     "them with `aurum labels build`",
                                     base.method, l.symbol, l.params));
    }
    return base;
}

bool same_labels(const LabelConfig& a, const LabelConfig& b) {
    return a.method == b.method && a.horizon == b.horizon && a.dead_zone == b.dead_zone &&
           a.pt_mult == b.pt_mult && a.sl_mult == b.sl_mult && a.vol_window == b.vol_window;
}

/// models.yaml's text with its labels section set to `l` (the snapshot kept with a model must
/// say what it was trained with, when that is not what the file says).
std::string models_yaml_with_labels(const std::string& text, const LabelConfig& l) {
    YAML::Node root = YAML::Load(text);
    YAML::Node labels = root["labels"];
    labels["method"] = l.method;
    labels["horizon"] = l.horizon;
    labels["dead_zone"] = l.dead_zone;
    labels["pt_mult"] = l.pt_mult;
    labels["sl_mult"] = l.sl_mult;
    labels["vol_window"] = l.vol_window;
    return YAML::Dump(root) + "\n";
}
} // namespace

PreparedData prepare_data(MarketStore& store, const InstrumentRegistry& instruments,
                          const Workspace& ws, const std::vector<std::string>& symbols, Timeframe tf,
                          TimeRange range, const ModelsConfig& cfg, bool with_labels) {
    if (symbols.empty()) throw InputError("--symbols: at least one symbol is needed");
    const FeatureConfig fc = workspace_feature_config(ws);
    const FeatureSetDef& def = fc.get(cfg.feature_set);
    if (!def.external_series().empty())
        throw InputError(fmt::format("feature set '{}' needs external series ({}); models train on "
                                     "sets built from bars only",
                                     cfg.feature_set, def.external_series().front()));
    PreparedData out;
    out.feature_set_name = cfg.feature_set;
    out.labels = cfg.labels;
    out.label_source = "computed from config/models.yaml";
    FeatureStore fstore(store.database(), ws.data_dir() / "features");
    std::vector<SymbolData> sds;
    std::vector<FeatureMatrix> fms;
    for (const auto& sym : symbols) {
        const Instrument inst = instruments.get(sym);
        BarSeries bars = store.load_bars(sym, tf, range);
        if (bars.size() < 100)
            throw InputError(fmt::format("{} {}: {} bars in the store (need at least 100); import them "
                                         "first with `aurum data import`",
                                         sym, tf.name(), bars.size()));
        const FeatureContext ctx = build_feature_context(def, sym, tf, bars.has_spread(),
                                                         {&store, nullptr, &instruments}, range.to);
        FeatureMatrix fm = build_feature_matrix(bars, def, ctx);
        if (with_labels) {
            auto stored = stored_labels(fstore, sym, bars, cfg.labels.method);
            LabelSet ls = stored ? std::move(*stored) : computed_labels(bars, cfg.labels);
            // One model, one label definition: symbols labelled differently are refused.
            if (!sds.empty() && sds.front().labels.params != ls.params)
                throw InputError(fmt::format(
                    "labels: {} {} has {} labels ({}) but {} has ({}); rebuild them together "
                    "with `aurum labels build --all --method {}`",
                    sym, tf.name(), cfg.labels.method, ls.params, sds.front().labels.symbol,
                    sds.front().labels.params, cfg.labels.method));
            if (stored) {
                out.labels = label_config_of(ls, cfg.labels);
                out.label_source = fmt::format("stored by `aurum labels build` ({})", ls.params);
            }
            sds.push_back({std::move(fm), std::move(ls)});
        } else {
            fms.push_back(std::move(fm));
        }
        out.market.bars.push_back(std::move(bars));
        out.market.instruments.push_back(inst);
    }
    out.dataset = with_labels ? build_dataset(sds) : features_only_dataset(fms);
    return out;
}

TrainOutcome run_training(MarketStore& store, const InstrumentRegistry& instruments,
                          const Workspace& ws, const TrainRequest& req, const Clock& clock) {
    if (req.kind != "gbdt" && req.kind != "lstm" && req.kind != "gnn" && req.kind != "ensemble")
        throw InputError(fmt::format("--model '{}': expected gbdt, lstm, gnn or ensemble", req.kind));
    // The group id names a directory: refused before anything is trained or written.
    if (!req.experiment.empty() &&
        (req.experiment == "latest" || req.experiment[0] == '.' ||
         req.experiment.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789._-") != std::string::npos))
        throw InputError(fmt::format("--experiment '{}': use letters, digits, '.', '_' and '-' "
                                     "(not 'latest', not starting with '.')",
                                     req.experiment));
    const ModelsConfig file_cfg = models_config(ws);
    ModelsConfig cfg = file_cfg;
    if (!req.labels.empty()) {
        if (req.labels != "fixed" && req.labels != "triple-barrier")
            throw InputError(fmt::format("--labels '{}': expected fixed or triple-barrier", req.labels));
        cfg.labels.method = req.labels;
    }
    const std::string name =
        req.name.empty() ? default_model_name(req.kind, req.symbols, req.timeframe.name()) : req.name;
    PreparedData prep = prepare_data(store, instruments, ws, req.symbols, req.timeframe, req.range, cfg);
    // The embargo and the decision policy follow the labels trained on.
    cfg.labels = prep.labels;
    spdlog::info("{}: labels {}, {}", name, prep.dataset.label_spec, prep.label_source);
    TrainOutcome out;
    out.wf = run_walkforward(prep.dataset, prep.market, req.kind, cfg,
                             req.runner ? *req.runner : risk_off_runner());
    out.verdict = evaluate_gating(out.wf, cfg.gating);
    const TimeMs now = clock.now();
    ModelRegistry registry(ws.models_dir() / "registry", &store.database());
    std::optional<TrainedModel> final_model;
    if (req.register_model) {
        spdlog::info("training the final {} model on all {} samples", req.kind, prep.dataset.rows());
        final_model = train_model(prep.dataset, all_rows(prep.dataset.rows()), req.kind, cfg);
        ModelRecord rec;
        rec.name = name;
        rec.kind = req.kind;
        rec.feature_set_name = prep.feature_set_name;
        rec.feature_set_id = prep.dataset.feature_set_id;
        rec.label_spec = prep.dataset.label_spec;
        rec.symbols = req.symbols;
        rec.timeframe = req.timeframe.name();
        rec.data_from = prep.dataset.t.front();
        rec.data_to = prep.dataset.t.back();
        rec.created = now;
        rec.experiment_id = req.experiment.empty() ? experiment_id(now, name) : req.experiment;
        rec.params = final_model->model->params();
        rec.metrics = wf_metrics_json(out.wf);
        rec.metrics["final"] = {{"train_accuracy", final_model->train_metrics.accuracy},
                                {"valid_accuracy", final_model->valid_metrics.accuracy},
                                {"valid_auc", final_model->valid_metrics.auc}};
        rec.gating = out.verdict.to_json();
        rec.extra = {{"calibrator", final_model->calibrator.to_json()},
                     {"edge", {{"avg_up", final_model->edge.avg_up}, {"avg_down", final_model->edge.avg_down}}},
                     {"models_yaml", same_labels(cfg.labels, file_cfg.labels)
                                         ? models_yaml_text(ws)
                                         : models_yaml_with_labels(models_yaml_text(ws), cfg.labels)},
                     {"feature_names", prep.dataset.feature_names}};
        out.record = registry.register_model(rec, [&](const fs::path& dir) { final_model->model->save(dir); });
    }
    out.promotion = "unchanged (not asked to promote)";
    if (out.record && req.promote) {
        if (out.verdict.passed || req.force) {
            registry.promote(name, out.record->version, req.force, now,
                             req.force ? "--force on train" : "gating passed");
            out.record = registry.get(name, out.record->version);
            out.promotion = fmt::format("{} v{} promoted to production{}", name, out.record->version,
                                        out.verdict.passed ? "" : " (FORCED despite failed gating)");
        } else {
            auto prod = registry.production(name);
            out.promotion = fmt::format("unchanged: candidate failed gating; production stays {}",
                                        prod ? fmt::format("v{}", prod->version) : "empty");
        }
    }
    ExperimentInfo info;
    info.id = experiment_id(now, name);
    info.group = req.experiment;
    info.name = name;
    info.wf = &out.wf;
    info.verdict = &out.verdict;
    info.record = out.record ? &*out.record : nullptr;
    info.final_model = final_model ? &*final_model : nullptr;
    info.label_spec = prep.dataset.label_spec + " (" + prep.label_source + ")";
    info.feature_set_name = prep.feature_set_name;
    info.feature_set_id = prep.dataset.feature_set_id;
    info.promotion = out.promotion;
    if (req.register_model) out.experiment_dir = write_experiment_report(ws.reports_dir(), info);
    out.walkforward_report = write_walkforward_report(ws.reports_dir(), out.wf, out.verdict, name);
    return out;
}

std::string label_method_of(const ModelRecord& record) {
    const std::string method = record.label_spec.substr(0, record.label_spec.find(':'));
    return method == "fixed" || method == "triple-barrier" ? method : std::string();
}

TrainOutcome run_walkforward_validation(MarketStore& store, const InstrumentRegistry& instruments,
                                        const Workspace& ws, const TrainRequest& req, const Clock& clock) {
    TrainRequest r = req;
    r.register_model = false;
    r.promote = false;
    const std::string name =
        req.name.empty() ? default_model_name(req.kind, req.symbols, req.timeframe.name()) : req.name;
    ModelRegistry registry(ws.models_dir() / "registry", &store.database());
    std::optional<ModelRecord> latest;
    if (!registry.list(name).empty()) latest = registry.get(name, 0);
    if (req.promote && !latest)
        throw InputError(fmt::format("--promote: no model named '{}' to promote; run `aurum train` first", name));
    // Validate the model as it was trained: with its own label method.
    if (r.labels.empty() && latest) r.labels = label_method_of(*latest);
    TrainOutcome out = run_training(store, instruments, ws, r, clock);
    out.promotion = "unchanged (not asked to promote)";
    if (latest) {
        registry.update_evaluation(name, latest->version, wf_metrics_json(out.wf), out.verdict.to_json());
        out.record = registry.get(name, latest->version);
        if (req.promote) {
            if (out.record->status == ModelStatus::Production) {
                out.promotion = fmt::format("{} v{} is already production", name, out.record->version);
            } else if (out.verdict.passed || req.force) {
                registry.promote(name, out.record->version, req.force, clock.now(),
                                 req.force ? "--force on walkforward" : "walk-forward gating passed");
                out.record = registry.get(name, out.record->version);
                out.promotion = fmt::format("{} v{} promoted to production{}", name, out.record->version,
                                            out.verdict.passed ? "" : " (FORCED despite failed gating)");
            } else {
                auto prod = registry.production(name);
                out.promotion = fmt::format("unchanged: {} v{} failed gating and stays a candidate; "
                                            "production stays {}",
                                            name, out.record->version,
                                            prod ? fmt::format("v{}", prod->version) : "empty");
            }
        }
    }
    return out;
}

LoadedModel load_registered(const ModelRecord& record, const std::string& current_feature_set_id) {
    if (record.feature_set_id != current_feature_set_id)
        throw InputError(fmt::format("{} v{} was trained on feature set {} but the current set '{}' is "
                                     "{}: retrain it (a model refuses to run on other features)",
                                     record.name, record.version, record.feature_set_id.substr(0, 12),
                                     record.feature_set_name, current_feature_set_id.substr(0, 12)));
    LoadedModel lm;
    lm.record = record;
    lm.trained.kind = record.kind;
    lm.trained.model = empty_model(record.kind);
    lm.trained.model->load(record.dir / "model");
    try {
        lm.trained.calibrator = Calibrator::from_json(record.extra.at("calibrator"));
        lm.trained.edge.avg_up = record.extra.at("edge").at("avg_up").get<double>();
        lm.trained.edge.avg_down = record.extra.at("edge").at("avg_down").get<double>();
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: corrupt model metadata: {}", (record.dir / "metadata.json").string(),
                                     e.what()));
    }
    return lm;
}

PredictionReport predict_latest(MarketStore& store, const InstrumentRegistry& instruments,
                                const Workspace& ws, const std::string& which,
                                const std::string& symbol, const std::string& name,
                                std::optional<Timeframe> tf) {
    ModelRegistry registry(ws.models_dir() / "registry", &store.database());
    std::vector<ModelRecord> pool;
    for (auto& r : registry.list(name)) {
        if (std::find(r.symbols.begin(), r.symbols.end(), symbol) == r.symbols.end()) continue;
        if (tf && r.timeframe != tf->name()) continue;
        pool.push_back(std::move(r));
    }
    std::optional<ModelRecord> rec;
    if (which == "production") {
        for (const auto& r : pool)
            if (r.status == ModelStatus::Production) rec = r;
    } else if (which == "candidate") {
        for (const auto& r : pool)
            if (r.status == ModelStatus::Candidate) rec = r;
    } else if (which == "latest") {
        if (!pool.empty()) rec = pool.back();
    } else if (which.size() > 1 && which[0] == 'v') {
        const int v = std::atoi(which.c_str() + 1);
        for (const auto& r : pool)
            if (r.version == v) rec = r;
    } else {
        throw InputError(fmt::format("--model '{}': expected production, candidate, latest or vN", which));
    }
    if (!rec)
        throw InputError(fmt::format("no {} model for {}{}{}: train one with `aurum train` (and promote "
                                     "it with `aurum walkforward --promote` or `aurum registry promote`)",
                                     which, symbol, tf ? " " + tf->name() : "",
                                     name.empty() ? "" : " named " + name));
    const ModelsConfig cfg = ModelsConfig::parse(rec->extra.value("models_yaml", default_models_yaml()),
                                                 rec->name + " metadata");
    const FeatureConfig fc = workspace_feature_config(ws);
    const std::string current_id = fc.get(rec->feature_set_name).id();
    LoadedModel lm = load_registered(*rec, current_id);
    const Timeframe model_tf = Timeframe::parse_or_throw(rec->timeframe);
    PreparedData prep = prepare_data(store, instruments, ws, rec->symbols, model_tf, {}, cfg, false);
    const Dataset& d = prep.dataset;
    // The latest row of the requested symbol.
    int sym_index = -1;
    for (std::size_t s = 0; s < d.symbols.size(); ++s)
        if (d.symbols[s] == symbol) sym_index = static_cast<int>(s);
    std::size_t row = d.rows();
    for (std::size_t i = d.rows(); i-- > 0;)
        if (d.sym[i] == sym_index) {
            row = i;
            break;
        }
    if (row == d.rows()) throw InputError(fmt::format("no feature row for {}", symbol));
    const std::vector<std::size_t> rows{row};
    PredictionReport rep;
    rep.model = fmt::format("{} v{} ({})", rec->name, rec->version, to_string(rec->status));
    rep.symbol = symbol;
    rep.bar_time = d.t[row] - model_tf.ms();
    rep.p_up = lm.trained.predict(d, rows).at(0);
    DecisionPolicy policy(cfg.policy, cfg.costs, lm.trained.edge, cfg.labels.horizon);
    rep.decision = policy.step(rep.p_up);
    if (auto* g = dynamic_cast<GbdtModel*>(lm.trained.model.get())) {
        const auto c = g->contributions(d, rows).at(0);
        for (std::size_t j = 0; j < d.cols; ++j) rep.drivers.emplace_back(d.feature_names[j], c[j]);
        std::sort(rep.drivers.begin(), rep.drivers.end(),
                  [](const auto& a, const auto& b) { return std::abs(a.second) > std::abs(b.second); });
    } else {
        for (const auto& f : lm.trained.model->importance()) rep.drivers.emplace_back(f.feature, f.score);
    }
    if (rep.drivers.size() > 5) rep.drivers.resize(5);
    if (auto* e = dynamic_cast<EnsembleModel*>(lm.trained.model.get())) {
        const auto v = e->votes(d, rows).at(0);
        for (std::size_t m = 0; m < v.members.size(); ++m) rep.votes.emplace_back(v.members[m], v.member_p[m]);
        rep.agreement = v.agreement;
    }
    return rep;
}

nlohmann::json train_outcome_json(const TrainOutcome& o) {
    nlohmann::json j = {{"gating", o.verdict.to_json()},
                        {"walkforward_report", o.walkforward_report.string()},
                        {"promotion", o.promotion},
                        {"sharpe", o.wf.backtest.sharpe},
                        {"max_drawdown", o.wf.backtest.max_drawdown},
                        {"trades", o.wf.backtest.trades},
                        {"oos_auc", o.wf.oos.auc},
                        {"leakage_flags", o.wf.leakage.flags}};
    if (o.record) j["model"] = {{"name", o.record->name}, {"version", o.record->version},
                                {"status", to_string(o.record->status)}};
    if (!o.experiment_dir.empty()) j["experiment"] = o.experiment_dir.string();
    return j;
}

} // namespace aurum
