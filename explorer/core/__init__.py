"""Qt-free domain model: sites, chip catalogue, store, commands, validation."""
