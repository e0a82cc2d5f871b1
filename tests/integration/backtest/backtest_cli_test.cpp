// `aurum backtest` end to end: store -> run -> summary / JSON -> report folder; sweeps; signals;
// bad input exits 2 and writes nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "support/test_support.hpp"

using namespace aurum;
namespace fs = std::filesystem;

namespace {

class BacktestCli : public ::testing::Test {
  protected:
    void SetUp() override {
        Workspace ws(home_.path());
        ws.ensure_dirs();
        auto store = open_market_store(ws.default_db());
        BarSeries s;
        s.symbol = "BTC/USDT";
        s.timeframe = Timeframe(4 * kMsPerHour);
        std::mt19937_64 rng(3);
        std::normal_distribution<double> z(0, 0.015);
        double p = 20000;
        for (int k = 0; k < 2000; ++k) {
            const double drift = 0.002 * std::sin(k / 90.0);
            const double c = p * std::exp(drift + z(rng));
            s.push_back(Bar{make_time(2023, 1, 1) + k * 4 * kMsPerHour, p, std::max(p, c) * 1.004,
                            std::min(p, c) * 0.996, c, 100.0 + k % 17, 0});
            p = c;
        }
        store->upsert_bars(s);
    }
    std::vector<std::string> base(std::vector<std::string> extra) const {
        std::vector<std::string> a = {"--home", home_.path().string(), "backtest"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    fs::path reports() const { return home_.path() / "reports" / "backtests"; }
    std::size_t report_count() const {
        if (!fs::exists(reports()))
            return 0;
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(reports()), {}));
    }
    static std::string slurp(const fs::path& p) {
        std::ifstream f(p);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }
    test::TempDir home_;
};

} // namespace

TEST_F(BacktestCli, readable_summary_in_the_seed_style_and_a_report_folder) {
    const auto r = test::run_aurum(
        base({"--strategy", "sma-cross", "--fast", "10", "--slow", "30", "--symbol", "BTC/USDT",
              "--timeframe", "4h", "--capital", "10000", "--fee", "0.001"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* s : {"Sharpe Ratio: ", "Max Drawdown: ", "Win Rate: ", "Profit Factor: ",
                          "Buy & Hold BTC/USDT", "Report: "})
        EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
    ASSERT_EQ(report_count(), 1u);
}

TEST_F(BacktestCli, json_output_matches_the_files_it_wrote) {
    const auto r =
        test::run_aurum(base({"--symbol", "BTC/USDT", "--timeframe", "4h", "--fee", "0.001",
                              "--size-frac", "0.5", "--slippage", "2bps", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const char* k : {"bars", "trades", "final_equity", "total_return", "sharpe",
                          "max_drawdown", "win_rate", "profit_factor", "fees"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["bars"], 2000);
    EXPECT_GT(j["trades"].get<int>(), 10);
    EXPECT_GT(j["fees"].get<double>(), 0);
    const fs::path dir = j["report_dir"].get<std::string>();
    for (const char* f : {"trades.csv", "equity.csv", "events.csv", "summary.json", "report.html"})
        EXPECT_TRUE(fs::exists(dir / f)) << f;
    // trades.csv has one row per closed trade; equity.csv ends at the final equity.
    const std::string trades = slurp(dir / "trades.csv");
    EXPECT_EQ(std::count(trades.begin(), trades.end(), '\n') - 1, j["trades"].get<int>());
    const std::string eq = slurp(dir / "equity.csv");
    const std::string last = eq.substr(eq.rfind('\n', eq.size() - 2) + 1);
    const double final_eq = std::stod(last.substr(last.find(',') + 1));
    EXPECT_NEAR(final_eq, j["final_equity"].get<double>(), 1e-5);
    const auto summary = nlohmann::json::parse(slurp(dir / "summary.json"));
    EXPECT_EQ(summary["sharpe"], j["sharpe"]);
    // The HTML is self-contained: no external URL, and it has the charts and tables.
    const std::string html = slurp(dir / "report.html");
    EXPECT_EQ(html.find("http"), std::string::npos);
    for (const char* s :
         {"<svg", "Drawdown", "Monthly returns", "id='trades'", "By regime", "losing trades only"})
        EXPECT_NE(html.find(s), std::string::npos) << s;
}

TEST_F(BacktestCli, grid_sweep_ranks_combinations_and_writes_grid_csv) {
    const auto r = test::run_aurum(base({"--symbol", "BTC/USDT", "--timeframe", "4h", "--grid",
                                         "fast=5:15:5,slow=10:30:10", "--threads", "2", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["grid"].size(), 7u); // 9 combinations, 2 with fast >= slow skipped
    EXPECT_EQ(j["grid_skipped"], 2);
    for (std::size_t k = 1; k < j["grid"].size(); ++k)
        EXPECT_GE(j["grid"][k - 1]["sharpe"].get<double>(), j["grid"][k]["sharpe"].get<double>());
    // The full report is the best combination's.
    EXPECT_EQ(j["params"], j["grid"][0]["params"]);
    EXPECT_DOUBLE_EQ(j["sharpe"].get<double>(), j["grid"][0]["sharpe"].get<double>());
    EXPECT_TRUE(fs::exists(fs::path(j["report_dir"].get<std::string>()) / "grid.csv"));
    const auto text = test::run_aurum(
        base({"--symbol", "BTC/USDT", "--timeframe", "4h", "--grid", "fast=5:15:5,slow=20:30:10"}));
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("rank  params"), std::string::npos) << text.out;
}

TEST_F(BacktestCli, signals_strategy_trades_a_probability_file) {
    std::ostringstream csv;
    csv << "time,symbol,probability\n";
    for (int k = 0; k < 2000; k += 25)
        csv << format_iso(make_time(2023, 1, 1) + k * 4 * kMsPerHour) << ",BTC/USDT,"
            << (k % 50 == 0 ? 0.7 : 0.3) << "\n";
    test::write_text(home_ / "sig.csv", csv.str());
    const auto r =
        test::run_aurum(base({"--strategy", "signals", "--signals", (home_ / "sig.csv").string(),
                              "--symbol", "BTC/USDT", "--timeframe", "4h", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["trades"], 40); // long 25 bars, flat 25 bars, repeat
}

TEST_F(BacktestCli, bad_input_exits_2_with_a_clear_message_and_writes_nothing) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--strategy", "moon", "--symbol", "BTC/USDT", "--timeframe", "4h"},
         "unknown strategy 'moon'"},
        {{"--symbol", "NOPE", "--timeframe", "4h"}, "unknown symbol"},
        {{"--fast", "30", "--slow", "10", "--symbol", "BTC/USDT", "--timeframe", "4h"},
         "--fast (30) must be less than --slow (10)"},
        {{"--fee", "-0.001", "--symbol", "BTC/USDT", "--timeframe", "4h"}, "--fee must be >= 0"},
        {{"--from", "2023-06-01", "--to", "2023-05-01", "--symbol", "BTC/USDT", "--timeframe",
          "4h"},
         "empty date range"},
        {{"--from", "2030-01-01", "--symbol", "BTC/USDT", "--timeframe", "4h"},
         "no 4h bars for BTC/USDT"},
        {{"--symbol", "ETH/USDT", "--timeframe", "4h"}, "no 4h bars for ETH/USDT"},
        {{"--symbol", "BTC/USDT", "--timeframe", "7x"}, "7x"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--slippage", "lots"}, "--slippage"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--grid", "fast=5:1:1"}, "--grid"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--grid", "period=5:10:1"},
         "has no parameter 'period'"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--size-qty", "1", "--size-frac", "0.5"},
         "choose one of"},
        {{"--strategy", "signals", "--symbol", "BTC/USDT", "--timeframe", "4h"}, "needs --signals"},
        {{"--strategy", "signals", "--signals", "/nonexistent.csv", "--symbol", "BTC/USDT",
          "--timeframe", "4h"},
         "cannot open signals file"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--from", "yesterday"}, "--from"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--stop-loss", "1.5"},
         "'stop-loss' must be a fraction in [0, 1)"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--take-profit", "0"},
         "'take-profit' must be a fraction in (0, 1)"},
        {{"--symbol", "BTC/USDT", "--timeframe", "4h", "--stop-loss", "0.02", "--take-profit",
          "1"},
         "'take-profit' must be a fraction in (0, 1)"},
    };
    for (const auto& [args, msg] : cases) {
        const auto r = test::run_aurum(base(args));
        EXPECT_EQ(r.exit_code, 2) << msg << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find(msg), std::string::npos) << "expected '" << msg << "' in: " << r.err;
    }
    EXPECT_EQ(report_count(), 0u);
}

TEST_F(BacktestCli, risk_flag_runs_the_account_risk_manager_and_bad_values_exit_2) {
    const std::vector<std::string> run = {"--symbol", "BTC/USDT", "--timeframe", "4h",
                                          "--size-frac", "0.9", "--json"};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> a = run;
        a.insert(a.end(), extra.begin(), extra.end());
        return test::run_aurum(base(a));
    };
    const auto off = with({});
    ASSERT_EQ(off.exit_code, 0) << off.err;
    const auto on = with({"--risk"});
    ASSERT_EQ(on.exit_code, 0) << on.err;
    const auto jo = nlohmann::json::parse(off.out), jr = nlohmann::json::parse(on.out);
    EXPECT_EQ(jo["risk"], "off");
    EXPECT_NE(jr["risk"].get<std::string>().find("account risk manager"), std::string::npos);
    EXPECT_NE(jo["report_dir"], jr["report_dir"]) << "a risk-on run has its own id";
    // 90 % of equity asked, 25 % allowed: a smaller drawdown than the allow-all run.
    EXPECT_LT(std::fabs(jr["max_drawdown"].get<double>()), std::fabs(jo["max_drawdown"].get<double>()));
    // A limits file of its own; a grid through the same stack.
    test::write_text(home_.path() / "tight.yaml", "risk:\n  max_position: 0.10\n");
    const auto tight = with({"--risk", (home_.path() / "tight.yaml").string()});
    ASSERT_EQ(tight.exit_code, 0) << tight.err;
    EXPECT_NE(nlohmann::json::parse(tight.out)["risk"].get<std::string>().find("max position 10%"),
              std::string::npos);
    const std::size_t before = report_count();
    const auto missing = with({"--risk", "nosuch.yaml"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("--risk 'nosuch.yaml'"), std::string::npos) << missing.err;
    test::write_text(home_.path() / "bad.yaml", "risk:\n  max_position: -1\n");
    const auto bad = with({"--risk", (home_.path() / "bad.yaml").string()});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("max_position"), std::string::npos) << bad.err;
    EXPECT_EQ(report_count(), before) << "nothing written on bad input";
}
