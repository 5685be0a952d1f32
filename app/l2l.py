"""Learning-to-learn analyses of a trained run (NeurIPS 2018 Fig. 2C/E/F and supplement "Analysis and
comparison"): the network's errors on new functions next to its two baselines.

* :func:`l2l_errors`: the network runs ``n_episodes`` held-out episodes (new functions, PyTorch float64, the
  map Brian2 reproduces); per episode and step the squared error of its answer.
* :func:`linear_baselines`: the linear predictor on the network's own spikes -- 20 ms exponential traces
  (Elephant), their mean per step, ridge regression with penalty 100 (:mod:`lsnn.analysis.regression`):
  Fig. 2C fits a random 450 of the 500 steps and tests on the other 50; Fig. 2E fits the steps before k and
  tests on step k.
* :func:`backprop_errors` (Fig. 2F, target networks only): the target-network architecture itself (2-10-1,
  sigmoid units, Xavier normal initialisation) learns each episode's examples online by backprop -- at step k
  it has made one Adam step (AMSGrad, lr 0.1, betas 0.7 / 0.9, weight decay 1e-5) on each of the examples
  0..k-1, and its squared error on example k is recorded. (The supplement states the optimiser and the prior
  for small weights but not the number of updates per example; one per example is the online protocol the
  LSNN itself follows.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EpisodeErrors:
    """Squared errors (episodes, steps) of the network on held-out episodes, with the episodes' data."""

    squared_error: np.ndarray
    predictions: np.ndarray  # (episodes, steps)
    targets: np.ndarray  # (episodes, steps)
    x: np.ndarray  # (episodes, steps, d)
    spikes: np.ndarray  # (episodes, T, n_rec)
    step_duration: float  # s
    conditions: dict
    dt: float = 1e-3  # s, of the raster


def l2l_errors(run: str | os.PathLike, n_episodes: int = 10) -> EpisodeErrors:
    """The network's squared error per step on the first ``n_episodes`` held-out episodes of ``run``."""
    import torch

    from lsnn.training.heldout import held_out_activity
    from lsnn.training.runs import load_run

    trained = load_run(run)
    if not trained.cfg.task.startswith("l2l_"):
        raise ValueError(f"{run} is a {trained.cfg.task} run; the learning-to-learn analyses read l2l_target_nets / l2l_sines runs.")
    act = held_out_activity(trained, n_episodes, record_state=False)
    predictions = trained.task.predictions(torch.as_tensor(act.outputs), act.batch).numpy()
    targets = act.batch.conditions["target"]
    return EpisodeErrors((predictions - targets) ** 2, predictions, targets, act.batch.conditions["x"], act.spikes,
                         trained.task.step_duration, act.batch.conditions, trained.spec.dt)


def mean_step_traces(spikes: np.ndarray, dt: float, step_duration: float) -> np.ndarray:
    """Mean 20 ms exponential trace per step and neuron, (steps, neurons), of one episode's raster (T, neurons)."""
    import neo
    import quantities as pq

    from lsnn.analysis import exponential_traces, step_means

    t_stop = spikes.shape[0] * dt
    trains = [neo.SpikeTrain(np.nonzero(spikes[:, j])[0] * dt, t_stop=t_stop, units="s") for j in range(spikes.shape[1])]
    return step_means(exponential_traces(trains, 20 * pq.ms, dt * pq.s), step_duration * pq.s)


@dataclass(frozen=True)
class LinearBaselines:
    """Per episode: the Fig. 2C test MSE of the linear predictor and of the network on the same 50 test steps;
    the Fig. 2E online errors (episodes, steps - 1) of the linear predictor."""

    split_mse: np.ndarray
    network_split_mse: np.ndarray
    online_squared_error: np.ndarray


def linear_baselines(errors: EpisodeErrors, alpha: float = 100.0, n_test_steps: int = 50, seed: int = 0) -> LinearBaselines:
    """The linear predictor of the module docstring on the network's spikes of each episode in ``errors``."""
    from lsnn.analysis import online_ridge_errors, ridge_baseline

    rng = np.random.default_rng(seed)
    n_steps = errors.targets.shape[1]
    if not 2 <= n_test_steps < n_steps - 1:
        raise ValueError(f"n_test_steps must leave at least two training steps of the {n_steps}; got {n_test_steps}.")
    split, network, online = [], [], []
    for k in range(len(errors.targets)):
        features = mean_step_traces(errors.spikes[k], errors.dt, errors.step_duration)
        order = rng.permutation(n_steps)
        test, train = np.sort(order[:n_test_steps]), np.sort(order[n_test_steps:])
        split.append(ridge_baseline(features, errors.targets[k], train, test, alphas=(alpha,)).mse)
        network.append(float(errors.squared_error[k, test].mean()))
        online.append(online_ridge_errors(features, errors.targets[k], alpha))
    return LinearBaselines(np.array(split), np.array(network), np.array(online))


def backprop_errors(errors: EpisodeErrors, seed: int = 0) -> np.ndarray:
    """Squared error (episodes, steps) of the 2-10-1 network learning each episode's examples online (module
    docstring); the episodes must be target-network episodes (two input dimensions, targets in [0, 1])."""
    import torch

    if errors.x.shape[-1] != 2:
        raise ValueError("backprop on the target-network architecture needs target-network episodes (2 inputs).")
    out = np.empty(errors.targets.shape)
    for k in range(len(errors.targets)):
        generator = torch.Generator().manual_seed(seed * 100_003 + k)
        hidden, output = torch.nn.Linear(2, 10, dtype=torch.float64), torch.nn.Linear(10, 1, dtype=torch.float64)
        for layer in (hidden, output):
            torch.nn.init.xavier_normal_(layer.weight, generator=generator)
            torch.nn.init.zeros_(layer.bias)
        net = torch.nn.Sequential(hidden, torch.nn.Sigmoid(), output, torch.nn.Sigmoid())
        optimizer = torch.optim.Adam(net.parameters(), lr=0.1, betas=(0.7, 0.9), weight_decay=1e-5, amsgrad=True)
        x = torch.as_tensor(errors.x[k], dtype=torch.float64)
        y = torch.as_tensor(errors.targets[k], dtype=torch.float64)
        for step in range(len(y)):
            prediction = net(x[step : step + 1])[0, 0]
            loss = (prediction - y[step]) ** 2
            out[k, step] = loss.item()  # tested before it learns from this example
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return out


# ---------------------------------------------------------------------------------------------------
# lsnn reproduce neurips-l2l

NAME = "neurips-l2l"
#: Families of the reproduction (task ``l2l_<family>``).
FAMILIES = ("target_nets", "sines")
#: Held-out episodes simulated in Brian2 per run, by preset.
VALIDATE_EPISODES = {"quick": 2, "paper": 10, "tiny": 2}


def reproduce_l2l(out, *, preset: str = "quick", seeds: int = 1, families=None, n_episodes: int = 10,
                  validate_trials: int | None = None, device: str = "cpp_standalone", progress: bool = True, log=print,
                  executor=None):
    """Train (or reuse) one run per family and seed, validate held-out episodes in Brian2, and compare the
    network's MSE on ``n_episodes`` new functions with the linear predictor on its spikes and (target
    networks) backprop; writes ``neurips-l2l.md`` / ``.json`` / ``_runs.csv`` and the per-step errors of
    every run (``runs/<family>-s<seed>/l2l_errors.npz``, for Fig. 2E/F). Returns the per-run frame."""
    import time
    from pathlib import Path

    import pandas as pd

    from lsnn.training.config import make_config
    from lsnn.training.runs import reusable_validation

    from .reproduce import train_elsewhere
    from lsnn.training.trainer import train
    from lsnn.training.validate import validate_run

    families = list(families) if families else list(FAMILIES)
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or seeds < 1 or n_episodes < 1:
        raise ValueError(f"families must be among {FAMILIES} (got {unknown}), seeds and episodes at least 1.")
    if preset not in VALIDATE_EPISODES:
        raise ValueError(f"unknown preset {preset!r}; available: {list(VALIDATE_EPISODES)}")
    validate_trials = VALIDATE_EPISODES[preset] if validate_trials is None else validate_trials
    out = Path(out)
    records = []
    cells = [(f, s) for f in families for s in range(seeds)]
    train_elsewhere([(make_config(f"l2l_{f}", "sfa", preset, seed=s), out / "runs" / f"{f}-s{s}") for f, s in cells], executor,
                    out / "slurm", progress, log)
    for k, (family, seed) in enumerate(cells, 1):
        cfg = make_config(f"l2l_{family}", "sfa", preset, seed=seed)
        run_dir = out / "runs" / f"{family}-s{seed}"
        log(f"[lsnn reproduce] ({k}/{len(cells)}) {NAME}: {family}, seed {seed} -> {run_dir}")
        t0 = time.perf_counter()
        reused = (run_dir / "test.json").exists()
        result = train(cfg, run_dir, resume=True, progress=progress)
        record = {"family": family, "seed": seed, "rate_hz": result["test"].get("rate_hz"), "train_s": result["test"].get("train_time_s"),
                  "reused": reused, "validated_trials": 0, "identical_trials": 0}
        if validate_trials:
            report = reusable_validation(run_dir, device, "float64", validate_trials) or validate_run(
                run_dir, device=device, n_trials=validate_trials, nwb=False, progress=progress)
            record.update(validated_trials=report["n_trials"], identical_trials=report["n_identical_rasters"])
        errors = l2l_errors(run_dir, min(n_episodes, cfg.n_test))
        linear = linear_baselines(errors, n_test_steps=max(2, errors.targets.shape[1] // 10))  # 50 of 500 in the paper
        episode_mse = errors.squared_error.mean(axis=1)
        record.update(mse=float(episode_mse.mean()), mse_std=float(episode_mse.std(ddof=1)) if len(episode_mse) > 1 else float("nan"),
                      linear_mse=float(linear.split_mse.mean()),
                      linear_mse_std=float(linear.split_mse.std(ddof=1)) if len(episode_mse) > 1 else float("nan"),
                      network_split_mse=float(linear.network_split_mse.mean()), n_episodes=len(episode_mse))
        arrays = {"network": errors.squared_error, "linear_online": linear.online_squared_error,
                  "predictions": errors.predictions, "targets": errors.targets, "x": errors.x}
        if family == "target_nets":
            backprop = backprop_errors(errors, seed)
            arrays["backprop"] = backprop
            record["backprop_mse"] = float(backprop.mean())
        paper = {which: published_l2l(family, which) for which in ("lsnn", "linear")}
        record.update(paper_mse=paper["lsnn"][0], paper_linear_mse=paper["linear"][0], wall_s=round(time.perf_counter() - t0, 1))
        _save_arrays(run_dir / "l2l_errors.npz", arrays)
        records.append(record)
        log(f"[lsnn reproduce]   MSE {record['mse']:.4f} (paper {paper['lsnn'][0]}), linear {record['linear_mse']:.4f} "
            f"(paper {paper['linear'][0]}); Brian2 {record['identical_trials']}/{record['validated_trials']} identical")
    frame = pd.DataFrame(records)
    write_l2l(frame, out, preset, device)
    return frame


def _save_arrays(path, arrays: dict) -> None:
    from lsnn.common.files import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def write_l2l(frame, out, preset: str, device: str) -> None:
    """``neurips-l2l_runs.csv``, ``.json`` and ``.md``: MSE mean +- std over episodes (and seeds) next to the paper."""
    import pandas as pd

    from lsnn.common.files import atomic_write_text
    from lsnn.training.runs import write_json

    from .outputs import save_csv
    from .reproduce import markdown_table

    save_csv(frame, out / f"{NAME}_runs.csv")
    rows = []
    for family, part in frame.groupby("family", sort=False):
        def pm(column, std_column):
            return f"{part[column].mean():.4f} +- {part[std_column].mean():.4f}"

        rows.append({"family": family, "LSNN MSE": pm("mse", "mse_std"), "paper, LSNN": "{:.4f} +- {:.4f}".format(*published_l2l(family, "lsnn")),
                     "linear MSE": pm("linear_mse", "linear_mse_std"), "paper, linear": "{:.4f} +- {:.4f}".format(*published_l2l(family, "linear")),
                     "LSNN on the linear test steps": f"{part['network_split_mse'].mean():.4f}",
                     "backprop MSE": f"{part['backprop_mse'].mean():.4f}" if "backprop_mse" in part and part["backprop_mse"].notna().any() else "-",
                     "rate, Hz": f"{part['rate_hz'].mean():.1f}",
                     "Brian2 identical": f"{int(part['identical_trials'].sum())}/{int(part['validated_trials'].sum())}",
                     "seeds": len(part)})
    summary = pd.DataFrame(rows).set_index("family")
    lines = [f"# Learning-to-learn from a teacher (NeurIPS 2018 Fig. 2, supplement), preset `{preset}`", "", markdown_table(summary), "",
             f"MSE over all {int(frame['n_episodes'].iloc[0])} held-out episodes (new functions) x all steps, +- s.d. over episodes; "
             "linear: ridge (penalty 100) on the mean 20 ms exponential trace per step of the network's own spikes, fitted on a random "
             "90 % of an episode's steps and tested on the rest (Fig. 2C), with the network's MSE on the same test steps beside it; "
             f"backprop: the 2-10-1 architecture learning each episode online (Fig. 2F). Brian2: {device}, float64.",
             f"Runs: {len(frame)}; wall time {frame['wall_s'].sum() / 60:.1f} min."]
    atomic_write_text(out / f"{NAME}.md", "\n".join(lines) + "\n")
    write_json(out / f"{NAME}.json", {"name": NAME, "preset": preset, "device": device, "metric": "mse",
                                      "runs": frame.to_dict(orient="records"), "summary": summary.reset_index().to_dict(orient="records")})


def published_l2l(family: str, which: str) -> tuple[float, float]:
    """The paper's (mean, std) MSE of ``which`` (``lsnn`` or ``linear``) on ``family``."""
    from .published import NEURIPS_L2L

    return NEURIPS_L2L[family][which]


# ------------------------------------------------------------------ Fig. 2D, G/H, I: inside one episode
@dataclass(frozen=True)
class EpisodeActivity:
    """The first ``n_steps`` steps of a held-out episode (Fig. 2D): input spikes (T, n_in), network spikes
    (T, n_rec), which neurons adapt (n_rec,), the answer and the target per step (n_steps,), and dt (s)."""

    inputs: np.ndarray
    spikes: np.ndarray
    adaptive: np.ndarray
    predictions: np.ndarray
    targets: np.ndarray
    step_duration: float
    dt: float


def episode_activity(run: str | os.PathLike, n_steps: int = 25) -> EpisodeActivity:
    """Fig. 2D data: the first held-out episode of ``run``, its first ``n_steps`` steps (PyTorch float64)."""
    import torch

    from lsnn.training.heldout import held_out_activity
    from lsnn.training.runs import load_run

    trained = load_run(run)
    act = held_out_activity(trained, 1, record_state=False)
    predictions = trained.task.predictions(torch.as_tensor(act.outputs), act.batch).numpy()[0]
    T = n_steps * trained.task.step_steps
    return EpisodeActivity(np.asarray(act.batch.x[0, :T]), act.spikes[0, :T], trained.spec.beta != 0, predictions[:n_steps],
                           act.batch.conditions["target"][0, :n_steps], trained.task.step_duration, trained.spec.dt)


@dataclass(frozen=True)
class InternalModel:
    """What the network would answer for ``probes`` (P, d) after each number of examples in ``after`` (K,):
    ``predictions`` (K, P); ``truth`` (P,) the function's values at the probes; the examples shown (x (S, d),
    targets (S,))."""

    probes: np.ndarray
    after: np.ndarray
    predictions: np.ndarray
    truth: np.ndarray
    x: np.ndarray
    targets: np.ndarray


def internal_model(run: str | os.PathLike, x: np.ndarray, targets: np.ndarray, probes: np.ndarray, truth: np.ndarray,
                   after, seed: int = 0, repeats: int = 4) -> InternalModel:
    """The network's internal model of the function it is learning (Fig. 2G/H, 2I): it is shown the
    examples ``x[k], targets[k]`` one step after another, as in an episode, and after k of them (k in
    ``after``) its state is copied once per probe and continued by one more step whose input is the probe
    (and, as always, the previous target): the mean readout over that step is its answer for the probe,
    averaged over ``repeats`` draws of the probe's input spikes. PyTorch float64, step by step
    (:meth:`LSNN.step`); the input spikes are drawn with ``seed``."""
    import torch

    from lsnn.training.model import LSNN
    from lsnn.training.runs import load_run

    trained = load_run(run)
    task, L = trained.task, trained.task.step_steps
    net = LSNN.from_spec(trained.spec, dtype=torch.float64)
    x, targets, probes = np.asarray(x, dtype=float), np.asarray(targets, dtype=float), np.asarray(probes, dtype=float)
    after = np.asarray(sorted(int(k) for k in after))
    if after.size == 0 or after[0] < 0 or after[-1] > len(x):
        raise ValueError(f"after must lie in 0..{len(x)} examples; got {after.tolist()}.")
    rng = np.random.default_rng(seed)
    previous = np.concatenate([[0.0], targets[:-1]])
    shown = task.encode(rng, x[None], previous[None])[0]  # (S * L, n_in)
    state = net.initial_state(1)
    out = np.zeros((len(after), len(probes)))
    done = 0
    for row, k in enumerate(after):
        for t in range(done * L, k * L):
            net.step(state, torch.as_tensor(shown[None, t], dtype=torch.float64))
        done = k
        queries = np.repeat(probes, repeats, axis=0)
        probe_input = task.encode(rng, queries[None], np.full((1, len(queries)), targets[k - 1] if k else 0.0))[0]  # (P R L, n_in)
        fork = state.repeat(len(queries))
        readout = 0.0
        for s in range(L):
            _, o = net.step(fork, torch.as_tensor(probe_input[s::L], dtype=torch.float64))
            readout = readout + o[:, 0].numpy() / L
        out[row] = readout.reshape(len(probes), repeats).mean(axis=1)
    return InternalModel(probes, after, out, np.asarray(truth, dtype=float), x, targets)


def target_network_slice(run: str | os.PathLike, n_probes: int = 41, after=(0, 2, 5, 10, 50, 200), episode: int = 0) -> InternalModel:
    """Fig. 2G/H: a held-out target network of ``run``, its examples in episode order, probed on the 1-D slice
    x = (s, 0), s in [-1, 1]."""
    from lsnn.training.runs import held_out_set, load_run
    from lsnn.training.tasks.l2l import target_network

    trained = load_run(run)
    if trained.cfg.task != "l2l_target_nets":
        raise ValueError(f"{run} is a {trained.cfg.task} run; the target-network slice needs an l2l_target_nets run.")
    batch = held_out_set(trained.cfg, trained.task, episode + 1)
    params = {k[len("param_"):]: v[episode : episode + 1] for k, v in batch.conditions.items() if k.startswith("param_")}
    s = np.linspace(-1, 1, n_probes)
    probes = np.stack([s, np.zeros_like(s)], axis=1)
    truth = target_network(params, probes[None])[0]
    n = min(max(after), batch.conditions["x"].shape[1])
    return internal_model(run, batch.conditions["x"][episode, :n], batch.conditions["target"][episode, :n], probes, truth,
                          [k for k in after if k <= n], seed=episode)


def sine_prior(run: str | os.PathLike, amplitude: float = 3.0, phase: float = 1.0, region=(-5.0, -2.5), n_examples: int = 10,
               after=(0, 3, 10), n_probes: int = 81, seed: int = 0) -> InternalModel:
    """Fig. 2I: a sine whose examples all come from one narrow ``region`` of x (adversarial for a learner
    without a prior), probed over the whole range [-5, 5]: a network that learned the family's prior answers
    with a sine outside the region too."""
    from lsnn.training.runs import load_run

    trained = load_run(run)
    if trained.cfg.task != "l2l_sines":
        raise ValueError(f"{run} is a {trained.cfg.task} run; the sine prior needs an l2l_sines run.")
    rng = np.random.default_rng(seed)
    x = rng.uniform(*region, (n_examples, 1))
    probes = np.linspace(-5, 5, n_probes)[:, None]
    return internal_model(run, x, amplitude * np.sin(phase + x[:, 0]), probes, amplitude * np.sin(phase + probes[:, 0]),
                          [k for k in after if k <= n_examples], seed=seed)
