// The CLI as users type it, through the real binary: global options anywhere, the help in
// workflow order, log files the runbooks find, config defaults in a new workspace, --out guards
// and what `data import` refuses.
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/logging.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Cli : public ::testing::Test {
protected:
    test::CliResult aurum(std::vector<std::string> args) {
        args.insert(args.begin(), {"--home", home_.path().string()});
        return test::run_aurum(args);
    }
    /// 60 days of synthetic BTC/USDT 4h bars in the workspace store.
    void synth() {
        const auto r = aurum({"data", "synth", "--symbols", "BTC/USDT", "--timeframe", "4h",
                              "--days", "60"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    std::filesystem::path db() const { return home_ / "data/aurum.db"; }
    test::TempDir home_;
};

TEST_F(Cli, global_options_are_accepted_after_the_subcommand) {
    synth();
    auto r = aurum({"data", "list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.is_array() || j.is_object()) << r.out;
    EXPECT_THAT(r.out, HasSubstr("BTC/USDT"));

    // --home at the very end, and -q / -v after a nested subcommand.
    r = test::run_aurum({"data", "list", "-q", "--home", home_.path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("BTC/USDT"));
    r = test::run_aurum({"data", "list", "-v", "--db", db().string(), "--home",
                         home_.path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("BTC/USDT"));
    // An option nobody knows is still bad usage.
    r = aurum({"data", "list", "--no-such-option"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST_F(Cli, help_lists_the_commands_in_workflow_order) {
    const auto r = test::run_aurum({"--help"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::size_t last = 0;
    for (const char* cmd : {"data", "features", "labels", "regimes", "backtest", "train",
                            "walkforward", "predict", "registry", "run", "status", "summary",
                            "health"}) {
        const std::size_t at = r.out.find("\n  " + std::string(cmd) + " ");
        ASSERT_NE(at, std::string::npos) << cmd << "\n" << r.out;
        EXPECT_GT(at, last) << cmd << " out of order:\n" << r.out;
        last = at;
    }
}

TEST_F(Cli, a_new_workspace_starts_with_the_commented_default_configs) {
    synth();
    for (const char* f : {"risk.yaml", "live.yaml", "models.yaml", "features.yaml",
                          "validation.yaml", "alerts.yaml"})
        EXPECT_EQ(slurp(home_ / "config" / f), slurp(test::source_file(std::string("config/") + f)))
            << f;
}

TEST_F(Cli, a_users_config_is_never_overwritten_by_the_defaults) {
    test::write_text(home_ / "config/risk.yaml", "risk:\n  max_position: 0.1\n");
    synth();
    EXPECT_EQ(slurp(home_ / "config/risk.yaml"), "risk:\n  max_position: 0.1\n");
}

TEST_F(Cli, logs_are_named_aurum_edge_with_upper_case_levels_and_imports_are_logged) {
    synth();
    test::write_text(home_ / "BTCUSDT_1d.csv", "timestamp,open,high,low,close,volume\n"
                                               "2024-01-01,100,110,90,105,1\n"
                                               "2024-01-02,105,115,95,110,2\n");
    const auto r = aurum({"data", "import", (home_ / "BTCUSDT_1d.csv").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string log = slurp(daily_log_file(home_ / "logs", SystemClock().now()));
    EXPECT_THAT(log, HasSubstr(" UTC INFO data import: "));
    EXPECT_THAT(log, HasSubstr("as BTC/USDT 1d: 2 rows"));
    EXPECT_THAT(r.err, Not(HasSubstr("data import:"))) << "the command's own output says it";
}

TEST_F(Cli, features_export_never_writes_over_the_store_a_config_or_an_existing_file) {
    synth();
    auto r = aurum({"features", "build", "--symbol", "BTC/USDT", "--timeframe", "4h"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string before = slurp(db());
    const std::vector<std::string> base{"features", "export", "--symbol", "BTC/USDT",
                                        "--timeframe", "4h", "--out"};
    auto exp = [&](const std::filesystem::path& out, bool force) {
        auto a = base;
        a.push_back(out.string());
        if (force) a.push_back("--force");
        return aurum(a);
    };
    r = exp(db(), true);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("refusing to write over the database"));
    EXPECT_EQ(slurp(db()), before);

    const std::string risk = slurp(home_ / "config/risk.yaml");
    r = exp(home_ / "config/risk.yaml", true);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("config file"));
    EXPECT_EQ(slurp(home_ / "config/risk.yaml"), risk);

    r = exp(home_ / "models/registry/index.json", true);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("model registry"));

    test::write_text(home_ / "mine.csv", "precious\n");
    r = exp(home_ / "mine.csv", false);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("file exists (use --force"));
    EXPECT_EQ(slurp(home_ / "mine.csv"), "precious\n");
    r = exp(home_ / "mine.csv", true);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(slurp(home_ / "mine.csv").rfind("timestamp,", 0), 0u);
    r = exp(home_ / "new.csv", false);
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Cli, import_refuses_a_symbol_or_timeframe_that_contradicts_the_file_unless_forced) {
    const std::string daily = "timestamp,open,high,low,close,volume\n"
                              "2024-01-01,100,110,90,105,1\n"
                              "2024-01-02,105,115,95,110,2\n"
                              "2024-01-03,110,120,100,115,3\n";
    test::write_text(home_ / "ETHUSDT_1d.csv", daily);
    const std::string eth = (home_ / "ETHUSDT_1d.csv").string();
    auto r = aurum({"data", "import", eth, "--symbol", "BTC/USDT"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("--symbol BTC/USDT: the file name 'ETHUSDT_1d.csv' says ETH/USDT"));
    r = aurum({"data", "import", eth, "--timeframe", "H4"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("says 1d"));

    test::write_text(home_ / "bars.csv", daily); // no hint in the name: the spacing decides
    const std::string bars = (home_ / "bars.csv").string();
    r = aurum({"data", "import", bars, "--symbol", "ETH/USDT", "--timeframe", "13m"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("the bars are 1d apart but the timeframe is 13m"));
    r = aurum({"--json", "data", "list"});
    EXPECT_THAT(r.out, Not(HasSubstr("ETH/USDT"))) << "nothing may be written";

    r = aurum({"data", "import", eth, "--symbol", "BTC/USDT", "--force"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = aurum({"data", "import", eth});
    EXPECT_EQ(r.exit_code, 0) << r.err;

    test::write_text(home_ / "ETHUSDT_1d.csv", "timestamp,open,high,low,close,volume\n"
                                               "2024-01-02,205,215,195,210,2\n"
                                               "2024-01-03,210,220,200,215,3\n");
    r = aurum({"data", "import", eth});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("2 bars of ETH/USDT 1d are already stored with different values"));
    r = aurum({"data", "import", eth, "--replace"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("2 stored bars replaced with different values"));
}

TEST_F(Cli, duplicate_config_keys_exit_2_naming_both_lines) {
    synth();
    test::write_text(home_ / "config/validation.yaml", "gaps:\n  fail_max_gap: 14d\n"
                                                       "  fail_max_gap: 2d\n");
    const auto r = aurum({"data", "validate", "--symbol", "BTC/USDT", "--timeframe", "4h"});
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_THAT(r.err, HasSubstr("validation.yaml:3: duplicate key 'gaps.fail_max_gap' "
                                 "(first given at "));
}

} // namespace
} // namespace aurum
