// EnumTable: names both ways, unknown text is an InputError listing the known names.
#include <gtest/gtest.h>

#include "core/enum_table.hpp"

using namespace aurum;

namespace {
enum class Colour { Red, Green, Blue };
constexpr EnumTable<Colour, 2> kColours{{{{Colour::Red, "red"}, {Colour::Green, "green"}}}};
} // namespace

TEST(EnumTable, names_round_trip_and_unknown_text_is_an_input_error_listing_the_names) {
    EXPECT_EQ(kColours.name(Colour::Green), "green");
    EXPECT_EQ(kColours.parse("red", "colour"), Colour::Red);
    EXPECT_FALSE(kColours.find("Red").has_value()); // exact text only
    EXPECT_EQ(kColours.names(), "red, green");
    try {
        kColours.parse("mauve", "colour");
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        EXPECT_STREQ(e.what(), "colour: unknown value 'mauve' (known: red, green)");
    }
    EXPECT_THROW(kColours.name(Colour::Blue), InvariantError); // a value missing from its table
}
