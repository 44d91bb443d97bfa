"""File → clauses: readers, noise, outline, metadata, lists, corpus, build."""
