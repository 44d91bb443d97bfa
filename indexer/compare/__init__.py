"""Store → comparisons: align, coverage, answering documents, matrix, diffusion, reuse, review."""
