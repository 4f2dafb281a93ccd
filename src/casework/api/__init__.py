"""The HTTP API and web pages (FastAPI), thin over the application and read models."""

# Every JSON route lives under this prefix; routers carry it themselves so that the access log
# and OpenAPI see each route's full path template.
API_PREFIX = "/api/v1"
