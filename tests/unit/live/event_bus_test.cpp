// The engine's live events: every reader gets every event in order; a reader that falls behind
// is dropped (its stream ends) and the publisher never waits for it.
#include <gtest/gtest.h>


#include "live/event_bus.hpp"

using namespace aurum;

TEST(EventBus, every_reader_gets_every_event_in_order) {
    EventBus bus;
    EXPECT_FALSE(bus.has_subscribers());
    auto a = bus.subscribe(), b = bus.subscribe();
    EXPECT_TRUE(bus.has_subscribers());
    for (int i = 0; i < 10; ++i) bus.publish("bar", std::to_string(i));
    for (auto* s : {&a, &b})
        for (int i = 0; i < 10; ++i) {
            const auto e = (*s)->next(0);
            ASSERT_TRUE(e);
            EXPECT_EQ(e->name, "bar");
            EXPECT_EQ(e->data, std::to_string(i));
        }
    EXPECT_FALSE(a->next(0));
    bus.unsubscribe(a);
    EXPECT_EQ(bus.subscribers(), 1u);
}

TEST(EventBus, a_slow_reader_is_dropped_and_the_publisher_never_waits) {
    EventBus bus;
    auto slow = bus.subscribe(), fast = bus.subscribe();
    int got = 0;
    // The publisher (one thread, never blocked: the slow reader never reads) outruns one reader
    // while the other keeps up between batches.
    for (int batch = 0; batch < 4; ++batch) {
        for (std::size_t i = 0; i < EventBus::kBuffer / 2; ++i) bus.publish("bar", "{}");
        while (fast->next(0)) ++got;
    }
    EXPECT_EQ(got, static_cast<int>(EventBus::kBuffer) * 2);
    EXPECT_TRUE(slow->dropped());
    EXPECT_FALSE(slow->next(0)); // its stream ends: the page reconnects and refetches
    EXPECT_FALSE(fast->dropped());
    EXPECT_EQ(bus.subscribers(), 1u);
    bus.close();
    EXPECT_TRUE(fast->dropped());
    EXPECT_FALSE(bus.has_subscribers());
}
