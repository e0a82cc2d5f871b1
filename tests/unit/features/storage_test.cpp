// Persistence: matrix and label files round-trip exactly and reject damaged files; the feature
// store keeps one metadata row per matrix; external series round-trip through the database.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "data/database.hpp"
#include "feature_test_helpers.hpp"
#include "features/external_data.hpp"
#include "features/feature_set.hpp"
#include "features/feature_store.hpp"
#include "features/labels.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

FeatureMatrix small_matrix() {
    const BarSeries bars = test::synthetic_bars(300, 3);
    const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "d.yaml");
    FeatureContext ctx;
    ctx.symbol = bars.symbol;
    ctx.timeframe = bars.timeframe;
    return build_feature_matrix(bars, cfg.get("default"), ctx);
}

} // namespace

TEST(FeatureMatrixFile, round_trips_bit_for_bit) {
    test::TempDir dir;
    const FeatureMatrix m = small_matrix();
    save_feature_matrix(dir / "m.afm", m);
    const FeatureMatrix back = load_feature_matrix(dir / "m.afm");
    EXPECT_EQ(back.symbol, m.symbol);
    EXPECT_EQ(back.timeframe, m.timeframe);
    EXPECT_EQ(back.feature_set_id, m.feature_set_id);
    EXPECT_EQ(back.feature_set_name, "default");
    EXPECT_EQ(back.names, m.names);
    EXPECT_EQ(back.time, m.time);
    EXPECT_EQ(back.values, m.values);
    EXPECT_FALSE(std::filesystem::exists(dir / "m.afm.tmp"));
}

TEST(FeatureMatrixFile, damaged_files_are_input_errors_naming_the_path) {
    test::TempDir dir;
    const FeatureMatrix m = small_matrix();
    save_feature_matrix(dir / "m.afm", m);
    const auto size = std::filesystem::file_size(dir / "m.afm");
    std::filesystem::copy_file(dir / "m.afm", dir / "cut.afm");
    std::filesystem::resize_file(dir / "cut.afm", size - 8);
    try {
        load_feature_matrix(dir / "cut.afm");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("cut.afm"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
    test::write_text(dir / "junk.afm", "not a matrix at all");
    EXPECT_THROW(load_feature_matrix(dir / "junk.afm"), InputError);
    EXPECT_THROW(load_feature_matrix(dir / "missing.afm"), InputError);
    // A label file is not a matrix file.
    LabelSet l = fixed_horizon_labels(test::synthetic_bars(50, 1), {});
    save_label_set(dir / "l.alb", l);
    EXPECT_THROW(load_feature_matrix(dir / "l.alb"), InputError);
}

TEST(FeatureMatrix, slice_align_and_feature_set_check) {
    const FeatureMatrix m = small_matrix();
    const FeatureMatrix s = m.slice({m.time[10], m.time[20]});
    ASSERT_EQ(s.rows(), 10u);
    for (std::size_t c = 0; c < m.cols(); ++c) EXPECT_EQ(s.at(3, c), m.at(13, c));
    EXPECT_EQ(m.column(2)[5], m.at(5, 2));
    EXPECT_EQ(m.require_column("rsi_14"), *m.column_index("rsi_14"));
    EXPECT_THROW(m.require_column("nope"), InputError);

    BarSeries bars = test::synthetic_bars(300, 3);
    FixedHorizonParams fp;
    fp.horizon = 5;
    const LabelSet l = fixed_horizon_labels(bars, fp);
    const AlignedRows a = align(m, l);
    ASSERT_FALSE(a.matrix_rows.empty());
    for (std::size_t k = 0; k < a.matrix_rows.size(); ++k)
        EXPECT_EQ(m.time[a.matrix_rows[k]], l.time[a.label_rows[k]]);
    // Rows near the end have no complete label.
    EXPECT_EQ(a.matrix_rows.size(), m.rows() - 5);

    EXPECT_NO_THROW(require_feature_set(m, m.feature_set_id));
    try {
        require_feature_set(m, "0123");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("feature set mismatch"), std::string::npos);
    }
}

TEST(LabelFile, round_trips) {
    test::TempDir dir;
    const BarSeries bars = test::synthetic_bars(400, 5);
    const LabelSet l = triple_barrier_labels(bars, {});
    save_label_set(dir / "l.alb", l);
    const LabelSet b = load_label_set(dir / "l.alb");
    EXPECT_EQ(b.method, LabelMethod::TripleBarrier);
    EXPECT_EQ(b.params, l.params);
    EXPECT_EQ(b.time, l.time);
    EXPECT_EQ(b.t1, l.t1);
    EXPECT_EQ(b.label, l.label);
    EXPECT_EQ(b.ret, l.ret);
    EXPECT_EQ(b.barrier, l.barrier);
    EXPECT_EQ(b.side, l.side);
}

TEST(FeatureStore, saves_file_and_metadata_row_and_loads_them_back) {
    test::TempDir dir;
    auto db = open_database((dir / "a.db").string());
    FeatureStore store(*db, dir / "features");
    const FeatureMatrix m = small_matrix();
    const StoredMatrixInfo info = store.save(m);
    EXPECT_EQ(info.file, "TEST-USDT_4h_default.afm");
    EXPECT_TRUE(std::filesystem::exists(dir / "features" / info.file));
    store.save(m); // replaces
    const auto all = store.list();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].rows, static_cast<std::int64_t>(m.rows()));
    EXPECT_EQ(all[0].columns, m.names);
    EXPECT_EQ(all[0].feature_set_id, m.feature_set_id);
    EXPECT_EQ(all[0].first, m.time.front());
    const FeatureMatrix back = store.load(m.symbol, m.timeframe, "default");
    EXPECT_EQ(back.values, m.values);
    try {
        store.load(m.symbol, m.timeframe, "other");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("aurum features build"), std::string::npos);
    }

    const LabelSet l = triple_barrier_labels(test::synthetic_bars(300, 3), {});
    const StoredLabelsInfo li = store.save_labels(l);
    EXPECT_EQ(li.method, "triple-barrier");
    EXPECT_EQ(li.negative + li.neutral + li.positive, static_cast<std::int64_t>(l.size()));
    EXPECT_EQ(store.load_labels(l.symbol, l.timeframe, "triple-barrier").label, l.label);
    EXPECT_EQ(store.list_labels().size(), 1u);
    EXPECT_THROW(store.load_labels(l.symbol, l.timeframe, "fixed"), InputError);
}

TEST(FeatureStore, a_failed_file_write_leaves_no_metadata_row) {
    test::TempDir dir;
    auto db = open_database((dir / "a.db").string());
    // The features "directory" is a file, so writing the matrix fails.
    test::write_text(dir / "blocker", "x");
    FeatureStore store(*db, dir / "blocker");
    EXPECT_ANY_THROW(store.save(small_matrix()));
    EXPECT_TRUE(store.list().empty());
}

TEST(ExternalStore, upserts_loads_and_lists_series) {
    test::TempDir dir;
    auto db = open_database((dir / "a.db").string());
    ExternalStore store(*db);
    ExternalSeries s;
    s.name = "fng:value";
    s.time = {make_time(2024, 1, 1), make_time(2024, 1, 2), make_time(2024, 1, 3)};
    s.value = {40, 55, 61};
    EXPECT_EQ(store.upsert(s, "alternative.me"), 3);
    s.time = {make_time(2024, 1, 3), make_time(2024, 1, 4)};
    s.value = {62, 70};
    store.upsert(s, "alternative.me");
    const ExternalSeries back = store.load("fng:value");
    EXPECT_EQ(back.value, (std::vector<double>{40, 55, 62, 70}));
    EXPECT_EQ(back.period_ms, kMsPerDay);
    EXPECT_EQ(store.load("fng:value", {make_time(2024, 1, 2), make_time(2024, 1, 4)}).size(), 2u);
    const auto list = store.list();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].rows, 4);
    EXPECT_EQ(list[0].source, "alternative.me");
    EXPECT_EQ(list[0].last, make_time(2024, 1, 4));
    EXPECT_TRUE(store.has("fng:value"));
    EXPECT_THROW(store.load("nope"), InputError);
}

TEST(ExternalCsv, imports_daily_series_and_names_bad_rows) {
    test::TempDir dir;
    test::write_text(dir / "ok.csv", "date,value,other\r\n2024-01-02,1.5,x\r\n2024-01-01,2.5,y\r\n\r\n");
    const ExternalSeries s = import_external_csv(dir / "ok.csv", "my:series");
    EXPECT_EQ(s.time, (std::vector<TimeMs>{make_time(2024, 1, 1), make_time(2024, 1, 2)}));
    EXPECT_EQ(s.value, (std::vector<double>{2.5, 1.5}));

    test::write_text(dir / "col.csv", "day;a;b\n2024-01-01;1;2\n");
    EXPECT_EQ(import_external_csv(dir / "col.csv", "c", "b").value, std::vector<double>{2});

    auto expect_error = [&](const std::string& text, const std::string& needle) {
        test::write_text(dir / "bad.csv", text);
        try {
            import_external_csv(dir / "bad.csv", "s");
            FAIL() << text;
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    expect_error("date,value\n2024-01-01,1\n2024-13-45,2\n", "bad.csv:3: column 'date'");
    expect_error("date,value\n2024-01-01,abc\n", "bad.csv:2: column 'value'");
    expect_error("date,value\n2024-01-01,nan\n", "not a finite number");
    expect_error("date,value\n2024-01-01,1\n2024-01-01,2\n", "already given on line 2");
    expect_error("date,value\n", "no data rows");
    expect_error("", "empty file");
    EXPECT_THROW(import_external_csv(dir / "missing.csv", "s"), InputError);
}
