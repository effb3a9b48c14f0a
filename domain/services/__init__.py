"""Use cases of the sales core. Each takes a UnitOfWork and leaves committing to the caller."""
