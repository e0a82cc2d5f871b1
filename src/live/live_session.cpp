#include "live/live_session.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/stable_hash.hpp"
#include "core/workspace.hpp"
#include "execution/binance_spot_client.hpp"
#include "live/balance_check.hpp"
#include "live/gold_desk.hpp"
#include "live/session_alerts.hpp"
#include "live/order_preview.hpp"
#include "live/rl_session.hpp"
#include "runtime/engine_stack.hpp"

namespace aurum {

using nlohmann::json;

namespace {
ModelSource model_source(const LiveOptions& o) {
    return {o.workspace, o.model, o.symbols, o.timeframe.name()};
}

/// An engine quantity with its unit: "0.1 BTC", or for contracts "0.01 lots XAUUSD (lots of
/// 100 oz)", so a lot is never printed as if it were one unit of the base.
std::string format_units(const Instrument& inst, double qty) {
    if (inst.contract_size == 1.0) return format_qty(qty) + " " + inst.base;
    const std::string unit = inst.base == "XAU" || inst.base == "XAG" ? "oz" : inst.base;
    return fmt::format("{} lots {} (lots of {} {})", format_qty(qty), inst.symbol,
                       format_qty(inst.contract_size), unit);
}
} // namespace

std::string LiveOptions::strategy_text() const {
    std::string s = strategy.name;
    const bool rl = strategy.name == "rl";
    if (strategy.name == "model" || rl)
        s += " " + (model.version > 0 ? fmt::format("{} v{}", model.model, model.version)
                                      : model.model) +
             (!rl && model.kind != "gbdt" ? " kind=" + model.kind : "");
    for (const auto& [k, v] : strategy.params) s += fmt::format(" {}={}", k, v);
    if (!rl) s += fmt::format(" fraction={}", strategy.sizing.fraction); // agents size their own
    return s;
}

std::string LiveOptions::session_id() const {
    std::string key = mode + "|" + timeframe.name() + "|" + fmt::format("{}", capital) + "|" +
                      strategy_text() + "|" + (replay ? "replay" : "realtime") + "|" +
                      std::to_string(replay_from) + "|" + std::to_string(replay_to) + "|" +
                      fmt::format("{}|{}|{}", fill.fees.taker, fill.slippage.fixed_bps,
                                  approval ? 1 : 0);
    for (const auto& s : symbols) key += "|" + s;
    // The protective stops' kind (stop-market or stop-limit) is part of what the session trades.
    if (strategy.params.count(kStopLossParam) && fill.stop_limit_offset > 0)
        key += fmt::format("|slo={}", fill.stop_limit_offset);
    // A live session belongs to one exchange account: the same options on another venue or key
    // (testnet, then the real exchange) start a new session instead of reconciling its orders
    // there.
    if (mode == "live")
        key += "|" + venue.exchange + "|" + venue.base_url + "|" +
               (venue.credentials ? venue.credentials->api_key : std::string());
    return fmt::format("{}-{:012x}", mode, fnv1a_short_basis64(key) & 0xffffffffffffULL);
}

/// The account risk hook plus the warm-up gate and the human-approval queue.
class LiveSession::ApprovalHook final : public AccountRiskHook {
public:
    ApprovalHook(RiskManager& rm, StateStore& store) : AccountRiskHook(rm), store_(store) {}
    RiskDecision review(const OrderRequest& req, const Instrument& inst, double ref,
                        const Portfolio& pf, TimeMs now) override {
        if (now - tf < trade_from)
            return denied(fmt::format("warm-up: the session trades from its first bar close at "
                                      "{} UTC (its bars until then are history)",
                                      format_time(trade_from + tf)));
        // The guard's stop and target (for whatever the position holds, by hand included) only
        // ever reduce the position: never held back with the strategy's orders.
        const double held = pf.position(req.instrument).qty;
        const bool protective =
            req.protective && held != 0 && (held > 0) != (req.side == Side::Buy);
        if (req.tag == static_cast<std::uint32_t>(OrderSource::Strategy) && !protective &&
            req.instrument < by_hand.size() && by_hand[req.instrument])
            return denied("manual position on " + inst.symbol +
                          ": the strategy leaves it alone until it is closed");
        if (approval && req.tag == static_cast<std::uint32_t>(OrderSource::Strategy)) {
            const double cur = pf.position(req.instrument).qty;
            const double next = cur + sign(req.side) * req.qty;
            if (std::fabs(next) > std::fabs(cur) + 1e-12) {
                SignalRecord s;
                s.session_id = session_id;
                s.time = now;
                s.symbol = inst.symbol;
                s.quantity = sign(req.side) * req.qty;
                s.price = ref;
                s.note = "strategy entry";
                s.status = "pending";
                s.expires_at = now + expiry;
                const std::int64_t id = store_.insert_signal(s);
                if (alerts) alerts->enqueue(signal_pending_alert(0, s, id)); // stamped at commit
                RiskAssessment a;
                a.time = now;
                a.symbol = inst.symbol;
                a.source = "strategy";
                a.verdict = RiskVerdict::Deny;
                a.requested = s.quantity * inst.contract_size;
                a.rule = "human_approval";
                a.reason = fmt::format("Requested {} {} {}; waiting for human approval as signal "
                                       "#{} (expires {})",
                                       format_qty(req.qty * inst.contract_size), inst.base,
                                       to_string(req.side), id, format_time(s.expires_at));
                log_.push_back(a);
                return RiskDecision::deny(a.reason);
            }
        }
        return AccountRiskHook::review(req, inst, ref, pf, now);
    }

    TimeMs trade_from = 0, tf = 0, expiry = 0;
    std::string last_denial; ///< the reason of this hook's own last deny (warm-up, manual)
    bool approval = false;
    /// Instruments whose position was opened or changed by a manual trade: the strategy's
    /// orders on them are refused until the position is flat again (docs/operations.md).
    std::vector<bool> by_hand;
    std::string session_id;
    AlertBuffer* alerts = nullptr;

private:
    RiskDecision denied(std::string reason) {
        last_denial = reason;
        return RiskDecision::deny(std::move(reason));
    }
    StateStore& store_;
};

LiveSession::LiveSession(Database& db, MarketStore& market, LiveOptions options, RiskLimits limits,
                         InstrumentRegistry instruments, std::filesystem::path risk_yaml)
    : db_(db), store_(db), market_(market), opt_(std::move(options)),
      registry_(std::move(instruments)), risk_yaml_(std::move(risk_yaml)),
      risk_(limits, registry_), alert_store_(db) {
    if (opt_.symbols.empty()) throw InputError("run: --symbols needs at least one symbol");
    if (!(opt_.capital > 0) || !std::isfinite(opt_.capital))
        throw InputError(fmt::format("run: --capital must be positive, got {}", opt_.capital));
    for (auto& s : opt_.symbols) instruments_.push_back(registry_.get(s));
}

LiveSession::~LiveSession() = default;

InstrumentId LiveSession::instrument_index(const std::string& symbol) const {
    for (InstrumentId i = 0; i < instruments_.size(); ++i)
        if (instruments_[i].symbol == symbol) return i;
    std::string list;
    for (const auto& in : instruments_) list += (list.empty() ? "" : ", ") + in.symbol;
    throw InputError("unknown symbol '" + symbol + "' for this session (trading: " + list + ")");
}

void LiveSession::load_bars(TimeMs from, TimeMs to) {
    data_.clear();
    data_ptrs_.clear();
    for (const auto& inst : instruments_) {
        auto s = std::make_unique<BarSeries>(
            market_.load_bars(inst.symbol, opt_.timeframe, TimeRange{from, to}));
        s->symbol = inst.symbol;
        s->timeframe = opt_.timeframe;
        if (s->empty())
            throw InputError(fmt::format(
                "run: no {} {} bars in the store between {} and {} (import them with `aurum data "
                "import` or `aurum data backfill`)",
                inst.symbol, opt_.timeframe.name(), format_time(from),
                to == std::numeric_limits<TimeMs>::max() ? "now" : format_time(to)));
        data_ptrs_.push_back(s.get());
        data_.push_back(std::move(s));
    }
    cursor_.assign(data_.size(), 0);
}

void LiveSession::open(TimeMs wall_now, bool acknowledge_stop, const std::string& ack_reason) {
    const TimeMs tf = opt_.timeframe.ms();
    // Paper: the simulation; live: the exchange, whose rules replace the instruments' defaults.
    // Connected first, so a refused key or an unreachable exchange leaves no session behind.
    sim_ = make_execution_client(opt_.mode, opt_.venue, instruments_, opt_.fill);
    exchange_ = dynamic_cast<BinanceSpotClient*>(sim_.get());
    balance_check_due_ = exchange_ != nullptr;
    if (db_.dialect() == SqlDialect::Sqlite) db_.exec("PRAGMA wal_autocheckpoint=0"); // commit()
    if (opt_.mode == "live" && db_.dialect() == SqlDialect::Sqlite) {
        // Real money: a journaled order must survive a power cut too, not only a process crash
        // (WAL's synchronous=NORMAL), or a restart could re-create an order the exchange already
        // filled. One fsync per commit is nothing at bar frequency.
        db_.exec("PRAGMA synchronous=FULL");
    }
    if ((opt_.mode == "live" || opt_.exchange_feed) && !opt_.replay) {
        // Self-feeding: closed candles come from the exchange (stream, REST) into the store.
        feed_ = std::make_unique<KlineFeed>(opt_.venue, market_, opt_.symbols, opt_.timeframe,
                                            opt_.warmup_bars);
    }
    std::string id = opt_.session_id();
    auto existing = store_.session(id);
    if (existing && opt_.new_session) {
        id += fmt::format("-{:x}", wall_now);
        existing.reset();
    }
    // The account-level state (kill switch, pause) outlives sessions.
    RiskRuntime account;
    if (auto kv = store_.get_kv("risk_runtime")) account = RiskRuntime::from_json(*kv);
    const bool emergency = account.state.cause == HaltCause::EmergencyStop &&
                           (account.state.mode == TradingMode::Halted ||
                            account.state.mode == TradingMode::Reducing);
    if (emergency && !acknowledge_stop)
        throw InputError("the account is stopped after an emergency stop (" +
                         account.state.reason +
                         "); review it, then start with `aurum run --acknowledge-stop` (and the "
                         "same options)");

    if (existing) {
        session_ = *existing;
    } else {
        session_.id = id;
        session_.mode = opt_.mode;
        for (const auto& s : opt_.symbols) session_.symbols += (session_.symbols.empty() ? "" : ",") + s;
        session_.timeframe = opt_.timeframe.name();
        session_.capital = opt_.capital;
        session_.strategy = opt_.strategy_text();
        session_.clock = opt_.replay ? "replay" : "realtime";
        session_.trade_from = opt_.replay ? opt_.replay_from : floor_to(wall_now, tf);
        session_.replay_to = opt_.replay ? opt_.replay_to : 0;
        session_.created_at = wall_now;
        session_.status = "running";
        // Peak, daily-loss base and cooldowns belong to the session: an earlier session's
        // would halt or block this one; a deliberate stop stays until acknowledged.
        RiskRuntime start = account.for_new_session();
        if (emergency) {
            RiskManager tmp(risk_.limits(), registry_);
            tmp.restore(start);
            tmp.acknowledge_stop(session_.trade_from, ack_reason);
            start = tmp.runtime();
            store_.audit(wall_now, to_string(CommandKind::AcknowledgeStop), ack_reason,
                         "new session " + id, "ok");
        }
        session_.initial_risk =
            json{{"runtime", start.to_json()}, {"limits", render_risk_yaml(risk_.limits())}}.dump();
        store_.upsert_session(session_);
    }

    // Rebuild the engine from the session's start.
    const json init = json::parse(session_.initial_risk);
    risk_.restore(RiskRuntime::from_json(init.at("runtime").get<std::string>()));
    const RiskLimits file_limits = risk_.limits();
    risk_.set_limits(parse_risk_limits(init.at("limits").get<std::string>(), "session limits"));
    load_bars(session_.trade_from - opt_.warmup_bars * tf,
              opt_.replay ? opt_.replay_to : std::numeric_limits<TimeMs>::max());

    journal_ = std::make_unique<JournalExecution>(*sim_, instruments_, session_.id);
    predictions_ = std::make_unique<PredictionBuffer>();
    SessionStrategy chosen = make_session_strategy(opt_.strategy, model_source(opt_), store_,
                                                   session_.id, predictions_.get(),
                                                   predictions_.get());
    model_ = chosen.model;
    rl_ = chosen.rl;
    if (chosen.rl) { // the observation's "entries allowed" and the episode's first bar
        chosen.rl->set_risk_manager(&risk_);
        chosen.rl->set_first_decision_close(session_.trade_from + tf);
    }
    // Cross-asset sets: reference bars from the store, to the replay's end (joined as of each
    // bar's close) or, in real time, appended as they arrive (poll_store).
    if (model_)
        model_->set_feature_inputs({&market_, nullptr, &registry_},
                                   opt_.replay ? opt_.replay_to : INT64_MAX);
    hook_ = std::make_unique<ApprovalHook>(risk_, store_);
    hook_->trade_from = session_.trade_from;
    hook_->tf = tf;
    hook_->approval = opt_.approval;
    // Session time, never less than a few bars: at --speed 14400 one 4h bar is one wall
    // second, too short for anyone to answer.
    hook_->expiry = std::max(opt_.approval_expiry, opt_.approval_min_bars * tf);
    hook_->session_id = session_.id;
    hook_->by_hand.assign(instruments_.size(), false);
    hook_->alerts = &alerts_;
    alert_qty_.assign(instruments_.size(), 0.0);
    // The one composition root builds the stack; the session lends it the parts it persists.
    RunSpec spec;
    spec.mode = opt_.mode == "live" ? RunMode::Live : RunMode::Paper;
    spec.clock = opt_.replay ? ClockKind::Replay : ClockKind::Realtime;
    spec.risk = RiskSpec::account(risk_.limits(), risk_yaml_.string());
    spec.venue = opt_.mode == "live" ? opt_.venue.exchange : "simulated";
    spec.engine.initial_capital = session_.capital;
    spec.engine.fill = opt_.fill;
    if (exchange_) {
        // The account's own commission rates size the orders (the session's id keeps the
        // configured fee: a fee tier change must not orphan the session's orders).
        const BinanceAccountInfo& acc = exchange_->account();
        if (acc.taker_rate >= 0) spec.engine.fill.fees.taker = acc.taker_rate;
        if (acc.maker_rate >= 0) spec.engine.fill.fees.maker = acc.maker_rate;
        spdlog::info("live: the account's commission rates: maker {} taker {}",
                     spec.engine.fill.fees.maker, spec.engine.fill.fees.taker);
    }
    spec.engine.allow_short = true; // the risk manager and instrument rules decide per instrument
    spec.engine.record_fills = false;
    spec.engine.record_events = false;
    EngineParts parts;
    parts.instruments = instruments_;
    parts.data = data_ptrs_;
    parts.owned_strategy = std::move(chosen.strategy);
    parts.risk_manager = &risk_;
    parts.hook = hook_.get();
    parts.execution = journal_.get();
    parts.clock = &clock_;
    EngineStack stack = build_engine_stack(spec, std::move(parts));
    strategy_ = std::move(stack.supervisor);
    strategy_->set_first_trading_close(session_.trade_from + tf);
    engine_ = std::move(stack.engine);
    std::size_t most = 0;
    for (const auto& d : data_) most = std::max(most, d->size());
    engine_->reserve_steps(most + 1024);
    engine_->start();
    publish_models();

    if (existing) {
        const auto snap = store_.snapshot(session_.id);
        recover_until_ = snap ? snap->last_bar : INT64_MIN;
        auto orders = store_.orders(session_.id);
        auto reports = store_.reports(session_.id);
        spdlog::info("session {}: recovering {} journaled orders and {} execution reports up to {}",
                     session_.id, orders.size(), reports.size(),
                     snap ? format_time(snap->last_bar) : std::string("the start"));
        if (snap) journal_->begin_recovery(std::move(orders), std::move(reports), recover_until_);
        for (auto& c : store_.commands(session_.id)) pending_commands_.emplace(c.after_bar, c);
        if (emergency && acknowledge_stop) {
            Command ack;
            ack.kind = CommandKind::AcknowledgeStop;
            ack.reason = ack_reason;
            CommandRecord c{session_.id, store_.next_command_seq(session_.id),
                            snap ? snap->last_bar : INT64_MIN, to_string(ack.kind),
                            ack.to_json().dump()};
            store_.insert_command(c);
            store_.audit(wall_now, c.kind, ack_reason, "session " + session_.id, "ok");
            pending_commands_.emplace(c.after_bar, c);
        }
        // Commands given before the first step.
        const auto first = next_step_time();
        for (auto it = pending_commands_.begin(); it != pending_commands_.end();) {
            if (!first || it->first < *first) {
                try {
                    apply_command(it->second, wall_now, nullptr);
                } catch (const InputError& e) {
                    spdlog::warn("journaled {} command #{} not applied: {}", it->second.kind,
                                 it->second.seq, e.what());
                }
                it = pending_commands_.erase(it);
            } else {
                ++it;
            }
        }
    } else {
        session_.status = "running";
    }
    // Re-run the journaled part now, so the daemon starts from where it stopped.
    while (journal_->recovering()) {
        const auto t = next_step_time();
        if (!t || *t > recover_until_) break;
        step(wall_now);
    }
    // Caught up with the journal: end the recovery now, not at the next bar. Until then a
    // command's orders (an emergency stop's closes) were checked against the journal and
    // refused as "recovery diverged": for the whole wait for the next real-time bar, and for
    // ever after a replay's end.
    journal_->end_recovery();
    // The journaled orders the exchange filled while the daemon was down are booked now (and a
    // position they opened gets its stop now), not at the next bar.
    if (recovered_steps_ > 0 && !finished_ && commands_since_step_ == 0) book_after_send(wall_now);
    if (recovered_steps_ > 0)
        spdlog::info("session {}: recovered {} steps; equity {:.2f}, resuming after {}",
                     session_.id, recovered_steps_, engine_->account().equity(),
                     format_time(last_bar_));
    // Models promoted, rolled back or demoted while the daemon was down: applied now,
    // journaled like any reload or unload.
    if (model_ && !finished_ && opt_.follow_registry)
        for (const auto& change : registry_changes(*model_, model_source(opt_))) {
            try {
                execute(model_command(change.unload ? CommandKind::ModelUnload
                                                    : CommandKind::ModelReload,
                                      change.name, change.version, "registry changed while stopped"),
                        wall_now);
            } catch (const InputError& e) {
                spdlog::warn("keeping the current model: {}", e.what());
                alerts_.enqueue(make_alert(wall_now, "model_refused", AlertSeverity::Warning,
                                           "Model change refused: " + change.name, e.what()));
            }
        }
    // risk.yaml edited while the daemon was down: apply it now, journaled.
    if (render_risk_yaml(file_limits) != render_risk_yaml(risk_.limits()) && !finished_) {
        Command reload;
        reload.kind = CommandKind::RiskReload;
        reload.yaml = render_risk_yaml(file_limits);
        reload.reason = "config/risk.yaml changed";
        execute(reload, wall_now);
    }
    if (session_.status != "complete" && session_.status != "running") {
        session_.status = "running";
        store_.set_session_status(session_.id, "running");
    }
    store_.put_kv("active_session", session_.id);
}

std::optional<TimeMs> LiveSession::next_step_time() const {
    TimeMs t = std::numeric_limits<TimeMs>::max();
    for (std::size_t i = 0; i < data_.size(); ++i)
        if (cursor_[i] < data_[i]->size()) t = std::min(t, data_[i]->time[cursor_[i]]);
    if (t == std::numeric_limits<TimeMs>::max()) return std::nullopt;
    return t;
}

nlohmann::json LiveSession::feed_status() const {
    if (!feed_) return nullptr;
    const KlineFeedStats& f = feed_->stats();
    nlohmann::json j{{"streaming", feed_->streaming()}, {"streamed", f.streamed},
                     {"backfills", f.backfills}, {"gaps", f.gaps}, {"late", f.late}};
    if (const BinanceMarketStream* m = feed_->stream()) {
        const MarketStreamStats s = m->stats();
        j["market_stream"] = {{"connected", m->connected()}, {"connects", s.connection.connects},
                              {"drops", s.connection.drops}, {"malformed", s.malformed}};
    }
    const auto* spot = dynamic_cast<const BinanceSpotClient*>(sim_.get());
    if (const BinanceUserStream* u = spot ? spot->user_stream() : nullptr) {
        const UserStreamStats s = u->stats();
        j["user_stream"] = {{"subscribed", u->subscribed()}, {"reports", s.reports},
                            {"subscriptions", s.subscriptions}, {"terminated", s.terminated},
                            {"refused", s.refused}, {"drops", s.connection.drops},
                            {"last_error", u->last_error()}};
    }
    return j;
}

std::size_t LiveSession::poll_store() {
    if (feed_) {
        try {
            feed_->pump();
        } catch (const std::exception& e) {
            // The daemon keeps running on what it has; `aurum health` shows the feed's lag.
            spdlog::warn("data feed: {}", e.what());
            if (last_commit_wall_ - last_feed_alert_ >= 30 * kMsPerMinute) {
                last_feed_alert_ = last_commit_wall_; // once per half hour while it lasts
                alerts_.enqueue(make_alert(0, "data_feed", AlertSeverity::Warning,
                                           "Data feed error", e.what(), "data_feed"));
            }
        }
    }
    std::size_t added = 0;
    if (const auto* streamed = feed_ ? feed_->streamed_only() : nullptr) {
        // Only the stream's candles are new: taken as they are, not read back from the store.
        for (const StreamedBar& b : *streamed) {
            for (auto& s : data_) {
                if (s->symbol != b.symbol || (!s->empty() && b.bar.time <= s->time.back())) continue;
                s->push_back(b.bar);
                ++added;
            }
        }
        if (model_) model_->append_new_reference_bars(market_);
        return added;
    }
    // A replay never reads past its end, whatever the store holds by now.
    const TimeMs end = opt_.replay ? opt_.replay_to : INT64_MAX;
    for (std::size_t i = 0; i < data_.size(); ++i) {
        BarSeries& s = *data_[i];
        const TimeMs after = s.empty() ? session_.trade_from : s.time.back() + 1;
        if (after >= end) continue;
        const BarSeries more = market_.load_bars(s.symbol, opt_.timeframe, TimeRange{after, end});
        for (std::size_t k = 0; k < more.size(); ++k) {
            s.push_back(more.at(k));
            ++added;
        }
    }
    if (model_ && !opt_.replay) model_->append_new_reference_bars(market_);
    return added;
}

bool LiveSession::awaits_streamed_bars(TimeMs t, TimeMs wall_now) const {
    // Streamed klines of the symbols arrive one by one, microseconds apart: the bar's step waits
    // for all of them, so a step is never split in two, as in a replay. A symbol whose kline is
    // late (the feed asks REST for it after its grace) holds the others back this long at most.
    constexpr TimeMs kWaitForAllMs = 5000;
    if (opt_.replay || !feed_ || !feed_->streaming() || wall_now >= t + opt_.timeframe.ms() + kWaitForAllMs)
        return false;
    for (std::size_t i = 0; i < data_.size(); ++i)
        if (cursor_[i] >= data_[i]->size() || data_[i]->time[cursor_[i]] != t) return true;
    return false;
}

LiveSession::StepResult LiveSession::step(TimeMs wall_now) {
    if (finished_) return StepResult::Finished;
    const auto next = next_step_time();
    const TimeMs tf = opt_.timeframe.ms();
    if (!next) {
        if (opt_.replay) {
            finished_ = true;
            commit(wall_now, true);
            session_.status = "complete";
            store_.set_session_status(session_.id, "complete");
            spdlog::info("session {}: replay complete; equity {:.2f}", session_.id,
                         engine_->account().equity());
            return StepResult::Finished;
        }
        return StepResult::Waiting;
    }
    const TimeMs t = *next;
    if (!opt_.replay && t + tf > wall_now) return StepResult::Waiting; // bar still forming
    if (awaits_streamed_bars(t, wall_now)) return StepResult::Waiting;
    std::vector<InstrumentId> ids;
    for (std::size_t i = 0; i < data_.size(); ++i) {
        if (cursor_[i] < data_[i]->size() && data_[i]->time[cursor_[i]] == t) {
            ids.push_back(static_cast<InstrumentId>(i));
            ++cursor_[i];
        }
    }
    journal_->begin_step(t);
    commands_since_step_ = 0;
    const bool recovering = journal_->recovering();
    clock_.set(t + tf);
    engine_->step(ids);
    if (balance_check_due_ && !recovering) check_balances(wall_now);
    last_bar_ = t;
    ++steps_;
    const Portfolio& pf = engine_->account();
    equity_buf_.emplace_back(t, pf.equity(), pf.cash());
    if (opt_.approval) expire_signals();
    release_manual_positions();
    if (recovering) {
        // What the step's after-send phase booked before the crash, where it was booked: after
        // the strategy, before any command given later.
        journal_->begin_after_send();
        engine_->deliver_reports();
    }
    log_events();
    for (auto it = pending_commands_.lower_bound(t);
         it != pending_commands_.end() && it->first == t;) {
        ++commands_since_step_;
        try {
            apply_command(it->second, wall_now, nullptr);
        } catch (const InputError& e) {
            // A command given while the daemon was down that no longer applies.
            spdlog::warn("journaled {} command #{} not applied: {}", it->second.kind,
                         it->second.seq, e.what());
        }
        it = pending_commands_.erase(it);
    }
    if (recovering) {
        ++recovered_steps_;
        // Already stored before the crash: only keep the counters in step.
        decision_seq_ += static_cast<int>(hook_->take_assessments().size());
        predictions_->clear(); // stored before the crash
        alerts_.clear();       // so were the alerts of these events
        for (InstrumentId i = 0; i < alert_qty_.size(); ++i) alert_qty_[i] = engine_->position(i);
        trades_committed_ = pf.trades().size();
        equity_buf_.clear();
        risk_version_committed_ = risk_.version();
    } else {
        commit(wall_now, false);
        if (journal_->sent_in_step()) book_after_send(wall_now);
    }
    // The streamed candles go to the store once the step's orders are out (a crash before that
    // loses nothing: the restart backfills them over REST).
    if (feed_) feed_->save();
    return StepResult::Stepped;
}

void LiveSession::book_after_send(TimeMs wall_now) {
    if (!exchange_) return; // a simulated venue fills at the next bar, never at the send
    journal_->begin_after_send();
    engine_->deliver_reports();
    log_events();
    if (journal_->has_activity()) commit(wall_now, true);
}

void LiveSession::book_streamed_fills(TimeMs wall_now) {
    if (!exchange_ || finished_ || steps_ == 0 || journal_->recovering()) return;
    if (commands_since_step_ > 0 || !exchange_->reports_waiting()) return;
    book_after_send(wall_now);
}

void LiveSession::release_manual_positions() {
    for (InstrumentId i = 0; i < hook_->by_hand.size(); ++i) {
        if (!hook_->by_hand[i] || engine_->position(i) != 0 || engine_->pending_orders(i) > 0)
            continue;
        // Closed (by hand, a stop or a flatten): the strategy trades the symbol again.
        hook_->by_hand[i] = false;
        strategy_->resync();
        if (!journal_->recovering())
            spdlog::info("manual {} position closed; the strategy trades it again",
                         instruments_[i].symbol);
    }
}

void LiveSession::publish_models() {
    if (!model_ && !rl_) return;
    json j = model_ ? models_status(*model_, opt_.symbols, predictions_->notices())
                    : rl_models_status(*rl_, opt_.symbols);
    j["session"] = session_.id;
    store_.put_kv("live_models", j.dump());
}

void LiveSession::log_events() {
    for (const auto& e : strategy_->take_events()) {
        if (journal_->recovering()) {
            spdlog::debug("[recovery] risk: {}", e);
        } else {
            spdlog::warn("risk: {}", e);
            alerts_.enqueue(risk_event_alert(0, e)); // stamped at commit
        }
    }
}

void LiveSession::raise_commit_alerts(const std::vector<RiskAssessment>& assessments,
                                      const std::vector<PredictionBuffer::Item>& predictions,
                                      TimeMs wall) {
    for (const auto& p : predictions) {
        json d{{"confidence", p.p}};
        const json detail = json::parse(p.detail, nullptr, false);
        if (detail.is_object() && detail.value("kind", "") == "rl")
            d = json{{"model", detail.value("model", "")}, {"agent", detail.value("reason", "")}};
        else if (detail.is_object()) {
            d["model"] = detail.value("model", "");
            d["top_features"] = detail.value("top", json::array());
        }
        decision_[p.symbol] = std::move(d);
    }
    std::map<std::string, std::string> reductions;
    for (const auto& a : assessments) {
        if (a.verdict == RiskVerdict::Reduce) reductions[a.symbol] = a.reason;
        AlertEvent e = risk_decision_alert(wall, a);
        if (!e.kind.empty()) alerts_.enqueue(std::move(e));
    }
    const Portfolio& pf = engine_->account();
    for (InstrumentId i = 0; i < pf.size() && i < alert_qty_.size(); ++i) {
        const Position& p = pf.position(i);
        const bool opened = p.qty != 0 && (alert_qty_[i] == 0 || (alert_qty_[i] > 0) != (p.qty > 0));
        alert_qty_[i] = p.qty;
        if (!opened) continue;
        const std::string& sym = instruments_[i].symbol;
        json d = decision_.count(sym) ? decision_[sym] : json::object();
        if (reductions.count(sym)) d["risk"] = reductions[sym];
        alerts_.enqueue(trade_opened_alert(wall, session_.id, sym,
                                           p.qty * instruments_[i].contract_size, p.avg_price, d));
    }
    const auto& trades = pf.trades();
    for (std::size_t k = trades_committed_; k < trades.size(); ++k) {
        const Trade& t = trades[k];
        alerts_.enqueue(trade_closed_alert(
            wall, session_.id,
            {instruments_[t.instrument].symbol, t.direction, t.entry_time, t.exit_time,
             t.entry_price, t.exit_price, t.qty, t.net_pnl(), t.fees}));
    }
}

void LiveSession::expire_signals() {
    const TimeMs now = clock_.now();
    for (const auto& s : store_.signals("pending", 1000)) {
        if (s.session_id == session_.id && s.expires_at <= now) {
            store_.update_signal(s.id, "expired", now, "not approved before " +
                                                          format_time(s.expires_at));
            if (!journal_->recovering())
                spdlog::info("signal #{} {} expired unapproved", s.id, s.symbol);
        }
    }
}

void LiveSession::commit(TimeMs wall_now, bool force) {
    const Portfolio& pf = engine_->account();
    const bool activity = journal_->has_activity() || !hook_->assessments().empty() ||
                          pf.trades().size() > trades_committed_ ||
                          risk_.version() != risk_version_committed_ || dirty_;
    ++steps_since_commit_;
    const bool due = force || steps_since_commit_ >= opt_.commit_every ||
                     wall_now - last_commit_wall_ >= 1000;
    if (!due && activity && opt_.batch_commits && opt_.mode == "paper") {
        journal_->send_pending(); // the simulated venue fills them at the same bars as ever
        return;
    }
    if (!due && !activity)
        return;
    const auto assessments = hook_->take_assessments();
    const auto predictions = predictions_->take();
    raise_commit_alerts(assessments, predictions, wall_now);
    {
        Transaction tx(db_);
        for (const auto& o : journal_->new_orders()) store_.insert_order(o);
        for (const auto& r : journal_->new_reports()) store_.insert_report(r);
        for (const auto& u : journal_->status_updates()) {
            store_.update_order(u.cid, u.status, u.filled, u.avg);
            if (!u.note.empty()) store_.set_order_note(u.cid, u.note);
        }
        for (const auto& a : assessments) {
            store_.insert_decision(session_.id, decision_seq_++,
                                   {a.time, a.symbol, a.source, to_string(a.verdict), a.rule,
                                    a.reason, a.requested, a.approved});
        }
        const auto& trades = pf.trades();
        for (; trades_committed_ < trades.size(); ++trades_committed_) {
            const Trade& t = trades[trades_committed_];
            store_.insert_trade(session_.id, static_cast<int>(trades_committed_),
                                {instruments_[t.instrument].symbol, t.direction, t.entry_time,
                                 t.exit_time, t.entry_price, t.exit_price, t.qty, t.net_pnl(),
                                 t.fees});
        }
        for (const auto& [t, eq, cash] : equity_buf_) store_.insert_equity(session_.id, t, eq, cash);
        for (const auto& p : predictions)
            store_.insert_prediction(session_.id, p.time, p.symbol, p.p, p.detail);
        std::vector<PositionRecord> pos;
        for (InstrumentId i = 0; i < pf.size(); ++i) {
            const Position& p = pf.position(i);
            if (p.qty == 0) continue;
            pos.push_back({instruments_[i].symbol, p.qty, p.avg_price, p.mark,
                           p.qty * (p.mark - p.avg_price) * instruments_[i].contract_size,
                           pf.open_trade(i).entry_time});
        }
        store_.replace_positions(session_.id, pos);
        store_.write_snapshot(session_.id, {last_bar_, steps_, pf.equity(), pf.cash(),
                                            pf.realized_pnl(), pf.fees_paid(), wall_now});
        store_.put_kv("risk_runtime", risk_.runtime().to_json());
        // The outbox: an alert is durable exactly when the event that raised it is.
        for (auto& a : alerts_.take()) {
            if (a.time == 0) a.time = wall_now;
            alert_store_.insert(a);
            ++alerts_committed_;
        }
        tx.commit();
    }
    // Kept for the live events; bounded so nobody taking them costs no memory.
    if (committed_decisions_.size() < 1024)
        committed_decisions_.insert(committed_decisions_.end(), assessments.begin(),
                                    assessments.end());
    // The decision trail of every order, in the day's log.
    for (const auto& a : assessments)
        spdlog::info("risk {} {} [{}]: {}", to_string(a.verdict), a.symbol, a.source, a.reason);
    for (const auto& o : journal_->new_orders())
        spdlog::info("execution: order {} {} {} {} ({}) journaled and sent", o.client_order_id, o.side,
                     format_qty(o.qty), o.symbol, o.source);
    for (const auto& r : journal_->new_reports())
        if (r.kind == "fill")
            spdlog::info("execution: fill {} {} {} {} @ {:.2f} fee {:.4f}", r.client_order_id, r.side,
                         format_qty(r.qty), r.symbol, r.price, r.fee);
    for (const auto& u : journal_->status_updates())
        if (!u.note.empty()) spdlog::warn("execution: order {} {}: {}", u.cid, u.status, u.note);
    journal_->flush(); // sent only now that the journal is durable
    if (db_.dialect() == SqlDialect::Sqlite && ++commits_since_wal_checkpoint_ >= 64) {
        // SQLite's automatic checkpoint (off, see open()) would run inside a commit, before the
        // orders go out, and cost milliseconds; here it runs after they are sent.
        db_.exec("PRAGMA wal_checkpoint(PASSIVE)");
        commits_since_wal_checkpoint_ = 0;
    }
    equity_buf_.clear();
    steps_since_commit_ = 0;
    last_commit_wall_ = wall_now;
    risk_version_committed_ = risk_.version();
    dirty_ = false;
}

void LiveSession::checkpoint(TimeMs wall_now) {
    if (feed_) feed_->save();
    if (!journal_ || journal_->recovering()) return;
    commit(wall_now, true);
}

void LiveSession::settle(TimeMs wall_now) {
    if (!engine_ || journal_->recovering() || risk_.state().mode != TradingMode::Reducing) return;
    const Portfolio& pf = engine_->account();
    for (InstrumentId i = 0; i < pf.size(); ++i)
        if (pf.position(i).qty != 0 || engine_->pending_orders(i) > 0) return;
    // Journaled like a command, so a recovery reaches the same state at the same point.
    Command c;
    c.kind = CommandKind::Settle;
    c.reason = "flat";
    execute(c, wall_now);
}

json LiveSession::preview_order(const Command& c) const {
    if (c.kind != CommandKind::Trade) throw InputError("preview: only a trade can be previewed");
    const InstrumentId i = instrument_index(c.symbol);
    if (steps_ == 0) throw InputError("preview: no bar has been processed yet (no price)");
    return aurum::preview_order(risk_, account_view(engine_->account(), clock_.now()),
                                instruments_[i], engine_->bars(i).last_close(), c);
}

std::vector<RiskAssessment> LiveSession::take_committed_decisions() {
    std::vector<RiskAssessment> out;
    out.swap(committed_decisions_);
    return out;
}

bool LiveSession::stopped() const {
    return risk_.state().cause == HaltCause::EmergencyStop &&
           risk_.state().mode == TradingMode::Halted;
}

CommandOutcome LiveSession::execute(const std::string& kind, const json& args, TimeMs wall_now) {
    return execute(parse_command(kind, args), wall_now);
}

CommandOutcome LiveSession::execute(const Command& cmd, TimeMs wall_now) {
    // A ticket report is the broker's record, not session state: not journaled (a recovery
    // must not apply it twice), the same path as with the daemon down.
    if (is_ticket_command(cmd.kind)) return apply_ticket_command(store_, opt_.workspace, cmd, wall_now);
    // Validate first: a bad command changes nothing.
    const TimeMs now = opt_.replay ? clock_.now() : std::max(wall_now, clock_.now());
    Command c = cmd;
    c.at = now;
    check_account_command(c, risk_, now); // the rules shared with the daemon-down path
    switch (c.kind) {
    case CommandKind::Trade:
        c.symbol = instruments_[instrument_index(c.symbol)].symbol;
        if (steps_ == 0) throw InputError("trade: no bar has been processed yet (no price)");
        break;
    case CommandKind::SignalApprove:
    case CommandKind::SignalReject: {
        const auto s = store_.signal(c.id);
        if (!s || s->session_id != session_.id)
            throw InputError(fmt::format("signals: no signal #{} in this session", c.id));
        if (s->status != "pending")
            throw InputError(fmt::format("signals: signal #{} is {}, not pending{}", s->id,
                                         s->status, s->decision_reason.empty()
                                                        ? std::string()
                                                        : " (" + s->decision_reason + ")"));
        if (s->expires_at <= clock_.now())
            throw InputError(fmt::format("signals: signal #{} expired at {} (session time {}); "
                                         "too late to {}",
                                         s->id, format_time(s->expires_at),
                                         format_time(clock_.now()),
                                         c.kind == CommandKind::SignalApprove ? "approve"
                                                                              : "reject"));
        break;
    }
    case CommandKind::ModelReload: {
        if (rl_)
            throw InputError("model_reload: this session trades rl agents (strategy rl), pinned "
                             "when it started; start a new session (--new-session) to trade "
                             "another version");
        if (!model_)
            throw InputError("model_reload: this session runs the rule strategy '" +
                             opt_.strategy.name + "'; models are used with `strategy: {name: model}`");
        // Pin the version now so a recovery re-applies exactly this one at this bar.
        const auto m = load_for_reload(model_source(opt_), c.model, c.version);
        c.model = m->record.name;
        c.version = m->record.version;
        break;
    }
    case CommandKind::ModelUnload: {
        std::string traded;
        bool found = false;
        for (const auto& sym : opt_.symbols)
            if (auto m = model_ ? model_->model_for(sym) : nullptr) {
                found = found || m->record.name == c.model;
                traded += (traded.empty() ? "" : ", ") + m->label();
            }
        if (!found)
            throw InputError(fmt::format("model_unload: this session does not trade '{}' (it "
                                         "trades {})",
                                         c.model, traded.empty() ? "no model" : traded));
        break;
    }
    default: break;
    }
    const std::string kind = to_string(c.kind);
    CommandRecord rec{session_.id, store_.next_command_seq(session_.id), last_bar_, kind,
                      c.to_json().dump()};
    {
        Transaction tx(db_);
        store_.insert_command(rec);
        tx.commit();
    }
    ++commands_since_step_;
    CommandOutcome out;
    apply_command(rec, wall_now, &out);
    Command shown = c;
    shown.at.reset();
    store_.audit(wall_now, kind, c.audit_reason(), shown.to_json().dump(),
                 out.exit_code == 0 ? "ok" : out.message);
    if (out.exit_code == 0) {
        AlertEvent alert = command_alert(wall_now, c, out.message);
        if (!alert.kind.empty()) alerts_.enqueue(std::move(alert));
    }
    dirty_ = true;
    commit(wall_now, true);
    log_events();
    spdlog::warn("manual {}: {} ({})", kind, out.message, c.reason);
    return out;
}

void LiveSession::apply_command(const CommandRecord& rec, TimeMs wall_now, CommandOutcome* out) {
    (void)wall_now;
    // The journal's payload is the command's wire JSON; one parser reads both.
    const Command c = parse_command(rec.kind, json::parse(rec.payload));
    const TimeMs at = c.at.value_or(clock_.now());
    CommandOutcome o;
    const auto account = apply_account_command(c, risk_, at);
    switch (c.kind) {
    case CommandKind::Pause:
        if (risk_.wants_flatten()) strategy_->flatten(*engine_);
        o.message = *account + (c.close ? "; closing open positions" : "");
        break;
    case CommandKind::Settle:
        for (auto& e : risk_.on_equity(at, engine_->account().equity(), true))
            spdlog::warn("risk: {}", e);
        o.message = "Account settled: " + risk_.state().describe();
        break;
    case CommandKind::Resume:
    case CommandKind::KillswitchReset:
    case CommandKind::AcknowledgeStop:
        strategy_->resync(); // entries refused while stopped count again
        o.message = *account;
        break;
    case CommandKind::EmergencyStop: {
        const int n = strategy_->flatten(*engine_);
        o.message = fmt::format("EMERGENCY STOP: {} closing order(s) sent at market; the daemon "
                                "stops once flat and refuses to start until `aurum run "
                                "--acknowledge-stop`",
                                n);
        o.data["closing_orders"] = n;
        break;
    }
    case CommandKind::RiskSet:
    case CommandKind::RiskReload:
        if (out && !risk_yaml_.empty()) write_file_atomic(risk_yaml_, render_risk_yaml(risk_.limits()));
        o.message = "Risk limits applied: " + *account;
        break;
    case CommandKind::Trade:
    case CommandKind::SignalApprove: apply_order(c, at, &o); break;
    case CommandKind::ModelReload: {
        if (!model_) throw InputError("model_reload: the session has no model strategy");
        const auto m = load_for_reload(model_source(opt_), c.model, c.version);
        std::string was;
        for (const auto& sym : m->record.symbols)
            if (auto old = model_->model_for(sym)) was = old->label();
        const auto swapped = model_->swap_model(m);
        publish_models();
        std::string syms;
        for (const auto& s : swapped) syms += (syms.empty() ? "" : ", ") + s;
        o.message = fmt::format("{} now trades {} (was {}); applies from the next bar", m->label(),
                                syms, was.empty() ? "none" : was);
        o.data = json{{"model", m->record.name}, {"version", m->record.version}, {"symbols", swapped}};
        break;
    }
    case CommandKind::ModelUnload: unload_model(c.model, &o); break;
    case CommandKind::SignalReject:
        store_.update_signal(c.id, "rejected", at, c.reason);
        o.message = fmt::format("Signal #{} rejected", c.id);
        break;
    case CommandKind::TicketFill:
    case CommandKind::TicketCancel:
        throw InvariantError("ticket commands are never journaled (LiveSession::execute)");
    }
    // The answer carries the account's new state: a surface shows it at once, even when the
    // daemon stops right after (an emergency stop ends the process once flat).
    if (account) o.data["trading_state"] = trading_state_json(risk_.state());
    if (out) *out = o;
}

void LiveSession::unload_model(const std::string& name, CommandOutcome* out) {
    const auto dropped = model_ ? model_->drop_model(name) : std::vector<std::string>{};
    publish_models();
    // The model's positions go with it; positions opened by hand stay the user's.
    int closing = 0;
    for (const auto& sym : dropped) {
        const InstrumentId i = instrument_index(sym);
        if (!hook_->by_hand[i] && strategy_->close_position(*engine_, i)) ++closing;
    }
    std::string syms;
    for (const auto& s : dropped) syms += (syms.empty() ? "" : ", ") + s;
    out->message = fmt::format("{} withdrawn: {} no longer traded; {} closing order(s) sent at "
                               "market",
                               name, syms.empty() ? "no symbol" : syms, closing);
    out->data = json{{"model", name}, {"symbols", dropped}, {"closing_orders", closing}};
}

void LiveSession::issue_desk_ticket(const SignalRecord& sig, const Instrument& inst, Side side,
                                    double lots, CommandOutcome* out) {
    const auto stop = opt_.strategy.params.find(kStopLossParam);
    auto [t, created] = issue_ticket(
        store_, opt_.workspace,
        make_ticket(sig.id, session_.id, inst, side == Side::Buy, lots,
                    engine_->bars(instrument_index(inst.symbol)).last_close(),
                    stop == opt_.strategy.params.end() ? 0.0 : stop->second, clock_.now()));
    if (created) alerts_.enqueue(ticket_alert(0, t)); // stamped at commit
    out->data["ticket"] = t.to_json();
    out->message += fmt::format(". Ticket #{} for the broker: {} {} lots, stop {}, target {}",
                                t.id, t.side, t.lots, t.stop, t.target);
}

void LiveSession::check_balances(TimeMs wall_now) {
    // Orders whose outcome is not known yet would show up as a difference: wait for them.
    if (!exchange_->settled()) return;
    balance_check_due_ = false;
    try {
        exchange_->refresh_balances();
    } catch (const std::exception& e) {
        spdlog::warn("live: balances not reconciled now ({}); asking again at the next bar",
                     e.what());
        balance_check_due_ = true;
        return;
    }
    std::vector<BinanceSymbolRules> rules;
    for (InstrumentId i = 0; i < instruments_.size(); ++i) rules.push_back(exchange_->rules(i));
    for (const BalanceFinding& f :
         compare_balances(engine_->account(), instruments_, rules, exchange_->balances())) {
        if (f.severity == AlertSeverity::Info) {
            spdlog::info("live: balances: {}", f.text);
            continue;
        }
        if (f.severity == AlertSeverity::Critical)
            spdlog::error("live: balances: {}", f.text);
        else
            spdlog::warn("live: balances: {}", f.text);
        alerts_.enqueue(make_alert(wall_now, "balance_mismatch", f.severity,
                                   "Balance mismatch: " + f.asset, f.text,
                                   "balance_mismatch_" + f.asset));
    }
}

void LiveSession::apply_order(const Command& c, TimeMs at, CommandOutcome* out) {
    CommandOutcome& o = *out;
    InstrumentId i = 0;
    Side side = Side::Buy;
    double qty = 0;
    OrderSource src = OrderSource::Manual;
    std::optional<SignalRecord> sig;
    if (c.kind == CommandKind::Trade) {
        i = instrument_index(c.symbol);
        const double pos = engine_->position(i);
        if (c.side == TradeSide::Close) {
            if (pos == 0) {
                o.exit_code = 1;
                o.message = "No open " + instruments_[i].symbol + " position to close";
                return;
            }
            side = pos > 0 ? Side::Sell : Side::Buy;
            qty = c.amount > 0 ? std::min(c.amount / instruments_[i].contract_size, std::fabs(pos))
                               : std::fabs(pos);
        } else {
            side = c.side == TradeSide::Long ? Side::Buy : Side::Sell;
            qty = c.amount / instruments_[i].contract_size;
        }
    } else {
        sig = store_.signal(c.id);
        if (!sig) throw InputError(fmt::format("signals: no signal #{}", c.id));
        i = instrument_index(sig->symbol);
        side = sig->quantity > 0 ? Side::Buy : Side::Sell;
        qty = std::fabs(sig->quantity);
        src = OrderSource::Signal;
    }
    const Instrument& inst = instruments_[i];
    // The risk manager sizes a manual order before the venue's balance checks see it, so "too
    // big" becomes a reduction with a reason rather than a rejection.
    OrderIntent in{inst.symbol, sign(side) * qty * inst.contract_size,
                   engine_->bars(i).last_close(), to_string(src)};
    RiskAssessment pre = risk_.check(in, account_view(engine_->account(), clock_.now()));
    std::string risk_text = pre.reason;
    const double lots = std::fabs(pre.approved) / inst.contract_size;
    OrderId id = 0;
    std::string refused;
    if (pre.verdict == RiskVerdict::Deny) {
        hook_->record(pre);
        refused = risk_text;
    } else if (lots + 1e-12 < inst.min_qty) {
        // Reduced below what the venue accepts: refused here, saying so, not sent to fail.
        hook_->record(pre);
        refused = fmt::format("{}; the reduced size {} is below the minimum order {}, so "
                              "nothing was placed",
                              risk_text, format_units(inst, lots), format_units(inst, inst.min_qty));
    } else {
        OrderRequest r = OrderRequest::market(i, side, lots);
        r.tag = static_cast<std::uint32_t>(src);
        if (pre.verdict == RiskVerdict::Reduce) hook_->record(pre);
        const std::size_t before = hook_->assessments().size();
        const OrderId stop = engine_->protective_stop(i);
        hook_->last_denial.clear();
        id = engine_->submit(r);
        // Reducing a protected position: its stop goes now, before the order reaches the venue
        // (sends wait for the step's journal), so an exchange-side stop never holds the coins
        // this order sells. The engine places a new one for what is left.
        if (id != 0 && stop != 0 && (engine_->position(i) > 0) != (side == Side::Buy))
            engine_->cancel(stop);
        // Refused by the account rules (an assessment), by the session's own gates (warm-up, a
        // manual position) or by the instrument's rules.
        if (id == 0)
            refused = hook_->assessments().size() > before ? hook_->assessments().back().reason
                      : !hook_->last_denial.empty()        ? hook_->last_denial
                                                           : risk_text;
    }
    const bool reduced = pre.verdict == RiskVerdict::Reduce;
    if (id == 0) {
        o.exit_code = 1;
        o.message = fmt::format("Order refused (nothing placed): requested {} {}{}. Risk: {}",
                                to_string(side), format_units(inst, qty),
                                reduced ? fmt::format(", reduced by the risk manager to {}",
                                                      format_units(inst, lots))
                                        : "",
                                refused);
        if (sig) store_.update_signal(sig->id, "refused", at, refused);
    } else {
        o.message = fmt::format(
            "Order {} sent: {} {} at market{} ({}). Risk: {}", journal_->client_id(id),
            to_string(side), format_units(inst, lots),
            reduced ? fmt::format(" (placed at the reduced size; requested {})",
                                  format_units(inst, qty))
                    : "",
            opt_.mode == "live" ? "live: sent to the exchange now; its fill is booked at the "
                                  "next bar"
                                : "paper: fills at the next bar's open",
            risk_text);
        o.data["client_order_id"] = journal_->client_id(id);
        o.data["placed_qty"] = lots;
        if (c.kind == CommandKind::Trade && c.side != TradeSide::Close) {
            hook_->by_hand[i] = true;
            o.message += fmt::format(". The strategy leaves {} alone until this position is "
                                     "closed (`aurum trade --symbol {} --side close`)",
                                     inst.symbol, inst.symbol);
        }
        if (sig) {
            store_.update_signal(sig->id, "approved", at, c.reason);
            if (inst.venue == "mt5") issue_desk_ticket(*sig, inst, side, lots, &o);
        }
    }
    o.data["risk"] = risk_text;
    o.data["verdict"] = to_string(pre.verdict);
    o.data["reduced"] = reduced;
}

} // namespace aurum
