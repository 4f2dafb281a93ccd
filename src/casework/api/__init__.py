"""The HTTP API and web pages (FastAPI), thin over the application and read models."""
