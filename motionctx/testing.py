"""Test helpers for motionctx and its plugins.

- :func:`isolated_plugins` / :func:`register_plugin`: a fresh plugin manager for one test, with
  extra plugin objects registered, restored afterwards (also as pytest fixtures below).
- Conformance mixins, one per part kind: subclass in a plugin's tests, set ``part_name`` (and
  ``params`` / input builders where needed), and the battery runs against the registered part::

      class TestMyComposer(ComposerConformance):
          part_name = "my_composer"
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from motionctx.plugins import Plugins, load_plugins, set_plugins


@contextmanager
def isolated_plugins(*extra: Any, strict: bool = False) -> Iterator[Plugins]:
    """Load plugins afresh (built-ins, entry points, then ``extra`` objects) for the block."""
    plugins = load_plugins(strict=strict, extra=list(extra))
    old = set_plugins(plugins)
    try:
        yield plugins
    finally:
        set_plugins(old)


@contextmanager
def register_plugin(plugin: Any) -> Iterator[Plugins]:
    """Register one plugin object (module, class or instance with hookimpls) for the block."""
    with isolated_plugins(plugin) as plugins:
        yield plugins


def random_video(frames: int = 5, height: int = 32, width: int = 32, seed: int = 0, fps: float = 8.0) -> Any:
    """A seeded random :class:`~motionctx.types.Video`."""
    import torch

    from motionctx.types import Video

    g = torch.Generator().manual_seed(seed)
    return Video(torch.rand(frames, 3, height, width, generator=g), fps)


def random_image(height: int = 32, width: int = 32, seed: int = 1) -> Any:
    """A seeded random :class:`~motionctx.types.Image`."""
    return random_video(1, height, width, seed).frame(0)


class PartConformance:
    """Checks every part kind shares: registered under its name, Config with docs, cheap init."""

    kind: ClassVar[str] = ""
    part_name: ClassVar[str] = ""
    params: ClassVar[dict[str, Any]] = {}

    def build(self) -> Any:
        from motionctx.plugins import get_registry

        return get_registry().build(self.kind, self.part_name, dict(self.params))

    def test_registered_under_its_name(self) -> None:
        from motionctx.plugins import get_registry

        cls = get_registry().get(self.kind, self.part_name)
        assert cls.name == self.part_name and cls.kind == self.kind

    def test_config_is_documented_and_strict(self) -> None:
        import pytest

        from motionctx.errors import RecipeError

        part = self.build()
        for fname, f in type(part).Config.model_fields.items():
            assert f.description, f"{self.part_name}: Config field {fname!r} has no description"
        with pytest.raises(RecipeError, match="unknown parameter"):
            type(part).parse_config({**self.params, "no_such_parameter_xyz": 1})

    def test_has_docstring(self) -> None:
        assert (type(self.build()).__doc__ or "").strip(), f"{self.part_name} has no docstring"


class ComposerConformance(PartConformance):
    """Composite shapes, binary masks, target region inside, extract(with_target(x)) == x."""

    kind: ClassVar[str] = "composer"
    frames: ClassVar[int] = 5
    size: ClassVar[tuple[int, int]] = (16, 24)

    def _inputs(self) -> tuple[Any, Any]:
        h, w = self.size
        return random_image(h, w), random_video(self.frames, h, w)

    def test_composite_is_consistent(self) -> None:
        import torch

        from motionctx.types import Geometry

        ref, motion = self._inputs()
        comp = self.build().compose(ref, motion, Geometry())
        t, _, h, w = comp.video.frames.shape
        r = comp.target
        assert 0 <= r.frames[0] < r.frames[1] <= t and r.frames[1] - r.frames[0] == motion.num_frames
        assert r.top + r.height <= h and r.left + r.width <= w and (r.height, r.width) == motion.size
        for m in comp.known.values():
            assert torch.all((m == 0) | (m == 1))
        assert comp.known_union().sum() > 0, "the reference must be known somewhere"

    def test_extract_inverts_with_target(self) -> None:
        import torch

        ref, motion = self._inputs()
        comp = self.build().compose(ref, motion)
        target = random_video(self.frames, *self.size, seed=7)
        assert torch.equal(self.build().extract(comp.with_target(target), comp).frames, target.frames)

    def test_frame_rule(self) -> None:
        from motionctx.types import Geometry

        ref, motion = self._inputs()
        comp = self.build().compose(ref, motion, Geometry(temporal_factor=4))
        assert (comp.video.num_frames - 1) % 4 == 0 or comp.video.num_frames == motion.num_frames


class TextGuiderConformance(PartConformance):
    """``describe`` returns a string and is deterministic for the same inputs."""

    kind: ClassVar[str] = "text_guider"

    def test_describe_returns_text(self) -> None:
        guider = self.build()
        guider.ensure_loaded()
        a = guider.describe(random_image(), random_video())
        assert isinstance(a, str)
        assert a == guider.describe(random_image(), random_video())


class MotionSourceConformance(PartConformance):
    """``prepare`` keeps the driving frame count, uses the reference size, and is reproducible."""

    kind: ClassVar[str] = "motion_source"

    def make_inputs(self) -> tuple[Any, Any]:
        """(driving, reference); override when the source needs special inputs."""
        return random_video(5, 24, 40), random_image(32, 32)

    def test_prepare_shape_and_reproducibility(self) -> None:
        import torch

        driving, reference = self.make_inputs()
        source = self.build()
        source.ensure_loaded()
        out = source.prepare(driving, reference)
        assert out.num_frames == driving.num_frames and out.size == reference.size
        a = source.prepare(driving, reference, train=True, rng=torch.Generator().manual_seed(3))
        b = source.prepare(driving, reference, train=True, rng=torch.Generator().manual_seed(3))
        assert torch.equal(a.frames, b.frames)


class PoseEstimatorConformance(PartConformance):
    """``estimate`` returns a PoseSequence for every frame, in the video's pixel frame, with scores
    in [0, 1]. Override :meth:`make_video` (and ``params``) to give the estimator what it needs."""

    kind: ClassVar[str] = "pose_estimator"

    def make_video(self) -> Any:
        return random_video(3, 48, 64)

    def test_estimate_contract(self) -> None:
        import torch

        from motionctx.types import PoseSequence

        video = self.make_video()
        estimator = self.build()
        estimator.ensure_loaded()
        poses = estimator.estimate(video)
        assert isinstance(poses, PoseSequence)
        assert poses.num_frames == video.num_frames and tuple(poses.size) == video.size
        assert torch.isfinite(poses.keypoints).all()
        if poses.scores.numel():
            assert float(poses.scores.min()) >= 0.0 and float(poses.scores.max()) <= 1.0


class QualityFilterConformance(PartConformance):
    """``score`` returns every declared dimension on the 1-5 scale."""

    kind: ClassVar[str] = "quality_filter"

    def make_sample(self) -> Any:
        from motionctx.types import Sample

        return Sample(reference=random_image(), target=random_video(), driving=random_video(seed=2))

    def test_scores_in_range(self) -> None:
        f = self.build()
        f.ensure_loaded()
        scores = f.score(self.make_sample())
        assert set(scores) == set(type(f).dimensions)
        assert all(1.0 <= v <= 5.0 for v in scores.values())


class ScorerConformance(PartConformance):
    """``score`` returns only declared metrics, as finite numbers or NaN, for a case it applies to.
    Override :meth:`make_case` to give the scorer what it needs."""

    kind: ClassVar[str] = "scorer"

    def make_case(self) -> Any:
        from motionctx.engines.evaluation.case import CaseSpec, EvalCase

        video = random_video(5, 32, 32, seed=2)
        spec = CaseSpec("conformance", Path("reference.png"), Path("driving.mp4"), Path("target.mp4"))
        return EvalCase(spec, random_image(32, 32), video, target=random_video(5, 32, 32, seed=3),
                        background=random_image(32, 32, seed=4))

    def test_scores_are_declared_metrics(self) -> None:
        import math

        scorer = self.build()
        scorer.ensure_loaded()
        case = self.make_case()
        assert set(type(scorer).metrics.values()) <= {"higher", "lower"}
        if scorer.applies(case):
            scores = scorer.score(random_video(5, 32, 32, seed=5), case)
            assert set(scores) <= set(type(scorer).metrics), scores
            assert all(isinstance(v, float) and (math.isfinite(v) or math.isnan(v)) for v in scores.values())


class StageConformance(PartConformance):
    """Stages only need the shared checks; their behaviour is tested through recipes."""

    kind: ClassVar[str] = "stage"


try:  # pytest fixtures, when pytest is present
    import pytest

    @pytest.fixture
    def plugins() -> Iterator[Plugins]:
        """A fresh plugin manager for the test."""
        with isolated_plugins() as p:
            yield p

except ImportError:  # pragma: no cover
    pass
