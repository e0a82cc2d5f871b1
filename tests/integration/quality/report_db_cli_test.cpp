// `aurum report data-quality` and `aurum db maintain` end to end: files written where the seeds
// say, self-contained HTML, API failures from the logs, bad input exits 2 with nothing written.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/market_store.hpp"
#include "live/state_store.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

struct Ws {
    test::TempDir dir;
    std::string home() const { return dir.path().string(); }
    std::string db() const { return (dir.path() / "data" / "aurum.db").string(); }
    test::CliResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--home", home()});
        return test::run_aurum(args);
    }
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

TEST(ReportDataQuality, writes_html_and_text_with_gaps_stale_series_api_failures_and_sizes) {
    Ws ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "30", "--seed", "5", "--symbols",
                      "BTC/USDT,XAUUSD"})
                  .exit_code,
              0);
    // A 6-hour hole in BTC on 10 January 2024.
    const TimeMs hole = make_time(2024, 1, 10, 6);
    open_market_store(ws.db())->delete_bars("BTC/USDT", Timeframe(kMsPerHour),
                                            TimeRange{hole, hole + 6 * kMsPerHour});
    test::write_text(ws.dir / "logs" / "aurum_edge_20240130.log",
                     "2024-01-30 08:00:00.001 UTC INFO backfill BTC/USDT 1h from binance\n"
                     "2024-01-30 08:00:01.002 UTC WARNING binance: HTTP 503 Service Unavailable; "
                     "retry 1/5 in 500 ms\n"
                     "2024-01-30 08:00:09.003 UTC ERROR binance: HTTP 418 banned until 09:00\n"
                     "2024-01-30 09:00:00.000 UTC WARNING weekly_retrain: skipped\n");
    const auto r = ws.run({"report", "data-quality", "--date", "2024-02-05"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto html_path = ws.dir / "reports" / "data_quality_2024_02_05.html";
    const auto txt_path = ws.dir / "reports" / "data_quality_2024_02_05.txt";
    ASSERT_TRUE(std::filesystem::exists(html_path)) << r.out;
    ASSERT_TRUE(std::filesystem::exists(txt_path));
    const std::string html = slurp(html_path), txt = slurp(txt_path);
    // Offline: no external asset of any kind.
    for (const char* ext : {"src=", "href=", "url(", "@import", "<link", "<script"})
        EXPECT_FALSE(has(html, ext)) << ext;
    EXPECT_TRUE(has(html, "<style>"));
    for (const std::string& doc : {html, txt}) {
        EXPECT_TRUE(has(doc, "2024-01-10 06:00:00")) << "the gap's date";
        EXPECT_TRUE(has(doc, "6h")) << "the gap's length";
        EXPECT_TRUE(has(doc, "HTTP 503 Service Unavailable"));
        EXPECT_TRUE(has(doc, "HTTP 418 banned"));
        EXPECT_FALSE(has(doc, "weekly_retrain: skipped")) << "not a data-client line";
        EXPECT_TRUE(has(doc, "aurum_edge_20240130.log:2"));
        EXPECT_TRUE(has(doc, "STALE")) << "data ends 2024-01-30, the report is as of 2024-02-05";
        EXPECT_TRUE(has(doc, "bars")) << "the bars table's size";
    }
    EXPECT_TRUE(has(txt, "1 other WARNING/ERROR lines"));
    EXPECT_TRUE(has(r.out, "data_quality_2024_02_05.html"));
}

TEST(ReportDataQuality, bad_date_or_unwritable_dir_exit_2_and_write_nothing) {
    Ws ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "3", "--symbols", "BTC/USDT"}).exit_code, 0);
    auto r = ws.run({"report", "data-quality", "--date", "2024-02-31"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(has(r.err, "2024-02-31")) << r.err;
    EXPECT_FALSE(std::filesystem::exists(ws.dir / "reports") &&
                 !std::filesystem::is_empty(ws.dir / "reports"));
    test::write_text(ws.dir / "not_a_dir", "x");
    r = ws.run({"report", "data-quality", "--reports-dir", (ws.dir / "not_a_dir").string()});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(has(r.err, "not_a_dir")) << r.err;
    EXPECT_EQ(slurp(ws.dir / "not_a_dir"), "x");
}

TEST(DbMaintainCli, dry_run_then_archive_and_bad_input_exits_2) {
    Ws ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "3", "--symbols", "BTC/USDT"}).exit_code, 0);
    {
        auto db = open_database(ws.db());
        StateStore store(*db);
        const TimeMs now = make_time(2026, 1, 1);
        for (int d = 0; d < 100; ++d)
            store.insert_equity("s1", now - d * kMsPerDay, 1000 + d, 500);
    }
    auto count = [&] {
        return open_database(ws.db())->query_one("SELECT COUNT(*) FROM live_equity")->as_int(0);
    };
    auto r = ws.run({"db", "maintain", "--dry-run", "--archive-before", "2025-12-01"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(has(r.out, "dry run")) << r.out;
    EXPECT_EQ(count(), 100);
    EXPECT_FALSE(std::filesystem::exists(ws.dir / "data" / "archive"));

    r = ws.run({"--json", "db", "maintain", "--archive-before", "2025-12-01"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(count(), 32); // 2025-12-01 .. 2026-01-01 kept
    const std::string archive = j["archive_file"];
    EXPECT_TRUE(std::filesystem::exists(archive)) << archive;
    EXPECT_EQ(std::filesystem::path(archive).parent_path(), ws.dir / "data" / "archive");
    EXPECT_TRUE(j["vacuumed"].get<bool>());
    EXPECT_FALSE(j["tables_before"].empty());

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"--retention", "live_orders=3"},   // the journal is never archived
        {"--retention", "live_equity=-1"},
        {"--archive-before", "yesterday"}};
    for (const auto& [flag, value] : bad) {
        r = ws.run({"db", "maintain", flag, value});
        EXPECT_EQ(r.exit_code, 2) << value << r.out << r.err;
        EXPECT_TRUE(has(r.err, flag)) << r.err;
        EXPECT_TRUE(has(r.err, value == "live_orders=3" ? "live_orders"
                               : value == "live_equity=-1" ? "-1"
                                                           : value))
            << r.err;
    }
    EXPECT_EQ(count(), 32);
}

} // namespace
} // namespace aurum
