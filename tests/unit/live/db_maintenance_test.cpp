// `db maintain` on a copy of a database: no row retention keeps is lost, every archived row is in
// the archive file, a failure mid-way leaves the database unchanged, a dry run changes nothing.
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "core/error.hpp"
#include "live/db_maintenance.hpp"
#include "live/state_store.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

const TimeMs kNow = make_time(2026, 6, 1, 3);

/// A workspace database with 2 years of daily equity, predictions, audit rows and orders.
void fill(const std::string& path) {
    auto db = open_database(path);
    StateStore store(*db);
    Transaction tx(*db);
    for (int d = 0; d < 730; ++d) {
        const TimeMs t = kNow - static_cast<TimeMs>(d) * kMsPerDay - kMsPerHour;
        const std::vector<SqlValue> eq{SqlValue{std::string("s1")}, SqlValue{t},
                                       SqlValue{10000.0 + d}, SqlValue{5000.0}};
        db->exec("INSERT INTO live_equity (session_id, time, equity, cash) VALUES ($1,$2,$3,$4)", eq);
        const std::vector<SqlValue> pr{SqlValue{std::string("s1")}, SqlValue{t},
                                       SqlValue{std::string("BTC/USDT")}, SqlValue{0.5 + d * 1e-4},
                                       SqlValue{std::string("[\"rsi\"]")}};
        db->exec("INSERT INTO live_predictions (session_id, time, symbol, value, top_features) "
                 "VALUES ($1,$2,$3,$4,$5)",
                 pr);
        const std::vector<SqlValue> au{SqlValue{static_cast<std::int64_t>(d)}, SqlValue{t},
                                       SqlValue{std::string("pause")}, SqlValue{std::string("r")},
                                       SqlValue{std::string("{}")}, SqlValue{std::string("ok")}};
        db->exec("INSERT INTO live_audit (id, time, action, reason, details, result) VALUES "
                 "($1,$2,$3,$4,$5,$6)",
                 au);
        const std::vector<SqlValue> od{SqlValue{"o" + std::to_string(d)}, SqlValue{t}, SqlValue{t}};
        db->exec("INSERT INTO live_orders VALUES ($1,'s1','BTC/USDT','buy','market',1,0,0,$2,$3,"
                 "'model','filled',1,100)",
                 od);
    }
    tx.commit();
}

std::set<TimeMs> times(Database& db, const std::string& table) {
    std::set<TimeMs> out;
    for (const SqlRow& r : db.query("SELECT time FROM " + table)) out.insert(r.as_int(0));
    return out;
}

std::vector<nlohmann::json> read_gz_lines(const std::string& path) {
    std::vector<nlohmann::json> out;
    gzFile f = gzopen(path.c_str(), "rb");
    EXPECT_NE(f, nullptr) << path;
    if (!f) return out;
    std::string line;
    char buf[4096];
    while (gzgets(f, buf, sizeof buf)) {
        line += buf;
        if (!line.empty() && line.back() == '\n') {
            out.push_back(nlohmann::json::parse(line));
            line.clear();
        }
    }
    gzclose(f);
    return out;
}

MaintenanceRequest request(const test::TempDir& tmp) {
    MaintenanceRequest rq;
    rq.config = MaintenanceConfig::load("/nonexistent"); // the shipped defaults
    rq.config.retention_days["live_equity"] = 90;
    rq.now = kNow;
    rq.archive_dir = (tmp / "archive").string();
    return rq;
}

TEST(DbMaintenance, archives_beyond_retention_and_keeps_every_row_retention_keeps) {
    test::TempDir tmp;
    const std::string original = (tmp / "orig.db").string(), copy = (tmp / "copy.db").string();
    fill(original);
    std::filesystem::copy_file(original, copy);
    auto before_db = open_database(original);
    auto db = open_database(copy);
    const MaintenanceResult r = run_db_maintenance(*db, request(tmp));
    ASSERT_FALSE(r.archive_file.empty());
    EXPECT_TRUE(r.vacuumed);
    const auto archived = read_gz_lines(r.archive_file);

    std::map<std::string, std::set<TimeMs>> in_archive;
    for (const auto& line : archived)
        in_archive[line["table"].get<std::string>()].insert(line["row"]["time"].get<TimeMs>());
    std::int64_t total = 0;
    for (const TableOutcome& t : r.tables) {
        const std::set<TimeMs> old_rows = times(*before_db, t.table), kept = times(*db, t.table);
        std::int64_t expect_gone = 0;
        for (TimeMs x : old_rows) {
            if (x >= t.cutoff) {
                EXPECT_TRUE(kept.count(x)) << t.table << ": lost a row retention keeps";
            } else {
                ++expect_gone;
                EXPECT_FALSE(kept.count(x)) << t.table << " kept an archived row";
                EXPECT_TRUE(in_archive[t.table].count(x)) << t.table << " row not in the archive";
            }
        }
        EXPECT_EQ(t.archived, expect_gone) << t.table;
        total += t.archived;
    }
    EXPECT_EQ(static_cast<std::int64_t>(archived.size()), total);
    // 90 days of equity kept, 180 of predictions, 730 of audit: something went, something stayed.
    EXPECT_EQ(times(*db, "live_equity").size(), 90u);
    EXPECT_EQ(times(*db, "live_predictions").size(), 180u);
    EXPECT_EQ(times(*db, "live_audit").size(), 730u);
    // The journal a restart replays is never touched.
    EXPECT_EQ(db->query_one("SELECT COUNT(*) FROM live_orders")->as_int(0), 730);
    // A whole archived row round-trips.
    for (const auto& line : archived)
        if (line["table"] == "live_equity") {
            EXPECT_EQ(line["row"]["session_id"], "s1");
            EXPECT_TRUE(line["row"]["equity"].is_number());
            break;
        }
    EXPECT_LT(r.bytes_after, r.bytes_before);
}

TEST(DbMaintenance, a_failure_midway_leaves_the_database_unchanged) {
    test::TempDir tmp;
    const std::string path = (tmp / "copy.db").string();
    fill(path);
    MaintenanceRequest rq = request(tmp);
    auto db = open_database(path);
    // Tables go in name order: live_equity's rows are archived and deleted, then deleting from
    // live_predictions fails. The transaction must roll the equity deletions back.
    db->exec("CREATE TRIGGER fail_midway BEFORE DELETE ON live_predictions "
             "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    const auto eq = times(*db, "live_equity"), pr = times(*db, "live_predictions");
    try {
        run_db_maintenance(*db, rq);
        FAIL() << "the injected failure did not surface";
    } catch (const SystemError& e) {
        EXPECT_NE(std::string(e.what()).find("injected failure"), std::string::npos) << e.what();
    }
    EXPECT_EQ(times(*db, "live_equity"), eq);
    EXPECT_EQ(times(*db, "live_predictions"), pr);
    for (const auto& f : std::filesystem::directory_iterator(rq.archive_dir))
        ADD_FAILURE() << "an archive was left behind: " << f.path();
    db->exec("DROP TRIGGER fail_midway");
    // And the database still works: the next run succeeds.
    EXPECT_NO_THROW(run_db_maintenance(*db, rq));
    EXPECT_EQ(times(*db, "live_equity").size(), 90u);
}

TEST(DbMaintenance, dry_run_and_archive_before_and_plain_jsonl) {
    test::TempDir tmp;
    const std::string path = (tmp / "copy.db").string();
    fill(path);
    auto db = open_database(path);
    MaintenanceRequest rq = request(tmp);
    rq.dry_run = true;
    const MaintenanceResult dry = run_db_maintenance(*db, rq);
    EXPECT_TRUE(dry.archive_file.empty());
    EXPECT_EQ(times(*db, "live_equity").size(), 730u);
    EXPECT_FALSE(std::filesystem::exists(rq.archive_dir));
    for (const auto& t : dry.tables)
        if (t.table == "live_equity") {
            EXPECT_EQ(t.archived, 640);
        }

    rq.dry_run = false;
    rq.archive_before = kNow - 10 * kMsPerDay;
    rq.config.gzip = false;
    const MaintenanceResult r = run_db_maintenance(*db, rq);
    EXPECT_EQ(times(*db, "live_audit").size(), 10u);
    std::ifstream in(r.archive_file);
    std::string line;
    std::int64_t n = 0;
    while (std::getline(in, line)) ++n;
    EXPECT_EQ(n, 3 * 720);
}

TEST(DbMaintenance, retention_text_and_config_errors_name_the_value) {
    EXPECT_EQ(parse_retention("live_equity=30,live_audit=400", "--retention").at("live_audit"), 400);
    for (const char* bad : {"live_orders=30", "live_equity", "live_equity=0", "live_equity=3x"}) {
        try {
            parse_retention(bad, "--retention");
            FAIL() << bad;
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("--retention"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(MaintenanceConfig::from_node(ConfigNode::parse(
                     "retention_days:\n  live_sessions: 3\n", "db_maintenance.yaml")),
                 InputError);
    const auto shipped = MaintenanceConfig::load(
        (std::filesystem::path(AURUM_SOURCE_DIR) / "config" / "db_maintenance.yaml").string());
    EXPECT_EQ(shipped.retention_days, MaintenanceConfig::load("/nonexistent").retention_days);
}

} // namespace
} // namespace aurum
