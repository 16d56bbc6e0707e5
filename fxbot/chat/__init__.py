"""The chat port: neutral chat types, parser, command registry, access policy, dispatcher."""
