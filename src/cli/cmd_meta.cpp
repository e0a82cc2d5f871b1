// `aurum meta train|adapt`: thin handlers over models/meta_pipeline (flags in, report out).
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "models/meta_pipeline.hpp"

namespace aurum {

namespace {

struct MetaTrainFlags {
    std::string config, symbols, timeframe, name;
};

struct MetaAdaptFlags {
    std::string model, version, symbol, since;
    int shots = 0, query = 0;
};

/// config/meta.yaml (or --config), overridden by the flags given.
MetaConfig train_config(const CliContext& ctx, const MetaTrainFlags& f) {
    MetaConfig c;
    if (!f.config.empty()) {
        if (!std::filesystem::exists(f.config))
            throw InputError(fmt::format("--config {}: no such file", f.config));
        c = MetaConfig::load(f.config);
    } else {
        c = MetaConfig::load(ctx.workspace().config_file("meta.yaml"));
    }
    if (!f.symbols.empty()) c.symbols = split_symbols(f.symbols);
    if (!f.timeframe.empty()) c.timeframe = Timeframe::parse_or_throw(f.timeframe).name();
    if (!f.name.empty()) c.name = f.name;
    return c;
}

int parse_version_flag(const std::string& v) {
    if (v.empty() || v == "latest") return 0;
    const std::string digits = v[0] == 'v' ? v.substr(1) : v;
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos &&
        digits.size() < 9 && std::stoi(digits) > 0)
        return std::stoi(digits);
    throw InputError(fmt::format("--version '{}': expected a number like 3 or v3, or latest", v));
}

} // namespace

void register_meta(CLI::App& app, CliContext& ctx) {
    CLI::App* meta = app.add_subcommand(
        "meta", "Meta-learning (Reptile) of the LSTM over (symbol, regime window) tasks; few-shot "
                "adaptation to a new regime or symbol");
    meta->require_subcommand(1);

    auto tf = std::make_shared<MetaTrainFlags>();
    CLI::App* train = meta->add_subcommand(
        "train", "Meta-train, evaluate few-shot adaptation on held-out regime windows and symbols "
                 "(vs joint training and no adaptation, bootstrap CIs), write reports/meta/<id>/ "
                 "and register an lstm-meta candidate");
    train->add_option("--config", tf->config, "Meta-learning config (default: config/meta.yaml)");
    train->add_option("--symbols", tf->symbols, "Comma-separated symbols (default: the config's)");
    train->add_option("--timeframe", tf->timeframe, "Bar timeframe (default: the config's)");
    train->add_option("--name", tf->name, "Registry name (default: lstm-meta-<symbols>-<timeframe>)");
    on_run(train, ctx, [&ctx, tf] {
        const MetaConfig cfg = train_config(ctx, *tf);
        auto store = ctx.open_store();
        SystemClock clock;
        const auto out = run_meta_training(*store, ctx.instruments(), ctx.workspace(), cfg, clock);
        if (ctx.json) {
            nlohmann::json j = out.evaluation.to_json();
            j["model"] = fmt::format("{} v{}", out.record.name, out.record.version);
            j["params_hash"] = out.params_hash;
            j["report"] = (out.report_dir / "report.json").string();
            j["seconds"] = out.seconds;
            std::cout << j.dump(2) << "\n";
        } else {
            std::cout << out.evaluation.text();
            std::cout << fmt::format("registered {} v{} (lstm-meta, candidate), parameters {}\n",
                                     out.record.name, out.record.version, out.params_hash);
            std::cout << "report: " << (out.report_dir / "report.txt").string() << "\n";
        }
        return 0;
    });

    auto af = std::make_shared<MetaAdaptFlags>();
    CLI::App* ad = meta->add_subcommand(
        "adapt", "Fine-tune a meta-learned model on the first K bars of a symbol from a date, score "
                 "it on the following bars after the label-horizon gap, register the adapted model");
    ad->add_option("--model", af->model, "Registry name of an lstm-meta model")->required();
    ad->add_option("--version", af->version, "Version (default: latest)");
    ad->add_option("--symbol", af->symbol, "Symbol to adapt to (new or known)")->required();
    ad->add_option("--since", af->since, "First support bar (date), after the meta-training data")
        ->required();
    ad->add_option("--shots", af->shots, "Support rows K (default: the model's adapt.shots)")
        ->check(CLI::Range(1, 100000));
    ad->add_option("--query", af->query, "Query rows scored (default: the model's adapt.query)")
        ->check(CLI::Range(1, 1000000));
    on_run(ad, ctx, [&ctx, af] {
        MetaAdaptRequest r;
        r.model = af->model;
        r.version = parse_version_flag(af->version);
        r.symbol = af->symbol;
        const auto since = parse_time(af->since);
        if (!since) throw InputError("--since: '" + af->since + "' is not a date (use 2024-01-31)");
        r.since = *since;
        r.shots = af->shots;
        r.query = af->query;
        auto store = ctx.open_store();
        SystemClock clock;
        const auto out = run_meta_adapt(*store, ctx.instruments(), ctx.workspace(), r, clock);
        if (ctx.json) std::cout << out.to_json().dump(2) << "\n";
        else std::cout << out.text() << "report: " << out.report.string() << "\n";
        return 0;
    });
}

} // namespace aurum
