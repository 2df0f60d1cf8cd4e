"""What ``hwsim info`` shows: per-layer shapes, parameters, MACs and the MAC share.

Builds plain records (``network_info``) that are written as a table, CSV or JSON. The JSON
keys are a contract other tools depend on (see the README, "hwsim info").
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hwsim._version import json_header
from hwsim.report.text import format_table, human, percent
from hwsim.workload import layer as L
from hwsim.workload.network import Network

TABLE_COLUMNS = 100  # the table fits a 100-column terminal
ACTIVATION_BYTES_PER_WORD = 2  # 16-bit activations, the study's data type (footprint column)


def layer_record(layer: L.Layer) -> dict[str, Any]:
    return {
        "name": layer.name,
        "type": layer.type,
        "inputs": list(layer.inputs),
        "in_shape": layer.in_shape.as_list(),
        "out_shape": layer.out_shape.as_list(),
        "kernel": list(layer.kernel),
        "stride": list(layer.stride),
        "padding": list(layer.padding),
        "groups": layer.groups,
        "params": layer.params,
        "bn_params": layer.bn_params,
        "macs": layer.macs,
        "mac_class": layer.mac_class,
        "vector_ops": layer.vector_ops,
        "moved_words": layer.moved_words,
        "activation_elements": layer.out_shape.elements,
    }


def network_info(network: Network) -> dict[str, Any]:
    """The ``hwsim info`` JSON document (contract keys plus extras)."""
    return {
        **json_header(),
        "network": network.name,
        "description": network.description,
        "source": network.source,
        "accuracy": dict(network.accuracy),
        "input_shape": network.input_shape.as_list(),
        "layers": [layer_record(layer) for layer in network.layers],
        "totals": {
            "params": network.params,
            "bn_params": network.bn_params,
            "macs": network.macs,
            "layers": len(network.layers),
            "peak_activation_elements": max(l.out_shape.elements for l in network.layers),
        },
        "mac_share": network.mac_share(),
    }


def to_json(network: Network) -> str:
    return json.dumps(network_info(network), indent=2)


CSV_COLUMNS = ["name", "type", "inputs", "in_shape", "out_shape", "kernel", "stride", "padding",
               "groups", "params", "bn_params", "macs", "mac_class", "vector_ops",
               "moved_words", "activation_elements"]


def to_csv(network: Network) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in network_info(network)["layers"]:
        row = []
        for key in CSV_COLUMNS:
            value = record[key]
            if isinstance(value, list):
                value = " ".join(str(v) for v in value) if key == "inputs" else "x".join(
                    str(v) for v in value)
            row.append(value)
        writer.writerow(row)
    return buffer.getvalue()


def _geometry(layer: L.Layer) -> str:
    if layer.type not in (L.CONV,) and layer.type not in L.POOL_TYPES:
        return ""
    if layer.is_global:
        return "global"
    kh, kw = layer.kernel
    sh, sw = layer.stride
    text = f"{kh}x{kw}" if kh != kw else f"{kh}"
    text += f"/{sh}" if sh == sw else f"/{sh}x{sw}"
    pads = set(layer.padding)
    if pads != {0}:
        top, bottom, left, right = layer.padding
        if len(pads) == 1:
            text += f" p{top}"
        elif top == bottom and left == right:  # [pad_h, pad_w], as written in the YAML
            text += f" p{top},{left}"
        else:
            text += " p" + ",".join(map(str, layer.padding))
    return text


def to_table(network: Network) -> str:
    """A table readable in a 100-column terminal, then totals and the MAC share."""
    headers = ["layer", "type", "in", "out", "k/s pad", "g", "params", "MACs", "act"]
    rows = []
    for layer in network.layers:
        kind = "dwconv" if layer.is_depthwise else layer.type
        rows.append([layer.name, kind, str(layer.in_shape), str(layer.out_shape), _geometry(layer),
                     layer.groups if layer.groups > 1 else "", human(layer.params) if layer.params else "",
                     human(layer.macs) if layer.macs else "", human(layer.out_shape.elements)])
    # The layer-name column gets what the other columns leave of 100 (long hierarchical names
    # are shortened in the middle), at most 26 and at least 12 characters.
    others = sum(max(len(str(r[i])) for r in rows + [headers]) + 2 for i in range(1, len(headers)))
    name_width = max(12, min(26, TABLE_COLUMNS - others))
    table = format_table(headers, rows, align="llrrlrrrr", max_widths={0: name_width})
    share = network.mac_share()
    lines = [
        f"{network.name}: input {network.input_shape}, {len(network.layers)} layers",
        "",
        table,
        "",
        f"parameters (conv + FC): {network.params:,}   BatchNorm: {network.bn_params:,}",
        f"MACs: {network.macs:,}",
        "MAC share: " + "  ".join(f"{k} {percent(v)}" for k, v in share.items()),
    ]
    return "\n".join(lines)
