"""The Discord chat adapter: slash commands generated from the registry, Views for confirmations."""
