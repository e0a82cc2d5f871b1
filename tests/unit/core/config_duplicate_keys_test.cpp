// Duplicate keys in a config file are an error naming both lines, never "first one wins".
#include <string>

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/error.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

std::string error_of(const std::string& text) {
    try {
        ConfigNode::parse(text, "config/risk.yaml");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

TEST(ConfigDuplicateKeys, a_key_given_twice_names_both_lines) {
    const std::string e =
        error_of("risk:\n  max_drawdown: 0.15\n  max_position: 0.25\n  max_drawdown: 0.5\n");
    EXPECT_EQ(e, "config/risk.yaml:4: duplicate key 'risk.max_drawdown' (first given at "
                 "config/risk.yaml:2)");
}

TEST(ConfigDuplicateKeys, a_second_block_is_refused) {
    const std::string e = error_of("gating:\n  min_sharpe: 1\nother: 2\ngating:\n  min_sharpe: 0\n");
    EXPECT_NE(e.find("config/risk.yaml:4: duplicate key 'gating'"), std::string::npos) << e;
    EXPECT_NE(e.find("config/risk.yaml:1"), std::string::npos) << e;
}

TEST(ConfigDuplicateKeys, inside_lists_too) {
    const std::string e = error_of("sets:\n  - name: a\n    name: b\n");
    EXPECT_NE(e.find(":3: duplicate key 'sets[0].name'"), std::string::npos) << e;
}

TEST(ConfigDuplicateKeys, the_same_key_in_different_maps_is_fine) {
    EXPECT_EQ(error_of("a:\n  x: 1\nb:\n  x: 2\n"), "");
    EXPECT_EQ(ConfigNode::parse("a:\n  x: 1\nb:\n  x: 2\n", "f").child("b").get_int("x", 0), 2);
}

TEST(ConfigDuplicateKeys, the_shipped_defaults_have_none) {
    for (const char* f : {"risk.yaml", "live.yaml", "models.yaml", "features.yaml",
                          "validation.yaml"})
        EXPECT_NO_THROW(ConfigNode::load_file(test::source_file(std::string("config/") + f).string()))
            << f;
}

} // namespace
} // namespace aurum
