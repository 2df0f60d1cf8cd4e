"""The vector-unit layers of modern mobile CNNs: ``mul`` (a per-channel gate broadcast over a
feature map, as in squeeze-and-excitation) and the activations sigmoid, hardsigmoid,
hardswish and swish, stand-alone and fused; their shapes, vector operation counts and costs."""

from __future__ import annotations

import pytest

from hwsim.config.network_file import parse_network
from hwsim.cost.model import cost_layer
from hwsim.dataflow.base import MachineParams
from hwsim.errors import InputError
from hwsim.hardware import Accelerator, PEArray, VectorUnit
from hwsim.workload.layer import TensorShape


def se_net(gate="hardsigmoid"):
    """A squeeze-and-excitation block on a 16 x 8 x 8 map: pool, 1x1 16 -> 4 (ReLU),
    1x1 4 -> 16 (the gate activation), product with the map."""
    return parse_network({"name": "se", "input": [16, 8, 8], "layers": [
        {"name": "pool", "type": "global_avgpool"},
        {"name": "fc1", "type": "conv", "out_channels": 4, "kernel": 1, "bias": True,
         "activation": "relu"},
        {"name": "fc2", "type": "conv", "out_channels": 16, "kernel": 1, "bias": True,
         "activation": gate},
        {"name": "scale", "type": "mul", "inputs": ["input", "fc2"]},
        {"name": "act", "type": "hardswish"},
        {"name": "silu", "type": "silu"},
        {"name": "sig", "type": "sigmoid"},
    ]}, "se.yaml")


def machine(lanes):
    return MachineParams.from_accelerator(
        Accelerator(pe_array=PEArray(4, 4, 2)).with_changes(vector_unit=VectorUnit(lanes=lanes)))


def test_a_gate_broadcasts_over_the_map():
    net = se_net()
    scale = net.layer("scale")
    assert scale.in_shapes == (TensorShape(16, 8, 8), TensorShape(16, 1, 1))
    assert scale.out_shape == TensorShape(16, 8, 8)
    assert scale.macs == 0 and scale.params == 0
    assert scale.vector_ops == 16 * 8 * 8  # one multiply per output element
    # the gate's 16 words are not counted as input traffic: only the map's 16 x 8 x 8
    cost = cost_layer(scale, machine(16), "ws")
    assert cost.kind == "vector" and cost.counts.vector_ops == 1024
    assert cost.compute_cycles == 1024 // 16
    assert cost.dram_read_bytes == 16 * 8 * 8 * 2 and cost.dram_write_bytes == 16 * 8 * 8 * 2


def test_activation_operation_counts():
    """Per element: hardsigmoid 2 (multiply-add, clamp), hardswish 3 (+ multiply), sigmoid 3
    (exp, add, divide), swish 4 (+ multiply); ReLU 1. Fused ones add to the layer's."""
    net = se_net()
    elements = 16 * 8 * 8
    assert net.layer("act").vector_ops == 3 * elements
    assert net.layer("silu").type == "swish" and net.layer("silu").vector_ops == 4 * elements
    assert net.layer("sig").vector_ops == 3 * elements
    assert net.layer("fc1").vector_ops == 1 * 4          # fused ReLU on 4 x 1 x 1
    assert net.layer("fc2").vector_ops == 2 * 16         # fused hardsigmoid on 16 x 1 x 1
    assert se_net("swish").layer("fc2").vector_ops == 4 * 16
    cost = cost_layer(net.layer("act"), machine(8), "ws")
    assert cost.compute_cycles == 3 * elements // 8


def test_a_product_of_shapes_that_do_not_broadcast_is_bad_input():
    with pytest.raises(InputError) as info:
        parse_network({"name": "bad", "input": [16, 8, 8], "layers": [
            {"name": "pool", "type": "maxpool", "kernel": 2, "stride": 2},
            {"name": "scale", "type": "mul", "inputs": ["input", "pool"]},
        ]}, "bad.yaml")
    text = str(info.value)
    assert "bad.yaml: layer 'scale'" in text and "do not broadcast" in text
    assert "'input' 16x8x8, 'pool' 16x4x4" in text


def test_an_unknown_activation_suggests_the_closest():
    with pytest.raises(InputError) as info:
        parse_network({"name": "bad", "input": [4, 8, 8], "layers": [
            {"name": "c", "type": "conv", "out_channels": 4, "kernel": 1,
             "activation": "hardswsh"}]}, "bad.yaml")
    assert "did you mean 'hardswish'" in str(info.value)
