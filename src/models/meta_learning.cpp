#include "models/meta_learning.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/stable_hash.hpp"
#include "core/time.hpp"

namespace aurum {

SequenceBatch MetaInputs::rows(std::size_t k, std::size_t begin, std::size_t end) const {
    const std::size_t per = static_cast<std::size_t>(seq_len) * cols;
    const auto& s = seq[k];
    const auto& y = (*symbols)[k].data.y;
    return {std::span<const float>(s).subspan(begin * per, (end - begin) * per),
            std::span<const float>(y).subspan(begin, end - begin), end - begin};
}

MetaInputs meta_inputs(const std::vector<SymbolRows>& symbols, const Standardiser& s, int seq_len) {
    MetaInputs in;
    in.symbols = &symbols;
    in.seq_len = seq_len;
    in.cols = s.mean.size();
    for (const auto& sym : symbols) in.seq.push_back(standardised_sequences(sym.data, s, seq_len));
    return in;
}

MetaNetShape meta_shape(const MetaConfig& cfg, std::size_t cols) {
    MetaNetShape s;
    s.features = static_cast<int>(cols);
    s.seq_len = cfg.seq_len;
    s.hidden = cfg.hidden;
    s.layers = cfg.layers;
    s.threads = 1;
    s.seed = cfg.seed;
    return s;
}

std::unique_ptr<MetaNet> reptile_train(const MetaInputs& in, const std::vector<MetaTask>& tasks,
                                       const MetaConfig& cfg, std::vector<double>* curve) {
    if (tasks.empty()) throw InputError("meta-learning: no training tasks (regime windows)");
    auto meta = make_meta_net(meta_shape(cfg, in.cols));
    std::mt19937_64 rng(cfg.seed);
    const int n = cfg.iterations;
    for (int it = 0; it < n; ++it) {
        const MetaTask& t = tasks[rng() % tasks.size()];
        const double frac = n > 1 ? static_cast<double>(it) / (n - 1) : 0.0;
        const double eps = cfg.epsilon + (cfg.epsilon_end - cfg.epsilon) * frac;
        auto fast = meta->clone();
        const double loss = fast->train_steps(in.rows(t.symbol, t.begin, t.end), cfg.inner_steps,
                                              cfg.batch, cfg.inner_lr, cfg.seed + 1 + static_cast<std::uint64_t>(it));
        meta->move_toward(*fast, eps);
        if (curve) curve->push_back(loss);
    }
    return meta;
}

std::unique_ptr<MetaNet> joint_train(const MetaInputs& in, const std::vector<MetaTask>& tasks,
                                     const MetaConfig& cfg) {
    if (tasks.empty()) throw InputError("meta-learning: no training tasks (regime windows)");
    std::vector<float> x, y;
    for (const auto& t : tasks) {
        const auto b = in.rows(t.symbol, t.begin, t.end);
        x.insert(x.end(), b.x.begin(), b.x.end());
        y.insert(y.end(), b.y.begin(), b.y.end());
    }
    auto net = make_meta_net(meta_shape(cfg, in.cols));
    net->train_steps({x, y, y.size()}, cfg.iterations * cfg.inner_steps, cfg.batch, cfg.inner_lr,
                     cfg.seed + 7919);
    return net;
}

std::unique_ptr<MetaNet> adapt(const MetaNet& init, const SequenceBatch& support,
                               const MetaConfig& cfg, std::uint64_t seed) {
    auto net = init.clone();
    // Full-batch steps: the support is a few dozen rows.
    net->train_steps(support, cfg.adapt_steps, static_cast<int>(support.n), cfg.adapt_lr, seed);
    return net;
}

std::string to_string(MetaMethod m) {
    switch (m) {
    case MetaMethod::MetaAdapted: return "meta+adapt";
    case MetaMethod::MetaOnly: return "meta";
    case MetaMethod::Joint: return "joint";
    case MetaMethod::JointAdapted: return "joint+adapt";
    }
    return "?";
}

std::vector<TaskScore> score_tasks(const MetaInputs& in, const std::vector<MetaTask>& test,
                                   const MetaNet& meta, const MetaNet& joint,
                                   const MetaConfig& cfg, std::size_t* skipped) {
    std::vector<TaskScore> out;
    std::size_t skip = 0;
    for (std::size_t k = 0; k < test.size(); ++k) {
        const MetaTask& t = test[k];
        const Dataset& d = (*in.symbols)[t.symbol].data;
        const FewShotSplit s = few_shot_split(d, t.begin, t.end, cfg.shots, cfg.query);
        if (s.query_end - s.query_begin < static_cast<std::size_t>(cfg.min_query)) {
            ++skip;
            continue;
        }
        TaskScore sc;
        sc.task = t;
        sc.symbol = (*in.symbols)[t.symbol].symbol;
        sc.split = s;
        sc.support_from = d.t[s.support_begin];
        sc.query_from = d.t[s.query_begin];
        sc.query_to = d.t[s.query_end - 1];
        sc.y.assign(d.y.begin() + static_cast<long>(s.query_begin), d.y.begin() + static_cast<long>(s.query_end));
        const auto support = in.rows(t.symbol, s.support_begin, s.support_end);
        const auto query = in.rows(t.symbol, s.query_begin, s.query_end);
        const std::uint64_t seed = cfg.seed + 104729 + k;
        sc.p[static_cast<int>(MetaMethod::MetaOnly)] = meta.predict(query.x, query.n);
        sc.p[static_cast<int>(MetaMethod::MetaAdapted)] = adapt(meta, support, cfg, seed)->predict(query.x, query.n);
        sc.p[static_cast<int>(MetaMethod::Joint)] = joint.predict(query.x, query.n);
        sc.p[static_cast<int>(MetaMethod::JointAdapted)] = adapt(joint, support, cfg, seed)->predict(query.x, query.n);
        out.push_back(std::move(sc));
    }
    if (skipped) *skipped = skip;
    return out;
}

namespace {

/// Pooled metrics of method m over the tasks `pick` (indices, repeats allowed).
ClassificationMetrics pooled(const std::vector<TaskScore>& tasks, const std::vector<std::size_t>& pick,
                             MetaMethod m, std::vector<double>& p, std::vector<float>& y) {
    p.clear();
    y.clear();
    for (std::size_t k : pick) {
        const auto& t = tasks[k];
        p.insert(p.end(), t.p[static_cast<int>(m)].begin(), t.p[static_cast<int>(m)].end());
        y.insert(y.end(), t.y.begin(), t.y.end());
    }
    return classification_metrics(p, y);
}

/// The percentile interval of `v` at `confidence`.
Gain interval(double value, std::vector<double> v, double confidence) {
    std::sort(v.begin(), v.end());
    const double a = (1 - confidence) / 2;
    auto at = [&](double q) {
        const auto i = static_cast<std::size_t>(std::floor(q * static_cast<double>(v.size() - 1)));
        return v[std::min(i, v.size() - 1)];
    };
    return {value, at(a), at(1 - a)};
}

struct Deltas {
    double logloss, accuracy, auc;
};
Deltas delta(const ClassificationMetrics& c, const ClassificationMetrics& b) {
    return {b.logloss - c.logloss, c.accuracy - b.accuracy, c.auc - b.auc};
}

} // namespace

void summarise_fold(MetaFold& fold, const MetaConfig& cfg) {
    const std::size_t n = fold.tasks.size();
    std::vector<std::size_t> all(n);
    for (std::size_t k = 0; k < n; ++k) all[k] = k;
    std::vector<double> p;
    std::vector<float> y;
    for (int m = 0; m < kMetaMethods; ++m)
        fold.metrics[m] = pooled(fold.tasks, all, static_cast<MetaMethod>(m), p, y);
    const std::pair<MetaMethod, MetaMethod> pairs[] = {
        {MetaMethod::MetaAdapted, MetaMethod::MetaOnly},
        {MetaMethod::MetaAdapted, MetaMethod::Joint},
        {MetaMethod::MetaAdapted, MetaMethod::JointAdapted},
        {MetaMethod::JointAdapted, MetaMethod::Joint}};
    fold.gains.clear();
    if (n == 0) return;
    std::vector<std::array<std::vector<double>, 3>> boot(std::size(pairs));
    std::mt19937_64 rng(cfg.seed + 31337);
    std::vector<std::size_t> pick(n);
    ClassificationMetrics mm[kMetaMethods];
    for (int b = 0; b < cfg.bootstrap; ++b) {
        for (auto& k : pick) k = rng() % n;
        for (int m = 0; m < kMetaMethods; ++m)
            mm[m] = pooled(fold.tasks, pick, static_cast<MetaMethod>(m), p, y);
        for (std::size_t q = 0; q < std::size(pairs); ++q) {
            const Deltas d = delta(mm[static_cast<int>(pairs[q].first)], mm[static_cast<int>(pairs[q].second)]);
            boot[q][0].push_back(d.logloss);
            boot[q][1].push_back(d.accuracy);
            boot[q][2].push_back(d.auc);
        }
    }
    for (std::size_t q = 0; q < std::size(pairs); ++q) {
        const Deltas d = delta(fold.metrics[static_cast<int>(pairs[q].first)],
                               fold.metrics[static_cast<int>(pairs[q].second)]);
        fold.gains.push_back({pairs[q].first, pairs[q].second,
                              interval(d.logloss, boot[q][0], cfg.confidence),
                              interval(d.accuracy, boot[q][1], cfg.confidence),
                              interval(d.auc, boot[q][2], cfg.confidence)});
    }
}

namespace {

/// The split time: the (1 - test_fraction) quantile of every row's sample time.
TimeMs split_time(const std::vector<SymbolRows>& symbols, double test_fraction) {
    std::vector<TimeMs> t;
    for (const auto& s : symbols) t.insert(t.end(), s.data.t.begin(), s.data.t.end());
    if (t.empty()) throw InputError("meta-learning: no rows");
    std::sort(t.begin(), t.end());
    return t[static_cast<std::size_t>((1.0 - test_fraction) * static_cast<double>(t.size() - 1))];
}

/// Windows of symbol k's rows whose labels end before `split` (meta-training) or whose rows
/// start at or after it (held out).
std::vector<MetaTask> windows(const SymbolRows& s, std::size_t k, TimeMs split, bool train,
                              const MetaConfig& cfg) {
    const auto& d = s.data;
    std::size_t a = 0, b = 0;
    if (train) {
        while (b < d.rows() && d.t1[b] < split) ++b;
    } else {
        while (a < d.rows() && d.t[a] < split) ++a;
        b = d.rows();
    }
    const std::vector<Regime> part(s.regime.begin() + static_cast<long>(a), s.regime.begin() + static_cast<long>(b));
    auto w = regime_windows(part, k, cfg.min_window, cfg.max_window);
    for (auto& t : w) {
        t.begin += a;
        t.end += a;
    }
    return w;
}

MetaFold run_fold(const std::vector<SymbolRows>& symbols, const std::vector<std::size_t>& train,
                  const std::vector<std::size_t>& test, const std::string& name, TimeMs split,
                  const MetaConfig& cfg, MetaModel* keep) {
    MetaFold f;
    f.name = name;
    f.split_time = split;
    std::vector<MetaTask> train_tasks, test_tasks;
    std::vector<const Dataset*> data;
    std::vector<std::vector<std::size_t>> rows;
    for (std::size_t k : train) {
        f.train_symbols.push_back(symbols[k].symbol);
        auto w = windows(symbols[k], k, split, true, cfg);
        data.push_back(&symbols[k].data);
        rows.emplace_back();
        for (const auto& t : w)
            for (std::size_t i = t.begin; i < t.end; ++i) rows.back().push_back(i);
        train_tasks.insert(train_tasks.end(), w.begin(), w.end());
    }
    for (std::size_t k : test) {
        f.test_symbols.push_back(symbols[k].symbol);
        auto w = windows(symbols[k], k, split, false, cfg);
        test_tasks.insert(test_tasks.end(), w.begin(), w.end());
    }
    f.train_tasks = train_tasks.size();
    if (train_tasks.empty())
        throw InputError(fmt::format("meta-learning ({}): no regime window of at least {} rows "
                                     "before {}: more history or a smaller tasks.min_window",
                                     name, cfg.min_window, format_time(split)));
    const Standardiser st = Standardiser::fit(data, rows);
    const MetaInputs in = meta_inputs(symbols, st, cfg.seq_len);
    spdlog::info("meta ({}): Reptile over {} tasks, {} iterations", name, train_tasks.size(), cfg.iterations);
    auto meta = reptile_train(in, train_tasks, cfg, &f.meta_curve);
    auto joint = joint_train(in, train_tasks, cfg);
    f.tasks = score_tasks(in, test_tasks, *meta, *joint, cfg, &f.skipped_tasks);
    summarise_fold(f, cfg);
    if (keep) {
        keep->standardiser = st;
        keep->net = std::move(meta);
    }
    return f;
}

const Comparison* find_gain(const MetaFold& f, MetaMethod c, MetaMethod b) {
    for (const auto& g : f.gains)
        if (g.candidate == c && g.baseline == b) return &g;
    return nullptr;
}

} // namespace

MetaEvaluation evaluate_meta_learning(const std::vector<SymbolRows>& symbols,
                                      const MetaConfig& cfg, MetaModel* final_model) {
    MetaEvaluation ev;
    ev.config = cfg;
    const TimeMs split = split_time(symbols, cfg.test_fraction);
    std::vector<std::size_t> all(symbols.size());
    for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
    ev.folds.push_back(run_fold(symbols, all, all, "new-regime", split, cfg, final_model));
    if (cfg.leave_one_symbol_out && symbols.size() >= 2)
        for (std::size_t k = 0; k < symbols.size(); ++k) {
            std::vector<std::size_t> rest;
            for (std::size_t j : all)
                if (j != k) rest.push_back(j);
            ev.folds.push_back(run_fold(symbols, rest, {k}, "leave-out " + symbols[k].symbol,
                                        split, cfg, nullptr));
        }
    // Gating: on the new-regime fold (the registered network's own held-out windows).
    const MetaFold& f = ev.folds.front();
    GatingRule r;
    r.name = "adaptation_logloss_gain_ci_low";
    r.threshold = 0;
    if (const Comparison* g = find_gain(f, MetaMethod::MetaAdapted, MetaMethod::MetaOnly)) {
        r.actual = g->logloss.low;
        r.passed = g->logloss.low > 0;
        r.detail = fmt::format("adaptation log-loss gain vs no adaptation, {:.0f}% CI low > 0: "
                               "{:+.4f} [{:+.4f}, {:+.4f}] over {} held-out windows",
                               cfg.confidence * 100, g->logloss.value, g->logloss.low,
                               g->logloss.high, f.tasks.size());
    } else {
        r.detail = "no held-out window had enough query rows (adapt.min_query)";
    }
    ev.verdict.rules.push_back(r);
    ev.verdict.passed = r.passed;
    ev.adaptation_used = r.passed;
    ev.reason = r.passed ? "used: " + r.detail
                         : "not used: " + r.detail + (f.tasks.empty() ? "" : " fails");
    return ev;
}

std::string params_hash(const MetaNet& net) {
    const auto p = net.flat_params();
    const std::string_view bytes(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(float));
    return fmt::format("{:016x}", fnv1a_short_basis64(bytes));
}

// ---------------------------------------------------------------- report

namespace {

nlohmann::json metrics_json(const ClassificationMetrics& m) {
    return {{"n", m.n}, {"logloss", m.logloss}, {"accuracy", m.accuracy}, {"auc", m.auc}};
}

nlohmann::json gain_json(const Gain& g) {
    return {{"value", g.value}, {"low", g.low}, {"high", g.high}};
}

} // namespace

nlohmann::json MetaEvaluation::to_json() const {
    nlohmann::json folds_j = nlohmann::json::array();
    for (const auto& f : folds) {
        nlohmann::json methods = nlohmann::json::object();
        for (int m = 0; m < kMetaMethods; ++m)
            methods[to_string(static_cast<MetaMethod>(m))] = metrics_json(f.metrics[m]);
        nlohmann::json gains = nlohmann::json::array();
        for (const auto& g : f.gains)
            gains.push_back({{"candidate", to_string(g.candidate)},
                             {"baseline", to_string(g.baseline)},
                             {"logloss", gain_json(g.logloss)},
                             {"accuracy", gain_json(g.accuracy)},
                             {"auc", gain_json(g.auc)}});
        nlohmann::json tasks = nlohmann::json::array();
        for (const auto& t : f.tasks) {
            nlohmann::json tj = {{"symbol", t.symbol},
                                 {"regime", to_string(t.task.regime)},
                                 {"support_from", format_time(t.support_from)},
                                 {"query_from", format_time(t.query_from)},
                                 {"query_to", format_time(t.query_to)},
                                 {"shots", t.split.support_end - t.split.support_begin},
                                 {"gap", t.split.gap()},
                                 {"query", t.y.size()}};
            for (int m = 0; m < kMetaMethods; ++m)
                tj[to_string(static_cast<MetaMethod>(m))] =
                    metrics_json(classification_metrics(t.p[m], t.y));
            tasks.push_back(tj);
        }
        folds_j.push_back({{"name", f.name},
                           {"train_symbols", f.train_symbols},
                           {"test_symbols", f.test_symbols},
                           {"split_time", format_time(f.split_time)},
                           {"train_tasks", f.train_tasks},
                           {"test_tasks", f.tasks.size()},
                           {"skipped_tasks", f.skipped_tasks},
                           {"methods", methods},
                           {"gains", gains},
                           {"meta_curve", f.meta_curve},
                           {"tasks", tasks}});
    }
    return {{"config", config.to_json()},
            {"folds", folds_j},
            {"gating", verdict.to_json()},
            {"adaptation_used", adaptation_used},
            {"reason", reason},
            {"joint_baseline",
             "joint = the same network trained on all meta-training rows together with the same "
             "number of Adam steps; joint+adapt = joint plus the same few-shot adaptation"}};
}

std::string MetaEvaluation::text() const {
    std::string s = "Meta-learning (Reptile, first order) of the LSTM over (symbol, regime window) tasks\n";
    s += fmt::format("few-shot: {} support rows, a label-horizon gap, up to {} query rows; {} Adam "
                     "steps at lr {}\n",
                     config.shots, config.query, config.adapt_steps, config.adapt_lr);
    s += "joint = the same network trained on all meta-training rows together (same step count);\n"
         "joint+adapt = joint plus the same adaptation. Gains: positive = better; "
         "[CI] bootstrap over held-out windows.\n";
    for (const auto& f : folds) {
        s += fmt::format("\n== {}: meta-train {} ({} windows, labels ending before {}), held out {} "
                         "({} windows scored, {} too short)\n",
                         f.name, fmt::join(f.train_symbols, ","), f.train_tasks,
                         format_time(f.split_time), fmt::join(f.test_symbols, ","), f.tasks.size(),
                         f.skipped_tasks);
        s += fmt::format("  {:<12} {:>6} {:>9} {:>9} {:>7}\n", "method", "rows", "log-loss",
                         "accuracy", "AUC");
        for (int m = 0; m < kMetaMethods; ++m)
            s += fmt::format("  {:<12} {:>6} {:>9.4f} {:>8.1f}% {:>7.3f}\n",
                             to_string(static_cast<MetaMethod>(m)), f.metrics[m].n,
                             f.metrics[m].logloss, f.metrics[m].accuracy * 100, f.metrics[m].auc);
        for (const auto& g : f.gains)
            s += fmt::format("  {} vs {}: log-loss {:+.4f} [{:+.4f}, {:+.4f}]  accuracy {:+.2f} pp "
                             "[{:+.2f}, {:+.2f}]  AUC {:+.3f} [{:+.3f}, {:+.3f}]\n",
                             to_string(g.candidate), to_string(g.baseline), g.logloss.value,
                             g.logloss.low, g.logloss.high, g.accuracy.value * 100,
                             g.accuracy.low * 100, g.accuracy.high * 100, g.auc.value, g.auc.low,
                             g.auc.high);
    }
    s += fmt::format("\ngating: adaptation {}\n", reason);
    return s;
}

} // namespace aurum
