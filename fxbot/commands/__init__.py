"""Chat commands, one module per feature: validate arguments, call a service, build a Reply."""
