#include "models/model_report.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/html.hpp"
#include "core/workspace.hpp"

namespace aurum {

namespace fs = std::filesystem;

namespace {

std::string pct(double v) { return std::isfinite(v) ? fmt::format("{:.1f}%", v * 100) : "n/a"; }
std::string num(double v, int d = 2) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, d) : "n/a"; }

std::string fold_table_md(const WalkForwardResult& wf) {
    std::string s = "| fold | train | test | train rows | test rows | purged | embargoed | train acc | "
                    "test acc | test AUC | shuffled AUC | trades | return | Sharpe | max DD | buy&hold |\n"
                    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& f : wf.folds)
        s += fmt::format("| {} | {} .. {} | {} .. {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | "
                         "{} | {} | {} |\n",
                         f.index + 1, format_date(f.train_from), format_date(f.train_to),
                         format_date(f.test_from), format_date(f.test_to), f.train_rows, f.test_rows,
                         f.purged, f.embargoed, pct(f.train.accuracy), pct(f.test.accuracy),
                         num(f.test.auc, 3), num(f.shuffled_auc, 3), f.backtest.trades,
                         pct(f.backtest.total_return), num(f.backtest.sharpe),
                         pct(f.backtest.max_drawdown), pct(f.buy_hold_return));
    return s;
}

/// Which risk the walk-forward's backtests ran with, in words.
std::string risk_text(const WalkForwardResult& wf) {
    return wf.risk.empty() ? "off (every order approved; `--risk off`)" : wf.risk;
}

std::string leakage_text(const LeakageReport& L) {
    std::string s;
    s += fmt::format("  shuffled-label control : AUC {:.3f} (chance band 0.5 +- {:.3f}) {}\n",
                     L.shuffled_auc, L.shuffled_band, L.shuffled_ok ? "OK" : "FLAGGED");
    s += fmt::format("  t1 overlap check       : {} training samples reach their test window {}\n",
                     L.t1_overlaps, L.t1_overlaps == 0 ? "OK" : "FLAGGED");
    s += fmt::format("  train vs out-of-sample : training accuracy {} (AUC {:.3f}) but test accuracy {} "
                     "(AUC {:.3f}); gap {:+.1f} points\n",
                     pct(L.train_accuracy), L.train_auc, pct(L.test_accuracy), L.test_auc,
                     (L.train_accuracy - L.test_accuracy) * 100);
    s += fmt::format("  single-feature check   : {}\n",
                     L.suspicious_features.empty() ? std::string("no feature predicts the label alone")
                                                   : fmt::format("{} suspicious", L.suspicious_features.size()));
    if (L.flags.empty()) s += "  verdict                : CLEAN\n";
    for (const auto& f : L.flags) s += "  FLAG: " + f + "\n";
    return s;
}

std::string gating_text(const GatingVerdict& v) {
    std::string s = fmt::format("Gating: {}\n", v.passed ? "PASSED" : "FAILED");
    for (const auto& r : v.rules) s += fmt::format("  [{}] {}\n", r.passed ? "pass" : "FAIL", r.detail);
    return s;
}

std::string curve_text(const LearningCurve& c) {
    if (c.train.empty()) return "  (none recorded)\n";
    std::string s = fmt::format("  metric {}; {} iterations, best at {}\n", c.metric, c.train.size(),
                                c.best_iteration);
    const std::size_t n = c.train.size();
    for (std::size_t k = 0; k < n; k += std::max<std::size_t>(1, n / 8))
        s += fmt::format("  iter {:>4}: train {:.4f}  valid {}\n", k, c.train[k],
                         k < c.valid.size() ? num(c.valid[k], 4) : "-");
    return s;
}

// ---- SVG helpers
std::string svg_lines(const std::vector<std::vector<double>>& series, const std::vector<std::string>& names,
                      const std::vector<std::string>& colors, int w = 640, int h = 240) {
    double lo = INFINITY, hi = -INFINITY;
    std::size_t n = 0;
    for (const auto& s : series)
        for (double v : s)
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    for (const auto& s : series) n = std::max(n, s.size());
    if (n < 2 || !(hi > lo)) return "<p>(not enough points to plot)</p>";
    std::string out = fmt::format(R"(<svg width="{}" height="{}" style="background:#fafafa;border:1px solid #ddd">)", w, h);
    for (std::size_t k = 0; k < series.size(); ++k) {
        std::string pts;
        const auto& s = series[k];
        const std::size_t step = std::max<std::size_t>(1, s.size() / 1500);
        for (std::size_t i = 0; i < s.size(); i += step) {
            if (!std::isfinite(s[i])) continue;
            const double x = 30 + (w - 40) * static_cast<double>(i) / static_cast<double>(n - 1);
            const double y = h - 20 - (h - 30) * (s[i] - lo) / (hi - lo);
            pts += fmt::format("{:.1f},{:.1f} ", x, y);
        }
        out += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", colors[k], pts);
        out += fmt::format(R"(<text x="{}" y="14" fill="{}" font-size="12">{}</text>)", 40 + 160 * k, colors[k], names[k]);
    }
    out += fmt::format(R"(<text x="2" y="{}" font-size="10">{}</text><text x="2" y="24" font-size="10">{}</text>)",
                       h - 22, num(lo, 3), num(hi, 3));
    return out + "</svg>";
}

std::string svg_bars(const std::vector<FeatureImportance>& imp, std::size_t top = 15) {
    const std::size_t n = std::min(top, imp.size());
    if (n == 0) return "<p>(no importance)</p>";
    const double mx = std::max(imp.front().score, 1e-12);
    std::string out = fmt::format(R"(<svg width="640" height="{}">)", 20 * n + 10);
    for (std::size_t k = 0; k < n; ++k) {
        const double w = 400 * imp[k].score / mx;
        out += fmt::format(R"(<text x="0" y="{}" font-size="12">{}</text><rect x="200" y="{}" width="{:.1f}" height="14" fill="#c9a227"/><text x="{:.1f}" y="{}" font-size="11">{:.3f}</text>)",
                           20 * k + 15, imp[k].feature, 20 * k + 4, w, 205 + w, 20 * k + 15, imp[k].score);
    }
    return out + "</svg>";
}

} // namespace

std::string experiment_summary_text(const ExperimentInfo& e) {
    const WalkForwardResult& wf = *e.wf;
    std::string s;
    s += fmt::format("AURUM EDGE EXPERIMENT {}\n", e.id);
    s += std::string(72, '=') + "\n";
    std::string syms;
    for (const auto& x : wf.symbols) syms += (syms.empty() ? "" : ", ") + x;
    s += fmt::format("Model        : {}\nSymbols      : {}\nTimeframe    : {}\n", wf.kind, syms, wf.timeframe.name());
    s += fmt::format("Data range   : {} .. {} ({} samples)\n", format_time(wf.data_from), format_time(wf.data_to), wf.rows);
    s += fmt::format("Feature set  : {} ({})\nLabels       : {}\n", e.feature_set_name,
                     e.feature_set_id.substr(0, 16), e.label_spec);
    if (e.record)
        s += fmt::format("Registry     : {} v{} ({}) at {}\n", e.record->name, e.record->version,
                         to_string(e.record->status), e.record->dir.string());
    if (!e.promotion.empty()) s += "Production   : " + e.promotion + "\n";
    s += "\n" + gating_text(*e.verdict);
    s += "\nWalk-forward (out of sample, purged, costs included)\n";
    s += "  risk: " + risk_text(wf) + "\n";
    s += fmt::format("  folds {}, OOS accuracy {}, AUC {:.3f}, log-loss {:.4f} (base rate {})\n",
                     wf.folds.size(), pct(wf.oos.accuracy), wf.oos.auc, wf.oos.logloss, pct(wf.oos.base_rate));
    s += fmt::format("  Sharpe {}, max drawdown {}, total return {}, trades {}, win rate {}\n",
                     num(wf.backtest.sharpe), pct(wf.backtest.max_drawdown), pct(wf.backtest.total_return),
                     wf.backtest.trades, pct(wf.backtest.win_rate));
    s += fmt::format("  buy-and-hold Sharpe {} on the same bars\n", num(wf.buy_hold_sharpe));
    s += "\nFolds\n";
    s += fmt::format("  {:>4} {:>23} {:>7} {:>7} {:>7} {:>9} {:>8} {:>8} {:>7} {:>7} {:>8}\n", "fold",
                     "test window", "train", "test", "purged", "train acc", "test acc", "test AUC",
                     "trades", "Sharpe", "max DD");
    for (const auto& f : wf.folds)
        s += fmt::format("  {:>4} {:>10} .. {:>10} {:>7} {:>7} {:>7} {:>9} {:>8} {:>8.3f} {:>7} {:>7} {:>8}\n",
                         f.index + 1, format_date(f.test_from), format_date(f.test_to), f.train_rows,
                         f.test_rows, f.purged, pct(f.train.accuracy), pct(f.test.accuracy), f.test.auc,
                         f.backtest.trades, num(f.backtest.sharpe), pct(f.backtest.max_drawdown));
    s += "\nConfusion matrix (OOS, threshold 0.5)\n";
    s += fmt::format("                 predicted up   predicted down\n");
    s += fmt::format("  actual up      {:>12}   {:>14}\n", wf.oos.tp, wf.oos.fn);
    s += fmt::format("  actual down    {:>12}   {:>14}\n", wf.oos.fp, wf.oos.tn);
    s += "\nLeakage controls (are we using future data accidentally?)\n" + leakage_text(wf.leakage);
    s += "\nFeature importance (last fold)\n";
    for (std::size_t k = 0; k < std::min<std::size_t>(15, wf.importance.size()); ++k)
        s += fmt::format("  {:>2}. {:<28} {:.4f}\n", k + 1, wf.importance[k].feature, wf.importance[k].score);
    s += "\nLearning curve (last fold)\n" + curve_text(wf.curve);
    if (e.final_model) {
        const auto& m = *e.final_model;
        s += fmt::format("\nFinal model (all data): fit {} rows, validation {} rows; train accuracy {}, "
                         "validation accuracy {} (AUC {:.3f}); calibration {}\n",
                         m.fit_rows, m.valid_rows, pct(m.train_metrics.accuracy),
                         pct(m.valid_metrics.accuracy), m.valid_metrics.auc, to_string(m.calibrator.method()));
    }
    return s;
}

std::string walkforward_markdown(const WalkForwardResult& wf, const GatingVerdict& v) {
    std::string syms;
    for (const auto& x : wf.symbols) syms += (syms.empty() ? "" : ", ") + x;
    std::string s = fmt::format("# Walk-forward validation: {} on {} {}\n\n", wf.kind, syms, wf.timeframe.name());
    s += fmt::format("Data {} .. {}, {} samples, {} purged folds (out-of-sample, fees/spread/slippage included).\n\n",
                     format_date(wf.data_from), format_date(wf.data_to), wf.rows, wf.folds.size());
    s += "Risk: " + risk_text(wf) + "\n\n";
    s += fmt::format("**Gating: {}**\n\n", v.passed ? "PASSED" : "FAILED");
    for (const auto& r : v.rules) s += fmt::format("- {} {}\n", r.passed ? "pass:" : "**FAIL:**", r.detail);
    s += "\n## Folds\n\n" + fold_table_md(wf);
    s += "\n## Overall (stitched out-of-sample equity)\n\n| metric | value |\n|---|---|\n";
    s += fmt::format("| Sharpe | {} |\n| max drawdown | {} |\n| total return | {} |\n| CAGR | {} |\n"
                     "| trades | {} |\n| win rate | {} |\n| profit factor | {} |\n| buy-and-hold Sharpe | {} |\n"
                     "| OOS accuracy | {} |\n| OOS AUC | {} |\n| fees + spread + slippage | {:.2f} |\n",
                     num(wf.backtest.sharpe), pct(wf.backtest.max_drawdown), pct(wf.backtest.total_return),
                     pct(wf.backtest.cagr), wf.backtest.trades, pct(wf.backtest.win_rate),
                     num(wf.backtest.profit_factor), num(wf.buy_hold_sharpe), pct(wf.oos.accuracy),
                     num(wf.oos.auc, 3), wf.backtest.fees + wf.backtest.spread_cost + wf.backtest.slippage_cost);
    s += "\n## Leakage controls\n\n```\n" + leakage_text(wf.leakage) + "```\n";
    return s;
}

std::string report_html(const std::string& title, const WalkForwardResult& wf, const GatingVerdict& v,
                        const std::string& summary_text) {
    std::string h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                    "</title><style>body{font-family:sans-serif;max-width:960px;margin:auto}"
                    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px}"
                    ".pass{color:#070}.fail{color:#b00}</style></head><body>";
    h += "<h1>" + html_escape(title) + "</h1>";
    h += fmt::format("<h2 class=\"{}\">Gating {}</h2><ul>", v.passed ? "pass" : "fail", v.passed ? "PASSED" : "FAILED");
    for (const auto& r : v.rules)
        h += fmt::format("<li class=\"{}\">{}</li>", r.passed ? "pass" : "fail", html_escape(r.detail));
    h += "</ul><h2>Out-of-sample equity vs buy-and-hold</h2>";
    h += svg_lines({wf.equity.equity, [&] {
                        std::vector<double> b = wf.buy_hold_equity;
                        return b;
                    }()},
                   {"strategy (OOS)", "buy and hold"}, {"#1f77b4", "#999999"});
    h += "<h2>Feature importance</h2>" + svg_bars(wf.importance);
    h += "<h2>Learning curve (last fold)</h2>" +
         svg_lines({wf.curve.train, wf.curve.valid}, {"train " + wf.curve.metric, "valid " + wf.curve.metric},
                   {"#2ca02c", "#d62728"});
    h += "<h2>Confusion matrix (OOS)</h2><table><tr><th></th><th>predicted up</th><th>predicted down</th></tr>";
    h += fmt::format("<tr><th>actual up</th><td>{}</td><td>{}</td></tr><tr><th>actual down</th><td>{}</td><td>{}</td></tr></table>",
                     wf.oos.tp, wf.oos.fn, wf.oos.fp, wf.oos.tn);
    h += "<h2>Folds</h2><table><tr><th>fold</th><th>test window</th><th>train rows</th><th>purged</th><th>train acc</th><th>test acc</th><th>test AUC</th><th>shuffled AUC</th><th>trades</th><th>Sharpe</th><th>max DD</th></tr>";
    for (const auto& f : wf.folds)
        h += fmt::format("<tr><td>{}</td><td>{} .. {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                         f.index + 1, format_date(f.test_from), format_date(f.test_to), f.train_rows, f.purged,
                         pct(f.train.accuracy), pct(f.test.accuracy), f.test.auc, f.shuffled_auc,
                         f.backtest.trades, num(f.backtest.sharpe), pct(f.backtest.max_drawdown));
    h += "</table><h2>Summary</h2><pre>" + html_escape(summary_text) + "</pre></body></html>\n";
    return h;
}

namespace {

/// Points reports/experiments/latest at `target` atomically (a new symlink renamed over the old).
void point_latest(const fs::path& root, const std::string& target) {
    const fs::path tmp = root / ".latest.tmp";
    std::error_code ec;
    fs::remove(tmp, ec);
    fs::create_directory_symlink(target, tmp);
    fs::rename(tmp, root / "latest");
}

/// One line of a group's model list.
std::string group_line(const ExperimentInfo& e) {
    const WalkForwardResult& wf = *e.wf;
    std::string syms;
    for (const auto& x : wf.symbols) syms += (syms.empty() ? "" : ",") + x;
    return fmt::format("{:<32} {:<6} {:<18} {:<4} OOS AUC {:.3f}  Sharpe {:>6.2f}  trades {:>4}  "
                       "gating {}\n",
                       e.name, e.record ? fmt::format("v{}", e.record->version) : "-", syms,
                       wf.timeframe.name(), wf.oos.auc, wf.backtest.sharpe, wf.backtest.trades,
                       e.verdict->passed ? "PASSED" : "FAILED");
}

/// The group's summary.txt: every model's line, then every model's report in full (name order).
void write_group_summary(const fs::path& group_dir, const std::string& group) {
    std::vector<fs::path> models;
    for (const auto& d : fs::directory_iterator(group_dir))
        if (d.is_directory() && fs::exists(d.path() / "line.txt")) models.push_back(d.path());
    std::sort(models.begin(), models.end());
    std::string text = fmt::format("AURUM EDGE EXPERIMENT {} ({} model{})\n", group, models.size(),
                                   models.size() == 1 ? "" : "s");
    text += std::string(72, '=') + "\n";
    for (const auto& m : models) text += read_file(m / "line.txt");
    for (const auto& m : models) text += "\n" + read_file(m / "summary.txt");
    write_file_atomic(group_dir / "summary.txt", text);
}

} // namespace

fs::path write_experiment_report(const fs::path& reports_dir, const ExperimentInfo& e) {
    const fs::path root = reports_dir / "experiments";
    const fs::path dir = e.group.empty() ? root / e.id : root / e.group / e.name;
    const std::string text = experiment_summary_text(e);
    write_file_atomic(dir / "summary.txt", text);
    write_file_atomic(dir / "index.html", report_html("Experiment " + e.id, *e.wf, *e.verdict, text));
    if (e.group.empty()) {
        point_latest(root, e.id);
        return dir;
    }
    write_file_atomic(dir / "line.txt", group_line(e));
    write_group_summary(root / e.group, e.group);
    point_latest(root, e.group);
    return root / e.group;
}

fs::path write_walkforward_report(const fs::path& reports_dir, const WalkForwardResult& wf,
                                  const GatingVerdict& v, const std::string& name) {
    const fs::path root = reports_dir / "walkforward";
    const fs::path dir = root / name;
    const std::string md = walkforward_markdown(wf, v);
    write_file_atomic(dir / "summary.md", md);
    write_file_atomic(dir / "summary.html", report_html("Walk-forward " + name, wf, v, md));
    std::string csv = "time,equity,buy_hold\n";
    for (std::size_t i = 0; i < wf.equity.size(); ++i)
        csv += fmt::format("{},{:.2f},{:.2f}\n", format_iso(wf.equity.time[i]), wf.equity.equity[i],
                           i < wf.buy_hold_equity.size() ? wf.buy_hold_equity[i] : NAN);
    write_file_atomic(dir / "equity.csv", csv);
    auto finite = [](double x) { return std::isfinite(x) ? x : 0.0; };
    const nlohmann::json brief = {{"name", name}, {"kind", wf.kind}, {"timeframe", wf.timeframe.name()},
                                  {"symbols", wf.symbols}, {"passed", v.passed},
                                  {"sharpe", finite(wf.backtest.sharpe)},
                                  {"max_drawdown", finite(wf.backtest.max_drawdown)},
                                  {"trades", wf.backtest.trades},
                                  {"buy_hold_sharpe", finite(wf.buy_hold_sharpe)},
                                  {"oos_auc", wf.oos.auc},
                                  {"leakage_clean", wf.leakage.clean()},
                                  {"data_to", format_date(wf.data_to)}};
    write_file_atomic(dir / "summary.json", brief.dump(2));
    // The top-level summary: one line per validated model, then the latest run in full.
    std::string index = "# Walk-forward summary\n\n| model | data to | Sharpe | max DD | trades | "
                        "buy&hold Sharpe | OOS AUC | leakage | gating |\n|---|---|---|---|---|---|---|---|---|\n";
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory() && fs::exists(e.path() / "summary.json")) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) {
        try {
            const auto j = nlohmann::json::parse(read_file(d / "summary.json"));
            index += fmt::format("| [{}]({}/summary.md) | {} | {:.2f} | {:.1f}% | {} | {:.2f} | {:.3f} | {} | {} |\n",
                                 j.at("name").get<std::string>(), d.filename().string(),
                                 j.at("data_to").get<std::string>(), j.at("sharpe").get<double>(),
                                 j.at("max_drawdown").get<double>() * 100, j.at("trades").get<long>(),
                                 j.at("buy_hold_sharpe").get<double>(), j.at("oos_auc").get<double>(),
                                 j.at("leakage_clean").get<bool>() ? "clean" : "FLAGGED",
                                 j.at("passed").get<bool>() ? "PASSED" : "**FAILED**");
        } catch (const std::exception&) {
            // A stale or partial entry from another run is skipped, not fatal.
        }
    }
    index += "\nLatest run: **" + name + "**\n\n" + md;
    write_file_atomic(root / "summary.md", index);
    write_file_atomic(root / "summary.html", report_html("Walk-forward " + name, wf, v, index));
    return root / "summary.md";
}

} // namespace aurum
