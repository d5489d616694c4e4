"""Use cases of training subsidies (issue 23; measures items 24-25)."""
