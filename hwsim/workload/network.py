"""A network: an ordered DAG of layers, with shape inference at build time.

:func:`build_network` takes layer specifications (name, type, inputs and attributes, as the
YAML loader produces them), orders them topologically, infers every layer's input and output
shapes with the conventions of ``layer.py``, and returns an immutable :class:`Network`. Every
problem (unknown input, cycle, shape mismatch, bad groups, kernel larger than the padded
input) is collected and raised together as one :class:`~hwsim.errors.InputError` naming the
file, the layer and the shapes involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwsim.errors import InputError, Problem, did_you_mean
from hwsim.workload import layer as L
from hwsim.workload.layer import Layer, TensorShape

INPUT = "input"


@dataclass(frozen=True, slots=True)
class LayerSpec:
    """A layer as written (after block expansion), before shape inference.

    ``attrs`` holds the type-specific keys (out_channels, kernel, stride, padding, groups,
    bias, bn, activation, rounding, global, dilation). ``place`` says where it was written
    (a key path), for error messages.
    """

    name: str
    type: str
    inputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)
    place: str = ""


@dataclass(frozen=True, slots=True)
class AccuracyPoint:
    """A published accuracy of one point of a network file's parameter space.

    ``params`` names the file parameters that differ from (or restate) the file's defaults;
    every parameter it does not name is at the file's default. ``input_size`` is the
    (height, width) the accuracy was measured at (the file reader always sets it: the
    file's input unless the entry says otherwise; None would match any size). ``top1`` /
    ``top5`` are in %, either may be missing (None); ``source`` says where the value is
    published.
    """

    params: Mapping[str, Any]
    top1: float | None
    top5: float | None
    source: str
    input_size: tuple[int, int] | None = None

    def as_dict(self) -> dict[str, float]:
        """The accuracies the point has, as ``{'top1': ..., 'top5': ...}``."""
        return {key: value for key, value in (("top1", self.top1), ("top5", self.top5))
                if value is not None}

    def matches(self, values: Mapping[str, Any], defaults: Mapping[str, Any],
                input_size: tuple[int, int]) -> bool:
        """Whether this point is the network built with parameter ``values``.

        Exact: every parameter the point names equals ``values``, every other parameter
        of ``defaults`` (the file's) is at its default in ``values``, and the input sizes
        agree. Nothing is interpolated.
        """
        if self.input_size is not None and tuple(self.input_size) != tuple(input_size):
            return False
        point = {**defaults, **self.params}
        return set(point) == set(values) and all(_same(point[k], values[k]) for k in point)


def _same(a: Any, b: Any) -> bool:
    """Equal parameter values: 1 == 1.0, but a boolean is never a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


@dataclass(frozen=True, slots=True)
class Network:
    """An immutable network: layers in a topological order, with metadata.

    ``param_values`` are the parameter values the network was built with (the file's
    ``params`` with its ``base:`` chain merged in, then any overrides); ``param_defaults``
    are the file's own values (before overrides). ``accuracy_table`` lists the published
    accuracies of points of that parameter space (the file's plain ``accuracy`` is the
    point at the defaults); ``accuracy`` is the published accuracy of the network as built
    (``published_accuracy()`` as a dict, empty when no point matches). ``params`` (the
    property) is the parameter *count*.
    """

    name: str
    input_shape: TensorShape
    layers: tuple[Layer, ...]
    description: str = ""
    source: str = ""
    accuracy: Mapping[str, float] = field(default_factory=dict)
    path: str = ""
    param_values: Mapping[str, Any] = field(default_factory=dict)
    param_defaults: Mapping[str, Any] = field(default_factory=dict)
    accuracy_table: tuple[AccuracyPoint, ...] = ()

    def __post_init__(self) -> None:
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ValueError("layer names must be unique")

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def layer(self, name: str) -> Layer:
        for candidate in self.layers:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def published_accuracy(self) -> AccuracyPoint | None:
        """The accuracy-table point that is exactly this network (see
        :meth:`AccuracyPoint.matches`), or None when the table has none."""
        size = (self.input_shape.height, self.input_shape.width)
        for point in self.accuracy_table:
            if point.matches(self.param_values, self.param_defaults, size):
                return point
        return None

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def params(self) -> int:
        """Conv and FC weights plus biases."""
        return sum(layer.params for layer in self.layers)

    @property
    def bn_params(self) -> int:
        return sum(layer.bn_params for layer in self.layers)

    def mac_share(self) -> dict[str, float]:
        """Fraction of MACs per class (first_conv, conv1x1, convFxF, depthwise, fc)."""
        total = self.macs
        share = {cls: 0.0 for cls in L.MAC_CLASSES}
        if total == 0:
            return share
        for layer in self.layers:
            if layer.mac_class in share:
                share[layer.mac_class] += layer.macs / total
        return share


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _padding(value: Any, in_shape: TensorShape, kernel: tuple[int, int],
             stride: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int, int, int]:
    """Resolve padding: int, [ph, pw], [top, bottom, left, right], 'same' or 'valid'."""
    if value is None or value == "valid":
        return (0, 0, 0, 0)
    if value == "same":
        top, bottom = L.same_padding(in_shape.height, kernel[0], stride[0], dilation[0])
        left, right = L.same_padding(in_shape.width, kernel[1], stride[1], dilation[1])
        return (top, bottom, left, right)
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return (int(value[0]),) * 4
        if len(value) == 2:
            return (int(value[0]), int(value[0]), int(value[1]), int(value[1]))
        return tuple(int(v) for v in value)  # type: ignore[return-value]
    return (int(value),) * 4


def _toposort(specs: Sequence[LayerSpec], problems: list[Problem], file: str) -> list[LayerSpec]:
    """Order specs so that every layer follows its inputs (stable: written order kept)."""
    by_name: dict[str, LayerSpec] = {}
    for spec in specs:
        if spec.name in by_name or spec.name == INPUT:
            problems.append(Problem(file, spec.place or spec.name,
                                    f"layer name '{spec.name}' is used more than once"))
            continue
        by_name[spec.name] = spec
    order: list[LayerSpec] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(spec: LayerSpec, chain: list[str]) -> None:
        if state.get(spec.name) == 2:
            return
        if state.get(spec.name) == 1:
            cycle = chain[chain.index(spec.name):] + [spec.name]
            problems.append(Problem(file, f"layer '{spec.name}'",
                                    "cycle in the inputs: " + " -> ".join(cycle)))
            return
        state[spec.name] = 1
        for name in spec.inputs:
            if name in by_name:
                visit(by_name[name], chain + [spec.name])
        state[spec.name] = 2
        order.append(spec)

    for spec in by_name.values():
        visit(spec, [])
    return order


def build_network(specs: Sequence[LayerSpec], input_shape: TensorShape, *, name: str,
                  file: str = "", description: str = "", source: str = "",
                  accuracy: Mapping[str, float] | None = None,
                  param_values: Mapping[str, Any] | None = None,
                  param_defaults: Mapping[str, Any] | None = None,
                  accuracy_table: Sequence[AccuracyPoint] = ()) -> Network:
    """Infer shapes for every layer and return the network, or raise one InputError."""
    problems: list[Problem] = []
    known = {spec.name for spec in specs}
    for spec in specs:
        for ref in spec.inputs:
            if ref != INPUT and ref not in known:
                problems.append(Problem(file, f"layer '{spec.name}'",
                                        f"input '{ref}' is not a layer of this network"
                                        + did_you_mean(ref, known, cutoff=0.6,
                                                       list_choices=False)))
    if problems:
        raise InputError(problems)
    ordered = _toposort(specs, problems, file)
    if problems:
        raise InputError(problems)

    shapes: dict[str, TensorShape] = {INPUT: input_shape}
    layers: list[Layer] = []
    first_conv_seen = False
    for spec in ordered:
        if any(ref not in shapes for ref in spec.inputs):
            continue  # an input failed: already reported
        in_shapes = tuple(shapes[ref] for ref in spec.inputs)
        try:
            built = _infer(spec, in_shapes, first_conv=not first_conv_seen)
        except _ShapeError as exc:
            problems.append(Problem(file, f"layer '{spec.name}'" + (f" ({spec.place})" if spec.place else ""),
                                    str(exc)))
            continue
        if built.type == L.CONV:
            first_conv_seen = True
        shapes[spec.name] = built.out_shape
        layers.append(built)
    if problems:
        raise InputError(problems)
    return Network(name=name, input_shape=input_shape, layers=tuple(layers),
                   description=description, source=source, accuracy=dict(accuracy or {}),
                   path=file, param_values=dict(param_values or {}),
                   param_defaults=dict(param_defaults if param_defaults is not None
                                       else param_values or {}),
                   accuracy_table=tuple(accuracy_table))


class _ShapeError(Exception):
    pass


def _shapes_text(in_shapes: Sequence[TensorShape], names: Sequence[str]) -> str:
    return ", ".join(f"'{n}' {s}" for n, s in zip(names, in_shapes))


def _merge_shape(spec: LayerSpec, in_shapes: tuple[TensorShape, ...]) -> TensorShape:
    """The output shape of a concat (channels add up) or an add (all inputs alike)."""
    kind = spec.type
    if len(in_shapes) < 2:
        raise _ShapeError(f"{kind} needs at least two inputs, got {len(in_shapes)}")
    first = in_shapes[0]
    if kind == L.CONCAT:
        if any((s.height, s.width) != (first.height, first.width) for s in in_shapes):
            raise _ShapeError("concat of different spatial sizes: "
                              + _shapes_text(in_shapes, spec.inputs))
        return TensorShape(sum(s.channels for s in in_shapes), first.height, first.width)
    if any(s != first for s in in_shapes):
        raise _ShapeError("add of different shapes: " + _shapes_text(in_shapes, spec.inputs))
    return first


def _product_shape(spec: LayerSpec, in_shapes: tuple[TensorShape, ...]) -> TensorShape:
    """A ``mul``'s output: its full-size inputs' shape (all equal); every other input is a
    per-channel vector [C, 1, 1] of the same C (or one value, [1, 1, 1]) broadcast over it."""
    if len(in_shapes) < 2:
        raise _ShapeError(f"mul needs at least two inputs, got {len(in_shapes)}")
    full = max(in_shapes, key=lambda s: s.height * s.width)
    for s in in_shapes:
        vector = s.height == s.width == 1 and s.channels in (1, full.channels)
        if s != full and not vector:
            raise _ShapeError("mul of shapes that do not broadcast (each input must be "
                              f"{full} or a per-channel vector {full.channels}x1x1): "
                              + _shapes_text(in_shapes, spec.inputs))
    return full


def _infer(spec: LayerSpec, in_shapes: tuple[TensorShape, ...], *, first_conv: bool) -> Layer:
    """Shapes of one layer from its inputs' shapes; raises _ShapeError on a mismatch."""
    a = dict(spec.attrs)
    kind = spec.type
    common: dict[str, Any] = dict(name=spec.name, type=kind, inputs=spec.inputs, in_shapes=in_shapes,
                                  bn=bool(a.get("bn", False)), activation=a.get("activation"))
    if kind == L.MUL:
        return Layer(out_shape=_product_shape(spec, in_shapes), **common)
    if kind in (L.CONCAT, L.ADD):
        return Layer(out_shape=_merge_shape(spec, in_shapes), **common)
    if len(in_shapes) != 1:
        raise _ShapeError(f"{kind} takes one input, got {len(in_shapes)}: {', '.join(spec.inputs)}")
    x = in_shapes[0]
    if kind in L.ELEMENTWISE_TYPES:
        out = TensorShape(x.elements, 1, 1) if kind == L.FLATTEN else x
        return Layer(out_shape=out, **common)
    if kind == L.SHUFFLE:
        groups = a.get("groups", 1)
        groups = x.channels if groups == "in_channels" else int(groups)
        if groups <= 0 or x.channels % groups:
            raise _ShapeError(f"shuffle groups={groups} does not divide the input channels "
                              f"({x.channels}, input shape {x})")
        return Layer(out_shape=x, groups=groups, **common)
    if kind == L.FC:
        out_features = int(a["out_channels"])
        return Layer(out_shape=TensorShape(out_features, 1, 1), bias=bool(a.get("bias", False)),
                     **common)
    return _infer_windowed(kind, a, x, common, first_conv)


def _infer_windowed(kind: str, a: dict[str, Any], x: TensorShape, common: dict[str, Any],
                    first_conv: bool) -> Layer:
    """A conv or pooling layer: its kernel window slides over the (padded) input ``x``."""
    if a.get("global"):
        kernel = (x.height, x.width)
        stride = (1, 1)
    else:
        kernel = _pair(a.get("kernel", 1))
        stride = _pair(a.get("stride", 1))
    dilation = _pair(a.get("dilation", 1))
    padding = _padding(a.get("padding", 0), x, kernel, stride, dilation)
    top, bottom, left, right = padding
    # the dilated kernel's extent: (k - 1) * d + 1 pixels
    reach = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    if reach[0] > x.height + top + bottom or reach[1] > x.width + left + right:
        dilated = f" (dilation {dilation[0]}x{dilation[1]}: {reach[0]}x{reach[1]} pixels)" \
            if dilation != (1, 1) else ""
        raise _ShapeError(f"kernel {kernel[0]}x{kernel[1]}{dilated} is larger than its padded "
                          f"input {x} (padding {list(padding)})")
    if kind == L.CONV:
        out_channels = int(a["out_channels"])
        groups = a.get("groups", 1)
        groups = x.channels if groups == "in_channels" else int(groups)
        if groups <= 0 or x.channels % groups or out_channels % groups:
            raise _ShapeError(f"groups={groups} does not divide the input channels "
                              f"({x.channels}, input shape {x}) and the output channels "
                              f"({out_channels})")
        oh = L.conv_output_size(x.height, kernel[0], stride[0], top, bottom, dilation[0])
        ow = L.conv_output_size(x.width, kernel[1], stride[1], left, right, dilation[1])
        return Layer(out_shape=TensorShape(out_channels, oh, ow), kernel=kernel, stride=stride,
                     padding=padding, dilation=dilation, groups=groups,
                     bias=bool(a.get("bias", False)), first_conv=first_conv, **common)
    rounding = a.get("rounding", "ceil")
    oh = L.pool_output_size(x.height, kernel[0], stride[0], top, bottom, rounding)
    ow = L.pool_output_size(x.width, kernel[1], stride[1], left, right, rounding)
    return Layer(out_shape=TensorShape(x.channels, oh, ow), kernel=kernel, stride=stride,
                 padding=padding, is_global=bool(a.get("global", False)), **common)
