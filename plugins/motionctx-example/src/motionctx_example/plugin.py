"""Entry point: registers the example parts through motionctx's hooks."""

from __future__ import annotations

from motionctx.hookspecs import hookimpl
from motionctx_example.template import TemplateTextGuider
from motionctx_example.vertical import VerticalComposer


@hookimpl
def register_composers(register):
    register(VerticalComposer)


@hookimpl
def register_text_guiders(register):
    register(TemplateTextGuider)
