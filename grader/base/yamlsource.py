"""YAML files whose errors name the file, the line and the key.

`read_yaml` returns the data with a `YamlSource`: the line of every key path, found from
`yaml.compose`'s node marks, so that a check anywhere later can say where the bad value is.
Duplicate keys, which PyYAML would silently merge, are errors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ConfigError


@dataclass(frozen=True)
class YamlSource:
    """A YAML file's path and the line of every key path ("tps.tp1.deadline", "extensions[0].tp")."""

    path: Path  # the file
    lines: dict[str, int]  # key path -> 1-based line

    def line_of(self, key: str) -> int | None:
        """The line of `key`, or of its nearest parent that the file has (a missing key's mapping)."""
        while key not in self.lines:
            parent = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", key)
            if parent == key:
                return None
            key = parent
        return self.lines[key]

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.path, message, line=self.line_of(key), key=key or None)

    def mapping(self, value: object, key: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a mapping, got {kind(value)}")
        for name in value:
            if name not in allowed:
                raise self.error(join_key(key, name), f"unknown key {name!r}; expected one of: {', '.join(allowed)}")
        for name in required:
            if name not in value:
                raise self.error(key, f"missing key {join_key(key, name)!r}")
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"expected a non-empty string, got {kind(value)}")
        return value.strip()

    def number(self, value: object, key: str, allow_none: bool = False) -> float | None:
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.error(key, f"expected a number ≥ 0, got {kind(value)}")
        return float(value)

    def flag(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {kind(value)}")
        return value


def join_key(key: str, name: object) -> str:
    return f"{key}.{name}" if key else str(name)


def kind(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def read_yaml(path: Path) -> tuple[object, YamlSource]:
    """The data of a YAML file and its key lines; duplicate keys are errors, not silently merged."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(path, f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                          line=mark.line + 1 if mark else None) from None
    lines: dict[str, int] = {}
    _index(path, node, "", lines)
    return data, YamlSource(path, lines)


def _index(path: Path, node: yaml.Node | None, key: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            child = join_key(key, key_node.value)
            if key_node.value in seen:
                raise ConfigError(path, "duplicate key", line=key_node.start_mark.line + 1, key=child)
            seen.add(key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _index(path, value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[f"{key}[{i}]"] = item.start_mark.line + 1
            _index(path, item, f"{key}[{i}]", lines)
