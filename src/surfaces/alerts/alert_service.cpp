#include "surfaces/alerts/alert_service.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "live/state_store.hpp"
#include "surfaces/alerts/telegram_bot.hpp"

namespace aurum {

bool acknowledge_alert(Database& db, std::int64_t id, const std::string& by, TimeMs wall_now) {
    AlertStore alerts(db);
    StateStore state(db);
    Transaction tx(db);
    const bool ok = alerts.acknowledge(id, wall_now, by);
    state.audit(wall_now, "alert_ack", "", "alert #" + std::to_string(id) + " by " + by,
                ok ? "ok" : "no such alert");
    tx.commit();
    return ok;
}

namespace {

class AlertService final : public DaemonService {
public:
    AlertService(const AlertsConfig& c, const std::string& db_spec, CommandQueue& queue,
                 QueryFn query, const Clock& clock)
        : worker_(open_database(db_spec), make_channel_routes(c), c.policy, clock) {
        worker_.start();
        if (c.telegram.enabled && c.commands.enabled) {
            bot_db_ = open_database(db_spec);
            TelegramBotHooks hooks;
            hooks.submit = [&queue](const Command& cmd) {
                return queue.submit(to_string(cmd.kind), cmd.to_json());
            };
            hooks.query = std::move(query);
            hooks.audit = [this, &clock](const std::string& action, const std::string& reason,
                                         const std::string& details, const std::string& result) {
                StateStore(*bot_db_).audit(clock.now(), action, reason, details, result);
            };
            hooks.ack = [this, &clock](std::int64_t id, const std::string& by) {
                return acknowledge_alert(*bot_db_, id, by, clock.now());
            };
            bot_ = std::make_unique<TelegramBot>(c.telegram_base_url, c.telegram_token, c.commands,
                                                 std::move(hooks), clock, c.timeout_ms);
            bot_thread_ = std::thread([this] {
                try {
                    bot_->drop_stale_updates();
                } catch (const std::exception& e) {
                    spdlog::warn("telegram bot: {}", e.what());
                }
                bot_->run(stop_bot_);
            });
        }
    }
    ~AlertService() override { stop(); }

    void notify() override { worker_.wake(); }

    void stop() override {
        stop_bot_.store(true);
        if (bot_thread_.joinable()) bot_thread_.join();
        // What is still queued after this stays in the outbox for the next start or the
        // watchdog; the daemon does not hang on a slow channel.
        worker_.stop(15000);
    }

private:
    AlertWorker worker_;
    std::unique_ptr<Database> bot_db_;
    std::unique_ptr<TelegramBot> bot_;
    std::thread bot_thread_;
    std::atomic<bool> stop_bot_{false};
};

} // namespace

std::unique_ptr<DaemonService> make_alert_service(const AlertsConfig& config,
                                                  const std::string& db_spec, CommandQueue& queue,
                                                  QueryFn query, const Clock& clock) {
    return std::make_unique<AlertService>(config, db_spec, queue, std::move(query), clock);
}

} // namespace aurum

namespace aurum {

DaemonServiceFactory alert_service_factory(const AlertsConfig& config, const std::string& db_spec) {
    if (!config.enabled || !config.any_channel()) return {};
    return [config, db_spec](CommandQueue& queue, QueryFn query) {
        static SystemClock clock;
        return make_alert_service(config, db_spec, queue, std::move(query), clock);
    };
}

} // namespace aurum
