"""Importers: turn models written for other tools into hwsim networks.

``onnx`` (the package ``hwsim.importers.onnx``) reads an ONNX graph (needs the optional
``onnx`` package: ``pip install -e '.[onnx]'``) into the same layer list a network YAML
gives; ``yaml_writer`` writes such a layer list back as a readable network YAML.
Nothing here is imported by ``import hwsim``: the ``onnx`` package is loaded only when an
ONNX file is read.
"""
