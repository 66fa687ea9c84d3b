"""The case categories and which edge event type files under which."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gridwatch_central.api.geography import GeographyDep
from gridwatch_central.categories import Category

router = APIRouter(prefix="/categories", tags=["categories"])


class CategoriesOut(BaseModel):
    categories: list[Category]
    event_types: dict[str, str] = Field(description="Edge event type → category code")


@router.get("", response_model=CategoriesOut)
def list_categories(geography: GeographyDep) -> CategoriesOut:
    table = geography.categories.table
    mapping = {kind.value: code for kind, code in table.event_types.items()}
    return CategoriesOut(categories=geography.categories.categories, event_types=mapping)
