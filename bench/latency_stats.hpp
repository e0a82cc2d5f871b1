#pragma once
// What the latency benchmarks share: the calling thread's CPU clock and a percentile.
#include <time.h>

#include <algorithm>
#include <vector>

namespace aurum::bench {

/// CPU time of the calling thread, in microseconds (not wall time: preemption excluded).
inline double thread_cpu_us() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

/// The p-quantile (0..1) of `v`, nearest rank below; sorts `v`. 0 when empty.
inline double percentile(std::vector<double>& v, double p) {
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

} // namespace aurum::bench
