"""The toy world's front door: seeded characters, motions, clips and cross-identity cases.

``ToyWorld(split="train")`` only accepts training seeds (0..999999) and derives every sub-seed
inside that range; ``ToyWorld(split="heldout")`` does the same from 1000000 upwards, so held-out
identities, motions and backgrounds never appear in training.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx_toy import seeds
from motionctx_toy.background import KINDS as BACKGROUND_KINDS
from motionctx_toy.background import Background, make_background
from motionctx_toy.character import Character, make_character
from motionctx_toy.clip import ToyClip, default_placements, render_clip, render_spec
from motionctx_toy.families import FAMILIES
from motionctx_toy.motion import Motion, make_motion
from motionctx_toy.posing import Placement
from motionctx_toy.spec import ClipSpec

if TYPE_CHECKING:
    from motionctx.types import Image, Sample


@dataclass(frozen=True, eq=False)
class CrossIdentityCase:
    """A benchmark case: animate identity A (``reference``) with the motion that identity B
    performs in ``driving``; ``target`` is A performing that motion on the reference's background
    (the exact answer). ``reference_clip`` is the reference as a one-frame clip with its pose."""

    reference: Image
    reference_clip: ToyClip
    driving: ToyClip
    target: ToyClip
    metadata: dict[str, Any] = field(default_factory=dict)

    def sample(self) -> Sample:
        """The case as a training/evaluation :class:`~motionctx.types.Sample` (reference, driving,
        target video and the caption of A performing the driving motion)."""
        from motionctx.types import Sample

        return Sample(reference=self.reference, driving=self.driving.video, target=self.target.video,
                      text=self.target.caption, metadata=dict(self.metadata))


@dataclass(frozen=True)
class ToyWorld:
    """Seeded access to the toy world for one split, at one frame size and clip length.

    ``scale`` and ``span`` set the framing: characters ``scale`` times their own size, motions
    travelling ``span`` times their own path (the defaults, 1 and 1, leave both as drawn).
    ``background_kind`` forces one kind of background (``plain``, ``stripes``, ...) on every clip;
    ``backgrounds`` draws each clip's kind from a list instead. ``motions`` limits the motion kinds
    (drawn per seed), ``front`` keeps bodies facing the camera, ``flat`` paints one flat colour per
    body part, ``thickness`` multiplies limb and body widths. :func:`world_preset` gives the named
    worlds (``simple``, ``hard``)."""

    split: str = "train"
    size: tuple[int, int] = (64, 64)
    frames: int = 9
    fps: float = 8.0
    families: tuple[str, ...] = tuple(FAMILIES)
    supersample: int = 1
    scale: float = 1.0
    span: float = 1.0
    background_kind: str | None = None
    backgrounds: tuple[str, ...] | None = None
    motions: tuple[str, ...] | None = None
    front: bool = False
    flat: bool = False
    thickness: float = 1.0

    def __post_init__(self) -> None:
        if self.split not in seeds.SPLITS:
            raise InputError(f"unknown split {self.split!r}", "use split='train' or split='heldout'")
        if not 0.25 <= self.scale <= 3.0 or not 0.0 <= self.span <= 2.0:
            raise InputError(f"toy framing scale={self.scale}, span={self.span} is out of range",
                             "use a scale between 0.25 and 3 (character size) and a span between 0 and 2 "
                             "(how far motions travel; 1 is the motion's own path)")
        if not 0.25 <= self.thickness <= 4.0:
            raise InputError(f"toy thickness={self.thickness} is out of range",
                             "use a thickness between 0.25 and 4 (limb and body widths times this)")
        if self.background_kind is not None and self.background_kind not in BACKGROUND_KINDS:
            raise InputError(f"unknown background kind {self.background_kind!r}", f"kinds: {', '.join(BACKGROUND_KINDS)}")
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown or not self.families:
            raise InputError(f"unknown toy families {unknown}", f"families: {', '.join(FAMILIES)}")
        bad = [k for k in self.backgrounds or () if k not in BACKGROUND_KINDS]
        if bad or self.backgrounds == ():
            raise InputError(f"unknown background kinds {bad}", f"kinds: {', '.join(BACKGROUND_KINDS)}")
        if self.motions is not None:
            from motionctx_toy.motion import motion_kinds

            for fam in self.families:
                known = motion_kinds(fam)
                if not any(k in known for k in self.motions):
                    raise InputError(f"none of the motion kinds {list(self.motions)} belongs to the {fam} family",
                                     f"{fam} kinds: {', '.join(known)}")

    # ------------------------------------------------------------ seeds
    def seed(self, index: int) -> int:
        """The ``index``-th seed of this world's split."""
        return seeds.index_to_seed(index, self.split)

    def _check(self, seed: int, what: str) -> int:
        return seeds.check_seed(seed, self.split, what)

    def _family(self, seed: int, family: str | None, *purpose: str) -> str:
        if family is not None:
            if family not in FAMILIES:
                raise InputError(f"unknown toy family {family!r}", f"families: {', '.join(FAMILIES)}")
            return family
        r = seeds.rng(seed, "family", *purpose)
        return self.families[int(r.integers(len(self.families)))]

    def framed(self, placement: Placement) -> Placement:
        """``placement`` with this world's framing: the character ``scale`` times larger, its
        path shrunk by ``span``."""
        p = placement
        return Placement(x=p.x, span=p.span * self.span, scale=p.scale * self.scale, ground=p.ground)

    def placements(self, characters: int = 1) -> list[Placement]:
        """Where ``characters`` characters stand in this world's clips: the automatic lanes, framed."""
        return [self.framed(p) for p in default_placements(characters)]

    # ------------------------------------------------------------ building blocks
    def character(self, seed: int, family: str | None = None) -> Character:
        """The identity for ``seed`` (family drawn from the seed when not given)."""
        self._check(seed, "character seed")
        return make_character(seed, self._family(seed, family, "character"), flat=self.flat,
                              thickness=self.thickness)

    def motion(self, seed: int, family: str, frames: int | None = None, kind: str | None = None) -> Motion:
        """The motion for ``seed`` in ``family``; ``kind`` forces walk, wave, ... (see motion_kinds)."""
        self._check(seed, "motion seed")
        fam = self._family(seed, family)
        return make_motion(seed, fam, frames or self.frames, kind=kind or self.motion_kind(seed, fam), front=self.front)

    def motion_kind(self, seed: int, family: str) -> str | None:
        """The kind motion ``seed`` takes in this world: drawn from ``motions`` (those the family
        knows), or None to leave it to the seed."""
        if self.motions is None:
            return None
        from motionctx_toy.motion import motion_kinds

        kinds = [k for k in self.motions if k in motion_kinds(family)]
        return kinds[int(seeds.rng(seed, "world-motion-kind", family).integers(len(kinds)))]

    def background_kind_for(self, seed: int) -> str | None:
        """The background kind of background ``seed``: ``background_kind``, else drawn from
        ``backgrounds``, else None (the seed's own)."""
        if self.background_kind is not None or self.backgrounds is None:
            return self.background_kind
        return self.backgrounds[int(seeds.rng(seed, "world-background-kind").integers(len(self.backgrounds)))]

    def background(self, seed: int, avoid: Iterable[Iterable[float]] = ()) -> Background:
        self._check(seed, "background seed")
        return make_background(seed, avoid, kind=self.background_kind_for(seed))

    def _character_spec(self, family: str, seed: int) -> dict[str, Any]:
        return {"family": family, "seed": seed, **({"flat": True} if self.flat else {}),
                **({"thickness": self.thickness} if self.thickness != 1.0 else {})}

    def _motion_spec(self, seed: int, family: str) -> dict[str, Any]:
        kind = self.motion_kind(seed, family)
        return {"seed": seed, **({"kind": kind} if kind else {}), **({"front": True} if self.front else {})}

    def render(self, characters: Character | Sequence[Character], motions: Motion | Sequence[Motion],
               background: Background | int | None = None) -> ToyClip:
        """render_clip at this world's size, frame count and fps."""
        n = 1 if isinstance(characters, Character) else len(characters)
        return render_clip(characters, motions, self.size, self.frames, background, self.placements(n),
                           fps=self.fps, supersample=self.supersample)

    # ------------------------------------------------------------ clips
    def spec(self, seed: int, family: str | None = None, characters: int = 1, mixed: bool = False) -> ClipSpec:
        """The spec of clip ``seed``: ``characters`` identities (one family unless ``mixed``)."""
        self._check(seed, "clip seed")
        if characters < 1:
            raise InputError(f"a clip needs at least one character, got {characters}")
        fam = self._family(seed, family, "clip")
        chars, mots = [], []
        for i in range(characters):
            f = self._family(seed, None, "clip", str(i)) if mixed and family is None else fam
            chars.append(self._character_spec(f, seeds.derive_seed(seed, self.split, "clip", i, "character")))
            mots.append(self._motion_spec(seeds.derive_seed(seed, self.split, "clip", i, "motion"), f))
        bg = seeds.derive_seed(seed, self.split, "clip", "background")
        return ClipSpec(
            characters=chars, motions=mots, frames=self.frames, size=self.size,
            background=bg, background_kind=self.background_kind_for(bg),
            placements=[p.as_dict() for p in self.placements(characters)], fps=self.fps,
            supersample=self.supersample,
        )

    def pair_spec(self, seed: int, family: str | None = None) -> ClipSpec:
        """Two identities of one family performing the same motion side by side, at twice this
        world's width: each half is laid out exactly like a one-character clip of this world's size.

        Such clips stand for the many videos of people moving in unison that a real pretrained video
        model has seen; they are pretraining data, not the animation task itself.
        """
        self._check(seed, "clip seed")
        fam = self._family(seed, family, "pair")
        chars = [self._character_spec(fam, seeds.derive_seed(seed, self.split, "pair", i, "character")) for i in range(2)]
        motion = self._motion_spec(seeds.derive_seed(seed, self.split, "pair", "motion"), fam)
        h, w = self.size
        bg = seeds.derive_seed(seed, self.split, "pair", "background")
        return ClipSpec(
            characters=chars, motions=[motion, motion], frames=self.frames, size=(h, 2 * w),
            background=bg, background_kind=self.background_kind_for(bg),
            placements=[self.framed(Placement(x=x, span=0.5)).as_dict() for x in (0.25, 0.75)], fps=self.fps,
            supersample=self.supersample,
        )

    def reference_spec(self, seed: int, family: str | None = None) -> ClipSpec:
        """A one-frame still of clip ``seed``'s character on its background, in the first pose of
        another motion of its own (so usually at another place and in another pose).

        Training on clips whose reference is this still, rather than the clip's first frame, is the
        toy form of drawing the reference from elsewhere in the same video: where the body is and
        how it stands in the clip can then only be read from the motion signal.
        """
        clip = self.spec(seed, family)
        motion = self._motion_spec(seeds.derive_seed(seed, self.split, "clip", 0, "reference-motion"),
                                   clip.characters[0].family)
        return ClipSpec(**{**clip.model_dump(), "motions": [motion], "frames": 1})

    def clip(self, seed: int, family: str | None = None, characters: int = 1, mixed: bool = False) -> ToyClip:
        """A rendered clip for ``seed`` (see :meth:`spec`)."""
        return render_spec(self.spec(seed, family, characters, mixed))

    def cross_identity_case(self, seed: int, family: str | None = None) -> CrossIdentityCase:
        """Reference of identity A, driving clip of identity B with motion M, and A performing M."""
        self._check(seed, "case seed")
        fam = self._family(seed, family, "case")

        def sub(*purpose: str | int) -> int:
            return seeds.derive_seed(seed, self.split, "case", *purpose)

        a_seed, b_seed = sub("a"), sub("b")
        if b_seed == a_seed:
            b_seed = sub("b", 1)
        a, b = self.character(a_seed, fam), self.character(b_seed, fam)
        m_seed, r_seed = sub("motion"), sub("reference-motion")
        motion = self.motion(m_seed, fam)
        ref_motion = self.motion(r_seed, fam)
        still = ref_motion.frame(int(seeds.rng(seed, "case", "still").integers(self.frames)))
        bg_a = self.background(sub("background-a"), avoid=list(a.colours.values()))
        bg_b = self.background(sub("background-b"), avoid=list(b.colours.values()))
        kw: dict[str, Any] = {"size": self.size, "fps": self.fps, "supersample": self.supersample,
                              "placements": self.placements(1)}
        reference_clip = render_clip(a, still, frames=1, background=bg_a, **kw)
        driving = render_clip(b, motion, frames=self.frames, background=bg_b, **kw)
        target = render_clip(a, motion, frames=self.frames, background=bg_a, **kw)
        meta = {
            "seed": seed, "split": self.split, "family": fam, "identity_a": a_seed, "identity_b": b_seed,
            "motion": m_seed, "reference_motion": r_seed, "caption": target.caption,
            "reference_spec": reference_clip.metadata.get("spec"), "driving_spec": driving.metadata.get("spec"),
            "target_spec": target.metadata.get("spec"),
        }
        return CrossIdentityCase(reference_clip.frame(0), reference_clip, driving, target, meta)


def cross_identity_case(seed: int, split: str | None = None, family: str | None = None,
                        size: tuple[int, int] = (64, 64), frames: int = 9) -> CrossIdentityCase:
    """Shortcut for ``ToyWorld(split, size, frames).cross_identity_case(seed)``; the split defaults
    to the one ``seed`` belongs to."""
    return ToyWorld(split or seeds.split_of(seed), size, frames).cross_identity_case(seed, family)


_SIMPLE: dict[str, Any] = {
    "size": (32, 32), "frames": 5, "families": ("humanoid",), "scale": 1.2, "span": 0.5,
    "backgrounds": ("plain", "horizon"), "motions": ("wave", "dance", "jump"), "front": True, "flat": True,
    "thickness": 1.6,
}

#: The named toy worlds. ``simple`` is the default one (the bundled model, the demo and the
#: benchmark): large flat-coloured humanoids facing the camera, plain or two-tone backgrounds,
#: clear limb movement and moderate travel, small enough for a tiny model to learn on 2 CPU cores.
#: ``hard`` is the world the earlier toy models were trained and scored in (textures, patterned
#: backgrounds, turns, profile walks, cartwheels, small characters). ``simple_quadruped`` frames
#: four-legged animals (side view, never turning round) the simple way: a family whose keypoints
#: are not OpenPose's, so the bundled pose model has never read its skeleton.
WORLDS: dict[str, dict[str, Any]] = {
    "simple": _SIMPLE,
    "hard": {"size": (48, 48), "frames": 9, "families": ("humanoid",)},
    "simple_quadruped": {**_SIMPLE, "families": ("quadruped",), "motions": ("walk", "run", "jump", "rear")},
}


def world_preset(name: str, split: str = "train", **overrides: Any) -> ToyWorld:
    """The named world (see :data:`WORLDS`) for ``split``; ``overrides`` replace its settings."""
    if name not in WORLDS:
        from motionctx.suggest import closest

        near = closest(name, WORLDS)
        raise InputError(f"unknown toy world {name!r}" + (f" (did you mean {near!r}?)" if near else ""),
                         f"worlds: {', '.join(WORLDS)}")
    return ToyWorld(split=split, **{**WORLDS[name], **overrides})
