"""The zone editor's rule forms, derived from the rule models both sides validate.

Each rule type's parameters become form fields from the model's JSON schema (type, bounds,
required) and its field defaults, so a parameter added to a rule model appears in the console
without touching the page. The geometry fields (``zone``, ``line``, ``units``) are what the
editor draws; ``type`` and ``id`` have their own inputs; nested settings (``dense_count``,
``background``) are kept as stored and not edited here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel

from gridwatch_contract.camera.rules import RuleConfig

FieldKind = Literal["integer", "number", "boolean", "choice", "list"]
# Drawn or given their own inputs by the editor, not parameter fields.
GEOMETRY_FIELDS = frozenset({"type", "id", "zone", "line", "units"})
# Shown open under the rule; every other parameter sits under "more settings": these are
# what an integrator sets for each zone, the rest are tuned defaults (comments in the models).
MAIN_FIELDS = frozenset({"min_persons", "dwell_s", "classes", "direction", "min_crossings"})


@dataclass(frozen=True, slots=True)
class ParamField:
    name: str
    kind: FieldKind
    required: bool
    main: bool
    default: Any
    choices: list[str]
    minimum: float | None
    maximum: float | None
    # Bounds the value may not reach (``gt`` / ``lt`` in the model).
    exclusive_minimum: float | None
    exclusive_maximum: float | None
    nullable: bool


@dataclass(frozen=True, slots=True)
class RuleForm:
    """One rule type as the editor offers it: what it needs drawn and its parameters."""

    type: str
    geometry: Literal["zone", "line"]
    # line_crossing may also be limited to a zone; the others need one.
    zone_optional: bool
    fields: list[ParamField]


def rule_forms() -> list[RuleForm]:
    """Every rule type the rule models accept, in the models' order."""
    forms: list[RuleForm] = []
    for model in _rule_models():
        schema = model.model_json_schema()
        properties: dict[str, Any] = schema["properties"]
        required = set(schema.get("required", []))
        geometry: Literal["zone", "line"] = "line" if "line" in properties else "zone"
        for rule_type in _types(properties["type"]):
            defaults = _defaults(model, rule_type, properties, required)
            fields = [
                field
                for name, spec in properties.items()
                if name not in GEOMETRY_FIELDS
                for field in [_field(name, spec, name in required, defaults.get(name))]
                if field is not None
            ]
            fields.sort(key=lambda field: (not field.required, not field.main))
            forms.append(
                RuleForm(
                    type=rule_type,
                    geometry=geometry,
                    zone_optional="zone" not in required,
                    fields=fields,
                )
            )
    return forms


def forms_as_json(forms: list[RuleForm]) -> list[dict[str, Any]]:
    """What the page hands its script (``tojson``)."""
    return [asdict(form) for form in forms]


def _rule_models() -> list[type[BaseModel]]:
    union = get_args(RuleConfig)[0]  # Annotated[Union[...], Field(discriminator=...)]
    return [model for model in get_args(union) if issubclass(model, BaseModel)]


def _types(spec: dict[str, Any]) -> list[str]:
    if "const" in spec:
        return [str(spec["const"])]
    return [str(value) for value in spec["enum"]]


def _defaults(
    model: type[BaseModel], rule_type: str, properties: dict[str, Any], required: set[str]
) -> dict[str, Any]:
    """What an omitted parameter becomes for this rule type: a rule made of its required
    fields alone, validated, so that a type's own defaults (``littering``'s classes) show."""
    minimal: dict[str, Any] = {"type": rule_type}
    for name in required - {"type"}:
        minimal[name] = _sample(name, properties[name])
    try:
        return model.model_validate(minimal).model_dump(mode="json")
    except ValueError:
        fields = model.model_fields.items()
        return {name: info.get_default(call_default_factory=True) for name, info in fields}


def _sample(name: str, spec: dict[str, Any]) -> Any:
    """A valid value of a required field, only to reach the model's defaults."""
    if name == "line":
        return [[0.0, 0.0], [1.0, 1.0]]
    if spec.get("type") in ("integer", "number"):
        low = spec.get("minimum", spec.get("exclusiveMinimum", 0))
        return int(low) + 1
    return "sample"


def _field(name: str, spec: dict[str, Any], required: bool, default: Any) -> ParamField | None:
    nullable = False
    if "anyOf" in spec:
        options = [option for option in spec["anyOf"] if option.get("type") != "null"]
        if len(options) != 1 or "$ref" in options[0]:
            return None  # nested settings: kept as stored, not a form field
        nullable = True
        spec = {**spec, **options[0]}
    kind = _kind(spec)
    if kind is None:
        return None
    return ParamField(
        name=name,
        kind=kind,
        required=required,
        main=required or name in MAIN_FIELDS,
        default=None if required else default,
        choices=[str(value) for value in spec.get("enum", [])],
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        exclusive_minimum=spec.get("exclusiveMinimum"),
        exclusive_maximum=spec.get("exclusiveMaximum"),
        nullable=nullable,
    )


def _kind(spec: dict[str, Any]) -> FieldKind | None:
    if "enum" in spec:
        return "choice"
    kind = spec.get("type")
    if kind in ("integer", "number", "boolean"):
        return kind  # type: ignore[no-any-return]
    if kind == "array" and spec.get("items", {}).get("type") == "string":
        return "list"
    return None
