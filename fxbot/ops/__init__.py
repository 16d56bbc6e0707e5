"""Operations: the operator HTTP endpoint (health, readiness, Prometheus metrics) and what it reports."""
