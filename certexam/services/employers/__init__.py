"""Use cases of the employer portal (issue 23): bulk verification, history, watch list, API keys."""
