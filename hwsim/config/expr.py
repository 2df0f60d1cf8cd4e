"""Safe evaluation of the small expressions allowed in YAML files.

A string value of the form ``${expr}`` is evaluated with the block's parameters (and
``index``, ``instance``) as variables. Allowed: numbers, strings, booleans, lists,
arithmetic (``+ - * / // % **``), comparisons, ``and``/``or``/``not``, ``a if c else b`` and
the functions ``min max int round ceil floor abs``. Nothing else: no attribute access, no
imports, no calls of anything not listed. ``/`` yields an int when the result is integral,
so ``${C / 2}`` is a channel count.
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


MAX_RESULT_BITS = 4096  # a bound on integer powers: '10**10**10' is an error, not a hang


def _power(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and a not in (0, 1, -1):
        if abs(a).bit_length() * b > MAX_RESULT_BITS:
            raise ExpressionError(f"{a} ** {b} is too large")
    return a ** b


_BINOPS[ast.Pow] = _power


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


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Evaluate every expression string inside a (nested) YAML value."""
    if isinstance(value, str):
        return evaluate(value, variables) if is_expression(value) else value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value
