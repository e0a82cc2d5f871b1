// The exchange's market stream as the clock of real-time sessions (live and paper with --feed
// exchange), against the fake exchange's REST and WebSocket sides on 127.0.0.1: a closed kline on
// the stream is stored and acted on without asking REST; a skipped kline, a silent stream and a
// reconnect are filled in over REST, so the bars the session trades are exactly the exchange's.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/workspace.hpp"
#include "live/control.hpp"
#include "live/live_session.hpp"
#include "live/state_store.hpp"
#include "integration/live_exchange/exchange_rig.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/fake_binance_ws.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

const TimeMs kT0 = make_time(2024, 6, 3);
const Timeframe kTf(kMsPerHour);

struct Venue {
    SimulatedClock clock{kT0 + 30 * kMsPerMinute};
    test::FakeBinance rest{clock};
    test::FakeSpotExchange ex{rest, clock, "live-key", "live-secret"};
    test::FakeBinanceWs ws{clock, &ex, "live-key", "live-secret"};
    test::RecordingSleeper sleeper{};
    std::atomic<int> wakes{0};

    Venue() {
        rest.add_symbol("BTCUSDT", kT0 - 30 * kMsPerDay, 30000);
        rest.add_symbol("ETHUSDT", kT0 - 30 * kMsPerDay, 2000);
        ex.list(test::FakeSymbol{}, 30000);
        test::FakeSymbol eth;
        eth.symbol = "ETHUSDT", eth.base = "ETH";
        ex.list(eth, 2000);
        ex.set_balance("USDT", 10000);
    }
    /// The candle opening at `open` closes now: the clock moves past it, REST would serve it and
    /// the stream announces it (unless `stream` is false: a lost message).
    void close_bar(TimeMs open, bool stream = true) {
        clock.set(open + kTf.ms() + 200);
        const Bar b = rest.generated_bar("BTCUSDT", kTf, open);
        ex.set_price("BTCUSDT", b.close);
        if (stream) ws.push_kline("BTCUSDT", kTf, b, true);
    }
    LiveOptions options(const std::string& mode) {
        LiveOptions o;
        o.mode = mode;
        o.exchange_feed = mode == "paper";
        o.symbols = {"BTC/USDT"};
        o.timeframe = kTf;
        o.capital = 10000;
        o.warmup_bars = 10;
        o.strategy.name = "sma-cross";
        o.strategy.params = {{"fast", 3}, {"slow", 8}};
        o.strategy.sizing.fraction = 0.3;
        o.venue.base_url = rest.base_url();
        o.venue.stream_url = ws.stream_url();
        if (mode == "live") o.venue.credentials = BinanceCredentials{"live-key", "live-secret", "t"};
        o.venue.clock = &clock;
        o.venue.sleeper = sleeper;
        o.venue.stream_tuning.reconnect_min_ms = 20;
        o.venue.stream_tuning.idle_timeout_ms = 600;
        o.venue.wake = [this] { ++wakes; };
        return o;
    }
};

/// Steps until the session waits for the next bar.
void run_until_waiting(LiveSession& s, TimeMs wall) {
    while (s.step(wall) == LiveSession::StepResult::Stepped) {
    }
}

/// Waits for the stream's candle, then lets the session take it.
void take_streamed(LiveSession& s) {
    ASSERT_TRUE(test::wait_until([&] { return s.feed_ready(); }, std::chrono::seconds(30)));
    s.poll_store();
}

/// A session of `mode` on the venue's streams: opened, connected, its warm-up stepped.
struct Streamed {
    test::TempDir dir;
    std::unique_ptr<MarketStore> store = open_market_store((dir / "a.db").string());
    Venue v;
    std::unique_ptr<LiveSession> session;

    explicit Streamed(const std::string& mode, const std::vector<std::string>& symbols = {"BTC/USDT"}) {
        LiveOptions o = v.options(mode);
        o.symbols = symbols;
        session = std::make_unique<LiveSession>(store->database(), *store, o, RiskLimits{},
                                                InstrumentRegistry(), std::filesystem::path{});
        session->open(v.clock.now(), false, "");
        EXPECT_TRUE(test::wait_until([&] { return v.ws.market_connections() == 1; }));
        take_streamed(*session); // the connect's resync: REST once more
        run_until_waiting(*session, v.clock.now());
    }
    ~Streamed() { session->stop_feed(); }
    /// The stored closes of `symbol` from kT0 on, against the exchange's candles.
    void expect_exchange_bars(const std::string& symbol, const std::string& exchange_symbol,
                              std::size_t bars) {
        const BarSeries got =
            store->load_bars(symbol, kTf, TimeRange{kT0, kT0 + static_cast<TimeMs>(bars) * kTf.ms()});
        ASSERT_EQ(got.size(), bars);
        for (std::size_t i = 0; i < got.size(); ++i) {
            const Bar want = v.rest.generated_bar(exchange_symbol, kTf, got.time[i]);
            EXPECT_DOUBLE_EQ(got.close[i], want.close);
            EXPECT_DOUBLE_EQ(got.volume[i], want.volume);
        }
    }
};

class StreamedSession : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamedSession, ClosedKlineOnTheStreamIsTradedWithoutAskingRest) {
    Streamed x(GetParam());
    Venue& v = x.v;
    LiveSession& s = *x.session;
    ASSERT_TRUE(s.feed() && s.feed()->streaming());

    for (int k = 0; k < 6; ++k) {
        const TimeMs open = kT0 + k * kTf.ms();
        const int klines_before = v.rest.request_count("/api/v3/klines");
        v.close_bar(open);
        take_streamed(s);
        EXPECT_EQ(v.rest.request_count("/api/v3/klines"), klines_before) << "bar " << k;
        run_until_waiting(s, v.clock.now());
        EXPECT_EQ(s.last_bar(), open);
    }
    // What the session traded on is exactly the exchange's candles.
    x.expect_exchange_bars("BTC/USDT", "BTCUSDT", 6);
    EXPECT_EQ(s.feed()->stats().streamed, 6);
    EXPECT_GE(v.wakes.load(), 7);
}

TEST_P(StreamedSession, LostSilentOrDroppedStreamsAreFilledInOverRest) {
    Streamed x(GetParam());
    Venue& v = x.v;
    LiveSession& s = *x.session;

    // 1. A lost kline message: the next one reveals the gap, REST fills it first.
    v.close_bar(kT0, false);
    v.close_bar(kT0 + kTf.ms());
    take_streamed(s);
    run_until_waiting(s, v.clock.now());
    EXPECT_EQ(s.last_bar(), kT0 + kTf.ms());
    EXPECT_EQ(s.feed()->stats().gaps, 1);

    // 2. The stream stays silent past a close: the late check asks REST.
    v.close_bar(kT0 + 2 * kTf.ms(), false);
    v.clock.advance(4000); // past the grace after the close
    s.poll_store();
    run_until_waiting(s, v.clock.now());
    EXPECT_EQ(s.last_bar(), kT0 + 2 * kTf.ms());
    EXPECT_GE(s.feed()->stats().late, 1);

    // 3. The connection drops while a candle closes: the reconnect's resync brings it.
    v.ws.drop_all();
    v.close_bar(kT0 + 3 * kTf.ms(), false);
    ASSERT_TRUE(test::wait_until([&] { return v.ws.accepted() >= 2 && s.feed_ready(); }));
    s.poll_store();
    run_until_waiting(s, v.clock.now());
    EXPECT_EQ(s.last_bar(), kT0 + 3 * kTf.ms());

    x.expect_exchange_bars("BTC/USDT", "BTCUSDT", 4);
}

TEST(StreamedSessionTwoSymbols, ABarIsSteppedOnceWhenAllItsKlinesHaveCome) {
    Streamed x("paper", {"BTC/USDT", "ETH/USDT"});
    Venue& v = x.v;
    LiveSession& s = *x.session;
    const auto steps = s.steps();
    v.close_bar(kT0); // BTC's kline only: the engine is not woken for half a bar
    ASSERT_TRUE(test::wait_until([&] { return s.feed()->stream()->stats().klines_closed == 1; }));
    EXPECT_FALSE(s.feed_ready());
    s.poll_store(); // even when it looks (the daemon does every 5 s), the step waits for ETH
    run_until_waiting(s, v.clock.now());
    EXPECT_EQ(s.steps(), steps) << "the step waits for ETH's kline";
    v.ws.push_kline("ETHUSDT", kTf, v.rest.generated_bar("ETHUSDT", kTf, kT0), true);
    take_streamed(s);
    run_until_waiting(s, v.clock.now());
    EXPECT_EQ(s.steps(), steps + 1) << "one step with both symbols";
    EXPECT_EQ(s.last_bar(), kT0);
    // A kline that never comes holds the other symbol back only for the grace: REST brings it.
    v.close_bar(kT0 + kTf.ms());
    ASSERT_TRUE(test::wait_until([&] { return s.feed()->stream()->stats().klines_closed == 3; }));
    s.poll_store();
    run_until_waiting(s, v.clock.now());
    EXPECT_EQ(s.steps(), steps + 1);
    v.clock.advance(5000);
    s.poll_store();
    run_until_waiting(s, v.clock.now());
    EXPECT_EQ(s.steps(), steps + 2);
    x.expect_exchange_bars("ETH/USDT", "ETHUSDT", 2);
}

TEST(StreamedSessionWarmUp, AHandTradeBeforeTheFirstBarCloseIsRefusedSayingWhen) {
    Streamed x("live");
    Venue& v = x.v;
    LiveSession& s = *x.session; // its warm-up stepped, its first bar not closed yet
    const CommandOutcome o = s.execute(
        "trade",
        nlohmann::json{{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", 0.01}, {"reason", "t"}},
        v.clock.now());
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_NE(o.message.find("trades from its first bar close at 2024-06-03 01:00"), std::string::npos)
        << o.message;
    EXPECT_EQ(v.rest.request_count("/api/v3/order"), 0) << "nothing sent";
}

/// Fills on the user data stream: a live buy-and-hold with a 2 % exchange-side stop, opened on
/// `store` (or recovered from it), connected, stepped up to the last closed bar.
std::unique_ptr<LiveSession> open_on_streams(Venue& v, MarketStore& store) {
    LiveOptions o = v.options("live");
    o.strategy.name = "buy-hold";
    o.strategy.params = {{"stop-loss", 0.02}};
    o.strategy.sizing.fraction = 0.2;
    o.fill.stop_limit_offset = 0.005;
    o.venue.ws_api_url = v.ws.ws_api_url();
    auto s = std::make_unique<LiveSession>(store.database(), store, o, RiskLimits{},
                                           InstrumentRegistry(), std::filesystem::path{});
    s->open(v.clock.now(), false, "");
    EXPECT_TRUE(test::wait_until([&] {
        return v.ws.market_connections() == 1 && v.ws.user_subscriptions() == 1;
    }));
    take_streamed(*s);
    run_until_waiting(*s, v.clock.now());
    return s;
}

/// The session's first bar closes on the stream and is traded: the entry and its stop go out.
void enter(Venue& v, LiveSession& s) {
    v.close_bar(kT0);
    take_streamed(s);
    run_until_waiting(s, v.clock.now());
}

/// The market falls through the session's stop in the middle of the next bar: the exchange
/// fills it and reports the fill on the user data stream. Returns the stop's trigger.
double stop_fires_between_bars(Venue& v) {
    const auto stops = test::open_stops(v.ex);
    EXPECT_EQ(stops.size(), 1u);
    if (stops.empty()) return 0;
    v.clock.set(kT0 + kTf.ms() + 20 * kMsPerMinute);
    v.ex.set_price("BTCUSDT", stops[0].stop_price * 0.97);
    EXPECT_TRUE(test::open_stops(v.ex).empty());
    return stops[0].stop_price;
}

constexpr double kLotStep = 0.00001; // FakeSymbol's LOT_SIZE

TEST(StreamedFills, AStopFilledBetweenBarsIsBookedWhenItsReportArrivesAndReplayedAfterARestart) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Venue v;
    std::string sid;
    double stop_price = 0;
    {
        auto s = open_on_streams(v, *store);
        enter(v, *s);
        ASSERT_GT(s->portfolio().position(0).qty, 0.01);
        const double stop = stop_fires_between_bars(v);
        ASSERT_TRUE(test::wait_until([&] {
            s->book_streamed_fills(v.clock.now()); // what the daemon does when the stream wakes it
            return s->portfolio().position(0).qty < kLotStep;
        })) << "the stop's fill is booked between bars";
        EXPECT_EQ(s->last_bar(), kT0) << "no bar has closed since the entry";
        EXPECT_NEAR(s->portfolio().cash(), v.ex.balance("USDT"), 1e-6);
        stop_price = stop;
        sid = s->session_id();
        s->stop_feed();
    } // killed
    StateStore st(store->database());
    int stop_fills = 0;
    for (const auto& r : st.reports(sid))
        if (r.kind == "fill" && r.side == "sell") {
            ++stop_fills;
            EXPECT_EQ(r.bar_time, kT0);
            EXPECT_GE(r.seq, kAfterSendSeq) << "journaled in the entry step's after-send phase";
            EXPECT_DOUBLE_EQ(r.price, stop_price);
        }
    EXPECT_EQ(stop_fills, 1);
    // The restart re-runs it where it was booked: no divergence, flat, nothing sent again.
    auto s = open_on_streams(v, *store);
    EXPECT_TRUE(s->recovered());
    EXPECT_LT(s->portfolio().position(0).qty, kLotStep);
    EXPECT_NEAR(s->portfolio().cash(), v.ex.balance("USDT"), 1e-6);
    for (const auto& o : v.ex.orders())
        EXPECT_EQ(v.ex.posts_with_client_id(o.client_id), 1) << o.client_id;
    s->stop_feed();
}

TEST(StreamedFills, AfterACommandAFillWaitsForTheNextStepSoARecoveryReplaysItInOrder) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Venue v;
    auto s = open_on_streams(v, *store);
    enter(v, *s);
    const CommandOutcome paused = s->execute(
        "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}, {"reason", "t"}},
        v.clock.now());
    ASSERT_EQ(paused.exit_code, 0) << paused.message;
    stop_fires_between_bars(v);
    ASSERT_TRUE(test::wait_until([&] {
        for (const auto& r : v.ws.reports())
            if (r.find(R"("o":"STOP_LOSS_LIMIT")") != std::string::npos &&
                r.find(R"("X":"FILLED")") != std::string::npos)
                return true;
        return false;
    }));
    s->book_streamed_fills(v.clock.now());
    EXPECT_GT(s->portfolio().position(0).qty, 0.01) << "the pause came after the step: the fill waits";
    v.close_bar(kT0 + kTf.ms());
    take_streamed(*s);
    run_until_waiting(*s, v.clock.now());
    EXPECT_LT(s->portfolio().position(0).qty, kLotStep) << "booked at the next step";
    s->stop_feed();
    s.reset();
    auto again = open_on_streams(v, *store);
    EXPECT_TRUE(again->recovered());
    EXPECT_LT(again->portfolio().position(0).qty, kLotStep);
    again->stop_feed();
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamedSession, ::testing::Values("paper", "live"));

} // namespace

// `aurum run --mode paper --feed exchange` as a user runs it: public market data only (no keys),
// the warm-up over REST, then a candle that closes on the stream is traded at once.
TEST(StreamedPaperCli, PaperOnTodaysMarketActsOnTheStreamedCandle) {
    SystemClock wall;
    const Timeframe tf(kMsPerMinute);
    test::FakeBinance rest(wall);
    rest.add_symbol("BTCUSDT", wall.now() - 2 * kMsPerDay, 30000);
    // The last closed candle is not served over REST: only the stream will bring it.
    const TimeMs last_closed = floor_to(wall.now(), tf.ms()) - tf.ms();
    rest.add_gap("BTCUSDT", last_closed, last_closed + tf.ms());
    test::FakeBinanceWs ws(wall);
    test::TempDir home;
    const pid_t pid = test::spawn_aurum(
        {"--home", home.path().string(), "run", "--mode", "paper", "--feed", "exchange",
         "--exchange-url", rest.base_url(), "--stream-url", ws.stream_url(), "--symbols",
         "BTC/USDT", "--timeframe", "1m", "--capital", "1000", "--no-dashboard"},
        home / "daemon.log");
    ASSERT_TRUE(test::wait_until([&] {
        const auto info = read_daemon_info(Workspace(home.path()));
        return info && info->pid == pid && ws.market_connections() == 1;
    })) << test::slurp(home / "daemon.log");
    EXPECT_EQ(rest.request_count("/api/v3/account"), 0) << "no keys, no account";
    ws.push_kline("BTCUSDT", tf, rest.generated_bar("BTCUSDT", tf, last_closed), true);
    TimeMs seen = 0;
    const bool traded_it = test::wait_until([&] {
        const auto st = test::run_aurum({"--home", home.path().string(), "--json", "status"});
        if (st.exit_code != 0) return false;
        seen = nlohmann::json::parse(st.out).value("last_bar", TimeMs{0});
        return seen >= last_closed;
    }, std::chrono::seconds(60));
    EXPECT_TRUE(traded_it) << "last bar " << seen << " want " << last_closed << "\n"
                           << test::slurp(home / "daemon.log");
    // `aurum health` shows the stream (written with the daemon's heartbeat, every 5 s).
    nlohmann::json stream;
    EXPECT_TRUE(test::wait_until([&] {
        const auto h = test::run_aurum({"--home", home.path().string(), "--json", "health"});
        if (h.exit_code > 1 || h.out.empty()) return false;
        const auto j = nlohmann::json::parse(h.out, nullptr, false);
        if (!j.is_object() || !j.contains("data_feed") || !j["data_feed"].contains("stream"))
            return false;
        stream = j["data_feed"]["stream"];
        return stream.value("streamed", 0) >= 1;
    }, std::chrono::seconds(30))) << stream.dump();
    EXPECT_TRUE(stream.value("streaming", false));
    EXPECT_TRUE(stream["market_stream"].value("connected", false)) << stream.dump();
    EXPECT_FALSE(stream.contains("user_stream")) << "paper: public data only";
    const auto text = test::run_aurum({"--home", home.path().string(), "health"});
    EXPECT_NE(text.out.find("Exchange streams: market connected (1 candles streamed"),
              std::string::npos) << text.out;
    int st = 0;
    const test::CliResult stop = test::stop_daemon(home.path(), pid, &st);
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << test::slurp(home / "daemon.log");
    // Only the stream had that candle: it is in the store, as the exchange made it.
    auto store = open_market_store((home / "data" / "aurum.db").string());
    const BarSeries got =
        store->load_bars("BTC/USDT", tf, TimeRange{last_closed, last_closed + tf.ms()});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_DOUBLE_EQ(got.close[0], rest.generated_bar("BTCUSDT", tf, last_closed).close);
}

// `aurum exchange check` with the streams: the market stream connects and the user data
// subscription is accepted; a key the WebSocket API refuses is a FAIL line naming its answer.
TEST(StreamedExchangeCheck, ReportsBothStreams) {
    SystemClock wall;
    test::FakeBinance rest(wall);
    test::FakeSpotExchange ex(rest, wall, "live-key", "live-secret");
    ex.list(test::FakeSymbol{}, 30000);
    ex.set_balance("USDT", 1000);
    test::TempDir home;
    test::write_text(home / "secrets" / "binance.json",
                     R"({"api_key": "live-key", "api_secret": "live-secret"})");
    ::chmod((home / "secrets" / "binance.json").c_str(), 0600);
    auto check = [&](test::FakeBinanceWs& ws) {
        return test::run_aurum({"--home", home.path().string(), "exchange", "check",
                                "--exchange-url", rest.base_url(), "--stream-url",
                                ws.stream_url(), "--ws-api-url", ws.ws_api_url(), "--symbols",
                                "BTC/USDT"});
    };
    {
        test::FakeBinanceWs ws(wall, &ex, "live-key", "live-secret");
        const auto r = check(ws);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_NE(r.out.find("PASS  market stream connected to " + ws.stream_url()), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("PASS  user stream  subscription accepted"), std::string::npos) << r.out;
    }
    {
        test::FakeBinanceWs ws(wall, &ex, "another-key", "live-secret");
        const auto r = check(ws);
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
        EXPECT_NE(r.out.find("FAIL  user stream  subscription refused: -2015"), std::string::npos) << r.out;
    }
    EXPECT_TRUE(ex.orders().empty()) << "a check sends no order";
}
