"""Published accuracy as data (``accuracy``, ``accuracy_table``) and parameter overrides."""

from pathlib import Path

import pytest

import hwsim
from hwsim.config.network_file import parse_network
from hwsim.errors import InputError
from hwsim.workload.network import AccuracyPoint

NETWORKS = Path(__file__).resolve().parent.parent / "networks"


def tiny(**extra):
    """A two-layer network with params: a conv of `width` channels, kernel `k`."""
    data = {
        "name": "tiny", "source": "hand-made", "input": [3, 8, 8],
        "params": {"width": 4, "k": 3, "act": "relu"},
        "layers": [
            {"name": "conv", "type": "conv", "out_channels": "$width", "kernel": "$k",
             "activation": "$act"},
            {"name": "fc", "type": "fc", "out_channels": 10},
        ],
    }
    data.update(extra)
    return data


TABLE = [
    {"params": {"width": 8}, "top1": 61.0, "top5": 83.0, "source": "paper, Table 1"},
    {"params": {"width": 8, "k": 1}, "top5": 80.5, "source": "paper, Table 2"},
    {"params": {"width": 4}, "input_size": 6, "top1": 50.0, "source": "paper, Table 3"},
]


def problems_of(data, **kwargs):
    with pytest.raises(InputError) as info:
        parse_network(data, "net.yaml", **kwargs)
    return [(p.file, p.place, p.message) for p in info.value.problems]


def test_params_record_defaults_and_overrides():
    net = parse_network(tiny(), "net.yaml", params={"width": 8})
    assert net.param_defaults == {"width": 4, "k": 3, "act": "relu"}
    assert net.param_values == {"width": 8, "k": 3, "act": "relu"}
    # conv 8 x 3 x 3x3 at 6x6, fc 8*6*6 -> 10
    assert net.layer("conv").out_shape.as_list() == [8, 6, 6]
    assert net.params == 8 * 3 * 9 + 8 * 36 * 10


def test_plain_accuracy_is_the_point_at_the_defaults():
    net = parse_network(tiny(accuracy={"top1": 57.5, "top5": 80.3}), "net.yaml")
    point = net.published_accuracy()
    assert point == AccuracyPoint({}, 57.5, 80.3, "hand-made", (8, 8))
    assert net.accuracy == {"top1": 57.5, "top5": 80.3}
    # any override leaves the default point
    off = parse_network(tiny(accuracy={"top1": 57.5}), "net.yaml", params={"k": 1})
    assert off.published_accuracy() is None and off.accuracy == {}
    # restating a default is still the default point
    same = parse_network(tiny(accuracy={"top1": 57.5}), "net.yaml", params={"width": 4})
    assert same.accuracy == {"top1": 57.5}


def test_table_points_match_exactly_never_nearby():
    data = tiny(accuracy={"top1": 57.5, "source": "paper, Table 0"}, accuracy_table=TABLE)
    cases = [
        ({"width": 8}, None, "paper, Table 1"),
        ({"width": 8, "k": 1}, None, "paper, Table 2"),
        ({"k": 1}, None, None),              # the table has k 1 with width 8, not width 4
        ({"width": 6}, None, None),          # between 4 and 8: never interpolated
        ({}, 6, "paper, Table 3"),           # at the defaults but measured at 6x6
        ({"width": 8}, 6, None),
        ({"width": 8.0}, None, "paper, Table 1"),  # 8.0 == 8
    ]
    for overrides, size, expected in cases:
        point = parse_network(data, "net.yaml", input_size=size, params=overrides).published_accuracy()
        assert (point.source if point else None) == expected, (overrides, size)
    default = parse_network(data, "net.yaml")
    assert default.accuracy == {"top1": 57.5}
    assert default.published_accuracy().source == "paper, Table 0"
    assert parse_network(data, "net.yaml", params={"width": 8, "k": 1}).accuracy == {"top5": 80.5}
    assert len(default.accuracy_table) == 4


def test_unknown_parameter_in_the_table_is_named_with_a_suggestion():
    table = [{"params": {"SR": 0.25, "widht": 8}, "top1": 60.0, "source": "x"}]
    found = problems_of(tiny(accuracy_table=[{"params": {}, "top1": 1, "source": "y"}] + table))
    assert len(found) == 2
    assert found[0][:2] == ("net.yaml", "accuracy_table[1].params.SR")
    assert "not a parameter of this network" in found[0][2]
    assert "declared: act, k, width" in found[0][2]
    assert found[1][1] == "accuracy_table[1].params.widht"
    assert "did you mean 'width'?" in found[1][2]


@pytest.mark.parametrize("entry, place, words", [
    ({"params": {"width": 8}, "top1": "61%", "source": "x"}, "accuracy_table[0].top1",
     "expected a number, got the string '61%'"),
    ({"params": {"width": 8}, "top5": 101, "source": "x"}, "accuracy_table[0].top5", "at most 100"),
    ({"params": {"width": 8}, "top1": 60.0}, "accuracy_table[0].source", "missing required key"),
    ({"params": {"width": 8}, "top1": 60.0, "source": "  "}, "accuracy_table[0].source",
     "non-empty string"),
    ({"params": {"width": 8}, "source": "x"}, "accuracy_table[0]", "needs top1 or top5"),
    ({"params": {"width": "wide"}, "top1": 1, "source": "x"}, "accuracy_table[0].params.width",
     "expected a value like the default 4"),
    ({"params": {"width": 8}, "top1": 1, "top-5": 2, "source": "x"}, "accuracy_table[0].top-5",
     "unknown key (did you mean 'top5'?)"),
    ({"params": {"width": 8}, "top1": 1, "source": "x", "input_size": "big"},
     "accuracy_table[0].input_size", "expected N or HxW"),
])
def test_bad_table_entries(entry, place, words):
    found = problems_of(tiny(accuracy_table=[entry]))
    assert [p[1] for p in found] == [place]
    assert words in found[0][2]


def test_table_must_be_a_list_and_points_distinct():
    assert problems_of(tiny(accuracy_table={"width": 8}))[0][1:] == (
        "accuracy_table", "expected a list of points, got a mapping")
    twice = [TABLE[0], {"params": {"width": 8.0, "k": 3}, "top1": 1, "source": "other"}]
    found = problems_of(tiny(accuracy_table=twice))
    assert found[0][1] == "accuracy_table[1]" and "the same point as accuracy_table[0]" in found[0][2]
    # a table entry at the defaults repeats the plain accuracy
    found = problems_of(tiny(accuracy={"top1": 2}, accuracy_table=[
        {"params": {"act": "relu"}, "top1": 1, "source": "s"}]))
    assert found[0][1] == "accuracy_table[0]" and "the same point as accuracy" in found[0][2]


def test_plain_accuracy_is_checked():
    found = problems_of(tiny(accuracy={"top1": "high", "top-1": 3}))
    assert [p[1] for p in found] == ["accuracy.top-1", "accuracy.top1"]


def test_undeclared_override_is_bad_input_naming_it_and_the_declared_ones():
    found = problems_of(tiny(), params={"widht": 8, "depth": 3})
    assert [p[1] for p in found] == ["params.widht", "params.depth"]
    assert "did you mean 'width'?" in found[0][2]
    assert "declared: act, k, width" in found[1][2]
    found = problems_of(tiny(), params={"act": 3})
    assert found[0][1] == "params.act" and "expected a value like the default 'relu'" in found[0][2]
    found = problems_of({k: v for k, v in tiny().items() if k != "params"}, params={"width": 8})
    assert "the network declares no params" in found[0][2]


def test_load_network_overrides_a_base_chains_params():
    # sqnxt23v5.yaml inherits width from sqnxt23.yaml; width 2.0 is 2.0-SqNxt-23v5
    # (networks.md: 3,194,560 parameters), which has its own file and accuracy.
    wide = hwsim.load_network(NETWORKS / "sqnxt23v5.yaml", params={"width": 2.0})
    assert wide.params == 3_194_560
    assert wide.param_values["width"] == 2.0 and wide.param_defaults["width"] == 1.0
    assert wide.accuracy == {}  # 67.44 is in sqnxt23v5_w2.yaml, not in this file's table
    assert hwsim.load_network(NETWORKS / "sqnxt23v5.yaml").accuracy == {"top1": 59.24, "top5": 82.41}
