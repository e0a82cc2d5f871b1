// `aurum alerts list|ack|test|check` and `aurum watchdog`: thin handlers over surfaces/alerts.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "data/database.hpp"
#include "live/alert_outbox.hpp"
#include "live/session_alerts.hpp"
#include "surfaces/alerts/alert_service.hpp"
#include "surfaces/alerts/watchdog.hpp"

namespace aurum {

using nlohmann::json;

void register_alerts(CLI::App& app, CliContext& ctx) {
    auto* alerts = app.add_subcommand("alerts", "Alerts: list, acknowledge, test the channels "
                                                "(config/alerts.yaml, docs/alerts.md)");
    alerts->require_subcommand(1);
    {
        auto* sub = alerts->add_subcommand("list", "Recent alerts and their delivery per channel");
        auto limit = std::make_shared<int>(20);
        sub->add_option("--limit", *limit, "How many (newest first)");
        on_run(sub, ctx, [&ctx, limit] {
            auto db = open_database(ctx.db_spec());
            AlertStore st(*db);
            json arr = json::array();
            for (const auto& a : st.recent(std::max(1, *limit))) {
                json j{{"id", a.id}, {"time", a.time}, {"kind", a.kind},
                       {"severity", to_string(a.severity)}, {"title", a.title},
                       {"acked", a.acked_at != 0}};
                arr.push_back(j);
                if (!ctx.json)
                    std::cout << fmt::format("#{:<5} {} {:<8} {}{}\n", a.id, format_time(a.time),
                                             to_string(a.severity), a.title,
                                             a.acked_at ? " (acknowledged)" : "");
            }
            if (ctx.json) std::cout << json{{"alerts", arr}, {"delivery", st.delivery_status()}}.dump(2) << "\n";
            return 0;
        });
    }
    {
        auto* sub = alerts->add_subcommand("ack", "Acknowledge a critical alert (its reminders stop)");
        auto id = std::make_shared<std::int64_t>(0);
        sub->add_option("id", *id, "Alert id (from the message or `aurum alerts list`)")->required();
        on_run(sub, ctx, [&ctx, id] {
            if (*id <= 0) throw InputError(fmt::format("alerts ack: id must be > 0, got {}", *id));
            auto db = open_database(ctx.db_spec());
            if (!acknowledge_alert(*db, *id, "cli", SystemClock().now()))
                throw InputError(fmt::format("alerts ack: no alert #{}", *id));
            std::cout << fmt::format("Alert #{} acknowledged\n", *id);
            return 0;
        });
    }
    {
        auto* sub = alerts->add_subcommand(
            "test", "Check config/alerts.yaml and send a test alert to every channel now");
        auto severity = std::make_shared<std::string>("warning");
        sub->add_option("--severity", *severity, "info, warning or critical");
        on_run(sub, ctx, [&ctx, severity] {
            const AlertSeverity sev = parse_alert_severity(*severity);
            const AlertsConfig cfg = load_workspace_alerts(ctx.workspace());
            if (!cfg.enabled || !cfg.any_channel())
                throw InputError("alerts test: no channel is enabled in " +
                                 ctx.workspace().config_file("alerts.yaml").string() +
                                 " (alerts.enabled and a channel under alerts.channels)");
            auto db = open_database(ctx.db_spec());
            SystemClock clock;
            {
                AlertStore st(*db);
                Transaction tx(*db);
                st.insert(make_alert(clock.now(), "test", sev, "Test alert",
                                     "Sent by `aurum alerts test`: this channel works."));
                tx.commit();
            }
            AlertDispatcher d(*db, make_channel_routes(cfg), cfg.policy);
            deliver_pending(d, clock, 30000);
            const json status = AlertStore(*db).delivery_status();
            for (const auto& c : status["channels"])
                std::cout << fmt::format("{:<24} {} sent, {} queued, {} failed{}\n",
                                         c["channel"].get<std::string>(), c["sent"].get<int>(),
                                         c["queued"].get<int>(), c["failed"].get<int>(),
                                         c["state"] == "ok" ? ""
                                                            : " (" + c["state"].get<std::string>() +
                                                                  ": " +
                                                                  c["last_error"].get<std::string>() + ")");
            return 0;
        });
    }
    {
        auto* sub = alerts->add_subcommand("check", "Validate config/alerts.yaml and credentials");
        on_run(sub, ctx, [&ctx] {
            const AlertsConfig cfg = load_workspace_alerts(ctx.workspace());
            std::cout << (cfg.enabled ? fmt::format("alerts enabled: {} channel(s)\n",
                                                    make_channel_routes(cfg).size())
                                      : std::string("alerts disabled\n"));
            return 0;
        });
    }
    {
        auto* sub = app.add_subcommand(
            "watchdog", "Alert when the daemon's heartbeat stops (run from cron or a systemd "
                        "timer; exit 1 while the daemon is down)");
        on_run(sub, ctx, [&ctx] {
            const AlertsConfig cfg = load_workspace_alerts(ctx.workspace());
            auto db = open_database(ctx.db_spec());
            SystemClock clock;
            const WatchdogResult r = run_watchdog(ctx.workspace(), *db, cfg, clock, 30000);
            if (ctx.json)
                std::cout << json{{"alive", r.alive}, {"text", r.text}, {"alert", r.alert_id}}.dump(2)
                          << "\n";
            else
                std::cout << r.text
                          << (r.alert_id ? fmt::format(" (alert #{} raised)", r.alert_id) : "")
                          << "\n";
            return r.alive ? 0 : 1;
        });
    }
}

} // namespace aurum
