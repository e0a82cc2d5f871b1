// The live engine on PostgreSQL: a paper replay of a synthetic market gives exactly the SQLite
// result, and a session destroyed mid-way without a checkpoint (a crash) resumes to the result of
// an uninterrupted run, with no client order id sent or filled twice.
#include <random>

#include <gtest/gtest.h>

#include "live/live_session.hpp"
#include "support/live_helpers.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

constexpr int kDays = 90;
const LiveOptions kOptions = test::replay_options(12, kDays);

/// Runs the session to the end in one go; returns its id.
std::string run_uninterrupted(const std::string& spec) {
    auto store = open_market_store(spec);
    LiveSession s(store->database(), *store, kOptions, RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    while (s.step(0) != LiveSession::StepResult::Finished) {
    }
    return s.session_id();
}

} // namespace

TEST(LiveSessionPostgres, paper_replay_equals_the_sqlite_run) {
    AURUM_REQUIRE_POSTGRES(pg);
    test::TempDir dir;
    const std::string lite = (dir / "ref.db").string();
    test::seed_market(lite, kDays, 23);
    const std::string sid = run_uninterrupted(lite);
    const test::Final ref = test::final_state(lite, sid);
    ASSERT_EQ(ref.status, "complete");
    ASSERT_GT(ref.orders.size(), 6u);
    ASSERT_GT(ref.trades.size(), 2u);

    const std::string pgs = pg->fresh_database();
    test::seed_market(pgs, kDays, 23);
    EXPECT_EQ(run_uninterrupted(pgs), sid); // the session id depends on the options only
    test::expect_same_final(test::final_state(pgs, sid), ref, "postgres vs sqlite");
}

TEST(LiveSessionPostgres, crash_mid_replay_resumes_to_the_uninterrupted_result) {
    AURUM_REQUIRE_POSTGRES(pg);
    const std::string ref_db = pg->fresh_database();
    test::seed_market(ref_db, kDays, 23);
    const std::string sid = run_uninterrupted(ref_db);
    const test::Final ref = test::final_state(ref_db, sid);
    ASSERT_EQ(ref.status, "complete");
    ASSERT_GT(ref.orders.size(), 6u);

    std::mt19937 rng(4242);
    for (int trial = 0; trial < 3; ++trial) {
        const std::string spec = pg->fresh_database();
        test::seed_market(spec, kDays, 23);
        int crashes = 0, recoveries = 0;
        for (;;) {
            // A fresh connection per life, as a restarted process would open it.
            auto life = open_market_store(spec);
            LiveSession s(life->database(), *life, kOptions, RiskLimits{}, InstrumentRegistry(),
                          {});
            s.open(0, false, "");
            if (s.recovered())
                ++recoveries;
            const int budget = std::uniform_int_distribution<int>(1, 200)(rng);
            int k = 0;
            LiveSession::StepResult r = LiveSession::StepResult::Stepped;
            while (k < budget && (r = s.step(0)) != LiveSession::StepResult::Finished)
                ++k;
            if (r == LiveSession::StepResult::Finished)
                break;
            ++crashes; // destroyed without a checkpoint: the open transaction is lost
        }
        EXPECT_GT(crashes, 2) << "trial " << trial;
        EXPECT_GT(recoveries, 0) << "trial " << trial;
        const test::Final got = test::final_state(spec, sid);
        test::expect_same_final(got, ref, "trial " + std::to_string(trial));
        test::expect_unique_ids(got);
    }
}
