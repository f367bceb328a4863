"""Learned graph-problem policies and their inference: the nets (routing, node GNNs, WTA, IM),
the checkpoint format, decoding on the env, the shipped-model picker and the ONNX adapter."""
