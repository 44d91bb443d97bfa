"""The HTTP API (FastAPI) over the shared service layer; `python -m indexer serve` runs it with uvicorn.

Importing this package does not import FastAPI: `indexer.api.app.create_app` does.
"""
