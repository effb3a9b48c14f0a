"""WeCom channel: crypto, callback parsing, API client."""
