"""App: composes the domain and the adapters; holds the serving loop and the CLI."""
