"""The motionctx entry point of motionctx-wan: registers the ``wan_i2v`` and ``wan_ti2v`` backbones."""

from __future__ import annotations

from motionctx.hookspecs import Register, hookimpl
from motionctx_wan.backbone import WanI2VBackbone, WanTI2VBackbone


@hookimpl
def register_backbones(register: Register) -> None:
    register(WanI2VBackbone)
    register(WanTI2VBackbone)
