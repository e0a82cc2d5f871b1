// `aurum data import` on the real files in ../shared/data: row counts and ranges they really have,
// UTF-16 MT5 exports, idempotent re-import, and corrupted copies that must change nothing.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/import.hpp"
#include "data/market_store.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

namespace fs = std::filesystem;
using test::run_aurum;
using test::TempDir;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct RealFile {
    const char* path;
    const char* symbol;
    const char* timeframe;
    std::int64_t rows;
    TimeMs first, last;
};

// Counted independently from the files (python csv/json over every row).
const RealFile kRealFiles[] = {
    {"crypto/binance/BTCUSDT_1d.csv", "BTC/USDT", "1d", 3065, make_time(2017, 8, 17),
     make_time(2026, 1, 6)},
    {"crypto/binance/BTCUSDT_4h.csv", "BTC/USDT", "4h", 18371, make_time(2017, 8, 17, 4),
     make_time(2026, 1, 6, 12)},
    {"crypto/binance/ETHUSDT_1d.csv", "ETH/USDT", "1d", 3065, make_time(2017, 8, 17),
     make_time(2026, 1, 6)},
    {"crypto/binance/ETHUSDT_4h.csv", "ETH/USDT", "4h", 18371, make_time(2017, 8, 17, 4),
     make_time(2026, 1, 6, 12)},
    {"crypto/freqtrade/ADA_BTC-1m.json", "ADA/BTC", "1m", 14383, make_time(2018, 1, 20, 4, 55),
     make_time(2018, 1, 30, 4, 51)},
    {"crypto/freqtrade/ADA_BTC-5m.json", "ADA/BTC", "5m", 5720, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/DASH_BTC-5m.json", "DASH/BTC", "5m", 5758, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/ETC_BTC-5m.json", "ETC/BTC", "5m", 5759, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 45)},
    {"crypto/freqtrade/ETH_BTC-1m.json", "ETH/BTC", "1m", 14397, make_time(2018, 1, 20, 4, 53),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/ETH_BTC-5m.json", "ETH/BTC", "5m", 5760, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/LTC_BTC-5m.json", "LTC/BTC", "5m", 5760, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/NXT_BTC-5m.json", "NXT/BTC", "5m", 5760, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/TRX_BTC-5m.json", "TRX/BTC", "5m", 5754, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/UNITTEST_BTC-1m.json", "UNITTEST/BTC", "1m", 13681,
     make_time(2017, 11, 4, 23, 2), make_time(2017, 11, 14, 22, 59)},
    {"crypto/freqtrade/UNITTEST_BTC-30m.json", "UNITTEST/BTC", "30m", 1920,
     make_time(2017, 12, 3, 13), make_time(2018, 1, 12, 12, 30)},
    {"crypto/freqtrade/UNITTEST_BTC-5m.json", "UNITTEST/BTC", "5m", 5760,
     make_time(2018, 1, 10, 4, 55), make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/XLM_BTC-5m.json", "XLM/BTC", "5m", 5760, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/XMR_BTC-5m.json", "XMR/BTC", "5m", 5758, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 50)},
    {"crypto/freqtrade/XRP_ETH-1m.json", "XRP/ETH", "1m", 3560, make_time(2019, 10, 11),
     make_time(2019, 10, 13, 11, 19)},
    {"crypto/freqtrade/XRP_ETH-5m.json", "XRP/ETH", "5m", 712, make_time(2019, 10, 11),
     make_time(2019, 10, 13, 11, 15)},
    {"crypto/freqtrade/ZEC_BTC-5m.json", "ZEC/BTC", "5m", 5757, make_time(2018, 1, 10, 4, 55),
     make_time(2018, 1, 30, 4, 45)},
    {"crypto/freqtrade/futures/UNITTEST_USDT_USDT-1h-mark.json", "UNITTEST/USDT", "1h", 100,
     make_time(2021, 11, 15, 7), make_time(2021, 11, 19, 10)},
    {"crypto/freqtrade/futures/XRP_USDT_USDT-1h-futures.json", "XRP/USDT", "1h", 100,
     make_time(2021, 11, 17, 1), make_time(2021, 11, 21, 4)},
    {"crypto/freqtrade/futures/XRP_USDT_USDT-5m-futures.json", "XRP/USDT", "5m", 1999,
     make_time(2021, 11, 15), make_time(2021, 11, 21, 22, 30)},
    {"crypto/freqtrade/futures/XRP_USDT_USDT-8h-mark.json", "XRP/USDT", "8h", 91,
     make_time(2021, 11, 18), make_time(2021, 12, 18)},
    {"mt5/XAUUSD_H1_201501020900_202512221100.csv", "XAUUSD", "H1", 64642, make_time(2015, 1, 2, 9),
     make_time(2025, 12, 22, 11)},
};

ImportJob job_for(const fs::path& path, const RealFile& f) {
    ImportJob j;
    j.path = path.string();
    j.options.symbol = f.symbol;
    j.options.timeframe = Timeframe::parse_or_throw(f.timeframe);
    return j;
}

TEST(ImportRealData, every_file_imports_with_its_real_row_count_and_range) {
    AURUM_REQUIRE_SHARED_DATA(root, "crypto");
    TempDir tmp;
    for (const RealFile& f : kRealFiles) {
        SCOPED_TRACE(f.path);
        const fs::path path = test::shared_data(f.path);
        ASSERT_FALSE(path.empty());
        // Each file into its own store: freqtrade futures and mark candles share a symbol.
        auto store = open_market_store((tmp / (std::to_string(&f - kRealFiles) + ".db")).string());
        const ImportSummary s = import_files(*store, {job_for(path, f)});
        ASSERT_EQ(s.files.size(), 1u);
        const FileImportReport& r = s.files[0];
        EXPECT_EQ(r.rows_read, f.rows);
        EXPECT_EQ(r.rows_written, f.rows);
        EXPECT_EQ(r.rows_skipped, 0);
        EXPECT_EQ(r.first, f.first) << format_time(r.first);
        EXPECT_EQ(r.last, f.last) << format_time(r.last);
        EXPECT_EQ(s.inserted, f.rows);
        EXPECT_EQ(s.updated, 0);
        const auto series = store->list_series();
        ASSERT_EQ(series.size(), 1u);
        EXPECT_EQ(series[0].rows, f.rows);
        EXPECT_EQ(series[0].first, f.first);
        EXPECT_EQ(series[0].last, f.last);
        EXPECT_EQ(r.format, std::string(f.path).find("mt5/") == 0 ? ImportFormat::Mt5
                            : std::string(f.path).find(".json") != std::string::npos
                                ? ImportFormat::FreqtradeJson
                                : ImportFormat::Csv);
    }
}

TEST(ImportRealData, freqtrade_funding_rate_file_is_not_candles_and_is_rejected) {
    AURUM_REQUIRE_SHARED_DATA(path, "crypto/freqtrade/futures/XRP_USDT_USDT-8h-funding_rate.json");
    TempDir tmp;
    auto store = open_market_store((tmp / "a.db").string());
    ImportJob j;
    j.path = path.string();
    j.options.symbol = "XRP/USDT";
    j.options.timeframe = Timeframe::parse_or_throw("8h");
    try {
        import_files(*store, {j});
        FAIL() << "funding rates imported as candles";
    } catch (const InputError& e) {
        // Its "high"/"low" are 0.0: the first record already fails.
        EXPECT_NE(std::string(e.what()).find(":1 (record 1)"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(store->list_series().empty());
}

TEST(ImportRealData, mt5_bars_keep_tickvol_spread_and_convert_server_time) {
    AURUM_REQUIRE_SHARED_DATA(path, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    TempDir tmp;
    auto store = open_market_store((tmp / "a.db").string());
    ImportJob j;
    j.path = path.string();
    j.options.symbol = "XAUUSD";
    j.options.timeframe = Timeframe::parse_or_throw("H1");
    j.options.tz_offset = 2 * kMsPerHour;
    j.options.point = 0.01;
    const ImportSummary s = import_files(*store, {j});
    EXPECT_EQ(s.files[0].first, make_time(2015, 1, 2, 7));
    const BarSeries b = store->load_bars("XAUUSD", Timeframe::parse_or_throw("1h"));
    ASSERT_EQ(b.size(), 64642u);
    ASSERT_TRUE(b.has_spread());
    // First data line: 2015.01.02 09:00:00 1186.94 1187.15 1184.67 1185.85 3226 1376300 33
    EXPECT_DOUBLE_EQ(b.open[0], 1186.94);
    EXPECT_DOUBLE_EQ(b.volume[0], 3226);
    EXPECT_DOUBLE_EQ(b.spread[0], 0.33);
    // Last: 2025.12.22 11:00:00 4408.25 4413.33 4408.01 4413.26 3522 0 4
    EXPECT_DOUBLE_EQ(b.close.back(), 4413.26);
    EXPECT_DOUBLE_EQ(b.volume.back(), 3522);
    EXPECT_DOUBLE_EQ(b.spread.back(), 0.04);
}

/// The ASCII/LF export re-encoded the way MT5 writes it: UTF-16LE with BOM and CRLF.
std::string to_utf16le_bom_crlf(const std::string& ascii) {
    std::string out = "\xFF\xFE";
    out.reserve(ascii.size() * 2 + 2);
    for (char c : ascii) {
        if (c == '\n')
            out += std::string("\r\0", 2);
        out.push_back(c);
        out.push_back('\0');
    }
    return out;
}

TEST(ImportRealData, mt5_utf16le_bom_crlf_copy_imports_identically) {
    AURUM_REQUIRE_SHARED_DATA(path, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    TempDir tmp;
    const fs::path copy = tmp / "XAUUSD_H1_201501020900_202512221100.csv";
    test::write_text(copy, to_utf16le_bom_crlf(slurp(path)));
    ASSERT_EQ(fs::file_size(copy), 2 * fs::file_size(path) + 2 + 2 * 64643);
    auto a = open_market_store((tmp / "a.db").string());
    auto b = open_market_store((tmp / "b.db").string());
    RealFile f{"", "XAUUSD", "H1", 0, 0, 0};
    import_files(*a, {job_for(path, f)});
    const ImportSummary sb = import_files(*b, {job_for(copy, f)});
    EXPECT_EQ(sb.files[0].rows_written, 64642);
    const Timeframe h1 = Timeframe::parse_or_throw("H1");
    const BarSeries x = a->load_bars("XAUUSD", h1), y = b->load_bars("XAUUSD", h1);
    EXPECT_EQ(x.time, y.time);
    EXPECT_EQ(x.open, y.open);
    EXPECT_EQ(x.high, y.high);
    EXPECT_EQ(x.low, y.low);
    EXPECT_EQ(x.close, y.close);
    EXPECT_EQ(x.volume, y.volume);
    EXPECT_EQ(x.spread, y.spread);
}

// ---------------------------------------------------------------------------------------------
// Through the CLI.

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

/// Replaces the `field`-th comma-separated field (0-based) of 1-based line `line`.
void set_field(std::vector<std::string>& lines, std::size_t line, int field, const std::string& v) {
    std::string& l = lines.at(line - 1);
    std::size_t b = 0;
    for (int i = 0; i < field; ++i)
        b = l.find(',', b) + 1;
    const std::size_t e = l.find(',', b);
    l.replace(b, e == std::string::npos ? std::string::npos : e - b, v);
}

std::vector<SeriesInfo> series_in(const std::string& db) {
    return open_market_store(db)->list_series();
}

class ImportCli : public ::testing::Test {
  protected:
    TempDir dir;
    std::string home() const { return dir.path().string(); }
    std::string db() const { return (dir.path() / "data" / "aurum.db").string(); }
    test::CliResult import(std::vector<std::string> args) {
        std::vector<std::string> full = {"--home", home(), "data", "import"};
        full.insert(full.end(), args.begin(), args.end());
        return run_aurum(full);
    }
};

TEST_F(ImportCli, infers_symbol_and_timeframe_from_names_and_reimport_is_idempotent) {
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    const fs::path xau = test::shared_data("mt5/XAUUSD_H1_201501020900_202512221100.csv");
    const fs::path ada = test::shared_data("crypto/freqtrade/ADA_BTC-5m.json");
    auto r = run_aurum({"--home", home(), "--json", "data", "import", btc.string(), xau.string(),
                        ada.string(), "--tz-offset", "+02:00"});
    // --tz-offset is refused for freqtrade JSON (epoch times are UTC): nothing written.
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("--tz-offset"), std::string::npos) << r.err;
    EXPECT_TRUE(!fs::exists(db()) || series_in(db()).empty());

    r = run_aurum(
        {"--home", home(), "--json", "data", "import", btc.string(), xau.string(), ada.string()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["rows_read"], 18371 + 64642 + 5720);
    EXPECT_EQ(j["inserted"], 18371 + 64642 + 5720);
    EXPECT_EQ(j["updated"], 0);
    EXPECT_EQ(j["files"][0]["symbol"], "BTC/USDT");
    EXPECT_EQ(j["files"][0]["timeframe"], "4h");
    EXPECT_EQ(j["files"][0]["first"], "2017-08-17T04:00:00Z");
    EXPECT_EQ(j["files"][0]["last"], "2026-01-06T12:00:00Z");
    EXPECT_EQ(j["files"][1]["symbol"], "XAUUSD");
    EXPECT_EQ(j["files"][1]["format"], "mt5");
    EXPECT_EQ(j["files"][1]["timeframe"], "1h");
    EXPECT_EQ(j["files"][2]["symbol"], "ADA/BTC");
    EXPECT_EQ(j["files"][2]["format"], "freqtrade-json");
    const auto before =
        open_market_store(db())->load_bars("BTC/USDT", Timeframe::parse_or_throw("4h"));

    r = import({btc.string(), "--symbol", "btcusdt", "--timeframe", "4h"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("18371 rows read, 0 inserted, 18371 updated, 0 skipped"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("2017-08-17 04:00:00 .. 2026-01-06 12:00:00 UTC"), std::string::npos)
        << r.out;
    const auto series = series_in(db());
    ASSERT_EQ(series.size(), 3u);
    for (const SeriesInfo& s : series)
        EXPECT_EQ(s.rows, s.symbol == "BTC/USDT" ? 18371 : s.symbol == "XAUUSD" ? 64642 : 5720);
    const auto after =
        open_market_store(db())->load_bars("BTC/USDT", Timeframe::parse_or_throw("4h"));
    EXPECT_EQ(before.time, after.time);
    EXPECT_EQ(before.close, after.close);
    EXPECT_EQ(before.volume, after.volume);
}

TEST_F(ImportCli, corrupted_copies_fail_with_file_line_and_leave_the_db_unchanged) {
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    const fs::path eth = test::shared_data("crypto/binance/ETHUSDT_1d.csv");
    ASSERT_EQ(import({eth.string(), "--symbol", "ETH/USDT", "--timeframe", "1d"}).exit_code, 0);
    const auto baseline = series_in(db());
    ASSERT_EQ(baseline.size(), 1u);
    const auto good = lines_of(slurp(btc));
    ASSERT_EQ(good.size(), 18372u); // header + 18371 rows

    struct Corruption {
        std::string name;
        std::size_t line;
        std::function<void(std::vector<std::string>&)> apply;
        std::string expect;
    };
    const std::vector<Corruption> cases = {
        {"nan_price", 101, [](auto& l) { set_field(l, 101, 1, "NaN"); },
         "column 2 (open) value 'NaN': not a finite number"},
        {"bad_date", 2001, [](auto& l) { set_field(l, 2001, 0, "2019-13-40 00:00:00"); },
         "value '2019-13-40 00:00:00': not a date/time"},
        {"high_below_low", 5001,
         [](auto& l) {
             set_field(l, 5001, 2, "1.0");
             set_field(l, 5001, 3, "2.0");
         },
         "high 1 is below low 2"},
        {"truncated_last_line", 18372,
         [](auto& l) { l.back() = l.back().substr(0, l.back().find(',', 20)); },
         "expected at least 6 columns"},
        {"duplicate_row", 9001, [](auto& l) { l[9000] = l[8999]; }, "duplicate time"},
    };
    for (const Corruption& c : cases) {
        SCOPED_TRACE(c.name);
        auto lines = good;
        c.apply(lines);
        const fs::path bad = dir.path() / ("BTCUSDT_4h_" + c.name + ".csv");
        test::write_text(bad, join_lines(lines));
        // A good file first (ETH 1d bars also fit the 4h grid; --force lets its name and spacing
        // be overridden): the command is one transaction, so its rows must not survive the bad
        // file either.
        const auto r = import(
            {eth.string(), bad.string(), "--symbol", "BTC/USDT", "--timeframe", "4h", "--force"});
        EXPECT_EQ(r.exit_code, 2);
        const std::string where = bad.string() + ":" + std::to_string(c.line) + ":";
        EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
        const auto now = series_in(db());
        ASSERT_EQ(now.size(), 1u);
        EXPECT_EQ(now[0].symbol, "ETH/USDT");
        EXPECT_EQ(now[0].rows, baseline[0].rows);
    }
}

TEST_F(ImportCli, a_bad_second_file_rolls_back_the_first) {
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    auto lines = lines_of(slurp(btc));
    set_field(lines, 777, 4, "-5");
    const fs::path bad = dir.path() / "ETHUSDT_4h.csv";
    test::write_text(bad, join_lines(lines));
    const auto r = import({btc.string(), bad.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("ETHUSDT_4h.csv:777:"), std::string::npos) << r.err;
    EXPECT_TRUE(!fs::exists(db()) || series_in(db()).empty());
}

TEST_F(ImportCli, skip_invalid_reports_what_it_skipped) {
    AURUM_REQUIRE_SHARED_DATA(xau, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    std::string text = slurp(xau);
    auto lines = lines_of(text);
    lines[9] = "2015.01.02\t18:00:00\t1186.94\tabc\t1184.67\t1185.85\t3226\t0\t33"; // line 10
    lines[19] = "2015.02.30\t09:00:00\t1\t2\t0.5\t1.5\t3226\t0\t33";                // line 20
    const fs::path bad = dir.path() / "XAUUSD_H1_201501020900_202512221100.csv";
    test::write_text(bad, to_utf16le_bom_crlf(join_lines(lines)));
    auto r = import({bad.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(":10: column 4 (high) value 'abc': not a number"), std::string::npos)
        << r.err;
    r = import({bad.string(), "--skip-invalid"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("skipped 2 invalid rows"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(bad.string() + ":10: column 4 (high)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(bad.string() + ":20: column 1 (date) value '2015.02.30'"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("64642 rows read, 64640 inserted"), std::string::npos) << r.out;
}

TEST_F(ImportCli, bad_usage_is_a_clear_exit_2_and_writes_nothing) {
    const fs::path f = dir.path() / "candles.csv";
    test::write_text(f, "timestamp,open,high,low,close,volume\n2020-01-01,1,2,0.5,1.5,1\n");
    auto r = import({f.string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("pass --symbol and --timeframe"), std::string::npos) << r.err;
    r = import({f.string(), "--symbol", "NOPE", "--timeframe", "1d"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown symbol"), std::string::npos) << r.err;
    r = import({f.string(), "--symbol", "BTC/USDT", "--timeframe", "1d", "--format", "xls"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("auto|freqtrade-json|csv|binance-csv|mt5"), std::string::npos) << r.err;
    r = import({f.string(), "--symbol", "BTC/USDT", "--timeframe", "1d", "--tz-offset", "2h"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--tz-offset"), std::string::npos) << r.err;
    r = import(
        {(dir.path() / "missing.csv").string(), "--symbol", "BTC/USDT", "--timeframe", "1d"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;
    const fs::path empty = dir.path() / "empty.csv";
    test::write_text(empty, "");
    r = import({empty.string(), "--symbol", "BTC/USDT", "--timeframe", "1d"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("empty"), std::string::npos) << r.err;
    const fs::path junk = dir.path() / "junk.csv";
    test::write_text(junk, "hello\nworld\n");
    r = import({junk.string(), "--symbol", "BTC/USDT", "--timeframe", "1d"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("cannot tell the format"), std::string::npos) << r.err;
    EXPECT_TRUE(!fs::exists(db()) || series_in(db()).empty());
}

} // namespace
} // namespace aurum
