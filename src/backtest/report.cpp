#include "backtest/report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/html.hpp"
#include "core/stable_hash.hpp"
#include "core/workspace.hpp"

namespace aurum {

namespace {

std::string pct(double x, int digits = 1) {
    if (!std::isfinite(x))
        return "n/a";
    return fmt::format("{:.{}f}%", x * 100, digits);
}

std::string num(double x, int digits = 2) {
    if (std::isinf(x))
        return x > 0 ? "inf" : "-inf";
    if (!std::isfinite(x))
        return "n/a";
    return fmt::format("{:.{}f}", x, digits);
}

std::string money(double x) {
    // 12345.678 -> "12,345.68"
    std::string s = fmt::format("{:.2f}", std::abs(x));
    const auto dot = s.find('.');
    std::string out;
    for (std::size_t k = 0; k < dot; ++k) {
        if (k && (dot - k) % 3 == 0)
            out += ',';
        out += s[k];
    }
    return (x < 0 ? "-" : "") + out + s.substr(dot);
}

std::string param_value(double v) {
    return v == std::floor(v) && std::abs(v) < 1e15 ? fmt::format("{}", static_cast<long long>(v))
                                                    : fmt::format("{}", v);
}

nlohmann::json finite_or_null(double x) {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json();
}

std::string heat_color(double r) {
    // Green for gains, red for losses; full colour at +-10 % a month.
    const double a = std::min(1.0, std::abs(r) / 0.10);
    const int base = 255 - static_cast<int>(a * 150);
    return r >= 0 ? fmt::format("rgb({},{},{})", base, 255 - static_cast<int>(a * 60), base)
                  : fmt::format("rgb({},{},{})", 255 - static_cast<int>(a * 40), base, base);
}

const char* kSortJs = R"(<script>
function sortTable(th){const t=th.closest('table'),b=t.tBodies[0],i=[...th.parentNode.children].indexOf(th);
const asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';const rows=[...b.rows];
rows.sort((x,y)=>{const a=x.cells[i].dataset.v??x.cells[i].textContent,c=y.cells[i].dataset.v??y.cells[i].textContent;
const na=parseFloat(a),nc=parseFloat(c);const r=(!isNaN(na)&&!isNaN(nc))?na-nc:a.localeCompare(c);return asc?r:-r;});
rows.forEach(r=>b.appendChild(r));}
function losersOnly(cb){for(const r of document.querySelectorAll('#trades tbody tr'))r.style.display=(cb.checked&&!r.classList.contains('loss'))?'none':'';}
</script>)";

} // namespace

std::string RunInfo::label() const {
    std::string s = strategy + "(";
    bool first = true;
    for (const auto& [k, v] : params) {
        s += (first ? "" : ", ") + k + "=" + param_value(v);
        first = false;
    }
    return s + ")";
}

std::string make_run_id(const RunInfo& info, TimeMs from, TimeMs to) {
    std::ostringstream key;
    key << info.label() << '|' << info.timeframe.name() << '|' << from << '|' << to << '|'
        << info.config.initial_capital << '|' << info.config.fill.fees.maker << '|'
        << info.config.fill.fees.taker << '|' << static_cast<int>(info.config.fill.spread.mode)
        << '|' << info.config.fill.spread.fixed << '|' << info.config.fill.spread.fixed_bps << '|'
        << info.config.fill.slippage.fixed_bps << '|' << info.config.fill.slippage.vol_k << '|'
        << info.config.fill.slippage.impact_y << '|' << info.config.fill.latency_ms << '|'
        << info.config.fill.max_participation << '|' << static_cast<int>(info.config.fill.intrabar)
        << '|' << info.config.allow_short << '|' << info.sizing << '|' << info.regime_source;
    if (!info.risk.empty()) key << "|risk " << info.risk; // risk-off ids stay as they were
    // Stable across runs and platforms (std::hash is not); fields are '|'-separated so two
    // configurations never concatenate to the same key.
    const std::uint64_t h = fnv1a_short_basis64(key.str());
    std::string syms;
    for (const auto& s : info.symbols) {
        std::string t;
        for (char c : s)
            if (std::isalnum(static_cast<unsigned char>(c)))
                t += c;
        syms += (syms.empty() ? "" : "+") + t;
    }
    return fmt::format("{}_{}_{}_{:08x}", info.strategy, syms, info.timeframe.name(),
                       static_cast<std::uint32_t>(h ^ (h >> 32)));
}

nlohmann::json summary_json(const RunInfo& info, const Metrics& m, const BacktestResult& r) {
    nlohmann::json j;
    j["id"] = info.id;
    j["strategy"] = info.strategy;
    j["params"] = info.params;
    j["symbols"] = info.symbols;
    j["timeframe"] = info.timeframe.name();
    j["from"] = r.curve.size() ? format_iso(r.curve.time.front()) : "";
    j["to"] = r.curve.size() ? format_iso(r.curve.time.back()) : "";
    j["sizing"] = info.sizing;
    j["risk"] = info.risk.empty() ? "off" : info.risk;
    j["costs"] = {{"maker_fee", info.config.fill.fees.maker},
                  {"taker_fee", info.config.fill.fees.taker},
                  {"spread_mode", static_cast<int>(info.config.fill.spread.mode)},
                  {"spread_fixed", info.config.fill.spread.fixed},
                  {"spread_bps", info.config.fill.spread.fixed_bps},
                  {"slippage_bps", info.config.fill.slippage.fixed_bps},
                  {"slippage_vol_k", info.config.fill.slippage.vol_k},
                  {"slippage_impact_y", info.config.fill.slippage.impact_y},
                  {"latency_ms", info.config.fill.latency_ms},
                  {"max_participation", info.config.fill.max_participation},
                  {"intrabar", info.config.fill.intrabar == IntrabarPriority::StopFirst
                                   ? "stop_first"
                                   : "take_profit_first"}};
    j["bars"] = m.bars;
    j["periods_per_year"] = m.periods_per_year;
    j["initial_capital"] = m.initial_capital;
    j["final_equity"] = m.final_equity;
    j["total_return"] = m.total_return;
    j["cagr"] = m.cagr;
    j["annual_volatility"] = m.ann_volatility;
    j["sharpe"] = m.sharpe;
    j["sortino"] = m.sortino;
    j["calmar"] = m.calmar;
    j["max_drawdown"] = m.max_drawdown;
    j["max_drawdown_duration_bars"] = m.max_drawdown_bars;
    j["max_drawdown_duration_days"] = m.max_drawdown_days;
    j["trades"] = m.trades;
    j["wins"] = m.wins;
    j["losses"] = m.losses;
    j["win_rate"] = m.win_rate;
    j["profit_factor"] = finite_or_null(m.profit_factor); // null: no losing trade
    j["avg_win"] = m.avg_win;
    j["avg_loss"] = m.avg_loss;
    j["expectancy"] = m.expectancy;
    j["avg_trade_return"] = m.avg_trade_return;
    j["best_trade"] = m.best_trade;
    j["worst_trade"] = m.worst_trade;
    j["avg_bars_held"] = m.avg_bars_held;
    j["exposure"] = m.exposure;
    j["avg_leverage"] = m.avg_leverage;
    j["turnover"] = m.turnover;
    j["fees"] = m.fees;
    j["spread_cost"] = m.spread_cost;
    j["slippage_cost"] = m.slippage_cost;
    j["orders"] = m.orders;
    j["rejected_orders"] = m.rejected;
    j["cancelled_orders"] = m.cancelled;
    j["fills"] = m.fills;
    j["open_positions"] = m.open_positions;
    auto& mon = j["monthly_returns"] = nlohmann::json::array();
    for (const auto& x : m.monthly)
        mon.push_back(
            {{"month", fmt::format("{:04d}-{:02d}", x.year, x.month)}, {"return", x.ret}});
    auto& bh = j["buy_and_hold"] = nlohmann::json::array();
    for (const auto& b : m.buy_hold)
        bh.push_back({{"symbol", b.symbol},
                      {"total_return", b.total_return},
                      {"cagr", b.cagr},
                      {"sharpe", b.sharpe},
                      {"max_drawdown", b.max_drawdown}});
    auto& rg = j["regimes"] = nlohmann::json::array();
    for (const auto& s : m.regimes)
        rg.push_back({{"regime", s.regime},
                      {"bars", s.bars},
                      {"time_share", s.time_share},
                      {"total_return", s.total_return},
                      {"annual_return", s.ann_return},
                      {"sharpe", s.sharpe},
                      {"buy_hold_return", s.buy_hold_return},
                      {"trades", s.trades},
                      {"win_rate", s.win_rate}});
    j["regime_source"] = info.regime_source;
    return j;
}

std::string summary_text(const RunInfo& info, const Metrics& m, const BacktestResult& r) {
    std::ostringstream o;
    std::string syms;
    for (const auto& s : info.symbols)
        syms += (syms.empty() ? "" : ", ") + s;
    o << "Backtest " << info.label() << " on " << syms << " " << info.timeframe.name();
    if (r.curve.size())
        o << ", " << format_date(r.curve.time.front()) << " .. "
          << format_date(r.curve.time.back());
    o << " (" << m.bars << " bars)\n";
    o << "Costs: fee " << pct(info.config.fill.fees.taker, 3) << " taker / "
      << pct(info.config.fill.fees.maker, 3) << " maker; sizing " << info.sizing << "\n";
    o << "Risk: " << (info.risk.empty() ? "off (every order approved)" : info.risk) << "\n\n";
    o << "Capital: " << money(m.initial_capital) << " -> " << money(m.final_equity) << "\n";
    o << "Total Return: " << pct(m.total_return) << "   CAGR: " << pct(m.cagr)
      << "   Annual Volatility: " << pct(m.ann_volatility) << "\n";
    o << "Sharpe Ratio: " << num(m.sharpe) << "\n";
    o << "Sortino Ratio: " << num(m.sortino) << "   Calmar Ratio: " << num(m.calmar) << "\n";
    o << "Max Drawdown: " << pct(m.max_drawdown)
      << " (longest under water: " << num(m.max_drawdown_days, 0) << " days)\n";
    o << "Win Rate: " << pct(m.win_rate) << " (" << m.trades << " closed trades, " << m.wins
      << " won, " << m.losses << " lost)\n";
    o << "Profit Factor: " << num(m.profit_factor) << "\n";
    o << "Average Win / Loss: " << money(m.avg_win) << " / " << money(m.avg_loss)
      << "   Expectancy: " << money(m.expectancy) << " per trade\n";
    o << "Best / Worst Trade: " << money(m.best_trade) << " / " << money(m.worst_trade) << "\n";
    o << "Exposure: " << pct(m.exposure) << " of bars   Turnover: " << num(m.turnover, 1)
      << "x a year\n";
    o << "Costs paid: fees " << money(m.fees) << ", spread " << money(m.spread_cost)
      << ", slippage " << money(m.slippage_cost) << "\n";
    o << "Orders: " << m.orders << " (" << m.rejected << " rejected, " << m.cancelled
      << " cancelled), fills " << m.fills;
    if (m.open_positions)
        o << ", open positions at the end: " << m.open_positions;
    o << "\n";
    for (const auto& b : m.buy_hold)
        o << "Buy & Hold " << b.symbol << ": " << pct(b.total_return) << " (Sharpe "
          << num(b.sharpe) << ", Max Drawdown " << pct(b.max_drawdown) << ")\n";
    if (!m.regimes.empty()) {
        o << "By regime (" << info.regime_source << "):\n";
        for (const auto& s : m.regimes)
            o << fmt::format("  {:<10} {:>6.1f}% of bars  return {:>8}  Sharpe {:>6}  trades {}\n",
                             s.regime, s.time_share * 100, pct(s.total_return), num(s.sharpe),
                             s.trades);
    }
    return o.str();
}

std::string grid_text(const std::vector<GridRow>& rows, std::size_t top) {
    std::ostringstream o;
    o << fmt::format("{:>4}  {:<28} {:>9} {:>7} {:>8} {:>7} {:>6} {:>7}\n", "rank", "params",
                     "return", "sharpe", "max_dd", "win", "trades", "pf");
    for (std::size_t k = 0; k < rows.size() && k < top; ++k) {
        const GridRow& r = rows[k];
        std::string p;
        for (const auto& [key, v] : r.params)
            p += (p.empty() ? "" : " ") + key + "=" + param_value(v);
        o << fmt::format("{:>4}  {:<28} {:>9} {:>7} {:>8} {:>7} {:>6} {:>7}\n", k + 1, p,
                         pct(r.total_return), num(r.sharpe), pct(r.max_drawdown), pct(r.win_rate),
                         r.trades, num(r.profit_factor));
    }
    return o.str();
}

std::string grid_csv(const std::vector<GridRow>& rows) {
    std::ostringstream o;
    o << "rank";
    if (!rows.empty())
        for (const auto& [k, v] : rows[0].params)
            o << "," << k;
    o << ",total_return,cagr,sharpe,sortino,max_drawdown,win_rate,profit_factor,trades,fees,"
         "final_equity\n";
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const GridRow& r = rows[k];
        o << k + 1;
        for (const auto& [key, v] : r.params)
            o << "," << param_value(v);
        o << fmt::format(",{:.6f},{:.6f},{:.4f},{:.4f},{:.6f},{:.4f},{},{},{:.2f},{:.2f}\n",
                         r.total_return, r.cagr, r.sharpe, r.sortino, r.max_drawdown, r.win_rate,
                         std::isfinite(r.profit_factor) ? fmt::format("{:.4f}", r.profit_factor)
                                                        : std::string("inf"),
                         r.trades, r.fees, r.final_equity);
    }
    return o.str();
}

std::string render_html(const RunInfo& info, const Metrics& m, const BacktestResult& r,
                        const std::vector<double>& buy_hold, const RegimeTimeline* regimes,
                        const std::vector<GridRow>* grid) {
    std::ostringstream o;
    std::string syms;
    for (const auto& s : info.symbols)
        syms += (syms.empty() ? "" : ", ") + s;
    o << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Backtest "
      << html_escape(info.label()) << "</title><style>" << kReportCss << "</style>" << kSortJs
      << "</head><body>";
    o << "<h1>Backtest " << html_escape(info.label()) << " on " << html_escape(syms) << " "
      << info.timeframe.name() << "</h1><div class='sub'>";
    if (r.curve.size())
        o << format_date(r.curve.time.front()) << " to " << format_date(r.curve.time.back())
          << ", ";
    o << m.bars << " bars; capital " << money(m.initial_capital) << "; taker fee "
      << pct(info.config.fill.fees.taker, 3) << ", maker fee "
      << pct(info.config.fill.fees.maker, 3) << "; sizing " << html_escape(info.sizing)
      << "; risk " << html_escape(info.risk.empty() ? "off" : info.risk)
      << "; run id " << html_escape(info.id) << "</div>";

    auto card = [&](const std::string& name, const std::string& v, double sgn = 0) {
        o << "<div class='card'><b class='"
          << (sgn > 0   ? "pos"
              : sgn < 0 ? "neg"
                        : "")
          << "'>" << v << "</b><span>" << name << "</span></div>";
    };
    o << "<div class='cards'>";
    card("Total return", pct(m.total_return), m.total_return);
    card("CAGR", pct(m.cagr), m.cagr);
    card("Sharpe ratio", num(m.sharpe));
    card("Sortino ratio", num(m.sortino));
    card("Calmar ratio", num(m.calmar));
    card("Max drawdown", pct(m.max_drawdown), -1);
    card("Longest drawdown", num(m.max_drawdown_days, 0) + " days");
    card("Win rate", pct(m.win_rate));
    card("Profit factor", num(m.profit_factor));
    card("Closed trades", std::to_string(m.trades));
    card("Expectancy", money(m.expectancy), m.expectancy);
    card("Exposure", pct(m.exposure));
    card("Fees paid", money(m.fees));
    card("Spread + slippage", money(m.spread_cost + m.slippage_cost));
    card("Final equity", money(m.final_equity));
    o << "</div>";

    o << "<h2>Equity vs buy &amp; hold</h2>";
    const std::string bh_name =
        info.symbols.size() == 1 ? "buy & hold " + info.symbols[0] : "equal-weight buy & hold";
    o << svg_line_chart(
        r.curve.time,
        {{&r.curve.equity, "#1f5fbf", "strategy", false}, {&buy_hold, "#e08a00", bh_name, false}},
        {1100, 360, false, true});
    o << "<div class='note'>Log scale. Equity at each bar's close, after fees, spread and "
         "slippage; "
         "buy &amp; hold bought at the first open with no costs.</div>";

    std::vector<double> dd(r.curve.size());
    double peak = r.initial_capital;
    for (std::size_t k = 0; k < dd.size(); ++k) {
        peak = std::max(peak, r.curve.equity[k]);
        dd[k] = peak > 0 ? r.curve.equity[k] / peak - 1 : 0;
    }
    o << "<h2>Drawdown</h2>"
      << svg_line_chart(r.curve.time, {{&dd, "#c0392b", "drawdown", true}}, {1100, 220, true, false});

    // Monthly heatmap: years x months, plus the year's compounded return.
    o << "<h2>Monthly returns</h2><table class='heat'><thead><tr><th class='l'>year</th>";
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (const char* mn : kMonths)
        o << "<th>" << mn << "</th>";
    o << "<th>year</th></tr></thead><tbody>";
    for (std::size_t k = 0; k < m.monthly.size();) {
        const int year = m.monthly[k].year;
        double cells[12];
        bool has[12] = {};
        double yr = 1;
        for (; k < m.monthly.size() && m.monthly[k].year == year; ++k) {
            cells[m.monthly[k].month - 1] = m.monthly[k].ret;
            has[m.monthly[k].month - 1] = true;
            yr *= 1 + m.monthly[k].ret;
        }
        o << "<tr><td class='l'>" << year << "</td>";
        for (int mm = 0; mm < 12; ++mm) {
            if (has[mm])
                o << "<td style='background:" << heat_color(cells[mm]) << "'>" << pct(cells[mm])
                  << "</td>";
            else
                o << "<td></td>";
        }
        o << "<td style='background:" << heat_color((yr - 1) / 4) << "'><b>" << pct(yr - 1)
          << "</b></td></tr>";
    }
    o << "</tbody></table>";

    o << "<h2>Against buy &amp; hold of each asset</h2><table><thead><tr><th class='l'>asset</th>"
         "<th>total return</th><th>CAGR</th><th>Sharpe</th><th>max "
         "drawdown</th></tr></thead><tbody>";
    o << "<tr><td class='l'><b>strategy</b></td><td>" << pct(m.total_return) << "</td><td>"
      << pct(m.cagr) << "</td><td>" << num(m.sharpe) << "</td><td>" << pct(m.max_drawdown)
      << "</td></tr>";
    for (const auto& b : m.buy_hold)
        o << "<tr><td class='l'>" << html_escape(b.symbol) << "</td><td>" << pct(b.total_return)
          << "</td><td>" << pct(b.cagr) << "</td><td>" << num(b.sharpe) << "</td><td>"
          << pct(b.max_drawdown) << "</td></tr>";
    o << "</tbody></table>";

    o << "<h2>By regime</h2>";
    if (m.regimes.empty()) {
        o << "<p class='note'>No regime labels for this run.</p>";
    } else {
        o << "<p class='note'>Regimes: " << html_escape(info.regime_source)
          << ". Each bar's return is attributed to the regime in force when it opened (the "
             "label known at the previous close); trades to the regime at their entry.</p>"
             "<table><thead><tr><th class='l'>regime</th><th>bars</th><th>share</th><th>return</th>"
             "<th>annualised</th><th>Sharpe</th><th>buy &amp; hold</th>"
             "<th>trades</th><th>win rate</th></tr></thead><tbody>";
        for (const auto& s : m.regimes)
            o << "<tr><td class='l'>" << html_escape(s.regime) << "</td><td>" << s.bars
              << "</td><td>" << pct(s.time_share) << "</td><td>" << pct(s.total_return)
              << "</td><td>" << pct(s.ann_return) << "</td><td>" << num(s.sharpe) << "</td><td>"
              << pct(s.buy_hold_return) << "</td><td>" << s.trades << "</td><td>" << pct(s.win_rate)
              << "</td></tr>";
        o << "</tbody></table>";
    }

    if (grid && !grid->empty()) {
        o << "<h2>Parameter sweep</h2><pre>" << html_escape(grid_text(*grid, 25)) << "</pre>";
    }

    o << "<h2>Trades</h2><p class='note'>" << m.trades << " closed trades (" << m.losses
      << " losing, in red). Click a column header to sort. <label><input type='checkbox' "
         "onchange='losersOnly(this)'> losing trades only</label></p>";
    o << "<table id='trades'><thead><tr>";
    for (const char* h : {"#", "symbol", "side", "entry", "exit", "entry price", "exit price",
                          "qty", "net P&amp;L", "return", "fees", "bars", "regime"})
        o << "<th onclick='sortTable(this)'>" << h << "</th>";
    o << "</tr></thead><tbody>";
    for (std::size_t k = 0; k < r.trades.size(); ++k) {
        const Trade& t = r.trades[k];
        const double p = t.net_pnl();
        o << "<tr" << (p <= 0 ? " class='loss'" : "") << "><td>" << k + 1 << "</td><td class='l'>"
          << html_escape(r.instruments[t.instrument].symbol) << "</td><td class='l'>"
          << (t.direction > 0 ? "long" : "short") << "</td><td class='l' data-v='" << t.entry_time
          << "'>" << format_time(t.entry_time) << "</td><td class='l' data-v='" << t.exit_time
          << "'>" << format_time(t.exit_time) << "</td><td>" << num(t.entry_price, 4) << "</td><td>"
          << num(t.exit_price, 4) << "</td><td>" << num(t.qty, 6) << "</td><td data-v='" << p
          << "'>" << money(p) << "</td><td data-v='" << t.return_pct << "'>" << pct(t.return_pct, 2)
          << "</td><td>" << num(t.fees) << "</td><td>" << t.exit_step - t.entry_step
          << "</td><td class='l'>" << (regimes ? html_escape(regimes->at(t.entry_time - 1)) : "")
          << "</td></tr>";
    }
    o << "</tbody></table>";

    // Rejections and cancellations by reason.
    std::map<std::string, std::size_t> reasons;
    for (const auto& e : r.events)
        reasons[std::string(to_string(e.status)) + " " + std::string(to_string(e.reason))]++;
    if (!reasons.empty()) {
        o << "<h2>Order events</h2><table><thead><tr><th class='l'>event</th><th>count</th></tr>"
             "</thead><tbody>";
        for (const auto& [k, v] : reasons)
            o << "<tr><td class='l'>" << html_escape(k) << "</td><td>" << v << "</td></tr>";
        o << "</tbody></table>";
    }
    o << "<p class='note'>Fill rules and metric definitions: "
         "docs/backtesting.md.</p></body></html>\n";
    return o.str();
}

void write_report(const std::filesystem::path& dir, const RunInfo& info, const Metrics& m,
                  const BacktestResult& r, const std::vector<double>& buy_hold,
                  const RegimeTimeline* regimes, const std::vector<GridRow>* grid) {
    namespace fs = std::filesystem;
    const fs::path tmp = dir.parent_path() / (dir.filename().string() + ".tmp");
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec)
        throw SystemError("cannot create report directory " + tmp.string() + ": " + ec.message());
    auto put = [&](const std::string& name, const std::string& text) {
        std::ofstream f(tmp / name, std::ios::binary);
        f << text;
        if (!f)
            throw SystemError("cannot write " + (tmp / name).string());
    };

    std::ostringstream tr;
    tr << "id,symbol,direction,entry_time,exit_time,entry_price,exit_price,qty,gross_pnl,fees,"
          "net_pnl,return_pct,bars_held,regime\n";
    for (std::size_t k = 0; k < r.trades.size(); ++k) {
        const Trade& t = r.trades[k];
        tr << k + 1 << ',' << r.instruments[t.instrument].symbol << ','
           << (t.direction > 0 ? "long" : "short") << ',' << format_iso(t.entry_time) << ','
           << format_iso(t.exit_time) << ','
           << fmt::format("{:.8g},{:.8g},{:.8g},{:.6f},{:.6f},{:.6f},{:.6f}", t.entry_price,
                          t.exit_price, t.qty, t.gross_pnl, t.fees, t.net_pnl(), t.return_pct)
           << ',' << t.exit_step - t.entry_step << ','
           << (regimes ? regimes->at(t.entry_time - 1) : "") << '\n';
    }
    put("trades.csv", tr.str());

    std::ostringstream eq;
    eq << "time,equity,cash,exposure,drawdown,buy_hold\n";
    double peak = r.initial_capital;
    for (std::size_t k = 0; k < r.curve.size(); ++k) {
        peak = std::max(peak, r.curve.equity[k]);
        eq << format_iso(r.curve.time[k])
           << fmt::format(",{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", r.curve.equity[k],
                          r.curve.cash[k], r.curve.exposure[k],
                          peak > 0 ? r.curve.equity[k] / peak - 1 : 0.0,
                          k < buy_hold.size() ? buy_hold[k] : 0.0);
    }
    put("equity.csv", eq.str());

    std::ostringstream ev;
    ev << "time,order_id,symbol,status,reason,side,type,qty,note\n";
    for (const auto& e : r.events) {
        std::string note = e.note;
        std::replace(note.begin(), note.end(), ',', ';');
        ev << format_iso(e.time) << ',' << e.order_id << ',' << r.instruments[e.instrument].symbol
           << ',' << to_string(e.status) << ',' << to_string(e.reason) << ',' << to_string(e.side)
           << ',' << to_string(e.type) << ',' << e.qty << ',' << note << '\n';
    }
    put("events.csv", ev.str());
    put("summary.json", summary_json(info, m, r).dump(2) + "\n");
    put("report.html", render_html(info, m, r, buy_hold, regimes, grid));
    if (grid)
        put("grid.csv", grid_csv(*grid));

    fs::remove_all(dir, ec);
    fs::rename(tmp, dir, ec);
    if (ec)
        throw SystemError("cannot move report into " + dir.string() + ": " + ec.message());
}

} // namespace aurum
