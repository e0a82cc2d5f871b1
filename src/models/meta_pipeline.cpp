#include "models/meta_pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "features/regimes.hpp"
#include "models/training_pipeline.hpp"

namespace aurum {

namespace fs = std::filesystem;

namespace {

std::string models_yaml_of(const Workspace& ws, std::string* name) {
    const fs::path p = ws.config_file("models.yaml");
    *name = fs::exists(p) ? p.string() : "<built-in models.yaml>";
    return fs::exists(p) ? read_file(p) : default_models_yaml();
}

std::string run_id(TimeMs now, const std::string& name) {
    const CivilTime c = civil_from_time(now);
    return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}-{}", c.year, c.month, c.day, c.hour,
                       c.minute, c.second, name);
}

/// meta.json beside the weights: what a network reads (shape, standardisation, columns).
void save_meta_model(const fs::path& dir, const MetaModel& m, const std::vector<std::string>& names) {
    fs::create_directories(dir);
    m.net->save(dir / "meta.pt");
    const MetaNetShape& s = m.net->shape();
    const nlohmann::json j = {{"features", s.features}, {"seq_len", s.seq_len},
                              {"hidden", s.hidden},     {"layers", s.layers},
                              {"seed", s.seed},         {"mean", m.standardiser.mean},
                              {"stdev", m.standardiser.stdev}, {"feature_names", names}};
    write_file_atomic(dir / "meta.json", j.dump(2));
}

MetaModel load_meta_model(const fs::path& dir) {
    const fs::path file = dir / "meta.json";
    if (!fs::exists(file)) throw InputError(file.string() + ": meta-learning model file missing");
    MetaModel m;
    MetaNetShape s;
    try {
        const auto j = nlohmann::json::parse(read_file(file));
        s.features = j.at("features").get<int>();
        s.seq_len = j.at("seq_len").get<int>();
        s.hidden = j.at("hidden").get<int>();
        s.layers = j.at("layers").get<int>();
        s.seed = j.at("seed").get<std::uint64_t>();
        m.standardiser.mean = j.at("mean").get<std::vector<float>>();
        m.standardiser.stdev = j.at("stdev").get<std::vector<float>>();
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: corrupt meta-learning metadata: {}", file.string(), e.what()));
    }
    m.net = make_meta_net(s);
    m.net->load(dir / "meta.pt");
    return m;
}

/// Gain of adapted over not adapted on one query, CIs by a bootstrap of consecutive blocks of
/// `block` rows (the label horizon: overlapping labels are not independent).
Comparison block_bootstrap(const std::vector<double>& pa, const std::vector<double>& pb,
                           const std::vector<float>& y, std::size_t block, const MetaConfig& cfg) {
    MetaFold f; // blocks as tasks: summarise_fold resamples them
    for (std::size_t a = 0; a < y.size(); a += block) {
        const std::size_t e = std::min(y.size(), a + block);
        TaskScore t;
        t.y.assign(y.begin() + static_cast<long>(a), y.begin() + static_cast<long>(e));
        for (int m = 0; m < kMetaMethods; ++m) {
            const auto& src = (m == static_cast<int>(MetaMethod::MetaAdapted) ||
                               m == static_cast<int>(MetaMethod::JointAdapted)) ? pa : pb;
            t.p[m].assign(src.begin() + static_cast<long>(a), src.begin() + static_cast<long>(e));
        }
        f.tasks.push_back(std::move(t));
    }
    summarise_fold(f, cfg);
    return f.gains.front(); // meta+adapt vs meta
}

/// Registers the adapted network (kind lstm-meta-adapted, candidate, gated by `out`'s decision)
/// and writes the adapt report beside the other meta reports.
void register_adapted(ModelRegistry& registry, const Workspace& ws, MetaAdaptOutcome& out,
                      const MetaModel& adapted, const std::vector<std::string>& feature_names,
                      TimeMs now) {
    ModelRecord rec = out.meta;
    rec.name = default_model_name(out.meta.name + "-adapted", {out.symbol}, "");
    if (!rec.name.empty() && rec.name.back() == '-') rec.name.pop_back();
    rec.kind = "lstm-meta-adapted";
    rec.version = 0;
    rec.status = ModelStatus::Candidate;
    rec.symbols = {out.symbol};
    rec.data_from = out.support_from;
    rec.data_to = out.support_to;
    rec.created = now;
    GatingVerdict v;
    v.rules.push_back({"adaptation_logloss_gain_ci_low", out.gain.logloss.low > 0,
                       out.gain.logloss.low, 0.0, out.reason});
    v.passed = out.adaptation_used;
    rec.gating = v.to_json();
    rec.metrics = out.to_json();
    rec.extra["adapted_from"] = {{"name", out.meta.name}, {"version", out.meta.version}};
    out.report = ws.reports_dir() / "meta" / run_id(now, rec.name) / "adapt.json";
    rec.extra["report"] = out.report.string();
    out.adapted = registry.register_model(
        rec, [&](const fs::path& dir) { save_meta_model(dir, adapted, feature_names); });
    fs::create_directories(out.report.parent_path());
    write_file_atomic(out.report, out.to_json().dump(2));
    write_file_atomic(out.report.parent_path() / "adapt.txt", out.text());
}

} // namespace

std::vector<SymbolRows> load_symbol_rows(MarketStore& store, const InstrumentRegistry& instruments,
                                         const Workspace& ws, const std::vector<std::string>& symbols,
                                         Timeframe tf, const std::string& models_yaml,
                                         const std::string& models_yaml_name) {
    const ModelsConfig mcfg = ModelsConfig::parse(models_yaml, models_yaml_name);
    std::vector<SymbolRows> out;
    for (const auto& sym : symbols) {
        PreparedData prep = prepare_data(store, instruments, ws, {sym}, tf, {}, mcfg);
        const BarSeries& bars = prep.market.bars.at(0);
        const auto reg = classify_regimes(bars);
        SymbolRows r;
        r.symbol = sym;
        r.data = std::move(prep.dataset);
        r.regime.reserve(r.data.rows());
        for (TimeMs t : r.data.t) {
            // The row's decision bar closed at t: it opened at t - timeframe.
            const auto it = std::lower_bound(bars.time.begin(), bars.time.end(), t - tf.ms());
            const bool found = it != bars.time.end() && *it == t - tf.ms();
            r.regime.push_back(found ? reg[static_cast<std::size_t>(it - bars.time.begin())]
                                     : Regime::Unknown);
        }
        spdlog::info("meta: {} {} rows", sym, r.data.rows());
        out.push_back(std::move(r));
    }
    for (const auto& r : out)
        if (r.data.feature_set_id != out.front().data.feature_set_id || r.data.cols != out.front().data.cols)
            throw InputError(fmt::format("meta: {} and {} have different feature sets; meta-learning "
                                         "needs one feature set for all symbols",
                                         out.front().symbol, r.symbol));
    return out;
}

MetaTrainOutcome run_meta_training(MarketStore& store, const InstrumentRegistry& instruments,
                                   const Workspace& ws, const MetaConfig& cfg, const Clock& clock) {
    const Timeframe tf = Timeframe::parse_or_throw(cfg.timeframe);
    std::string yaml_name;
    const std::string yaml = models_yaml_of(ws, &yaml_name);
    const auto symbols = load_symbol_rows(store, instruments, ws, cfg.symbols, tf, yaml, yaml_name);
    MetaTrainOutcome out;
    const auto t0 = std::chrono::steady_clock::now();
    MetaModel model;
    out.evaluation = evaluate_meta_learning(symbols, cfg, &model);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.params_hash = params_hash(*model.net);

    const TimeMs now = clock.now();
    const std::string name = cfg.name.empty() ? default_model_name("lstm-meta", cfg.symbols, cfg.timeframe)
                                              : cfg.name;
    out.report_dir = ws.reports_dir() / "meta" / run_id(now, name);
    fs::create_directories(out.report_dir);
    const nlohmann::json report = out.evaluation.to_json();
    write_file_atomic(out.report_dir / "report.json", report.dump(2));
    write_file_atomic(out.report_dir / "report.txt", out.evaluation.text());

    const MetaFold& f = out.evaluation.folds.front();
    ModelRecord rec;
    rec.name = name;
    rec.kind = "lstm-meta";
    rec.feature_set_name = ModelsConfig::parse(yaml, yaml_name).feature_set;
    rec.feature_set_id = symbols.front().data.feature_set_id;
    rec.label_spec = symbols.front().data.label_spec;
    rec.symbols = cfg.symbols;
    rec.timeframe = cfg.timeframe;
    rec.data_from = symbols.front().data.t.front();
    for (const auto& s : symbols) rec.data_from = std::min(rec.data_from, s.data.t.front());
    rec.data_to = f.split_time; // meta-training labels end before this
    rec.created = now;
    rec.experiment_id = out.report_dir.filename().string();
    rec.params = cfg.to_json();
    rec.metrics = {{"folds", report["folds"]}, {"params_hash", out.params_hash}};
    for (auto& fj : rec.metrics["folds"]) fj.erase("tasks");
    rec.gating = out.evaluation.verdict.to_json();
    rec.extra = {{"adaptation_used", out.evaluation.adaptation_used},
                 {"reason", out.evaluation.reason},
                 {"meta_yaml", cfg.to_json()},
                 {"models_yaml", yaml},
                 {"feature_names", symbols.front().data.feature_names},
                 {"report", out.report_dir.string()}};
    ModelRegistry registry(ws.models_dir() / "registry", &store.database());
    out.record = registry.register_model(rec, [&](const fs::path& dir) {
        save_meta_model(dir, model, symbols.front().data.feature_names);
    });
    return out;
}

MetaAdaptOutcome run_meta_adapt(MarketStore& store, const InstrumentRegistry& instruments,
                                const Workspace& ws, const MetaAdaptRequest& req, const Clock& clock) {
    ModelRegistry registry(ws.models_dir() / "registry", &store.database());
    MetaAdaptOutcome out;
    out.meta = registry.get(req.model, req.version);
    if (out.meta.kind != "lstm-meta")
        throw InputError(fmt::format("--model {}: is a '{}' model; meta adapt needs an lstm-meta "
                                     "model (aurum meta train)", req.model, out.meta.kind));
    if (req.since < out.meta.data_to)
        throw InputError(fmt::format("--since {}: inside the model's meta-training data (labels up "
                                     "to {}); adapt on later bars",
                                     format_time(req.since), format_time(out.meta.data_to)));
    MetaConfig cfg;
    try {
        cfg = MetaConfig::parse(out.meta.extra.at("meta_yaml").dump(), out.meta.name);
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{} v{}: registry record lacks its meta config: {}",
                                     out.meta.name, out.meta.version, e.what()));
    }
    if (req.shots > 0) cfg.shots = req.shots;
    if (req.query > 0) cfg.query = req.query;
    const Timeframe tf = Timeframe::parse_or_throw(out.meta.timeframe);
    const auto symbols = load_symbol_rows(store, instruments, ws, {req.symbol}, tf,
                                          out.meta.extra.value("models_yaml", default_models_yaml()),
                                          out.meta.name + " (models.yaml)");
    const Dataset& d = symbols[0].data;
    if (d.feature_set_id != out.meta.feature_set_id)
        throw InputError(fmt::format("{}: feature set {} differs from the model's {}", req.symbol,
                                     d.feature_set_id.substr(0, 12), out.meta.feature_set_id.substr(0, 12)));
    MetaModel m = load_meta_model(out.meta.dir / "model");
    const std::size_t begin = static_cast<std::size_t>(
        std::lower_bound(d.t.begin(), d.t.end(), req.since) - d.t.begin());
    out.symbol = req.symbol;
    out.split = few_shot_split(d, begin, d.rows(), cfg.shots, cfg.query);
    const std::size_t nq = out.split.query_end - out.split.query_begin;
    if (out.split.support_end - out.split.support_begin < static_cast<std::size_t>(cfg.shots) ||
        nq < static_cast<std::size_t>(cfg.min_query))
        throw InputError(fmt::format("--since {}: {} has {} rows from then; {} support rows, the "
                                     "label-horizon gap and {} query rows are needed",
                                     format_time(req.since), req.symbol, d.rows() - begin, cfg.shots,
                                     cfg.min_query));
    const MetaInputs in = meta_inputs(symbols, m.standardiser, cfg.seq_len);
    const auto support = in.rows(0, out.split.support_begin, out.split.support_end);
    const auto query = in.rows(0, out.split.query_begin, out.split.query_end);
    auto adapted = adapt(*m.net, support, cfg, cfg.seed + 104729);
    const auto pa = adapted->predict(query.x, query.n), pb = m.net->predict(query.x, query.n);
    const std::vector<float> y(query.y.begin(), query.y.end());
    out.with = classification_metrics(pa, y);
    out.without = classification_metrics(pb, y);
    out.gain = block_bootstrap(pa, pb, y, std::max<std::size_t>(1, out.split.gap()), cfg);
    out.support_from = d.t[out.split.support_begin];
    out.support_to = d.t[out.split.support_end - 1];
    out.query_from = d.t[out.split.query_begin];
    out.query_to = d.t[out.split.query_end - 1];
    const bool gated = out.meta.gating_passed();
    const bool here = out.gain.logloss.low > 0;
    out.adaptation_used = gated && here;
    out.reason = fmt::format(
        "{}: meta-training gating {} ({}); on these {} query rows the log-loss gain is {:+.4f} "
        "[{:+.4f}, {:+.4f}]",
        out.adaptation_used ? "used" : "not used", gated ? "passed" : "failed",
        out.meta.extra.value("reason", std::string("?")), nq, out.gain.logloss.value,
        out.gain.logloss.low, out.gain.logloss.high);

    register_adapted(registry, ws, out, MetaModel{m.standardiser, std::move(adapted)},
                     d.feature_names, clock.now());
    return out;
}

nlohmann::json MetaAdaptOutcome::to_json() const {
    auto mj = [](const ClassificationMetrics& m) {
        return nlohmann::json{{"n", m.n}, {"logloss", m.logloss}, {"accuracy", m.accuracy}, {"auc", m.auc}};
    };
    auto gj = [](const Gain& g) { return nlohmann::json{{"value", g.value}, {"low", g.low}, {"high", g.high}}; };
    return {{"model", fmt::format("{} v{}", meta.name, meta.version)},
            {"adapted_model", adapted.name.empty() ? "" : fmt::format("{} v{}", adapted.name, adapted.version)},
            {"symbol", symbol},
            {"support", {{"from", format_time(support_from)}, {"to", format_time(support_to)},
                         {"rows", split.support_end - split.support_begin}}},
            {"gap_rows", split.gap()},
            {"query", {{"from", format_time(query_from)}, {"to", format_time(query_to)},
                       {"rows", split.query_end - split.query_begin}}},
            {"adapted", mj(with)},
            {"not_adapted", mj(without)},
            {"gain", {{"logloss", gj(gain.logloss)}, {"accuracy", gj(gain.accuracy)}, {"auc", gj(gain.auc)}}},
            {"adaptation_used", adaptation_used},
            {"reason", reason}};
}

std::string MetaAdaptOutcome::text() const {
    std::string s = fmt::format(
        "{} v{} adapted to {}: {} support rows {} .. {}, gap {} rows, {} query rows {} .. {}\n",
        meta.name, meta.version, symbol, split.support_end - split.support_begin,
        format_time(support_from), format_time(support_to), split.gap(),
        split.query_end - split.query_begin, format_time(query_from), format_time(query_to));
    s += fmt::format("  {:<12} {:>9} {:>9} {:>7}\n", "", "log-loss", "accuracy", "AUC");
    s += fmt::format("  {:<12} {:>9.4f} {:>8.1f}% {:>7.3f}\n", "adapted", with.logloss,
                     with.accuracy * 100, with.auc);
    s += fmt::format("  {:<12} {:>9.4f} {:>8.1f}% {:>7.3f}\n", "not adapted", without.logloss,
                     without.accuracy * 100, without.auc);
    s += fmt::format("  gain: log-loss {:+.4f} [{:+.4f}, {:+.4f}], accuracy {:+.2f} pp [{:+.2f}, "
                     "{:+.2f}], AUC {:+.3f} [{:+.3f}, {:+.3f}] (block bootstrap)\n",
                     gain.logloss.value, gain.logloss.low, gain.logloss.high, gain.accuracy.value * 100,
                     gain.accuracy.low * 100, gain.accuracy.high * 100, gain.auc.value, gain.auc.low,
                     gain.auc.high);
    s += "adaptation " + reason + "\n";
    if (!adapted.name.empty())
        s += fmt::format("registered {} v{} (candidate)\n", adapted.name, adapted.version);
    return s;
}

} // namespace aurum
