"""``python tests/training/run_recipe.py ARGS`` = ``motionctx ARGS`` with the training stages
registered, whether or not ``motionctx.builtins.train_stages`` is a built-in yet (launchers such
as ``accelerate launch`` and ``torchrun`` run this file in each process)."""

from __future__ import annotations

import importlib

from motionctx import plugins

MODULE = "motionctx.builtins.train_stages"

if MODULE not in plugins.BUILTIN_MODULES:
    plugins.set_plugins(plugins.load_plugins(extra=[importlib.import_module(MODULE)]))

from motionctx.cli import main

if __name__ == "__main__":
    main()
