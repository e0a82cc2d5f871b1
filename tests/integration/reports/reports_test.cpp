// The reports of a paper session replayed on the real BTC/USDT + ETH/USDT 4h bars: their figures
// are those of `aurum summary`/`status` and of a risk-on backtest over the same bars; the text
// daily report keeps the seed's layout; an earlier day rebuilt from the fills agrees with what
// the session stored; bad input (dates, sessions, an unwritable directory) exits 2 writing nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backtest/metrics.hpp"
#include "features/regimes.hpp"
#include "live/control.hpp"
#include "live/live_session.hpp"
#include "runtime/engine_stack.hpp"
#include "support/data/shared_bars.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"
#include "surfaces/reports/daily_report.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

const TimeMs kFrom = make_time(2023, 1, 1), kTo = make_time(2023, 4, 1);

LiveOptions session_options() {
    LiveOptions o;
    o.symbols = {"BTC/USDT", "ETH/USDT"};
    o.timeframe = Timeframe(4 * kMsPerHour);
    o.capital = 10000;
    o.replay = true;
    o.replay_from = kFrom;
    o.replay_to = kTo;
    o.warmup_bars = 0; // the backtest below sees the same bars from the first one
    o.strategy.name = "sma-cross";
    o.strategy.params = {{"fast", 10}, {"slow", 30}};
    o.strategy.sizing.fraction = 0.3;
    o.fill.fees.taker = o.fill.fees.maker = 0.001;
    o.fill.slippage.fixed_bps = 2;
    return o;
}

/// A workspace whose store holds the real bars and one finished paper replay of them.
class ReplayedSession : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::shared_data("crypto/binance/BTCUSDT_4h.csv").empty() ||
            test::shared_data("crypto/binance/ETHUSDT_4h.csv").empty())
            GTEST_SKIP() << "../shared/data/crypto/binance/{BTC,ETH}USDT_4h.csv not found: the "
                            "report tests replay the real bars (CI has them)";
        Workspace(home_.path()).ensure_dirs();
        store_ = open_market_store(test::home_db(home_.path()));
        store_->upsert_bars(test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv"));
        store_->upsert_bars(test::load_shared_bars("crypto/binance/ETHUSDT_4h.csv"));
        LiveSession s(store_->database(), *store_, session_options(), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(0, false, "");
        for (int n = 0; s.step(n) != LiveSession::StepResult::Finished; ++n) {}
        s.checkpoint(0);
        session_id_ = s.session_id();
        ASSERT_GT(s.portfolio().trades().size(), 5u) << "the session must have traded";
    }

    json cli_json(std::vector<std::string> args) {
        args.insert(args.begin(), {"--home", home_.path().string(), "--json"});
        const auto r = test::run_aurum(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }

    /// Sharpe and max drawdown of a risk-on backtest over the same bars (the parity test proves
    /// the paper session equals it trade for trade).
    Metrics backtest_metrics() {
        const LiveOptions o = session_options();
        InstrumentRegistry reg;
        std::vector<Instrument> inst;
        std::vector<BarSeries> bars;
        for (const auto& sym : o.symbols) {
            inst.push_back(reg.get(sym));
            bars.push_back(store_->load_bars(sym, o.timeframe, {o.replay_from, o.replay_to}));
        }
        std::vector<const BarSeries*> data;
        for (const auto& b : bars) data.push_back(&b);
        RunSpec spec;
        spec.risk = RiskSpec::account(RiskLimits{}, "defaults");
        spec.engine.initial_capital = o.capital;
        spec.engine.fill = o.fill;
        spec.engine.allow_short = true;
        auto strategy = make_strategy(o.strategy);
        return compute_metrics(run_spec_backtest(spec, inst, data, *strategy), {});
    }

    test::TempDir home_;
    std::unique_ptr<MarketStore> store_;
    std::string session_id_;
};

std::string underscored(std::string date) {
    for (char& c : date)
        if (c == '-') c = '_';
    return date;
}

} // namespace

TEST_F(ReplayedSession, daily_report_figures_equal_summary_status_and_backtest) {
    json summary = cli_json({"summary"});
    const json status = cli_json({"status"});
    const json report = cli_json({"report", "daily"});
    summary.erase("daemon_running"); // the CLI's note beside the query's answer
    // The current day is exactly `aurum summary`'s answer.
    EXPECT_EQ(report["summary"], summary);
    EXPECT_EQ(report["date"], summary["date"]);
    EXPECT_DOUBLE_EQ(report["performance"]["equity"].get<double>(), status["equity"].get<double>());
    EXPECT_NEAR(report["performance"]["total_return_pct"].get<double>(),
                status["return_pct"].get<double>(), 1e-9);
    const Metrics bt = backtest_metrics();
    EXPECT_NEAR(report["performance"]["sharpe"].get<double>(), bt.sharpe, 1e-9);
    EXPECT_NEAR(report["performance"]["max_drawdown_pct"].get<double>(), bt.max_drawdown * 100, 1e-9);
    EXPECT_EQ(report["performance"]["closed_trades"].get<std::size_t>(), bt.trades);
    // Both files, named as the seed names them; the HTML opens offline.
    const auto dir = home_.path() / "reports";
    const std::string stem = "daily_report_" + underscored(summary["date"].get<std::string>());
    const std::string html = test::slurp(dir / (stem + ".html"));
    const std::string text = test::slurp(dir / (stem + ".txt"));
    EXPECT_NE(html.find("<svg"), std::string::npos);
    EXPECT_NE(html.find("<style>"), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("<script src"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_NE(html.find(fmt::format("{:.2f}", bt.sharpe)), std::string::npos);
    // The text report carries `aurum summary`'s text lines unchanged.
    const auto plain = test::run_aurum({"--home", home_.path().string(), "summary"});
    ASSERT_EQ(plain.exit_code, 0);
    std::istringstream lines(plain.out);
    for (std::string line; std::getline(lines, line);)
        EXPECT_NE(text.find(line + "\n"), std::string::npos) << "missing summary line: " << line;
}

TEST_F(ReplayedSession, daily_text_keeps_the_seed_layout) {
    cli_json({"report", "daily"});
    const json summary = cli_json({"summary"});
    const std::string text = test::slurp(home_.path() / "reports" /
                                         ("daily_report_" + underscored(summary["date"]) + ".txt"));
    // Seed 000: header, Date, POSITIONS, P&L (Unrealized, Realized Today, Total Week), TRADES
    // TODAY, RISK STATUS (heat, max position, daily loss), ALERTS, closing rule; in that order.
    const std::vector<std::string> order{
        "==================== DAILY SUMMARY ====================\nDate: " + summary["date"].get<std::string>() + "\n\nPOSITIONS:\n",
        "\nP&L:\n  Unrealized: ", "\n  Realized Today: ", "\n  Total Week: ", "\n  Sharpe: ",
        " | Max DD: ", "\nTRADES TODAY:\n", "\nRISK STATUS: ", "\n  Portfolio heat: ",
        "% (max: 50%)\n  Max position: ", "% (limit: 25%)\n  Daily loss: ", "(limit: -5%)\n",
        "\nALERTS: ", "\nEND OF DAY REVIEW:\n  Signals: ", " generated, ", " approved (",
        " rejected\n", "  Paper P&L: ", "  Risk limits: ", "  Errors: ",
        "=====================================================\n"};
    std::size_t at = 0;
    for (const auto& piece : order) {
        const auto next = text.find(piece, at);
        ASSERT_NE(next, std::string::npos) << "'" << piece << "' missing or out of order in:\n" << text;
        at = next + piece.size();
    }
    EXPECT_EQ(at, text.size()) << "the closing rule ends the report";
}

TEST_F(ReplayedSession, an_earlier_day_rebuilt_from_fills_equals_the_stored_state) {
    // The last day through the rebuild path (as if it were an earlier day) gives the positions,
    // P&L and trades that the session stored and `aurum summary` shows.
    StateStore st(store_->database());
    SessionView v = load_session_view(st, "", 0);
    const RiskLimits limits;
    const json live = query_summary(st, limits, 0);
    v.is_current = false; // forces the rebuild
    DailyReportInput in;
    in.view = &v;
    in.store = &st;
    in.market = store_.get();
    in.limits = &limits;
    in.day = v.current_day();
    const json past = daily_report_data(in)["summary"];
    ASSERT_EQ(past["positions"].size(), live["positions"].size());
    for (std::size_t i = 0; i < live["positions"].size(); ++i) {
        for (const char* k : {"symbol", "side", "base"})
            EXPECT_EQ(past["positions"][i][k], live["positions"][i][k]) << k;
        for (const char* k : {"qty", "entry", "mark", "unrealized"})
            EXPECT_NEAR(past["positions"][i][k].get<double>(), live["positions"][i][k].get<double>(),
                        1e-6 * std::max(1.0, std::fabs(live["positions"][i][k].get<double>())))
                << k;
    }
    for (const char* k : {"realized_today", "pnl_today", "pnl_week", "equity"})
        EXPECT_NEAR(past[k].get<double>(), live[k].get<double>(), 1e-6) << k;
    EXPECT_EQ(past["trades_today"], live["trades_today"]);
    EXPECT_EQ(past["trades"], live["trades"]); // closed so far: the session's every trade
    EXPECT_GT(live["trades"].get<int>(), 0);
    EXPECT_EQ(past["win_rate"], live["win_rate"]);
    // And a day in the middle: its equity is the stored equity point of its last bar.
    const TimeMs mid = make_time(2023, 2, 15);
    in.day = mid;
    const json r = daily_report_data(in);
    const auto pts = st.equity(session_id_, mid, mid + kMsPerDay);
    ASSERT_FALSE(pts.empty());
    EXPECT_DOUBLE_EQ(r["summary"]["equity"].get<double>(), pts.back().second);
    EXPECT_EQ(r["date"], "2023-02-15");
}

TEST_F(ReplayedSession, weekly_report_against_buy_and_hold_of_the_same_bars) {
    const json w = cli_json({"report", "weekly", "--date", "2023-03-26"});
    const TimeMs to = make_time(2023, 3, 27), from = to - kMsPerWeek;
    // Buy and hold: first open of the week to its last close, straight from the bars.
    for (const auto& b : w["performance"]["benchmarks"]) {
        const BarSeries bars = store_->load_bars(b["symbol"], Timeframe(4 * kMsPerHour), {from, to});
        ASSERT_GT(bars.size(), 30u);
        EXPECT_NEAR(b["return_pct"].get<double>(), (bars.close.back() / bars.open.front() - 1) * 100, 1e-9)
            << b["symbol"];
    }
    ASSERT_EQ(w["performance"]["benchmarks"].size(), 2u);
    // The system: the stored equity at the week's ends; its trades: those closed in the week.
    StateStore st(store_->database());
    const auto before = st.equity(session_id_, from - 2 * kMsPerDay, from - 4 * kMsPerHour + 1);
    const auto in_week = st.equity(session_id_, from, to - 4 * kMsPerHour + 1);
    ASSERT_FALSE(before.empty());
    EXPECT_NEAR(w["performance"]["system"]["return_pct"].get<double>(),
                (in_week.back().second / before.back().second - 1) * 100, 1e-9);
    std::size_t closed = 0;
    for (const auto& t : st.trades(session_id_)) closed += t.exit_time >= from && t.exit_time < to;
    EXPECT_EQ(w["performance"]["trades"]["count"].get<std::size_t>(), closed);
    EXPECT_EQ(w["trade_list"].size(), closed);
    EXPECT_FALSE(w["recommendations"].empty());
    // Regime detection: the live classifier against the hindsight HMM on the same bars, recomputed.
    ASSERT_EQ(w["regimes"].size(), 2u);
    for (const auto& g : w["regimes"]) {
        BarSeries bars = store_->load_bars(g["symbol"], Timeframe(4 * kMsPerHour), {INT64_MIN, to});
        if (bars.size() > 3000) bars = bars.slice({bars.time[bars.size() - 3000], to});
        const auto live = classify_regimes(bars), hindsight = hmm_regimes(bars);
        std::size_t n = 0, same = 0;
        for (std::size_t k = 0; k < bars.size(); ++k)
            if (bars.time[k] >= from && live[k] != Regime::Unknown && hindsight[k] != Regime::Unknown) {
                ++n;
                same += live[k] == hindsight[k];
            }
        EXPECT_EQ(g["bars"].get<std::size_t>(), n) << g["symbol"];
        EXPECT_EQ(n, 42u) << "a week of 4h bars, all past the warm-up";
        EXPECT_NEAR(g["agreement_pct"].get<double>(), 100.0 * static_cast<double>(same) / static_cast<double>(n), 1e-9);
        int counted = 0;
        for (const auto& [name, c] : g["live_regimes"].items()) counted += c.get<int>();
        EXPECT_EQ(static_cast<std::size_t>(counted), n);
    }
    const std::string html = test::slurp(home_.path() / "reports" / "weekly_analysis_2023_03_26.html");
    EXPECT_NE(html.find("<h2>Regime detection</h2>"), std::string::npos);
    EXPECT_NE(html.find("BTC/USDT buy &amp; hold"), std::string::npos);
    EXPECT_NE(html.find("<svg"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST_F(ReplayedSession, bad_input_exits_2_and_writes_nothing) {
    const auto dir = home_.path() / "reports";
    auto files = [&] {
        std::size_t n = 0;
        for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
        return n;
    };
    const std::size_t before = files();
    const std::string h = home_.path().string();
    test::write_text(home_.path() / "a_file", "x");
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--home", h, "report", "daily", "--date", "2023-13-45"}, "'2023-13-45' is not a date"},
        {{"--home", h, "report", "daily", "--date", "yesterday"}, "'yesterday' is not a date"},
        {{"--home", h, "report", "weekly", "--date", "2022-06-01"}, "is outside session"},
        {{"--home", h, "report", "daily", "--date", "2024-01-01"}, "is outside session"},
        {{"--home", h, "report", "daily", "--session", "no-such-session"}, "no session 'no-such-session'"},
        {{"--home", h, "report", "daily", "--out", (home_.path() / "a_file" / "reports").string()},
         "cannot be created"},
        {{"--home", h, "report", "weekly", "--out", (home_.path() / "a_file").string()}, "cannot be created"},
        {{"--home", h, "monitor", "accuracy", "--session", "nope"}, "no session 'nope'"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = test::run_aurum(args);
        EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.out << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    }
    EXPECT_EQ(files(), before);
    // A broken config/risk.yaml is named, and nothing is written either.
    test::write_text(home_.path() / "config" / "risk.yaml", "risk:\n  max_positon: 0.2\n");
    const auto r = test::run_aurum({"--home", h, "report", "daily"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("risk.yaml"), std::string::npos) << r.err;
    EXPECT_EQ(files(), before);
}

TEST(ReportJobs, daemon_writes_the_daily_weekly_and_volatility_reports_on_schedule) {
    // A paced replay (jobs run on the session clock; `--speed 0` skips them) of 2023-02-01 to
    // 2023-02-06: a daily report each morning at 08:00, the volatility and weekly ones on Sunday
    // 2023-02-05.
    test::TempDir home;
    test::seed_workspace(home.path(), 60);
    test::write_text(home.path() / "config" / "live.yaml",
                     "live:\n  jobs:\n    daily_report: \"daily 08:00\"\n"
                     "    weekly_report: \"weekly sun 18:00\"\n"
                     "    volatility_report: \"weekly sun 06:30\"\n");
    auto args = test::replay_args(home.path(), "2023-02-06");
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--speed") args[i + 1] = "400000";
    const auto r = test::run_aurum(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto dir = home.path() / "reports";
    for (const char* d : {"2023_02_01", "2023_02_02", "2023_02_03", "2023_02_04", "2023_02_05"}) {
        EXPECT_TRUE(std::filesystem::exists(dir / (std::string("daily_report_") + d + ".html"))) << d;
        EXPECT_TRUE(std::filesystem::exists(dir / (std::string("daily_report_") + d + ".txt"))) << d;
    }
    EXPECT_TRUE(std::filesystem::exists(dir / "weekly_analysis_2023_02_05.html"));
    EXPECT_TRUE(std::filesystem::exists(dir / "volatility_analysis_2023_02_05.html"));
    EXPECT_FALSE(std::filesystem::exists(dir / "volatility_analysis_2023_02_04.html")) << "weekly only";
    const std::string text = test::slurp(dir / "daily_report_2023_02_03.txt");
    EXPECT_EQ(text.rfind("==================== DAILY SUMMARY ====================\nDate: 2023-02-03\n", 0), 0u)
        << text;
}

TEST_F(ReplayedSession, volatility_and_costs_reports) {
    const json v = cli_json({"report", "volatility", "--symbols", "BTC/USDT,ETH/USDT", "--date", "2023-03-31"});
    ASSERT_EQ(v["symbols"].size(), 2u);
    for (const auto& s : v["symbols"]) {
        // The constant-risk position scales the configured 25 % by median / now.
        EXPECT_NEAR(s["max_position_constant_risk_pct"].get<double>(),
                    25.0 * s["vol_median_pct"].get<double>() / s["vol_now_pct"].get<double>(), 1e-9);
        EXPECT_LE(s["vol_p10_pct"].get<double>(), s["vol_median_pct"].get<double>());
        EXPECT_LE(s["vol_median_pct"].get<double>(), s["vol_p90_pct"].get<double>());
        // "Now" is the 30-day stdev of 4h log returns ending with the day's last bar, annualised.
        const BarSeries b = store_->load_bars(s["symbol"], Timeframe(4 * kMsPerHour),
                                              {make_time(2023, 3, 1, 20), make_time(2023, 4, 1)});
        ASSERT_EQ(b.size(), 181u);
        double sum = 0, sum2 = 0;
        for (std::size_t k = 1; k < b.size(); ++k) {
            const double r = std::log(b.close[k] / b.close[k - 1]);
            sum += r;
            sum2 += r * r;
        }
        const double var = (sum2 - sum * sum / 180) / 179;
        EXPECT_NEAR(s["vol_now_pct"].get<double>(), std::sqrt(var * 6 * 365) * 100, 1e-6) << s["symbol"];
    }
    const json c = cli_json({"report", "costs", "--days", "90"});
    StateStore st(store_->database());
    double fees = 0, slippage = 0;
    for (const auto& f : st.reports(session_id_))
        if (f.kind == "fill") {
            fees += f.fee;
            slippage += f.slippage_cost;
        }
    EXPECT_NEAR(c["total"]["fees"].get<double>(), fees, 1e-9);
    EXPECT_NEAR(c["total"]["slippage"].get<double>(), slippage, 1e-9);
    EXPECT_GT(fees, 0);
    double net = 0;
    for (const auto& t : st.trades(session_id_)) net += t.pnl;
    EXPECT_NEAR(c["total"]["net_pnl"].get<double>(), net, 1e-6);
    EXPECT_TRUE(std::filesystem::exists(home_.path() / "reports" / "cost_analysis_2023_03_31.html"));
    // Unknown symbols and bad periods are refused, nothing written.
    std::size_t before = 0;
    for (const auto& e : std::filesystem::directory_iterator(home_.path() / "reports")) before += e.is_regular_file();
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"report", "volatility", "--symbols", "NOSUCHSYMBOL"},
             {"report", "volatility", "--symbols", "DOGE/USDT"},
             {"report", "volatility", "--timeframe", "7x"},
             {"report", "costs", "--days", "0"}}) {
        std::vector<std::string> a{"--home", home_.path().string()};
        a.insert(a.end(), args.begin(), args.end());
        const auto r = test::run_aurum(a);
        EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
        EXPECT_FALSE(r.err.empty());
    }
    std::size_t after = 0;
    for (const auto& e : std::filesystem::directory_iterator(home_.path() / "reports")) after += e.is_regular_file();
    EXPECT_EQ(after, before);
}
