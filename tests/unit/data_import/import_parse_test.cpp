// Parsers of `aurum data import`, in memory: every format, encodings, validation, skip-invalid.
#include <cmath>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/import.hpp"
#include "data/import_scan.hpp"

namespace aurum {
namespace {

ImportOptions opts(const std::string& tf, ImportFormat f = ImportFormat::Auto) {
    ImportOptions o;
    o.format = f;
    o.symbol = "BTC/USDT";
    o.timeframe = Timeframe::parse_or_throw(tf);
    return o;
}

/// Parses text and collects every chunk into one series.
BarSeries parse(const std::string& text, const ImportOptions& o, FileImportReport* rep = nullptr) {
    BarSeries all;
    bool first = true;
    auto r = parse_buffer(text, "in.txt", o, [&](const BarSeries& c) {
        if (first) {
            all.symbol = c.symbol;
            all.timeframe = c.timeframe;
            all.has_spread_column = c.has_spread_column;
            first = false;
        }
        for (std::size_t i = 0; i < c.size(); ++i)
            all.push_back(c.at(i));
    });
    if (rep)
        *rep = r;
    return all;
}

std::string error_of(const std::string& text, const ImportOptions& o) {
    try {
        parse(text, o);
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}

std::string utf16le_bom(const std::string& ascii) {
    std::string out = "\xFF\xFE";
    for (char c : ascii) {
        out.push_back(c);
        out.push_back('\0');
    }
    return out;
}

std::string crlf(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\n')
            out.push_back('\r');
        out.push_back(c);
    }
    return out;
}

const std::string kMt5 =
    "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
    "2015.01.02\t09:00:00\t1186.94\t1187.15\t1184.67\t1185.85\t3226\t1376300\t33\n"
    "2015.01.02\t10:00:00\t1185.85\t1188.00\t1185.85\t1186.60\t3712\t1538500\t33\n"
    "2015.01.02\t12:00:00\t1186.25\t1186.78\t1181.20\t1182.57\t4479\t0\t32\n";

TEST(ImportScan, parse_double_matches_strtod_on_random_decimals) {
    std::mt19937_64 rng(42);
    for (int i = 0; i < 20000; ++i) {
        const double x = std::ldexp(static_cast<double>(rng() % 1000000007), -(int)(rng() % 40));
        char buf[64];
        const int n =
            std::snprintf(buf, sizeof buf, i % 2 ? "%.*g" : "%.*f", int(rng() % 17 + 1), x);
        double got = -1;
        ASSERT_TRUE(import_detail::parse_double(buf, buf + n, got)) << buf;
        EXPECT_EQ(got, std::strtod(buf, nullptr)) << buf;
    }
}

TEST(ImportScan, parse_double_rejects_junk_and_non_finite) {
    double d = 0;
    for (const char* s : {"", "-", ".", "1.2.3", "abc", "nan", "inf", "1e", "1e+", "0x10", "1,5"})
        EXPECT_FALSE(import_detail::parse_double(s, s + std::strlen(s), d)) << s;
    const char* ok = "-1.5e-3";
    ASSERT_TRUE(import_detail::parse_double(ok, ok + 7, d));
    EXPECT_DOUBLE_EQ(d, -0.0015);
}

TEST(ImportScan, epoch_unit_is_chosen_by_magnitude) {
    EXPECT_EQ(import_detail::epoch_to_ms(1502942400), 1502942400000);          // s
    EXPECT_EQ(import_detail::epoch_to_ms(1502942400000), 1502942400000);       // ms
    EXPECT_EQ(import_detail::epoch_to_ms(1735689600000000), 1735689600000);    // us
    EXPECT_EQ(import_detail::epoch_to_ms(1735689600000000000), 1735689600000); // ns
}

TEST(ImportFreqtrade, parses_records_with_ints_floats_exponents_and_null_volume) {
    const std::string json =
        "[[1515560100000, 5.33e-05, 5.33e-05, 5.288e-05, 5.29e-05, 431401.97],\n"
        " [1515560400000,5.29e-05,5.294e-05,5.269e-05,5.27e-05,null]]";
    FileImportReport rep;
    const BarSeries s = parse(json, opts("5m"), &rep);
    EXPECT_EQ(rep.format, ImportFormat::FreqtradeJson);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.time[0], 1515560100000);
    EXPECT_DOUBLE_EQ(s.low[0], 5.288e-05);
    EXPECT_DOUBLE_EQ(s.volume[0], 431401.97);
    EXPECT_EQ(s.volume[1], 0.0); // null volume (mark candles)
    EXPECT_FALSE(s.has_spread());
    EXPECT_EQ(rep.first, 1515560100000);
    EXPECT_EQ(rep.last, 1515560400000);
}

TEST(ImportFreqtrade, streaming_in_tiny_blocks_gives_the_same_bars) {
    std::string json = "[";
    for (int i = 0; i < 500; ++i) {
        if (i)
            json += ", ";
        json += "[" + std::to_string(1515560100000 + i * 300000LL) + ", 1.5, 2.5, 1.0, 2.0, " +
                std::to_string(i) + "]";
    }
    json += "]\n";
    ImportOptions big = opts("5m"), tiny = opts("5m");
    tiny.block_bytes = 64;
    tiny.chunk_rows = 7;
    const BarSeries a = parse(json, big), b = parse(json, tiny);
    ASSERT_EQ(a.size(), 500u);
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.volume, b.volume);
}

TEST(ImportFreqtrade, structural_errors_name_the_place) {
    EXPECT_NE(
        error_of("[[1515560100000, 1, 2, 0.5, 1.5, 3]", opts("5m", ImportFormat::FreqtradeJson))
            .find("not closed"),
        std::string::npos);
    EXPECT_NE(error_of("[[1515560100000, 1, 2, 0.5, 1.5, 3] [1515560400000, 1, 2, 0.5, 1.5, 3]]",
                       opts("5m"))
                  .find("expected ','"),
              std::string::npos);
    const std::string e =
        error_of("[[1515560100000, 1, 2, 0.5, 1.5, 3],\n[1515560400000, 1, \"x\", "
                 "0.5, 1.5, 3]]",
                 opts("5m"));
    EXPECT_NE(e.find("in.txt:2 (record 2)"), std::string::npos) << e;
    EXPECT_NE(e.find("'high' value 'x'"), std::string::npos) << e;
    EXPECT_NE(error_of("[[1515560100000, 1, 2, 0.5]]", opts("5m")).find("expected 6"),
              std::string::npos);
    EXPECT_NE(error_of("[]", opts("5m")).find("empty"), std::string::npos);
    EXPECT_NE(
        error_of("[[1515560100000, 1, 2, 0.5, 1.5, 3]] x", opts("5m")).find("after the closing"),
        std::string::npos);
}

TEST(ImportCsv, header_detection_iso_and_date_only_times) {
    FileImportReport rep;
    const BarSeries s = parse("timestamp,open,high,low,close,volume\n"
                              "2017-08-17 04:00:00,4261.48,4349.99,4261.32,4349.99,82.088865\n"
                              "2017-08-17 08:00:00,4333.32,4485.39,4333.32,4427.3,63.619882\n",
                              opts("4h"), &rep);
    EXPECT_EQ(rep.format, ImportFormat::Csv);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.time[0], make_time(2017, 8, 17, 4));
    EXPECT_DOUBLE_EQ(s.close[1], 4427.3);
    const BarSeries d = parse("Date;Open;High;Low;Close;Volume\n2017-08-17;1;2;0.5;1.5;10\n"
                              "2017-08-18;1;2;0.5;1.5;10\n",
                              opts("1d"));
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.time[1], make_time(2017, 8, 18));
}

TEST(ImportCsv, columns_in_any_order_quotes_epoch_units_and_zones) {
    const BarSeries s = parse("\"volume\",\"close\",\"low\",\"high\",\"open\",\"open_time\"\n"
                              "\"5\",\"1.5\",\"0.5\",\"2\",\"1\",\"1502942400\"\n"
                              "5,1.5,0.5,2,1,1502946000000\n"
                              "5,1.5,0.5,2,1,1502949600000000\n"
                              "5,1.5,0.5,2,1,2017-08-17T09:00:00+02:00\n",
                              opts("1h"));
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s.time[0], make_time(2017, 8, 17, 4));
    EXPECT_EQ(s.time[1], make_time(2017, 8, 17, 5));
    EXPECT_EQ(s.time[2], make_time(2017, 8, 17, 6));
    EXPECT_EQ(s.time[3], make_time(2017, 8, 17, 7)); // 09:00+02:00 = 07:00Z
}

TEST(ImportCsv, split_date_and_time_columns) {
    const BarSeries s = parse(
        "date,time,open,high,low,close,volume\n2020-01-02,13:30,1,2,0.5,1.5,7\n", opts("30m"));
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s.time[0], make_time(2020, 1, 2, 13, 30));
}

TEST(ImportCsv, missing_header_column_is_named) {
    const std::string e =
        error_of("time,open,high,close,volume\n2020-01-02,1,2,1.5,7\n", opts("1d"));
    EXPECT_NE(e.find("in.txt:1"), std::string::npos) << e;
    EXPECT_NE(e.find("no low column"), std::string::npos) << e;
}

TEST(ImportBinance, twelve_columns_ms_and_us_open_times) {
    const std::string ms = "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,"
                           "1704070799999,53957248.97,47134,682.57581,28957416.82,0\n"
                           "1704070800000,42475.23,42775.00,42431.65,42613.56,1196.37856,"
                           "1704074399999,50959687.94,44483,617.45174,26301346.07,0\n";
    FileImportReport rep;
    const BarSeries a = parse(ms, opts("1h"), &rep);
    EXPECT_EQ(rep.format, ImportFormat::BinanceCsv);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a.time[0], make_time(2024, 1, 1));
    // Since 2025 Binance spot files carry microseconds.
    const std::string us = "1735689600000000,93576.00,94509.42,93489.03,94401.14,657.24,"
                           "1735693199999999,61857441.12,151212,400.27,37683536.94,0\n";
    const BarSeries b = parse(us, opts("1h"));
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b.time[0], make_time(2025, 1, 1));
}

TEST(ImportMt5, ascii_lf_utf16le_bom_crlf_all_parse_identically) {
    ImportOptions o = opts("1h");
    o.symbol = "XAUUSD";
    FileImportReport rep;
    const BarSeries a = parse(kMt5, o, &rep);
    EXPECT_EQ(rep.format, ImportFormat::Mt5);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_TRUE(a.has_spread());
    EXPECT_DOUBLE_EQ(a.spread[0], 0.33); // 33 points x 0.01
    EXPECT_DOUBLE_EQ(a.volume[0], 3226); // TICKVOL, not VOL
    EXPECT_DOUBLE_EQ(a.volume[2], 4479);
    EXPECT_EQ(a.time[0], make_time(2015, 1, 2, 9));
    for (const std::string& variant : {crlf(kMt5), utf16le_bom(kMt5), utf16le_bom(crlf(kMt5)),
                                       std::string("\xEF\xBB\xBF") + kMt5}) {
        ImportOptions small = o;
        small.block_bytes = 67; // odd: UTF-16 code units split across blocks
        const BarSeries b = parse(variant, small);
        EXPECT_EQ(a.time, b.time);
        EXPECT_EQ(a.close, b.close);
        EXPECT_EQ(a.spread, b.spread);
    }
}

TEST(ImportMt5, tz_offset_converts_server_time_to_utc) {
    ImportOptions o = opts("1h");
    o.tz_offset = 2 * kMsPerHour;
    const BarSeries a = parse(kMt5, o);
    EXPECT_EQ(a.time[0], make_time(2015, 1, 2, 7));
}

TEST(ImportMt5, d1_variant_without_time_column_keeps_the_broker_day_grid) {
    const std::string d1 = "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n"
                           "2015.01.02\t1186.94\t1194.89\t1180.84\t1186.18\t61633\t0\t20\r\n"
                           "2015.01.05\t1186.00\t1206.88\t1184.86\t1204.08\t86318\t0\t20\r\n";
    ImportOptions o = opts("D1");
    o.tz_offset = 2 * kMsPerHour; // 00:00 server time = 22:00 UTC the day before: still valid
    const BarSeries a = parse(d1, o);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a.time[0], make_time(2015, 1, 1, 22));
    EXPECT_DOUBLE_EQ(a.spread[1], 0.2);
}

TEST(ImportValidation, bad_rows_name_line_column_and_value) {
    const std::string head = "timestamp,open,high,low,close,volume\n";
    const std::string ok = "2020-01-01 00:00:00,1,2,0.5,1.5,10\n";
    struct Case {
        std::string row, expect;
    };
    const Case cases[] = {
        {"2020-01-01 01:00:00,nan,2,0.5,1.5,10\n", "value 'nan': not a finite number"},
        {"2020-01-01 01:00:00,1,inf,0.5,1.5,10\n", "not a finite number"},
        {"2020-01-01 01:00:00,-1,2,0.5,1.5,10\n", "column 'open' value -1"},
        {"2020-01-01 01:00:00,0,2,0.5,1.5,10\n", "column 'open' value 0"},
        {"2020-01-01 01:00:00,1,0.4,0.5,0.45,10\n", "high 0.4 is below low 0.5"},
        {"2020-01-01 01:00:00,1,1.2,0.5,1.5,10\n", "high 1.2 is below max(open 1, close 1.5)"},
        {"2020-01-01 01:00:00,1,2,1.2,1.5,10\n", "low 1.2 is above min(open 1, close 1.5)"},
        {"2020-01-01 01:00:00,1,2,0.5,1.5,-3\n", "volume"},
        {"2020-13-01 01:00:00,1,2,0.5,1.5,10\n", "value '2020-13-01 01:00:00': not a date"},
        {"2020-01-01 00:00:00,1,2,0.5,1.5,10\n",
         "duplicate time 2020-01-01 00:00:00 (same as line 2)"},
        {"2019-12-31 23:00:00,1,2,0.5,1.5,10\n", "ascending time order"},
        {"2020-01-01 00:30:00,1,2,0.5,1.5,10\n", "not on the 1h grid"},
        {"2020-01-01 01:00:00,1,2,0.5\n", "expected at least 6 columns"},
        {"2020-01-01 01:00:00,1,2,,1.5,10\n", "empty value"},
    };
    for (const Case& c : cases) {
        const std::string e = error_of(head + ok + c.row, opts("1h"));
        EXPECT_NE(e.find("in.txt:3"), std::string::npos) << c.row << " -> " << e;
        EXPECT_NE(e.find(c.expect), std::string::npos) << c.row << " -> " << e;
    }
}

TEST(ImportValidation, spacing_smaller_than_timeframe_is_rejected_on_coarse_grids) {
    const std::string e =
        error_of("[[1704067200000,1,2,0.5,1.5,1],[1704153600000,1,2,0.5,1.5,1]]", opts("1w"));
    EXPECT_NE(e.find("less than the 1w timeframe"), std::string::npos) << e;
}

TEST(ImportValidation, gaps_are_not_errors) {
    const BarSeries s = parse("timestamp,open,high,low,close,volume\n"
                              "2020-01-01 00:00,1,2,0.5,1.5,10\n2020-01-03 08:00,1,2,0.5,1.5,10\n",
                              opts("4h"));
    EXPECT_EQ(s.size(), 2u);
}

TEST(ImportValidation, skip_invalid_skips_counts_and_reports_first_few) {
    std::string text = "timestamp,open,high,low,close,volume\n";
    for (int h = 0; h < 24; ++h) {
        const bool bad = h % 3 == 1;
        text += "2020-01-01 " + std::string(h < 10 ? "0" : "") + std::to_string(h) + ":00," +
                (bad ? "1,0.1,0.5,1.5,1\n" : "1,2,0.5,1.5,1\n");
    }
    ImportOptions o = opts("1h");
    o.skip_invalid = true;
    o.max_skip_examples = 3;
    FileImportReport rep;
    const BarSeries s = parse(text, o, &rep);
    EXPECT_EQ(rep.rows_read, 24);
    EXPECT_EQ(rep.rows_skipped, 8);
    EXPECT_EQ(rep.rows_written, 16);
    EXPECT_EQ(s.size(), 16u);
    ASSERT_EQ(rep.skipped_examples.size(), 3u);
    EXPECT_EQ(rep.skipped_examples[0].line, 3u);
    EXPECT_EQ(rep.skipped_examples[1].line, 6u);
    EXPECT_NE(rep.skipped_examples[0].reason.find("high 0.1"), std::string::npos);
    for (std::size_t i = 1; i < s.size(); ++i)
        EXPECT_GT(s.time[i], s.time[i - 1]);
}

TEST(ImportValidation, all_rows_invalid_or_empty_input_fail_even_with_skip) {
    ImportOptions o = opts("1h");
    o.skip_invalid = true;
    EXPECT_NE(error_of("timestamp,open,high,low,close,volume\n2020-01-01,1,0.1,0.5,1,1\n", o)
                  .find("all 1 data rows are invalid"),
              std::string::npos);
    EXPECT_NE(error_of("", o).find("empty"), std::string::npos);
    EXPECT_NE(error_of("timestamp,open,high,low,close,volume\n", o).find("empty"),
              std::string::npos);
}

TEST(ImportDetect, unknown_format_lists_what_was_seen_and_the_choices) {
    const std::string e = error_of("hello world\nfoo bar\n", opts("1h"));
    EXPECT_NE(e.find("cannot tell the format of in.txt"), std::string::npos) << e;
    EXPECT_NE(e.find("'hello world'"), std::string::npos) << e;
    EXPECT_NE(e.find("--format auto|freqtrade-json|csv|binance-csv|mt5"), std::string::npos) << e;
    EXPECT_EQ(detect_format("  [[1,2", "x"), ImportFormat::FreqtradeJson);
    EXPECT_EQ(detect_format("<DATE>\t<TIME>", "x"), ImportFormat::Mt5);
    EXPECT_EQ(detect_format("2015.01.02\t09:00:00\t1\t2\t0.5\t1\t5\t0\t3\n", "x"),
              ImportFormat::Mt5);
}

TEST(ImportDetect, tz_offset_is_refused_for_epoch_formats) {
    ImportOptions o = opts("5m");
    o.tz_offset = kMsPerHour;
    EXPECT_NE(error_of("[[1515560100000, 1, 2, 0.5, 1.5, 3]]", o).find("--tz-offset"),
              std::string::npos);
}

TEST(ImportNames, symbol_and_timeframe_from_file_names) {
    auto h = infer_from_filename("/x/BTC_USDT-5m.json");
    EXPECT_EQ(h.symbol, "BTC/USDT");
    EXPECT_EQ(h.timeframe, "5m");
    h = infer_from_filename("XAUUSD_H1_201501020900_202512221100.csv");
    EXPECT_EQ(h.symbol, "XAUUSD");
    EXPECT_EQ(h.timeframe, "H1");
    h = infer_from_filename("BTCUSDT-1h-2024-01.csv");
    EXPECT_EQ(h.symbol, "BTCUSDT");
    EXPECT_EQ(h.timeframe, "1h");
    h = infer_from_filename("BTCUSDT_4h.csv");
    EXPECT_EQ(h.symbol, "BTCUSDT");
    EXPECT_EQ(h.timeframe, "4h");
    h = infer_from_filename("XRP_USDT_USDT-1h-futures.json");
    EXPECT_TRUE(h.symbol.empty());
    EXPECT_NE(h.note.find("futures"), std::string::npos);
    h = infer_from_filename("candles.csv");
    EXPECT_TRUE(h.symbol.empty());
    EXPECT_NE(h.note.find("--symbol"), std::string::npos);
}

} // namespace
} // namespace aurum
