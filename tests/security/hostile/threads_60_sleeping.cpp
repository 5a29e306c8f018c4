// Hawk Farm security suite: hostile candidate (docs/security.md, tests/security/test_hostile_corpus.py).
// name: threads_60_sleeping
// class: starvation
// tries: start 60 threads that sleep 30 s each (the old per-uid process limit)
// expect: SANDBOX_VIOLATION TIMEOUT RUNTIME_ERROR
// The ADD_KERNEL marker line at the end is replaced by the fp16 add_custom example (examples/kernels/add_custom.cpp),
// whose entry calls HOSTILE_ENTRY() first; the test fills in the at-sign placeholders (tests/security/corpus.py).
#define HOSTILE_NAME "threads_60_sleeping"
#include <thread>
#include <chrono>
#include <vector>

static void go() {
    static std::vector<std::thread> ts;
    for (int i = 0; i < 60; i++) ts.emplace_back([] { std::this_thread::sleep_for(std::chrono::seconds(30)); });
    for (auto &t : ts) t.join();
}
#define HOSTILE_ENTRY() go()
//@ADD_KERNEL@
