"""The operator handlers, by family; :mod:`hwsim.importers.onnx.handlers` holds the table.

A handler gets the run's :class:`~hwsim.importers.onnx.context.Context` and a node whose
inputs are all converted, and adds a layer, folds the node into one
(:mod:`~hwsim.importers.onnx.folding`), passes its input on, or reports a problem or an
unsupported node.
"""
