#include "live/session_events.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

namespace aurum {

using nlohmann::json;

void SessionEventPublisher::after_step(LiveSession& s) {
    const Portfolio& pf = s.portfolio();
    // Taken every step (the session keeps them only for us), published only when listened to.
    const auto decisions = s.take_committed_decisions();
    if (last_qty_.size() != pf.size()) last_qty_.assign(pf.size(), 0.0);
    const bool listening = bus_.has_subscribers();
    const TimeMs t = s.step_close_time();
    for (InstrumentId i = 0; i < pf.size(); ++i) {
        const Position& p = pf.position(i);
        if (p.qty != last_qty_[i] && listening) {
            if (symbols_.empty()) {
                std::stringstream ss(s.session().symbols);
                for (std::string one; std::getline(ss, one, ',');) symbols_.push_back(one);
            }
            const std::string symbol = i < symbols_.size() ? symbols_[i] : std::to_string(i);
            bus_.publish("fill", json{{"time", t}, {"symbol", symbol}, {"qty_before", last_qty_[i]},
                                      {"qty_after", p.qty}, {"price", p.mark}}
                                     .dump());
        }
        last_qty_[i] = p.qty;
    }
    if (!listening) return;
    for (const auto& a : decisions) {
        bus_.publish("risk", json{{"time", a.time}, {"symbol", a.symbol},
                                  {"verdict", to_string(a.verdict)}, {"rule", a.rule},
                                  {"reason", a.reason}}
                                 .dump());
        if (a.rule == "human_approval") bus_.publish("signal", "{}");
    }
    bus_.publish("bar", json{{"time", t}, {"last_bar", s.last_bar()}, {"equity", pf.equity()},
                             {"cash", pf.cash()}, {"steps", s.steps()}}
                            .dump());
    after_commands(s);
}

void SessionEventPublisher::after_commands(const LiveSession& s) {
    const std::uint64_t v = s.risk().version();
    if (v == state_version_) return;
    state_version_ = v;
    if (!bus_.has_subscribers()) return;
    const TradingState& st = s.risk().state();
    bus_.publish("state", json{{"state", to_string(st.mode)}, {"state_text", st.describe()}}.dump());
    bus_.publish("signal", "{}"); // an approval or a rejection changes the queue too
}

} // namespace aurum
