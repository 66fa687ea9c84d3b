"""Case categories on the GB/T 47678.5 five-digit codes, and which edge event maps to which.

A code is two digits of major class and three of the item (06010 暴露垃圾: class 06, item 010).
Codes a deployment adds for events the national table lacks (crowds, road blockage) are marked
``local_extension`` and must start with 9, a class the national table does not use, so that a
later edition of the standard can never collide with them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridwatch_contract.messages import EventType
from gridwatch_contract.yaml_config import ConfigFileError, load_yaml_model

LOCAL_CLASS_PREFIX = "9"


class CategoryError(ConfigFileError):
    """A category file that cannot be used, naming the file and every problem."""


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^\d{5}$", description="Five-digit GB/T 47678.5 code")
    name: str = Field(min_length=1, max_length=100)
    major_class: str = Field(min_length=1, max_length=100, description="大类, e.g. 市容环境")
    local_extension: bool = Field(
        default=False, description="A local code (9xxxx), not in the national table"
    )

    @model_validator(mode="after")
    def _local_codes_in_the_local_class(self) -> Category:
        local_code = self.code.startswith(LOCAL_CLASS_PREFIX)
        if self.local_extension and not local_code:
            raise ValueError(f"local extension {self.code} must start with {LOCAL_CLASS_PREFIX}")
        if local_code and not self.local_extension:
            raise ValueError(f"code {self.code} is in the local class: mark it local_extension")
        return self


class CategoryTable(BaseModel):
    """The file format: the categories, and each edge event type's category code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: list[Category] = Field(min_length=1)
    event_types: dict[EventType, str]

    @model_validator(mode="after")
    def _complete_and_consistent(self) -> CategoryTable:
        codes = [c.code for c in self.categories]
        problems = [f"code {c} is listed twice" for c in sorted(set(codes)) if codes.count(c) > 1]
        problems += [
            f"event type {kind.value} maps to {code}, which is not in categories"
            for kind, code in self.event_types.items()
            if code not in codes
        ]
        missing = [kind.value for kind in EventType if kind not in self.event_types]
        if missing:
            problems.append(f"event types without a category: {', '.join(missing)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class CategoryMap:
    """Lookups over a validated ``CategoryTable``; every event type has a category."""

    def __init__(self, table: CategoryTable) -> None:
        self.table = table
        self._by_code = {category.code: category for category in table.categories}

    @property
    def categories(self) -> list[Category]:
        return sorted(self._by_code.values(), key=lambda c: c.code)

    def get(self, code: str) -> Category | None:
        return self._by_code.get(code)

    def category_for(self, event_type: EventType | str) -> Category:
        """The category of an edge event type (``KeyError`` only for a type not in the contract)."""
        return self._by_code[self.table.event_types[EventType(event_type)]]


def _national(code: str, name: str, major_class: str) -> Category:
    return Category(code=code, name=name, major_class=major_class)


def _local(code: str, name: str) -> Category:
    return Category(code=code, name=name, major_class="本地扩展", local_extension=True)


def default_category_table() -> CategoryTable:
    """The table used when the configuration names no file (configs/categories.yaml is the same
    table, to copy and extend)."""
    return CategoryTable(
        categories=[
            _national("06010", "暴露垃圾", "市容环境"),
            _national("06014", "道路遗撒", "市容环境"),
            _national("06036", "乱堆杂物", "市容环境"),
            _national("08002", "施工占道", "施工管理"),
            _national("09006", "占道经营", "街面秩序"),
            _national("09009", "机动车乱停放", "街面秩序"),
            _local("90001", "人员聚集"),
            _local("90002", "道路阻断"),
            _local("90003", "越线闯入"),
            _local("90004", "监控设备离线"),
            _local("90005", "井盖位移"),
            _local("90006", "烟雾报警"),
            _local("90007", "可燃气体泄漏"),
            _local("90008", "道路积水"),
            _local("90009", "消防栓水压不足"),
            _local("90010", "传感器离线"),
        ],
        event_types={
            EventType.CROWD: "90001",
            EventType.ROAD_BLOCKAGE: "90002",
            EventType.ILLEGAL_PARKING: "09009",
            EventType.LEFT_OBJECT: "06036",
            EventType.LITTERING: "06010",
            EventType.LINE_CROSSING: "90003",
            EventType.CAMERA_OFFLINE: "90004",
            EventType.CAMERA_ONLINE: "90004",
        },
    )


def load_category_map(path: Path | str | None) -> CategoryMap:
    """The categories of ``path`` (YAML), or the built-in table for None."""
    if path is None:
        return CategoryMap(default_category_table())
    return CategoryMap(
        load_yaml_model(CategoryTable, path, what="category file", error=CategoryError)
    )
