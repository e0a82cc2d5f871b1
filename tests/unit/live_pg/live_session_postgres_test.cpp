// The live engine on PostgreSQL: a paper replay of a synthetic market gives exactly the SQLite
// result, and a session destroyed mid-way without a checkpoint (a crash) resumes to the result of
// an uninterrupted run, with no client order id sent or filled twice.
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "data/synthetic_market.hpp"
#include "live/live_session.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

const TimeMs kStart = make_time(2023, 1, 1);
constexpr int kDays = 90;

std::unique_ptr<MarketStore> seeded_store(const std::string& spec) {
    auto store = open_market_store(spec);
    InstrumentRegistry reg;
    auto cfg = SynthConfig::defaults(reg, {"BTC/USDT", "ETH/USDT"}, Timeframe(4 * kMsPerHour),
                                     kStart, kDays, 23, false);
    for (const auto& s : generate_synthetic_market(cfg).series) store->upsert_bars(s);
    return store;
}

LiveOptions replay_options() {
    LiveOptions o;
    o.symbols = {"BTC/USDT", "ETH/USDT"};
    o.replay = true;
    o.replay_from = kStart + 12 * kMsPerDay;
    o.replay_to = kStart + kDays * kMsPerDay;
    o.warmup_bars = 60;
    o.strategy.name = "sma-cross";
    o.strategy.params = {{"fast", 3}, {"slow", 8}};
    o.strategy.sizing.fraction = 0.4;
    o.fill.fees.taker = 0.001;
    o.fill.slippage.fixed_bps = 5;
    return o;
}

struct Outcome {
    std::string status;
    double equity = 0, cash = 0, realized = 0, fees = 0;
    std::vector<std::string> orders;
    std::vector<std::string> fills;
    std::vector<std::string> trades;
    std::vector<std::pair<std::string, double>> positions;
};

Outcome outcome_of(Database& db, const std::string& sid) {
    StateStore st(db);
    Outcome o;
    o.status = st.session(sid) ? st.session(sid)->status : "";
    if (const auto snap = st.snapshot(sid)) {
        o.equity = snap->equity;
        o.cash = snap->cash;
        o.realized = snap->realized;
        o.fees = snap->fees;
    }
    for (const auto& r : st.orders(sid))
        o.orders.push_back(r.client_order_id + " " + r.side + " " + format_qty(r.qty) + " " +
                           r.status + " " + format_qty(r.filled_qty));
    for (const auto& r : st.reports(sid))
        if (r.kind == "fill")
            o.fills.push_back(r.client_order_id + "@" + std::to_string(r.price) + "x" +
                              std::to_string(r.qty));
    for (const auto& t : st.trades(sid))
        o.trades.push_back(t.symbol + " " + std::to_string(t.entry_time) + " " +
                           std::to_string(t.exit_time) + " " + std::to_string(t.pnl));
    for (const auto& p : st.positions(sid)) o.positions.emplace_back(p.symbol, p.qty);
    return o;
}

/// Runs the session to the end in one go; returns its id.
std::string run_uninterrupted(MarketStore& store) {
    LiveSession s(store.database(), store, replay_options(), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(0, false, "");
    while (s.step(0) != LiveSession::StepResult::Finished) {
    }
    return s.session_id();
}

void expect_same(const Outcome& got, const Outcome& ref, const std::string& what) {
    EXPECT_EQ(got.status, ref.status) << what;
    EXPECT_EQ(got.orders, ref.orders) << what;
    EXPECT_EQ(got.fills, ref.fills) << what;
    EXPECT_EQ(got.trades, ref.trades) << what;
    EXPECT_EQ(got.positions, ref.positions) << what;
    // Exact: PostgreSQL gets doubles in their shortest round-trip text form.
    EXPECT_EQ(got.equity, ref.equity) << what;
    EXPECT_EQ(got.cash, ref.cash) << what;
    EXPECT_EQ(got.realized, ref.realized) << what;
    EXPECT_EQ(got.fees, ref.fees) << what;
}

} // namespace

TEST(LiveSessionPostgres, paper_replay_equals_the_sqlite_run) {
    AURUM_REQUIRE_POSTGRES(pg);
    test::TempDir dir;
    auto lite = seeded_store((dir / "ref.db").string());
    const std::string sid = run_uninterrupted(*lite);
    const Outcome ref = outcome_of(lite->database(), sid);
    ASSERT_EQ(ref.status, "complete");
    ASSERT_GT(ref.orders.size(), 6u);
    ASSERT_GT(ref.trades.size(), 2u);

    auto pgs = seeded_store(pg->fresh_database());
    EXPECT_EQ(run_uninterrupted(*pgs), sid); // the session id depends on the options only
    expect_same(outcome_of(pgs->database(), sid), ref, "postgres vs sqlite");
}

TEST(LiveSessionPostgres, crash_mid_replay_resumes_to_the_uninterrupted_result) {
    AURUM_REQUIRE_POSTGRES(pg);
    auto ref_store = seeded_store(pg->fresh_database());
    const std::string sid = run_uninterrupted(*ref_store);
    const Outcome ref = outcome_of(ref_store->database(), sid);
    ASSERT_EQ(ref.status, "complete");
    ASSERT_GT(ref.orders.size(), 6u);

    std::mt19937 rng(4242);
    for (int trial = 0; trial < 3; ++trial) {
        const std::string spec = pg->fresh_database();
        auto store = seeded_store(spec);
        int crashes = 0, recoveries = 0;
        for (;;) {
            // A fresh connection per life, as a restarted process would open it.
            auto life = open_market_store(spec);
            LiveSession s(life->database(), *life, replay_options(), RiskLimits{},
                          InstrumentRegistry(), {});
            s.open(0, false, "");
            if (s.recovered()) ++recoveries;
            const int budget = std::uniform_int_distribution<int>(1, 200)(rng);
            int k = 0;
            LiveSession::StepResult r = LiveSession::StepResult::Stepped;
            while (k < budget && (r = s.step(0)) != LiveSession::StepResult::Finished) ++k;
            if (r == LiveSession::StepResult::Finished) break;
            ++crashes; // destroyed without a checkpoint: the open transaction is lost
        }
        EXPECT_GT(crashes, 2) << "trial " << trial;
        EXPECT_GT(recoveries, 0) << "trial " << trial;
        const Outcome got = outcome_of(store->database(), sid);
        expect_same(got, ref, "trial " + std::to_string(trial));
        std::set<std::string> ids, filled;
        for (const auto& o : got.orders) EXPECT_TRUE(ids.insert(o.substr(0, o.find(' '))).second) << o;
        for (const auto& f : got.fills)
            EXPECT_TRUE(filled.insert(f.substr(0, f.find('@'))).second) << "filled twice: " << f;
    }
}
