"""The evaluate engine: benchmark manifests x model variants -> scored outputs -> reports.

- :mod:`.case`: the manifest format and one case's media at the working size;
- :mod:`.variants`: model variants (part overrides of a recipe, or a copy baseline) and per-case
  ``{case.FIELD}`` placeholders in part parameters;
- :mod:`.runner`: every (variant, case) pair, sharded over processes, resumable;
- :mod:`.aggregate`: statistics per category and overall;
- :mod:`.report` and :mod:`.html`: report.json, report.md and the self-contained report.html.
"""
