"""Built-in parts. Each module here is a plugin registered through the same hooks a third party uses."""
