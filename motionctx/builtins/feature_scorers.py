"""Built-in model-based scorers: ``subject_consistency`` and ``background_consistency``.

Both follow the VBench dimensions of the same names: every output frame is embedded by an image
model and compared with the first frame and with the frame before (see
:func:`motionctx.metrics.features.feature_consistency`). ``subject_consistency`` uses
self-supervised DINO features, which follow the look of the main subject;
``background_consistency`` uses CLIP image embeddings of the whole frame, which the scene
dominates.

The models are timm architectures built with ``pretrained=False``; their weights come from the
local file named by ``weights`` and nothing is downloaded. A missing file is reported before any
video is decoded (:meth:`~motionctx.parts.Part.missing_files`), with how to save one from timm.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from motionctx.hookspecs import hookimpl
from motionctx.parts import MissingFile, PartConfig, Scorer

if TYPE_CHECKING:
    from motionctx.engines.evaluation.case import EvalCase
    from motionctx.types import Video


class FeatureConfig(PartConfig):
    """Parameters shared by the feature-consistency scorers."""

    weights: str = Field(description="local weights of `model`: a .safetensors file, a torch state dict, or a "
                         "timm hub folder (nothing is downloaded)")
    model: str = Field(description="timm model name (built with pretrained=False)")
    model_kwargs: dict[str, Any] = Field(default_factory=dict, description="extra timm.create_model arguments "
                                         "(e.g. img_size), matching how the weights were saved")
    pooled: bool = Field(False, description="use the features before the classifier head (its weights are "
                         "ignored) instead of the model's output")
    image_size: int | None = Field(None, ge=8, le=1024, description="input side; null: the model's own")
    batch: int = Field(16, ge=1, le=1024, description="frames per forward pass")
    device: str | None = Field(None, description="torch device (null: cuda when available, else cpu)")


class FeatureConsistencyScorer(Scorer):
    """Shared body: embed every frame with a local timm model and measure how steady the features stay.

    ``consistency`` (1 = every frame looks alike to the model), ``to_first`` and ``to_previous``.
    """

    metrics: ClassVar[dict[str, str]] = {"consistency": "higher", "to_first": "higher", "to_previous": "higher"}
    Config: ClassVar[type[PartConfig]] = FeatureConfig

    def missing_files(self) -> list[MissingFile]:
        from motionctx.metrics.features import save_hint

        c = self.config
        if Path(c.weights).expanduser().exists():
            return []
        return [MissingFile(f"{self.name} weights ({c.model})", c.weights, save_hint(c.model, "weights"))]

    def load(self) -> None:
        from motionctx.metrics.features import FeatureModel

        c = self.config
        self.features = FeatureModel(c.model, c.weights, model_kwargs=c.model_kwargs, pooled=c.pooled,
                                     image_size=c.image_size, device=c.device, key=f"{self.name}.with.weights")

    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        from motionctx.metrics.features import feature_consistency

        self.ensure_loaded()
        return feature_consistency(self.features.embed(output, self.config.batch))


class SubjectConsistencyScorer(FeatureConsistencyScorer):
    """VBench subject consistency: DINO features of each output frame against the first and the
    previous frame. Weights: e.g. timm's ``vit_base_patch16_224.dino`` saved locally."""

    name: ClassVar[str] = "subject_consistency"

    class Config(FeatureConfig):
        model: str = Field("vit_base_patch16_224.dino", description="timm model name (built with pretrained=False)")


class BackgroundConsistencyScorer(FeatureConsistencyScorer):
    """VBench background consistency: CLIP image embeddings of each whole output frame against the
    first and the previous frame. Weights: e.g. timm's ``vit_base_patch32_clip_224.openai``."""

    name: ClassVar[str] = "background_consistency"

    class Config(FeatureConfig):
        model: str = Field("vit_base_patch32_clip_224.openai", description="timm model name (built with "
                           "pretrained=False)")


@hookimpl
def register_scorers(register) -> None:
    register(SubjectConsistencyScorer)
    register(BackgroundConsistencyScorer)
