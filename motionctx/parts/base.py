"""The common base of every part kind."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from motionctx.errors import RecipeError


class PartConfig(BaseModel):
    """Base for every part's recipe parameters: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class PartRef(BaseModel):
    """A reference to another part inside a part's Config: ``{use: NAME, with: {...}}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    use: str = Field(description="registered part name")
    with_: dict[str, Any] = Field(default_factory=dict, alias="with", description="the part's parameters")


class MissingFile(NamedTuple):
    """A file a part needs that is not there: what it is, its path, how to get it, and whether it
    is model weights (False: an input such as a keypoint file, which a run may never read)."""

    what: str
    path: str
    hint: str = ""
    weights: bool = True


class Part:
    """A pluggable component.

    Subclasses set ``name`` (unique within the kind) and may define a nested ``Config``
    (a :class:`PartConfig`) holding their recipe parameters. Constructors must stay cheap: heavy
    imports and weights belong in :meth:`load`, which the pipeline calls once before first use.
    """

    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    Config: ClassVar[type[PartConfig]] = PartConfig
    #: Sub-part references in the Config: field name -> part kind (validated recursively).
    children: ClassVar[dict[str, str]] = {}

    def __init__(self, config: PartConfig | dict[str, Any] | None = None, **params: Any) -> None:
        if isinstance(config, PartConfig):
            if params:
                config = config.model_copy(update=params)
        else:
            config = self.parse_config({**(config or {}), **params})
        self.config = config
        self._loaded = False

    @classmethod
    def parse_config(cls, params: dict[str, Any], *, where: str | None = None) -> PartConfig:
        """Validate ``params`` against ``Config``; errors name the key path and the bad value."""
        try:
            return cls.Config(**params)
        except ValidationError as exc:
            raise config_error(cls, exc, where) from None

    def load(self) -> None:
        """Load weights and heavy modules. Idempotent; called before first use."""

    def missing_files(self) -> list[MissingFile]:
        """Each file or folder this configured part needs that is not there, e.g.
        ``MissingFile("dwpose det_model", "/models/yolox_l.onnx", "download ...")``. Cheap: nothing
        is loaded. A run checks the weights among them before any video is decoded; ``motionctx
        recipe validate --check-files`` lists every missing path of a recipe at once."""
        return []

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.load()
            self._loaded = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"


SECRET_WORDS = ("key", "token", "secret", "password")


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The nested pydantic model that ``loc`` (minus its last element) leads into."""
    for part in loc:
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return model if field is None else None
        model = ann
    return model


def config_error(cls: type[Part], exc: ValidationError, where: str | None) -> RecipeError:
    """Turn a pydantic ValidationError into one readable RecipeError.

    Unknown keys get the closest parameter of the (possibly nested) model they were found in;
    values of fields whose names suggest a secret are never echoed.
    """
    from motionctx.suggest import closest

    lines, hints = [], []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in ((where,) if where else ()) + loc)
        if err["type"] == "extra_forbidden":
            model = _model_at(cls.Config, loc[:-1]) or cls.Config
            fields = list(model.model_fields)
            lines.append(f"{path}: unknown parameter for {cls.kind} {cls.name!r}")
            match = closest(str(loc[-1]), fields)
            hints.append(f"did you mean {match!r}?" if match else f"parameters: {', '.join(fields) or '(none)'}")
        elif any(w in str(loc[-1] if loc else "").lower() for w in SECRET_WORDS):
            lines.append(f"{path}: {err['msg']}")
        else:
            lines.append(f"{path}: {err['msg']} (got {err.get('input')!r})")
    hint = "; ".join(hints) or f"see `motionctx parts {cls.kind}` for {cls.name!r}'s parameters"
    return RecipeError("; ".join(lines), hint)
