# %% [markdown]
# # Simulation-based inference on a Jansen-Rit network
#
# Neural posterior estimation (NPE, the ``sbi`` package) of three parameters
# of a small Jansen-Rit network, `model.mu` (extrinsic input, 1/ms),
# `coupling.a` (global coupling) and `model.B` (inhibitory PSP amplitude, mV),
# from summary statistics of its simulated activity. nmsweep's batch call
# (`nmsweep.Simulator`) runs thousands of parameter sets as one batch of
# independent network instances; sbi trains a conditional density estimator
# on (theta, x) pairs; the posterior is then checked on held-out simulations
# whose true parameters are known: posterior means against the truth,
# coverage of the 90 % credible intervals and the shrinkage from the prior.
#
# Run:  python sbi_jansen_rit.py [--n-sims 5000] [--held-out 50] [--quick]
# (PYTHONPATH = the built package's folder, e.g. build/cpu/python).

# %%
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time

import numpy as np
import torch

import nmsweep

# The parameters to infer (Simulator column names) and their prior box:
# mu 0.05-0.35 /ms (50-350 Hz of input) runs from the fixed point through the
# alpha limit cycle of Jansen & Rit's column (Hopf points near 0.09 and 0.32
# for one column; coupling adds input); B (mV) around its 22 mV default.
PARAMS = ["model.mu", "coupling.a", "model.B"]
LOW = np.array([0.05, 0.0, 18.0])
HIGH = np.array([0.35, 20.0, 26.0])

# The default bands of the spectra (README "Analysis features").
BANDS = ["delta", "theta", "alpha", "beta", "gamma"]


# %% [markdown]
# ## The simulator
#
# Eight regions of the built-in synthetic connectome (weights normalised to
# a maximum of 1, 4 mm/ms conduction), Jansen & Rit's classical parameters,
# stochastic Heun with additive noise on y4, the variable the input mu
# drives (a fluctuating input: each step adds sigma sqrt(dt) N(0, 1)), so
# that each simulation is a random draw. The observable is the pyramidal
# membrane potential y1 - y2 (mV), seen at 500 Hz after a 0.5 s transient.


# %%
def make_spec(duration: float = 2000.0, transient: float = 500.0, sigma: float = 0.01,
              connectome: str = "synthetic:8") -> nmsweep.Spec:
    """The fixed part of the model: everything but the inferred parameters."""
    return nmsweep.Spec(
        model={"name": "jansen_rit", "preset": "classical"},
        network={"connectome": connectome, "speed": 4.0, "normalise": "max"},
        coupling={"kind": "sigmoidal_jansen_rit", "a": 1.0},
        integrator={"method": "heun", "dt": 0.1, "duration": duration, "transient": transient,
                    "noise": {"sigma": {"y4": sigma}, "seed": 1}},
        output={
            "observable": "y1 - y2",
            "features": ["mean", "std", "peak_freq", "band_power", "fc"],
            "sample_every": 20,  # fs = 1000 / (0.1 ms * 20) = 500 Hz
            # 0.5 s Welch segments (2 Hz bins); only the network-mean PSD
            "spectra": {"nperseg": 250, "per_node": False},
        },
    )


def make_simulator(spec: nmsweep.Spec | None = None) -> nmsweep.Simulator:
    """The batch call, with a noise.seed column after the inferred parameters.

    The batch call gives row i the noise stream of instance i, so two calls
    with the same theta would see the same noise; a random seed per row makes
    every simulation an independent draw (training and held-out sets alike).
    """
    return nmsweep.Simulator(spec if spec is not None else make_spec(), PARAMS + ["noise.seed"])


def summary_statistics(out: dict[str, np.ndarray]) -> np.ndarray:
    """Features of the batch call -> x, 13 numbers per simulation.

    A few statistics that each say something about one parameter train
    better from a few thousand simulations than every region's raw values:

    - the time mean of y1 - y2 (mV) averaged over regions: the operating
      point, set by mu and B;
    - log10 of its spread over regions (std, range): the coupling adds input
      in proportion to each region's in-strength, which differs between
      regions, so the regions' means part as coupling.a grows (logarithms:
      the spread spans decades, which z-scoring alone would squash);
    - log10 std of y1 - y2, averaged over regions and its spread: noise-driven
      fixed point (small) or limit cycle (mV);
    - log10 band powers of the network mean (delta ... gamma) and its peak
      frequency: the rhythm, shaped by mu and B (the inhibitory loop);
    - mean and spread of the functional connectivity between regions:
      synchrony, from coupling.
    """
    mean = out["features/mean"]
    log_std = np.log10(out["features/std"] + 1e-12)
    fc = out["features/fc"]
    iu = np.triu_indices(fc.shape[1], 1)
    fc = fc[:, iu[0], iu[1]]
    bands = [np.log10(out[f"features/network_band_power_{b}"] + 1e-20) for b in BANDS]
    return np.column_stack([
        mean.mean(axis=1), np.log10(mean.std(axis=1) + 1e-6), np.log10(np.ptp(mean, axis=1) + 1e-6),
        log_std.mean(axis=1), log_std.std(axis=1),
        *bands,
        out["features/network_peak_freq"],
        fc.mean(axis=1), fc.std(axis=1),
    ])


def sample_prior(n: int, rng: np.random.Generator) -> np.ndarray:
    return LOW + (HIGH - LOW) * rng.random((n, len(PARAMS)))


def simulate(sim: nmsweep.Simulator, theta: np.ndarray, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    """x for each row of theta (one batch call), with a fresh noise seed per row.

    Returns (theta, x) without the rows that diverged or gave non-finite
    statistics (none are expected in this prior box; dropped to be safe).
    """
    seeds = rng.integers(0, 2**31, size=(len(theta), 1))
    out = sim(np.hstack([theta, seeds]))
    x = summary_statistics(out)
    ok = (out["status/diverged_step"] < 0) & np.all(np.isfinite(x), axis=1)
    return theta[ok], x[ok]


# %% [markdown]
# ## Training: NPE with a masked autoregressive flow
#
# The flow (zuko's MAF) models theta after a bijection from the prior's box
# onto the real line (`transform_to_unconstrained`), so the posterior has
# no mass outside the box: sbi need not reject samples (with a plain flow,
# a posterior that leaks out of the box can make sampling very slow). x is
# z-scored. Training stops when the validation loss has not improved for
# `stop_after_epochs` epochs, or at `max_epochs`.


# %%
def prior_box():
    from sbi.utils import BoxUniform

    return BoxUniform(torch.as_tensor(LOW, dtype=torch.float32), torch.as_tensor(HIGH, dtype=torch.float32))


class _NoTracker:
    """A training tracker that keeps nothing (sbi's default writes TensorBoard
    logs into ./sbi-logs)."""

    log_dir = None

    def log_metric(self, name, value, step=None):
        pass

    def log_metrics(self, metrics, step=None):
        pass

    def log_params(self, params):
        pass

    def add_figure(self, name, figure, step=None):
        pass

    def flush(self):
        pass


def train(theta: np.ndarray, x: np.ndarray, *, max_epochs: int = 200, stop_after_epochs: int = 20,
          batch_size: int = 128, learning_rate: float = 1e-3, progress: bool = False, verbose: bool = False):
    """A posterior estimate q(theta | x) trained on the simulations.

    `progress`: sbi's progress bars; `verbose`: its note on convergence.
    """
    from sbi.inference import NPE
    from sbi.neural_nets import posterior_nn

    prior = prior_box()
    flow = posterior_nn(model="zuko_maf", z_score_theta="transform_to_unconstrained", z_score_x="independent",
                        x_dist=prior)
    inference = NPE(prior=prior, density_estimator=flow, show_progress_bars=progress, tracker=_NoTracker())
    inference.append_simulations(torch.as_tensor(theta, dtype=torch.float32),
                                 torch.as_tensor(x, dtype=torch.float32))
    note = io.StringIO()
    with contextlib.redirect_stdout(note):  # (sbi prints its note without a newline)
        inference.train(max_num_epochs=max_epochs, stop_after_epochs=stop_after_epochs,
                        training_batch_size=batch_size, learning_rate=learning_rate, show_train_summary=False)
    if verbose and note.getvalue().strip():
        print(note.getvalue().strip())
    return inference.build_posterior()


# %% [markdown]
# ## Checking the posterior on held-out simulations
#
# For K parameter sets drawn from the prior (truth known) and simulated with
# fresh noise: the posterior mean, whether the truth lies in the central 90 %
# interval (over many such sets this fraction should be near 0.9 if the
# posterior is calibrated), and the posterior std against the prior's.


# %%
def posterior_check(posterior, theta_true: np.ndarray, x_obs: np.ndarray, *,
                    n_samples: int = 1000, level: float = 0.9) -> dict[str, np.ndarray]:
    """Per-parameter summaries of the posterior at each held-out x.

    Returns arrays: "mean", "std" [K, P]; "inside" [K, P] (truth within the
    central `level` interval); "coverage", "corr" (posterior mean vs truth),
    "rmse", "std_ratio" (mean posterior std / prior std) [P].
    """
    x = torch.as_tensor(x_obs, dtype=torch.float32)
    # (sbi caps a batch at 100000 samples over all x; asking for that avoids its warning)
    samples = posterior.sample_batched((n_samples,), x=x, max_sampling_batch_size=max(1, 100_000 // len(x)),
                                       show_progress_bars=False).numpy()  # [S, K, P]
    mean, std = samples.mean(axis=0), samples.std(axis=0)
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=0)
    inside = (theta_true >= lo) & (theta_true <= hi)
    prior_std = (HIGH - LOW) / np.sqrt(12.0)
    corr = np.array([np.corrcoef(mean[:, j], theta_true[:, j])[0, 1] for j in range(theta_true.shape[1])])
    return {
        "mean": mean,
        "std": std,
        "inside": inside,
        "coverage": inside.mean(axis=0),
        "corr": corr,
        "rmse": np.sqrt(((mean - theta_true) ** 2).mean(axis=0)),
        "std_ratio": std.mean(axis=0) / prior_std,
    }


def print_table(check: dict[str, np.ndarray], level: float = 0.9, file=sys.stdout) -> None:
    print(f"{'parameter':<12} {'corr(mean,true)':>15} {'rmse':>9} {'post/prior std':>14} "
          f"{f'{level:.0%} coverage':>13}", file=file)
    for j, p in enumerate(PARAMS):
        print(f"{p:<12} {check['corr'][j]:>15.3f} {check['rmse'][j]:>9.4g} {check['std_ratio'][j]:>14.3f} "
              f"{check['coverage'][j]:>13.2f}", file=file)


# %% [markdown]
# ## All together
#
# `infer` is the whole experiment; `--quick` (and tests/python/test_sbi.py)
# uses the QUICK settings: about 20 s on 2 cores, most of it training.

# %%
DEFAULT = {"n_sims": 5000, "held_out": 50, "duration": 2000.0, "max_epochs": 200}
QUICK = {"n_sims": 2000, "held_out": 40, "duration": 2000.0, "max_epochs": 50}


def infer(n_sims: int, held_out: int, duration: float, max_epochs: int, seed: int = 0,
          verbose: bool = True) -> dict[str, np.ndarray]:
    """Simulate, train, simulate held-out data and check the posterior there.

    Returns posterior_check's dict plus "theta_true" [K, P] and "seconds"
    (simulation, training, check).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    say = print if verbose else (lambda *a, **k: None)
    sim = make_simulator(make_spec(duration=duration))

    t0 = time.perf_counter()
    theta, x = simulate(sim, sample_prior(n_sims, rng), rng)
    t1 = time.perf_counter()
    say(f"{len(theta)} simulations ({x.shape[1]} statistics each, {duration:g} ms) in {t1 - t0:.1f} s")
    posterior = train(theta, x, max_epochs=max_epochs, verbose=verbose)
    t2 = time.perf_counter()
    say(f"NPE trained in {t2 - t1:.1f} s")

    theta_test, x_test = simulate(sim, sample_prior(held_out, rng), rng)
    check = posterior_check(posterior, theta_test, x_test)
    t3 = time.perf_counter()
    check["theta_true"] = theta_test
    check["seconds"] = np.array([t1 - t0, t2 - t1, t3 - t2])
    say(f"posterior check on {len(theta_test)} held-out simulations ({t3 - t2:.1f} s):")
    if verbose:
        print_table(check)
        print(f"held-out set 0:  {'true':>8}  posterior mean +- std")
        for j, p in enumerate(PARAMS):
            print(f"  {p:<12} {theta_test[0, j]:>9.4g}  {check['mean'][0, j]:.4g} +- {check['std'][0, j]:.2g}")
    return check


def main(argv: list[str] | None = None) -> dict[str, np.ndarray]:
    ap = argparse.ArgumentParser(description="NPE of Jansen-Rit network parameters with nmsweep and sbi")
    ap.add_argument("--n-sims", type=int, default=DEFAULT["n_sims"], help="training simulations (%(default)s)")
    ap.add_argument("--held-out", type=int, default=DEFAULT["held_out"],
                    help="held-out parameter sets to check (%(default)s)")
    ap.add_argument("--duration", type=float, default=DEFAULT["duration"],
                    help="ms per simulation, the first 500 ms a transient (%(default)s)")
    ap.add_argument("--max-epochs", type=int, default=DEFAULT["max_epochs"],
                    help="training stops here at the latest (%(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="numpy and torch seed (%(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="the test's settings: " + ", ".join(f"{k} {v:g}" for k, v in QUICK.items()))
    args = ap.parse_args(argv)
    settings = dict(QUICK) if args.quick else {
        "n_sims": args.n_sims, "held_out": args.held_out, "duration": args.duration, "max_epochs": args.max_epochs}
    return infer(**settings, seed=args.seed)


if __name__ == "__main__":
    main()
