#include "core/logging.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/clock.hpp"

namespace aurum {

namespace {

/// spdlog's full level name in upper case (INFO, WARNING, ERROR), for the `%U` flag.
std::string upper_level_name(spdlog::level::level_enum level) {
    const auto sv = spdlog::level::to_string_view(level);
    std::string name(sv.data(), sv.size());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return name;
}

class UpperLevelFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        const std::string name = upper_level_name(msg.level);
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<UpperLevelFlag>();
    }
};

std::unique_ptr<spdlog::formatter> utc_formatter() {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<UpperLevelFlag>('U').set_pattern("%Y-%m-%d %H:%M:%S.%e UTC %U %v");
    return f;
}

} // namespace

std::filesystem::path daily_log_file(const std::filesystem::path& logs_dir, TimeMs when) {
    std::string day = format_date(when);
    day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
    return logs_dir / ("aurum_edge_" + day + ".log");
}

std::string log_level_tag(spdlog::level::level_enum level) {
    return " UTC " + upper_level_name(level) + " ";
}

namespace {
std::shared_ptr<spdlog::logger>& file_logger_slot() {
    static auto logger = std::make_shared<spdlog::logger>("aurum.file");
    return logger;
}
} // namespace

spdlog::logger& file_logger() { return *file_logger_slot(); }

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
            auto daily = std::make_shared<spdlog::sinks::basic_file_sink_mt>(
                daily_log_file(options.logs_dir, SystemClock().now()).string());
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
    auto files = std::make_shared<spdlog::logger>("aurum.file", sinks.begin() + 1, sinks.end());
    files->set_level(spdlog::level::debug);
    files->flush_on(spdlog::level::info);
    file_logger_slot() = files;
}

} // namespace aurum
