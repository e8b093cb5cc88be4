"""Built-in weight-free quality filter: ``basic_quality``.

Three cheap scores on the 1-5 scale, each computed from pixels only. They catch broken samples
(blurred, flickering, or off-identity videos); they are not a substitute for a learned judge such
as ``mllm_judge`` (motionctx-openai), which scores the method's six dimensions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from motionctx.errors import InputError
from motionctx.hookspecs import hookimpl
from motionctx.metrics.image import colour_histogram, histogram_overlap
from motionctx.parts import PartConfig, QualityFilter

if TYPE_CHECKING:
    import torch

    from motionctx.types import Sample


def _laplacian_energy(frames: torch.Tensor) -> torch.Tensor:
    import torch.nn.functional as F

    gray = frames.mean(dim=1, keepdim=True)
    kernel = gray.new_tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])[None, None]
    return F.conv2d(gray, kernel).pow(2).mean()


def _to_score(x: float) -> float:
    """Map [0, 1] (1 = good) onto [1, 5]."""
    return 1.0 + 4.0 * min(1.0, max(0.0, x))


class BasicQualityFilter(QualityFilter):
    """Pixel statistics: sharpness relative to the reference, frame-to-frame stability, and colour
    similarity to the reference, each mapped onto 1-5."""

    name: ClassVar[str] = "basic_quality"
    dimensions: ClassVar[tuple[str, ...]] = ("sharpness", "temporal_stability", "reference_similarity")

    class Config(PartConfig):
        flicker_scale: float = Field(0.25, gt=0, description="mean absolute frame difference that scores 1")
        bins: int = Field(8, ge=2, le=32, description="histogram bins per colour channel")

    def score(self, sample: Sample) -> dict[str, float]:
        if sample.target is None:
            raise InputError("basic_quality: the sample has no generated video (target)", "score synthesized samples")
        frames, ref = sample.target.frames, sample.reference.pixels[None]
        sharp = float(_laplacian_energy(frames) / _laplacian_energy(ref).clamp_min(1e-8))
        diff = float((frames[1:] - frames[:-1]).abs().mean()) if frames.shape[0] > 1 else 0.0
        sim = histogram_overlap(colour_histogram(frames, self.config.bins), colour_histogram(ref, self.config.bins))
        return {
            "sharpness": _to_score(sharp),
            "temporal_stability": _to_score(1.0 - diff / self.config.flicker_scale),
            "reference_similarity": _to_score(sim),
        }


@hookimpl
def register_quality_filters(register) -> None:
    register(BasicQualityFilter)
