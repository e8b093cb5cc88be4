"""The end-to-end training triple built from a synthesised pair: motion = the synthesised video,
reference = the first frame of the source window, target = the source window."""

from __future__ import annotations

from pathlib import Path

import torch


def _still(colour: tuple[float, float, float], frames: int, size: tuple[int, int] = (32, 32)):
    from motionctx.types import Video

    return Video(torch.tensor(colour).view(1, 3, 1, 1).expand(frames, 3, *size).contiguous(), 8.0)


def test_synthesised_pair_trains_raw_motion_onto_the_source(tmp_path: Path) -> None:
    from motionctx.builtins.composers import SpatialComposer
    from motionctx.builtins.motion_sources import RawVideoMotionSource
    from motionctx.engines.synthesis import training_entry
    from motionctx.engines.training.data import BatchPlanner, TrainingData, load_clips
    from motionctx.engines.training.options import PrepareConfig
    from motionctx.engines.training.prepare import PrepareParts, prepare_dataset, read_index
    from motionctx.io import append_jsonl, write_image, write_video
    from motionctx.types import Geometry, Image

    red, green, blue = (0.8, 0.1, 0.1), (0.1, 0.8, 0.1), (0.1, 0.1, 0.8)
    clip = write_video(tmp_path / "clip.mp4", _still(red, 20))  # the whole driving clip
    source = write_video(tmp_path / "u.source.mp4", _still(red, 9))  # its window: the target
    synth = write_video(tmp_path / "u.mp4", _still(green, 9))  # another identity moving alike
    identity = write_image(tmp_path / "id.png", Image(_still(blue, 1).frames[0]))
    synthesis = {
        "id": "u",
        "driving": str(clip),
        "reference": str(identity),
        "video": str(synth),
        "source": str(source),
        "start": 4,
        "seed": 7,
        "caption": "a red square",
        "prompt": "a blue one",
    }
    manifest = tmp_path / "filtered.jsonl"
    append_jsonl(manifest, {**training_entry(synthesis), "score": 4.5})

    config = PrepareConfig(
        manifest=str(manifest),
        captions=False,
        text_embeddings=False,
        latents=False,
        min_frames=5,
        poses=False,
        cache=str(tmp_path / "cache"),
    )
    report = prepare_dataset(config, PrepareParts(motion=RawVideoMotionSource()), tmp_path / "out", log=lambda _: None)
    (record,) = read_index(report.index)
    assert (record["path"], record["driving"], record["reference"]) == (str(source), str(synth), None)
    assert record["caption"] == "a red square"

    clips = load_clips([record], None, [(32, 32)])
    planner = BatchPlanner(clips, batch_size=1, frames=(5, 9), stride=1, geometry=Geometry(), seed=0)
    data = TrainingData(clips, planner, RawVideoMotionSource(), SpatialComposer(), Geometry(), seed=0)
    for g in range(3):
        batch, plan = data[g], planner.plan(g)
        comp, clean, n = batch.composites[0], batch.clean[0], plan.frames
        left, right = comp.video.frames[..., :32], comp.video.frames[..., 32:]

        def near(x: torch.Tensor, colour: tuple[float, float, float]) -> bool:
            return bool((x - torch.tensor(colour).view(3, 1, 1)).abs().amax() < 0.06)

        assert all(near(f, green) for f in right)  # motion = the synthesised video
        assert near(left[0], red)  # reference = the source window's first frame
        assert all(near(f, red) for f in clean.frames[..., :32])  # target = the source window
        assert all(near(f, green) for f in clean.frames[..., 32:])
        assert comp.video.num_frames == n and comp.known["reference"][0][..., :32].all()
        assert not comp.known["reference"][0][..., 32:].any() and not comp.known["reference"][1:].any()
