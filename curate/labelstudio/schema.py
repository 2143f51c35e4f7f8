"""Label Studio's JSON (export format and API answers), validated where it enters curate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Loose(BaseModel):
    # Label Studio adds fields between versions; keep what we read, ignore the rest.
    model_config = ConfigDict(extra="ignore")


class User(_Loose):
    id: int
    email: str | None = None


class Result(_Loose):
    id: str | int | None = None
    type: str
    value: dict[str, Any] = Field(default_factory=dict)
    from_name: str = ""
    to_name: str = ""
    origin: str | None = None


class LSAnnotation(_Loose):
    id: int
    completed_by: User | int | None = None
    result: list[Result] = Field(default_factory=list)
    was_cancelled: bool = False
    lead_time: float | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    parent_prediction: int | None = None
    prediction: dict[str, Any] | None = None
    project: int | None = None

    @property
    def user_id(self) -> int | None:
        if isinstance(self.completed_by, User):
            return self.completed_by.id
        return self.completed_by

    @property
    def email(self) -> str | None:
        return self.completed_by.email if isinstance(self.completed_by, User) else None


class Prediction(_Loose):
    id: int | None = None
    task: int | None = None
    model_version: str | None = None
    result: list[Result] = Field(default_factory=list)


class Task(_Loose):
    id: int
    data: dict[str, Any]
    annotations: list[LSAnnotation] = Field(default_factory=list)
    predictions: list[Prediction | int] = Field(default_factory=list)
    project: int | None = None
    updated_at: datetime | None = None
