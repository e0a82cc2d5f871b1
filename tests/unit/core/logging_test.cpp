// Log files as the runbooks read them: logs/aurum_edge_YYYYMMDD.log and logs/error.log with
// upper-case level names.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/logging.hpp"
#include "core/time.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(Logging, daily_file_is_named_aurum_edge_and_the_day) {
    EXPECT_EQ(daily_log_file("logs", parse_time("2026-01-05 13:00").value()),
              std::filesystem::path("logs/aurum_edge_20260105.log"));
    EXPECT_EQ(log_level_tag(spdlog::level::warn), " UTC WARNING ");
}

TEST(Logging, files_carry_upper_case_levels_and_errors_go_to_error_log) {
    test::TempDir dir;
    init_logging(LogOptions{dir.path(), false, true});
    spdlog::info("execution: order AE1 journaled and sent");
    spdlog::warn("gap in BTC/USDT");
    spdlog::error("store unreachable");
    file_logger().info("data import: file only");
    spdlog::default_logger()->flush();
    file_logger().flush();
    const std::string daily = slurp(daily_log_file(dir.path(), SystemClock().now()));
    init_logging(LogOptions{}); // release the files before TempDir removes them
    EXPECT_NE(daily.find(" UTC INFO execution: order AE1 journaled and sent"), std::string::npos)
        << daily;
    EXPECT_NE(daily.find(" UTC WARNING gap in BTC/USDT"), std::string::npos) << daily;
    EXPECT_NE(daily.find(" UTC ERROR store unreachable"), std::string::npos) << daily;
    EXPECT_NE(daily.find(" UTC INFO data import: file only"), std::string::npos) << daily;
    EXPECT_EQ(daily.find(" warning "), std::string::npos) << daily;
    const std::string err_log = slurp(dir / "error.log");
    EXPECT_NE(err_log.find(" UTC ERROR store unreachable"), std::string::npos) << err_log;
    EXPECT_EQ(err_log.find("gap in"), std::string::npos) << err_log;
}

} // namespace
} // namespace aurum
