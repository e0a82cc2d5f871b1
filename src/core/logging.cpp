#include "core/logging.hpp"

#include <algorithm>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/clock.hpp"
#include "core/time.hpp"

namespace aurum {

static std::unique_ptr<spdlog::formatter> utc_formatter() {
    return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%d %H:%M:%S.%e UTC %l %v",
                                                       spdlog::pattern_time_type::utc);
}

void init_logging(const LogOptions& options) {
    std::vector<spdlog::sink_ptr> sinks;
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_level(options.verbose ? spdlog::level::debug
                                       : options.quiet ? spdlog::level::warn : spdlog::level::info);
    console->set_pattern("%^%l%$: %v");
    sinks.push_back(console);
    if (!options.logs_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(options.logs_dir, ec);
        if (!ec) {
            std::string day = format_date(SystemClock().now());
            day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
            auto daily = std::make_shared<spdlog::sinks::basic_file_sink_mt>(
                (options.logs_dir / ("aurum_" + day + ".log")).string());
            daily->set_level(spdlog::level::debug);
            daily->set_formatter(utc_formatter());
            sinks.push_back(daily);
            auto errors = std::make_shared<spdlog::sinks::basic_file_sink_mt>(
                (options.logs_dir / "error.log").string());
            errors->set_level(spdlog::level::err);
            errors->set_formatter(utc_formatter());
            sinks.push_back(errors);
        }
    }
    auto logger = std::make_shared<spdlog::logger>("aurum", sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::debug);
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

} // namespace aurum
