"""Recipe stages of the toy world: ``toy_model`` (a fresh tiny pipeline) and ``toy_dataset``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator

from motionctx.parts import PartConfig, Stage, StageResult

if TYPE_CHECKING:
    from motionctx.pipeline import Pipeline


class ToyModelStage(Stage):
    """Write a randomly initialised tiny Wan-architecture pipeline (packing VAE, tiny UMT5 and
    transformer) to start toy training from. Skipped when the folder already holds one."""

    name: ClassVar[str] = "toy_model"

    class Config(PartConfig):
        folder: str = Field(description="where to write the pipeline folder")
        seed: int = Field(0, description="initialisation seed")
        patch: int = Field(4, ge=1, description="packing autoencoder: pixels per side of one latent cell")
        keep: int = Field(8, ge=1, description="DCT coefficients kept per block and colour channel")
        num_layers: int = Field(4, ge=1, description="transformer blocks")
        num_attention_heads: int = Field(4, ge=1, description="attention heads")
        attention_head_dim: int = Field(32, ge=8, description="width of one head")
        ffn_dim: int = Field(512, ge=8, description="feed-forward width")
        flow_shift: float = Field(
            1.0, gt=0, description="the scheduler's flow shift for sampling (match the training's train_shift)"
        )
        latent_std: float | None = Field(
            2.0, gt=0, description="one latent scale for every DCT coefficient (None: each scaled to unit variance)"
        )

    def run(self, pipeline: Pipeline) -> StageResult:
        from pathlib import Path

        from motionctx_toy.model import build_toy_model

        c = self.config
        folder = Path(c.folder)
        if (folder / "model_index.json").is_file():
            pipeline.console.log(f"toy_model: {folder} exists, kept")
        else:
            sizes = c.model_dump(exclude={"folder", "seed"})
            build_toy_model(folder, seed=c.seed, **sizes)
        return StageResult({"model": folder})


class ToyDatasetStage(Stage):
    """Render toy clips with ground-truth keypoints and captions, listed in ``manifest.jsonl``."""

    name: ClassVar[str] = "toy_dataset"

    class Config(PartConfig):
        folder: str = Field(description="output folder of clips and manifest.jsonl")
        count: int = Field(1000, ge=1, description="number of clips")
        world: str | None = Field(
            None, description="a named toy world (motionctx_toy.WORLDS); the framing keys set here override its settings"
        )

        @field_validator("world")
        @classmethod
        def _named(cls, name: str | None) -> str | None:
            """One of motionctx_toy.WORLDS (world_preset's own message otherwise)."""
            from motionctx.errors import InputError
            from motionctx_toy.world import world_preset

            if name is not None:
                try:
                    world_preset(name)
                except InputError as exc:
                    raise ValueError(str(exc)) from None
            return name
        first_seed: int = Field(0, ge=0, description="seed of the first clip")
        split: Literal["train", "heldout"] = Field("train", description="seed range the clips come from")
        size: tuple[int, int] = Field((64, 64), description="frame size [H, W]")
        frames: int = Field(9, ge=1, description="frames per clip")
        families: tuple[str, ...] = Field(("humanoid",), description="body families to draw")
        pairs: float = Field(0.0, ge=0.0, le=1.0, description="fraction of two-identity unison clips (twice as wide)")
        scale: float = Field(1.0, ge=0.25, le=3.0, description="framing: characters this many times their own size")
        span: float = Field(1.0, ge=0.0, le=2.0, description="framing: motions travel this fraction of their own path")
        background_kind: Literal["plain", "stripes", "bars", "checks", "horizon"] | None = Field(
            None, description="force one kind of background on every clip"
        )
        thickness: float = Field(1.0, ge=0.25, le=4.0, description="limb and body widths times this")
        references: float = Field(
            0.0, ge=0.0, le=1.0,
            description="fraction of one-character clips (true = all) given a reference still in another pose and "
                        "place; the others take their first frame as the reference",
        )

    def run(self, pipeline: Pipeline) -> StageResult:
        from motionctx_toy.dataset import write_toy_dataset
        from motionctx_toy.world import ToyWorld, world_preset

        c = self.config
        framing = ("size", "frames", "families", "scale", "span", "background_kind", "thickness")
        if c.world is not None:
            world = world_preset(c.world, c.split, **{k: getattr(c, k) for k in framing if k in c.model_fields_set})
        else:
            world = ToyWorld(split=c.split, **{k: getattr(c, k) for k in framing})
        manifest = write_toy_dataset(
            c.folder, c.count, first_seed=c.first_seed, world=world, pairs=c.pairs, references=c.references,
            track=pipeline.track,
        )
        return StageResult({"manifest": manifest}, {"clips": c.count})
