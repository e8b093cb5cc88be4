"""The ``motionctx`` command line. Thin: it parses and prints; the library does the work."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from motionctx import __version__
from motionctx.console import err_console, handle_errors, out_console, render_error, state, warn
from motionctx.errors import MotionctxError

SET_HELP = "override a recipe key, e.g. --set parts.composer.use=temporal (repeatable)"


def _version(value: bool) -> None:
    if value:
        out_console.print(f"motionctx {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version"),
    show_traceback: bool = typer.Option(False, "--traceback", help="show the Python stack on errors"),
    strict_plugins: bool = typer.Option(False, "--strict-plugins", help="a broken plugin is fatal"),
) -> None:
    """motionctx: animate a character image with the motion of a driving video."""
    from motionctx.plugins import get_plugins

    state["traceback"] = show_traceback
    plugins = get_plugins()
    for info in plugins.errors:
        if strict_plugins:
            render_error(MotionctxError(info.error or "plugin error", "fix or uninstall the plugin, or drop --strict-plugins"))
            raise typer.Exit(2)
        warn(info.error or f"plugin {info.name} failed")


def plugins_cmd(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """List installed plugins, their parts and any load error."""
    from rich.table import Table

    from motionctx.plugins import get_plugins

    infos = get_plugins().infos
    if as_json:
        print(json.dumps([i.as_dict() for i in infos], indent=2))
        return
    table = Table("plugin", "distribution", "version", "parts", "status")
    for i in infos:
        parts = ", ".join(f"{k}:{n}" for k, n in i.parts) or "-"
        status = f"[red]{escape(i.error)}[/]" if i.error else "[green]ok[/]"
        table.add_row(i.name.removeprefix("motionctx.builtins."), i.distribution, i.version, escape(parts), status)
    out_console.print(table)


def _type_name(annotation: Any) -> str:
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    return text.replace("typing.", "").replace("motionctx.parts.base.", "")


def describe_part(cls: Any, provider: str) -> dict[str, Any]:
    """A part class as data: name, kind, provider, doc and Config fields."""
    fields = []
    for fname, f in cls.Config.model_fields.items():
        default = None if f.is_required() else f.get_default(call_default_factory=True)
        if hasattr(default, "model_dump"):
            default = default.model_dump(by_alias=True)
        fields.append(
            {
                "name": fname,
                "type": _type_name(f.annotation),
                "required": f.is_required(),
                "default": default,
                "description": f.description or "",
            }
        )
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return {"kind": cls.kind, "name": cls.name, "provider": provider, "class": f"{cls.__module__}.{cls.__qualname__}", "doc": doc, "config": fields}


@handle_errors
def parts_cmd(
    kind: str | None = typer.Argument(None, help="only this kind (backbone, composer, ...)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """List parts with their Config fields, types, defaults and docs."""
    from motionctx.errors import UnknownPartError
    from motionctx.plugins import get_registry
    from motionctx.suggest import closest

    registry = get_registry()
    kinds = list(registry.parts)
    if kind is not None and kind not in kinds:
        match = closest(kind, kinds)
        raise UnknownPartError(f"no part kind {kind!r}", (f"did you mean {match!r}? " if match else "") + f"kinds: {', '.join(kinds)}")
    rows = [describe_part(e.cls, e.provider) for k in ([kind] if kind else kinds) for _, e in sorted(registry.parts[k].items())]
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        out_console.print(f"[bold]{row['kind']}[/] [cyan]{row['name']}[/]  ({escape(row['provider'])})  {escape(row['doc'])}")
        for f in row["config"]:
            default = "(required)" if f["required"] else f"= {f['default']!r}"
            out_console.print(f"    [green]{f['name']}[/]: {escape(f['type'])} {escape(default)}")
            if f["description"]:
                out_console.print(f"        {escape(f['description'])}", style="dim")


recipe_app = typer.Typer(help="Validate, show and run recipes.", no_args_is_help=True)


@recipe_app.command("validate")
@handle_errors
def recipe_validate(
    file: Path,
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    check_files: bool = typer.Option(
        False, "--check-files", help="also check that every file the recipe names exists (weights, pose files, inputs)"
    ),
) -> None:
    """Check a recipe (parts, parameters, requirements) without loading any weights."""
    from motionctx.recipe import load_recipe

    recipe = load_recipe(file, set_)
    if check_files:
        from motionctx.preflight import check_files as check

        check(recipe)
    parts = ", ".join(f"{s}={p.use}" for s, p in recipe.parts.items())
    stages = ", ".join(s.name for s in recipe.stages)
    checked = "; every file it names exists" if check_files else ""
    out_console.print(f"[green]ok[/] {file}: parts {parts or '-'}; stages {stages or '-'}{checked}")


@recipe_app.command("show")
@handle_errors
def recipe_show(file: Path, set_: list[str] = typer.Option([], "--set", help=SET_HELP)) -> None:
    """Print the fully resolved recipe (extends merged, overrides and ${...} applied)."""
    from motionctx.recipe import load_recipe

    print(load_recipe(file, set_).to_yaml(), end="")


@recipe_app.command("run")
@handle_errors
def recipe_run(
    file: Path,
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    output: Path | None = typer.Option(None, "--output", "-o", help="output folder (default: the recipe's `output`)"),
    no_progress: bool = typer.Option(False, "--no-progress", help="hide progress bars"),
    force: bool = typer.Option(
        False, "--force", help="write into an output folder that holds files motionctx did not write (same names are replaced)"
    ),
) -> None:
    """Run every stage of a recipe. The outputs land in the output folder together with run.json."""
    from motionctx.recipe import load_recipe

    _run_recipe(load_recipe(file, set_), output, no_progress, force)


def _run_recipe(recipe: Any, output: Path | None, no_progress: bool, force: bool) -> None:
    from motionctx.pipeline import Pipeline

    pipeline = Pipeline(recipe, output_dir=output, progress=not no_progress, console=err_console, force=force)
    results = pipeline.run()
    for spec, result in zip(recipe.stages, results):
        for name, path in result.outputs.items():
            out_console.print(f"{spec.name}: {name} -> {path}")
    out_console.print(f"[green]done[/]: {pipeline.output_dir / 'run.json'}")


# ----------------------------------------------------------------------------- recipe plan
@recipe_app.command("plan")
@handle_errors
def recipe_plan(
    file: Path,
    gpus: int | None = typer.Option(None, "--gpus", min=1, help="GPUs (processes) to spread training over (default 1, or the --accelerate file's)"),
    gpu: str = typer.Option("h100", "--gpu", help="GPU kind: h100, h200, b200, a100, a100-40, l40s, a10, l4, rtx4090, h100-pcie"),
    model: str | None = typer.Option(None, "--model", help="plan a published configuration instead of the weights folder (e.g. wan2.1-i2v-14b-480p)"),
    accelerate: Path | None = typer.Option(None, "--accelerate", help="accelerate config the run will use (recipes/accelerate/*.yaml): marks its strategy"),
    utilisation: float = typer.Option(0.4, "--utilisation", help="share of the GPU's peak bf16 FLOPS a step reaches (for the step time)"),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Tokens, parameters, memory per GPU and step time of a recipe, from its backbone built on the
    meta device (no weights are read). Unset ${ENV} paths are fine here."""
    from motionctx.plan import plan_recipe
    from motionctx.plan.report import render_plan
    from motionctx.recipe import load_recipe

    recipe = load_recipe(file, set_, keep_unset=True)
    plan = plan_recipe(recipe, model=model, gpus=gpus, gpu=gpu, utilisation=utilisation, accelerate=accelerate)
    if as_json:
        print(json.dumps(plan.as_dict(), indent=2))
        return
    for part in render_plan(plan):
        out_console.print(part)


@handle_errors
def animate_cmd(
    reference: Path = typer.Argument(..., help="the image to animate (a person, a character)"),
    driving: Path = typer.Argument(..., help="the video whose motion it follows"),
    output: Path | None = typer.Option(None, "--output", "-o", help="output folder (default: the recipe's `output`)"),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="a recipe with one animate stage (default: recipes/animate.yaml, the bundled toy model)"
    ),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    no_progress: bool = typer.Option(False, "--no-progress", help="hide progress bars"),
    force: bool = typer.Option(False, "--force", help="write into an output folder that holds files motionctx did not write"),
) -> None:
    """Animate REFERENCE with the motion of DRIVING: the recipe's animate stage on these two files."""
    from motionctx.oneline import animate_recipe

    _run_recipe(animate_recipe(reference, driving, recipe, set_), output, no_progress, force)


# ---------------------------------------------------------------- evaluate (issue 23)


@handle_errors
def evaluate_cmd(
    manifest: Path = typer.Argument(..., help="benchmark manifest (JSONL: id, reference, driving, target?, categories?)"),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="a recipe with one evaluate stage (default: recipes/eval.yaml, the bundled toy model)"
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="output folder (default: the recipe's `output`)"),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    no_progress: bool = typer.Option(False, "--no-progress", help="hide progress bars"),
    force: bool = typer.Option(False, "--force", help="write into an output folder that holds files motionctx did not write"),
) -> None:
    """Score a recipe's model variants on MANIFEST: report.json, report.md and report.html. A rerun
    resumes: finished pairs are skipped."""
    from motionctx.engines.evaluation.shortcut import evaluate_recipe

    _run_recipe(evaluate_recipe(manifest, recipe, set_), output, no_progress, force)


@recipe_app.command("export")
@handle_errors
def recipe_export(
    file: Path,
    checkpoint: Path = typer.Argument(..., help="a step-NNNNNNNN folder of the recipe's training run"),
    out: Path | None = typer.Option(
        None, "--out", help="LoRA file or model folder to write (default: the checkpoint's own LoRA file, or <checkpoint>/model)"
    ),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Export a training checkpoint as the finished run would: a LoRA file or a model folder.

    The recipe is the one that trained it: a full fine-tune's weights go into its backbone."""
    from motionctx.engines.training.export import export_checkpoint
    from motionctx.pipeline import Pipeline
    from motionctx.recipe import load_recipe

    recipe = load_recipe(file, set_)
    written = export_checkpoint(checkpoint, out, lambda: Pipeline(recipe, progress=False).part("backbone"))
    out_console.print(f"[green]exported[/]: {written}")


def create_app() -> typer.Typer:
    """Build the CLI, including sub-commands that plugins add through ``register_commands``."""
    from motionctx.plugins import get_plugins

    app = typer.Typer(
        name="motionctx",
        help="Animate a character image with the motion of a driving video.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root)
    app.command("plugins")(plugins_cmd)
    app.command("parts")(parts_cmd)
    app.command("animate")(animate_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.add_typer(recipe_app, name="recipe")
    get_plugins().call_command_hooks(app)
    return app


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``) and return the exit code. The error
    boundary: whatever escapes a command, or happens before one runs, is reported in one place."""
    from motionctx.console import report

    args = sys.argv[1:] if argv is None else list(argv)
    state["traceback"] = "--traceback" in args  # before the root callback runs: errors building the app
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            command = typer.main.get_command(create_app())
            result = command.main(args=args, prog_name="motionctx", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        render_error(MotionctxError("aborted"))
        return 1
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        return _usage_error(exc)
    except KeyboardInterrupt:
        render_error(MotionctxError("interrupted"))
        return 130
    except Exception as exc:  # noqa: BLE001 - the boundary: every exception is reported
        return report(exc)


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """Python warnings as the CLI's own one-line ``warning:`` (no source line)."""
    warn(str(message))


def _usage_error(exc: typer.TyperException) -> int:
    """A command-line usage error (unknown option, bad value) as one error line and a hint."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # typer has printed the help already
        return 2
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "motionctx"
    render_error(MotionctxError(exc.format_message(), f"see `{path} --help`"))
    return 2


def main() -> None:
    """Console-script entry point."""
    raise SystemExit(run())


if __name__ == "__main__":
    main()
