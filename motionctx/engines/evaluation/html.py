"""report.html: one self-contained file (no network, no external files).

Top: the overall table and one inline SVG bar chart per metric (a bar per variant in each
category, whiskers of one standard error). Below: the cases, worst first by the report's sort
metric, each a row of reference | driving | target | every variant's output with its scores.
Clips are embedded as base64 animated GIFs (or H.264 mp4), enlarged with square pixels.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from motionctx.engines.evaluation.case import CaseSpec

#: clips are shown at least this tall (pixels are repeated) and at most this tall (resampled)
MIN_HEIGHT, MAX_HEIGHT = 128, 192
#: most frames embedded per clip
MAX_FRAMES = 48
#: width of one bar and its gap, in pixels
BAR = 19
PALETTE = ("#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#b07aa1", "#edc948", "#9c755f")
_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}.wide{overflow-x:auto;max-width:100%}th:first-child,td:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #ddd;padding:4px}
.case{display:flex;gap:10px;align-items:flex-start;border-top:1px solid #ddd;padding:10px 0}
.panel{text-align:center;font-size:12px}.panel img,.panel video{image-rendering:pixelated;display:block}
.scores{font-size:11px;text-align:left;margin-top:2px}.err{color:#b00;font-size:11px;max-width:220px}
.key{font-weight:bold}.meta{width:130px;font-size:12px}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _display(frames: torch.Tensor) -> torch.Tensor:
    """``frames [T, 3, H, W]`` at display height: repeated pixels up to MIN_HEIGHT, resampled down
    to MAX_HEIGHT."""
    import torch.nn.functional as F

    h = frames.shape[-2]
    if h < MIN_HEIGHT:
        k = -(-MIN_HEIGHT // h)
        return frames.repeat_interleave(k, dim=-2).repeat_interleave(k, dim=-1)
    if h > MAX_HEIGHT:
        w = max(2, round(frames.shape[-1] * MAX_HEIGHT / h))
        return F.interpolate(frames, size=(MAX_HEIGHT, w), mode="area").clamp(0, 1)
    return frames


def _uint8(frames: torch.Tensor) -> Any:
    return frames.mul(255).round().clamp(0, 255).byte().permute(0, 2, 3, 1).contiguous().numpy()


def png_uri(frame: torch.Tensor) -> str:
    """One frame ``[3, H, W]`` as a PNG data URI at display size."""
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.fromarray(_uint8(_display(frame[None]))[0]).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def clip_tag(frames: torch.Tensor, fps: float, kind: str, label: str) -> str:
    """An ``<img>`` (animated GIF) or ``<video>`` (mp4) element holding ``frames`` inline."""
    from PIL import Image as PILImage

    shown = _uint8(_display(frames[:MAX_FRAMES]))
    alt = _esc(label)
    if kind == "mp4":
        import tempfile

        import torch

        from motionctx.io import write_video
        from motionctx.types import Video

        with tempfile.TemporaryDirectory() as tmp:
            path = write_video(Path(tmp) / "clip.mp4", Video(torch.from_numpy(shown).permute(0, 3, 1, 2).float() / 255, fps))
            data = path.read_bytes()
        return (f'<video autoplay loop muted playsinline title="{alt}" src="data:video/mp4;base64,'
                f'{base64.b64encode(data).decode("ascii")}"></video>')
    images = [PILImage.fromarray(a) for a in shown]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], loop=0,
                   duration=max(20, round(1000 / max(fps, 1e-3))), disposal=1)
    return f'<img alt="{alt}" src="data:image/gif;base64,{base64.b64encode(buf.getvalue()).decode("ascii")}">'


def _short(v: float) -> str:
    """A bar's label: three significant digits, 0 for what is nearly 0."""
    return "0" if abs(v) < 5e-4 else f"{v:.3g}"


def bar_chart(metric: str, better: str, table: dict[str, Any], variants: list[str]) -> str:
    """An inline SVG: for each category a group of bars (one per variant), mean with a whisker of
    one standard error, the value written above."""
    cats = list(table)
    width, height, left, top, bottom = max(320, 60 + len(cats) * (len(variants) * BAR + 14)), 210, 46, 34, 46
    vals = [(table[c][v][metric], c, v) for c in cats for v in variants if table[c][v][metric].get("n")]
    hi = max([s["mean"] + s["sem"] for s, _, _ in vals] + [0.0])
    lo = min([s["mean"] - s["sem"] for s, _, _ in vals] + [0.0])
    span = (hi - lo) or 1.0
    hi, lo = hi + 0.12 * span, (lo - 0.05 * span if lo < 0 else 0.0)
    plot_h = height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    arrow = "higher is better" if better == "higher" else "lower is better"
    out = [(f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(metric)}">'),
           (f'<text x="8" y="18" font-size="13" font-weight="bold">{_esc(metric)}</text>'
            f'<text x="{width - 8}" y="18" font-size="11" text-anchor="end" fill="#666">{arrow}</text>'),
           f'<line x1="{left}" x2="{width - 8}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#999"/>']
    for tick in (lo, (lo + hi) / 2, hi):
        out.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" font-size="10" text-anchor="end" fill="#666">'
                   f'{tick:.3g}</text>')
    x = left + 10
    for c in cats:
        start = x
        for i, v in enumerate(variants):
            s = table[c][v][metric]
            if s.get("n") and math.isfinite(s["mean"]):
                y0, y1 = sorted((y(0), y(s["mean"])))
                out.append(f'<rect x="{x}" y="{y0:.1f}" width="{BAR - 3}" height="{max(y1 - y0, 0.5):.1f}" '
                           f'fill="{PALETTE[i % len(PALETTE)]}"><title>{_esc(v)}: {s["mean"]:.4g} ± {s["sem"]:.2g} '
                           f'(n={s["n"]})</title></rect>')
                ya, yb = y(s["mean"] - s["sem"]), y(s["mean"] + s["sem"])
                mid = x + (BAR - 3) / 2
                out.append(f'<line x1="{mid}" x2="{mid}" y1="{ya:.1f}" y2="{yb:.1f}" stroke="#222"/>')
                out.append(f'<text x="{mid}" y="{min(yb, y1 if s["mean"] < 0 else y0) - 3:.1f}" font-size="8" '
                           f'text-anchor="middle">{_short(s["mean"])}</text>')
            x += BAR
        label = "all" if c == "all" else c
        out.append(f'<text x="{(start + x - 4) / 2:.1f}" y="{height - bottom + 16}" font-size="11" '
                   f'text-anchor="middle">{_esc(label[:18])}</text>')
        x += 14
    for i, v in enumerate(variants):
        lx = left + i * 100
        out.append(f'<rect x="{lx}" y="{height - 18}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{lx + 14}" y="{height - 9}" font-size="11">{_esc(v[:14])}</text>')
    out.append("</svg>")
    return "".join(out)


def _table(report: dict[str, Any], variants: list[str]) -> str:
    metrics = list(report["metrics"])
    head = "".join(f"<th>{_esc(m)} {'↑' if report['metrics'][m]['better'] == 'higher' else '↓'}</th>" for m in metrics)
    rows = []
    for v in variants:
        cells = []
        for m in metrics:
            s = report["categories"]["all"][v][m]
            cells.append(f"<td>{s['mean']:.4g} ± {s['std']:.2g}</td>" if s.get("n") else "<td>-</td>")
        rows.append(f"<tr><td>{_esc(v)}</td><td>{report['pairs'][v]}</td><td>{report['failures'][v]}</td>"
                    + "".join(cells) + "</tr>")
    return f"<table><tr><th>variant</th><th>pairs</th><th>with errors</th>{head}</tr>{''.join(rows)}</table>"


def _case_row(case: CaseSpec, records: dict[str, dict[str, Any]], variants: list[str], pairs: Path,
              kind: str, sort_by: str | None) -> str:
    from motionctx.io import read_image, read_video

    drv = read_video(case.driving, max_frames=MAX_FRAMES, max_area=MAX_HEIGHT * MAX_HEIGHT * 2)
    panels = [("reference", f'<img alt="reference" src="{png_uri(read_image(case.reference).pixels)}">'),
              ("driving", clip_tag(drv.frames, drv.fps, kind, "driving"))]
    if case.target is not None:
        tgt = read_video(case.target, max_frames=MAX_FRAMES, max_area=MAX_HEIGHT * MAX_HEIGHT * 2)
        panels.append(("target", clip_tag(tgt.frames, tgt.fps, kind, "target")))
    for v in variants:
        r = records.get(v)
        if r is None:
            panels.append((v, '<div class="err">not run</div>'))
            continue
        out = pairs / v / case.id / "output.mp4"
        body = ""
        if r.get("output") and out.is_file():
            video = read_video(out, max_frames=MAX_FRAMES)
            body = clip_tag(video.frames, video.fps, kind, f"{v} output")
        scores = "".join(f'<div{" class=key" if m == sort_by else ""}>{_esc(m.split(".", 1)[-1])}: {x:.3g}</div>'
                         for m, x in r.get("scores", {}).items())
        errors = "".join(f'<div class="err">{_esc(w)}: {_esc(e.splitlines()[0][:200])}</div>'
                         for w, e in r.get("errors", {}).items())
        panels.append((v, f'{body}<div class="scores">{scores}{errors}</div>'))
    meta = f'<div class="meta"><b>{_esc(case.id)}</b><br>{_esc(", ".join(case.categories))}</div>'
    cells = "".join(f'<div class="panel">{_esc(name)}{content}</div>' for name, content in panels)
    return f'<div class="case">{meta}{cells}</div>'


def render_html(report: dict[str, Any], pairs: Path, cases: list[CaseSpec], kind: str = "gif", limit: int = 48) -> str:
    """The whole report.html text."""
    variants = [v["name"] for v in report["variants"]]
    by_id = {c.id: c for c in cases}
    records: dict[str, dict[str, dict[str, Any]]] = {}
    for r in report["records"]:
        records.setdefault(r["case"], {})[r["variant"]] = r
    charts = "".join(bar_chart(m, info["better"], report["categories"], variants) for m, info in report["metrics"].items())
    shown = [cid for cid in report["worst_first"] if cid in by_id][:limit]
    rows = "".join(_case_row(by_id[cid], records.get(cid, {}), variants, pairs, kind, report["sort_by"]) for cid in shown)
    title = _esc(report["title"])
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body><h1>{title}</h1>"
            f"<p>{report['cases']} cases from <code>{_esc(report['manifest'])}</code>, "
            f"{len(variants)} variants. Whiskers: ± one standard error over cases.</p>"
            f'<div class="wide">{_table(report, variants)}</div>'
            f'<h2>Metrics by category</h2><div class="charts">{charts}</div>'
            f"<h2>Cases, worst first by {_esc(report['sort_by'])} of {_esc(report['main_variant'])}"
            f" ({len(shown)} of {report['cases']})</h2>{rows}</body></html>\n")
