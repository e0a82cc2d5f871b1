#include "models/model_strategy.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "models/ensemble.hpp"
#include "models/gbdt.hpp"

namespace aurum {

std::string LiveModel::label() const {
    return fmt::format("{} v{}", record.name, record.version);
}

std::shared_ptr<const LiveModel> LiveModel::load(const ModelRecord& record,
                                                 const FeatureConfig& current) {
    auto m = std::make_shared<LiveModel>();
    if (current.sets.find(record.feature_set_name) == current.sets.end())
        throw InputError(fmt::format("{} v{} was trained on feature set '{}', which config/"
                                     "features.yaml no longer defines: retrain it",
                                     record.name, record.version, record.feature_set_name));
    m->features = current.get(record.feature_set_name);
    LoadedModel lm = load_registered(record, m->features.id()); // refuses another feature set
    if (auto gap = live_feature_gap(m->features))
        throw InputError(fmt::format("{} v{}: {}", record.name, record.version, *gap));
    m->record = std::move(lm.record);
    m->trained = std::move(lm.trained);
    m->config = ModelsConfig::parse(m->record.extra.value("models_yaml", default_models_yaml()),
                                    m->record.name + " metadata (models.yaml snapshot)");
    if (auto* g = dynamic_cast<GbdtModel*>(m->trained.model.get())) {
        g->set_threads(1); // one row per bar: worker threads would only wait on each other
        m->gbdt = g;
    }
    m->ensemble = dynamic_cast<const EnsembleModel*>(m->trained.model.get());
    if (m->gbdt && m->gbdt->num_features() != m->features.column_names().size())
        throw InputError(fmt::format("{}: the model has {} features but set '{}' has {} columns",
                                     m->label(), m->gbdt->num_features(), record.feature_set_name,
                                     m->features.column_names().size()));
    return m;
}

// ---------------------------------------------------------------------------------------------

struct ModelStrategy::PerSymbol {
    std::shared_ptr<const LiveModel> model;
    std::unique_ptr<FeatureContext> context; ///< outlives pipe (which reads its reference bars)
    std::unique_ptr<FeaturePipeline> pipe;
    std::string pipe_set_id;
    std::optional<DecisionPolicy> policy;
    std::vector<float> row;
    std::vector<double> contrib;
    const std::string* symbol = nullptr;
    std::size_t fed = 0;
    TimeMs bar_time = 0; ///< open time of the bar fed last
    bool warm = false;
    bool updated = false;
    double pending = std::numeric_limits<double>::quiet_NaN();
    double last = 0;
};

/// Instruments sharing one loaded model, with the rolling history the generic (sequence,
/// cross-asset) path predicts from.
struct ModelStrategy::Group {
    std::shared_ptr<const LiveModel> model;
    std::vector<InstrumentId> members; ///< in the model's symbol order
    std::vector<int> sym_index;        ///< index in model->record.symbols per member
    Dataset hist;
    std::vector<std::size_t> rows;    ///< this step's rows in hist
    std::vector<std::size_t> per_sym; ///< rows of each model symbol in hist
    std::size_t keep = 64;            ///< rows kept per symbol
    std::vector<FeatureImportance> importance;
    std::vector<EnsembleVote> votes; ///< this step's member votes (ensemble models)
};

ModelStrategy::ModelStrategy(std::map<std::string, std::shared_ptr<const LiveModel>> models,
                             SizingConfig sizing, PredictionSink* sink)
    : by_symbol_(std::move(models)), sizer_(sizing), sink_(sink) {}

ModelStrategy::~ModelStrategy() = default;

std::shared_ptr<const LiveModel> ModelStrategy::model_for(const std::string& symbol) const {
    auto it = by_symbol_.find(symbol);
    return it == by_symbol_.end() ? nullptr : it->second;
}

void ModelStrategy::on_start(StrategyContext& ctx) {
    sizer_.start(ctx);
    sym_.clear();
    sym_.resize(ctx.instrument_count());
    step_time_ = std::numeric_limits<TimeMs>::min();
    for (InstrumentId i = 0; i < ctx.instrument_count(); ++i) {
        PerSymbol& s = sym_[i];
        s.symbol = &ctx.instrument(i).symbol;
        s.model = model_for(*s.symbol);
        if (!s.model) {
            const std::string text = fmt::format(
                "{}: no production model for {}; not traded (train and promote one with `aurum "
                "train --model gbdt --symbols {} --timeframe {} --promote`)",
                *s.symbol, ctx.timeframe().name(), *s.symbol, ctx.timeframe().name());
            spdlog::warn("{}", text);
            if (sink_)
                sink_->on_notice(text);
            continue;
        }
        start_symbol(i);
    }
    groups_dirty_ = true;
}

void ModelStrategy::start_symbol(InstrumentId i) {
    PerSymbol& s = sym_[i];
    const LiveModel& m = *s.model;
    const std::size_t cols = m.features.column_names().size();
    s.row.assign(cols, 0.0f);
    s.contrib.assign(cols + 1, 0.0);
    DecisionPolicy next(m.config.policy, m.config.costs, m.trained.edge, m.config.labels.horizon);
    if (s.policy)
        next.resume(s.policy->position(), s.policy->held());
    s.policy = next;
    if (s.pipe && s.pipe_set_id != m.features.id()) {
        // Another feature set: rebuilt from the visible history at the next step.
        s.pipe.reset();
        s.context.reset();
        s.warm = false;
    }
}

void ModelStrategy::set_feature_inputs(FeatureInputs inputs, TimeMs to) {
    inputs_ = inputs;
    references_to_ = to;
}

std::size_t ModelStrategy::append_new_reference_bars(MarketStore& market) {
    std::size_t added = 0;
    for (auto& s : sym_)
        if (s.context) added += aurum::append_new_reference_bars(*s.context, market);
    return added;
}

std::vector<std::string> ModelStrategy::swap_model(std::shared_ptr<const LiveModel> model) {
    if (!model)
        throw InputError("model swap: no model given");
    std::vector<std::string> swapped;
    for (const auto& sym : model->record.symbols) {
        by_symbol_[sym] = model;
        for (InstrumentId i = 0; i < sym_.size(); ++i) {
            if (*sym_[i].symbol != sym)
                continue;
            sym_[i].model = model;
            start_symbol(i);
            swapped.push_back(sym);
        }
    }
    groups_dirty_ = true;
    return swapped;
}

std::vector<std::string> ModelStrategy::drop_model(const std::string& name) {
    std::vector<std::string> dropped;
    for (auto it = by_symbol_.begin(); it != by_symbol_.end();)
        it = it->second && it->second->record.name == name ? by_symbol_.erase(it) : std::next(it);
    for (auto& s : sym_) {
        if (!s.model || s.model->record.name != name)
            continue;
        withdrawn_[name] = std::max(withdrawn_[name], s.model->record.version);
        const std::string* symbol = s.symbol;
        s = PerSymbol();
        s.symbol = symbol;
        dropped.push_back(*s.symbol);
    }
    groups_dirty_ = true;
    return dropped;
}

int ModelStrategy::withdrawn_version(const std::string& name) const {
    const auto it = withdrawn_.find(name);
    return it == withdrawn_.end() ? 0 : it->second;
}

void ModelStrategy::rebuild_groups() {
    groups_.clear();
    for (InstrumentId i = 0; i < sym_.size(); ++i) {
        const auto& m = sym_[i].model;
        if (!m)
            continue;
        auto g = std::find_if(groups_.begin(), groups_.end(),
                              [&](const Group& x) { return x.model == m; });
        if (g == groups_.end()) {
            groups_.emplace_back();
            g = groups_.end() - 1;
            g->model = m;
            if (!m->gbdt) {
                Dataset& h = g->hist;
                h.feature_set_id = m->record.feature_set_id;
                h.feature_names = m->features.column_names();
                h.symbols = m->record.symbols;
                h.cols = h.feature_names.size();
                g->per_sym.assign(h.symbols.size(), 0);
                const nlohmann::json params = m->trained.model->params();
                g->keep = std::max<std::size_t>(64, params.value("seq_len", 16));
                g->importance = m->trained.model->importance();
            }
        }
        const auto& syms = m->record.symbols;
        const auto pos = std::find(syms.begin(), syms.end(), *sym_[i].symbol);
        g->members.push_back(i);
        g->sym_index.push_back(static_cast<int>(pos - syms.begin()));
    }
    for (auto& g : groups_) {
        // Dataset rows are in (time, model symbol) order.
        std::vector<std::size_t> order(g.members.size());
        for (std::size_t k = 0; k < order.size(); ++k)
            order[k] = k;
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return g.sym_index[a] < g.sym_index[b]; });
        std::vector<InstrumentId> mem;
        std::vector<int> idx;
        for (std::size_t k : order) {
            mem.push_back(g.members[k]);
            idx.push_back(g.sym_index[k]);
        }
        g.members = std::move(mem);
        g.sym_index = std::move(idx);
        g.rows.reserve(g.members.size());
    }
    groups_dirty_ = false;
}

void ModelStrategy::process_step(StrategyContext& ctx) {
    if (groups_dirty_)
        rebuild_groups();
    for (InstrumentId i = 0; i < sym_.size(); ++i) {
        PerSymbol& s = sym_[i];
        s.updated = false;
        s.pending = std::numeric_limits<double>::quiet_NaN();
        if (!s.model)
            continue;
        const BarView bars = ctx.bars(i);
        if (!s.pipe) {
            try {
                s.context = std::make_unique<FeatureContext>(
                    build_feature_context(s.model->features, *s.symbol, ctx.timeframe(),
                                          !bars.spreads().empty(), inputs_, references_to_));
            } catch (const InputError& e) {
                // Between bars nothing may throw: the symbol is not traded, and the log says why.
                spdlog::error("{}: {} is not traded: {}", s.model->label(), *s.symbol, e.what());
                s.model.reset();
                groups_dirty_ = true;
                continue;
            }
            s.context->sessions = ctx.instrument(i).sessions;
            s.pipe = std::make_unique<FeaturePipeline>(s.model->features, *s.context);
            s.pipe_set_id = s.model->features.id();
            s.fed = 0;
            s.warm = false;
        }
        if (bars.size() <= s.fed)
            continue;
        for (; s.fed < bars.size(); ++s.fed)
            s.warm = s.pipe->update(bars.bar(s.fed));
        s.updated = true;
        s.bar_time = bars.last_time();
        if (s.warm) {
            const auto r = s.pipe->row();
            for (std::size_t c = 0; c < s.row.size(); ++c)
                s.row[c] = static_cast<float>(r[c]);
        }
    }
    for (auto& g : groups_)
        predict_group(g, ctx.now());
}

void ModelStrategy::predict_group(Group& g, TimeMs now) {
    const LiveModel& m = *g.model;
    if (m.gbdt) {
        for (InstrumentId i : g.members) {
            PerSymbol& s = sym_[i];
            if (!s.updated || !s.warm)
                continue;
            const double p = m.trained.calibrator.apply(m.gbdt->predict_one(s.row.data()));
            const Decision d = s.policy->step(p, sink_ && sink_->wants_reasons());
            s.pending = d.target;
            emit(s, i, s.bar_time, p, d);
        }
        return;
    }
    // Generic path: append this step's rows to the history, predict them in one call.
    Dataset& h = g.hist;
    g.rows.clear();
    for (std::size_t k = 0; k < g.members.size(); ++k) {
        PerSymbol& s = sym_[g.members[k]];
        if (!s.updated || !s.warm)
            continue;
        g.rows.push_back(h.rows());
        h.push_row(s.row, 0.0f, now, now, g.sym_index[k], 1.0f, 0.0);
        ++g.per_sym[static_cast<std::size_t>(g.sym_index[k])];
    }
    if (g.rows.empty())
        return;
    // Forget the oldest rows once their symbol has more than `keep` (enough for any sequence).
    std::size_t drop = 0;
    while (drop < h.rows() && g.per_sym[static_cast<std::size_t>(h.sym[drop])] > g.keep) {
        --g.per_sym[static_cast<std::size_t>(h.sym[drop])];
        ++drop;
    }
    if (drop > 0) {
        auto cut = [drop](auto& v, std::size_t width) {
            v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(drop * width));
        };
        cut(h.x, h.cols);
        cut(h.y, 1);
        cut(h.t, 1);
        cut(h.t1, 1);
        cut(h.w, 1);
        cut(h.fwd_ret, 1);
        cut(h.sym, 1);
        for (auto& r : g.rows)
            r -= drop;
    }
    std::vector<double> p;
    if (m.ensemble) {
        // The same P(up) as trained.predict (the ensemble's weighted vote, then calibrated),
        // keeping each member's vote for the prediction record.
        g.votes = m.ensemble->votes(h, g.rows);
        p.reserve(g.votes.size());
        for (const auto& v : g.votes) p.push_back(v.p);
        p = m.trained.calibrator.apply(p);
    } else {
        p = m.trained.predict(h, g.rows);
    }
    std::size_t n = 0;
    for (std::size_t k = 0; k < g.members.size(); ++k) {
        PerSymbol& s = sym_[g.members[k]];
        if (!s.updated || !s.warm)
            continue;
        const Decision d = s.policy->step(p[n], sink_ && sink_->wants_reasons());
        s.pending = d.target;
        emit(s, g.members[k], s.bar_time, p[n], d, m.ensemble ? &g.votes[n] : nullptr);
        ++n;
    }
}

void ModelStrategy::emit(PerSymbol& s, InstrumentId i, TimeMs bar_time, double p,
                         const Decision& d, const EnsembleVote* vote) {
    ++predictions_;
    if (!sink_)
        return;
    const LiveModel& m = *s.model;
    PredictionEvent e;
    e.time = bar_time;
    e.instrument = i;
    e.symbol = s.symbol;
    e.model = &m;
    e.p_up = p;
    e.target = d.target;
    e.expected_value = d.expected_value;
    e.reason = &d.reason;
    e.vote = vote;
    if (m.gbdt) {
        m.gbdt->contributions_one(s.row.data(), s.contrib);
        const auto& fn = m.gbdt->feature_names();
        // Top |contribution| (bias excluded) by insertion into a fixed array.
        for (std::size_t j = 0; j + 1 < s.contrib.size(); ++j) {
            const double v = s.contrib[j];
            std::size_t pos = e.n_top;
            while (pos > 0 && std::fabs(e.top[pos - 1].value) < std::fabs(v))
                --pos;
            if (pos >= PredictionEvent::kTop)
                continue;
            const std::size_t end = std::min(e.n_top + 1, PredictionEvent::kTop);
            for (std::size_t k = end - 1; k > pos; --k)
                e.top[k] = e.top[k - 1];
            e.top[pos] = {&fn[j], v};
            e.n_top = end;
        }
        e.shap = true;
    } else {
        for (auto& g : groups_) {
            if (g.model.get() != &m)
                continue;
            for (const auto& f : g.importance) {
                if (e.n_top == PredictionEvent::kTop)
                    break;
                e.top[e.n_top++] = {&f.feature, f.score};
            }
        }
    }
    sink_->on_prediction(e);
}

void ModelStrategy::on_bar(StrategyContext& ctx, InstrumentId i) {
    const TimeMs now = ctx.now();
    if (now != step_time_) {
        // First instrument of this step: every instrument's new bar is visible already, so
        // cross-asset models see the whole snapshot.
        step_time_ = now;
        process_step(ctx);
    }
    const BarView bars = ctx.bars(i);
    sizer_.update(i, bars);
    PerSymbol& s = sym_[i];
    double sig = s.pending;
    if (std::isnan(sig))
        return; // no model, or warming up: keep whatever is held
    if (sig < 0 && !ctx.can_short(i))
        sig = 0;
    if (sig == s.last)
        return;
    s.last = sig;
    ctx.order_target(i, sizer_.target_qty(ctx, i, sig));
}

// ---------------------------------------------------------------------------------------------

std::map<std::string, ModelRecord> resolve_models(const ModelRegistry& registry,
                                                  const std::vector<std::string>& symbols,
                                                  const std::string& timeframe,
                                                  const ModelSelection& sel) {
    std::map<std::string, ModelRecord> out;
    // rl agents trade as `strategy: rl` (kind "rl"), every other kind as `strategy: model`.
    const bool want_rl = sel.kind == "rl";
    if (sel.model.empty() || sel.model == "production") {
        const auto all = registry.list();
        for (const auto& sym : symbols) {
            const ModelRecord* best = nullptr;
            auto rank = [&](const ModelRecord& r) {
                return std::make_tuple(r.kind == sel.kind ? 0 : 1, r.symbols.size(), r.name);
            };
            for (const auto& r : all) {
                if (r.status != ModelStatus::Production || r.timeframe != timeframe ||
                    (r.kind == "rl") != want_rl)
                    continue;
                if (std::find(r.symbols.begin(), r.symbols.end(), sym) == r.symbols.end())
                    continue;
                if (!best || rank(r) < rank(*best))
                    best = &r;
            }
            if (best)
                out.emplace(sym, *best);
        }
        return out;
    }
    const auto versions = registry.list(sel.model);
    if (versions.empty()) {
        std::string known;
        for (const auto& n : registry.names())
            known += (known.empty() ? "" : ", ") + n;
        throw InputError(
            fmt::format("strategy.model: no model named '{}' in the registry (has: {})", sel.model,
                        known.empty() ? "none" : known));
    }
    std::optional<ModelRecord> rec;
    if (sel.version > 0) {
        rec = registry.get(sel.model, sel.version);
    } else {
        rec = registry.production(sel.model);
        if (!rec)
            throw InputError(fmt::format("strategy.model: '{}' has no production version; promote "
                                         "one or give strategy.version",
                                         sel.model));
    }
    if ((rec->kind == "rl") != want_rl)
        throw InputError(fmt::format("strategy.model: {} v{} is {} {} model: trade it with "
                                     "`strategy: {}`",
                                     rec->name, rec->version, want_rl ? "a" : "an", rec->kind,
                                     want_rl ? "model" : "rl"));
    if (rec->timeframe != timeframe)
        throw InputError(fmt::format("strategy.model: {} v{} is a {} model but the session trades "
                                     "{} bars",
                                     rec->name, rec->version, rec->timeframe, timeframe));
    for (const auto& sym : symbols)
        if (std::find(rec->symbols.begin(), rec->symbols.end(), sym) != rec->symbols.end())
            out.emplace(sym, *rec);
    return out;
}

} // namespace aurum
