"""A toy clip written down as seeds: enough to render it again, exactly.

Kept free of numpy and torch so that part Configs (``toy_truth``, ``toy_caption``) can use it
while plugin discovery stays light.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CharacterSpec(_Spec):
    """One identity: its family and seed."""

    family: str = Field(description="humanoid, quadruped or bird")
    seed: int = Field(ge=0, description="identity seed (< 1000000 train, >= 1000000 held out)")
    flat: bool = Field(False, description="one flat colour per body part (no texture pattern)")
    thickness: float = Field(1.0, gt=0.0, le=4.0, description="limb and body widths times this")


class MotionSpec(_Spec):
    """One motion of the character's family: its seed and, optionally, a forced kind."""

    seed: int = Field(ge=0, description="motion seed (< 1000000 train, >= 1000000 held out)")
    kind: str | None = Field(None, description="force a motion kind (walk, wave, ...); default: from the seed")
    front: bool = Field(False, description="keep the body facing the camera (no turning or rolling)")
    hold: tuple[int, int] | None = Field(
        None, description="[k, n]: a still, frame k of the motion drawn at n frames (the clip repeats it)"
    )
    resampled_from: tuple[int, ...] = Field(
        (), description="frame counts the motion had before it was resampled to the clip's (or hold's n), first drawn first"
    )

    @field_validator("hold")
    @classmethod
    def _hold_in_range(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not 0 <= v[0] < v[1]:
            raise ValueError(f"hold must be [k, n] with 0 <= k < n, got {list(v)}")
        return v

    @field_validator("resampled_from")
    @classmethod
    def _counts_positive(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(n < 1 for n in v):
            raise ValueError(f"resampled_from must hold frame counts of at least 1, got {list(v)}")
        return v


class PlacementSpec(_Spec):
    """Where a character's motion lands in the frame (see motionctx_toy.posing.Placement)."""

    x: float = 0.5
    span: float = 1.0
    scale: float = 1.0
    ground: float | None = None


class ClipSpec(_Spec):
    """Everything that determines a rendered toy clip."""

    characters: list[CharacterSpec] = Field(min_length=1, description="the characters, back to front")
    motions: list[MotionSpec] = Field(min_length=1, description="one motion per character")
    frames: int = Field(9, ge=1, description="number of frames")
    size: tuple[int, int] = Field((64, 64), description="(height, width) in pixels")
    background: int = Field(0, ge=0, description="background seed")
    background_kind: str | None = Field(None, description="force plain, stripes, bars, checks or horizon")
    placements: list[PlacementSpec] | None = Field(None, description="per character; default: automatic lanes")
    fps: float = Field(8.0, gt=0)
    supersample: int = Field(1, ge=1, le=4, description="render at this multiple and average (antialiasing)")

    @field_validator("motions")
    @classmethod
    def _one_per_character(cls, v: list[MotionSpec], info) -> list[MotionSpec]:
        chars = info.data.get("characters")
        if chars is not None and len(v) != len(chars):
            raise ValueError(f"{len(v)} motions for {len(chars)} characters; give one motion per character")
        return v
