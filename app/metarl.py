"""``lsnn reproduce neurips-metarl``: meta-RL navigation (NeurIPS §6, Fig. 3, suppl. Fig. S1).

For each model (``lsnn``: the paper's network with 120 adaptive neurons; ``lif``: the same without
adaptation, a control) and seed: train (or resume, or reuse) a run, replay its recorded episode in Brian2
(identical spikes, hence identical actions), and write the table ``neurips-metarl.md`` / ``.json`` /
``_runs.csv`` with the reward and goals per episode on new episodes, the steps from one goal to the next
after the first find, the same at the start of training, the firing rate, the connectivity after DEEP R and
the wall time. ``metarl_figures`` draws, per run, Fig. 3A/B (learning curves), 3C/D (paths before and after
training), S1B (connectivity between sub-populations) and S1C (activity of one episode).
The supplement states its results as figures only (no numbers in the text): the table reports ours.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

NAME = "neurips-metarl"
#: Table rows: the LSNN of the paper and the LIF control (same network without adaptation).
ROWS = {"lsnn": "sfa", "lif": "lif"}
#: Iterations averaged for the "start" and "end" of training in the table.
EDGE = 50


def learning_curves(run_dir: str | Path) -> dict[str, np.ndarray]:
    """Per iteration from ``metrics.jsonl``: iteration, reward and goals per episode, steps between goals
    (NaN where fewer than two goals), steps to the first goal (T where none), rate."""
    keys = ("iteration", "reward_per_episode", "goals_per_episode", "steps_between_goals", "steps_to_first_goal_or_T", "rate_hz")
    rows = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return {k: np.array([np.nan if r.get(k) is None else r[k] for r in rows], dtype=float) for k in keys}


def connection_probabilities(spec) -> tuple[np.ndarray, list[str], list[str]]:
    """Fraction of possible connections active, from (input, E, I, A) to (E, I, A, readout) (Fig. S1B)."""
    pops = spec.meta["populations"]
    groups = {"E": np.asarray(pops["excitatory"], dtype=int), "I": np.asarray(pops["inhibitory"], dtype=int),
              "A": np.asarray(pops["adaptive"], dtype=int)}
    groups = {k: v for k, v in groups.items() if len(v)}
    pre_labels, post_labels = ["input", *groups], [*groups, "readout"]
    rec = spec.mask_rec  # DEEP R's active connections (a reactivated one may still have weight 0)
    P = np.zeros((len(post_labels), len(pre_labels)))
    for i, post in enumerate(post_labels):
        for j, pre in enumerate(pre_labels):
            if post == "readout":
                block = np.zeros((0, 0)) if pre == "input" else spec.mask_out[:, groups[pre]]
            elif pre == "input":
                block = spec.mask_in[groups[post]]
            else:
                block = rec[np.ix_(groups[post], groups[pre])]
            possible = block.size - (len(groups[pre]) if pre == post and post in groups else 0)  # no self-connections
            P[i, j] = block.sum() / possible if possible > 0 else np.nan
    return P, pre_labels, post_labels


def paths_before_and_after(run_dir: str | Path) -> list[dict[str, np.ndarray]]:
    """One episode of the untrained agent (the run's initialisation) and the recorded episode of the
    trained agent, with the same test seed (Fig. 3C/D)."""
    import torch

    from lsnn.training.rl.agent import build_agent, rollout
    from lsnn.training.runs import read_config

    run_dir = Path(run_dir)
    cfg = read_config(run_dir)
    untrained = build_agent(cfg.replace(dtype="float64"))
    with torch.no_grad():
        before = rollout(untrained, 1, int(cfg.task_params["n_steps"]), np.random.default_rng([cfg.test_seed, 11]))
    with np.load(run_dir / "episode.npz") as data:
        after = {k: data[k] for k in ("positions", "reached", "goal")}
    return [{"positions": before.positions[0], "reached": before.reached[0], "goal": before.goals[0]}, after]


def episode_activity(run_dir: str | Path, seconds: float = 1.0, n_neurons: int = 100) -> dict[str, Any]:
    """Fig. S1C data: the first ``seconds`` of the recorded episode re-run through the trained network in
    float64 with its inputs and noise (thresholds recorded), ``n_neurons`` neurons spread over E, I, A."""
    import torch

    from lsnn.models import NetworkSpec
    from lsnn.training.model import LSNN

    run_dir = Path(run_dir)
    spec = NetworkSpec.load(run_dir / "network.npz")
    with np.load(run_dir / "episode.npz") as data:
        ep = {k: data[k] for k in data.files}
    T = min(len(ep["x"]), int(round(seconds / spec.dt)))
    net = LSNN.from_spec(spec, dtype=torch.float64)
    with torch.no_grad():
        out = net(ep["x"][None, :T].astype(np.float64), i_ext=ep["i_ext"][None, :T])
    pops = spec.meta["populations"]
    sizes = {k: len(v) for k, v in pops.items()}
    total = sum(sizes.values())
    groups = {}
    for name, label in (("excitatory", "E"), ("inhibitory", "I"), ("adaptive", "A")):
        idx = np.asarray(pops[name], dtype=int)
        if len(idx):
            k = max(1, round(n_neurons * len(idx) / total))
            groups[label] = idx[np.linspace(0, len(idx) - 1, min(k, len(idx))).round().astype(int)]
    adaptive = np.asarray(pops["adaptive"], dtype=int)
    thresholds = out.thresholds[0].numpy()[:, adaptive[: min(20, len(adaptive))]] if len(adaptive) else np.zeros((T, 0))
    return {"positions": ep["positions"][:T], "rewards": ep["rewards"][:T], "spikes": out.spikes[0].numpy(), "thresholds": thresholds,
            "groups": groups, "identical_to_recording": bool(np.array_equal(out.spikes[0].numpy().astype(np.uint8), ep["spikes"][:T]))}


def reproduce_metarl(out, *, preset: str = "quick", seeds: int = 1, rows=None, device: str = "cpp_standalone",
                     progress: bool = True, log=print, executor=None):
    """Train (or reuse) one run per row and seed, replay its episode in Brian2 and write the table (module
    docstring). Returns the per-run frame."""
    import pandas as pd

    from lsnn.models import NetworkSpec
    from lsnn.training.config import make_config
    from lsnn.training.rl.replay import validate_episode
    from lsnn.training.trainer import train

    from .reproduce import train_elsewhere

    rows = list(rows) if rows else ["lsnn"]
    unknown = [r for r in rows if r not in ROWS]
    if unknown or seeds < 1:
        raise ValueError(f"rows of {NAME} are {', '.join(ROWS)} (got {unknown}); seeds at least 1.")
    out = Path(out)
    records = []
    cells = [(r, s) for r in rows for s in range(seeds)]
    train_elsewhere([(make_config("metarl_navigation", ROWS[r], preset, seed=s), out / "runs" / f"{r}-s{s}") for r, s in cells],
                    executor, out / "slurm", progress, log)
    for k, (row, seed) in enumerate(cells, 1):
        cfg = make_config("metarl_navigation", ROWS[row], preset, seed=seed)
        run_dir = out / "runs" / f"{row}-s{seed}"
        log(f"[lsnn reproduce] ({k}/{len(cells)}) {NAME}: {row}, seed {seed} -> {run_dir}")
        t0 = time.perf_counter()
        reused = (run_dir / "test.json").exists()
        result = train(cfg, run_dir, resume=True, progress=progress)
        test = result["test"]
        validation = validate_episode(run_dir, device=device, progress=progress)
        curves = learning_curves(run_dir)
        edge = min(EDGE, max(1, len(curves["iteration"]) // 4))
        spec = NetworkSpec.load(run_dir / "network.npz")
        n_possible = spec.mask_in.size + spec.mask_rec.size - spec.n_rec + spec.mask_out.size
        n_active = int(spec.mask_in.sum() + spec.mask_rec.sum() + spec.mask_out.sum())  # DEEP R's active set (some weights may be 0)
        record = {"row": row, "seed": seed, "iterations": cfg.n_iterations, "episodes_per_iteration": cfg.batch_size,
                  "reward_per_episode": test["reward_per_episode"], "reward_per_episode_std": test["reward_per_episode_std"],
                  "goals_per_episode": test["goals_per_episode"], "found_fraction": test["found_fraction"],
                  "steps_to_first_goal": test["steps_to_first_goal_or_T"], "steps_between_goals": test["steps_between_goals"],
                  "n_test_episodes": test["n_episodes"],
                  "reward_start": float(np.nanmean(curves["reward_per_episode"][:edge])),
                  "reward_end": float(np.nanmean(curves["reward_per_episode"][-edge:])),
                  "steps_between_goals_start": float(np.nanmean(curves["steps_between_goals"][:edge])) if np.isfinite(curves["steps_between_goals"][:edge]).any() else None,
                  "steps_between_goals_end": float(np.nanmean(curves["steps_between_goals"][-edge:])) if np.isfinite(curves["steps_between_goals"][-edge:]).any() else None,
                  "rate_hz": test["rate_hz"], "connectivity": n_active / n_possible,
                  "noise_scale_mean": float(np.mean(np.abs(spec.meta["noise_scale"]))),
                  "brian2_identical_spikes": validation["identical_spikes"], "brian2_max_action_difference": validation["max_abs_action_difference"],
                  "brian2_device": device, "train_s": test.get("train_time_s"), "reused": reused, "wall_s": round(time.perf_counter() - t0, 1)}
        records.append(record)
        log(f"[lsnn reproduce]   reward/episode {record['reward_per_episode']:.2f} (start of training {record['reward_start']:.2f}), "
            f"goals {record['goals_per_episode']:.1f}; Brian2 spikes identical: {validation['identical_spikes']}")
    frame = pd.DataFrame(records)
    write_metarl(frame, out, preset, device)
    return frame


def write_metarl(frame, out, preset: str, device: str) -> None:
    """``neurips-metarl.md`` / ``.json`` / ``_runs.csv``: one line per row (mean +- s.d. over seeds)."""
    from lsnn.common.files import atomic_write_text
    from lsnn.training.runs import write_json

    from .outputs import save_csv

    out = Path(out)
    lines = [f"# Meta-RL navigation (NeurIPS §6, Fig. 3), preset `{preset}`", "",
             "Reward and goals per episode on new episodes (test seed), steps from one goal to the next after the first find, "
             f"the same measures at the start and the end of training ({EDGE} iterations each), Brian2 ({device}) replay of a recorded "
             "episode. The paper shows its learning curves as figures only (Fig. 3A/B; no numbers in the text).", "",
             "| model | seeds | iterations x episodes | reward/episode (test) | goals/episode | steps between goals | reward at start -> end of training | rate (Hz) | connectivity | Brian2 replay | train time |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row, group in frame.groupby("row", sort=False):
        def ms(col, fmt="{:.2f}"):
            values = group[col].dropna().astype(float)
            if values.empty:
                return "-"
            return fmt.format(values.mean()) + (f" ± {fmt.format(values.std(ddof=1))}" if len(values) > 1 else "")
        identical = int(group["brian2_identical_spikes"].sum())
        lines.append(f"| {row} | {len(group)} | {int(group['iterations'].iloc[0])} x {int(group['episodes_per_iteration'].iloc[0])} | "
                     f"{ms('reward_per_episode')} | {ms('goals_per_episode', '{:.1f}')} | {ms('steps_between_goals', '{:.0f}')} | "
                     f"{ms('reward_start')} -> {ms('reward_end')} | {ms('rate_hz', '{:.1f}')} | {ms('connectivity', '{:.3f}')} | "
                     f"{identical}/{len(group)} identical | {ms('train_s', '{:.0f}')} s |")
    lines += ["", f"Runs: {len(frame)}; wall time {frame['wall_s'].sum() / 60:.1f} min (training time counted over all sessions of a run)."]
    save_csv(frame, out / f"{NAME}_runs.csv")
    atomic_write_text(out / f"{NAME}.md", "\n".join(lines) + "\n")
    write_json(out / f"{NAME}.json", {"name": NAME, "preset": preset, "device": device, "runs": frame.to_dict(orient="records")})


def metarl_figures(run_dir: str | Path, out: str | Path) -> list[Path]:
    """Fig. 3A-D and S1B/C of one meta-RL run, written into ``out`` (an unfinished run: its learning curves)."""
    from lsnn.figures.metarl import figure_metarl_activity, figure_metarl_connectivity, figure_metarl_learning_curves, figure_metarl_paths
    from lsnn.models import NetworkSpec
    from lsnn.training.runs import read_config

    from .outputs import save_figure

    run_dir, out = Path(run_dir), Path(out)
    cfg = read_config(run_dir)
    name = run_dir.name
    written = [save_figure(figure_metarl_learning_curves({name: learning_curves(run_dir)}, cfg.batch_size,
                                                         title=f"meta-RL navigation, {name}: outer-loop training"), out / f"{name}_learning_curves.png")]
    if not (run_dir / "episode.npz").is_file():
        return written
    before, after = paths_before_and_after(run_dir)
    written.append(save_figure(figure_metarl_paths([before, after], ["C  before training", f"D  after {cfg.n_iterations} iterations"]),
                               out / f"{name}_paths.png"))
    spec = NetworkSpec.load(run_dir / "network.npz")
    P, pre, post = connection_probabilities(spec)
    written.append(save_figure(figure_metarl_connectivity(P, pre, post, "S1B  connectivity after DEEP R"), out / f"{name}_connectivity.png"))
    act = episode_activity(run_dir)
    title = f"S1C  the recorded episode of the trained agent (first {len(act['positions']) * spec.dt * 1e3:.0f} ms)"
    written.append(save_figure(figure_metarl_activity(act["positions"], act["rewards"], act["spikes"], act["thresholds"], act["groups"],
                                                      title=title), out / f"{name}_activity.png"))
    return written
