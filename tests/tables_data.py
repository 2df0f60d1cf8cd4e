"""A wide table of every column kind, for the LaTeX tests."""

from hwsim.report.tables import Column

WIDE_COLUMNS = [Column("name", "layer"), Column("count", "MACs", "", "int"),
                Column("share", "share", "%", "percent", 1),
                Column("ratio", "speed-up", "x", "ratio", 2),
                *(Column(f"v{i}", f"value {i}", "Kcyc", "float", 1) for i in range(9))]
WIDE_RECORDS = [
    {"name": "fire2/squeeze_1x1", "count": 12345678, "share": 0.256, "ratio": 1.875,
     **{f"v{i}": 12345.6 + i for i in range(9)}},
    {"name": "conv10 & #1", "count": None, "share": -0.01, "ratio": None,
     **{f"v{i}": -1.0 * i for i in range(9)}},
]
