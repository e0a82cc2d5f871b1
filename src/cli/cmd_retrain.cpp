// `aurum retrain`: train, walk-forward and gate each model again (as `aurum train --promote`),
// promote only on passing gates, audit with the reason, and hot-swap a running daemon through
// the control API (a journaled model_reload). Thin handler over live/retrain.hpp.
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "live/retrain.hpp"
#include "surfaces/control_api_client.hpp"

namespace aurum {

using nlohmann::json;

namespace {

/// Training from a running session never sees past its clock: a replay's clock is in the past,
/// and bars after it are the future the session has not reached yet.
void cap_at_session_clock(const Workspace& ws, RetrainRequest& rq, bool to_given) {
    auto cli = connect_daemon(ws);
    if (!cli) return;
    TimeMs clock = 0;
    try {
        clock = cli->get("/api/status").value("session_time", TimeMs{0});
    } catch (const SystemError& e) {
        spdlog::warn("daemon not answering ({}); training range not capped", e.what());
        return;
    }
    if (clock <= 0 || clock >= rq.range.to) return;
    if (to_given)
        spdlog::warn("retrain: --to {} is after the running session's clock; training stops at {}",
                     format_time(rq.range.to), format_time(clock));
    rq.range.to = clock;
    std::cout << "Training on data up to the running session's clock, " << format_time(clock)
              << " (nothing after it)\n";
}

} // namespace

void register_retrain(CLI::App& app, CliContext& ctx) {
    struct Flags {
        std::string model, reason, symbols, timeframe, from, to;
        bool force = false;
    };
    auto f = std::make_shared<Flags>();
    auto* sub = app.add_subcommand(
        "retrain", "Retrain models (train, walk-forward, gate), promote only when gating passes, "
                   "and hot-swap the running daemon at its next bar");
    sub->add_option("--model", f->model, "all, gbdt, lstm, gnn or ensemble")->required();
    sub->add_option("--reason", f->reason, "Why (required; goes into the audit log)");
    sub->add_option("--symbols", f->symbols,
                    "Comma-separated symbols (default: the running or "
                    "latest session's)");
    sub->add_option("--timeframe", f->timeframe, "Bar timeframe (default: the session's)");
    sub->add_option("--from", f->from, "First bar of the training data (date; default: all)");
    sub->add_option("--to", f->to, "End of the training data (date, exclusive)");
    sub->add_flag("--force", f->force, "Promote even when gating fails (logged loudly, audited)");
    on_run(sub, ctx, [&ctx, f] {
        RetrainRequest rq;
        rq.model = f->model;
        rq.reason = f->reason;
        rq.timeframe = f->timeframe;
        rq.force = f->force;
        std::stringstream ss(f->symbols);
        for (std::string s; std::getline(ss, s, ',');)
            if (!s.empty())
                rq.symbols.push_back(s);
        auto date = [](const std::string& flag, const std::string& text) {
            const auto t = parse_time(text);
            if (!t)
                throw InputError(flag + ": '" + text + "' is not a date (use 2024-01-31)");
            return *t;
        };
        if (!f->from.empty())
            rq.range.from = date("--from", f->from);
        if (!f->to.empty())
            rq.range.to = date("--to", f->to);
        const Workspace ws = ctx.workspace();
        cap_at_session_clock(ws, rq, !f->to.empty());
        auto store = ctx.open_store();
        rq = resolve_retrain(rq, *store, ctx.instruments()); // all checks before any write
        if (rq.force)
            spdlog::warn("retrain --force: gating results are IGNORED for promotion");
        SystemClock clock;
        const auto results = run_retrain(*store, ctx.instruments(), ws, rq, clock);

        // Hot swap: only the models the running daemon trades (or could, for a symbol it has
        // no model for). The daemon journals the swap and applies it at its next bar.
        json reloads = json::array();
        if (auto cli = connect_daemon(ws)) {
            DaemonModels daemon;
            daemon.selection.clear(); // nothing is wanted unless the daemon says what it trades
            try {
                daemon = DaemonModels::from_health(cli->get("/api/health"));
            } catch (const SystemError& e) {
                spdlog::warn("daemon not answering ({}); no hot swap", e.what());
            }
            for (const auto& r : results) {
                if (!hot_swap_wanted(r, daemon))
                    continue;
                const CommandOutcome o = cli->send(
                    model_command(CommandKind::ModelReload, r.name, r.version, rq.reason));
                reloads.push_back({{"model", r.name},
                                   {"version", r.version},
                                   {"exit_code", o.exit_code},
                                   {"message", o.message}});
            }
        }
        if (ctx.json) {
            json arr = json::array();
            for (const auto& r : results)
                arr.push_back(r.to_json());
            std::cout << json{{"results", arr}, {"reloads", reloads}, {"reason", rq.reason}}.dump(2)
                      << "\n";
        } else {
            for (const auto& r : results)
                std::cout << r.line << "\n";
            for (const auto& r : reloads)
                std::cout << fmt::format("daemon: {}\n", r["message"].get<std::string>());
        }
        return 0;
    });
}

} // namespace aurum
