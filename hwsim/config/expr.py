"""Safe evaluation of the small expressions allowed in YAML files.

A string value of the form ``${expr}`` is evaluated with the block's parameters (and
``index``, ``instance``) as variables. Allowed: numbers, strings, booleans, lists,
arithmetic (``+ - * / // % **``), comparisons, ``and``/``or``/``not``, ``a if c else b`` and
the functions ``min max int round ceil floor abs``. Nothing else: no attribute access, no
imports, no calls of anything not listed, no string formatting (``'%d' % x``). ``/`` yields
an int when the result is integral, so ``${C / 2}`` is a channel count.

Every value an expression builds is bounded, checked before it is built: a string or list
of at most :data:`MAX_VALUE_SIZE` characters or items (nested lists counted in full), an
integer of at most :data:`MAX_RESULT_BITS` bits. So ``${'a' * 10**9}`` or ``${[0] * 10**9}``
(about 100 bytes of YAML) is an error instead of gigabytes of memory.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

_EXPR = re.compile(r"^\$\{(.*)\}$", re.DOTALL)
_NAME = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_FUNCS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "int": int, "round": round,
                                         "ceil": math.ceil, "floor": math.floor, "abs": abs}


class ExpressionError(ValueError):
    """An expression that cannot be evaluated; the message says why."""


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and bool(_EXPR.match(value) or _NAME.match(value))


MAX_RESULT_BITS = 4096  # a bound on integers: '10**10**10' is an error, not a hang
MAX_VALUE_SIZE = 10_000  # characters of a string, items of a list (nested lists in full)


def _size(value: Any, limit: int = MAX_VALUE_SIZE) -> int:
    """Characters or items in ``value`` (nested lists counted in full; the count stops a
    little past ``limit``); 1 for a number or boolean."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, list):
        return 1
    total = 0
    stack: list[Any] = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, list):
            total += len(item)
            stack.extend(v for v in item if isinstance(v, (list, str)))
        else:
            total += len(item)
    return total


_KIND = {str: "string", list: "list"}


def _bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _too_large(what: str) -> ExpressionError:
    return ExpressionError(f"{what} would be too large (an expression's strings and lists hold "
                           f"at most {MAX_VALUE_SIZE:,} characters or items, its integers at "
                           f"most {MAX_RESULT_BITS:,} bits)")


def _power(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and a not in (0, 1, -1):
        if abs(a).bit_length() * b > MAX_RESULT_BITS:
            raise ExpressionError(f"{a} ** {b} is too large")
    return a ** b


def _multiply(a: Any, b: Any) -> Any:
    """``*``, refusing a repeated string or list, or a product, beyond the bounds."""
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, (str, list)) and isinstance(times, int):
            if _size(seq) * max(times, 0) > MAX_VALUE_SIZE:
                raise _too_large(f"a {_KIND[type(seq)]} repeated {times:,} times")
    if _bits(a) + _bits(b) > MAX_RESULT_BITS:
        raise _too_large("the product")
    return a * b


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, (str, list)) and type(a) is type(b):
        if _size(a) + _size(b) > MAX_VALUE_SIZE:
            raise _too_large("the joined " + _KIND[type(a)])
    return a + b


def _modulo(a: Any, b: Any) -> Any:
    if isinstance(a, str):  # '%0999999999d' % 1 builds a gigabyte
        raise ExpressionError("string formatting ('...' % value) is not allowed")
    return a % b


_BINOPS[ast.Pow] = _power
_BINOPS[ast.Mult] = _multiply
_BINOPS[ast.Add] = _add
_BINOPS[ast.Mod] = _modulo


def _divide(a: Any, b: Any) -> Any:
    result = a / b
    return int(result) if isinstance(result, float) and result.is_integer() else result


def evaluate(text: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate ``${expr}`` or ``$name`` with ``variables``; other strings pass through."""
    match = _NAME.match(text)
    if match:
        source = match.group(1)
    else:
        match = _EXPR.match(text)
        if not match:
            return text
        source = match.group(1).strip()
    return _eval(_parse(source), variables, source)


@lru_cache(maxsize=4096)
def _parse(source: str) -> ast.AST:
    """The expression's syntax tree (cached: a block's expressions repeat per instance)."""
    try:
        return ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"invalid expression '{source}': {exc.msg}") from None


def _eval(node: ast.AST, env: Mapping[str, Any], source: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False"):
            return node.id == "True"
        if node.id not in env:
            known = ", ".join(sorted(env)) or "none"
            raise ExpressionError(f"unknown name '{node.id}' in '{source}' (known: {known})")
        return env[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, env, source) for e in node.elts]
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env, source), _eval(node.right, env, source)
        if isinstance(node.op, ast.Div):
            return _divide(left, right)
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise ExpressionError(f"operator not allowed in '{source}'")
        return op(left, right)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, env, source)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        if isinstance(node.op, ast.Not):
            return not value
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, env, source) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env, source)
        for cmp, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, env, source)
            func = _CMPOPS.get(type(cmp))
            if func is None:
                raise ExpressionError(f"comparison not allowed in '{source}'")
            if not func(left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        test = _eval(node.test, env, source)
        return _eval(node.body if test else node.orelse, env, source)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        if node.keywords:
            raise ExpressionError(f"keyword arguments not allowed in '{source}'")
        return _FUNCS[node.func.id](*[_eval(a, env, source) for a in node.args])
    raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in an expression ('{source}')")


def names_used(value: Any) -> set[str]:
    """The variable names the expressions inside a (nested) YAML value mention (written,
    whether or not evaluated; an expression that does not parse mentions none)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and is_expression(item):
            match = _NAME.match(item)
            if match:
                found.add(match.group(1))
                continue
            source = _EXPR.match(item).group(1).strip()  # type: ignore[union-attr]
            try:
                tree = _parse(source)
            except ExpressionError:
                continue
            found.update(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
    return found


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Evaluate every expression string inside a (nested) YAML value."""
    if isinstance(value, str):
        return evaluate(value, variables) if is_expression(value) else value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value
