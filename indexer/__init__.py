"""Policy-document indexer: file → text → clauses → index → hits / alignments."""
import warnings

# cpca and jieba import pkg_resources, which warns on every start; the warning says nothing to our users.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
