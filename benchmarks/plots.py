#!/usr/bin/env python3
"""PNG plots of a benchmark report written by ``bench_hnsw.py``.

``plot_report(report, folder)`` writes, for report name ``<name>``:

* ``<name>-single.png`` and ``<name>-batch.png``: recall@10 against QPS over the
  ef_search sweep (log QPS axis), one line per system; ``<name>-single-cpu.png``
  the same with single queries per CPU-second (steadier on a loaded machine);
* ``<name>-build.png``: build throughput, peak RSS during build, disk size and
  open time, one bar per system (systems without a value are left out of that
  panel).

Usage::

    python benchmarks/plots.py benchmarks/results/hnsw-minilm-100k.json docs/img
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {
    "herondb": "#d62728",
    "herondb-sq8": "#ff9896",
    "hnswlib": "#1f77b4",
    "faiss-hnsw-flat": "#2ca02c",
    "faiss-hnsw-sq8": "#98df8a",
    "usearch": "#9467bd",
    "vctrs": "#ff7f0e",
    "chromadb": "#8c564b",
}


def _ok(report: dict[str, Any]) -> dict[str, Any]:
    return {s: r for s, r in report["results"].items() if "error" not in r}


def plot_curves(report: dict[str, Any], mode: str, path: Path, key: str = "qps") -> Path:
    cfg = report["config"]
    fig, ax = plt.subplots(figsize=(7.0, 4.4), dpi=90)
    broken = []
    for s, r in _ok(report).items():
        rows = r[mode]
        if max(x["recall"] for x in rows) < 0.3 or any(key not in x for x in rows):
            broken.append(s)  # e.g. a system returning wrong neighbours; listed, not drawn
            continue
        ax.plot([x["recall"] for x in rows], [x[key] for x in rows], marker="o", ms=3,
                lw=2.2 if s.startswith("herondb") else 1.3, color=COLORS.get(s), label=s)
    if broken:
        ax.text(0.01, 0.01, "not drawn (recall@10 < 0.3): " + ", ".join(broken),
                transform=ax.transAxes, fontsize=7, color="grey")
    ax.set_yscale("log")
    ax.axvline(0.95, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries per CPU-second (log)" if key == "qps_cpu"
                  else "queries per second (log)")
    what = "single queries, 1 thread" if mode == "single" else \
        f"batch of {cfg['n_queries']} queries, {cfg['threads']} threads"
    ax.set_title(f"{cfg['dataset']} ({cfg['metric']}): {what}\n"
                 f"M={cfg['m']}, efC={cfg['ef_construction']}, ef_search {cfg['ef'][0]}.."
                 f"{cfg['ef'][-1]}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_resources(report: dict[str, Any], path: Path) -> Path:
    ok = _ok(report)
    panels = [
        ("build throughput (vectors/s)", lambda r: r["build_vectors_per_s"]),
        ("peak RSS during build (MiB over baseline)",
         lambda r: r["memory"]["peak_during_build_delta_mib"]),
        ("disk size (MiB)", lambda r: (r.get("persistence", {}).get("disk_bytes") or 0) / 2**20
         or None),
        ("open time (ms, warm cache)",
         lambda r: (r.get("persistence", {}).get("open_seconds") or 0) * 1e3 or None),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(9.0, 6.0), dpi=80)
    for ax, (title, get) in zip(axes.ravel(), panels):
        names, vals = [], []
        for s, r in ok.items():
            v = get(r)
            if v is not None:
                names.append(s)
                vals.append(v)
        ax.barh(names, vals, color=[COLORS.get(s, "grey") for s in names])
        for i, v in enumerate(vals):
            ax.text(v, i, f" {v:,.0f}" if v >= 10 else f" {v:.2f}", va="center", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.invert_yaxis()
        ax.margins(x=0.25)
    fig.suptitle(f"{report['config']['dataset']}: build and footprint", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_report(report: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    name = report["name"]
    return [plot_curves(report, "single", folder / f"{name}-single.png"),
            plot_curves(report, "single", folder / f"{name}-single-cpu.png", key="qps_cpu"),
            plot_curves(report, "batch", folder / f"{name}-batch.png"),
            plot_resources(report, folder / f"{name}-build.png")]


if __name__ == "__main__":
    rep = json.loads(Path(sys.argv[1]).read_text())
    for p in plot_report(rep, Path(sys.argv[2] if len(sys.argv) > 2 else "docs/img")):
        print(p)
