"""DingTalk (钉钉) internal app + robot: crypto, callback parsing, API client, channel."""
