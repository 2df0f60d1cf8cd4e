#!/usr/bin/env python3
"""Export torchvision CNNs with PyTorch's ONNX exporters and import each with hwsim.

Not part of the test suite: PyTorch is not a test dependency (the tests build the same
structures with ``onnx.helper``). Run it in an environment that has torch, torchvision,
onnx and onnxscript and hwsim installed::

    python tools/check_torch_export.py            # every model, every exporter
    python tools/check_torch_export.py --models resnet18 --exporters dynamo --markdown

Each model (``weights=None``: the structure is what matters) is exported at 1x3x224x224 with

* ``dynamo``: ``torch.onnx.export(model, (x,), f, dynamo=True)`` (weights in ``f.data``;
  the optimizer folds each BatchNormalization into its conv and records it);
* ``dynamo-noweights``: the same with ``export_params=False``;
* ``dynamo-noopt``: the same with ``optimize=False`` (BatchNormalization nodes kept);
* ``legacy``: ``torch.onnx.export(model, (x,), f, dynamo=False)`` (constant folding merges
  each BatchNormalization into its conv's weights and bias and leaves no trace of it, so
  the BN parameters are missing and the conv has a bias: this row differs from the
  published count by design);
* ``legacy-noweights``: the same with ``export_params=False``;
* ``legacy-keepbn``: ``dynamo=False, export_params=False, do_constant_folding=False`` (the
  README's legacy recipe: BatchNormalization nodes kept),

imported with :func:`hwsim.importers.onnx.import_onnx`, and compared with torchvision's own
published totals (each weights entry's ``num_params`` and ``_ops``, the GFLOPS of its model
documentation, read from the installed torchvision). hwsim's parameters are its conv and fc
parameters plus BatchNorm's scale and shift (``params + bn_params``, what ``num_params``
counts); its MACs are compared with GFLOPS (torchvision counts one per multiply-accumulate)
at the published two decimals. Warnings the importer logs (a shape that disagrees with the
ONNX shape) are counted, and a row agrees only with as many layers as the default export
(``dynamo``) of the same model gives.

Prints one table (text, or Markdown with ``--markdown``) and exits 1 if any import failed or
disagrees with the published totals (the exporters that fold BatchNorm away apart), 0 if all
agree; without torch it says so and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

MODELS = ("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
          "efficientnet_b0", "squeezenet1_0", "squeezenet1_1")
EXPORTERS = {  # name: keyword arguments of torch.onnx.export
    "dynamo": {"dynamo": True},
    "dynamo-noweights": {"dynamo": True, "export_params": False},
    "dynamo-noopt": {"dynamo": True, "optimize": False},
    "legacy": {"dynamo": False},
    "legacy-noweights": {"dynamo": False, "export_params": False},
    "legacy-keepbn": {"dynamo": False, "export_params": False, "do_constant_folding": False},
}
# Exporters whose files no longer hold the model's BatchNorm layers (folded into the convs'
# weights and biases without a trace): their parameter counts differ from the published
# ones wherever a model has BatchNorm, and they do not decide the exit status.
FOLDS_BATCHNORM = frozenset({"legacy", "legacy-noweights"})


@dataclass
class Row:
    model: str
    exporter: str
    ok: bool = False
    error: str = ""
    layers: int = 0
    params: int = 0
    published_params: int = 0
    gmacs: float = 0.0
    published_gflops: float = 0.0
    warnings: int = 0
    names: str = ""
    seconds: float = 0.0

    reference_layers: int = 0  # the default (dynamo) export's layer count, if it ran

    @property
    def agrees(self) -> bool:
        return self.ok and self.params == self.published_params \
            and abs(self.gmacs - self.published_gflops) <= 0.005 and not self.warnings \
            and self.reference_layers in (0, self.layers)


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def published(torchvision, name: str) -> tuple[int, float]:
    """torchvision's num_params and GFLOPS of the model's default weights entry."""
    meta = torchvision.models.get_model_weights(name).DEFAULT.meta
    return int(meta["num_params"]), float(meta["_ops"])


def like_trained(torch, model):
    """Non-zero biases and BatchNorm statistics, as trained weights have (torchvision
    initialises biases and BatchNorm shifts to zero, and the dynamo exporter's optimizer
    deletes a conv bias that is all zeros, so a fresh model would export fewer biases than
    its pretrained weights do). Nothing is downloaded."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for key, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            if not tensor.is_floating_point():
                continue
            if key.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif tensor.dim() == 1:  # biases, BatchNorm scales, shifts and means
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.2 + 0.1)
    return model


def export(torch, torchvision, name: str, exporter: str, folder: Path) -> Path:
    model = like_trained(torch, torchvision.models.get_model(name, weights=None).eval())
    x = torch.zeros(1, 3, 224, 224)
    path = folder / f"{name}.{exporter}.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # the exporters' progress lines and deprecations
        torch.onnx.export(model, (x,), str(path), **EXPORTERS[exporter])
    return path


def name_sample(names: list[str]) -> str:
    """A few layer names: the first three, one from the middle and the last."""
    if len(names) <= 5:
        return ", ".join(names)
    return ", ".join(names[:3] + ["...", names[len(names) // 2], "...", names[-1]])


def check(torch, torchvision, name: str, exporter: str, folder: Path) -> Row:
    from hwsim.errors import InputError
    from hwsim.importers.onnx import import_onnx

    row = Row(name, exporter)
    row.published_params, row.published_gflops = published(torchvision, name)
    start = time.perf_counter()
    try:
        path = export(torch, torchvision, name, exporter, folder)
    except Exception as exc:  # noqa: BLE001 - an exporter failure is a row, not a crash
        row.error = f"export failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        return row
    counter = _Count()
    log = logging.getLogger("hwsim")
    log.addHandler(counter)
    try:
        result = import_onnx(path)
    except InputError as exc:
        text = str(exc).replace(f"{path}: ", "")  # the temporary folder says nothing
        lines = [line.strip(" -") for line in text.splitlines() if line.strip(" -")]
        row.error = (lines[1] if len(lines) > 1 and "problems" in lines[0] else lines[0])[:160]
        if len(lines) > 2:
            row.error += f" (+{len(lines) - 2} more)"
        return row
    finally:
        log.removeHandler(counter)
        row.seconds = time.perf_counter() - start
    net = result.network
    row.ok = True
    row.layers = len(net.layers)
    row.params = net.params + net.bn_params
    row.gmacs = net.macs / 1e9
    row.warnings = len(counter.messages)
    row.names = name_sample([layer.name for layer in net.layers])
    for message in counter.messages[:3]:
        print(f"  {name} {exporter}: warning: {message}", file=sys.stderr)
    return row


def verdict(row: Row) -> str:
    if row.agrees:
        return "yes"
    if row.reference_layers not in (0, row.layers):
        return f"NO ({row.reference_layers} layers by default)"
    if row.exporter in FOLDS_BATCHNORM:
        return "no: the export folds BatchNorm"
    return "NO"


HEADER = ("model", "exporter", "imported", "layers", "params (hwsim / torchvision)",
          "GMACs (hwsim / torchvision GFLOPS)", "agrees", "layer names")


def cells(row: Row) -> tuple[str, ...]:
    if not row.ok:
        return (row.model, row.exporter, "no: " + row.error, "", "", "", "no", "")
    return (row.model, row.exporter, "yes" + (f" ({row.warnings} warnings)" if row.warnings
                                               else ""),
            str(row.layers), f"{row.params:,} / {row.published_params:,}",
            f"{row.gmacs:.3f} / {row.published_gflops:.2f}", verdict(row),
            row.names)


def table(rows: list[Row], markdown: bool) -> str:
    lines = [HEADER] + [cells(r) for r in rows]
    if markdown:
        out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |"
                for line in lines[1:]]
        return "\n".join(out)
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)) + "  " + line[-1]
                     for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated torchvision model names (default: all)")
    parser.add_argument("--exporters", default=",".join(EXPORTERS),
                        help="comma-separated, of " + ", ".join(EXPORTERS))
    parser.add_argument("--keep", metavar="DIR", help="write the exports here and keep them")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    try:
        import torch
        import torchvision
    except ImportError as exc:
        print(f"check_torch_export: skipped: PyTorch is not installed ({exc}); install a "
              "CPU-only torch and torchvision, onnx and onnxscript (see the README's "
              "'Importing from ONNX')", file=sys.stderr)
        return 0
    exporters = [e for e in args.exporters.split(",") if e]
    unknown = [e for e in exporters if e not in EXPORTERS]
    if unknown:
        parser.error(f"unknown exporter(s) {', '.join(unknown)}; choose from "
                     + ", ".join(EXPORTERS))
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name in [m for m in args.models.split(",") if m]:
            for exporter in exporters:
                row = check(torch, torchvision, name, exporter, folder)
                print(f"  {name} {exporter}: {'ok' if row.ok else row.error[:160]} "
                      f"({row.seconds:.0f} s)", file=sys.stderr)
                rows.append(row)
    default = {r.model: r.layers for r in rows if r.exporter == "dynamo" and r.ok}
    for row in rows:
        row.reference_layers = default.get(row.model, 0)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
          f"onnx {__import__('onnx').__version__}\n")
    print(table(rows, args.markdown))
    return 0 if all(r.agrees for r in rows if r.exporter not in FOLDS_BATCHNORM) else 1


if __name__ == "__main__":
    sys.exit(main())
