#!/usr/bin/env python3
"""The Python batch call's cost per call beyond the simulation.

usage: PYTHONPATH=build/release/python python3 bench/python_overhead.py [--calls N]

Three calls, each timed over N repetitions (median and quartiles, microseconds):
  empty     one point, one node, one step, no features beyond the mean: the
            cost of a call itself (theta checks, the GIL released, a worker
            thread, the engine's batch set-up, arrays back to NumPy);
  engine    the same point run for 2000 steps (the simulation's cost scale);
  jr76-like 64 Jansen-Rit instances on a 76-node synthetic connectome, 1000
            steps, spectra: a realistic inference call, with its node-steps/s.
The target of the Python issue: overhead (empty) under 1 ms.
"""

import argparse
import statistics
import time

import numpy as np

import nmsweep


def timed(fn, calls):
    fn()  # warm-up (first-touch allocations, thread pools)
    t = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    q = statistics.quantiles(t, n=4)
    return statistics.median(t), q[0], q[2]


def row(name, stats, extra=""):
    med, lo, hi = (1e6 * x for x in stats)
    print(f"{name:10s} {med:10.1f} us  (quartiles {lo:.1f} .. {hi:.1f}){extra}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()

    def linear(steps):
        return nmsweep.Spec(
            model={"name": "linear"},
            network={"connectome": "synthetic:1", "speed": 0},
            integrator={"method": "euler", "dt": 0.1, "duration": 0.1 * steps},
            output={"features": ["mean"]},
        )

    theta = np.array([[0.5]])
    empty = nmsweep.Simulator(linear(1), ["coupling.a"], threads=a.threads)
    engine = nmsweep.Simulator(linear(2000), ["coupling.a"], threads=a.threads)
    print(f"nmsweep {nmsweep.__version__}, {a.calls} calls each, {a.threads} thread(s)")
    row("empty", timed(lambda: empty(theta), a.calls))
    row("engine", timed(lambda: engine(theta), a.calls))

    jr = nmsweep.Spec(
        model={"name": "jansen_rit"},
        network={"connectome": "synthetic:76", "speed": 4.0},
        coupling={"kind": "sigmoidal_jansen_rit", "a": 0.1},
        integrator={"method": "heun", "dt": 0.1, "duration": 100.0},
        output={"features": ["peak_freq", "band_power"]},
    )
    sim = nmsweep.Simulator(jr, ["model.mu", "coupling.a"], threads=a.threads)
    rng = np.random.default_rng(1)
    th = np.column_stack([rng.uniform(0.1, 0.3, 64), rng.uniform(0, 0.5, 64)])
    calls = max(3, a.calls // 40)
    st = timed(lambda: sim(th), calls)
    rate = 64 * 76 * 1000 / st[0]
    row("jr76-like", st, f"  {rate:.3g} node-steps/s")


if __name__ == "__main__":
    main()
