"""Sittings: the schedule, registration windows, admission numbers, accommodations, and the blueprints they copy."""
