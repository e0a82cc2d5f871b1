#include "rl/simulation_report.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/html.hpp"
#include "rl/policy_eval.hpp"

namespace aurum {

namespace {

std::vector<double> distinct_targets(const SimulationReport& r) {
    std::vector<double> out;
    for (const auto& [t, share] : action_shares(r.targets))
        out.push_back(t);
    return out;
}

std::string target_label(double t) {
    return fmt::format("target {:g} %", t * 100);
}

/// Rows: targets; columns: calendar months; value: share of the month's decisions.
std::string action_heatmap(const SimulationReport& r, const std::vector<double>& targets) {
    std::vector<std::string> months;
    std::vector<std::vector<double>> counts(targets.size());
    std::vector<double> totals;
    for (std::size_t k = 0; k < r.targets.size(); ++k) {
        const CivilTime c = civil_from_time(r.times[k]);
        const std::string m = fmt::format("{:04}-{:02}", c.year, c.month);
        if (months.empty() || months.back() != m) {
            months.push_back(m);
            totals.push_back(0);
            for (auto& row : counts)
                row.push_back(0);
        }
        const auto row =
            std::lower_bound(targets.begin(), targets.end(), r.targets[k]) - targets.begin();
        ++counts[static_cast<std::size_t>(row)].back();
        ++totals.back();
    }
    for (auto& row : counts)
        for (std::size_t c = 0; c < row.size(); ++c)
            row[c] /= totals[c];
    std::vector<std::string> rows;
    for (double t : targets)
        rows.push_back(target_label(t));
    return svg_heatmap(rows, months, counts);
}

/// Execution level: regime seen -> how the order went out (% of the regime's orders).
std::string execution_flow(const SimulationReport& r) {
    std::vector<double> choices; // ascending: 0 = market, then the limit offsets
    for (double b : r.limit_bps)
        if (b >= 0 && std::find(choices.begin(), choices.end(), b) == choices.end())
            choices.push_back(b);
    std::sort(choices.begin(), choices.end());
    std::vector<std::vector<double>> share(kRegimeCount, std::vector<double>(choices.size(), 0.0));
    std::vector<double> seen(kRegimeCount, 0.0);
    for (std::size_t k = 0; k < r.limit_bps.size(); ++k) {
        if (r.limit_bps[k] < 0) continue;
        const auto g = static_cast<std::size_t>(r.regimes[k]);
        const auto c = std::lower_bound(choices.begin(), choices.end(), r.limit_bps[k]) -
                       choices.begin();
        ++share[g][static_cast<std::size_t>(c)];
        ++seen[g];
    }
    for (std::size_t g = 0; g < share.size(); ++g)
        for (double& v : share[g]) v = seen[g] > 0 ? v / seen[g] : 0.0;
    std::vector<std::string> rows, cols;
    for (int g = 0; g < kRegimeCount; ++g) rows.push_back(to_string(static_cast<Regime>(g)));
    for (double b : choices)
        cols.push_back(b == 0 ? std::string("market") : fmt::format("limit {:g} bps", b));
    const ExecutionStats& x = r.execution;
    return fmt::format("<h2>Decision flow, execution level: regime seen &rarr; how the order went "
                       "out (% of the regime's orders)</h2><p>{} parent orders, {} as limits, {} "
                       "of them forced to market after a bar unfilled; implementation shortfall "
                       "{:.2f} bps of notional against the decision's close, fees "
                       "included.</p>",
                       x.parents, x.limits, x.forced, x.mean_shortfall_bps()) +
           svg_heatmap(rows, cols, share);
}

} // namespace

std::string svg_heatmap(const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                        const std::vector<std::vector<double>>& values) {
    std::size_t longest = 0;
    for (const std::string& c : cols)
        longest = std::max(longest, c.size());
    // Wide enough for the longest column label at about 6.5 px a character.
    const int label_w = 130, head_h = 44, cell_h = 26;
    const int cell_w = std::max(52, static_cast<int>(longest) * 13 / 2 + 10);
    const int width = label_w + cell_w * static_cast<int>(cols.size()) + 10;
    const int height = head_h + cell_h * static_cast<int>(rows.size()) + 10;
    std::string s = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
                                "height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">",
                                width, height);
    for (std::size_t c = 0; c < cols.size(); ++c)
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                         label_w + cell_w * static_cast<int>(c) + cell_w / 2, head_h - 8,
                         html_escape(cols[c]));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const int y = head_h + cell_h * static_cast<int>(r);
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", label_w - 6,
                         y + cell_h / 2 + 4, html_escape(rows[r]));
        for (std::size_t c = 0; c < cols.size(); ++c) {
            const double v = std::clamp(values[r][c], 0.0, 1.0);
            const int shade = static_cast<int>(255 - 200 * v);
            s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                             "fill=\"rgb({},{},255)\" stroke=\"#ddd\"/>"
                             "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{:.0f}"
                             "</text>",
                             label_w + cell_w * static_cast<int>(c), y, cell_w, cell_h, shade,
                             shade, label_w + cell_w * static_cast<int>(c) + cell_w / 2,
                             y + cell_h / 2 + 4, v > 0.6 ? "#fff" : "#222", v * 100);
        }
    }
    return s + "</svg>";
}

std::vector<std::vector<double>> decision_flow(const SimulationReport& r,
                                               const std::vector<double>& targets) {
    std::vector<std::vector<double>> out(kRegimeCount, std::vector<double>(targets.size(), 0.0));
    std::vector<double> seen(kRegimeCount, 0.0);
    for (std::size_t k = 0; k < r.targets.size(); ++k) {
        const auto g = static_cast<std::size_t>(r.regimes[k]);
        const auto t =
            std::lower_bound(targets.begin(), targets.end(), r.targets[k]) - targets.begin();
        ++out[g][static_cast<std::size_t>(t)];
        ++seen[g];
    }
    for (std::size_t g = 0; g < out.size(); ++g)
        for (double& v : out[g])
            v = seen[g] > 0 ? v / seen[g] : 0.0;
    return out;
}

std::string simulation_report_html(const SimulationReport& r, const std::string& policy) {
    const Metrics& m = r.metrics;
    const std::vector<double> targets = distinct_targets(r);
    std::string h = fmt::format(
        "<h1>Scenario {} ({})</h1><p>Policy: {}. {} decisions, {} to {}; every order through "
        "the account risk manager.</p>",
        html_escape(r.label), html_escape(r.market), html_escape(policy), r.decisions,
        format_time(r.from), format_time(r.to));
    h += fmt::format("<table><tr><th>return</th><th>buy-and-hold</th><th>Sharpe</th><th>max "
                     "drawdown</th><th>trades</th><th>shield interventions</th><th>largest "
                     "entry</th></tr><tr><td>{:+.2f} %</td><td>{:+.2f} %</td><td>{:.2f}</td>"
                     "<td>{:.2f} %</td><td>{}</td><td>{} of {} orders</td><td>{:.1f} %</td>"
                     "</tr></table>",
                     m.total_return * 100, r.buy_hold_return * 100, m.sharpe, -m.max_drawdown * 100,
                     m.trades, r.shield.interventions(), r.shield.orders,
                     r.shield.max_entry_exposure * 100);
    ChartStyle price_style;
    price_style.height = 220;
    h += "<h2>Price</h2>" +
         svg_line_chart(r.times, {{&r.close, "#333", "close", false}}, price_style);
    ChartStyle pct;
    pct.height = 200;
    pct.percent_axis = true;
    h += "<h2>Position size (notional / equity after each decision) and target</h2>" +
         svg_line_chart(r.times,
                        {{&r.positions, "#1f77b4", "position", true},
                         {&r.targets, "#ff7f0e", "target", false}},
                        pct);
    h += "<h2>Equity</h2>" +
         svg_line_chart(r.times, {{&r.equity, "#2ca02c", "equity", false}}, price_style);
    std::vector<std::string> regimes, cols;
    for (int g = 0; g < kRegimeCount; ++g)
        regimes.push_back(to_string(static_cast<Regime>(g)));
    for (double t : targets)
        cols.push_back(target_label(t));
    h += "<h2>Decision flow: regime seen at the close &rarr; target chosen (% of the regime's "
         "decisions)</h2>" +
         svg_heatmap(regimes, cols, decision_flow(r, targets));
    if (r.execution.limits > 0)
        h += execution_flow(r);
    h += "<h2>Action heatmap: target chosen per month (% of the month's decisions)</h2>" +
         action_heatmap(r, targets);
    return html_page(fmt::format("RL simulation: {}", html_escape(r.label)), h);
}

} // namespace aurum
