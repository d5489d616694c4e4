"""Programme statistics (issue 23): holders against the target, pass rates, bonus money; read only."""
