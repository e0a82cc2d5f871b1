#include "surfaces/reports/weekly_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/html.hpp"
#include "features/regimes.hpp"
#include "models/model.hpp"
#include "surfaces/reports/report_html.hpp"
#include "surfaces/status_format.hpp"

namespace aurum {

using nlohmann::json;

namespace {

double finite(double x) { return std::isfinite(x) ? x : 0.0; }

/// System vs buy-and-hold of each benchmark over the week, on the same bars.
json performance(const WeeklyReportInput& in, TimeMs from, TimeMs to, json& curves) {
    const SessionView& v = *in.view;
    std::vector<Instrument> inst;
    std::vector<BarSeries> bars;
    json missing = json::array();
    for (const auto& sym : in.benchmarks) {
        if (!in.instruments->find(sym)) continue;
        BarSeries b = in.market ? in.market->load_bars(sym, Timeframe(v.tf), {from, to})
                                : BarSeries{};
        if (b.size() < 2) {
            missing.push_back(sym);
            continue;
        }
        inst.push_back(in.instruments->get(sym));
        bars.push_back(std::move(b));
    }
    std::vector<const BarSeries*> data;
    for (const auto& b : bars) data.push_back(&b);
    const BacktestResult r = period_result(v, from, to, inst);
    const Metrics m = compute_metrics(r, data);
    json bench = json::array();
    for (const auto& b : m.buy_hold)
        bench.push_back({{"symbol", b.symbol}, {"return_pct", b.total_return * 100},
                         {"sharpe", finite(b.sharpe)}, {"max_drawdown_pct", b.max_drawdown * 100}});
    // Curves for the chart: return since the week's start.
    json t = json::array(), sys = json::array();
    for (std::size_t k = 0; k < r.curve.size(); ++k) {
        t.push_back(r.curve.time[k] + v.tf);
        sys.push_back(r.curve.equity[k] / r.initial_capital - 1);
    }
    curves = {{"time", t}, {"system", sys}, {"benchmarks", json::object()}};
    for (std::size_t i = 0; i < bars.size(); ++i) {
        json y = json::array();
        const BarSeries& b = bars[i];
        const std::size_t k0 = b.lower_bound(r.curve.size() ? r.curve.time.front() : from);
        for (std::size_t k = 0; k < r.curve.size(); ++k) {
            const std::size_t j = b.lower_bound(r.curve.time[k]);
            y.push_back(j < b.size() && b.time[j] == r.curve.time[k] && k0 < b.size()
                            ? json(b.close[j] / b.open[k0] - 1)
                            : json(nullptr));
        }
        curves["benchmarks"][inst[i].symbol] = y;
    }
    return {{"system",
             {{"return_pct", m.total_return * 100}, {"sharpe", finite(m.sharpe)},
              {"max_drawdown_pct", m.max_drawdown * 100},
              {"ann_volatility_pct", m.ann_volatility * 100}, {"sortino", finite(m.sortino)},
              {"fees", m.fees}, {"spread_cost", m.spread_cost}, {"slippage_cost", m.slippage_cost}}},
            {"benchmarks", bench},
            {"benchmarks_missing", missing},
            {"trades", {{"count", m.trades}, {"wins", m.wins}, {"losses", m.losses},
                        {"win_rate_pct", m.win_rate * 100}, {"avg_win", m.avg_win},
                        {"avg_loss", m.avg_loss}, {"best", m.best_trade}, {"worst", m.worst_trade},
                        {"profit_factor", std::isfinite(m.profit_factor) ? json(m.profit_factor) : json(nullptr)},
                        {"expectancy", m.expectancy}}}};
}

json daily_pnl(const SessionView& v, TimeMs from, TimeMs to) {
    json days = json::array();
    for (TimeMs d = from; d < to; d += kMsPerDay) {
        const double a = v.equity_at(d), b = v.equity_at(std::min(d + kMsPerDay, v.now));
        days.push_back({{"date", format_date(d)}, {"pnl", b - a}, {"return_pct", a > 0 ? (b / a - 1) * 100 : 0}});
    }
    return days;
}

json risk_events(const SessionView& v, TimeMs from, TimeMs to) {
    int denied = 0, reduced = 0;
    std::map<std::string, int> by;
    for (const auto& d : v.decisions) {
        if (d.time < from || d.time >= to || d.reason.find("warm-up") != std::string::npos) continue;
        denied += d.verdict == "deny";
        reduced += d.verdict == "reduce";
        if (d.verdict == "deny" || d.verdict == "reduce")
            ++by[d.verdict + ": " + (d.rule.empty() ? d.reason : d.rule)];
    }
    json rules = json::array();
    for (const auto& [k, n] : by) rules.push_back({{"rule", k}, {"count", n}});
    return {{"denied", denied}, {"reduced", reduced}, {"by_rule", rules}};
}

/// Hit rate per day and per model/symbol over the week, from resolved predictions.
json accuracy(const std::vector<PredictionOutcome>& out, TimeMs from, TimeMs to) {
    std::map<std::string, std::pair<int, int>> by_day;
    std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<float>>> by_model;
    for (const auto& o : out) {
        if (o.time < from - kMsPerWeek || o.time >= to) continue;
        auto& d = by_day[format_date(o.time)];
        ++d.first;
        d.second += o.hit();
        if (o.time < from) continue;
        auto& m = by_model[{o.model, o.symbol}];
        m.first.push_back(o.p_up);
        m.second.push_back(o.up ? 1.0f : 0.0f);
    }
    json days = json::array(), models = json::array();
    for (const auto& [d, x] : by_day)
        days.push_back({{"date", d}, {"n", x.first}, {"hit_rate_pct", 100.0 * x.second / x.first}});
    for (const auto& [k, x] : by_model) {
        const ClassificationMetrics cm = classification_metrics(x.first, x.second);
        models.push_back({{"model", k.first}, {"symbol", k.second}, {"n", cm.n},
                          {"hit_rate_pct", cm.accuracy * 100}, {"auc", cm.auc}});
    }
    return {{"by_day", days}, {"by_model", models}};
}

/// Mean |contribution| of each feature in the stored predictions' top lists, this week and the
/// week before, ranked.
json feature_importance(const SessionView& v, TimeMs from, TimeMs to) {
    std::map<std::string, std::pair<double, double>> sum; // this, last
    int n_this = 0, n_last = 0;
    for (const auto& p : v.predictions) {
        const bool now = p.time >= from && p.time < to, last = p.time >= from - kMsPerWeek && p.time < from;
        if (!now && !last) continue;
        (now ? n_this : n_last)++;
        const json d = json::parse(p.detail, nullptr, false);
        if (!d.is_object() || !d.contains("top")) continue;
        for (const auto& f : d["top"]) {
            auto& s = sum[f.value("feature", "?")];
            (now ? s.first : s.second) += std::fabs(f.value("value", 0.0));
        }
    }
    std::vector<std::tuple<std::string, double, double>> rows;
    for (const auto& [k, s] : sum)
        rows.emplace_back(k, n_this ? s.first / n_this : 0, n_last ? s.second / n_last : 0);
    auto rank_of = [&](int col) {
        std::vector<std::size_t> idx(rows.size());
        for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
        std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
            return (col ? std::get<2>(rows[a]) : std::get<1>(rows[a])) >
                   (col ? std::get<2>(rows[b]) : std::get<1>(rows[b]));
        });
        std::vector<int> rank(rows.size());
        for (std::size_t r = 0; r < idx.size(); ++r) rank[idx[r]] = static_cast<int>(r) + 1;
        return rank;
    };
    const auto r_this = rank_of(0), r_last = rank_of(1);
    json out = json::array();
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back({{"feature", std::get<0>(rows[i])}, {"this_week", std::get<1>(rows[i])},
                       {"last_week", std::get<2>(rows[i])}, {"rank", r_this[i]},
                       {"last_rank", n_last && std::get<2>(rows[i]) > 0 ? json(r_last[i]) : json(nullptr)}});
    std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["rank"] < b["rank"]; });
    if (out.size() > 15) out.erase(out.begin() + 15, out.end());
    return {{"predictions_this_week", n_this}, {"predictions_last_week", n_last}, {"features", out}};
}

/// How many of the week's resolved predictions each entry threshold would have let through,
/// and how often they went up.
json thresholds(const std::vector<PredictionOutcome>& out, TimeMs from, TimeMs to) {
    json rows = json::array();
    for (double th : {0.55, 0.60, 0.65, 0.70, 0.75, 0.80}) {
        int n = 0, up = 0;
        for (const auto& o : out)
            if (o.time >= from && o.time < to && o.p_up >= th - 1e-12) {
                ++n;
                up += o.up;
            }
        rows.push_back({{"threshold", th}, {"signals", n}, {"hit_rate_pct", n ? json(100.0 * up / n) : json(nullptr)}});
    }
    return rows;
}

json recommendations(const json& r, double threshold, const RiskLimits& limits) {
    json rec = json::array();
    const auto& sys = r["performance"]["system"];
    for (const auto& b : r["performance"]["benchmarks"]) {
        const double ds = sys["sharpe"].get<double>() - b["sharpe"].get<double>();
        const double dr = sys["return_pct"].get<double>() - b["return_pct"].get<double>();
        if (dr < 0 && ds > 0)
            rec.push_back(fmt::format("Lower return than {} buy & hold ({:+.1f}% vs {:+.1f}%) but better "
                                      "risk-adjusted (Sharpe {:.2f} vs {:.2f}).",
                                      b["symbol"].get<std::string>(), sys["return_pct"].get<double>(),
                                      b["return_pct"].get<double>(), sys["sharpe"].get<double>(),
                                      b["sharpe"].get<double>()));
        else if (dr < 0 && ds <= 0)
            rec.push_back(fmt::format("Behind {} buy & hold on return ({:+.1f}% vs {:+.1f}%) and Sharpe "
                                      "({:.2f} vs {:.2f}): review the strategy before adding risk.",
                                      b["symbol"].get<std::string>(), sys["return_pct"].get<double>(),
                                      b["return_pct"].get<double>(), sys["sharpe"].get<double>(),
                                      b["sharpe"].get<double>()));
    }
    // Entry threshold: what the current one produced against the next lower one.
    const json* cur = nullptr;
    const json* lower = nullptr;
    for (const auto& t : r["thresholds"]) {
        if (std::fabs(t["threshold"].get<double>() - threshold) < 1e-9) cur = &t;
        if (std::fabs(t["threshold"].get<double>() - (threshold - 0.05)) < 1e-9) lower = &t;
    }
    auto hr = [](const json& t) {
        return t["hit_rate_pct"].is_null() ? std::string("n/a")
                                            : fmt::format("{:.0f}%", t["hit_rate_pct"].get<double>());
    };
    if (cur && lower && (*lower)["signals"].get<int>() > 0) {
        std::string text = fmt::format(
            "Entry threshold {:.2f} produced {} signals (hit rate {}); {:.2f} would have produced {} "
            "with hit rate {} in the same week",
            threshold, (*cur)["signals"].get<int>(), hr(*cur), threshold - 0.05,
            (*lower)["signals"].get<int>(), hr(*lower));
        const bool better = !(*lower)["hit_rate_pct"].is_null() && (*lower)["hit_rate_pct"].get<double>() > 55 &&
                            ((*cur)["hit_rate_pct"].is_null() ||
                             (*lower)["hit_rate_pct"].get<double>() >= (*cur)["hit_rate_pct"].get<double>() - 2);
        text += better ? fmt::format(": consider lowering the entry threshold from {:.2f} to {:.2f}.",
                                     threshold, threshold - 0.05)
                       : ": keep the threshold.";
        rec.push_back(text);
    }
    for (const auto& m : r["accuracy"]["by_model"])
        if (m["n"].get<std::size_t>() >= 10 && m["hit_rate_pct"].get<double>() < 50)
            rec.push_back(fmt::format("{} on {} was right {:.0f}% of the time ({} predictions): retrain "
                                      "or roll back (seed: retrain if accuracy dropped > 5%).",
                                      m["model"].get<std::string>(), m["symbol"].get<std::string>(),
                                      m["hit_rate_pct"].get<double>(), m["n"].get<std::size_t>()));
    const double dd = -sys["max_drawdown_pct"].get<double>();
    if (dd > limits.max_drawdown * 100 / 2)
        rec.push_back(fmt::format("Drawdown reached {:.1f}% this week, over half the {:.0f}% limit: "
                                  "consider smaller positions.",
                                  dd, limits.max_drawdown * 100));
    const int denied = r["risk"]["denied"].get<int>();
    if (denied > 0)
        rec.push_back(fmt::format("The risk manager denied {} order(s) this week: check whether the "
                                  "limits or the sizing need adjusting.",
                                  denied));
    const auto& tr = r["performance"]["trades"];
    if (tr["count"].get<std::size_t>() >= 5 && tr["win_rate_pct"].get<double>() < 40)
        rec.push_back(fmt::format("Win rate {:.0f}% over {} trades: review the exits of the losing trades.",
                                  tr["win_rate_pct"].get<double>(), tr["count"].get<std::size_t>()));
    if (rec.empty()) rec.push_back("Nothing stands out this week: no change suggested.");
    return rec;
}

/// Bars of history behind the regime check (the HMM is fitted on them): about 500 days of 4h.
constexpr std::size_t kRegimeHistory = 3000;

/// Regime detection accuracy per symbol: the live (causal) classifier's regime of each bar
/// against the hindsight HMM's (fitted on the whole window, so it knows how each stretch ended),
/// over the week and over the history before it, with the week's regime counts.
json regime_detection(const WeeklyReportInput& in, TimeMs from, TimeMs to) {
    json out = json::array();
    const Timeframe tf(in.view->tf);
    for (const auto& sym : in.view->symbols) {
        BarSeries b = in.market->load_bars(sym, tf, {INT64_MIN, to});
        if (b.size() > kRegimeHistory) b = b.slice({b.time[b.size() - kRegimeHistory], to});
        if (b.size() < 300) continue; // too little history to classify (warm-up)
        const auto live = classify_regimes(b);
        const auto hindsight = hmm_regimes(b);
        std::size_t wk = 0, wk_agree = 0, all = 0, all_agree = 0;
        std::map<std::string, int> counts;
        for (std::size_t k = 0; k < b.size(); ++k) {
            if (live[k] == Regime::Unknown || hindsight[k] == Regime::Unknown) continue;
            const bool same = live[k] == hindsight[k];
            ++all;
            all_agree += same;
            if (b.time[k] >= from && b.time[k] < to) {
                ++wk;
                wk_agree += same;
                ++counts[to_string(live[k])];
            }
        }
        if (wk == 0) continue;
        out.push_back({{"symbol", sym},
                       {"bars", wk},
                       {"agreement_pct", 100.0 * static_cast<double>(wk_agree) / static_cast<double>(wk)},
                       {"history_agreement_pct",
                        all ? json(100.0 * static_cast<double>(all_agree) / static_cast<double>(all)) : json(nullptr)},
                       {"history_bars", all},
                       {"live_regimes", counts}});
    }
    return out;
}

} // namespace

json weekly_report_data(const WeeklyReportInput& in) {
    const SessionView& v = *in.view;
    const TimeMs to = std::min(in.day + kMsPerDay, v.now), from = in.day + kMsPerDay - kMsPerWeek;
    json r;
    r["session"] = {{"id", v.session.id}, {"mode", v.session.mode}, {"symbols", v.session.symbols},
                    {"timeframe", v.session.timeframe}, {"strategy", v.session.strategy}};
    r["date"] = format_date(in.day);
    r["from"] = from;
    r["to"] = to;
    json curves;
    r["performance"] = performance(in, from, to, curves);
    r["curves"] = curves;
    r["daily"] = daily_pnl(v, from, in.day + kMsPerDay);
    r["risk"] = risk_events(v, from, to);
    r["accuracy"] = accuracy(in.outcomes, from, to);
    r["features"] = feature_importance(v, from, to);
    r["thresholds"] = thresholds(in.outcomes, from, to);
    r["regimes"] = in.market ? regime_detection(in, from, to) : json::array();
    r["entry_threshold"] = in.entry_threshold;
    json trades = json::array();
    for (const auto& t : v.trades)
        if (t.exit_time >= from && t.exit_time < to)
            trades.push_back({{"symbol", t.symbol}, {"side", t.direction > 0 ? "LONG" : "SHORT"},
                              {"entry_time", t.entry_time}, {"exit_time", t.exit_time},
                              {"entry", t.entry_price}, {"exit", t.exit_price}, {"qty", t.qty},
                              {"pnl", t.pnl}, {"fees", t.fees}});
    r["trade_list"] = trades;
    r["model_health"] = in.model_health;
    r["drift"] = in.drift;
    r["recommendations"] = recommendations(r, in.entry_threshold, *in.limits);
    return r;
}

namespace {

/// "bull 20, ranging 22": the week's live regimes.
std::string regime_mix(const json& g) {
    std::string mix;
    for (const auto& [name, n] : g["live_regimes"].items())
        mix += fmt::format("{}{} {}", mix.empty() ? "" : ", ", name, n.get<int>());
    return mix;
}

std::string usual_agreement(const json& g) {
    return g["history_agreement_pct"].is_null() ? std::string("n/a")
                                                : fmt::format("{:.0f}%", g["history_agreement_pct"].get<double>());
}

/// "Feature drift:" lines: per model, how many features drifted and the most drifted ones.
std::string weekly_drift_text(const json& d) {
    if (!d.is_object() || d["models"].empty()) return "";
    std::string o = "\nFeature drift (live inputs vs training window, PSI):\n";
    for (const auto& m : d["models"]) {
        std::string top;
        for (std::size_t k = 0; k < 3 && k < m["features"].size(); ++k)
            top += fmt::format("{}{} {:.2f}", k ? ", " : "", m["features"][k]["name"].get<std::string>(),
                               m["features"][k]["psi"].get<double>());
        o += fmt::format("  {} {}: {} of {} features drifted{} (most: {})\n", m["model"].get<std::string>(),
                         m["symbol"].get<std::string>(), m["drifted"].get<std::size_t>(),
                         m["features"].size(), m["degraded"].get<bool>() ? " -> DRIFTED" : "", top);
    }
    return o;
}

} // namespace

std::string weekly_report_text(const json& r) {
    std::string o = fmt::format("Week of {} to {}:\n\nStrategy Performance:\n",
                                format_date(r["from"].get<TimeMs>()), r["date"].get<std::string>());
    const auto& s = r["performance"]["system"];
    o += fmt::format("  Our System: {:+.1f}% (Sharpe: {:.2f})\n", s["return_pct"].get<double>(),
                     s["sharpe"].get<double>());
    for (const auto& b : r["performance"]["benchmarks"])
        o += fmt::format("  {} Buy&Hold: {:+.1f}% (Sharpe: {:.2f})\n",
                         b["symbol"].get<std::string>().substr(0, b["symbol"].get<std::string>().find('/')),
                         b["return_pct"].get<double>(), b["sharpe"].get<double>());
    for (const auto& m : r["performance"]["benchmarks_missing"])
        o += "  " + m.get<std::string>() + " Buy&Hold: no bars in the store for this week\n";
    o += fmt::format("\nRisk:\n  Max drawdown: {:.1f}%  Volatility (ann.): {:.1f}%  Sortino: {:.2f}\n"
                     "  Risk manager: {} denied, {} reduced\n",
                     s["max_drawdown_pct"].get<double>(), s["ann_volatility_pct"].get<double>(),
                     s["sortino"].get<double>(), r["risk"]["denied"].get<int>(), r["risk"]["reduced"].get<int>());
    const auto& t = r["performance"]["trades"];
    o += fmt::format("\nTrades: {} closed, {} wins, {} losses (win rate {:.1f}%), best {}, worst {}\n",
                     t["count"].get<std::size_t>(), t["wins"].get<std::size_t>(), t["losses"].get<std::size_t>(),
                     t["win_rate_pct"].get<double>(), format_money(t["best"], true), format_money(t["worst"], true));
    if (!r["accuracy"]["by_model"].empty()) o += "\nModel accuracy:\n";
    for (const auto& m : r["accuracy"]["by_model"])
        o += fmt::format("  {} {}: {:.1f}% of {} (AUC {:.2f})\n", m["model"].get<std::string>(),
                         m["symbol"].get<std::string>(), m["hit_rate_pct"].get<double>(),
                         m["n"].get<std::size_t>(), m["auc"].get<double>());
    if (!r["regimes"].empty()) o += "\nRegime detection (live classifier vs hindsight HMM, same regime):\n";
    for (const auto& g : r["regimes"]) {
        o += fmt::format("  {}: {:.0f}% of {} bars (usually {}); live regimes: {}\n", g["symbol"].get<std::string>(),
                         g["agreement_pct"].get<double>(), g["bars"].get<std::size_t>(),
                         usual_agreement(g), regime_mix(g));
    }
    o += weekly_drift_text(r["drift"]);
    o += "\nRecommendations:\n";
    for (const auto& x : r["recommendations"]) o += "  - " + x.get<std::string>() + "\n";
    return o;
}

namespace {

void html_performance(std::ostringstream& o, const json& r) {
    const auto& s = r["performance"]["system"];
    o << "<h2>Performance vs benchmarks</h2><table><thead><tr><th class='l'></th><th>return</th>"
         "<th>Sharpe</th><th>max drawdown</th></tr></thead><tbody><tr><td class='l'>Our system</td>"
      << signed_cell(fmt::format("{:+.2f}%", s["return_pct"].get<double>()), s["return_pct"].get<double>())
      << "<td>" << fmt::format("{:.2f}", s["sharpe"].get<double>()) << "</td><td>"
      << fmt::format("{:.2f}%", s["max_drawdown_pct"].get<double>()) << "</td></tr>";
    for (const auto& b : r["performance"]["benchmarks"])
        o << "<tr><td class='l'>" << html_escape(b["symbol"].get<std::string>()) << " buy &amp; hold</td>"
          << signed_cell(fmt::format("{:+.2f}%", b["return_pct"].get<double>()), b["return_pct"].get<double>())
          << "<td>" << fmt::format("{:.2f}", b["sharpe"].get<double>()) << "</td><td>"
          << fmt::format("{:.2f}%", b["max_drawdown_pct"].get<double>()) << "</td></tr>";
    o << "</tbody></table>";
    {
        const auto& c = r["curves"];
        std::vector<TimeMs> t = c["time"].get<std::vector<TimeMs>>();
        std::vector<std::vector<double>> ys{c["system"].get<std::vector<double>>()};
        std::vector<std::string> names{"our system"};
        for (const auto& [sym, y] : c["benchmarks"].items()) {
            std::vector<double> v;
            for (const auto& x : y) v.push_back(x.is_null() ? NAN : x.get<double>());
            ys.push_back(v);
            names.push_back(sym + " buy & hold");
        }
        static const char* kColors[] = {"#1f5fbf", "#e08a00", "#7d3c98", "#2e8b57"};
        std::vector<ChartLine> lines;
        for (std::size_t i = 0; i < ys.size(); ++i) lines.push_back({&ys[i], kColors[i % 4], names[i], false});
        o << svg_line_chart(t, lines, {1100, 300, true, false})
          << "<div class='note'>Return since the week's start; buy &amp; hold from the week's first open, no costs.</div>";
    }
}

void html_risk(std::ostringstream& o, const json& r) {
    const auto& s = r["performance"]["system"];
    o << "<h2>Risk metrics</h2><div class='cards'>";
    report_card(o, "Max drawdown", fmt::format("{:.2f}%", s["max_drawdown_pct"].get<double>()), -1);
    report_card(o, "Volatility (ann.)", fmt::format("{:.1f}%", s["ann_volatility_pct"].get<double>()));
    report_card(o, "Sortino", fmt::format("{:.2f}", s["sortino"].get<double>()));
    report_card(o, "Orders denied", std::to_string(r["risk"]["denied"].get<int>()));
    report_card(o, "Orders reduced", std::to_string(r["risk"]["reduced"].get<int>()));
    report_card(o, "Costs (fees+spread+slippage)",
                format_money(s["fees"].get<double>() + s["spread_cost"].get<double>() + s["slippage_cost"].get<double>()));
    o << "</div>";
    std::vector<std::pair<std::string, double>> days;
    for (const auto& d : r["daily"]) days.emplace_back(d["date"].get<std::string>(), d["return_pct"].get<double>() / 100);
    o << "<p>Daily return</p>" << svg_bar_chart(days, 700, true);
    for (const auto& x : r["risk"]["by_rule"])
        o << "<p class='note'>" << html_escape(x["rule"].get<std::string>()) << ": " << x["count"].get<int>() << "</p>";

}

void html_accuracy_and_thresholds(std::ostringstream& o, const json& r) {
    o << "<h2>Model accuracy trend</h2>";
    if (r["accuracy"]["by_day"].empty())
        o << "<p class='note'>No resolved predictions in these two weeks (a rule strategy, or horizons not yet closed).</p>";
    else {
        std::vector<std::pair<std::string, double>> acc;
        for (const auto& d : r["accuracy"]["by_day"])
            acc.emplace_back(d["date"].get<std::string>() + " (" + std::to_string(d["n"].get<int>()) + ")",
                             d["hit_rate_pct"].get<double>() / 100);
        o << svg_bar_chart(acc, 700, true);
        o << "<table><thead><tr><th class='l'>model</th><th class='l'>symbol</th><th>predictions</th>"
             "<th>hit rate</th><th>AUC</th></tr></thead><tbody>";
        for (const auto& m : r["accuracy"]["by_model"])
            o << "<tr><td class='l'>" << html_escape(m["model"].get<std::string>()) << "</td><td class='l'>"
              << html_escape(m["symbol"].get<std::string>()) << "</td><td>" << m["n"].get<std::size_t>()
              << "</td><td>" << fmt::format("{:.1f}%", m["hit_rate_pct"].get<double>()) << "</td><td>"
              << fmt::format("{:.3f}", m["auc"].get<double>()) << "</td></tr>";
        o << "</tbody></table>";
    }
    if (r["model_health"].is_object())
        for (const auto& f : r["model_health"].value("degraded", json::array()))
            o << "<p class='bad'>⚠ Model degraded: " << html_escape(f.get<std::string>()) << "</p>";
    if (!r["regimes"].empty()) {
        o << "<h2>Regime detection</h2><p>Share of the week's bars on which the live (causal) regime "
             "classifier agreed with the hindsight HMM, against the share over the history before.</p>"
             "<table><thead><tr><th class='l'>symbol</th><th>bars</th><th>agreement</th><th>usually</th>"
             "<th class='l'>live regimes</th></tr></thead><tbody>";
        for (const auto& g : r["regimes"]) {
            o << "<tr><td class='l'>" << html_escape(g["symbol"].get<std::string>()) << "</td><td>"
              << g["bars"].get<std::size_t>() << "</td><td>" << fmt::format("{:.0f}%", g["agreement_pct"].get<double>())
              << "</td><td>" << usual_agreement(g) << "</td><td class='l'>" << html_escape(regime_mix(g))
              << "</td></tr>";
        }
        o << "</tbody></table>";
    }
    if (r["drift"].is_object() && !r["drift"]["models"].empty()) {
        o << "<h2>Feature drift</h2><table><thead><tr><th class='l'>model</th><th class='l'>symbol</th>"
             "<th>drifted</th><th class='l'>most drifted (PSI)</th></tr></thead><tbody>";
        for (const auto& m : r["drift"]["models"]) {
            std::string top;
            for (std::size_t k = 0; k < 3 && k < m["features"].size(); ++k)
                top += fmt::format("{}{} {:.2f}", k ? ", " : "", m["features"][k]["name"].get<std::string>(),
                                   m["features"][k]["psi"].get<double>());
            o << "<tr><td class='l'>" << html_escape(m["model"].get<std::string>()) << "</td><td class='l'>"
              << html_escape(m["symbol"].get<std::string>()) << "</td><td" << (m["degraded"].get<bool>() ? " class='bad'" : "")
              << ">" << m["drifted"].get<std::size_t>() << " of " << m["features"].size() << "</td><td class='l'>"
              << html_escape(top) << "</td></tr>";
        }
        o << "</tbody></table>";
        for (const auto& f : r["drift"]["degraded"])
            o << "<p class='bad'>⚠ Model drifted: " << html_escape(f.get<std::string>()) << "</p>";
    }

    o << "<h2>Entry threshold</h2><table><thead><tr><th>threshold</th><th>signals</th><th>hit rate</th>"
         "</tr></thead><tbody>";
    for (const auto& t : r["thresholds"])
        o << "<tr><td>" << fmt::format("{:.2f}", t["threshold"].get<double>())
          << (std::fabs(t["threshold"].get<double>() - r["entry_threshold"].get<double>()) < 1e-9 ? " (in force)" : "")
          << "</td><td>" << t["signals"].get<int>() << "</td><td>"
          << (t["hit_rate_pct"].is_null() ? std::string("-") : fmt::format("{:.1f}%", t["hit_rate_pct"].get<double>()))
          << "</td></tr>";
    o << "</tbody></table>";

}

void html_features(std::ostringstream& o, const json& r) {
    o << "<h2>Feature importance, week over week</h2>";
    const auto& fi = r["features"];
    if (fi["features"].empty())
        o << "<p class='note'>No stored prediction contributions this week.</p>";
    else {
        o << "<table><thead><tr><th class='l'>feature</th><th>rank</th><th>last week</th><th>mean |contribution|</th>"
             "<th>last week</th></tr></thead><tbody>";
        for (const auto& f : fi["features"])
            o << "<tr><td class='l'>" << html_escape(f["feature"].get<std::string>()) << "</td><td>"
              << f["rank"].get<int>() << "</td><td>" << (f["last_rank"].is_null() ? std::string("new") : std::to_string(f["last_rank"].get<int>()))
              << "</td><td>" << fmt::format("{:.4f}", f["this_week"].get<double>()) << "</td><td>"
              << fmt::format("{:.4f}", f["last_week"].get<double>()) << "</td></tr>";
        o << "</tbody></table>";
    }
}

void html_trades_and_advice(std::ostringstream& o, const json& r) {
    const auto& t = r["performance"]["trades"];
    o << "<h2>Wins and losses</h2><div class='cards'>";
    report_card(o, "Closed trades", std::to_string(t["count"].get<std::size_t>()));
    report_card(o, "Win rate", fmt::format("{:.1f}%", t["win_rate_pct"].get<double>()));
    report_card(o, "Average win", format_money(t["avg_win"], true), 1);
    report_card(o, "Average loss", format_money(t["avg_loss"], true), -1);
    report_card(o, "Best", format_money(t["best"], true), t["best"].get<double>());
    report_card(o, "Worst", format_money(t["worst"], true), t["worst"].get<double>());
    o << "</div>";
    if (!r["trade_list"].empty()) {
        o << "<table><thead><tr><th class='l'>symbol</th><th class='l'>side</th><th class='l'>entry</th>"
             "<th class='l'>exit</th><th>entry price</th><th>exit price</th><th>net P&amp;L</th></tr></thead><tbody>";
        for (const auto& x : r["trade_list"])
            o << "<tr" << (x["pnl"].get<double>() < 0 ? " class='loss'" : "") << "><td class='l'>"
              << html_escape(x["symbol"].get<std::string>()) << "</td><td class='l'>" << x["side"].get<std::string>()
              << "</td><td class='l'>" << format_time(x["entry_time"].get<TimeMs>()) << "</td><td class='l'>"
              << format_time(x["exit_time"].get<TimeMs>()) << "</td><td>" << format_money(x["entry"])
              << "</td><td>" << format_money(x["exit"]) << "</td><td>" << format_money(x["pnl"], true) << "</td></tr>";
        o << "</tbody></table>";
    }
    o << "<h2>Recommendations</h2><ul>";
    for (const auto& x : r["recommendations"]) o << "<li>" << html_escape(x.get<std::string>()) << "</li>";
    o << "</ul><h2>Text version</h2><pre>" << html_escape(weekly_report_text(r)) << "</pre>";
}

} // namespace

std::string weekly_report_html(const json& r) {
    std::ostringstream o;
    o << "<h1>Weekly Analysis " << html_escape(r["date"].get<std::string>()) << "</h1><div class='sub'>Week "
      << format_date(r["from"].get<TimeMs>()) << " to " << html_escape(r["date"].get<std::string>())
      << "; session " << html_escape(r["session"]["id"].get<std::string>()) << " ("
      << html_escape(r["session"]["symbols"].get<std::string>()) << " "
      << html_escape(r["session"]["timeframe"].get<std::string>()) << ", "
      << html_escape(r["session"]["strategy"].get<std::string>()) << ")</div>";
    html_performance(o, r);
    html_risk(o, r);
    html_accuracy_and_thresholds(o, r);
    html_features(o, r);
    html_trades_and_advice(o, r);
    return html_page("Weekly Analysis " + r["date"].get<std::string>(), o.str());
}

} // namespace aurum
