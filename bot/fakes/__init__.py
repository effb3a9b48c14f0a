"""Protocol-faithful fake platform servers, used by tests and the simulator."""
