"""Command payload schemas as data, and the one validator that reads them.

A schema is a mapping of field name → ``Field``; each spec type knows how to
check (and normalise) one JSON value. Errors name the offending field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rooms.errors import Invalid


class Spec(Protocol):
    def check(self, value: object, path: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Text:
    """A string, stripped; ``min_len`` applies after stripping."""

    max_len: int
    min_len: int = 1

    def check(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            raise Invalid(f"{path}: harus berupa teks")
        text = value.strip()
        if len(text) < self.min_len:
            raise Invalid(f"{path}: tidak boleh kosong")
        if len(text) > self.max_len:
            raise Invalid(f"{path}: paling panjang {self.max_len} karakter")
        return text


@dataclass(frozen=True, slots=True)
class Whole:
    """An int (never a bool or a float) within [low, high]."""

    low: int
    high: int

    def check(self, value: object, path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid(f"{path}: harus bilangan bulat")
        if not self.low <= value <= self.high:
            raise Invalid(f"{path}: harus antara {self.low} dan {self.high}")
        return value


@dataclass(frozen=True, slots=True)
class Positive:
    """A number > 0 and ≤ high (int or float, not bool); NaN and infinities fail the range."""

    high: float

    def check(self, value: object, path: str) -> int | float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise Invalid(f"{path}: harus berupa angka")
        if not 0 < value <= self.high:  # exact for huge ints too (no float conversion)
            raise Invalid(f"{path}: harus lebih dari 0 dan paling besar {self.high:g}")
        return value


@dataclass(frozen=True, slots=True)
class Between:
    """A number (int or float, not bool) within [low, high]; NaN and infinities fail the range."""

    low: float
    high: float

    def check(self, value: object, path: str) -> int | float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise Invalid(f"{path}: harus berupa angka")
        if not self.low <= value <= self.high:
            raise Invalid(f"{path}: harus antara {self.low:g} dan {self.high:g}")
        return value


@dataclass(frozen=True, slots=True)
class Flag:
    def check(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"{path}: harus true atau false")
        return value


@dataclass(frozen=True, slots=True)
class Choice:
    values: frozenset[str]

    def check(self, value: object, path: str) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise Invalid(f"{path}: harus salah satu dari {', '.join(sorted(self.values))}")
        return value


@dataclass(frozen=True, slots=True)
class ListOf:
    item: Spec
    min_len: int
    max_len: int
    unique: bool = False

    def check(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid(f"{path}: harus berupa daftar")
        if not self.min_len <= len(value) <= self.max_len:
            raise Invalid(f"{path}: harus berisi {self.min_len} sampai {self.max_len} butir")
        items = [self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if self.unique and len(set(items)) != len(items):
            raise Invalid(f"{path}: butir tidak boleh berulang")
        return items


@dataclass(frozen=True, slots=True)
class Nullable:
    inner: Spec

    def check(self, value: object, path: str) -> Any:
        return None if value is None else self.inner.check(value, path)


@dataclass(frozen=True, slots=True)
class Field:
    spec: Spec
    required: bool = True
    default: Any = None  # used when an optional field is absent


def opt(spec: Spec, default: Any = None) -> Field:
    return Field(spec, required=False, default=default)


@dataclass(frozen=True, slots=True)
class Obj:
    """A JSON object with exactly the declared fields (absent optional ones get their default)."""

    fields: Mapping[str, Field]

    def check(self, value: object, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(f"{path or 'data'}: harus berupa objek")
        prefix = f"{path}." if path else ""
        for name in value:
            if name not in self.fields:
                raise Invalid(f"Field tidak dikenal: {prefix}{str(name)[:64]}")
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in value:
                out[name] = field.spec.check(value[name], prefix + name)
            elif field.required:
                raise Invalid(f"{prefix}{name}: wajib diisi")
            else:
                out[name] = field.default
        return out
