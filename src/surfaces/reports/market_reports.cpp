#include "surfaces/reports/market_reports.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "backtest/sizing.hpp"
#include "core/error.hpp"
#include "core/html.hpp"
#include "surfaces/reports/report_html.hpp"
#include "surfaces/status_format.hpp"

namespace aurum {

using nlohmann::json;

namespace {

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

} // namespace

json volatility_report_data(MarketStore& market, const InstrumentRegistry& instruments,
                            const std::vector<std::string>& symbols, Timeframe tf, TimeMs to,
                            const RiskLimits& limits) {
    json out = json::array();
    for (const auto& sym : symbols) {
        const Instrument inst = instruments.get(sym); // InputError: unknown symbol
        const double ppy = bars_per_year(tf, inst.sessions.always_open);
        const auto window = static_cast<std::size_t>(std::max(10.0, std::round(ppy * 30.0 / 365.0)));
        const BarSeries b = market.load_bars(sym, tf, {to - 2 * 365 * kMsPerDay - 30 * kMsPerDay, to});
        if (b.size() < window + 10)
            throw InputError(fmt::format("--symbols: {} has {} {} bars before {} in the store; the "
                                         "volatility report needs at least {} (import or backfill them)",
                                         sym, b.size(), tf.name(), format_date(to), window + 10));
        // Rolling stdev of log returns with running sums: O(1) per bar.
        std::vector<double> r(b.size(), 0.0);
        for (std::size_t k = 1; k < b.size(); ++k) r[k] = std::log(b.close[k] / b.close[k - 1]);
        double s = 0, s2 = 0;
        json t = json::array(), v = json::array();
        std::vector<double> hist;
        for (std::size_t k = 1; k < b.size(); ++k) {
            s += r[k];
            s2 += r[k] * r[k];
            if (k > window) {
                s -= r[k - window];
                s2 -= r[k - window] * r[k - window];
            }
            if (k < window) continue;
            const double n = static_cast<double>(window);
            const double var = std::max(0.0, (s2 - s * s / n) / (n - 1));
            const double vol = std::sqrt(var * ppy);
            hist.push_back(vol);
            t.push_back(b.time[k] + tf.ms());
            v.push_back(vol);
        }
        const double now = hist.back(), median = quantile(hist, 0.5);
        const double rank = static_cast<double>(std::count_if(hist.begin(), hist.end(),
                                                              [&](double x) { return x <= now; })) /
                            static_cast<double>(hist.size());
        const double scaled = now > 0 ? limits.max_position * median / now : limits.max_position;
        out.push_back({{"symbol", sym},
                       {"timeframe", tf.name()},
                       {"window_days", 30},
                       {"last_bar", b.time.back()},
                       {"vol_now_pct", now * 100},
                       {"vol_median_pct", median * 100},
                       {"vol_p10_pct", quantile(hist, 0.1) * 100},
                       {"vol_p90_pct", quantile(hist, 0.9) * 100},
                       {"vol_percentile", rank * 100},
                       {"vol_ratio", median > 0 ? now / median : 1.0},
                       {"max_position_pct", limits.max_position * 100},
                       {"max_position_constant_risk_pct", scaled * 100},
                       {"series", {{"time", t}, {"vol", v}}}});
    }
    return {{"date", format_date(floor_to(to - 1, kMsPerDay))}, {"symbols", out}};
}

std::string volatility_report_text(const json& r) {
    std::string o = "VOLATILITY ANALYSIS " + r["date"].get<std::string>() +
                    "\n(30-day realised volatility, annualised; history: the last two years)\n\n";
    o += fmt::format("{:<10} {:>9} {:>9} {:>12} {:>11} {:>14} {:>18}\n", "symbol", "now", "median",
                     "p10-p90", "percentile", "max position", "constant risk");
    for (const auto& s : r["symbols"])
        o += fmt::format("{:<10} {:>8.1f}% {:>8.1f}% {:>12} {:>10.0f}% {:>13.0f}% {:>17.1f}%\n",
                         s["symbol"].get<std::string>(), s["vol_now_pct"].get<double>(),
                         s["vol_median_pct"].get<double>(),
                         fmt::format("{:.0f}-{:.0f}%", s["vol_p10_pct"].get<double>(),
                                     s["vol_p90_pct"].get<double>()),
                         s["vol_percentile"].get<double>(),
                         s["max_position_pct"].get<double>(),
                         s["max_position_constant_risk_pct"].get<double>());
    for (const auto& s : r["symbols"]) {
        const double ratio = s["vol_ratio"].get<double>();
        if (ratio > 1.25)
            o += fmt::format("  ⚠ {} volatility is {:.1f}x its median: a max position of {:.1f}% keeps "
                             "the usual risk (config/risk.yaml max_position {:.0f}%)\n",
                             s["symbol"].get<std::string>(), ratio,
                             s["max_position_constant_risk_pct"].get<double>(), s["max_position_pct"].get<double>());
        else if (ratio < 0.8)
            o += fmt::format("  {} volatility is {:.1f}x its median: below-usual risk at the current limits\n",
                             s["symbol"].get<std::string>(), ratio);
    }
    return o;
}

std::string volatility_report_html(const json& r) {
    std::ostringstream o;
    o << "<h1>Volatility Analysis " << html_escape(r["date"].get<std::string>())
      << "</h1><div class='sub'>30-day realised volatility (annualised stdev of log returns) "
         "against the last two years; the constant-risk position scales config/risk.yaml's "
         "max_position by median / now.</div><pre>"
      << html_escape(volatility_report_text(r)) << "</pre>";
    for (const auto& s : r["symbols"]) {
        std::vector<TimeMs> t = s["series"]["time"].get<std::vector<TimeMs>>();
        std::vector<double> v = s["series"]["vol"].get<std::vector<double>>();
        std::vector<double> med(v.size(), s["vol_median_pct"].get<double>() / 100);
        o << "<h2>" << html_escape(s["symbol"].get<std::string>()) << "</h2>"
          << svg_line_chart(t, {{&v, "#1f5fbf", "30-day volatility", false}, {&med, "#999", "median", false}},
                            {1100, 260, true, false});
    }
    return html_page("Volatility Analysis " + r["date"].get<std::string>(), o.str());
}

json costs_report_data(const SessionView& v, TimeMs from, TimeMs to) {
    struct Sum {
        double fees = 0, spread = 0, slippage = 0, notional = 0, net = 0;
        int fills = 0, trades = 0;
    };
    std::map<std::string, Sum> by;
    for (const auto& f : v.fills) {
        const TimeMs t = f.time ? f.time : f.bar_time;
        if (t < from || t >= to) continue;
        Sum& s = by[f.symbol];
        s.fees += f.fee;
        s.spread += f.spread_cost;
        s.slippage += f.slippage_cost;
        s.notional += std::fabs(f.qty * f.price);
        ++s.fills;
    }
    for (const auto& t : v.trades)
        if (t.exit_time >= from && t.exit_time < to) {
            by[t.symbol].net += t.pnl;
            ++by[t.symbol].trades;
        }
    json rows = json::array();
    Sum total;
    auto row = [](const std::string& name, const Sum& s) {
        const double costs = s.fees + s.spread + s.slippage;
        return json{{"symbol", name}, {"fills", s.fills}, {"traded_notional", s.notional},
                    {"fees", s.fees}, {"spread", s.spread}, {"slippage", s.slippage},
                    {"costs", costs}, {"costs_bps", s.notional > 0 ? costs / s.notional * 1e4 : 0.0},
                    {"closed_trades", s.trades}, {"net_pnl", s.net},
                    // Spread and slippage are in the fill prices, fees are charged on top: the
                    // closed trades' P&L before any cost adds all three back.
                    {"pnl_before_costs", s.net + costs}};
    };
    for (const auto& [sym, s] : by) {
        rows.push_back(row(sym, s));
        total.fees += s.fees;
        total.spread += s.spread;
        total.slippage += s.slippage;
        total.notional += s.notional;
        total.net += s.net;
        total.fills += s.fills;
        total.trades += s.trades;
    }
    const double eq0 = v.equity_at(from), eq1 = v.equity_at(std::min(to, v.now));
    return {{"session", v.session.id}, {"from", from}, {"to", to},
            {"date", format_date(floor_to(std::min(to, v.now) - 1, kMsPerDay))},
            {"symbols", rows}, {"total", row("total", total)},
            {"equity_change", eq1 - eq0},
            {"return_after_costs_pct", eq0 > 0 ? (eq1 / eq0 - 1) * 100 : 0.0},
            {"return_before_costs_pct",
             eq0 > 0 ? (eq1 + total.fees + total.spread + total.slippage) / eq0 * 100 - 100 : 0.0}};
}

std::string costs_report_text(const json& r) {
    std::string o = fmt::format("COST ANALYSIS {} to {} (session {})\n\n", format_date(r["from"].get<TimeMs>()),
                                r["date"].get<std::string>(), r["session"].get<std::string>());
    o += fmt::format("{:<10} {:>6} {:>14} {:>11} {:>11} {:>11} {:>11} {:>8} {:>13} {:>13}\n", "symbol",
                     "fills", "traded", "fees", "spread", "slippage", "total", "bps", "P&L before", "P&L after");
    auto line = [&](const json& s) {
        o += fmt::format("{:<10} {:>6} {:>14} {:>11} {:>11} {:>11} {:>11} {:>8.1f} {:>13} {:>13}\n",
                         s["symbol"].get<std::string>(), s["fills"].get<int>(), format_money(s["traded_notional"]),
                         format_money(s["fees"]), format_money(s["spread"]), format_money(s["slippage"]),
                         format_money(s["costs"]), s["costs_bps"].get<double>(),
                         format_money(s["pnl_before_costs"], true), format_money(s["net_pnl"], true));
    };
    for (const auto& s : r["symbols"]) line(s);
    line(r["total"]);
    o += fmt::format("\nReturn over the period: {:+.2f}% before costs, {:+.2f}% after (equity change {})\n",
                     r["return_before_costs_pct"].get<double>(), r["return_after_costs_pct"].get<double>(),
                     format_money(r["equity_change"], true));
    o += "Data provider and cloud costs are not tracked by Aurum (add them by hand).\n";
    return o;
}

std::string costs_report_html(const json& r) {
    std::ostringstream o;
    o << "<h1>Cost Analysis " << html_escape(r["date"].get<std::string>()) << "</h1><div class='cards'>";
    const auto& t = r["total"];
    report_card(o, "Fees", format_money(t["fees"]), -1);
    report_card(o, "Spread", format_money(t["spread"]), -1);
    report_card(o, "Slippage", format_money(t["slippage"]), -1);
    report_card(o, "Return before costs", fmt::format("{:+.2f}%", r["return_before_costs_pct"].get<double>()),
                r["return_before_costs_pct"].get<double>());
    report_card(o, "Return after costs", fmt::format("{:+.2f}%", r["return_after_costs_pct"].get<double>()),
                r["return_after_costs_pct"].get<double>());
    o << "</div>";
    std::vector<std::pair<std::string, double>> bars;
    for (const auto& s : r["symbols"]) bars.emplace_back(s["symbol"].get<std::string>() + " (bps)", s["costs_bps"].get<double>());
    o << "<h2>Costs per traded notional</h2>" << svg_bar_chart(bars, 700, false);
    o << "<h2>Detail</h2><pre>" << html_escape(costs_report_text(r)) << "</pre>";
    return html_page("Cost Analysis " + r["date"].get<std::string>(), o.str());
}

} // namespace aurum
