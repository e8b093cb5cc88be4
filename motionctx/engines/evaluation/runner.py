"""Running every (variant, case) pair: generate, score, record.

Each pair owns ``pairs/<variant>/<case id>/``: ``output.mp4`` and ``result.json``, both written
atomically, ``result.json`` last. A pair whose ``result.json`` exists is finished and skipped on a
rerun (a killed run resumes where it stopped), as long as what its output is made from is the same:
``result.json`` records a fingerprint of the case's file contents and other fields, the variant,
its parts and the settings (:func:`pair_inputs`); when any of them changed the pair runs again.
Scorers are not part of it, and neither are the weights behind a variant's paths. Pairs are split
over processes round robin in a fixed order (``i % world == rank``), so every process of a launch
takes its own.

A scorer that raises a :class:`~motionctx.errors.MotionctxError` (a judge's malformed reply, say)
is recorded in that pair's ``errors`` and the run goes on; so is a generation that fails with
one. Anything else is a fault and stops the run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import MotionctxError

if TYPE_CHECKING:
    from motionctx.engines.evaluation.case import CaseSpec, EvalCase
    from motionctx.engines.evaluation.variants import PartCache, Variant
    from motionctx.types import Video

RESULT = "result.json"
OUTPUT = "output.mp4"


@dataclass
class Pair:
    """One (variant, case) job and where its files go."""

    variant: Variant
    case: CaseSpec
    folder: Path
    inputs: str = ""

    @property
    def recorded(self) -> bool:
        """Whether a result is on disk (it may be for other inputs)."""
        return (self.folder / RESULT).is_file()

    @property
    def done(self) -> bool:
        """Finished, for these inputs."""
        import json

        if not self.recorded:
            return False
        try:
            return json.loads((self.folder / RESULT).read_text(encoding="utf-8")).get("inputs") == self.inputs
        except (OSError, ValueError):
            return False


@dataclass
class ScorerSlot:
    """A scorer part of the recipe: its slot (the metric prefix) and spec, built per case."""

    slot: str
    use: str
    params: dict[str, Any]


def file_digest(path: Path, cache: dict[Path, str] | None = None) -> str:
    """SHA-256 of a file's bytes (a folder: of its files' names and bytes), remembered in ``cache``."""
    import hashlib

    if cache is not None and path in cache:
        return cache[path]
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if f.is_file():
            h.update(str(f.relative_to(path)).encode() if f != path else b"")
            with open(f, "rb") as fh:
                h.update(hashlib.file_digest(fh, "sha256").digest())
    digest = h.hexdigest()
    if cache is not None:
        cache[path] = digest
    return digest


def pair_inputs(variant: Variant, case: CaseSpec, settings: RunSettings | None, cache: dict[Path, str] | None = None,
                parts: dict[str, Any] | None = None) -> str:
    """A fingerprint of what a pair's output is made from: the contents of the case's files (not
    their paths: a moved benchmark keeps its results), its categories and extra fields, the
    variant, for a model variant the part specs it runs with (``parts``), and the settings (a
    baseline's: only the working size, ``settings.extra``)."""
    import hashlib
    import json
    from dataclasses import asdict

    from motionctx.engines.evaluation.case import MEDIA_FIELDS

    media = {k: getattr(case, k) for k in ("reference", "driving", *MEDIA_FIELDS) if getattr(case, k) is not None}
    media.update({f"files.{k}": v for k, v in case.files.items()})
    doc = {
        "files": {k: file_digest(Path(v), cache) for k, v in sorted(media.items())},
        "categories": list(case.categories), "extra": case.extra,
        "variant": variant.model_dump(mode="json"),
        "parts": parts if variant.baseline is None else None,
        # a baseline is the case's own media at the working size: only the size settings (extra) matter
        "settings": None if settings is None else asdict(settings) if variant.baseline is None else settings.extra,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:20]


def plan_pairs(variants: list[Variant], cases: list[CaseSpec], root: Path, rank: int = 0, world: int = 1,
               settings: RunSettings | None = None, parts_of: Callable[[Variant], dict[str, Any]] | None = None) -> list[Pair]:
    """This process's pairs, variant by variant (each model loads once), with their inputs'
    fingerprints (``parts_of``: a variant's part specs)."""
    pairs = [Pair(v, c, root / v.name / c.id) for v in variants for c in cases]
    mine = [p for i, p in enumerate(pairs) if i % world == rank]
    digests: dict[Path, str] = {}
    specs = {v.name: parts_of(v) if parts_of else None for v in variants}
    for p in mine:
        p.inputs = pair_inputs(p.variant, p.case, settings, digests, specs[p.variant.name])
    return mine


def baseline_output(kind: str, case: EvalCase) -> Video:
    """The output of a baseline variant for ``case``."""
    from motionctx.errors import InputError
    from motionctx.types import Video

    n = case.driving.num_frames
    if kind == "reference":
        return Video(case.reference.pixels[None].expand(n, -1, -1, -1).contiguous(), case.driving.fps)
    if kind == "target":
        if case.target is None:
            raise InputError(f"case {case.id} has no target for the target baseline", "give the case a target")
        return case.target
    from motionctx.engines.evaluation.case import fit_to

    return Video(fit_to(case.driving.frames, case.reference.size).contiguous(), case.driving.fps)


def score_output(output: Video, case: EvalCase, scorers: list[ScorerSlot], cache: PartCache) -> tuple[dict[str, float], dict[str, str]]:
    """Every applicable scorer's metrics (``slot.metric``) and the errors of those that failed."""
    scores: dict[str, float] = {}
    errors: dict[str, str] = {}
    for s in scorers:
        try:
            part = cache.get(f"scorer:{s.slot}", "scorer", s.use, s.params, case.spec)
            if not part.applies(case):
                continue
            for name, value in part.score(output, case).items():
                scores[f"{s.slot}.{name}"] = float(value) if math.isfinite(float(value)) else float("nan")
        except MotionctxError as exc:
            errors[s.slot] = str(exc)
    return scores, errors


@dataclass
class RunSettings:
    """What every model variant is run with (the evaluate stage's sampling settings)."""

    steps: int = 30
    guidance: float = 5.0
    seed: int = 0
    prompt: str | None = None
    negative_prompt: str = ""
    segment_frames: int | None = None
    carry: str = "last_frame"
    keep_known: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # the working size settings (size, area, ...)


def generate(pair: Pair, case: EvalCase, parts: dict[str, Any], settings: RunSettings) -> Video:
    """The variant's output for the case: a baseline, or the animate engine with the variant's parts."""
    from motionctx.engines.sampling import animate

    if pair.variant.baseline is not None:
        return baseline_output(pair.variant.baseline, case)
    result = animate(
        parts["backbone"], parts["motion"], parts["composer"], case.reference, case.driving,
        text_guider=parts.get("text"), prompt=settings.prompt, negative_prompt=settings.negative_prompt,
        steps=settings.steps, guidance=settings.guidance, seed=settings.seed, segment_frames=settings.segment_frames,
        carry=settings.carry, keep_known=settings.keep_known,
    )
    return result.video


def run_pair(
    pair: Pair,
    load: Callable[[CaseSpec, Any], EvalCase],
    parts: Callable[[CaseSpec], dict[str, Any]],
    scorers: list[ScorerSlot],
    cache: PartCache,
    settings: RunSettings,
) -> dict[str, Any]:
    """Generate, score and record one pair; returns its result record."""
    from motionctx.io import atomic_write_json, write_video

    started = time.perf_counter()
    record: dict[str, Any] = {"variant": pair.variant.name, "case": pair.case.id, "inputs": pair.inputs,
                              "categories": list(pair.case.categories), "scores": {}, "errors": {}}
    try:
        built = {} if pair.variant.baseline is not None else parts(pair.case)
        geometry = built["backbone"].geometry if "backbone" in built else None
        case = load(pair.case, geometry)
        output = generate(pair, case, built, settings)
        write_video(pair.folder / OUTPUT, output, fps=case.driving.fps)
        record["output"] = OUTPUT
        record["generate_seconds"] = round(time.perf_counter() - started, 3)
        record["frames"], record["size"] = output.num_frames, list(output.size)
        record["scores"], record["errors"] = score_output(output, case, scorers, cache)
        if case.notes:
            record["notes"] = case.notes
    except MotionctxError as exc:
        record["errors"]["generate"] = str(exc)
    record["seconds"] = round(time.perf_counter() - started, 3)
    atomic_write_json(pair.folder / RESULT, record)
    return record


def read_results(root: Path, variants: Iterable[Variant], cases: Iterable[CaseSpec]) -> list[dict[str, Any]]:
    """The records of every finished pair, in variant then case order."""
    import json

    out = []
    for v in variants:
        for c in cases:
            path = root / v.name / c.id / RESULT
            if path.is_file():
                out.append(json.loads(path.read_text(encoding="utf-8")))
    return out
