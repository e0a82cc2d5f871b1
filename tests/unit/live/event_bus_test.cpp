// The engine's live events: every reader gets every event in order; a reader that falls behind
// is dropped (its stream ends) and the publisher never waits for it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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
    std::atomic<int> got{0};
    std::thread reader([&] {
        while (auto e = fast->next(1000)) ++got;
    });
    const auto t0 = std::chrono::steady_clock::now();
    const int n = static_cast<int>(EventBus::kBuffer) * 4;
    for (int i = 0; i < n; ++i) bus.publish("bar", "{}");
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(slow->dropped());
    EXPECT_FALSE(slow->next(0)); // its stream ends: the page reconnects and refetches
    bus.close();
    reader.join();
    EXPECT_TRUE(fast->dropped());
    EXPECT_GT(got.load(), 0);
    // Not a timing assertion of the machine's speed: publishing 1024 small events must not have
    // waited on the never-reading subscriber (it would block forever if it did).
    EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(took).count(), 60);
}
