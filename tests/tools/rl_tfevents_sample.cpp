// Writes a TensorBoard event file with known scalars for tests/python/rl_tfevents_decode.py:
//   rl_tfevents_sample ROOT RUN
// Tags: "reward/mean" = step * 0.25 - 3, "episode/length" = 100 + step, "shield/interventions"
// = step * step, for steps 0..49, wall time 1700000000 + step.
#include <cstdio>
#include <exception>

#include "rl/tfevents_writer.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: rl_tfevents_sample ROOT RUN\n");
        return 2;
    }
    try {
        aurum::EventWriter w(argv[1], argv[2]);
        for (int s = 0; s < 50; ++s) {
            const double t = 1700000000.0 + s;
            w.scalar_at(t, "reward/mean", s, s * 0.25 - 3);
            w.scalar_at(t, "episode/length", s, 100 + s);
            w.scalar_at(t, "shield/interventions", s, static_cast<double>(s) * s);
        }
        w.flush();
        std::printf("%s\n", w.path().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
