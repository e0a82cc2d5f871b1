// Live mode against the fake Binance spot exchange on 127.0.0.1: a real-time LiveSession driven
// with explicit wall times (the journal's client id reaches the exchange, fills and commissions
// reach the portfolio, a rejection reaches the journal with the exchange's words, a 5xx after
// acceptance never duplicates an order, a restart reconciles an order sent before the crash),
// and `aurum run --mode live` as a user runs it (refusals exit 2 and write nothing; the daemon
// connects, feeds itself candles from the exchange and stops on request).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/workspace.hpp"
#include "data/binance_market_data.hpp"
#include "live/control.hpp"
#include "live/live_session.hpp"
#include "live/state_store.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "integration/live_exchange/exchange_rig.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
namespace fs = std::filesystem;
using nlohmann::json;
using test::FakeBinance;
using test::FakeResponse;
using test::FakeSpotExchange;
using test::FakeSymbol;

namespace {

using test::Exchange;
using test::run_until_waiting;
const TimeMs kT0 = test::kLiveT0;
const Timeframe kTf = test::kLiveTf;

LiveOptions live_options(Exchange& x) {
    LiveOptions o = test::live_options_on(x);
    o.strategy.name = "sma-cross"; // not ready within the test: only manual orders trade
    o.strategy.params = {{"fast", 20}, {"slow", 50}};
    o.strategy.sizing.fraction = 0.3;
    return o;
}

json trade(LiveSession& s, TimeMs wall, const std::string& side, double amount) {
    const CommandOutcome o = s.execute(
        "trade", json{{"symbol", "BTC/USDT"}, {"side", side}, {"amount", amount}, {"reason", "t"}},
        wall);
    EXPECT_EQ(o.exit_code, 0) << o.message;
    return o.data;
}

} // namespace

TEST(LiveExchange, manual_buy_reaches_the_exchange_under_the_journal_id_and_fills_the_portfolio) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    LiveSession s(store->database(), *store, live_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(x.clock.now(), false, "");
    EXPECT_EQ(x.ex.signature_failures(), 0);
    // The session fed itself the warm-up candles from the exchange.
    EXPECT_GE(store->load_bars("BTC/USDT", kTf, TimeRange{kT0 - 10 * kMsPerHour, kT0}).size(), 10u);

    const TimeMs bar1 = kT0 + kMsPerHour + kMsPerMinute; // bar kT0 has closed
    x.at(bar1);
    run_until_waiting(s, bar1);
    ASSERT_EQ(s.last_bar(), kT0);
    // A 5xx once the exchange has the order: the client asks for it and never sends it twice.
    x.ex.fail_after_accept(FakeResponse::server_error(502));
    const json d = trade(s, bar1, "long", 0.05);
    const std::string cid = d.at("client_order_id").get<std::string>();
    EXPECT_TRUE(std::regex_match(cid, std::regex("AE[0-9a-f]{16}"))) << cid;
    const auto at_exchange = x.ex.order(cid);
    ASSERT_TRUE(at_exchange.has_value()) << "the exchange knows the journal's client order id";
    EXPECT_EQ(at_exchange->status, "FILLED");
    EXPECT_EQ(x.ex.posts_with_client_id(cid), 1);
    EXPECT_EQ(x.ex.orders_with_client_id(cid), 1);

    // The fill reaches the portfolio at the next step, like a paper fill at the next open.
    const TimeMs bar2 = bar1 + kMsPerHour;
    x.at(bar2);
    run_until_waiting(s, bar2);
    const Portfolio& pf = s.portfolio();
    EXPECT_NEAR(pf.position(0).qty, x.ex.balance("BTC"), 1e-12);
    EXPECT_NEAR(pf.position(0).qty, 0.05 * (1 - 0.001), 1e-12);
    EXPECT_NEAR(pf.cash(), x.ex.balance("USDT"), 1e-6) << "cash = the exchange's USDT";
    // The commission was 0.1% of the BTC bought; its value at the fill price is the fee.
    EXPECT_NEAR(pf.fees_paid(), 0.05 * 0.001 * x.ex.trades().at(0).price, 1e-6);
    StateStore st(store->database());
    const auto orders = st.orders(s.session_id());
    ASSERT_EQ(orders.size(), 1u);
    EXPECT_EQ(orders[0].client_order_id, cid);
    EXPECT_EQ(orders[0].status, "filled");
    EXPECT_EQ(x.ex.signature_failures(), 0);
}

TEST(LiveExchange, rejection_reaches_the_journal_with_the_exchange_message_and_no_position) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x(100); // the account holds 100 USDT, the session thinks 10000
    LiveSession s(store->database(), *store, live_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(x.clock.now(), false, "");
    const TimeMs bar1 = kT0 + kMsPerHour + kMsPerMinute;
    x.at(bar1);
    run_until_waiting(s, bar1);
    const std::string cid = trade(s, bar1, "long", 0.05).at("client_order_id");
    const TimeMs bar2 = bar1 + kMsPerHour;
    x.at(bar2);
    run_until_waiting(s, bar2);
    EXPECT_EQ(s.portfolio().position(0).qty, 0);
    EXPECT_DOUBLE_EQ(s.portfolio().cash(), 10000);
    StateStore st(store->database());
    const auto orders = st.orders(s.session_id());
    ASSERT_EQ(orders.size(), 1u);
    EXPECT_EQ(orders[0].status, "rejected");
    const auto note = st.order_note(cid);
    ASSERT_TRUE(note.has_value());
    EXPECT_NE(note->find("Account has insufficient balance for requested action."),
              std::string::npos)
        << *note;
    EXPECT_EQ(x.ex.orders_with_client_id(cid), 0);
}

TEST(LiveExchange, restart_after_a_crash_reconciles_the_sent_order_without_resending) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    const TimeMs bar1 = kT0 + kMsPerHour + kMsPerMinute;
    std::string cid_filled, cid_lost;
    {
        LiveSession s(store->database(), *store, live_options(x), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(x.clock.now(), false, "");
        x.at(bar1);
        run_until_waiting(s, bar1);
        // Sent and filled at the exchange; the fill never reached the journal (crash below).
        cid_filled = trade(s, bar1, "long", 0.05).at("client_order_id");
        // Journaled, then the exchange never got it (refused before processing, and asking
        // about it failed too): its outcome is unknown when the daemon dies.
        x.server.inject("/api/v3/order", FakeResponse::server_error(503), 4);
        cid_lost = trade(s, bar1, "long", 0.01).at("client_order_id");
        ASSERT_EQ(x.ex.orders_with_client_id(cid_lost), 0);
    } // kill: nothing more is written
    const int posts_before = x.ex.posts_with_client_id(cid_filled);
    ASSERT_EQ(posts_before, 1);

    const TimeMs bar2 = bar1 + kMsPerHour;
    x.at(bar2);
    LiveSession s(store->database(), *store, live_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(bar2, false, "");
    EXPECT_TRUE(s.recovered());
    run_until_waiting(s, bar2);
    // The filled order was adopted (its fill delivered), not sent again.
    EXPECT_EQ(x.ex.posts_with_client_id(cid_filled), 1);
    EXPECT_EQ(x.ex.orders_with_client_id(cid_filled), 1);
    // The lost one: the exchange said -2013, so it was sent now, once.
    EXPECT_EQ(x.ex.orders_with_client_id(cid_lost), 1);
    x.at(bar2 + kMsPerHour);
    run_until_waiting(s, bar2 + kMsPerHour);
    EXPECT_NEAR(s.portfolio().position(0).qty, x.ex.balance("BTC"), 1e-12);
    EXPECT_NEAR(s.portfolio().cash(), x.ex.balance("USDT"), 1e-6);
    StateStore st(store->database());
    for (const auto& o : st.orders(s.session_id()))
        EXPECT_EQ(o.status, "filled") << o.client_order_id;
    // Each journaled id reached the exchange as exactly one order.
    EXPECT_EQ(x.ex.orders().size(), 2u);
}

// --- the CLI -----------------------------------------------------------------------------------

namespace {

using test::slurp;

using test::spawn_aurum;

void write_secret(const fs::path& home, const std::string& secret, int mode = 0600) {
    const fs::path f = home / "secrets" / "binance.json";
    test::write_text(f, json{{"api_key", "live-key"}, {"api_secret", secret}}.dump());
    ::chmod(f.c_str(), mode);
}

std::vector<std::string> live_args(const fs::path& home, const std::string& url) {
    return {
        "--home",         home.string(), "run",       "--mode",   "live",        "--confirm-live",
        "--exchange-url", url,           "--symbols", "BTC/USDT", "--timeframe", "1h",
        "--capital",      "1000"};
}

} // namespace

TEST(LiveExchangeCli, refusals_exit_2_with_a_clear_message_and_write_nothing) {
    ::unsetenv("AURUM_BINANCE_API_KEY");
    ::unsetenv("AURUM_BINANCE_API_SECRET");
    test::TempDir home;
    struct Case {
        std::vector<std::string> drop_or_add;
        std::string secret;
        int mode;
        std::string expect;
    };
    const std::string url = "http://127.0.0.1:9"; // nothing may be contacted before refusing
    auto no_confirm = live_args(home.path(), url);
    no_confirm.erase(std::find(no_confirm.begin(), no_confirm.end(), "--confirm-live"));
    auto gold = live_args(home.path(), url);
    gold[std::find(gold.begin(), gold.end(), "BTC/USDT") - gold.begin()] = "XAUUSD";

    write_secret(home.path(), "live-secret");
    auto r = test::run_aurum(no_confirm);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--confirm-live"), std::string::npos) << r.err;
    r = test::run_aurum(gold);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("MetaTrader 5"), std::string::npos) << r.err;
    // Live protective stops are stop-limits at the exchange: a zero limit offset is refused.
    auto stops = live_args(home.path(), url);
    stops.insert(stops.end(), {"--param", "stop-loss=0.05"});
    test::write_text(home / "config" / "live.yaml", "live:\n  stop_limit_offset: 0\n");
    r = test::run_aurum(stops);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("needs live.stop_limit_offset > 0"), std::string::npos) << r.err;
    test::write_text(home / "config" / "live.yaml", "live:\n  stop_limit_offset: 0.5\n");
    r = test::run_aurum(stops);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("stop_limit_offset"), std::string::npos) << r.err;
    fs::remove(home / "config" / "live.yaml");
    auto model = live_args(home.path(), url);
    model.insert(model.end(), {"--strategy", "model", "--param", "stop-loss=0.05"});
    r = test::run_aurum(model);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("are for the rule strategies"), std::string::npos) << r.err;
    write_secret(home.path(), "live-secret", 0644);
    r = test::run_aurum(live_args(home.path(), url));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
    fs::remove(home / "secrets" / "binance.json");
    r = test::run_aurum(live_args(home.path(), url));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("credentials"), std::string::npos) << r.err;
    auto paper = live_args(home.path(), url);
    paper[std::find(paper.begin(), paper.end(), "live") - paper.begin()] = "paper";
    r = test::run_aurum(paper);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("are for --mode live or --feed exchange"), std::string::npos) << r.err;
    auto feed_live = live_args(home.path(), url);
    feed_live.insert(feed_live.end(), {"--feed", "exchange"});
    r = test::run_aurum(feed_live);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--feed exchange is for --mode paper"), std::string::npos) << r.err;
    auto feed_what = paper;
    feed_what.insert(feed_what.end(), {"--feed", "binance-ws"});
    r = test::run_aurum(feed_what);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--feed must be 'exchange', got 'binance-ws'"), std::string::npos) << r.err;
    auto bad_ws = live_args(home.path(), url);
    bad_ws.insert(bad_ws.end(), {"--stream-url", "http://127.0.0.1:9"});
    r = test::run_aurum(bad_ws);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("scheme must be ws:// or wss://"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(home / "data" / "aurum.db")) << "nothing written";
}

TEST(LiveExchangeCli, wrong_secret_is_refused_by_the_exchange_and_no_session_starts) {
    SystemClock wall;
    FakeBinance server(wall);
    FakeSpotExchange ex(server, wall, "live-key", "live-secret");
    ex.list(FakeSymbol{}, 30000);
    test::TempDir home;
    write_secret(home.path(), "not-the-secret");
    const auto r = test::run_aurum(live_args(home.path(), server.base_url()));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("Signature for this request is not valid"), std::string::npos) << r.err;
    EXPECT_GE(ex.signature_failures(), 1);
    if (fs::exists(home / "data" / "aurum.db")) {
        auto store = open_market_store((home / "data" / "aurum.db").string());
        EXPECT_FALSE(StateStore(store->database()).latest_session().has_value());
    }
}

TEST(LiveExchangeCli, daemon_connects_feeds_itself_and_stops_on_request) {
    SystemClock wall;
    FakeBinance server(wall);
    server.add_symbol("BTCUSDT", wall.now() - 30 * kMsPerDay, 30000);
    FakeSpotExchange ex(server, wall, "live-key", "live-secret");
    ex.list(FakeSymbol{}, 30000);
    ex.set_balance("USDT", 1000);
    test::TempDir home;
    write_secret(home.path(), "live-secret");
    const pid_t pid = spawn_aurum(live_args(home.path(), server.base_url()), home / "daemon.log");
    std::optional<DaemonInfo> info;
    test::wait_until([&] {
        info = read_daemon_info(Workspace(home.path()));
        return info && info->pid == pid;
    });
    ASSERT_TRUE(info && info->pid == pid) << slurp(home / "daemon.log");
    EXPECT_EQ(info->mode, "live");
    // Connected with a valid signature; the warm-up candles came from the exchange.
    EXPECT_EQ(ex.signature_failures(), 0);
    EXPECT_GE(server.request_count("/api/v3/account"), 1);
    EXPECT_GE(server.request_count("/api/v3/exchangeInfo"), 1);
    {
        auto store = open_market_store((home / "data" / "aurum.db").string());
        EXPECT_GE(store->load_bars("BTC/USDT", kTf, TimeRange{0, INT64_MAX}).size(), 200u);
    }
    const auto status = test::run_aurum({"--home", home.path().string(), "--json", "status"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_NE(status.out.find("live-"), std::string::npos) << status.out;
    int st = 0;
    const test::CliResult stop = test::stop_daemon(home.path(), pid, &st);
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << slurp(home / "daemon.log");
}

TEST(LiveExchange, another_exchange_or_key_is_another_session) {
    Exchange x;
    LiveOptions a = live_options(x);
    LiveOptions b = a;
    b.venue.base_url = "http://127.0.0.1:2";
    LiveOptions c = a;
    c.venue.credentials->api_key = "other-key";
    EXPECT_NE(a.session_id(), b.session_id());
    EXPECT_NE(a.session_id(), c.session_id());
    LiveOptions paper = a;
    paper.mode = "paper";
    LiveOptions paper2 = paper;
    paper2.venue = LiveVenueOptions{};
    EXPECT_EQ(paper.session_id(), paper2.session_id()) << "paper ids do not depend on a venue";
}

// `aurum exchange check` (issue 17 item 7): everything a first live start needs, asked of the
// exchange read-only.
TEST(LiveExchangeCli, exchange_check_reports_keys_clock_filters_balances_and_limits_and_sends_no_order) {
    SystemClock wall;
    FakeBinance server(wall);
    FakeSpotExchange ex(server, wall, "live-key", "live-secret");
    ex.list(FakeSymbol{}, 30000);
    ex.set_balance("USDT", 1000);
    test::TempDir home;
    write_secret(home.path(), "live-secret");
    const std::vector<std::string> args = {"--home", home.path().string(), "exchange", "check",
                                           "--exchange-url", server.base_url(), "--symbols",
                                           "BTC/USDT"};
    auto r = test::run_aurum(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const char* want : {"PASS  clock", "PASS  API key      accepted; the SPOT account can trade; "
                                            "commission maker 0.1000 % taker 0.1000 %",
                             "PASS  BTCUSDT      TRADING: tick 0.01, lot 1e-05 (min 1e-05), min notional 5 USDT",
                             "PASS  balances     USDT 1000 free, 0 locked", "of 6000 used this minute",
                             "PASS  order limits new orders 50 per 10 SECOND, 160000 per 1 DAY",
                             "WARN  streams      off: candles and fills over REST only",
                             "Ready for `aurum run --mode live --confirm-live`"})
        EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
    EXPECT_TRUE(ex.orders().empty()) << "a check sends no order";
    EXPECT_EQ(server.request_count("/api/v3/order"), 0);

    // A key without the trading permission: FAIL, exit 1.
    ex.set_can_trade(false);
    r = test::run_aurum(args);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("FAIL  API key"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Not ready for --mode live"), std::string::npos) << r.out;

    // The check itself cannot run: no credentials, a symbol the exchange does not list, a bad
    // URL: exit 2 naming it.
    auto listed = args;
    listed.back() = "ETH/USDT";
    r = test::run_aurum(listed);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("rejected the symbols [\"ETHUSDT\"]"), std::string::npos) << r.err;
    auto bad_url = args;
    bad_url[5] = "ftp://127.0.0.1:1";
    r = test::run_aurum(bad_url);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("ftp://127.0.0.1:1"), std::string::npos) << r.err;
    fs::remove(home / "secrets" / "binance.json");
    r = test::run_aurum(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("credentials"), std::string::npos) << r.err;
}
