// The command layer as a user types it with the daemon down: bad input exits 2 naming the field
// and the value, and writes nothing (risk.yaml, the audit and command tables unchanged).
#include <gtest/gtest.h>

#include "live/state_store.hpp"
#include "risk/risk_limits.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
namespace fs = std::filesystem;

namespace {

std::size_t rows(const fs::path& home, const std::string& table) {
    auto db = open_database(test::home_db(home));
    StateStore st(*db); // schema exists
    return static_cast<std::size_t>(db->query_one("SELECT COUNT(*) FROM " + table)->as_int(0));
}

test::CliResult cli(const fs::path& home, std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home.string()});
    return test::run_aurum(args);
}

} // namespace

TEST(CommandsCli, bad_input_exits_2_naming_the_field_and_value_and_writes_nothing) {
    test::TempDir home;
    test::seed_workspace(home.path(), 10);
    const auto risk_yaml = home / "config" / "risk.yaml";
    test::write_text(risk_yaml, render_risk_yaml(RiskLimits{}));
    const std::string yaml_before = test::slurp(risk_yaml);
    const auto audit = rows(home.path(), "live_audit");
    const auto cmds = rows(home.path(), "live_commands");
    struct Case {
        std::vector<std::string> args;
        std::vector<std::string> expect;
    };
    const std::vector<Case> cases = {
        // The seed's typo: 150% of equity on one symbol, above heat and leverage.
        {{"risk", "set", "--max-position", "1.5", "--reason", "x"},
         {"max_position 1.5", "max_portfolio_heat 0.5"}},
        {{"risk", "set", "--max-position", "1.5", "--confirm", "--reason", "x"},
         {"max_position 1.5", "max_portfolio_heat"}},
        // Loosening more than 2x needs --confirm.
        {{"risk", "set", "--max-drawdown", "0.5", "--reason", "x"},
         {"max_drawdown 0.15 -> 0.5", "--confirm"}},
        {{"risk", "set", "--max-position", "abc"}, {"max_position", "abc"}},
        {{"trade", "--symbol", "BTC/USDT", "--side", "sideways", "--amount", "0.1", "--reason", "x"},
         {"--side", "'sideways'"}},
        {{"trade", "--symbol", "BTC/USDT", "--side", "long", "--amount", "-1", "--reason", "x"},
         {"--amount", "-1"}},
        {{"signals", "approve", "0"}, {"id", "0"}},
        {{"resume", "--reason", "x"}, {"resume", "not paused"}},
    };
    for (const auto& c : cases) {
        const auto r = cli(home.path(), c.args);
        EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << c.args[1] << ": " << r.out << r.err;
        for (const auto& w : c.expect)
            EXPECT_NE(r.err.find(w), std::string::npos) << c.args[1] << ": " << r.err;
    }
    EXPECT_EQ(test::slurp(risk_yaml), yaml_before);
    EXPECT_EQ(rows(home.path(), "live_audit"), audit);
    EXPECT_EQ(rows(home.path(), "live_commands"), cmds);

    // Confirmed, the loosening is applied (offline: to the file) and audited.
    const auto ok = cli(home.path(), {"risk", "set", "--max-drawdown", "0.5", "--confirm",
                                      "--reason", "wider stop, reviewed"});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_DOUBLE_EQ(load_risk_limits(risk_yaml.string()).max_drawdown, 0.5);
    EXPECT_EQ(rows(home.path(), "live_audit"), audit + 1);
}
