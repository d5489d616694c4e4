"""Results: scoring with the ethics veto, human marking, misconduct rulings, release, re-checks, key corrections, item analysis."""
