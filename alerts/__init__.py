"""Alert rules, in-memory index and evaluator."""
