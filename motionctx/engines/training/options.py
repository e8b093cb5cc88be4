"""Recipe parameters of the ``prepare`` and ``train`` stages (pydantic; no torch import)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from motionctx.parts.base import PartConfig

__all__ = ["DEFAULT_BUCKETS", "PrepareConfig", "TrainConfig", "ValidationInput"]

#: Aspect-ratio buckets for 480p-class Wan training (H, W): landscape, portrait, square.
DEFAULT_BUCKETS: list[tuple[int, int]] = [(480, 832), (832, 480), (624, 624)]


def _check_buckets(buckets: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not buckets:
        raise ValueError("give at least one bucket [H, W]")
    for h, w in buckets:
        if h < 1 or w < 1:
            raise ValueError(f"bucket sides must be positive, got [{h}, {w}]")
    return buckets


class PrepareConfig(PartConfig):
    """Parameters of the ``prepare`` stage."""

    manifest: str = Field(
        description="JSONL manifest: one {path, caption?, keypoints?, driving?, reference?, id?} per line"
    )
    folder: str = Field("data", description="folder (inside the output folder) for the index and per-rank shard lists")
    cache: str | None = Field(
        None, description="cache folder shared across runs; default $MOTIONCTX_CACHE or <output>/cache"
    )
    poses: bool = Field(True, description="estimate and cache poses when the motion source has a pose estimator")
    captions: bool = Field(True, description="describe clips without a manifest caption with the recipe's text guider")
    text_embeddings: bool | Literal["auto"] = Field(
        "auto",
        description="cache the backbone's text embeddings of every caption (auto: when its training_loss takes them)",
    )
    latents: bool = Field(
        False, description="cache VAE latents of each clip's first window (backbones with encode_video)"
    )
    latent_frames: int = Field(49, ge=1, description="frames of the cached latent window (snapped to the frame rule)")
    buckets: list[tuple[int, int]] = Field(
        default_factory=lambda: list(DEFAULT_BUCKETS), description="aspect-ratio buckets [H, W] (for cached latents)"
    )
    min_frames: int = Field(49, ge=1, description="clips with fewer frames are skipped (listed in the stage's metrics)")
    describe_frames: int = Field(49, ge=1, description="frames from a clip's start given to the text guider")
    describe_side: int = Field(512, ge=16, description="longer side of the frames given to the text guider")
    chunk_frames: int = Field(
        64, ge=0, description="frames decoded at a time for pose estimation (0: the whole clip at once)"
    )
    stop_on_error: bool = Field(False, description="stop at the first unreadable clip instead of skipping it")

    @field_validator("buckets")
    @classmethod
    def _buckets(cls, value: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return _check_buckets(value)


class ValidationInput(BaseModel):
    """One validation example: a reference image and a driving video."""

    reference: str = Field(description="reference image path")
    driving: str = Field(description="driving video path")


class TrainConfig(PartConfig):
    """Parameters of the ``train`` stage."""

    data: str | None = Field(
        None, description="index.jsonl written by the prepare stage; default <output>/data/index.jsonl"
    )
    cache: str | None = Field(
        None, description="cache folder to read entries from; default: the one the index was prepared with"
    )
    folder: str = Field(
        "train", description="folder (inside the output folder) for checkpoints, logs, previews and export"
    )
    steps: int = Field(1000, ge=1, description="optimizer steps")
    batch_size: int = Field(1, ge=1, description="clips per process per micro-batch")
    gradient_accumulation: int = Field(1, ge=1, description="micro-batches per optimizer step")
    frames: tuple[int, int] = Field(
        (49, 121), description="[min, max] frames per sampled clip, snapped to the backbone's frame rule"
    )
    stride: int = Field(1, ge=1, description="take every stride-th frame of the source video")
    buckets: list[tuple[int, int]] = Field(
        default_factory=lambda: list(DEFAULT_BUCKETS),
        description="aspect-ratio buckets [H, W]; each clip trains at its closest bucket",
    )
    mode: Literal["lora", "full"] = Field(
        "lora", description="frozen backbone + LoRA, or full fine-tune (small models)"
    )
    lora_rank: int = Field(256, ge=1, description="LoRA rank")
    lora_alpha: float | None = Field(None, gt=0, description="LoRA alpha (null: equal to the rank)")
    lora_targets: list[str] | None = Field(
        None, description="module-name regexes for LoRA (null: the backbone's FFN layers)"
    )
    init_lora: str | None = Field(
        None, description="warm start from this LoRA file (e.g. the pose LoRA for end-to-end)"
    )
    lr: float = Field(5e-5, gt=0, description="AdamW learning rate")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay")
    betas: tuple[float, float] = Field((0.9, 0.999), description="AdamW betas")
    eps: float = Field(1e-8, gt=0, description="AdamW epsilon")
    warmup_steps: int = Field(100, ge=0, description="linear learning-rate warm-up from 0")
    schedule: Literal["constant", "cosine", "linear"] = Field("constant", description="learning rate after warm-up")
    max_grad_norm: float | None = Field(1.0, gt=0, description="gradient clipping by global norm (null: off)")
    ema: float | None = Field(
        None, gt=0, lt=1, description="EMA decay of the trained weights (null: off); export uses the EMA"
    )
    mixed_precision: Literal["no", "bf16", "fp16"] | None = Field(
        None, description="autocast precision (null: the launcher's setting, else no)"
    )
    gradient_checkpointing: bool = Field(
        False, description="recompute activations in backward (if the backbone supports it)"
    )
    seed: int = Field(0, description="seed of the data order, windows, augmentation and noise")
    deterministic: bool = Field(False, description="torch deterministic algorithms (slower; exact reruns on GPU)")
    num_workers: int = Field(0, ge=0, description="data-loading worker processes per training process")
    prefetch: int = Field(
        2, ge=0, description="with num_workers 0: batches built ahead in a background thread (0: off)"
    )
    checkpoint_every: int = Field(
        500, ge=1, description="save a checkpoint every N steps (and at the end, and on SIGINT/SIGTERM)"
    )
    keep_checkpoints: int = Field(3, ge=1, description="how many recent checkpoints to keep")
    resume: Literal["auto", "never"] | str = Field(
        "auto", description="'auto': continue from the latest complete checkpoint; 'never'; or a checkpoint folder"
    )
    log_every: int = Field(10, ge=1, description="write metrics every N steps")
    tensorboard: bool = Field(True, description="also log to TensorBoard when it is installed")
    validate_every: int = Field(0, ge=0, description="write validation previews every N steps (0: off)")
    validation: list[ValidationInput] = Field(
        default_factory=list, description="validation examples; default: training clips"
    )
    validation_clips: int = Field(1, ge=0, description="training clips used for validation when `validation` is empty")
    validation_frames: int = Field(49, ge=1, description="frames of each validation clip")
    validation_steps: int = Field(20, ge=1, description="denoising steps of validation samples")
    validation_guidance: float = Field(5.0, ge=0, description="guidance scale of validation samples")
    export: str = Field(
        "lora.safetensors", description="final LoRA file name (diffusers format) inside the train folder"
    )
    checkpoint_lora: bool = Field(
        True, description="LoRA mode: every checkpoint also holds the LoRA file (the `export` name), loadable as the final one"
    )
    motion_hint: tuple[int, int] | None = Field(
        None,
        description="curriculum [a, b]: blend the target window into the motion signal, fully up to step a, "
        "fading linearly to none at step b (null: off)",
    )
    use_cached_text: bool = Field(
        True, description="give cached text embeddings to backbones whose training_loss accepts them"
    )

    @field_validator("buckets")
    @classmethod
    def _buckets(cls, value: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return _check_buckets(value)

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        lo, hi = self.frames
        if not 1 <= lo <= hi:
            raise ValueError(f"frames must be [min, max] with 1 <= min <= max, got {list(self.frames)}")
        if self.motion_hint is not None and not 0 <= self.motion_hint[0] <= self.motion_hint[1]:
            raise ValueError(f"motion_hint must be [a, b] with 0 <= a <= b, got {list(self.motion_hint)}")
        if self.init_lora and self.mode == "full":
            raise ValueError("init_lora needs mode: lora (a full fine-tune starts from the backbone's weights)")
        return self
