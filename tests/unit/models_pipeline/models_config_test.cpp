#include <filesystem>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "models/models_config.hpp"

using namespace aurum;

TEST(ModelsConfig, shipped_file_matches_the_built_in_defaults) {
    const auto file = std::filesystem::path(AURUM_TEST_DATA).parent_path().parent_path() / "config" / "models.yaml";
    EXPECT_EQ(read_file(file), default_models_yaml());
    const auto c = ModelsConfig::load(file);
    EXPECT_DOUBLE_EQ(c.policy.threshold, 0.70);
    EXPECT_DOUBLE_EQ(c.gating.min_sharpe, 1.0);
    EXPECT_DOUBLE_EQ(c.gating.max_drawdown, 0.20);
    EXPECT_EQ(c.split.folds, 5);
}

TEST(ModelsConfig, bad_values_name_file_line_and_key) {
    try {
        ModelsConfig::parse("policy:\n  threshold: 1.5\n", "models.yaml");
        FAIL();
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("models.yaml:2"), std::string::npos) << m;
        EXPECT_NE(m.find("threshold"), std::string::npos) << m;
    }
    EXPECT_THROW(ModelsConfig::parse("models:\n  gbdt: {max_dept: 3}\n", "m.yaml"), InputError);
    EXPECT_THROW(ModelsConfig::parse("walkforward: {scheme: sideways}\n", "m.yaml"), InputError);
    EXPECT_THROW(ModelsConfig::parse("models:\n  ensemble: {members: [gbdt, forest]}\n", "m.yaml"), InputError);
}
