// The frozen id hash (its values must never change: stored ids depend on them) and the error
// taxonomy.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/stable_hash.hpp"

namespace aurum {
namespace {

TEST(StableHash, pins_the_values_stored_ids_were_made_with) {
    EXPECT_EQ(fnv1a_short_basis64(""), 1469598103934665603ULL);
    EXPECT_EQ(fnv1a_short_basis64("a"), 0x44bd8ad473cd9906ULL);
    EXPECT_EQ(fnv1a_short_basis64("BTC/USDT"), 0x59e67ce142c1ae6fULL);
    EXPECT_EQ(fnv1a_short_basis64("paper|4h"), 0xa0be0ead70988a5dULL);
}

TEST(StableHash, is_not_fnv1a_whose_basis_has_one_more_digit) {
    // Real FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: a "fix" of the seed would change every id.
    EXPECT_NE(fnv1a_short_basis64("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(StableHash, incremental_adds_equal_one_pass) {
    Fnv1aShortBasis64 h;
    h.add("BTC/").add("USDT");
    EXPECT_EQ(h.value(), fnv1a_short_basis64("BTC/USDT"));
    Fnv1aShortBasis64 sep;
    sep.add("a").add_byte(0xff);
    EXPECT_NE(sep.value(), fnv1a_short_basis64("a"));
}

TEST(ErrorTaxonomy, invariant_errors_are_not_input_errors_and_exit_3) {
    EXPECT_EQ(static_cast<int>(ExitCode::Invariant), 3);
    try {
        throw InvariantError("columns differ");
    } catch (const InputError&) {
        FAIL() << "an InvariantError must not be caught as bad input";
    } catch (const std::logic_error& e) {
        EXPECT_STREQ(e.what(), "internal invariant broken: columns differ");
    }
}

} // namespace
} // namespace aurum
