"""Backbone: a pretrained image-to-video diffusion model that takes the in-context composite."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from motionctx.parts.base import Part
from motionctx.types import Geometry

if TYPE_CHECKING:
    import torch

    from motionctx.plan.model import PlannedModel
    from motionctx.types import Composite, Video


class Backbone(Part):
    """An image-to-video model adapted by channel-concatenated in-context conditioning.

    Contract (DESIGN section 4): ``geometry`` gives the sizes the model accepts;
    ``encode_condition`` maps a :class:`~motionctx.types.Composite`'s known-region masks onto the
    model's own first-frame conditioning; ``sample`` denoises a composite-shaped video;
    ``training_loss`` is the flow-matching loss on a batch; LoRA adapters go on ``lora_targets``
    (the feed-forward layers by default).
    """

    kind: ClassVar[str] = "backbone"
    #: Module name patterns that receive LoRA adapters by default.
    lora_targets: ClassVar[tuple[str, ...]] = ()
    supports_lora: ClassVar[bool] = True
    #: Published configurations :meth:`planned_model` knows without a weights folder.
    published_models: ClassVar[tuple[str, ...]] = ()

    @property
    def geometry(self) -> Geometry:
        """Sizes and frame counts the model accepts."""
        return Geometry()

    @abstractmethod
    def encode_text(self, prompts: list[str]) -> Any:
        """Text-encoder embeddings for a list of prompts."""

    @abstractmethod
    def encode_condition(self, composite: Composite) -> Any:
        """The model-specific conditioning for a composite (latents + masks)."""

    @abstractmethod
    def sample(
        self,
        composite: Composite,
        prompt: str,
        *,
        negative_prompt: str = "",
        steps: int = 30,
        guidance: float = 5.0,
        seed: int = 0,
        progress: Any = None,
    ) -> Video:
        """Generate a composite-shaped video (the composer cuts the target out)."""

    @abstractmethod
    def training_loss(
        self,
        composites: list[Composite],
        clean: list[Video],
        prompts: list[str],
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Scalar flow-matching loss (``x_t = (1-s) x0 + s noise``, target ``noise - x0``).

        ``clean[i]`` is the composite-shaped ground truth (``composites[i].with_target(target)``);
        the loss covers only where ``composites[i]`` is not known.
        """

    def sampling_options(self) -> dict[str, Any]:
        """The speed options :meth:`sample` uses (step cache, batched guidance, compilation), as
        ``{name: value}`` for run.json; empty when the backbone has none."""
        return {}

    def add_lora(self, rank: int = 256, alpha: float | None = None, targets: tuple[str, ...] | None = None) -> None:
        """Attach trainable LoRA adapters (frozen base) on ``targets`` (default ``lora_targets``)."""
        raise NotImplementedError(f"backbone {self.name!r} does not support LoRA")

    def save_lora(self, path: str | Path) -> None:
        """Write the adapters as a diffusers-format safetensors file."""
        raise NotImplementedError(f"backbone {self.name!r} does not support LoRA")

    def load_lora(self, path: str | Path) -> None:
        """Load adapters saved by :meth:`save_lora` (or a compatible layout)."""
        raise NotImplementedError(f"backbone {self.name!r} does not support LoRA")

    def save_pretrained(self, folder: str | Path) -> Path:
        """Write the whole model (after a full fine-tune) as a folder this backbone loads again."""
        raise NotImplementedError(f"backbone {self.name!r} cannot save a full model")

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        """Parameters the training engine optimises."""
        raise NotImplementedError(f"backbone {self.name!r} cannot be trained")

    def sampling_batch(self, guidance: float) -> int:
        """Copies of the latent one denoising forward pass holds at ``guidance`` (2 where the
        conditional and unconditional passes run as one batch); the memory check multiplies by it."""
        return 1

    def planned_model(self, model: str | None = None) -> PlannedModel:
        """What ``motionctx recipe plan`` needs (:class:`~motionctx.plan.model.PlannedModel`): the
        networks built on the meta device from the weights folder's config files, or from the
        published configuration ``model`` (one of :attr:`published_models`); no weights are read."""
        from motionctx.errors import RecipeError

        raise RecipeError(f"backbone {self.name!r} cannot be planned", "plan a recipe whose backbone supports it (wan_i2v, wan_ti2v)")
