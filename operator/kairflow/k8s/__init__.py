"""The only code that writes to the Kubernetes API (kubernetes_asyncio, never blocking)."""
