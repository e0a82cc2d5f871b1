// What `data import` refuses: rows wider than their header, bars spaced unlike the timeframe,
// and stored bars overwritten with different values without --replace.
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/import.hpp"
#include "data/market_store.hpp"
#include "data/validation.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

ImportJob job(const std::string& path, const std::string& tf) {
    ImportJob j;
    j.path = path;
    j.options.symbol = "BTC/USDT";
    j.options.timeframe = Timeframe::parse_or_throw(tf);
    return j;
}

std::string error_of(MarketStore& store, const ImportJob& j) {
    try {
        import_files(store, {j});
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

const char* kDaily = "timestamp,open,high,low,close,volume\n"
                     "2024-01-01,100,110,90,105,1\n"
                     "2024-01-02,105,115,95,110,2\n"
                     "2024-01-03,110,120,100,115,3\n";

TEST(ImportChecks, a_row_with_more_fields_than_its_header_names_the_line) {
    FileImportReport rep;
    ImportOptions o = job("x", "1d").options;
    const std::string text = "timestamp,open,high,low,close,volume\n"
                             "2024-01-01,100,110,90,105,1\n"
                             "2024-01-02,105,115,95,110,2,77\n";
    try {
        parse_buffer(text, "in.csv", o, [](const BarSeries&) {});
        FAIL() << "a wider row was imported";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("in.csv:3"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("7 columns but the header has 6"), std::string::npos)
            << e.what();
    }
    o.skip_invalid = true;
    rep = parse_buffer(text, "in.csv", o, [](const BarSeries&) {});
    EXPECT_EQ(rep.rows_written, 1);
    EXPECT_EQ(rep.rows_skipped, 1);
}

TEST(ImportChecks, rows_as_wide_as_the_header_with_ignored_columns_are_fine) {
    const std::string text = "timestamp,open,high,low,close,volume,trades\n"
                             "2024-01-01,100,110,90,105,1,5\n";
    const auto rep = parse_buffer(text, "in.csv", job("x", "1d").options, [](const BarSeries&) {});
    EXPECT_EQ(rep.rows_written, 1);
}

TEST(ImportChecks, a_timeframe_that_contradicts_the_bar_spacing_is_refused_unless_forced) {
    test::TempDir dir;
    test::write_text(dir / "d.csv", kDaily);
    auto store = open_market_store((dir / "a.db").string());
    for (const char* tf : {"4h", "13m"}) {
        const std::string e = error_of(*store, job((dir / "d.csv").string(), tf));
        EXPECT_NE(e.find("the bars are 1d apart but the timeframe is"), std::string::npos) << tf << e;
    }
    EXPECT_TRUE(store->list_series().empty()) << "nothing may be written";
    ImportJob forced = job((dir / "d.csv").string(), "4h");
    forced.options.force_timeframe = true;
    EXPECT_EQ(import_files(*store, {forced}).inserted, 3);
    EXPECT_EQ(import_files(*store, {job((dir / "d.csv").string(), "1d")}).inserted, 3);
}

TEST(ImportChecks, overwriting_stored_bars_with_other_values_needs_replace_and_counts_them) {
    test::TempDir dir;
    test::write_text(dir / "d.csv", kDaily);
    test::write_text(dir / "e.csv", "timestamp,open,high,low,close,volume\n"
                                    "2024-01-02,205,215,195,210,2\n"
                                    "2024-01-03,110,120,100,115,3\n"
                                    "2024-01-04,115,125,105,120,4\n");
    auto store = open_market_store((dir / "a.db").string());
    import_files(*store, {job((dir / "d.csv").string(), "1d")});
    // The same values again: an idempotent re-import, no --replace needed.
    EXPECT_EQ(import_files(*store, {job((dir / "d.csv").string(), "1d")}).changed, 0);

    const std::string e = error_of(*store, job((dir / "e.csv").string(), "1d"));
    EXPECT_NE(e.find("1 bar of BTC/USDT 1d is already stored with different values"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("--replace"), std::string::npos) << e;
    EXPECT_EQ(store->load_bars("BTC/USDT", Timeframe::parse_or_throw("1d")).size(), 3u)
        << "nothing may be written";

    ImportJob replace = job((dir / "e.csv").string(), "1d");
    replace.options.replace = true;
    const ImportSummary s = import_files(*store, {replace});
    EXPECT_EQ(s.changed, 1);
    EXPECT_EQ(s.inserted, 1);
    const BarSeries bars = store->load_bars("BTC/USDT", Timeframe::parse_or_throw("1d"));
    ASSERT_EQ(bars.size(), 4u);
    EXPECT_DOUBLE_EQ(bars.open[1], 205);
}

TEST(ImportChecks, a_series_with_ragged_columns_is_a_broken_invariant_not_bad_input) {
    BarSeries s;
    s.symbol = "BTC/USDT";
    s.push_back(Bar{0, 1, 1, 1, 1, 1, 0});
    s.close.push_back(2); // columns of different lengths: no importer can produce this
    EXPECT_THROW(validate_series(s, Instrument{}, ValidationConfig{}), InvariantError);
}

} // namespace
} // namespace aurum
