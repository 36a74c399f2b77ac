"""YAML with line numbers: plain Python data plus the line where every key and list item starts.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two equal keys. We compose
the node graph ourselves instead, build the same plain data, record ``path -> line`` for every node,
and report duplicate keys as issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from policies.errors import PolicyIssue

PathKey = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """One parsed file: ``data`` is None for an empty file."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    # Where a string's text begins: the line after the indicator for "|" and ">" blocks.
    text_lines: dict[PathKey, int] = field(default_factory=dict)
    issues: list[PolicyIssue] = field(default_factory=list)

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def issue(self, path: Sequence[str | int], message: str) -> PolicyIssue:
        return PolicyIssue(self.file, self.line(path), message)


def load_yaml(path: Path) -> YamlDocument:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return YamlDocument(name, None, issues=[PolicyIssue(name, None, f"cannot read file: {exc}")])
    return parse_yaml(text, name)


# libyaml's parser is several times faster; the pure-Python one gives the same nodes and marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, name: str) -> YamlDocument:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        doc = YamlDocument(name, None)
        if node is not None:
            doc.data = _Builder(loader, doc).build(node, ())
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        return YamlDocument(name, None, issues=[PolicyIssue(name, line, f"invalid YAML: {problem}")])
    except yaml.YAMLError as exc:
        return YamlDocument(name, None, issues=[PolicyIssue(name, None, f"invalid YAML: {exc}")])
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, doc: YamlDocument):
        self.loader = loader
        self.doc = doc

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
        self.doc.text_lines[path] = node.start_mark.line + 1 + (1 if block else 0)
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)  # resolves "<<: *anchor" merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                self.doc.issues.append(PolicyIssue(self.doc.file, key_node.start_mark.line + 1,
                                                   "a key must be a plain word, not a list or mapping"))
                continue
            key = str(key) if not isinstance(key, str) else key
            line = key_node.start_mark.line + 1
            if key in result:
                first = self.doc.lines.get(path + (key,))
                self.doc.issues.append(PolicyIssue(
                    self.doc.file, line, f"duplicate key {key!r} (first defined on line {first})"))
                continue
            self.doc.lines[path + (key,)] = line
            result[key] = self.build(value_node, path + (key,))
        return result

