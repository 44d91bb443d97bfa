"""Policy-document indexer: file → text → clauses → index → hits / alignments."""
