"""report.json and report.md from the pair records; report.html through :mod:`.html`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.engines.evaluation.aggregate import OVERALL, aggregate, worst_first

if TYPE_CHECKING:
    from motionctx.engines.evaluation.case import CaseSpec
    from motionctx.engines.evaluation.runner import ScorerSlot
    from motionctx.registry import Registry


def directions(scorers: list[ScorerSlot], registry: Registry) -> dict[str, str]:
    """``slot.metric`` -> ``higher``/``lower`` for every metric the scorers declare."""
    out = {}
    for s in scorers:
        for metric, better in registry.get("scorer", s.use).metrics.items():
            out[f"{s.slot}.{metric}"] = better
    return out


def build_report(records: list[dict[str, Any]], settings: Any, scorers: list[ScorerSlot], registry: Registry,
                 title: str, cases: list[CaseSpec]) -> dict[str, Any]:
    """The report as data: settings, statistics per category, worst-first order, every pair."""
    variants = [v.name for v in settings.variants]
    stats = aggregate(records, variants)
    better = directions(scorers, registry)
    metrics = [m for m in better if m in stats["metrics"]] + [m for m in stats["metrics"] if m not in better]
    sort_by = settings.sort_by or (metrics[0] if metrics else None)
    main = next((v.name for v in settings.variants if v.baseline is None), variants[0])
    order = worst_first(records, main, sort_by, better.get(sort_by, "higher")) if sort_by else [c.id for c in cases]
    return {
        "title": title,
        "manifest": str(settings.manifest),
        "cases": len(cases),
        "variants": [v.model_dump(exclude_defaults=True) for v in settings.variants],
        "settings": {k: getattr(settings, k) for k in ("steps", "guidance", "seed", "size", "max_frames")},
        "metrics": {m: {"better": better.get(m, "higher")} for m in metrics},
        "sort_by": sort_by,
        "main_variant": main,
        "pairs": stats["pairs"],
        "failures": stats["failures"],
        "categories": stats["categories"],
        "worst_first": order,
        "records": records,
    }


def _cell(s: dict[str, Any]) -> str:
    if not s.get("n"):
        return "-"
    return f"{_num(s['mean'])} ± {_num(s['std'])}"


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "nan"
    return f"{x:.2f}" if abs(x) >= 10 else f"{x:.3f}"


def markdown(report: dict[str, Any]) -> str:
    """Tables of mean ± standard deviation: overall, then one per category; then the errors."""
    metrics = list(report["metrics"])
    arrows = {m: "↑" if report["metrics"][m]["better"] == "higher" else "↓" for m in metrics}
    lines = [f"# {report['title']}", "",
             (f"{report['cases']} cases from `{report['manifest']}`; mean ± standard deviation over cases; "
              "↑ higher is better, ↓ lower is better."), ""]
    for cat, table in report["categories"].items():
        n = {v: next((s["n"] for s in table[v].values() if s.get("n")), 0) for v in table}
        lines += [f"## {'all cases' if cat == OVERALL else cat}", "",
                  "| variant | cases | " + " | ".join(f"{m} {arrows[m]}" for m in metrics) + " |",
                  "|---|---|" + "---|" * len(metrics)]
        for v, row in table.items():
            lines.append(f"| {v} | {n[v]} | " + " | ".join(_cell(row[m]) for m in metrics) + " |")
        lines.append("")
    errors = [r for r in report["records"] if r.get("errors")]
    lines += ["## Errors", ""]
    if not errors:
        lines.append("No pair failed.")
    for r in errors:
        for what, msg in r["errors"].items():
            lines.append(f"- {r['variant']} / {r['case']} ({what}): {msg.splitlines()[0][:300]}")
    lines += ["", f"Cases worst first by {report['sort_by']} of {report['main_variant']}: "
              + ", ".join(report["worst_first"][:10]) + ("..." if len(report["worst_first"]) > 10 else ""), ""]
    return "\n".join(lines)


def write_reports(folder: Path, records: list[dict[str, Any]], settings: Any, scorers: list[ScorerSlot],
                  registry: Registry, title: str, cases: list[CaseSpec]) -> dict[str, Path]:
    """Write report.json, report.md and report.html into ``folder`` (each atomically)."""
    from motionctx.engines.evaluation.html import render_html
    from motionctx.io import atomic_write_json, atomic_write_text

    report = build_report(records, settings, scorers, registry, settings.title or title, cases)
    return {
        "report_json": atomic_write_json(folder / "report.json", report),
        "report_md": atomic_write_text(folder / "report.md", markdown(report)),
        "report_html": atomic_write_text(folder / "report.html",
                                         render_html(report, folder / "pairs", cases, settings.clips, settings.html_cases)),
    }
