// `aurum monitor divergence`: a paper session replayed through the same engine stack with no
// manual command matches trade for trade; a manual trade in the middle of a session makes the
// trades after it differ, and each difference names the manual order as its reason.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live/live_session.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

/// A finished paper replay of synthetic BTC/ETH 4h (2023-02-01 to 2023-03-01) in a workspace;
/// with `manual_at` > 0, a manual BTC buy after that many steps (warm-up steps included).
std::string replay_session(const std::filesystem::path& home, int manual_at) {
    test::seed_workspace(home, 70);
    // The daemon's settings the session ran with (what divergence rebuilds it from).
    test::write_text(home / "config" / "live.yaml", "live:\n  warmup_bars: 60\n");
    auto store = open_market_store(test::home_db(home));
    LiveOptions o = test::replay_options(31, 59);
    LiveSession s(store->database(), *store, o, RiskLimits{}, InstrumentRegistry(),
                  home / "config" / "risk.yaml");
    s.open(0, false, "");
    for (int n = 0; s.step(n) != LiveSession::StepResult::Finished; ++n) {
        if (n + 1 != manual_at) continue;
        Command c;
        c.kind = CommandKind::Trade;
        c.symbol = "BTC/USDT";
        c.side = TradeSide::Long;
        c.amount = 0.02;
        c.reason = "divergence test";
        const CommandOutcome out = s.execute(c, n);
        EXPECT_EQ(out.exit_code, 0) << out.message;
    }
    s.checkpoint(0);
    return s.session_id();
}

json divergence(const std::filesystem::path& home, int expect_exit) {
    const auto r = test::run_aurum({"--home", home.string(), "--json", "monitor", "divergence"});
    EXPECT_EQ(r.exit_code, expect_exit) << r.err << r.out;
    return json::parse(r.out);
}

} // namespace

TEST(Divergence, a_session_without_intervention_matches_its_replay_trade_for_trade) {
    test::TempDir home;
    const std::string id = replay_session(home.path(), 0);
    const json d = divergence(home.path(), 0);
    EXPECT_EQ(d["session"], id);
    EXPECT_TRUE(d["settings_confirmed"].get<bool>()) << d["note"];
    ASSERT_GT(d["session_trades"].get<std::size_t>(), 3u);
    EXPECT_EQ(d["matched"], d["session_trades"]);
    EXPECT_EQ(d["replay_trades"], d["session_trades"]);
    EXPECT_TRUE(d["differences"].empty());
}

TEST(Divergence, a_manual_trade_makes_later_trades_differ_and_is_named) {
    test::TempDir home;
    replay_session(home.path(), 120); // 60 warm-up steps, then 60 tradable bars
    const json d = divergence(home.path(), 1);
    EXPECT_TRUE(d["settings_confirmed"].get<bool>()) << d["note"];
    ASSERT_FALSE(d["differences"].empty());
    EXPECT_GT(d["matched"].get<std::size_t>(), 0u) << "trades before the manual one are identical";
    // The manual trade came after step 60 (bar 2023-02-01 + 60 x 4h = 2023-02-11): nothing differs
    // before it, and the BTC differences name the manual order.
    const TimeMs manual_bar = make_time(2023, 2, 1) + 59 * 4 * kMsPerHour;
    bool named = false;
    for (const auto& x : d["differences"]) {
        EXPECT_GE(x["entry_time"].get<TimeMs>() + 4 * kMsPerHour, manual_bar) << x.dump();
        if (x["symbol"] == "BTC/USDT")
            named = named || x["reason"].get<std::string>().find("manual order buy") != std::string::npos;
    }
    EXPECT_TRUE(named) << d.dump(2);
}
