"""Every router of the HTTP API, in the order /docs lists them."""

from casework.api.routes import users

ROUTERS = [users.router]

__all__ = ["ROUTERS"]
