"""The HTTP app: dashboard routes, authentication, health and OpenAPI."""
