"""CEL conditions: parsed and checked once at load, evaluated many times without raising.

cel-python only notices an unknown variable, field or function when it evaluates, so a typo
would surface as a denied request weeks later. ``compile_condition`` walks the parsed tree and
refuses names we do not provide, with a suggestion, while the catalog loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
import lark
from celpy import celtypes

from policies import on_call as oncall
from policies.errors import did_you_mean

_MACROS = {"has", "all", "exists", "exists_one", "map", "filter"}
LIST: tuple[str, ...] = ()  # the "fields" of a top-level variable that is a list of strings
_OPERAND_LEVELS = {"relation", "addition", "multiplication", "unary", "member", "primary"}
_COMPARISONS = {"relation_eq", "relation_ne", "relation_lt", "relation_le", "relation_gt", "relation_ge"}


def _lower_ascii(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(value).lower())


def _upper_ascii(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(value).upper())


def _trim(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(value).strip())


# Functions we add to standard CEL (names as in the cel-go strings extension).
EXTRA_FUNCTIONS = {"lowerAscii": _lower_ascii, "upperAscii": _upper_ascii, "trim": _trim}
KNOWN_FUNCTIONS = (
    {name for name in celpy.base_functions if name.isidentifier()} | _MACROS | set(EXTRA_FUNCTIONS)
)
# Functions only some conditions may call (``compile_condition(functions=...)``), with where they may.
RESTRICTED_FUNCTIONS = {name: "auto_approve rules" for name in oncall.FUNCTIONS}

_ENVIRONMENT: celpy.Environment | None = None


def _environment() -> celpy.Environment:
    # Building the environment loads the grammar; do it once per process.
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = celpy.Environment()
    return _ENVIRONMENT


class CelCompileError(ValueError):
    """A condition that cannot be used. ``line`` counts from 1 inside the expression text."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class CelResult:
    value: bool
    error: str | None = None  # set when evaluation failed; value is then False


@dataclass(frozen=True)
class Condition:
    source: str
    _program: celpy.Runner
    names: frozenset[str] = frozenset()  # the top-level variables it reads
    schedules: frozenset[str] = frozenset()  # the on-call schedules it asks about
    _tree: lark.Tree | None = None
    # The fields it reads of each variable ({"person": {"department", "groups"}}), or None when it uses
    # a variable whole (passes it to a function): callers may reuse a verdict for equal fields.
    fields: dict[str, frozenset[str]] | None = field(default=None, compare=False)

    def evaluate(self, activation: Mapping[str, Any], on_call: oncall.OnCallAnswers | None = None) -> CelResult:
        """True/False, or False with the reason when the expression fails or is not a bool.

        A condition that asks about on-call schedules reads ``on_call``'s answers (none: not on call)."""
        program = self._program
        if self.schedules:
            # Functions are bound per program; an interpreted program is only the tree and them, cheap to make.
            answers = on_call or oncall.OnCallAnswers(None, "")
            program = _environment().program(self._tree, functions={**EXTRA_FUNCTIONS, **answers.cel_functions()})
        try:
            value = program.evaluate(dict(activation))
        except celpy.CELEvalError as exc:
            return CelResult(False, _clean_eval_error(exc))
        except (TypeError, ValueError, KeyError, ZeroDivisionError, RecursionError) as exc:
            # cel-python lets some Python errors through on unusual input; they mean "cannot decide".
            return CelResult(False, f"{type(exc).__name__}: {exc}")
        if isinstance(value, celpy.CELEvalError):
            return CelResult(False, _clean_eval_error(value))
        if not isinstance(value, celtypes.BoolType):
            return CelResult(False, f"the condition gave {_cel_type(value)} {value!s}, not true or false")
        return CelResult(bool(value))


_COMPILED: dict[tuple[str, tuple], Condition | CelCompileError] = {}


def compile_condition(source: str, variables: Mapping[str, tuple[str, ...]],
                      functions: frozenset[str] = frozenset()) -> Condition:
    """Parse and check ``source``. ``variables`` maps each top-level name to its known fields;
    no fields (``LIST``) marks a list of strings, which has no fields and is not compared to a string.
    ``functions``: the ``RESTRICTED_FUNCTIONS`` this condition may call.

    Results are shared by text: a thousand resources with the same rule compile it once.
    """
    key = (source, tuple(sorted((name, tuple(fields)) for name, fields in variables.items())), functions)
    cached = _COMPILED.get(key)
    if cached is None:
        try:
            cached = _compile(source, variables, functions)
        except CelCompileError as exc:
            cached = exc
        if len(_COMPILED) < 10_000:  # bounded: catalogs are reloaded, texts change
            _COMPILED[key] = cached
    if isinstance(cached, CelCompileError):
        raise CelCompileError(str(cached), cached.line)
    return cached


def _compile(source: str, variables: Mapping[str, tuple[str, ...]], functions: frozenset[str]) -> Condition:
    if not isinstance(source, str) or not source.strip():
        raise CelCompileError("the condition is empty")
    env = _environment()
    try:
        tree = env.compile(source)
    except celpy.CELParseError as exc:
        raise CelCompileError(_parse_message(exc, source), exc.line or 1) from None
    _check_names(tree, variables, functions)
    read = frozenset(str(node.children[0]) for node in tree.iter_subtrees()
                     if node.data == "ident" and str(node.children[0]) in variables)
    schedules = frozenset(_schedule_argument(node) for node in tree.iter_subtrees()
                          if node.data == "ident_arg" and str(node.children[0]) in oncall.FUNCTIONS)
    # A verdict that depends on who is on call now is never reused for another person's equal fields.
    fields = None if schedules else _fields_read(tree, read)
    return Condition(source, env.program(tree, functions=EXTRA_FUNCTIONS), read, schedules, tree, fields)


def _fields_read(tree: lark.Tree, names: frozenset[str]) -> dict[str, frozenset[str]] | None:
    uses = {name: 0 for name in names}
    fields: dict[str, set[str]] = {name: set() for name in names}
    for node in tree.iter_subtrees():
        if node.data == "ident" and str(node.children[0]) in uses:
            uses[str(node.children[0])] += 1
        elif node.data == "member_dot" and _root_ident(node.children[0]) in uses:
            fields[_root_ident(node.children[0])].add(str(node.children[1]))
            uses[_root_ident(node.children[0])] -= 1
    if any(uses.values()):
        return None  # some use is not "variable.field"
    return {name: frozenset(read) for name, read in fields.items()}


def _parse_message(exc: celpy.CELParseError, source: str) -> str:
    cause = exc.__context__
    column = exc.column or 1
    line_text = source.splitlines()[(exc.line or 1) - 1] if source.strip() else source
    if isinstance(cause, lark.exceptions.UnexpectedToken):
        ended = cause.token.type == "$END"
        what = "the expression ends too early" if ended else f"unexpected {str(cause.token)!r}"
    elif isinstance(cause, lark.exceptions.UnexpectedCharacters):
        what = f"unexpected character {line_text[column - 1:column]!r}"
    else:
        what = "syntax error"
    hint = " (use == to compare)" if re.search(r"[^=!<>]=[^=]", f" {line_text} ") else ""
    return f"CEL syntax error at column {column}: {what}{hint}\n    {line_text}\n    {' ' * (column - 1)}^"


def _check_names(tree: lark.Tree, variables: Mapping[str, tuple[str, ...]], functions: frozenset[str]) -> None:
    bound = set(_macro_variables(tree))
    for node in tree.iter_subtrees():
        if node.data == "ident":
            name = str(node.children[0])
            if name not in variables and name not in bound:
                raise CelCompileError(
                    f"unknown name {name!r}; a condition here can use "
                    f"{', '.join(sorted(variables))}{did_you_mean(name, variables)}", _line(node))
        elif node.data in ("ident_arg", "member_dot_arg"):
            name = str(node.children[0] if node.data == "ident_arg" else node.children[1])
            if name in RESTRICTED_FUNCTIONS and (name not in functions or node.data != "ident_arg"):
                raise CelCompileError(f"{name}() can only be called as {name}(\"schedule\") in "
                                      f"{RESTRICTED_FUNCTIONS[name]}", _line(node))
            if name not in KNOWN_FUNCTIONS and name not in functions:
                raise CelCompileError(f"unknown function {name}(){_suggest_function(name)}", _line(node))
        elif node.data == "member_dot":
            _check_field(node, variables)
        elif node.data == "relation" and _is_comparison(node):
            _check_list_comparison(node, variables)


def _check_field(node: lark.Tree, variables: Mapping[str, tuple[str, ...]]) -> None:
    inner, field_token = node.children[0], str(node.children[1])
    root = _root_ident(inner)
    if root in variables and variables[root] == LIST:
        raise CelCompileError(f"{root} is a list of strings and has no field {field_token!r}; "
                              f'test membership with "..." in {root}', _line(node))
    if root in variables and variables[root]:
        known = variables[root]
        if field_token not in known:
            raise CelCompileError(
                f"{root} has no field {field_token!r}{did_you_mean(field_token, known)}; "
                f"known fields: {', '.join(known)}", _line(node))


def _schedule_argument(node: lark.Tree) -> str:
    """The schedule named by ``on_call("payments")``: a literal, so the configuration check can find it."""
    name = str(node.children[0])
    args = node.children[1].children if len(node.children) > 1 else []
    literal = args[0] if len(args) == 1 else None
    while isinstance(literal, lark.Tree) and literal.data != "literal" and len(literal.children) == 1:
        literal = literal.children[0]
    text = str(literal.children[0]) if isinstance(literal, lark.Tree) and literal.data == "literal" else ""
    schedule = text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else ""
    if not oncall.SCHEDULE_NAME.match(schedule):
        raise CelCompileError(f"{name}() takes one schedule name in quotes, e.g. {name}(\"payments\") "
                              "(letters, digits, '.', '_' or '-')", _line(node))
    return schedule


def _is_comparison(node: lark.Tree) -> bool:
    first = node.children[0] if node.children else None
    return isinstance(first, lark.Tree) and first.data in _COMPARISONS


def _check_list_comparison(node: lark.Tree, variables: Mapping[str, tuple[str, ...]]) -> None:
    """``owner_departments == "Finance"`` is always false (a list is never a string): refuse it at load."""
    comparison, right = node.children[0], node.children[1]
    sides = [_bare(comparison.children[0]), _bare(right)]
    names = [str(side.children[0]) for side in sides if isinstance(side, lark.Tree) and side.data == "ident"]
    lists = [name for name in names if name in variables and variables[name] == LIST]
    strings = [side for side in sides if isinstance(side, lark.Tree) and side.data == "literal"
               and str(side.children[0])[:1] in ("'", '"')]
    if lists and strings:
        raise CelCompileError(f"{lists[0]} is a list of strings, never equal to a string; "
                              f"write {strings[0].children[0]} in {lists[0]}", _line(node))


def _bare(node: Any) -> Any:
    """The ident or literal an operand is made of, through the grammar's one-child levels; else the operand."""
    while (isinstance(node, lark.Tree) and node.data in _OPERAND_LEVELS and len(node.children) == 1
           and isinstance(node.children[0], lark.Tree)):
        node = node.children[0]
    return node


def _root_ident(member: Any) -> str | None:
    """'person' for the tree of ``person`` itself (a member wrapping primary/ident), else None."""
    if not isinstance(member, lark.Tree) or member.data != "member":
        return None
    child = member.children[0] if member.children else None
    if isinstance(child, lark.Tree) and child.data == "primary":
        ident = child.children[0]
        if isinstance(ident, lark.Tree) and ident.data == "ident":
            return str(ident.children[0])
    return None


def _macro_variables(tree: lark.Tree) -> Iterator[str]:
    for node in tree.iter_subtrees():
        if node.data == "member_dot_arg" and str(node.children[1]) in _MACROS and len(node.children) > 2:
            first = node.children[2].children[0]
            for sub in first.iter_subtrees():
                if sub.data == "ident":
                    yield str(sub.children[0])
                    break


def _suggest_function(name: str) -> str:
    hint = did_you_mean(name, sorted(KNOWN_FUNCTIONS))
    return hint or "; see docs/policies.md for the functions a condition can call"


def _line(node: lark.Tree) -> int:
    return getattr(node.meta, "line", 1) if not node.meta.empty else 1


def _clean_eval_error(exc: Any) -> str:
    # cel-python appends the whole activation to some messages; keep the part a person can read.
    args = getattr(exc, "args", ())
    message = str(args[0]) if args else str(exc)
    message = re.sub(r"\s*\(in activation .*", "", message, flags=re.S)
    if len(args) > 2 and args[1] is KeyError and args[2]:
        missing = ", ".join(str(a) for a in args[2])
        if missing not in message:
            message = f"{message}: {missing}"
    return message[:300]


def _cel_type(value: Any) -> str:
    return type(value).__name__.replace("Type", "").lower() or "a value"
