"""Fixtures for the pose tests: plugins with the pose modules, and random pose sequences."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

import pytest

POSE_MODULES = (
    "motionctx.builtins.pose_estimators",
    "motionctx.builtins.pose_motion",
    "motionctx.builtins.pose_commands",
)


@pytest.fixture
def pose_plugins() -> Iterator[object]:
    """Fresh plugins with the pose parts and commands, whether or not they are built-ins yet."""
    from motionctx import plugins
    from motionctx.testing import isolated_plugins

    extra = [importlib.import_module(m) for m in POSE_MODULES if m not in plugins.BUILTIN_MODULES]
    with isolated_plugins(*extra) as p:
        mine = [i for i in p.infos if i.module in POSE_MODULES and i.error]
        assert not mine, mine  # other plugins' trouble is not ours
        yield p


@pytest.fixture
def make_poses() -> Callable[..., object]:
    """``make_poses(frames, people, fmt, size, seed, low=0.5)``: people scattered around random
    centres, every joint scored in [low, 1]."""
    import numpy as np
    import torch

    from motionctx.pose import get_skeleton
    from motionctx.types import PoseSequence

    def make(frames=4, people=1, fmt="coco_wholebody_133", size=(96, 128), seed=0, low=0.5, spread=15.0):
        rng = np.random.default_rng(seed)
        sk = get_skeleton(fmt)
        h, w = size
        centre = rng.uniform([w * 0.3, h * 0.3], [w * 0.7, h * 0.7], (1, people, 1, 2))
        kp = centre + rng.normal(0, spread, (frames, people, sk.num_keypoints, 2))
        sc = rng.uniform(low, 1.0, (frames, people, sk.num_keypoints))
        return PoseSequence(
            torch.tensor(kp, dtype=torch.float32), torch.tensor(sc, dtype=torch.float32), sk, size, 10.0
        )

    return make
